"""Bank vectors in the table's own pages (STORAGE MAIN, see catalog.models.EMBEDDING_STORAGE_SQL).
The setting applies to rows written after it, so the vectors already stored are written again, with
the HNSW indexes dropped first and built once afterwards (re-inserting into them row by row took
35 s for the demo bank)."""

from django.db import migrations

STORAGE_SQL = "ALTER TABLE catalog_imagetext ALTER COLUMN embedding SET STORAGE MAIN"


def vectors_inline(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(STORAGE_SQL)
        cursor.execute("SELECT EXISTS (SELECT 1 FROM catalog_imagetext WHERE embedding IS NOT NULL)")
        if not cursor.fetchone()[0]:
            return
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename = 'catalog_imagetext' AND indexdef LIKE '% USING hnsw %'"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("UPDATE catalog_imagetext SET embedding = embedding::real[]::vector WHERE embedding IS NOT NULL")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # PostgreSQL builds no index while FK checks are pending
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 0")  # see catalog.models.HNSW_SERIAL_BUILD_SQL
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("ANALYZE catalog_imagetext")


def vectors_out_of_line(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER TABLE catalog_imagetext ALTER COLUMN embedding SET STORAGE EXTERNAL")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0010_hypothesis_hnsw_ef_construction"),
    ]

    operations = [migrations.RunPython(vectors_inline, vectors_out_of_line)]
