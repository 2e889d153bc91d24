"""The walking skeleton: campaign → generate → real worker → completed task with a PNG."""

import io
import uuid

import django_rq
import pytest
from PIL import Image
from rq import Callback

from banners.jobs import task_job_failed
from banners.models import Campaign, GenerationTask
from banners.services import generation_start
from tests.conftest import api_client_for, wait_for
from tests.factories import bank_image_make, campaign_make, format_make, product_make
from tests.fake_llm import fields


@pytest.fixture
def campaign(marketer):
    format_make("square")
    format_make("display-728x90")
    bank_image_make()
    return campaign_make(marketer, product_make())


def test_generate_returns_a_task_id_at_once(api, campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/generate", {"campaign": campaign.pk, "format": "square"}, format="json")
    assert response.status_code == 202
    task = GenerationTask.objects.get(pk=response.json()["task_id"])
    assert task.status == GenerationTask.Status.PENDING
    assert django_rq.get_queue("default").fetch_job(task.job_id) is not None


@pytest.mark.slow
def test_banner_is_generated_end_to_end_by_a_real_worker(campaign, marketer, run_worker):
    from catalog.models import BankImage
    from catalog.services import bank_index

    image = BankImage.objects.get()
    image.caption, image.hypotheses = "A yellow taxi car.", ["A taxi service.", "Car rental.", "Airport transfers."]
    image.save()
    bank_index(images=[image])  # the worker finds it through the two-stage search
    api = api_client_for(marketer)
    response = api.post(
        "/api/v1/generate", {"campaign": campaign.pk, "format": ["square", "display-728x90"]}, format="json"
    )
    task_id = response.json()["task_id"]
    assert api.get(f"/api/v1/tasks/{task_id}").json()["status"] == "pending"

    run_worker("default")

    task = api.get(f"/api/v1/tasks/{task_id}").json()
    assert task["status"] == "completed", task["error"]
    assert task["progress"] == {"step": "done", "percent": 100}
    sizes = {}
    for banner in task["banners"]:
        png = api.get(banner["png"])
        assert png.status_code == 200
        assert png["Content-Type"] == "image/png"
        sizes[banner["format"]] = Image.open(io.BytesIO(b"".join(png.streaming_content))).size
        assert {e["type"] for e in banner["spec"]["elements"]} == {"text", "image", "shape"}
        assert banner["layout"] == banner["spec"]["layout"] and 0 <= banner["quality"]["score"] <= 100
        assert banner["texts"]["headline"]
        assert banner["bank_image"] == image.pk
    assert sizes == {"square": (1080, 1080), "display-728x90": (728, 90)}


def test_generate_validation_names_the_field(api, campaign):
    cases = [
        ({"format": "square"}, "campaign"),
        ({"campaign": campaign.pk, "format": "nope"}, "format"),
        ({"campaign": campaign.pk, "format": []}, "format"),
        ({"campaign": campaign.pk, "format": "square", "variants": 9}, "variants"),
        ({"campaign": campaign.pk, "format": "square", "image_mode": "paint"}, "image_mode"),
        ({"campaign": campaign.pk, "format": "square", "image_descriptions": "hero"}, "image_descriptions"),
    ]
    for body, field in cases:
        response = api.post("/api/v1/generate", body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["errors"], response.json()
    assert not GenerationTask.objects.exists()


def test_another_users_campaign_is_not_found(campaign, other_marketer):
    response = api_client_for(other_marketer).post(
        "/api/v1/generate", {"campaign": campaign.pk, "format": "square"}, format="json"
    )
    assert response.status_code == 404


def test_unknown_and_foreign_tasks_are_not_found(campaign, marketer, other_marketer):
    task = generation_start(campaign=campaign, formats=list(campaign.product.campaign_set.none()), user=marketer)
    assert api_client_for(other_marketer).get(f"/api/v1/tasks/{task.pk}").status_code == 404
    assert api_client_for(marketer).get(f"/api/v1/tasks/{uuid.uuid4()}").status_code == 404
    assert api_client_for(marketer).get("/api/v1/tasks/not-a-uuid").status_code == 404


def _enqueue_helper(task: GenerationTask, func: str, *args, timeout: int = 30):
    return django_rq.get_queue("default").enqueue(
        func,
        str(task.pk),
        *args,
        job_timeout=timeout,
        on_failure=Callback(task_job_failed),
        meta={"task_id": str(task.pk)},
    )


@pytest.mark.slow
def test_a_job_over_its_timeout_fails_the_task_with_the_reason(campaign, marketer, run_worker, settings):
    settings.JOB_TIMEOUT = 1
    task = GenerationTask.objects.create(campaign=campaign, created_by=marketer)
    _enqueue_helper(task, "tests.helpers_jobs.sleep_for", 10, timeout=1)
    run_worker("default")
    task.refresh_from_db()
    assert task.status == GenerationTask.Status.FAILED
    assert "took longer than" in task.error


@pytest.mark.slow
def test_a_worker_killed_mid_job_marks_the_task_failed(campaign, marketer, run_worker):
    task = GenerationTask.objects.create(
        campaign=campaign, created_by=marketer, status=GenerationTask.Status.PROCESSING
    )
    _enqueue_helper(task, "tests.helpers_jobs.die_abruptly")
    run_worker("default")
    task.refresh_from_db()
    assert task.status == GenerationTask.Status.FAILED
    assert "worker process running it died" in task.error
    assert wait_for(lambda: task.error)


@pytest.mark.slow
def test_worker_writes_banner_texts_with_the_llm_and_records_the_calls(
    campaign, marketer, run_worker, fake_llm, llm_settings
):
    fake_llm.add(
        fields(headline="Rides 20% off this weekend, code CITY20 applies to all rides", subheadline="x", cta="Go"),
        fields(headline="20% off rides", subheadline="Cars in 5 minutes all weekend", cta="Book now"),
    )
    api = api_client_for(marketer)
    response = api.post("/api/v1/generate", {"campaign": campaign.pk, "format": "square"}, format="json")
    run_worker(
        "default",
        env={
            "ADGENESIS_LLM_BASE_URL": fake_llm.base_url,
            "ADGENESIS_LLM_MODEL": "fake",
            "ADGENESIS_SAFETY_LLM": "false",
        },
    )
    task = api.get(f"/api/v1/tasks/{response.json()['task_id']}").json()
    assert task["status"] == "completed", task["error"]
    banner = task["banners"][0]
    assert banner["texts"]["headline"] == "20% off rides"
    assert banner["copy_stats"]["writer"] == "openai-compatible"
    assert banner["copy_stats"]["calls"] == 2 and banner["copy_stats"]["retries"] == 1


@pytest.mark.slow
def test_unsafe_offer_fails_the_task_with_the_reason(marketer, run_worker):
    format_make("square")
    campaign = Campaign.objects.create(owner=marketer, product=product_make(), offer="Buy cocaine cheap")
    task = generation_start(campaign=campaign, formats=[format_make("square")], user=marketer)
    run_worker("default")
    task.refresh_from_db()
    assert task.status == GenerationTask.Status.FAILED
    assert "refused by the safety check" in task.error and "illegal drugs" in task.error
