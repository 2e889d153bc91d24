"""Design requests as scripts send them ("Create a banner ad image of size 300x250 for a spring sale
… The call to action is SHOP NOW. The target audience is …", or fields: "Offer: … | CTA: …", JSON):
the offer inside, and what else the request states (call to action, headline, colours, audience,
purpose), so the instruction itself never reaches the banner.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import razdel

from mlcore.facts import find_facts
from mlcore.textcheck import language, morph


@dataclass
class Request:
    """What a design request states besides the offer."""

    cta: str = ""
    headline: str = ""
    subheadline: str = ""
    colors: list[str] = field(default_factory=list)
    audience: str = ""
    purpose: str = ""
    is_request: bool = False


SIZE = re.compile(
    r"(?:of\s+size|sized|size|in\s+size|размер(?:ом)?)?\s*\b\d{2,4}\s?(?:px\s?)?[x×х*]\s?\d{2,4}(?:\s?(?:px|pixels|пикс\w*))?\b",
    re.I,
)
_SIZE_NAMES = re.compile(r"\b(?:medium rectangle|leaderboard|wide skyscraper|skyscraper|half page|billboard)\b", re.I)
_LEAD = {
    "en": re.compile(
        r"^\s*(?:hi[,!]?\s*|hello[,!]?\s*)?(?:please\s+|kindly\s+)?(?:can|could|would)?\s*(?:you\s+)?(?:please\s+)?"
        r"(?:creat\w*|desi?gn|make|generate|build|produce|draw|render|craft|prepare|give me|i need|we need|i want|"
        r"we want|i'd like|we'd like|need)\s+(?:me\s+|us\s+)?(?:an?\s+|the\s+|one\s+)?(?:[\w-]+\s+){0,5}?"
        r"(?:banners?|ads?|adverts?|advertisements?|creatives?|posters?|images?|graphics?|visuals?|flyers?)\b"
        r"(?:\s+(?:ad|image|banner|graphic|design|creative)s?\b)*\s*"
        r"(?:(?:of\s+size|sized|size)?\s*\d{2,4}\s?[x×]\s?\d{2,4}(?:\s?px)?\s*)?"
        r"(?:(?:for|on)\s+(?:instagram|facebook|linkedin|twitter|x|tiktok|youtube|pinterest|google ads|the web)\s+)?"
        r"(?:(?:for|about|advertising|promoting|to promote|to advertise|that promotes|announcing|to announce|of|"
        r"showcasing|featuring|highlighting|on)\s+)?",
        re.I,
    ),
    "ru": re.compile(
        r"^\s*(?:пожалуйста,?\s+)?(?:созда\w*|сдела\w*|нарису\w*|сгенериру\w*|подготов\w*|разработа\w*|нуж(?:ен|на|но)|"
        r"хочу)[,\s]+(?:пожалуйста[,\s]+)?(?:мне\s+|нам\s+)?(?:[\w-]+\s+){0,4}?(?:(?:баннер\w*|реклам\w*|креатив\w*|макет\w*|картинк\w*|"
        r"изображени\w*|постер\w*|объявлени\w*)\s*)+"
        r"(?:(?:размер\w*\s*)?\d{2,4}\s?[x×х*]\s?\d{2,4}(?:\s?(?:px|пикс\w*))?\s*)?"
        r"(?:(?:для|о|об|про|рекламирующ\w*|с\s+рекламой)\s+)?",
        re.I,
    ),
}
_REQUEST_PARTS = [
    ("cta", re.compile(r"with\s+an?\s+[\"'«“](?P<v>[^\"'»”]+)[\"'»”]\s+(?:button|cta|call to action)", re.I)),
    (
        "cta",
        re.compile(
            r"(?:the\s+)?(?:call[- ]to[- ]action|\bcta\b|\bbutton(?:\s+text)?)\s*"
            r"(?:should\s+(?:be|say|read)|is|reads|says|:|-|—|=)?\s*(?P<v>[\"'«“]?\w.*)"
            r"|призыв\w*(?:\s+к\s+действию)?\s*(?:[:—-]|это)?\s*(?P<v2>.+)"
            r"|кнопк\w*\s*(?:[:—-]|с\s+текстом)?\s*(?P<v3>.+)",
            re.I,
        ),
    ),
    (
        "headline",
        re.compile(
            r"(?:headline|title|heading|заголовок)\s*(?:should\s+(?:be|say|read)|is|reads|:|-|—)\s*(?P<v>.+)", re.I
        ),
    ),
    (
        "subheadline",
        re.compile(
            r"(?:sub-?headline|subtitle|sub-?text|tagline|body(?:\s+text)?|подзаголовок|текст)\s*(?:is|reads|:|-|—)\s*(?P<v>.+)",
            re.I,
        ),
    ),
    ("audience", re.compile(r"(?:the\s+)?(?:target\s+)?audience\b|\baimed\s+at\b|\btargeting\b|аудитори", re.I)),
    ("purpose", re.compile(r"(?:the\s+)?(?:primary\s+|main\s+)?(?:purpose|goal|objective|aim)\b|\bцель\b|задач", re.I)),
    (
        "style",
        re.compile(
            r"\b(?:theme|colou?rs?|palette|style|styled|background|font|mood|look|tone|vibe|aesthetic|design|"
            r"use\s+(?:a|an)\s+\w+\s+(?:style|look))\b|#[0-9a-f]{3,6}\b"
            r"|тем[аеуы]\b|цвет|стил|фон\b|шрифт|палитр|оформлени|настроени",
            re.I,
        ),
    ),
]
_COLOR_NAMES = (
    "white black red green blue yellow orange purple pink brown grey gray navy teal gold silver beige turquoise "
    "violet maroon olive coral mint lavender cyan magenta белый белого чёрный черный красный зелёный зеленый синий "
    "голубой жёлтый желтый оранжевый фиолетовый розовый коричневый серый золотой серебряный бирюзовый бежевый"
).split()
_CSS = {
    "white": "#ffffff", "black": "#111111", "red": "#d7263d", "green": "#2e7d32", "blue": "#1e5aa8",
    "yellow": "#ffd23f", "orange": "#ff7a1a", "purple": "#6a3fa0", "pink": "#ff6fa3", "brown": "#7b4a2e",
    "grey": "#8a8f98", "gray": "#8a8f98", "navy": "#1a2a5e", "teal": "#0f8b8d", "gold": "#d4a72c",
    "silver": "#c0c4cc", "beige": "#e8dcc4", "turquoise": "#30c5c0", "violet": "#7f4fc9", "maroon": "#7a1e2c",
    "olive": "#6b7a2a", "coral": "#ff7f66", "mint": "#98e0c0", "lavender": "#b9a7e8", "cyan": "#19b5d6",
    "magenta": "#c2185b", "белый": "#ffffff", "белого": "#ffffff", "чёрный": "#111111", "черный": "#111111",
    "красный": "#d7263d", "зелёный": "#2e7d32", "зеленый": "#2e7d32", "синий": "#1e5aa8", "голубой": "#4aa3df",
    "жёлтый": "#ffd23f", "желтый": "#ffd23f", "оранжевый": "#ff7a1a", "фиолетовый": "#6a3fa0",
    "розовый": "#ff6fa3", "коричневый": "#7b4a2e", "серый": "#8a8f98", "золотой": "#d4a72c",
    "серебряный": "#c0c4cc", "бирюзовый": "#30c5c0", "бежевый": "#e8dcc4",
}  # fmt: skip
_HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")
_QUOTED_VALUE = re.compile(r"^[\"'«“]?(.+?)[\"'»”]?[.!]?$")


def _colors(sentence: str) -> list[str]:
    found = [h if len(h) == 7 else "#" + "".join(c * 2 for c in h[1:]) for h in _HEX.findall(sentence)]
    for word in re.findall(r"[a-zа-яё]+", sentence.lower()):
        stem = next((c for c in _COLOR_NAMES if (word.startswith(c[:5]) and len(c) >= 4) or word == c), None)
        if stem and _CSS.get(stem) and _CSS[stem] not in found:
            found.append(_CSS[stem])
    return found[:3]


_REQUEST_WORDS = (
    r"(?:(?:colou?rs?|theme|style|palette|background|cta|call to action|button|target|audience|goal|purpose)\b|"
    r"цвет|тем[аы]\b|стил|фон\b|призыв|кнопк|аудитори|цел[ьи]\b)"
)


def _request_lines(text: str) -> list[str]:
    lines = []
    for line in re.split(
        r"\n+|(?:^|\s)[•·▪–-]\s+(?=[A-ZА-Я])|(?<=[.!?;])\s+|,\s+(?=" + _REQUEST_WORDS + ")", text, flags=re.I
    ):
        lines.extend(s.text for s in razdel.sentenize(line.strip(" -•*")) if s.text.strip())
    return lines


_FIELD_LINE = re.compile(
    r"^(?:business|company|brand|product|service|offer|promo(?:tion)?|deal|discount|sale|event|бизнес|компания|"
    r"бренд|продукт|товар|услуга|предложение|акция|скидка)\s*[:—-]\s*(?P<v>.+)$",
    re.I,
)


def _genitive_parse(word: str):
    """The reading of a word after 'для' (genitive), when it has one: 'кофейни' is one coffee shop."""
    parses = morph().parse(word)
    return next((p for p in parses if "gent" in p.tag and p.tag.POS in {"NOUN", "ADJF", "PRTF"}), parses[0])


def _nominative(phrase: str) -> str:
    """'детского лагеря' → 'детский лагерь': the head noun in the nominative and the adjectives before
    it agreeing with it in gender and number (pymorphy3); the words after the noun stay as they are."""
    words = phrase.split()
    parts = [w.rpartition("-") if "-" in w else ("", "", w) for w in words]
    parses = [_genitive_parse(tail) if re.fullmatch(r"[а-яё]+", tail, re.I) else None for _, _, tail in parts]
    head = next((i for i, p in enumerate(parses) if p is not None and p.tag.POS == "NOUN"), None)
    if head is None:
        return phrase
    noun = parses[head].inflect({"nomn"}) or parses[head]
    agreement = {"nomn", "plur"} if "plur" in noun.tag else {"nomn", "sing", noun.tag.gender or "masc"}
    out = list(words)
    for index in range(head + 1):
        parsed = parses[index]
        if parsed is None or (index < head and parsed.tag.POS not in {"ADJF", "PRTF"}):
            continue
        inflected = noun if index == head else (parsed.inflect(agreement) or parsed)
        prefix, dash, tail = parts[index]
        form = inflected.word.capitalize() if tail[:1].isupper() else inflected.word
        out[index] = f"{prefix}{dash}{form}"
    return " ".join(out)


_KEYS = {
    "subject": r"business|company|brand|product|service|shop|store|client|бизнес|компания|бренд|продукт|товар|услуга|"
    r"магазин|заведение",
    "offer": r"offer|promo(?:tion)?|deal|discount|sale|price|prices|message|event|предложение|акция|скидка|цена|"
    r"сообщение",
    "headline": r"headline|title|heading|main text|заголовок",
    "subheadline": r"sub-?headline|subtitle|sub-?text|subheading|tagline|body(?: text)?|text|подзаголовок|текст",
    "cta": r"cta|call[- ]to[- ]action|button(?: text)?|кнопка|призыв(?: к действию)?",
    "colors": r"colou?rs?|palette|цвета?|палитра",
    "ignore": r"size|format|dimensions?|audience|target(?: audience)?|goal|purpose|objective|tone|style|theme|mood|"
    r"platform|placement|language|font|notes?|размер|формат|аудитория|цель|задача|тон|стиль|тема|настроение|площадка",
}
_KEY_LINE = re.compile(
    r"^\W{0,3}(?P<key>" + "|".join(f"(?:{v})" for v in _KEYS.values()) + r")\s*[:=—–-]\s*(?P<value>.+)$", re.I
)


def _key_kind(key: str) -> str:
    return next(kind for kind, pattern in _KEYS.items() if re.fullmatch(pattern, key.strip(), re.I))


def read_fields(text: str) -> tuple[str, Request] | None:
    """A request written as fields — 'Offer: …' lines, '|'-separated, bullets, or a JSON object —
    as an offer ('Brand: offer') and what the request states; None when the text is not one."""
    pairs: list[tuple[str, str]] = []
    loose: list[str] = []
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            value = json.loads(stripped)
        except ValueError:
            value = None
        if isinstance(value, dict):
            pairs = [(str(k).replace("_", " "), str(v)) for k, v in value.items() if isinstance(v, str | int | float)]
    if not pairs:
        for line in re.split(r"\n+|\s\|\s|(?:^|\s)[•·▪]\s|(?:^|\n)\s*-\s", text):
            line = line.strip(" -*•\t")
            match = _KEY_LINE.match(line)
            if match:
                pairs.append((match.group("key"), match.group("value").strip()))
            elif line:
                loose.append(line)
    known = [(key, value) for key, value in pairs if re.fullmatch("|".join(_KEYS.values()), key.strip(), re.I)]
    if len(known) < 2:
        return None
    request = Request(is_request=True)
    subject, offers = "", []
    for key, value in known:
        kind, value = _key_kind(key), value.strip().strip("\"'«»“”").strip()
        if kind == "subject":
            subject = subject or value
        elif kind == "offer":
            offers.append(value)
        elif kind in {"headline", "subheadline", "cta"}:
            setattr(request, kind, value[:80])
        elif kind == "colors":
            request.colors += [c for c in _colors(value) if c not in request.colors]
    # Lines with no key: the offer when they are not an instruction themselves ('Banner request', 'Need a banner')
    offers += [
        line
        for line in loose
        if not _LEAD[language(line)].match(line)
        and not re.search(r"\b(?:banner|баннер|request|запрос|brief|бриф)", line, re.I)
        and not SIZE.search(line)
    ]
    offer = "; ".join(o.rstrip(".") for o in offers if o)
    if not offer:
        offer = request.subheadline or request.headline
    text = f"{subject}: {offer}" if subject and offer else subject or offer
    return text, request


# A text that names the medium ("banner for …", "рекламный баннер …") or states an instruction
# ("CTA:", "target audience") is a request even without a request verb in front.
_MEDIUM = (
    r"(?:banners?\b|ad\b(?!-)|adverts?\b|advertisements?\b|instagram posts?\b|facebook posts?\b|social posts?\b|"
    r"баннер\w*|макет\w*|рекламн\w+\s+(?:баннер|пост|макет|креатив)\w*)"
)
# One banner, not the banners a print shop sells: the request openings name it in the singular.
_MEDIUM_ONE = r"(?:banner\b|ad\b(?!-)|advert\b|advertisement\b|баннер(?:а|у|ом|е)?\b|макет(?:а|у|ом|е)?\b)"
_FILLER = re.compile(r"\b(?:pls|plz|please|asap|kindly|пожалуйста|срочно)\b[!.,]*\s*", re.I)
_PLACEMENT = (
    r"(?:(?:для|в|for|on|in)\s+(?:соцсет\w*|instagram|facebook|вк|vk|telegram|social media|stories|сторис|ленты)\s*)"
)
_REQUEST_SIGNAL = re.compile(
    # 'banner for a pet store', 'an ad for our bookstore', 'рекламный баннер для фитнес-клуба'
    rf"\b(?:{_MEDIUM_ONE}|рекламн\w+\s+баннер\w*)\s+(?:\d{{2,4}}\s?[x×]\s?\d{{2,4}}\s+)?"
    r"(?:for|about|promoting|advertising|для|о|про)\b"
    # 'need a banner', 'looking for a banner ad', '300x250 banner'
    rf"|\b(?:need|want|looking for|require)\s+(?:an?\s+)?(?:[\w-]+\s+){{0,2}}(?:{_MEDIUM})\b"
    rf"|\b\d{{2,4}}\s?[x×]\s?\d{{2,4}}\s+(?:{_MEDIUM})\b|^{_MEDIUM_ONE}(?:\s+ad)?\s*[:—–,]"
    # 'Banner text: …', 'For the banner: …', 'A banner that promotes …', 'banner pls - …'
    rf"|^(?:[\w'-]+\s+){{0,4}}?{_MEDIUM_ONE}[^:.!?\d,]{{0,25}}[:—–-]\s"
    rf"|\b{_MEDIUM_ONE}\s+(?:that|which|который|pls|please|asap)\b"
    r"|\b(?:cta|call[- ]to[- ]action|target audience|целев\w+ аудитори\w*|призыв\w* к действию)\b"
    r"|\baudience\s+(?:is|:)|\bаудитори\w*\s*[:—]"
    r"|\bbutton\s*[:—-]|\bкнопк\w*\s*[:—-]",
    re.I,
)
_STRIP_MEDIUM = [
    # 'We're opening a gym and need a banner: …', 'Promote our webinar … with a 728x90 banner'
    re.compile(
        rf",?\s*(?:and\s+)?(?:we\s+|i\s+)?(?:need|want|require|would like)\s+(?:an?\s+)?"
        rf"(?:[\w-]+\s+){{0,3}}?{_MEDIUM}\b",
        re.I,
    ),
    re.compile(rf"\s+(?:with|using|in|on)\s+(?:an?\s+|the\s+)?(?:[\w×-]+\s+){{0,3}}?{_MEDIUM}\b\.?$", re.I),
    # 'Banner for a pet store: …', '300x250 banner — Sushi Go: …', 'Looking for a banner ad promoting our spa'
    re.compile(
        rf"^(?:hi[!,.]?\s+|hello[!,.]?\s+)?(?:(?:we|i)\s+(?:need|want)\s+|looking\s+for\s+|promote\s+|"
        rf"медиа-)?(?:an?\s+|the\s+)?(?:[\w×-]+\s+){{0,3}}?{_MEDIUM}(?:\s+(?:ad|banner|image|post))?\s*"
        rf"(?:\(\s*\d{{2,4}}\s?[x×х]\s?\d{{2,4}}\s*\)\s*)?{_PLACEMENT}?"
        r"(?:\s*(?:for|about|promoting|advertising|to promote|for promoting|that (?:promotes|advertises|says|shows|"
        r"announces)|which (?:promotes|advertises|says)|для|о|об|про|с|со|"
        r"который (?:рассказывает|говорит) (?:о|об|про)))?"
        r"\s*[:—–,-]?\s*",
        re.I,
    ),
    # 'Banner text: …', 'For the banner: …', 'Our new banner should say: …', 'Текст: …', 'Для баннера: …'
    re.compile(
        rf"^(?:(?:[\w'-]+\s+){{0,5}}?(?:{_MEDIUM}|text|copy|slogan|текст|слоган)"
        r"(?:\s+(?:should|must|will)\s+(?:say|read))?|(?:should|must|will)\s+(?:say|read))[^:\d%$€₽]{0,20}:\s*",
        re.I,
    ),
]
_MEDIUM_DONE = re.compile(r"^(?:an?|the)\s", re.I)
_GREETING = re.compile(r"(?:hi|hello|hey|привет|здравствуйте|добрый день)[!,.]?", re.I)


def _strip_medium(line: str) -> str:
    """The line without the words about the banner itself."""
    line = _FILLER.sub("", line)
    for pattern in _STRIP_MEDIUM:
        stripped = pattern.sub(" " if pattern is _STRIP_MEDIUM[0] else "", line, count=1).strip()
        if stripped != line.strip() and re.search(r"\w", stripped):
            line = stripped
    line = re.sub(r"^(?:promote|advertise|announce|продвиньте|прорекламируйте)\s+", "", line, flags=re.I)
    return re.sub(r"\s+([:,.])", r"\1", line)


def read_request(text: str) -> tuple[str, Request]:
    """The offer inside a design request, and what else the request states; plain offers pass through."""
    fields = read_fields(text)
    if fields is not None:
        return fields
    text = " ".join(text.split())
    lang = language(text)
    lead = _LEAD[lang].match(text)
    if (lead is None or not lead.group().strip()) and not _REQUEST_SIGNAL.search(text):
        return text, Request()
    request = Request(is_request=True)
    kept: list[str] = []
    lines = [line for line in _request_lines(text) if not _GREETING.fullmatch(line.strip())]
    for index, line in enumerate(lines):
        if index == 0:
            line = _LEAD[lang].sub("", line, count=1)
        line = _strip_medium(line)
        if re.fullmatch(rf"(?:an?\s+|the\s+)?(?:[\w×-]+\s+)?{_MEDIUM}\W*", line.strip(), re.I):
            continue  # 'banner pls' alone on its line
        line = re.sub(r"\(\s*\)", "", _SIZE_NAMES.sub("", SIZE.sub("", line))).strip(" ,;:—–-")
        if index == 0 or _MEDIUM_DONE.search(line):
            line = re.sub(r"^(?:of|for|with|в|для|на)\s+", "", line, flags=re.I)
            line = re.sub(r"^(?:my|our|мо[йяеи]|наш[аеи]?)\s+", "", line, flags=re.I).rstrip("?")
            line = re.sub(
                r"\s+(?:offering|that offers|which offers|with an?|featuring)\s+(?:an?\s+)?", ": ", line, count=1
            )
            line = re.sub(r"\s+(?:предлагающ\w+|со?\s+(?=скидк|кэшб|подар))", ": ", line, count=1)
        if not line.strip(" .!"):
            continue
        pieces, listing = [], False
        for n, piece in enumerate(_pieces(line)):
            if listing and not find_facts(piece):
                request.colors += [c for c in _colors(piece) if c not in request.colors]
                continue  # 'Theme: calm, minimal, pastel green and beige': the list goes on
            text = _request_piece(piece, request, first=index == 0 and n == 0)
            listing = not text and bool(re.match(r"^[\w ]{2,25}\s*[:—–]", piece))
            pieces.append(text)
        kept.append(", ".join(p for p in pieces if p))
    kept = [k.strip() for k in kept if k.strip()]
    offer = " ".join((s[:1].upper() + s[1:]) if s[-1] in ".!?…" else f"{s[:1].upper() + s[1:]}." for s in kept)
    offer = re.sub(r"^(?:an?|the)\s+", "", offer, flags=re.I)
    if lang == "ru" and kept:
        head, sep, rest = [*re.split(r"([:,])", kept[0], maxsplit=1), "", ""][:3]
        if len(head.split()) <= (4 if sep == ":" or not sep else 3):
            kept[0] = (
                f"{_nominative(head.rstrip('.'))}{':' if sep else ''}{rest}"
                if sep
                else _nominative(head.rstrip(".")) + "."
            )
            offer = " ".join((s[:1].upper() + s[1:]) if s[-1] in ".!?…" else f"{s[:1].upper() + s[1:]}." for s in kept)
    if not offer:  # nothing but instructions: keep what follows the request verb rather than nothing
        first = _request_lines(text)[0] if text.strip() else ""
        offer = SIZE.sub("", _LEAD[lang].sub("", first, count=1)).strip(" .,;:")
    return (offer[:1].upper() + offer[1:]) if offer else "", request


def _pieces(line: str) -> list[str]:
    """A request line cut at its commas (not inside quotes or numbers): each piece says one thing."""
    pieces, depth, start = [], 0, 0
    for index, char in enumerate(line):
        depth += char in "«“(" or (char == '"' and depth == 0)
        depth -= char in "»”)" or (char == '"' and depth > 0 and line.count('"', 0, index) % 2 == 1)
        depth = max(depth, 0)
        if char == "," and depth == 0 and line[index + 1 : index + 2] == " ":
            pieces.append(line[start:index])
            start = index + 1
    return [p.strip() for p in [*pieces, line[start:]] if p.strip()]


def _request_piece(piece: str, request: Request, *, first: bool) -> str:
    """What a piece of a request line adds to the offer ('' when it is an instruction: a style, the
    audience, the purpose, the call to action)."""
    field_line = _FIELD_LINE.match(piece)
    if field_line:
        return field_line.group("v") if not re.match(r"(?:discount|sale|скидка)", piece, re.I) else piece
    part = next(((name, m) for name, pattern in _REQUEST_PARTS if (m := pattern.search(piece))), None)
    if part is None:
        return _split_style_tail(piece, request)
    name, match = part
    head = piece[: match.start()].strip(" ,;:-—–")
    has_facts = bool(find_facts(piece))
    if name == "style" and has_facts:
        return _split_style_tail(piece, request)  # 'Black Friday sale 20% off' is the offer, not a style
    if name in {"audience", "purpose"} and match.start() > 0 and first:
        return _split_style_tail(piece, request)
    kept = _split_style_tail(head, request) if head and (name == "cta" or (first and len(head.split()) >= 3)) else ""
    if name in {"cta", "headline", "subheadline"}:
        value = next(v for v in (match.groupdict().get(k) for k in ("v", "v2", "v3")) if v)
        value = _QUOTED_VALUE.match(value.strip()).group(1).strip(" .\"'«»“”")
        setattr(request, name, value[:80])
    elif name == "style":
        request.colors += [c for c in _colors(piece) if c not in request.colors]
    else:
        setattr(request, name, piece)
    return kept


def _split_style_tail(line: str, request: Request) -> str:
    """'… offering 50% off, with a floral theme in blue and white' → the offer; the style goes to `request`."""
    match = re.search(
        r",?\s+(?:with|in|using|featuring)\s+(?:an?\s+)?[\w\s-]*\b(?:theme|colou?rs?|palette|style)\b.*$", line, re.I
    )
    if match is None:
        return line
    request.colors += [c for c in _colors(match.group()) if c not in request.colors]
    return line[: match.start()]


# -- clauses ------------------------------------------------------------------------------------
