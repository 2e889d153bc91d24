"""The deterministic writer: banner copy composed from a parsed offer, no LLM needed.

headline = main benefit (+ subject), subheadline = the other facts and conditions, CTA by kind of
offer and tone, legal = the conditions. Phrases come from the offer itself, cut only at clause and
phrase boundaries, so a field never ends mid-phrase; glue words and calls to action come from a
per-language phrasebook designers edit (`banners/copy_rules/writer/<lang>.json`). When a format has
no room for every fact, a fixed priority decides (benefit, code, deadline, rest) and what was
dropped is reported.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from mlcore.facts import Fact, fact_fields, fact_in, key_facts
from mlcore.layout import TextSlot
from mlcore.offer import Clause, Offer, parse_offer
from mlcore.phrases import (
    capitalize,
    chunk,
    clean_end,
    decapitalize,
    fit_words,
    has_content,
    phrase_forms,
    tail_forms,
)
from mlcore.textcheck import (
    NBSP,
    dangling_end,
    field_problems,
    is_degenerate,
    is_fragment,
    is_function_word,
    language,
    repeated_words,
    ru_parse,
    typeset_ru,
    words,
    wrong_language,
)

ORDER = {"headline": 0, "badge": 1, "subheadline": 2, "body": 2, "cta": 3, "legal": 4}


@lru_cache(maxsize=8)
def load_phrasebook(folder: str) -> dict[str, dict]:
    """{'en': {...}, 'ru': {...}} from `<folder>/<lang>.json`."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(Path(folder).glob("*.json"))}


@dataclass
class Unit:
    """A stretch of the offer's own words: one clause or several neighbours of one sentence."""

    text: str
    clauses: tuple[int, ...]
    priority: int
    facts: tuple[str, ...]


@dataclass
class Draft:
    offer: Offer
    book: dict
    variant: int
    tone: str
    description: str
    platform: str = ""
    used: set[int] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return self.offer.lang

    def kept(self, fact: str) -> bool:
        return any(fact_in(fact, text) for text in self.texts.values())


# -- units of the offer -------------------------------------------------------------------------


def _units(offer: Offer, skip: set[int]) -> list[Unit]:
    """Runs of unused neighbouring clauses of one sentence, as the offer wrote them."""
    units: list[Unit] = []
    run: list[int] = []
    for index, clause in enumerate(offer.clauses):
        if index in skip:
            if run:
                units.append(_unit(offer, run))
            run = []
            continue
        if run and offer.clauses[run[-1]].sentence != clause.sentence:
            units.append(_unit(offer, run))
            run = []
        run.append(index)
    if run:
        units.append(_unit(offer, run))
    return units


def _unit(offer: Offer, indices: list[int]) -> Unit:
    clauses = [offer.clauses[i] for i in indices]
    return Unit(
        text=capitalize(offer.sentence_text(indices[0], indices[-1])),
        clauses=tuple(indices),
        priority=min(c.priority for c in clauses),
        facts=tuple(f.text for c in clauses for f in c.facts),
    )


def _split(offer: Offer, unit: Unit) -> list[Unit]:
    return [_unit(offer, [i]) for i in unit.clauses] if len(unit.clauses) > 1 else []


# -- slots --------------------------------------------------------------------------------------


def _main_clause(clauses: list[Clause]) -> int:
    for index, clause in enumerate(clauses):
        if clause.role == "benefit" and any(f.kind in {"percent", "money"} for f in clause.facts):
            return index
    for role in ("benefit", "code", "deadline"):
        for index, clause in enumerate(clauses):
            if clause.role == role and (clause.facts or role == "benefit"):
                return index
    return 0


def _has_subject(text: str) -> bool:
    return len([w for w in re.findall(r"[^\W\d_]{3,}", text)]) >= 2


def _covered(offer: Offer, indices: Sequence[int], text: str) -> tuple[int, ...]:
    """Clauses the headline took whole or in part (their other facts are placed later, by label)."""
    lowered = text.lower()

    def taken(clause: Clause) -> bool:
        words = clause.text.lower().split()
        return " ".join(words[:3]) in lowered or " ".join(words[-3:]) in lowered or clause.text.lower() in lowered

    return tuple(i for i in indices if taken(offer.clauses[i]))


