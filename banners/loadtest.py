"""Load test at the pilot's cadence (issue 18): simulated marketers, each asking for a banner every
`interval` seconds, drive the real HTTP API of a web server and real RQ workers.

The run has a place of its own: a PostgreSQL database created on the configured server (migrated,
loaded with the demo data, dropped at the end), a Redis server (the embedded one's place) or database
number of its own, a media folder and a free port, so its campaigns and banners never reach the
database designers work in. AI-mode GPU time is a
sleep on the imagegen worker (ADGENESIS_SIMULATE_IMAGE_SECONDS); a worker can be killed mid-job and is
restarted, as an operator's supervisor would.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
import psutil
import redis
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connections
from rest_framework.authtoken.models import Token
from rq import Worker
from rq.job import Job

from adgenesis import embedded
from adgenesis.run import _die_with_parent
from banners.models import GenerationTask
from catalog.models import Product

ROOT = Path(__file__).resolve().parent.parent
ALIAS = "loadtest"
logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request of the marketers
SUCCESS_TARGET = 0.99
OFFERS = [
    "Rides 20% off this weekend with code CITY20",
    "Free delivery on orders over $30",
    "Скидка 15% на первый заказ до 31 декабря",
    "Cashback 5% on groceries all month",
    "First lesson free, then 990 ₽ a week",
    "Two pizzas for the price of one on Fridays",
]


@dataclass
class LoadPlan:
    """What to run: one level per entry of `users`, each marketer asking every `interval` seconds."""

    users: list[int] = field(default_factory=lambda: [5, 10, 20])
    interval: float = 120.0
    minutes: float = 6.0
    ai_share: float = 0.3
    image_seconds: float = 2.8  # one 8-step 1328×1328 picture on an H100, eager (2.24 s compiled)
    speedup: float = 1.0
    task_timeout: float = 600.0
    kill_worker_at: float | None = None
    kill_worker: str = "imagegen"  # or "default"
    default_workers: int = 1
    redis_db: int = 15
    keep_db: bool = False
    seed: int = 0


@dataclass
class Outcome:
    ok: bool
    seconds: float
    queue_wait: float | None
    mode: str
    task_id: str = ""
    error: str = ""


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    kills: list[str] = field(default_factory=list)
    killed_tasks: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


# -- a database, a Redis database and a media folder of the run's own ---------------------------


@dataclass
class LoadPlace:
    """Where a run works: its database, its Redis database, its folder (media, process logs)."""

    database: str
    database_url: str
    redis_url: str
    folder: Path

    @property
    def media(self) -> Path:
        return self.folder / "media"


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for child processes (a unix socket folder travels as ?host=, like the embedded one's)."""
    host, port = settings_dict.get("HOST") or "", settings_dict.get("PORT") or ""
    user, password = quote(settings_dict.get("USER") or ""), quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    options = {key: value for key, value in settings_dict.get("OPTIONS", {}).items() if isinstance(value, str | int)}
    if host.startswith("/"):  # a socket folder (and its port) go in the query
        options.update({"host": host, "port": port} if port else {"host": host})
        host, port = "", ""
    netloc = auth + host + (f":{port}" if port else "")
    return urlunsplit(("postgres", netloc, "/" + quote(settings_dict["NAME"]), urlencode(options), ""))


def redis_url(url: str, db: int) -> str:
    """`url` pointed at database `db`: a database in the URL itself would win over django-rq's DB."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "db"]
    if parts.scheme == "unix":
        return f"unix://{parts.path}?{urlencode([*query, ('db', db)])}"
    return urlunsplit(parts._replace(path=f"/{db}", query=urlencode(query)))


def _server_execute(sql: str) -> None:
    """CREATE/DROP DATABASE on the app database's server (outside a transaction; nothing is written in it)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(sql)


