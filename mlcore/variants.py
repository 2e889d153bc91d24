"""Layout variants: one format, several arrangements of the same slots (picture right or left, picture
on top, a full-bleed picture with a scrim under the text, a badge carrying the main figure).

A format (mlcore.layout.Layout) says what a banner holds: canvas, background, text slots with their
fonts, sizes and lengths, image slots. A variant says where each goes. It keeps every slot's key,
font, size, minimum size and length, and computes new boxes from the canvas's proportions, so a
format a designer adds in admin gets the variants too. Variant "preset" is the format's own boxes.

Shapes of canvas and their variants:
- strip (728×90 and wider than 3:1): picture left, picture right, badge;
- tower (160×600, narrower than 1:2.2): picture in the middle, picture on top, badge;
- landscape (wider than 5:4): picture right, picture left, full bleed, badge;
- square, portrait and story: picture below, picture on top, side by side, full bleed, badge.

Story canvases (9:16) keep text and logo out of the top 14 % and the bottom 20 % (the platform's
own buttons and captions cover them).
"""

from __future__ import annotations

import dataclasses

from mlcore.layout import Background, Box, ImageSlot, Layout, TextSlot

PRESET = "preset"
VARIANTS = {
    "strip": ("picture-left", "picture-right", "badge", "picture-middle"),
    "tower": ("picture-middle", "picture-top", "badge", "picture-bottom"),
    "landscape": ("picture-right", "picture-left", "badge", "full-bleed"),
    "upright": ("picture-below", "side-by-side", "badge", "full-bleed", "picture-top"),
}
LABELS = {
    PRESET: "as designed",
    "picture-left": "picture left",
    "picture-right": "picture right",
    "picture-middle": "picture in the middle",
    "picture-bottom": "picture at the bottom",
    "picture-top": "picture on top",
    "picture-below": "picture below the text",
    "side-by-side": "text and picture side by side",
    "full-bleed": "full-bleed picture, text on a scrim",
    "badge": "badge with the main figure",
}
STORY_TOP, STORY_BOTTOM = 0.14, 0.20
# A picture below the text gets at least this share of the height under the logo, else the button goes
# beside it: at 300×250 the strip left between headline and button was 47 px high (a 35 px picture).
MIN_PICTURE_SHARE = 0.3
BADGE_CHARS = 8  # "−20%", "990 ₽", "2 for 1"


def canvas_kind(width: int, height: int) -> str:
    ratio = width / height
    if ratio >= 3:
        return "strip"
    if ratio <= 1 / 2.2:
        return "tower"
    return "landscape" if ratio > 1.25 else "upright"


def variants_for(layout: Layout, *, figure: bool = True) -> tuple[str, ...]:
    """The variants of a format; the badge one only for an offer with a main figure to carry."""
    return tuple(name for name in VARIANTS[canvas_kind(layout.width, layout.height)] if figure or name != "badge")


def variant_for(layout: Layout, index: int, *, figure: bool = True) -> str:
    """The variant of banner number `index` (1, 2, 3 …): three banners at once, three layouts."""
    names = variants_for(layout, figure=figure)
    return names[(max(index, 1) - 1) % len(names)]


def main_figure(offer: str) -> str:
    """The figure a badge carries: the offer's first percentage or price ("−20%", "990 ₽"), or ''."""
    from mlcore.facts import find_facts

    return next((fact.text for fact in find_facts(offer) if fact.kind in ("percent", "money")), "")


def is_story(width: int, height: int) -> bool:
    return abs(width / height - 9 / 16) < 0.02


def safe_area(width: int, height: int) -> Box:
    """Where text and logo may go: the whole canvas, or a story's middle."""
    if is_story(width, height):
        top, bottom = round(STORY_TOP * height), round((1 - STORY_BOTTOM) * height)
        return (0, top, width, bottom - top)
    return (0, 0, width, height)


HEADING_PURPOSES = ("headline", "cta", "badge")