def headline_options(draft: Draft) -> list[tuple[str, tuple[int, ...]]]:
    """Candidate headlines: runs of clauses around the main benefit as the offer wrote them, and
    shorter forms of them cut at phrase boundaries ('Spring sale: 50% discount')."""
    offer, book = draft.offer, draft.book
    if not offer.clauses:
        return [(offer.brand, ())] if offer.brand else []
    main = _main_clause(offer.clauses)
    sentence = offer.clauses[main].sentence
    benefits = [f.text for f in offer.clauses[main].facts if f.kind in {"percent", "money"}]
    main_facts = benefits[:1] or [f.text for f in offer.clauses[main].facts][:1]
    options: list[tuple[str, tuple[int, ...]]] = []
    for last in range(min(len(offer.clauses) - 1, main + 2), main - 1, -1):
        if offer.clauses[last].sentence != sentence:
            continue
        indices = tuple(range(main, last + 1))
        text = capitalize(offer.sentence_text(main, last))
        options += [(form, _covered(offer, indices, form)) for form in phrase_forms(text, offer.lang, book, main_facts)]
    if main > 0 and offer.clauses[main - 1].sentence == sentence:
        before = offer.clauses[main - 1]
        glue = offer.text[before.end : offer.clauses[main].start]
        glue = ": " if glue.strip() in {":", "—", "–", "-", ","} else glue
        base = [(text, covered) for text, covered in options if not _is_tail(draft, text)]
        for head in phrase_forms(capitalize(before.text), offer.lang, book, [f.text for f in before.facts]):
            for text, covered in base:
                joined = f"{head}{glue}{text if glue.strip() in {'.', '!', '?'} else decapitalize(text)}"
                options.append((joined, (main - 1, *covered) if before.text in joined else covered))
        run = capitalize(offer.sentence_text(main - 1, main))
        options += [
            (form, _covered(offer, (main - 1, main), form)) for form in phrase_forms(run, offer.lang, book, main_facts)
        ]
    if offer.brand:
        options += [
            (book["brand_join"].format(brand=offer.brand, text=decapitalize(text)), covered)
            for text, covered in list(options)
            if not _has_subject(text)
        ]
    return options


def _score(text: str, draft: Draft, covered: tuple[int, ...]) -> tuple:
    facts = [f for i in covered for f in draft.offer.clauses[i].facts] if covered else []
    kept = [f for f in facts if fact_in(f.text, text)]
    best = min((f.priority for f in kept), default=9)
    own = not (draft.offer.brand and text.startswith(f"{draft.offer.brand}:"))
    return (-best, not _is_tail(draft, text), len(kept), _has_subject(text), own, len(text))


def _is_tail(draft: Draft, text: str) -> bool:
    """A form cut from after a preposition ('A fashion retailer: …' from '… sale of a fashion retailer'), or
    starting with one ('За 0 ₽ …'): the subject of the phrase was left behind."""
    first = text.split(" ", 1)[0]
    if is_function_word(first.strip(",.:"), draft.lang) and first.lower() not in {"up", "only", "now"}:
        return True
    words = draft.offer.text.lower().split()
    start = " ".join(text.lower().split()[:2])
    for index in range(1, len(words)):
        if " ".join(words[index : index + 2]).startswith(start):
            return is_function_word(words[index - 1], draft.lang) and words[index - 1] in draft.book["cut_before"]
    return False


