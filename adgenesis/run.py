"""`make run`: start the embedded servers, prepare the database, start workers and the web server.

One process supervises everything it starts. Ctrl-C (SIGINT) or SIGTERM stops the web server
and the workers first (RQ finishes its current job: warm shutdown), then Redis, then PostgreSQL,
so nothing is left running. Children die with the supervisor even if it is killed (PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from adgenesis import embedded

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_LOGINS = (("admin", "admin"), ("designer", "designer"), ("marketer", "marketer"))
STOP_GRACE_SECONDS = 15
_PR_SET_PDEATHSIG = 1


class StartupError(Exception):
    """A problem the operator can fix; printed as one line, without a traceback."""


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise StartupError(
                f"port {port} on {host} is busy: stop what is using it, or run `PORT=8001 make run`"
            ) from None


def hold_data_dir(
    data_dir: Path, wait: float = STOP_GRACE_SECONDS + 30, cancelled: Callable[[], bool] = lambda: False
) -> IO | None:
    """This run's lock on its data folder, held until the process exits. A second `make run` on the
    folder waits while the first is still stopping: it would otherwise adopt that run's Redis and
    PostgreSQL, which the first then shuts down under it (seen: Ctrl-C, `make run` again at once,
    every job stuck on a missing Redis socket). One that stays up is named, and this run stops. None
    when `cancelled` says so while waiting (Ctrl-C)."""
    lock = open(data_dir / "run.lock", "a+")  # kept open: the lock lives as long as the file
    deadline = time.monotonic() + wait
    waiting = False
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if cancelled():
                lock.close()
                return None
            if time.monotonic() >= deadline:
                lock.seek(0)
                holder = lock.read().strip() or "unknown"
                lock.close()
                raise StartupError(
                    f"another AdGenesis (pid {holder}) is running on {data_dir}: stop it first, or give this one "
                    f"its own folder with ADGENESIS_DATA_DIR"
                ) from None
            if not waiting:
                print(f"waiting for the AdGenesis that is stopping on {data_dir} ...", flush=True)
                waiting = True
            time.sleep(0.2)
            continue
        lock.seek(0)
        lock.truncate()
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        return lock


def _gpu_ids() -> list[str]:
    """One imagegen worker per GPU id in ADGENESIS_GPUS ("0,1"); one CPU worker when empty."""
    value = os.environ.get("ADGENESIS_GPUS", "").strip()
    return [gpu.strip() for gpu in value.split(",") if gpu.strip()] or [""]


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    restarts: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=BASE_DIR,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Supervisor:
    host: str
    port: int
    data_dir: Path
    children: list[Child] = field(default_factory=list)
    postgres: embedded.EmbeddedPostgres | None = None
    redis: embedded.EmbeddedRedis | None = None
    stopping: bool = False
    lock: IO | None = None

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("DEBUG", "1")
        env["ADGENESIS_DATA_DIR"] = str(self.data_dir)
        env["PYTHONUNBUFFERED"] = "1"
        if not env.get("DATABASE_URL"):
            self.postgres = embedded.EmbeddedPostgres(self.data_dir)
            env["DATABASE_URL"] = self.postgres.start()
        if not env.get("REDIS_URL"):
            self.redis = embedded.EmbeddedRedis(self.data_dir)
            env["REDIS_URL"] = self.redis.start()
        return env

    def manage(self, *args: str) -> list[str]:
        return [sys.executable, str(BASE_DIR / "manage.py"), *args]

    def plan_children(self, env: dict[str, str]) -> None:
        worker_class, model_worker = "banners.worker.BannerWorker", "banners.worker.ModelWorker"
        self.children.append(
            Child(
                "worker default",
                self.manage("rqworker", "default", "--worker-class", worker_class, "--with-scheduler"),
                env,
            )
        )
        for gpu in _gpu_ids():
            gpu_env = dict(env, CUDA_VISIBLE_DEVICES=gpu) if gpu else env
            label = f"worker imagegen+train (GPU {gpu})" if gpu else "worker imagegen+train (CPU)"
            # The same worker takes style trainings (`train`) when no picture is waiting.
            self.children.append(
                Child(label, self.manage("rqworker", "imagegen", "train", "--worker-class", model_worker), gpu_env)
            )
        self.children.append(
            Child("worker segment", self.manage("rqworker", "segment", "--worker-class", model_worker), env)
        )
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "adgenesis.wsgi:application",
            "--bind",
            f"{self.host}:{self.port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
            "--no-control-socket",
        ]
        self.children.append(Child("web", web, env))

    def run(self) -> int:
        started = time.monotonic()
        _check_port_free(self.host, self.port)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.lock = hold_data_dir(self.data_dir, cancelled=lambda: self.stopping)
        if self.stopping:
            return 0
        env = self.child_env()
        prepared = subprocess.run(self.manage("bootstrap"), env=env, cwd=BASE_DIR)
        if self.stopping:
            return 0
        if prepared.returncode != 0:
            raise StartupError("preparing the database failed (see the messages above)")
        self.plan_children(env)
        for child in self.children:
            child.start()
        self._wait_for_web()
        self._announce(time.monotonic() - started)
        return self._watch()

    def _wait_for_web(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        if not self.stopping:
            raise StartupError(f"the web server did not start on {self.host}:{self.port} in {timeout:.0f} s")

    def _announce(self, seconds: float) -> None:
        logins = ", ".join(f"{user} / {password}" for user, password in DEMO_LOGINS)
        print(
            f"\nAdGenesis is serving on http://{self.host}:{self.port}/  (ready in {seconds:.1f} s)\n"
            f"Demo logins (user / password): {logins}\n"
            f"API docs: http://{self.host}:{self.port}/api/v1/docs/   Press Ctrl-C to stop.\n",
            flush=True,
        )

    def _watch(self) -> int:
        while not self.stopping:
            for child in self.children:
                if child.alive() or self.stopping:
                    continue
                if child.name == "web":
                    print("web server exited; stopping everything", file=sys.stderr)
                    return 1
                child.restarts += 1
                print(f"{child.name} exited (code {child.process.returncode}); restarting", file=sys.stderr)
                time.sleep(min(5, child.restarts))
                child.start()
            time.sleep(0.5)
        return 0

    def request_stop(self, signum: int, _frame: object) -> None:
        self.stopping = True

    def stop(self) -> None:
        """Workers and web first, then Redis, then PostgreSQL."""
        for child in self.children:
            if child.alive():
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()


def main() -> int:
    warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR under root
    data_dir = Path(os.environ.get("ADGENESIS_DATA_DIR", BASE_DIR / "var")).resolve()
    try:
        port = int(os.environ.get("PORT", "8000"))
    except ValueError:
        print("PORT must be a number", file=sys.stderr)
        return 2
    supervisor = Supervisor(host=os.environ.get("HOST", "127.0.0.1"), port=port, data_dir=data_dir)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    try:
        return supervisor.run()
    except StartupError as error:
        print(f"make run: {error}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop()
        print("AdGenesis stopped: web, workers, Redis and PostgreSQL are down.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