def branded(layout: Layout, background: str | None, *, heading_font: str = "", body_font: str = "") -> Layout:
    """The layout in the brand's dress: on its background (a gentle gradient from the colour to a
    shade 10 % lighter; None keeps the format's own), headline, button and badge in its heading font,
    the other texts in its body font (empty or unknown fonts keep the format's)."""
    from mlcore.fonts import KNOWN_FONTS

    if background:
        rgb = [int(background[i : i + 2], 16) for i in (1, 3, 5)]
        lighter = "#" + "".join(f"{round(c + (255 - c) * 0.1):02x}" for c in rgb)
        layout = dataclasses.replace(layout, background=Background("gradient", (background.lower(), lighter), 90.0))
    fonts = {True: heading_font, False: body_font}
    slots = tuple(
        dataclasses.replace(slot, font=fonts[heading]) if fonts[heading] in KNOWN_FONTS else slot
        for slot, heading in ((s, s.purpose in HEADING_PURPOSES) for s in layout.text_slots)
    )
    return dataclasses.replace(layout, text_slots=slots)


def layout_variant(layout: Layout, name: str, *, logo: bool = False) -> Layout:
    """The layout with its slots arranged as variant `name` (unknown names and "preset" give the
    format's own boxes; `logo` reserves a box for the brand's logo)."""
    kind = canvas_kind(layout.width, layout.height)
    if name not in VARIANTS[kind]:
        return _preset(layout, logo)
    builder = {"strip": _strip, "tower": _tower, "landscape": _landscape, "upright": _upright}[kind]
    return builder(layout, name, logo)


# -- building blocks ------------------------------------------------------------------------------


def _margin(layout: Layout) -> int:
    return max(6, round(0.06 * min(layout.width, layout.height)))


def _roles(layout: Layout) -> tuple[list[TextSlot], TextSlot | None, TextSlot | None]:
    """(the texts that stack: headline, subheadline, body …; the call to action; the legal line)."""
    cta = next((s for s in layout.text_slots if s.purpose == "cta"), None)
    legal = next((s for s in layout.text_slots if s.purpose == "legal"), None)
    flowing = [s for s in layout.text_slots if s not in (cta, legal) and s.purpose != "badge"]
    return flowing, cta, legal


def _badge_slot(layout: Layout, box: Box) -> TextSlot:
    headline = next((s for s in layout.text_slots if s.purpose == "headline"), layout.text_slots[0])
    size = max(12, round(box[3] * 0.3))
    return TextSlot(
        key="badge",
        purpose="badge",
        max_chars=BADGE_CHARS,
        box=box,
        size=size,
        min_size=max(10, min(size, round(size * 0.6))),
        font=headline.font,
        weight=800 if headline.weight >= 700 else 700,
        align="center",
    )


def _button_height(slot: TextSlot) -> int:
    return round(slot.size * (slot.line_height + 0.9))


