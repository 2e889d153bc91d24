"""GenerateTextSerializer: platform and tone aliases give the canonical value; hashtags and emoji."""

import pytest
import yaml

from banners.api import GenerateTextSerializer


def validated(**data) -> dict:
    serializer = GenerateTextSerializer(data={"prompt": "New phone", **data})
    assert serializer.is_valid(), serializer.errors
    return serializer.validated_data


@pytest.mark.parametrize(
    ("field", "alias", "value"),
    [("platform", "twitter", "x"), ("platform", "meta", "facebook"), ("tone", "motivational", "inspirational")],
)
def test_alias_is_stored_as_its_canonical_value(field, alias, value):
    assert validated(**{field: alias})[field] == value


@pytest.mark.parametrize(("field", "value"), [("platform", "x"), ("platform", "linkedin"), ("tone", "fomo")])
def test_canonical_values_pass_unchanged(field, value):
    assert validated(**{field: value})[field] == value


@pytest.mark.parametrize(("field", "value"), [("platform", "myspace"), ("platform", ["x"]), ("tone", "angry")])
def test_unknown_values_are_still_refused(field, value):
    serializer = GenerateTextSerializer(data={"prompt": "New phone", field: value})
    assert not serializer.is_valid()
    assert field in serializer.errors


def test_hashtags_default_to_null_and_emoji_to_false():
    data = validated()
    assert data["hashtags"] is None
    assert data["emoji"] is False


def test_hashtags_and_emoji_take_booleans():
    data = validated(hashtags=False, emoji=True)
    assert (data["hashtags"], data["emoji"]) == (False, True)
    assert validated(hashtags=None)["hashtags"] is None
    serializer = GenerateTextSerializer(data={"prompt": "New phone", "emoji": "lots"})
    assert not serializer.is_valid() and "emoji" in serializer.errors


def test_schema_lists_the_aliases_as_accepted_values(api):
    schema = yaml.safe_load(api.get("/api/v1/schema/").content)
    properties = schema["components"]["schemas"]["GenerateText"]["properties"]
    platforms = [value for choice in properties["platform"]["anyOf"] for value in choice["enum"]]
    tones = [value for choice in properties["tone"]["anyOf"] for value in choice["enum"]]
    assert {"x", "twitter", "facebook", "meta"} <= set(platforms)
    assert {"inspirational", "motivational"} <= set(tones)
    assert "characters" in properties["max_length"]["description"]
