"""Design specs: compose (format + texts + pictures → spec) and render (spec → pixels).

The spec is the seed-000 contract: `{width, height, background, background_color, elements}`.
`render` looks at nothing but the spec and the pictures it names, so any valid spec renders the
same wherever it comes from.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from mlcore.fonts import load_font
from mlcore.layout import Background, ImageSlot, Layout, TextSlot

WHITE, INK = "#ffffff", "#111111"


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


# -- colour -------------------------------------------------------------------------------------


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return tuple(int(color[i : i + 2], 16) for i in (0, 2, 4))


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        value /= 255.0
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def required_contrast(font_size: int) -> float:
    """WCAG AA: 4.5 for body text, 3 for large text (24 px and up)."""
    return 3.0 if font_size >= 24 else 4.5


# -- background ---------------------------------------------------------------------------------


def background_pixels(width: int, height: int, background: dict[str, Any]) -> np.ndarray:
    """H x W x 3 uint8 array of a solid or linear-gradient background (angle in degrees, 90 = top→bottom)."""
    colors = [np.array(hex_to_rgb(c), dtype=np.float32) for c in background["colors"]]
    if background.get("type") != "gradient" or len(colors) < 2:
        return np.broadcast_to(colors[0].astype(np.uint8), (height, width, 3)).copy()
    angle = math.radians(background.get("angle", 90))
    dx, dy = math.cos(angle), math.sin(angle)
    xs = np.arange(width, dtype=np.float32)[None, :] - width / 2
    ys = np.arange(height, dtype=np.float32)[:, None] - height / 2
    projection = xs * dx + ys * dy
    half = abs(width / 2 * dx) + abs(height / 2 * dy) or 1.0
    t = ((projection / half) + 1) / 2
    pixels = colors[0] * (1 - t[..., None]) + colors[1] * t[..., None]
    return np.clip(pixels + 0.5, 0, 255).astype(np.uint8)


# -- text ---------------------------------------------------------------------------------------


def wrap_text(text: str, font, max_width: int) -> list[str] | None:
    """Greedy word wrap; None when a single word is wider than the box."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
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
    while size >= slot.min_size:
        font = load_font(slot.font, slot.weight, size)
        lines = wrap_text(text, font, width)
        if lines is not None and len(lines) * size * slot.line_height <= height + 0.5:
            return size, lines
        if size == slot.min_size:
            return None
        size = max(slot.min_size, int(size * 0.92))
    return None


# -- compose ------------------------------------------------------------------------------------


def fit_picture(picture: Image.Image, slot: ImageSlot) -> tuple[int, int, int, int]:
    """Box of the picture inside the slot, padding kept and aspect ratio unchanged, centred."""
    x, y, w, h = slot.box
    inner_w, inner_h = w - 2 * slot.padding, h - 2 * slot.padding
    scale = min(inner_w / picture.width, inner_h / picture.height)
    pw, ph = max(1, int(picture.width * scale)), max(1, int(picture.height * scale))
    return x + (w - pw) // 2, y + (h - ph) // 2, pw, ph


def trim_margin(picture: Image.Image) -> Image.Image:
    """Cut a transparent (or white) margin so the object, not its canvas, fills the slot."""
    rgba = picture.convert("RGBA")
    bbox = rgba.getchannel("A").point(lambda a: 255 if a > 8 else 0).getbbox()
    if bbox and bbox != (0, 0, rgba.width, rgba.height):
        return rgba.crop(bbox)
    if rgba.getchannel("A").getextrema()[0] == 255:  # opaque: trim near-white border
        gray = rgba.convert("L").point(lambda v: 255 if v < 245 else 0)
        bbox = gray.getbbox()
        if bbox:
            return rgba.crop(bbox)
    return rgba