def write_headline(draft: Draft, slot: TextSlot) -> str:
    stated = draft.offer.request.headline
    if stated and len(stated) <= slot.max_chars:
        return stated
    fitting = [
        (text, covered)
        for text, covered in headline_options(draft)
        if len(text) <= slot.max_chars and not field_problems(text, lang=draft.lang, max_chars=slot.max_chars)
    ]
    if not fitting:
        main = draft.offer.clauses[_main_clause(draft.offer.clauses)] if draft.offer.clauses else None
        benefit = next((f for f in (main.facts if main else []) if f.kind in {"percent", "money"}), None)
        if benefit is not None:  # no phrase of the offer fits: the benefit in a few words of its own
            phrases = [p for p in _mini_phrases(draft, benefit) if len(p) <= slot.max_chars]
            content = sorted((p for p in phrases if has_content(p, [benefit.text], draft.lang)), key=len, reverse=True)
            joined = [book_join(draft, _label(draft, benefit))] if draft.offer.brand else []
            for text in [*content, *joined, *phrases]:
                if len(text) <= slot.max_chars and not field_problems(text, lang=draft.lang, max_chars=slot.max_chars):
                    draft.used.add(draft.offer.clauses.index(main))
                    return text
        source = main.text if main else draft.offer.brand or draft.offer.text
        whole = [f.text for f in draft.offer.facts]
        text = fit_words(capitalize(source), slot.max_chars, draft.lang, whole=whole) or fit_words(
            capitalize(draft.offer.text), slot.max_chars, draft.lang, whole=whole
        )
        if main is not None and text and not is_degenerate(text):
            draft.used.add(draft.offer.clauses.index(main))
        return text if not is_degenerate(text) else ""
    fitting.sort(key=lambda option: _score(option[0], draft, option[1]), reverse=True)
    top = _score(fitting[0][0], draft, fitting[0][1])[:2]
    equals = [option for option in fitting if _score(option[0], draft, option[1])[:2] == top]
    text, covered = equals[(draft.variant - 1) % min(len(equals), 3)]
    draft.used.update(covered)
    return text


def _mini_phrases(draft: Draft, fact: Fact) -> list[str]:
    """A fact with the words that say what it is, shortest first: '3 million pallets', 'next cohort
    starts September 2', 'уже 10 лет'. A bare number with a preposition ('over 3') is not one."""
    text, lang = draft.offer.text, draft.lang
    after = chunk(text[fact.end :].split(), lang)
    preceding = text[: fact.start].split()
    before = list(reversed(chunk(list(reversed(preceding)), lang, backwards=True)))
    phrases = []
    if after:
        phrases.append(f"{fact.text} {' '.join(after)}")
    if before:
        phrases.append(f"{' '.join(before)} {fact.text}")
    if fact.kind not in {"number"} or re.search(r"[^\W\d_]{2,}", fact.text):
        previous = text[: fact.start].split()[-1:]
        if previous and is_function_word(previous[0].strip(",.;:"), lang) and previous[0][-1] not in ",.;:":
            phrases.append(f"{previous[0]} {fact.text}")
    phrases = [capitalize(clean_end(p, lang)) for p in phrases]
    return sorted((p for p in phrases if fact_in(fact.text, p) and _whole_facts(draft, p)), key=len)


def _whole_facts(draft: Draft, phrase: str) -> bool:
    """No other fact of the offer is cut by the phrase ('1 сентября … цена 59' cuts '59 900 ₽')."""
    words = set(phrase.lower().replace(NBSP, " ").split())
    for fact in draft.offer.facts:
        tokens = fact.text.lower().split()
        if len(tokens) > 1 and words & set(tokens) and not fact_in(fact.text, phrase):
            return False
    return not dangling_end(phrase, draft.lang)


def book_join(draft: Draft, text: str) -> str:
    return draft.book["brand_join"].format(brand=draft.offer.brand, text=decapitalize(text))


def _label(draft: Draft, fact: Fact) -> str:
    return draft.book["labels"][fact.kind].format(fact=fact.text)


