"""An offer read into parts: brand, clauses with roles (benefit, code, deadline, condition, where,
info), facts and the kind of action it asks for. English and Russian.

A design request instead of an offer is read by mlcore.request first.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

import razdel

from mlcore.facts import Fact, find_facts
from mlcore.request import SIZE, Request, read_request
from mlcore.textcheck import language

ROLES = ("benefit", "code", "deadline", "condition", "where", "info")
ROLE_ORDER = {role: index for index, role in enumerate(ROLES)}

_BENEFIT = {
    "en": re.compile(
        r"\d\s?%|[$€£₽]\s?\d|\bfree\b|\boff\b|discount|\bsav(?:e|es|ing)\b|cash\s?back|bonus|\bgifts?\b|\bsale\b|"
        r"\bdeals?\b|half[- ]price|\bbogo\b|\d\s?(?:for|\+)\s?\d|buy \d+,? get|for the price of|\btrials?\b|"
        r"no (?:annual |monthly |hidden |setup |delivery )?(?:fees?|commission|interest)|lowest|\bpoints\b|"
        r"\bmiles\b|upgrade|\bextra\b|double|twice|faster|\breward|complimentary|guarantee|\bonly\b.*\d|"
        r"\bfrom\b.*\d|\bunder\b.*\d|\bwin\b|\bprize",
        re.I,
    ),
    "ru": re.compile(
        r"\d\s?%|[$€£₽]|\d\s?(?:руб|р\.|тыс)|скидк|бесплатн|подар|кэшб[эе]к|кешб[эе]к|бонус|выгод|распродаж|"
        r"\bакци|дешевле|эконом|полцены|\d\s?\+\s?\d|по цене|пробн|без (?:комисси|переплат|процент|предоплат)|"
        r"всего за|\bот\s\d|балл|двойн|быстр|минут|розыгрыш|приз|\bдаром\b|выгодн|спецпредложени|льгот",
        re.I,
    ),
}
_OPENERS = {
    "en": [
        ("code", r"(?:with|using|use|enter|apply)\s+(?:the\s+|our\s+)?(?:promo\s*|discount\s*|coupon\s*)?code\b"),
        ("code", r"(?:promo\s*|discount\s*|coupon\s*)code\b"),
        ("deadline", r"(?:valid\s+|only\s+|offer\s+ends\s+|ends\s+|ending\s+)?(?:until|till|through|thru|before)\b"),
        ("deadline", r"(?:offer\s+)?(?:ends|expires)\b"),
        ("deadline", r"(?:only\s+)?(?:this|next)\s+(?:weekend|week|month|friday|saturday|sunday|monday)\b"),
        ("deadline", r"(?:today|tonight|this week)\s+only\b|(?:on\s+)?weekdays\b|every\s+(?:day|weekend)\b"),
        ("deadline", r"(?:from|between)\s+(?=\d{1,2}(?::\d{2}|\s?[ap]m))"),
        (
            "condition",
            r"(?:on|for|with)\s+(?:all\s+|any\s+)?(?:orders?|purchases?|bookings?)\s+(?:over|above|of|from)\b",
        ),
        ("condition", r"(?:for|to)\s+(?:all\s+)?new\s+(?:customers|clients|users|members|subscribers)\b"),
        ("condition", r"(?:when|if)\s+you\b|min(?:imum)?\.?\s+order\b"),
        ("where", r"(?:apply|order|book|shop|buy|sign up|register|call|visit)\s+(?:now\s+)?(?:online|at|on|via)\b"),
        ("where", r"(?:at|on|via)\s+(?=(?:www\.)?[\w-]+\.[a-z]{2,})|in\s+(?:our|the)\s+app\b|online\s+at\b"),
    ],
    "ru": [
        ("code", r"(?:по|с)\s+промокод\w*|промокод\w*|введите\s+код|по\s+коду"),
        ("deadline", r"(?:только\s+)?до\s+(?=\d|конца|понедельник|вторник|сред|четверг|пятниц|суббот|воскрес|полуноч)"),
        (
            "deadline",
            r"(?:только\s+)?(?:по|в)\s+(?:будн\w+|выходн\w+|понедельник\w*|вторник\w*|сред\w+|четверг\w*|пятниц\w+|суббот\w+|воскресень\w+)",
        ),
        ("deadline", r"(?:только\s+)?(?:с\s+\d{1,2}(?:[:.]\d{2})?\s+(?:\w+\s+)?по\s+\d|с\s+\d{1,2}:\d{2})"),
        ("deadline", r"только\s+(?:сегодня|сейчас|в\s+\w+)|(?:акция|предложение)\s+действует|успейте"),
        ("condition", r"при\s+(?:заказе|покупке|оплате|оформлении|подключении|бронировании)\w*|для\s+новых\s+\w+"),
        (
            "where",
            r"на\s+сайте|в\s+приложении|звоните|по\s+телефону|заказывайте|оформляйте|покупайте|записывайтесь|подробности",
        ),
    ],
}
_DEADLINE_WORDS = re.compile(
    r"\buntil\b|\btill\b|\bends?\b|\bexpires?\b|\btoday\b|\btonight\b|\bweekend\b|\bweekdays?\b|\bonly\b.*\b(?:day|week)|"
    r"\bдо\b|\bпо будням|выходн|сегодня|успейте|только|действует|\bпо\s\d",
    re.I,
)
_WHERE_WORDS = re.compile(r"\bonline\b|\bapp\b|\bcall\b|\bvisit\b|на сайте|в приложении|звоните|телефон", re.I)
_CONDITION_WORDS = re.compile(
    r"\border\w*\s+(?:over|above)|\bnew customers|\bwhen you|при заказе|при покупке|для новых", re.I
)

# The kind of action an offer asks for picks its call to action (see the writer's phrasebook).
_KINDS = [
    ("ride", r"\btaxi|\brides?\b|\bcab\b|такси|поездк"),
    ("trial", r"free trial|try (?:it )?(?:for )?free|\btrial\b|пробн\w+ период|попробуйте бесплатно"),
    ("loan", r"\bloans?\b|mortgage|refinanc|кредит(?!н\w* карт)|ипотек|заём|займ|рефинанс"),
    ("card", r"credit card|debit card|\bcard\b|\bbank\b|карт[аыуе]\b|вклад|\bбанк"),
    (
        "shop",
        r"headphones|laptop|smartphone|iphone|\bphones?\b|\btv\b|\btoys?\b|shoes|sneakers|clothes|fashion|"
        r"ноутбук|смартфон|наушник|телевизор|игрушк|обув|одежд|кроссовк|техник",
    ),
    (
        "delivery",
        r"pizza|sushi|burger|\bfood\b|restaurant|\bmeals?\b|coffee|cappuccino|lunch|dinner|breakfast|brunch|"
        r"пицц|суши|ролл|кофе|капучино|ресторан|\bеда\b|\bеды\b|блюд|кофейн|обед|ужин|завтрак|deliver|доставк",
    ),
    (
        "booking",
        r"hotel|flight|\btours?\b|travel|\bstays?\b|booking|resort|отел|гостиниц|перел[её]т|\bтур(?:ы|ов|а)?\b|"
        r"путешеств|бронир|авиабилет|санатор",
    ),
    ("course", r"course|\bclass|lesson|school|training|webinar|workshop|курс|урок|заняти|школ|обучени|вебинар|тренинг"),
    ("fitness", r"\bgym\b|fitness|yoga|pilates|workout|фитнес|спортзал|\bйог|тренажер|бассейн"),
    ("app", r"\bapp\b|download|приложени|скачай|скачать"),
    ("trial", r"subscription|subscribe|\bsaas\b|software|подписк|тариф"),
    ("event", r"concert|festival|tickets?\b|\bshow\b|conference|концерт|фестивал|билет|спектакл|выставк|конференци"),
    ("beauty", r"salon|\bspa\b|manicure|haircut|massage|grooming|салон|маникюр|стрижк|массаж|барбершоп|груминг"),
    ("shop", r"\bshop|store|\bsale\b|\bbuy\b|collection|магазин|распродаж|купи|коллекци"),
]
_KIND_PATTERNS = [(kind, re.compile(pattern, re.I)) for kind, pattern in _KINDS]


@dataclass
class Clause:
    text: str
    role: str
    facts: list[Fact]
    sentence: int
    start: int
    end: int

    @property
    def priority(self) -> int:
        return ROLE_ORDER[self.role]


@dataclass
class Offer:
    text: str
    lang: str
    brand: str
    clauses: list[Clause]
    facts: list[Fact]
    kind: str
    request: Request

    def sentence_text(self, first: int, last: int) -> str:
        """The offer's own words from clause `first` to clause `last` (same sentence)."""
        return self.text[self.clauses[first].start : self.clauses[last].end].strip(" ,;:—–-")


