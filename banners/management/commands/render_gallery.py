"""Render every format preset with a short and a long offer in English and Russian into an HTML
contact sheet, for people to look at."""

import html
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from PIL import Image

from banners.pipeline import fit_texts
from mlcore.copy import CopyBrief, truncate_words, write_template
from mlcore.layout import parse_layout
from mlcore.render import encode, render

OFFERS = {
    "en-short": "20% off rides this weekend",
    "en-long": "Get 20% off every ride this weekend with code CITY20, plus free airport transfers for new riders "
    "until 31 December",
    "ru-short": "Скидка 20% на поездки",
    "ru-long": "Скидка 20% на все поездки в выходные по промокоду CITY20 и бесплатный трансфер в аэропорт для "
    "новых клиентов до 31 декабря",
}
PICTURE = "catalog/demo_bank/images/1f695.webp"


class Command(BaseCommand):
    help = "Render every preset × short/long × EN/RU offers into DIR/index.html."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True)

    def handle(self, *args, out: str, **options):
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        picture = Image.open(settings.BASE_DIR / PICTURE)
        cells = []
        for path in sorted((settings.BASE_DIR / "banners" / "formats").glob("*.json")):
            layout = parse_layout(json.loads(path.read_text()))
            for name, offer in OFFERS.items():
                brief = CopyBrief(
                    product="SwiftRide Taxi",
                    description="A city taxi with cars in five minutes.",
                    offer=offer,
                    tone="fomo",
                    platform="instagram",
                )
                texts = write_template(brief=brief, slots=layout.text_slots).texts
                pictures = {layout.image_slots[0].key: ("bank:demo", picture)} if layout.image_slots else {}
                result, texts = fit_texts(
                    layout=layout,
                    texts=texts,
                    pictures=pictures,
                    palette=["#ffc800", "#1d1d1b"],
                    shorten=lambda slots, texts=texts: {
                        s.key: truncate_words(texts[s.key], s.max_chars) for s in slots
                    },
                )
                image = render(result.spec, {"bank:demo": picture})
                filename = f"{path.stem}-{name}.png"
                (folder / filename).write_bytes(encode(image))
                cells.append((path.stem, name, filename, result.report))
        rows = "\n".join(
            f'<figure><img src="{f}" style="max-width:360px;max-height:360px"><figcaption>{html.escape(s)} · '
            f"{n}<br><small>{html.escape(json.dumps(r))}</small></figcaption></figure>"
            for s, n, f, r in cells
        )
        (folder / "index.html").write_text(
            "<!doctype html><meta charset='utf-8'><title>AdGenesis render gallery</title>"
            "<style>body{font-family:sans-serif;display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;width:380px}"
            f"small{{color:#666}}</style>{rows}\n"
        )
        self.stdout.write(f"{len(cells)} banners written to {folder / 'index.html'}")
