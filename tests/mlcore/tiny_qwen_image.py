"""A tiny, random-weight Qwen-Image pipeline and LoRA, built locally for tests.

Nothing may be downloaded in tests, so, as diffusers' own pipeline tests do, every component is built
here from a small config (the sizes follow ``get_dummy_components`` in diffusers'
``tests/pipelines/qwenimage/test_qwenimage.py``) and saved in the diffusers folder layout, so that the
production path (``QwenImagePipeline.from_pretrained`` + ``load_lora_weights`` + ``set_adapters``)
runs on CPU in about a second per image. Its images are noise: only shapes, determinism and the
LoRA's effect mean anything.

The tokenizer is a byte-level BPE trained here with ``tokenizers`` on the pipeline's prompt template,
wrapped as a ``Qwen2Tokenizer``: any text tokenizes (bytes at worst) and the template's prefix is 34
tokens, as with the real Qwen tokenizer, so the pipeline's ``prompt_template_encode_start_idx`` drops
exactly that prefix.

Run this file to build both into a temporary folder and check them.
"""

from __future__ import annotations

import json
import pathlib

import torch
from diffusers import (
    AutoencoderKLQwenImage,
    FlowMatchEulerDiscreteScheduler,
    QwenImagePipeline,
    QwenImageTransformer2DModel,
)
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2Tokenizer

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
VOCAB_SIZE = 512  # text encoder embedding rows; the tokenizer has about 400 tokens
HIDDEN = 16  # text encoder hidden size == transformer joint_attention_dim
TRAINING_TEXT = [
    "system\nDescribe the image by detailing the color, shape, size, texture, quantity, text, "
    "spatial relationships of the objects and background:\nuser\nassistant\n",
    "a red apple on a white background, a photo of a cat with blue sky and green grass in style",
]
LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]


