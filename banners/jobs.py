"""RQ entry points of the banners app: thin wrappers around the services of the same name."""

from __future__ import annotations

import logging

import django_rq
from django.conf import settings
from rq import Callback, Retry

from banners import services

log = logging.getLogger(__name__)
MAX_RETRIES = 1  # a worker that dies mid-job gets one more try on another worker


def job_id_for(*, task_id) -> str:
    return f"task-{task_id}"


def enqueue_task(*, task_id) -> None:
    django_rq.get_queue("default").enqueue(
        task_run,
        str(task_id),
        job_id=job_id_for(task_id=task_id),
        meta={"task_id": str(task_id)},
        job_timeout=settings.JOB_TIMEOUT,
        retry=Retry(max=MAX_RETRIES),
        on_failure=Callback(task_job_failed),
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


def task_run(task_id: str) -> str:
    return services.task_run(task_id=task_id).status


def failure_reason(exc_type, exc_value) -> str:
    """A sentence for the marketer; the traceback stays in the worker log and RQ's failed registry."""
    from rq.exceptions import AbandonedJobError
    from rq.timeouts import JobTimeoutException

    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        return f"the generation took longer than its {settings.JOB_TIMEOUT} s limit and was stopped"
    if exc_type is not None and issubclass(exc_type, AbandonedJobError):
        return "the worker running this generation stopped in the middle of it"
    return f"internal error in the worker ({getattr(exc_type, '__name__', 'error')}: {exc_value})"


def task_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: the job raised, timed out, or its worker vanished."""
    record_failure(job, failure_reason(exc_type, exc_value))


def record_failure(job, reason: str) -> None:
    """Pending again when RQ will retry the job, failed with the reason when it will not."""
    task_id = job.meta.get("task_id")
    if task_id is None:
        return
    if job.retries_left:
        services.task_retry(task_id=task_id, reason=reason)
    else:
        services.task_fail(task_id=task_id, reason=reason)
