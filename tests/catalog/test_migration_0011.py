"""Migration 0011 on an install whose bank vectors were stored out of line (pgvector's default for a
vector over 2 KB): they move into the table's pages, unchanged, and the HNSW indexes are there after."""

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OLD, NEW = ("catalog", "0010_hypothesis_hnsw_ef_construction"), ("catalog", "0011_bank_vectors_inline")


def _toasted_rows(cursor) -> int:
    cursor.execute("SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'catalog_imagetext'::regclass")
    cursor.execute(f"SELECT count(*) FROM {cursor.fetchone()[0]}")
    return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_vectors_stored_out_of_line_move_into_the_table():
    executor = MigrationExecutor(connection)
    executor.migrate([OLD])
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE catalog_imagetext ALTER COLUMN embedding SET STORAGE EXTERNAL")
    old = executor.loader.project_state([OLD]).apps
    image = old.get_model("catalog", "BankImage").objects.create(
        file="bank/taxi.png", name="taxi", caption="A taxi.", hypotheses=["Taxi."], status="approved"
    )
    vector = np.random.default_rng(0).standard_normal(896).astype(np.float32)
    for kind in ("caption", "hypothesis"):
        old.get_model("catalog", "ImageText").objects.create(
            bank_image=image, kind=kind, text="A taxi.", embedding=vector, embedder="fusion"
        )
    try:
        with connection.cursor() as cursor:
            assert _toasted_rows(cursor) > 0
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([NEW])
        with connection.cursor() as cursor:
            assert _toasted_rows(cursor) == 0
            cursor.execute(
                "SELECT attstorage FROM pg_attribute WHERE attrelid = 'catalog_imagetext'::regclass"
                " AND attname = 'embedding'"
            )
            assert cursor.fetchone()[0] == "m"
            cursor.execute("SELECT embedding::real[] FROM catalog_imagetext")
            assert all(np.array_equal(np.float32(row[0]), vector) for row in cursor.fetchall())
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_imagetext'")
            names = {row[0] for row in cursor.fetchall()}
        assert {"imagetext_caption_hnsw", "imagetext_hypothesis_hnsw"} <= names
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
