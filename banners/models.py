"""Formats, campaigns, generation tasks, banners and the feedback they receive."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from mlcore.layout import PLATFORMS, Layout, LayoutError, parse_layout
from mlcore.variants import LABELS, PRESET, layout_variant

PLATFORM_CHOICES = [(p, "X" if p == "x" else p.capitalize()) for p in PLATFORMS]


LAYOUT_CHOICES = [(name, label) for name, label in LABELS.items()]


class Tone(models.TextChoices):
    PROFESSIONAL = "professional"
    CASUAL = "casual"
    PERSUASIVE = "persuasive"
    INSPIRATIONAL = "inspirational"
    FOMO = "fomo", "FOMO"


class ImageMode(models.TextChoices):
    BANK = "bank", "image bank"
    AI = "ai", "AI picture"


class FormatQuerySet(models.QuerySet):
    def active(self) -> FormatQuerySet:
        return self.filter(is_active=True)


class Format(models.Model):
    """A banner format: canvas, background and slots; its layout JSON is validated on save."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    platform = models.CharField(max_length=20, choices=PLATFORM_CHOICES)
    width = models.PositiveIntegerField(validators=[MinValueValidator(16), MaxValueValidator(4096)])
    height = models.PositiveIntegerField(validators=[MinValueValidator(16), MaxValueValidator(4096)])
    background = models.JSONField(default=dict)
    text_slots = models.JSONField(default=list)
    image_slots = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)

    objects = FormatQuerySet.as_manager()

    class Meta:
        ordering = ["platform", "width", "height"]

    def __str__(self) -> str:
        return f"{self.name} ({self.width}x{self.height})"

    def layout_json(self) -> dict:
        return {
            "width": self.width,
            "height": self.height,
            "background": self.background,
            "text_slots": self.text_slots,
            "image_slots": self.image_slots,
        }

    @property
    def layout(self) -> Layout:
        return parse_layout(self.layout_json())

    def clean(self) -> None:
        try:
            parse_layout(self.layout_json())
        except LayoutError as error:
            field = error.path.split(".")[0].split("[")[0]
            field = field if field in {"width", "height", "background", "text_slots", "image_slots"} else "__all__"
            raise ValidationError({field: f"{error.path}: {error.message}"}) from None


class Batch(models.Model):
    """Many campaigns at once, from a CSV or a product feed: one campaign per row, banners in the row's
    formats; done when every row's task has ended."""

    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETED = "completed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=255, blank=True, help_text="The uploaded file's name.")
    rows = models.JSONField(default=list, help_text="The rows as read, numbered as in the file.")
    image_mode = models.CharField(max_length=10, choices=ImageMode, default=ImageMode.BANK)
    status = models.CharField(max_length=10, choices=Status, default=Status.RUNNING, db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="batches")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return self.name or self.source or str(self.pk)


