"""Render: a design spec → pixels. The spec alone decides the picture (plus the pictures its
image elements name), so any valid spec renders the same wherever it comes from.

NumPy draws the background gradient, OpenCV resizes pictures and blurs their shadow, Pillow
(with Raqm: kerning and shaping) draws the text.
"""

from __future__ import annotations

import io
import math
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from mlcore.fonts import load_font

WHITE, INK = "#ffffff", "#111111"
SHADOW_OPACITY = 0.28


# -- colour -------------------------------------------------------------------------------------


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def _linear(channel: np.ndarray) -> np.ndarray:
    channel = channel / 255.0
    return np.where(channel <= 0.03928, channel / 12.92, ((channel + 0.055) / 1.055) ** 2.4)


def luminance(pixels: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of an (..., 3) array of sRGB values."""
    linear = _linear(np.asarray(pixels, dtype=np.float64))
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def relative_luminance(rgb: tuple[float, float, float]) -> float:
    return float(luminance(np.array(rgb)))


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def contrast_against(color: str, pixels: np.ndarray, percentile: float = 2.0) -> float:
    """Contrast of a text colour against the pixels behind it: the worst few percent, not the mean."""
    text = relative_luminance(hex_to_rgb(color))
    behind = luminance(pixels.reshape(-1, 3))
    ratios = (np.maximum(text, behind) + 0.05) / (np.minimum(text, behind) + 0.05)
    return float(np.percentile(ratios, percentile))


def required_contrast(font_size: int) -> float:
    """WCAG AA: 4.5 for body text, 3 for large text (24 px and up)."""
    return 3.0 if font_size >= 24 else 4.5


# -- background and pictures ------------------------------------------------------------------


def background_pixels(width: int, height: int, background: dict[str, Any]) -> np.ndarray:
    """H x W x 3 uint8 array: a solid colour or a linear gradient (angle in degrees, 90 = top→bottom)."""
    colors = [np.array(hex_to_rgb(c), dtype=np.float32) for c in background["colors"]]
    if background.get("type") != "gradient" or len(colors) < 2:
        return np.broadcast_to(colors[0].astype(np.uint8), (height, width, 3)).copy()
    angle = math.radians(background.get("angle", 90))
    dx, dy = math.cos(angle), math.sin(angle)
    xs = np.arange(width, dtype=np.float32)[None, :] - width / 2
    ys = np.arange(height, dtype=np.float32)[:, None] - height / 2
    half = abs(width / 2 * dx) + abs(height / 2 * dy) or 1.0
    t = np.clip((xs * dx + ys * dy) / half * 0.5 + 0.5, 0, 1)[..., None]
    return (colors[0] * (1 - t) + colors[1] * t + 0.5).astype(np.uint8)


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


def _composite(canvas: np.ndarray, layer: np.ndarray, x: int, y: int) -> None:
    """Alpha-composite an RGBA float layer onto an RGB float canvas in place (clipped to the canvas)."""
    h, w = layer.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, canvas.shape[1]), min(y + h, canvas.shape[0])
    if x0 >= x1 or y0 >= y1:
        return
    part = layer[y0 - y : y1 - y, x0 - x : x1 - x]
    alpha = part[..., 3:4] / 255.0
    region = canvas[y0:y1, x0:x1]
    region[:] = part[..., :3] * alpha + region * (1 - alpha)


def _draw_picture(canvas: np.ndarray, picture: Image.Image, element: dict) -> None:
    rgba = np.asarray(trim_margin(picture), dtype=np.float32)
    size = (element["width"], element["height"])
    interpolation = cv2.INTER_AREA if size[0] < rgba.shape[1] else cv2.INTER_CUBIC
    resized = np.clip(cv2.resize(rgba, size, interpolation=interpolation), 0, 255)
    if element.get("shadow"):
        radius = max(3, int(0.04 * max(size)) | 1)
        pad = radius * 2
        alpha = np.zeros((size[1] + 2 * pad, size[0] + 2 * pad), dtype=np.float32)
        alpha[pad:-pad, pad:-pad] = resized[..., 3]
        blurred = cv2.GaussianBlur(alpha, (0, 0), sigmaX=radius / 2) * SHADOW_OPACITY
        shadow = np.zeros((*blurred.shape, 4), dtype=np.float32)
        shadow[..., 3] = blurred
        _composite(canvas, shadow, element["x"] - pad, element["y"] - pad + radius // 2)
    _composite(canvas, resized, element["x"], element["y"])


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


def render_underlay(spec: dict, images: dict[str, Image.Image]) -> Image.Image:
    """Everything but the glyphs: background, pictures and their shadows, text plates (RGBA)."""
    canvas = background_pixels(spec["width"], spec["height"], spec["background"]).astype(np.float32)
    for element in spec["elements"]:
        if element["type"] == "image" and element["src"] in images:
            _draw_picture(canvas, images[element["src"]], element)
    underlay = Image.fromarray(np.clip(canvas + 0.5, 0, 255).astype(np.uint8)).convert("RGBA")
    for element in spec["elements"]:
        if element["type"] == "text" and element.get("plate"):
            _draw_plate(underlay, element)
    return underlay


def render(spec: dict, images: dict[str, Image.Image]) -> Image.Image:
    """Pixels of a spec; `images` maps each image element's src to its picture."""
    canvas = render_underlay(spec, images)
    for element in spec["elements"]:
        if element["type"] == "text" and element["text"].strip():
            _draw_text(canvas, element)
    return canvas.convert("RGB")


def text_contrasts(spec: dict, images: dict[str, Image.Image] | None = None) -> list[tuple[str, float, float]]:
    """(slot, contrast, required) of each text element, measured on the rendered pixels behind it."""
    underlay = np.asarray(render_underlay(spec, images or {}).convert("RGB"))
    found = []
    for element in spec["elements"]:
        if element["type"] != "text" or not element["text"].strip():
            continue
        x, y, w, h = element["x"], element["y"], element["width"], element["height"]
        ratio = contrast_against(element["color"], underlay[y : y + h, x : x + w])
        found.append((element.get("slot", ""), ratio, required_contrast(element["fontSize"])))
    return found


def encode(image: Image.Image, fmt: str = "png", quality: int = 90) -> bytes:
    """PNG (fast zlib level: banners are re-rendered often) or JPEG at the given quality."""
    if fmt == "png":
        _, data = cv2.imencode(
            ".png", cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3]
        )
        return data.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()
