"""The LLM's concurrency limit across processes: a Redis semaphore held by two worker-like processes
never lets more than `limit` calls run at once, and a killed holder's slot frees itself."""

import subprocess
import sys
import time

import redis
from django.conf import settings

from banners import copywriting
from mlcore.semaphore import RedisSemaphore

HOLDERS = """
import sys, threading, time, redis
from mlcore.semaphore import RedisSemaphore
client = redis.Redis.from_url(sys.argv[1])
slots = RedisSemaphore(client, "test:llm-slots", 2, lease=30)
def call():
    with slots():
        active = client.incr("test:active")
        client.eval("if tonumber(redis.call('GET', KEYS[1]) or 0) < tonumber(ARGV[1]) then "
                    "redis.call('SET', KEYS[1], ARGV[1]) end", 1, "test:peak", active)
        time.sleep(0.3)
        client.decr("test:active")
threads = [threading.Thread(target=call) for _ in range(3)]
[t.start() for t in threads]; [t.join() for t in threads]
"""

DIES_HOLDING = """
import os, sys, redis
from mlcore.semaphore import RedisSemaphore
slots = RedisSemaphore(redis.Redis.from_url(sys.argv[1]), "test:lonely", 1, lease=0.5)
slots().__enter__()
os._exit(0)  # killed while holding its slot
"""


def _client():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("test:llm-slots", "test:active", "test:peak", "test:lonely")
    return client


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, settings.REDIS_URL], cwd=settings.BASE_DIR)


def test_two_processes_never_exceed_the_limit_together():
    client = _client()
    started = time.monotonic()
    processes = [_python(HOLDERS), _python(HOLDERS)]
    assert [p.wait(timeout=60) for p in processes] == [0, 0]
    assert int(client.get("test:peak")) == 2  # six calls of 0.3 s, two at a time: never three
    assert time.monotonic() - started >= 0.9
    assert RedisSemaphore(client, "test:llm-slots", 2).holders() == 0


def test_a_killed_holders_slot_frees_itself_after_its_lease():
    client = _client()
    assert _python(DIES_HOLDING).wait(timeout=60) == 0
    slots = RedisSemaphore(client, "test:lonely", 1, lease=5, wait=5)
    assert slots.holders() in (0, 1)
    started = time.monotonic()
    with slots():
        waited = time.monotonic() - started
    assert waited < 2


def test_the_apps_llm_client_shares_one_semaphore_per_server(llm_settings, settings):
    copywriting._client_for.cache_clear()
    client = copywriting.llm_client()
    assert isinstance(client.slots, RedisSemaphore)
    assert client.slots.key == f"adgenesis:llm-slots:{settings.LLM_BASE_URL}" and client.slots.limit == 4
    copywriting._client_for.cache_clear()
