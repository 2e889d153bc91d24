"""`manage.py loadtest` in small: marketers drive the real API and workers on a database of the run's
own; an imagegen worker killed mid-picture loses nothing, and the designer's database sees none of it.

The command runs in a process of its own, as an operator runs it (a test case here would refuse the
run's second database connection). About 70 s on two cores, a third of it loading the demo data
(1 238 bank pictures) into the run's database."""

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from banners.models import Banner, Campaign
from tests.conftest import ROOT, worker_env

pytestmark = pytest.mark.slow


def _database_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def test_a_short_load_with_a_killed_worker_succeeds_and_leaves_nothing_behind(transactional_db, tmp_path):
    figures = tmp_path / "figures.json"
    options = {
        "--users": "2",
        "--interval": "2",
        "--minutes": "0.3",
        "--ai-share": "0.5",
        "--image-seconds": "0.5",
        "--task-timeout": "60",  # a job lost with its worker would hold its task far longer
        "--kill-worker-at": "5",
        "--redis-db": str(11 + settings.REDIS_DB % 5),  # test sessions use 1-10 (ADGENESIS_TEST_SLOT)
        "--json": str(figures),
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "loadtest", *[part for pair in options.items() for part in pair]],
        env=worker_env(ADGENESIS_WORKER_PRELOAD="true"),  # the designer's database: this test's
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    [level] = json.loads(figures.read_text())
    assert level["requests"] >= 8 and level["ai_requests"] >= 1, level
    assert level["success_rate"] >= 0.99 and level["verdict"] == "pass", level
    assert level["unfinished"] == 0 and level["left_in_processing"] == 0, level
    killed, task = level["kills"]
    assert "kill -9 of the imagegen process" in killed and "while it ran job" in killed, killed
    assert task.startswith("the killed job's task ended completed"), task
    assert "demo data loaded" in result.stdout and "left in processing" in result.stdout
    assert not Campaign.objects.exists() and not Banner.objects.exists()
    assert not _database_exists(f"{connection.settings_dict['NAME']}_loadtest")
