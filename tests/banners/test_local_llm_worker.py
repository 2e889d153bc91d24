"""A local LLM (transformers, in the worker's process) is loaded once per worker, not once per job."""

import pytest

from banners.models import Banner, GenerationTask
from banners.services import generation_start
from tests.factories import bank_image_make, campaign_make, format_make, product_make
from tests.mlcore.tiny_lm import tiny_lm_build


@pytest.mark.slow
def test_the_default_worker_loads_a_local_llm_once_for_all_its_jobs(tmp_path, marketer, run_worker):
    model = tiny_lm_build(tmp_path / "lm", ["Rides 20% off this weekend", "Скидка 20% на поездки"])
    fmt = format_make("square")
    bank_image_make()
    campaign = campaign_make(marketer, product_make())
    tasks = [generation_start(campaign=campaign, formats=[fmt], user=marketer) for _ in range(3)]

    result = run_worker(
        "default",
        env={
            "ADGENESIS_LLM_LOCAL_PATH": str(model),
            "ADGENESIS_WORKER_PRELOAD": "true",
            "ADGENESIS_SAFETY_LLM": "false",
        },
        timeout=300,
    )

    log = result.stdout + result.stderr
    assert log.count("local LLM loaded from") == 1, log[-3000:]
    # The tiny random model writes nonsense, which the output screening may refuse: a task then fails
    # with that reason. Either way each job ran, in the process that loaded the model.
    for task in tasks:
        task.refresh_from_db()
        assert task.status == GenerationTask.Status.COMPLETED or "safety check" in task.error, task.error
    writers = {b.copy_stats.get("writer") for b in Banner.objects.filter(task__in=tasks)}
    assert writers <= {"local-transformers", "template"}
