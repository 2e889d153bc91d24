"""Measure the safety gate on a labelled CSV: blocked rate and false-positive rate as JSON."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from banners.copywriting import llm_client
from mlcore import safety


class Command(BaseCommand):
    help = "Evaluate the safety gate on FILE.csv (columns text,label; label 1 = must refuse)."

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True)
        parser.add_argument("--rules-only", action="store_true", help="Skip the LLM classifier even if configured.")

    def handle(self, *args, file: str, rules_only: bool, **options):
        path = Path(file)
        try:
            rows = safety.load_examples(path)
        except (OSError, KeyError, ValueError) as error:
            raise CommandError(f"{path}: needs a CSV with columns text,label (0 or 1): {error}") from None
        client = None if rules_only or not settings.SAFETY_LLM else llm_client()
        result = safety.evaluate(rows, client)
        result["classifier"] = client.name if client else "rules only"
        self.stdout.write(safety.dumps(result))
