"""Seed 002's planner: the mix splits a run, the template planner's prompts are all different and name
their topic, and with an LLM (the fake server) both steps ask it, falling back step by step."""

import json

import pytest
from django.conf import settings

from mlcore.llm import HTTPSettings, OpenAICompatibleClient
from mlcore.stock import Topic, mix_counts, parse_mix, plan_shots
from tests.fake_llm import Reply

TOPICS = [Topic.from_dict(d) for d in json.loads((settings.BASE_DIR / "catalog/data/stock/topics.json").read_text())]
PROMPTS = settings.BASE_DIR / "catalog" / "data" / "stock"


def test_thirteen_topics_and_the_mix():
    assert len(TOPICS) == 13 and {"Business and office", "Medicine and health", "Trainings and Education"} <= {
        t.name for t in TOPICS
    }
    assert mix_counts(10, (60, 20, 20)) == {"interior": 6, "exterior": 2, "items": 2}
    assert mix_counts(7, (60, 20, 20)) == {"interior": 4, "exterior": 2, "items": 1}
    assert sum(mix_counts(301, (1, 1, 1)).values()) == 301
    assert parse_mix("60/20/20") == (60, 20, 20)
    with pytest.raises(ValueError, match="three whole numbers"):
        parse_mix("60/40")


@pytest.mark.parametrize("topic", TOPICS, ids=lambda t: t.name)
def test_template_prompts_are_all_different_and_name_their_topic(topic):
    plan = plan_shots(topic, count=120, mix=(60, 20, 20), seed=4)
    prompts = [shot.prompt for shot in plan.shots]
    assert len(prompts) == 120 and len(set(prompts)) == 120
    assert all(topic.name.lower() in prompt.lower() for prompt in prompts)
    assert [s.concept for s in plan.shots].count("interior") == 72
    assert len({s.seed for s in plan.shots}) == 120
    assert plan_shots(topic, count=120, mix=(60, 20, 20), seed=4).shots == plan.shots  # a rerun plans the same


def test_with_an_llm_both_steps_ask_it_and_a_failed_step_falls_back(fake_llm):
    client = OpenAICompatibleClient(
        HTTPSettings(base_url=fake_llm.base_url, model="fake", timeout=2, max_retries=0, backoff=0.01)
    )
    topic = next(t for t in TOPICS if t.name == "Medicine and health")
    fake_llm.add(
        Reply(content='["a sunlit paediatric clinic room", "a calm MRI waiting lounge"]'),  # interior places
        Reply(content='["A paediatric clinic room at dawn, pastel walls", "Wide shot, nurse and child", "Top view"]'),
        Reply(content="Sorry, I cannot help with that."),  # prompts for place 2: no JSON
        Reply(content='["a clinic entrance with a ramp"]'),  # exterior place
        Reply(content='["Clinic entrance at dusk, medicine and health, warm lamps"]'),
        Reply(status=500, body="down"),  # items places: the server fails
    )
    plan = plan_shots(topic, count=6, mix=(60, 20, 20), seed=1, client=client, prompts_dir=PROMPTS)
    by = [(s.concept, s.location, s.written_by) for s in plan.shots]
    assert by[:3] == [("interior", "a sunlit paediatric clinic room", "llm")] * 3
    assert by[3] == ("interior", "a calm MRI waiting lounge", "template")
    assert by[4] == ("exterior", "a clinic entrance with a ramp", "llm")
    assert by[5][0] == "items" and by[5][2] == "template" and by[5][1] in topic.items
    assert all("medicine and health" in s.prompt.lower() for s in plan.shots)
    assert len(plan.notes) == 2 and "template planner stood in" in plan.notes[0]
    system = fake_llm.requests[0]["messages"][0]["content"]
    assert "Topic: Medicine and health" in system and "2 different interior locations" in system
