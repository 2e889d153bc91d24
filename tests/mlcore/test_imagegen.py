"""Qwen-Image loading and generation, style LoRAs and the speed-up LoRA, with tiny random
components built from configs (as diffusers' own tests do); nothing is downloaded."""

import json

import numpy as np
import pytest
import torch
from django.core.management import call_command
from PIL import Image

from mlcore.imagegen import ImageGenerationFailed, ImageGenerator, ImageRequest, ModelNotConfigured, StyleLoRA
from tests.mlcore.tiny_qwen_image import build_tiny_lora, build_tiny_qwen_image

pytestmark = pytest.mark.slow
REQUEST = ImageRequest(
    prompt="a glossy 3D render of a red apple",
    negative_prompt="blurry",
    width=32,
    height=32,
    steps=2,
    true_cfg_scale=4.0,
    seed=7,
)


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qwen-image")
    build_tiny_qwen_image(folder / "model")
    build_tiny_lora(folder / "model", folder / "style.safetensors", seed=1)
    build_tiny_lora(folder / "model", folder / "lightning.safetensors", seed=2)
    return folder


@pytest.fixture(scope="module")
def generator(tiny_qwen):
    return ImageGenerator(str(tiny_qwen / "model"))


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def test_same_seed_same_picture_other_seed_other_picture(generator):
    first = generator.generate(REQUEST).image
    assert first.size == (32, 32)
    assert np.array_equal(pixels(first), pixels(generator.generate(REQUEST).image))
    other = generator.generate(ImageRequest(**{**REQUEST.__dict__, "seed": 8})).image
    assert not np.array_equal(pixels(first), pixels(other))


def test_style_lora_changes_the_picture_and_switching_does_not_reload_the_base(generator, tiny_qwen):
    transformer = generator.pipe.transformer
    base = pixels(generator.generate(REQUEST).image)
    style = StyleLoRA(name="style-a", path=str(tiny_qwen / "style.safetensors"), scale=1.0)
    styled = pixels(generator.generate(REQUEST, style).image)
    assert not np.array_equal(base, styled)
    assert np.array_equal(styled, pixels(generator.generate(REQUEST, style).image))  # reproducible with it
    assert np.array_equal(base, pixels(generator.generate(REQUEST).image))  # switched off again
    assert generator.pipe.transformer is transformer and "style-a" in generator.loaded


def test_speed_up_lora_is_combined_with_the_style(tiny_qwen):
    fast = ImageGenerator(str(tiny_qwen / "model"), lightning_lora=str(tiny_qwen / "lightning.safetensors"))
    style = StyleLoRA(name="style-a", path=str(tiny_qwen / "style.safetensors"), scale=0.5)
    made = fast.generate(ImageRequest(**{**REQUEST.__dict__, "true_cfg_scale": 1.0}), style)
    assert made.image.size == (32, 32)
    assert set(fast.pipe.get_active_adapters()) == {"lightning", "style-a"}


class TightMemory(ImageGenerator):
    """A GPU that runs out of memory above `limit` pixels a side (CPU cannot run out for real)."""

    limit = 48

    def _run(self, request):
        if request.width > self.limit:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return super()._run(request)


def test_out_of_memory_is_retried_once_smaller_then_fails_clearly(tiny_qwen):
    tight = TightMemory(str(tiny_qwen / "model"))
    made = tight.generate(ImageRequest(**{**REQUEST.__dict__, "width": 64, "height": 64}))
    assert made.retried_smaller and made.image.size == (48, 48)
    with pytest.raises(ImageGenerationFailed, match=r"out of GPU memory at 128x128 and again at 96x96"):
        tight.generate(ImageRequest(**{**REQUEST.__dict__, "width": 128, "height": 128}))


def test_blocks_are_never_compiled_on_cpu(generator):
    assert generator.compile_blocks() is False
    assert generator.status()["compiled"] is False


@pytest.fixture
def model_worker(settings):
    """An imagegen worker (not started) and a clean slate for the image model of this process."""
    import django_rq

    from banners import imaging
    from banners.worker import ModelWorker

    settings.IMAGE_SIZE, settings.IMAGE_COMPILE = 32, True
    imaging.generator.cache_clear()
    yield ModelWorker(["imagegen", "train"], connection=django_rq.get_connection("imagegen"))
    imaging.generator.cache_clear()


def test_imagegen_worker_starts_with_the_model_loaded_and_warm(model_worker, tiny_qwen, settings, caplog):
    from banners import imaging

    settings.QWEN_IMAGE_PATH = str(tiny_qwen / "model")
    with caplog.at_level("INFO", logger="banners.worker"):
        model_worker.preload_models()
    status = imaging.generator().status()
    assert status["warm_up_seconds"] > 0 and status["load_seconds"] > 0
    assert status["compiled"] is False  # ADGENESIS_IMAGE_COMPILE is on, but this is a CPU
    assert "image model loaded and warm" in caplog.text and "warm_up_seconds" in caplog.text


