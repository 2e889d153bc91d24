"""Draw one picture with Qwen-Image (and LoRAs) from local files: an operator's smoke test."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mlcore.imagegen import ImageGenerationFailed, ImageGenerator, ImageRequest, ModelNotConfigured, StyleLoRA


class Command(BaseCommand):
    help = (
        "Generate one image: --model DIR --prompt TEXT --out FILE.png [--lora FILE --lora-scale S] [--lightning FILE]"
    )

    def add_arguments(self, parser):
        parser.add_argument("--model", required=True, help="Qwen-Image folder in diffusers layout")
        parser.add_argument("--prompt", required=True)
        parser.add_argument("--negative-prompt", default="")
        parser.add_argument("--lora", default="", help="Style LoRA .safetensors")
        parser.add_argument("--lora-scale", type=float, default=1.0)
        parser.add_argument("--lightning", default="", help="Few-step speed-up LoRA .safetensors")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--steps", type=int, default=30)
        parser.add_argument("--true-cfg", type=float, default=4.0)
        parser.add_argument("--width", type=int, default=1024)
        parser.add_argument("--height", type=int, default=1024)
        parser.add_argument("--out", required=True)

    def handle(self, *args, **o):
        try:
            generator = ImageGenerator(o["model"], lightning_lora=o["lightning"])
            style = StyleLoRA(name="style", path=o["lora"], scale=o["lora_scale"]) if o["lora"] else None
            request = ImageRequest(
                prompt=o["prompt"],
                negative_prompt=o["negative_prompt"],
                width=o["width"],
                height=o["height"],
                steps=o["steps"],
                true_cfg_scale=o["true_cfg"],
                seed=o["seed"],
            )
            made = generator.generate(request, style)
        except (ModelNotConfigured, ImageGenerationFailed) as error:
            raise CommandError(str(error)) from None
        out = Path(o["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        made.image.save(out)
        self.stdout.write(
            f"{out}: {made.image.width}x{made.image.height}, {made.request.steps} steps, "
            f"{made.seconds:.2f} s on {generator.device} (model loaded in {generator.load_seconds:.1f} s)"
        )
