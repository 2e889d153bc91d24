"""400 design requests of the kind scripts send ("Create a banner ad image of size 300x250 for …"),
generated from parts, through the deterministic writer on every preset: the instruction never reaches
the banner, the stated call to action is used, and the offer's figures survive."""

from __future__ import annotations

import random
import re

from mlcore.copy import CopyBrief, write_template
from mlcore.facts import fact_in
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
