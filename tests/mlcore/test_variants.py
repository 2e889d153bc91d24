"""Layout variants, shapes in the spec, buttons and badges that read, logos, the quality score."""

import numpy as np
import pytest
from PIL import Image

from banners.quality import quality_score
from mlcore.compose import compose, surface_colors
from mlcore.layout import LayoutError, boxes_overlap, parse_layout
from mlcore.render import contrast_ratio, hex_to_rgb, open_picture, render
from mlcore.spec import SpecError, validate_spec
from mlcore.variants import VARIANTS, canvas_kind, layout_variant, main_figure, variant_for, variants_for
from tests.factories import FORMATS_DIR, minimal_spec, preset

PRESETS = sorted(p.stem for p in FORMATS_DIR.glob("*.json"))


@pytest.mark.parametrize("slug", PRESETS)
def test_three_banners_at_once_are_three_different_layouts(slug):
    layout = parse_layout(preset(slug))
    for figure in (True, False):
        names = [variant_for(layout, index, figure=figure) for index in (1, 2, 3)]
        assert len(set(names)) == 3, names
        arranged = [layout_variant(layout, name) for name in names]
        shapes = {
            (v.text_slots[0].box, v.image_slots[0].box, v.full_bleed, any(s.purpose == "badge" for s in v.text_slots))
            for v in arranged
        }
        assert len(shapes) == 3  # not three names for one arrangement


def test_the_badge_layout_only_for_an_offer_with_a_figure():
    layout = parse_layout(preset("square"))
    assert "badge" in variants_for(layout, figure=True) and "badge" not in variants_for(layout, figure=False)
    assert main_figure("Second cappuccino free") == ""
    assert main_figure("Скидка 20% на такси, поездка от 199 ₽") == "20%"
    assert main_figure("Headphones now $199") == "$199"


def test_strip_and_tower_have_layouts_of_their_own():
    assert canvas_kind(728, 90) == "strip" and canvas_kind(160, 600) == "tower"
    assert set(VARIANTS["strip"]).isdisjoint({"side-by-side", "full-bleed"})
    strip = layout_variant(parse_layout(preset("display-728x90")), "picture-right")
    assert strip.image_slots[0].box[0] > strip.text_slots[0].box[0]  # the picture on the right


def test_a_badge_carries_the_figure_on_a_disc_that_reads():
    layout = layout_variant(parse_layout(preset("square")), "badge")
    texts = {"headline": "Rides for less", "subheadline": "Every weekend", "cta": "Book now", "badge": "−20%"}
    picture = Image.new("RGBA", (200, 200), (40, 120, 220, 255))
    spec = compose(layout, texts, {"hero": ("bank:1", picture)}, palette=["#ffc800", "#d62828"]).spec
    badge = next(e for e in spec["elements"] if e.get("role") == "badge")
    text = next(e for e in spec["elements"] if e.get("slot") == "badge")
    assert badge["shape"] == "ellipse" and badge["fill"] == "#d62828"  # the second brand colour
    assert contrast_ratio(hex_to_rgb(text["color"]), hex_to_rgb(badge["fill"])) >= 4.5
    price = compose(layout, {**texts, "badge": "1\u00a0399\u00a0руб"}, {"hero": ("bank:1", picture)}).spec
    assert next(e for e in price["elements"] if e.get("slot") == "badge")["text"].count("\n") >= 1  # wraps to fit
    words = compose(layout, {**texts, "badge": "SwiftRide"}, {"hero": ("bank:1", picture)}).spec
    assert not any(e.get("role") == "badge" for e in words["elements"])  # no figure, no badge


def test_a_brand_colour_that_fails_contrast_is_shaded_and_said():
    fill, text, note = surface_colors("#787878")  # mid grey: neither white nor ink reaches 4.5:1
    assert contrast_ratio(hex_to_rgb(text), hex_to_rgb(fill)) >= 4.5 and fill != "#787878"
    assert "shade" in note
    layout = parse_layout(preset("square"))
    result = compose(layout, {"headline": "Hi", "cta": "Go now"}, {}, palette=["#787878"])
    button = next(e for e in result.spec["elements"] if e.get("role") == "button")
    assert button["fill"] == fill and any("cta" in fix for fix in result.report["fixes"])


def test_a_logo_that_disappears_on_the_background_gets_a_plate():
    dark_logo = Image.new("RGBA", (300, 100), (29, 29, 27, 255))
    light_logo = Image.new("RGBA", (300, 100), (255, 255, 255, 255))
    layout = layout_variant(parse_layout(preset("square")), "picture-below", logo=True)  # dark background
    dark = compose(layout, {"headline": "Hi"}, {}, logo=("media:a.png", dark_logo)).spec["elements"]
    light = compose(layout, {"headline": "Hi"}, {}, logo=("media:b.png", light_logo)).spec["elements"]
    assert [e["fill"] for e in dark if e.get("role") == "logo-plate"] == ["#ffffff"]
    assert not any(e.get("role") == "logo-plate" for e in light)
    logo = next(e for e in dark if e.get("role") == "logo")
    assert (logo["x"], logo["y"]) >= layout.logo_box[:2]


