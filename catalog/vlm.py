"""The configured VLM for bank captions (an OpenAI-compatible server), or None."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from mlcore import llm


@lru_cache(maxsize=4)
def _client(base_url: str, model: str, api_key: str, timeout: float) -> llm.OpenAICompatibleClient:
    return llm.OpenAICompatibleClient(
        llm.HTTPSettings(base_url=base_url, model=model, api_key=api_key, timeout=timeout)
    )


def vlm_client() -> llm.OpenAICompatibleClient | None:
    if not settings.VLM_BASE_URL:
        return None
    return _client(settings.VLM_BASE_URL, settings.VLM_MODEL, settings.VLM_API_KEY, settings.LLM_TIMEOUT)
