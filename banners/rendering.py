"""Laying out and rendering a banner that exists: its layout variant, brand palette and logo, the
quality score, and a re-render with new texts. Used by the services, the AI chain (banners.ai) and
the jobs alike, and imports none of them: the modules form a line, not a circle
(queues ← services ← jobs, rendering ← ai ← services)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from banners import pipeline
from banners.models import Banner, Campaign, Format
from banners.quality import quality_score
from catalog.models import BankImage
from mlcore.textcheck import language, typeset_ru
from mlcore.variants import PRESET, layout_variant, main_figure, variant_for, variants_for


def layout_choose(*, fmt: Format, offer: str, variant: int, requested: str = "", logo: bool = False, kit=None):
    """The layout of banner number `variant`: the one the marketer asked for when the format has it,
    else each variant its own (three banners at once, three layouts); the badge one only for an
    offer with a figure to carry; in the brand kit's background and fonts when there is one."""
    figure = bool(main_figure(offer))
    names = variants_for(fmt.layout, figure=figure)
    name = requested if requested in (*names, PRESET) else variant_for(fmt.layout, variant, figure=figure)
    layout = layout_variant(fmt.layout, name, logo=logo)
    return kit.dress(layout) if kit is not None else layout


def quality_of(report: dict, copy_stats: dict | None = None) -> dict:
    """The compose report with the banner's quality score, flag and reasons (banners/quality.py)."""
    return {**report, **quality_score(report, facts_dropped=(copy_stats or {}).get("facts_dropped"))}


def brand_palette(campaign: Campaign) -> list[str]:
    """The brand's colours for texts and buttons: accent, text, the rest (BrandKit.theme)."""
    brand = campaign.product.brand_kit
    return brand.theme()[1] if brand else []


def pictures_of(banner: Banner) -> tuple[pipeline.PictureChoice | None, dict[str, pipeline.PictureChoice]]:
    """The banner's own pictures: (the first slot's, the other slots' by key), from its spec."""
    elements = [e for e in banner.spec.get("elements", []) if e["type"] == "image" and e.get("role") != "logo"]
    if not elements:
        return None, {}
    images = pipeline.spec_images({"elements": elements})
    first_key = elements[0].get("slot", "")
    layout = banner.layout
    if layout.image_slots and any(e.get("slot") == layout.image_slots[0].key for e in elements):
        first_key = layout.image_slots[0].key
    first, more = None, {}
    for element in elements:
        kind, _, ref = element["src"].partition(":")
        bank_image = banner.bank_image if element.get("slot", "") == first_key else None
        if bank_image is None and kind == "bank":
            bank_image = BankImage.objects.filter(pk=int(ref)).first()
        choice = pipeline.PictureChoice(src=element["src"], image=images[element["src"]], bank_image=bank_image)
        if element.get("slot", "") == first_key and first is None:
            first = choice
        else:
            more[element.get("slot", "")] = choice
    return first, more


def banner_rerender(*, banner: Banner, texts: dict[str, str], shorten: bool) -> Banner:
    """Compose and render the banner again with these texts and its own picture; no generation.
    A banner behind the brand's approval gate goes back to the designer's queue.
    Russian texts get the writer's typography (a sign or unit never starts a line: «1490 ₽»)."""
    layout = banner.layout
    texts = {key: typeset_ru(text) if language(text) == "ru" else text for key, text in texts.items()}
    first, more = pictures_of(banner)
    try:
        result, texts, image = pipeline.stage_render(
            campaign=banner.campaign if shorten else None,
            layout=layout,
            texts=texts,
            picture=first,
            more_pictures=more,
            palette=brand_palette(banner.campaign),
            logo=pipeline.brand_logo(banner.campaign.product),
        )
    except pipeline.PipelineError as error:
        raise ValidationError({"texts": f"texts: {error}; shorten it"}) from None
    banner.texts, banner.spec = texts, result.spec
    banner.quality = quality_of(result.report, banner.copy_stats)
    pipeline.banner_files_save(banner=banner, image=image)
    if banner.needs_approval and banner.approval != Banner.Approval.PENDING:
        banner.approval, banner.rejection_reason = Banner.Approval.PENDING, ""  # changed: the designer sees it again
    return banner
