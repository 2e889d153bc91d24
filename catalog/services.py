"""Writes of the catalog app: brand kits, products, bank pictures and their index."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import imagehash
import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from catalog.models import (
    EMBEDDING_STORAGE_SQL,
    HNSW_EF_CONSTRUCTION,
    HNSW_M,
    HNSW_SERIAL_BUILD_SQL,
    BankImage,
    BrandKit,
    ImageText,
    Product,
)
from catalog.pgcopy import copy_binary

log = logging.getLogger(__name__)
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
MAX_SIDE = 6000


def brand_kit_upsert(
    *,
    name: str,
    colors: list[str],
    heading_font: str = "Montserrat",
    body_font: str = "Inter",
    logo: Path | None = None,
    background_color: str = "",
    accent_color: str = "",
    text_color: str = "",
) -> BrandKit:
    """Create or update a brand kit; `logo` is stored only when the kit has none (a designer's upload
    stays)."""
    kit = BrandKit.objects.filter(name=name).first() or BrandKit(name=name)
    kit.colors, kit.heading_font, kit.body_font = colors, heading_font, body_font
    kit.background_color, kit.accent_color, kit.text_color = background_color, accent_color, text_color
    if logo is not None and not kit.logo:
        kit.logo.save(logo.name, ContentFile(logo.read_bytes()), save=False)
    kit.full_clean()
    kit.save()
    return kit


def product_upsert(
    *, slug: str, name: str, description: str, industry: str = "", brand_kit: BrandKit | None = None
) -> Product:
    product = Product.objects.filter(slug=slug).first() or Product(slug=slug)
    product.name, product.description, product.industry, product.brand_kit = name, description, industry, brand_kit
    product.full_clean()
    product.save()
    return product


# -- uploads ------------------------------------------------------------------------------------


def image_check(*, file: IO[bytes], size: int) -> tuple[int, int, str]:
    """Width, height and perceptual hash of an upload; ValidationError says plainly what is wrong."""
    if size > MAX_IMAGE_BYTES:
        raise ValidationError(f"The file is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
    try:
        with Image.open(file) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS or max(width, height) > MAX_SIDE:
                raise ValidationError(
                    f"The picture is {width}x{height}: at most {MAX_SIDE} px a side and "
                    f"{MAX_IMAGE_PIXELS:,} pixels are accepted."
                )
            image.load()
            phash = str(imagehash.phash(_on_white(image)))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as error:
        raise ValidationError(f"The file is not a picture we can read ({error.__class__.__name__}).") from None
    finally:
        file.seek(0)
    return width, height, phash


def _on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    canvas = Image.new("RGB", rgba.size, "white")
    canvas.paste(rgba, mask=rgba.getchannel("A"))
    return canvas


def duplicate_of(phash: str) -> BankImage | None:
    return BankImage.objects.filter(phash=phash).first()


def bank_image_add(
    *,
    path: Path | None = None,
    upload: File | None = None,
    name: str = "",
    caption: str = "",
    caption_translation: str = "",
    hypotheses: list[str] | None = None,
    source: str = BankImage.Source.UPLOAD,
    status: str = BankImage.Status.PENDING,
    has_text: bool = False,
    refuse_duplicates: bool = True,
) -> BankImage:
    """Add a picture to the bank; refuses files that are not pictures, too large, or duplicates
    (a perceptual-hash match; the curated demo bank skips that check: similar emoji share hashes)."""
    handle = path.open("rb") if path is not None else upload
    try:
        size = path.stat().st_size if path is not None else upload.size
        width, height, phash = image_check(file=handle, size=size)
        duplicate = duplicate_of(phash) if refuse_duplicates else None
        if duplicate is not None:
            raise ValidationError(f"This picture is already in the bank (#{duplicate.pk} {duplicate}).")
        image = BankImage(
            name=name,
            caption=caption,
            caption_translation=caption_translation,
            hypotheses=hypotheses or [],
            source=source,
            status=status,
            width=width,
            height=height,
            phash=phash,
            has_text=has_text,
        )
        filename = path.name if path is not None else Path(upload.name).name
        image.file.save(filename, File(handle), save=False)
    finally:
        if path is not None:
            handle.close()
    image.full_clean()
    image.save()
    return image


def bank_images_set_status(*, images, status: str, user) -> int:
    if not user.has_perm("catalog.approve_bankimage"):
        raise ValidationError("Only designers can approve or reject pictures.")
    return images.update(status=status)


# -- index --------------------------------------------------------------------------------------

MAX_HYPOTHESES = 10  # the demo bank has five in English and five in Russian


def picture_texts(*, caption: str, translation: str, hypotheses: list[str]) -> list[tuple[str, str]]:
    """(kind, text) rows of a picture, in the order its vectors come: caption, translation, hypotheses."""
    rows = [(ImageText.Kind.CAPTION, caption)]
    if translation.strip():
        rows.append((ImageText.Kind.CAPTION, translation))
    return rows + [(ImageText.Kind.HYPOTHESIS, h) for h in hypotheses[:MAX_HYPOTHESES]]


def embedding_column_fit(dimensions: int) -> bool:
    """Make the vector column as wide as the embedder's vectors; stored vectors of another width are
    cleared (and re-embedded by the caller). True when the column changed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT atttypmod FROM pg_attribute"
            " WHERE attrelid = 'catalog_imagetext'::regclass AND attname = 'embedding'"
        )
        if cursor.fetchone()[0] == dimensions:
            return False
        log.warning("bank vectors: the column becomes vector(%d) for %s", dimensions, settings.EMBEDDER)
        with transaction.atomic():
            cursor.execute("DROP INDEX IF EXISTS imagetext_caption_hnsw")
            cursor.execute("DROP INDEX IF EXISTS imagetext_hypothesis_hnsw")
            cursor.execute("UPDATE catalog_imagetext SET embedder = ''")
            cursor.execute(
                f"ALTER TABLE catalog_imagetext ALTER COLUMN embedding TYPE vector({int(dimensions)}) USING NULL"
            )
            cursor.execute(EMBEDDING_STORAGE_SQL)
            # Rows written earlier in this transaction leave deferred foreign-key checks pending, and
            # PostgreSQL builds no index while any are.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(HNSW_SERIAL_BUILD_SQL)
            for kind, ef_construction in HNSW_EF_CONSTRUCTION.items():
                cursor.execute(
                    f"CREATE INDEX imagetext_{kind}_hnsw ON catalog_imagetext USING hnsw (embedding vector_cosine_ops) "
                    f"WITH (m = {HNSW_M}, ef_construction = {ef_construction}) WHERE kind = '{kind}'"
                )
    return True


