"""Webhooks: when a generation task or a batch ends, or a designer decides on a banner, every matching
active webhook gets a signed POST.

The body is the event as JSON; the header X-AdGenesis-Signature is "sha256=" + HMAC-SHA256 of the
exact body bytes under the webhook's secret, so a receiver checks it with its own copy. A delivery
that gets no 2xx is retried on the `default` queue after ADGENESIS_WEBHOOK_RETRY_INTERVALS (backoff);
every attempt is in the delivery log in admin.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import django_rq
import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rq import Callback, Retry

from banners.models import Banner, GenerationTask, Webhook, WebhookDelivery

SIGNATURE_HEADER = "X-AdGenesis-Signature"
TIMEOUT = 10.0


class DeliveryFailed(RuntimeError):
    """The receiver did not answer 2xx: RQ tries again later."""


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _payload(task: GenerationTask, event: str) -> dict:
    return {
        "event": event,
        "task_id": str(task.pk),
        "status": task.status,
        "error": task.error,
        "campaign": task.campaign_id,
        "banners": [
            {"id": b.pk, "format": b.format.slug, "variant": b.variant, "png": b.png.url if b.png else ""}
            for b in task.banners.select_related("format").order_by("pk")
        ],
        "finished_at": task.finished_at.isoformat() if task.finished_at else None,
    }


def task_event(*, task: GenerationTask) -> int:
    """Deliveries for a task that ended (completed or failed)."""
    event = "task.completed" if task.status == GenerationTask.Status.COMPLETED else "task.failed"
    return event_send(event=event, owner_id=task.created_by_id, payload=lambda: _payload(task, event))


def banner_event(*, banner: Banner) -> int:
    """Deliveries for a designer's decision on a banner (banner.approved, banner.rejected)."""
    event = f"banner.{banner.approval}"
    return event_send(
        event=event,
        owner_id=banner.campaign.owner_id,
        payload=lambda: {
            "event": event,
            "banner": banner.pk,
            "task_id": str(banner.task_id) if banner.task_id else None,
            "campaign": banner.campaign_id,
            "approval": banner.approval,
            "reason": banner.rejection_reason,
            "png": banner.png.url if banner.png else "",
        },
    )


def event_send(*, event: str, owner_id: int | None, payload) -> int:
    """A delivery per active webhook that wants the event (everyone's, or the owner's); each is enqueued
    once the transaction commits. `payload` is called only when some webhook wants the event."""
    hooks = Webhook.objects.filter(is_active=True).filter(Q(owner=None) | Q(owner_id=owner_id))
    hooks = [hook for hook in hooks if not hook.events or event in hook.events]
    if not hooks:
        return 0
    body = payload()
    deliveries = [WebhookDelivery.objects.create(webhook=hook, event=event, payload=body) for hook in hooks]
    intervals = list(settings.WEBHOOK_RETRY_INTERVALS)
    for delivery in deliveries:
        transaction.on_commit(
            lambda pk=delivery.pk: django_rq.get_queue("default").enqueue(
                "banners.jobs.webhook_deliver",
                pk,
                retry=Retry(max=len(intervals), interval=intervals) if intervals else None,
                on_failure=Callback(_given_up),
                job_timeout=int(TIMEOUT * 3),
            )
        )
    return len(deliveries)


def webhook_deliver(*, delivery_id: int) -> int:
    """One attempt; returns the receiver's status code, raises DeliveryFailed for a retry."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.status == WebhookDelivery.Status.DELIVERED:
        return delivery.last_status_code or 200
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "AdGenesis-Webhook/1",
        "X-AdGenesis-Event": delivery.event,
        "X-AdGenesis-Delivery": str(delivery.pk),
        SIGNATURE_HEADER: signature(delivery.webhook.secret, body),
    }
    delivery.attempts += 1
    try:
        response = httpx.post(delivery.webhook.url, content=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as error:
        delivery.error = f"attempt {delivery.attempts}: {error.__class__.__name__}: {error}"
        delivery.save(update_fields=["attempts", "error"])
        raise DeliveryFailed(delivery.error) from None
    delivery.last_status_code = response.status_code
    if 200 <= response.status_code < 300:
        delivery.status, delivery.delivered_at, delivery.error = WebhookDelivery.Status.DELIVERED, timezone.now(), ""
        delivery.save(update_fields=["attempts", "last_status_code", "status", "delivered_at", "error"])
        return response.status_code
    delivery.error = f"attempt {delivery.attempts}: HTTP {response.status_code}"
    delivery.save(update_fields=["attempts", "last_status_code", "error"])
    raise DeliveryFailed(delivery.error)


def _given_up(job, connection, exc_type, exc_value, traceback) -> None:
    """After the last retry (RQ calls on_failure on each failure; only the last leaves no retries)."""
    if job.retries_left:
        return
    WebhookDelivery.objects.filter(pk=job.args[0], status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED
    )
