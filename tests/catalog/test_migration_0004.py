"""Migration 0004 on an install that already has indexed pictures (make run on an old database): the
vectors become 896-wide and are cleared, marked as made by no embedder, so bootstrap re-embeds them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

OLD, NEW = ("catalog", "0003_imagetext_embedder"), ("catalog", "0004_bank_texts_in_two_languages")


@pytest.mark.django_db(transaction=True)
def test_an_old_bank_with_vectors_migrates_and_waits_to_be_reembedded():
    executor = MigrationExecutor(connection)
    executor.migrate([OLD])
    old = executor.loader.project_state([OLD]).apps
    image = old.get_model("catalog", "BankImage").objects.create(
        file="bank/taxi.png", name="taxi", caption="A taxi.", hypotheses=["Taxi."], status="approved"
    )
    old.get_model("catalog", "ImageText").objects.create(
        bank_image=image, kind="caption", text="A taxi.", embedding=[0.1] * 384, embedder="multilingual-e5-small"
    )
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([NEW])  # in one transaction with the rows above: failed before (pending trigger events)
        with connection.cursor() as cursor:
            cursor.execute("SELECT embedding IS NULL, embedder FROM catalog_imagetext")
            assert cursor.fetchall() == [(True, "")]
            cursor.execute(
                "SELECT atttypmod FROM pg_attribute"
                " WHERE attrelid = 'catalog_imagetext'::regclass AND attname = 'embedding'"
            )
            assert cursor.fetchone()[0] == 896
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'catalog_imagetext' ORDER BY 1")
            names = [row[0] for row in cursor.fetchall()]
        assert {"imagetext_caption_hnsw", "imagetext_hypothesis_hnsw"} <= set(names)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
