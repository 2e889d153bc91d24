import json

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.utils.html import format_html

from banners.models import Banner, Campaign, FeedbackEvent, Format, GenerationTask, Webhook, WebhookDelivery
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


@admin.register(Banner)
class BannerAdmin(admin.ModelAdmin):
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
    raw_id_fields = ["task", "campaign", "bank_image"]
    actions = ["approve", "reject"]

    @admin.display(description="banner")
    def preview(self, banner: Banner) -> str:
        return thumbnail(banner.png, 80)

    @admin.display(description="preview")
    def preview_large(self, banner: Banner) -> str:
        return thumbnail(banner.png, 480)

    @admin.display(description="design spec")
    def spec_pretty(self, banner: Banner) -> str:
        return format_html("<pre>{}</pre>", json.dumps(banner.spec, indent=2, ensure_ascii=False))

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("banners.approve_banner")

    def _decide(self, request, queryset, approval: str) -> None:
        for banner in queryset:
            banner_decide(banner=banner, approval=approval, user=request.user)
        self.message_user(request, f"{queryset.count()} banner(s) {approval}.", messages.SUCCESS)

    @admin.action(description="Approve selected banners", permissions=["approve"])
    def approve(self, request, queryset):
        self._decide(request, queryset, Banner.Approval.APPROVED)

    @admin.action(description="Reject selected banners", permissions=["approve"])
    def reject(self, request, queryset):
        self._decide(request, queryset, Banner.Approval.REJECTED)


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
