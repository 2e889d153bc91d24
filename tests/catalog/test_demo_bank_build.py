"""The demo bank's product hypotheses (catalog/demo_bank/build.py, run by a maintainer): what each
picture could advertise, from its name and keywords."""

import json
import sys

from django.conf import settings

sys.path.insert(0, str(settings.BASE_DIR / "catalog" / "demo_bank"))

import build

INDEX = {item["name"]: item for item in json.loads((build.HERE / "index.json").read_text())}


def test_each_rule_the_name_matches_gives_in_turn():
    found = build.businesses_for("automobile", [], "Travel & Places")
    assert len(found) == build.PER_PICTURE
    assert found[:4] == [
        "car repair and engine diagnostics",
        "a car rental or car sharing service",
        "a car wash",
        "car insurance",
    ]


def test_a_word_inside_a_compound_name_means_nothing_on_its_own():
    assert not {"a pet shop", "a dog and cat grooming salon"} & set(build.businesses_for("hot dog", [], "Food & Drink"))
    assert "a pet shop" in build.businesses_for("dog", [], "Animals & Nature")
    assert "a jewellery store" not in build.businesses_for("ring buoy", [], "Travel & Places")
    assert not build._mentions("wheel of dharma", "wheel") and build._mentions("wheel", "wheel")


def test_a_picture_without_a_rule_gets_its_groups_defaults():
    assert build.businesses_for("folding hand fan", [], "Objects") == list(build.GROUP_FALLBACK["Objects"])


def test_the_shipped_index_has_every_hypothesis_in_both_languages():
    translations = json.loads((build.HERE / "businesses_ru.json").read_text())
    for _, businesses in build.BUSINESSES:
        assert all(business in translations for business in businesses)
    gem = INDEX["gem stone"]["hypotheses"]
    assert len(gem) == 2 * build.PER_PICTURE
    assert "A pawnshop with cash loans against gold, shown with a gem stone." in gem
    assert "Ломбард, деньги под залог золота: драгоценный камень." in gem
