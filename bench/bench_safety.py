"""Safety-gate benchmark: blocked rate and false-positive rate of the rule layer on a public
prompt-injection corpus (bastioncorpus 0.6.0, MIT, 181 rows in 5 languages, with tricky benign
rows such as "please ignore my previous email") and on our set of real ad copy (EN/RU), plus the
time per screened text.

    .venv/bin/python bench/bench_safety.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlcore.safety import evaluate, load_examples, screen_rules

DATA = Path(__file__).resolve().parent / "data"


def main() -> None:
    print(f"{'set':34}{'rows':>6}{'blocked (label 1)':>20}{'false positives (label 0)':>28}{'µs/text':>10}")
    for name in ("injections_bastioncorpus.csv", "ad_copy.csv"):
        rows = load_examples(DATA / name)
        started = time.perf_counter()
        result = evaluate(rows)
        per_text = (time.perf_counter() - started) / len(rows) * 1e6
        print(
            f"{name:34}{result['rows']:>6}{result['blocked_rate']!s:>20}{result['false_positive_rate']!s:>28}"
            f"{per_text:>10.0f}"
        )
    missed = [
        t for t, label in load_examples(DATA / "injections_bastioncorpus.csv") if label and screen_rules(t).allowed
    ]
    print(f"\nrules only (no LLM classifier). Injections the rules miss ({len(missed)}), e.g.:")
    for text in missed[:8]:
        print(f"  - {text[:110]}")


if __name__ == "__main__":
    main()