def bank_texts_store(
    *,
    image: BankImage,
    caption: str,
    hypotheses: list[str],
    vectors: np.ndarray,
    translation: str = "",
    embedder: str = "",
) -> None:
    """Replace the picture's caption and hypothesis rows (vectors in `picture_texts` order), recording
    which embedder made the vectors (default: the configured one)."""
    texts = picture_texts(caption=caption, translation=translation, hypotheses=hypotheses)
    embedder = embedder or settings.EMBEDDER
    rows = [(image.pk, str(kind), text, vector, embedder) for (kind, text), vector in zip(texts, vectors, strict=True)]
    with transaction.atomic(), connection.cursor() as cursor:
        image.texts.all().delete()
        copy_binary(cursor, ImageText._meta.db_table, ["bank_image_id", "kind", "text", "embedding", "embedder"], rows)
        image.caption, image.caption_translation, image.hypotheses = caption, translation, hypotheses
        image.indexed_at = timezone.now()
        image.save(update_fields=["caption", "caption_translation", "hypotheses", "indexed_at"])


def _describe(image: BankImage, vlm) -> tuple[str, list[str]]:
    from mlcore.vlm import describe_picture

    with image.file.open("rb") as handle, Image.open(handle) as picture:
        picture.load()
        texts = describe_picture(vlm, picture)
    return texts.caption, texts.hypotheses


