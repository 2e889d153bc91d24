"""Prompts for AI pictures (seed 003, step 5): a description when the marketer gave none, rewritten
to look like the captions the style LoRA was trained on, in English, with the trigger words first
and a white background requested. Without an LLM a deterministic template does the same job.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlcore.copy import is_cyrillic
from mlcore.llm import ChatClient, LLMUnavailable, extract_json

WHITE_BACKGROUND = "isolated on a plain white background"
# What no banner picture wants. People and hands are not in it: a marketer who describes a barista or a
# family at the table gets them (the style adapter's captions decide the look).
NEGATIVE = "text, letters, watermark, logo, blurry, low quality, deformed, cluttered background"


def describe_with_llm(client: ChatClient, *, product: str, description: str, offer: str) -> str:
    messages = [
        {
            "role": "system",
            "content": (
                "You are an art director. Propose what the picture of an advertising banner should show (the "
                "product, a scene or people using it), as a one-sentence English picture description with "
                'materials and colours; no text, no logos. Answer with JSON only: {"description": "..."}'
            ),
        },
        {"role": "user", "content": f"Product: {product}\nAbout: {description}\nOffer: {offer}"},
    ]
    reply = client.chat(messages, json_schema={"type": "object"}, max_tokens=120, temperature=0.7)
    return str(extract_json(reply.text)["description"]).strip()


def restyle_with_llm(client: ChatClient, *, description: str, captions: Sequence[str]) -> str:
    examples = "\n".join(f"- {c}" for c in list(captions)[:6]) or "- a glossy 3D render of a red apple"
    messages = [
        {
            "role": "system",
            "content": (
                "Rewrite a picture description so that it reads like the captions below (same length, vocabulary "
                "and style), in English, keeping everything it shows (objects, people, scene). Answer with JSON "
                "only: "
                '{"caption": "..."}\nCaptions:\n' + examples
            ),
        },
        {"role": "user", "content": description},
    ]
    reply = client.chat(messages, json_schema={"type": "object"}, max_tokens=120, temperature=0.3)
    return str(extract_json(reply.text)["caption"]).strip()


def template_description(*, product: str, offer: str) -> str:
    return f"a glossy 3D render of an object that stands for {product}"


def picture_prompt(
    client: ChatClient | None,
    *,
    product: str,
    description: str,
    offer: str,
    picture_description: str = "",
    captions: Sequence[str] = (),
    trigger_words: str = "",
) -> tuple[str, str]:
    """(prompt, how it was written). An LLM that fails falls back to the template, never blocks."""
    text, how = picture_description.strip(), "marketer"
    if client is not None:
        try:
            if not text:
                text, how = describe_with_llm(client, product=product, description=description, offer=offer), "llm"
            text = restyle_with_llm(client, description=text, captions=captions)
            how += "+restyled"
        except (LLMUnavailable, ValueError, KeyError, TypeError):
            how += "+template"
    if not text:
        text, how = template_description(product=product, offer=offer), "template"
    elif client is None and is_cyrillic(text):
        how += " (not translated: no LLM configured)"
    prompt = ", ".join(part for part in (trigger_words.strip(), text.rstrip("."), WHITE_BACKGROUND) if part)
    return prompt, how
