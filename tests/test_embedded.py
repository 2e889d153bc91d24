"""The embedded PostgreSQL+pgvector and Redis start, serve and stop; `make run`'s supervisor
starts everything and Ctrl-C leaves nothing running."""

import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import psycopg2
import pytest
import redis

from adgenesis import embedded
from tests.conftest import ROOT


def _processes_using(path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(path) in cmdline and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


@pytest.mark.slow
def test_postgres_with_pgvector_starts_and_stops(tmp_path):
    server = embedded.EmbeddedPostgres(tmp_path)
    url = server.start()
    pgdata = embedded.postgres_dir(tmp_path)
    try:
        conn = psycopg2.connect(dbname=embedded.DATABASE_NAME, user="postgres", host=server.socket_dir)
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
            cursor.execute("CREATE TABLE t (v vector(3))")
            cursor.execute("CREATE INDEX ON t USING hnsw (v vector_cosine_ops)")
            cursor.execute("INSERT INTO t VALUES ('[1,0,0]'), ('[0,1,0]')")
            cursor.execute("SELECT v FROM t ORDER BY v <=> '[0.9,0.1,0]' LIMIT 1")
            assert cursor.fetchone()[0] == "[1,0,0]"
            cursor.execute("SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers'")
            assert cursor.fetchone()[0] == int(embedded.server_settings()["shared_buffers"].removesuffix("MB")) * 2**20
        conn.close()
        assert embedded.postgres_url(tmp_path) == url  # a second process joins, it does not start another
    finally:
        server.stop()
    assert not (pgdata / "postmaster.pid").exists()
    assert not _processes_using(pgdata)


def test_postgres_takes_a_quarter_of_the_memory_for_its_cache_from_1_to_8_gb():
    """The bank's HNSW indexes are 1.5 GB at 100,000 pictures: they must fit in shared_buffers."""
    shared = {gib: embedded.server_settings(gib * embedded.GIB)["shared_buffers"] for gib in (2, 4, 24, 64)}
    assert shared == {2: "1024MB", 4: "1024MB", 24: "6144MB", 64: "8192MB"}
    assert 0 < embedded.memory_bytes() <= os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


@pytest.mark.slow
def test_dead_pids_do_not_keep_postgres_running(tmp_path):
    pids_file = embedded.postgres_dir(tmp_path) / ".handle_pids.json"
    server = embedded.EmbeddedPostgres(tmp_path)
    server.start()
    server.stop()
    pids_file.write_text("[999999]")  # a process killed with SIGKILL left its PID behind
    server = embedded.EmbeddedPostgres(tmp_path)
    server.start()
    server.stop()
    assert not (embedded.postgres_dir(tmp_path) / "postmaster.pid").exists()


def test_redis_starts_is_adopted_and_stops(tmp_path):
    first = embedded.EmbeddedRedis(tmp_path)
    first.start()
    client = redis.Redis.from_url(first.url)
    client.set("k", "v")
    second = embedded.EmbeddedRedis(tmp_path)
    second.start()
    assert second.adopted  # no second server on the same socket
    assert redis.Redis.from_url(second.url).get("k") == b"v"
    pid = client.info()["process_id"]
    first.stop()
    assert not first.socket_path.exists()
    assert not psutil.pid_exists(pid)
    with pytest.raises(redis.ConnectionError):
        client.ping()


def test_long_data_folder_gets_a_short_redis_socket(tmp_path):
    deep = tmp_path / ("x" * 120)
    assert len(str(embedded.redis_socket_path(deep))) <= 100


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _supervisor_env(data_dir, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    # The demo banners (half a minute) have tests of their own (tests/banners/test_training_data.py).
    env.update(
        ADGENESIS_DATA_DIR=str(data_dir),
        PORT=str(port),
        DEBUG="1",
        PYTHONUNBUFFERED="1",
        ADGENESIS_DEMO_BANNERS="false",
    )
    return env


def test_busy_port_gives_one_clear_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "adgenesis.run"],
            env=_supervisor_env(tmp_path, port),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is busy" in result.stderr
    assert "Traceback" not in result.stderr
    assert not _processes_using(tmp_path)


def _lock_holder(data_dir, seconds: float) -> subprocess.Popen:
    """Another process holding the data folder's lock, as a `make run` that is still stopping does."""
    code = (
        "import sys, time; from pathlib import Path; from adgenesis.run import hold_data_dir;"
        f"lock = hold_data_dir(Path({str(data_dir)!r})); print('held', flush=True); time.sleep({seconds})"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_run_waits_for_the_one_still_stopping(tmp_path, capsys):
    from adgenesis.run import hold_data_dir

    holder = _lock_holder(tmp_path, 1.5)
    started = time.monotonic()
    lock = hold_data_dir(tmp_path, wait=30)
    assert 1.0 < time.monotonic() - started < 10 and holder.wait(timeout=10) == 0
    assert "waiting for the AdGenesis that is stopping" in capsys.readouterr().out
    assert (tmp_path / "run.lock").read_text().strip() == str(os.getpid())
    lock.close()


def test_a_second_run_beside_a_running_one_says_which(tmp_path):
    from adgenesis.run import StartupError, hold_data_dir

    holder = _lock_holder(tmp_path, 60)
    try:
        with pytest.raises(StartupError, match=f"another AdGenesis \\(pid {holder.pid}\\) is running on"):
            hold_data_dir(tmp_path, wait=0.5)
        assert hold_data_dir(tmp_path, wait=30, cancelled=lambda: True) is None  # Ctrl-C while waiting
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow
def test_make_run_supervisor_serves_then_stops_everything(tmp_path):
    import httpx

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "adgenesis.run"],
        env=_supervisor_env(tmp_path, port),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            output.append(line)
            if "AdGenesis is serving on" in line or process.poll() is not None:
                break
        assert any("serving on" in line for line in output), "".join(output[-40:])
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/accounts/login/").status_code == 200
        redis_pid = redis.Redis.from_url(embedded.redis_url(tmp_path)).info()["process_id"]
        workers = [
            p for p in psutil.Process(process.pid).children(recursive=True) if "rqworker" in " ".join(p.cmdline())
        ]
        assert sorted(p.cmdline()[p.cmdline().index("rqworker") + 1] for p in workers) == [
            "default",
            "imagegen",
            "segment",
        ]
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest[-3000:]
    assert "stopped" in rest
    assert not (embedded.postgres_dir(tmp_path) / "postmaster.pid").exists()
    assert not embedded.redis_socket_path(tmp_path).exists()
    assert not psutil.pid_exists(redis_pid)
    assert not _processes_using(tmp_path)
