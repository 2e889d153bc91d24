"""Bulk generation, as Bannerbear, Placid and Canva Bulk Create do it: a CSV or a product feed (JSON) →
a campaign per row × the row's formats → banners; progress as the tasks end; a ZIP of every banner's
PNG, JPG and spec with a CSV report; a `batch.completed` webhook.

Every row is checked (product, offer, formats, tone, platform, picture description, the safety gate)
before anything is saved: a file with a bad row is refused whole, each bad row named.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from banners import copywriting, imaging, services, webhooks
from banners.models import PLATFORM_CHOICES, Banner, Batch, Format, GenerationTask, ImageMode, Tone
from catalog.models import Product

# The columns a row may have, and the other names a spreadsheet or a feed may give them.
COLUMNS = {
    "product": ("product", "product_slug", "product_name", "sku", "продукт", "товар"),
    "offer": ("offer", "promo", "text", "оффер", "предложение"),
    "formats": ("formats", "format", "sizes", "форматы", "формат"),
    "tone": ("tone", "тон"),
    "platform": ("platform", "channel", "платформа"),
    "picture_description": (
        "picture_description",
        "picture",
        "image_description",
        "image",
        "описание_картинки",
        "картинка",
    ),
    "name": ("name", "campaign", "название"),
    "image_mode": ("image_mode", "mode"),
    "variants": ("variants",),
}
PLATFORM_ALIASES = {"twitter": "x", "fb": "facebook", "ig": "instagram", "web": "display"}
FORMAT_SEPARATORS = re.compile(r"[|;,\s]+")


@dataclass
class Row:
    """One row, checked: what its campaign and task are made from."""

    number: int
    product: int
    offer: str
    formats: list[str]
    tone: str = Tone.PROFESSIONAL
    platform: str = "instagram"
    picture_description: str = ""
    name: str = ""
    image_mode: str = ImageMode.BANK
    variants: int = 1
    problems: list[str] = field(default_factory=list, repr=False)


def _header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


_ALIAS = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}


def rows_read(data: bytes, filename: str = "") -> list[dict]:
    """The file's rows as {column: text}: JSON (a list of objects, or {"rows": [...]}), JSON Lines, or CSV
    with a header (comma, semicolon or tab; UTF-8, with or without BOM). ValidationError says what is wrong."""
    if len(data) > settings.BATCH_MAX_BYTES:
        raise ValidationError({"file": f"file: {len(data)} bytes, the limit is {settings.BATCH_MAX_BYTES}"})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": "file: not UTF-8 text; save the spreadsheet as CSV UTF-8"}) from None
    if "\x00" in text:
        raise ValidationError({"file": "file: contains NUL characters; is it a spreadsheet (.xlsx) instead of CSV?"})
    stripped = text.lstrip()
    if not stripped:
        raise ValidationError({"file": "file: empty"})
    if filename.lower().endswith((".json", ".jsonl")) or stripped[0] in "[{":
        raw = _json_rows(stripped)
    else:
        raw = _csv_rows(text)
    if not raw:
        raise ValidationError({"file": "file: no rows under the header"})
    if len(raw) > settings.BATCH_MAX_ROWS:
        raise ValidationError({"file": f"file: {len(raw)} rows, the limit is {settings.BATCH_MAX_ROWS}"})
    return raw


def _json_rows(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.split("\n") if line.strip()]
        except (json.JSONDecodeError, RecursionError) as error:
            raise ValidationError({"file": f"file: not valid JSON ({error})"}) from None
    except RecursionError:
        raise ValidationError({"file": "file: JSON nested too deeply"}) from None
    if isinstance(data, dict):
        data = data.get("rows", data.get("items"))
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValidationError({"file": 'file: give a list of objects, or {"rows": [...]}'})
    return data


def _csv_rows(text: str) -> list[dict]:
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        lines = [line for line in reader if any(cell.strip() for cell in line)]
    except csv.Error as error:
        raise ValidationError({"file": f"file: not readable as CSV ({error})"}) from None
    if not lines:
        return []
    header = [_header(name) for name in lines[0]]
    known = [_ALIAS.get(name) for name in header]
    if "product" not in known or "offer" not in known:
        raise ValidationError(
            {
                "file": "file: the header needs at least the columns product and offer (also: formats, tone, "
                "platform, picture_description)"
            }
        )
    return [{name: cell for name, cell in zip(header, line, strict=False)} for line in lines[1:]]


def _products() -> dict[str, int]:
    found = {}
    for pk, slug, name in Product.objects.values_list("pk", "slug", "name"):
        found[str(pk)], found[slug.lower()], found[name.strip().lower()] = pk, pk, pk
    return found


def _formats() -> dict[str, Format]:
    """The active formats by slug and by id, as `selectors.format_resolve` accepts them; read once a file."""
    found = {}
    for fmt in Format.objects.active():
        found[fmt.slug], found[str(fmt.pk)] = fmt, fmt
    return found


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return " ".join(str(value).split())


def row_check(
    raw: dict, number: int, *, products: dict[str, int], formats_known: dict[str, Format], image_mode: str
) -> Row:
    """One row against the same rules as the API's campaign and generate requests (the safety gate is run
    on all rows together by `rows_check`); problems are listed."""
    values = {_ALIAS[_header(k)]: v for k, v in raw.items() if isinstance(k, str) and _header(k) in _ALIAS}
    problems = []
    product = products.get(_text(values.get("product")).lower())
    if product is None:
        problems.append(f"product: no product {_text(values.get('product'))!r} (give its slug or name)")
    offer = _text(values.get("offer"))
    if not offer:
        problems.append("offer: empty")
    elif len(offer) > settings.MAX_OFFER_CHARS:
        problems.append(f"offer: {len(offer)} characters, the limit is {settings.MAX_OFFER_CHARS}")
    platform = _text(values.get("platform")).lower() or "instagram"
    platform = PLATFORM_ALIASES.get(platform, platform)
    if platform not in dict(PLATFORM_CHOICES):
        problems.append(f"platform: {platform!r} is not one of {', '.join(dict(PLATFORM_CHOICES))}")
    formats = [slug for slug in FORMAT_SEPARATORS.split(_text(values.get("formats")).lower()) if slug]
    if not formats:
        formats = list(dict.fromkeys(f.slug for f in formats_known.values() if f.platform == platform))[:6]
    for slug in formats:
        if slug not in formats_known:
            problems.append(f"formats: unknown format {slug!r}")
    if not formats:
        problems.append(f"formats: none given and none active for {platform}")
    tone = _text(values.get("tone")).lower() or Tone.PROFESSIONAL
    if tone not in Tone.values:
        problems.append(f"tone: {tone!r} is not one of {', '.join(Tone.values)}")
    mode = _text(values.get("image_mode")).lower() or image_mode
    if mode not in ImageMode.values:
        problems.append(f"image_mode: {mode!r} is not bank or ai")
    elif mode == ImageMode.AI and imaging.ai_unavailable_reason():
        problems.append(f"image_mode: {imaging.ai_unavailable_reason()}")
    variants = _text(values.get("variants")) or "1"
    if not variants.isdigit() or not 1 <= int(variants) <= settings.MAX_VARIANTS:
        problems.append(f"variants: give 1 to {settings.MAX_VARIANTS}")
        variants = "1"
    description = _text(values.get("picture_description"))
    if len(description) > 500:
        problems.append(f"picture_description: {len(description)} characters, the limit is 500")
    name = _text(values.get("name"))[:200]
    return Row(
        number=number,
        product=product or 0,
        offer=offer,
        formats=list(dict.fromkeys(formats)),
        tone=tone,
        platform=platform,
        picture_description=description,
        name=name,
        image_mode=mode,
        variants=int(variants),
        problems=problems,
    )


def rows_check(raw: list[dict], *, user, image_mode: str = ImageMode.BANK) -> list[Row]:
    """Every row checked, the safety gate on every offer and picture description at once; ValidationError
    naming each bad row (`rows[3].offer: empty`) when any is bad."""
    products, formats = _products(), _formats()
    rows = [
        row_check(item, number, products=products, formats_known=formats, image_mode=image_mode)
        for number, item in enumerate(raw, start=1)
    ]
    texts = [(row, "offer", row.offer) for row in rows if row.offer] + [
        (row, "picture_description", row.picture_description) for row in rows if row.picture_description
    ]
    verdicts = copywriting.safety_screen(fields=[(column, text) for _, column, text in texts], user=user)
    for (row, column, _), verdict in zip(texts, verdicts, strict=True):
        if not verdict.allowed:
            row.problems.append(f"{column}: refused by the safety check: {verdict.reason}")
    errors = {}
    for row in rows:
        for problem in row.problems:
            column, _, message = problem.partition(": ")
            errors.setdefault(f"rows[{row.number}].{column}", []).append(message or problem)
    if errors:
        raise ValidationError(errors)
    return rows


def batch_create(
    *, owner, rows: list[Row], name: str = "", source: str = "", image_mode: str = ImageMode.BANK
) -> Batch:
    """The batch, a campaign per row and its task, in one transaction: all of them or none."""
    formats = _formats()
    with transaction.atomic():
        batch = Batch.objects.create(
            owner=owner,
            name=name.strip()[:200],
            source=source[:255],
            image_mode=image_mode,
            rows=[{k: v for k, v in asdict(row).items() if k != "problems"} for row in rows],
        )
        for row in rows:
            campaign = services.campaign_create(
                owner=owner,
                product=Product.objects.get(pk=row.product),
                offer=row.offer,
                tone=row.tone,
                platform=row.platform,
                name=row.name or f"{batch} · row {row.number}",
                screened=True,
            )
            campaign.batch, campaign.batch_row = batch, row.number
            campaign.save(update_fields=["batch", "batch_row"])
            services.generation_start(
                campaign=campaign,
                formats=[formats[slug] for slug in row.formats],
                user=owner,
                image_mode=row.image_mode,
                image_descriptions={"picture": row.picture_description} if row.picture_description else {},
                variants=row.variants,
                screened=True,
            )
    return batch


def batches_visible_to(user):
    if user.is_superuser or user.has_perm("banners.approve_banner"):
        return Batch.objects.all()
    return Batch.objects.filter(owner=user)


def batch_tasks(batch: Batch):
    return GenerationTask.objects.filter(campaign__batch=batch).select_related("campaign__product")


def batch_progress(batch: Batch) -> dict:
    counts = {status: 0 for status in GenerationTask.Status.values}
    for status in batch_tasks(batch).values_list("status", flat=True):
        counts[status] += 1
    total = sum(counts.values())
    ended = counts["completed"] + counts["failed"]
    return {
        "rows": len(batch.rows),
        "tasks": total,
        **counts,
        "banners": Banner.objects.filter(campaign__batch=batch).exclude(png="").count(),
        "percent": round(100 * ended / total) if total else 100,
    }


def batch_check(*, batch_id) -> Batch:
    """After a task of the batch ends: complete the batch (and send `batch.completed`) once all have."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch_id)
        if batch.status == Batch.Status.COMPLETED:
            return batch
        open_tasks = batch_tasks(batch).filter(Q(status="pending") | Q(status="processing"))
        if open_tasks.exists():
            return batch
        batch.status, batch.finished_at = Batch.Status.COMPLETED, timezone.now()
        batch.save(update_fields=["status", "finished_at"])
        progress = batch_progress(batch)
        webhooks.event_send(
            event="batch.completed",
            owner_id=batch.owner_id,
            payload=lambda: {
                "event": "batch.completed",
                "batch_id": str(batch.pk),
                "name": batch.name,
                "finished_at": batch.finished_at.isoformat(),
                **progress,
                "zip": f"/api/v1/batches/{batch.pk}/zip",
            },
        )
    return batch


