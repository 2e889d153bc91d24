"""Load test at the pilot's cadence on a database, Redis database and processes of its own: marketers
each asking for a banner every --interval seconds, bank and AI mode mixed; per level of --users the
requests, success rate, latency P50/P95/P99, queue wait, tasks unfinished or left in processing."""

import json
import os
import signal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from banners.loadtest import SUCCESS_TARGET, LoadPlan, load_test

COLUMNS = [
    ("users", "users", "{}"),
    ("requests", "requests", "{}"),
    ("ai_requests", "AI", "{}"),
    ("success_rate", "success", "{:.1%}"),
    ("latency_p50_s", "P50 s", "{}"),
    ("latency_p95_s", "P95 s", "{}"),
    ("latency_p99_s", "P99 s", "{}"),
    ("queue_wait_p95_s", "queue wait P95 s", "{}"),
    ("unfinished", "unfinished", "{}"),
    ("left_in_processing", "left in processing", "{}"),
    ("verdict", f"verdict (success ≥ {SUCCESS_TARGET:.0%}, nothing left)", "{}"),
]


def table(results: list[dict]) -> str:
    """The figures of every level as a plain-text table, then what was killed and the errors seen."""
    rows = [[label for _, label, _ in COLUMNS]]
    rows += [[fmt.format(r[key]) if r[key] is not None else "-" for key, _, fmt in COLUMNS] for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    for result in results:
        lines += [f"{result['users']} users: {note}" for note in result["kills"]]
        lines += [f"{result['users']} users, error: {error}" for error in result["errors"]]
    return "\n".join(lines)


def _interrupt(signum, frame):
    raise KeyboardInterrupt  # SIGTERM stops the run like Ctrl-C: processes stopped, database dropped


def _levels(value: str) -> list[int]:
    try:
        levels = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        levels = []
    if not levels or min(levels) < 1:
        raise CommandError(f"--users takes marketer counts separated by commas, such as 5,10,20, not {value!r}")
    return levels


class Command(BaseCommand):
    help = (
        "Load test on a database of its own: --users 5,10,20 --interval 120 --minutes 6 --ai-share 0.3 "
        "--image-seconds 2.8 [--kill-worker-at 60] [--keep-db]"
    )

    def add_arguments(self, parser):
        plan = LoadPlan()
        parser.add_argument("--users", default="5,10,20", help="marketers per level, one run per level")
        parser.add_argument("--interval", type=float, default=plan.interval, help="seconds between a marketer's asks")
        parser.add_argument("--minutes", type=float, default=plan.minutes, help="length of each level")
        parser.add_argument("--ai-share", type=float, default=plan.ai_share, help="share of requests in AI mode")
        parser.add_argument(
            "--image-seconds", type=float, default=plan.image_seconds, help="GPU time of one AI picture (a sleep)"
        )
        parser.add_argument("--speedup", type=float, default=plan.speedup, help="divide the GPU time by this")
        parser.add_argument("--task-timeout", type=float, default=plan.task_timeout, help="a marketer waits this long")
        parser.add_argument("--kill-worker-at", type=float, help="kill -9 a worker mid-job this long into each level")
        parser.add_argument("--kill-worker", choices=["imagegen", "default"], default=plan.kill_worker)
        parser.add_argument("--default-workers", type=int, default=plan.default_workers)
        parser.add_argument("--redis-db", type=int, default=plan.redis_db, help="Redis database of the run's queues")
        parser.add_argument("--keep-db", action="store_true", help="keep the load-test database to inspect it")
        parser.add_argument("--seed", type=int, default=plan.seed)
        parser.add_argument("--json", type=Path, help="also write every level's figures to this file")

    def handle(self, *args, **options):
        plan = LoadPlan(
            users=_levels(options["users"]),
            interval=options["interval"],
            minutes=options["minutes"],
            ai_share=options["ai_share"],
            image_seconds=options["image_seconds"],
            speedup=options["speedup"],
            task_timeout=options["task_timeout"],
            kill_worker_at=options["kill_worker_at"],
            kill_worker=options["kill_worker"],
            default_workers=options["default_workers"],
            redis_db=options["redis_db"],
            keep_db=options["keep_db"],
            seed=options["seed"],
        )
        if plan.redis_db == settings.REDIS_DB:
            raise CommandError(f"--redis-db {plan.redis_db} is the app's own Redis database: choose another one")
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            results = load_test(plan, log=self.stdout.write)
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write(
            f"Each marketer asks for a square banner every {plan.interval:g} s for {plan.minutes:g} min; "
            f"{plan.ai_share:.0%} in AI mode (a picture holds the imagegen worker "
            f"{plan.image_seconds / plan.speedup:g} s), the rest from the bank; {os.cpu_count()} CPU cores here."
        )
        self.stdout.write(table(results))
        if options["json"]:
            options["json"].write_text(json.dumps(results, indent=2, ensure_ascii=False))
