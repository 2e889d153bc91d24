"""Compose and render: every preset, in every layout variant and with a logo, with short and long
offers in English and Russian keeps texts apart and inside the canvas (and a story's safe zone), its
text readable on the rendered pixels, its call to action on a button."""

import copy
import json

import numpy as np
import pytest
from PIL import Image

from banners.pipeline import fit_texts
from mlcore.compose import compose, fit_text
from mlcore.copy import CopyBrief, truncate_words, write_template
from mlcore.layout import boxes_overlap, parse_layout
from mlcore.render import contrast_ratio, encode, hex_to_rgb, render, text_contrasts
from mlcore.spec import SpecError, validate_spec
from mlcore.variants import layout_variant, variants_for
from tests.factories import FORMATS_DIR, preset

PRESETS = sorted(p.stem for p in FORMATS_DIR.glob("*.json"))
OFFERS = {
    "en-short": "20% off rides",
    "en-long": "Get 20% off every single ride this weekend with code CITY20 and free airport transfers for all new "
    "riders until the 31st of December, terms apply",
    "ru-short": "Скидка 20% ₽",
    "ru-long": "Скидка 20% на все поездки в выходные по промокоду CITY20 и бесплатный трансфер в аэропорт для "
    "новых клиентов до 31 декабря — успейте воспользоваться предложением",
}
PICTURE = Image.open(FORMATS_DIR.parent.parent / "catalog/demo_bank/images/1f695.webp")


def _compose(slug: str, offer: str, palette=("#ffc800", "#1d1d1b"), variant: str = "preset", logo=None):
    layout = layout_variant(parse_layout(preset(slug)), variant, logo=logo is not None)
    brief = CopyBrief(
        product="SwiftRide",
        description="A city taxi. Cars in five minutes.",
        offer=offer,
        tone="fomo",
        platform="instagram",
    )
    texts = write_template(brief=brief, slots=layout.text_slots).texts
    texts = {
        k: (v + " " + offer)[: s.max_chars] for k, v, s in ((s.key, texts[s.key], s) for s in layout.text_slots)
    }  # as long as the slot allows
    pictures = {layout.image_slots[0].key: ("bank:1", PICTURE)} if layout.image_slots else {}
    result, _ = fit_texts(
        layout=layout,
        texts=texts,
        pictures=pictures,
        palette=list(palette),
        shorten=lambda slots: {s.key: truncate_words(texts[s.key], s.max_chars) for s in slots},
        logo=logo,
    )
    return layout, result


LOGO = Image.new("RGBA", (400, 100), (29, 29, 27, 255))  # a dark wordmark: needs a plate on dark banners
CASES = [(slug, variant) for slug in PRESETS for variant in ("preset", *variants_for(parse_layout(preset(slug))))]


@pytest.mark.parametrize("offer", OFFERS)
@pytest.mark.parametrize(("slug", "variant"), CASES)
def test_layout_never_overlaps_stays_inside_and_reads_well(slug, variant, offer):
    layout, result = _compose(slug, OFFERS[offer], variant=variant, logo=("media:logo.png", LOGO))
    elements = result.spec["elements"]
    texts = [e for e in elements if e["type"] == "text"]
    boxes = [(e["x"], e["y"], e["width"], e["height"]) for e in elements]
    # texts never touch each other; a text touches a picture only on a surface of its own (button,
    # badge, scrim), which the report checks
    assert not any(boxes_overlap(_box(a), _box(b)) for i, a in enumerate(texts) for b in texts[i + 1 :])
    assert all(x >= 0 and y >= 0 and x + w <= layout.width and y + h <= layout.height for x, y, w, h in boxes)
    assert result.report["overlaps"] == 0 and result.report["text_outside_box"] == 0
    assert result.report["outside_safe_zone"] == 0
    images = {"bank:1": PICTURE, "media:logo.png": LOGO}
    for slot, ratio, need in text_contrasts(result.spec, images):
        assert ratio >= need, (slot, ratio, need)
    written = {s.key for s in layout.text_slots if s.purpose != "badge"}
    assert {e["slot"] for e in texts} - {"badge"} == written
    cta = next(e for e in texts if e["role"] == "cta")
    button = next(e for e in elements if e.get("role") == "button")
    assert button["x"] <= cta["x"] and cta["x"] + cta["width"] <= button["x"] + button["width"]
    assert contrast_ratio(hex_to_rgb(cta["color"]), hex_to_rgb(button["fill"])) >= 4.5
    assert result.report["logo"] and result.report["button"]


def _box(element):
    return element["x"], element["y"], element["width"], element["height"]


