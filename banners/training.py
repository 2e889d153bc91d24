"""Training data from approved banners (issue 16): copy pairs and seed 000's design pairs.

A copy record holds what the app asks the LLM for that banner (`messages`, built by the same code
as at serving time) and what it should have answered (`response`: the designer-approved texts as
JSON), with the brief, the slots' limits, the first generated texts and a `split`. The split is
fixed by the banner's id (about one in five is `eval`), so the trainer and `eval_copy_model` never
share a banner, whatever order the export comes in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from banners.copywriting import voice_for
from banners.models import Banner
from banners.pipeline import brief_for
from mlcore import copy as copywriter
from mlcore.textcheck import language

KINDS = ("copy", "design")
EVAL_SHARE = 5  # one banner in five is held out for evaluation
DESIGN_INSTRUCTION = "Generate the JSON design of a {width}×{height} {platform} banner for this ad."


def split_of(key: str) -> str:
    return "eval" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % EVAL_SHARE == 0 else "train"


def approved_banners():
    return (
        Banner.objects.filter(approval=Banner.Approval.APPROVED)
        .exclude(texts={})
        .select_related("campaign__product__brand_kit", "format")
        .order_by("created_at", "pk")
    )


def copy_record(banner: Banner) -> dict | None:
    """The instruction pair of one banner, or None when it has no AI-written field."""
    campaign = banner.campaign
    brief = brief_for(campaign)
    slots = [s for s in banner.layout.text_slots if s.ai_filled and banner.texts.get(s.key, "").strip()]
    if not slots:
        return None
    final = {s.key: banner.texts[s.key] for s in slots}
    return {
        "kind": "copy",
        "id": f"banner-{banner.pk}",
        "split": split_of(f"banner-{banner.pk}"),
        "lang": language(campaign.offer),
        "input": {
            "product": brief.product,
            "description": brief.description,
            "offer": brief.offer,
            "format": banner.format.slug,
            "tone": brief.tone,
            "platform": brief.platform,
        },
        "slots": [{"key": s.key, "purpose": s.purpose, "max_chars": s.max_chars} for s in slots],
        "generated": {s.key: banner.generated_texts.get(s.key, "") for s in slots},
        "output": final,
        "messages": copywriter.copy_messages(brief, slots, voice_for(brief.tone, brief.platform)),
        "response": json.dumps(final, ensure_ascii=False),
    }


def design_record(banner: Banner) -> dict | None:
    """Seed 000's "### Instruction / ### Response" pair: the ad → the banner's design spec."""
    if not banner.spec:
        return None
    campaign = banner.campaign
    instruction = DESIGN_INSTRUCTION.format(
        width=banner.format.width, height=banner.format.height, platform=campaign.platform
    )
    ad = f"Product: {campaign.product.name}\nOffer: {campaign.offer}\nTone: {campaign.tone}"
    response = json.dumps(banner.spec, ensure_ascii=False)
    return {
        "kind": "design",
        "id": f"banner-{banner.pk}",
        "split": split_of(f"banner-{banner.pk}"),
        "lang": language(campaign.offer),
        "instruction": instruction,
        "input": ad,
        "output": banner.spec,
        "text": f"### Instruction:\n{instruction}\n{ad}\n\n### Response:\n{response}",
        "messages": [{"role": "user", "content": f"{instruction}\n{ad}"}],
        "response": response,
    }


def training_records(*, kind: str) -> Iterator[dict]:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    make = copy_record if kind == "copy" else design_record
    for banner in approved_banners():
        record = make(banner)
        if record:
            yield record
