"""A counting semaphore in Redis: at most `limit` holders across every process and host that shares
the Redis, so the LLM's concurrency limit holds for all workers together, not per process.

Holders are members of a sorted set scored by when their lease ends; taking a slot first drops the
expired ones, so a worker killed while holding a slot frees it after `lease` seconds at the latest.
One Lua script takes a slot atomically.
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager

_TAKE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
    redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 1)
    return 1
end
return 0
"""


class SlotTimeout(TimeoutError):
    """No slot came free in time."""


class RedisSemaphore:
    def __init__(self, client, key: str, limit: int, *, lease: float = 300.0, wait: float = 600.0, poll: float = 0.02):
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.client, self.key, self.limit = client, key, limit
        self.lease, self.wait, self.poll = lease, wait, poll
        self._take = client.register_script(_TAKE)

    def holders(self) -> int:
        self.client.zremrangebyscore(self.key, "-inf", time.time())
        return int(self.client.zcard(self.key))

    @contextmanager
    def __call__(self):
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait
        while not self._take(keys=[self.key], args=[time.time(), self.limit, self.lease, token]):
            if time.monotonic() > deadline:
                raise SlotTimeout(f"no free slot of {self.limit} in {self.wait:.0f} s ({self.key})")
            time.sleep(self.poll)
        try:
            yield
        finally:
            self.client.zrem(self.key, token)


class LocalSemaphore:
    """The same interface within one process, for when there is no shared Redis."""

    def __init__(self, limit: int):
        import threading

        self._slots = threading.BoundedSemaphore(max(1, limit))

    @contextmanager
    def __call__(self):
        with self._slots:
            yield