def test_low_contrast_brand_colour_is_replaced_or_plated():
    data = preset("square")
    data["background"] = {"type": "solid", "colors": ["#7f7f7f"]}  # mid grey: neither black nor white pass 4.5
    data["text_slots"][0]["color"] = "#808080"
    layout = parse_layout(data)
    result = compose(
        layout, {"headline": "Hello", "subheadline": "Small text here", "cta": "Go"}, {}, palette=["#777777"]
    )
    for slot, ratio, need in text_contrasts(result.spec):
        assert ratio >= need, slot
    headline = next(e for e in result.spec["elements"] if e.get("slot") == "headline")
    assert headline["color"] != "#808080"


def test_text_shrinks_to_fit_then_reports_what_cannot():
    slot = parse_layout(preset("display-728x90")).text_slots[0]
    size, _ = fit_text(slot, "Rides 20% off this weekend with code CITY20 for everyone in town today")
    assert slot.min_size <= size < slot.size
    assert fit_text(slot, "word " * 80) is None
    layout = parse_layout(preset("display-728x90"))
    assert compose(layout, {"headline": "word " * 80, "cta": "Go"}, {}).overflow == ["headline"]


def test_picture_keeps_its_aspect_ratio_inside_the_padding():
    layout = parse_layout(preset("story"))
    wide = Image.new("RGBA", (400, 100), (200, 0, 0, 255))
    element = next(
        e
        for e in compose(layout, {"headline": "Hi"}, {"hero": ("bank:1", wide)}).spec["elements"]
        if e["type"] == "image"
    )
    slot = layout.image_slots[0]
    assert abs(element["width"] / element["height"] - 4) < 0.05
    assert element["x"] >= slot.box[0] + slot.padding and element["width"] <= slot.box[2] - 2 * slot.padding


def test_render_is_deterministic_and_spec_round_trips():
    _, result = _compose("square", OFFERS["ru-long"])
    spec = json.loads(json.dumps(result.spec))
    first = encode(render(spec, {"bank:1": PICTURE}))
    second = encode(render(copy.deepcopy(spec), {"bank:1": PICTURE}))
    assert first == second
    reused = encode(render(spec, {"bank:1": PICTURE}, underlay=result.underlay))  # as the pipeline renders
    assert reused == first
    assert Image.open(__import__("io").BytesIO(first)).size == (1080, 1080)


def test_emoji_and_unsupported_glyphs_do_not_crash():
    _, result = _compose("square", "Pizza 🍕 -20% 🎉 ✓ 你好 ₽")
    image = render(result.spec, {"bank:1": PICTURE})
    assert image.size == (1080, 1080)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda s: s.update(width=10), "width"),
        (lambda s: s["elements"][0].update(fontSize=2), "elements[0].fontSize"),
        (lambda s: s["elements"][0].update(fontFamily="Comic Sans"), "elements[0].fontFamily"),
        (lambda s: s["elements"][0].update(color="red"), "elements[0].color"),
        (lambda s: s["elements"][0].update(x=5000), "elements[0].x"),
        (lambda s: s["elements"][0].update(width=4000), "elements[0].width"),
        (lambda s: s["elements"][1].update(src="http://example.com/a.png"), "elements[1].src"),
        (lambda s: s["elements"][1].update(type="video"), "elements[1].type"),
        (lambda s: s["background"].update(type="radial"), "background.type"),
        (lambda s: s.pop("elements"), "elements"),
    ],
)
def test_invalid_specs_name_the_bad_field(change, path):
    spec = {
        "width": 1080,
        "height": 1080,
        "background": {"type": "solid", "colors": ["#000000"]},
        "elements": [
            {
                "type": "text",
                "text": "Hi",
                "x": 10,
                "y": 10,
                "width": 500,
                "height": 100,
                "fontSize": 40,
                "color": "#ffffff",
                "fontFamily": "Inter",
            },
            {"type": "image", "src": "bank:1", "x": 10, "y": 200, "width": 100, "height": 100},
        ],
    }
    validate_spec(copy.deepcopy(spec))
    change(spec)
    with pytest.raises(SpecError) as error:
        validate_spec(spec)
    assert error.value.path == path


def test_gradient_background_runs_between_its_colours():
    spec = {
        "width": 100,
        "height": 100,
        "background": {"type": "gradient", "colors": ["#000000", "#ffffff"], "angle": 90},
        "elements": [],
    }
    pixels = np.asarray(render(spec, {}))
    assert pixels[0, 50].sum() < 30 and pixels[-1, 50].sum() > 735
