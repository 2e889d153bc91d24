"""Marketer queries in English and Russian (catalog/eval/marketer_queries.json) against the demo bank,
per embedder, side by side: the share of queries whose expected picture is in the top 5 when the
query is matched against each picture's product hypotheses and caption (best of the four), and the
query embedding time. No database: the bank's texts are embedded here, in memory.

    .venv/bin/python bench/bench_bank_languages.py [--embedders all-MiniLM-L6-v2 multilingual-e5-small fusion]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlcore.embed import embedder  # noqa: E402


def russian_name(stem: str) -> str:
    """'1f695' → 'такси': the CLDR name in Russian that the emoji package carries."""
    import emoji

    emoji.config.load_language("ru")
    char = "".join(chr(int(part, 16)) for part in stem.split("-"))
    data = emoji.EMOJI_DATA.get(char) or emoji.EMOJI_DATA.get(char.replace("\ufe0f", "")) or {}
    return data.get("ru", "").strip(":").replace("_", " ")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedders", nargs="*", default=["all-MiniLM-L6-v2", "multilingual-e5-small", "fusion"])
    parser.add_argument("--ru-names", action="store_true", help="add each picture's CLDR name in Russian")
    args = parser.parse_args()
    bank = [item for item in json.loads((ROOT / "catalog/demo_bank/index.json").read_text()) if not item["has_text"]]
    bank = [item for item in bank if item["status"] == "approved"]
    stems = [Path(item["file"]).stem for item in bank]
    extra = [russian_name(stem) if args.ru_names else "" for stem in stems]
    per = 5 if args.ru_names else 4
    texts = [t for item, ru in zip(bank, extra, strict=True) for t in [item["caption"], *item["hypotheses"], ru][:per]]
    queries = json.loads((ROOT / "catalog/eval/marketer_queries.json").read_text())
    print(f"{len(bank)} searchable demo pictures, {len(queries)} marketer queries")
    print(f"{'embedder':24}{'hit@5 en':>10}{'hit@5 ru':>10}{'query ms p50':>14}{'p95':>8}")
    for name in args.embedders:
        model = embedder(name)
        vectors = model.encode(texts).reshape(len(bank), per, -1)
        hits = {"en": [], "ru": []}
        seconds = []
        for query in queries:
            started = time.perf_counter()
            vector = model.encode([query["query"]], query=True)[0]
            seconds.append(time.perf_counter() - started)
            scores = (vectors @ vector).max(axis=1)
            top = [stems[i] for i in np.argsort(-scores)[:5]]
            hits[query["lang"]].append(bool(set(top) & set(query["expected"])))
        ordered = sorted(seconds)
        print(
            f"{name:24}{statistics.mean(hits['en']):>10.3f}{statistics.mean(hits['ru']):>10.3f}"
            f"{1000 * statistics.median(seconds):>14.1f}{1000 * ordered[int(0.95 * (len(ordered) - 1))]:>8.1f}"
        )
    print("goal (issue 13): the expected picture in the top 5 for >= 90 % of queries in each language")


if __name__ == "__main__":
    main()
