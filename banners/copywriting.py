"""The copywriter and the safety gate as the app uses them: settings → LLM client, data files →
voice, approved banners → few-shot examples, refusals → logged feedback events."""

from __future__ import annotations

import json
import logging
from functools import lru_cache

import django_rq
from django.conf import settings

from banners.models import Banner, FeedbackEvent
from mlcore import copy as copywriter
from mlcore import llm, safety
from mlcore.layout import TextSlot
from mlcore.semaphore import RedisSemaphore
from mlcore.writer import hashtags as offer_hashtags
from mlcore.writer import load_phrasebook

log = logging.getLogger(__name__)
RULES_DIR = settings.BASE_DIR / "banners" / "copy_rules"


class UnsafeInput(Exception):
    """The safety gate refused a field; `field` names it, `reason` says why in plain words."""

    def __init__(self, field: str, verdict: safety.Verdict):
        super().__init__(f"{field}: refused by the safety check: {verdict.reason}")
        self.field = field
        self.verdict = verdict


@lru_cache(maxsize=8)
def _client_for(
    base_url: str,
    model: str,
    api_key: str,
    timeout: float,
    retries: int,
    backoff: float,
    concurrency: int,
    local_path: str,
    lora_path: str,
) -> llm.ChatClient | None:
    if base_url:
        return llm.OpenAICompatibleClient(
            llm.HTTPSettings(
                base_url=base_url,
                model=model,
                api_key=api_key,
                timeout=timeout,
                max_retries=retries,
                backoff=backoff,
                max_concurrency=concurrency,
            ),
            slots=llm_slots(base_url, concurrency),
        )
    if local_path:
        return llm.local_client(local_path, lora_path)
    return None


def llm_slots(base_url: str, limit: int) -> RedisSemaphore:
    """ADGENESIS_LLM_MAX_CONCURRENCY for every web and worker process together: a semaphore in Redis."""
    return RedisSemaphore(
        django_rq.get_connection("default"), f"adgenesis:llm-slots:{base_url}", limit, wait=settings.LLM_TIMEOUT * 4
    )


def llm_client() -> llm.ChatClient | None:
    """The configured LLM, created once per process; None means the template writer."""
    return _client_for(
        settings.LLM_BASE_URL,
        settings.LLM_MODEL,
        settings.LLM_API_KEY,
        settings.LLM_TIMEOUT,
        settings.LLM_MAX_RETRIES,
        settings.LLM_BACKOFF,
        settings.LLM_MAX_CONCURRENCY,
        settings.LLM_LOCAL_PATH,
        settings.LLM_LORA_PATH,
    )


@lru_cache(maxsize=32)
def voice_for(tone: str, platform: str) -> copywriter.Voice:
    tone_file = RULES_DIR / "tones" / f"{tone}.json"
    tone_data = json.loads(tone_file.read_text()) if tone_file.exists() else {}
    platform_data = json.loads((RULES_DIR / "platforms.json").read_text()).get(platform, {})
    return copywriter.Voice(
        tone_rules=tuple(tone_data.get("rules", ())),
        tone_examples=tuple(tone_data.get("examples", ())),
        platform_rules=tuple(platform_data.get("rules", ())),
        ctas=tuple(tone_data.get("ctas", ())) or ("Learn more",),
        ctas_ru=tuple(tone_data.get("ctas_ru", ())) or ("Подробнее",),
        phrasebook=load_phrasebook(str(RULES_DIR / "writer")),
    )


def copy_examples(*, tone: str, platform: str, keys: set[str], limit: int = 3) -> list[dict]:
    """Texts of recently approved banners in the same tone and platform, for few-shot prompts."""
    approved = (
        Banner.objects.filter(approval=Banner.Approval.APPROVED, campaign__tone=tone, campaign__platform=platform)
        .order_by("-updated_at")
        .values_list("texts", flat=True)[: limit * 3]
    )
    examples = []
    for texts in approved:
        example = {key: value for key, value in texts.items() if key in keys}
        if example and example not in examples:
            examples.append(example)
    return examples[:limit]


class UnsafeOutput(Exception):
    """A generated text or picture prompt was refused by the safety gate, also when written a second time."""

    def __init__(self, field: str, verdict: safety.Verdict):
        super().__init__(f"{field}: the generated text was refused by the safety check twice: {verdict.reason}")
        self.field = field
        self.verdict = verdict


def _safety_client() -> llm.ChatClient | None:
    """The LLM that gives the safety gate its second opinion, when configured and switched on."""
    return llm_client() if settings.SAFETY_LLM else None


def output_refused(fields: dict[str, str], *, from_template: bool = False) -> tuple[str, safety.Verdict] | None:
    """The first generated field the safety gate refuses, or None. An LLM's text meets the same gate as the
    input. The template writer's is made only of input the whole gate passed and of our phrasebook, so the
    rules screen it (profanity or an instruction put together from the pieces); the classifier, trained on
    sentences, scored some of its two-word calls to action high ("Come taste" 0.96)."""
    texts = {k: v for k, v in fields.items() if v}
    if not from_template:
        return safety.screen_many(texts, _safety_client())
    for key, text in texts.items():
        verdict = safety.screen_rules(text)
        if not verdict.allowed:
            return key, verdict
    return None


def screened(write, *, what: str, from_template=lambda result: False):
    """`write(attempt)` → (fields, result) for attempt 0; a refused field writes it once more (attempt 1);
    refused again, UnsafeOutput names the field. The result's notes say when a draft was written again."""
    fields, result = write(0)
    refused = output_refused(fields, from_template=from_template(result))
    if refused is None:
        return result, ""
    field, verdict = refused
    log.warning("safety gate refused generated %s.%s (%s): %s", what, field, verdict.category, fields[field][:200])
    fields, result = write(1)
    again = output_refused(fields, from_template=from_template(result))
    if again is not None:
        raise UnsafeOutput(f"{what}.{again[0]}", again[1])
    return (
        result,
        f"The first draft of {what}.{field} was refused by the safety check ({verdict.reason}); written again.",
    )


