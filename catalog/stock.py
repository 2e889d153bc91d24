"""Stock runs (seed 002): a topic's plan of shots, one imagegen job per picture so that every GPU
shares a run, pictures landing in the bank as pending with their topic, concept, place, prompt and
seed; near-duplicates dropped; pause, resume and cancel; a rerun of the same name continues it.

A shot is drawn at most once: its job locks the row, skips a shot that is done, and keeps a picture
only if the shot is still undone when the picture is ready (a second job for it throws its picture
away). Shots whose job died with a killed worker are simply not done, so a rerun enqueues them again.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict

import django_rq
import imagehash
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from catalog.models import BankImage, StockRun, StockShot, StockTopic
from mlcore import stock

DATA = settings.BASE_DIR / "catalog" / "data" / "stock"
DUPLICATE_DISTANCE = 6  # perceptual-hash bits: at most this many apart is the same picture
UNDONE = (StockShot.Status.PLANNED, StockShot.Status.QUEUED, StockShot.Status.DRAWING, StockShot.Status.FAILED)


def stock_topics_load() -> int:
    """The 13 default topics from catalog/data/stock/topics.json; topics designers edited stay as they are."""
    added = 0
    for data in json.loads((DATA / "topics.json").read_text(encoding="utf-8")):
        vocabulary = {key: data.get(key, []) for key in ("interior", "exterior", "items", "people")}
        _, created = StockTopic.objects.get_or_create(
            name=data["name"], defaults={"hints": data.get("hints", ""), "vocabulary": vocabulary}
        )
        added += created
    return added


def topic_of(topic: StockTopic) -> stock.Topic:
    return stock.Topic.from_dict({"name": topic.name, "hints": topic.hints, **topic.vocabulary})


def stock_run_check(*, name: str, topic: StockTopic, count: int, mix, seed: int = 0) -> tuple[StockRun | None, tuple]:
    """The run of that name (None for a new one) and the mix, or ValidationError saying why the run
    cannot start: no picture model, a count out of range, a name used with other settings or cancelled."""
    from banners import imaging

    reason = imaging.ai_unavailable_reason()
    if reason:
        raise ValidationError(f"Stock pictures are drawn by the picture model. {reason}")
    try:
        mix_values = stock.parse_mix(mix) if isinstance(mix, str) else tuple(mix)
    except ValueError as error:
        raise ValidationError({"mix": str(error)}) from None
    if count < 1 or count > settings.STOCK_MAX_COUNT:
        raise ValidationError({"count": f"count: 1 to {settings.STOCK_MAX_COUNT} pictures per run"})
    run = StockRun.objects.filter(name=name).first()
    if run is not None:
        same = (run.topic_id, run.count, tuple(run.mix), run.seed) == (topic.pk, count, mix_values, seed)
        if not same:
            raise ValidationError(
                {
                    "name": f"run {name!r} was started with {run.topic.name}, {run.count} pictures, mix "
                    f"{'/'.join(map(str, run.mix))}, seed {run.seed}: give another run name to plan a new one"
                }
            )
        if run.status == StockRun.Status.CANCELLED:
            raise ValidationError({"name": f"run {name!r} was cancelled: give another run name"})
    return run, mix_values


def stock_run_start(*, name: str, topic: StockTopic, count: int, mix, seed: int = 0, user=None) -> StockRun:
    """Plan a new run and enqueue every shot, or continue the run of that name: only its undone shots
    are enqueued (stock_run_check says why a run cannot start)."""
    run, mix_values = stock_run_check(name=name, topic=topic, count=count, mix=mix, seed=seed)
    if run is None:
        from banners.copywriting import llm_client

        plan = stock.plan_shots(
            topic_of(topic), count=count, mix=mix_values, seed=seed, client=llm_client(), prompts_dir=DATA
        )
        with transaction.atomic():
            run = StockRun.objects.create(
                name=name,
                topic=topic,
                count=count,
                mix=list(mix_values),
                seed=seed,
                created_by=user,
                notes=plan.notes,
            )
            StockShot.objects.bulk_create(
                StockShot(run=run, **{k: v for k, v in asdict(shot).items()}) for shot in plan.shots
            )
    run.status = StockRun.Status.RUNNING
    run.save(update_fields=["status"])
    stock_shots_enqueue(run=run)
    return run


def stock_shots_enqueue(*, run: StockRun) -> int:
    """One imagegen job per undone shot; returns how many were enqueued."""
    queue = django_rq.get_queue("imagegen")
    shots = list(run.shots.filter(status__in=UNDONE).order_by("index"))
    for shot in shots:
        queue.enqueue(
            "catalog.jobs.stock_shot_draw",
            shot.pk,
            job_id=f"stock-{run.pk}-{shot.index}",
            job_timeout=settings.IMAGE_JOB_TIMEOUT,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
    run.shots.filter(pk__in=[s.pk for s in shots]).update(status=StockShot.Status.QUEUED, error="")
    return len(shots)


def stock_run_pause(*, run: StockRun) -> StockRun:
    run.status = StockRun.Status.PAUSED
    run.save(update_fields=["status"])
    return run


def stock_run_resume(*, run: StockRun) -> StockRun:
    if run.status == StockRun.Status.CANCELLED:
        raise ValidationError("A cancelled run cannot be resumed: start a new one.")
    run.status = StockRun.Status.RUNNING
    run.save(update_fields=["status"])
    stock_shots_enqueue(run=run)
    return run


def stock_run_cancel(*, run: StockRun) -> StockRun:
    run.status = StockRun.Status.CANCELLED
    run.save(update_fields=["status"])
    run.shots.filter(status__in=UNDONE).update(status=StockShot.Status.CANCELLED)
    return run


def _near_duplicate(phash: str, topic: str) -> BankImage | None:
    """A bank picture of the topic (or any exact copy) within DUPLICATE_DISTANCE bits of `phash`."""
    if BankImage.objects.filter(phash=phash).exists():
        return BankImage.objects.filter(phash=phash).first()
    target = imagehash.hex_to_hash(phash)
    for pk, other in BankImage.objects.filter(topic=topic).exclude(phash="").values_list("pk", "phash"):
        if target - imagehash.hex_to_hash(other) <= DUPLICATE_DISTANCE:
            return BankImage.objects.get(pk=pk)
    return None


def stock_shot_draw(*, shot_id: int) -> str:
    """Draw one shot into the bank (pending, source "stock"); what happened, in a word."""
    from banners import imaging
    from banners.ai import picture_request

    with transaction.atomic():
        shot = StockShot.objects.select_for_update().select_related("run__topic").get(pk=shot_id)
        run = shot.run
        if shot.status not in UNDONE:
            return shot.status
        if run.status != StockRun.Status.RUNNING:
            shot.status = StockShot.Status.PLANNED  # paused: resume enqueues it again
            shot.save(update_fields=["status"])
            return "paused"
        shot.status = StockShot.Status.DRAWING
        shot.save(update_fields=["status"])
    try:
        made = imaging.generator().generate(picture_request(shot.seed, shot.prompt))
    except Exception as error:  # the shot says why; a rerun or resume tries it again
        StockShot.objects.filter(pk=shot_id).update(status=StockShot.Status.FAILED, error=str(error)[:2000])
        raise
    buffer = io.BytesIO()
    made.image.save(buffer, format="PNG")
    phash = str(imagehash.phash(made.image))
    with transaction.atomic():
        shot = StockShot.objects.select_for_update().select_related("run__topic").get(pk=shot_id)
        if shot.status not in UNDONE:  # another job drew it meanwhile
            return shot.status
        duplicate = _near_duplicate(phash, shot.run.topic.name)
        if duplicate is not None:
            shot.status, shot.error = StockShot.Status.DUPLICATE, f"near-duplicate of bank picture {duplicate.pk}"
            shot.save(update_fields=["status", "error"])
            return "duplicate"
        picture = BankImage(
            source=BankImage.Source.STOCK,
            status=BankImage.Status.PENDING,
            name=f"{shot.run.topic.name}: {shot.location}"[:200],
            caption=shot.prompt,
            width=made.image.width,
            height=made.image.height,
            phash=phash,
            topic=shot.run.topic.name,
            concept=shot.concept,
            location=shot.location,
            prompt=shot.prompt,
            seed=shot.seed,
        )
        picture.file.save(f"stock-{shot.run.pk}-{shot.index:05d}.png", ContentFile(buffer.getvalue()), save=False)
        picture.save()
        shot.status, shot.bank_image = StockShot.Status.DONE, picture
        shot.save(update_fields=["status", "bank_image"])
    return "done"


def stock_run_progress(*, run: StockRun) -> dict:
    counts = {status: 0 for status in StockShot.Status.values}
    for status in run.shots.values_list("status", flat=True):
        counts[status] += 1
    finished = counts["done"] + counts["duplicate"] + counts["cancelled"]
    return {**counts, "total": run.count, "finished": finished, "percent": round(100 * finished / max(run.count, 1))}
