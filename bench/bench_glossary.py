"""Does a Russian query find what its English twin finds? For each pair of a vocabulary of ways
marketers name a business («кейтеринг» / "catering", «шиномонтаж» / "tyre fitting", «ПВЗ» / "pickup
point"), both are searched on the demo bank as offers (the app's two-stage search, as
bench_bank_languages runs it) and the pair agrees when the two top 5 share a picture. Pairs whose
English query fits no picture (best score under the fit threshold) are left out. The Russian side runs
twice, side by side: with mlcore/data/search_glossary.json and without it, so the figure says what the
glossary adds; the pairs that still disagree are listed, to write glossary entries from.

The three vocabularies (catalog/eval/vocabulary_ru_en*.json, 1,253 pairs: everyday businesses and
loanwords; goods, trades and technical services; farming, sport, life events, medicine, paperwork and
seasonal goods) were written by separate authors from their own knowledge, without the bank or the
glossary; the glossary's loanwords, trade words and abbreviations were then written from their
disagreements, so on them the figure with the glossary is a development figure. The held-out marketer
queries (bench_bank_languages) say whether it carries over.

    .venv/bin/python bench/bench_glossary.py [--list]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_bank_languages import shipped_vectors, two_stage  # noqa: E402

from mlcore import picture_query  # noqa: E402
from mlcore.embed import FUSION, embedder, min_similarity  # noqa: E402

VOCABULARIES = sorted((ROOT / "catalog/eval").glob("vocabulary_ru_en*.json"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--list", action="store_true", help="print the pairs that still disagree")
    args = parser.parse_args()
    items = json.loads((ROOT / "catalog/demo_bank/index.json").read_text())
    keep = [i for i, item in enumerate(items) if not item["has_text"] and item["status"] == "approved"]
    names = [items[i]["name"] for i in keep]
    model = embedder(FUSION)
    vectors = shipped_vectors(model, keep)
    captions, hypotheses = vectors[:, :2], vectors[:, 2:]
    top5 = lambda text: list(np.argsort(-two_stage(model, captions, hypotheses, {"query": text}))[:5])  # noqa: E731
    no_glossary = ({}, {}, 0)
    print(f"{'vocabulary':32}{'pairs':>7}{'EN fits':>9}{'agree, no glossary':>20}{'with glossary':>15}")
    for path in VOCABULARIES:
        pairs = json.loads(path.read_text(encoding="utf-8"))
        fitting, before, after, still = 0, 0, 0, []
        for pair in pairs:
            scores = two_stage(model, captions, hypotheses, {"query": pair["en"]})
            english = set(np.argsort(-scores)[:5].tolist())
            if scores.max() < min_similarity(FUSION):
                continue
            fitting += 1
            with mock.patch.object(picture_query, "_glossary", lambda lang: no_glossary):
                before += bool(english & set(top5(pair["ru"])))
            russian = top5(pair["ru"])
            after += bool(english & set(russian))
            if not english & set(russian):
                still.append(f"  {pair['ru']} / {pair['en']}: RU {[names[i] for i in russian[:3]]}")
        print(f"{path.name:32}{len(pairs):>7}{fitting:>9}{before / fitting:>20.3f}{after / fitting:>15.3f}")
        if args.list:
            print("\n".join(still))


if __name__ == "__main__":
    main()
