"""Captions and product hypotheses for a bank picture from a VLM behind an OpenAI-compatible API."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from PIL import Image

from mlcore.llm import ChatClient, LLMUnavailable, extract_json

PROMPT = (
    "You describe pictures of an advertising image bank. Answer with JSON only: "
    '{"caption": "2 to 4 sentences describing what the picture shows: objects, colours, style", '
    '"hypotheses": ["three different products or services this picture could advertise, one sentence each"]}'
)


@dataclass
class PictureTexts:
    caption: str
    hypotheses: list[str]


def data_url(image: Image.Image, max_side: int = 768) -> str:
    """The picture as a base64 PNG data URL, on white, at most `max_side` pixels."""
    picture = image.convert("RGBA")
    picture.thumbnail((max_side, max_side))
    canvas = Image.new("RGB", picture.size, "white")
    canvas.paste(picture, mask=picture.getchannel("A"))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def describe_picture(client: ChatClient, image: Image.Image) -> PictureTexts:
    """Raises LLMUnavailable when the VLM is down or answers something unusable."""
    messages = [
        {"role": "system", "content": PROMPT},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Describe this picture."},
                {"type": "image_url", "image_url": {"url": data_url(image)}},
            ],
        },
    ]
    reply = client.chat(messages, json_schema={"type": "object"}, max_tokens=400, temperature=0.2)
    try:
        answer = extract_json(reply.text)
        caption = " ".join(str(answer["caption"]).split())
        hypotheses = [" ".join(str(h).split()) for h in answer["hypotheses"] if str(h).strip()][:3]
    except (ValueError, KeyError, TypeError):
        raise LLMUnavailable("the VLM did not answer with a caption and hypotheses") from None
    if not caption or len(hypotheses) < 3:
        raise LLMUnavailable("the VLM answered without a caption or without three hypotheses")
    return PictureTexts(caption=caption, hypotheses=hypotheses)
