"""The database is PostgreSQL with pgvector, an HNSW index, and the role groups."""

from django.contrib.auth.models import Group
from django.db import connection


def test_database_is_postgresql_with_vector_extension(db):
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert cursor.fetchone() is not None
        cursor.execute("SHOW server_version")
        assert cursor.fetchone()[0].startswith("16")


def test_image_text_embeddings_have_an_hnsw_cosine_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'imagetext_hypothesis_hnsw'")
        (definition,) = cursor.fetchone()
    assert "USING hnsw" in definition
    assert "vector_cosine_ops" in definition


def test_marketers_and_designers_groups_exist(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"marketers", "designers"}


def test_marketer_cannot_approve(marketer):
    assert not marketer.has_perm("banners.approve_banner")
    assert not marketer.has_perm("catalog.approve_bankimage")
    assert marketer.has_perm("banners.add_campaign")


def test_designer_can_approve_and_curate(designer):
    assert designer.has_perm("banners.approve_banner")
    assert designer.has_perm("catalog.approve_bankimage")
    assert designer.has_perm("banners.change_format")
