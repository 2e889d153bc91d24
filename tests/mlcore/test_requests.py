"""400 design requests of the kind scripts send ("Create a banner ad image of size 300x250 for …"),
generated from parts, through the deterministic writer on every preset: the instruction never reaches
the banner, the stated call to action is used, and the offer's figures survive."""

from __future__ import annotations

import random
import re

import pytest

from mlcore.copy import CopyBrief, write_template
from mlcore.facts import fact_in
from mlcore.offer import parse_offer
from mlcore.textcheck import field_problems, language
from tests.factories import preset_layouts

FORMATS = preset_layouts()
BUSINESSES = [
    ("a spring sale of a fashion retailer", "a {p}% discount"),
    ("a pizza place", "two pizzas for ${n}"),
    ("an online course platform", "{p}% off all courses until {d}"),
    ("a coffee shop", "a free croissant with any coffee before 10am"),
    ("a car rental company", "rentals from ${n} per day"),
    ("a gym", "the first month for ${n}"),
    ("a hotel in Lisbon", "{p}% off weekend stays with code STAY{p}"),
    ("a furniture store", "up to {p}% off sofas until {d}"),
    ("a mobile app for language learning", "a 7-day free trial"),
    ("a bank", "{p}% cashback on groceries"),
    ("an electronics store's Black Friday sale", "headphones for ${n}"),
    ("a flower shop", "free delivery on orders over ${n}"),
]
VERBS = ["Create", "Design", "Make", "Generate", "Please create", "I need", "Can you make"]
THINGS = ["a banner ad image", "a banner", "an ad banner", "a display ad", "a web banner", "an advertisement"]
SIZES = ["of size 300x250", "300x250", "728x90", "of size 160x600", "1080x1080", "", ""]
THEMES = [
    "The theme is floral with blue and white colors.",
    "Use a minimal style in black and gold.",
    "Colors: #1a2b3c and white.",
    "Bright, playful theme with orange and yellow.",
    "",
]
CTAS = [
    "The call to action is SHOP NOW.",
    "CTA: Order today.",
    "with a 'Learn More' button.",
    "Call to action: Book now.",
    "",
]
AUDIENCES = ["The target audience is young women aged 18-35.", "Target audience: busy professionals.", ""]
PURPOSES = ["The primary purpose is to drive online sales.", "The goal is brand awareness.", ""]
INSTRUCTION_WORDS = re.compile(
    r"\b(?:create|design|generate|banner|call to action|target audience|audience|purpose|theme|colou?rs?|"
    r"\d{2,4}x\d{2,4})\b",
    re.I,
)


