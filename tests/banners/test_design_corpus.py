"""/api/v1/design with only a prompt, on every preset: offers and script-style design requests from
the corpus give complete banners whose texts fit, read and keep the offer's facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlcore.facts import fact_in
from mlcore.textcheck import field_problems, language
from tests.factories import bank_image_make, format_make, product_make

ROOT = Path(__file__).resolve().parents[2]
CORPUS = json.loads((ROOT / "tests" / "data" / "copy_corpus.json").read_text())
SLUGS = sorted(path.stem for path in (ROOT / "banners" / "formats").glob("*.json"))
# Every third offer and request of the corpus (the whole corpus runs through the writer in
# tests/mlcore/test_writer.py); each with only a prompt, and offers again with their product; each
# call on three presets in turn, so every preset gets a third of the calls.
PRESETS_PER_CALL = 3
PROMPTS = (
    [(item["offer"], item) for item in CORPUS["en"][::3]]
    + [(item["offer"], item) for item in CORPUS["ru"][::3]]
    + [(request, None) for request in CORPUS["requests"][::3]]
)


@pytest.mark.slow
def test_design_gives_complete_banners_on_every_preset_with_and_without_a_product(api, settings):
    settings.EMBED_IN_PROCESS = True
    formats = {slug: format_make(slug) for slug in SLUGS}
    bank_image_make()
    calls = []
    for prompt, item in PROMPTS:
        calls.append((prompt, {}))
        if item and item["product"]:
            product = product_make(name=item["product"], slug=f"p{len(calls)}")
            product.description = item["description"]
            product.save()
            calls.append((prompt, {"product": product.pk}))
    problems = []
    for index, (prompt, extra) in enumerate(calls):
        lang = language(prompt)
        turn = [SLUGS[(index * PRESETS_PER_CALL + k) % len(SLUGS)] for k in range(PRESETS_PER_CALL)]
        for slug, fmt in ((slug, formats[slug]) for slug in turn):
            response = api.post("/api/v1/design", {"prompt": prompt, "format": slug, **extra}, format="json")
            assert response.status_code == 200, response.json()
            texts = {e["slot"]: e["text"] for e in response.json()["elements"] if e["type"] == "text"}
            slots = {s.key: s for s in fmt.layout.text_slots}
            assert set(texts) == set(slots), (slug, texts)
            for key, text in texts.items():
                problems += [
                    (slug, key, p, text) for p in field_problems(text, lang=lang, max_chars=slots[key].max_chars)
                ]
            assert not any(word in " ".join(texts.values()).lower() for word in ("create a banner", "target audience"))
    assert problems == []


def test_design_uses_the_requests_call_to_action_and_colours(api, settings):
    settings.EMBED_IN_PROCESS = True
    format_make("square")
    bank_image_make()
    prompt = (
        "Create a banner ad image of size 300x250 for a spring sale of a fashion retailer offering a 50% discount. "
        "The theme is floral with blue and white colors. The call to action is SHOP NOW."
    )
    spec = api.post("/api/v1/design", {"prompt": prompt, "format": "square"}, format="json").json()
    texts = {e["slot"]: e for e in spec["elements"] if e["type"] == "text"}
    assert texts["cta"]["text"] == "SHOP NOW"
    assert fact_in("50%", texts["headline"]["text"])
    assert {texts[key]["color"] for key in texts} & {"#1e5aa8", "#ffffff"}
