"""Putting the work of the banners app on its RQ queues, by the jobs' dotted names: the services
enqueue without importing banners.jobs (which imports the services)."""

from __future__ import annotations

import django_rq
from django.conf import settings
from rq import Callback, Queue, Retry

MAX_RETRIES = 1  # a worker that dies mid-job gets one more try on another worker
FAILED = Callback("banners.jobs.task_job_failed")


def job_id_for(*, task_id) -> str:
    return f"task-{task_id}"


def enqueue_task(*, task_id) -> None:
    django_rq.get_queue("default").enqueue(
        "banners.jobs.task_run",
        str(task_id),
        job_id=job_id_for(task_id=task_id),
        meta={"task_id": str(task_id)},
        job_timeout=settings.JOB_TIMEOUT,
        retry=Retry(max=MAX_RETRIES),
        on_failure=FAILED,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


# After its pictures (one `task_picture` job per variant on the imagegen queue, so every GPU worker
# takes one), a task is cut out and rendered: one job each.
AI_STEPS = [("segment", "task_cutouts"), ("default", "task_render")]


def enqueue_pictures(*, task_id, variants: int) -> None:
    """One job per AI picture: the variants of a task are drawn side by side by every imagegen worker."""
    for variant in range(1, variants + 1):
        enqueue_step("imagegen", "task_picture", task_id=task_id, variant=variant)


def enqueue_step(queue: str, step: str, *, task_id, variant: int | None = None) -> None:
    """An AI-mode step of a task on its queue (plain RQ: the step before has committed its work)."""
    timeout = settings.IMAGE_JOB_TIMEOUT if queue == "imagegen" else settings.JOB_TIMEOUT
    args = (str(task_id),) if variant is None else (str(task_id), variant)
    Queue(queue, connection=django_rq.get_connection(queue)).enqueue(
        f"banners.jobs.{step}",
        *args,
        job_id=f"{step}-{task_id}" if variant is None else f"{step}-{task_id}-{variant}",
        meta={"task_id": str(task_id)},
        job_timeout=timeout,
        retry=Retry(max=MAX_RETRIES),
        on_failure=FAILED,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


def enqueue_regenerate(*, banner_id: int, part: str, user_id: int) -> None:
    django_rq.get_queue("default").enqueue(
        "banners.jobs.banner_regenerate", banner_id, part, user_id, job_timeout=settings.JOB_TIMEOUT, result_ttl=600
    )


REDRAW_STEPS = [("imagegen", "banner_redraw"), ("segment", "banner_recut"), ("default", "banner_picture_render")]


def enqueue_redraw(*, banner_id: int, step: int = 0) -> None:
    """A new AI picture for one banner, step by step on the queues of the AI chain."""
    queue, name = REDRAW_STEPS[step]
    timeout = settings.IMAGE_JOB_TIMEOUT if queue == "imagegen" else settings.JOB_TIMEOUT
    Queue(queue, connection=django_rq.get_connection(queue)).enqueue(
        f"banners.jobs.{name}", banner_id, job_timeout=timeout, result_ttl=600, failure_ttl=7 * 24 * 3600
    )
