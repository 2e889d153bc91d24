"""Compose: format + texts + pictures + brand colours → a design spec that never overlaps and reads well.

Text wraps in its box, then shrinks step by step to the slot's minimum size; what still does not
fit is reported (the copywriter shortens; nothing is clipped silently). Pictures are trimmed of
their empty margin and fitted into their box with the slot's padding, aspect ratio kept. Each
text colour is checked against the pixels behind it and switched to a brand colour (or given a
plate) so it meets WCAG contrast.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from mlcore.fonts import load_font
from mlcore.layout import Background, ImageSlot, Layout, TextSlot, boxes_overlap
from mlcore.render import (
    INK,
    WHITE,
    contrast_against,
    contrast_ratio,
    hex_to_rgb,
    luminance,
    relative_luminance,
    render_underlay,
    required_contrast,
    text_contrasts,
    trim_margin,
)

SHRINK_STEP = 0.92


class TextDoesNotFit(ValueError):
    """A text is too long for its slot even at the slot's minimum font size."""

    def __init__(self, slots: list[str]):
        super().__init__(f"text does not fit its box even at the minimum size: {', '.join(slots)}")
        self.slots = slots


@dataclass
class ComposeResult:
    spec: dict[str, Any]
    report: dict[str, Any]
    overflow: list[str] = field(default_factory=list)
    # the spec's pixels without the glyphs (render_underlay), which render may reuse instead of drawing again
    underlay: Image.Image | None = None


_BREAKABLE = re.compile(r"[^\S\u00a0\u202f]+")  # whitespace a line may break at: not the non-breaking spaces


