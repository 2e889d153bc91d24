"""manage.py eval_retrieval on the Russian COCO queries: the multilingual embedder finds English
captions where the English-only one cannot."""

import json
from pathlib import Path

import pytest
from django.core.management import call_command

RUSSIAN = Path(__file__).resolve().parents[2] / "catalog" / "eval" / "coco_val2017_dev_ru.tsv"


@pytest.mark.slow
def test_multilingual_embedder_beats_minilm_on_russian_queries(tmp_path, capsys, db):
    sample = tmp_path / "ru.tsv"
    lines = RUSSIAN.read_text(encoding="utf-8").splitlines()
    sample.write_text("\n".join(lines[:121]) + "\n", encoding="utf-8")  # 120 pairs keep the test short
    results = {}
    for name in ("all-MiniLM-L6-v2", "multilingual-e5-small"):
        call_command("eval_retrieval", "--pairs", str(sample), "--embedder", name)
        results[name] = json.loads(capsys.readouterr().out)
    assert results["all-MiniLM-L6-v2"]["hit@5"] < 0.1
    assert results["multilingual-e5-small"]["hit@5"] > 0.5
    assert results["multilingual-e5-small"]["pairs"] == 120
