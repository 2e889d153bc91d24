"""Production settings pass Django's deployment checks; development defaults stay on loopback."""

import os
import secrets
import subprocess
import sys

from tests.conftest import ROOT, worker_database_url


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings(db):
    result = _manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="ads.example.com",
        DATABASE_URL=worker_database_url(),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Every security check passes; the one warning is that no image model is configured here.
    assert "security." not in output, output
    assert "adgenesis.W001" in output and "ADGENESIS_QWEN_IMAGE_PATH" in output
    assert "1 issue" in output


def test_production_refuses_to_start_without_a_secret_key(db):
    result = _manage("check", DEBUG="0", DATABASE_URL=worker_database_url())
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_strict_booleans_refuse_typos(db):
    result = _manage("check", DEBUG="ture", DATABASE_URL=worker_database_url())
    assert "DEBUG must be true or false" in result.stderr


def test_development_defaults_listen_on_loopback_only():
    from django.conf import settings

    assert set(settings.ALLOWED_HOSTS) <= {"127.0.0.1", "localhost", "testserver"}
