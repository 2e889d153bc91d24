"""AI-mode generation across the queues: texts (default) → pictures (imagegen, one job per variant,
shared by every format of that variant, so the variants are drawn by every GPU worker side by side)
→ cut-outs (segment) → layout and render (default).

Each step is a service run by the RQ job of the same name; each enqueues the next. A picture is
saved as a pending bank picture (source "ai"), so designers approve what the AI drew.
"""

from __future__ import annotations

import io
import time
import zlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from banners import copywriting, events, imaging, pipeline
from banners.models import Banner, GenerationTask
from banners.rendering import banner_rerender, brand_palette, layout_choose, quality_of
from catalog.models import BankImage, StyleAdapter
from mlcore import imagegen, imageprompt


def _style_for(task: GenerationTask) -> StyleAdapter | None:
    return task.style or StyleAdapter.objects.for_brand(task.campaign.product.brand_kit)


def variant_seed(task: GenerationTask, variant: int) -> int:
    return zlib.crc32(f"{task.pk}:picture:{variant}".encode())


def _resume(task: GenerationTask) -> None:
    """A step retried after its worker died finds the task pending again: it is being worked on."""
    if task.status == GenerationTask.Status.PENDING:
        task.status = GenerationTask.Status.PROCESSING
        GenerationTask.objects.filter(pk=task.pk, status=GenerationTask.Status.PENDING).update(status=task.status)


def _progress(task: GenerationTask, step: str, percent: int) -> None:
    task.progress = {"step": step, "percent": percent}
    task.save(update_fields=["progress"])


def task_texts(*, task: GenerationTask, work: list) -> None:
    """Draft banners with their texts (and their layout variant); pictures follow on the GPU queue."""
    logo = pipeline.has_logo(task.campaign.product)
    for index, (fmt, variant) in enumerate(work):
        _progress(task, "texts", int(25 * index / max(len(work), 1)))
        layout = layout_choose(
            fmt=fmt,
            offer=task.campaign.offer,
            variant=variant,
            requested=task.layout,
            logo=logo,
            kit=task.campaign.product.brand_kit,
        )
        copy = pipeline.stage_texts(campaign=task.campaign, layout=layout, variant=variant)
        Banner.objects.create(
            spec={"layout": layout.variant},
            task=task,
            campaign=task.campaign,
            format=fmt,
            variant=variant,
            texts=copy.texts,
            generated_texts=copy.texts,
            seed=variant_seed(task, variant),
            image_source=task.image_mode,
            copy_stats={**copy.stats, "writer": copy.writer},
        )


def picture_request(seed: int, prompt: str) -> imagegen.ImageRequest:
    """The generation settings every AI picture uses: size, steps (fewer with the lightning LoRA), CFG."""
    lightning = bool(settings.LIGHTNING_LORA_PATH)
    return imagegen.ImageRequest(
        prompt=prompt,
        negative_prompt=imageprompt.NEGATIVE,
        width=settings.IMAGE_SIZE,
        height=settings.IMAGE_SIZE,
        steps=settings.IMAGE_LIGHTNING_STEPS if lightning else settings.IMAGE_STEPS,
        true_cfg_scale=1.0 if lightning else settings.IMAGE_TRUE_CFG,
        seed=seed,
    )


def picture_prompt_screened(task: GenerationTask, style: StyleAdapter | None) -> tuple[str, str]:
    """The AI picture prompt (LLM or template) after the safety gate: a refused prompt is written again from
    the template, without the LLM or the slot description; refused again, the task fails with the reason."""
    product = task.campaign.product

    def write(attempt: int):
        written = imageprompt.picture_prompt(
            copywriting.llm_client() if attempt == 0 else None,
            product=product.name,
            description=product.description,
            offer=task.campaign.offer,
            picture_description="" if attempt else next(iter((task.image_descriptions or {}).values()), ""),
            captions=style.captions if style else (),
            trigger_words=style.trigger_words if style else "",
        )
        return {"prompt": written[0]}, written

    try:
        (prompt, how), note = copywriting.screened(write, what="picture")
    except copywriting.UnsafeOutput as error:
        raise pipeline.SafetyRefused(str(error)) from None
    if note:
        how += " (the first prompt was refused by the safety check)"
    return prompt, how