REWRITE_VARIANT = 7  # a second draft starts from another variant of the template writer


def safety_check(*, fields: dict[str, str], user=None, banner: Banner | None = None) -> None:
    """Raise UnsafeInput for the first refused field, after logging the refusal."""
    refused = safety.screen_many({k: v for k, v in fields.items() if v}, _safety_client())
    if refused is None:
        return
    field, verdict = refused
    _refusal_log(field=field, text=fields[field], verdict=verdict, user=user, banner=banner)
    raise UnsafeInput(field, verdict)


def safety_screen(*, fields: list[tuple[str, str]], user=None) -> list[safety.Verdict]:
    """Many texts at once, e.g. every row of a batch file (the model embeds them in one go); a verdict per
    (field, text), each refusal logged as `safety_check` logs it."""
    verdicts = safety.screen_batch([text for _, text in fields], _safety_client())
    for (field, text), verdict in zip(fields, verdicts, strict=True):
        if not verdict.allowed:
            _refusal_log(field=field, text=text, verdict=verdict, user=user, banner=None)
    return verdicts


def _refusal_log(*, field: str, text: str, verdict: safety.Verdict, user, banner: Banner | None) -> None:
    FeedbackEvent.objects.create(
        banner=banner,
        kind=FeedbackEvent.Kind.REFUSED,
        user=user if getattr(user, "pk", None) else None,
        payload={
            "field": field,
            "text": text[:1000],
            "category": verdict.category,
            "reason": verdict.reason,
            "match": verdict.match,
        },
    )
    log.warning("safety gate refused %s (%s): %s", field, verdict.category, verdict.reason)


def texts_write(
    *,
    brief: copywriter.CopyBrief,
    slots: list[TextSlot],
    variant: int = 1,
    mode: str | None = None,
    fallback: bool = True,
) -> copywriter.CopyResult:
    """Banner texts from the configured LLM; the template writer when none is configured, or when it
    is down and `fallback` allows (otherwise LLMUnavailable propagates). The texts pass the safety gate
    before they reach a banner: a refused draft is written once more, then UnsafeOutput."""

    def write(attempt: int):
        result = _texts_draft(
            brief=brief, slots=slots, variant=variant + attempt * REWRITE_VARIANT, mode=mode, fallback=fallback
        )
        return result.texts, result

    result, note = screened(write, what="texts", from_template=lambda result: result.writer == "template")
    if note:
        result.stats["rewritten"] = note
    return result


def _texts_draft(
    *, brief: copywriter.CopyBrief, slots: list[TextSlot], variant: int, mode: str | None, fallback: bool
) -> copywriter.CopyResult:
    voice = voice_for(brief.tone, brief.platform)
    client = llm_client()
    if client is None:
        return copywriter.write_template(brief=brief, slots=slots, voice=voice, variant=variant)
    examples = copy_examples(tone=brief.tone, platform=brief.platform, keys={s.key for s in slots})
    try:
        return copywriter.write_copy(
            client,
            brief=brief,
            slots=slots,
            voice=voice,
            examples=examples,
            mode=mode or settings.COPY_MODE,
            variant=variant,
        )
    except llm.LLMUnavailable as error:
        if not fallback:
            raise
        result = copywriter.write_template(brief=brief, slots=slots, voice=voice, variant=variant)
        result.stats["fallback_reason"] = str(error)
        result.stats["notice"] = f"The LLM did not answer ({error}), so the built-in writer wrote the text."
        log.warning("copywriter fell back to the template writer: %s", error)
        return result


def text_generate(
    *,
    prompt: str,
    platform: str,
    tone: str,
    max_length: int,
    industry: str = "",
    hashtags: bool | None = None,
    emoji: bool = False,
    user=None,
) -> copywriter.CopyResult:
    """One free text of at most `max_length` characters (seed-004 /generate-text), hashtags and emoji
    included; never the prompt itself. Hashtags default to on for instagram, x and linkedin."""
    safety_check(fields={"prompt": prompt}, user=user)
    if hashtags is None:
        hashtags = platform in HASHTAG_PLATFORMS
    brief = copywriter.CopyBrief(
        product="", description="", offer=prompt, tone=tone, platform=platform, industry=industry
    )
    extras = post_extras(brief=brief, hashtags=hashtags, emoji=emoji)
    room = max(10, max_length - len(extras))
    slot = TextSlot(key="text", purpose="body", max_chars=room, box=(0, 0, 1, 1), size=16, min_size=16)
    result = texts_write(brief=brief, slots=[slot], fallback=True)
    text = result.texts["text"]
    if extras and len(text) + len(extras) <= max_length:
        text += extras
    result.texts["text"] = text
    return result


HASHTAG_PLATFORMS = {"instagram", "x", "linkedin"}


def post_extras(*, brief: copywriter.CopyBrief, hashtags: bool, emoji: bool) -> str:
    """' 🎁 #coffee #cappuccino': an emoji for the kind of offer and hashtags from its words."""
    from mlcore.offer import parse_offer

    offer = parse_offer(brief.offer)
    book = load_phrasebook(str(RULES_DIR / "writer")).get(offer.lang, {})
    parts = []
    if emoji:
        parts.append(book.get("emoji", {}).get(offer.kind) or book.get("emoji", {}).get("default", ""))
    if hashtags:
        parts.extend(offer_hashtags(offer.text, industry=brief.industry, limit=book.get("hashtag_max", 3)))
    parts = [p for p in parts if p]
    return (" " + " ".join(parts)) if parts else ""
