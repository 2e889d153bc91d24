"""What models are configured, found and loaded (in this process), on which device."""

import json

from django.core.management.base import BaseCommand

from banners.imaging import models_status


class Command(BaseCommand):
    help = "Print which models are configured, found, loaded, on which device and the memory they use."

    def add_arguments(self, parser):
        parser.add_argument("--load", action="store_true", help="Load the image model here to report its device.")

    def handle(self, *args, load: bool, **options):
        if load:
            from banners import imaging

            if imaging.ai_unavailable_reason() is None:
                imaging.generator()
        self.stdout.write(json.dumps(models_status(), indent=2, ensure_ascii=False))
