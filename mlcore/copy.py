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
from pathlib import Path

from mlcore.facts import fact_fields, key_facts, lost_facts
from mlcore.layout import TextSlot
from mlcore.llm import ChatClient, ChatReply, extract_json
from mlcore.phrases import clean_end, fit_words
from mlcore.textcheck import field_problems, language, typeset_ru
from mlcore.writer import load_phrasebook, write_deterministic

__all__ = ["key_facts", "lost_facts"]

MODES = ("retry", "baseline")
MAX_SHORTENINGS = 3


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
    phrasebook: dict | None = None  # the deterministic writer's phrases per language; None: the shipped ones


@dataclass
class CopyResult:
    texts: dict[str, str]
    writer: str
    stats: dict = field(default_factory=dict)


# -- facts and fitting --------------------------------------------------------------------------

DEFAULT_PHRASEBOOK = Path(__file__).resolve().parent.parent / "banners" / "copy_rules" / "writer"


def truncate_words(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary: never inside a fact (a time, code,
    URL or price) and never ending on a function word or a dangling mark."""
    text = " ".join(text.split(" "))
    if len(text) <= limit:
        return text
    fitted = fit_words(text, limit, language(text), whole=key_facts(text))
    return fitted or clean_end(text[:limit], language(text)) or text[:limit]


def is_cyrillic(text: str) -> bool:
    return language(text) == "ru"


# -- deterministic writer -----------------------------------------------------------------------


def write_template(
    *, brief: CopyBrief, slots: Sequence[TextSlot], voice: Voice = Voice(), variant: int = 1
) -> CopyResult:
    """Copy composed from the parsed offer: the product works without an LLM (see mlcore.writer)."""
    started = time.perf_counter()
    texts, info = write_deterministic(
        offer=brief.offer,
        product=brief.product,
        description=brief.description,
        tone=brief.tone,
        platform=brief.platform,
        slots=slots,
        phrasebook=voice.phrasebook or load_phrasebook(str(DEFAULT_PHRASEBOOK)),
        voice_ctas={"en": voice.ctas, "ru": voice.ctas_ru},
        variant=variant,
    )
    stats = {
        "calls": 0,
        "retries": 0,
        "truncations": 0,
        "tokens": 0,
        "mode": "template",
        **_fact_stats(info["facts"], texts),
        "field_writers": {slot.key: "template" for slot in slots if slot.ai_filled},
        "lang": info["lang"],
        "offer_kind": info["kind"],
        "request": info["request"],
        "seconds": round(time.perf_counter() - started, 5),
        "llm_seconds": 0.0,
    }
    return CopyResult(texts=texts, writer="template", stats=stats)


def _fact_stats(facts: Sequence[str], texts: dict[str, str]) -> dict:
    placed = fact_fields(facts, texts)
    dropped = [fact for fact in facts if fact not in placed]
    return {
        "facts": list(facts),
        "fact_fields": placed,
        "facts_kept": list(placed),
        "facts_dropped": dropped,
        "lost_facts": dropped,
    }


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


def copy_messages(
    brief: CopyBrief, slots: Sequence[TextSlot], voice: Voice = Voice(), examples: Sequence[dict] = ()
) -> list[dict]:
    """The first two messages of a copy request: what the LLM is asked, and what a copy LoRA learns."""
    return [
        {"role": "system", "content": system_prompt(brief, slots, voice, examples)},
        {"role": "user", "content": brief_prompt(brief, key_facts(brief.offer))},
    ]


def shorten_prompt(
    over: dict[str, tuple[int, int]], missing: Sequence[str], lost: Sequence[str], other: dict | None = None
) -> str:
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
    for key, problems in (other or {}).items():
        parts.append(f'"{key}" cannot be used: {"; ".join(problems)}. Write it anew for the banner.')
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


_SYNONYMS = {
    "headline": ("headline", "title", "header", "heading", "head", "main", "maintext", "заголовок"),
    "subheadline": (
        "subheadline",
        "subheading",
        "subtitle",
        "subhead",
        "subtext",
        "description",
        "tagline",
        "body",
        "text",
        "secondary",
        "подзаголовок",
        "описание",
    ),
    "body": (
        "body",
        "text",
        "copy",
        "content",
        "message",
        "post",
        "caption",
        "generatedtext",
        "ad",
        "adtext",
        "description",
        "текст",
    ),
    "cta": ("cta", "calltoaction", "button", "buttontext", "btn", "action", "ctatext", "призыв", "кнопка"),
    "legal": ("legal", "disclaimer", "terms", "fineprint", "footnote", "legaltext", "дисклеймер", "условия"),
    "badge": ("badge", "sticker", "label", "tag", "бейдж"),
}
_LABEL = re.compile(r"^\W*([A-Za-zА-Яа-яЁё _-]{2,30}?)\W*[:—–-]\s*(.+)$")


def _norm_key(key: str) -> str:
    return re.sub(r"[^a-zа-яё]", "", key.lower())


def _leaves(value, path: str = "") -> list[tuple[str, str]]:
    """(key, text) of every string in a JSON value, nested dicts and lists included; a list item like
    {"field": "headline", "text": "…"} is keyed by its name."""
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        name = next((value[k] for k in ("key", "field", "slot", "name", "type") if isinstance(value.get(k), str)), None)
        text = next((value[k] for k in ("text", "value", "content") if isinstance(value.get(k), str)), None)
        if name and text is not None:
            return [(name, text)]
        return [leaf for key, item in value.items() for leaf in _leaves(item, str(key))]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, path)]
    return []


def _match_slots(pairs: list[tuple[str, str]], slots: Sequence[TextSlot]) -> dict[str, str]:
    """Texts by slot key from (label, text) pairs: exact key, then the purpose's usual names."""
    texts: dict[str, str] = {}
    free = list(pairs)
    for rule in ("key", "purpose"):
        for slot in slots:
            if slot.key in texts:
                continue
            names = {_norm_key(slot.key)} if rule == "key" else set(_SYNONYMS.get(slot.purpose, ())) | {slot.purpose}
            found = next((pair for pair in free if _norm_key(pair[0]) in names), None)
            if found is not None:
                texts[slot.key] = found[1]
                free.remove(found)
    return texts


def _plain_fields(reply: str, slots: Sequence[TextSlot]) -> dict[str, str]:
    """A reply in plain text: 'Headline: …' lines, else lines in slot order, else sentences."""
    body = re.sub(r"```\w*", "", reply).replace("**", "").strip()
    lines = [line.strip(' -*•#\t"') for line in body.splitlines() if line.strip(' -*•#\t"')]
    labelled = [(m.group(1), m.group(2)) for line in lines if (m := _LABEL.match(line))]
    texts = _match_slots(labelled, slots) if labelled else {}
    if texts:
        return texts
    if len(slots) == 1:
        return {slots[0].key: " ".join(lines)}
    pieces = lines if len(lines) >= len(slots) else re.split(r"(?<=[.!?])\s+", " ".join(lines))
    return {slot.key: piece for slot, piece in zip(slots, pieces, strict=False)}


def parse_fields(reply: str, slots: Sequence[TextSlot]) -> dict[str, str]:
    """The slot texts in an LLM reply: JSON with the asked keys, other or nested keys, in a code
    fence, or plain text mapped onto the slots by labels, lines or sentences. Missing slots are ''."""
    try:
        value = extract_json(reply)
    except ValueError:
        value = None
    pairs = _leaves(value) if isinstance(value, dict | list) else []
    texts = _match_slots(pairs, slots) if pairs else {}
    if not texts and pairs and len(slots) == 1:
        texts = {slots[0].key: max((text for _, text in pairs), key=len)}
    if not texts:
        texts = _plain_fields(reply, slots)
    return {s.key: " ".join(str(texts.get(s.key) or "").split()) for s in slots}


_META = re.compile(
    r"[{}<>\[\]]|\bjson\b|\bas an ai\b|\bi cannot\b|\bi can't\b|\bsorry\b|\blanguage model\b|\bsub-?headline\b",
    re.I,
)


def _has_json(reply: str) -> bool:
    try:
        return isinstance(extract_json(reply), dict | list)
    except ValueError:
        return False


def llm_field_problems(text: str, *, lang: str, max_chars: int, prompt: str) -> list[str]:
    """The shared checks, plus what only a model writes: JSON debris, apologies, talk about the task."""
    problems = field_problems(text, lang=lang, max_chars=max_chars, prompt=prompt)
    if _META.search(text):
        problems.append("not ad copy (JSON debris or talk about the task)")
    return problems


def _problems(texts: dict[str, str], slots: Sequence[TextSlot], facts: Sequence[str], brief: CopyBrief):
    lang = language(brief.offer)
    over = {s.key: (len(texts[s.key]), s.max_chars) for s in slots if len(texts[s.key]) > s.max_chars}
    missing = [s.key for s in slots if not texts[s.key]]
    other = {
        s.key: llm_field_problems(texts[s.key], lang=lang, max_chars=10**6, prompt=brief.offer)
        for s in slots
        if texts[s.key]
    }
    return over, missing, lost_facts(facts, texts), {k: v for k, v in other.items() if v}


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
    variant: int = 1,
) -> CopyResult:
    """Fill every AI slot in one call; in retry mode ask again at most `max_retries` times.

    Whatever the LLM answers, every returned text fits its slot. A field still unusable after the
    retries (empty, the prompt echoed, wrong language, ending mid-phrase) comes from the
    deterministic writer, and `stats["field_writers"]` / `stats["field_notes"]` say which and why.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    started = time.perf_counter()
    ai_slots = [s for s in slots if s.ai_filled]
    facts = key_facts(brief.offer)
    tally, retries, texts = _Tally(), 0, {s.key: "" for s in ai_slots}
    if ai_slots:
        messages = copy_messages(brief, ai_slots, voice, examples)
        schema = response_schema(ai_slots)
        while True:
            reply = client.chat(
                messages,
                json_schema=schema,
                temperature=temperature,
                max_tokens=64 + sum(s.max_chars for s in ai_slots) * 2,
            )
            tally.add(reply)
            parsed = parse_fields(reply.text, ai_slots)
            texts = {key: parsed[key] or texts[key] for key in parsed}
            if mode == "baseline" or retries >= max_retries:
                break
            over, missing, lost, other = _problems(texts, ai_slots, facts, brief)
            if not (over or missing or lost or other):
                break
            follow_up = shorten_prompt(over, missing, lost, other)
            if not _has_json(reply.text):
                follow_up = f"That was not a valid JSON object. {follow_up}"
            retries += 1
            messages += [{"role": "assistant", "content": reply.text}, {"role": "user", "content": follow_up}]
    return _assemble(brief, slots, voice, variant, texts, facts, tally, retries, mode, client.name, started)


_RECOVER_ORDER = {"subheadline": 0, "body": 0, "legal": 1, "badge": 2, "cta": 3, "headline": 4}


def _recover_facts(final, fallback, facts, writers, notes, slots) -> None:
    """Facts the LLM's fields lost after the retries come back through the deterministic writer's
    field that carries them (details first, the headline last)."""
    for slot in sorted((s for s in slots if s.ai_filled), key=lambda s: _RECOVER_ORDER.get(s.purpose, 2)):
        lost = lost_facts(facts, final)
        if not lost:
            return
        recovered = [fact for fact in lost if fact not in lost_facts([fact], {slot.key: fallback[slot.key]})]
        if recovered and writers.get(slot.key) == "llm":
            final[slot.key], writers[slot.key] = fallback[slot.key], "template"
            notes[slot.key] = f"the LLM's text lost {', '.join(recovered)}: the built-in writer's keeps it"


def _assemble(brief, slots, voice, variant, texts, facts, tally, retries, mode, writer, started) -> CopyResult:
    """Fit the LLM's fields; a field that is still unusable is taken from the deterministic writer."""
    lang = language(brief.offer)
    fallback = write_template(brief=brief, slots=slots, voice=voice, variant=variant).texts
    final, writers, notes, truncations = {}, {}, {}, 0
    for slot in slots:
        if not slot.ai_filled:
            final[slot.key] = slot.default_text
            continue
        raw = texts.get(slot.key, "")
        fitted = truncate_words(raw, slot.max_chars) if raw else ""
        truncations += fitted != raw and bool(raw)
        problems = llm_field_problems(fitted, lang=lang, max_chars=slot.max_chars, prompt=brief.offer)
        if mode == "baseline" and fitted:
            problems = []
        if problems:
            final[slot.key], writers[slot.key] = fallback[slot.key], "template"
            notes[slot.key] = f"the LLM's text was unusable ({'; '.join(problems)}): the built-in writer's is used"
        else:
            final[slot.key], writers[slot.key] = (typeset_ru(fitted) if lang == "ru" else fitted), "llm"
    _recover_facts(final, fallback, facts, writers, notes, slots)
    used_llm = any(w == "llm" for w in writers.values())
    stats = {
        "calls": tally.calls,
        "retries": retries,
        "truncations": truncations,
        "tokens": tally.tokens,
        "mode": mode,
        **_fact_stats(facts, final),
        "field_writers": writers,
        "field_notes": notes,
        "used_fallback": bool(writers) and not used_llm,
        "lang": lang,
        "seconds": round(time.perf_counter() - started, 4),
        "llm_seconds": round(tally.llm_seconds, 4),
    }
    if notes:
        stats["notice"] = (
            "The LLM's answer could not be used, so the built-in writer wrote the text."
            if not used_llm
            else f"The built-in writer filled {', '.join(notes)}: the LLM's text was unusable there."
        )
    return CopyResult(texts=final, writer=writer if used_llm or not writers else "template", stats=stats)