def requests(count: int = 400, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        business, offer = rng.choice(BUSINESSES)
        offer = offer.format(
            p=rng.choice([10, 15, 20, 25, 30, 40, 50]),
            n=rng.choice([9, 19, 25, 49, 99]),
            d=rng.choice(["December 31", "Sunday", "March 8", "12/31"]),
        )
        cta = rng.choice(CTAS)
        lead = f"{rng.choice(VERBS)} {rng.choice(THINGS)} {rng.choice(SIZES)} for {business} offering {offer}"
        if cta.startswith("with"):
            lead, cta = f"{lead} {cta}", ""
        parts = [f"{' '.join(lead.split())}.", rng.choice(THEMES), cta, rng.choice(AUDIENCES), rng.choice(PURPOSES)]
        made.append((" ".join(p for p in parts if p), offer))
    return made


def test_requests_become_ads_that_keep_their_figures_and_never_print_the_instruction():
    leaks, problems, facts_total, facts_kept, cta_total, cta_used = [], [], 0, 0, 0, 0
    for request, offer in requests():
        stated = re.search(r"(?:call to action is|CTA:|Call to action:|with a ')\s*([^.']+)", request)
        for slug, layout in FORMATS.items():
            result = write_template(
                brief=CopyBrief(product="", description="", offer=request, tone="professional", platform="x"),
                slots=layout.text_slots,
            )
            combined = " ".join(result.texts.values())
            if INSTRUCTION_WORDS.search(combined):
                leaks.append((slug, combined, request))
            for slot in layout.text_slots:
                problems += field_problems(result.texts[slot.key], lang=language(request), max_chars=slot.max_chars)
            figures = re.findall(r"\$?\d+%?(?:-day)?|STAY\d+", offer)
            if len(layout.text_slots) > 2:
                facts_total += len(figures)
                facts_kept += sum(fact_in(f, combined) for f in figures)
            cta_limit = next(s.max_chars for s in layout.text_slots if s.purpose == "cta")
            if stated and len(stated.group(1).strip()) <= cta_limit:
                cta_total += 1
                cta_used += result.texts["cta"].lower() == stated.group(1).strip().lower()
    assert leaks == []
    assert problems == []
    assert facts_kept / facts_total >= 0.98
    assert cta_used == cta_total


WRITTEN_REQUESTS = [
    # (request, facts the banner must keep, stated call to action or "")
    ("Banner request\nSize: 300 x 250\nBusiness: Green Leaf Garden Center\nOffer: 25% off all perennials until "
     "May 15\nAudience: home gardeners 30-60\nColors: green, white\nCTA: Shop plants",
     ["25%", "May 15"], "Shop plants"),
    ("Headline: Summer Sale\nSubtext: Up to 50% off swimwear, this week only\nButton: Shop now\nSize: 728x90",
     ["50%"], "Shop now"),
    ("- format: 300×250\n- brand: FitBox\n- promo: first month $9.99 with code FIT999\n- tone: energetic\n"
     "- call to action: Join today", ["$9.99", "FIT999"], "Join today"),
    ('{"size": "300x250", "product": "Noise-cancelling headphones", "offer": "$149, was $199", "cta": "Buy now", '
     '"colors": "black and orange"}', ["$149"], "Buy now"),
    ("Design request — Size: 1080x1080 | Brand: CloudNote | Offer: 3 months free on the Pro plan | CTA: Try Pro | "
     "Audience: freelancers", ["3 months"], "Try Pro"),
    ("Banner for a pet store: 15% off dog food this week. CTA: Shop now.", ["15%"], "Shop now"),
    ("300x250 banner — Sushi Go: 2 rolls for $12 until Friday", ["$12"], ""),
    ("We're opening a new gym downtown and need a banner: first week free. Button: Join", [], "Join"),
    ("Looking for a banner ad promoting our spa: 20% off massages in March", ["20%"], ""),
    ("Ad for a car wash, $10 off premium wash, red and white colors", ["$10"], ""),
    ("Promote our webinar on March 12 at 6pm with a 728x90 banner. Register free.", ["March 12", "6pm"], ""),
    ("Hi! We need an ad for our bookstore's anniversary sale — 30% off all books through Sunday.", ["30%"], ""),
    ("Banner ad, 160x600, electronics store, TVs from $299, audience is families, goal is store visits", ["$299"], ""),
    ("Could you please design a medium rectangle ad for our bakery? We sell sourdough bread from $5 and offer free "
     "delivery over $30. Warm colors please. The button should say Order bread.", ["$5", "$30"], "Order bread"),
    ("Баннер 300×250\nКомпания: «Пицца Мания»\nПредложение: вторая пицца за 1 ₽ по вторникам\nАудитория: студенты\n"
     "Кнопка: Заказать", ["1 ₽"], "Заказать"),
    ("Нужен баннер 728 x 90 для автосервиса. Акция: замена масла за 990 ₽ до 30 июня. Цель — новые клиенты. "
     "Кнопка «Записаться».", ["990 ₽", "30 июня"], "Записаться"),
    ("Медиа-баннер для салона красоты: маникюр за 990 ₽. Кнопка: Записаться", ["990 ₽"], "Записаться"),
    ("I'd like a banner advertising our new menu: lunch combo $9.90", ["$9.90"], ""),
    ("Banner text: Free shipping on all orders", [], ""),
    ("For the banner: 20% off with code SNOW20", ["20%", "SNOW20"], ""),
    ("A banner that promotes 10% off for students", ["10%"], ""),
    ("Our new banner should say: Buy 2 get 1 free", [], ""),
    ("banner pls - pizza 2 for 1 tuesdays, call to action order now", [], "Order now"),
    ("Для баннера: бесплатная доставка от 2000 ₽", ["2000 ₽"], ""),
    ("Подготовь, пожалуйста, баннер. Текст: «Скидка 10% по промокоду ВЕСНА»", ["10%", "ВЕСНА"], ""),
    ("Баннер для соцсетей (1080×1080): открытие кофейни 1 сентября, каждому гостю — десерт в подарок",
     ["1 сентября"], ""),
    ("Рекламный баннер 240x400 для фитнес-клуба: абонемент на год за 19 900 ₽ до 31 января. Целевая аудитория — "
     "женщины 25–45 лет.", ["19 900 ₽", "31 января"], ""),
]  # fmt: skip
LEAKS = re.compile(
    r"\b(?:banner|request|design|audience|size|format|colou?rs?|cta|button|headline|subtext|goal|purpose|tone|"
    r"\d{2,4}\s?[x×]\s?\d{2,4})\b|баннер|аудитори|кнопк|призыв|компания:|предложение:|цель",
    re.I,
)


@pytest.mark.parametrize(("request_text", "facts", "cta"), WRITTEN_REQUESTS, ids=range(len(WRITTEN_REQUESTS)))
def test_requests_written_as_fields_lists_or_sentences_become_ads(request_text, facts, cta):
    brief = CopyBrief(product="", description="", offer=request_text, tone="professional", platform="x")
    result = write_template(brief=brief, slots=FORMATS["portrait"].text_slots)
    combined = " ".join(result.texts.values())
    assert not LEAKS.search(combined.replace("\u00a0", " ")), result.texts
    assert all(fact_in(fact, combined) for fact in facts), result.texts
    if cta:
        assert result.texts["cta"] == cta


@pytest.mark.parametrize(
    "offer",
    ["No ads, offline listening, 3 months free", "Print your banners and flyers 20% off",
     "Баннеры и визитки со скидкой 20%", "Our creative agency: first consultation free",
     "Banners, flyers and posters: 20% off printing", "Баннеры для бизнеса: печать за 1 день"],
)  # fmt: skip
def test_an_offer_that_mentions_ads_or_banners_is_not_taken_for_a_request(offer):
    assert not parse_offer(offer).request.is_request


@pytest.mark.parametrize(
    ("request_text", "subject"),
    [
        ("Создай баннер для детского лагеря: ранняя бронь со скидкой 15%", "Детский лагерь"),
        ("Сделай баннер для новой кофейни: второй капучино в подарок", "Новая кофейня"),
        ("Нужен баннер для магазинов одежды: скидки до 50%", "Магазины одежды"),
        ("Создайте баннер для B2B-сервиса онлайн-бухгалтерии: 14 дней бесплатно", "B2B-сервис онлайн-бухгалтерии"),
    ],
)
def test_the_subject_of_a_russian_request_is_put_in_the_nominative_with_its_adjectives_agreeing(request_text, subject):
    assert parse_offer(request_text).brand == subject
