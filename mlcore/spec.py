"""The design spec (seed-000 contract, extended): its JSON Schema and a validator that names the
bad field (`elements[2].fontSize`), so any spec a client sends renders or is refused with a reason.

Seed 000's minimal form (background_color, text elements without slot, align or weight) is valid:
the validator fills in what it leaves out, so the renderer only ever sees the full form.
"""

from __future__ import annotations

import re
from typing import Any

from mlcore.fonts import KNOWN_FONTS

MIN_SIDE, MAX_SIDE = 16, 4096
_COLOR = re.compile(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_COLOR_ALPHA = re.compile(r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")
SRC = re.compile(r"^bank:\d+$|^media:[\w./-]+$")
TEXT_ROLES = ("headline", "subheadline", "body", "cta", "legal", "badge")
IMAGE_ROLES = ("picture", "logo")
SHAPES = ("rect", "ellipse")

# Common sans-serif web fonts a seed-000 client may name, drawn with the shipped font closest in
# kind. Serif and display faces have no stand-in here and stay refused.
FONT_ALIASES = {
    "Arial": "Roboto",
    "Helvetica": "Roboto",
    "Helvetica Neue": "Roboto",
    "Open Sans": "Noto Sans",
    "Verdana": "Noto Sans",
    "Tahoma": "Noto Sans",
    "Segoe UI": "Inter",
    "system-ui": "Inter",
    "sans-serif": "Inter",
}

COLOR_SCHEMA = {"type": "string", "pattern": _COLOR.pattern, "description": "#rrggbb or #rgb"}
SPEC_SCHEMA: dict[str, Any] = {
    "title": "DesignSpec",
    "type": "object",
    "required": ["width", "height", "elements"],
    "anyOf": [{"required": ["background"]}, {"required": ["background_color"]}],
    "properties": {
        "width": {"type": "integer", "minimum": MIN_SIDE, "maximum": MAX_SIDE},
        "height": {"type": "integer", "minimum": MIN_SIDE, "maximum": MAX_SIDE},
        "background": {
            "type": "object",
            "description": "a solid background_color when left out",
            "required": ["type", "colors"],
            "properties": {
                "type": {"enum": ["solid", "gradient"]},
                "colors": {"type": "array", "items": COLOR_SCHEMA, "minItems": 1, "maxItems": 2},
                "angle": {"type": "number", "minimum": 0, "maximum": 360},
            },
        },
        "background_color": COLOR_SCHEMA,
        "elements": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["type", "text", "x", "y", "width", "height", "fontSize", "color", "fontFamily"],
                        "properties": {
                            "type": {"enum": ["text"]},
                            "slot": {"type": "string"},
                            "text": {"type": "string", "maxLength": 2000},
                            "x": {"type": "integer"},
                            "y": {"type": "integer"},
                            "width": {"type": "integer", "minimum": 1},
                            "height": {"type": "integer", "minimum": 1},
                            "fontSize": {"type": "integer", "minimum": 6, "maximum": 600},
                            "fontWeight": {"type": "integer", "minimum": 100, "maximum": 900},
                            "color": COLOR_SCHEMA,
                            "fontFamily": {
                                "enum": [*KNOWN_FONTS, *FONT_ALIASES],
                                "description": "a shipped font, or a common web font drawn with one: "
                                + ", ".join(f"{alias} as {font}" for alias, font in FONT_ALIASES.items()),
                            },
                            "align": {"enum": ["left", "center", "right"]},
                            "lineHeight": {"type": "number", "minimum": 0.8, "maximum": 2},
                            "plate": {"type": "string", "pattern": _COLOR_ALPHA.pattern},
                            "role": {"enum": list(TEXT_ROLES)},
                        },
                    },
                    {
                        "type": "object",
                        "required": ["type", "src", "x", "y", "width", "height"],
                        "properties": {
                            "type": {"enum": ["image"]},
                            "slot": {"type": "string"},
                            "src": {
                                "type": "string",
                                "pattern": SRC.pattern,
                                "description": "bank:<picture id> or media:<path under the media folder>",
                            },
                            "x": {"type": "integer"},
                            "y": {"type": "integer"},
                            "width": {"type": "integer", "minimum": 1},
                            "height": {"type": "integer", "minimum": 1},
                            "shadow": {"type": "boolean"},
                            "role": {"enum": list(IMAGE_ROLES), "description": "logo: the brand's logo"},
                        },
                    },
                    {
                        "type": "object",
                        "required": ["type", "shape", "x", "y", "width", "height", "fill"],
                        "description": "a filled shape drawn in element order: a button, a badge, a scrim",
                        "properties": {
                            "type": {"enum": ["shape"]},
                            "shape": {"enum": list(SHAPES)},
                            "role": {"type": "string", "maxLength": 40},
                            "x": {"type": "integer"},
                            "y": {"type": "integer"},
                            "width": {"type": "integer", "minimum": 1},
                            "height": {"type": "integer", "minimum": 1},
                            "fill": COLOR_SCHEMA,
                            "radius": {"type": "integer", "minimum": 0},
                            "opacity": {"type": "number", "minimum": 0, "maximum": 1},
                        },
                    },
                ]
            },
        },
    },
}


