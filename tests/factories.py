"""Small factory functions for test data, built through the same services the app uses."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.files.base import ContentFile
from PIL import Image

from banners.models import Campaign, Format
from banners.services import campaign_create, format_import
from catalog.models import BankImage, Product
from catalog.services import brand_kit_upsert, product_upsert

ROOT = Path(__file__).resolve().parent.parent
FORMATS_DIR = ROOT / "banners" / "formats"
DESCRIPTION = (
    "SwiftRide is a city taxi service. Cars arrive in five minutes. Prices are fixed before the trip. "
    "Drivers are vetted. Business riders get monthly invoices."
)


def preset(slug: str) -> dict:
    return json.loads((FORMATS_DIR / f"{slug}.json").read_text())


def preset_layouts() -> dict:
    """Every shipped format preset as a Layout, by slug."""
    from mlcore.layout import parse_layout

    return {path.stem: parse_layout(json.loads(path.read_text())) for path in sorted(FORMATS_DIR.glob("*.json"))}


def format_make(slug: str = "square") -> Format:
    return format_import(data=preset(slug))


def product_make(name: str = "SwiftRide Taxi", slug: str = "taxi", colors: list[str] | None = None) -> Product:
    kit = brand_kit_upsert(name=name, colors=colors or ["#ffc800", "#1d1d1b", "#ffffff"])
    return product_upsert(slug=slug, name=name, description=DESCRIPTION, industry="transport", brand_kit=kit)


def campaign_make(
    owner,
    product: Product | None = None,
    offer: str = "Rides 20% off this weekend",
    tone: str = "fomo",
    platform: str = "instagram",
) -> Campaign:
    return campaign_create(owner=owner, product=product or product_make(), offer=offer, tone=tone, platform=platform)


def picture_bytes(color=(220, 40, 40), size=(200, 160), fmt: str = "PNG") -> bytes:
    image = Image.new("RGBA", (size[0] + 40, size[1] + 40), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", size, (*color, 255)), (20, 20))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def bank_image_make(name: str = "red box", status: str = BankImage.Status.APPROVED, **flags) -> BankImage:
    image = BankImage(name=name, status=status, source=BankImage.Source.UPLOAD, width=240, height=200, **flags)
    image.file.save(f"{name.replace(' ', '-')}.png", ContentFile(picture_bytes()), save=False)
    image.save()
    return image


def minimal_spec(**element) -> dict:
    """Seed 000's example, with the sizes the contract asks for."""
    text = {
        "type": "text",
        "text": "Launch Your Startup",
        "x": 100,
        "y": 200,
        "width": 880,
        "height": 160,
        "fontSize": 64,
        "color": "#ffffff",
        "fontFamily": "Montserrat",
    }
    return {"width": 1080, "height": 1080, "background_color": "#1a1a2e", "elements": [{**text, **element}]}
