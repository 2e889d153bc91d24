"""Render the gallery offers (20 English, 20 Russian: banners/copy_rules/gallery_offers.json) on every
format preset and layout variant with the deterministic writer into an HTML contact sheet, for
people to look at: the texts, the facts that had no room, the layout report and quality score under
each banner. Each offer wears one of the demo brand kits (colours, logo) in turn. The command ends
with the measured checks over all banners: overlaps, boxes outside the canvas, contrast on the
rendered pixels, CTA buttons, logos, story safe zones.

Each offer's picture is searched in the bank as the pipeline searches it (the offer's subject,
product and description; a seeded draw from the fitting top 10), and a slot no picture fits gets
the brand's shape, as on a real banner. With no approved pictures in the bank (or no database), a
fixed demo picture per kind of offer stands in, and the page says so."""

import html
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from PIL import Image

from banners.pipeline import PictureChoice, picture_choose, stage_render
from banners.quality import quality_score
from catalog.models import BankImage, BrandKit
from catalog.search import embedding_here
from mlcore.copy import CopyBrief, write_template
from mlcore.layout import parse_layout
from mlcore.offer import parse_offer
from mlcore.picture_query import picture_query
from mlcore.render import encode, open_picture
from mlcore.variants import LABELS, layout_variant, main_figure, variants_for

GALLERY = settings.BASE_DIR / "banners" / "copy_rules" / "gallery_offers.json"
BRANDS = settings.BASE_DIR / "catalog" / "demo" / "products.json"
LOGOS = settings.BASE_DIR / "catalog" / "demo" / "logos"
SHAPE = '{"en": [...], "ru": [...]} of offers, each "text" or {"offer": ..., "product": ..., "description": ...}'
# A demo-bank picture per kind of offer, when the bank in the database has no approved pictures.
PICTURES = {
    "ride": "1f695", "loan": "1f3e0", "card": "1f4b3", "delivery": "1f355", "booking": "2708-fe0f",
    "course": "1f4da", "fitness": "1f3c5", "app": "1f4f1", "trial": "1f680", "event": "1f3ab",
    "beauty": "1f457", "shop": "1f6cd-fe0f", "default": "1f381",
}  # fmt: skip


