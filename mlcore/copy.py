"""Banner texts. This module holds the template writer (no LLM needed) and the fitting rules
every writer shares: a text never exceeds its slot's `max_chars`, cut at a word boundary.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from mlcore.layout import TextSlot

_DANGLING = " ,;:-–—/&+(\"'«"
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")

CTA_BY_TONE = {
    "professional": ("Learn more", "Get started", "See the details"),
    "casual": ("Check it out", "Try it now", "Grab yours"),
    "persuasive": ("Get yours today", "Claim your offer", "Start now"),
    "inspirational": ("Start your journey", "Make it happen", "Discover more"),
    "fomo": ("Don't miss out", "Grab it before it's gone", "Last chance"),
}
CTA_BY_TONE_RU = {
    "professional": ("Подробнее", "Оформить", "Узнать больше"),
    "casual": ("Попробовать", "Заглянуть", "Забрать"),
    "persuasive": ("Оформить сейчас", "Получить предложение", "Начать"),
    "inspirational": ("Начать путь", "Вперёд", "Открыть больше"),
    "fomo": ("Успейте", "Осталось мало", "Последний шанс"),
}


@dataclass
class CopyResult:
    texts: dict[str, str]
    writer: str
    stats: dict = field(default_factory=dict)


def is_cyrillic(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("а" <= c.lower() <= "я" or c in "ёЁ" for c in letters) > len(letters) / 3


def truncate_words(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary, without dangling punctuation."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else text[:limit]
    return cut.rstrip(_DANGLING).rstrip() or text[:limit]


def _first_sentence(text: str) -> str:
    return _SENTENCE.split(text.strip(), maxsplit=1)[0].rstrip(".")


def write_template(
    *, product: str, description: str, offer: str, tone: str, slots: Sequence[TextSlot], variant: int = 1
) -> CopyResult:
    """Deterministic copy from product, offer and tone: the product works without an LLM."""
    started = time.perf_counter()
    russian = is_cyrillic(offer)
    ctas = (CTA_BY_TONE_RU if russian else CTA_BY_TONE).get(tone, CTA_BY_TONE["professional"])
    pick = (variant - 1) % len(ctas)
    by_purpose = {
        "headline": _first_sentence(offer),
        "subheadline": f"{product}. {_first_sentence(description)}",
        "body": description,
        "cta": ctas[pick],
        "badge": product,
        "legal": "Условия на сайте." if russian else "Terms apply.",
    }
    texts = {}
    truncations = 0
    for slot in slots:
        raw = by_purpose.get(slot.purpose, offer) if slot.ai_filled else slot.default_text
        texts[slot.key] = truncate_words(raw, slot.max_chars)
        truncations += texts[slot.key] != " ".join(raw.split())
    stats = {
        "calls": 0,
        "retries": 0,
        "truncations": truncations,
        "tokens": 0,
        "seconds": round(time.perf_counter() - started, 4),
    }
    return CopyResult(texts=texts, writer="template", stats=stats)
