"""Writes of the catalog app: brand kits, products and bank pictures."""

from __future__ import annotations

from pathlib import Path

import imagehash
from django.core.exceptions import ValidationError
from django.core.files import File
from PIL import Image, UnidentifiedImageError

from catalog.models import BankImage, BrandKit, Product

MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000


def brand_kit_upsert(
    *, name: str, colors: list[str], heading_font: str = "Montserrat", body_font: str = "Inter"
) -> BrandKit:
    kit = BrandKit.objects.filter(name=name).first() or BrandKit(name=name)
    kit.colors, kit.heading_font, kit.body_font = colors, heading_font, body_font
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


def image_check(*, path: Path) -> tuple[int, int, str]:
    """Width, height and perceptual hash of an upload; ValidationError says plainly what is wrong."""
    if path.stat().st_size > MAX_IMAGE_BYTES:
        raise ValidationError(f"The file is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.")
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(f"The picture has more than {MAX_IMAGE_PIXELS:,} pixels.")
            image.load()
            phash = str(imagehash.phash(image.convert("RGBA").convert("RGB")))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as error:
        raise ValidationError(f"The file is not a picture we can read ({error.__class__.__name__}).") from None
    return width, height, phash


def bank_image_add(
    *,
    path: Path,
    name: str = "",
    caption: str = "",
    source: str = BankImage.Source.UPLOAD,
    status: str = BankImage.Status.PENDING,
) -> BankImage:
    """Add a picture to the bank; refuses files that are not pictures, too large, or duplicates."""
    width, height, phash = image_check(path=path)
    duplicate = BankImage.objects.filter(phash=phash).first()
    if duplicate is not None:
        raise ValidationError(f"This picture is already in the bank (#{duplicate.pk} {duplicate}).")
    image = BankImage(name=name, caption=caption, source=source, status=status, width=width, height=height, phash=phash)
    with path.open("rb") as handle:
        image.file.save(path.name, File(handle), save=False)
    image.full_clean()
    image.save()
    return image