def _brand_prefix(text: str, facts: list[Fact], lang: str, product: str) -> tuple[str, str]:
    """'Кофейня «Зерно»: второй капучино …' → ('Кофейня «Зерно»', 'второй капучино …'). With a product
    given, only a prefix that names it is taken as the brand."""
    for match in re.finditer(r":\s|\s[—–]\s", text):
        position = match.start()
        if any(f.start <= position < f.end for f in facts):
            continue
        head = text[:position].strip()
        named = not product or set(head.lower().split()) & set(product.lower().split())
        clean = not _BENEFIT[lang].search(head) and not re.search(r"[.!?]", head)
        if 0 < len(head.split()) <= 6 and clean and named and not any(f.end <= position for f in facts):
            return head, text[match.end() :].strip()
        return "", text
    return "", text


def _split_points(sentence: str, offset: int, facts: list[Fact], lang: str) -> list[tuple[int, int, str]]:
    """(start, end, role hint) of the clause boundaries inside one sentence (absolute offsets)."""
    inside = [(f.start - offset, f.end - offset) for f in facts]
    depth, points = 0, []
    for index, char in enumerate(sentence):
        if char in "«“(":
            depth += 1
        elif char in "»”)" and depth:
            depth -= 1
        if depth or any(a <= index < b for a, b in inside):
            continue
        if char in ",;:!?" or (char in "—–-" and 0 < index < len(sentence) - 1 and sentence[index - 1] == " "):
            points.append((index, index + 1, ""))
    for role, pattern in _OPENERS[lang]:
        for match in re.finditer(rf"(?<=\s){pattern}", sentence, re.I):
            if not any(a <= match.start() < b for a, b in inside):
                points.append((match.start(), match.start(), role))
    return sorted(set(points))


