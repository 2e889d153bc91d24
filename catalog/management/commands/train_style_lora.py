"""Train a style LoRA for Qwen-Image on the bank's approved pictures, or a sweep of four (seed 003)."""

import logging
from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog import training
from catalog.models import BrandKit
from mlcore.train_style import StyleTrainConfig
from mlcore.training import TrainingError


class Command(BaseCommand):
    help = (
        "Train a style LoRA: --base DIR (Qwen-Image, diffusers layout) --name NAME --out DIR [--data MANIFEST]. "
        "--sweep trains four configurations and draws the validation descriptions with each, for designers to "
        "rank in admin. Adapters are registered, never approved automatically."
    )

    def add_arguments(self, parser):
        d = StyleTrainConfig()
        parser.add_argument("--base", required=True)
        parser.add_argument("--name", required=True, help="the adapter's name (a sweep's candidates get -1 … -4)")
        parser.add_argument("--out", required=True)
        parser.add_argument("--data", default="", help="a manifest.json; default: built from the bank under --out")
        parser.add_argument("--rank", type=int, default=d.rank)
        parser.add_argument("--alpha", type=int, default=d.alpha)
        parser.add_argument("--lr", type=float, default=d.lr)
        parser.add_argument("--batch", type=int, default=d.batch_size)
        parser.add_argument("--grad-accum", type=int, default=d.grad_accum)
        parser.add_argument("--steps", type=int, default=d.steps)
        parser.add_argument("--resolution", type=int, default=d.resolution)
        parser.add_argument("--seed", type=int, default=d.seed)
        parser.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
        parser.add_argument("--trigger", default="", help="a word put before every caption")
        parser.add_argument("--brand", default="", help="a brand kit's name: the adapter is that brand's style")
        parser.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
        parser.add_argument(
            "--sweep", action="store_true", help="four configurations, then 20 validation pictures each"
        )
        parser.add_argument("--draw-steps", type=int, default=30, help="denoising steps of the sweep's pictures")
        parser.add_argument("--enqueue", action="store_true", help="run as a job on the `train` queue (a GPU worker)")

    def handle(self, *args, **o):
        logging.getLogger("mlcore").setLevel(logging.INFO)
        numbers = ("rank", "alpha", "batch", "grad_accum", "steps", "resolution", "checkpoint_every", "draw_steps")
        for key in numbers:
            if o[key] < 1:
                raise CommandError(f"--{key.replace('_', '-')} must be at least 1")
        if o["lr"] <= 0:
            raise CommandError("--lr must be above 0")
        config = StyleTrainConfig(
            steps=o["steps"],
            batch_size=o["batch"],
            grad_accum=o["grad_accum"],
            lr=o["lr"],
            rank=o["rank"],
            alpha=o["alpha"],
            resolution=o["resolution"],
            seed=o["seed"],
            checkpoint_every=o["checkpoint_every"],
            trigger=o["trigger"],
        )
        if o["brand"] and not BrandKit.objects.filter(name=o["brand"]).exists():
            raise CommandError(f"--brand {o['brand']}: no such brand kit")
        options = {
            "name": o["name"],
            "base": o["base"],
            "out": o["out"],
            "data": o["data"],
            "config": asdict(config),
            "resume": o["resume"],
            "sweep": o["sweep"],
            "draw_steps": o["draw_steps"],
            "brand": o["brand"],
        }
        if o["enqueue"]:
            job = training.style_training_enqueue(options=options)
            self.stdout.write(f"queued on `train` as job {job.id}: the adapter's admin page shows its progress")
            return
        try:
            adapters = training.style_training_run(**options, progress=lambda p: self.stdout.write(p.line()))
        except (TrainingError, ValidationError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from error
        for adapter in adapters:
            losses = adapter.losses
            self.stdout.write(
                f"{adapter.name}: loss {losses[0]:.4f} → {losses[-1]:.4f} over {len(losses)} steps, "
                f"{adapter.lora_path}; not approved: a designer approves it in admin"
            )
        if o["sweep"]:
            self.stdout.write(
                f"{len(adapters)} candidates drew the validation set: rank them in admin (Style adapters → vote)"
            )
