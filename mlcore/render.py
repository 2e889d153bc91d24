"""Render: a design spec → pixels. The spec alone decides the picture (plus the pictures its
image elements name), so any valid spec renders the same wherever it comes from.

NumPy draws the background gradient, OpenCV resizes pictures and blurs their shadow, Pillow
(with Raqm: kerning and shaping) draws the text.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from mlcore.fonts import KNOWN_FONTS, font_file, load_font

WHITE, INK = "#ffffff", "#111111"
SHADOW_OPACITY = 0.28


# -- colour -------------------------------------------------------------------------------------


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _linear(channel: np.ndarray) -> np.ndarray:
    channel = channel / 255.0
    return np.where(channel <= 0.03928, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)


_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])
_LINEAR_LUT = _linear(np.arange(256, dtype=np.float64))  # sRGB byte → linear light


def luminance(pixels: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of an (..., 3) array of sRGB values (bytes go through a lookup table)."""
    pixels = np.asarray(pixels)
    if pixels.dtype == np.uint8:
        return _LINEAR_LUT[pixels] @ _WEIGHTS
    return _linear(pixels.astype(np.float64)) @ _WEIGHTS


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    return float(luminance(np.array(rgb)))


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def contrast_against(color: str, pixels: np.ndarray, percentile: float = 2.0) -> float:
    """Contrast of a text colour against the pixels behind it: the worst few percent, not the mean.

    `pixels` is an (h, w, 3) or (n, 3) uint8 array; large boxes are sampled on a 3-pixel grid."""
    text = relative_luminance(hex_to_rgb(color))
    if pixels.ndim == 3:
        pixels = pixels[::3, ::3]
    behind = luminance(pixels.reshape(-1, 3))
    ratios = (np.maximum(text, behind) + 0.05) / (np.minimum(text, behind) + 0.05)
    return float(np.percentile(ratios, percentile))


def required_contrast(font_size: int) -> float:
    """WCAG AA: 4.5 for body text, 3 for large text (24 px and up)."""
    return 3.0 if font_size >= 24 else 4.5


# -- background and pictures ------------------------------------------------------------------


def background_pixels(width: int, height: int, background: dict[str, Any]) -> np.ndarray:
    """H x W x 3 uint8 array: a solid colour or a linear gradient (angle in degrees, 90 = top→bottom).

    Read-only and cached: a banner's background is drawn once for compose, report and render."""
    return _background(
        width, height, background.get("type", "solid"), tuple(background["colors"]), float(background.get("angle", 90))
    )


@lru_cache(maxsize=16)
def _background(width: int, height: int, kind: str, colors: tuple[str, ...], angle: float) -> np.ndarray:
    rgb = [np.array(hex_to_rgb(c), dtype=np.float32) for c in colors]
    if kind != "gradient" or len(rgb) < 2:
        pixels = np.broadcast_to(rgb[0].astype(np.uint8), (height, width, 3)).copy()
    else:
        radians = math.radians(angle)
        dx, dy = math.cos(radians), math.sin(radians)
        half = abs(width / 2 * dx) + abs(height / 2 * dy) or 1.0
        xs = (np.arange(width, dtype=np.float32) - width / 2) * (dx / half)
        ys = (np.arange(height, dtype=np.float32) - height / 2) * (dy / half)
        steps = np.clip((ys[:, None] + xs[None, :]) * 127.5 + 127.5, 0, 255).astype(np.uint8)
        t = np.linspace(0, 1, 256, dtype=np.float32)[:, None]
        palette = (rgb[0] * (1 - t) + rgb[1] * t + 0.5).astype(np.uint8)  # 256 colours along the ramp
        pixels = palette[steps]
    pixels.flags.writeable = False
    return pixels


