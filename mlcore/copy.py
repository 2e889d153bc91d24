"""Banner texts that always fit (seed 003): one LLM call fills every AI slot of a format, over-long
fields are sent back to be shortened (at most 3 times), then cut at a word boundary.

Key facts of the offer (numbers, percentages, money, dates, promo codes) must survive; what was
lost is reported. Without an LLM the template writer gives deterministic copy from the brief.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from mlcore.layout import TextSlot
from mlcore.llm import ChatClient, ChatReply, extract_json

MODES = ("retry", "baseline")
MAX_SHORTENINGS = 3
_DANGLING = " ,;:-–—/&+(\"'«„“"
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


@dataclass(frozen=True)
class CopyBrief:
    product: str
    description: str
    offer: str
    tone: str
    platform: str
    industry: str = ""


@dataclass(frozen=True)
class Voice:
    """Tone-of-voice and platform rules from the data files designers edit."""

    tone_rules: tuple[str, ...] = ()
    tone_examples: tuple[dict, ...] = ()
    platform_rules: tuple[str, ...] = ()
    ctas: tuple[str, ...] = ("Learn more",)
    ctas_ru: tuple[str, ...] = ("Подробнее",)


@dataclass
class CopyResult:
    texts: dict[str, str]
    writer: str
    stats: dict = field(default_factory=dict)


# -- facts and fitting --------------------------------------------------------------------------

_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|январ\w*|феврал\w*|март\w*|апрел\w*|ма[йя]\w*|июн\w*|"
    r"июл\w*|август\w*|сентябр\w*|октябр\w*|ноябр\w*|декабр\w*"
)
_NUMBER = r"\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?"
_FACT_PATTERNS = [
    re.compile(rf"{_NUMBER}\s?%"),
    re.compile(rf"[$€£₽]\s?{_NUMBER}"),
    re.compile(rf"{_NUMBER}\s?(?:₽|\$|€|£|руб(?:\.|лей|ля|ль)?|р\.|rub\b|usd\b|eur\b|dollars?\b|euros?\b)", re.I),
    re.compile(rf"\b\d{{1,2}}\s(?:{_MONTHS})\b", re.I),
    re.compile(rf"\b(?:{_MONTHS})\s\d{{1,2}}\b", re.I),
    re.compile(r"\b\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?\b"),
    re.compile(r"\b(?=[A-ZА-Я0-9]*\d)(?=[A-ZА-Я0-9]*[A-ZА-Я])[A-ZА-Я0-9]{4,}\b"),  # promo codes: CITY20
    re.compile(rf"\b{_NUMBER}\b"),
]
_CURRENCY_WORDS = [(r"руб(?:\.|лей|ля|ль)?|р\.|\brub\b", "₽"), (r"\busd\b|dollars?", "$"), (r"\beur\b|euros?", "€")]


def key_facts(offer: str) -> list[str]:
    """Numbers, percentages, money, dates and promo codes of an offer, each once, in order."""
    facts: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _FACT_PATTERNS:
        for match in pattern.finditer(offer):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            facts.append((start, match.group().strip()))
    return [fact for _, fact in sorted(facts)]


def _normalize(text: str) -> str:
    text = text.lower().replace(",", ".")
    for pattern, symbol in _CURRENCY_WORDS:
        text = re.sub(pattern, symbol, text)
    return re.sub(r"[\s\u00a0\u202f]+", "", text)


def lost_facts(facts: Sequence[str], texts: dict[str, str]) -> list[str]:
    combined = _normalize(" ".join(texts.values()))
    return [fact for fact in facts if _normalize(fact) not in combined]


def truncate_words(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary, without dangling punctuation."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > 0 else text[:limit]
    return cut.rstrip(_DANGLING).rstrip() or text[:limit]


def is_cyrillic(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum("а" <= c.lower() <= "я" or c in "ёЁ" for c in letters) > len(letters) / 3


# -- template writer ----------------------------------------------------------------------------


def _first_sentence(text: str) -> str:
    return _SENTENCE.split(text.strip(), maxsplit=1)[0].rstrip(".")


def _headline(offer: str, limit: int) -> str:
    """The offer's first sentence, or, when too long, its facts-first shortest clause."""
    first = _first_sentence(offer)
    if len(first) <= limit:
        return first
    clauses = [c.strip() for c in re.split(r"[,;:—–]|\s-\s", first) if c.strip()]
    with_facts = [c for c in clauses if key_facts(c)] or clauses
    return min(with_facts, key=len)


