"""Approved banners as training data: copy pairs (the brief → the approved texts) or seed 000's
design pairs (the ad → the design spec), one JSON object a line."""

import json
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand

from banners.training import KINDS, training_records


class Command(BaseCommand):
    help = "Write approved banners as training pairs: --kind copy|design --out FILE.jsonl"

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=KINDS, required=True)
        parser.add_argument("--out", required=True, help="JSONL file to write")

    def handle(self, *args, kind: str, out: str, **options):
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        counts = Counter()
        with path.open("w", encoding="utf-8") as file:
            for record in training_records(kind=kind):
                file.write(json.dumps(record, ensure_ascii=False) + "\n")
                counts[(record["split"], record["lang"])] += 1
        total = sum(counts.values())
        if not total:
            self.stdout.write(self.style.WARNING("no approved banners with texts: approve some in admin first"))
        summary = ", ".join(f"{split} {lang}: {n}" for (split, lang), n in sorted(counts.items()))
        self.stdout.write(f"wrote {total} {kind} records to {path}" + (f" ({summary})" if summary else ""))
