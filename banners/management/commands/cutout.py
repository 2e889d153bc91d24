"""Make a picture's background transparent: BiRefNet from a local ONNX file, or the OpenCV matte."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from PIL import Image, UnidentifiedImageError

from mlcore.cutout import BiRefNetCutter, CutoutModelMissing, matte_white_background


class Command(BaseCommand):
    help = "Cut out IN.png to OUT.png (RGBA). --onnx FILE uses BiRefNet; without a model, the OpenCV matte."

    def add_arguments(self, parser):
        parser.add_argument("--onnx", default=None, help="Default: ADGENESIS_BIREFNET_ONNX")
        parser.add_argument("source")
        parser.add_argument("target")

    def handle(self, *args, onnx, source, target, **options):
        try:
            image = Image.open(source)
            image.load()
        except (OSError, UnidentifiedImageError) as error:
            raise CommandError(f"{source}: not a picture ({error})") from None
        model = onnx if onnx is not None else settings.BIREFNET_ONNX
        try:
            cut = BiRefNetCutter(model).cut(image) if model else matte_white_background(image)
        except CutoutModelMissing as error:
            raise CommandError(str(error)) from None
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        cut.image.save(target)
        self.stdout.write(f"{target}: {cut.image.width}x{cut.image.height}, method {cut.method}")
