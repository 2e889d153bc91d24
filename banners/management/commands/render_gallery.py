"""Render the gallery offers (20 English, 20 Russian: banners/copy_rules/gallery_offers.json) on every
format preset and layout variant with the deterministic writer into an HTML contact sheet, for
people to look at: the texts, the facts that had no room, the layout report and quality score under
each banner. Each offer wears one of the demo brand kits (colours, logo) in turn. The command ends
with the measured checks over all banners: overlaps, boxes outside the canvas, contrast on the
rendered pixels, CTA buttons, logos, story safe zones."""

import html
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from PIL import Image

from banners.pipeline import fit_texts
from banners.quality import quality_score
from catalog.models import BrandKit
from mlcore.copy import CopyBrief, truncate_words, write_template
from mlcore.layout import parse_layout
from mlcore.offer import parse_offer
from mlcore.render import encode, open_picture, render
from mlcore.variants import LABELS, layout_variant, main_figure, variants_for

GALLERY = settings.BASE_DIR / "banners" / "copy_rules" / "gallery_offers.json"
BRANDS = settings.BASE_DIR / "catalog" / "demo" / "products.json"
LOGOS = settings.BASE_DIR / "catalog" / "demo" / "logos"
# A demo-bank picture per kind of offer, so each banner looks like its ad.
PICTURES = {
    "ride": "1f695", "loan": "1f3e0", "card": "1f4b3", "delivery": "1f355", "booking": "2708-fe0f",
    "course": "1f4da", "fitness": "1f3c5", "app": "1f4f1", "trial": "1f680", "event": "1f3ab",
    "beauty": "1f457", "shop": "1f6cd-fe0f", "default": "1f381",
}  # fmt: skip


class Command(BaseCommand):
    help = "Render the gallery offers on every preset and layout variant into DIR/index.html, with checks."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True)
        parser.add_argument("--offers", default=str(GALLERY), help="JSON {en: [...], ru: [...]} of offers")
        parser.add_argument("--formats", nargs="*", help="preset slugs (default: all)")
        parser.add_argument("--layouts", type=int, default=3, help="layout variants per preset (default 3)")
        parser.add_argument("--limit", type=int, default=0, help="offers per language (default: all)")

    def handle(self, *args, out: str, offers: str, formats: list[str] | None, layouts: int, limit: int, **options):
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        data = json.loads(Path(offers).read_text())
        items = [
            (lang, index, item)
            for lang in ("en", "ru")
            for index, item in enumerate(data.get(lang, [])[: limit or None])
        ]
        paths = sorted((settings.BASE_DIR / "banners" / "formats").glob("*.json"))
        presets = [(p.stem, parse_layout(json.loads(p.read_text()))) for p in paths if not formats or p.stem in formats]
        brands = json.loads(BRANDS.read_text())
        logos = {
            b["slug"]: open_picture(LOGOS / f"{b['slug']}.svg") for b in brands if (LOGOS / f"{b['slug']}.svg").exists()
        }
        sections, reports = [], []
        for number, (lang, index, item) in enumerate(items):
            brand = brands[number % len(brands)]
            kind = parse_offer(item["offer"], product=item["product"], description=item["description"]).kind
            picture = Image.open(settings.BASE_DIR / "catalog" / "demo_bank" / "images" / f"{PICTURES[kind]}.webp")
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
            title += f"{html.escape(brand['name'])})</small>"
            sections.append(f"<section><h2>{lang.upper()} {index + 1}. {title}</h2>{''.join(cells)}</section>")
        summary = self._summary(reports)
        (folder / "index.html").write_text(
            "<!doctype html><meta charset='utf-8'><title>AdGenesis render gallery</title>"
            "<style>body{font-family:sans-serif}section{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start;"
            "border-top:1px solid #ccc}h2{width:100%;font-size:15px}figure{margin:0;width:300px}"
            "img{max-width:300px;max-height:300px}small{color:#666}.dropped{color:#b00}</style>"
            f"<pre>{html.escape(summary)}</pre>" + "\n".join(sections)
        )
        self.stdout.write(summary)
        self.stdout.write(f"{len(reports)} banners written to {folder / 'index.html'}")

    def _cell(self, folder, stem, slug, layout, item, picture, kit, logo) -> tuple[str, dict]:
        brief = CopyBrief(
            product=item["product"],
            description=item["description"],
            offer=item["offer"],
            tone="professional",
            platform="instagram",
        )
        copy = write_template(brief=brief, slots=layout.text_slots)
        pictures = {layout.image_slots[0].key: ("bank:demo", picture)} if layout.image_slots else {}
        result, texts = fit_texts(
            layout=layout,
            texts=copy.texts,
            pictures=pictures,
            palette=kit.theme()[1],
            logo=logo,
            shorten=lambda slots, texts=copy.texts: {s.key: truncate_words(texts[s.key], s.max_chars) for s in slots},
        )
        images = {"bank:demo": picture, **({logo[0]: logo[1]} if logo else {})}
        filename = f"{stem}-{slug}-{layout.variant}.png"
        (folder / filename).write_bytes(encode(render(result.spec, images)))
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
