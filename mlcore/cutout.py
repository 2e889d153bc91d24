"""Cut-out: make a picture's background transparent.

BiRefNet through rembg, from a local ONNX file (nothing is downloaded), keeps soft edges and the
object's natural shadow as partial alpha. Without the model, a classical matte for pictures on a
white background: threshold, flood fill from the borders, feathering (OpenCV).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

BIREFNET = "birefnet"
OPENCV_MATTE = "opencv-matte"
CUDA_PROVIDER = "CUDAExecutionProvider"
CPU_PROVIDER = "CPUExecutionProvider"


class CutoutModelMissing(RuntimeError):
    pass


@dataclass
class Cutout:
    image: Image.Image  # RGBA
    method: str


def _local_birefnet_class():
    from rembg.sessions.birefnet_general import BiRefNetSessionGeneral

    class LocalBiRefNet(BiRefNetSessionGeneral):
        """rembg's BiRefNet session, reading the ONNX file it is given instead of downloading one."""

        @classmethod
        def download_models(cls, *args, **kwargs) -> str:
            return str(kwargs["model_file"])

    return LocalBiRefNet


def session_providers(available: Sequence[str]) -> list[str]:
    """CUDA first when this onnxruntime build offers it (onnxruntime-gpu in the GPU image), CPU otherwise
    and always as the fallback."""
    if CUDA_PROVIDER in available:
        return [CUDA_PROVIDER, CPU_PROVIDER]
    return [CPU_PROVIDER]


class BiRefNetCutter:
    """One ONNX Runtime session per process (created once, reused for every picture)."""

    def __init__(self, onnx_path: str | Path):
        import onnxruntime as ort

        path = Path(onnx_path)
        if not path.is_file():
            raise CutoutModelMissing(f"the BiRefNet model file {path} does not exist (ADGENESIS_BIREFNET_ONNX)")
        providers = session_providers(ort.get_available_providers())
        if CUDA_PROVIDER in providers:
            # CUDA and cuDNN come as the nvidia-* pip packages torch installed, not on the library path.
            ort.preload_dlls()
        options = ort.SessionOptions()
        self.session = _local_birefnet_class()("birefnet-general", options, model_file=path, providers=providers)
        self.path = path
        # What the session got: onnxruntime falls back to CPU when the CUDA libraries do not load.
        self.providers: list[str] = self.session.inner_session.get_providers()

    def cut(self, image: Image.Image) -> Cutout:
        rgb = _on_white(image)
        mask = self.session.predict(rgb)[0]
        cut = rgb.convert("RGBA")
        cut.putalpha(mask)
        return Cutout(image=cut, method=BIREFNET)


def _on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, "white")
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def matte_white_background(image: Image.Image, tolerance: int = 24, feather: float = 1.5) -> Cutout:
    """Transparent background for an object on white: near-white pixels connected to the border
    become transparent; the edge is feathered so it does not look cut with scissors."""
    rgb = np.asarray(_on_white(image))
    distance = 255 - rgb.min(axis=2)  # 0 on pure white, large on colour or dark
    near_white = (distance <= tolerance).astype(np.uint8) * 255
    height, width = near_white.shape
    # A near-white ring around the picture joins every border region; one flood fill from a corner
    # then marks all near-white pixels reachable from the border. White inside the object stays.
    padded = np.pad(near_white, 1, constant_values=255)
    cv2.floodFill(padded, np.zeros((height + 4, width + 4), np.uint8), (0, 0), 128, loDiff=0, upDiff=0, flags=4)
    alpha = np.where(padded[1:-1, 1:-1] == 128, 0, 255).astype(np.uint8)
    # Soft edge: partial alpha near the object, proportional to how far a pixel is from white.
    edge = cv2.dilate(255 - alpha, np.ones((3, 3), np.uint8)) & alpha
    ramp = np.clip(distance.astype(np.float32) / max(tolerance, 1) * 255, 0, 255).astype(np.uint8)
    alpha = np.where(edge > 0, np.maximum(ramp, alpha // 2), alpha)
    if feather > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigmaX=feather)
    cut = Image.fromarray(rgb).convert("RGBA")
    cut.putalpha(Image.fromarray(alpha))
    return Cutout(image=cut, method=OPENCV_MATTE)
