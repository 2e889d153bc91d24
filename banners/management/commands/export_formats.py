"""Export formats from the database as preset JSON files."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from banners.models import Format
from banners.services import format_export


class Command(BaseCommand):
    help = "Write every format (or those named) as <slug>.json into a folder."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="Folder to write the JSON files into")
        parser.add_argument("slugs", nargs="*", help="Only these formats")

    def handle(self, *args, out: str, slugs: list[str], **options):
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        formats = Format.objects.filter(slug__in=slugs) if slugs else Format.objects.all()
        for fmt in formats:
            path = folder / f"{fmt.slug}.json"
            path.write_text(json.dumps(format_export(fmt=fmt), indent=2, ensure_ascii=False) + "\n")
            self.stdout.write(str(path))