def child_env(place: LoadPlace, plan: LoadPlan) -> dict[str, str]:
    """The real settings, pointed at the run's own database, Redis database and media folder."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="adgenesis.settings",
        DEBUG=os.environ.get("DEBUG", "1"),
        DATABASE_URL=place.database_url,
        REDIS_URL=place.redis_url,
        ADGENESIS_REDIS_DB=str(plan.redis_db),
        ADGENESIS_MEDIA_ROOT=str(place.media),
        ADGENESIS_DEMO_BANNERS="false",
        ADGENESIS_SIMULATE_IMAGE_SECONDS=str(plan.image_seconds / plan.speedup),
        PYTHONUNBUFFERED="1",
    )


@contextmanager
def own_place(plan: LoadPlan, redis_server: str, log: Callable[[str], None] = print) -> Iterator[LoadPlace]:
    """`<app database>_loadtest` on the same server, with pgvector, migrated and with the demo data
    (`manage.py bootstrap`), reachable here as connections["loadtest"]; dropped at the end, also on
    Ctrl-C or failure, unless `plan.keep_db`."""
    app = connections["default"].settings_dict
    name = f"{app['NAME']}_loadtest"
    _server_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # left by a run that was killed
    _server_execute(f'CREATE DATABASE "{name}"')
    place = LoadPlace(
        database=name,
        database_url=database_url({**app, "NAME": name}),
        redis_url=redis_url(redis_server, plan.redis_db),
        folder=Path(tempfile.mkdtemp(prefix="adgenesis-loadtest-")),
    )
    connections.settings[ALIAS] = {**app, "NAME": name}
    try:
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        started = time.monotonic()
        prepared = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "bootstrap"],
            env=child_env(place, plan),
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if prepared.returncode != 0:
            raise RuntimeError(f"preparing the load-test database failed:\n{prepared.stderr[-3000:]}")
        log(f"database {name}: migrated, demo data loaded in {time.monotonic() - started:.0f} s")
        yield place
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
        del connections.settings[ALIAS]
        if plan.keep_db:
            log(f"kept database {name} (DATABASE_URL={place.database_url}) and {place.folder}")
        else:
            _server_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(place.folder, ignore_errors=True)


def marketer_tokens(count: int) -> list[str]:
    """API tokens of `count` marketers (loadtest-1, …) in the run's database."""
    marketers = Group.objects.using(ALIAS).get(name="marketers")
    tokens = []
    for index in range(count):
        user, _ = User.objects.db_manager(ALIAS).get_or_create(username=f"loadtest-{index + 1}")
        user.groups.add(marketers)
        tokens.append(Token.objects.using(ALIAS).get_or_create(user=user)[0].key)
    return tokens


# -- the web server and workers, supervised ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None