class Campaign(models.Model):
    """One offer for one product, written by a marketer; banners of any format come from it."""

    name = models.CharField(max_length=200, blank=True)
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT)
    offer = models.TextField()
    tone = models.CharField(max_length=20, choices=Tone, default=Tone.PROFESSIONAL)
    platform = models.CharField(max_length=20, choices=PLATFORM_CHOICES, default="instagram")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaigns")
    batch = models.ForeignKey(Batch, null=True, blank=True, related_name="campaigns", on_delete=models.SET_NULL)
    batch_row = models.PositiveIntegerField(null=True, blank=True, help_text="Its row in the batch's file.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or f"{self.product} — {self.offer[:40]}"


class GenerationTask(models.Model):
    """One request to generate banners; the database row is the source of truth for status."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"

    STEPS = ("safety", "texts", "picture", "cutout", "render")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, related_name="tasks", on_delete=models.CASCADE)
    formats = models.ManyToManyField(Format)
    image_mode = models.CharField(max_length=10, choices=ImageMode, default=ImageMode.BANK)
    image_descriptions = models.JSONField(default=dict, blank=True)
    variants = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(4)])
    layout = models.CharField(
        max_length=20,
        blank=True,
        choices=LAYOUT_CHOICES,
        help_text="Layout variant of every banner; empty: each variant of a format gets a different one.",
    )
    style = models.ForeignKey(
        "catalog.StyleAdapter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Style LoRA for AI pictures; the first approved one when empty.",
    )

    class Failure(models.TextChoices):
        TECHNICAL = "technical", "technical error (timeout, out of memory, crash)"
        REFUSED = "refused", "input refused by the safety check"

    status = models.CharField(max_length=12, choices=Status, default=Status.PENDING, db_index=True)
    progress = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    failure = models.CharField(
        max_length=10,
        choices=Failure,
        blank=True,
        help_text="Why a failed task failed: pilot success rate counts technical ones.",
    )
    timings = models.JSONField(default=dict, blank=True)
    job_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.FAILED)


class BannerQuerySet(models.QuerySet):
    def visible_to(self, user) -> BannerQuerySet:
        """Marketers see their own campaigns' banners; designers and admins see all."""
        if user.is_superuser or user.has_perm("banners.approve_banner"):
            return self
        return self.filter(campaign__owner=user)


class Banner(models.Model):
    class Approval(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    task = models.ForeignKey(GenerationTask, null=True, blank=True, related_name="banners", on_delete=models.SET_NULL)
    campaign = models.ForeignKey(Campaign, related_name="banners", on_delete=models.CASCADE)
    format = models.ForeignKey(Format, on_delete=models.PROTECT)
    variant = models.PositiveSmallIntegerField(default=1)
    texts = models.JSONField(default=dict)
    generated_texts = models.JSONField(default=dict, help_text="Texts as first generated, before edits.")
    spec = models.JSONField(default=dict)
    png = models.FileField(upload_to="banners/%Y/%m/", blank=True)
    jpg = models.FileField(upload_to="banners/%Y/%m/", blank=True)
    seed = models.BigIntegerField(default=0)
    image_source = models.CharField(max_length=10, choices=ImageMode, default=ImageMode.BANK)
    bank_image = models.ForeignKey("catalog.BankImage", null=True, blank=True, on_delete=models.SET_NULL)
    quality = models.JSONField(default=dict, blank=True)
    copy_stats = models.JSONField(default=dict, blank=True)
    picture_info = models.JSONField(
        default=dict,
        blank=True,
        help_text="How the picture was made: prompt, seed, style, steps, cut-out method, seconds.",
    )
    approval = models.CharField(max_length=10, choices=Approval, default=Approval.PENDING, db_index=True)
    rejection_reason = models.TextField(blank=True, help_text="Why the designer rejected it, shown to the marketer.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    edit_distance = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BannerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("approve_banner", "Can approve or reject banners")]

    def __str__(self) -> str:
        return f"Banner {self.pk} — {self.format.slug}"

    @property
    def layout(self) -> Layout:
        """The format arranged as the layout variant the banner's spec names (mlcore.variants)."""
        kit = self.campaign.product.brand_kit
        layout = layout_variant(self.format.layout, self.spec.get("layout", PRESET), logo=bool(kit and kit.logo))
        return kit.dress(layout) if kit else layout

    @property
    def layout_label(self) -> str:
        return LABELS.get(self.spec.get("layout", PRESET), self.spec.get("layout", ""))

    @property
    def needs_approval(self) -> bool:
        """The brand asks a designer to approve banners like this one before download."""
        kit = self.campaign.product.brand_kit
        policy = kit.approval_required if kit else "none"
        return policy == "all" or (policy == "ai" and self.image_source == ImageMode.AI)

    def download_refusal(self) -> str:
        """Why a marketer may not download it yet; empty when they may."""
        if not self.needs_approval or self.approval == self.Approval.APPROVED:
            return ""
        if self.approval == self.Approval.REJECTED:
            reason = self.rejection_reason or "no reason given"
            return f"A designer rejected this banner: {reason}. Edit or regenerate it to send it for approval again."
        return "Waiting for approval: this brand's banners are approved by a designer before download."

    def download_refusal_for(self, user) -> str:
        """`download_refusal` for this user: designers may always download."""
        return "" if user.has_perm("banners.approve_banner") else self.download_refusal()


class BannerApproval(Banner):
    """The designer's queue: banners that wait for approval before their marketer may download them."""

    class Meta:
        proxy = True
        verbose_name = "banner awaiting approval"
        verbose_name_plural = "approval queue"


class FeedbackEvent(models.Model):
    class Kind(models.TextChoices):
        DOWNLOAD = "download"
        EDIT = "edit"
        REGENERATE_TEXT = "regenerate_text"
        REGENERATE_IMAGE = "regenerate_image"
        BUG_REPORT = "bug_report"
        APPROVE = "approve"
        REJECT = "reject"
        REFUSED = "refused", "input refused"

    banner = models.ForeignKey(Banner, null=True, blank=True, related_name="feedback", on_delete=models.CASCADE)
    kind = models.CharField(max_length=20, choices=Kind, db_index=True)
    payload = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.banner_id}"


class Webhook(models.Model):
    """A URL told when a generation task or a batch ends or a designer decides on a banner: POST JSON
    signed with HMAC-SHA256 of the body under the shared secret (header X-AdGenesis-Signature:
    sha256=<hex>), retried with backoff."""

    EVENTS = ("task.completed", "task.failed", "batch.completed", "banner.approved", "banner.rejected")

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="Shared with the receiver, which checks the signature.")
    events = models.JSONField(default=list, blank=True, help_text='e.g. ["task.completed"]; empty: every event')
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: everyone's tasks."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    webhook = models.ForeignKey(Webhook, related_name="deliveries", on_delete=models.CASCADE)
    event = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook.url}"
