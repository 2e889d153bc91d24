"""The style LoRA's data and registry (issue 16): the bank's approved pictures as a training set, runs
recorded as StyleAdapters with their config and loss curve, sweeps of four configurations that each
draw the stored validation descriptions, and the designers' rankings that name a winner. Approval
stays a designer's act: nothing here approves an adapter."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, replace
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from catalog.models import BankImage, BrandKit, StyleAdapter, StyleSample, StyleVote
from mlcore import imagegen
from mlcore.textcheck import language

if TYPE_CHECKING:
    from mlcore.train_style import StyleTrainConfig

VALIDATION = settings.BASE_DIR / "catalog" / "data" / "style_validation.json"
CANDIDATES = 4


def style_training_pictures():
    """Approved bank pictures fit to teach a style: no text, logo or currency sign, not too busy."""
    return (
        BankImage.objects.approved()
        .filter(has_text=False, has_logo=False, too_complex=False, has_currency_sign=False)
        .order_by("pk")
    )


def english_caption(image: BankImage) -> str:
    """The picture's caption in English (the designer's or the VLM's, or its translation); its name
    when it has neither."""
    for text in (image.caption, image.caption_translation):
        if text.strip() and language(text) == "en":
            return text.strip()
    return image.name or "a picture"


def style_dataset_build(*, out: Path, resolution: int, limit: int = 0) -> Path:
    """The manifest of the bank's training pictures, resized into buckets under `out`."""
    from mlcore import train_style  # torch: only where training happens, never in the web process

    pictures = list(style_training_pictures()[: limit or None])
    if not pictures:
        raise ValidationError("no approved bank pictures without text, logo or currency sign: approve some first")
    items = [{"path": p.file.path, "caption": english_caption(p), "id": p.pk} for p in pictures]
    return train_style.style_manifest_write(items, out, resolution=resolution)


def sweep_configs(config: StyleTrainConfig) -> list[StyleTrainConfig]:
    """Seed 003's four candidates: batch, learning rate and rank differ around the given config."""
    return [
        config,
        replace(config, batch_size=config.batch_size * 2, rank=config.rank * 2, alpha=config.alpha * 2),
        replace(config, lr=config.lr * 2),
        replace(
            config, batch_size=config.batch_size * 2, lr=config.lr / 2, rank=config.rank * 2, alpha=config.alpha * 2
        ),
    ]


def style_adapter_train(
    *,
    name: str,
    base: str,
    out: Path,
    config: StyleTrainConfig,
    manifest: Path | None = None,
    resume: bool = False,
    sweep: str = "",
    brand_kit: BrandKit | None = None,
    progress=None,
) -> StyleAdapter:
    """Train one adapter and record it (status, config, progress, loss curve); a failed run is kept
    with its reason. The adapter is not approved."""
    from mlcore import train_style

    out.mkdir(parents=True, exist_ok=True)
    adapter, _ = StyleAdapter.objects.update_or_create(
        name=name,
        defaults={
            "lora_path": str(out / train_style.LORA_FILE),
            "status": StyleAdapter.Status.TRAINING,
            "sweep": sweep,
            "brand_kit": brand_kit,
            "config": {**asdict(config), "base": base},
            "trigger_words": config.trigger,
            "error": "",
            "approved": False,
        },
    )
    try:
        manifest = manifest or style_dataset_build(out=out / "dataset", resolution=config.resolution)

        def report(step) -> None:
            adapter.progress = asdict(step)
            adapter.save(update_fields=["progress"])
            if progress:
                progress(step)

        result = train_style.train_style_lora(
            base=base, manifest=manifest, out=out, config=config, resume=resume, progress=report
        )
    except Exception as error:
        adapter.status, adapter.error = StyleAdapter.Status.FAILED, str(error)
        adapter.save(update_fields=["status", "error"])
        raise
    data = json.loads(Path(manifest).read_text(encoding="utf-8"))
    adapter.status = StyleAdapter.Status.TRAINED
    adapter.losses = result.losses
    adapter.data_sha256 = data.get("sha256", "")
    adapter.captions = [item["caption"] for item in data["items"][:8]]
    adapter.config = {
        **adapter.config,
        "seconds_per_step": round(result.seconds_per_step, 4),
        "peak_memory_gib": result.peak_memory_gib,
    }
    adapter.save()
    return adapter


def validation_descriptions() -> list[str]:
    return json.loads(VALIDATION.read_text(encoding="utf-8"))["descriptions"]


def style_samples_draw(
    *,
    adapter: StyleAdapter,
    generator: imagegen.ImageGenerator,
    descriptions: Sequence[str],
    size: int,
    steps: int,
    seed: int = 0,
) -> list[StyleSample]:
    """Every validation description drawn once with the adapter, the same seed for every candidate."""
    style = imagegen.StyleLoRA(name=f"style-{adapter.pk}", path=adapter.lora_path, scale=adapter.scale)
    samples = []
    for index, description in enumerate(descriptions):
        prompt = f"{adapter.trigger_words}, {description}" if adapter.trigger_words else description
        request = imagegen.ImageRequest(prompt=prompt, width=size, height=size, steps=steps, seed=seed + index)
        picture = generator.generate(request, style).image
        buffer = BytesIO()
        picture.save(buffer, format="PNG")
        sample, _ = StyleSample.objects.update_or_create(
            adapter=adapter, index=index, defaults={"description": description}
        )
        sample.image.save(f"{adapter.name}-{index:02d}.png", ContentFile(buffer.getvalue()), save=True)
        samples.append(sample)
    return samples


