"""Approved banners as training data: load_demo's demo banners, export_training_data's copy and
design records."""

import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from banners.copywriting import voice_for
from banners.models import Banner
from banners.pipeline import brief_for
from banners.training import split_of
from mlcore import copy as copywriter

pytestmark = pytest.mark.slow


def _read(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def test_demo_banners_export_as_copy_and_design_records(db, tmp_path):
    """One load_demo (half a minute) serves every check: the demo banners, then both exports."""
    call_command("load_demo")
    demo = Banner.objects.filter(approval=Banner.Approval.APPROVED)
    _demo_banners_are_approved_in_both_languages_once(demo)
    rejected = demo.first()
    rejected.approval = Banner.Approval.REJECTED
    rejected.save()
    _copy_records_are_the_served_prompt_and_the_approved_texts(tmp_path / "copy.jsonl", rejected)
    _design_records_are_seed_000_instruction_pairs(tmp_path / "design.jsonl")


def _demo_banners_are_approved_in_both_languages_once(demo):
    assert demo.count() == 24
    offers = [banner.campaign.offer for banner in demo]
    assert sum(any("а" <= c <= "я" for c in offer.lower()) for offer in offers) == 12
    for banner in demo:
        assert banner.png and banner.generated_texts and banner.texts != banner.generated_texts
        assert banner.edit_distance > 0
        assert banner.feedback.filter(kind="approve").exists()
    call_command("load_demo")
    assert Banner.objects.filter(approval=Banner.Approval.APPROVED).count() == 24


def _copy_records_are_the_served_prompt_and_the_approved_texts(out, rejected):
    call_command("export_training_data", kind="copy", out=str(out))
    records = _read(out)
    assert len(records) == 23 and f"banner-{rejected.pk}" not in {r["id"] for r in records}
    assert {r["lang"] for r in records} == {"en", "ru"}
    assert {r["split"] for r in records} == {"train", "eval"}
    for record in records:
        banner = Banner.objects.get(pk=int(record["id"].removeprefix("banner-")))
        slots = [s for s in banner.layout.text_slots if s.key in record["output"]]
        brief = brief_for(banner.campaign)
        assert record["messages"] == copywriter.copy_messages(brief, slots, voice_for(brief.tone, brief.platform))
        assert json.loads(record["response"]) == {s.key: banner.texts[s.key] for s in slots}
        assert record["generated"] == {s.key: banner.generated_texts.get(s.key, "") for s in slots}
        assert all(len(record["output"][s["key"]]) <= s["max_chars"] for s in record["slots"])
        assert record["split"] == split_of(record["id"])


def _design_records_are_seed_000_instruction_pairs(out):
    call_command("export_training_data", kind="design", out=str(out))
    records = _read(out)
    assert len(records) == 23
    for record in records:
        instruction, response = record["text"].split("\n\n### Response:\n")
        assert instruction.startswith("### Instruction:\nGenerate the JSON design of a ")
        assert json.loads(response) == record["output"] and record["output"]["elements"]


def test_export_with_nothing_approved_says_so(db, tmp_path, capsys):
    out = tmp_path / "none.jsonl"
    call_command("export_training_data", kind="copy", out=str(out))
    assert out.read_text() == "" and "no approved banners" in capsys.readouterr().out
    assert not User.objects.exists()
