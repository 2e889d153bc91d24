"""Train the safety gate's classifier on the vendored corpus and write the model file."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mlcore import safety_model


class Command(BaseCommand):
    help = (
        "Train the safety classifier (logistic regression over the embedding and character n-grams, an MLP, "
        "a nearest-neighbour vote) on mlcore/data/safety/corpus and lexicons; thresholds come from a validation split."
    )

    def add_arguments(self, parser):
        parser.add_argument("--corpus", default=str(safety_model.CORPUS_DIR), help="folder of <source>.jsonl files")
        parser.add_argument("--lexicons", default=str(safety_model.LEXICON_DIR), help="folder of <list>.txt word lists")
        parser.add_argument("--out", default=str(safety_model.MODEL_PATH), help="model file to write (.npz)")
        parser.add_argument("--exclude", action="append", default=[], help="leave a source out (repeatable)")
        parser.add_argument("--c", type=float, default=safety_model.C, help="inverse regularization strength")

    def handle(self, *args, corpus, lexicons, out, exclude, c, **options):
        sources = safety_model.load_corpus(Path(corpus), Path(lexicons))
        unknown = sorted(set(exclude) - set(sources))
        if unknown:
            raise CommandError(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sorted(sources))}")
        rows = safety_model.rows_of(sources, [name for name in sources if name not in exclude])
        labels = {row.label for row in rows}
        if labels != {0, 1}:
            raise CommandError("the corpus needs rows of both labels (1 = must refuse, 0 = ordinary)")
        started = time.perf_counter()
        cache = safety_model.FeatureCache(progress=lambda line: self.stdout.write(f"  {line}"))
        self.stdout.write(f"{len(rows)} rows from {len(sources) - len(exclude)} sources")
        model = safety_model.train(rows, cache, c)
        model.save(Path(out))
        safety_model.load_model.cache_clear()
        self.stdout.write(
            f"wrote {out} ({Path(out).stat().st_size // 1024} KiB) in {time.perf_counter() - started:.0f} s: "
            f"threshold {model.threshold:.3f}, uncertain between {model.low:.3f} and {model.high:.3f}, "
            f"data {model.meta['data']}"
        )
