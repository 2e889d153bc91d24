"""Stock pictures (seed 002): a topic → places (interiors, exteriors, close-ups of items) → varied
prompts → one picture each.

Two steps, each with its own system prompt kept in data files: the LLM invents places for a topic
and concept, then several prompts per place (time of day, angle, light, with or without people).
Without an LLM the template planner does the same from the topic's vocabulary, so a run works out
of the box. A plan is deterministic for (topic, count, mix, seed): rerunning a run continues it.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

CONCEPTS = ("interior", "exterior", "items")
DEFAULT_MIX = (60, 20, 20)
PROMPTS_PER_PLACE = 3
CONCEPT_WORDS = {
    "interior": ("interior locations", "Interior"),
    "exterior": ("exterior locations", "Exterior"),
    "items": ("close-ups of items", "Close-up of"),
}
TIMES = ("in the morning", "at midday", "in the late afternoon", "in the evening", "at golden hour")
ANGLES = ("eye-level view", "wide-angle view", "view from above", "three-quarter view", "low-angle view")
LIGHTS = ("soft natural light", "warm window light", "bright even light", "cool daylight", "gentle backlight")
SURFACES = ("on a wooden table", "on a white desk", "on a marble counter", "on a linen cloth", "on a concrete surface")
STYLE = "photorealistic stock photo, no text, no logos"


@dataclass(frozen=True)
class Topic:
    name: str
    hints: str = ""
    interior: tuple[str, ...] = ()
    exterior: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> Topic:
        lists = {key: tuple(data.get(key) or ()) for key in ("interior", "exterior", "items", "people")}
        return cls(name=data["name"], hints=data.get("hints", ""), **lists)

    def places(self, concept: str) -> tuple[str, ...]:
        return getattr(self, concept) or (f"a typical {concept} place for {self.name.lower()}",)


@dataclass(frozen=True)
class Shot:
    index: int
    concept: str
    location: str
    prompt: str
    seed: int
    written_by: str = "template"


@dataclass
class Plan:
    shots: list[Shot]
    notes: list[str] = field(default_factory=list)  # why a step fell back to the template planner


def parse_mix(text: str | Sequence[int]) -> tuple[int, int, int]:
    """'60/20/20' (interior/exterior/items, any positive total) → (60, 20, 20)."""
    parts = re.split(r"[/,: ]+", text.strip()) if isinstance(text, str) else list(text)
    try:
        values = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(f"mix {text!r}: give three whole numbers like 60/20/20 (interior/exterior/items)") from None
    if len(values) != 3 or any(v < 0 for v in values) or sum(values) == 0:
        raise ValueError(f"mix {text!r}: give three whole numbers like 60/20/20 (interior/exterior/items)")
    return values  # type: ignore[return-value]


def mix_counts(count: int, mix: Sequence[int] = DEFAULT_MIX) -> dict[str, int]:
    """Pictures per concept, largest remainder: 10 at 60/20/20 → 6/2/2."""
    total = sum(mix)
    exact = [count * m / total for m in mix]
    counts = [math.floor(x) for x in exact]
    for i in sorted(range(3), key=lambda i: (-(exact[i] - counts[i]), i))[: count - sum(counts)]:
        counts[i] += 1
    return dict(zip(CONCEPTS, counts, strict=True))


def shot_seed(seed: int, index: int) -> int:
    return random.Random(f"{seed}:{index}").randrange(2**31)


# -- the template planner --------------------------------------------------------------------------


def template_places(topic: Topic, concept: str, count: int, rng: random.Random) -> list[str]:
    places = list(topic.places(concept))
    rng.shuffle(places)
    return [places[i % len(places)] for i in range(count)]


def template_prompts(
    topic: Topic, concept: str, place: str, count: int, rng: random.Random, used: set[str]
) -> list[str]:
    """`count` prompts for a place, none already in `used`, each naming the topic. Time of day, angle,
    light and people (for a close-up: the surface) vary, and two prompts of one place share at most
    one of them, so a place's pictures do not come out as near-copies."""
    if concept == "items":
        extras = list(SURFACES)
    elif concept == "exterior":
        extras = ["with people passing by", "with one person walking", "without people"]
    else:
        extras = [*topic.people, "without people"]
    combos = list(itertools.product(TIMES, ANGLES, LIGHTS, extras))
    rng.shuffle(combos)
    chosen: list[tuple[str, ...]] = []
    prompts = []
    for strict in (True, False):  # varied first; repeats of a field only when nothing varied is left
        for combo in combos:
            if len(prompts) == count:
                return prompts
            if strict and any(sum(a == b for a, b in zip(combo, other, strict=True)) > 1 for other in chosen):
                continue
            prompt = _template_prompt(topic, concept, place, *combo)
            if prompt not in used:
                used.add(prompt)
                chosen.append(combo)
                prompts.append(prompt)
    return prompts


