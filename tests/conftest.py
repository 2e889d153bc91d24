"""Shared fixtures: the embedded Redis, real RQ workers, users in each role, small factories.

PostgreSQL is the embedded one (or DATABASE_URL): settings join or start it, and pytest-django
creates the test database on it. Redis is started here unless REDIS_URL points elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import django_rq
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from adgenesis import embedded

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def redis_server():
    """Start the session's own embedded Redis (tests/settings.py), unless REDIS_URL points elsewhere."""
    server = None
    if settings.REDIS_URL == embedded.redis_url(settings.TEST_REDIS_DIR):
        server = embedded.EmbeddedRedis(settings.TEST_REDIS_DIR)
        server.start()
    connection_ = django_rq.get_connection("default")
    connection_.flushdb()  # the test database number only
    yield connection_
    if server is not None and not server.adopted:
        server.stop()


def worker_database_url() -> str:
    """URL of the test database, for worker processes."""
    params = connection.settings_dict
    host = params.get("HOST") or params.get("OPTIONS", {}).get("host", "")
    user = quote(params.get("USER") or "")
    password = quote(params.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else f"{user}@"
    if host.startswith("/"):
        return f"postgres://{auth}/{params['NAME']}?host={quote(host)}"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{params['NAME']}"


def worker_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        ADGENESIS_WORKER_PRELOAD=extra.get("ADGENESIS_WORKER_PRELOAD", "false"),  # load models only when used
        DATABASE_URL=worker_database_url(),
        REDIS_URL=settings.REDIS_URL,
        PYTHONUNBUFFERED="1",
    )
    return env


def worker_command(*queues: str, burst: bool = True) -> list[str]:
    """The worker `make run` starts for these queues (models stay in-process on imagegen/segment)."""
    models = set(queues) & {"imagegen", "segment"}
    worker_class = "banners.worker.ModelWorker" if models else "banners.worker.BannerWorker"
    command = [sys.executable, str(ROOT / "manage.py"), "rqworker", *queues, "--worker-class", worker_class]
    return command + (["--burst"] if burst else [])


@pytest.fixture
def run_worker(transactional_db):
    """Run a real RQ worker process in burst mode: it does every queued job, then exits."""

    def run(*queues: str, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            worker_command(*(queues or ("default",))),
            env=worker_env(**(env or {})),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    return run


@pytest.fixture
def worker_process(transactional_db):
    """A long-running real worker process (for tests that kill it); stopped after the test."""
    processes: list[subprocess.Popen] = []

    def start(*queues: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        process = subprocess.Popen(
            worker_command(*(queues or ("default",)), burst=False),
            env=worker_env(**(env or {})),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    """Poll until predicate() is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met in {timeout} s")


# -- people ------------------------------------------------------------------------------------


def _user(username: str, group: str | None = None, **flags) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username, **flags)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def marketer(db) -> User:
    return _user("alice", "marketers")


@pytest.fixture
def other_marketer(db) -> User:
    return _user("bob", "marketers")


@pytest.fixture
def designer(db) -> User:
    return _user("dora", "designers", is_staff=True)


@pytest.fixture
def admin_user(db) -> User:
    return _user("root", is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db) -> User:
    """Logged in, but in no group."""
    return _user("charlie")


def api_client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(marketer) -> APIClient:
    return api_client_for(marketer)


@pytest.fixture
def fake_llm():
    """A scripted OpenAI-compatible server on 127.0.0.1."""
    from tests.fake_llm import FakeLLM

    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture
def llm_settings(settings, fake_llm):
    """Point the app's copywriter at the fake server (fast retries for tests)."""
    settings.LLM_BASE_URL = fake_llm.base_url
    settings.LLM_MODEL = "fake-copywriter"
    settings.LLM_TIMEOUT = 2.0
    settings.LLM_MAX_RETRIES = 2
    settings.LLM_BACKOFF = 0.01
    settings.SAFETY_LLM = False
    return settings
