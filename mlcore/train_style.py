"""A style LoRA for Qwen-Image (seed 003), trained on the designers' approved bank pictures.

The objective is the rectified-flow one of diffusers' Qwen-Image LoRA example: a clean latent x and
noise n are mixed at a sampled sigma, x_t = (1 - sigma) x + sigma n, and the transformer learns the
velocity n - x. Latents and prompt embeddings are computed once before training (the VAE and the
text encoder then leave memory); only the LoRA on the transformer's attention projections learns.
bf16 with gradient checkpointing on CUDA, fp32 on the CPU.

The data set is a manifest (`style_manifest_write`): each picture already resized to its resolution
bucket, with its English caption and the sha256 of its bytes, checked before training.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mlcore import training

log = logging.getLogger(__name__)

LORA_TARGETS = ("to_q", "to_k", "to_v", "to_out.0")
LORA_FILE = "pytorch_lora_weights.safetensors"
# Aspect ratios a picture is bucketed into (width:height), each drawn at about resolution² pixels.
BUCKET_RATIOS = ((1, 1), (4, 3), (3, 4), (3, 2), (2, 3), (16, 9), (9, 16))
SIDE_MULTIPLE = 32  # VAE (8) × patch (2), with room for a smaller test VAE


@dataclass(frozen=True)
class StyleTrainConfig:
    steps: int = 1000
    batch_size: int = 1
    grad_accum: int = 4
    lr: float = 1e-4
    rank: int = 16
    alpha: int = 16
    warmup_steps: int = 0
    weight_decay: float = 1e-4
    max_grad_norm: float = 1.0
    resolution: int = 1024
    gradient_checkpointing: bool = True  # on CUDA; the CPU trains tiny models only
    checkpoint_every: int = 100
    seed: int = 0
    trigger: str = ""  # a word put before every caption, e.g. "adgenesis style"


@dataclass(frozen=True)
class StyleTrainResult:
    lora_file: Path
    steps: int
    losses: list[float]
    resumed_from: int
    seconds: float
    seconds_per_step: float
    peak_memory_gib: float | None


# -- data set ----------------------------------------------------------------------------------------


def bucket_for(width: int, height: int, resolution: int) -> tuple[int, int]:
    """The bucket (width, height) nearest the picture's aspect ratio, about resolution² pixels, sides
    multiples of SIDE_MULTIPLE."""
    ratio = width / height
    w, h = min(BUCKET_RATIOS, key=lambda r: abs(np.log(ratio / (r[0] / r[1]))))
    scale = resolution / np.sqrt(w * h)
    snap = lambda side: max(SIDE_MULTIPLE, round(float(side * scale) / SIDE_MULTIPLE) * SIDE_MULTIPLE)  # noqa: E731
    return snap(w), snap(h)


def bucket_resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Cover the bucket and cut the centre; transparency goes onto white."""
    image = image.convert("RGBA")
    flat = Image.new("RGBA", image.size, "white")
    flat.alpha_composite(image)
    image = flat.convert("RGB")
    scale = max(size[0] / image.width, size[1] / image.height)
    resized = image.resize(
        (max(size[0], round(image.width * scale)), max(size[1], round(image.height * scale))), Image.LANCZOS
    )
    left, top = (resized.width - size[0]) // 2, (resized.height - size[1]) // 2
    return resized.crop((left, top, left + size[0], top + size[1]))


