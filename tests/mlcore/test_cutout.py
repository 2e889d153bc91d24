"""Cut-out through rembg with a tiny ONNX model of BiRefNet's input/output shape, and the OpenCV matte."""

import numpy as np
import onnx
import pytest
from django.core.management import call_command
from onnx import TensorProto, helper
from PIL import Image, ImageDraw

from mlcore.cutout import (
    BIREFNET,
    OPENCV_MATTE,
    BiRefNetCutter,
    CutoutModelMissing,
    matte_white_background,
    session_providers,
)


@pytest.fixture(scope="module")
def tiny_birefnet(tmp_path_factory):
    """(1,3,1024,1024) normalized image → (1,1,1024,1024) logits: dark pixels are foreground."""
    path = tmp_path_factory.mktemp("birefnet") / "birefnet-tiny.onnx"
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["input_image", "axes"], ["mean"], keepdims=1),
            helper.make_node("Sub", ["threshold", "mean"], ["centred"]),
            helper.make_node("Mul", ["centred", "scale"], ["logits"]),
        ],
        "tiny_birefnet",
        [helper.make_tensor_value_info("input_image", TensorProto.FLOAT, [1, 3, 1024, 1024])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1, 1024, 1024])],
        initializer=[
            helper.make_tensor("axes", TensorProto.INT64, [1], [1]),
            helper.make_tensor("threshold", TensorProto.FLOAT, [], [1.0]),
            helper.make_tensor("scale", TensorProto.FLOAT, [], [8.0]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def _object_on_white(size=256) -> Image.Image:
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    draw.ellipse((64, 64, 192, 192), fill=(40, 60, 160))
    draw.rectangle((120, 120, 136, 136), fill="white")  # white inside the object stays opaque
    return image


def test_birefnet_onnx_through_rembg_gives_a_soft_alpha(tiny_birefnet):
    cutter = BiRefNetCutter(tiny_birefnet)
    cut = cutter.cut(_object_on_white())
    assert cutter.providers[-1] == "CPUExecutionProvider"  # CUDA before it where onnxruntime-gpu has it
    alpha = np.asarray(cut.image.getchannel("A"))
    assert cut.method == BIREFNET and cut.image.mode == "RGBA"
    assert alpha[10, 10] < 20 and alpha[100, 100] > 235
    assert len(np.unique(alpha)) > 10  # soft, not a hard 0/255 mask


def test_birefnet_asks_for_cuda_first_when_onnxruntime_offers_it():
    available = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert session_providers(available) == ["CUDAExecutionProvider", "CPUExecutionProvider"]


def test_birefnet_runs_on_cpu_when_onnxruntime_has_no_cuda():
    assert session_providers(["AzureExecutionProvider", "CPUExecutionProvider"]) == ["CPUExecutionProvider"]


def test_models_status_says_which_provider_birefnet_got(tiny_birefnet, settings):
    from banners import imaging

    settings.BIREFNET_ONNX = str(tiny_birefnet)
    imaging.birefnet.cache_clear()
    try:
        assert imaging.models_status()["birefnet"]["providers"] is None  # not loaded in this process yet
        cutter = imaging.birefnet()
        assert imaging.models_status()["birefnet"]["providers"] == cutter.providers
    finally:
        imaging.birefnet.cache_clear()


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(CutoutModelMissing, match="does not exist"):
        BiRefNetCutter(tmp_path / "nope.onnx")


def test_opencv_matte_on_white_background():
    cut = matte_white_background(_object_on_white())
    alpha = np.asarray(cut.image.getchannel("A")).astype(int)
    assert cut.method == OPENCV_MATTE
    assert alpha[:20, :].max() < 10 and alpha[-20:, :].max() < 10  # ≈ 0 outside
    assert alpha[90:110, 90:110].min() > 245  # ≈ 1 inside
    assert alpha[128, 128] > 245  # the white hole is not connected to the border
    assert 0 < alpha[128, 64 - 1 : 64 + 2].mean() < 255  # feathered edge


def test_cutout_command_uses_birefnet_or_the_matte(tiny_birefnet, tmp_path, capsys):
    source = tmp_path / "in.png"
    _object_on_white().save(source)
    call_command("cutout", "--onnx", str(tiny_birefnet), str(source), str(tmp_path / "a.png"))
    call_command("cutout", "--onnx", "", str(source), str(tmp_path / "b.png"))
    out = capsys.readouterr().out
    assert "method birefnet" in out and "method opencv-matte" in out
    assert Image.open(tmp_path / "a.png").mode == "RGBA"


def test_a_segment_worker_starts_with_birefnet_loaded_and_warm(tiny_birefnet, run_worker):
    result = run_worker(
        "segment", env={"ADGENESIS_BIREFNET_ONNX": str(tiny_birefnet), "ADGENESIS_WORKER_PRELOAD": "true"}
    )
    log = result.stdout + result.stderr
    assert "BiRefNet loaded and warm from" in log and "CPUExecutionProvider" in log, log[-2000:]
