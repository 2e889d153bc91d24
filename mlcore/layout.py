"""Banner formats as plain data: canvas, background, text slots and image slots.

`parse_layout` turns the JSON of a format (a preset file or a database row) into typed values,
or raises `LayoutError` naming the field that is wrong (`text_slots[1].box`) and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlcore.fonts import KNOWN_FONTS

MIN_SIDE, MAX_SIDE = 16, 4096
MAX_IMAGE_SLOTS = 5  # seed 003: formats have 0 to 5 picture slots
PURPOSES = ("headline", "subheadline", "body", "cta", "legal", "badge")
ALIGNS = ("left", "center", "right")
PLATFORMS = ("instagram", "facebook", "linkedin", "x", "display")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class LayoutError(ValueError):
    """A format's JSON is invalid; `path` names the field (`text_slots[0].max_chars`)."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Background:
    type: str
    colors: tuple[str, ...]
    angle: float = 90.0


@dataclass(frozen=True)
class TextSlot:
    key: str
    purpose: str
    max_chars: int
    box: Box
    size: int
    min_size: int
    font: str = "Montserrat"
    weight: int = 700
    color: str = ""
    align: str = "left"
    ai_filled: bool = True
    default_text: str = ""
    line_height: float = 1.15
    valign: str = "top"  # "middle" centres the lines in the box (set by mlcore.variants for a strip)


@dataclass(frozen=True)
class ImageSlot:
    key: str
    box: Box
    padding: int = 0


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    background: Background
    text_slots: tuple[TextSlot, ...]
    image_slots: tuple[ImageSlot, ...] = field(default_factory=tuple)
    # Set by mlcore.variants: the arrangement's name, the brand logo's box, a picture under the whole
    # canvas (texts then sit on a scrim), and where text and logo may go (a story's safe zone).
    variant: str = ""
    logo_box: Box | None = None
    full_bleed: bool = False
    safe_area: Box | None = None

    def text_slots_by_key(self) -> dict[str, TextSlot]:
        return {slot.key: slot for slot in self.text_slots}


def boxes_overlap(a: Box, b: Box) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def _require(data: dict, key: str, path: str) -> Any:
    if key not in data:
        raise LayoutError(f"{path}{key}", "is required")
    return data[key]