def test_imagegen_worker_without_a_model_starts_without_one(model_worker, settings):
    from banners import imaging

    settings.QWEN_IMAGE_PATH = ""
    model_worker.preload_models()
    assert imaging.generator.cache_info().currsize == 0


def test_missing_model_says_what_to_configure(tmp_path):
    with pytest.raises(ModelNotConfigured, match="set ADGENESIS_QWEN_IMAGE_PATH"):
        ImageGenerator("")
    with pytest.raises(ModelNotConfigured, match=r"no model_index\.json"):
        ImageGenerator(str(tmp_path))


def test_generate_image_and_models_status_commands(tiny_qwen, tmp_path, capsys, settings, db):
    out = tmp_path / "apple.png"
    call_command(
        "generate_image",
        "--model",
        str(tiny_qwen / "model"),
        "--lora",
        str(tiny_qwen / "style.safetensors"),
        "--lora-scale",
        "0.8",
        "--prompt",
        "a red apple",
        "--seed",
        "3",
        "--steps",
        "2",
        "--width",
        "32",
        "--height",
        "32",
        "--out",
        str(out),
    )
    assert Image.open(out).size == (32, 32)
    assert "2 steps" in capsys.readouterr().out
    settings.QWEN_IMAGE_PATH = str(tiny_qwen / "model")
    call_command("models_status")
    status = json.loads(capsys.readouterr().out)
    assert status["qwen_image"]["problem"] is None and status["birefnet"]["fallback"]


def test_ai_banner_end_to_end_through_imagegen_and_segment_workers(tiny_qwen, marketer, run_worker, settings):
    from banners.models import Banner, GenerationTask
    from catalog.models import BankImage, StyleAdapter
    from tests.conftest import api_client_for
    from tests.factories import campaign_make, format_make, product_make

    settings.QWEN_IMAGE_PATH = str(tiny_qwen / "model")
    StyleAdapter.objects.create(
        name="glossy-3d",
        lora_path=str(tiny_qwen / "style.safetensors"),
        scale=0.9,
        trigger_words="gl0ssy3d",
        captions=["a glossy 3D render of a cup"],
        approved=True,
    )
    format_make("square")
    campaign = campaign_make(marketer, product_make())
    api = api_client_for(marketer)
    response = api.post(
        "/api/v1/generate",
        {
            "campaign": campaign.pk,
            "format": "square",
            "image_mode": "ai",
            "image_descriptions": {"hero": "a yellow taxi"},
        },
        format="json",
    )
    assert response.status_code == 202, response.json()
    env = {
        "ADGENESIS_QWEN_IMAGE_PATH": str(tiny_qwen / "model"),
        "ADGENESIS_IMAGE_SIZE": "32",
        "ADGENESIS_IMAGE_STEPS": "2",
    }
    for queue in ("default", "imagegen", "segment", "default"):
        run_worker(queue, env=env)
    task = GenerationTask.objects.get(pk=response.json()["task_id"])
    assert task.status == "completed", task.error
    banner = Banner.objects.get(task=task)
    assert banner.image_source == "ai" and banner.png
    assert banner.picture_info["cutout"] == "opencv-matte"
    assert banner.picture_info["style"] == "glossy-3d" and banner.picture_info["prompt"].startswith("gl0ssy3d")
    assert banner.picture_info["seed"] == banner.seed
    assert banner.bank_image.source == BankImage.Source.AI and banner.bank_image.status == "pending"
    assert Image.open(banner.bank_image.file).mode == "RGBA"

    # "Regenerate picture" on an AI banner draws again on the GPU queue: same prompt, new seed.
    before = (banner.seed, banner.bank_image_id, banner.png.name)
    response = api.post(f"/api/v1/banners/{banner.pk}/regenerate", {"part": "image"}, format="json")
    assert response.status_code == 202
    for queue in ("imagegen", "segment", "default"):
        run_worker(queue, env=env)
    banner.refresh_from_db()
    assert banner.seed != before[0] and banner.bank_image_id != before[1] and banner.png.name != before[2]
    assert banner.picture_info["prompt"].startswith("gl0ssy3d") and banner.picture_info["cutout"] == "opencv-matte"


def test_ai_mode_without_a_model_is_a_400_with_the_reason(marketer, settings):
    from tests.conftest import api_client_for
    from tests.factories import campaign_make, format_make, product_make

    settings.QWEN_IMAGE_PATH = ""
    format_make("square")
    campaign = campaign_make(marketer, product_make())
    response = api_client_for(marketer).post(
        "/api/v1/generate", {"campaign": campaign.pk, "format": "square", "image_mode": "ai"}, format="json"
    )
    assert response.status_code == 400
    assert "ADGENESIS_QWEN_IMAGE_PATH" in response.json()["errors"]["image_mode"][0]