def write_template(
    *, brief: CopyBrief, slots: Sequence[TextSlot], voice: Voice = Voice(), variant: int = 1
) -> CopyResult:
    """Deterministic copy from product, offer and tone: the product works without an LLM."""
    started = time.perf_counter()
    russian = is_cyrillic(brief.offer)
    ctas = voice.ctas_ru if russian else voice.ctas
    facts = key_facts(brief.offer)
    by_purpose = {
        "subheadline": f"{brief.product}. {_first_sentence(brief.description)}",
        "body": brief.offer,
        "cta": ctas[(variant - 1) % len(ctas)],
        "badge": facts[0] if facts else brief.product,
        "legal": "Условия на сайте." if russian else "Terms apply.",
    }
    texts, truncations = {}, 0
    for slot in slots:
        if not slot.ai_filled:
            raw = slot.default_text
        elif slot.purpose == "headline":
            raw = _headline(brief.offer, slot.max_chars)
        else:
            raw = by_purpose.get(slot.purpose, brief.offer)
        texts[slot.key] = truncate_words(raw, slot.max_chars)
        truncations += texts[slot.key] != " ".join(raw.split())
    stats = {
        "calls": 0,
        "retries": 0,
        "truncations": truncations,
        "tokens": 0,
        "mode": "template",
        "facts": facts,
        "lost_facts": lost_facts(facts, texts),
        "seconds": round(time.perf_counter() - started, 4),
        "llm_seconds": 0.0,
    }
    return CopyResult(texts=texts, writer="template", stats=stats)


# -- LLM writer ---------------------------------------------------------------------------------


def response_schema(slots: Sequence[TextSlot]) -> dict:
    """JSON schema of the answer, built from the format's AI slots."""
    return {
        "type": "object",
        "properties": {s.key: {"type": "string", "maxLength": s.max_chars, "description": s.purpose} for s in slots},
        "required": [s.key for s in slots],
        "additionalProperties": False,
    }


def system_prompt(brief: CopyBrief, slots: Sequence[TextSlot], voice: Voice, examples: Sequence[dict]) -> str:
    lines = [
        "You are a senior advertising copywriter. Write the texts of one banner.",
        f"Platform: {brief.platform}. Tone of voice: {brief.tone}.",
        *(f"- {rule}" for rule in voice.tone_rules),
        *(f"- {rule}" for rule in voice.platform_rules),
        "The fields flow into each other as one message. Each field has a purpose and a hard character limit:",
        *(f'- "{s.key}": the {s.purpose}, at most {s.max_chars} characters' for s in slots),
        "Write in the language of the offer. Keep every number, percentage, price, date and promo code "
        "of the offer exactly as written.",
        "Answer with one JSON object only, no prose, matching this JSON schema:",
        json.dumps(response_schema(slots), ensure_ascii=False),
    ]
    shots = [*voice.tone_examples, *examples]
    if shots:
        lines.append("Examples of approved banners in this tone:")
        lines.extend(json.dumps(example, ensure_ascii=False) for example in shots[:4])
    return "\n".join(lines)


def brief_prompt(brief: CopyBrief, facts: Sequence[str]) -> str:
    lines = [f"Product: {brief.product}", f"About the product: {brief.description}", f"Offer: {brief.offer}"]
    if brief.industry:
        lines.insert(1, f"Industry: {brief.industry}")
    if facts:
        lines.append(f"Key facts that must appear: {', '.join(facts)}")
    return "\n".join(lines)