class Stack:
    """The processes `make run` starts (default, imagegen+train and segment workers, gunicorn), on the
    run's database and Redis database; a worker that exits is started again."""

    def __init__(self, place: LoadPlace, plan: LoadPlan):
        self.env = child_env(place, plan)
        self.redis = redis.Redis.from_url(place.redis_url)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = place.folder / "stack.log"
        self.stopping = threading.Event()
        worker = [sys.executable, str(ROOT / "manage.py"), "rqworker"]
        default = [*worker, "default", "--worker-class", "banners.worker.BannerWorker", "--with-scheduler"]
        self.workers = [Child(f"default {index + 1}", default) for index in range(plan.default_workers)]
        self.workers += [
            Child("imagegen", [*worker, "imagegen", "train", "--worker-class", "banners.worker.ModelWorker"]),
            Child("segment", [*worker, "segment", "--worker-class", "banners.worker.ModelWorker"]),
        ]
        web = ["gunicorn", "adgenesis.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        self.web = Child("web", [sys.executable, "-m", *web, "--workers", "2", "--threads", "4", "--no-control-socket"])

    def _spawn(self, child: Child) -> None:
        with self.log_path.open("a") as log:
            child.process = subprocess.Popen(
                child.argv,
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the load test only, which stops them in order
                preexec_fn=_die_with_parent,
            )

    def start(self, timeout: float = 180) -> None:
        self.redis.flushdb()  # the run's own database number: queues left by an interrupted run
        for child in [*self.workers, self.web]:
            self._spawn(child)
        threading.Thread(target=self._supervise, daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._web_ready() and Worker.count(connection=self.redis) >= len(self.workers):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the load test's web server and workers did not start in {timeout:.0f} s: {self.log_path}")

    def _web_ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v1/", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _supervise(self) -> None:
        while not self.stopping.wait(0.5):
            for child in self.workers:
                if child.process.poll() is not None and not self.stopping.is_set():
                    self._spawn(child)

    def kill_worker(self, queue: str, *, until: float) -> tuple[str, str | None]:
        """kill -9 the process running a job from `queue` (the model worker itself; a default worker's
        work-horse) as soon as one runs, or the idle worker at `until`. Returns what was done and the
        task whose job was killed."""
        children = [c for c in self.workers if c.name.startswith(queue)]
        while True:
            live = {c.process.pid for c in children if c.process.poll() is None}
            for worker in Worker.all(connection=self.redis):
                if worker.pid not in live or worker.get_state() != "busy":
                    continue
                job_id = worker.get_current_job_id()
                target, after = psutil.Process(worker.pid), "the supervisor restarted it"
                try:
                    if queue == "default":
                        # The work-horse runs the job: it has a process group of its own (the scheduler has not).
                        target = next(p for p in target.children() if os.getpgid(p.pid) == p.pid)
                        after = "its worker lives on and forks the next work-horse"
                    target.send_signal(signal.SIGKILL)
                except (StopIteration, psutil.NoSuchProcess, ProcessLookupError):
                    continue  # the job ended meanwhile
                task = Job.fetch(job_id, connection=self.redis).meta.get("task_id") if job_id else None
                return f"kill -9 of the {queue} process {target.pid} while it ran job {job_id}; {after}", task
            if time.monotonic() >= until:
                children[0].process.send_signal(signal.SIGKILL)
                return f"kill -9 of the idle {queue} worker (no job ran); the supervisor restarted it", None
            time.sleep(0.02)

    def stop(self) -> None:
        """Workers and web get SIGTERM (RQ's warm shutdown), then SIGKILL after 20 s."""
        self.stopping.set()
        children = [c for c in [*self.workers, self.web] if c.process is not None]
        for child in children:
            if child.process.poll() is None:
                child.process.terminate()
        for child in children:
            try:
                child.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        self.redis.flushdb()


# -- marketers ------------------------------------------------------------------------------------


def marketer(
    url: str, token: str, products: list[int], plan: LoadPlan, run: Run, *, seed: int, stop: threading.Event
) -> None:
    """One marketer: a first request at a random moment of the first interval, then one every interval
    (at once when the banner before took longer), until the level's minutes are over."""
    rng = random.Random(seed)
    start = time.monotonic()
    deadline = start + plan.minutes * 60
    next_request = start + rng.uniform(0, plan.interval)
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {token}"}, timeout=30) as client:
        while next_request < deadline:
            if stop.wait(max(0.0, next_request - time.monotonic())):
                return
            mode = "ai" if rng.random() < plan.ai_share else "bank"
            run.add(ask_for_banner(client, rng, mode, products, plan.task_timeout))
            next_request += plan.interval


def ask_for_banner(client: httpx.Client, rng: random.Random, mode: str, products: list[int], timeout: float) -> Outcome:
    """A campaign, a square banner in `mode`, polling its task, downloading the PNG: the time it all took."""
    started, task_id = time.monotonic(), ""
    try:
        campaign = _created(
            client.post(
                "/api/v1/campaigns/create",
                json={"product": rng.choice(products), "offer": rng.choice(OFFERS), "tone": "fomo"},
            ),
            "id",
        )
        task_id = _created(
            client.post("/api/v1/generate", json={"campaign": campaign, "format": "square", "image_mode": mode}),
            "task_id",
        )
        task = {}
        while time.monotonic() - started < timeout:
            task = client.get(f"/api/v1/tasks/{task_id}").json()
            if task.get("status") in ("completed", "failed"):
                break
            time.sleep(0.25)
        if task.get("status") not in ("completed", "failed"):
            return Outcome(False, time.monotonic() - started, None, mode, task_id, "not finished")
        ok = task["status"] == "completed" and bool(task["banners"])
        if ok:
            ok = client.get(task["banners"][0]["png"]).status_code == 200  # the marketer downloads it
        error = task.get("error", "") if task["status"] == "failed" else ("" if ok else "no banner to download")
        return Outcome(ok, time.monotonic() - started, _queue_wait(task), mode, task_id, error)
    except (httpx.HTTPError, KeyError, ValueError) as error:
        return Outcome(False, time.monotonic() - started, None, mode, task_id, f"request: {error}")


def _created(response: httpx.Response, key: str):
    if response.status_code >= 400:
        raise ValueError(f"{response.request.url.path}: HTTP {response.status_code} {response.text[:200]}")
    return response.json()[key]


def _queue_wait(task: dict) -> float | None:
    if not task.get("started_at"):
        return None
    created = datetime.fromisoformat(task["created_at"].replace("Z", "+00:00"))
    started = datetime.fromisoformat(task["started_at"].replace("Z", "+00:00"))
    return (started - created).total_seconds()


# -- levels and figures ---------------------------------------------------------------------------


def run_level(stack: Stack, plan: LoadPlan, users: int, tokens: list[str], products: list[int]) -> dict:
    """`users` marketers for `plan.minutes`, a worker killed at `plan.kill_worker_at` if asked; then
    the figures, with the level's tasks still pending or processing read from the database."""
    run, stop = Run(), threading.Event()
    marketers = [
        threading.Thread(
            target=marketer,
            args=(stack.url, tokens[index], products, plan, run),
            kwargs={"seed": plan.seed * 1000 + users * 100 + index, "stop": stop},
            daemon=True,
        )
        for index in range(users)
    ]
    killer = threading.Thread(target=_kill_later, args=(stack, plan, run, stop), daemon=True)
    try:
        for thread in marketers:
            thread.start()
        if plan.kill_worker_at is not None:
            killer.start()
        for thread in marketers:
            thread.join()
    finally:
        stop.set()
    if killer.is_alive():
        killer.join()
    tasks = GenerationTask.objects.using(ALIAS)
    left = tasks.filter(
        pk__in=[o.task_id for o in run.outcomes if o.task_id],
        status__in=[GenerationTask.Status.PENDING, GenerationTask.Status.PROCESSING],
    )
    seconds = {o.task_id: o.seconds for o in run.outcomes}
    for task in tasks.filter(pk__in=run.killed_tasks):
        asked = seconds.get(str(task.pk), 0.0)
        run.kills.append(f"the killed job's task ended {task.status}, {asked:.1f} s after the marketer asked for it")
    return summary(run, users=users, minutes=plan.minutes, left_in_processing=left.count())


def _kill_later(stack: Stack, plan: LoadPlan, run: Run, stop: threading.Event) -> None:
    started = time.monotonic()
    if stop.wait(plan.kill_worker_at):
        return
    what, task = stack.kill_worker(plan.kill_worker, until=started + plan.minutes * 60)
    run.kills.append(f"at {time.monotonic() - started:.0f} s: {what}")
    if task:
        run.killed_tasks.append(task)


def _hold_embedded_postgres() -> None:
    """Register this process with the embedded PostgreSQL when it serves the app's database, so that it
    stays up for the whole run even if the process that started it (make run, a test session) exits
    meanwhile; pgserver lets go of it when this process exits."""
    host = connections["default"].settings_dict["OPTIONS"].get("host")
    if host and embedded._running_postgres_socket(embedded.postgres_dir(settings.DATA_DIR)) == host:
        embedded.EmbeddedPostgres(settings.DATA_DIR).start()


def load_test(plan: LoadPlan, log: Callable[[str], None] = print) -> list[dict]:
    """Every level of `plan` on one database and one set of processes of the run's own; their figures."""
    if plan.redis_db == settings.REDIS_DB:
        raise ValueError(f"--redis-db {plan.redis_db} is the app's own Redis database: choose another one")
    _hold_embedded_postgres()
    redis_server = None
    if settings.REDIS_URL == embedded.redis_url(settings.DATA_DIR):
        # A server of the run's own: had the run started the app's, `make run` could adopt it and lose
        # it when the run ends.
        redis_server = embedded.EmbeddedRedis(settings.DATA_DIR / "loadtest-redis")
        redis_server.start()
    try:
        with own_place(plan, redis_server.url if redis_server else settings.REDIS_URL, log) as place:
            tokens = marketer_tokens(max(plan.users))
            products = list(Product.objects.using(ALIAS).values_list("pk", flat=True))
            stack = Stack(place, plan)
            try:
                stack.start()
                log(f"web server and workers ready on {stack.url} (logs: {stack.log_path})")
                results = []
                for users in plan.users:
                    log(f"{users} marketers, one banner every {plan.interval:.0f} s each, for {plan.minutes} min")
                    results.append(run_level(stack, plan, users, tokens, products))
                return results
            finally:
                stack.stop()
    finally:
        if redis_server is not None and not redis_server.adopted:
            redis_server.stop()


def percentile(values: list[float], q: float) -> float | None:
    values = sorted(values)
    return round(values[min(len(values) - 1, round(q * (len(values) - 1)))], 2) if values else None


def summary(run: Run, *, users: int, minutes: float, left_in_processing: int) -> dict:
    outcomes = run.outcomes
    latencies = [o.seconds for o in outcomes if o.ok]
    waits = [o.queue_wait for o in outcomes if o.queue_wait is not None]
    success_rate = sum(o.ok for o in outcomes) / len(outcomes) if outcomes else 0.0
    unfinished = sum(o.error == "not finished" for o in outcomes)
    passed = bool(outcomes) and success_rate >= SUCCESS_TARGET and not unfinished and not left_in_processing
    return {
        "users": users,
        "minutes": minutes,
        "requests": len(outcomes),
        "ai_requests": sum(o.mode == "ai" for o in outcomes),
        "success_rate": round(success_rate, 4),
        "latency_p50_s": percentile(latencies, 0.5),
        "latency_p95_s": percentile(latencies, 0.95),
        "latency_p99_s": percentile(latencies, 0.99),
        "queue_wait_p95_s": percentile(waits, 0.95),
        "unfinished": unfinished,
        "left_in_processing": left_in_processing,
        "verdict": "pass" if passed else "FAIL",
        "kills": run.kills,
        "errors": sorted({o.error for o in outcomes if not o.ok})[:5],
    }
