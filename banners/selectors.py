"""Reads of the banners app, always scoped to what the user may see."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404

from banners.models import Banner, Campaign, Format, GenerationTask


def campaigns_visible_to(user):
    """A marketer's own campaigns; designers and admins see everyone's."""
    qs = Campaign.objects.select_related("product", "owner")
    if user.is_superuser or user.has_perm("banners.approve_banner"):
        return qs
    return qs.filter(owner=user)


def campaign_get(*, user, campaign_id) -> Campaign:
    """Another user's campaign is as unknown as a missing one: 404, not 403."""
    try:
        return campaigns_visible_to(user).get(pk=campaign_id)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404(f"No campaign {campaign_id} of yours.") from None


def task_get(*, user, task_id) -> GenerationTask:
    try:
        return GenerationTask.objects.select_related("campaign").get(
            pk=task_id, campaign__in=campaigns_visible_to(user)
        )
    except (GenerationTask.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404(f"No generation task {task_id}.") from None


def banners_visible_to(user):
    # the brand kit: every banner the API shows says whether its approval gate holds it back
    return Banner.objects.visible_to(user).select_related("format", "campaign__product__brand_kit")


def format_resolve(value) -> Format:
    """A format by slug or id, as the API and the pages accept it."""
    queryset = Format.objects.active()
    if isinstance(value, bool):
        raise Format.DoesNotExist
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return queryset.get(pk=int(value))
    if isinstance(value, str):
        return queryset.get(slug=value)
    raise Format.DoesNotExist
