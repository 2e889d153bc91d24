"""AI picture prompts follow the marketer's description (issue 14): no forced single object, and
people and hands are not in the negative prompt."""

from mlcore.imageprompt import NEGATIVE, picture_prompt


def test_a_described_scene_with_people_reaches_the_prompt_whole():
    prompt, how = picture_prompt(
        None, product="Cafe", description="", offer="Free cappuccino",
        picture_description="a barista handing a cappuccino to a smiling customer",
    )  # fmt: skip
    assert "barista handing a cappuccino to a smiling customer" in prompt and how == "marketer"
    assert "people" not in NEGATIVE and "hands" not in NEGATIVE