def wrap_text(text: str, font, max_width: int) -> list[str] | None:
    """Greedy word wrap; None when a single word is wider than the box."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in _BREAKABLE.split(paragraph.strip()):
            if not word:
                continue
            candidate = f"{current} {word}".strip()
            if font.getlength(candidate) <= max_width:
                current = candidate
                continue
            if font.getlength(word) > max_width:
                return None
            lines.append(current)
            current = word
        lines.append(current)
    return [line for line in lines if line] or [""]


def fit_text(slot: TextSlot, text: str) -> tuple[int, list[str]] | None:
    """Largest size from slot.size down to slot.min_size at which the wrapped text fits its box."""
    _, _, width, height = slot.box
    size = slot.size
    while True:
        lines = wrap_text(text, load_font(slot.font, slot.weight, size), width)
        if lines is not None and len(lines) * size * slot.line_height <= height + 0.5:
            return size, lines
        if size == slot.min_size:
            return None
        size = max(slot.min_size, int(size * SHRINK_STEP))


def fit_picture(picture: Image.Image, slot: ImageSlot) -> tuple[int, int, int, int]:
    """Box of the picture inside the slot, padding kept and aspect ratio unchanged, centred."""
    x, y, w, h = slot.box
    inner_w, inner_h = w - 2 * slot.padding, h - 2 * slot.padding
    scale = min(inner_w / picture.width, inner_h / picture.height)
    pw, ph = max(1, int(picture.width * scale)), max(1, int(picture.height * scale))
    return x + (w - pw) // 2, y + (h - ph) // 2, pw, ph


def pick_text_color(slot: TextSlot, behind: np.ndarray, size: int, palette: list[str]) -> tuple[str, float]:
    """The slot's colour if it reads on what is behind it, else the first brand colour that does,
    else the best of white and ink."""
    need = required_contrast(size)
    candidates = ([slot.color] if slot.color else []) + palette + [WHITE, INK]
    scored = [(color, contrast_against(color, behind)) for color in candidates]
    for color, ratio in scored:
        if ratio >= need:
            return color, ratio
    return max(scored, key=lambda item: item[1])


def _rgb_hex(rgb) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _ratio(a: str, b: str) -> float:
    return contrast_ratio(hex_to_rgb(a), hex_to_rgb(b))


def surface_colors(fill: str, need: float = 4.5) -> tuple[str, str, str]:
    """(fill, text colour, note) for a button or badge: white or ink text, whichever reads better on
    the fill; a fill on which neither reaches `need` is darkened (or lightened) step by step until
    one does, and the note says so."""
    text = max((WHITE, INK), key=lambda color: _ratio(color, fill))
    if _ratio(text, fill) >= need:
        return fill, text, ""
    rgb = np.array(hex_to_rgb(fill), dtype=float)
    target = np.zeros(3) if text == WHITE else np.full(3, 255.0)
    for step in range(1, 21):
        shade = _rgb_hex(rgb + (target - rgb) * step / 20)
        if _ratio(text, shade) >= need:
            word = "darker" if text == WHITE else "lighter"
            return shade, text, f"{fill} did not reach {need}:1 with {text} text: a {word} shade {shade} is used"
    return _rgb_hex(target), text, ""


def accent_color(palette: list[str], background: str) -> str:
    """The brand colour a button wears: the first that stands out from the background (3:1), else the
    one that stands out most; a warm yellow without a brand."""
    colors = palette or ["#ffc800"]
    for color in colors:
        if _ratio(color, background) >= 3:
            return color
    return max(colors, key=lambda color: _ratio(color, background))


def fit_logo(logo: Image.Image, box: tuple[int, int, int, int], align: str = "left") -> tuple[int, int, int, int]:
    x, y, w, h = box
    scale = min(w / logo.width, h / logo.height)
    lw, lh = max(1, int(logo.width * scale)), max(1, int(logo.height * scale))
    left = {"left": x, "center": x + (w - lw) // 2, "right": x + w - lw}[align]
    return left, y + (h - lh) // 2, lw, lh


def compose(
    layout: Layout,
    texts: dict[str, str],
    pictures: dict[str, tuple[str, Image.Image]],
    palette: list[str] | None = None,
    background: Background | None = None,
    logo: tuple[str, Image.Image] | None = None,
) -> ComposeResult:
    """Place every element of the format (or of one of its variants, mlcore.variants); `pictures`
    maps image slot → (src, picture), `logo` is the brand's (src, picture)."""
    palette = palette or []
    bg = background or layout.background
    background_json = {"type": bg.type, "colors": list(bg.colors), "angle": bg.angle}
    elements: list[dict[str, Any]] = []
    overflow: list[str] = []
    fixes: list[str] = []
    coverage = 0.0
    for slot in layout.image_slots:
        if slot.key not in pictures:
            continue
        src, picture = pictures[slot.key]
        x, y, w, h = fit_picture(trim_margin(picture), slot)
        if layout.full_bleed:  # the picture as large as the canvas allows, on the side away from the text
            if _cut_out(picture):  # an object on transparency: smaller, in the corner, less of it under the scrim
                w, h = round(0.78 * w), round(0.78 * h)
                x = layout.width - w
                y = layout.height - h
            elif layout.width > layout.height:
                x = layout.width - w
            else:
                y = layout.height - h
        elements.append(
            {
                "type": "image",
                "slot": slot.key,
                "role": "picture",
                "src": src,
                "x": x,
                "y": y,
                "width": w,
                "height": h,
                "shadow": not layout.full_bleed,
            }
        )
        coverage += w * h / (layout.width * layout.height)
    if logo is not None and layout.logo_box is not None:
        src, image = logo
        align = (
            "center"
            if layout.variant in ("picture-middle", "picture-top", "badge") and layout.height > 2 * layout.width
            else "left"
        )
        trimmed = trim_margin(image)
        x, y, w, h = fit_logo(trimmed, layout.logo_box, align)
        plate = _logo_plate(trimmed, (x, y, w, h), bg.colors[0], (layout.width, layout.height))
        if plate is not None:
            elements.append(plate)
            fixes.append(f"logo: does not stand out from {bg.colors[0]}, drawn on a {plate['fill']} plate")
        elements.append(
            {"type": "image", "role": "logo", "slot": "logo", "src": src, "x": x, "y": y, "width": w, "height": h}
        )
    filled = [s for s in layout.text_slots if texts.get(s.key, "").strip()]
    pictured = next((e for e in elements if e.get("role") == "picture"), None)
    if pictured is not None and layout.image_slots and not layout.full_bleed:
        filled = [_on_corner(s, pictured, layout.image_slots[0].box) if s.purpose == "badge" else s for s in filled]
    accent = accent_color(palette, bg.colors[0])
    placed: list[tuple[TextSlot, int, list[str], tuple[int, int, int, int]]] = []
    shrunk = 0
    # A badge carries a figure ("−20%", "990 ₽"); without one it would only repeat a word.
    filled = [s for s in filled if s.purpose != "badge" or any(c.isdigit() for c in texts[s.key])]
    for slot in filled:
        surface = slot.purpose in ("cta", "badge")
        text = texts[slot.key].replace("\u00a0", " ") if slot.purpose == "badge" else texts[slot.key]
        fitted = fit_text(_padded(slot) if surface else slot, _BREAKABLE.sub(" ", text).strip())  # a badge may wrap
        if fitted is None:
            if slot.purpose != "badge":  # a badge that does not fit is left out: the figure is in the texts too
                overflow.append(slot.key)
            continue
        size, lines = fitted
        shrunk += size < slot.size
        placed.append((slot, size, lines, slot.box))
    if layout.full_bleed:
        flowing = [box for slot, _, _, box in placed if slot.purpose not in ("cta", "badge")]
        if flowing:
            pad = max(8, round(0.025 * min(layout.width, layout.height)))
            x0, y0 = min(b[0] for b in flowing) - pad, min(b[1] for b in flowing) - pad
            x1 = max(b[0] + b[2] for b in flowing) + pad
            y1 = max(b[1] + b[3] for b in flowing) + pad
            x0, y0 = max(0, x0), max(0, y0)
            x1, y1 = min(layout.width, x1), min(layout.height, y1)
            elements.append(
                {"type": "shape", "shape": "rect", "role": "scrim", "x": x0, "y": y0, "width": x1 - x0,
                 "height": y1 - y0, "fill": bg.colors[0], "opacity": 0.86, "radius": pad}
            )  # fmt: skip
    surfaces: dict[str, tuple[str, float]] = {}
    for slot, size, lines, _ in placed:
        if slot.purpose not in ("cta", "badge"):
            continue
        fill, text_color, note = surface_colors(accent if slot.purpose == "cta" else _badge_fill(palette, accent))
        if note:
            fixes.append(f"{slot.key}: {note}")
        x, y, w, h = _surface_box(slot, size, lines)
        badge = slot.purpose == "badge"
        elements.append(
            {"type": "shape", "shape": "ellipse" if badge else "rect", "role": "badge" if badge else "button",
             "x": x, "y": y, "width": w, "height": h, "fill": fill, "radius": 0 if badge else round(0.35 * h)}
        )  # fmt: skip
        surfaces[slot.key] = (text_color, _ratio(text_color, fill))
    spec = {
        "width": layout.width,
        "height": layout.height,
        "background": background_json,
        "background_color": bg.colors[0],
        "elements": elements,
    }
    if layout.variant:
        spec["layout"] = layout.variant
    images = {src: picture for src, picture in pictures.values()}
    if logo is not None:
        images[logo[0]] = logo[1]
    underlay = np.asarray(render_underlay(spec, images))
    for slot, size, lines, box in placed:
        x, y, w, h = box
        if slot.key in surfaces:
            color, ratio = surfaces[slot.key]
        else:
            color, ratio = pick_text_color(slot, underlay[y : y + h, x : x + w], size, palette)
            if slot.color and color != slot.color:
                fixes.append(f"{slot.key}: {slot.color} does not read on what is behind it, {color} is used")
        element = {
            "type": "text",
            "slot": slot.key,
            "role": slot.purpose,
            "text": "\n".join(lines),
            "x": x,
            "y": y,
            "width": w,
            "height": h,
            "fontSize": size,
            "color": color,
            "fontFamily": slot.font,
            "fontWeight": slot.weight,
            "align": slot.align,
            "lineHeight": slot.line_height,
        }
        if slot.key in surfaces:
            element.update(_text_on_surface(slot, size, lines))
        elif slot.valign == "middle":
            text_h = min(h, math.ceil(len(lines) * size * slot.line_height))
            element.update(y=y + (h - text_h) // 2, height=text_h)
        elif ratio < required_contrast(size):
            # A subtle plate in the opposite tone of the text makes it readable on any background.
            element["plate"] = "#000000b3" if relative_luminance(hex_to_rgb(color)) > 0.4 else "#ffffffd9"
            fixes.append(f"{slot.key}: a plate under the text for contrast")
        elements.append(element)
    final_underlay = (
        render_underlay(spec, images) if any(e.get("plate") for e in elements) else Image.fromarray(underlay)
    )
    report = layout_report(
        spec,
        overflow=overflow,
        shrunk=shrunk,
        filled=len(filled),
        coverage=coverage,
        underlay=final_underlay,
        safe_area=layout.safe_area,
        picture_slots=len(layout.image_slots),
    )
    report["fixes"] = fixes
    return ComposeResult(spec=spec, report=report, overflow=overflow, underlay=final_underlay)


def _logo_plate(
    logo: Image.Image, box: tuple[int, int, int, int], background: str, canvas: tuple[int, int]
) -> dict | None:
    """A rounded plate under a logo whose ink does not stand out from the background (under 3:1):
    a dark wordmark on a dark banner gets a white plate, a white one on white gets ink."""
    rgba = np.asarray(logo.convert("RGBA"))
    ink = luminance(rgba[..., :3][rgba[..., 3] > 128])
    if not len(ink):
        return None
    back = relative_luminance(hex_to_rgb(background))
    ratios = (np.maximum(ink, back) + 0.05) / (np.minimum(ink, back) + 0.05)
    faint = ratios < 3
    if faint.mean() < 0.15:  # a fifth of the logo may be a shade close to the background
        return None
    fill = WHITE if float(np.median(ink[faint])) < 0.4 else INK
    x, y, w, h = box
    pad = max(3, round(0.18 * h))
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(canvas[0], x + w + pad), min(canvas[1], y + h + pad)
    return {"type": "shape", "shape": "rect", "role": "logo-plate", "x": x0, "y": y0, "width": x1 - x0,
            "height": y1 - y0, "fill": fill, "radius": pad}  # fmt: skip


def _cut_out(picture: Image.Image) -> bool:
    """An object cut out of its background (transparent margins), not a photo that fills its frame."""
    if picture.mode not in ("RGBA", "LA", "PA"):
        return False
    return int(np.asarray(picture.getchannel("A"))[::8, ::8].min()) < 250


def _on_corner(slot: TextSlot, picture: dict, area: tuple[int, int, int, int]) -> TextSlot:
    """The badge over the top right corner of the picture as placed, inside the picture's slot (which
    no text shares)."""
    side = min(slot.box[2], slot.box[3])
    ax, ay, aw, ah = area
    x = min(picture["x"] + picture["width"] - round(0.7 * side), ax + aw - side)
    y = max(picture["y"] - round(0.25 * side), ay)
    return dataclasses.replace(slot, box=(max(ax, x), min(y, ay + ah - side), side, side))


def _badge_fill(palette: list[str], accent: str) -> str:
    """The badge stands apart from the button: the second brand colour when there is one."""
    others = [color for color in palette if color.lower() != accent.lower()]
    return others[0] if others else accent


def _insets(slot: TextSlot) -> tuple[int, int]:
    if slot.purpose == "badge":
        side = min(slot.box[2], slot.box[3])
        return round(0.16 * side), round(0.16 * side)
    return round(min(0.9 * slot.size, 0.1 * slot.box[2])), round(0.3 * slot.size)  # narrow buttons: less padding


def _padded(slot: TextSlot) -> TextSlot:
    """The room for the text inside a button or badge: the box less its padding."""
    x, y, w, h = slot.box
    px, py = _insets(slot)
    return dataclasses.replace(slot, box=(x + px, y + py, max(1, w - 2 * px), max(1, h - 2 * py)))


def _surface_box(slot: TextSlot, size: int, lines: list[str]) -> tuple[int, int, int, int]:
    """The button: as wide as its text plus padding (at least a third of its box), placed by the
    slot's alignment; a badge is its whole (square) box."""
    x, y, w, h = slot.box
    if slot.purpose == "badge":
        return x, y, w, h
    px, py = _insets(slot)
    font = load_font(slot.font, slot.weight, size)
    text_w = max(font.getlength(line) for line in lines)
    width = min(w, max(round(text_w + 2 * px), w // 3))
    height = min(h, round(len(lines) * size * slot.line_height + 2 * py))
    left = {"left": x, "center": x + (w - width) // 2, "right": x + w - width}[slot.align]
    return left, y + (h - height) // 2, width, height


def _text_on_surface(slot: TextSlot, size: int, lines: list[str]) -> dict:
    """The text element's box: the surface less its padding, centred in it."""
    sx, sy, sw, sh = _surface_box(slot, size, lines)
    px, _ = _insets(slot)
    text_h = round(len(lines) * size * slot.line_height)
    return {
        "x": sx + px,
        "y": sy + (sh - text_h) // 2,
        "width": max(1, sw - 2 * px),
        "height": max(1, text_h),
        "align": "center",
    }


def _box(element: dict) -> tuple[int, int, int, int]:
    return element["x"], element["y"], element["width"], element["height"]


def _grown(element: dict, share: float) -> tuple[int, int, int, int]:
    grow = int(share * max(element["width"], element["height"]))
    return element["x"] - grow, element["y"] - grow, element["width"] + 2 * grow, element["height"] + 2 * grow


def layout_report(
    spec: dict,
    *,
    overflow: list[str],
    shrunk: int,
    filled: int,
    coverage: float,
    underlay: Image.Image | None = None,
    safe_area: tuple[int, int, int, int] | None = None,
    picture_slots: int = 0,
) -> dict:
    """What people should know about a layout, measured: overlaps (text on text, text on a picture
    without a surface of its own under it), boxes outside the canvas, contrast on the rendered
    pixels, text that did not fit, type size, picture coverage, safe zones."""
    elements = spec["elements"]
    texts = [e for e in elements if e["type"] == "text"]
    pictures = [e for e in elements if e["type"] == "image"]
    surfaces = [e for e in elements if e["type"] == "shape"]
    on_surface = [t for t in texts if any(_covers(s, t) for s in surfaces)]
    overlaps = sum(1 for i, a in enumerate(texts) for b in texts[i + 1 :] if boxes_overlap(_box(a), _box(b)))
    overlaps += sum(1 for t in texts for p in pictures if t not in on_surface and boxes_overlap(_box(t), _box(p)))
    outside = sum(
        1
        for e in elements
        if e["x"] < 0 or e["y"] < 0 or e["x"] + e["width"] > spec["width"] or e["y"] + e["height"] > spec["height"]
    )
    unsafe = 0
    if safe_area is not None:
        ax, ay, aw, ah = safe_area
        unsafe = sum(
            1
            for e in texts + [p for p in pictures if p.get("role") == "logo"]
            if e["y"] < ay or e["y"] + e["height"] > ay + ah or e["x"] < ax or e["x"] + e["width"] > ax + aw
        )
    contrasts = text_contrasts(spec, underlay=underlay)
    sizes = [e["fontSize"] for e in texts]
    return {
        "overlaps": overlaps,
        "boxes_outside_canvas": outside,
        "text_outside_box": len(overflow),
        "outside_safe_zone": unsafe,
        "min_contrast": round(min((c for _, c, _ in contrasts), default=0.0), 2) if contrasts else None,
        "contrast_ok": all(c >= need for _, c, need in contrasts),
        "low_contrast": [slot for slot, c, need in contrasts if c < need],
        "smallest_font": min(sizes) if sizes else None,
        "shrunk_share": round(shrunk / filled, 3) if filled else 0.0,
        "picture_coverage": round(coverage, 4),
        "picture_missing": bool(picture_slots) and not any(p.get("role", "picture") == "picture" for p in pictures),
        "button": any(e.get("role") == "button" for e in surfaces),
        "logo": any(p.get("role") == "logo" for p in pictures),
    }


def _covers(surface: dict, text: dict) -> bool:
    sx, sy, sw, sh = _box(surface)
    tx, ty, tw, th = _box(text)
    return sx <= tx and sy <= ty and sx + sw >= tx + tw and sy + sh >= ty + th
