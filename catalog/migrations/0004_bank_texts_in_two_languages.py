"""Bank pictures get a caption in a second language, and the vectors grow to the default embedder's
896 dimensions (multilingual-e5-small 384 + USE multilingual 512). Stored vectors cannot be cast, so
they are cleared and marked as made by no embedder: `make run` (bootstrap) re-embeds them."""

import pgvector.django
from django.db import migrations, models


def _resize(dimensions: int) -> list[str]:
    # Rows changed earlier in the migration's transaction leave deferred foreign-key checks pending,
    # and PostgreSQL refuses to build an index while any are: they are run first.
    return [
        "SET CONSTRAINTS ALL IMMEDIATE",
        "DROP INDEX IF EXISTS imagetext_caption_hnsw",
        "DROP INDEX IF EXISTS imagetext_hypothesis_hnsw",
        "UPDATE catalog_imagetext SET embedder = ''",
        f"ALTER TABLE catalog_imagetext ALTER COLUMN embedding TYPE vector({dimensions}) USING NULL",
        "SET CONSTRAINTS ALL IMMEDIATE",
        *(
            f"CREATE INDEX imagetext_{kind}_hnsw ON catalog_imagetext USING hnsw (embedding vector_cosine_ops) "
            f"WITH (m = 16, ef_construction = 64) WHERE kind = '{kind}'"
            for kind in ("caption", "hypothesis")
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_imagetext_embedder"),
    ]

    operations = [
        migrations.AddField(
            model_name="bankimage",
            name="caption_translation",
            field=models.TextField(
                blank=True, help_text="The caption in the other language (optional); search reads both."
            ),
        ),
        migrations.AlterField(
            model_name="bankimage",
            name="caption",
            field=models.TextField(blank=True, help_text="2-4 sentences describing the picture, in English or Russian."),
        ),
        migrations.AlterField(
            model_name="bankimage",
            name="hypotheses",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="Three or more products or services the picture could advertise, in English, Russian or both.",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="imagetext",
                    name="embedding",
                    field=pgvector.django.VectorField(blank=True, dimensions=896, null=True),
                ),
            ],
            database_operations=[migrations.RunSQL(_resize(896), reverse_sql=_resize(384))],
        ),
    ]
