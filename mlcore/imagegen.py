"""AI pictures with Qwen-Image (diffusers) and style LoRAs (peft), loaded once per worker process.

`ImageGenerator(model_dir)` reads a local folder in diffusers layout (bf16 on CUDA, float32 on
CPU). Style adapters are loaded on first use and switched with `set_adapters`, so changing style
between jobs never reloads the base model. An optional few-step "lightning" LoRA is combined
with the style adapter. CUDA out-of-memory is retried once at a lower resolution.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

SIDE_MULTIPLE = 16  # VAE downsampling (8) x transformer patch size (2)
WARM_UP_SIDE = 256  # the warm-up picture's side when the blocks are not compiled
LIGHTNING = "lightning"


class ModelNotConfigured(RuntimeError):
    """The image model is missing: the sentence says what to configure."""


class ImageGenerationFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class StyleLoRA:
    name: str
    path: str
    scale: float = 1.0
    trigger_words: str = ""


@dataclass(frozen=True)
class ImageRequest:
    prompt: str
    negative_prompt: str = ""
    width: int = 1024
    height: int = 1024
    steps: int = 30
    true_cfg_scale: float = 4.0
    seed: int = 0

    def smaller(self, factor: float = 0.75) -> ImageRequest:
        def side(value: int) -> int:
            return max(SIDE_MULTIPLE, int(value * factor) // SIDE_MULTIPLE * SIDE_MULTIPLE)

        return replace(self, width=side(self.width), height=side(self.height))


@dataclass
class GeneratedImage:
    image: Image.Image
    request: ImageRequest
    seconds: float
    retried_smaller: bool = False


def check_model_dir(path: str) -> Path:
    """The model folder, or ModelNotConfigured saying exactly what is wrong."""
    if not path:
        raise ModelNotConfigured(
            "AI pictures are off: set ADGENESIS_QWEN_IMAGE_PATH to a local Qwen-Image folder (diffusers layout)."
        )
    folder = Path(path)
    if not (folder / "model_index.json").is_file():
        raise ModelNotConfigured(
            f"AI pictures are off: ADGENESIS_QWEN_IMAGE_PATH={path} has no model_index.json "
            "(it must be a Qwen-Image folder in diffusers layout)."
        )
    return folder


def snap(side: int) -> int:
    return max(SIDE_MULTIPLE, round(side / SIDE_MULTIPLE) * SIDE_MULTIPLE)


class ImageGenerator:
    def __init__(self, model_dir: str, *, device: str | None = None, lightning_lora: str = ""):
        import torch
        from diffusers import QwenImagePipeline

        folder = check_model_dir(model_dir)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.dtype = torch.bfloat16 if self.device == "cuda" else torch.float32
        started = time.perf_counter()
        self.pipe = QwenImagePipeline.from_pretrained(str(folder), dtype=self.dtype, local_files_only=True)
        self.pipe.to(self.device)
        self.pipe.set_progress_bar_config(disable=True)
        self.load_seconds = time.perf_counter() - started
        self.model_dir = str(folder)
        self.lightning = bool(lightning_lora)
        self.loaded: dict[str, str] = {}  # adapter name → file
        self.lock = threading.Lock()
        self.compiled = False
        self.warm_up_seconds: float | None = None
        if lightning_lora:
            self._load_adapter(LIGHTNING, lightning_lora)

    def compile_blocks(self) -> bool:
        """Regional torch.compile of the transformer's repeated blocks (one compile serves all of them, so
        it takes seconds, not minutes), on CUDA only; True when compiled. The blocks compile on the next
        picture: call `warm_up` next.

        Each new set of LoRA adapters (a style, its scale) recompiles the blocks on its first picture, until
        torch's recompile limit; after that new sets run eager. Not `fullgraph=True`: there, reaching the
        limit fails the picture (FailOnRecompileLimitHit) instead of running it eager."""
        if self.device != "cuda":
            return False
        self.pipe.transformer.compile_repeated_blocks()
        self.compiled = True
        return True

    def warm_up(self, side: int) -> float:
        """Draw one throw-away picture so the first real job does not pay for CUDA start-up and compilation;
        the seconds it took. `side` is the size real pictures have: compiled blocks specialise to the shapes
        they see first, and a negative prompt of another length than the prompt makes the text length dynamic."""
        if not self.compiled:
            side = min(side, WARM_UP_SIDE)  # nothing depends on the shape: a small picture warms up as well
        request = ImageRequest(
            prompt="a white cup on a wooden table, soft daylight, studio photo",
            negative_prompt="blurry",
            width=side,
            height=side,
            steps=1,
            true_cfg_scale=4.0,
        )
        started = time.perf_counter()
        self.generate(request)
        self.warm_up_seconds = time.perf_counter() - started
        return self.warm_up_seconds

    def _load_adapter(self, name: str, path: str) -> None:
        if not Path(path).is_file():
            raise ModelNotConfigured(f"the LoRA file {path} does not exist")
        if self.loaded.get(name) == path:
            return
        if name in self.loaded:
            self.pipe.delete_adapters(name)
        self.pipe.load_lora_weights(path, adapter_name=name)
        self.loaded[name] = path

    def _activate(self, style: StyleLoRA | None) -> None:
        names, weights = [], []
        if self.lightning:
            names.append(LIGHTNING)
            weights.append(1.0)
        if style is not None:
            self._load_adapter(style.name, style.path)
            names.append(style.name)
            weights.append(style.scale)
        if names:
            self.pipe.enable_lora()
            self.pipe.set_adapters(names, adapter_weights=weights)
        elif self.loaded:
            self.pipe.disable_lora()

    def _run(self, request: ImageRequest) -> Image.Image:
        import torch

        generator = torch.Generator(device="cpu").manual_seed(request.seed)
        kwargs = {}
        if request.true_cfg_scale > 1 and request.negative_prompt:
            kwargs["negative_prompt"] = request.negative_prompt
        result = self.pipe(
            prompt=request.prompt,
            width=snap(request.width),
            height=snap(request.height),
            num_inference_steps=request.steps,
            true_cfg_scale=request.true_cfg_scale,
            generator=generator,
            output_type="pil",
            **kwargs,
        )
        return result.images[0]

    def generate(self, request: ImageRequest, style: StyleLoRA | None = None) -> GeneratedImage:
        """One picture; same request + seed + adapter → same pixels."""
        import torch

        with self.lock:
            self._activate(style)
            started = time.perf_counter()
            try:
                return GeneratedImage(self._run(request), request, time.perf_counter() - started)
            except torch.OutOfMemoryError:
                self._free_memory()
            smaller = request.smaller()
            try:
                image = self._run(smaller)
            except torch.OutOfMemoryError:
                self._free_memory()
                raise ImageGenerationFailed(
                    f"out of GPU memory at {request.width}x{request.height} and again at "
                    f"{smaller.width}x{smaller.height}"
                ) from None
            return GeneratedImage(image, smaller, time.perf_counter() - started, retried_smaller=True)

    @staticmethod
    def _free_memory() -> None:
        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def status(self) -> dict:
        import torch

        info = {
            "model": self.model_dir,
            "device": self.device,
            "dtype": str(self.dtype).replace("torch.", ""),
            "adapters": sorted(self.loaded),
            "load_seconds": round(self.load_seconds, 2),
            "compiled": self.compiled,
            "warm_up_seconds": None if self.warm_up_seconds is None else round(self.warm_up_seconds, 2),
        }
        if self.device == "cuda":
            info["gpu_memory_gb"] = round(torch.cuda.memory_allocated() / 2**30, 2)
        else:
            info["parameters_millions"] = round(
                sum(
                    p.numel()
                    for c in (self.pipe.transformer, self.pipe.vae, self.pipe.text_encoder)
                    for p in c.parameters()
                )
                / 1e6,
                1,
            )
        return info
