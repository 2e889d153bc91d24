"""Text-to-text retrieval quality of the bank's search path on caption pairs (e.g. COCO captions).

Index captions go into a scratch table through the same embedder + pgvector HNSW (cosine) as the
bank; each query caption must find its own image. Printed as one JSON object, with exact search
(no index) beside it.
"""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from catalog.selectors import _vector
from mlcore.embed import embedder as load_embedder


def _rows(path: Path) -> list[tuple[str, str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    if header[:3] != ["image_id", "index_caption", "query_caption"]:
        raise CommandError(f"{path}: the header must be image_id, index_caption, query_caption (tab-separated)")
    return [tuple(line.split("\t")[:3]) for line in lines[1:] if line.strip()]


def _metrics(ranks: list[int | None], times: list[float]) -> dict:
    n = len(ranks)
    hit = lambda k: round(sum(1 for r in ranks if r is not None and r < k) / n, 4)  # noqa: E731
    ordered = sorted(times)
    return {
        "pairs": n,
        "hit@1": hit(1),
        "hit@5": hit(5),
        "hit@10": hit(10),
        "mrr": round(sum(1 / (r + 1) for r in ranks if r is not None) / n, 4),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2),
    }


class Command(BaseCommand):
    help = "Evaluate text-to-text retrieval: --pairs FILE.tsv (image_id, index_caption, query_caption)."

    def add_arguments(self, parser):
        parser.add_argument("--pairs", required=True)
        parser.add_argument("--embedder", default="", help="Default: ADGENESIS_EMBEDDER")

    def handle(self, *args, pairs: str, embedder: str, **options):
        from django.conf import settings

        rows = _rows(Path(pairs))
        model = load_embedder(embedder or settings.EMBEDDER)
        index_vectors = model.encode([r[1] for r in rows])
        query_vectors = model.encode([r[2] for r in rows], query=True)
        ids = [r[0] for r in rows]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS eval_texts")  # inside an outer transaction ON COMMIT waits
            cursor.execute(
                f"CREATE TEMP TABLE eval_texts (image_id text, embedding vector({model.dimensions})) ON COMMIT DROP"
            )
            cursor.executemany(
                "INSERT INTO eval_texts VALUES (%s, %s::vector)",
                [(i, _vector(v)) for i, v in zip(ids, index_vectors, strict=True)],
            )
            cursor.execute("CREATE INDEX ON eval_texts USING hnsw (embedding vector_cosine_ops)")
            cursor.execute("ANALYZE eval_texts")
            cursor.execute("SELECT set_config('hnsw.ef_search', '40', true)")
            approximate = self._run(cursor, ids, query_vectors)
            cursor.execute("SELECT set_config('enable_indexscan', 'off', true)")
            exact = self._run(cursor, ids, query_vectors)
        result = {**approximate, "embedder": model.name, "exact": exact}
        self.stdout.write(json.dumps(result))

    @staticmethod
    def _run(cursor, ids, query_vectors) -> dict:
        ranks, times = [], []
        for image_id, vector in zip(ids, query_vectors, strict=True):
            started = time.perf_counter()
            cursor.execute(
                "SELECT image_id FROM eval_texts ORDER BY embedding <=> %s::vector LIMIT 10", [_vector(vector)]
            )
            found = [row[0] for row in cursor.fetchall()]
            times.append(time.perf_counter() - started)
            ranks.append(found.index(image_id) if image_id in found else None)
        return _metrics(ranks, times)
