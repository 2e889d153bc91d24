"""Fonts from PyPI font packages (OFL), all with Cyrillic and the rouble sign.

The packages ship variable fonts; `load_font` sets the weight axis and caches each
(family, weight, size) so rendering a banner opens every font file once.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont, features

KNOWN_FONTS = ("Montserrat", "Inter", "Roboto", "Noto Sans")


class UnknownFont(ValueError):
    def __init__(self, family: str):
        super().__init__(f"unknown font {family!r}; known fonts: {', '.join(KNOWN_FONTS)}")
        self.family = family


@cache
def font_file(family: str) -> Path:
    import fontpkg

    if family not in KNOWN_FONTS:
        raise UnknownFont(family)
    return fontpkg.path(family, 400)


@lru_cache(maxsize=512)
def load_font(family: str, weight: int, size: int) -> ImageFont.FreeTypeFont:
    # Raqm shapes text (kerning, ligatures, Cyrillic) when Pillow has it; the basic engine otherwise.
    engine = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    font = ImageFont.truetype(str(font_file(family)), size=size, layout_engine=engine)
    axes = font.get_variation_axes()
    values = []
    for axis in axes:
        name = axis.get("name", b"")
        name = name.decode() if isinstance(name, bytes) else str(name)
        if name.lower().startswith("weight"):
            values.append(max(axis["minimum"], min(axis["maximum"], weight)))
        else:
            values.append(axis["default"])
    if axes:
        font.set_variation_by_axes(values)
    return font
