"""Pilot metrics (seed 003 §3) from tasks, banners and feedback events.

Definitions, as the seed gives them:
- A session is a campaign with at least one generation task.
- A session is adopted when it ends in a download of a banner whose texts were edited by less than
  20 % of their length (Levenshtein distance over all fields together, against the generated texts)
  and whose picture was re-rolled at most 3 times. Under a brand's approval gate a download implies
  the designer's approval.
- Time-to-asset: from the session's first request to its first download, in minutes: median, P90 and
  mean (the seed's "average").
- Success rate: completed tasks / tasks that ended, not counting tasks the safety gate refused (they
  are the gate at work, not timeouts, OOM or crashes).
- Latency: a completed task's request → finished, in seconds: P50, P95, P99.
Percentiles interpolate linearly between the closest ranks (NumPy's default).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q

from banners.models import Banner, Campaign, FeedbackEvent, GenerationTask

LOW_EDIT_SHARE = 0.2
MAX_REROLLS = 3
TARGETS = {
    "adoption_rate": 0.70,
    "low_edit_share": 0.70,
    "rerolls_per_banner": MAX_REROLLS,
    "time_to_asset_minutes": 60,
    "time_to_asset_mean_minutes": 60,
    "success_rate": 0.95,
    "latency_p99_seconds": 120,
}
LOWER_IS_BETTER = {"rerolls_per_banner", "time_to_asset_minutes", "time_to_asset_mean_minutes", "latency_p99_seconds"}


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1), linear between the closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _text_length(texts: dict) -> int:
    return max(1, sum(len(v) for v in texts.values()))


def low_edit(banner: Banner) -> bool:
    return banner.edit_distance < LOW_EDIT_SHARE * _text_length(banner.generated_texts or banner.texts)


def _rounded(value: float | None, digits: int) -> float | None:
    return round(value, digits) if value is not None else None


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
        elif task.status == GenerationTask.Status.FAILED and task.failure != GenerationTask.Failure.REFUSED:
            result.failed += 1
    return result


def pilot_metrics(*, since: date | None = None) -> dict:
    tasks = GenerationTask.objects.all()
    if since:
        tasks = tasks.filter(created_at__date__gte=since)
    tasks = list(tasks.prefetch_related("formats"))
    overall = _slice(tasks)
    by_day: dict[str, list] = defaultdict(list)
    by_format: dict[str, list] = defaultdict(list)
    session_start: dict[int, object] = {}
    for task in tasks:
        by_day[task.created_at.date().isoformat()].append(task)
        for fmt in task.formats.all():
            by_format[fmt.slug].append(task)
        start = session_start.get(task.campaign_id)
        session_start[task.campaign_id] = min(start, task.created_at) if start else task.created_at
    campaigns = Campaign.objects.filter(pk__in=session_start)

    banners = {
        banner.pk: banner
        for banner in Banner.objects.filter(campaign__in=campaigns)
        .exclude(png="")
        .annotate(rerolls=Count("feedback", filter=Q(feedback__kind=FeedbackEvent.Kind.REGENERATE_IMAGE)))
    }
    downloads = FeedbackEvent.objects.filter(kind=FeedbackEvent.Kind.DOWNLOAD, banner_id__in=banners)
    first_download: dict[int, object] = {}
    downloaded: set[int] = set()
    for banner_id, at in downloads.order_by("created_at").values_list("banner_id", "created_at"):
        downloaded.add(banner_id)
        first_download.setdefault(banners[banner_id].campaign_id, at)

    finals = [banners[pk] for pk in downloaded]
    adopted = {b.campaign_id for b in finals if low_edit(b) and b.rerolls <= MAX_REROLLS}
    to_asset = [(at - session_start[campaign_id]).total_seconds() / 60 for campaign_id, at in first_download.items()]
    rerolls = [b.rerolls for b in banners.values()]
    sessions = len(session_start)
    return {
        "sessions": sessions,
        "adopted_sessions": len(adopted),
        "adoption_rate": round(len(adopted) / sessions, 4) if sessions else None,
        "downloaded_banners": len(finals),
        "low_edit_share": round(sum(map(low_edit, finals)) / len(finals), 4) if finals else None,
        "within_reroll_limit_share": (
            round(sum(b.rerolls <= MAX_REROLLS for b in finals) / len(finals), 4) if finals else None
        ),
        "rerolls_per_banner": round(statistics.mean(rerolls), 2) if rerolls else None,
        "rerolls_max": max(rerolls, default=None),
        "time_to_asset_minutes": _rounded(percentile(to_asset, 0.5), 1),
        "time_to_asset_p90_minutes": _rounded(percentile(to_asset, 0.9), 1),
        "time_to_asset_mean_minutes": round(statistics.mean(to_asset), 1) if to_asset else None,
        "success_rate": overall.success_rate,
        "tasks": overall.tasks,
        "failed_technical": overall.failed,
        "refused": sum(t.failure == GenerationTask.Failure.REFUSED for t in tasks),
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
    """The seed's targets: latency P99 and time-to-asset are strict ("< 120 s", "< 60 min")."""
    if value is None or name not in TARGETS:
        return None
    if name in ("latency_p99_seconds", "time_to_asset_minutes", "time_to_asset_mean_minutes"):
        return value < TARGETS[name]
    return value <= TARGETS[name] if name in LOWER_IS_BETTER else value >= TARGETS[name]
