"""The brand's approval gate: a designer approves (or rejects with a reason) before the marketer downloads."""

import pytest

from banners import services
from banners.models import Banner, FeedbackEvent, GenerationTask
from tests.conftest import api_client_for
from tests.factories import bank_image_make, campaign_make, format_make, product_make


@pytest.fixture(autouse=True)
def in_process(settings):
    settings.EMBED_IN_PROCESS = True  # the pipeline runs here, not on a worker


def _banner_of(marketer, policy: str) -> Banner:
    format_make("square")
    bank_image_make()
    product = product_make()
    product.brand_kit.approval_required = policy
    product.brand_kit.save()
    task = GenerationTask.objects.create(campaign=campaign_make(marketer, product), created_by=marketer)
    task.formats.add(format_make("square"))
    assert services.task_run(task_id=task.pk).status == "completed"
    return task.banners.get()


@pytest.fixture
def gated(marketer):
    return _banner_of(marketer, "all")


def _queue(client) -> str:
    response = client.get("/admin/banners/bannerapproval/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_marketer_waits_for_approval_in_the_api_and_on_the_page(client, marketer, gated):
    api = api_client_for(marketer)
    banner = api.get(f"/api/v1/banners/{gated.pk}/").json()
    assert banner["download_allowed"] is False and banner["download_refusal"].startswith("Waiting for approval")
    response = api.get(f"/api/v1/banners/{gated.pk}/png/")
    assert response.status_code == 403 and response.json()["detail"].startswith("Waiting for approval")

    client.force_login(marketer)
    page = client.get(f"/b/{gated.pk}/download/png/")
    assert page.status_code == 403 and "Waiting for approval" in page.content.decode()
    card = client.get(f"/b/{gated.pk}/").content.decode()
    assert "Waiting for approval" in card and "Download PNG" not in card
    assert not FeedbackEvent.objects.filter(kind="download").exists()  # a refused download is not one


def test_reject_needs_a_reason_then_the_marketer_reads_it_and_an_edit_sends_it_back(client, marketer, designer, gated):
    client.force_login(designer)
    assert f'value="{gated.pk}"' in _queue(client)
    chosen = {"action": "reject", "_selected_action": [gated.pk]}
    asked = client.post("/admin/banners/bannerapproval/", chosen)
    assert asked.status_code == 200 and "The marketer reads it" in asked.content.decode()
    blank = client.post("/admin/banners/bannerapproval/", {**chosen, "reason": "   "})
    assert blank.status_code == 200 and "This field is required" in blank.content.decode()
    gated.refresh_from_db()
    assert gated.approval == "pending"

    client.post("/admin/banners/bannerapproval/", {**chosen, "reason": "The logo is too small"})
    gated.refresh_from_db()
    assert (gated.approval, gated.rejection_reason, gated.decided_by) == ("rejected", "The logo is too small", designer)
    assert f'value="{gated.pk}"' not in _queue(client)
    api = api_client_for(marketer)
    refusal = api.get(f"/api/v1/banners/{gated.pk}/").json()["download_refusal"]
    assert "rejected" in refusal and "The logo is too small" in refusal

    edited = api.post(f"/api/v1/banners/{gated.pk}/texts", {"texts": {"headline": "Ride for less"}}, format="json")
    assert edited.status_code == 200, edited.json()
    gated.refresh_from_db()
    assert gated.approval == "pending" and gated.rejection_reason == ""
    assert f'value="{gated.pk}"' in _queue(client)


def test_a_designer_approves_through_the_api_and_the_marketer_downloads(marketer, designer, gated):
    api = api_client_for(marketer)
    assert api.post(f"/api/v1/banners/{gated.pk}/approve", {}, format="json").status_code == 403
    designer_api = api_client_for(designer)
    assert designer_api.get(f"/api/v1/banners/{gated.pk}/png/").status_code == 200  # designers always may
    refused = designer_api.post(f"/api/v1/banners/{gated.pk}/reject", {"reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]

    approved = designer_api.post(f"/api/v1/banners/{gated.pk}/approve", {}, format="json")
    assert approved.status_code == 200 and approved.json()["approval"] == "approved"
    assert api.get(f"/api/v1/banners/{gated.pk}/").json()["download_allowed"] is True
    assert api.get(f"/api/v1/banners/{gated.pk}/png/").status_code == 200
    assert FeedbackEvent.objects.filter(banner=gated, kind="approve", user=designer).exists()


def test_a_brand_that_gates_ai_pictures_only_lets_bank_banners_through(client, marketer, designer):
    banner = _banner_of(marketer, "ai")
    assert banner.image_source == "bank" and not banner.needs_approval
    assert api_client_for(marketer).get(f"/api/v1/banners/{banner.pk}/png/").status_code == 200
    client.force_login(designer)
    assert f'value="{banner.pk}"' not in _queue(client)
    banner.image_source = "ai"
    banner.save()
    assert banner.needs_approval and banner.download_refusal().startswith("Waiting for approval")
    assert f'value="{banner.pk}"' in _queue(client)


def test_a_marketer_cannot_open_the_queue(client, marketer, gated):
    client.force_login(marketer)
    assert client.get("/admin/banners/bannerapproval/").status_code == 302
