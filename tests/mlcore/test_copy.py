"""The copywriter against a scripted OpenAI-compatible server over real HTTP: texts always fit."""

import json

import pytest

from mlcore.copy import CopyBrief, key_facts, lost_facts, parse_fields, truncate_words, write_copy, write_template
from mlcore.layout import parse_layout
from mlcore.llm import HTTPSettings, LLMUnavailable, OpenAICompatibleClient
from tests.factories import preset
from tests.fake_llm import Reply, fields

SQUARE = parse_layout(preset("square")).text_slots  # headline 40, subheadline 90, cta 24
BRIEF = CopyBrief(
    product="SwiftRide Taxi",
    description="A city taxi. Cars in five minutes.",
    offer="Rides 20% off this weekend with code CITY20",
    tone="fomo",
    platform="instagram",
)
FITS = dict(
    headline="20% off rides with CITY20", subheadline="This weekend only: cars in five minutes.", cta="Book now"
)
TOO_LONG = dict(
    headline="Twenty percent off every single ride this weekend with code CITY20, 20% off",
    subheadline="x " * 60,
    cta="Book your ride right now before it is too late",
)


@pytest.fixture
def client(fake_llm):
    return OpenAICompatibleClient(
        HTTPSettings(base_url=fake_llm.base_url, model="fake", timeout=1.0, max_retries=2, backoff=0.01)
    )


def assert_fits(texts):
    for slot in SQUARE:
        assert len(texts[slot.key]) <= slot.max_chars, (slot.key, texts[slot.key])


def test_first_answer_that_fits_takes_one_call(fake_llm, client):
    fake_llm.add(fields(**FITS))
    result = write_copy(client, brief=BRIEF, slots=SQUARE)
    assert result.texts == FITS
    assert result.stats["calls"] == 1 and result.stats["retries"] == 0 and result.stats["truncations"] == 0
    assert result.stats["lost_facts"] == []


def test_too_long_five_times_truncates_after_three_retries(fake_llm, client):
    fake_llm.add(*[fields(**TOO_LONG)] * 5)
    result = write_copy(client, brief=BRIEF, slots=SQUARE)
    assert fake_llm.chat_calls == 4
    assert result.stats["calls"] == 4 and result.stats["retries"] == 3
    assert result.stats["truncations"] == 3
    assert_fits(result.texts)
    assert not result.texts["subheadline"].endswith((" ", ",", "-"))
    # The cut headline lost 20% and CITY20: the deterministic writer's fields bring them back, and say so.
    assert result.stats["facts_dropped"] == []
    assert any("lost" in note for note in result.stats["field_notes"].values())


def test_fits_on_the_second_retry(fake_llm, client):
    fake_llm.add(
        fields(**TOO_LONG), fields(**{**FITS, "cta": "Book your ride right now before too late"}), fields(**FITS)
    )
    result = write_copy(client, brief=BRIEF, slots=SQUARE)
    assert result.stats["calls"] == 3 and result.stats["retries"] == 2 and result.stats["truncations"] == 0
    assert result.texts == FITS


def test_shortening_message_names_fields_limits_and_facts(fake_llm, client):
    fake_llm.add(fields(**{**FITS, "headline": "Huge weekend discount on all taxi rides in town"}), fields(**FITS))
    write_copy(client, brief=BRIEF, slots=SQUARE)
    follow_up = fake_llm.requests[1]["messages"][-1]["content"]
    assert '"headline" has 47 characters, the limit is 40' in follow_up
    assert "20%" in follow_up and "CITY20" in follow_up
    system = fake_llm.requests[0]["messages"][0]["content"]
    assert '"subheadline": the subheadline, at most 90 characters' in system
    assert fake_llm.requests[0]["response_format"] == {"type": "json_object"}


def test_a_500_then_success_is_retried_over_http(fake_llm, client):
    fake_llm.add(Reply(status=500), fields(**FITS))
    result = write_copy(client, brief=BRIEF, slots=SQUARE)
    assert fake_llm.chat_calls == 2
    assert result.stats["calls"] == 1
    assert result.texts == FITS


@pytest.mark.parametrize(
    "wrap",
    [
        "Here you go:\n```json\n{}\n```\nHope it helps!",
        "Sure! {} Anything else?",
        "```\n{}\n```",
    ],
)
def test_json_wrapped_in_prose_or_fences_is_parsed(fake_llm, client, wrap):
    fake_llm.add(Reply(content=wrap.replace("{}", fields(**FITS).content)))
    assert write_copy(client, brief=BRIEF, slots=SQUARE).texts == FITS


def test_invalid_json_is_asked_again_then_falls_back_within_limits(fake_llm, client):
    fake_llm.default = Reply(content="I cannot answer in JSON, sorry {headline: oops")
    result = write_copy(client, brief=BRIEF, slots=SQUARE)
    assert result.stats["calls"] == 4
    assert "not a valid JSON object" in fake_llm.requests[1]["messages"][-1]["content"]
    assert result.stats["used_fallback"]
    assert_fits(result.texts)
    assert all(result.texts.values())


def test_a_timeout_is_retried_then_succeeds(fake_llm, client):
    fake_llm.add(Reply(content=fields(**FITS).content, sleep=1.5), fields(**FITS))
    result = write_copy(client, brief=BRIEF, slots=SQUARE)
    assert result.texts == FITS
    assert fake_llm.chat_calls == 2


def test_llm_down_after_bounded_retries_raises(fake_llm, client):
    fake_llm.default = Reply(status=503)
    with pytest.raises(LLMUnavailable, match="did not answer"):
        write_copy(client, brief=BRIEF, slots=SQUARE)
    assert fake_llm.chat_calls == 3  # 1 + max_retries