def test_an_svg_logo_is_drawn_with_the_shipped_fonts(tmp_path):
    path = tmp_path / "logo.svg"
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><rect width="50" height="50" fill="#e30613"/>'
        '<text x="60" y="38" font-family="Montserrat" font-size="32">Acme</text></svg>'
    )
    image = open_picture(path)
    assert max(image.size) == 1024 and image.getpixel((10, 10))[:3] == (227, 6, 19)
    assert image.convert("L").crop((300, 0, 1024, 256)).getextrema()[0] < 60  # the word was drawn


def test_shapes_in_a_spec_validate_and_render_in_order():
    spec = minimal_spec()
    spec["elements"].insert(0, {"type": "shape", "shape": "rect", "x": 0, "y": 0, "width": 540, "height": 1080,
                                "fill": "#ff0000", "radius": 0, "opacity": 1})  # fmt: skip
    validate_spec(spec)
    image = render(spec, {})
    assert image.getpixel((10, 1000)) == (255, 0, 0) and image.getpixel((1000, 1000)) != (255, 0, 0)
    for change, path in [
        ({"shape": "star"}, "elements[0].shape"),
        ({"fill": "red"}, "elements[0].fill"),
        ({"opacity": 2}, "elements[0].opacity"),
        ({"width": 5000}, "elements[0].width"),
    ]:
        with pytest.raises(SpecError) as error:
            validate_spec({**spec, "elements": [{**spec["elements"][0], **change}]})
        assert error.value.path == path
    with pytest.raises(SpecError) as error:
        validate_spec({**spec, "elements": [{**spec["elements"][1], "role": "hero"}]})
    assert error.value.path == "elements[0].role"


def test_a_seed_000_spec_without_the_new_fields_renders_as_before():
    spec = validate_spec(minimal_spec())
    assert [e["type"] for e in spec["elements"]] == ["text"] and "role" not in spec["elements"][0]  # nothing added
    image = render(spec, {})
    pixels = np.asarray(image)
    assert (pixels[:190] == hex_to_rgb("#1a1a2e")).all()  # above the text: the background alone, no shape
    assert (pixels[200:360, 100:980] == 255).all(axis=2).any()  # the white text is drawn
    with_role = validate_spec(minimal_spec(role="headline"))
    assert np.array_equal(np.asarray(render(with_role, {})), pixels)  # a role is a label, not a look


def test_quality_score_counts_measured_problems_and_flags_with_reasons(settings):
    settings.QUALITY_MIN_SCORE = 70
    clean = {"overlaps": 0, "boxes_outside_canvas": 0, "text_outside_box": 0, "low_contrast": [],
             "picture_coverage": 0.3}  # fmt: skip
    assert quality_score(clean) == {"score": 100, "flagged": False, "reasons": []}
    bad = quality_score({**clean, "overlaps": 1, "low_contrast": ["cta"]}, facts_dropped=["CITY20"])
    assert bad["score"] == 40 and bad["flagged"]
    assert any("overlap" in r for r in bad["reasons"]) and "fact left out: CITY20" in bad["reasons"]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("slug", ["square", "story", "landscape-link", "display-728x90", "display-160x600"])
def test_up_to_five_pictures_share_the_picture_area_in_every_layout(slug, count):
    data = preset(slug)  # the picture boxes of the format do not matter: a variant places them
    data["image_slots"] = [{"key": f"p{i}", "box": [0, 0, 8, 8]} for i in range(count)]
    layout = parse_layout(data)
    for name in variants_for(layout):
        arranged = layout_variant(layout, name, logo=True)
        pictures = [slot.box for slot in arranged.image_slots]
        assert len(pictures) == (min(count, 1) if arranged.full_bleed else count)
        for i, a in enumerate(pictures):
            assert a[0] >= 0 and a[1] >= 0 and a[0] + a[2] <= layout.width and a[1] + a[3] <= layout.height
            assert not any(boxes_overlap(a, b) for b in pictures[i + 1 :])
            if not arranged.full_bleed:
                assert not any(boxes_overlap(a, s.box) for s in arranged.text_slots if s.purpose != "badge")


def test_a_format_holds_at_most_five_pictures():
    data = preset("square")
    data["image_slots"] = [{"key": f"p{i}", "box": [10 * i, 0, 8, 8]} for i in range(6)]
    with pytest.raises(LayoutError) as error:
        parse_layout(data)
    assert error.value.path == "image_slots"


def test_a_small_canvas_puts_the_button_beside_the_picture_below_the_text():
    small = layout_variant(parse_layout(preset("display-300x250")), "picture-below", logo=True)
    picture, cta = small.image_slots[0].box, next(s.box for s in small.text_slots if s.purpose == "cta")
    assert picture[3] >= 0.4 * small.height  # was a 47-px strip over the button
    assert cta[0] >= picture[0] + picture[2] and not boxes_overlap(picture, cta)
    square = layout_variant(parse_layout(preset("square")), "picture-below", logo=True)
    picture, cta = square.image_slots[0].box, next(s.box for s in square.text_slots if s.purpose == "cta")
    assert cta[1] >= picture[1] + picture[3]  # room enough: the button stays under the picture
