"""Marketer pages: generate, watch progress, edit/download/regenerate/resize/report, history.

Server-rendered; htmx (vendored) swaps fragments for live progress and in-place banner updates.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from banners import batches, copywriting, selectors, services
from banners.forms import BatchForm, GenerateForm, HistoryFilter, ResizeForm, TextsForm
from banners.models import Banner, Batch, FeedbackEvent, GenerationTask


def _banner_for(request, pk: int) -> Banner:
    return get_object_or_404(selectors.banners_visible_to(request.user), pk=pk)


def _add_errors(form, error: ValidationError, default_field: str) -> None:
    for field, messages_ in (error.message_dict if hasattr(error, "error_dict") else {None: error.messages}).items():
        name = field.split(".")[0] if field else default_field
        for message in messages_:
            form.add_error(name if name in form.fields else None, message)


@login_required
def home(request):
    return redirect("generate")


@login_required
def generate(request):
    form = GenerateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        descriptions = form.picture_descriptions()
        try:
            campaign = services.campaign_create(
                owner=request.user,
                product=data["product"],
                offer=data["offer"],
                tone=data["tone"],
                platform=data["platform"],
            )
            task = services.generation_start(
                campaign=campaign,
                formats=list(data["formats"]),
                user=request.user,
                image_mode=data["image_mode"],
                image_descriptions=descriptions,
                variants=data["variants"],
                layout=data["layout"],
            )
        except copywriting.UnsafeInput as error:
            key = error.field.removeprefix("image_descriptions.")
            field = "offer" if error.field == "offer" else f"picture_{key}"
            field = field if field in form.fields else "picture_description"
            form.add_error(field, f"Refused by the safety check: {error.verdict.reason}.")
        except ValidationError as error:
            _add_errors(form, error, "offer")
        else:
            return redirect("task", task_id=task.pk)
    return render(request, "banners/generate.html", {"form": form})


@login_required
def task_page(request, task_id):
    task = selectors.task_get(user=request.user, task_id=task_id)
    return render(request, "banners/task.html", {"task": task, **_task_context(task)})


def _task_context(task: GenerationTask) -> dict:
    steps = [(step, GenerationTask.STEPS.index(step) < _step_index(task)) for step in GenerationTask.STEPS]
    banners = task.banners.select_related("format", "campaign__product__brand_kit").order_by("format__width", "variant")
    return {"steps": steps, "banners": banners if task.is_finished else [], "resize_form": ResizeForm()}


def _step_index(task: GenerationTask) -> int:
    step = task.progress.get("step", "")
    if step == "done":
        return len(GenerationTask.STEPS)
    return GenerationTask.STEPS.index(step) if step in GenerationTask.STEPS else 0


@login_required
def task_progress(request, task_id):
    """htmx fragment polled every second until the task is finished."""
    task = selectors.task_get(user=request.user, task_id=task_id)
    return render(request, "banners/_progress.html", {"task": task, **_task_context(task)})


@login_required
def banner_card(request, pk: int):
    banner = _banner_for(request, pk)
    return render(request, "banners/_banner.html", {"banner": banner, "resize_form": ResizeForm()})


@login_required
def banner_download(request, pk: int, kind: str):
    banner = _banner_for(request, pk)
    field = getattr(banner, kind, None) if kind in ("png", "jpg") else None
    if not field:
        raise Http404("No such file.")
    services.banner_download_check(banner=banner, user=request.user)
    services.feedback_record(
        banner=banner,
        kind=FeedbackEvent.Kind.DOWNLOAD,
        user=request.user,
        payload={"file": kind, "edit_distance": banner.edit_distance},
    )
    filename = f"adgenesis-{banner.pk}-{banner.format.slug}.{kind}"
    return FileResponse(field.open("rb"), as_attachment=True, filename=filename)


@login_required
@require_POST
def banner_edit(request, pk: int):
    banner = _banner_for(request, pk)
    form = TextsForm(request.POST, banner=banner)
    error = ""
    if form.is_valid():
        try:
            banner = services.banner_texts_edit(banner=banner, texts=form.cleaned_data, user=request.user)
        except copywriting.UnsafeInput as refused:
            error = f"Refused by the safety check: {refused.verdict.reason}."
        except ValidationError as invalid:
            error = " ".join(invalid.messages)
    else:
        error = " ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())
    return render(
        request,
        "banners/_banner.html",
        {"banner": banner, "resize_form": ResizeForm(), "edit_error": error, "edit_form": form if error else None},
    )


@login_required
@require_POST
def banner_regenerate(request, pk: int, part: str):
    banner = _banner_for(request, pk)
    services.banner_regenerate_start(banner=banner, part=part, user=request.user)
    return render(
        request,
        "banners/_banner.html",
        {"banner": banner, "resize_form": ResizeForm(), "regenerating": part, "since": banner.updated_at.isoformat()},
    )


@login_required
def banner_poll(request, pk: int):
    """htmx: the card again once the banner changed after `since` (a regeneration finished)."""
    banner = _banner_for(request, pk)
    if banner.updated_at.isoformat() == request.GET.get("since"):
        return render(
            request,
            "banners/_banner.html",
            {
                "banner": banner,
                "resize_form": ResizeForm(),
                "regenerating": request.GET.get("part", "text"),
                "since": request.GET.get("since"),
            },
        )
    return render(request, "banners/_banner.html", {"banner": banner, "resize_form": ResizeForm()})


@login_required
@require_POST
def banner_resize(request, pk: int):
    banner = _banner_for(request, pk)
    form = ResizeForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Choose a format.", status=400)
    resized = services.banner_resize(banner=banner, fmt=form.cleaned_data["format"], user=request.user)
    return render(request, "banners/_banner.html", {"banner": resized, "resize_form": ResizeForm()})


@login_required
@require_POST
def banner_report(request, pk: int):
    banner = _banner_for(request, pk)
    services.feedback_record(
        banner=banner,
        kind=FeedbackEvent.Kind.BUG_REPORT,
        user=request.user,
        payload={"message": request.POST.get("message", "")[:2000]},
    )
    messages.success(request, "Thanks: the problem was reported with this banner's prompt, seed, texts and spec.")
    return render(request, "banners/_banner.html", {"banner": banner, "resize_form": ResizeForm(), "reported": True})


@login_required
def history(request):
    form = HistoryFilter(request.GET or None)
    banners = selectors.banners_visible_to(request.user).select_related("campaign__product", "format", "task")
    if form.is_valid():
        data = form.cleaned_data
        if data["product"]:
            banners = banners.filter(campaign__product=data["product"])
        if data["format"]:
            banners = banners.filter(format=data["format"])
        if data["q"]:
            banners = banners.filter(Q(campaign__offer__icontains=data["q"]) | Q(texts__icontains=data["q"]))
    tasks = GenerationTask.objects.filter(campaign__in=selectors.campaigns_visible_to(request.user))
    return render(
        request,
        "banners/history.html",
        {
            "form": form,
            "banners": banners.order_by("-created_at")[:60],
            "tasks": tasks.select_related("campaign__product").order_by("-created_at")[:20],
        },
    )


@login_required
def media_file(request, path: str):
    """Uploaded and generated files, only for logged-in users; banners only for who may see them."""
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file():
        raise Http404("No such file.")
    if path.startswith("banners/"):
        visible = selectors.banners_visible_to(request.user).filter(Q(png=path) | Q(jpg=path))
        if not visible.exists():
            raise Http404("No such file.")
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target.open("rb"), content_type=content_type)


# -- batches ------------------------------------------------------------------------------------


@login_required
def batch_list(request):
    """Upload a CSV or a product feed; the user's batches with their progress."""
    form = BatchForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = batches.rows_read(upload.read(), upload.name)
            checked = batches.rows_check(rows, user=request.user, image_mode=form.cleaned_data["image_mode"])
            batch = batches.batch_create(
                owner=request.user,
                rows=checked,
                name=form.cleaned_data["name"],
                source=upload.name,
                image_mode=form.cleaned_data["image_mode"],
            )
        except ValidationError as error:
            problems = error.message_dict if hasattr(error, "error_dict") else {"file": error.messages}
            for key, found in problems.items():
                for message in found:
                    form.add_error("file", message if message.startswith(key) else f"{key}: {message}")
        else:
            return redirect("batch", pk=batch.pk)
    listed = batches.batches_visible_to(request.user).select_related("owner")[:50]
    return render(
        request,
        "banners/batches.html",
        {"form": form, "batches": [(batch, batches.batch_progress(batch)) for batch in listed]},
    )


def _batch_for(request, pk) -> Batch:
    return get_object_or_404(batches.batches_visible_to(request.user), pk=pk)


def _batch_context(batch: Batch) -> dict:
    # polled every 2 s: each banner's format and brand kit (its approval note) come in one query
    shown = Banner.objects.select_related("format", "campaign__product__brand_kit")
    tasks = batches.batch_tasks(batch).order_by("campaign__batch_row").prefetch_related(Prefetch("banners", shown))
    return {"batch": batch, "progress": batches.batch_progress(batch), "tasks": tasks}


@login_required
def batch_page(request, pk):
    return render(request, "banners/batch.html", _batch_context(_batch_for(request, pk)))


@login_required
def batch_progress(request, pk):
    """htmx fragment polled every 2 s while the batch runs."""
    return render(request, "banners/_batch_progress.html", _batch_context(_batch_for(request, pk)))


@login_required
def batch_zip(request, pk):
    batch = _batch_for(request, pk)
    archive = batches.batch_zip(batch=batch, user=request.user)
    name = f"adgenesis-batch-{str(batch.pk)[:8]}.zip"
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")
