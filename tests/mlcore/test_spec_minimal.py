"""Seed 000's minimal spec: validate_spec completes it to the full form the renderer draws, and
the published JSON Schema accepts it."""

import copy

import jsonschema
import numpy as np
import pytest

from mlcore.render import render
from mlcore.spec import SPEC_SCHEMA, SpecError, validate_spec
from tests.factories import minimal_spec


def test_minimal_spec_gets_a_solid_background_from_background_color():
    spec = validate_spec(minimal_spec())
    assert spec["background"] == {"type": "solid", "colors": ["#1a1a2e"]}


def test_a_given_background_wins_over_background_color():
    spec = minimal_spec()
    spec["background"] = {"type": "gradient", "colors": ["#000000", "#ffffff"]}
    assert validate_spec(spec)["background"]["type"] == "gradient"


def test_published_schema_accepts_the_minimal_spec_and_refuses_one_without_a_background():
    jsonschema.validate(minimal_spec(color="#fff", fontFamily="Arial"), SPEC_SCHEMA)
    spec = minimal_spec()
    del spec["background_color"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(spec, SPEC_SCHEMA)


def test_short_colours_are_spelled_out():
    spec = minimal_spec(color="#fA0")
    spec["background_color"] = "#123"
    spec = validate_spec(spec)
    assert spec["elements"][0]["color"] == "#ffAA00"
    assert spec["background_color"] == "#112233"
    assert spec["background"]["colors"] == ["#112233"]


@pytest.mark.parametrize(
    ("asked", "drawn"),
    [("Arial", "Roboto"), ("Helvetica Neue", "Roboto"), ("Open Sans", "Noto Sans"), ("sans-serif", "Inter")],
)
def test_common_web_fonts_are_drawn_with_a_shipped_font(asked, drawn):
    assert validate_spec(minimal_spec(fontFamily=asked))["elements"][0]["fontFamily"] == drawn


def test_minimal_spec_renders_like_its_full_form():
    full = minimal_spec(color="#ffffff", fontFamily="Roboto", align="left", fontWeight=700, lineHeight=1.15)
    full["background"] = {"type": "solid", "colors": ["#1a1a2e"], "angle": 90}
    short = minimal_spec(color="#fff", fontFamily="Arial")
    pixels = np.asarray(render(validate_spec(short), {}))
    assert np.array_equal(pixels, np.asarray(render(validate_spec(full), {})))


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda s: s.pop("background_color"), "background"),
        (lambda s: s.update(background_color="white"), "background_color"),
        (lambda s: s["elements"][0].update(color="#ffff"), "elements[0].color"),
        (lambda s: s["elements"][0].update(fontFamily="Times New Roman"), "elements[0].fontFamily"),
        (lambda s: s["elements"][0].update(fontFamily=["Arial"]), "elements[0].fontFamily"),
        (lambda s: s["elements"][0].pop("height"), "elements[0].height"),
    ],
)
def test_bad_minimal_spec_names_the_field(change, path):
    spec = minimal_spec()
    validate_spec(copy.deepcopy(spec))
    change(spec)
    with pytest.raises(SpecError) as error:
        validate_spec(spec)
    assert error.value.path == path
