"""Webhooks against a real HTTP receiver on 127.0.0.1: signed with HMAC-SHA256 over the exact body,
retried after failures by a real worker, every attempt in the delivery log; owner and event filters."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from banners.models import GenerationTask, Webhook, WebhookDelivery
from banners.services import task_fail
from banners.webhooks import signature
from tests.factories import campaign_make, product_make

pytestmark = pytest.mark.slow


class Receiver:
    """Answers each POST with the next status of its script (the last one repeats) and keeps them."""

    def __init__(self, statuses):
        self.statuses, self.requests = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    made = []

    def make(*statuses):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _task(marketer):
    task = GenerationTask.objects.create(campaign=campaign_make(marketer, product_make()), created_by=marketer)
    return task


def test_a_failed_delivery_is_retried_and_every_delivery_is_signed(
    transactional_db, run_worker, receiver, marketer, settings
):
    settings.WEBHOOK_RETRY_INTERVALS = [0, 0, 0]  # backoff without waiting: the burst worker takes the retries
    hook_receiver = receiver(500, 503, 200)
    hook = Webhook.objects.create(url=hook_receiver.url, secret="s3cret", events=["task.failed"])
    task = _task(marketer)
    task_fail(task_id=task.pk, reason="the picture model is out of memory")
    run_worker("default")
    assert len(hook_receiver.requests) == 3
    for headers, body in hook_receiver.requests:
        expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-AdGenesis-Signature"] == expected == signature("s3cret", body)
        payload = json.loads(body)
        assert payload["event"] == "task.failed" and payload["task_id"] == str(task.pk)
        assert payload["error"] == "the picture model is out of memory"
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 200)


def test_a_receiver_that_keeps_failing_is_given_up_after_the_retries(
    transactional_db, run_worker, receiver, marketer, settings
):
    settings.WEBHOOK_RETRY_INTERVALS = [0, 0]
    hook_receiver = receiver(500)
    Webhook.objects.create(url=hook_receiver.url, secret="x")
    task_fail(task_id=_task(marketer).pk, reason="boom")
    run_worker("default")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 500)
    assert "attempt 3: HTTP 500" in delivery.error and len(hook_receiver.requests) == 3


def test_owner_and_event_filters(db, marketer, other_marketer):
    Webhook.objects.create(url="http://127.0.0.1:9/a", secret="x", owner=other_marketer)
    Webhook.objects.create(url="http://127.0.0.1:9/b", secret="x", events=["task.completed"])
    Webhook.objects.create(url="http://127.0.0.1:9/c", secret="x", is_active=False)
    mine = Webhook.objects.create(url="http://127.0.0.1:9/d", secret="x", owner=marketer)
    task_fail(task_id=_task(marketer).pk, reason="boom")
    assert list(WebhookDelivery.objects.values_list("webhook", flat=True)) == [mine.pk]