def _tokenizer() -> Qwen2Tokenizer:
    """A byte-level BPE over the Qwen pre-tokenizer, trained on a few lines, as a Qwen2Tokenizer."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = Qwen2Tokenizer().backend_tokenizer.pre_tokenizer  # Qwen's regex split + byte level
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(TRAINING_TEXT, trainer=trainer)
    merges = [tuple(pair) for pair in json.loads(bpe.to_str())["model"]["merges"]]
    tokenizer = Qwen2Tokenizer(vocab=bpe.get_vocab(), merges=merges)
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS[1:]})
    return tokenizer


def _text_encoder(tokenizer: Qwen2Tokenizer) -> Qwen2_5_VLForConditionalGeneration:
    ids = tokenizer.convert_tokens_to_ids
    config = Qwen2_5_VLConfig(
        text_config={
            "vocab_size": VOCAB_SIZE,
            "hidden_size": HIDDEN,
            "intermediate_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            "rope_theta": 1000000.0,
            "bos_token_id": ids("<|endoftext|>"),
            "eos_token_id": ids("<|im_end|>"),
            "pad_token_id": ids("<|endoftext|>"),
        },
        vision_config={"depth": 2, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2, "out_hidden_size": 16},
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
    )
    return Qwen2_5_VLForConditionalGeneration(config).eval()


def build_tiny_qwen_image(folder: pathlib.Path) -> pathlib.Path:
    """Save a tiny random QwenImagePipeline (under 3 MB) to ``folder``; the same weights every time."""
    torch.manual_seed(0)
    transformer = QwenImageTransformer2DModel(
        patch_size=2,
        in_channels=16,  # 4 latent channels packed 2x2
        out_channels=4,
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=3,
        joint_attention_dim=HIDDEN,
        guidance_embeds=False,
        axes_dims_rope=(8, 4, 4),  # sums to attention_head_dim
    )
    torch.manual_seed(0)
    vae = AutoencoderKLQwenImage(
        base_dim=8,
        z_dim=4,
        dim_mult=[1, 2, 4],
        num_res_blocks=1,
        temperal_downsample=[False, True],  # 2 spatial downsamples: vae_scale_factor 4
        latents_mean=[0.0] * 4,
        latents_std=[1.0] * 4,
    )
    tokenizer = _tokenizer()
    torch.manual_seed(0)
    pipe = QwenImagePipeline(
        transformer=transformer,
        vae=vae,
        text_encoder=_text_encoder(tokenizer),
        tokenizer=tokenizer,
        scheduler=FlowMatchEulerDiscreteScheduler(),
    )
    pipe.save_pretrained(folder)
    return folder


def build_tiny_lora(pipeline_folder: pathlib.Path, out_file: pathlib.Path, seed: int = 1) -> pathlib.Path:
    """Save a random rank-4 LoRA on the tiny transformer's image-stream attention to ``out_file``
    (diffusers' ``transformer.*.lora_A/lora_B.weight`` keys, as ``save_lora_weights`` writes them)."""
    transformer = QwenImageTransformer2DModel.from_pretrained(pipeline_folder / "transformer")
    config = LoraConfig(r=4, lora_alpha=4, target_modules=LORA_TARGETS, init_lora_weights=False)
    torch.manual_seed(seed)
    transformer.add_adapter(config)  # init_lora_weights=False: lora_B random too, so the LoRA is not a no-op
    QwenImagePipeline.save_lora_weights(
        out_file.parent,
        transformer_lora_layers=get_peft_model_state_dict(transformer),
        weight_name=out_file.name,
        transformer_lora_adapter_metadata={**config.to_dict(), "target_modules": sorted(LORA_TARGETS)},  # not a set
    )
    return out_file


if __name__ == "__main__":
    import socket
    import tempfile
    import time

    import numpy as np

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted")

    socket.socket.connect = no_network  # type: ignore[method-assign]
    torch.set_num_threads(min(2, torch.get_num_threads()))
    results: dict[str, bool] = {}

    def generate(pipe: QwenImagePipeline, **extra: object) -> np.ndarray:
        kwargs = {"prompt": "a red apple on a white background", "height": 32, "width": 32, **extra}
        kwargs.setdefault("true_cfg_scale", 1.0)
        generator = torch.Generator("cpu").manual_seed(0)
        image = pipe(**kwargs, num_inference_steps=2, generator=generator, output_type="pil").images[0]
        return np.asarray(image).astype(int)

    def same(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.abs(a - b).max() <= 1)

    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        start = time.perf_counter()
        folder = build_tiny_qwen_image(root / "tiny-qwen-image")
        built = time.perf_counter()
        pipe = QwenImagePipeline.from_pretrained(str(folder), dtype=torch.float32)
        pipe.set_progress_bar_config(disable=True)
        loaded = time.perf_counter()
        base = generate(pipe)
        done = time.perf_counter()
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        print(f"build {built - start:.2f}s, load {loaded - built:.2f}s, generate {done - loaded:.2f}s")
        print(f"folder {size / 1e6:.2f} MB, image {base.shape}")
        results["same seed, same pixels"] = np.array_equal(base, generate(pipe))
        cfg = generate(pipe, negative_prompt="blurry", true_cfg_scale=4.0)
        results["true_cfg_scale=4 with a negative prompt runs"] = cfg.shape == base.shape

        start = time.perf_counter()
        lora = build_tiny_lora(folder, root / "loras" / "style.safetensors")
        pipe.load_lora_weights(str(lora), adapter_name="style")
        print(f"lora {lora.stat().st_size / 1e3:.1f} kB, build + load {time.perf_counter() - start:.2f}s")
        pipe.set_adapters(["style"], adapter_weights=[1.0])
        styled = generate(pipe)
        results["LoRA at 1.0 changes pixels"] = not same(base, styled)
        results["LoRA at 1.0 is deterministic"] = np.array_equal(styled, generate(pipe))
        pipe.set_adapters(["style"], adapter_weights=[0.0])
        results["LoRA at 0.0 gives the base pixels"] = same(base, generate(pipe))
        pipe.set_adapters(["style"], adapter_weights=[1.0])
        pipe.disable_lora()
        results["disable_lora gives the base pixels"] = same(base, generate(pipe))
        pipe.enable_lora()
        pipe.fuse_lora(lora_scale=1.0)
        results["fuse_lora gives the LoRA pixels"] = same(styled, generate(pipe))
        pipe.unfuse_lora()
        pipe.unload_lora_weights()
        results["unfuse + unload gives the base pixels"] = same(base, generate(pipe))

    for name, ok in results.items():
        print(f"{'ok  ' if ok else 'FAIL'} {name}")
    raise SystemExit(0 if all(results.values()) else 1)
