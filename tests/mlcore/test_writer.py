"""The deterministic writer on a corpus of offers (tests/data/copy_corpus.json: 135 English, 92
Russian offers and 86 design requests) on all 9 presets, and on the cases that used to break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlcore.copy import CopyBrief, Voice, write_template
from mlcore.facts import fact_in, find_facts
from mlcore.offer import parse_offer
from mlcore.textcheck import NBSP, field_problems, language, typeset_ru
from tests.factories import preset_layouts

ROOT = Path(__file__).resolve().parents[2]
CORPUS = json.loads((ROOT / "tests" / "data" / "copy_corpus.json").read_text())
FORMATS = preset_layouts()
DISPLAY = ("display-300x250", "display-728x90")


def corpus_items():
    for lang in ("en", "ru"):
        for item in CORPUS[lang]:
            yield item["offer"], item["product"], item["description"]
            if item["product"]:
                yield item["offer"], "", ""
    for request in CORPUS["requests"]:
        yield request, "", ""


def write(offer: str, slug: str, product: str = "", description: str = "", variant: int = 1):
    brief = CopyBrief(product=product, description=description, offer=offer, tone="professional", platform="x")
    return write_template(brief=brief, slots=FORMATS[slug].text_slots, variant=variant)


def test_every_field_fits_reads_and_is_in_the_offers_language():
    problems = []
    for offer, product, description in corpus_items():
        lang = language(offer)
        for slug, layout in FORMATS.items():
            result = write(offer, slug, product, description)
            for slot in layout.text_slots:
                text = result.texts[slot.key]
                for problem in field_problems(text, lang=lang, max_chars=slot.max_chars):
                    problems.append((slug, slot.key, problem, text, offer[:60]))
    assert problems == []


def test_key_facts_are_kept_where_there_is_room_and_the_main_benefit_on_small_displays():
    facts_total = facts_kept = main_total = main_kept = 0
    for offer, product, description in corpus_items():
        main = [f for f in find_facts(parse_offer(offer).text) if f.kind in {"percent", "money"}][:1]
        for slug in FORMATS:
            result = write(offer, slug, product, description)
            combined = " ".join(result.texts.values())
            if slug in DISPLAY:
                main_total += bool(main)
                main_kept += bool(main) and fact_in(main[0].text, combined)
            else:
                facts_total += len(result.stats["facts"])
                facts_kept += len(result.stats["facts_kept"])
            assert set(result.stats["facts_kept"]) | set(result.stats["facts_dropped"]) == set(result.stats["facts"])
    # Measured 0.986 on this corpus: long rambling offers with seven figures drop some on 160×600.
    assert facts_kept / facts_total >= 0.98
    assert main_kept / main_total >= 0.99


@pytest.mark.parametrize(
    ("offer", "slug", "expected"),
    [
        ("Кофейня «Зерно»: второй капучино в подарок по будням до 11:00", "portrait", ["11:00", "капучино"]),
        (
            "Get 10% cashback on every purchase with our new credit card, no annual fee, apply online at bankly.com",
            "square",
            ["10%", "bankly.com"],
        ),
        ("Taxi rides 20% off this weekend with code CITY20, your driver arrives in five minutes", "square", ["CITY20"]),
        ("Taxi rides 20% off this weekend with code CITY20", "display-728x90", ["20%", "CITY20"]),
    ],
)
def test_the_offers_that_used_to_break(offer, slug, expected):
    texts = write(offer, slug).texts
    combined = " ".join(texts.values())
    assert all(fact_in(fact, combined) for fact in expected), texts
    assert texts["headline"].replace(NBSP, " ") not in {"00", "."}
    if "subheadline" in texts:
        assert texts["subheadline"].strip(". ")


@pytest.mark.parametrize("slug", ["display-300x250", "square", "display-728x90", "story"])
def test_an_ordinal_or_free_is_never_trimmed_off_the_benefit(slug):
    """«Вторая пицца в подарок» trimmed to «Пицца в подарок» promised every pizza free."""
    second = write("Вторая пицца в подарок при заказе до 18:00 по промокоду PIZZA2", slug).texts
    assert "Вторая" in second["headline"] or "вторая" in " ".join(second.values()).lower(), second
    free = write("Бесплатная доставка пиццы при заказе от 1500 ₽ до конца недели", slug).texts
    assert "бесплатн" in " ".join(free.values()).lower(), free


def test_the_cashback_offer_keeps_its_benefit_on_300x250_and_reports_the_domain_dropped():
    result = write(
        "Get 10% cashback on every purchase with our new credit card, no annual fee, apply online at bankly.com",
        "display-300x250",
    )
    assert "10% cashback" in result.texts["headline"]
    assert result.stats["facts_dropped"] == ["bankly.com"]
    assert result.texts["cta"] in {"Apply now", "Get your card", "Apply online"}


def test_a_design_request_becomes_an_ad_without_the_instruction():
    request = (
        "Create a banner ad image of size 300x250 for a spring sale of a fashion retailer offering a 50% "
        "discount. The theme is floral with blue and white colors. The call to action is SHOP NOW. The target "
        "audience is young women aged 18-35. The primary purpose is to drive online sales."
    )
    for slug in FORMATS:
        result = write(request, slug)
        combined = " ".join(result.texts.values()).lower()
        assert "50%" in combined and result.texts["cta"] == "SHOP NOW"
        for instruction in ("create", "300x250", "theme", "audience", "purpose", "banner"):
            assert instruction not in combined, (slug, result.texts)
    assert result.stats["request"]["colors"] == ["#1e5aa8", "#ffffff"]


def test_russian_copy_is_typeset_and_has_a_russian_cta_and_legal_line():
    result = write("Скидка 15% на первый заказ до 31 декабря, промокод ЛЕТО2026", "portrait")
    texts = result.texts
    assert "15%" in texts["headline"] and "на\u00a0первый" in texts["headline"]
    assert language(texts["cta"]) == "ru" and language(texts["legal"]) == "ru"
    assert "31\u00a0декабря" in " ".join(texts.values())


def test_typography_keeps_the_length_and_uses_guillemets_and_a_spaced_dash():
    text = 'Кафе "Лето" - скидка 20 % и 5 000 ₽ в подарок'
    typeset = typeset_ru(text)
    assert len(typeset) == len(text)
    assert typeset == "Кафе «Лето»\u00a0— скидка 20\u00a0% и\u00a05\u00a0000\u00a0₽ в\u00a0подарок"


def test_the_call_to_action_follows_the_kind_of_offer_then_the_platform_and_tone():
    def cta(offer, tone="professional", platform="x"):
        brief = CopyBrief(product="", description="", offer=offer, tone=tone, platform=platform)
        tone_file = json.loads((ROOT / "banners" / "copy_rules" / "tones" / f"{tone}.json").read_text())
        voice = Voice(ctas=tuple(tone_file["ctas"]), ctas_ru=tuple(tone_file["ctas_ru"]))
        return write_template(brief=brief, slots=FORMATS["square"].text_slots, voice=voice).texts["cta"]

    assert cta("Taxi rides 20% off this weekend") == "Book a ride"
    assert cta("Кредитная карта со 120 днями без процентов") == "Оформить карту"
    assert cta("Now open Sundays", platform="linkedin") == "Learn more"
    assert cta("Now open Sundays", tone="fomo") == "Don't miss out"
    assert cta("Now open Sundays") == "Learn more"
    assert cta("Скидка 20% на такси").startswith(("Заказать", "Поехать", "Вызвать"))


def test_regenerating_gives_different_copy_with_the_same_facts():
    offer = "Pizza delivery 30% off all weekend with code PIZZA30, free delivery on orders over $25"
    first, second = write(offer, "square", variant=1), write(offer, "square", variant=2)
    assert first.texts != second.texts
    assert first.stats["facts_kept"] == second.stats["facts_kept"]


def test_the_writer_takes_under_two_milliseconds_per_banner():
    import time

    offers = [item["offer"] for item in CORPUS["en"][:40] + CORPUS["ru"][:40]]
    write(offers[0], "square")  # morphology loaded once
    started = time.perf_counter()
    for offer in offers:
        write(offer, "square")
    assert (time.perf_counter() - started) / len(offers) < 0.01  # 2 ms measured by bench_copy; slack for CI


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_phrase_designers_keep_in_the_phrasebook_reads_as_a_finished_phrase(lang):
    book = json.loads((ROOT / "banners" / "copy_rules" / "writer" / f"{lang}.json").read_text())
    phrases = [p for group in ("ctas", "platform_ctas") for ctas in book[group].values() for p in ctas]
    phrases += [p for group in ("subheadlines", "kind_subheadlines") for ps in book[group].values() for p in ps]
    phrases += [*book["legal"]["suffix"], *book["legal"]["none"]]
    for phrase in phrases:
        assert field_problems(phrase, lang=lang, max_chars=200) == [], phrase


def test_a_picture_search_text_loses_the_offers_figures():
    from mlcore.facts import without_facts

    assert without_facts("Кофейня «Зерно»: второй капучино в подарок до 11:00, промокод ЗЕРНО10") == (
        "Кофейня «Зерно»: второй капучино в подарок до, промокод"
    )
    assert without_facts("Taxi rides 20% off at city.com") == "Taxi rides off at"


def test_hashtags_come_from_the_offers_content_words_russian_nouns_in_dictionary_form():
    from mlcore.writer import hashtags

    assert hashtags("Taxi rides 20% off this weekend with code CITY20") == ["#taxi", "#rides", "#weekend"]
    assert hashtags("Скидка 20% в кофейне «Зерно»") == ["#скидка", "#кофейня", "#зерно"]
