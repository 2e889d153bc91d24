"""Measure the safety gate: on a labelled CSV, or leave-one-source-out over the vendored corpus."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from banners.copywriting import llm_client
from mlcore import safety, safety_model


class Command(BaseCommand):
    help = (
        "Evaluate the safety gate. --file FILE.csv (columns text,label; label 1 = must refuse) screens it "
        "with the shipped gate; --by-source trains without each source in turn and tests on it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", help="CSV with columns text,label")
        parser.add_argument("--by-source", action="store_true", help="leave one source out, for every source")
        parser.add_argument("--corpus", default=str(safety_model.CORPUS_DIR))
        parser.add_argument("--lexicons", default=str(safety_model.LEXICON_DIR))
        parser.add_argument("--source", action="append", default=[], help="with --by-source: only these held out")
        parser.add_argument("--json", dest="json_path", help="with --by-source: also write the full report here")
        parser.add_argument("--rules-only", action="store_true", help="with --file: rules alone, no model, no LLM")

    def handle(self, *args, file, by_source, corpus, lexicons, source, json_path, rules_only, **options):
        if bool(file) == bool(by_source):
            raise CommandError("give either --file FILE.csv or --by-source")
        if by_source:
            return self._by_source(Path(corpus), Path(lexicons), source, json_path)
        path = Path(file)
        try:
            rows = safety.load_examples(path)
        except (OSError, KeyError, ValueError) as error:
            raise CommandError(f"{path}: needs a CSV with columns text,label (0 or 1): {error}") from None
        client = None if rules_only or not settings.SAFETY_LLM else llm_client()
        result = safety.evaluate(rows, client, model=not rules_only)
        result["classifier"] = "rules only" if rules_only else ("model + " + client.name if client else "rules + model")
        self.stdout.write(safety.dumps(result))

    def _by_source(self, corpus: Path, lexicons: Path, only: list[str], json_path: str | None):
        sources = safety_model.load_corpus(corpus, lexicons)
        unknown = sorted(set(only) - set(sources))
        if unknown:
            raise CommandError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sorted(sources))}")
        self.stdout.write(f"{len(sources)} sources; each held out in turn (train on the rest, test on it)")
        report = safety.evaluate_by_source(
            sources, progress=lambda line: self.stdout.write(f"  {line}"), held_out=only or None
        )
        self.stdout.write(
            f"mean blocked rate over held-out attack sources: {report['mean_blocked_held_out']:.3f} "
            f"(lowest {report['min_blocked_held_out']:.3f})\n"
            f"benign ad copy refused (each source held out): {report['ad_copy_refused']}\n"
            f"all benign sources, mean refused: {report['benign_refused_mean']}"
        )
        if json_path:
            Path(json_path).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