def _column(slots: list[TextSlot], cta: TextSlot | None, legal: TextSlot | None, box: Box, align: str) -> dict:
    """Boxes for a column of text: the flowing texts share the height (the headline most), the call
    to action under them as a button, the legal line at the bottom."""
    x, y, w, h = box
    gap = max(4, round(0.03 * h))
    boxes: dict[str, tuple[Box, str]] = {}
    legal_h = round(legal.size * legal.line_height * 2.2) if legal else 0
    cta_h = _button_height(cta) if cta else 0
    flexible = h - legal_h - cta_h - gap * (bool(legal) + bool(cta) + max(0, len(slots) - 1))
    weights = [3.0 if s.purpose == "headline" else 1.6 for s in slots]
    top = y
    for slot, weight in zip(slots, weights, strict=True):
        height = max(1, int(flexible * weight / sum(weights)))
        boxes[slot.key] = ((x, top, w, height), align)
        top += height + gap
    if cta:
        width = min(w, max(round(cta.size * 9), round(0.6 * w)))
        left = {"left": x, "center": x + (w - width) // 2, "right": x + w - width}[align]
        boxes[cta.key] = ((left, top, width, cta_h), align)
    if legal:
        boxes[legal.key] = ((x, y + h - legal_h, w, legal_h), align)
    return boxes


def _inside(box: Box, area: Box) -> Box:
    """A box clipped to an area (a story's safe zone)."""
    x, y, w, h = box
    _, ay, _, ah = area
    top, bottom = max(y, ay), min(y + h, ay + ah)
    return (x, top, w, max(1, bottom - top))


def _logo_box(x: int, y: int, width: int, height: int) -> Box:
    return (x, y, max(1, width), max(1, height))


def _assemble(
    layout: Layout,
    name: str,
    boxes: dict[str, tuple[Box, str]],
    picture: Box | None,
    *,
    logo_box: Box | None,
    badge: Box | None = None,
    full_bleed: bool = False,
) -> Layout:
    texts = []
    for slot in layout.text_slots:
        if slot.key in boxes:
            box, align = boxes[slot.key]
            texts.append(dataclasses.replace(slot, box=box, align=align))
    if badge is not None:
        texts.append(_badge_slot(layout, badge))
    images = ()
    if layout.image_slots and picture is not None:
        # several pictures share the picture's area; a full-bleed canvas holds the first one only
        slots = layout.image_slots[:1] if full_bleed else layout.image_slots
        boxes = _split(picture, len(slots), gap=0 if full_bleed else _margin(layout) // 2)
        images = tuple(
            ImageSlot(
                key=slot.key,
                box=box,
                padding=0 if full_bleed else min(slot.padding, max(0, min(box[2], box[3]) // 2 - 1)),
            )
            for slot, box in zip(slots, boxes, strict=True)
        )
    return dataclasses.replace(
        layout,
        text_slots=tuple(texts),
        image_slots=images,
        variant=name,
        logo_box=logo_box,
        full_bleed=full_bleed,
        safe_area=safe_area(layout.width, layout.height),
    )


def _split(box: Box, count: int, gap: int) -> list[Box]:
    """`count` boxes filling `box`: side by side when it is wide, stacked when it is tall, and two
    rows for four or five."""
    x, y, w, h = box
    if count <= 1:
        return [box]
    rows = 2 if count >= 4 else (count if h > w * 1.2 else 1)
    columns = -(-count // rows)
    cell_w, cell_h = (w - gap * (columns - 1)) // columns, (h - gap * (rows - 1)) // rows
    cells = [(x + c * (cell_w + gap), y + r * (cell_h + gap), max(1, cell_w), max(1, cell_h))
             for r in range(rows) for c in range(columns)]  # fmt: skip
    return cells[:count]


def _preset(layout: Layout, logo: bool) -> Layout:
    """The format's own boxes. A logo goes above the topmost text, in the room there or in room taken
    from the top of that text's box (when at least half of it is left)."""
    logo_box, slots = None, layout.text_slots
    if logo and slots:
        m = _margin(layout)
        area = safe_area(layout.width, layout.height)
        first = min(slots, key=lambda s: s.box[1])
        x, y, w, h = first.box
        height = max(10, round(0.07 * min(layout.width, layout.height)))
        room = y - area[1] - m // 2
        if room >= height + 2:
            logo_box = _logo_box(x, y - height - 2, min(w, 6 * height), height)
        elif h - height - m // 2 >= 0.4 * h:
            logo_box = _logo_box(x, y, min(w, 6 * height), height)
            moved = dataclasses.replace(first, box=(x, y + height + m // 2, w, h - height - m // 2))
            slots = tuple(moved if s is first else s for s in slots)
    return dataclasses.replace(
        layout, text_slots=slots, variant=PRESET, logo_box=logo_box, safe_area=safe_area(layout.width, layout.height)
    )


# -- the four shapes of canvas ---------------------------------------------------------------------


def _strip(layout: Layout, name: str, logo: bool) -> Layout:
    W, H = layout.width, layout.height
    m = max(4, round(0.08 * H))
    inner = H - 2 * m
    flowing, cta, _ = _roles(layout)
    headline = flowing[0] if flowing else None
    picture_w = round(inner * 1.15)
    logo_w = round(inner * 2.4) if logo else 0
    cta_w = round(min(0.26 * W, cta.size * 8)) if cta else 0
    badge_w = inner if name == "badge" else 0
    # left to right; the text takes what is left
    parts = {
        "picture-left": ["logo", "picture", "text", "cta"],
        "picture-right": ["logo", "text", "cta", "picture"],
        "badge": ["logo", "badge", "text", "cta", "picture"],
        "picture-middle": ["logo", "text", "picture", "cta"],
    }[name]
    widths = {"logo": logo_w, "picture": picture_w, "cta": cta_w, "badge": badge_w}
    used = sum(widths.get(p, 0) for p in parts) + m * (len(parts) + 1)
    widths["text"] = max(40, W - used)
    boxes, x, picture, badge, logo_box, middle = {}, m, None, None, None, set()
    for part in parts:
        width = widths[part]
        if width <= 0:
            continue
        if part == "logo":
            logo_box = _logo_box(x, m + inner // 5, width, inner - 2 * (inner // 5))
        elif part == "picture":
            picture = (x, m, width, inner)
        elif part == "badge":
            badge = (x, m, width, inner)
        elif part == "cta" and cta:
            height = min(inner, _button_height(cta))
            boxes[cta.key] = ((x, (H - height) // 2, width, height), "center")
        elif part == "text" and headline:
            boxes[headline.key] = ((x, m, width, inner), "left")
            middle.add(headline.key)
        x += width + m
    built = _assemble(layout, name, boxes, picture, logo_box=logo_box, badge=badge)
    slots = tuple(dataclasses.replace(s, valign="middle") if s.key in middle else s for s in built.text_slots)
    return dataclasses.replace(built, text_slots=slots)


def _tower(layout: Layout, name: str, logo: bool) -> Layout:
    W, H = layout.width, layout.height
    m = max(6, round(0.06 * W))
    inner = W - 2 * m
    flowing, cta, legal = _roles(layout)
    logo_h = round(0.06 * H) if logo else 0
    picture_h = round(0.3 * H)
    badge_h = round(inner * 0.6) if name == "badge" else 0
    top = m + (logo_h + m if logo else 0)
    bottom = H - m
    cta_h = _button_height(cta) if cta else 0
    legal_h = round(legal.size * legal.line_height * 2.2) if legal else 0
    logo_box = _logo_box(m, m, inner, logo_h) if logo else None
    order = {
        "picture-middle": ["text0", "picture", "text1"],
        "picture-top": ["picture", "text0", "text1"],
        "badge": ["text0", "badge", "picture", "text1"],
        "picture-bottom": ["text0", "text1", "picture"],
    }[name]
    fixed = picture_h + badge_h + cta_h + legal_h + m * (len(order) + bool(cta) + bool(legal))
    free = max(40, bottom - top - fixed)
    first, rest = flowing[:1], flowing[1:]
    heights = {"text0": round(free * (0.62 if rest else 1.0)), "text1": free - round(free * (0.62 if rest else 1.0))}
    boxes, picture, badge, y = {}, None, None, top
    for part in order:
        if part == "picture":
            picture = (m, y, inner, picture_h)
            y += picture_h + m
        elif part == "badge":
            badge = (m + (inner - badge_h) // 2, y, badge_h, badge_h)
            y += badge_h + m
        else:
            slots = first if part == "text0" else rest
            if slots and heights[part] > 0:
                boxes.update(_column(slots, None, None, (m, y, inner, heights[part]), "center"))
                y += heights[part] + m
    if cta:
        boxes[cta.key] = ((m, bottom - legal_h - (m if legal else 0) - cta_h, inner, cta_h), "center")
    if legal:
        boxes[legal.key] = ((m, bottom - legal_h, inner, legal_h), "center")
    return _assemble(layout, name, boxes, picture, logo_box=logo_box, badge=badge)


def _landscape(layout: Layout, name: str, logo: bool) -> Layout:
    W, H = layout.width, layout.height
    m = _margin(layout)
    flowing, cta, legal = _roles(layout)
    logo_h = round(0.07 * H) if logo else 0
    text_w = round(0.5 * W) - round(1.5 * m)
    picture_w = W - text_w - 3 * m
    text_left = name != "picture-left"
    tx = m if text_left else W - m - text_w
    px = W - m - picture_w if text_left else m
    logo_box = _logo_box(tx, m, min(text_w, 6 * logo_h), logo_h) if logo else None
    ty = m + (logo_h + m // 2 if logo else 0)
    column = (tx, ty, text_w, H - ty - m)
    boxes = _column(flowing, cta, legal, column, "left")
    picture, badge = (px, m, picture_w, H - 2 * m), None
    if name == "full-bleed":
        picture = (0, 0, W, H)
    elif name == "badge":
        side = max(56, round(0.34 * min(picture_w, H - 2 * m)))
        badge = (px, m, side, side)
    return _assemble(layout, name, boxes, picture, logo_box=logo_box, badge=badge, full_bleed=name == "full-bleed")


def _upright(layout: Layout, name: str, logo: bool) -> Layout:
    W, H = layout.width, layout.height
    m = _margin(layout)
    area = safe_area(W, H)
    top, bottom = area[1] + m, area[1] + area[3] - m
    flowing, cta, legal = _roles(layout)
    logo_h = round(0.05 * min(W, H) + 0.02 * H) if logo else 0
    logo_box = _logo_box(m, top, min(W - 2 * m, 6 * logo_h), logo_h) if logo else None
    y0 = top + (logo_h + m // 2 if logo else 0)
    inner = W - 2 * m
    cta_h = _button_height(cta) if cta else 0
    legal_h = round(legal.size * legal.line_height * 2.2) if legal else 0
    foot = cta_h + legal_h + m * (bool(cta) + bool(legal))  # call to action and legal line under it all
    boxes: dict[str, tuple[Box, str]] = {}
    badge = cta_beside = None
    if name in ("picture-below", "badge"):
        text_h = round((0.3 if is_story(W, H) else 0.36) * (bottom - y0))
        boxes.update(_column(flowing, None, None, (m, y0, inner, text_h), "center"))
        picture_top = y0 + text_h + m
        picture = (m, picture_top, inner, bottom - foot - picture_top - m // 2)
        if cta and picture[3] < MIN_PICTURE_SHARE * (bottom - y0):
            # A small canvas (300×250) has no height left for a strip of picture between the text and
            # the button: the button goes beside the picture, which takes the whole height below the text.
            legal_room = legal_h + m if legal else 0
            picture_w = round(0.45 * (inner - m))
            picture = (m, picture_top, picture_w, bottom - legal_room - picture_top)
            cta_w = inner - picture_w - m
            cta_beside = (m + picture_w + m, picture_top + (picture[3] - cta_h) // 2, cta_w, cta_h)
        if name == "badge":  # compose moves it onto the picture's top right corner
            side = max(56, round(0.36 * min(picture[2], picture[3])))
            badge = (picture[0] + picture[2] - side, picture[1], side, side)
    elif name == "picture-top":
        picture_top = area[1] + m if not logo else y0
        picture_h = round(0.42 * (bottom - picture_top))
        picture = (m, picture_top, inner, picture_h)
        text_top = picture_top + picture_h + m
        boxes.update(_column(flowing, None, None, (m, text_top, inner, bottom - foot - text_top - m // 2), "center"))
    elif name == "side-by-side":
        half = (inner - m) // 2
        column = (m, y0, half, bottom - foot - y0 - m // 2)
        boxes.update(_column(flowing, None, None, column, "left"))
        picture = (m + half + m, y0, inner - half - m, column[3])
    else:  # full-bleed: the picture under everything, the texts on a scrim in the upper part
        picture = (0, 0, W, H)
        text_h = round(0.42 * (bottom - y0))
        boxes.update(_column(flowing, None, None, (m, y0, inner, text_h), "left"))
    align = "left" if name in ("side-by-side", "full-bleed") else "center"
    if cta_beside:
        boxes[cta.key] = (cta_beside, "center")
    elif cta:
        width = min(inner, max(round(cta.size * 9), round(0.5 * inner)))
        left = m if align == "left" else m + (inner - width) // 2
        boxes[cta.key] = ((left, bottom - foot + m // 2, width, cta_h), align)
    if legal:
        boxes[legal.key] = ((m, bottom - legal_h, inner, legal_h), align)
    boxes = {key: (_inside(box, area), a) for key, (box, a) in boxes.items()}
    return _assemble(layout, name, boxes, picture, logo_box=logo_box, badge=badge, full_bleed=name == "full-bleed")
