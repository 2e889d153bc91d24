"""Import format presets from JSON files (default: banners/formats/*.json)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from banners.services import format_import


class Command(BaseCommand):
    help = "Create or update formats from preset JSON files; a broken file is refused with the wrong field."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="JSON files or folders (default: banners/formats)")

    def handle(self, *args, paths: list[str], **options):
        files: list[Path] = []
        for raw in paths or [str(settings.BASE_DIR / "banners" / "formats")]:
            path = Path(raw)
            files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
        with transaction.atomic():
            for path in files:
                try:
                    data = json.loads(path.read_text())
                except (OSError, json.JSONDecodeError) as error:
                    raise CommandError(f"{path}: not readable JSON ({error})") from None
                try:
                    fmt = format_import(data=data)
                except ValidationError as error:
                    raise CommandError(f"{path}: {'; '.join(error.messages)}") from None
                self.stdout.write(f"{fmt.slug}: {fmt.name} {fmt.width}x{fmt.height}")
        self.stdout.write(self.style.SUCCESS(f"{len(files)} format(s) imported"))
