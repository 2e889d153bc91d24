"""Compose: format + texts + pictures + brand colours → a design spec that never overlaps and reads well.

Text wraps in its box, then shrinks step by step to the slot's minimum size; what still does not
fit is reported (the copywriter shortens; nothing is clipped silently). Pictures are trimmed of
their empty margin and fitted into their box with the slot's padding, aspect ratio kept. Each
text colour is checked against the pixels behind it and switched to a brand colour (or given a
plate) so it meets WCAG contrast.
"""

from __future__ import annotations

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
    background_pixels,
    contrast_against,
    hex_to_rgb,
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


def compose(
    layout: Layout,
    texts: dict[str, str],
    pictures: dict[str, tuple[str, Image.Image]],
    palette: list[str] | None = None,
    background: Background | None = None,
) -> ComposeResult:
    """Place every element of the format; `pictures` maps image slot → (src, picture)."""
    palette = palette or []
    bg = background or layout.background
    background_json = {"type": bg.type, "colors": list(bg.colors), "angle": bg.angle}
    bg_pixels = background_pixels(layout.width, layout.height, background_json)
    elements: list[dict[str, Any]] = []
    overflow: list[str] = []
    coverage = 0.0
    for slot in layout.image_slots:
        if slot.key not in pictures:
            continue
        src, picture = pictures[slot.key]
        x, y, w, h = fit_picture(trim_margin(picture), slot)
        elements.append(
            {"type": "image", "slot": slot.key, "src": src, "x": x, "y": y, "width": w, "height": h, "shadow": True}
        )
        coverage += w * h / (layout.width * layout.height)
    filled = [s for s in layout.text_slots if texts.get(s.key, "").strip()]
    shrunk = 0
    for slot in filled:
        fitted = fit_text(slot, _BREAKABLE.sub(" ", texts[slot.key]).strip())
        if fitted is None:
            overflow.append(slot.key)
            continue
        size, lines = fitted
        shrunk += size < slot.size
        x, y, w, h = slot.box
        behind = bg_pixels[y : y + h, x : x + w]
        color, ratio = pick_text_color(slot, behind, size, palette)
        element = {
            "type": "text",
            "slot": slot.key,
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
        if ratio < required_contrast(size):
            # A subtle plate in the opposite tone of the text makes it readable on any background.
            element["plate"] = "#000000b3" if relative_luminance(hex_to_rgb(color)) > 0.4 else "#ffffffd9"
        elements.append(element)
    spec = {
        "width": layout.width,
        "height": layout.height,
        "background": background_json,
        "background_color": bg.colors[0],
        "elements": elements,
    }
    # Pictures never sit under text; only their shadow could reach a text box, so they are drawn
    # for the contrast check only when one's shadow margin touches a text box.
    near = [
        e
        for e in elements
        if e["type"] == "image" and any(boxes_overlap(_grown(e, 0.1), _box(t)) for t in elements if t["type"] == "text")
    ]
    underlay = render_underlay(spec, {src: picture for src, picture in pictures.values()} if near else {})
    report = layout_report(
        spec, overflow=overflow, shrunk=shrunk, filled=len(filled), coverage=coverage, underlay=underlay
    )
    return ComposeResult(spec=spec, report=report, overflow=overflow)


def _box(element: dict) -> tuple[int, int, int, int]:
    return element["x"], element["y"], element["width"], element["height"]


def _grown(element: dict, share: float) -> tuple[int, int, int, int]:
    grow = int(share * max(element["width"], element["height"]))
    return element["x"] - grow, element["y"] - grow, element["width"] + 2 * grow, element["height"] + 2 * grow


def layout_report(
    spec: dict, *, overflow: list[str], shrunk: int, filled: int, coverage: float, underlay: Image.Image | None = None
) -> dict:
    """What people should know about a layout: overlaps, overflow, contrast, type size, coverage."""
    elements = spec["elements"]
    overlaps = sum(1 for i, a in enumerate(elements) for b in elements[i + 1 :] if boxes_overlap(_box(a), _box(b)))
    outside = sum(
        1
        for e in elements
        if e["x"] < 0 or e["y"] < 0 or e["x"] + e["width"] > spec["width"] or e["y"] + e["height"] > spec["height"]
    )
    contrasts = text_contrasts(spec, underlay=underlay)
    sizes = [e["fontSize"] for e in elements if e["type"] == "text"]
    return {
        "overlaps": overlaps,
        "boxes_outside_canvas": outside,
        "text_outside_box": len(overflow),
        "min_contrast": round(min((c for _, c, _ in contrasts), default=0.0), 2) if contrasts else None,
        "contrast_ok": all(c >= need for _, c, need in contrasts),
        "smallest_font": min(sizes) if sizes else None,
        "shrunk_share": round(shrunk / filled, 3) if filled else 0.0,
        "picture_coverage": round(coverage, 4),
    }