def test_server_without_json_mode_is_asked_without_response_format(fake_llm, client):
    fake_llm.add(Reply(status=400, body='{"error": "response_format is not supported"}'), fields(**FITS))
    assert write_copy(client, brief=BRIEF, slots=SQUARE).texts == FITS
    assert "response_format" not in fake_llm.requests[1]
    assert not client.json_mode


def test_baseline_mode_is_one_call_and_truncation(fake_llm, client):
    fake_llm.add(fields(**TOO_LONG))
    result = write_copy(client, brief=BRIEF, slots=SQUARE, mode="baseline")
    assert result.stats["calls"] == 1 and result.stats["truncations"] == 3
    assert_fits(result.texts)


def test_lost_facts_trigger_a_retry_and_are_reported(fake_llm, client):
    fake_llm.add(
        *[fields(headline="Cheap rides this weekend", subheadline="Cars in five minutes.", cta="Book now")] * 4
    )
    result = write_copy(client, brief=BRIEF, slots=SQUARE)
    assert result.stats["retries"] == 3
    assert "Keep these key facts of the offer: 20%, CITY20" in fake_llm.requests[1]["messages"][-1]["content"]
    assert result.stats["lost_facts"] == []  # recovered from the deterministic writer
    assert result.stats["field_writers"]["cta"] == "llm"
    assert "20%" in result.stats["fact_fields"] and "CITY20" in result.stats["fact_fields"]


def test_russian_offer_with_roubles():
    brief = CopyBrief(
        product="Связь Плюс",
        description="Мобильный оператор. Безлимит.",
        offer="Безлимитный интернет за 499 ₽ в месяц до 31 декабря",
        tone="persuasive",
        platform="x",
    )
    assert key_facts(brief.offer) == ["499 ₽", "31 декабря"]
    result = write_template(brief=brief, slots=SQUARE)
    assert_fits(result.texts)
    assert result.texts["cta"] in ("Оформить сейчас", "Подробнее")


@pytest.mark.parametrize(
    ("offer", "facts"),
    [
        ("Save $50 on orders over $200", ["$50", "$200"]),
        ("Скидка 15 % до 01.12.2026", ["15 %", "01.12.2026"]),
        ("Mortgage from 5,9% for 20 years", ["5,9%", "20 years"]),
        ("Cashback 5 000 руб. each month", ["5 000 руб"]),
    ],
)
def test_key_facts_are_found(offer, facts):
    assert key_facts(offer) == facts


def test_lost_facts_accepts_reformatted_money():
    assert lost_facts(["5 000 руб."], {"h": "Кэшбэк 5000 ₽ ежемесячно"}) == []
    assert lost_facts(["20%"], {"h": "Twenty percent off"}) == ["20%"]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Rides 20% off this weekend", 14, "Rides 20% off"),
        ("Hello, world and more", 6, "Hello"),
        ("Supercalifragilistic", 5, "Super"),
        ("short", 10, "short"),
        ("Скидка — только сегодня", 8, "Скидка"),
    ],
)
def test_truncation_never_cuts_mid_word_nor_leaves_punctuation(text, limit, expected):
    assert truncate_words(text, limit) == expected


@pytest.mark.parametrize(
    "reply",
    [
        json.dumps({"title": "Taxi 20% off", "subtitle": "Code CITY20 this weekend", "button": "Book a ride"}),
        json.dumps(
            {
                "banner": {
                    "texts": {
                        "Headline": "Taxi 20% off",
                        "Sub_headline": "Code CITY20 this weekend",
                        "call_to_action": "Book a ride",
                    }
                }
            }
        ),
        json.dumps(
            {
                "fields": [
                    {"key": "headline", "text": "Taxi 20% off"},
                    {"key": "subheadline", "text": "Code CITY20 this weekend"},
                    {"key": "cta", "text": "Book a ride"},
                ]
            }
        ),
        "**Headline:** Taxi 20% off\n**Subheadline:** Code CITY20 this weekend\n**CTA:** Book a ride",
        "Taxi 20% off\nCode CITY20 this weekend\nBook a ride",
    ],
    ids=["other-keys", "nested", "list-of-fields", "labelled-lines", "bare-lines"],
)
def test_replies_in_other_shapes_are_mapped_onto_the_slots(reply):
    assert parse_fields(reply, SQUARE) == {
        "headline": "Taxi 20% off",
        "subheadline": "Code CITY20 this weekend",
        "cta": "Book a ride",
    }


def test_an_echoed_field_is_taken_from_the_deterministic_writer_and_says_why(fake_llm, client):
    fake_llm.default = fields(headline="Taxi 20% off", subheadline=BRIEF.offer, cta="Book a ride")
    result = write_copy(client, brief=BRIEF, slots=SQUARE)
    assert result.stats["field_writers"]["subheadline"] == "template"
    assert result.stats["field_writers"]["headline"] == "llm"
    assert "subheadline" in result.stats["notice"]
    assert result.texts["subheadline"] != BRIEF.offer


def test_russian_llm_copy_gets_russian_typography(fake_llm, client):
    brief = CopyBrief(
        product="Кофейня «Зерно»",
        description="",
        offer="Скидка 20% на кофе до 31 декабря",
        tone="casual",
        platform="instagram",
    )
    fake_llm.default = fields(
        headline='Кофе "Зерно" - скидка 20%', subheadline="До 31 декабря в нашей кофейне", cta="Заказать"
    )
    result = write_copy(client, brief=brief, slots=SQUARE)
    assert result.stats["field_writers"]["headline"] == "llm"
    assert result.texts["headline"] == "Кофе «Зерно»\u00a0— скидка 20%"
    assert result.texts["subheadline"].startswith("До\u00a031\u00a0декабря в\u00a0нашей")