def write_details(draft: Draft, slot: TextSlot, *, with_brand: bool = True) -> str:
    """The subheadline or body: the offer's other units by priority, then short labels for facts
    that still have no place, then the brand or a phrase of the tone when nothing is left."""
    limit, joiner = slot.max_chars, ". "
    parts: list[str] = []
    headline = draft.texts.get("headline", "") or next(iter(draft.texts.values()), "")

    def room(extra: str) -> bool:
        return len(joiner.join([*parts, extra])) <= limit

    units = sorted(_units(draft.offer, draft.used), key=lambda u: (u.priority, u.clauses[0]))
    queue = list(units)
    while queue:
        unit = queue.pop(0)
        if (
            any(fact_in(f, " ".join(parts)) for f in unit.facts)
            and all(fact_in(f, " ".join(parts)) for f in unit.facts)
            and unit.facts
        ):
            continue
        text = clean_end(unit.text, draft.lang)
        if len(repeated_words(headline, text, draft.lang)) >= 2 or is_degenerate(text) or is_fragment(text, draft.lang):
            continue
        if text and room(text):
            parts.append(text)
            draft.used.update(unit.clauses)
            continue
        smaller = _split(draft.offer, unit)
        if smaller:
            queue = sorted(smaller + queue, key=lambda u: (u.priority, u.clauses[0]))
            continue
        short = next((form for form in phrase_forms(text, draft.lang, draft.book, unit.facts)[1:] if room(form)), "")
        if short:
            parts.append(short)
            draft.used.update(unit.clauses)
    missing = [f for f in draft.offer.facts if not draft.kept(f.text) and not fact_in(f.text, " ".join(parts))]
    for fact in sorted(missing, key=lambda f: f.priority):
        if fact_in(fact.text, " ".join(parts)):
            continue
        chosen = next(
            (f for f in _fact_forms(draft, fact, headline) if room(f) and not is_degenerate(" ".join([*parts, f]))), ""
        )
        if chosen:
            parts.append(chosen)
    compact = _compact_details(draft, limit, headline)
    if _kept_count(draft, compact) > _kept_count(draft, joiner.join(parts)):
        parts = [compact]  # a long offer: its facts, each in a few words, say more than its sentences
    brand = draft.offer.brand
    if with_brand and brand and not any(brand.lower() in t.lower() for t in [*draft.texts.values(), *parts]):
        joined = f"{brand} — {decapitalize(joiner.join(parts))}" if parts else brand
        if len(joined) <= limit and len(brand) >= 3:
            in_description = brand.lower() in draft.description.lower()[: len(brand) + 40]
            return joined if parts else _with_fallback(draft, [] if in_description else [brand], limit, headline)
    if not parts:
        return _with_fallback(draft, [], limit, headline)
    return joiner.join(parts)


def _fact_forms(draft: Draft, fact: Fact, headline: str) -> list[str]:
    """Ways to say one fact, longest first: its clause or a piece of it, a few words around it, a label."""
    clause = next((c for c in draft.offer.clauses if fact in c.facts), None)
    forms = []
    if clause is not None:
        source = capitalize(clean_end(clause.text, draft.lang))
        forms = phrase_forms(source, draft.lang, draft.book, [fact.text])
        forms += tail_forms(source, draft.lang, draft.book, [fact.text], keep_preposition=True)
    forms = [
        f
        for f in forms
        if fact_in(fact.text, f) and not is_degenerate(f) and len(repeated_words(headline, f, draft.lang)) < 2
    ]
    forms += _mini_phrases(draft, fact)
    if clause is not None and is_degenerate(clause.text) and fact.kind in {"date", "time"}:
        forms.append(draft.book["labels"]["when"].format(fact=clause.text))
    if fact.kind not in {"time", "number"}:
        forms.append(_label(draft, fact))
    return forms


def _compact_details(draft: Draft, limit: int, headline: str) -> str:
    """Every fact the other fields lack in its shortest words, by priority: for offers too long to quote."""
    parts: list[str] = []
    for fact in sorted(draft.offer.facts, key=lambda f: f.priority):
        if draft.kept(fact.text) or fact_in(fact.text, " ".join(parts)):
            continue
        forms = sorted(
            (f for f in _fact_forms(draft, fact, headline) if has_content(f, [fact.text], draft.lang)), key=len
        )
        chosen = next((f for f in forms if len(". ".join([*parts, f])) <= limit), "")
        if chosen:
            parts.append(chosen)
    return ". ".join(parts)


def _kept_count(draft: Draft, text: str) -> int:
    return sum(1 for f in draft.offer.facts if not draft.kept(f.text) and fact_in(f.text, text))


