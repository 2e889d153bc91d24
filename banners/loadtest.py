"""Load test (seed 003 table: 1 / 5 / 10 users): simulated marketers drive the real HTTP API of a web
server with real RQ workers, which this module starts on a free port and a Redis database of their
own; AI-mode GPU time is a sleep of `image_seconds / speedup` on the imagegen worker.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
OFFERS = [
    "Rides 20% off this weekend with code CITY20",
    "Free delivery on orders over $30",
    "Скидка 15% на первый заказ до 31 декабря",
    "Cashback 5% on groceries all month",
    "First lesson free, then 990 ₽ a week",
    "Two pizzas for the price of one on Fridays",
]


@dataclass
class Outcome:
    ok: bool
    seconds: float
    queue_wait: float | None
    mode: str
    error: str = ""


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """gunicorn + workers (2 default, 1 imagegen, 1 segment) as `make run` starts them."""

    def __init__(self, *, simulate_seconds: float, redis_db: int):
        self.port = free_port()
        self.env = dict(
            os.environ,
            ADGENESIS_REDIS_DB=str(redis_db),
            DEBUG=os.environ.get("DEBUG", "1"),
            ADGENESIS_SIMULATE_IMAGE_SECONDS=str(simulate_seconds),
            PYTHONUNBUFFERED="1",
        )
        self.processes: list[subprocess.Popen] = []

    def start(self) -> str:
        manage = [sys.executable, str(ROOT / "manage.py"), "rqworker"]
        for queues, worker in (
            (["default"], "BannerWorker"),
            (["default"], "BannerWorker"),
            (["imagegen"], "ModelWorker"),
            (["segment"], "ModelWorker"),
        ):
            self.processes.append(
                subprocess.Popen(
                    [*manage, *queues, "--worker-class", f"banners.worker.{worker}"],
                    env=self.env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        self.processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "adgenesis.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    "--threads",
                    "8",
                    "--no-control-socket",
                ],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("the web server of the load test did not start in 120 s")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def marketer(
    url: str,
    token: str,
    products: list[int],
    deadline: float,
    ai_share: float,
    seed: int,
    run: Run,
    task_timeout: float,
) -> None:
    rng = random.Random(seed)
    client = httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=30)
    while time.monotonic() < deadline:
        mode = "ai" if rng.random() < ai_share else "bank"
        started = time.monotonic()
        try:
            campaign = client.post(
                "/api/v1/campaigns/create",
                json={"product": rng.choice(products), "offer": rng.choice(OFFERS), "tone": "fomo"},
            ).json()["id"]
            task_id = client.post(
                "/api/v1/generate", json={"campaign": campaign, "format": "square", "image_mode": mode}
            ).json()["task_id"]
        except (httpx.HTTPError, KeyError, ValueError) as error:
            run.add(Outcome(False, time.monotonic() - started, None, mode, f"request: {error}"))
            time.sleep(1.0)  # a failing server is not hammered
            continue
        task = {}
        while time.monotonic() - started < task_timeout:
            task = client.get(f"/api/v1/tasks/{task_id}").json()
            if task.get("status") in ("completed", "failed"):
                break
            time.sleep(0.25)
        seconds = time.monotonic() - started
        if task.get("status") not in ("completed", "failed"):
            with run.lock:
                run.unfinished.append(task_id)
            run.add(Outcome(False, seconds, None, mode, "not finished"))
            continue
        wait = _queue_wait(task)
        ok = task["status"] == "completed"
        if ok and task["banners"]:
            client.get(task["banners"][0]["png"])  # the marketer downloads it (logged as feedback)
        run.add(Outcome(ok, seconds, wait, mode, task.get("error", "")))
        time.sleep(rng.uniform(0.2, 1.0))  # reading the result before the next offer


def _queue_wait(task: dict) -> float | None:
    from datetime import datetime

    if not task.get("started_at"):
        return None
    created = datetime.fromisoformat(task["created_at"].replace("Z", "+00:00"))
    started = datetime.fromisoformat(task["started_at"].replace("Z", "+00:00"))
    return (started - created).total_seconds()


def summary(run: Run, users: int, minutes: float) -> dict:
    outcomes = run.outcomes
    latencies = sorted(o.seconds for o in outcomes if o.ok)
    waits = sorted(o.queue_wait for o in outcomes if o.queue_wait is not None)

    def pct(values, q):
        return round(values[min(len(values) - 1, round(q * (len(values) - 1)))], 2) if values else None

    return {
        "users": users,
        "minutes": minutes,
        "tasks": len(outcomes),
        "success_rate": round(sum(o.ok for o in outcomes) / len(outcomes), 4) if outcomes else None,
        "ai_tasks": sum(o.mode == "ai" for o in outcomes),
        "latency_p50_s": pct(latencies, 0.5),
        "latency_p95_s": pct(latencies, 0.95),
        "latency_p99_s": pct(latencies, 0.99),
        "queue_wait_p50_s": pct(waits, 0.5),
        "queue_wait_p95_s": pct(waits, 0.95),
        "unfinished": run.unfinished,
        "errors": sorted({o.error for o in outcomes if not o.ok})[:5],
    }
