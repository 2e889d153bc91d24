"""Format presets: every shipped preset validates, broken ones are refused naming the field."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from banners.models import Format
from banners.services import format_import
from mlcore.layout import LayoutError, boxes_overlap, parse_layout
from tests.factories import FORMATS_DIR, preset

PRESETS = sorted(p.stem for p in FORMATS_DIR.glob("*.json"))
REQUIRED_SIZES = {
    (1080, 1080),
    (1080, 1350),
    (1080, 1920),
    (1200, 628),
    (1200, 627),
    (1600, 900),
    (300, 250),
    (728, 90),
    (160, 600),
}


def test_presets_cover_the_required_sizes():
    sizes = {(preset(slug)["width"], preset(slug)["height"]) for slug in PRESETS}
    assert REQUIRED_SIZES <= sizes


@pytest.mark.parametrize("slug", PRESETS)
def test_every_preset_validates_and_keeps_text_off_pictures(slug):
    layout = parse_layout(preset(slug))
    for text in layout.text_slots:
        x, y, w, h = text.box
        assert x + w <= layout.width and y + h <= layout.height
        assert not any(boxes_overlap(text.box, image.box) for image in layout.image_slots)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(width=10), "width"),
        (lambda d: d["text_slots"][0].update(max_chars=0), "text_slots[0].max_chars"),
        (lambda d: d["text_slots"][0].update(box=[900, 0, 400, 100]), "text_slots[0].box"),
        (lambda d: d["text_slots"][1].update(min_size=500), "text_slots[1].min_size"),
        (lambda d: d["text_slots"][0].update(font="Comic Sans"), "text_slots[0].font"),
        (lambda d: d["text_slots"][0].update(align="justify"), "text_slots[0].align"),
        (lambda d: d["text_slots"][0].update(box=d["image_slots"][0]["box"]), "text_slots[0].box"),
        (lambda d: d["text_slots"][1].update(key="headline"), "text_slots[1].key"),
        (lambda d: d["background"].update(colors=["red", "#000000"]), "background.colors[0]"),
        (lambda d: d["text_slots"][0].update(ai_filled=False, default_text=""), "text_slots[0].default_text"),
        (lambda d: d["image_slots"][0].update(padding=400), "image_slots[0].padding"),
        (lambda d: d["text_slots"][0].pop("size"), "text_slots[0].size"),
    ],
)
def test_broken_layout_is_refused_naming_the_field(change, path):
    data = preset("square")
    change(data)
    with pytest.raises(LayoutError) as error:
        parse_layout(data)
    assert error.value.path == path


def test_import_refuses_a_broken_preset_and_saves_nothing(db):
    data = preset("square")
    data["text_slots"][0]["max_chars"] = "many"
    with pytest.raises(ValidationError) as error:
        format_import(data=data)
    assert "text_slots[0].max_chars" in str(error.value)
    assert not Format.objects.exists()


def test_import_command_loads_every_preset_and_is_idempotent(db):
    call_command("import_formats")
    call_command("import_formats")
    assert Format.objects.count() == len(PRESETS)


def test_import_command_names_the_file_and_field(db, tmp_path):
    data = preset("story")
    data["height"] = 99999
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    with pytest.raises(CommandError, match=r"broken.json: height"):
        call_command("import_formats", str(broken))
    assert not Format.objects.exists()


def test_export_round_trips(db, tmp_path):
    call_command("import_formats")
    call_command("export_formats", "--out", str(tmp_path))
    assert json.loads((tmp_path / "square.json").read_text()) == preset("square")


def test_model_validation_names_the_slot_field(db):
    fmt = format_import(data=preset("square"))
    fmt.text_slots[0]["size"] = 2
    with pytest.raises(ValidationError) as error:
        fmt.full_clean()
    assert "text_slots[0].size" in str(error.value.message_dict["text_slots"])