def _int(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LayoutError(path, f"must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise LayoutError(path, f"must be between {low} and {high}, not {value}")
    return value


def _color(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _HEX.match(value):
        raise LayoutError(path, f"must be a colour like #1a2b3c, not {value!r}")
    return value.lower()


def _box(value: Any, path: str, width: int, height: int) -> Box:
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise LayoutError(path, "must be [x, y, width, height]")
    x, y, w, h = (_int(v, f"{path}[{i}]", 0, MAX_SIDE) for i, v in enumerate(value))
    if w < 1 or h < 1:
        raise LayoutError(path, "width and height must be at least 1 px")
    if x + w > width or y + h > height:
        raise LayoutError(path, f"box {list(value)} leaves the {width}x{height} canvas")
    return (x, y, w, h)


def _choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise LayoutError(path, f"must be one of {', '.join(choices)}, not {value!r}")
    return value


def _background(data: Any) -> Background:
    if not isinstance(data, dict):
        raise LayoutError("background", "must be an object with type and colors")
    kind = _choice(data.get("type", "solid"), "background.type", ("solid", "gradient"))
    colors = data.get("colors")
    if not isinstance(colors, list) or not colors:
        raise LayoutError("background.colors", "must be a list of colours")
    needed = 2 if kind == "gradient" else 1
    if len(colors) < needed:
        raise LayoutError("background.colors", f"a {kind} background needs {needed} colours")
    parsed = tuple(_color(c, f"background.colors[{i}]") for i, c in enumerate(colors[:2]))
    angle = data.get("angle", 90)
    if isinstance(angle, bool) or not isinstance(angle, int | float) or not 0 <= angle <= 360:
        raise LayoutError("background.angle", "must be a number of degrees from 0 to 360")
    return Background(type=kind, colors=parsed, angle=float(angle))


def _text_slot(data: Any, path: str, width: int, height: int) -> TextSlot:
    if not isinstance(data, dict):
        raise LayoutError(path, "must be an object")
    key = _require(data, "key", f"{path}.")
    if not isinstance(key, str) or not _KEY.match(key):
        raise LayoutError(f"{path}.key", "must be lower-case letters, digits or _ (like headline)")
    size = _int(_require(data, "size", f"{path}."), f"{path}.size", 6, 400)
    min_size = _int(data.get("min_size", size), f"{path}.min_size", 6, 400)
    if min_size > size:
        raise LayoutError(f"{path}.min_size", f"must not be larger than size ({size})")
    max_chars = _int(_require(data, "max_chars", f"{path}."), f"{path}.max_chars", 1, 500)
    ai_filled = data.get("ai_filled", True)
    if not isinstance(ai_filled, bool):
        raise LayoutError(f"{path}.ai_filled", "must be true or false")
    default_text = data.get("default_text", "")
    if not isinstance(default_text, str):
        raise LayoutError(f"{path}.default_text", "must be text")
    if not ai_filled and not default_text.strip():
        raise LayoutError(f"{path}.default_text", "a slot that is not AI-filled needs its text")
    if len(default_text) > max_chars:
        raise LayoutError(f"{path}.default_text", f"is longer than max_chars ({max_chars})")
    font = data.get("font", "Montserrat")
    if font not in KNOWN_FONTS:
        raise LayoutError(f"{path}.font", f"unknown font {font!r}; known: {', '.join(KNOWN_FONTS)}")
    color = data.get("color", "")
    line_height = data.get("line_height", 1.15)
    if isinstance(line_height, bool) or not isinstance(line_height, int | float) or not 0.8 <= line_height <= 2:
        raise LayoutError(f"{path}.line_height", "must be a number from 0.8 to 2")
    return TextSlot(
        key=key,
        purpose=_choice(data.get("purpose", "body"), f"{path}.purpose", PURPOSES),
        max_chars=max_chars,
        box=_box(_require(data, "box", f"{path}."), f"{path}.box", width, height),
        size=size,
        min_size=min_size,
        font=font,
        weight=_int(data.get("weight", 700), f"{path}.weight", 100, 900),
        color=_color(color, f"{path}.color") if color else "",
        align=_choice(data.get("align", "left"), f"{path}.align", ALIGNS),
        ai_filled=ai_filled,
        default_text=default_text,
        line_height=float(line_height),
    )


def _image_slot(data: Any, path: str, width: int, height: int) -> ImageSlot:
    if not isinstance(data, dict):
        raise LayoutError(path, "must be an object")
    key = _require(data, "key", f"{path}.")
    if not isinstance(key, str) or not _KEY.match(key):
        raise LayoutError(f"{path}.key", "must be lower-case letters, digits or _ (like hero)")
    box = _box(_require(data, "box", f"{path}."), f"{path}.box", width, height)
    padding = _int(data.get("padding", 0), f"{path}.padding", 0, MAX_SIDE)
    if 2 * padding >= min(box[2], box[3]):
        raise LayoutError(f"{path}.padding", "leaves no room for the picture inside the box")
    return ImageSlot(key=key, box=box, padding=padding)


def parse_layout(data: Any) -> Layout:
    """Validate a format's layout JSON; raises LayoutError with the path of the first bad field."""
    if not isinstance(data, dict):
        raise LayoutError("format", "must be a JSON object")
    width = _int(_require(data, "width", ""), "width", MIN_SIDE, MAX_SIDE)
    height = _int(_require(data, "height", ""), "height", MIN_SIDE, MAX_SIDE)
    background = _background(_require(data, "background", ""))
    raw_text = _require(data, "text_slots", "")
    raw_images = data.get("image_slots", [])
    if not isinstance(raw_text, list) or not raw_text:
        raise LayoutError("text_slots", "must be a list with at least one slot")
    if not isinstance(raw_images, list):
        raise LayoutError("image_slots", "must be a list")
    if len(raw_images) > MAX_IMAGE_SLOTS:
        raise LayoutError("image_slots", f"at most {MAX_IMAGE_SLOTS} pictures per format, not {len(raw_images)}")
    text_slots = tuple(_text_slot(s, f"text_slots[{i}]", width, height) for i, s in enumerate(raw_text))
    image_slots = tuple(_image_slot(s, f"image_slots[{i}]", width, height) for i, s in enumerate(raw_images))
    seen: set[str] = set()
    for path, slot in [(f"text_slots[{i}]", s) for i, s in enumerate(text_slots)] + [
        (f"image_slots[{i}]", s) for i, s in enumerate(image_slots)
    ]:
        if slot.key in seen:
            raise LayoutError(f"{path}.key", f"{slot.key!r} is used twice")
        seen.add(slot.key)
    for i, text in enumerate(text_slots):
        for image in image_slots:
            if boxes_overlap(text.box, image.box):
                raise LayoutError(f"text_slots[{i}].box", f"overlaps image slot {image.key!r}")
    return Layout(width, height, background, text_slots, image_slots)
