"""Copywriter benchmark: 200 offers × every format preset against a fake LLM that answers too long
with a given probability. Prints, for the retry mode and the baseline (one call + truncation) side by
side: share of fields within limits, key-fact retention, calls per banner, and the copywriter's own
overhead per banner excluding LLM time (goal < 5 ms).

    .venv/bin/python bench/bench_copy.py [--offers 200] [--too-long 0.3] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlcore.copy import CopyBrief, key_facts, lost_facts, write_copy
from mlcore.layout import parse_layout
from mlcore.llm import ChatReply, extract_json

ROOT = Path(__file__).resolve().parent.parent
PRODUCTS = json.loads((ROOT / "catalog/demo/products.json").read_text())
OFFERS_EN = [
    "Get {p}% off your first order with code SAVE{p}",
    "Only ${n} a month until {d} December",
    "Free delivery on orders over ${n} this weekend",
    "{p}% cashback on groceries until {d} March",
    "Buy 2, get 1 free: ends {d}.{m}.2026",
    "From ${n}: the best price of the season",
]
OFFERS_RU = [
    "Скидка {p}% на первый заказ по промокоду ZERNO{p}",
    "Всего {n} ₽ в месяц до {d} декабря",
    "Бесплатная доставка от {n} ₽ до {d}.{m}.2026",
    "Кэшбэк {p}% на всё до {d} марта",
]
WORDS = (
    "amazing fresh fast simple bright smart easy friendly local premium daily modern careful "
    "reliable quick comfortable honest warm"
).split()


class FakeCopyLLM:
    """Answers the schema of the prompt; each field is too long with probability `too_long`."""

    name = "fake"

    def __init__(self, too_long: float, seed: int):
        self.too_long = too_long
        self.random = random.Random(seed)
        self.seconds = 0.0

    def _text(self, limit: int, facts: list[str], long: bool) -> str:
        words = [*facts] if self.random.random() < 0.95 else []
        target = limit + self.random.randint(5, 40) if long else self.random.randint(max(1, limit // 2), limit)
        while len(" ".join(words)) < target:
            words.append(self.random.choice(WORDS))
        text = " ".join(words)
        return text if long else text[:limit].rsplit(" ", 1)[0] if len(text) > limit else text

    def chat(self, messages, *, json_schema=None, max_tokens=512, temperature=0.7) -> ChatReply:
        started = time.perf_counter()
        schema = json_schema or extract_json(messages[0]["content"].rsplit("\n", 1)[-1])
        offer = next(line[7:] for line in messages[1]["content"].splitlines() if line.startswith("Offer: "))
        facts = key_facts(offer)
        answer = {}
        for index, (key, prop) in enumerate(schema["properties"].items()):
            slot_facts = facts if index == 0 else []
            answer[key] = self._text(prop["maxLength"], slot_facts, self.random.random() < self.too_long)
        text = json.dumps(answer, ensure_ascii=False)
        self.seconds += time.perf_counter() - started
        return ChatReply(
            text=text, prompt_tokens=200, completion_tokens=len(text) // 4, seconds=time.perf_counter() - started
        )


def make_offers(count: int, seed: int) -> list[CopyBrief]:
    rng = random.Random(seed)
    briefs = []
    for index in range(count):
        product = PRODUCTS[index % len(PRODUCTS)]
        pool = OFFERS_RU if "а" <= product["name"][-1].lower() <= "я" or index % 4 == 0 else OFFERS_EN
        offer = rng.choice(pool).format(
            p=rng.choice([5, 10, 15, 20, 30, 50]),
            n=rng.choice([9, 49, 199, 499]),
            d=rng.randint(1, 28),
            m=rng.randint(1, 12),
        )
        briefs.append(
            CopyBrief(
                product=product["name"],
                description=product["description"],
                offer=offer,
                tone=rng.choice(["professional", "casual", "persuasive", "inspirational", "fomo"]),
                platform="instagram",
            )
        )
    return briefs


def run(mode: str, briefs, layouts, too_long: float, seed: int) -> dict:
    llm = FakeCopyLLM(too_long, seed)
    fields = within = facts_total = facts_kept = calls = 0
    overheads = []
    for brief in briefs:
        for layout in layouts:
            llm_before = llm.seconds
            started = time.perf_counter()
            result = write_copy(llm, brief=brief, slots=layout.text_slots, mode=mode)
            overheads.append((time.perf_counter() - started) - (llm.seconds - llm_before))
            calls += result.stats["calls"]
            for slot in layout.text_slots:
                fields += 1
                within += len(result.texts[slot.key]) <= slot.max_chars
            facts = result.stats["facts"]
            facts_total += len(facts)
            facts_kept += len(facts) - len(lost_facts(facts, result.texts))
    banners = len(briefs) * len(layouts)
    return {
        "mode": mode,
        "banners": banners,
        "fields_within_limits": f"{100 * within / fields:.2f} %",
        "key_fact_retention": f"{100 * facts_kept / max(facts_total, 1):.2f} %",
        "calls_per_banner": round(calls / banners, 3),
        "overhead_ms_median": round(1000 * statistics.median(overheads), 3),
        "overhead_ms_p95": round(1000 * sorted(overheads)[int(0.95 * len(overheads))], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=200)
    parser.add_argument("--too-long", type=float, default=0.3, help="probability that a field is too long")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    layouts = [parse_layout(json.loads(p.read_text())) for p in sorted((ROOT / "banners/formats").glob("*.json"))]
    briefs = make_offers(args.offers, args.seed)
    print(f"{args.offers} offers x {len(layouts)} presets, fake LLM too long with p={args.too_long}")
    rows = [run(mode, briefs, layouts, args.too_long, args.seed) for mode in ("retry", "baseline")]
    keys = list(rows[0])
    print(f"{'':24}" + "".join(f"{row['mode']:>14}" for row in rows))
    for key in keys[1:]:
        print(f"{key:24}" + "".join(f"{row[key]!s:>14}" for row in rows))
    print("goal: 100 % within limits, overhead < 5 ms per banner (LLM time excluded)")


if __name__ == "__main__":
    main()
