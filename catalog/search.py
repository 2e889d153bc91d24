"""Bank search as the app calls it: texts → vectors (in a worker, never in a web process) → ranks."""

from __future__ import annotations

import time
from dataclasses import dataclass

import django_rq
import numpy as np
from django.conf import settings
from rq import Queue
from rq.job import get_current_job
from rq.results import Result

from catalog.selectors import BankHit, bank_rank, bank_sample


class SearchUnavailable(RuntimeError):
    """No worker answered the embedding request in time."""


@dataclass
class BankSearch:
    hits: list[BankHit]
    chosen: BankHit | None


def texts_embed(texts: list[str]) -> np.ndarray:
    """Vectors of texts: computed here inside a worker, or by a `default` worker for a web request."""
    if get_current_job() is not None or settings.EMBED_IN_PROCESS:
        from mlcore.embed import embedder

        return embedder(settings.EMBEDDER).encode(texts, query=True)
    # A plain RQ queue: the request waits for the answer, so it must not wait for a commit.
    queue = Queue("default", connection=django_rq.get_connection("default"))
    job = queue.enqueue("catalog.jobs.texts_embed", texts, job_timeout=60, result_ttl=60, failure_ttl=600)
    deadline = time.monotonic() + settings.EMBED_WAIT_SECONDS
    result = job.latest_result()
    while result is None and time.monotonic() < deadline:
        time.sleep(0.005)
        result = job.latest_result()
    if result is None or result.type != Result.Type.SUCCESSFUL:
        job.cancel()
        raise SearchUnavailable(
            f"no worker embedded the query within {settings.EMBED_WAIT_SECONDS} s: is a `default` worker running?"
        )
    return np.asarray(result.return_value, dtype=np.float32)


def bank_search(*, product_text: str, description: str = "", k: int = 10, seed: int = 0) -> BankSearch:
    texts = [product_text] + ([description] if description.strip() else [])
    vectors = texts_embed(texts)
    hits = bank_rank(
        product=vectors[0], description=vectors[1] if len(vectors) > 1 else None, k=max(k, settings.BANK_SAMPLE_FROM)
    )
    return BankSearch(hits=hits[:k], chosen=bank_sample(hits, seed=seed))
