"""Test settings: the real settings, with Redis queues on their own database number so a running
`make run` never picks up a test's jobs, and test media in its own folder."""

import os

os.environ.setdefault("DEBUG", "1")

from adgenesis.settings import *  # noqa: F403
from adgenesis.settings import DATA_DIR, RQ_QUEUES

REDIS_DB = 1
RQ_QUEUES = {name: {**queue, "DB": REDIS_DB} for name, queue in RQ_QUEUES.items()}
MEDIA_ROOT = DATA_DIR / "test-media"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
