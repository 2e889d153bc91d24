"""Hostile requests get a 4xx with a message, never a 5xx, and save nothing half: deeply nested JSON,
NUL characters in JSON, forms and query strings, and a property-based fuzz of every JSON endpoint
(hypothesis) with bodies built from the endpoint's own field names and any JSON values."""

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from banners.models import Campaign, GenerationTask
from tests.factories import format_make, product_make

ENDPOINTS = {  # path: the field names a real request uses
    "/api/v1/campaigns/create": ["product", "offer", "tone", "platform", "name", "formats"],
    "/api/v1/generate": ["campaign", "format", "formats", "image_mode", "image_descriptions", "variants", "layout"],
    "/api/v1/generate-text": ["prompt", "platform", "tone", "max_length", "industry", "product", "hashtags", "emoji"],
    "/api/v1/design": ["prompt", "platform", "format", "product", "seed", "tone"],
    "/api/v1/render": ["width", "height", "background_color", "elements"],
    "/api/v1/feedback": ["banner", "kind", "payload"],
    "/api/v1/batches": ["rows", "name", "image_mode", "file"],
}


@pytest.fixture
def data(marketer, settings):
    settings.EMBED_IN_PROCESS = True
    format_make("square")
    return product_make()


def _deep(levels: int) -> str:
    return '{"offer": ' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_deeply_nested_json_is_a_400(api, data, path):
    response = api.post(path, _deep(100_000), content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nested more than 32 levels" in response.json()["detail"]


def test_nul_characters_are_refused_naming_the_field(api, data, client, marketer):
    response = api.post("/api/v1/generate", {"campaign": 1, "format": "squ\x00are"}, format="json")
    assert response.status_code == 400 and response.json()["detail"].startswith("format: NUL characters")
    response = api.post("/api/v1/campaigns/create", {"product": data.pk, "offer": "A\x00B"}, format="json")
    assert response.status_code == 400 and "offer: NUL" in response.json()["detail"]
    assert api.get("/api/v1/bank/search", {"q": "tea\x00"}).status_code == 400
    client.force_login(marketer)
    response = client.post("/generate/", {"offer": "Rides\x00 20% off", "product": data.pk})
    assert response.status_code == 400 and b"offer: NUL characters" in response.content
    assert not Campaign.objects.exists() and not GenerationTask.objects.exists()


# Values a real request would send, values that have broken servers, and anything else.
PLAUSIBLE = ["square", "story", "casual", "instagram", "bank", "ai", "download", "Rides 20% off", "taxi", 1, 2, 4]
HOSTILE = ["\x00", "squ\x00are", "", " " * 500, "x" * 20_000, 10**30, -1, 0, 2**63, float("nan"), float("inf"), "NaN"]
JSON_VALUES = st.recursive(
    st.sampled_from(PLAUSIBLE + HOSTILE)
    | st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


VALUES = st.sampled_from(PLAUSIBLE + HOSTILE) | JSON_VALUES


def _post_is_not_5xx(api, path: str, body: dict) -> None:
    raw = json.dumps(body)  # NaN and Infinity too, which Python's JSON reader accepts
    response = api.post(path, raw, content_type="application/json")  # a 500 raises here
    assert response.status_code < 500, (raw[:300], response.status_code, response.content[:300])


@pytest.mark.slow
@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_fuzzed_bodies_never_get_a_5xx(api, data, path):
    fields = ENDPOINTS[path]
    for value in HOSTILE:  # every field hostile at once, as the hostile-request corpus did
        _post_is_not_5xx(api, path, dict.fromkeys(fields, value))
    bodies = st.fixed_dictionaries({}, optional=dict.fromkeys(fields, VALUES)) | st.dictionaries(
        st.text(max_size=6), JSON_VALUES, max_size=3
    )

    @hypothesis_settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(body=bodies)
    def check(body):
        _post_is_not_5xx(api, path, body)

    check()


@pytest.mark.slow
def test_fuzzed_batch_rows_never_get_a_5xx_nor_save_half(api, data):
    columns = ["product", "offer", "formats", "tone", "platform", "picture_description", "variants", "image_mode"]
    rows = st.lists(st.fixed_dictionaries({}, optional=dict.fromkeys(columns, VALUES)), min_size=1, max_size=3)

    @hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(rows=rows)
    def check(rows):
        raw = json.dumps({"rows": rows})
        response = api.post("/api/v1/batches", raw, content_type="application/json")
        assert response.status_code in (202, 400), (raw[:300], response.status_code, response.content[:300])
        if response.status_code == 400:
            assert response.json()["detail"]

    check()
    started = GenerationTask.objects.filter(campaign__batch__isnull=False).count()
    assert started == Campaign.objects.filter(batch__isnull=False).count()  # a task for every saved row