def write_body(draft: Draft, slot: TextSlot, voice_ctas: Sequence[str]) -> str:
    """A free text (a post, a body slot): the headline's benefit first, the details, a call to action."""
    limit = slot.max_chars
    if "headline" in draft.texts:
        return write_details(draft, slot)
    head = write_headline(draft, dataclasses.replace(slot, max_chars=min(limit, 60)))
    draft.texts["headline"] = head
    rest = write_details(draft, dataclasses.replace(slot, max_chars=max(1, limit - len(head) - 2)), with_brand=False)
    del draft.texts["headline"]
    text = ". ".join(p for p in (head, rest) if p)
    cta = write_cta(draft, dataclasses.replace(slot, max_chars=max(1, limit - len(text) - 3)), voice_ctas)
    if cta and len(f"{text}. {cta}!") <= limit:
        text = f"{text}. {cta}!"
    return text if len(text) <= limit else fit_words(text, limit, draft.lang, whole=[f.text for f in draft.offer.facts])


def _with_fallback(draft: Draft, parts: list[str], limit: int, headline: str) -> str:
    """Nothing of the offer is left: the product description, else a phrase of the tone."""
    candidates = []
    if draft.description:
        first = re.split(r"(?<=[.!?])\s+", draft.description.strip())[0].rstrip(".!")
        candidates.append(first)
    by_kind = draft.book.get("kind_subheadlines", {}).get(draft.offer.kind, [])
    by_tone = draft.book["subheadlines"].get(draft.tone) or draft.book["subheadlines"]["professional"]
    for phrases in (by_kind, by_tone):
        candidates += [phrases[(draft.variant - 1 + i) % len(phrases)] for i in range(len(phrases))]
    for candidate in candidates:
        text = ". ".join([*parts, candidate])
        if len(text) <= limit and len(repeated_words(headline, candidate, draft.lang)) < 2:
            return text
        clause = clean_end(re.split(r"[,;:—–]", candidate)[0], draft.lang)
        if clause and len(". ".join([*parts, clause])) <= limit and _has_subject(clause):
            if len(repeated_words(headline, clause, draft.lang)) < 2:
                return ". ".join([*parts, clause])
    return ". ".join(parts)


def write_cta(draft: Draft, slot: TextSlot, voice_ctas: Sequence[str]) -> str:
    limit, book = slot.max_chars, draft.book
    stated = capitalize(draft.offer.request.cta)
    if stated and len(stated) <= limit and not wrong_language(stated, draft.lang):
        return stated
    codes = [f for f in draft.offer.facts if f.kind == "code" and not draft.kept(f.text)]
    if codes:
        for template in book["code_ctas"]:
            text = template.format(code=codes[0].text)
            if len(text) <= limit:
                return text
    # The kind of offer decides first ('Book a ride'); an offer of no known kind takes the platform's
    # (LinkedIn: 'Request a demo') or the tone's ('Don't miss out') before the plain default.
    kind = book["ctas"].get(draft.offer.kind, []) if draft.offer.kind != "default" else []
    platform = book.get("platform_ctas", {}).get(draft.platform, [])
    candidates = [*kind, *platform, *voice_ctas] or book["ctas"]["default"]
    shift = (draft.variant - 1) % len(candidates)
    for text in [*candidates[shift:], *candidates[:shift], *book["ctas"]["default"]]:
        if len(text) <= limit:
            return text
    return min(book["ctas"]["default"], key=len)[:limit]


def write_legal(draft: Draft, slot: TextSlot) -> str:
    """The conditions of the offer in the offer's words, then the standard line."""
    limit, book = slot.max_chars, draft.book
    others = {i for i, c in enumerate(draft.offer.clauses) if c.role not in {"code", "deadline", "condition", "where"}}
    parts: list[str] = []
    for unit in sorted(_units(draft.offer, others), key=lambda u: (u.priority, u.clauses[0])):
        for piece in [unit, *_split(draft.offer, unit)]:
            text = capitalize(clean_end(piece.text, draft.lang))
            if text and len(" ".join([*parts, text + "."])) <= limit:
                parts.append(text + ".")
                break
    endings = book["legal"]["suffix"] if parts else book["legal"]["none"]
    for ending in endings[(draft.variant - 1) % len(endings) :] + endings:
        if len(" ".join([*parts, ending])) <= limit:
            return " ".join([*parts, ending])
    return " ".join(parts) or fit_words(endings[0], limit, draft.lang)


