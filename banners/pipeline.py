"""The stages of one banner, each a function a later stage implementation can replace.

safety → texts → picture → (cut-out) → render. Stages take plain values and return plain values;
the service in `services.py` orders them, records progress and saves the result.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image

from banners import copywriting
from banners.models import Banner, Campaign
from catalog.models import BankImage
from catalog.search import bank_search
from mlcore import compose as composer
from mlcore import copy as copywriter
from mlcore import render as renderer
from mlcore.copy import truncate_words
from mlcore.facts import without_facts
from mlcore.layout import Layout

MAX_FIT_ROUNDS = 3


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
    product = campaign.product
    return picture_choose(product_text=f"{product.name}. {product.description}", description=description, seed=seed)


def picture_choose(*, product_text: str, description: str, seed: int) -> PictureChoice | None:
    """A bank picture (two-stage search, seeded draw); None when the bank is empty."""
    found = bank_search(product_text=without_facts(product_text) or product_text, description=description, seed=seed)
    if found.chosen is not None:
        bank_image = BankImage.objects.get(pk=found.chosen.image_id)
    else:  # nothing indexed yet: any approved, unflagged picture
        candidates = list(BankImage.objects.searchable().order_by("pk").values_list("pk", flat=True))
        if not candidates:
            return None
        bank_image = BankImage.objects.get(pk=random.Random(seed).choice(candidates))
    return PictureChoice(src=f"bank:{bank_image.pk}", image=picture_open(bank_image.file), bank_image=bank_image)


def picture_open(field_file) -> Image.Image:
    with field_file.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    return image


def spec_images(spec: dict) -> dict[str, Image.Image]:
    """The pictures a spec names: `bank:<id>` or `media:<path under MEDIA_ROOT>`; unknown ones are refused."""
    images = {}
    for index, element in enumerate(spec["elements"]):
        if element["type"] != "image" or element["src"] in images:
            continue
        kind, _, ref = element["src"].partition(":")
        if kind == "bank":
            bank_image = BankImage.objects.filter(pk=int(ref)).first()
            if bank_image is None:
                raise PipelineError(f"elements[{index}].src: no bank picture {ref}")
            images[element["src"]] = picture_open(bank_image.file)
        else:
            root = Path(settings.MEDIA_ROOT).resolve()
            path = (root / ref).resolve()
            if root not in path.parents or not path.is_file():
                raise PipelineError(f"elements[{index}].src: no media file {ref}")
            with Image.open(path) as image:
                image.load()
                images[element["src"]] = image
    return images


def fit_texts(
    *, layout: Layout, texts: dict[str, str], pictures: dict, palette: list[str], shorten
) -> tuple[composer.ComposeResult, dict[str, str]]:
    """Compose; texts that do not fit even at their minimum size are shortened and composed again.

    `shorten(slots)` returns new texts for the given slots (with tighter `max_chars`).
    """
    result = composer.compose(layout, texts, pictures, palette=palette)
    for _ in range(MAX_FIT_ROUNDS):
        if not result.overflow:
            return result, texts
        tighter = [
            dataclasses.replace(slot, max_chars=max(1, int(len(texts[slot.key]) * 0.8)))
            for slot in layout.text_slots
            if slot.key in result.overflow
        ]
        texts = {**texts, **shorten(tighter)}
        result = composer.compose(layout, texts, pictures, palette=palette)
    if result.overflow:
        raise PipelineError(str(composer.TextDoesNotFit(result.overflow)))
    return result, texts


def stage_render(
    *,
    campaign: Campaign | None,
    layout: Layout,
    texts: dict[str, str],
    picture: PictureChoice | None,
    palette: list[str],
) -> tuple[composer.ComposeResult, dict[str, str], Image.Image]:
    pictures = {}
    if picture is not None and layout.image_slots:
        pictures = {layout.image_slots[0].key: (picture.src, picture.image)}

    def shorten(slots):
        if campaign is None:
            return {slot.key: truncate_words(texts[slot.key], slot.max_chars) for slot in slots}
        return copywriting.texts_write(brief=brief_for(campaign), slots=slots).texts

    result, texts = fit_texts(layout=layout, texts=texts, pictures=pictures, palette=palette, shorten=shorten)
    images = {src: image for src, image in pictures.values()}
    return result, texts, renderer.render(result.spec, images)


def banner_files_save(*, banner: Banner, image: Image.Image, jpg_quality: int = 90) -> None:
    stem = f"banner-{banner.pk}-{banner.format.slug}"
    banner.png.save(f"{stem}.png", ContentFile(renderer.encode(image, "png")), save=False)
    banner.jpg.save(f"{stem}.jpg", ContentFile(renderer.encode(image, "jpg", jpg_quality)), save=False)
