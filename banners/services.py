"""Writes of the banners app: formats, campaigns, generation tasks and their banners."""

from __future__ import annotations

import logging
import time
import uuid
import zlib
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from banners import ai, copywriting, events, imaging, pipeline, queues, webhooks
from banners.models import Banner, Campaign, FeedbackEvent, Format, GenerationTask, ImageMode
from banners.rendering import banner_rerender, brand_palette, layout_choose, quality_of
from catalog.models import Product
from mlcore.copy import truncate_words
from mlcore.layout import LayoutError, parse_layout

log = logging.getLogger(__name__)

FORMAT_FIELDS = ("slug", "name", "platform", "width", "height", "background", "text_slots", "image_slots")


# -- formats ------------------------------------------------------------------------------------


def format_import(*, data: dict) -> Format:
    """Create or update a format from preset JSON; ValidationError names the bad field."""
    if not isinstance(data, dict):
        raise ValidationError("A format must be a JSON object.")
    for key in ("slug", "name", "platform"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ValidationError({key: f"{key}: is required"})
    try:
        parse_layout(data)
    except LayoutError as error:
        raise ValidationError({error.path: f"{error.path}: {error.message}"}) from None
    fmt = Format.objects.filter(slug=data["slug"]).first() or Format(slug=data["slug"])
    for key in FORMAT_FIELDS[1:]:
        setattr(fmt, key, data.get(key, [] if key == "image_slots" else None))
    fmt.full_clean()
    fmt.save()
    return fmt


def format_export(*, fmt: Format) -> dict:
    return {key: getattr(fmt, key) for key in FORMAT_FIELDS}


# -- campaigns and tasks ------------------------------------------------------------------------


def campaign_create(
    *, owner, product: Product, offer: str, tone: str, platform: str, name: str = "", screened: bool = False
) -> Campaign:
    """A new campaign; the offer passes the safety gate first (UnsafeInput names the field), unless the
    caller has `screened` it already (a batch screens all its rows at once)."""
    offer = offer.strip()
    if len(offer) > settings.MAX_OFFER_CHARS:
        raise ValidationError({"offer": f"offer: at most {settings.MAX_OFFER_CHARS} characters"})
    if not screened:
        copywriting.safety_check(fields={"offer": offer}, user=owner)
    campaign = Campaign(owner=owner, product=product, offer=offer, tone=tone, platform=platform, name=name.strip())
    campaign.full_clean()
    campaign.save()
    return campaign


def generation_start(
    *,
    campaign: Campaign,
    formats: Sequence[Format],
    user,
    image_mode: str = ImageMode.BANK,
    image_descriptions: dict[str, str] | None = None,
    variants: int = 1,
    layout: str = "",
    screened: bool = False,
) -> GenerationTask:
    """Create the task row and enqueue its job; returns at once. Picture descriptions are screened (unless
    the caller has `screened` them)."""
    if image_mode == ImageMode.AI:
        reason = imaging.ai_unavailable_reason()
        if reason:
            raise ValidationError({"image_mode": f"image_mode: {reason}"})
    if not screened:
        copywriting.safety_check(
            fields={f"image_descriptions.{k}": v for k, v in (image_descriptions or {}).items()}, user=user
        )
    task = GenerationTask(
        campaign=campaign,
        image_mode=image_mode,
        image_descriptions=image_descriptions or {},
        variants=variants,
        layout=layout,
        created_by=user,
        progress={"step": "queued", "percent": 0},
    )
    task.job_id = queues.job_id_for(task_id=task.pk)
    task.full_clean()
    with transaction.atomic():
        task.save()
        task.formats.set(formats)
        queues.enqueue_task(task_id=task.pk)  # django-rq enqueues when the transaction commits
    return task


def _progress(task: GenerationTask, step: str, done: int, total: int) -> None:
    task.progress = {"step": step, "percent": int(100 * done / max(total, 1))}
    task.save(update_fields=["progress"])


def _banner_seed(task: GenerationTask, fmt: Format, variant: int) -> int:
    return zlib.crc32(f"{task.pk}:{fmt.slug}:{variant}".encode())


def _banner_make(*, task: GenerationTask, fmt: Format, variant: int, step) -> tuple[Banner, dict[str, float]]:
    campaign = task.campaign
    logo = pipeline.brand_logo(campaign.product)
    layout = layout_choose(
        fmt=fmt,
        offer=campaign.offer,
        variant=variant,
        requested=task.layout,
        logo=logo is not None,
        kit=campaign.product.brand_kit,
    )
    seed = _banner_seed(task, fmt, variant)
    timings: dict[str, float] = {}

    started = time.perf_counter()
    step("texts")
    copy = pipeline.stage_texts(campaign=campaign, layout=layout, variant=variant)
    timings["texts"] = time.perf_counter() - started

    started = time.perf_counter()
    step("picture")
    descriptions = task.image_descriptions or {}
    first_slot = layout.image_slots[0].key if layout.image_slots else ""
    description = descriptions.get(first_slot) or next(iter(descriptions.values()), "")
    picture, picture_info = pipeline.stage_picture(campaign=campaign, seed=seed, description=description)
    more, more_info = pipeline.stage_more_pictures(
        campaign=campaign, layout=layout, seed=seed, descriptions=descriptions, first=picture
    )
    timings["picture"] = time.perf_counter() - started

    started = time.perf_counter()
    step("render")
    result, texts, image = pipeline.stage_render(
        campaign=campaign,
        layout=layout,
        texts=copy.texts,
        picture=picture,
        more_pictures=more,
        palette=brand_palette(campaign),
        logo=logo,
    )
    banner = Banner(
        task=task,
        campaign=campaign,
        format=fmt,
        variant=variant,
        texts=texts,
        generated_texts=texts,
        spec=result.spec,
        seed=seed,
        image_source=ImageMode.BANK,
        bank_image=picture.bank_image if picture else None,
        quality=quality_of(result.report, copy.stats),
        copy_stats={**copy.stats, "writer": copy.writer},
        # "regenerate picture" searches again with the description; `skipped` says why there is no picture
        picture_info={
            "description": description,
            "seed": seed,
            **picture_info,
            **({"slots": more_info} if more_info else {}),
        },
    )
    banner.save()
    pipeline.banner_files_save(banner=banner, image=image)
    banner.save(update_fields=["png", "jpg"])
    timings["render"] = time.perf_counter() - started
    return banner, timings


def task_run(*, task_id: uuid.UUID | str) -> GenerationTask:
    """Run every banner of a task (formats × variants); a PipelineError fails the task with its reason."""
    task = GenerationTask.objects.select_related("campaign__product__brand_kit").get(pk=task_id)
    if task.is_finished:
        return task
    task.status = GenerationTask.Status.PROCESSING
    task.started_at = task.started_at or timezone.now()
    task.attempts += 1
    task.error = ""
    task.save(update_fields=["status", "started_at", "attempts", "error"])
    task.banners.all().delete()  # a retried task starts over
    work = [(fmt, variant) for fmt in task.formats.order_by("pk") for variant in range(1, task.variants + 1)]
    totals: dict[str, float] = {}
    try:
        _progress(task, "safety", 0, len(work))
        pipeline.stage_safety(campaign=task.campaign, image_descriptions=task.image_descriptions, user=task.created_by)
        if task.image_mode == ImageMode.AI:
            return _ai_start(task, work)
        for index, (fmt, variant) in enumerate(work):

            def step(name: str, index: int = index) -> None:
                _progress(task, name, index, len(work))

            _, timings = _banner_make(task=task, fmt=fmt, variant=variant, step=step)
            for key, value in timings.items():
                totals[key] = round(totals.get(key, 0.0) + value, 4)
    except pipeline.PipelineError as error:
        refused = isinstance(error, pipeline.SafetyRefused)
        return task_fail(task_id=task.pk, reason=str(error), failure="refused" if refused else "technical")
    task.status = GenerationTask.Status.COMPLETED
    task.finished_at = timezone.now()
    task.progress = {"step": "done", "percent": 100}
    task.timings = {**totals, "total": round((task.finished_at - task.started_at).total_seconds(), 3)}
    task.save(update_fields=["status", "finished_at", "progress", "timings"])
    events.task_ended(task=task)
    return task


def _ai_start(task: GenerationTask, work: list) -> GenerationTask:
    """AI mode: texts now, then the picture, cut-out and render jobs on their own queues."""
    reason = imaging.ai_unavailable_reason()
    if reason:
        return task_fail(task_id=task.pk, reason=reason)
    ai.task_texts(task=task, work=work)
    queues.enqueue_pictures(task_id=task.pk, variants=task.variants)
    return task


def task_fail(*, task_id: uuid.UUID | str, reason: str, failure: str = "technical") -> GenerationTask:
    """The task ends with the reason the marketer reads; `failure` says whether the safety gate refused
    it or something broke (the pilot's success rate counts only what broke)."""
    task = GenerationTask.objects.get(pk=task_id)
    task.status = GenerationTask.Status.FAILED
    task.failure = failure
    task.error = reason[:2000]
    task.finished_at = timezone.now()
    task.progress = {**task.progress, "step": "failed"}
    task.save(update_fields=["status", "failure", "error", "finished_at", "progress"])
    log.warning("generation task %s failed: %s", task_id, reason)
    events.task_ended(task=task)
    return task


def task_retry(*, task_id: uuid.UUID | str, reason: str) -> GenerationTask:
    """Put a task back to pending after its worker died; the job is enqueued again by RQ."""
    task = GenerationTask.objects.get(pk=task_id)
    task.status = GenerationTask.Status.PENDING
    task.error = f"retrying: {reason}"
    task.progress = {"step": "queued", "percent": 0}
    task.save(update_fields=["status", "error", "progress"])
    return task


def banner_decide(*, banner: Banner, approval: str, user, reason: str = "") -> Banner:
    """A designer approves or rejects a banner (a rejection says why, for the marketer); logged as feedback."""
    if not user.has_perm("banners.approve_banner"):
        raise PermissionDenied("Only designers can approve or reject banners.")
    reason = " ".join(reason.split())
    if approval == Banner.Approval.REJECTED and not reason:
        raise ValidationError({"reason": "reason: say why the banner is rejected, the marketer reads it"})
    banner.approval = approval
    banner.rejection_reason = reason if approval == Banner.Approval.REJECTED else ""
    banner.decided_by, banner.decided_at = user, timezone.now()
    banner.save(update_fields=["approval", "rejection_reason", "decided_by", "decided_at", "updated_at"])
    kind = FeedbackEvent.Kind.APPROVE if approval == Banner.Approval.APPROVED else FeedbackEvent.Kind.REJECT
    FeedbackEvent.objects.create(banner=banner, kind=kind, user=user, payload={"reason": reason} if reason else {})
    webhooks.banner_event(banner=banner)
    return banner


def banner_download_check(*, banner: Banner, user) -> None:
    """PermissionDenied with the reason when the brand's approval gate holds the banner back; designers
    may always download."""
    refusal = banner.download_refusal_for(user)
    if refusal:
        raise PermissionDenied(refusal)


# -- editing, resizing and free-standing specs -------------------------------------------------


def _texts_check(*, layout, texts: dict) -> dict[str, str]:
    if not isinstance(texts, dict) or not texts:
        raise ValidationError({"texts": "texts: give an object {slot: text}"})
    slots = {slot.key: slot for slot in layout.text_slots}
    cleaned = {}
    for key, value in texts.items():
        if key not in slots:
            raise ValidationError({f"texts.{key}": f"texts.{key}: this format has no such text slot"})
        if not isinstance(value, str):
            raise ValidationError({f"texts.{key}": f"texts.{key}: must be text"})
        value = " ".join(value.split())
        if len(value) > slots[key].max_chars:
            raise ValidationError(
                {f"texts.{key}": f"texts.{key}: {len(value)} characters, the limit is {slots[key].max_chars}"}
            )
        cleaned[key] = value
    return cleaned


def edit_distance(generated: dict[str, str], final: dict[str, str]) -> int:
    """Levenshtein distance between generated and final texts over all fields together."""
    from rapidfuzz.distance import Levenshtein

    keys = sorted(set(generated) | set(final))
    return Levenshtein.distance(
        "\n".join(generated.get(k, "") for k in keys), "\n".join(final.get(k, "") for k in keys)
    )


def banner_texts_edit(*, banner: Banner, texts: dict, user) -> Banner:
    """A marketer's text edit: checked, screened, re-rendered at once, logged with its edit distance."""
    layout = banner.layout
    edited = {**banner.texts, **_texts_check(layout=layout, texts=texts)}
    copywriting.safety_check(fields={f"texts.{k}": v for k, v in edited.items()}, user=user, banner=banner)
    layout_slots = {s.key for s in layout.text_slots}
    if not any(edited.get(key, "").strip() for key in layout_slots):
        raise ValidationError({"texts": "texts: a banner needs at least one text"})
    banner_rerender(banner=banner, texts=edited, shorten=False)
    banner.edit_distance = edit_distance(banner.generated_texts, banner.texts)
    banner.save()
    FeedbackEvent.objects.create(
        banner=banner,
        kind=FeedbackEvent.Kind.EDIT,
        user=user,
        payload={"texts": banner.texts, "edit_distance": banner.edit_distance},
    )
    return banner


def banner_resize(*, banner: Banner, fmt: Format, user) -> Banner:
    """The same offer, texts and picture re-composed for another format ("one offer → every format"), in
    the same layout variant when the format has it."""
    logo = pipeline.has_logo(banner.campaign.product)
    layout = layout_choose(
        fmt=fmt,
        offer=banner.campaign.offer,
        variant=banner.variant,
        requested=banner.spec.get("layout", ""),
        logo=logo,
        kit=banner.campaign.product.brand_kit,
    )
    slots = {slot.key: slot for slot in layout.text_slots}
    texts = {}
    for slot in layout.text_slots:
        same = banner.texts.get(slot.key) or next(
            (
                banner.texts[k]
                for k, s in banner.layout.text_slots_by_key().items()
                if s.purpose == slot.purpose and banner.texts.get(k)
            ),
            "",
        )
        texts[slot.key] = truncate_words(same, slots[slot.key].max_chars) if slot.ai_filled else slot.default_text
    resized = Banner(
        task=banner.task,
        campaign=banner.campaign,
        format=fmt,
        variant=banner.variant,
        seed=banner.seed,
        image_source=banner.image_source,
        bank_image=banner.bank_image,
        copy_stats={**banner.copy_stats, "resized_from": banner.pk},
    )
    pictures = [e for e in banner.spec.get("elements", []) if e["type"] == "image" and e.get("role") != "logo"]
    resized.spec = {"elements": pictures, "layout": layout.variant}
    resized.save()
    banner_rerender(banner=resized, texts=texts, shorten=True)
    resized.generated_texts = resized.texts
    resized.save()
    return resized


def design_create(
    *, prompt: str, platform: str, fmt: Format, user, seed: int = 0, product=None, tone: str = "professional"
) -> dict:
    """Seed-000 /design: texts from the prompt (and the product, when given), a bank picture, a composed
    spec. Nothing is saved and no pixels are drawn: /render draws the spec."""
    from mlcore.copy import CopyBrief

    copywriting.safety_check(fields={"prompt": prompt}, user=user)
    logo = pipeline.brand_logo(product) if product else None
    layout = layout_choose(
        fmt=fmt,
        offer=prompt,
        variant=1,
        logo=logo is not None,
        kit=product.brand_kit if product else None,
    )
    brief = CopyBrief(
        product=product.name if product else "",
        description=product.description if product else "",
        offer=prompt,
        tone=tone,
        platform=platform,
        industry=product.industry if product else "",
    )
    copy = copywriting.texts_write(brief=brief, slots=list(layout.text_slots))
    request = copy.stats.get("request") or {}
    query = pipeline.search_query(
        product=product.name if product else "",
        description=product.description if product else "",
        offer=request.get("offer") or prompt,
        industry=product.industry if product else "",
    )
    picture, _ = pipeline.picture_choose(query=query, seed=seed)
    pictures = {layout.image_slots[0].key: (picture.src, picture.image)} if picture and layout.image_slots else {}
    palette = request.get("colors") or (product.brand_kit.theme()[1] if product and product.brand_kit else [])
    result, _ = pipeline.fit_texts(
        layout=layout,
        texts=copy.texts,
        pictures=pictures,
        palette=palette,
        shorten=lambda slots: copywriting.texts_write(brief=brief, slots=slots).texts,
        logo=logo,
    )
    return result.spec


def spec_render(*, spec: dict, fmt: str = "png", quality: int = 90) -> bytes:
    """Any valid spec → PNG/JPG bytes; SpecError or PipelineError name the bad field."""
    from mlcore.render import encode, render
    from mlcore.spec import validate_spec

    validate_spec(spec)
    return encode(render(spec, pipeline.spec_images(spec)), fmt, quality)


def feedback_record(*, banner: Banner, kind: str, user, payload: dict | None = None) -> FeedbackEvent:
    if kind not in FeedbackEvent.Kind.values:
        raise ValidationError({"kind": f"kind: one of {', '.join(FeedbackEvent.Kind.values)}"})
    if kind == FeedbackEvent.Kind.BUG_REPORT:
        # A bug report carries everything needed to reproduce the banner.
        payload = {
            **(payload or {}),
            "offer": banner.campaign.offer,
            "seed": banner.seed,
            "texts": banner.texts,
            "spec": banner.spec,
            "picture_info": banner.picture_info,
            "format": banner.format.slug,
        }
    return FeedbackEvent.objects.create(banner=banner, kind=kind, user=user, payload=payload or {})


def banner_regenerate(*, banner_id: int, part: str, user_id: int | None = None) -> Banner:
    """New texts (another variant) or a new bank picture (another seed) for one banner; on a worker."""
    banner = Banner.objects.select_related("campaign__product__brand_kit", "format").get(pk=banner_id)
    layout = banner.layout
    if part == "text":
        variant = banner.copy_stats.get("regenerations", 0) + banner.variant + 1
        copy = pipeline.stage_texts(campaign=banner.campaign, layout=layout, variant=variant)
        banner.copy_stats = {
            **copy.stats,
            "writer": copy.writer,
            "regenerations": banner.copy_stats.get("regenerations", 0) + 1,
        }
        banner_rerender(banner=banner, texts=copy.texts, shorten=True)
        banner.generated_texts = banner.texts
        banner.edit_distance = 0
    else:
        banner.seed = zlib.crc32(f"{banner.pk}:{banner.seed}:picture".encode())
        picture, picture_info = pipeline.stage_picture(
            campaign=banner.campaign, seed=banner.seed, description=banner.picture_info.get("description", "")
        )
        descriptions = {key: info.get("description", "") for key, info in banner.picture_info.get("slots", {}).items()}
        more, more_info = pipeline.stage_more_pictures(
            campaign=banner.campaign, layout=layout, seed=banner.seed, descriptions=descriptions, first=picture
        )
        kept = {key: value for key, value in banner.picture_info.items() if key not in ("skipped", "slots")}
        banner.picture_info = {
            **kept,
            "seed": banner.seed,
            **picture_info,
            **({"slots": more_info} if more_info else {}),
        }
        result, texts, image = pipeline.stage_render(
            campaign=banner.campaign,
            layout=layout,
            texts=banner.texts,
            picture=picture,
            more_pictures=more,
            palette=brand_palette(banner.campaign),
            logo=pipeline.brand_logo(banner.campaign.product),
        )
        banner.texts, banner.spec = texts, result.spec
        banner.quality = quality_of(result.report, banner.copy_stats)
        banner.bank_image = picture.bank_image if picture else None
        pipeline.banner_files_save(banner=banner, image=image)
    banner.save()
    return banner


def banner_regenerate_start(*, banner: Banner, part: str, user) -> None:
    """Log the re-roll and queue it; the page and the API poll the banner for the new version."""
    if part not in ("text", "image"):
        raise ValidationError({"part": "part: text or image"})
    kind = FeedbackEvent.Kind.REGENERATE_TEXT if part == "text" else FeedbackEvent.Kind.REGENERATE_IMAGE
    FeedbackEvent.objects.create(
        banner=banner, kind=kind, user=user, payload={"previous_texts": banner.texts, "previous_seed": banner.seed}
    )
    if part == "image" and banner.image_source == ImageMode.AI:
        queues.enqueue_redraw(banner_id=banner.pk)  # a new AI picture: GPU → cut-out → render
    else:
        queues.enqueue_regenerate(banner_id=banner.pk, part=part, user_id=user.pk)
