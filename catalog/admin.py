from django.contrib import admin, messages
from django.utils.html import format_html

from catalog.models import BankImage, BrandKit, ImageText, Product, StyleAdapter


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
    list_display = ["name", "swatches", "heading_font", "body_font"]
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


@admin.register(BankImage)
class BankImageAdmin(admin.ModelAdmin):
    list_display = ["preview", "name", "status", "source", "has_text", "has_logo", "too_complex", "created_at"]
    list_filter = ["status", "source", "has_text", "has_logo", "too_complex"]
    search_fields = ["name", "caption", "texts__text"]
    readonly_fields = ["preview_large", "width", "height", "phash", "indexed_at", "created_at"]
    actions = ["approve", "reject"]
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
        count = queryset.update(status=status)
        self.message_user(request, f"{count} picture(s) marked {status}.", messages.SUCCESS)

    @admin.action(description="Approve selected pictures", permissions=["approve"])
    def approve(self, request, queryset):
        self._set_status(request, queryset, BankImage.Status.APPROVED)

    @admin.action(description="Reject selected pictures", permissions=["approve"])
    def reject(self, request, queryset):
        self._set_status(request, queryset, BankImage.Status.REJECTED)


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
