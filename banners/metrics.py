"""Pilot metrics (seed 003 §3) from tasks, banners and feedback events.

A session is a campaign. It is adopted when one of its banners was downloaded with text edits under
20 % of the text's length. Latency is request → task finished; time-to-asset is the campaign's first
request → its first download.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q

from banners.models import Banner, Campaign, FeedbackEvent, GenerationTask

LOW_EDIT_SHARE = 0.2
TARGETS = {
    "adoption_rate": 0.70,
    "low_edit_share": 0.70,
    "rerolls_per_banner": 3,
    "time_to_asset_minutes": 60,
    "success_rate": 0.95,
    "latency_p99_seconds": 120,
}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _text_length(texts: dict) -> int:
    return max(1, sum(len(v) for v in texts.values()))


def low_edit(banner: Banner) -> bool:
    return banner.edit_distance < LOW_EDIT_SHARE * _text_length(banner.generated_texts or banner.texts)


@dataclass
class Slice:
    """The metrics of one group of tasks (everything, a day, a format)."""

    tasks: int = 0
    completed: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def success_rate(self) -> float | None:
        finished = self.completed + self.failed
        return round(self.completed / finished, 4) if finished else None

    def latency(self, q: float) -> float | None:
        value = percentile(self.latencies, q)
        return round(value, 2) if value is not None else None


def _slice(tasks) -> Slice:
    result = Slice()
    for task in tasks:
        result.tasks += 1
        if task.status == GenerationTask.Status.COMPLETED:
            result.completed += 1
            if task.finished_at:
                result.latencies.append((task.finished_at - task.created_at).total_seconds())
        elif task.status == GenerationTask.Status.FAILED:
            result.failed += 1
    return result


def pilot_metrics(*, since: date | None = None) -> dict:
    tasks = GenerationTask.objects.all()
    campaigns = Campaign.objects.all()
    if since:
        tasks, campaigns = tasks.filter(created_at__date__gte=since), campaigns.filter(created_at__date__gte=since)
    tasks = list(tasks.prefetch_related("formats"))
    overall = _slice(tasks)
    by_day: dict[str, list] = defaultdict(list)
    by_format: dict[str, list] = defaultdict(list)
    for task in tasks:
        by_day[task.created_at.date().isoformat()].append(task)
        for fmt in task.formats.all():
            by_format[fmt.slug].append(task)

    banners = list(Banner.objects.filter(campaign__in=campaigns).exclude(png=""))
    downloads = FeedbackEvent.objects.filter(kind=FeedbackEvent.Kind.DOWNLOAD, banner__campaign__in=campaigns)
    downloaded = set(downloads.values_list("banner_id", flat=True))
    rerolls = dict(
        Banner.objects.filter(pk__in=[b.pk for b in banners])
        .annotate(n=Count("feedback", filter=Q(feedback__kind=FeedbackEvent.Kind.REGENERATE_IMAGE)))
        .values_list("pk", "n")
    )
    sessions, adopted, to_asset = 0, 0, []
    first_download = {}
    for event in downloads.order_by("created_at").select_related("banner"):
        first_download.setdefault(event.banner.campaign_id, event.created_at)
    campaign_start = {}
    for task in tasks:
        start = campaign_start.get(task.campaign_id)
        campaign_start[task.campaign_id] = min(start, task.created_at) if start else task.created_at
    by_campaign = defaultdict(list)
    for banner in banners:
        by_campaign[banner.campaign_id].append(banner)
    for campaign_id, items in by_campaign.items():
        sessions += 1
        adopted += any(b.pk in downloaded and low_edit(b) for b in items)
        if campaign_id in first_download and campaign_id in campaign_start:
            to_asset.append((first_download[campaign_id] - campaign_start[campaign_id]).total_seconds() / 60)
    low = [low_edit(b) for b in banners]
    return {
        "sessions": sessions,
        "adoption_rate": round(adopted / sessions, 4) if sessions else None,
        "low_edit_share": round(sum(low) / len(low), 4) if low else None,
        "rerolls_per_banner": round(statistics.mean(rerolls.values()), 2) if rerolls else None,
        "rerolls_max": max(rerolls.values(), default=None),
        "time_to_asset_minutes": round(statistics.median(to_asset), 1) if to_asset else None,
        "success_rate": overall.success_rate,
        "tasks": overall.tasks,
        "latency_p50_seconds": overall.latency(0.5),
        "latency_p95_seconds": overall.latency(0.95),
        "latency_p99_seconds": overall.latency(0.99),
        "by_day": {day: _row(_slice(items)) for day, items in sorted(by_day.items())},
        "by_format": {slug: _row(_slice(items)) for slug, items in sorted(by_format.items())},
        "targets": TARGETS,
    }


def _row(part: Slice) -> dict:
    return {
        "tasks": part.tasks,
        "success_rate": part.success_rate,
        "latency_p50_seconds": part.latency(0.5),
        "latency_p95_seconds": part.latency(0.95),
        "latency_p99_seconds": part.latency(0.99),
    }


def meets_target(name: str, value) -> bool | None:
    if value is None or name not in TARGETS:
        return None
    lower_is_better = name in ("rerolls_per_banner", "time_to_asset_minutes", "latency_p99_seconds")
    return value <= TARGETS[name] if lower_is_better else value >= TARGETS[name]