class Command(BaseCommand):
    help = "Render the gallery offers on every preset and layout variant into DIR/index.html, with checks."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True)
        parser.add_argument("--offers", default=str(GALLERY), help=f"JSON file: {SHAPE}")
        parser.add_argument("--formats", nargs="*", help="preset slugs (default: all)")
        parser.add_argument("--layouts", type=int, default=3, help="layout variants per preset (default 3)")
        parser.add_argument("--limit", type=int, default=0, help="offers per language (default: all)")

    def handle(self, *args, out: str, offers: str, formats: list[str] | None, layouts: int, limit: int, **options):
        items = [
            (lang, index, item)
            for lang, listed in _offers(Path(offers)).items()
            for index, item in enumerate(listed[: limit or None])
        ]
        paths = sorted((settings.BASE_DIR / "banners" / "formats").glob("*.json"))
        unknown = sorted(set(formats or ()) - {p.stem for p in paths})
        if unknown:
            raise CommandError(f"unknown format {', '.join(unknown)}; known: {', '.join(p.stem for p in paths)}")
        presets = [(p.stem, parse_layout(json.loads(p.read_text()))) for p in paths if not formats or p.stem in formats]
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        brands = json.loads(BRANDS.read_text())
        logos = {
            b["slug"]: open_picture(LOGOS / f"{b['slug']}.svg") for b in brands if (LOGOS / f"{b['slug']}.svg").exists()
        }
        from_bank = _bank_ready()
        sections, reports = [], []
        for number, (lang, index, item) in enumerate(items):
            brand = brands[number % len(brands)]
            picture, said = self._picture(item, seed=number) if from_bank else self._stock(item)
            logo = (f"media:logo-{brand['slug']}", logos[brand["slug"]]) if brand["slug"] in logos else None
            kit = BrandKit(**{k: v for k, v in brand["brand_kit"].items() if k != "logo"})
            cells = []
            for slug, preset in presets:
                for name in variants_for(preset, figure=bool(main_figure(item["offer"])))[:layouts]:
                    layout = kit.dress(layout_variant(preset, name, logo=logo is not None))
                    cell, report = self._cell(folder, f"{lang}-{index:02d}", slug, layout, item, picture, kit, logo)
                    cells.append(cell)
                    reports.append((f"{lang}-{index:02d} {slug} {name}", report))
            title = html.escape(item["offer"]) + f" <small>({html.escape(item['product'])}; brand kit "
            title += f"{html.escape(brand['name'])}; picture: {html.escape(said)})</small>"
            sections.append(f"<section><h2>{lang.upper()} {index + 1}. {title}</h2>{''.join(cells)}</section>")
        summary = self._summary(reports)
        if not from_bank:
            summary += "\nThe bank has no approved pictures here: each offer shows a fixed demo picture for its kind."
        (folder / "index.html").write_text(
            "<!doctype html><meta charset='utf-8'><title>AdGenesis render gallery</title>"
            "<style>body{font-family:sans-serif}section{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start;"
            "border-top:1px solid #ccc}h2{width:100%;font-size:15px}figure{margin:0;width:300px}"
            "img{max-width:300px;max-height:300px}small{color:#666}.dropped{color:#b00}</style>"
            f"<pre>{html.escape(summary)}</pre>" + "\n".join(sections)
        )
        self.stdout.write(summary)
        self.stdout.write(f"{len(reports)} banners written to {folder / 'index.html'}")

    @staticmethod
    def _picture(item: dict, *, seed: int) -> tuple[PictureChoice | None, str]:
        """The bank's picture for an offer, as the pipeline chooses it, and what to say of it."""
        query = picture_query(product=item["product"], description=item["description"], offer=item["offer"])
        with embedding_here():
            choice, info = picture_choose(query=query, seed=seed)
        if choice is None:
            return None, info.get("skipped", "none")
        name = choice.bank_image.name if choice.bank_image else choice.src
        return choice, f"{name}, searched for “{info['search']}”, best score {info['score']}"

    @staticmethod
    def _stock(item: dict) -> tuple[PictureChoice, str]:
        kind = parse_offer(item["offer"], product=item["product"], description=item["description"]).kind
        stem = PICTURES.get(kind, PICTURES["default"])
        image = Image.open(settings.BASE_DIR / "catalog" / "demo_bank" / "images" / f"{stem}.webp")
        return PictureChoice(src="bank:demo", image=image, bank_image=None), f"the fixed picture for “{kind}” offers"

    def _cell(self, folder, stem, slug, layout, item, picture, kit, logo) -> tuple[str, dict]:
        brief = CopyBrief(
            product=item["product"],
            description=item["description"],
            offer=item["offer"],
            tone="professional",
            platform="instagram",
        )
        copy = write_template(brief=brief, slots=layout.text_slots)
        result, texts, image = stage_render(
            campaign=None, layout=layout, texts=copy.texts, picture=picture, palette=kit.theme()[1], logo=logo
        )
        filename = f"{stem}-{slug}-{layout.variant}.png"
        (folder / filename).write_bytes(encode(image))
        report = {**result.report, **quality_score(result.report, facts_dropped=copy.stats["facts_dropped"])}
        report["has_cta"] = bool(texts.get("cta", "").strip())
        report["wants_logo"] = logo is not None
        lines = "<br>".join(f"<b>{k}</b>: {html.escape(v)}" for k, v in texts.items())
        dropped = copy.stats["facts_dropped"]
        note = f"<br><span class='dropped'>no room for: {html.escape(', '.join(dropped))}</span>" if dropped else ""
        flags = "".join(f"<br><span class='dropped'>{html.escape(r)}</span>" for r in report["reasons"])
        caption = f"{slug} · {LABELS.get(layout.variant, layout.variant)} · quality {report['score']}"
        return (
            f'<figure><img src="{filename}"><figcaption>{caption}{flags}<br><small>{lines}{note}</small>'
            "</figcaption></figure>",
            report,
        )

    @staticmethod
    def _summary(reports: list[tuple[str, dict]]) -> str:
        def failing(test) -> list[str]:
            return [name for name, report in reports if test(report)]

        checks = {
            "text overlapping text or picture": failing(lambda r: r["overlaps"]),
            "element outside the canvas": failing(lambda r: r["boxes_outside_canvas"]),
            "text under its contrast (4.5:1, 3:1 from 24 px), on the pixels": failing(lambda r: not r["contrast_ok"]),
            "text that did not fit": failing(lambda r: r["text_outside_box"]),
            "CTA text without a button": failing(lambda r: r["has_cta"] and not r["button"]),
            "brand with a logo, banner without": failing(lambda r: r["wants_logo"] and not r["logo"]),
            "text or logo in a story's unsafe zone": failing(lambda r: r["outside_safe_zone"]),
            "flagged (quality under the threshold)": failing(lambda r: r["flagged"]),
        }
        scores = sorted(r["score"] for _, r in reports)
        lines = [f"{len(reports)} banners; quality score min {scores[0]}, median {scores[len(scores) // 2]}"]
        for label, names in checks.items():
            lines.append(f"{len(names):5d}  {label}" + (f"  (e.g. {', '.join(names[:3])})" if names else ""))
        return "\n".join(lines)


def _offers(path: Path) -> dict[str, list[dict]]:
    """The offers file's offers by language, each with product and description ('' when left out)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise CommandError(f"--offers {path}: cannot read it as JSON ({error})") from None
    if not isinstance(data, dict) or not set(data) & {"en", "ru"}:
        raise CommandError(f"--offers {path}: expected {SHAPE}")
    found = {}
    for lang in ("en", "ru"):
        listed = data.get(lang, [])
        if not isinstance(listed, list):
            raise CommandError(f"--offers {path}: {lang!r} must be a list; expected {SHAPE}")
        found[lang] = []
        for number, item in enumerate(listed, 1):
            item = {"offer": item} if isinstance(item, str) else item
            if not isinstance(item, dict) or not str(item.get("offer", "")).strip():
                raise CommandError(f"--offers {path}: {lang} offer {number} has no text; expected {SHAPE}")
            found[lang].append({"product": "", "description": "", **{k: str(v) for k, v in item.items()}})
    return found


def _bank_ready() -> bool:
    try:
        return BankImage.objects.searchable().exists()
    except DatabaseError:
        return False
