"""Pages of the banners app (the marketer pages grow here) and authenticated media files."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import render

from banners import selectors
from banners.models import Format, GenerationTask
from catalog.models import BankImage, Product


@login_required
def home(request):
    context = {
        "products": Product.objects.count(),
        "formats": Format.objects.active().count(),
        "bank_images": BankImage.objects.searchable().count(),
        "banners": selectors.banners_visible_to(request.user).order_by("-created_at")[:12],
        "tasks": GenerationTask.objects.filter(campaign__in=selectors.campaigns_visible_to(request.user)).count(),
    }
    return render(request, "banners/home.html", context)


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
