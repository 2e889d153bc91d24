"""Key facts of an offer: the figures, codes, dates and addresses a banner must not lose.

`find_facts` returns each fact once with its kind and span, so the writer can keep a fact whole (a
time, decimal, code or URL is never split) and drop facts by a fixed priority when a format has no
room: benefit (%, money), code, deadline (date, time), the rest (URL, phone, other numbers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|январ[ьяюе]|феврал[ьяюе]|марта?|марте|апрел[ьяюе]|ма[йяюе]|"
    r"июн[ьяюе]|июл[ьяюе]|августа?|августе|сентябр[ьяюе]|октябр[ьяюе]|ноябр[ьяюе]|декабр[ьяюе]"
)
_SP = r"[ \u00a0\u202f]"
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:{_SP}\d{{3}})*(?:[.,]\d+)?)"
_DASH = r"\s?[-–—]\s?"
_CURRENCY = r"₽|\$|€|£|руб(?:\.|лей|ля|ль)?|р\.|rub\b|usd\b|eur\b|dollars?\b|euros?\b|тыс\.?\s?(?:₽|руб\.?|р\.)"
_AMPM = r"(?:\s?(?:am|pm|a\.m\.|p\.m\.))"
_TIME = rf"\d{{1,2}}:\d{{2}}{_AMPM}?|\d{{1,2}}{_AMPM}"
_DATE_WORDS = rf"\d{{1,2}}(?:{_DASH}\d{{1,2}})?(?:st|nd|rd|th)?\s(?:{_MONTHS})\b(?:\s\d{{4}})?"

_UNITS = (
    r"months?|days?|weeks?|years?|hours?|hrs?|minutes?|mins?|nights?|seconds?|people|persons?|guests?|"
    r"lessons?|classes|sessions?|rides?|orders?|items?|km|miles?|kg|lbs?|gb|tb|cm|mm|inch(?:es)?|"
    r"дн(?:я|ей|ь)|день|месяц(?:а|ев)?|недел[ьиюя]|лет|год(?:а)?|час(?:а|ов)?|минут[ау]?|ноч(?:ь|и|ей)|"
    r"секунд[ау]?|человек|гост(?:я|ей|ь)|заняти(?:е|я|й)|урок(?:а|ов)?|поездк(?:а|и|у)|заказ(?:а|ов)?|"
    r"км|кг|гб|тб|см|мм|шт\.?"
)

# Priorities: lower survives longer when a format has no room for everything.
PRIORITY = {"percent": 0, "money": 0, "code": 1, "date": 2, "time": 2, "url": 3, "email": 3, "phone": 3, "number": 3}

_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I)),
    (
        "url",
        re.compile(
            r"(?:https?://)?(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,12}|рф)\b(?:/[^\s,;!?)»\"]*)?"
            r"|(?:https?://)[^\s,;!?)»\"]+",
            re.I,
        ),
    ),
    ("number", re.compile(r"\b24/7\b")),
    ("phone", re.compile(r"(?<![\w+])\+?\d[\d \u00a0()\-]{7,}\d(?!\w)")),
    ("time", re.compile(rf"(?<![\d:.,])(?:{_TIME})(?:{_DASH}(?:{_TIME}|\d{{1,2}}:\d{{2}}))?(?![\d:])", re.I)),
    ("date", re.compile(rf"\b{_DATE_WORDS}", re.I)),
    ("date", re.compile(rf"\b(?:{_MONTHS})\s\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s\d{{4}})?", re.I)),
    ("date", re.compile(r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{1,2}\.\d{2}(?=\s|$|[,;!?)])(?!\d)")),
    ("date", re.compile(r"\b\d{1,2}/\d{1,2}\b(?!\s?%)")),
    (
        "percent",
        re.compile(rf"(?<![\w.,])[-–−]?{NUMBER}(?:{_DASH}{NUMBER})?{_SP}?%"),
    ),
    ("money", re.compile(rf"[$€£₽]{_SP}?{NUMBER}(?:{_SP}?[kKмМ]\b)?")),
    ("money", re.compile(rf"(?<![\w.,]){NUMBER}{_SP}?(?:{_CURRENCY})", re.I)),
    (
        "code",
        re.compile(
            r"(?<=code\s)[\"«'“]?[A-ZА-ЯЁ0-9][A-ZА-ЯЁa-z0-9_-]{2,}|(?<=промокод\s)[\"«'“]?[A-ZА-ЯЁ0-9][\wЁё-]{2,}"
            r"|(?<=промокоду\s)[\"«'“]?[A-ZА-ЯЁ0-9][\wЁё-]{2,}|(?<=промокодом\s)[\"«'“]?[A-ZА-ЯЁ0-9][\wЁё-]{2,}"
            r"|(?<=coupon\s)[\"«'“]?[A-Z0-9][\w-]{2,}|(?<=code:\s)[\"«'“]?[A-ZА-ЯЁ0-9][\wЁё-]{2,}",
            re.I,
        ),
    ),
    (
        "code",
        re.compile(
            r"\b(?=[A-ZА-ЯЁ0-9_-]{4,})(?=[A-ZА-ЯЁ0-9_-]*\d)(?=[A-ZА-ЯЁ0-9_-]*[A-ZА-ЯЁ])[A-ZА-ЯЁ][A-ZА-ЯЁ0-9]*(?:[-_][A-ZА-ЯЁ0-9]+)*\b(?!-[a-zа-яё])"
        ),
    ),
    ("number", re.compile(r"\b\d+/\d+\b|\b\d+\+\d+\b|\b\d+x\b")),
    ("number", re.compile(rf"(?<![\w.,]){NUMBER}{_SP}(?:{_UNITS})\b", re.I)),
    ("number", re.compile(rf"(?<![\w.,]){NUMBER}(?![\w])|(?<![\w.,])\d+(?=[a-zа-яё]{{1,3}}\b)", re.I)),
]
_QUOTES = "\"«»'“”„"


@dataclass(frozen=True)
class Fact:
    text: str
    kind: str
    start: int
    end: int

    @property
    def priority(self) -> int:
        return PRIORITY[self.kind]


def _phone_ok(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    return 10 <= digits <= 15 and bool(re.search(r"[\s()\-]", text)) and not re.fullmatch(rf"{NUMBER}", text)


def find_facts(text: str, *, skip: Iterable[tuple[int, int]] = ()) -> list[Fact]:
    """Every fact of `text` once, in reading order; spans in `skip` (e.g. a banner size) are ignored."""
    taken = list(skip)
    found: list[Fact] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            value = match.group().strip().strip(_QUOTES).rstrip(".")
            if not value or not any(c.isalnum() for c in value):
                continue
            start = match.start() + match.group().find(value)
            end = start + len(value)
            if kind == "phone" and not _phone_ok(value):
                continue
            if kind == "url" and (value.replace(".", "").isdigit() or not re.search(r"[a-zа-я]", value, re.I)):
                continue
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append(Fact(value, kind, start, end))
    return sorted(found, key=lambda fact: fact.start)


def key_facts(text: str) -> list[str]:
    """The facts of an offer as strings, each once, in reading order."""
    seen: list[str] = []
    for fact in find_facts(text):
        if fact.text not in seen:
            seen.append(fact.text)
    return seen


_CURRENCY_WORDS = [
    (re.compile(r"тыс\.?\s?"), "000"),
    (re.compile(r"руб(?:\.|лей|ля|ль)?|р\.|\brub\b"), "₽"),
    (re.compile(r"\busd\b|dollars?"), "$"),
    (re.compile(r"\beur\b|euros?"), "€"),
]
_SCHEME = re.compile(r"https?://|www\.")
_FOLDED = re.compile(r"[\s\u00a0\u202f\"«»'“”„]+")


@lru_cache(maxsize=8192)
def normalize(text: str) -> str:
    """A form for comparing facts: case, spaces, dashes, quotes and currency spellings folded."""
    text = text.lower().replace(",", ".").replace("−", "-").replace("–", "-").replace("—", "-")
    for pattern, symbol in _CURRENCY_WORDS:
        text = pattern.sub(symbol, text)
    return _FOLDED.sub("", _SCHEME.sub("", text))


def fact_in(fact: str, text: str) -> bool:
    return normalize(fact).lstrip("-") in normalize(text)


def lost_facts(facts: Sequence[str], texts: dict[str, str]) -> list[str]:
    combined = " ".join(texts.values())
    return [fact for fact in facts if not fact_in(fact, combined)]


def fact_fields(facts: Sequence[str], texts: dict[str, str]) -> dict[str, str]:
    """Which field carries each kept fact (the first that does)."""
    return {
        fact: next(k for k, v in texts.items() if fact_in(fact, v))
        for fact in facts
        if fact_in(fact, " ".join(texts.values()))
    }


def without_facts(text: str) -> str:
    """The text with its figures, codes and addresses taken out: a search for a picture should match
    what is sold, not "11:00" (which finds clock faces)."""
    for fact in sorted(find_facts(text), key=lambda f: f.start, reverse=True):
        text = text[: fact.start] + text[fact.end :]
    return re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
