"""What banners are made of: products and their brand kits, the picture bank, style adapters."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from pgvector.django import HnswIndex, VectorField

EMBEDDING_DIMENSIONS = 896  # the default embedder (fusion: e5 384 + USE 512); see catalog.services.embedding_column_fit
_SENTENCE_END = re.compile(r"[.!?…]+(?:\s|$)")


def validate_hex_colors(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError('Give a list of colours like ["#1a2b3c", "#ffffff"].')
    for index, color in enumerate(value):
        if not isinstance(color, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
            raise ValidationError(f"Colour {index + 1} ({color!r}) is not like #1a2b3c.")


LOGO_TYPES = (".png", ".jpg", ".jpeg", ".webp", ".svg")


def validate_logo(file) -> None:
    """A logo that the renderer can draw: a raster picture Pillow opens, or an SVG resvg draws."""
    from pathlib import Path

    suffix = Path(file.name).suffix.lower()
    if suffix not in LOGO_TYPES:
        raise ValidationError(f"A logo is a PNG, JPG, WebP or SVG file, not {suffix or 'a file without a type'}.")
    data = file.read()
    file.seek(0)
    try:
        if suffix == ".svg":
            import resvg_py

            resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"), skip_system_fonts=True)
        else:
            import io

            from PIL import Image

            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except Exception as error:  # any decoder error means the file cannot be drawn
        raise ValidationError(f"The logo could not be read: {error}.") from None


class BrandKit(models.Model):
    """Colours, fonts and logo a product's banners must use, and whether a designer approves its banners
    before a marketer may download them."""

    class Approval(models.TextChoices):
        NONE = "none", "no approval needed"
        AI = "ai", "banners with an AI picture"
        ALL = "all", "every banner"

    name = models.CharField(max_length=100, unique=True)
    approval_required = models.CharField(
        max_length=4,
        choices=Approval,
        default=Approval.NONE,
        help_text="Which of this brand's banners wait for a designer's approval before they can be downloaded.",
    )
    colors = models.JSONField(
        default=list,
        validators=[validate_hex_colors],
        help_text='Brand colours, most important first, e.g. ["#e30613", "#1d1d1b", "#ffffff"].',
    )
    background_color = models.CharField(
        max_length=7, blank=True, help_text="Banner background, e.g. #1d1d1b; empty: the darkest brand colour."
    )
    accent_color = models.CharField(
        max_length=7, blank=True, help_text="Buttons and headlines; empty: the first colour that stands out."
    )
    text_color = models.CharField(max_length=7, blank=True, help_text="Body text; empty: the colour that reads best.")
    heading_font = models.CharField(max_length=60, default="Montserrat")
    body_font = models.CharField(max_length=60, default="Inter")
    logo = models.FileField(
        upload_to="brand/",
        blank=True,
        validators=[validate_logo],
        help_text="PNG, JPG, WebP or SVG; drawn on every banner of the brand's products.",
    )

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from mlcore.fonts import KNOWN_FONTS

        for field in ("heading_font", "body_font"):
            if getattr(self, field) not in KNOWN_FONTS:
                raise ValidationError({field: f"Choose one of the shipped fonts: {', '.join(KNOWN_FONTS)}."})
        for field in ("background_color", "accent_color", "text_color"):
            value = getattr(self, field)
            if value and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
                raise ValidationError({field: f"{value!r} is not a colour like #1a2b3c."})

    def dress(self, layout):
        """A layout in this brand's background and fonts (mlcore.variants.branded)."""
        from mlcore.variants import branded

        return branded(layout, self.theme()[0], heading_font=self.heading_font, body_font=self.body_font)

    def theme(self) -> tuple[str | None, list[str]]:
        """(background or None for the format's own, palette: accent, text, then the other colours)."""
        from mlcore.render import hex_to_rgb, relative_luminance

        colors = [c.lower() for c in self.colors]
        background = self.background_color.lower() or next(
            (c for c in sorted(colors, key=lambda c: relative_luminance(hex_to_rgb(c))) if
             relative_luminance(hex_to_rgb(c)) < 0.12), None
        )  # fmt: skip
        first = [c.lower() for c in (self.accent_color, self.text_color) if c]
        palette = list(dict.fromkeys(first + [c for c in colors if c != background]))
        return background, palette


