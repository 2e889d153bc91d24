"""Copywriter benchmark, three parts.

1. The deterministic writer alone (no LLM) on the offer corpora, dev (tests/data/copy_corpus.json)
   and held-out (bench/data/copy_holdout.json) side by side, all 9 presets: facts kept, fields ending
   on a function word, degenerate fields, wrong language, time per banner (goal < 2 ms).
2. The LLM path against the fake OpenAI-compatible server (real HTTP) answering in plain text, with
   wrong keys, and with an echo of the prompt: which writer filled the fields, facts kept.
3. 200 offers × every format preset against a fake LLM that answers too long
with a given probability. Prints, for the retry mode and the baseline (one call + truncation) side by
side: share of fields within limits, key-fact retention, calls per banner, and the copywriter's own
overhead per banner excluding LLM time (goal < 5 ms).

    .venv/bin/python bench/bench_copy.py [--offers 200] [--too-long 0.3] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlcore.copy import CopyBrief, key_facts, lost_facts, write_copy, write_template
from mlcore.layout import parse_layout
from mlcore.llm import ChatReply, extract_json
from mlcore.textcheck import dangling_end, is_degenerate, language, wrong_language

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


def corpus_items(path: Path):
    data = json.loads(path.read_text())
    for lang in ("en", "ru"):
        for item in data[lang]:
            yield item["offer"], item["product"], item["description"]
            if item["product"]:
                yield item["offer"], "", ""
    for request in data["requests"]:
        yield request, "", ""


INSTRUCTION = re.compile(
    r"\b(?:create|design|generate|banner|call to action|target audience|audience|purpose|theme|colou?rs?|"
    r"\d{2,4}\s?[x×]\s?\d{2,4})\b|баннер|создай|аудитори|призыв",
    re.I,
)


def deterministic(path: Path, layouts) -> dict:
    fields = dangling = degenerate = wrong = over = facts_total = facts_kept = leaks = requests = 0
    seconds = []
    request_texts = set(json.loads(path.read_text())["requests"])
    for offer, product, description in corpus_items(path):
        lang = language(offer)
        for layout in layouts:
            brief = CopyBrief(product=product, description=description, offer=offer, tone="professional", platform="x")
            started = time.perf_counter()
            result = write_template(brief=brief, slots=layout.text_slots)
            seconds.append(time.perf_counter() - started)
            for slot in layout.text_slots:
                text = result.texts[slot.key]
                fields += 1
                over += len(text) > slot.max_chars
                dangling += bool(dangling_end(text, lang))
                degenerate += is_degenerate(text)
                wrong += wrong_language(text, lang)
            if len(layout.text_slots) > 2:
                facts_total += len(result.stats["facts"])
                facts_kept += len(result.stats["facts_kept"])
            if offer in request_texts:
                requests += 1
                leaks += bool(INSTRUCTION.search(" ".join(result.texts.values())))
    return {
        "corpus": path.stem,
        "banners": len(seconds),
        "fields": fields,
        "over_limit": over,
        "dangling_endings": dangling,
        "degenerate": degenerate,
        "wrong_language": wrong,
        "facts_kept_3+_slots": f"{100 * facts_kept / max(facts_total, 1):.2f} %",
        "request_banners": requests,
        "instruction_words_seen": leaks,
        "ms_median": round(1000 * statistics.median(seconds), 3),
        "ms_p95": round(1000 * sorted(seconds)[int(0.95 * len(seconds))], 3),
    }


def llm_shapes(layouts) -> list[dict]:
    from mlcore.llm import HTTPSettings, OpenAICompatibleClient
    from tests.fake_llm import FakeLLM, Reply

    offers = [
        "Taxi rides 20% off this weekend with code CITY20, first ride in five minutes",
        "Скидка 15% на первый заказ до 31 декабря, промокод ЛЕТО2026",
        "Get 10% cashback on every purchase with our new credit card, apply online at bankly.com",
    ]
    shapes = {
        "plain text": lambda offer: Reply(content="Big savings today\nEverything you need, for less\nShop now"),
        "wrong keys": lambda offer: Reply(
            content=json.dumps({"title": "Big savings", "text": "For less", "btn": "Go"})
        ),
        "echo": lambda offer: Reply(content=offer),
    }
    rows = []
    for name, make in shapes.items():
        fake = FakeLLM().start()
        client = OpenAICompatibleClient(HTTPSettings(base_url=fake.base_url, model="fake", max_retries=0, backoff=0))
        writers, kept, total = {"llm": 0, "template": 0}, 0, 0
        for offer in offers:
            fake.default = make(offer)
            for layout in layouts:
                brief = CopyBrief(product="", description="", offer=offer, tone="casual", platform="x")
                result = write_copy(client, brief=brief, slots=layout.text_slots, max_retries=1)
                for writer in result.stats["field_writers"].values():
                    writers[writer] += 1
                kept += len(result.stats["facts_kept"])
                total += len(result.stats["facts"])
        fake.stop()
        rows.append({"reply": name, **writers, "facts_kept": f"{100 * kept / max(total, 1):.1f} %"})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=200)
    parser.add_argument("--too-long", type=float, default=0.3, help="probability that a field is too long")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    layouts = [parse_layout(json.loads(p.read_text())) for p in sorted((ROOT / "banners/formats").glob("*.json"))]
    print("1. deterministic writer, no LLM (dev corpus vs held-out corpus), all presets")
    rows = [
        deterministic(ROOT / "tests/data/copy_corpus.json", layouts),
        deterministic(ROOT / "bench/data/copy_holdout.json", layouts),
    ]
    for key in list(rows[0])[1:]:
        print(f"  {key:24}" + "".join(f"{row[key]!s:>16}" for row in rows))
    print("  goal: 0 over limit, 0 dangling, 0 degenerate, 0 wrong language, < 2 ms per banner")
    print("2. LLM path, fake server over HTTP answering in other shapes (fields by writer)")
    for row in llm_shapes(layouts):
        print("  " + ", ".join(f"{key}: {value}" for key, value in row.items()))
    briefs = make_offers(args.offers, args.seed)
    print(f"3. {args.offers} offers x {len(layouts)} presets, fake LLM too long with p={args.too_long}")
    rows = [run(mode, briefs, layouts, args.too_long, args.seed) for mode in ("retry", "baseline")]
    keys = list(rows[0])
    print(f"{'':24}" + "".join(f"{row['mode']:>14}" for row in rows))
    for key in keys[1:]:
        print(f"{key:24}" + "".join(f"{row[key]!s:>14}" for row in rows))
    print("goal: 100 % within limits, overhead < 5 ms per banner (LLM time excluded)")


if __name__ == "__main__":
    main()