def write_badge(draft: Draft, slot: TextSlot) -> str:
    benefit = next((f.text for f in draft.offer.facts if f.kind in {"percent", "money"}), "")
    if benefit and len(benefit) <= slot.max_chars:
        return benefit
    return fit_words(draft.offer.brand, slot.max_chars, draft.lang)


# -- the writer ---------------------------------------------------------------------------------


def write_deterministic(
    *,
    offer: str,
    product: str,
    description: str,
    tone: str,
    slots: Sequence[TextSlot],
    phrasebook: dict[str, dict],
    platform: str = "",
    voice_ctas: dict[str, Sequence[str]] | None = None,
    variant: int = 1,
) -> tuple[dict[str, str], dict]:
    """Texts for every slot and what the writer knows about them (facts kept and dropped, per field)."""
    started = time.perf_counter()
    parsed = parse_offer(offer, product=product, description=description)
    book = phrasebook.get(parsed.lang) or phrasebook["en"]
    draft = Draft(offer=parsed, book=book, variant=variant, tone=tone, description=description, platform=platform)
    ctas = (voice_ctas or {}).get(parsed.lang, ())
    for slot in sorted(slots, key=lambda s: ORDER.get(s.purpose, 2)):
        if not slot.ai_filled:
            text = slot.default_text
        elif slot.purpose == "headline":
            text = write_headline(draft, slot) or fit_words(
                capitalize(parsed.text or parsed.brand),
                slot.max_chars,
                parsed.lang,
                whole=[f.text for f in parsed.facts],
            )
        elif slot.purpose == "subheadline":
            text = write_details(draft, slot)
        elif slot.purpose == "body":
            text = write_body(draft, slot, ctas)
        elif slot.purpose == "cta":
            text = write_cta(draft, slot, ctas)
        elif slot.purpose == "legal":
            text = write_legal(draft, slot)
        else:
            text = write_badge(draft, slot)
        draft.texts[slot.key] = text
    texts = {slot.key: draft.texts[slot.key] for slot in slots}
    if parsed.lang == "ru":
        texts = {key: typeset_ru(text) for key, text in texts.items()}
    facts = key_facts(parsed.text) if parsed.request.is_request else [f.text for f in _unique(parsed.facts)]
    placed = fact_fields(facts, texts)
    info = {
        "lang": parsed.lang,
        "kind": parsed.kind,
        "facts": facts,
        "fact_fields": placed,
        "facts_kept": list(placed),
        "facts_dropped": [fact for fact in facts if fact not in placed],
        "request": _request_info(parsed) if parsed.request.is_request else {},
        "seconds": round(time.perf_counter() - started, 5),
    }
    return texts, info


def _unique(facts: Sequence[Fact]) -> list[Fact]:
    seen, out = set(), []
    for fact in facts:
        if fact.text not in seen:
            seen.add(fact.text)
            out.append(fact)
    return out


def _request_info(offer: Offer) -> dict:
    request = offer.request
    return {
        "offer": offer.text,
        "cta": request.cta,
        "colors": request.colors,
        "audience": request.audience,
        "purpose": request.purpose,
    }


def hashtags(text: str, *, industry: str = "", limit: int = 3) -> list[str]:
    """Hashtags from the first content words of the offer (and the industry), lower case; Russian
    nouns in their dictionary form (#кофе, #капучино)."""
    lang = language(text)
    found = [w for w in words(f"{industry} {text}") if len(w) > 3 and not is_function_word(w, lang)]
    if lang == "ru":
        found = [p.normal_form for p in (ru_parse(w) for w in found) if p.tag.POS == "NOUN"]
    tags = dict.fromkeys(w.lower() for w in found if w.isalpha())
    return [f"#{tag}" for tag in list(tags)[:limit]]
