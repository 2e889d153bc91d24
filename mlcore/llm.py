"""Chat LLM backends behind one interface: an OpenAI-compatible HTTP server, or a local
transformers model with an optional PEFT LoRA adapter.

`ChatClient.chat(messages, json_schema=...)` returns a `ChatReply`. Both backends raise
`LLMUnavailable` (after bounded retries for HTTP) when no answer can be had.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

import httpx

from mlcore.semaphore import LocalSemaphore, SlotTimeout

log = logging.getLogger(__name__)

Message = dict[str, str]
RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}


class LLMUnavailable(RuntimeError):
    """The LLM could not answer (down, timing out, or refusing), after the bounded retries."""


@dataclass
class ChatReply:
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ChatClient(Protocol):
    name: str

    def chat(
        self,
        messages: list[Message],
        *,
        json_schema: dict | None = None,
        max_tokens: int = 512,
        temperature: float = 0.7,
    ) -> ChatReply: ...


# -- tolerant JSON ------------------------------------------------------------------------------

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_json(text: str) -> Any:
    """The first JSON object in a reply: bare, in a code fence, or with prose around it."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        candidate = candidate.strip()
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            pass
        start = candidate.find("{")
        while start != -1:
            try:
                value, _ = json.JSONDecoder().raw_decode(candidate[start:])
                return value
            except json.JSONDecodeError:
                start = candidate.find("{", start + 1)
    raise ValueError("the reply holds no JSON object")


# -- OpenAI-compatible HTTP ---------------------------------------------------------------------


@dataclass
class HTTPSettings:
    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 60.0
    connect_timeout: float = 5.0
    max_retries: int = 3
    backoff: float = 0.5
    max_concurrency: int = 4


class OpenAICompatibleClient:
    """POSTs to `{base_url}/chat/completions`; retries 429/5xx/connection errors with backoff."""

    name = "openai-compatible"

    def __init__(self, settings: HTTPSettings, transport: httpx.BaseTransport | None = None, slots=None):
        """`slots`: a semaphore shared by every process (mlcore.semaphore.RedisSemaphore) so that
        max_concurrency holds for all workers together; by default it holds within this process."""
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        self.http = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            transport=transport,
        )
        self.slots = slots or LocalSemaphore(settings.max_concurrency)
        self.json_mode = True  # switched off for good when the server refuses response_format

    def _payload(self, messages, json_schema, max_tokens, temperature) -> dict:
        payload = {
            "model": self.settings.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
        }
        if json_schema is not None and self.json_mode:
            payload["response_format"] = {"type": "json_object"}
        return payload

    def _post(self, payload: dict) -> httpx.Response:
        delay = self.settings.backoff
        last_error = "no attempt made"
        for attempt in range(self.settings.max_retries + 1):
            try:
                with self.slots():
                    response = self.http.post("chat/completions", json=payload)
            except (httpx.TransportError, httpx.TimeoutException, SlotTimeout) as error:
                last_error = f"{error.__class__.__name__}: {error}"
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                last_error = f"HTTP {response.status_code}"
                retry_after = response.headers.get("retry-after", "")
                if retry_after.replace(".", "", 1).isdigit():
                    delay = max(delay, min(float(retry_after), 30.0))
            if attempt < self.settings.max_retries:
                time.sleep(delay * (1 + random.random() * 0.25))
                delay *= 2
        raise LLMUnavailable(f"the LLM at {self.settings.base_url} did not answer ({last_error})")

    def chat(self, messages, *, json_schema=None, max_tokens=512, temperature=0.7) -> ChatReply:
        started = time.perf_counter()
        response = self._post(self._payload(messages, json_schema, max_tokens, temperature))
        if response.status_code == 400 and "response_format" in response.text and self.json_mode:
            self.json_mode = False
            response = self._post(self._payload(messages, json_schema, max_tokens, temperature))
        if response.status_code >= 400:
            raise LLMUnavailable(f"the LLM refused the request (HTTP {response.status_code}: {response.text[:200]})")
        try:
            body = response.json()
            text = body["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMUnavailable("the LLM answered something that is not a chat completion") from None
        usage = body.get("usage") or {}
        return ChatReply(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            seconds=time.perf_counter() - started,
        )


# -- local transformers -------------------------------------------------------------------------


class LocalTransformersClient:
    """A causal LM from a local folder, with an optional PEFT LoRA adapter; loaded once."""

    name = "local-transformers"

    def __init__(self, model_path: str, lora_path: str = "", device: str | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        self.tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(model_path, local_files_only=True, dtype=dtype)
        if lora_path:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, lora_path, local_files_only=True)
        self.model = model.to(self.device).eval()
        self.lock = threading.Lock()

    def chat(self, messages, *, json_schema=None, max_tokens=512, temperature=0.7) -> ChatReply:
        import torch

        started = time.perf_counter()
        inputs = self.tokenizer(chat_prompt(self.tokenizer, messages), return_tensors="pt").to(self.device)
        options = {
            "max_new_tokens": max_tokens,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if temperature > 0:
            options.update(do_sample=True, temperature=temperature)
        else:
            options.update(do_sample=False)
        with self.lock, torch.inference_mode():
            output = self.model.generate(**inputs, **options)
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        text = self.tokenizer.decode(new_tokens, skip_special_tokens=True)
        return ChatReply(
            text=text,
            prompt_tokens=int(inputs["input_ids"].shape[1]),
            completion_tokens=int(new_tokens.shape[0]),
            seconds=time.perf_counter() - started,
        )


def chat_prompt(tokenizer, messages: list[Message]) -> str:
    """The prompt a local model reads: its chat template, or plain role lines for a model without one.
    The copy trainer builds its examples with this too, so an adapter learns the prompt it is served."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    lines = [f"{m['role'].upper()}: {m['content']}" for m in messages]
    return "\n\n".join([*lines, "ASSISTANT:"])


@lru_cache(maxsize=4)
def local_client(model_path: str, lora_path: str = "") -> LocalTransformersClient:
    """One model per worker process, whatever the number of jobs."""
    started = time.perf_counter()
    client = LocalTransformersClient(model_path, lora_path)
    log.info("local LLM loaded from %s on %s in %.1f s", model_path, client.device, time.perf_counter() - started)
    return client