def style_sweep_run(
    *,
    sweep: str,
    base: str,
    out: Path,
    config: StyleTrainConfig,
    manifest: Path | None = None,
    resume: bool = False,
    draw_steps: int = 30,
    progress=None,
    brand_kit: BrandKit | None = None,
) -> list[StyleAdapter]:
    """Four candidates trained on one data set, then each draws the validation set (20 × 4 pictures)."""
    manifest = manifest or style_dataset_build(out=out / "dataset", resolution=config.resolution)
    adapters = []
    for number, candidate in enumerate(sweep_configs(config), 1):
        name = f"{sweep}-{number}"
        adapters.append(
            style_adapter_train(
                name=name,
                base=base,
                out=out / name,
                config=candidate,
                manifest=manifest,
                resume=resume,
                sweep=sweep,
                progress=progress,
            )
        )
    generator = imagegen.ImageGenerator(base)
    descriptions = validation_descriptions()
    for adapter in adapters:
        style_samples_draw(
            adapter=adapter,
            generator=generator,
            descriptions=descriptions,
            size=config.resolution,
            steps=draw_steps,
            seed=config.seed,
        )
    return adapters


# -- votes -------------------------------------------------------------------------------------------


def sweep_candidates(*, sweep: str) -> list[StyleAdapter]:
    return list(StyleAdapter.objects.filter(sweep=sweep).order_by("name"))


@transaction.atomic
def style_vote_record(*, sweep: str, index: int, ranking: Sequence[int], user) -> StyleVote:
    """A designer's ranking of the sweep's candidates for description `index`, best first; voting
    again replaces the earlier ranking."""
    if not user.has_perm("catalog.change_styleadapter"):
        raise PermissionDenied("Only designers can vote on styles.")
    candidates = {a.pk for a in sweep_candidates(sweep=sweep)}
    ranking = [int(pk) for pk in ranking]
    if sorted(ranking) != sorted(candidates):
        raise ValidationError(f"description {index + 1}: rank every candidate once (1 to {len(candidates)})")
    vote, _ = StyleVote.objects.update_or_create(sweep=sweep, index=index, user=user, defaults={"ranking": ranking})
    return vote


def sweep_summary(*, sweep: str) -> dict:
    """Per candidate: first places and Borda points (n-1 for a first place … 0 for a last); the winner
    has the most first places, Borda points breaking a tie (then the name)."""
    candidates = sweep_candidates(sweep=sweep)
    firsts = {a.pk: 0 for a in candidates}
    borda = {a.pk: 0 for a in candidates}
    votes = list(StyleVote.objects.filter(sweep=sweep))
    for vote in votes:
        for place, pk in enumerate(vote.ranking):
            if pk in borda:
                borda[pk] += len(vote.ranking) - 1 - place
        if vote.ranking and vote.ranking[0] in firsts:
            firsts[vote.ranking[0]] += 1
    rows = [
        {"adapter": a, "first_places": firsts[a.pk], "borda": borda[a.pk]}
        for a in sorted(candidates, key=lambda a: (-firsts[a.pk], -borda[a.pk], a.name))
    ]
    return {"sweep": sweep, "votes": len(votes), "rows": rows, "winner": rows[0]["adapter"] if votes and rows else None}


def style_training_run(
    *,
    name: str,
    base: str,
    out: str,
    data: str,
    config: dict,
    resume: bool,
    sweep: bool,
    draw_steps: int,
    brand: str,
    progress=None,
) -> list[StyleAdapter]:
    """What `train_style_lora` and the `train` queue's job run: one adapter, or a sweep of four."""
    from mlcore.train_style import StyleTrainConfig

    settings_ = StyleTrainConfig(**config)
    manifest = Path(data) if data else None
    kit = BrandKit.objects.get(name=brand) if brand else None
    if sweep:
        return style_sweep_run(
            sweep=name,
            base=base,
            out=Path(out),
            config=settings_,
            manifest=manifest,
            resume=resume,
            draw_steps=draw_steps,
            progress=progress,
            brand_kit=kit,
        )
    adapter = style_adapter_train(
        name=name,
        base=base,
        out=Path(out),
        config=settings_,
        manifest=manifest,
        resume=resume,
        brand_kit=kit,
        progress=progress,
    )
    return [adapter]


def style_training_enqueue(*, options: dict):
    """The same run as a job on the `train` queue, for a GPU worker; its adapters show progress in admin."""
    import django_rq

    return django_rq.get_queue("train").enqueue(
        "catalog.jobs.style_training_run", options, job_timeout=settings.TRAIN_JOB_TIMEOUT, result_ttl=7 * 24 * 3600
    )
