"""The style LoRA's data set from the bank, to look at or to train on later (`train_style_lora --data`)."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog import training


class Command(BaseCommand):
    help = (
        "Write the bank's approved pictures without text, logo or currency sign (and not too busy), resized into "
        "resolution buckets with their English captions, and manifest.json with every file's sha256: --out DIR"
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True)
        parser.add_argument("--resolution", type=int, default=1024)
        parser.add_argument("--limit", type=int, default=0, help="at most this many pictures (0: all)")

    def handle(self, *args, out: str, resolution: int, limit: int, **options):
        if resolution < 32:
            raise CommandError("--resolution must be at least 32")
        try:
            manifest = training.style_dataset_build(out=Path(out), resolution=resolution, limit=limit)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        data = json.loads(manifest.read_text())
        buckets = sorted({f"{i['width']}x{i['height']}" for i in data["items"]})
        self.stdout.write(
            f"{len(data['items'])} pictures in {len(buckets)} bucket(s) ({', '.join(buckets)}): {manifest}"
        )
