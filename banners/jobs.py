"""RQ entry points of the banners app: thin wrappers around the services of the same name."""

from __future__ import annotations

import logging

from django.conf import settings

from banners import ai, services
from banners.pipeline import PipelineError, SafetyRefused
from banners.queues import (  # noqa: F401  (enqueue_task and job_id_for: the names callers know)
    AI_STEPS,
    MAX_RETRIES,
    REDRAW_STEPS,
    enqueue_redraw,
    enqueue_regenerate,
    enqueue_step,
    enqueue_task,
    job_id_for,
)
from mlcore.imagegen import ImageGenerationFailed, ModelNotConfigured

log = logging.getLogger(__name__)


def task_run(task_id: str) -> str:
    return services.task_run(task_id=task_id).status


def _step(name: str, task_id: str) -> str:
    if getattr(ai, name)(task_id=task_id) is None:
        return f"{name}: the task had already ended"
    names = [step for _, step in AI_STEPS]
    following = names.index(name) + 1
    if following < len(AI_STEPS):
        queue, step = AI_STEPS[following]
        enqueue_step(queue, step, task_id=task_id)
    return name


def task_picture(task_id: str, variant: int) -> str:
    """One variant's picture; the job that draws a task's last picture sends it on to the cut-out."""
    if ai.task_picture(task_id=task_id, variant=variant):
        queue, step = AI_STEPS[0]
        enqueue_step(queue, step, task_id=task_id)
    return f"task_picture {variant}"


def task_cutouts(task_id: str) -> str:
    return _step("task_cutouts", task_id)


def task_render(task_id: str) -> str:
    return _step("task_render", task_id)


def failure_reason(exc_type, exc_value) -> str:
    """A sentence for the marketer; the traceback stays in the worker log and RQ's failed registry."""
    from rq.exceptions import AbandonedJobError
    from rq.timeouts import JobTimeoutException

    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        return f"the generation took longer than its {settings.JOB_TIMEOUT} s limit and was stopped"
    if exc_type is not None and issubclass(exc_type, AbandonedJobError):
        return "the worker running this generation stopped in the middle of it"
    if exc_type is not None and issubclass(exc_type, (ModelNotConfigured, ImageGenerationFailed, PipelineError)):
        return str(exc_value)
    return f"internal error in the worker ({getattr(exc_type, '__name__', 'error')}: {exc_value})"


def task_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback: the job raised, timed out, or its worker vanished."""
    refused = exc_type is not None and issubclass(exc_type, SafetyRefused)
    record_failure(job, failure_reason(exc_type, exc_value), failure="refused" if refused else "technical")


def record_failure(job, reason: str, failure: str = "technical") -> None:
    """Pending again when RQ will retry the job, failed with the reason when it will not."""
    task_id = job.meta.get("task_id")
    if task_id is None:
        return
    if job.retries_left and failure != "refused":
        services.task_retry(task_id=task_id, reason=reason)
    else:
        services.task_fail(task_id=task_id, reason=reason, failure=failure)


def banner_regenerate(banner_id: int, part: str, user_id: int) -> int:
    return services.banner_regenerate(banner_id=banner_id, part=part, user_id=user_id).pk


def _redraw_step(name: str, banner_id: int) -> int:
    getattr(ai, name)(banner_id=banner_id)
    step = [n for _, n in REDRAW_STEPS].index(name) + 1
    if step < len(REDRAW_STEPS):
        enqueue_redraw(banner_id=banner_id, step=step)
    return banner_id


def banner_redraw(banner_id: int) -> int:
    return _redraw_step("banner_redraw", banner_id)


def banner_recut(banner_id: int) -> int:
    return _redraw_step("banner_recut", banner_id)


def banner_picture_render(banner_id: int) -> int:
    return _redraw_step("banner_picture_render", banner_id)


def webhook_deliver(delivery_id: int) -> int:
    from banners.webhooks import webhook_deliver as deliver

    return deliver(delivery_id=delivery_id)


def batch_check(batch_id: str) -> str:
    from banners.batches import batch_check as check

    return check(batch_id=batch_id).status
