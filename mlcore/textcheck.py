"""Checks every writer's banner texts must pass, and Russian typography.

A field is unusable when it is empty or degenerate ("00", "."), ends on a function word or mid-phrase
("… with", "… по"), is in the wrong language, or echoes the prompt. The same checks judge the LLM's
fields, the deterministic writer's, the tests and the benchmark, so "fits and reads" means one thing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

EN_FUNCTION_WORDS = frozenset(
    """a an the and or but nor so yet if than that which who whom whose this these those of in on at to for
    from by with without into onto upon about above below over under between among through during before after
    until till via per as than like near off our your my their his her its is are was
    were be been being am do does did has have had will would can could shall should may might must not no
    every each any some all both either neither more most less least such very just also even only up down
    out own same other another what when where why how whether while because since unless although though
    get got let make plus minus versus vs including except instead within without toward towards against
    whose whom starting beginning ending offering featuring""".split()
)
# "off" ends many good headlines ("20% off"); it is a function word only inside a phrase.
EN_END_OK = frozenset({"off", "up", "out", "more", "now", "free", "only", "too"})
RU_FUNCTION_POS = frozenset({"PREP", "CONJ", "PRCL", "NPRO"})
RU_EXTRA_FUNCTION = frozenset("плюс минус включая кроме вместо около после перед через также либо".split())
RU_END_OK = frozenset({"же", "ли", "всё", "все", "это", "нас", "вас", "нам", "вам", "ещё", "тоже", "себя", "всех"})
_WORD = re.compile(r"[A-Za-zА-Яа-яЁё]+(?:['’-][A-Za-zА-Яа-яЁё]+)*")
_BAD_END = ",;:-–—/&+(«„“\"'"
NBSP = "\u00a0"
_ADDRESS = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,12}\b\S*", re.I)


@lru_cache(maxsize=1)
def morph():
    """pymorphy3's analyser, loaded once (about 0.2 s)."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def ru_parse(word: str):
    """pymorphy3's likeliest reading of a Russian word (cached in ru_parses: the same words come back all day)."""
    return ru_parses(word)[0]


@lru_cache(maxsize=20000)
def ru_parses(word: str) -> tuple:
    """All of pymorphy3's readings of a Russian word, likeliest first."""
    return tuple(morph().parse(word.lower()))


def ru_tag(word: str):
    return ru_parse(word).tag


def language(text: str) -> str:
    """'ru' when a third of the letters are Cyrillic, else 'en'."""
    letters = [c for c in text if c.isalpha()]
    cyrillic = sum("а" <= c.lower() <= "я" or c in "ёЁ" for c in letters)
    return "ru" if letters and cyrillic > len(letters) / 3 else "en"


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def is_function_word(word: str, lang: str) -> bool:
    lowered = word.lower()
    if lang == "ru" and re.fullmatch(r"[а-яё-]+", lowered):
        if lowered in RU_EXTRA_FUNCTION:
            return True
        return lowered not in RU_END_OK and ru_tag(lowered).POS in RU_FUNCTION_POS
    return lowered in EN_FUNCTION_WORDS


def dangling_end(text: str, lang: str) -> str:
    """The word or mark a field must not end on ('' when it ends cleanly)."""
    stripped = text.rstrip(" .!?…" + NBSP)
    if not stripped:
        return ""
    if stripped[-1] in _BAD_END:
        return stripped[-1]
    tail = re.search(r"([A-Za-zА-Яа-яЁё]+)\W*$", stripped)
    if tail is None or not stripped.rstrip('»”")').endswith(tail.group(1)):
        return ""
    word = tail.group(1)
    if tail.start(1) > 0 and stripped[tail.start(1) - 1].isdigit():
        return ""  # a unit glued to its number: 3am, 5x, 10k
    if lang == "en" and word.lower() in EN_END_OK:
        return ""
    return word if is_function_word(word, lang) else ""


