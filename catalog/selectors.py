"""Reads of the catalog app: the two-stage, text-only bank search (seed 003), in SQL with pgvector.

Stage 1 ranks pictures by how close their product hypotheses are to the product description
(HNSW index on hypotheses: the 150 nearest hypotheses, at most 300 pictures; the seed's 900 =
3 x 300 costs 8x the latency for the same top 10 at 896 dimensions, and the demo bank's marketer
queries find the same pictures with 150 as with all, see bench/bench_retrieval.py and
bench/bench_bank_languages.py); stage 2 reranks those by how close their caption (or its
translation: the closer of the two) is to the marketer's picture description (an inner product: the
captions are unit vectors, and the description vector may be a weighted mix of two, see
catalog.search.bank_search). The picture is drawn
from the top 10 with weights, seeded. A small bank (settings.BANK_EXACT_BELOW) skips the HNSW index:
stage 1 reads every hypothesis, and every install finds the same pictures.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from catalog.models import BankImage

HYPOTHESES_PER_IMAGE = 3
DESCRIPTION_WEIGHT = 0.75  # stage 2 score: mostly the picture description (the product: the rest)
# Softmax temperature of the top-10 draw. The default embedder's scores of the top 10 lie within about
# 0.02 of each other, so 0.03 drew nearly uniformly (a roasted sweet potato for a cappuccino offer one
# time in ten). At 0.005 the coffee shop's «Тыквенный латте» still drew an ear of corn 0.008 below the
# cup; at 0.003 a picture 0.005 below the best is drawn 5 times less often than it, and the drawn
# picture is an expected one more often (bench offers at the demo products: 0.54-0.61 → 0.61-0.68 of
# draws; the offer-only sets 0.66-0.74 → 0.68-0.75), while near ties still vary from seed to seed.
SAMPLING_TEMPERATURE = 0.003


@dataclass(frozen=True)
class BankHit:
    image_id: int
    score: float
    product_similarity: float
    description_similarity: float | None


def _vector(values: np.ndarray) -> str:
    # Python floats format in half the time of NumPy's scalars (0.7 → 0.4 ms for 896 dimensions).
    return "[" + ",".join(map("{:.6f}".format, np.asarray(values, dtype=np.float64).tolist())) + "]"


_STAGE1 = """
    WITH hyp AS MATERIALIZED (
        SELECT t.bank_image_id, t.embedding <=> %(product)s::vector AS distance
        FROM catalog_imagetext t
        WHERE t.kind = 'hypothesis'
        ORDER BY t.embedding <=> %(product)s::vector
        LIMIT %(candidates)s
    )
    SELECT h.bank_image_id, 1 - MIN(h.distance) AS product_similarity
    FROM hyp h JOIN catalog_bankimage b ON b.id = h.bank_image_id
    WHERE b.status = 'approved' AND NOT b.has_text AND NOT b.has_logo AND NOT b.too_complex
    GROUP BY h.bank_image_id
    ORDER BY product_similarity DESC
    LIMIT %(images)s
"""

_STAGE2 = f"""
    WITH stage1 AS ({_STAGE1})
    SELECT s.bank_image_id, s.product_similarity,
           MAX(-(c.embedding <#> %(description)s::vector)) AS description_similarity
    FROM stage1 s JOIN catalog_imagetext c ON c.bank_image_id = s.bank_image_id AND c.kind = 'caption'
    GROUP BY s.bank_image_id, s.product_similarity
    ORDER BY (1 - %(description_weight)s) * s.product_similarity
             + %(description_weight)s * MAX(-(c.embedding <#> %(description)s::vector)) DESC
    LIMIT %(k)s
"""


def ef_search(candidates: int) -> int:
    """HNSW returns at most ef_search rows per scan: as many as the candidates, or the operator's wider
    ADGENESIS_BANK_EF_SEARCH (adgenesis/settings.py has the measured trade-off)."""
    return min(1000, max(40, candidates, settings.BANK_EF_SEARCH or candidates))


# About how many texts the bank holds, from PostgreSQL's statistics, without a scan: the count the last
# VACUUM, ANALYZE or index build recorded, or the live rows counted since if there are more (a
# statistics reset after a crash does not lose the first, a large import is in the second).
_TEXTS_ESTIMATE = (
    "(SELECT greatest(reltuples, pg_stat_get_live_tuples(oid)) FROM pg_class WHERE oid = 'catalog_imagetext'::regclass)"
)


def bank_rows(cursor, sql: str, params: dict, *, candidates: int) -> list[tuple]:
    """Run a stage-1 or stage-2 query in the caller's transaction: exactly on a bank smaller than
    settings.BANK_EXACT_BELOW texts, through the HNSW index at ef_search(candidates) on a larger one."""
    # one round trip for both: the scan width, and the bank's size
    cursor.execute(f"SELECT set_config('hnsw.ef_search', %s, true), {_TEXTS_ESTIMATE}", [str(ef_search(candidates))])
    exact = int(cursor.fetchone()[1]) < settings.BANK_EXACT_BELOW
    if exact:
        cursor.execute("SET LOCAL enable_indexscan = off")
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    if not rows and not exact and BankImage.objects.searchable().filter(texts__embedding__isnull=False).exists():
        # pgvector 0.6's HNSW scan hands back its ef_search nearest entries before visibility is
        # checked: after a bulk delete (re-indexing, a rolled-back import) they can all be dead
        # rows until VACUUM. Then an exact scan finds what the index missed.
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return rows


def bank_rank(
    *,
    product: np.ndarray,
    description: np.ndarray | None = None,
    k: int = 10,
    images: int | None = None,
    description_weight: float = DESCRIPTION_WEIGHT,
) -> list[BankHit]:
    """The best `k` searchable pictures for a product vector (and a description vector, weighing
    `description_weight` in the stage-2 score)."""
    images = images or settings.BANK_STAGE1_IMAGES
    candidates = settings.BANK_STAGE1_HYPOTHESES or images * HYPOTHESES_PER_IMAGE
    params = {"product": _vector(product), "candidates": candidates, "images": images, "k": k}
    if description is None:
        sql = _STAGE1.replace("LIMIT %(images)s", "LIMIT %(k)s")
    else:
        sql = _STAGE2
        params.update(description=_vector(description), description_weight=description_weight)
    with transaction.atomic(), connection.cursor() as cursor:
        rows = bank_rows(cursor, sql, params, candidates=candidates)
    if description is None:
        return [BankHit(row[0], float(row[1]), float(row[1]), None) for row in rows]
    return [
        BankHit(
            row[0],
            (1 - description_weight) * row[1] + description_weight * row[2],
            float(row[1]),
            float(row[2]),
        )
        for row in rows
    ]


def bank_sample(hits: list[BankHit], *, seed: int, top: int | None = None) -> BankHit | None:
    """Draw one of the best `top` hits with softmax weights: same seed, same picture."""
    top = top or settings.BANK_SAMPLE_FROM
    pool = hits[:top]
    if not pool:
        return None
    best = pool[0].score
    weights = [math.exp((hit.score - best) / SAMPLING_TEMPERATURE) for hit in pool]
    return random.Random(seed).choices(pool, weights=weights, k=1)[0]


def bank_images_by_id(ids: list[int]) -> dict[int, BankImage]:
    return {image.pk: image for image in BankImage.objects.filter(pk__in=ids)}
