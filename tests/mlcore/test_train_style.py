"""The style LoRA trainer on a tiny random Qwen-Image built here: buckets and manifest checks, the
loss falls, the adapter loads through the app's generator and changes its pictures, and --resume
repeats an uninterrupted run's losses."""

import json

import numpy as np
import pytest
from PIL import Image

from mlcore.imagegen import ImageGenerator, ImageRequest, StyleLoRA
from mlcore.train_style import StyleTrainConfig, bucket_for, style_manifest_write, train_style_lora
from mlcore.training import TrainingError
from tests.mlcore.tiny_qwen_image import build_tiny_qwen_image

pytestmark = pytest.mark.slow

CONFIG = StyleTrainConfig(
    steps=30, batch_size=2, grad_accum=2, lr=3e-2, rank=8, alpha=8, resolution=64, checkpoint_every=10
)


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    return build_tiny_qwen_image(tmp_path_factory.mktemp("tiny-qwen"))


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    folder = tmp_path_factory.mktemp("style-data")
    rng = np.random.default_rng(0)
    items = []
    for index, (w, h) in enumerate([(200, 200), (300, 200), (230, 400), (240, 240), (400, 230), (220, 220)]):
        pixels = np.zeros((h, w, 3), dtype=np.uint8)
        pixels[..., index % 3] = 200  # flat colours with a stripe: a "style" the tiny model can pick up
        pixels[h // 3 : h // 2] = rng.integers(0, 255, 3)
        Image.fromarray(pixels).save(folder / f"source-{index}.png")
        items.append(
            {"path": str(folder / f"source-{index}.png"), "caption": f"a flat picture number {index}", "id": index}
        )
    return style_manifest_write(items, folder / "dataset", resolution=64)


def test_buckets_keep_the_aspect_ratio_and_sides_divisible():
    assert bucket_for(1000, 1000, 1024) == (1024, 1024)
    assert bucket_for(1600, 900, 1024) == (1376, 768)
    w, h = bucket_for(600, 800, 1024)
    assert w < h and w % 32 == 0 and h % 32 == 0 and abs(w * h - 1024**2) / 1024**2 < 0.05


def test_manifest_lists_hashes_and_a_changed_picture_stops_training(manifest, tiny_qwen, tmp_path):
    data = json.loads(manifest.read_text())
    assert len(data["items"]) == 6 and len(data["sha256"]) == 64
    sizes = {(i["width"], i["height"]) for i in data["items"]}
    assert (64, 64) in sizes and any(w > h for w, h in sizes) and any(w < h for w, h in sizes)
    assert all(Image.open(manifest.parent / i["file"]).size == (i["width"], i["height"]) for i in data["items"])
    copy = tmp_path / "dataset"
    copy.mkdir()
    (copy / "images").mkdir()
    for item in data["items"]:
        (copy / item["file"]).write_bytes((manifest.parent / item["file"]).read_bytes())
    (copy / "manifest.json").write_text(manifest.read_text())
    Image.new("RGB", (64, 64), "red").save(copy / data["items"][0]["file"])
    with pytest.raises(TrainingError, match="changed since the manifest was written"):
        train_style_lora(base=tiny_qwen, manifest=copy / "manifest.json", out=tmp_path / "out", config=CONFIG)


def test_loss_falls_and_the_adapter_changes_the_generators_pictures(tiny_qwen, manifest, tmp_path):
    result = train_style_lora(base=tiny_qwen, manifest=manifest, out=tmp_path / "style", config=CONFIG)
    assert np.mean(result.losses[-8:]) < np.mean(result.losses[:8]) - 0.1, result.losses
    report = json.loads((tmp_path / "style" / "training.json").read_text())
    assert report["pictures"] == 6 and report["losses"] == result.losses and report["peak_memory_gib"] is None
    generator = ImageGenerator(str(tiny_qwen))
    request = ImageRequest(prompt="a flat picture", width=64, height=64, steps=2, seed=3)
    plain = np.asarray(generator.generate(request).image, dtype=float)
    styled = np.asarray(generator.generate(request, StyleLoRA("trained", str(result.lora_file))).image, dtype=float)
    assert np.abs(plain - styled).mean() > 0.5


def test_resume_continues_with_the_losses_of_an_uninterrupted_run(tiny_qwen, manifest, tmp_path):
    config = StyleTrainConfig(**{**CONFIG.__dict__, "steps": 12, "checkpoint_every": 4})
    whole = train_style_lora(base=tiny_qwen, manifest=manifest, out=tmp_path / "whole", config=config).losses

    class Killed(Exception):
        pass

    def kill_at_step_7(progress):
        if progress.step == 7:
            raise Killed

    with pytest.raises(Killed):
        train_style_lora(
            base=tiny_qwen, manifest=manifest, out=tmp_path / "part", config=config, progress=kill_at_step_7
        )
    resumed = train_style_lora(base=tiny_qwen, manifest=manifest, out=tmp_path / "part", config=config, resume=True)
    assert resumed.resumed_from == 4
    assert resumed.losses == pytest.approx(whole, rel=1e-5, abs=1e-6)


def test_a_plain_list_of_pictures_and_captions_is_bucketed_first(tiny_qwen, manifest, tmp_path):
    data = json.loads(manifest.read_text())
    listing = tmp_path / "pictures.jsonl"
    listing.write_text(
        "".join(
            json.dumps({"image": str(manifest.parent / i["file"]), "text": i["caption"]}) + "\n" for i in data["items"]
        )
    )
    config = StyleTrainConfig(**{**CONFIG.__dict__, "steps": 2})
    result = train_style_lora(base=tiny_qwen, manifest=listing, out=tmp_path / "out", config=config)
    assert len(result.losses) == 2 and (tmp_path / "out" / "dataset" / "manifest.json").is_file()
    listing.write_text(json.dumps([{"image": "missing.png", "caption": "x"}]))
    with pytest.raises(TrainingError, match=r"picture 1: .*missing\.png does not exist"):
        train_style_lora(base=tiny_qwen, manifest=listing, out=tmp_path / "bad", config=config)