def _draw(task: GenerationTask, *, variant: int, seed: int, prompt: str | None = None) -> tuple[BankImage, dict]:
    """One AI picture for a variant of the task, saved as a pending bank picture, and how it was made."""
    style = _style_for(task)
    adapter = (
        imagegen.StyleLoRA(
            name=f"style-{style.pk}", path=style.lora_path, scale=style.scale, trigger_words=style.trigger_words
        )
        if style
        else None
    )
    product = task.campaign.product
    how = "kept"
    if prompt is None:
        prompt, how = picture_prompt_screened(task, style)
    made = imaging.generator().generate(picture_request(seed, prompt), adapter)
    buffer = io.BytesIO()
    made.image.save(buffer, format="PNG")
    picture = BankImage(
        source=BankImage.Source.AI,
        status=BankImage.Status.PENDING,
        caption=prompt,
        name=f"AI: {product.name} (task {str(task.pk)[:8]}, variant {variant})",
        width=made.image.width,
        height=made.image.height,
    )
    picture.file.save(f"ai-{task.pk}-{variant}.png", ContentFile(buffer.getvalue()), save=False)
    picture.save()
    info = {
        "prompt": prompt,
        "prompt_written_by": how,
        "seed": seed,
        "style": style.name if style else None,
        "steps": made.request.steps,
        "size": [made.request.width, made.request.height],
        "true_cfg_scale": made.request.true_cfg_scale,
        "generation_seconds": round(made.seconds, 2),
        "retried_smaller": made.retried_smaller,
    }
    return picture, info


def _cut(picture: BankImage, name: str) -> tuple[str, float]:
    started = time.perf_counter()
    cut = imaging.cut_out(pipeline.picture_open(picture.file))
    buffer = io.BytesIO()
    cut.image.save(buffer, format="PNG")
    picture.file.save(name, ContentFile(buffer.getvalue()), save=True)
    return cut.method, round(time.perf_counter() - started, 2)


def banner_redraw(*, banner_id: int) -> Banner:
    """Regenerate picture, AI mode: the same prompt with a new seed (imagegen worker)."""
    banner = Banner.objects.select_related("task__campaign__product", "task__style").get(pk=banner_id)
    seed = zlib.crc32(f"{banner.pk}:{banner.seed}:redraw".encode())
    picture, info = _draw(banner.task, variant=banner.variant, seed=seed, prompt=banner.picture_info.get("prompt"))
    banner.seed, banner.bank_image, banner.picture_info = seed, picture, info
    banner.save(update_fields=["seed", "bank_image", "picture_info", "updated_at"])
    return banner


def banner_recut(*, banner_id: int) -> Banner:
    banner = Banner.objects.select_related("bank_image").get(pk=banner_id)
    method, seconds = _cut(banner.bank_image, f"ai-{banner.task_id}-cutout.png")
    banner.picture_info = {**banner.picture_info, "cutout": method, "cutout_seconds": seconds}
    banner.save(update_fields=["picture_info", "updated_at"])
    return banner


def banner_picture_render(*, banner_id: int) -> Banner:
    banner = Banner.objects.select_related("campaign__product__brand_kit", "format", "bank_image").get(pk=banner_id)
    banner.spec = {"elements": [{"type": "image", "src": f"bank:{banner.bank_image_id}"}]}
    banner_rerender(banner=banner, texts=banner.texts, shorten=True)
    banner.save()
    return banner


def _worker_name() -> str:
    from rq import get_current_job

    job = get_current_job()
    return (job.worker_name or "") if job else ""


