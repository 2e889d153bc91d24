"""POST /api/v1/render with seed 000's minimal spec: it renders, and a bad one is a 400 naming the field."""

import io

import pytest
from PIL import Image

from tests.factories import minimal_spec


def test_minimal_spec_renders_to_a_png_of_its_size(api):
    response = api.post("/api/v1/render", minimal_spec(), format="json")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert image.size == (1080, 1080)
    assert image.getpixel((5, 5)) == (0x1A, 0x1A, 0x2E)


def test_minimal_spec_with_a_web_font_and_short_colours_renders(api):
    spec = minimal_spec()
    spec["background_color"] = "#fff"
    spec["elements"][0].update(fontFamily="Helvetica", color="#000")
    response = api.post("/api/v1/render", spec, format="json")
    assert response.status_code == 200, response.content[:500]
    assert Image.open(io.BytesIO(response.content)).convert("RGB").getpixel((5, 5)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda s: s.pop("background_color"), "background"),
        (lambda s: s.update(background_color="#12345"), "background_color"),
        (lambda s: s["elements"][0].update(color="white"), "elements[0].color"),
        (lambda s: s["elements"][0].update(fontFamily="Comic Sans MS"), "elements[0].fontFamily"),
        (lambda s: s["elements"][0].pop("fontSize"), "elements[0].fontSize"),
        (lambda s: s["elements"][0].update(width=2000), "elements[0].width"),
    ],
)
def test_bad_minimal_spec_is_a_400_naming_the_field(api, change, field):
    spec = minimal_spec()
    change(spec)
    response = api.post("/api/v1/render", spec, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
