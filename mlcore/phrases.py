"""Shorter forms of an offer's phrases, cut only where a phrase may end: at a preposition, after a
leading verb or adjective, never inside a fact, a quotation or parentheses, never on a function word.
English and Russian (pymorphy3 tells adjectives and nouns apart)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from mlcore.facts import fact_in
from mlcore.textcheck import dangling_end, is_function_word, ru_tag


def capitalize(text: str) -> str:
    first = text.split(" ", 1)[0]
    if not text or text[:2].isupper() or re.search(r"[./@]\w", first) or any(c.isupper() for c in first[1:]):
        return text  # an acronym, a brand like iPhone, a domain or an address keeps its case
    return text[:1].upper() + text[1:]


def decapitalize(text: str) -> str:
    first = text.split(" ", 1)[0]
    if len(first) > 1 and (first.isupper() or any(c.isupper() for c in first[1:])):
        return text  # an acronym or a brand keeps its case
    return text[:1].lower() + text[1:]


def clean_end(text: str, lang: str) -> str:
    """Drop trailing function words and marks until the phrase ends on a word that closes it."""
    text = text.lstrip(" ,;:—–-").rstrip(" ,;:—–-/&+(«\"'")
    while text and dangling_end(text, lang):
        cut = text.rsplit(" ", 1)
        text = cut[0].rstrip(" ,;:—–-/&+(«\"'") if len(cut) == 2 else ""
    return text


def fit_words(text: str, limit: int, lang: str, keep: Sequence[str] = (), whole: Sequence[str] = ()) -> str:
    """The longest word-boundary prefix within `limit` that ends cleanly, keeps the `keep` facts and
    never splits one of the `whole` facts ('1 500 руб', '8 800 555-35-35'); '' when there is none."""
    glued = text
    for fact in sorted({*keep, *whole, *(m.group() for m in QUOTE_SPAN.finditer(text))}, key=len, reverse=True):
        glued = glued.replace(fact, fact.replace(" ", "\x00"))
    words = glued.split(" ")
    for count in range(len(words), 0, -1):
        candidate = clean_end(" ".join(words[:count]).replace("\x00", " "), lang)
        if candidate and len(candidate) <= limit and all(fact_in(f, candidate) for f in keep):
            return candidate
    return ""


QUOTE_SPAN = re.compile(r"«[^»]*»|\"[^\"]*\"|“[^”]*”|\([^)]*\)")


def _inside_quotes(text: str, position: int) -> bool:
    return any(m.start() < position < m.end() for m in QUOTE_SPAN.finditer(text))


def _balanced(text: str) -> str:
    """Close a parenthesis or quote the cut left open ('Now $199 (was $299' → '… (was $299)')."""
    if text.startswith("(") and ")" in text:
        text = capitalize(text[1:].replace(")", "", 1).replace("  ", " "))
    if text.count("(") > text.count(")"):
        text += ")"
    if text.count("«") > text.count("»"):
        text += "»"
    return text


def has_content(text: str, facts: Sequence[str], lang: str) -> bool:
    rest = text
    for fact in facts:
        rest = rest.replace(fact, " ")
    return any(len(w) > 2 and not is_function_word(w, lang) for w in re.findall(r"[^\W\d_]+", rest))


def _left_trims(text: str, lang: str, book: dict, facts: Sequence[str]) -> list[str]:
    """'Кредитная карта со 120 днями' → 'Карта со 120 днями': leading adjectives dropped (Russian), or a
    leading verb of the phrasebook ('Get 10% cashback' → '10% cashback')."""
    words = text.split(" ")
    trims = []
    if len(words) > 1 and words[0].lower() in book["lead_verbs"]:
        trims.append(capitalize(" ".join(words[1:])))
    for drop in (1, 2):
        dropped = words[:drop]
        if len(words) - drop < 2:
            continue
        if lang == "ru" and all(_droppable_ru(w) for w in dropped):
            trims.append(capitalize(" ".join(words[drop:])))
        elif lang == "en" and drop == 1 and _EN_MODIFIER.search(dropped[0]) and words[1][:1].isalpha():
            trims.append(capitalize(" ".join(words[drop:])))
    trims += _head_and_benefit(words, lang, facts)
    return [t for t in trims if all(fact_in(f, t) for f in facts)]


# Adjectives that carry the offer: «Вторая пицца в подарок» is not «Пицца в подарок».
_RU_KEEP_LEMMAS = frozenset("бесплатный безлимитный беспроцентный двойной каждый любой весь".split())


def _droppable_ru(word: str) -> bool:
    tag = ru_tag(word.lower())
    return tag.POS in {"ADJF", "PRTF"} and "Anum" not in tag and _ru_lemma(word) not in _RU_KEEP_LEMMAS


def _ru_lemma(word: str) -> str:
    from mlcore.textcheck import ru_parse

    return ru_parse(word.lower()).normal_form


_EN_MODIFIER = re.compile(r"^[A-Za-z]+-[A-Za-z-]+$|^[A-Za-z]{4,}(?:ing|ed|al|ive|ic|ous|ful|less|able|ible|ary|ish)$")


def _head_and_benefit(words: list[str], lang: str, facts: Sequence[str]) -> list[str]:
    """'Груминг для кошек и собак от 1 800 руб' → 'Груминг от 1 800 руб': the first word or two, then the
    benefit from the preposition before it on ('от 49 ₽ в день', 'со скидкой 20%', 'from $0.10')."""
    text = " ".join(words)
    money = next((f for f in facts if re.search(r"\d\s?%|[$€£₽]|\d\s?(?:руб|р\.)", f)), "")
    position = text.find(money) if money else -1
    if position <= 0:
        return []
    before = text[:position].split()
    end = len(before) - (len(before) > 1 and not is_function_word(before[-1], lang))  # 'со [скидкой] 20%'
    start = end
    while start > 0 and is_function_word(before[start - 1].strip(",.;:"), lang):
        start -= 1  # the whole run of prepositions before the figure: 'со скидкой', 'up to'
    if start == end or start < 2:
        return []
    tail = " ".join(before[start:]) + " " + text[position:]
    forms = []
    if lang == "en":  # the thing priced stands right before its preposition: '… sourdough bread from $5'
        for head in (2, 1):
            words_ = before[start - head : start]
            if start - head >= 1 and not any(is_function_word(w, lang) or re.search(r"[,.;:!?]", w) for w in words_):
                forms.append(capitalize(f"{' '.join(words_)} {tail}"))
        return forms
    for head in (2, 1):
        words_ = before[:head]
        if ru_tag(words_[-1].lower()).POS != "NOUN":
            continue  # 'Персональные от 1 200 ₽' has lost its noun
        if start > head and not any(is_function_word(w, lang) or re.search(r"[,.;:!?]", w) for w in words_):
            forms.append(f"{' '.join(words_)} {tail}")
    return forms


def tail_forms(text: str, lang: str, book: dict, facts: Sequence[str], *, keep_preposition: bool) -> list[str]:
    """The end of a phrase from a preposition on, keeping `facts` ('бесплатно за 10 минут' → 'За 10 минут')."""
    cut = re.compile(rf"\s(?=(?:{'|'.join(map(re.escape, book['cut_before']))})\s)", re.I)
    tails = []
    for match in cut.finditer(text):
        if _inside_quotes(text, match.end()):
            continue
        tail = text[match.end() :]
        if not keep_preposition:
            tail = tail.split(" ", 1)[1] if " " in tail else ""
        if tail and facts and all(fact_in(f, tail) for f in facts) and has_content(tail, facts, lang):
            tails.append(capitalize(tail))
    return tails


def phrase_forms(text: str, lang: str, book: dict, facts: Sequence[str]) -> list[str]:
    """Shorter forms of a phrase cut at phrase boundaries, each keeping `facts`: without a leading
    verb or adjective, without trailing prepositional phrases ('… on every purchase'), or from a
    preposition on ('Use code X for $10 off …' → '$10 off …'). Never inside quotes."""
    starts = [text, *_left_trims(text, lang, book, facts)]
    cut = re.compile(rf"\s(?=(?:{'|'.join(map(re.escape, book['cut_before']))})\s)", re.I)
    benefit = [f for f in facts if re.search(r"\d\s?%|[$€£₽]|\d\s?(?:руб|р\.)", f)]
    if benefit:
        # English drops the preposition ('$10 off …'); Russian keeps it, or the noun is in an oblique case
        starts += tail_forms(text, lang, book, facts, keep_preposition=lang == "ru")
    forms = []
    for start in starts:
        forms.append(start)
        for match in reversed(list(cut.finditer(start))):
            if _inside_quotes(start, match.start()):
                continue
            head = clean_end(start[: match.start()], lang)
            last_piece = re.split(r"[,;:—–]", head)[-1].split()
            if head != head.rstrip() or (len(last_piece) < 2 and re.search(r"[,;:—–]", head)):
                continue  # '… eggs, straight' would end on a piece of the next clause
            if head and all(fact_in(f, head) for f in facts):
                forms.append(head)
    forms = [_balanced(form) for form in forms]
    return [form for form in dict.fromkeys(forms) if not dangling_end(form, lang)]


def chunk(words: list[str], lang: str, *, backwards: bool = False) -> list[str]:
    """Words next to a fact up to the first function word or mark (at most 3): a noun phrase, roughly.
    A dash or a quote ends it: a phrase is never taken out of a quotation."""
    chunk = []
    for word in words[:3]:
        bare = word.strip(',.;:!?()«»"“”')
        if (
            not bare
            or not any(c.isalnum() for c in bare)
            or is_function_word(bare, lang)
            or bare.lower() in {"and", "и"}
        ):
            break
        inner, outer = (word[-1], word[0]) if backwards else (word[0], word[-1])
        if inner in '«»()"“”' or (backwards and outer in ",.;:!?"):
            break
        chunk.append(bare)
        if bare != word:
            break  # punctuation closes the phrase
    return chunk