def task_picture(*, task_id, variant: int) -> bool:
    """On an imagegen worker: the picture of one variant with the style LoRA, saved as a pending bank
    picture. True when it was the task's last picture to be drawn (its job then enqueues the cut-out)."""
    task = GenerationTask.objects.select_related("campaign__product", "style").get(pk=task_id)
    if task.is_finished:
        return False
    _resume(task)
    picture, info = _draw(task, variant=variant, seed=variant_seed(task, variant))
    info["worker"] = _worker_name()
    with transaction.atomic():  # jobs of the same task finishing together see each other's pictures
        task = GenerationTask.objects.select_for_update().get(pk=task_id)
        task.banners.filter(variant=variant).update(bank_image=picture, picture_info=info)
        if task.is_finished or "pictures" in task.timings:
            return False
        drawn = task.banners.exclude(bank_image=None).values("variant").distinct().count()
        _progress(task, "picture", 25 + int(35 * drawn / task.variants))
        if drawn < task.variants:
            return False
        task.timings = {
            **task.timings,
            "pictures": round((timezone.now() - (task.started_at or task.created_at)).total_seconds(), 3),
        }
        task.save(update_fields=["timings"])
        return True


def task_cutouts(*, task_id) -> GenerationTask | None:
    """On a segment worker: the background of each AI picture made transparent (BiRefNet or the matte).
    None when the task has ended meanwhile (a picture job failed)."""
    task = GenerationTask.objects.get(pk=task_id)
    if task.is_finished:
        return None
    _resume(task)
    pictures = BankImage.objects.filter(banner__task=task).distinct()
    for index, picture in enumerate(pictures):
        _progress(task, "cutout", 60 + int(20 * index / max(len(pictures), 1)))
        method, seconds = _cut(picture, f"ai-{task.pk}-cutout.png")
        for banner in task.banners.filter(bank_image=picture):
            banner.picture_info = {**banner.picture_info, "cutout": method, "cutout_seconds": seconds}
            banner.save(update_fields=["picture_info"])
    return task


def task_render(*, task_id) -> GenerationTask | None:
    """Back on a default worker: lay out and render every banner of the task, then complete it."""
    task = GenerationTask.objects.select_related("campaign__product__brand_kit").get(pk=task_id)
    if task.is_finished:
        return None
    _resume(task)
    logo = pipeline.brand_logo(task.campaign.product)
    banners = list(task.banners.select_related("format", "bank_image"))
    for index, banner in enumerate(banners):
        _progress(task, "render", 80 + int(20 * index / max(len(banners), 1)))
        picture = None
        if banner.bank_image is not None:
            picture = pipeline.PictureChoice(
                src=f"bank:{banner.bank_image.pk}",
                image=pipeline.picture_open(banner.bank_image.file),
                bank_image=banner.bank_image,
            )
        layout = banner.layout
        more, more_info = pipeline.stage_more_pictures(  # the AI picture fills the first slot, the bank the rest
            campaign=task.campaign,
            layout=layout,
            seed=banner.seed,
            descriptions=task.image_descriptions or {},
            first=picture,
        )
        if more_info:
            banner.picture_info = {**banner.picture_info, "slots": more_info}
        result, texts, image = pipeline.stage_render(
            campaign=task.campaign,
            layout=layout,
            texts=banner.texts,
            picture=picture,
            more_pictures=more,
            palette=brand_palette(task.campaign),
            logo=logo,
        )
        banner.texts, banner.generated_texts, banner.spec = texts, texts, result.spec
        banner.quality = quality_of(result.report, banner.copy_stats)
        pipeline.banner_files_save(banner=banner, image=image)
        banner.save()
    task.status, task.error = GenerationTask.Status.COMPLETED, ""  # a retry's "retrying: …" is over
    task.finished_at = timezone.now()
    task.progress = {"step": "done", "percent": 100}
    task.timings = {**task.timings, "total": round((task.finished_at - task.started_at).total_seconds(), 3)}
    task.save(update_fields=["status", "error", "finished_at", "progress", "timings"])
    events.task_ended(task=task)
    return task