class SpecError(ValueError):
    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _int(data: dict, key: str, path: str, low: int, high: int, required: bool = True) -> None:
    if key not in data:
        if required:
            raise SpecError(f"{path}{key}", "is required")
        return
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(f"{path}{key}", f"must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise SpecError(f"{path}{key}", f"must be between {low} and {high}, not {value}")


def _color(value: Any, path: str, alpha: bool = False) -> str:
    """The colour spelled #rrggbb (the renderer's form): a short #rgb is doubled out."""
    if alpha:
        if not isinstance(value, str) or not _COLOR_ALPHA.match(value):
            raise SpecError(path, f"must be a colour like #1a2b3c or #1a2b3c80, not {value!r}")
        return value
    if not isinstance(value, str) or not _COLOR.match(value):
        raise SpecError(path, f"must be a colour like #1a2b3c or #fff, not {value!r}")
    if len(value) == 4:
        return "#" + "".join(digit * 2 for digit in value[1:])
    return value


def _font_family(value: Any, path: str) -> str:
    family = FONT_ALIASES.get(value, value) if isinstance(value, str) else value
    if family not in KNOWN_FONTS:
        raise SpecError(
            path,
            f"unknown font {value!r}; known fonts: {', '.join(KNOWN_FONTS)}; also accepted: {', '.join(FONT_ALIASES)}",
        )
    return family


def _box(element: dict, path: str, width: int, height: int) -> None:
    for key, high in (("x", width - 1), ("y", height - 1)):
        _int(element, key, path, 0, high)
    _int(element, "width", path, 1, width - element["x"])
    _int(element, "height", path, 1, height - element["y"])


def _text(element: dict, path: str, width: int, height: int) -> None:
    _box(element, path, width, height)
    if not isinstance(element.get("text"), str):
        raise SpecError(f"{path}text", "must be text")
    if len(element["text"]) > 2000:
        raise SpecError(f"{path}text", "is longer than 2000 characters")
    _int(element, "fontSize", path, 6, 600)
    _int(element, "fontWeight", path, 100, 900, required=False)
    element["color"] = _color(element.get("color"), f"{path}color")
    element["fontFamily"] = _font_family(element.get("fontFamily"), f"{path}fontFamily")
    if element.get("align", "left") not in ("left", "center", "right"):
        raise SpecError(f"{path}align", "must be left, center or right")
    line_height = element.get("lineHeight", 1.15)
    if isinstance(line_height, bool) or not isinstance(line_height, int | float) or not 0.8 <= line_height <= 2:
        raise SpecError(f"{path}lineHeight", "must be a number from 0.8 to 2")
    if "plate" in element:
        _color(element["plate"], f"{path}plate", alpha=True)
    if element.get("role", "body") not in TEXT_ROLES:
        raise SpecError(f"{path}role", f"must be one of {', '.join(TEXT_ROLES)}")


def _image(element: dict, path: str, width: int, height: int) -> None:
    _box(element, path, width, height)
    if not isinstance(element.get("src"), str) or not SRC.match(element["src"]):
        raise SpecError(f"{path}src", "must be bank:<picture id> or media:<path>")
    if element.get("role", "picture") not in IMAGE_ROLES:
        raise SpecError(f"{path}role", f"must be one of {', '.join(IMAGE_ROLES)}")


def _shape(element: dict, path: str, width: int, height: int) -> None:
    _box(element, path, width, height)
    if element.get("shape") not in SHAPES:
        raise SpecError(f"{path}shape", f"must be one of {', '.join(SHAPES)}")
    element["fill"] = _color(element.get("fill"), f"{path}fill")
    _int(element, "radius", path, 0, max(width, height), required=False)
    opacity = element.get("opacity", 1)
    if isinstance(opacity, bool) or not isinstance(opacity, int | float) or not 0 <= opacity <= 1:
        raise SpecError(f"{path}opacity", "must be a number from 0 to 1")
    role = element.get("role", "")
    if not isinstance(role, str) or len(role) > 40:
        raise SpecError(f"{path}role", "must be a short text (button, badge, scrim)")


def _background(spec: dict) -> dict:
    """The background, a solid `background_color` when the spec has none."""
    if "background_color" in spec:
        spec["background_color"] = _color(spec["background_color"], "background_color")
    background = spec.get("background")
    if background is None and "background_color" in spec:
        return {"type": "solid", "colors": [spec["background_color"]]}
    if not isinstance(background, dict):
        raise SpecError("background", "must be an object with type and colors, or give background_color")
    if background.get("type") not in ("solid", "gradient"):
        raise SpecError("background.type", "must be solid or gradient")
    colors = background.get("colors")
    needed = 2 if background["type"] == "gradient" else 1
    if not isinstance(colors, list) or not needed <= len(colors) <= 2:
        raise SpecError("background.colors", f"a {background['type']} background needs {needed} colour(s)")
    background["colors"] = [_color(color, f"background.colors[{index}]") for index, color in enumerate(colors)]
    angle = background.get("angle", 90)
    if isinstance(angle, bool) or not isinstance(angle, int | float) or not 0 <= angle <= 360:
        raise SpecError("background.angle", "must be a number of degrees from 0 to 360")
    return background


def validate_spec(spec: Any) -> dict:
    """The spec, completed in place to the full form (background from background_color, colours as
    #rrggbb, web fonts as shipped ones) when valid; SpecError naming the first bad field otherwise."""
    if not isinstance(spec, dict):
        raise SpecError("spec", "must be a JSON object")
    _int(spec, "width", "", MIN_SIDE, MAX_SIDE)
    _int(spec, "height", "", MIN_SIDE, MAX_SIDE)
    spec["background"] = _background(spec)
    elements = spec.get("elements")
    if not isinstance(elements, list) or len(elements) > 50:
        raise SpecError("elements", "must be a list of at most 50 elements")
    for index, element in enumerate(elements):
        path = f"elements[{index}]."
        if not isinstance(element, dict):
            raise SpecError(f"elements[{index}]", "must be an object")
        kind = element.get("type")
        if kind == "text":
            _text(element, path, spec["width"], spec["height"])
        elif kind == "image":
            _image(element, path, spec["width"], spec["height"])
        elif kind == "shape":
            _shape(element, path, spec["width"], spec["height"])
        else:
            raise SpecError(f"{path}type", "must be text, image or shape")
    return spec
