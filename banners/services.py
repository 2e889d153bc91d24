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

from banners import copywriting, pipeline
from banners.models import Banner, Campaign, FeedbackEvent, Format, GenerationTask, ImageMode
from catalog.models import Product
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


def campaign_create(*, owner, product: Product, offer: str, tone: str, platform: str, name: str = "") -> Campaign:
    """A new campaign; the offer passes the safety gate first (UnsafeInput names the field)."""
    offer = offer.strip()
    if len(offer) > settings.MAX_OFFER_CHARS:
        raise ValidationError({"offer": f"offer: at most {settings.MAX_OFFER_CHARS} characters"})
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
) -> GenerationTask:
    """Create the task row and enqueue its job; returns at once. Picture descriptions are screened."""
    from banners import jobs

    copywriting.safety_check(
        fields={f"image_descriptions.{k}": v for k, v in (image_descriptions or {}).items()}, user=user
    )
    task = GenerationTask(
        campaign=campaign,
        image_mode=image_mode,
        image_descriptions=image_descriptions or {},
        variants=variants,
        created_by=user,
        progress={"step": "queued", "percent": 0},
    )
    task.job_id = jobs.job_id_for(task_id=task.pk)
    task.full_clean()
    with transaction.atomic():
        task.save()
        task.formats.set(formats)
        jobs.enqueue_task(task_id=task.pk)  # django-rq enqueues when the transaction commits
    return task


def _progress(task: GenerationTask, step: str, done: int, total: int) -> None:
    task.progress = {"step": step, "percent": int(100 * done / max(total, 1))}
    task.save(update_fields=["progress"])


def _banner_seed(task: GenerationTask, fmt: Format, variant: int) -> int:
    return zlib.crc32(f"{task.pk}:{fmt.slug}:{variant}".encode())


def _banner_make(*, task: GenerationTask, fmt: Format, variant: int, step: callable) -> Banner:
    campaign = task.campaign
    layout = fmt.layout
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
    picture = pipeline.stage_picture(campaign=campaign, seed=seed, description=description)
    timings["picture"] = time.perf_counter() - started

    started = time.perf_counter()
    step("render")
    brand = campaign.product.brand_kit
    result, image = pipeline.stage_render(
        layout=layout, texts=copy.texts, picture=picture, palette=list(brand.colors) if brand else []
    )
    banner = Banner(
        task=task,
        campaign=campaign,
        format=fmt,
        variant=variant,
        texts=copy.texts,
        generated_texts=copy.texts,
        spec=result.spec,
        seed=seed,
        image_source=ImageMode.BANK,
        bank_image=picture.bank_image if picture else None,
        quality=result.report,
        copy_stats={**copy.stats, "writer": copy.writer},
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
        for index, (fmt, variant) in enumerate(work):

            def step(name: str, index: int = index) -> None:
                _progress(task, name, index, len(work))

            _, timings = _banner_make(task=task, fmt=fmt, variant=variant, step=step)
            for key, value in timings.items():
                totals[key] = round(totals.get(key, 0.0) + value, 4)
    except pipeline.PipelineError as error:
        return task_fail(task_id=task.pk, reason=str(error))
    task.status = GenerationTask.Status.COMPLETED
    task.finished_at = timezone.now()
    task.progress = {"step": "done", "percent": 100}
    task.timings = {**totals, "total": round((task.finished_at - task.started_at).total_seconds(), 3)}
    task.save(update_fields=["status", "finished_at", "progress", "timings"])
    return task


def task_fail(*, task_id: uuid.UUID | str, reason: str) -> GenerationTask:
    task = GenerationTask.objects.get(pk=task_id)
    task.status = GenerationTask.Status.FAILED
    task.error = reason[:2000]
    task.finished_at = timezone.now()
    task.progress = {**task.progress, "step": "failed"}
    task.save(update_fields=["status", "error", "finished_at", "progress"])
    log.warning("generation task %s failed: %s", task_id, reason)
    return task


def task_retry(*, task_id: uuid.UUID | str, reason: str) -> GenerationTask:
    """Put a task back to pending after its worker died; the job is enqueued again by RQ."""
    task = GenerationTask.objects.get(pk=task_id)
    task.status = GenerationTask.Status.PENDING
    task.error = f"retrying: {reason}"
    task.progress = {"step": "queued", "percent": 0}
    task.save(update_fields=["status", "error", "progress"])
    return task


def banner_decide(*, banner: Banner, approval: str, user) -> Banner:
    """A designer approves or rejects a banner; the decision is logged as feedback."""
    if not user.has_perm("banners.approve_banner"):
        raise PermissionDenied("Only designers can approve or reject banners.")
    banner.approval = approval
    banner.save(update_fields=["approval", "updated_at"])
    kind = FeedbackEvent.Kind.APPROVE if approval == Banner.Approval.APPROVED else FeedbackEvent.Kind.REJECT
    FeedbackEvent.objects.create(banner=banner, kind=kind, user=user)
    return banner
