"""AI mode on the queues: one job per picture, so the variants of one task spread over every imagegen
worker; a task that failed meanwhile is neither cut out nor completed."""

import time

import django_rq
import pytest
from rq import Queue, Worker

from banners import ai
from banners.models import Banner, GenerationTask
from tests.conftest import api_client_for, wait_for
from tests.factories import campaign_make, format_make, product_make

SIMULATED = {"ADGENESIS_SIMULATE_IMAGE_SECONDS": "2"}


@pytest.fixture
def simulated(settings):
    from banners import imaging

    settings.IMAGE_SIMULATE_SECONDS = 0.01
    imaging.generator.cache_clear()
    yield
    imaging.generator.cache_clear()


@pytest.mark.slow
def test_the_variants_of_one_task_are_drawn_by_two_workers_side_by_side(
    marketer, simulated, run_worker, worker_process
):
    format_make("square")
    campaign = campaign_make(marketer, product_make())
    response = api_client_for(marketer).post(
        "/api/v1/generate", {"campaign": campaign.pk, "format": "square", "image_mode": "ai", "variants": 4}, "json"
    )
    assert response.status_code == 202, response.json()
    task_id = response.json()["task_id"]

    connection = django_rq.get_connection("imagegen")
    for _ in range(2):
        worker_process("imagegen", env=SIMULATED)
    wait_for(lambda: len(Worker.all(queue=Queue("imagegen", connection=connection))) == 2, timeout=90)

    run_worker("default", env=SIMULATED)  # texts, then four picture jobs on the imagegen queue
    started = time.monotonic()
    task = wait_for(lambda: GenerationTask.objects.filter(pk=task_id, timings__has_key="pictures").first(), 60)
    assert task.status == "processing", task.error
    drawn_in = time.monotonic() - started
    run_worker("segment", env=SIMULATED)
    run_worker("default", env=SIMULATED)

    task = GenerationTask.objects.get(pk=task_id)
    assert task.status == "completed", task.error
    banners = list(Banner.objects.filter(task=task))
    assert len(banners) == 4 and all(b.png and b.bank_image_id for b in banners)
    assert len({b.bank_image_id for b in banners}) == 4
    assert len({b.picture_info["worker"] for b in banners}) == 2
    assert drawn_in < 4 * 2  # one worker alone takes 8 s of simulated GPU time


def test_a_picture_of_a_failed_task_does_not_move_it_on(marketer, simulated):
    from banners.services import task_fail

    format_make("square")
    task = GenerationTask.objects.create(campaign=campaign_make(marketer, product_make()), image_mode="ai", variants=2)
    task.formats.add(format_make("square"))
    task.status = GenerationTask.Status.PROCESSING
    task.save()
    ai.task_texts(task=task, work=[(task.formats.get(), 1), (task.formats.get(), 2)])

    assert ai.task_picture(task_id=task.pk, variant=1) is False  # one of two: not yet
    assert ai.task_picture(task_id=task.pk, variant=2) is True  # the last one sends the task on
    assert ai.task_picture(task_id=task.pk, variant=2) is False  # a retried job does not send it twice

    task_fail(task_id=task.pk, reason="the GPU worker ran out of memory")
    assert ai.task_cutouts(task_id=task.pk) is None and ai.task_render(task_id=task.pk) is None
    task.refresh_from_db()
    assert task.status == "failed" and task.error == "the GPU worker ran out of memory"


def test_a_retried_step_takes_the_task_back_and_completion_clears_the_retry_note(marketer, simulated, settings):
    from banners.services import task_retry

    settings.EMBED_IN_PROCESS = True
    task = GenerationTask.objects.create(campaign=campaign_make(marketer, product_make()), image_mode="ai")
    task.formats.add(format_make("square"))
    task.status, task.started_at = GenerationTask.Status.PROCESSING, task.created_at
    task.save()
    ai.task_texts(task=task, work=[(task.formats.get(), 1)])
    task_retry(task_id=task.pk, reason="the worker running this generation stopped in the middle of it")

    assert ai.task_picture(task_id=task.pk, variant=1) is True
    task.refresh_from_db()
    assert task.status == "processing" and task.error.startswith("retrying:")
    ai.task_cutouts(task_id=task.pk)
    ai.task_render(task_id=task.pk)
    task.refresh_from_db()
    assert (task.status, task.error) == ("completed", "")
