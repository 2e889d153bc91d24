"""Admin pages load for every model; bulk approval is for designers only."""

import pytest
from django.apps import apps
from django.contrib import admin

from banners.models import Banner, FeedbackEvent
from catalog.models import BankImage
from tests.factories import bank_image_make, campaign_make, format_make, product_make

OUR_MODELS = [m for m in apps.get_models() if m._meta.app_label in ("banners", "catalog")]


@pytest.fixture
def some_data(marketer):
    format_make("square")
    bank_image_make()
    return campaign_make(marketer, product_make())


def test_every_model_is_registered():
    assert all(admin.site.is_registered(model) for model in OUR_MODELS)


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.model_name)
def test_changelist_and_add_pages_load(client, admin_user, some_data, model):
    client.force_login(admin_user)
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert client.get(base).status_code == 200
    request = type("Request", (), {"user": admin_user})()
    addable = admin.site._registry[model].has_add_permission(request)  # stock shots come from a run's plan only
    assert client.get(base + "add/").status_code == (200 if addable else 403)
    obj = model.objects.first()
    if obj is not None:
        assert client.get(f"{base}{obj.pk}/change/").status_code == 200


def test_format_admin_refuses_invalid_slot_json(client, designer):
    fmt = format_make("square")
    client.force_login(designer)
    data = {
        "name": fmt.name,
        "slug": fmt.slug,
        "platform": fmt.platform,
        "width": 1080,
        "height": 1080,
        "background": '{"type": "solid", "colors": ["#000000"]}',
        "text_slots": '[{"key": "headline", "max_chars": 0, "size": 40, "box": [0, 0, 100, 100]}]',
        "image_slots": "[]",
        "is_active": "on",
    }
    response = client.post(f"/admin/banners/format/{fmt.pk}/change/", data)
    assert response.status_code == 200
    assert "text_slots[0].max_chars" in response.content.decode()
    fmt.refresh_from_db()
    assert fmt.text_slots[0]["max_chars"] == 40


def test_designer_bulk_approves_bank_pictures(client, designer):
    image = bank_image_make(status=BankImage.Status.PENDING)
    client.force_login(designer)
    response = client.post("/admin/catalog/bankimage/", {"action": "approve", "_selected_action": [image.pk]})
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.status == BankImage.Status.APPROVED


def test_designer_approves_a_banner_and_it_is_logged(client, designer, some_data):
    banner = Banner.objects.create(campaign=some_data, format=format_make("square"))
    client.force_login(designer)
    client.post("/admin/banners/banner/", {"action": "approve", "_selected_action": [banner.pk]})
    banner.refresh_from_db()
    assert banner.approval == Banner.Approval.APPROVED
    assert FeedbackEvent.objects.filter(banner=banner, kind="approve", user=designer).exists()


def test_marketer_cannot_reach_admin_approval(client, marketer, some_data):
    banner = Banner.objects.create(campaign=some_data, format=format_make("square"))
    client.force_login(marketer)
    response = client.post("/admin/banners/banner/", {"action": "approve", "_selected_action": [banner.pk]})
    assert response.status_code == 302 and "/login/" in response["Location"]
    banner.refresh_from_db()
    assert banner.approval == Banner.Approval.PENDING


def test_django_rq_dashboard_is_for_staff(client, admin_user, marketer):
    client.force_login(marketer)
    assert client.get("/django-rq/").status_code == 302
    client.force_login(admin_user)
    assert client.get("/django-rq/").status_code == 200
