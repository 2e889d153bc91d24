import django_rq
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from catalog import stock as stock_service
from catalog import training
from catalog.models import (
    BankImage,
    BrandKit,
    ImageText,
    Product,
    StockRun,
    StockShot,
    StockTopic,
    StyleAdapter,
    StyleSample,
    StyleVote,
)
from catalog.services import bank_images_set_status, duplicate_of, image_check
from mlcore import stock as stock_planner


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
    list_display = ["name", "swatches", "accent_color", "heading_font", "body_font", "logo", "approval_required"]
    search_fields = ["name"]
    list_filter = ["approval_required"]

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
            "has_currency_sign",
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
    list_display = ["preview", "name", "status", "source", "topic", "concept", "has_text", "has_logo", "created_at"]
    list_filter = ["status", "source", "topic", "concept", "has_text", "has_logo", "too_complex", "has_currency_sign"]
    search_fields = ["name", "caption", "caption_translation", "texts__text"]
    readonly_fields = [
        "preview_large",
        "width",
        "height",
        "phash",
        "indexed_at",
        "created_at",
        "topic",
        "concept",
        "location",
        "prompt",
        "seed",
    ]
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

    @admin.action(
        description="Approve selected pictures (those not indexed yet are captioned and indexed)",
        permissions=["approve"],
    )
    def approve(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        self._set_status(request, queryset, BankImage.Status.APPROVED)
        waiting = list(BankImage.objects.filter(pk__in=ids, indexed_at=None).values_list("pk", flat=True))
        if waiting:
            django_rq.get_queue("default").enqueue("catalog.jobs.bank_index_images", waiting, job_timeout=3600)
            self.message_user(request, f"{len(waiting)} new picture(s) are being captioned and indexed.", messages.INFO)

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


def loss_curve(losses: list[float], width: int = 160, height: int = 36) -> str:
    """The loss of every step as a small SVG line, first and last values beside it."""
    if len(losses) < 2:
        return "—"
    low, high = min(losses), max(losses)
    span = (high - low) or 1.0
    points = " ".join(
        f"{i * width / (len(losses) - 1):.1f},{height - 2 - (v - low) * (height - 4) / span:.1f}"
        for i, v in enumerate(losses)
    )
    return format_html(
        '<svg width="{}" height="{}" role="img" aria-label="loss curve"><polyline points="{}" fill="none" '
        'stroke="#2563eb" stroke-width="1.5"/></svg> {} → {}',
        width,
        height,
        points,
        f"{losses[0]:.3f}",
        f"{losses[-1]:.3f}",
    )


def _config_label(adapter: StyleAdapter) -> str:
    config = adapter.config
    if not {"rank", "lr", "batch_size"} <= set(config):
        return "—"
    return f"{config['rank']} · {config['lr']:.0e} · {config['batch_size']}"


@admin.register(StyleAdapter)
class StyleAdapterAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "progress_line", "curve", "sweep_link", "brand_kit", "approved", "created_at"]
    list_filter = ["approved", "status", "sweep", "brand_kit"]
    search_fields = ["name", "trigger_words", "sweep"]
    readonly_fields = ["status", "progress_line", "curve", "config", "data_sha256", "error", "created_at"]
    exclude = ["losses", "progress"]
    actions = ["approve", "withdraw"]

    @admin.display(description="progress")
    def progress_line(self, adapter: StyleAdapter) -> str:
        p = adapter.progress
        if not p or adapter.status == StyleAdapter.Status.TRAINED:
            return "—"
        eta = f", ETA {int(p['eta_s'] // 60)} min" if p.get("eta_s", float("inf")) < 1e9 else ""
        return f"step {p['step']}/{p['steps']}, loss {p['loss']:.4f}, {p['it_per_s']:.2f} it/s{eta}"

    @admin.display(description="loss")
    def curve(self, adapter: StyleAdapter) -> str:
        return loss_curve(adapter.losses)

    @admin.display(description="sweep")
    def sweep_link(self, adapter: StyleAdapter) -> str:
        if not adapter.sweep:
            return "—"
        return format_html(
            '<a href="{}">{} — vote</a>', reverse("admin:catalog_style_sweep", args=[adapter.sweep]), adapter.sweep
        )

    @admin.action(description="Approve: AI mode uses it (the newest approved per brand, else global)")
    def approve(self, request, queryset):
        trained = queryset.filter(status=StyleAdapter.Status.TRAINED)
        count = trained.update(approved=True)
        if count < queryset.count():
            messages.warning(request, "Only trained adapters can be approved; the others were left as they are.")
        messages.success(request, f"{count} adapter(s) approved.")

    @admin.action(description="Withdraw approval")
    def withdraw(self, request, queryset):
        messages.success(request, f"{queryset.update(approved=False)} adapter(s) withdrawn.")

    def get_urls(self):
        sweep = path("sweep/<str:sweep>/", self.admin_site.admin_view(self.sweep_view), name="catalog_style_sweep")
        return [sweep, *super().get_urls()]

    def sweep_view(self, request, sweep: str):
        """Per validation description the candidates side by side, ranked 1 (best) to 4; the summary names
        the winner (most first places, Borda points on ties)."""
        candidates = training.sweep_candidates(sweep=sweep)
        if not candidates:
            raise Http404(f"no sweep named {sweep}")
        can_vote = request.user.has_perm("catalog.change_styleadapter")
        samples = {(s.adapter_id, s.index): s for s in StyleSample.objects.filter(adapter__in=candidates)}
        indices = sorted({index for _, index in samples})
        mine = {v.index: v.ranking for v in StyleVote.objects.filter(sweep=sweep, user=request.user)}
        errors = {}
        if request.method == "POST" and can_vote:
            saved = 0
            for index in indices:
                places = {a.pk: request.POST.get(f"rank-{index}-{a.pk}", "") for a in candidates}
                if not any(places.values()):
                    continue
                try:
                    order = sorted(places, key=lambda pk: int(places[pk] or 0))
                    if sorted(int(v or 0) for v in places.values()) != list(range(1, len(candidates) + 1)):
                        raise ValidationError(f"give each picture a different place from 1 to {len(candidates)}")
                    training.style_vote_record(sweep=sweep, index=index, ranking=order, user=request.user)
                    saved += 1
                except ValidationError as error:
                    errors[index] = " ".join(error.messages)
            if saved:
                messages.success(request, f"{saved} ranking(s) saved.")
            if not errors:
                return HttpResponseRedirect(request.path)
            mine = {v.index: v.ranking for v in StyleVote.objects.filter(sweep=sweep, user=request.user)}
        rows = []
        for index in indices:
            ranking = mine.get(index, [])
            cells = [
                {
                    "adapter": a,
                    "sample": samples.get((a.pk, index)),
                    "place": ranking.index(a.pk) + 1 if a.pk in ranking else "",
                }
                for a in candidates
            ]
            description = next((c["sample"].description for c in cells if c["sample"]), "")
            rows.append(
                {
                    "index": index,
                    "number": index + 1,
                    "description": description,
                    "cells": cells,
                    "error": errors.get(index, ""),
                }
            )
        summary = training.sweep_summary(sweep=sweep)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Style sweep “{sweep}”",
            "sweep": sweep,
            "candidates": candidates,
            "places": range(1, len(candidates) + 1),
            "rows": rows,
            "summary": {
                **summary,
                "rows": [{**row, "config": _config_label(row["adapter"])} for row in summary["rows"]],
            },
            "can_vote": can_vote,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/catalog/style_sweep.html", context)


