"""The stages of one banner, each a function a later stage implementation can replace.

texts → picture → cut-out → render. Stages take plain values and return plain values; the
service in `services.py` orders them, records progress and saves the result.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image

from banners import copywriting
from banners.models import Banner, Campaign
from catalog.models import BankImage
from catalog.search import bank_search
from mlcore import copy as copywriter
from mlcore import render as renderer
from mlcore.layout import Layout


class PipelineError(Exception):
    """A stage could not do its work for a reason the marketer should read."""


@dataclass
class PictureChoice:
    src: str
    image: Image.Image
    bank_image: BankImage | None


def brief_for(campaign: Campaign) -> copywriter.CopyBrief:
    product = campaign.product
    return copywriter.CopyBrief(
        product=product.name,
        description=product.description,
        offer=campaign.offer,
        tone=campaign.tone,
        platform=campaign.platform,
        industry=product.industry,
    )


def stage_safety(*, campaign: Campaign, image_descriptions: dict[str, str], user) -> None:
    fields = {"offer": campaign.offer, **{f"image_descriptions.{k}": v for k, v in image_descriptions.items()}}
    try:
        copywriting.safety_check(fields=fields, user=user)
    except copywriting.UnsafeInput as error:
        raise PipelineError(str(error)) from None


def stage_texts(*, campaign: Campaign, layout: Layout, variant: int) -> copywriter.CopyResult:
    return copywriting.texts_write(brief=brief_for(campaign), slots=list(layout.text_slots), variant=variant)


def stage_picture(*, campaign: Campaign, seed: int, description: str = "") -> PictureChoice | None:
    """A bank picture for the banner (two-stage search, seeded draw); None when the bank is empty."""
    product = campaign.product
    found = bank_search(product_text=f"{product.name}. {product.description}", description=description, seed=seed)
    if found.chosen is not None:
        bank_image = BankImage.objects.get(pk=found.chosen.image_id)
    else:  # nothing indexed yet: any approved, unflagged picture
        candidates = list(BankImage.objects.searchable().order_by("pk").values_list("pk", flat=True))
        if not candidates:
            return None
        bank_image = BankImage.objects.get(pk=random.Random(seed).choice(candidates))
    with bank_image.file.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    return PictureChoice(src=f"bank:{bank_image.pk}", image=image, bank_image=bank_image)


def stage_render(
    *, layout: Layout, texts: dict[str, str], picture: PictureChoice | None, palette: list[str]
) -> tuple[renderer.ComposeResult, Image.Image]:
    pictures = {}
    if picture is not None and layout.image_slots:
        pictures = {layout.image_slots[0].key: (picture.src, picture.image)}
    result = renderer.compose(layout, texts, pictures, palette=palette)
    if result.overflow:
        raise PipelineError(str(renderer.TextDoesNotFit(result.overflow)))
    images = {src: image for src, image in pictures.values()}
    return result, renderer.render(result.spec, images)


def banner_files_save(*, banner: Banner, image: Image.Image, jpg_quality: int = 90) -> None:
    stem = f"banner-{banner.pk}-{banner.format.slug}"
    banner.png.save(f"{stem}.png", ContentFile(renderer.encode(image, "png")), save=False)
    banner.jpg.save(f"{stem}.jpg", ContentFile(renderer.encode(image, "jpg", jpg_quality)), save=False)
