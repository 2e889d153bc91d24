"""AI pictures and cut-outs as the app uses them: models loaded once per worker process,
availability in plain words, and the system check that warns when they are missing."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core import checks

from mlcore import cutout, imagegen


def ai_unavailable_reason() -> str | None:
    """None when AI pictures can be made; otherwise the one sentence the UI and the API show."""
    if settings.IMAGE_SIMULATE_SECONDS > 0:
        return None
    try:
        imagegen.check_model_dir(settings.QWEN_IMAGE_PATH)
    except imagegen.ModelNotConfigured as error:
        return str(error)
    return None


@lru_cache(maxsize=1)
def generator() -> imagegen.ImageGenerator:
    if settings.IMAGE_SIMULATE_SECONDS > 0:
        return SimulatedGenerator(settings.IMAGE_SIMULATE_SECONDS)
    return imagegen.ImageGenerator(settings.QWEN_IMAGE_PATH, lightning_lora=settings.LIGHTNING_LORA_PATH)


def generator_warm_up() -> None:
    """Load the image model, compile its transformer blocks on CUDA (ADGENESIS_IMAGE_COMPILE) and draw one
    throw-away picture, so a worker's first job is as fast as its next ones."""
    if settings.IMAGE_SIMULATE_SECONDS > 0:
        return
    model = generator()
    if settings.IMAGE_COMPILE:
        model.compile_blocks()
    model.warm_up(settings.IMAGE_SIZE)


class SimulatedGenerator:
    """For `manage.py loadtest`: holds the GPU worker for the time a picture would take, then draws a
    plain object on white, so the queue, cut-out and render steps run for real."""

    device = "simulated"

    def __init__(self, seconds: float):
        self.seconds = seconds

    def generate(self, request: imagegen.ImageRequest, style=None) -> imagegen.GeneratedImage:
        import random
        import time

        from PIL import Image, ImageDraw

        time.sleep(self.seconds)
        size = 256
        image = Image.new("RGB", (size, size), "white")
        color = tuple(random.Random(request.seed).randint(20, 200) for _ in range(3))
        ImageDraw.Draw(image).ellipse((48, 48, size - 48, size - 48), fill=color)
        return imagegen.GeneratedImage(image=image, request=request, seconds=self.seconds)

    def status(self) -> dict:
        return {"device": self.device, "seconds_per_picture": self.seconds}


@lru_cache(maxsize=1)
def birefnet() -> cutout.BiRefNetCutter:
    return cutout.BiRefNetCutter(settings.BIREFNET_ONNX)


def cut_out(image) -> cutout.Cutout:
    """BiRefNet when its ONNX file is configured, the OpenCV matte otherwise."""
    if settings.BIREFNET_ONNX:
        return birefnet().cut(image)
    return cutout.matte_white_background(image)


def models_status() -> dict:
    status = {
        "qwen_image": {
            "configured": settings.QWEN_IMAGE_PATH or None,
            "problem": ai_unavailable_reason(),
            "loaded": generator.cache_info().currsize > 0,
        },
        "lightning_lora": {"configured": settings.LIGHTNING_LORA_PATH or None},
        "birefnet": {
            "configured": settings.BIREFNET_ONNX or None,
            "fallback": None if settings.BIREFNET_ONNX else "OpenCV matte for white backgrounds",
            "providers": birefnet().providers if birefnet.cache_info().currsize > 0 else None,
        },
        "llm": {"base_url": settings.LLM_BASE_URL or None, "local_path": settings.LLM_LOCAL_PATH or None},
        "embedder": {"name": settings.EMBEDDER},
        "safety_classifier": _safety_status(),
    }
    if status["qwen_image"]["loaded"]:
        status["qwen_image"].update(generator().status())
    return status


def _safety_status() -> dict:
    from mlcore import safety_model

    model = safety_model.load_model()
    if model is None:
        return {
            "file": str(safety_model.MODEL_PATH),
            "problem": "missing: run manage.py train_safety (rules still run)",
        }
    return {
        "file": str(safety_model.MODEL_PATH),
        "threshold": round(model.threshold, 3),
        "data": model.meta.get("data"),
    }


@checks.register()
def check_models(app_configs=None, **kwargs):
    messages = []
    reason = ai_unavailable_reason()
    if reason:
        messages.append(checks.Warning(reason, hint="Marketers can still use bank pictures.", id="adgenesis.W001"))
    if settings.BIREFNET_ONNX and not Path(settings.BIREFNET_ONNX).is_file():
        messages.append(
            checks.Warning(
                f"ADGENESIS_BIREFNET_ONNX={settings.BIREFNET_ONNX} does not exist",
                hint="Cut-outs will use the OpenCV matte.",
                id="adgenesis.W002",
            )
        )
    from mlcore import safety_model

    if not safety_model.MODEL_PATH.is_file():
        messages.append(
            checks.Warning(
                f"the safety classifier {safety_model.MODEL_PATH} is missing",
                hint="Run manage.py train_safety; until then the safety gate runs its rules only.",
                id="adgenesis.W003",
            )
        )
    return messages