def trim_margin(picture: Image.Image) -> Image.Image:
    """Cut a transparent (or white) margin so the object, not its canvas, fills the slot."""
    rgba = picture.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"))
    if alpha.min() < 250:
        mask = alpha > 8
    else:  # opaque: the margin is near-white
        mask = np.asarray(rgba.convert("L")) < 245
    rows, cols = np.any(mask, axis=1), np.any(mask, axis=0)
    if not rows.any():
        return rgba
    top, bottom = np.argmax(rows), len(rows) - np.argmax(rows[::-1])
    left, right = np.argmax(cols), len(cols) - np.argmax(cols[::-1])
    return rgba.crop((int(left), int(top), int(right), int(bottom)))


def _draw_picture(canvas: Image.Image, picture: Image.Image, element: dict) -> None:
    """Resize with OpenCV (area filter when shrinking), add a soft drop shadow, composite in place."""
    rgba = np.asarray(trim_margin(picture))
    size = (element["width"], element["height"])
    interpolation = cv2.INTER_AREA if size[0] < rgba.shape[1] else cv2.INTER_CUBIC
    resized = cv2.resize(rgba, size, interpolation=interpolation)
    if element.get("shadow"):
        # Blur a quarter-size alpha mask: the same soft shadow at a sixteenth of the cost.
        radius = max(2, int(0.04 * max(size)))
        pad = 2 * radius
        small = cv2.resize(resized[..., 3], (max(1, size[0] // 4), max(1, size[1] // 4)), interpolation=cv2.INTER_AREA)
        small = cv2.copyMakeBorder(small, pad // 4, pad // 4, pad // 4, pad // 4, cv2.BORDER_CONSTANT, value=0)
        blurred = cv2.GaussianBlur(small, (0, 0), sigmaX=max(0.5, radius / 8))
        shadow_alpha = cv2.resize(
            blurred, (size[0] + 2 * (pad // 4) * 4, size[1] + 2 * (pad // 4) * 4), interpolation=cv2.INTER_LINEAR
        )
        shadow = np.zeros((*shadow_alpha.shape, 4), dtype=np.uint8)
        shadow[..., 3] = (shadow_alpha * SHADOW_OPACITY).astype(np.uint8)
        offset = (pad // 4) * 4
        _paste(canvas, Image.fromarray(shadow), element["x"] - offset, element["y"] - offset + radius // 2)
    _paste(canvas, Image.fromarray(resized), element["x"], element["y"])


def _paste(canvas: Image.Image, layer: Image.Image, x: int, y: int) -> None:
    """Composite an RGBA layer onto the opaque RGB canvas (its alpha is the mask); Pillow clips at the edges."""
    canvas.paste(layer, (x, y), layer)


# -- text ---------------------------------------------------------------------------------------


def _plate_rgba(plate: str) -> tuple[int, int, int, int]:
    return (*hex_to_rgb(plate[:7]), int(plate[7:9] or "ff", 16))


def _draw_plate(canvas: Image.Image, element: dict) -> None:
    x, y, w, h = element["x"], element["y"], element["width"], element["height"]
    overlay = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rounded_rectangle(
        (0, 0, w - 1, h - 1), radius=max(2, element["fontSize"] // 3), fill=_plate_rgba(element["plate"])
    )
    canvas.alpha_composite(overlay, (x, y))


def _draw_text(canvas: Image.Image, element: dict) -> None:
    font = load_font(element["fontFamily"], element.get("fontWeight", 700), element["fontSize"])
    draw = ImageDraw.Draw(canvas)
    x, y, w = element["x"], element["y"], element["width"]
    step = element["fontSize"] * element.get("lineHeight", 1.15)
    ascent = font.getmetrics()[0]
    align = element.get("align", "left")
    for index, line in enumerate(element["text"].split("\n")):
        length = font.getlength(line)
        offset = {"left": 0.0, "center": (w - length) / 2, "right": w - length}[align]
        baseline = y + index * step + (step - element["fontSize"]) / 2 + ascent * 0.96
        draw.text((x + offset, baseline), line, font=font, fill=element["color"], anchor="ls")


# -- the whole spec -----------------------------------------------------------------------------


def _draw_shape(canvas: Image.Image, element: dict) -> None:
    """A filled rectangle (rounded by `radius`) or ellipse, `opacity` from 0 to 1, drawn 2x and scaled
    down for smooth edges where it is round."""
    w, h = element["width"], element["height"]
    alpha = round(255 * float(element.get("opacity", 1)))
    fill = (*hex_to_rgb(element["fill"]), alpha)
    radius = min(int(element.get("radius", 0)), w // 2, h // 2)
    round_edges = element["shape"] == "ellipse" or radius > 0
    scale = 2 if round_edges and max(w, h) <= 400 else 1  # a large shape's curve is smooth enough at 1x
    layer = Image.new("RGBA", (w * scale, h * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    box = (0, 0, w * scale - 1, h * scale - 1)
    if element["shape"] == "ellipse":
        draw.ellipse(box, fill=fill)
    elif radius:
        draw.rounded_rectangle(box, radius=radius * scale, fill=fill)
    else:
        draw.rectangle(box, fill=fill)
    if scale > 1:
        layer = layer.resize((w, h), Image.BILINEAR)
    canvas.paste(layer, (element["x"], element["y"]), layer)


def render_underlay(spec: dict, images: dict[str, Image.Image]) -> Image.Image:
    """Everything but the glyphs: background, then pictures (with their shadows) and shapes in the
    spec's order, then text plates (RGB)."""
    underlay = Image.fromarray(background_pixels(spec["width"], spec["height"], spec["background"]))
    for element in spec["elements"]:
        if element["type"] == "image" and element["src"] in images:
            _draw_picture(underlay, images[element["src"]], element)
        elif element["type"] == "shape":
            _draw_shape(underlay, element)
    for element in spec["elements"]:
        if element["type"] == "text" and element.get("plate"):
            _draw_plate(underlay, element)
    return underlay


def render(spec: dict, images: dict[str, Image.Image], underlay: Image.Image | None = None) -> Image.Image:
    """Pixels of a spec; `images` maps each image element's src to its picture. `underlay` is this
    spec's render_underlay when the caller has it already (compose draws it to measure contrast)."""
    canvas = underlay.copy() if underlay is not None else render_underlay(spec, images)
    for element in spec["elements"]:
        if element["type"] == "text" and element["text"].strip():
            _draw_text(canvas, element)
    return canvas


def text_contrasts(
    spec: dict, images: dict[str, Image.Image] | None = None, underlay: Image.Image | None = None
) -> list[tuple[str, float, float]]:
    """(slot, contrast, required) of each text element, measured on the rendered pixels behind it."""
    underlay = np.asarray(underlay or render_underlay(spec, images or {}))
    found = []
    for element in spec["elements"]:
        if element["type"] != "text" or not element["text"].strip():
            continue
        x, y, w, h = element["x"], element["y"], element["width"], element["height"]
        ratio = contrast_against(element["color"], underlay[y : y + h, x : x + w])
        found.append((element.get("slot", ""), ratio, required_contrast(element["fontSize"])))
    return found


def open_picture(path) -> Image.Image:
    """A picture file as a loaded PIL image. SVG (a logo) is drawn by resvg, 1024 px on its longer
    side, its text with the shipped fonts only (the same pixels on every machine)."""
    path = Path(path)
    if path.suffix.lower() in (".svg", ".svgz"):
        import resvg_py

        options = {
            "svg_path": str(path),
            "skip_system_fonts": True,
            "font_files": [str(font_file(f)) for f in KNOWN_FONTS],
        }
        probe = Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(**options))))
        data = resvg_py.svg_to_bytes(**options, zoom=1024 / max(probe.size))
        image = Image.open(io.BytesIO(bytes(data)))
    else:
        image = Image.open(path)
    image.load()
    return image


def encode(image: Image.Image, fmt: str = "png", quality: int = 90) -> bytes:
    """PNG (zlib level 1, "up" filter: 2x faster than Pillow's default, ~10 % larger) or JPEG."""
    if fmt == "png":
        flags = [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_UP]
        _, data = cv2.imencode(".png", cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR), flags)
        return data.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()
