import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.html import format_html

from banners.models import (
    Banner,
    BannerApproval,
    Batch,
    Campaign,
    FeedbackEvent,
    Format,
    GenerationTask,
    Webhook,
    WebhookDelivery,
)
from banners.services import banner_decide
from catalog.admin import thumbnail


@admin.display(description="quality")
def quality_score(banner: Banner) -> str:
    """The score (0-100), red and with its reasons when it is under the threshold."""
    score = banner.quality.get("score")
    if score is None:
        return "—"
    if banner.quality.get("flagged"):
        reasons = "; ".join(banner.quality.get("reasons", []))
        return format_html('<span style="color:#b91c1c" title="{}">{} ⚑</span>', reasons, score)
    return str(score)


class FormatForm(forms.ModelForm):
    """Slot JSON is edited as text and validated by the same rules as the preset files."""

    class Meta:
        model = Format
        fields = ["name", "slug", "platform", "width", "height", "background", "text_slots", "image_slots", "is_active"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 14, "cols": 100, "style": "font-family:monospace"})
            for name in ("background", "text_slots", "image_slots")
        }


@admin.register(Format)
class FormatAdmin(admin.ModelAdmin):
    form = FormatForm
    list_display = ["name", "slug", "platform", "width", "height", "slot_count", "is_active"]
    list_filter = ["platform", "is_active"]
    search_fields = ["name", "slug"]

    @admin.display(description="slots")
    def slot_count(self, fmt: Format) -> str:
        return f"{len(fmt.text_slots)} text, {len(fmt.image_slots)} image"


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["__str__", "product", "tone", "platform", "owner", "created_at"]
    list_filter = ["tone", "platform", "product"]
    search_fields = ["name", "offer", "product__name", "owner__username"]
    raw_id_fields = ["owner"]


class BannerInline(admin.TabularInline):
    model = Banner
    fields = ["preview", "format", "variant", quality_score, "approval"]
    readonly_fields = ["preview", quality_score]
    extra = 0
    show_change_link = True

    @admin.display(description="banner")
    def preview(self, banner: Banner) -> str:
        return thumbnail(banner.png, 96)


@admin.register(GenerationTask)
class GenerationTaskAdmin(admin.ModelAdmin):
    list_display = ["id", "campaign", "status", "image_mode", "variants", "error_short", "created_at", "finished_at"]
    list_filter = ["status", "image_mode"]
    search_fields = ["id", "campaign__offer", "error"]
    readonly_fields = ["id", "progress", "timings", "job_id", "attempts", "created_at", "started_at", "finished_at"]
    inlines = [BannerInline]

    @admin.display(description="error")
    def error_short(self, task: GenerationTask) -> str:
        return task.error[:80]


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        max_length=2000,
        help_text="The marketer reads it beside the banner, e.g. “the logo is too small on the dark background”.",
    )


