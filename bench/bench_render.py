"""Render benchmark: compose + render of a banner with a picture and its text slots, then PNG
encoding timed apart (JPEG beside it), for the 1080x1080 square as designed (the simple layout) and
in every layout variant with a logo, a CTA button, a badge or a scrim (the richer layouts), and
the 1080x1920 story. Goal (issue 14): P95 of compose + render <= 80 ms for 1080x1080.

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
from mlcore.render import encode, open_picture, render
from mlcore.variants import PRESET, layout_variant, variants_for

ROOT = Path(__file__).resolve().parent.parent
TEXTS = {
    "headline": "Rides 20% off this weekend",
    "subheadline": "SwiftRide: cars in five minutes, fixed prices",
    "cta": "Book now",
    "legal": "Terms apply.",
    "badge": "−20%",
}
LOGO = open_picture(ROOT / "catalog/demo/logos/taxi.svg")


def measure(slug: str, runs: int, picture: Image.Image, variant: str = PRESET, logo: bool = False) -> dict:
    preset = parse_layout(json.loads((ROOT / "banners/formats" / f"{slug}.json").read_text()))
    layout = layout_variant(preset, variant, logo=logo)
    brand = ("media:logo", LOGO) if logo else None
    images = {"bank:1": picture, "media:logo": LOGO}
    totals, jpg, parts = [], [], {"compose": [], "render": [], "png": []}
    for _ in range(runs):
        started = time.perf_counter()
        result = compose(layout, TEXTS, {"hero": ("bank:1", picture)}, palette=["#ffc800", "#1d1d1b"], logo=brand)
        composed = time.perf_counter()
        image = render(result.spec, images, underlay=result.underlay)  # as banners.pipeline.stage_render
        rendered = time.perf_counter()
        encode(image, "png")
        totals.append(rendered - started)
        parts["compose"].append(composed - started)
        parts["render"].append(rendered - composed)
        parts["png"].append(time.perf_counter() - rendered)
        started = time.perf_counter()
        encode(image, "jpg", 90)
        jpg.append(time.perf_counter() - started)
    totals.sort()
    return {
        "format": f"{slug} {layout.width}x{layout.height} {variant}{' +logo' if logo else ''}",
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
    print(f"{'compose + render':40}{'median ms':>11}{'P95 ms':>9}   median compose / render; PNG apart{'JPG ms':>9}")
    square = parse_layout(json.loads((ROOT / "banners/formats/square.json").read_text()))
    cases = [("square", PRESET, False)] + [("square", name, True) for name in variants_for(square)]
    cases += [("story", PRESET, False), ("story", "picture-below", True)]
    for slug, variant, logo in cases:
        row = measure(slug, args.runs, picture, variant, logo)
        split = f"{row['compose_ms']:.1f} / {row['render_ms']:.1f}; PNG {row['png_ms']:.1f}"
        print(f"{row['format']:40}{row['median_ms']:>11.1f}{row['p95_ms']:>9.1f}   {split:>30}{row['jpg_ms']:>9.1f}")
    print("goal: P95 of compose + render <= 80 ms for 1080x1080 (PNG encoding apart)")


if __name__ == "__main__":
    main()
