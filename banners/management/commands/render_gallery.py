"""Render the gallery offers (20 English, 20 Russian: banners/copy_rules/gallery_offers.json) on every
format preset with the deterministic writer into an HTML contact sheet, for people to look at: the
texts, the facts that had no room, and the layout report under each banner."""

import html
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from PIL import Image

from banners.pipeline import fit_texts
from mlcore.copy import CopyBrief, truncate_words, write_template
from mlcore.layout import parse_layout
from mlcore.offer import parse_offer
from mlcore.render import encode, render

GALLERY = settings.BASE_DIR / "banners" / "copy_rules" / "gallery_offers.json"
# A demo-bank picture per kind of offer, so each banner looks like its ad.
PICTURES = {
    "ride": "1f695", "loan": "1f3e0", "card": "1f4b3", "delivery": "1f355", "booking": "2708-fe0f",
    "course": "1f4da", "fitness": "1f3c5", "app": "1f4f1", "trial": "1f680", "event": "1f3ab",
    "beauty": "1f457", "shop": "1f6cd-fe0f", "default": "1f381",
}  # fmt: skip


class Command(BaseCommand):
    help = "Render the gallery offers on every preset into DIR/index.html."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True)
        parser.add_argument("--offers", default=str(GALLERY), help="JSON {en: [...], ru: [...]} of offers")
        parser.add_argument("--formats", nargs="*", help="preset slugs (default: all)")

    def handle(self, *args, out: str, offers: str, formats: list[str] | None, **options):
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        data = json.loads(Path(offers).read_text())
        items = [(lang, index, item) for lang in ("en", "ru") for index, item in enumerate(data.get(lang, []))]
        paths = sorted((settings.BASE_DIR / "banners" / "formats").glob("*.json"))
        layouts = [(p.stem, parse_layout(json.loads(p.read_text()))) for p in paths if not formats or p.stem in formats]
        sections = []
        for lang, index, item in items:
            kind = parse_offer(item["offer"], product=item["product"], description=item["description"]).kind
            picture = Image.open(settings.BASE_DIR / "catalog" / "demo_bank" / "images" / f"{PICTURES[kind]}.webp")
            cells = [self._cell(folder, f"{lang}-{index:02d}", slug, layout, item, picture) for slug, layout in layouts]
            title = html.escape(item["offer"]) + (
                f" <small>({html.escape(item['product'])})</small>" if item["product"] else ""
            )
            sections.append(f"<section><h2>{lang.upper()} {index + 1}. {title}</h2>{''.join(cells)}</section>")
        (folder / "index.html").write_text(
            "<!doctype html><meta charset='utf-8'><title>AdGenesis render gallery</title>"
            "<style>body{font-family:sans-serif}section{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start;"
            "border-top:1px solid #ccc}h2{width:100%;font-size:15px}figure{margin:0;width:300px}"
            "img{max-width:300px;max-height:300px}small{color:#666}.dropped{color:#b00}</style>" + "\n".join(sections)
        )
        self.stdout.write(f"{len(items) * len(layouts)} banners written to {folder / 'index.html'}")

    def _cell(self, folder: Path, stem: str, slug: str, layout, item: dict, picture: Image.Image) -> str:
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
            palette=["#ffc800", "#ffffff"],
            shorten=lambda slots, texts=copy.texts: {s.key: truncate_words(texts[s.key], s.max_chars) for s in slots},
        )
        filename = f"{stem}-{slug}.png"
        (folder / filename).write_bytes(encode(render(result.spec, {"bank:demo": picture})))
        lines = "<br>".join(f"<b>{k}</b>: {html.escape(v)}" for k, v in texts.items())
        dropped = copy.stats["facts_dropped"]
        note = f"<br><span class='dropped'>no room for: {html.escape(', '.join(dropped))}</span>" if dropped else ""
        return f'<figure><img src="{filename}"><figcaption>{slug}<br><small>{lines}{note}</small></figcaption></figure>'