def shorten_prompt(over: dict[str, tuple[int, int]], missing: Sequence[str], lost: Sequence[str]) -> str:
    parts = []
    if over:
        fields = "; ".join(
            f'"{key}" has {length} characters, the limit is {limit}' for key, (length, limit) in over.items()
        )
        parts.append(
            f"Some fields are too long: {fields}. Shorten them to fit; you may rewrite the other "
            "fields too so the banner still reads as one message."
        )
    if missing:
        parts.append(f"These fields are missing or empty: {', '.join(missing)}.")
    if lost:
        parts.append(f"Keep these key facts of the offer: {', '.join(lost)}.")
    parts.append("Answer with the whole JSON object again, nothing else.")
    return " ".join(parts)


@dataclass
class _Tally:
    calls: int = 0
    tokens: int = 0
    llm_seconds: float = 0.0

    def add(self, reply: ChatReply) -> None:
        self.calls += 1
        self.tokens += reply.tokens
        self.llm_seconds += reply.seconds


def _parse_fields(reply: str, slots: Sequence[TextSlot]) -> dict[str, str] | None:
    try:
        value = extract_json(reply)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    return {s.key: " ".join(str(value.get(s.key) or "").split()) for s in slots}


def _problems(texts: dict[str, str], slots: Sequence[TextSlot], facts: Sequence[str]):
    over = {s.key: (len(texts[s.key]), s.max_chars) for s in slots if len(texts[s.key]) > s.max_chars}
    missing = [s.key for s in slots if not texts[s.key]]
    return over, missing, lost_facts(facts, texts)


def write_copy(
    client: ChatClient,
    *,
    brief: CopyBrief,
    slots: Sequence[TextSlot],
    voice: Voice = Voice(),
    examples: Sequence[dict] = (),
    mode: str = "retry",
    max_retries: int = MAX_SHORTENINGS,
    temperature: float = 0.7,
) -> CopyResult:
    """Fill every AI slot in one call; in retry mode ask to shorten at most `max_retries` times.

    Whatever the LLM answers, every returned text fits its slot's `max_chars`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    started = time.perf_counter()
    ai_slots = [s for s in slots if s.ai_filled]
    facts = key_facts(brief.offer)
    fallback = write_template(brief=brief, slots=slots, voice=voice).texts
    tally, retries, texts = _Tally(), 0, None
    if ai_slots:
        messages = [
            {"role": "system", "content": system_prompt(brief, ai_slots, voice, examples)},
            {"role": "user", "content": brief_prompt(brief, facts)},
        ]
        schema = response_schema(ai_slots)
        while True:
            reply = client.chat(
                messages,
                json_schema=schema,
                temperature=temperature,
                max_tokens=64 + sum(s.max_chars for s in ai_slots) * 2,
            )
            tally.add(reply)
            parsed = _parse_fields(reply.text, ai_slots)
            texts = parsed if parsed is not None else texts
            if mode == "baseline" or retries >= max_retries:
                break
            if parsed is None:
                follow_up = "That was not a valid JSON object. Answer with the JSON object only."
            else:
                over, missing, lost = _problems(parsed, ai_slots, facts)
                if not (over or missing or lost):
                    break
                follow_up = shorten_prompt(over, missing, lost)
            retries += 1
            messages += [{"role": "assistant", "content": reply.text}, {"role": "user", "content": follow_up}]
    final, truncations = {}, 0
    for slot in slots:
        raw = (texts or {}).get(slot.key) or fallback[slot.key] if slot.ai_filled else slot.default_text
        final[slot.key] = truncate_words(raw, slot.max_chars)
        truncations += len(raw) > slot.max_chars
    stats = {
        "calls": tally.calls,
        "retries": retries,
        "truncations": truncations,
        "tokens": tally.tokens,
        "mode": mode,
        "facts": facts,
        "lost_facts": lost_facts(facts, final),
        "used_fallback": texts is None and bool(ai_slots),
        "seconds": round(time.perf_counter() - started, 4),
        "llm_seconds": round(tally.llm_seconds, 4),
    }
    return CopyResult(texts=final, writer=client.name, stats=stats)
