"""The style LoRA trainer's optimizer step on the full-size Qwen-Image transformer: random weights
from the published config (nothing is downloaded), rank 32 on the attention projections, 1024×1024,
gradient checkpointing, bf16; batch 1 and batch 4 side by side: seconds per step and peak GPU memory,
beside the reference of issue 16 (one H100, a bare diffusers + peft loop).

Without CUDA it says so and times the same step on the tiny test transformer on the CPU, which shows
the code path runs, not how fast a GPU is.

    .venv/bin/python bench/bench_style_lora.py [--steps 6] [--prompt-tokens 128]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_qwen_image import TRANSFORMER  # noqa: E402

from mlcore import training  # noqa: E402
from mlcore.train_style import LatentCache, StyleTrainConfig, lora_add, optimizer_step  # noqa: E402

REFERENCE = {1: (1.14, 41.6), 4: (3.28, 48.9)}  # batch: (s/step, GiB), one H100, bare loop
TINY = {
    "patch_size": 2,
    "in_channels": 16,
    "out_channels": 4,
    "num_layers": 2,
    "attention_head_dim": 16,
    "num_attention_heads": 3,
    "joint_attention_dim": 16,
    "guidance_embeds": False,
    "axes_dims_rope": (8, 4, 4),
}


def step_time(
    config: dict,
    *,
    batch: int,
    side: int,
    latent_channels: int,
    vae_scale: int,
    prompt_tokens: int,
    steps: int,
    device: str,
):
    from diffusers import FlowMatchEulerDiscreteScheduler, QwenImageTransformer2DModel

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    with torch.device(device):
        transformer = QwenImageTransformer2DModel(**config).to(dtype)
    transformer.requires_grad_(False)
    train = StyleTrainConfig(batch_size=batch, grad_accum=1, rank=32, alpha=32, resolution=side, lr=1e-4)
    lora_add(transformer, rank=train.rank, alpha=train.alpha, gradient_checkpointing=device == "cuda")
    transformer.train()
    latent = side // vae_scale
    cache = LatentCache(
        latents=[torch.randn(1, latent_channels, 1, latent, latent) for _ in range(batch)],
        prompts=[torch.randn(1, prompt_tokens, config["joint_attention_dim"], dtype=dtype) for _ in range(batch)],
        masks=[torch.ones(1, prompt_tokens, dtype=torch.long) for _ in range(batch)],
    )
    sizes = [{"width": side, "height": side}] * batch
    scheduler = FlowMatchEulerDiscreteScheduler(shift=3.0, use_dynamic_shifting=True, base_shift=0.5, max_shift=0.9)
    optimizer, _ = training.adamw(
        transformer.parameters(), lr=train.lr, weight_decay=train.weight_decay, eight_bit=False, device=device
    )
    schedule = training.scheduler_for(optimizer, warmup=0, total=steps + 2)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    seconds = []
    for step in range(steps + 2):  # two warm-up steps
        started = time.perf_counter()
        generator = torch.Generator().manual_seed(step)
        optimizer_step(
            transformer,
            scheduler,
            cache,
            sizes,
            list(range(batch)),
            config=train,
            generator=generator,
            device=device,
            dtype=dtype,
            vae_scale_factor=vae_scale,
            optimizer=optimizer,
            lr_schedule=schedule,
        )
        if device == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - started)
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None
    del transformer, optimizer
    if device == "cuda":
        torch.cuda.empty_cache()
    measured = sorted(seconds[2:])
    return measured[len(measured) // 2], peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--prompt-tokens", type=int, default=128)
    args = parser.parse_args()
    if torch.cuda.is_available():
        print(
            f"{torch.cuda.get_device_name()}: full-size transformer, rank 32, 1024x1024, gradient checkpointing, bf16"
        )
        for batch in (1, 4):
            seconds, peak = step_time(
                TRANSFORMER,
                batch=batch,
                side=1024,
                latent_channels=16,
                vae_scale=8,
                prompt_tokens=args.prompt_tokens,
                steps=args.steps,
                device="cuda",
            )
            ref_s, ref_gib = REFERENCE[batch]
            print(
                f"batch {batch}: {seconds:.2f} s/step (reference {ref_s:.2f}, {100 * (seconds / ref_s - 1):+.0f} %), "
                f"peak {peak:.1f} GiB (reference {ref_gib:.1f}); 1000 steps ≈ {seconds * 1000 / 60:.0f} min"
            )
        return
    print(
        "no CUDA here: the full-size figures need a GPU host "
        "(reference, one H100: batch 1 1.14 s/step 41.6 GiB, batch 4 3.28 s/step 48.9 GiB)"
    )
    for batch in (1, 4):
        seconds, _ = step_time(
            TINY, batch=batch, side=64, latent_channels=4, vae_scale=4, prompt_tokens=16, steps=args.steps, device="cpu"
        )
        print(
            f"tiny test transformer on the CPU, batch {batch}: {1000 * seconds:.0f} ms/step "
            "(the code path, not a speed)"
        )


if __name__ == "__main__":
    main()
