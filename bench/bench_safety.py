"""Safety-gate benchmark: milliseconds per screened text (goal < 20 ms on 2 cores), rules alone against
rules + the learned model, on texts of three lengths from the corpus, side by side in one run; and the
shipped gate's blocked / false-positive rates on the two CSVs in bench/data.

    .venv/bin/python bench/bench_safety.py

Leave-one-source-out figures (attacks the model never saw) come from `manage.py eval_safety --by-source`.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlcore.safety import evaluate, load_examples, screen, screen_rules
from mlcore.safety_model import load_corpus, load_model

DATA = Path(__file__).resolve().parent / "data"


def _timed(function, texts: list[str]) -> np.ndarray:
    times = []
    for text in texts:
        started = time.perf_counter()
        function(text)
        times.append((time.perf_counter() - started) * 1000)
    return np.array(times)


def main() -> None:
    model = load_model()
    if model is None:
        sys.exit("no model file: run `manage.py train_safety` first")
    rows = [row for rows in load_corpus().values() for row in rows]
    rng = random.Random(1)
    groups = {
        "short (≤ 120 chars)": [r.text for r in rows if len(r.text) <= 120],
        "medium (121-600)": [r.text for r in rows if 120 < len(r.text) <= 600],
        "long (> 600, jailbreaks)": [r.text for r in rows if len(r.text) > 600],
    }
    screen("warm up the embedder")
    print(f"{'texts':28}{'n':>5}{'rules P50/P95 ms':>20}{'rules+model P50/P95 ms':>26}")
    for name, texts in groups.items():
        sample = rng.sample(texts, min(200, len(texts)))
        rules = _timed(screen_rules, sample)
        gate = _timed(screen, sample)
        print(
            f"{name:28}{len(sample):>5}{np.percentile(rules, 50):>10.2f} /{np.percentile(rules, 95):>7.2f}"
            f"{np.percentile(gate, 50):>14.2f} /{np.percentile(gate, 95):>8.2f}"
        )
    print(f"\nshipped gate (threshold {model.threshold:.3f}; data {model.meta.get('data')}), no LLM:")
    print(f"{'set':34}{'rows':>6}{'blocked (label 1)':>20}{'false positives (label 0)':>28}")
    for name in ("injections_bastioncorpus.csv", "ad_copy.csv"):
        result = evaluate(load_examples(DATA / name))
        print(f"{name:34}{result['rows']:>6}{result['blocked_rate']!s:>20}{result['false_positive_rate']!s:>28}")
    print("(both sets are in the training corpus: these are fit figures, not held-out ones)")


if __name__ == "__main__":
    main()
