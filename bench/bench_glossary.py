"""Does a Russian query find what its English twin finds, and English jargon what its plain words
find? For each pair of a vocabulary of ways marketers name a business («кейтеринг» / "catering",
«шиномонтаж» / "tyre fitting", «ПВЗ» / "pickup point"; "MOT test" / "yearly car safety inspection"),
both are searched on the demo bank as offers (the app's two-stage search, as bench_bank_languages runs
it) and the pair agrees when the two top 5 share a picture. Pairs whose reference (the English, or the
plain words) fits no picture (best score under the fit threshold) are left out. The query side runs
twice, side by side: with mlcore/data/search_glossary.json and without it, so the figure says what the
glossary adds; the pairs that still disagree are listed, to write glossary entries from.

The Russian vocabularies (catalog/eval/vocabulary_ru_en*.json: three of 1,253 business names, everyday
businesses and loanwords; goods, trades and technical services; farming, sport, life events, medicine,
paperwork and seasonal goods), and a fourth of 541 names of goods a shop sells («форель», «шпаклёвка»,
«берцы», «ряженка»; agreement 0.737 without the glossary, 0.765 before its goods were glossed, 0.874
after) were written by separate authors from their own knowledge, without the bank or the glossary; the
glossary's loanwords, trade words and abbreviations were then written from their disagreements, so on
them the figure with the glossary is a development figure. The same holds for the English one
(catalog/eval/vocabulary_en_plain.json, 460 US and UK trade words, abbreviations and slang, each with
plain words for what a picture of it shows; agreement 0.567 without the glossary, 0.836 with it), whose
plain words are not always the better search ("Black Friday" / "big sale after Thanksgiving" draws a
turkey). The held-out marketer queries (bench_bank_languages) say whether it carries over.

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

VOCABULARIES = sorted((ROOT / "catalog/eval").glob("vocabulary_*.json"))


def query_and_reference(pair: dict) -> tuple[str, str]:
    """What is searched, and the twin whose pictures it should find."""
    return (pair["ru"], pair["en"]) if "ru" in pair else (pair["jargon"], pair["plain"])


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
    print(f"{'vocabulary':32}{'pairs':>7}{'fits':>9}{'agree, no glossary':>20}{'with glossary':>15}")
    for path in VOCABULARIES:
        pairs = json.loads(path.read_text(encoding="utf-8"))
        fitting, before, after, still = 0, 0, 0, []
        for pair in pairs:
            query, reference = query_and_reference(pair)
            scores = two_stage(model, captions, hypotheses, {"query": reference})
            wanted = set(np.argsort(-scores)[:5].tolist())
            if scores.max() < min_similarity(FUSION):
                continue
            fitting += 1
            with mock.patch.object(picture_query, "_glossary", lambda lang: no_glossary):
                before += bool(wanted & set(top5(query)))
            found = top5(query)
            after += bool(wanted & set(found))
            if not wanted & set(found):
                still.append(
                    f"  {query} / {reference}: {[names[i] for i in found[:3]]} against {[names[i] for i in wanted][:3]}"
                )
        print(f"{path.name:32}{len(pairs):>7}{fitting:>9}{before / fitting:>20.3f}{after / fitting:>15.3f}")
        if args.list:
            print("\n".join(still))


if __name__ == "__main__":
    main()