def _role(text: str, facts: list[Fact], lang: str, hint: str) -> str:
    kinds = {f.kind for f in facts}
    if kinds & {"percent", "money"}:
        return "benefit"
    if "code" in kinds or hint == "code":
        return "code"
    if _BENEFIT[lang].search(text):
        return "benefit"
    if hint in {"deadline", "condition", "where"}:
        return hint
    if kinds & {"date", "time"} or _DEADLINE_WORDS.search(text):
        return "deadline"
    if kinds & {"url", "phone", "email"} or _WHERE_WORDS.search(text):
        return "where"
    if _CONDITION_WORDS.search(text):
        return "condition"
    return "info"


_LEADING = re.compile(r"^(?:and|or|but|plus|also|и|а|а также|но|плюс|или)\s+", re.I)


def _clauses(text: str, facts: list[Fact], lang: str, base: int) -> list[Clause]:
    clauses: list[Clause] = []
    for number, sentence in enumerate(razdel.sentenize(text)):
        offset = base + sentence.start
        body = sentence.text
        cuts = _split_points(body, offset, facts, lang)
        bounds = [(0, "")]
        for start, end, role in cuts:
            bounds.append((start, "")) if not role else bounds.append((start, role))
            if end > start:
                bounds.append((end, ""))
        bounds.append((len(body), ""))
        for (start, hint), (end, _) in itertools.pairwise(bounds):
            piece = body[start:end]
            stripped = piece.strip(" ,;:()!?.—–-\"'")
            stripped = _LEADING.sub("", stripped)
            if not stripped or not any(c.isalnum() for c in stripped):
                continue
            abs_start = offset + start + piece.find(stripped)
            abs_end = abs_start + len(stripped)
            own = [f for f in facts if abs_start <= f.start and f.end <= abs_end]
            clauses.append(Clause(stripped, _role(stripped, own, lang, hint), own, number, abs_start, abs_end))
    return _merge_fragments(clauses, text, base)


def _merge_fragments(clauses: list[Clause], text: str, base: int) -> list[Clause]:
    """A one-word piece ('apply', 'weekly') joins its neighbour in the same sentence: the next one when
    only a space separates them ('apply | online at bankly.com'), else the previous one."""

    def gap(left: Clause, right: Clause) -> str:
        return text[left.end - base : right.start - base].strip()

    merged: list[Clause] = []
    carry: Clause | None = None
    for index, clause in enumerate(clauses):
        if carry is not None:
            clause = Clause(
                text[carry.start - base : clause.end - base],
                clause.role,
                clause.facts,
                clause.sentence,
                carry.start,
                clause.end,
            )
            carry = None
        following = clauses[index + 1] if index + 1 < len(clauses) else None
        if len(clause.text.split()) == 1 and not clause.facts:
            if following and following.sentence == clause.sentence and not gap(clause, following):
                carry = clause
                continue
            if merged and merged[-1].sentence == clause.sentence:
                merged[-1].end = clause.end
                merged[-1].text = text[merged[-1].start - base : clause.end - base]
                continue
        merged.append(clause)
    return merged


def offer_kind(text: str) -> str:
    return next((kind for kind, pattern in _KIND_PATTERNS if pattern.search(text)), "default")


@lru_cache(maxsize=512)
def parse_offer(offer: str, *, product: str = "", description: str = "") -> Offer:
    """Read an offer (or a design request) into brand, clauses, facts and the kind of action. The same
    offer is written for every format, so the reading is kept: treat the result as read-only."""
    raw = " ".join(offer.split())
    text, request = read_request(offer.strip())
    text = " ".join(text.split())
    lang = language(text or raw)
    sizes = [m.span() for m in SIZE.finditer(text)]
    facts = find_facts(text, skip=sizes)
    brand, rest = _brand_prefix(text, facts, lang, product)
    base = len(text) - len(rest)
    clauses = _clauses(rest, [f for f in facts if f.start >= base], lang, base)
    # The offer names what it sells before the product field does ('кофейня' on a card's campaign).
    kind = next(
        (k for k in (offer_kind(text), offer_kind(product), offer_kind(description)) if k != "default"), "default"
    )
    return Offer(
        text=text,
        lang=lang,
        brand=product.strip() or brand,
        clauses=clauses,
        facts=facts,
        kind=kind,
        request=request,
    )