@admin.register(StyleSample)
class StyleSampleAdmin(admin.ModelAdmin):
    list_display = ["preview", "adapter", "index", "description"]
    list_filter = ["adapter__sweep", "adapter"]
    search_fields = ["description", "adapter__name"]

    @admin.display(description="picture")
    def preview(self, sample: StyleSample) -> str:
        return thumbnail(sample.image)


@admin.register(StyleVote)
class StyleVoteAdmin(admin.ModelAdmin):
    list_display = ["sweep", "index", "user", "ranking", "created_at"]
    list_filter = ["sweep", "user"]


@admin.register(StockTopic)
class StockTopicAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "hints", "run_count"]
    list_filter = ["is_active"]
    search_fields = ["name", "hints"]

    @admin.display(description="runs")
    def run_count(self, topic: StockTopic) -> int:
        return topic.runs.count()


class StockRunForm(forms.ModelForm):
    mix_text = forms.CharField(initial="60/20/20", label="Mix", help_text="interior / exterior / close-ups of items")

    class Meta:
        model = StockRun
        fields = ["name", "topic", "count", "seed"]

    def clean_mix_text(self):
        try:
            return list(stock_planner.parse_mix(self.cleaned_data["mix_text"]))
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("topic") is not None:
            stock_service.stock_run_check(
                name=data["name"], topic=data["topic"], count=data["count"], mix=data["mix_text"], seed=data["seed"]
            )
        return data

    def validate_unique(self):
        """A run's name may be given again: that continues it (stock_run_check says when it may not)."""