def _template_prompt(
    topic: Topic, concept: str, place: str, time_of_day: str, angle: str, light: str, extra: str
) -> str:
    if concept == "items":
        return f"Close-up of {place} {extra}, {topic.name.lower()} theme, {light}, {angle}, {STYLE}"
    return f"{place[0].upper()}{place[1:]}, {topic.name.lower()}, {extra}, {time_of_day}, {angle}, {light}, {STYLE}"


# -- the LLM planner -------------------------------------------------------------------------------


def _json_list(text: str) -> list[str]:
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end <= start:
        raise ValueError("no JSON array in the answer")
    value = json.loads(text[start : end + 1])
    items = [" ".join(str(v).split()) for v in value if isinstance(v, str | int | float) and str(v).strip()]
    if not items:
        raise ValueError("an empty list")
    return items


def _ask(client, system: str, count: int) -> list[str]:
    reply = client.chat([{"role": "system", "content": system}, {"role": "user", "content": "Go."}], temperature=0.9)
    return _json_list(reply.text)[:count]


def llm_places(client, topic: Topic, concept: str, count: int, prompts_dir: Path) -> list[str]:
    words, _ = CONCEPT_WORDS[concept]
    system = (
        (prompts_dir / "locations.txt")
        .read_text(encoding="utf-8")
        .format(topic=topic.name, hints=topic.hints, count=count, concept_words=words)
    )
    return _ask(client, system, count)


def llm_prompts(client, topic: Topic, concept: str, place: str, count: int, prompts_dir: Path) -> list[str]:
    _, one = CONCEPT_WORDS[concept]
    system = (
        (prompts_dir / "prompts.txt")
        .read_text(encoding="utf-8")
        .format(topic=topic.name, hints=topic.hints, count=count, concept_words_one=one, location=place)
    )
    return [
        p if topic.name.lower() in p.lower() else f"{p} ({topic.name.lower()})" for p in _ask(client, system, count)
    ]


# -- the plan --------------------------------------------------------------------------------------


def plan_shots(
    topic: Topic,
    *,
    count: int,
    mix: Sequence[int] = DEFAULT_MIX,
    seed: int = 0,
    client=None,
    prompts_dir: Path | None = None,
) -> Plan:
    """`count` shots split by `mix` over interiors, exteriors and items, PROMPTS_PER_PLACE per place,
    every prompt different. With a client (an LLM) both steps ask it; a step it fails falls back to
    the template planner, and the plan's notes say so."""
    if count < 1:
        raise ValueError("count must be at least 1")
    rng = random.Random(f"{topic.name}:{seed}")
    shots, notes, used = [], [], set()
    for concept, n in mix_counts(count, mix).items():
        if n == 0:
            continue
        places_needed = math.ceil(n / PROMPTS_PER_PLACE)
        places, by = template_places(topic, concept, places_needed, rng), "template"
        if client is not None:
            try:
                places, by = llm_places(client, topic, concept, places_needed, prompts_dir), "llm"
            except Exception as error:  # an LLM that is down or answers nonsense must not stop the run
                notes.append(f"{concept} places: the LLM failed ({error}); the template planner stood in")
        for place in places if len(places) >= places_needed else places * places_needed:
            want = min(PROMPTS_PER_PLACE, n - len([s for s in shots if s.concept == concept]))
            if want <= 0:
                break
            prompts, written = [], "template"
            if client is not None and by == "llm":
                try:
                    prompts = [
                        p for p in llm_prompts(client, topic, concept, place, want, prompts_dir) if p not in used
                    ]
                    used.update(prompts)
                    written = "llm"
                except Exception as error:
                    notes.append(f"prompts for {place!r}: the LLM failed ({error}); the template planner stood in")
            if len(prompts) < want:
                prompts += template_prompts(topic, concept, place, want - len(prompts), rng, used)
            for prompt in prompts:
                index = len(shots)
                shots.append(Shot(index, concept, place, prompt, shot_seed(seed, index), written))
    return Plan(shots=shots, notes=notes)
