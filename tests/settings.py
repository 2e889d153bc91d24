"""Test settings: the real settings, with Redis queues on a Redis server and database of their own so a
running `make run` never picks up a test's jobs, and test media in its own folder.

ADGENESIS_TEST_SLOT=N (1-9) gives a pytest session its own test database, Redis database and media
folder, so two sessions can run side by side on the same embedded servers."""

import os

os.environ.setdefault("DEBUG", "1")

from adgenesis import embedded
from adgenesis.settings import *  # noqa: F403
from adgenesis.settings import DATA_DIR, DATABASES, REDIS_URL, RQ_QUEUES

_SLOT = int(os.environ.get("ADGENESIS_TEST_SLOT", "0"))
_SUFFIX = f"_{_SLOT}" if _SLOT else ""
# A Redis server of the session's own, not the one `make run` serves: had a test session started the
# server `make run` then adopted, its end would stop Redis under `make run` (seen).
TEST_REDIS_DIR = DATA_DIR / f"test-redis{_SUFFIX}"
if not os.environ.get("REDIS_URL"):
    REDIS_URL = embedded.redis_url(TEST_REDIS_DIR)
REDIS_DB = 1 + _SLOT
RQ_QUEUES = {name: {**queue, "URL": REDIS_URL, "DB": REDIS_DB} for name, queue in RQ_QUEUES.items()}
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}{_SUFFIX}"}
MEDIA_ROOT = DATA_DIR / f"test-media{_SUFFIX}"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