def is_degenerate(text: str) -> bool:
    """Empty, punctuation only, or a bare number without a word ("00", ".", "–20")."""
    letters = sum(c.isalpha() for c in text)
    return letters < 2 or not words(text)


_PRONOUNS = frozenset("i you he she it we they me him us them это он она оно они мы вы я ты вас нас".split())


def is_fragment(text: str, lang: str) -> bool:
    """A piece with no content word ('And if you', 'и для вас'): function words and pronouns only."""
    content = [w for w in words(text) if not is_function_word(w, lang) and w.lower() not in _PRONOUNS]
    return not content and not re.search(r"\d", text)


def wrong_language(text: str, lang: str) -> bool:
    """A field in the other alphabet (codes, brands and URLs in Latin are fine on a Russian banner)."""
    found = [w for w in words(_ADDRESS.sub(" ", text)) if len(w) > 2 and not w.isupper()]
    if not found:
        return False
    cyrillic = sum(bool(re.search("[а-яё]", w, re.I)) for w in found)
    if lang == "ru":
        return cyrillic == 0 and len(found) >= 2
    return cyrillic > len(found) / 2


def echoes(text: str, prompt: str) -> bool:
    """The field repeats the user's prompt rather than writing from it."""
    if len(prompt) < 40 or len(text) < 30:
        return False
    return fuzz.ratio(text.lower(), prompt.lower()) > 90 or prompt.lower().startswith(text.lower().rstrip(".…"))


def _stem(word: str) -> str:
    return word.lower()[:5]


def repeated_words(headline: str, other: str, lang: str) -> list[str]:
    """Content words of the headline that come back in another field."""
    heads = {_stem(w) for w in words(headline) if len(w) > 3 and not is_function_word(w, lang)}
    return [w for w in words(other) if len(w) > 3 and _stem(w) in heads and not w.isupper()]


def field_problems(text: str, *, lang: str, max_chars: int, prompt: str = "") -> list[str]:
    """Why a field cannot go on a banner, in words ('' list when it can)."""
    problems = []
    if not text.strip():
        return ["empty"]
    if len(text) > max_chars:
        problems.append(f"{len(text)} characters, the limit is {max_chars}")
    if is_degenerate(text):
        problems.append("no words")
    end = dangling_end(text, lang)
    if end:
        problems.append(f"ends on {end!r}")
    if wrong_language(text, lang):
        problems.append("wrong language")
    if prompt and echoes(text, prompt):
        problems.append("repeats the prompt")
    return problems


# -- Russian typography -------------------------------------------------------------------------

_SHORT_WORD = re.compile(r"(?<![\w-])([А-Яа-яЁёA-Za-z]{1,2}) (?=\S)")
_NUMBER_UNIT = re.compile(
    r"(\d) (?=%|₽|\$|€|руб|р\.|коп|тыс|млн|млрд|мин|ч\b|час|сек|дн|ден|нед|мес|лет|год|км|м\b|кг|г\b|л\b|мл|шт|"
    r"gb|гб|мб|тб|чел|раз|штук|январ|феврал|март|апрел|ма[яй]|июн|июл|август|сентябр|октябр|ноябр|декабр|%)",
    re.I,
)
_THOUSANDS = re.compile(r"(?<=\d) (?=\d{3}\b)")
_DASH = re.compile(r"\s+[-–—]\s+")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|„([^“”]+)[“”]")


def typeset_ru(text: str) -> str:
    """«» quotes, a non-breaking space after one- and two-letter words, in numbers and before units,
    a spaced em dash (non-breaking before it). The length never changes."""
    text = _QUOTED.sub(lambda m: f"«{next(g for g in m.groups() if g is not None)}»", text)
    text = _DASH.sub(lambda m: f"{NBSP}— " if len(m.group()) == 3 else m.group(), text)
    text = _THOUSANDS.sub(NBSP, text)
    text = _NUMBER_UNIT.sub(lambda m: m.group(1) + NBSP, text)
    return _SHORT_WORD.sub(lambda m: m.group(1) + NBSP, text)