def bank_index(
    *,
    images: Iterable[BankImage],
    vlm=None,
    recaption: bool = False,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Caption (VLM, or the designer's text) and embed pictures in batches; safe to rerun.

    A picture without a caption and three hypotheses, and no VLM to write them, is skipped and
    counted, so a designer can fill them in. A VLM writes the English caption; the designer's
    translation and hypotheses in other languages stay.
    """
    from mlcore.embed import embedder

    model = embedder(settings.EMBEDDER)
    embedding_column_fit(model.dimensions)
    counts = {"indexed": 0, "skipped": 0, "vlm_failed": 0}
    pending: list[tuple[BankImage, str, list[str]]] = []

    def flush() -> None:
        rows = [picture_texts(caption=c, translation=i.caption_translation, hypotheses=h) for i, c, h in pending]
        vectors = model.encode([text for texts in rows for _, text in texts], batch_size=batch_size)
        start = 0
        for (image, caption, hyps), texts in zip(pending, rows, strict=True):
            image_vectors, start = vectors[start : start + len(texts)], start + len(texts)
            bank_texts_store(
                image=image,
                caption=caption,
                translation=image.caption_translation,
                hypotheses=hyps,
                vectors=image_vectors,
            )
        counts["indexed"] += len(pending)
        if progress:
            progress(len(pending))
        pending.clear()

    for image in images:
        caption, hypotheses = image.caption, list(image.hypotheses)
        if vlm is not None and (recaption or not caption or len(hypotheses) < 3):
            try:
                caption, described = _describe(image, vlm)
                hypotheses = described + [h for h in hypotheses if _language(h) != "en" and h not in described]
            except Exception as error:  # one bad picture must not stop the batch
                log.warning("VLM could not describe bank picture %s: %s", image.pk, error)
                counts["vlm_failed"] += 1
        if not caption or len(hypotheses) < 3:
            counts["skipped"] += 1
            if progress:
                progress(1)
            continue
        pending.append((image, caption, hypotheses[:MAX_HYPOTHESES]))
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    return counts


def _language(text: str) -> str:
    from mlcore.textcheck import language

    return language(text)


def demo_texts(item: dict) -> list[str]:
    """The texts of a shipped demo picture in the order of the shipped vectors."""
    return [
        text
        for _, text in picture_texts(
            caption=item["caption"], translation=item.get("caption_translation", ""), hypotheses=item["hypotheses"]
        )
    ]


def demo_vectors(folder: Path, items: list[dict]) -> np.ndarray | None:
    """The shipped embeddings of the demo bank for the configured embedder (a fusion is put together
    from its parts' files), when they match the texts; shape (pictures, texts, dimensions)."""
    import json

    from mlcore.embed import embedder, texts_digest

    meta = json.loads((folder / "embeddings.json").read_text())
    if meta["texts_sha256"] != texts_digest([demo_texts(item) for item in items]):
        return None
    files = meta.get("files", {})
    model = embedder(settings.EMBEDDER)
    parts = getattr(model, "parts", None)
    if parts is None:
        name = files.get(settings.EMBEDDER)
        vectors = None if name is None else np.load(folder / name).astype(np.float32)
    elif all(part.name in files for part, _ in parts):
        vectors = np.concatenate(
            [np.load(folder / files[part.name]).astype(np.float32) * np.sqrt(weight) for part, weight in parts], axis=2
        )
    else:
        return None
    # unit vectors again after float16 (the caption score is an inner product, catalog.selectors)
    return None if vectors is None else vectors / np.maximum(np.linalg.norm(vectors, axis=2, keepdims=True), 1e-12)


def demo_bank_load(*, folder: Path) -> int:
    """Add the shipped demo pictures (idempotent) with their precomputed embeddings when they match."""
    import json

    items = json.loads((folder / "index.json").read_text())
    vectors = demo_vectors(folder, items)
    if vectors is not None:
        embedding_column_fit(vectors.shape[2])
    known = set(BankImage.objects.filter(source=BankImage.Source.DEMO).values_list("name", flat=True))
    with _vector_indexes_built_after(len(items) - len(known) > BULK_LOAD_ROWS):
        return _demo_items_add(folder, items, vectors, known)


BULK_LOAD_ROWS = 200  # more new pictures than this: the HNSW indexes are built once after the load


@contextmanager
def _vector_indexes_built_after(bulk: bool):
    """For a bulk load: drop the HNSW indexes of the bank's texts and build them again at the end (once,
    in seconds) instead of inserting into them row by row (35 s for the 1,238 demo pictures), then
    analyze the table."""
    if not bulk:
        yield
        return
    indexes = list(ImageText._meta.indexes)
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.execute(f'DROP INDEX IF EXISTS "{index.name}"')
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            editor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no index is built while FK checks are pending
            editor.execute(HNSW_SERIAL_BUILD_SQL)
            for index in indexes:
                editor.add_index(ImageText, index)
            # Statistics of the new rows: without them the planner skips the partial HNSW indexes
            editor.execute(f'ANALYZE "{ImageText._meta.db_table}"')


def _demo_items_add(folder: Path, items: list[dict], vectors, known: set[str]) -> int:
    added = 0
    for index, item in enumerate(items):
        if item["name"] in known:
            continue
        try:
            image = bank_image_add(
                path=folder / item["file"],
                name=item["name"],
                caption=item["caption"],
                caption_translation=item.get("caption_translation", ""),
                hypotheses=item["hypotheses"],
                source=BankImage.Source.DEMO,
                status=item["status"],
                has_text=item["has_text"],
                refuse_duplicates=False,
            )
        except ValidationError as error:
            log.warning("skipped demo picture %s: %s", item["file"], error.messages[0])
            continue
        if vectors is not None:
            _store_own_texts(image, vectors[index])
        added += 1
    return added


def bank_embedder_sync(*, folder: Path, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Re-embed the pictures whose vectors another embedder made (ADGENESIS_EMBEDDER changed, or a
    migration cleared them): demo pictures from the shipped texts and vectors when there are some, the
    others with the model."""
    import json

    from mlcore.embed import embedder

    embedding_column_fit(embedder(settings.EMBEDDER).dimensions)
    stale = BankImage.objects.filter(pk__in=ImageText.objects.exclude(embedder=settings.EMBEDDER).values("bank_image"))
    items = json.loads((folder / "index.json").read_text())
    vectors = demo_vectors(folder, items)
    by_name = {item["name"]: index for index, item in enumerate(items)}
    counts = {"from_shipped": 0, "embedded": 0}
    # A new embedder re-stores every row: the HNSW graphs are built once afterwards, not row by row.
    with _vector_indexes_built_after(stale.count() > BULK_LOAD_ROWS):
        rest = []
        for image in stale.order_by("pk"):
            index = by_name.get(image.name) if image.source == BankImage.Source.DEMO else None
            if vectors is not None and index is not None and image.caption == items[index]["caption"]:
                # A demo picture whose caption no designer changed takes the shipped texts (an install
                # from before the Russian texts gets them) with their vectors.
                image.caption_translation = items[index].get("caption_translation", "")
                image.hypotheses = items[index]["hypotheses"]
                _store_own_texts(image, vectors[index])
                counts["from_shipped"] += 1
                if progress:
                    progress(1)
            else:
                rest.append(image)
        if rest:
            counts["embedded"] = bank_index(images=rest, progress=progress)["indexed"]
    return counts


def _store_own_texts(image: BankImage, vectors: np.ndarray) -> None:
    bank_texts_store(
        image=image,
        caption=image.caption,
        translation=image.caption_translation,
        hypotheses=image.hypotheses,
        vectors=vectors,
    )