def pick_text_color(
    slot: TextSlot, behind: tuple[float, float, float], size: int, palette: list[str]
) -> tuple[str, float]:
    """The slot's colour if it reads well on what is behind it, else the best palette colour."""
    candidates = ([slot.color] if slot.color else []) + palette + [WHITE, INK]
    need = required_contrast(size)
    for color in candidates:
        ratio = contrast_ratio(hex_to_rgb(color), behind)
        if ratio >= need:
            return color, ratio
    best = max(candidates, key=lambda c: contrast_ratio(hex_to_rgb(c), behind))
    return best, contrast_ratio(hex_to_rgb(best), behind)


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
    report = {
        "overlaps": 0,
        "text_outside_box": 0,
        "min_contrast": None,
        "smallest_font": None,
        "shrunk_share": 0.0,
        "picture_coverage": 0.0,
    }
    for slot in layout.image_slots:
        if slot.key not in pictures:
            continue
        src, picture = pictures[slot.key]
        x, y, w, h = fit_picture(trim_margin(picture), slot)
        elements.append({"type": "image", "slot": slot.key, "src": src, "x": x, "y": y, "width": w, "height": h})
        report["picture_coverage"] = round(report["picture_coverage"] + w * h / (layout.width * layout.height), 4)
    shrunk = 0
    filled = [s for s in layout.text_slots if texts.get(s.key, "").strip()]
    for slot in filled:
        fitted = fit_text(slot, texts[slot.key].strip())
        if fitted is None:
            overflow.append(slot.key)
            continue
        size, lines = fitted
        shrunk += size < slot.size
        x, y, w, h = slot.box
        behind = tuple(float(v) for v in bg_pixels[y : y + h, x : x + w].reshape(-1, 3).mean(axis=0))
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
            element["plate"] = "#000000b3" if relative_luminance(hex_to_rgb(color)) > 0.5 else "#ffffffd9"
            ratio = required_contrast(size)
        elements.append(element)
        report["min_contrast"] = round(min(ratio, report["min_contrast"] or ratio), 2)
        report["smallest_font"] = min(size, report["smallest_font"] or size)
    report["shrunk_share"] = round(shrunk / len(filled), 3) if filled else 0.0
    report["text_outside_box"] = len(overflow)
    spec = {
        "width": layout.width,
        "height": layout.height,
        "background": background_json,
        "background_color": bg.colors[0],
        "elements": elements,
    }
    return ComposeResult(spec=spec, report=report, overflow=overflow)


# -- render -------------------------------------------------------------------------------------


def _draw_text(canvas: Image.Image, element: dict[str, Any]) -> None:
    font = load_font(element["fontFamily"], element.get("fontWeight", 700), element["fontSize"])
    draw = ImageDraw.Draw(canvas)
    x, y, w = element["x"], element["y"], element["width"]
    step = element["fontSize"] * element.get("lineHeight", 1.15)
    plate = element.get("plate")
    if plate:
        overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
        rgba = (*hex_to_rgb(plate[:7]), int(plate[7:9] or "ff", 16))
        ImageDraw.Draw(overlay).rounded_rectangle(
            (x, y, x + w, y + element["height"]), radius=element["fontSize"] // 3, fill=rgba
        )
        canvas.alpha_composite(overlay)
    ascent = font.getmetrics()[0]
    for index, line in enumerate(element["text"].split("\n")):
        length = font.getlength(line)
        offset = {"left": 0, "center": (w - length) / 2, "right": w - length}[element.get("align", "left")]
        baseline = y + index * step + (step - element["fontSize"]) / 2 + ascent
        draw.text((x + offset, baseline), line, font=font, fill=element["color"], anchor="ls")


def render(spec: dict[str, Any], images: dict[str, Image.Image]) -> Image.Image:
    """Pixels of a spec; `images` maps each image element's src to its picture."""
    canvas = Image.fromarray(background_pixels(spec["width"], spec["height"], spec["background"])).convert("RGBA")
    for element in spec["elements"]:
        if element["type"] == "image" and element["src"] in images:
            picture = images[element["src"]].convert("RGBA")
            picture = trim_margin(picture).resize((element["width"], element["height"]), Image.Resampling.LANCZOS)
            canvas.alpha_composite(picture, (element["x"], element["y"]))
        elif element["type"] == "text":
            _draw_text(canvas, element)
    return canvas.convert("RGB")


def encode(image: Image.Image, fmt: str = "png", quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    if fmt == "png":
        image.save(buffer, format="PNG", optimize=False, compress_level=6)
    else:
        image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()
