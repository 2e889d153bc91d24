"""Laying out and rendering a banner that exists: its layout variant, brand palette and logo, the
quality score, and a re-render with new texts. Used by the services, the AI chain (banners.ai) and
the jobs alike, and imports none of them: the modules form a line, not a circle
(queues ← services ← jobs, rendering ← ai ← services)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from banners import pipeline
from banners.models import Banner, Campaign, Format
from banners.quality import quality_score
from mlcore.variants import PRESET, branded, layout_variant, main_figure, variant_for, variants_for


def layout_choose(
    *, fmt: Format, offer: str, variant: int, requested: str = "", logo: bool = False, background: str | None = None
):
    """The layout of banner number `variant`: the one the marketer asked for when the format has it,
    else each variant its own (three banners at once, three layouts); the badge one only for an
    offer with a figure to carry; on the brand's background when it has one."""
    figure = bool(main_figure(offer))
    names = variants_for(fmt.layout, figure=figure)
    name = requested if requested in (*names, PRESET) else variant_for(fmt.layout, variant, figure=figure)
    return branded(layout_variant(fmt.layout, name, logo=logo), background)


def brand_background(product) -> str | None:
    kit = getattr(product, "brand_kit", None)
    return kit.theme()[0] if kit else None


def banner_layout(banner: Banner):
    """The banner's own layout: its format arranged as the variant its spec names."""
    return banner.layout


def quality_of(report: dict, copy_stats: dict | None = None) -> dict:
    """The compose report with the banner's quality score, flag and reasons (banners/quality.py)."""
    return {**report, **quality_score(report, facts_dropped=(copy_stats or {}).get("facts_dropped"))}


def brand_palette(campaign: Campaign) -> list[str]:
    """The brand's colours for texts and buttons: accent, text, the rest (BrandKit.theme)."""
    brand = campaign.product.brand_kit
    return brand.theme()[1] if brand else []


def picture_of(banner: Banner) -> pipeline.PictureChoice | None:
    image_elements = [e for e in banner.spec.get("elements", []) if e["type"] == "image" and e.get("role") != "logo"]
    if not image_elements:
        return None
    src = image_elements[0]["src"]
    return pipeline.PictureChoice(src=src, image=pipeline.spec_images(banner.spec)[src], bank_image=banner.bank_image)


def banner_rerender(*, banner: Banner, texts: dict[str, str], shorten: bool) -> Banner:
    """Compose and render the banner again with these texts and its own picture; no generation."""
    layout = banner_layout(banner)
    try:
        result, texts, image = pipeline.stage_render(
            campaign=banner.campaign if shorten else None,
            layout=layout,
            texts=texts,
            picture=picture_of(banner),
            palette=brand_palette(banner.campaign),
            logo=pipeline.brand_logo(banner.campaign.product),
        )
    except pipeline.PipelineError as error:
        raise ValidationError({"texts": f"texts: {error}; shorten it"}) from None
    banner.texts, banner.spec = texts, result.spec
    banner.quality = quality_of(result.report, banner.copy_stats)
    pipeline.banner_files_save(banner=banner, image=image)
    return banner
