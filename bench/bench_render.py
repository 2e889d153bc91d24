"""Render benchmark: compose + render + PNG encode of a banner with a picture and three text
slots, for the 1080x1080 square and the 1080x1920 story (goal: median < 50 ms on this machine).
JPEG encoding is timed beside it.

    .venv/bin/python bench/bench_render.py [--runs 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from mlcore.compose import compose
from mlcore.layout import parse_layout
from mlcore.render import encode, render

ROOT = Path(__file__).resolve().parent.parent
TEXTS = {
    "headline": "Rides 20% off this weekend",
    "subheadline": "SwiftRide: cars in five minutes, fixed prices",
    "cta": "Book now",
    "legal": "Terms apply.",
}


def measure(slug: str, runs: int, picture: Image.Image) -> dict:
    layout = parse_layout(json.loads((ROOT / "banners/formats" / f"{slug}.json").read_text()))
    totals, jpg, parts = [], [], {"compose": [], "render": [], "png": []}
    for _ in range(runs):
        started = time.perf_counter()
        result = compose(layout, TEXTS, {"hero": ("bank:1", picture)}, palette=["#ffc800", "#1d1d1b"])
        composed = time.perf_counter()
        image = render(result.spec, {"bank:1": picture})
        rendered = time.perf_counter()
        encode(image, "png")
        totals.append(time.perf_counter() - started)
        parts["compose"].append(composed - started)
        parts["render"].append(rendered - composed)
        parts["png"].append(totals[-1] - (rendered - started))
        started = time.perf_counter()
        encode(image, "jpg", 90)
        jpg.append(time.perf_counter() - started)
    totals.sort()
    return {
        "format": f"{slug} {layout.width}x{layout.height}",
        "median_ms": 1000 * statistics.median(totals),
        "p95_ms": 1000 * totals[int(0.95 * (len(totals) - 1))],
        "jpg_ms": 1000 * statistics.median(jpg),
        **{f"{k}_ms": 1000 * statistics.median(v) for k, v in parts.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    picture = Image.open(ROOT / "catalog/demo_bank/images/1f695.webp")
    picture.load()
    measure("square", 3, picture)  # warm font caches
    print(
        f"{'compose + render + PNG':28}{'median ms':>11}{'P95 ms':>9}   of which compose / render / PNG{'+ JPG ms':>10}"
    )
    for slug in ("square", "story"):
        row = measure(slug, args.runs, picture)
        split = f"{row['compose_ms']:.1f} / {row['render_ms']:.1f} / {row['png_ms']:.1f}"
        print(f"{row['format']:28}{row['median_ms']:>11.1f}{row['p95_ms']:>9.1f}   {split:>30}{row['jpg_ms']:>10.1f}")
    print("goal: median < 50 ms for 1080x1080")


if __name__ == "__main__":
    main()
