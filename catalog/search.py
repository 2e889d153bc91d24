"""Bank search as the app calls it: texts → vectors (in a worker, never in a web process) → ranks."""

from __future__ import annotations

import contextvars
import time
from contextlib import contextmanager
from dataclasses import dataclass

import django_rq
import numpy as np
from django.conf import settings
from rq import Queue
from rq.job import get_current_job
from rq.results import Result

from catalog.selectors import BankHit, bank_rank, bank_sample
from mlcore.picture_query import PictureQuery, picture_query, typed_query


class SearchUnavailable(RuntimeError):
    """No worker answered the embedding request in time."""


@dataclass
class BankSearch:
    hits: list[BankHit]
    chosen: BankHit | None
    best: float | None = None  # the best score, to tell whether any picture fits

    @property
    def fits(self) -> bool:
        return self.best is not None and self.best >= min_fit()


def min_fit() -> float:
    from mlcore.embed import min_similarity

    configured = settings.BANK_MIN_SIMILARITY
    return min_similarity(settings.EMBEDDER) if configured is None else configured


_HERE = contextvars.ContextVar("embed_here", default=False)


@contextmanager
def embedding_here():
    """Queries are embedded in this process while inside: for a command that searches the bank (as
    load_demo does for its banners), which may run before any worker is up."""
    token = _HERE.set(True)
    try:
        yield
    finally:
        _HERE.reset(token)


def texts_embed(texts: list[str]) -> np.ndarray:
    """Vectors of texts: computed here inside a worker, or by a `default` worker for a web request."""
    unique = list(dict.fromkeys(texts))
    if len(unique) < len(texts):
        vectors = texts_embed(unique)
        return vectors[[unique.index(text) for text in texts]]
    if get_current_job() is not None or settings.EMBED_IN_PROCESS or _HERE.get():
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


def search_query_for(*, product=None, text: str = "", description: str = "") -> PictureQuery:
    """The query the banner pipeline would build, for the search API and the designers' preview: a
    product brings its name, description and industry; free text is read as a marketer types an offer
    («кофе навынос», "gym membership": its subject weighs most); `description` is a written picture
    description. Text with nothing to search for but figures is searched as it is."""
    if product is not None:
        query = picture_query(
            product=product.name,
            description=product.description,
            industry=product.industry,
            slot_description=description,
        )
    else:
        query = picture_query(offer=text, slot_description=description)
    if not query.parts:
        query = typed_query(text or description, description)
    return query


def bank_search(
    *,
    product_text: str = "",
    description: str = "",
    query: PictureQuery | None = None,
    k: int = 10,
    seed: int = 0,
    exclude: frozenset[int] = frozenset(),
) -> BankSearch:
    """Two-stage search: stage 1 with the weighted mean of the query's texts (or the product text),
    stage 2 with its description. `fits` is False when even the best picture is less similar than
    settings.BANK_MIN_SIMILARITY: a banner is better without it. Pictures in `exclude` (already on
    the banner) are not drawn again."""
    if query is None:
        query = typed_query(product_text, description)
    product, description = query.search_vectors(texts_embed(query.texts))
    hits = bank_rank(
        product=product,
        description=description,
        k=max(k, settings.BANK_SAMPLE_FROM) + len(exclude),
        description_weight=query.description_weight,
    )
    hits = [hit for hit in hits if hit.image_id not in exclude]
    fitting = [hit for hit in hits if hit.score >= min_fit()]
    chosen = bank_sample(fitting or hits, seed=seed)  # never draws an unfitting picture over a fitting one
    return BankSearch(hits=hits[:k], chosen=chosen, best=hits[0].score if hits else None)
