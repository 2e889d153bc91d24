import django_rq
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from catalog.models import BankImage, BrandKit, ImageText, Product, StyleAdapter
from catalog.services import bank_images_set_status, duplicate_of, image_check


def thumbnail(file_field, size: int = 96) -> str:
    if not file_field:
        return "—"
    return format_html(
        '<img src="{}" style="max-width:{}px;max-height:{}px;background:#fff;border:1px solid #ddd" alt="">',
        file_field.url,
        size,
        size,
    )


@admin.register(BrandKit)
class BrandKitAdmin(admin.ModelAdmin):
    list_display = ["name", "swatches", "background_color", "accent_color", "heading_font", "body_font", "logo"]
    search_fields = ["name"]

    @admin.display(description="colours")
    def swatches(self, kit: BrandKit) -> str:
        return format_html(
            "".join(
                '<span style="display:inline-block;width:18px;height:18px;background:{};border:1px solid #ccc"></span>'
                for _ in kit.colors
            ),
            *kit.colors,
        )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "industry", "brand_kit", "created_at"]
    list_filter = ["industry", "brand_kit"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}


class ImageTextInline(admin.TabularInline):
    model = ImageText
    fields = ["kind", "text"]
    extra = 0


class BankImageForm(forms.ModelForm):
    """Uploads are checked like every other way into the bank: a picture, not too big, not a duplicate."""

    class Meta:
        model = BankImage
        fields = [
            "file",
            "name",
            "status",
            "has_text",
            "has_logo",
            "too_complex",
            "caption",
            "caption_translation",
            "hypotheses",
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            width, height, phash = image_check(file=upload, size=upload.size)
            duplicate = duplicate_of(phash)
            if duplicate is not None and duplicate.pk != self.instance.pk:
                raise ValidationError(f"This picture is already in the bank (#{duplicate.pk} {duplicate}).")
            self.instance.width, self.instance.height, self.instance.phash = width, height, phash
        return upload

    def clean_hypotheses(self):
        value = self.cleaned_data["hypotheses"]
        if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
            raise ValidationError('Give a list of texts, e.g. ["A taxi service", "Car rental", "Airport transfers"].')
        return value


@admin.register(BankImage)
class BankImageAdmin(admin.ModelAdmin):
    form = BankImageForm
    list_display = ["preview", "name", "status", "source", "has_text", "has_logo", "too_complex", "created_at"]
    list_filter = ["status", "source", "has_text", "has_logo", "too_complex"]
    search_fields = ["name", "caption", "caption_translation", "texts__text"]
    readonly_fields = ["preview_large", "width", "height", "phash", "indexed_at", "created_at"]
    actions = ["approve", "reject", "index"]
    inlines = [ImageTextInline]

    @admin.display(description="picture")
    def preview(self, image: BankImage) -> str:
        return thumbnail(image.file, 64)

    @admin.display(description="preview")
    def preview_large(self, image: BankImage) -> str:
        return thumbnail(image.file, 320)

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("catalog.approve_bankimage")

    def _set_status(self, request, queryset, status: str) -> None:
        count = bank_images_set_status(images=queryset, status=status, user=request.user)
        self.message_user(request, f"{count} picture(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Approve selected pictures", permissions=["approve"])
    def approve(self, request, queryset):
        self._set_status(request, queryset, BankImage.Status.APPROVED)

    @admin.action(description="Reject selected pictures", permissions=["approve"])
    def reject(self, request, queryset):
        self._set_status(request, queryset, BankImage.Status.REJECTED)

    @admin.action(description="Index selected pictures for search (caption + embeddings)", permissions=["change"])
    def index(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        django_rq.get_queue("default").enqueue("catalog.jobs.bank_index_images", ids, job_timeout=3600)
        self.message_user(request, f"Indexing of {len(ids)} picture(s) started on a worker.", messages.INFO)


@admin.register(ImageText)
class ImageTextAdmin(admin.ModelAdmin):
    list_display = ["bank_image", "kind", "text", "has_embedding"]
    list_filter = ["kind"]
    search_fields = ["text"]
    raw_id_fields = ["bank_image"]
    exclude = ["embedding"]

    @admin.display(boolean=True, description="embedded")
    def has_embedding(self, text: ImageText) -> bool:
        return text.embedding is not None


@admin.register(StyleAdapter)
class StyleAdapterAdmin(admin.ModelAdmin):
    list_display = ["name", "lora_path", "trigger_words", "scale", "approved", "created_at"]
    list_filter = ["approved"]
    search_fields = ["name", "trigger_words"]