class DecideMixin:
    """Approve, or reject with a reason asked on a page of its own, the selected banners."""

    actions = ["approve", "reject"]

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("banners.approve_banner")

    @admin.action(description="Approve selected banners", permissions=["approve"])
    def approve(self, request, queryset):
        for banner in queryset:
            banner_decide(banner=banner, approval=Banner.Approval.APPROVED, user=request.user)
        self.message_user(request, f"{queryset.count()} banner(s) approved.", messages.SUCCESS)

    @admin.action(description="Reject selected banners (with a reason)…", permissions=["approve"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                for banner in queryset:
                    banner_decide(
                        banner=banner,
                        approval=Banner.Approval.REJECTED,
                        user=request.user,
                        reason=form.cleaned_data["reason"],
                    )
            except ValidationError as invalid:
                form.add_error("reason", " ".join(invalid.messages))
            else:
                self.message_user(request, f"{queryset.count()} banner(s) rejected.", messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject banners",
            "form": form,
            "banners": queryset,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "reject",
        }
        return TemplateResponse(request, "admin/banners/reject.html", context)


@admin.register(Banner)
class BannerAdmin(DecideMixin, admin.ModelAdmin):
    list_display = [
        "preview",
        "id",
        "campaign",
        "format",
        quality_score,
        "approval",
        "image_source",
        "edit_distance",
        "created_at",
    ]
    list_filter = ["approval", "image_source", "format"]
    search_fields = ["campaign__offer", "campaign__product__name"]
    readonly_fields = ["preview_large", "spec_pretty", "quality", "copy_stats", "seed", "created_at", "updated_at"]
    exclude = ["spec"]
    raw_id_fields = ["task", "campaign", "bank_image", "decided_by"]

    @admin.display(description="banner")
    def preview(self, banner: Banner) -> str:
        return thumbnail(banner.png, 80)

    @admin.display(description="preview")
    def preview_large(self, banner: Banner) -> str:
        return thumbnail(banner.png, 480)

    @admin.display(description="design spec")
    def spec_pretty(self, banner: Banner) -> str:
        return format_html("<pre>{}</pre>", json.dumps(banner.spec, indent=2, ensure_ascii=False))


def awaiting_approval(queryset):
    """Rendered banners held back by their brand's approval gate, not yet decided."""
    gated = Q(campaign__product__brand_kit__approval_required="all") | Q(
        campaign__product__brand_kit__approval_required="ai", image_source="ai"
    )
    return queryset.filter(gated, approval=Banner.Approval.PENDING).exclude(png="")


@admin.register(BannerApproval)
class BannerApprovalAdmin(DecideMixin, admin.ModelAdmin):
    """The designer's queue: oldest first, the banner and its AI picture side by side."""

    list_display = ["preview", "picture", "offer", "owner", "created_at"]
    list_display_links = None
    list_filter = ["image_source", "campaign__product__brand_kit", "format"]
    search_fields = ["campaign__offer", "campaign__product__name", "campaign__owner__username"]
    ordering = ["created_at"]
    list_per_page = 25

    def get_queryset(self, request):
        related = (
            super().get_queryset(request).select_related("campaign__product", "campaign__owner", "bank_image", "format")
        )
        return awaiting_approval(related)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_approve_permission(request)

    @admin.display(description="banner")
    def preview(self, banner: Banner) -> str:
        return thumbnail(banner.png, 240)

    @admin.display(description="picture")
    def picture(self, banner: Banner) -> str:
        return thumbnail(banner.bank_image.file, 120) if banner.bank_image else "—"

    @admin.display(description="offer and texts")
    def offer(self, banner: Banner) -> str:
        texts = "".join(["<li>{}</li>"] * len(banner.texts))
        return format_html(
            '<div style="min-width:320px;max-width:520px"><strong>{}</strong> · {} · {}<br>“{}”<ul>'
            + texts
            + "</ul></div>",
            banner.campaign.product.name,
            banner.format.name,
            banner.get_image_source_display(),
            banner.campaign.offer,
            *banner.texts.values(),
        )

    @admin.display(description="marketer")
    def owner(self, banner: Banner) -> str:
        return banner.campaign.owner.username


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    """Batches are started from the Batches page or POST /api/v1/batches; here they are looked up."""

    list_display = ["__str__", "owner", "status", "image_mode", "row_count", "created_at", "finished_at"]
    list_filter = ["status", "image_mode"]
    search_fields = ["name", "source", "owner__username"]
    readonly_fields = ["id", "source", "rows", "owner", "status", "created_at", "finished_at"]

    @admin.display(description="rows")
    def row_count(self, batch: Batch) -> int:
        return len(batch.rows)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(FeedbackEvent)
class FeedbackEventAdmin(admin.ModelAdmin):
    list_display = ["kind", "banner", "user", "created_at"]
    list_filter = ["kind", "created_at"]
    search_fields = ["banner__id", "user__username"]
    raw_id_fields = ["banner", "user"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "events", "owner", "is_active", "created_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ["is_active"]
    search_fields = ["url"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: every event, how many attempts, the receiver's last answer."""

    list_display = ["event", "webhook", "status", "attempts", "last_status_code", "error", "created_at", "delivered_at"]
    list_filter = ["status", "event"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
