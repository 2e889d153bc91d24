"""POST /api/v1/campaigns/create: validation names the field; nothing is saved on errors."""

import pytest

from banners.models import Campaign
from tests.factories import product_make


@pytest.fixture
def product(db):
    return product_make()


def test_campaign_is_created_for_the_caller(api, marketer, product):
    response = api.post(
        "/api/v1/campaigns/create",
        {"product": product.pk, "offer": "Скидка 20% на поездки", "tone": "fomo", "platform": "instagram"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    campaign = Campaign.objects.get(pk=response.json()["id"])
    assert campaign.owner == marketer
    assert campaign.offer == "Скидка 20% на поездки"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"product": None}, "product"),
        ({"product": 999999}, "product"),
        ({"product": "abc"}, "product"),
        ({"offer": ""}, "offer"),
        ({"offer": "x" * 5000}, "offer"),
        ({"tone": "angry"}, "tone"),
        ({"platform": "myspace"}, "platform"),
        ({"offer": ["not", "text"]}, "offer"),
    ],
)
def test_bad_campaign_input_is_a_400_naming_the_field(api, product, change, field):
    body = {"product": product.pk, "offer": "Rides 20% off", **change}
    body = {key: value for key, value in body.items() if value is not None}
    response = api.post("/api/v1/campaigns/create", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert field in response.json()["detail"]
    assert not Campaign.objects.exists()


def test_malformed_json_is_a_400(api, product):
    response = api.generic("POST", "/api/v1/campaigns/create", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_marketer_sees_only_own_campaigns(api, marketer, other_marketer, product):
    from tests.factories import campaign_make

    mine = campaign_make(marketer, product)
    campaign_make(other_marketer, product)
    ids = [c["id"] for c in api.get("/api/v1/campaigns/").json()["results"]]
    assert ids == [mine.pk]
