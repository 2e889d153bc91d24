"""The pilot dashboard (designers and admins): figures against their targets, per day and per
format, server-side SVG charts, CSV export."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.html import format_html, format_html_join

from banners.metrics import meets_target, pilot_metrics

HEADLINE = [
    ("adoption_rate", "Adoption rate", "≥ 70 %", True),
    ("low_edit_share", "Downloads with edits < 20 % of the text", "≥ 70 %", True),
    ("within_reroll_limit_share", "Downloads within 3 picture re-rolls", "", True),
    ("rerolls_per_banner", "Picture re-rolls per banner", "≤ 3", False),
    ("time_to_asset_minutes", "Time to asset, median (min)", "< 60 min", False),
    ("time_to_asset_p90_minutes", "Time to asset, P90 (min)", "", False),
    ("time_to_asset_mean_minutes", "Time to asset, mean (min)", "< 60 min", False),
    ("success_rate", "Success rate (refusals not counted)", "≥ 95 %", True),
    ("latency_p50_seconds", "Latency P50 (s)", "", False),
    ("latency_p95_seconds", "Latency P95 (s)", "", False),
    ("latency_p99_seconds", "Latency P99 (s)", "< 120 s", False),
]


def bar_chart(rows: dict[str, dict], key: str, *, percent: bool = False, width: int = 560) -> str:
    """A small horizontal bar chart as inline SVG (no JavaScript, no external library)."""
    values = {label: row.get(key) for label, row in rows.items() if row.get(key) is not None}
    if not values:
        return "<p class='muted'>No data yet.</p>"
    top = max(values.values()) or 1
    bar, gap, label_width = 18, 6, 150
    height = len(values) * (bar + gap)
    bars = format_html_join(
        "",
        '<text x="0" y="{}" font-size="12">{}</text><rect x="{}" y="{}" width="{}" height="{}" fill="#4f46e5"/>'
        '<text x="{}" y="{}" font-size="12">{}</text>',
        (
            (
                i * (bar + gap) + 13,
                label,
                label_width,
                i * (bar + gap),
                max(1, int((width - label_width - 60) * value / top)),
                bar,
                label_width + int((width - label_width - 60) * value / top) + 4,
                i * (bar + gap) + 13,
                f"{value * 100:.0f} %" if percent else f"{value:g}",
            )
            for i, (label, value) in enumerate(values.items())
        ),
    )
    return format_html(
        '<svg role="img" width="{}" height="{}" viewBox="0 0 {} {}">{}</svg>', width, height, width, height, bars
    )


@permission_required("banners.approve_banner")
def dashboard(request):
    metrics = pilot_metrics()
    headline = [
        (label, metrics.get(key), target, meets_target(key, metrics.get(key)), percent)
        for key, label, target, percent in HEADLINE
    ]
    return render(
        request,
        "banners/metrics.html",
        {
            "metrics": metrics,
            "headline": headline,
            "charts": [
                ("Success rate per day", bar_chart(metrics["by_day"], "success_rate", percent=True)),
                ("Latency P95 per day (s)", bar_chart(metrics["by_day"], "latency_p95_seconds")),
                ("Success rate per format", bar_chart(metrics["by_format"], "success_rate", percent=True)),
                ("Latency P95 per format (s)", bar_chart(metrics["by_format"], "latency_p95_seconds")),
            ],
        },
    )


@permission_required("banners.approve_banner")
def export_csv(request):
    metrics = pilot_metrics()
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="adgenesis-pilot-metrics.csv"'
    writer = csv.writer(response)
    writer.writerow(["group", "key", "tasks", "success_rate", "latency_p50_s", "latency_p95_s", "latency_p99_s"])
    for group in ("by_day", "by_format"):
        for key, row in metrics[group].items():
            writer.writerow(
                [
                    group,
                    key,
                    row["tasks"],
                    row["success_rate"],
                    row["latency_p50_seconds"],
                    row["latency_p95_seconds"],
                    row["latency_p99_seconds"],
                ]
            )
    writer.writerow([])
    writer.writerow(["metric", "value", "target"])
    for key, target in metrics["targets"].items():
        writer.writerow([key, metrics.get(key), target])
    return response