@admin.register(StockRun)
class StockRunAdmin(admin.ModelAdmin):
    form = StockRunForm
    list_display = ["name", "topic", "count", "mix_label", "status", "progress_bar", "created_at"]
    list_filter = ["status", "topic"]
    search_fields = ["name"]
    actions = ["pause", "resume", "cancel"]

    def get_readonly_fields(self, request, obj=None):
        return ["name", "topic", "count", "seed", "mix_label", "status", "progress_bar", "notes"] if obj else []

    def get_fields(self, request, obj=None):
        if obj:
            return ["name", "topic", "count", "seed", "mix_label", "status", "progress_bar", "notes"]
        return ["name", "topic", "count", "mix_text", "seed"]

    @admin.display(description="mix")
    def mix_label(self, run: StockRun) -> str:
        return "/".join(map(str, run.mix))

    @admin.display(description="progress")
    def progress_bar(self, run: StockRun) -> str:
        p = stock_service.stock_run_progress(run=run)
        return format_html(
            '<progress max="{}" value="{}"></progress> {} / {}: {} drawn, {} near-duplicates, {} failed, {} waiting',
            p["total"],
            p["finished"],
            p["finished"],
            p["total"],
            p["done"],
            p["duplicate"],
            p["failed"],
            p["queued"] + p["planned"] + p["drawing"],
        )

    def save_model(self, request, obj, form, change):
        if change:
            return
        run = stock_service.stock_run_start(
            name=obj.name,
            topic=obj.topic,
            count=obj.count,
            mix=form.cleaned_data["mix_text"],
            seed=obj.seed,
            user=request.user,
        )
        obj.pk = run.pk
        self.message_user(request, f"Run {run.name}: {run.count} pictures planned and queued.", messages.SUCCESS)

    @admin.action(description="Pause (pictures being drawn finish; the rest wait)")
    def pause(self, request, queryset):
        for run in queryset:
            stock_service.stock_run_pause(run=run)
        self.message_user(request, f"{queryset.count()} run(s) paused.", messages.SUCCESS)

    @admin.action(description="Resume (or continue after a worker stopped)")
    def resume(self, request, queryset):
        for run in queryset:
            try:
                stock_service.stock_run_resume(run=run)
            except ValidationError as error:
                self.message_user(request, f"{run.name}: {' '.join(error.messages)}", messages.ERROR)
        self.message_user(request, "Resumed: the pictures not drawn yet are queued.", messages.SUCCESS)

    @admin.action(description="Cancel (pictures not drawn yet are dropped)")
    def cancel(self, request, queryset):
        for run in queryset:
            stock_service.stock_run_cancel(run=run)
        self.message_user(request, f"{queryset.count()} run(s) cancelled.", messages.SUCCESS)


@admin.register(StockShot)
class StockShotAdmin(admin.ModelAdmin):
    list_display = ["run", "index", "concept", "status", "location", "prompt", "picture"]
    list_filter = ["status", "concept", "run"]
    search_fields = ["prompt", "location", "run__name"]
    readonly_fields = [
        "run",
        "index",
        "concept",
        "location",
        "prompt",
        "seed",
        "written_by",
        "status",
        "error",
        "bank_image",
    ]

    @admin.display(description="picture")
    def picture(self, shot: StockShot) -> str:
        return thumbnail(shot.bank_image.file, 64) if shot.bank_image else "—"

    def has_add_permission(self, request) -> bool:
        return False
