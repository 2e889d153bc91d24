"""Qwen-Image on a GPU host: the full-size transformer + VAE with random weights built from the
published config (nothing is downloaded), 1328x1328, 50 steps with true CFG and 8 steps without:
seconds per image and peak GPU memory; and a BiRefNet-sized ONNX cut-out at 1024x1024.

Without CUDA it prints only its analytic estimate (FLOPs per step from the config at the GPU's
bf16 peak), so the figure can be checked against a measured one later.

    .venv/bin/python bench/bench_qwen_image.py [--peak-tflops 989] [--prompt-tokens 256]
"""

from __future__ import annotations

import argparse
import time

# Qwen/Qwen-Image transformer/config.json and vae/config.json (published values).
TRANSFORMER = {
    "patch_size": 2,
    "in_channels": 64,
    "out_channels": 16,
    "num_layers": 60,
    "attention_head_dim": 128,
    "num_attention_heads": 24,
    "joint_attention_dim": 3584,
    "guidance_embeds": False,
    "axes_dims_rope": (16, 56, 56),
}
VAE = {
    "base_dim": 96,
    "z_dim": 16,
    "dim_mult": [1, 2, 4, 4],
    "num_res_blocks": 2,
    "attn_scales": [],
    "temperal_downsample": [False, True, True],
    "dropout": 0.0,
}
SIDE, STEPS_FULL, STEPS_FAST = 1328, 50, 8


def transformer_flops(side: int, prompt_tokens: int) -> float:
    """FLOPs of one transformer forward: per block and token, QKV + out projections (4d²) and the
    4x MLP (8d²) in both streams (2 FLOPs per multiply-add), plus joint attention 4·N²·d."""
    d = TRANSFORMER["num_attention_heads"] * TRANSFORMER["attention_head_dim"]
    image_tokens = (side // 16) ** 2
    tokens = image_tokens + prompt_tokens
    per_block = 2 * 12 * d * d * tokens + 4 * tokens * tokens * d
    return per_block * TRANSFORMER["num_layers"]


def estimate(peak_tflops: float, prompt_tokens: int) -> None:
    forward = transformer_flops(SIDE, prompt_tokens)
    print(
        f"analytic: {forward / 1e12:.0f} TFLOP per transformer forward at {SIDE}x{SIDE} "
        f"({(SIDE // 16) ** 2} image + {prompt_tokens} text tokens)"
    )
    for steps, cfg in ((STEPS_FULL, True), (STEPS_FAST, False)):
        total = forward * steps * (2 if cfg else 1)
        ideal = total / (peak_tflops * 1e12)
        print(
            f"  {steps} steps{' + CFG' if cfg else ''}: {total / 1e15:.1f} PFLOP -> {ideal:.1f} s at 100 % of "
            f"{peak_tflops:.0f} TFLOPS bf16, {ideal / 0.4:.1f} s at 40 % MFU (transformer only)"
        )


def measure(prompt_tokens: int, device: str = "cuda") -> None:
    import torch
    from diffusers import (
        AutoencoderKLQwenImage,
        FlowMatchEulerDiscreteScheduler,
        QwenImagePipeline,
        QwenImageTransformer2DModel,
    )

    dtype = torch.bfloat16
    started = time.perf_counter()
    with torch.device(device):
        transformer = QwenImageTransformer2DModel(**TRANSFORMER).to(dtype)
        vae = AutoencoderKLQwenImage(**VAE).to(dtype)
    scheduler = FlowMatchEulerDiscreteScheduler(
        shift=3.0,
        use_dynamic_shifting=True,
        base_shift=0.5,
        max_shift=0.9,
        base_image_seq_len=256,
        max_image_seq_len=8192,
    )
    pipe = QwenImagePipeline(transformer=transformer, vae=vae, scheduler=scheduler, text_encoder=None, tokenizer=None)
    pipe.set_progress_bar_config(disable=True)
    print(
        f"built random full-size transformer + VAE in {time.perf_counter() - started:.0f} s, "
        f"{sum(p.numel() for p in transformer.parameters()) / 1e9:.1f} B transformer parameters"
    )
    embeds = torch.randn(1, prompt_tokens, TRANSFORMER["joint_attention_dim"], device=device, dtype=dtype)
    mask = torch.ones(1, prompt_tokens, device=device, dtype=torch.long)
    for steps, cfg in ((2, True), (STEPS_FULL, True), (STEPS_FAST, False)):
        if device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        extra = (
            {"negative_prompt_embeds": embeds, "negative_prompt_embeds_mask": mask, "true_cfg_scale": 4.0}
            if cfg
            else {"true_cfg_scale": 1.0}
        )
        pipe(
            prompt_embeds=embeds,
            prompt_embeds_mask=mask,
            height=SIDE,
            width=SIDE,
            num_inference_steps=steps,
            generator=torch.Generator(device).manual_seed(0),
            output_type="pil",
            **extra,
        )
        seconds = time.perf_counter() - started
        if steps == 2:
            continue  # warm-up
        peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else float("nan")
        print(
            f"measured: {steps} steps{' + CFG' if cfg else ''} at {SIDE}x{SIDE}: {seconds:.1f} s per image, "
            f"peak GPU memory {peak:.1f} GiB (text encoder not included)"
        )


def cutout_bench() -> None:
    """A conv net of BiRefNet's input/output (1x3x1024x1024 → 1x1x1024x1024) and roughly its compute."""
    import tempfile

    import numpy as np
    import onnxruntime as ort
    import torch

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            layers, channels = [], 3
            for width, stride in ((64, 2), (128, 2), (256, 2), (512, 2), (512, 1), (512, 1), (256, 1)):
                layers += [torch.nn.Conv2d(channels, width, 3, stride, 1), torch.nn.ReLU()]
                channels = width
            self.body = torch.nn.Sequential(*layers)
            self.head = torch.nn.Conv2d(channels, 1, 1)

        def forward(self, x):
            return torch.nn.functional.interpolate(self.head(self.body(x)), size=x.shape[-2:], mode="bilinear")

    path = tempfile.mktemp(suffix=".onnx")
    torch.onnx.export(
        Net().eval(),
        torch.randn(1, 3, 1024, 1024),
        path,
        input_names=["input_image"],
        output_names=["logits"],
        dynamo=False,
    )
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    session = ort.InferenceSession(path, providers=providers)
    image = np.random.rand(1, 3, 1024, 1024).astype(np.float32)
    session.run(None, {"input_image": image})
    started = time.perf_counter()
    for _ in range(5):
        session.run(None, {"input_image": image})
    print(
        f"cut-out network at 1024x1024 on {session.get_providers()[0]}: "
        f"{(time.perf_counter() - started) / 5 * 1000:.0f} ms per picture"
    )


def main() -> None:
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="bf16 dense peak (H100 SXM: 989)")
    parser.add_argument("--prompt-tokens", type=int, default=256)
    args = parser.parse_args()
    estimate(args.peak_tflops, args.prompt_tokens)
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name()}")
        measure(args.prompt_tokens)
    else:
        print("no CUDA device here: the Qwen-Image figures above are the analytic estimate only")
    cutout_bench()


if __name__ == "__main__":
    main()
