"""What happens when a generation task ends, wherever it ends (the bank pipeline, the AI chain, a
failure): its webhooks, and a check of its batch, which may now be complete."""

from __future__ import annotations

import django_rq
from django.db import transaction

from banners import webhooks
from banners.models import GenerationTask


def task_ended(*, task: GenerationTask) -> None:
    webhooks.task_event(task=task)
    batch_id = task.campaign.batch_id
    if batch_id:
        transaction.on_commit(
            lambda: django_rq.get_queue("default").enqueue("banners.jobs.batch_check", str(batch_id), result_ttl=600)
        )
