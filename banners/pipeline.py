"""The stages of one banner, each a function a later stage implementation can replace.

safety → texts → picture → (cut-out) → render. Stages take plain values and return plain values;
the service in `services.py` orders them, records progress and saves the result.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image

from banners import copywriting
from banners.models import Banner, Campaign
from catalog.models import BankImage
from catalog.search import bank_search, min_fit
from mlcore import compose as composer
from mlcore import copy as copywriter
from mlcore import render as renderer
from mlcore.copy import truncate_words
from mlcore.imageprompt import describe_with_llm
from mlcore.layout import Layout
from mlcore.llm import LLMUnavailable
from mlcore.picture_query import PictureQuery, picture_query

MAX_FIT_ROUNDS = 3
log = logging.getLogger(__name__)


class PipelineError(Exception):
    """A stage could not do its work for a reason the marketer should read."""


class SafetyRefused(PipelineError):
    """The safety gate refused the offer, a picture description, or what was written from them: the gate
    at work, not a technical failure."""


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
        raise SafetyRefused(str(error)) from None


def stage_texts(*, campaign: Campaign, layout: Layout, variant: int) -> copywriter.CopyResult:
    try:
        return copywriting.texts_write(brief=brief_for(campaign), slots=list(layout.text_slots), variant=variant)
    except copywriting.UnsafeOutput as error:
        raise SafetyRefused(str(error)) from None


def stage_picture(
    *, campaign: Campaign, seed: int, description: str = "", exclude: frozenset[int] = frozenset()
) -> tuple[PictureChoice | None, dict]:
    product = campaign.product
    query = search_query(
        product=product.name,
        description=product.description,
        offer=campaign.offer,
        slot_description=description,
        industry=product.industry,
    )
    return picture_choose(query=query, seed=seed, exclude=exclude)


def stage_more_pictures(
    *, campaign: Campaign, layout: Layout, seed: int, descriptions: dict[str, str], first: PictureChoice | None
) -> tuple[dict[str, PictureChoice], dict[str, dict]]:
    """Pictures for the picture slots after the first (a format has up to five), each searched with
    its own description (else the offer's subject), never the same bank picture twice on a banner."""
    taken = {first.bank_image.pk} if first is not None and first.bank_image is not None else set()
    chosen, infos = {}, {}
    for index, slot in enumerate(layout.image_slots[1:], start=1):
        picture, info = stage_picture(
            campaign=campaign,
            seed=seed + index,
            description=descriptions.get(slot.key, ""),
            exclude=frozenset(taken),
        )
        infos[slot.key] = {"description": descriptions.get(slot.key, ""), **info}
        if picture is not None:
            chosen[slot.key] = picture
            if picture.bank_image is not None:
                taken.add(picture.bank_image.pk)
    return chosen, infos


def search_query(
    *, product: str, description: str, offer: str, slot_description: str = "", industry: str = ""
) -> PictureQuery:
    """The bank query for a picture slot: the marketer's slot description, else the LLM's picture
    description of the offer (seed 003) when an LLM is configured, else the offer's subject."""
    llm_description = ""
    client = copywriting.llm_client()
    if not slot_description.strip() and client is not None:
        try:
            llm_description = _llm_picture_description(client, product, description, offer)
        except (LLMUnavailable, ValueError, KeyError, TypeError) as error:
            log.warning("LLM picture description failed, the offer's subject stands in: %s", error)
    return picture_query(
        product=product,
        description=description,
        offer=offer,
        slot_description=slot_description,
        llm_description=llm_description,
        industry=industry,
    )


@lru_cache(maxsize=64)
def _llm_picture_description(client, product: str, description: str, offer: str) -> str:
    """One LLM call per offer and client, not per banner; a failure raises and is not remembered, so
    the next banner asks again."""
    return describe_with_llm(client, product=product, description=description, offer=offer)


def picture_choose(
    *, query: PictureQuery, seed: int, exclude: frozenset[int] = frozenset()
) -> tuple[PictureChoice | None, dict]:
    """A bank picture (two-stage search, seeded draw) and what to record about it. None when the bank
    is empty or no picture fits well enough (the info says why): a banner without a picture is better
    than one with a moose for coffee."""
    found = bank_search(query=query, seed=seed, exclude=exclude)
    info = {"subject": query.subject, "search": query.description, "score": _rounded(found.best)}
    if found.chosen is None:  # nothing indexed yet: any approved, unflagged picture
        candidates = list(
            BankImage.objects.searchable().exclude(pk__in=exclude).order_by("pk").values_list("pk", flat=True)
        )
        if not candidates:
            return None, {**info, "skipped": "The picture bank has no approved pictures yet."}
        bank_image = BankImage.objects.get(pk=random.Random(seed).choice(candidates))
    elif not found.fits:
        return None, {
            **info,
            "skipped": (
                f"No picture in the bank fits “{query.subject or query.description}” (best match "
                f"{found.best:.2f}, needs {min_fit():.2f}): laid out with a brand shape instead."
            ),
        }
    else:
        bank_image = BankImage.objects.get(pk=found.chosen.image_id)
    choice = PictureChoice(src=f"bank:{bank_image.pk}", image=picture_open(bank_image.file), bank_image=bank_image)
    return choice, info


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


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
            images[element["src"]] = renderer.open_picture(path)
    return images


def has_logo(product) -> bool:
    """Whether the product's brand kit has a logo (to reserve its box; nothing is drawn)."""
    kit = getattr(product, "brand_kit", None)
    return bool(kit is not None and kit.logo)


def brand_logo(product) -> tuple[str, Image.Image] | None:
    """The brand kit's logo as (spec src, picture), or None (no kit, no logo, or a file that is gone:
    the banner is then made without it and the log says why). Drawn once per file and version: a
    task draws every banner of a brand with the same logo."""
    if not has_logo(product):
        return None
    logo = product.brand_kit.logo
    try:
        path = Path(logo.path)
        return f"media:{logo.name}", _logo_picture(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError) as error:
        log.warning(
            "brand kit %s: logo %s cannot be drawn, banners go without it: %s", product.brand_kit.pk, logo.name, error
        )
        return None


@lru_cache(maxsize=32)
def _logo_picture(path: str, version: int) -> Image.Image:
    """A logo file's picture; `version` (the file's mtime) makes a replaced file a new entry. Read only."""
    return renderer.open_picture(path)


def fit_texts(
    *, layout: Layout, texts: dict[str, str], pictures: dict, palette: list[str], shorten, logo=None
) -> tuple[composer.ComposeResult, dict[str, str]]:
    """Compose; texts that do not fit even at their minimum size are shortened and composed again.

    `shorten(slots)` returns new texts for the given slots (with tighter `max_chars`).
    """
    result = composer.compose(layout, texts, pictures, palette=palette, logo=logo)
    for _ in range(MAX_FIT_ROUNDS):
        if not result.overflow:
            return result, texts
        tighter = [
            dataclasses.replace(slot, max_chars=max(1, int(len(texts[slot.key]) * 0.8)))
            for slot in layout.text_slots
            if slot.key in result.overflow
        ]
        texts = {**texts, **shorten(tighter)}
        result = composer.compose(layout, texts, pictures, palette=palette, logo=logo)
    if result.overflow:
        raise PipelineError(str(composer.TextDoesNotFit(result.overflow)))
    return result, texts


def brand_shape(*, size: tuple[int, int], palette: list[str], background: str) -> tuple[str, Image.Image]:
    """A disc in the brand's accent colour with a lighter ring, for a picture slot the bank could not
    fill; stored once per colour and size under MEDIA_ROOT/shapes (a spec names it as `media:`)."""
    from PIL import ImageDraw

    from mlcore.render import contrast_ratio, hex_to_rgb

    accent = max(palette or ["#ffc800"], key=lambda color: contrast_ratio(hex_to_rgb(color), hex_to_rgb(background)))
    side = max(8, min(size))
    name = f"shapes/disc-{accent.lstrip('#').lower()}-{side}.png"
    path = Path(settings.MEDIA_ROOT) / name
    if not path.exists():
        scale = 4  # drawn large and scaled down: smooth edges
        image = Image.new("RGBA", (side * scale, side * scale), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        rgb = hex_to_rgb(accent)
        draw.ellipse((0, 0, side * scale - 1, side * scale - 1), fill=(*rgb, 70))
        inset = side * scale // 8
        draw.ellipse((inset, inset, side * scale - inset - 1, side * scale - inset - 1), fill=(*rgb, 255))
        image = image.resize((side, side), Image.LANCZOS)
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
    with Image.open(path) as image:
        image.load()
        return f"media:{name}", image


def stage_render(
    *,
    campaign: Campaign | None,
    layout: Layout,
    texts: dict[str, str],
    picture: PictureChoice | None,
    palette: list[str],
    logo: tuple[str, Image.Image] | None = None,
    more_pictures: dict[str, PictureChoice] | None = None,
) -> tuple[composer.ComposeResult, dict[str, str], Image.Image]:
    """Compose and draw; `picture` goes into the first picture slot, `more_pictures` into the others
    by key. A slot left without a picture gets the brand's shape, which keeps the layout balanced."""
    chosen = {**(more_pictures or {}), **({layout.image_slots[0].key: picture} if layout.image_slots else {})}
    pictures = {}
    for slot in layout.image_slots:
        if chosen.get(slot.key) is not None:
            pictures[slot.key] = (chosen[slot.key].src, chosen[slot.key].image)
        else:
            size = (slot.box[2] - 2 * slot.padding, slot.box[3] - 2 * slot.padding)
            pictures[slot.key] = brand_shape(size=size, palette=palette, background=layout.background.colors[0])

    def shorten(slots):
        if campaign is None:
            return {slot.key: truncate_words(texts[slot.key], slot.max_chars) for slot in slots}
        try:
            return copywriting.texts_write(brief=brief_for(campaign), slots=slots).texts
        except copywriting.UnsafeOutput as error:
            raise PipelineError(str(error)) from None

    result, texts = fit_texts(
        layout=layout, texts=texts, pictures=pictures, palette=palette, shorten=shorten, logo=logo
    )
    images = {src: image for src, image in pictures.values()}
    if logo is not None:
        images[logo[0]] = logo[1]
    return result, texts, renderer.render(result.spec, images, underlay=result.underlay)


def banner_files_save(*, banner: Banner, image: Image.Image, jpg_quality: int = 90) -> None:
    stem = f"banner-{banner.pk}-{banner.format.slug}"
    banner.png.save(f"{stem}.png", ContentFile(renderer.encode(image, "png")), save=False)
    banner.jpg.save(f"{stem}.jpg", ContentFile(renderer.encode(image, "jpg", jpg_quality)), save=False)