REPORT_COLUMNS = [
    "row",
    "product",
    "offer",
    "format",
    "variant",
    "status",
    "problem",
    "banner_id",
    "quality",
    "png",
    "jpg",
    "spec",
    "texts",
]


def _cell(value):
    """A report cell Excel will not run as a formula: text starting with = + - @ (an offer such as
    "=HYPERLINK(…)") gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class _SafeWriter(csv.DictWriter):
    def writerow(self, rowdict):
        return super().writerow({key: _cell(value) for key, value in rowdict.items()})


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:40] or "banner"


def batch_zip(*, batch: Batch, user):
    """A ZIP (a temporary file, rewound) of every banner the user may download: PNG, JPG and the spec as
    JSON, named row-NNN-product-format-vN; report.csv has a line for every banner and every failed task."""
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    report = io.StringIO()
    writer = _SafeWriter(report, fieldnames=REPORT_COLUMNS)
    writer.writeheader()
    tasks = batch_tasks(batch).order_by("campaign__batch_row", "created_at").prefetch_related("formats")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for task in tasks:
            campaign = task.campaign
            base = {"row": campaign.batch_row, "product": campaign.product.name, "offer": campaign.offer}
            if task.status != GenerationTask.Status.COMPLETED:
                for fmt in sorted(task.formats.all(), key=lambda fmt: fmt.slug):
                    problem = task.error if task.status == "failed" else f"not finished ({task.status})"
                    writer.writerow({**base, "format": fmt.slug, "status": task.status, "problem": problem})
                continue
            related = task.banners.select_related("format", "campaign__product__brand_kit")
            for banner in related.order_by("format__slug", "variant", "pk"):
                product = _slug(campaign.product.slug)
                stem = f"row-{campaign.batch_row:03d}-{product}-{banner.format.slug}-v{banner.variant}"
                line = {
                    **base,
                    "format": banner.format.slug,
                    "variant": banner.variant,
                    "banner_id": banner.pk,
                    "quality": banner.quality.get("score", ""),
                    "texts": json.dumps(banner.texts, ensure_ascii=False),
                }
                refusal = banner.download_refusal_for(user)
                if refusal or not banner.png:
                    writer.writerow({**line, "status": "held back", "problem": refusal or "no file"})
                    continue
                for kind in ("png", "jpg"):
                    file = getattr(banner, kind)
                    if file:
                        with file.open("rb") as handle:
                            archive.writestr(f"{stem}.{kind}", handle.read())
                        line[kind] = f"{stem}.{kind}"
                spec = {"texts": banner.texts, "spec": banner.spec, "format": banner.format.slug}
                archive.writestr(f"{stem}.json", json.dumps(spec, ensure_ascii=False, indent=1))
                writer.writerow({**line, "status": "ok", "spec": f"{stem}.json"})
        archive.writestr("report.csv", "\ufeff" + report.getvalue())  # BOM: Excel opens it as UTF-8
    out.seek(0)
    return out