def style_manifest_write(items: Sequence[dict], out: Path, *, resolution: int) -> Path:
    """Resize each picture (`path`, `caption`, optional `id`) into its bucket under out/images and write
    out/manifest.json with every file's sha256 and the data set's own."""
    (out / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for item in items:
        with Image.open(item["path"]) as opened:
            source = hashlib.sha256(Path(item["path"]).read_bytes()).hexdigest()
            size = bucket_for(opened.width, opened.height, resolution)
            picture = bucket_resize(opened, size)
        name = f"images/{source[:16]}-{size[0]}x{size[1]}.png"
        picture.save(out / name, optimize=False)
        rows.append(
            {
                "file": name,
                "caption": item["caption"],
                "width": size[0],
                "height": size[1],
                "sha256": hashlib.sha256((out / name).read_bytes()).hexdigest(),
                "source_sha256": source,
                "id": item.get("id"),
            }
        )
    manifest = {"resolution": resolution, "items": rows, "sha256": training.records_hash(rows)}
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return path


def manifest_read(path: Path) -> tuple[dict, list[dict]]:
    """The manifest and its items, every picture checked against its sha256."""
    if not path.is_file():
        raise training.TrainingError(f"--data {path}: no such manifest (manage.py style_dataset writes one)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise training.TrainingError(f"{path}: not JSON ({error.msg})") from error
    items = manifest.get("items") if isinstance(manifest, dict) else None
    if not items:
        raise training.TrainingError(f"{path}: the data set is empty: approve pictures without text or logos first")
    for item in items:
        file = path.parent / item["file"]
        if not file.is_file() or hashlib.sha256(file.read_bytes()).hexdigest() != item["sha256"]:
            raise training.TrainingError(
                f"{file}: missing or changed since the manifest was written; rebuild the data set"
            )
    return manifest, items


def picture_list_read(path: Path) -> list[dict] | None:
    """A plain list of pictures instead of a manifest: JSON lines or a JSON array of objects with the
    picture (`file`, `image` or `path`, relative to the list's folder) and its `caption` (or `text`).
    None when `path` is a manifest (it has hashed `items`)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        try:
            value = [json.loads(line) for line in text.split("\n") if line.strip()]
        except json.JSONDecodeError as error:
            raise training.TrainingError(
                f"{path}: neither a manifest nor a JSON list of pictures ({error.msg})"
            ) from error
    if isinstance(value, dict) and "items" in value and all("sha256" in i for i in value["items"] or [{}]):
        return None
    rows = value.get("items") if isinstance(value, dict) else value
    if not isinstance(rows, list):
        raise training.TrainingError(f"{path}: give a manifest or a list of {{file, caption}} objects")
    pictures = []
    for number, row in enumerate(rows, 1):
        name = next((row.get(k) for k in ("file", "image", "path") if isinstance(row, dict) and row.get(k)), None)
        caption = next((row.get(k) for k in ("caption", "text") if isinstance(row, dict) and row.get(k)), None)
        if not name or not caption:
            raise training.TrainingError(f"{path}: picture {number} needs a file and a caption")
        file = Path(name) if Path(name).is_absolute() else path.parent / name
        if not file.is_file():
            raise training.TrainingError(f"{path}: picture {number}: {file} does not exist")
        pictures.append({"path": str(file), "caption": str(caption), "id": row.get("id", number)})
    return pictures


# -- training ----------------------------------------------------------------------------------------


@dataclass
class LatentCache:
    """Per picture: its clean latent (normalized as the pipeline expects, (1, C, 1, h, w)) and its
    prompt embedding with its mask."""

    latents: list[torch.Tensor]
    prompts: list[torch.Tensor]
    masks: list[torch.Tensor]


def latents_cache_build(pipe, items: Sequence[dict], folder: Path, trigger: str, device: str, dtype) -> LatentCache:
    from diffusers.image_processor import VaeImageProcessor

    processor = VaeImageProcessor(vae_scale_factor=pipe.vae_scale_factor * 2)
    config = pipe.vae.config
    mean = torch.tensor(config.latents_mean).view(1, config.z_dim, 1, 1, 1)
    inv_std = 1.0 / torch.tensor(config.latents_std).view(1, config.z_dim, 1, 1, 1)
    cache = LatentCache([], [], [])
    with torch.no_grad():
        for item in items:
            with Image.open(folder / item["file"]) as picture:
                pixels = processor.preprocess(picture.convert("RGB"), height=item["height"], width=item["width"])
            pixels = pixels.unsqueeze(2).to(device, pipe.vae.dtype)  # (1, 3, frames=1, H, W)
            latent = pipe.vae.encode(pixels).latent_dist.mode().float().cpu()
            cache.latents.append((latent - mean) * inv_std)
            caption = f"{trigger}, {item['caption']}" if trigger else item["caption"]
            embeds, mask = pipe.encode_prompt(prompt=[caption], device=device)
            cache.prompts.append(embeds.to("cpu", dtype))
            cache.masks.append(mask.to("cpu") if mask is not None else torch.ones(embeds.shape[:2], dtype=torch.long))
    return cache


def lora_add(transformer, *, rank: int, alpha: int, gradient_checkpointing: bool) -> None:
    """A LoRA on the attention projections, the only weights that learn (in fp32, under bf16 autocast)."""
    from peft import LoraConfig

    transformer.requires_grad_(False)
    transformer.add_adapter(
        LoraConfig(r=rank, lora_alpha=alpha, init_lora_weights="gaussian", target_modules=list(LORA_TARGETS))
    )
    for parameter in transformer.parameters():
        if parameter.requires_grad:
            parameter.data = parameter.data.float()
    if gradient_checkpointing:
        transformer.enable_gradient_checkpointing()


def _batch_text(cache: LatentCache, indices: list[int], device: str):
    longest = max(cache.prompts[i].shape[1] for i in indices)
    first = cache.prompts[indices[0]]
    embeds = torch.zeros(len(indices), longest, first.shape[2], dtype=first.dtype)
    mask = torch.zeros(len(indices), longest, dtype=torch.long)
    for row, i in enumerate(indices):
        n = cache.prompts[i].shape[1]
        embeds[row, :n], mask[row, :n] = cache.prompts[i][0], cache.masks[i][0]
    return embeds.to(device), mask.to(device)


def flow_matching_loss(
    transformer, scheduler, cache: LatentCache, indices: list[int], *, generator, device, dtype, vae_scale_factor: int
):
    """The loss of one group of same-sized pictures: noise at a uniformly drawn timestep, predict the
    velocity (noise - latent), mean squared error."""
    from diffusers import QwenImagePipeline

    latents = torch.cat([cache.latents[i] for i in indices]).to(device, dtype)  # (B, C, 1, h, w)
    batch, channels, _, height, width = latents.shape
    noise = torch.randn(latents.shape, generator=generator, dtype=torch.float32).to(device, dtype)
    u = torch.rand(batch, generator=generator)
    index = (u * scheduler.config.num_train_timesteps).long().clamp(max=len(scheduler.timesteps) - 1)
    timesteps = scheduler.timesteps[index].to(device)
    sigmas = scheduler.sigmas[index].to(device, dtype).view(batch, 1, 1, 1, 1)
    noisy = (1.0 - sigmas) * latents + sigmas * noise
    packed = QwenImagePipeline._pack_latents(noisy.permute(0, 2, 1, 3, 4), batch, channels, height, width)
    embeds, mask = _batch_text(cache, indices, device)
    prediction = transformer(
        hidden_states=packed,
        encoder_hidden_states=embeds,
        encoder_hidden_states_mask=mask,
        timestep=timesteps / 1000,
        img_shapes=[(1, height // 2, width // 2)] * batch,
        return_dict=False,
    )[0]
    scale = vae_scale_factor
    prediction = QwenImagePipeline._unpack_latents(prediction, height * scale, width * scale, scale)
    return torch.mean(((prediction.float() - (noise - latents).float()) ** 2).reshape(batch, -1), dim=1).mean()


def optimizer_step(
    transformer,
    scheduler,
    cache: LatentCache,
    items: Sequence[dict],
    indices: list[int],
    *,
    config: StyleTrainConfig,
    generator,
    device: str,
    dtype,
    vae_scale_factor: int,
    optimizer,
    lr_schedule,
) -> tuple[float, float]:
    """One optimizer step: grad_accum micro-batches of batch_size pictures, those of different buckets
    in same-size groups; returns (loss, learning rate used)."""
    step_loss = 0.0
    for k in range(config.grad_accum):
        micro = indices[k * config.batch_size : (k + 1) * config.batch_size]
        for group in _same_size_groups(items, micro):
            with torch.autocast(device_type="cuda", dtype=dtype, enabled=device == "cuda"):
                loss = flow_matching_loss(
                    transformer,
                    scheduler,
                    cache,
                    group,
                    generator=generator,
                    device=device,
                    dtype=dtype,
                    vae_scale_factor=vae_scale_factor,
                )
            share = len(group) / (len(micro) * config.grad_accum)
            (loss * share).backward()
            step_loss += float(loss.detach()) * share
    return step_loss, training.optimizer_apply(transformer, optimizer, lr_schedule, config.max_grad_norm)


def train_style_lora(
    *,
    base: str | Path,
    manifest: str | Path,
    out: str | Path,
    config: StyleTrainConfig = StyleTrainConfig(),
    resume: bool = False,
    progress: training.ProgressCallback | None = None,
    device: str | None = None,
) -> StyleTrainResult:
    """Train a style LoRA over the Qwen-Image folder `base` on the pictures of `manifest`; the adapter
    goes to out/pytorch_lora_weights.safetensors (what `load_lora_weights` and `--lora` read), the
    report to out/training.json, checkpoints to out/checkpoints."""
    from diffusers import FlowMatchEulerDiscreteScheduler, QwenImagePipeline
    from peft.utils import get_peft_model_state_dict, set_peft_model_state_dict

    # 1. Check inputs
    base, out, manifest = Path(base), Path(out), Path(manifest)
    if not (base / "model_index.json").is_file():
        raise training.TrainingError(
            f"--base {base}: no model_index.json there; give a Qwen-Image folder (diffusers layout)"
        )
    out.mkdir(parents=True, exist_ok=True)
    pictures = picture_list_read(manifest)
    if pictures is not None:  # a plain list: resized into buckets and hashed first
        manifest = style_manifest_write(pictures, out / "dataset", resolution=config.resolution)
    data, items = manifest_read(manifest)
    started = time.perf_counter()
    device, dtype = training.device_and_dtype(device)

    # 2. Components; latents and prompt embeddings once, then only the transformer stays
    pipe = QwenImagePipeline.from_pretrained(base, dtype=dtype, local_files_only=True).to(device)
    cache = latents_cache_build(pipe, items, manifest.parent, config.trigger, device, dtype)
    transformer, vae_scale_factor = pipe.transformer, pipe.vae_scale_factor
    del pipe
    if device == "cuda":
        torch.cuda.empty_cache()
    scheduler = FlowMatchEulerDiscreteScheduler.from_pretrained(base, subfolder="scheduler")
    torch.manual_seed(config.seed)
    lora_add(
        transformer,
        rank=config.rank,
        alpha=config.alpha,
        gradient_checkpointing=config.gradient_checkpointing and device == "cuda",
    )
    transformer.train()

    # 3. Optimizer, schedule, and the checkpoint to resume from
    optimizer, optimizer_note = training.adamw(
        transformer.parameters(), lr=config.lr, weight_decay=config.weight_decay, eight_bit=False, device=device
    )
    lr_schedule = training.scheduler_for(optimizer, warmup=config.warmup_steps, total=config.steps)
    start, losses = 0, []
    checkpoint = training.checkpoint_latest(out) if resume else None
    if checkpoint:
        start, state, losses = training.checkpoint_load(checkpoint, optimizer=optimizer, scheduler=lr_schedule)
        set_peft_model_state_dict(transformer, state)
        log.info("style LoRA: resumed from %s (step %d)", checkpoint, start)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()

    # 4. Training loop: one optimizer step = grad_accum micro-batches of batch_size pictures
    meter = training.Meter(start, config.steps)
    per_step = config.batch_size * config.grad_accum
    for step in range(start, config.steps):
        generator = torch.Generator().manual_seed(training.step_seed(config.seed, step))
        indices = training.sample_indices(len(items), seed=config.seed, start=step * per_step, count=per_step)
        step_loss, lr = optimizer_step(
            transformer,
            scheduler,
            cache,
            items,
            indices,
            config=config,
            generator=generator,
            device=device,
            dtype=dtype,
            vae_scale_factor=vae_scale_factor,
            optimizer=optimizer,
            lr_schedule=lr_schedule,
        )
        training.step_finish(
            label="style LoRA",
            out=out,
            step=step + 1,
            steps=config.steps,
            loss=step_loss,
            lr=lr,
            losses=losses,
            meter=meter,
            progress=progress,
            checkpoint_every=config.checkpoint_every,
            lora=lambda: get_peft_model_state_dict(transformer),
            optimizer=optimizer,
            scheduler=lr_schedule,
        )

    # 5. The adapter and its report
    trained = config.steps - start
    seconds_per_step = (time.perf_counter() - meter.started) / trained if trained else 0.0
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None
    QwenImagePipeline.save_lora_weights(
        out,
        transformer_lora_layers=get_peft_model_state_dict(transformer),
        weight_name=LORA_FILE,
        transformer_lora_adapter_metadata={
            "r": config.rank,
            "lora_alpha": config.alpha,
            "target_modules": sorted(LORA_TARGETS),
        },
    )
    seconds = time.perf_counter() - started
    training.report_write(
        out,
        kind="style",
        base=str(base),
        config=asdict(config),
        manifest=str(manifest),
        pictures=len(items),
        data_sha256=data.get("sha256", ""),
        optimizer=optimizer_note,
        device=device,
        resumed_from=start,
        losses=losses,
        seconds=round(seconds, 2),
        seconds_per_step=round(seconds_per_step, 4),
        peak_memory_gib=round(peak, 2) if peak is not None else None,
    )
    return StyleTrainResult(
        lora_file=out / LORA_FILE,
        steps=config.steps,
        losses=losses,
        resumed_from=start,
        seconds=seconds,
        seconds_per_step=seconds_per_step,
        peak_memory_gib=peak,
    )


def _same_size_groups(items: Sequence[dict], indices: list[int]) -> list[list[int]]:
    groups: dict[tuple[int, int], list[int]] = {}
    for i in indices:
        groups.setdefault((items[i]["width"], items[i]["height"]), []).append(i)
    return list(groups.values())