class Product(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    industry = models.CharField(max_length=60, blank=True)
    description = models.TextField(help_text="5 to 10 sentences: what it is, for whom, why.")
    brand_kit = models.ForeignKey(BrandKit, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        sentences = len(_SENTENCE_END.findall(self.description.strip() + " "))
        if not 5 <= sentences <= 10:
            raise ValidationError({"description": f"Write 5 to 10 sentences about the product (now {sentences})."})


class BankImageQuerySet(models.QuerySet):
    def approved(self) -> BankImageQuerySet:
        return self.filter(status=BankImage.Status.APPROVED)

    def searchable(self) -> BankImageQuerySet:
        """Approved and not flagged: the only pictures a banner may use."""
        return self.approved().filter(has_text=False, has_logo=False, too_complex=False)


class BankImage(models.Model):
    """A picture of the designers' bank; only approved, unflagged ones reach banners."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    class Source(models.TextChoices):
        DEMO = "demo"
        UPLOAD = "upload"
        STOCK = "stock", "stock pipeline"
        AI = "ai", "AI generated"

    file = models.ImageField(upload_to="bank/")
    source = models.CharField(max_length=10, choices=Source, default=Source.UPLOAD)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING, db_index=True)
    has_text = models.BooleanField(default=False, help_text="The picture shows letters or numbers.")
    has_logo = models.BooleanField(default=False, help_text="The picture shows a brand logo.")
    too_complex = models.BooleanField(default=False, help_text="Too busy to sit behind banner text.")
    has_currency_sign = models.BooleanField(
        default=False, help_text="The picture shows a currency sign ($, €, ₽): kept out of style training."
    )
    # Stock pictures (seed 002): where the picture came from in its run.
    topic = models.CharField(max_length=100, blank=True, db_index=True)
    concept = models.CharField(
        max_length=10, blank=True, choices=[(c, c) for c in ("interior", "exterior", "items")], db_index=True
    )
    location = models.CharField(max_length=300, blank=True)
    prompt = models.TextField(blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    caption = models.TextField(blank=True, help_text="2-4 sentences describing the picture, in English or Russian.")
    caption_translation = models.TextField(
        blank=True, help_text="The caption in the other language (optional); search reads both."
    )
    hypotheses = models.JSONField(
        default=list,
        blank=True,
        help_text="Three or more products or services the picture could advertise, in English, Russian or both.",
    )
    name = models.CharField(max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    phash = models.CharField(max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    indexed_at = models.DateTimeField(null=True, blank=True)

    objects = BankImageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("approve_bankimage", "Can approve or reject bank pictures")]

    def __str__(self) -> str:
        return self.name or self.file.name


# HNSW build settings per kind of text. Hypotheses are many near-duplicates ("A jewellery store, shown
# with ..." for many pictures), and a graph built at ef_construction 64 lost small far clusters: on the
# demo bank (12,380 hypotheses, 284 marketer queries) the nearest 10 of "escape room" came back 6 of
# 10, and stage 1's 150 nearest 0.967 on average. Built at 200 (3.7 s → 9.4 s) and scanned at twice
# the candidates (300), 0.998, and the nearest 10 1.000 on average, 9 of 10 at worst.
# Graphs differ from build to build: m 24 and 32 (builds 1.5x and 2.5x longer) still lost "escape room"'s
# puzzle piece in 2 of 5 parallel builds each, as m 16 did, so a small bank is searched exactly instead.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = {"caption": 64, "hypothesis": 200}
# ... and the graphs are built by one process: pgvector 0.6's parallel build lost that puzzle piece in 18
# of 45 builds of the demo bank, a build without workers in none of 14 (at ef_search 300; the demo bank's
# build 4.5 s → 8.5 s; 100,000 pictures' 26 min, bench/bench_retrieval.py). Run in the transaction that builds them.
HNSW_SERIAL_BUILD_SQL = "SET LOCAL max_parallel_maintenance_workers = 0"
# pgvector stores a vector over 2 KB (the default 896-d: 3.6 KB) out of line, in TOAST, where reading
# each one costs an index lookup. STORAGE MAIN keeps them in the table's own pages: an exact stage 1 over
# the demo bank took 60 ms with TOAST and 20 ms inline. ALTER COLUMN ... TYPE resets it, so
# catalog.services.embedding_column_fit sets it again (migration 0011 moved the vectors stored before).
EMBEDDING_STORAGE_SQL = "ALTER TABLE catalog_imagetext ALTER COLUMN embedding SET STORAGE MAIN"


class ImageText(models.Model):
    """A caption or product hypothesis of a bank picture, with its text embedding."""

    class Kind(models.TextChoices):
        CAPTION = "caption"
        HYPOTHESIS = "hypothesis"

    bank_image = models.ForeignKey(BankImage, related_name="texts", on_delete=models.CASCADE)
    kind = models.CharField(max_length=12, choices=Kind)
    text = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    embedder = models.CharField(max_length=200, blank=True, help_text="the model that made `embedding`")

    class Meta:
        # One HNSW index per kind, so "nearest hypotheses" scans only hypotheses.
        indexes = [
            HnswIndex(
                name=f"imagetext_{kind}_hnsw",
                fields=["embedding"],
                m=HNSW_M,
                ef_construction=ef_construction,
                opclasses=["vector_cosine_ops"],
                condition=models.Q(kind=kind),
            )
            for kind, ef_construction in HNSW_EF_CONSTRUCTION.items()
        ] + [models.Index(fields=["bank_image", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text[:60]}"


class StyleAdapterQuerySet(models.QuerySet):
    def approved(self) -> StyleAdapterQuerySet:
        return self.filter(approved=True, status=StyleAdapter.Status.TRAINED)

    def for_brand(self, kit: BrandKit | None) -> StyleAdapter | None:
        """The approved style of the brand kit, else the approved global one (no brand kit)."""
        approved = self.approved().order_by("-created_at", "name")
        return (kit and approved.filter(brand_kit=kit).first()) or approved.filter(brand_kit=None).first()


class StyleAdapter(models.Model):
    """A style LoRA for the AI picture mode: trained here (train_style_lora) or registered by hand,
    approved by a designer before marketers get it; never approved automatically."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        TRAINING = "training"
        TRAINED = "trained"
        FAILED = "failed"

    name = models.CharField(max_length=100, unique=True)
    lora_path = models.CharField(max_length=500, help_text="Path of the .safetensors file on the GPU hosts.")
    trigger_words = models.CharField(max_length=200, blank=True)
    scale = models.FloatField(default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(2.0)])
    captions = models.JSONField(default=list, blank=True, help_text="Training captions, for few-shot prompts.")
    brand_kit = models.ForeignKey(
        BrandKit, null=True, blank=True, on_delete=models.SET_NULL, help_text="Empty: the global style."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.TRAINED)
    sweep = models.CharField(max_length=100, blank=True, db_index=True, help_text="The sweep it was trained in.")
    config = models.JSONField(default=dict, blank=True, help_text="How it was trained: base, rank, LR, batch, steps.")
    losses = models.JSONField(default=list, blank=True, help_text="The loss of every optimizer step.")
    progress = models.JSONField(default=dict, blank=True)
    data_sha256 = models.CharField(max_length=64, blank=True, help_text="The training data set's manifest hash.")
    error = models.TextField(blank=True)
    approved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StyleAdapterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StyleSample(models.Model):
    """A validation picture drawn with an adapter: description `index` of its sweep's validation set."""

    adapter = models.ForeignKey(StyleAdapter, related_name="samples", on_delete=models.CASCADE)
    index = models.PositiveSmallIntegerField()
    description = models.TextField()
    image = models.ImageField(upload_to="styles/")

    class Meta:
        ordering = ["adapter", "index"]
        constraints = [models.UniqueConstraint(fields=["adapter", "index"], name="one_sample_per_description")]

    def __str__(self) -> str:
        return f"{self.adapter.name} #{self.index + 1}"


class StyleVote(models.Model):
    """A designer's ranking of a sweep's candidates for one validation description, best first."""

    sweep = models.CharField(max_length=100, db_index=True)
    index = models.PositiveSmallIntegerField()
    ranking = models.JSONField(help_text="Adapter ids, best first.")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sweep", "index", "user"], name="one_vote_per_designer")]

    def __str__(self) -> str:
        return f"{self.sweep} #{self.index + 1} by {self.user}"


class StockTopic(models.Model):
    """A stock library topic (seed 002) with the words its template planner draws on and hints for the
    LLM's system prompts; designers add and edit topics in admin."""

    name = models.CharField(max_length=100, unique=True)
    hints = models.TextField(blank=True, help_text="What the topic's pictures hold, for the LLM's system prompts.")
    vocabulary = models.JSONField(
        default=dict,
        blank=True,
        help_text='For the template planner: {"interior": [...], "exterior": [...], "items": [...], "people": [...]}',
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StockRun(models.Model):
    """A named run of a topic: its plan of shots, drawn one imagegen job per picture."""

    class Status(models.TextChoices):
        RUNNING = "running"
        PAUSED = "paused"
        CANCELLED = "cancelled"

    name = models.CharField(max_length=100, unique=True)
    topic = models.ForeignKey(StockTopic, related_name="runs", on_delete=models.PROTECT)
    count = models.PositiveIntegerField()
    mix = models.JSONField(default=list, help_text="interior/exterior/items shares, e.g. [60, 20, 20]")
    seed = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status, default=Status.RUNNING)
    notes = models.JSONField(
        default=list, blank=True, help_text="Steps where the template planner stood in for the LLM."
    )
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class StockShot(models.Model):
    """One planned picture of a run: its concept, place, prompt and seed, and what became of it."""

    class Status(models.TextChoices):
        PLANNED = "planned"
        QUEUED = "queued"
        DRAWING = "drawing"
        DONE = "done"
        DUPLICATE = "duplicate"
        FAILED = "failed"
        CANCELLED = "cancelled"

    run = models.ForeignKey(StockRun, related_name="shots", on_delete=models.CASCADE)
    index = models.PositiveIntegerField()
    concept = models.CharField(max_length=10, choices=[(c, c) for c in ("interior", "exterior", "items")])
    location = models.CharField(max_length=300)
    prompt = models.TextField()
    seed = models.BigIntegerField()
    written_by = models.CharField(max_length=10, default="template")
    status = models.CharField(max_length=10, choices=Status, default=Status.PLANNED, db_index=True)
    error = models.TextField(blank=True)
    bank_image = models.ForeignKey(BankImage, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="one_shot_per_index")]

    def __str__(self) -> str:
        return f"{self.run.name} #{self.index}"
