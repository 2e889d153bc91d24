"""API surface: the root answers, everything else needs a token or a session."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import api_client_for
from tests.factories import format_make, product_make

PROTECTED = [
    ("get", "/api/v1/products/"),
    ("get", "/api/v1/formats/"),
    ("get", "/api/v1/campaigns/"),
    ("post", "/api/v1/campaigns/create"),
    ("post", "/api/v1/generate"),
    ("get", "/api/v1/tasks/8d0c7a8e-1111-4a5e-9a57-0d1f3c1e2b3a"),
    ("get", "/api/v1/banners/"),
]


def test_api_root_answers_without_login(db):
    response = APIClient().get("/api/v1/")
    assert response.status_code == 200
    assert "generate" in response.json()["links"]


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_anonymous_calls_are_refused(db, method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")
    assert response.status_code in (401, 403)
    assert response.json()["detail"]


def test_wrong_token_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/products/").status_code == 401


def test_products_and_formats_are_listed_with_their_fields(marketer):
    product_make()
    format_make("square")
    client = api_client_for(marketer)
    products = client.get("/api/v1/products/").json()["results"]
    assert products[0]["name"] == "SwiftRide Taxi"
    assert products[0]["brand_kit"]["colors"][0] == "#ffc800"
    formats = client.get("/api/v1/formats/").json()["results"]
    assert {"id", "slug", "name", "platform", "width", "height", "text_slots", "image_slots"} <= set(formats[0])


def test_format_can_be_fetched_by_slug_or_id(marketer):
    fmt = format_make("story")
    client = api_client_for(marketer)
    assert client.get("/api/v1/formats/story/").json()["height"] == 1920
    assert client.get(f"/api/v1/formats/{fmt.pk}/").json()["slug"] == "story"
    assert client.get("/api/v1/formats/nope/").status_code == 404


def test_schema_and_docs_are_served(marketer):
    client = api_client_for(marketer)
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/generate" in schema.content
    client.force_login(marketer)
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
