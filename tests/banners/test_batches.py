"""Bulk generation: a CSV or product feed → a campaign per row × formats → banners, a ZIP with a report,
a batch.completed webhook; a file with a bad row is refused whole, each bad row named."""

import csv
import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from banners import batches
from banners.models import Batch, Campaign, GenerationTask, Webhook, WebhookDelivery
from tests.conftest import api_client_for
from tests.factories import bank_image_make, format_make, product_make

CSV = (
    "\ufeffProduct;Offer;Formats;Tone;Platform;Picture description\n"
    "taxi;Rides 20% off this weekend with code CITY20;square|display-728x90;FOMO;instagram;a yellow taxi\n"
    "SwiftRide Taxi;Скидка 15% на первую поездку до 31 декабря;square;casual;ig;\n"
)


@pytest.fixture
def catalog(db):
    format_make("square")
    format_make("display-728x90")
    bank_image_make()
    return product_make()


def _upload(text: str, name: str = "feed.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_a_semicolon_csv_with_bom_and_aliases_reads_as_rows(catalog, marketer):
    rows = batches.rows_check(batches.rows_read(CSV.encode(), "feed.csv"), user=marketer)
    assert [(r.number, r.product, r.formats, r.tone, r.platform) for r in rows] == [
        (1, catalog.pk, ["square", "display-728x90"], "fomo", "instagram"),
        (2, catalog.pk, ["square"], "casual", "instagram"),
    ]
    assert rows[0].picture_description == "a yellow taxi" and rows[1].offer.startswith("Скидка 15%")
    feed = json.dumps({"rows": [{"product": "taxi", "offer": "Free rides", "formats": ["square"]}]})
    assert batches.rows_check(batches.rows_read(feed.encode(), "feed.json"), user=marketer)[0].formats == ["square"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("product,offer\nnope,Free rides\n", "rows[1].product: no product 'nope'"),
        ("product,offer,tone\ntaxi,Free rides,angry\n", "rows[1].tone: 'angry' is not one of"),
        ("product,offer,formats\ntaxi,Free rides,square|poster\n", "rows[1].formats: unknown format 'poster'"),
        ("product,offer\ntaxi,Free rides\ntaxi,\n", "rows[2].offer: empty"),
        ("product,offer\ntaxi,Buy cocaine cheap\n", "rows[1].offer: refused by the safety check"),
        ("product,offer,variants\ntaxi,Free rides,9\n", "rows[1].variants: give 1 to 4"),
        ("name,text2\na,b\n", "the header needs at least the columns product and offer"),
        ("product,offer\n", "no rows under the header"),
        ("[1, 2]", "give a list of objects"),
        ("[" * 5000, "file:"),
    ],
)
def test_a_bad_file_is_refused_whole_with_each_bad_row_named(catalog, marketer, text, expected):
    response = api_client_for(marketer).post("/api/v1/batches", {"file": _upload(text)}, format="multipart")
    assert response.status_code == 400, response.content
    assert expected in response.json()["detail"]
    assert not Campaign.objects.exists() and not Batch.objects.exists()


def test_spreadsheets_and_other_encodings_get_a_plain_answer(catalog, marketer):
    api = api_client_for(marketer)
    xlsx = SimpleUploadedFile("feed.xlsx", b"PK\x03\x04\x00\x00binary", content_type="application/octet-stream")
    assert "NUL characters" in api.post("/api/v1/batches", {"file": xlsx}, format="multipart").json()["detail"]
    cp1251 = SimpleUploadedFile("feed.csv", "product,offer\ntaxi,Скидка\n".encode("cp1251"))
    assert "not UTF-8" in api.post("/api/v1/batches", {"file": cp1251}, format="multipart").json()["detail"]
    both = api.post("/api/v1/batches", {"rows": [{"product": "taxi", "offer": "x"}], "file": ""}, format="json")
    assert both.status_code == 400


@pytest.mark.slow
def test_a_batch_runs_on_a_real_worker_and_zips_every_banner_with_a_report(catalog, marketer, run_worker):
    Webhook.objects.create(url="http://127.0.0.1:9/hook", secret="s", events=["batch.completed"])
    api = api_client_for(marketer)
    started = api.post("/api/v1/batches", {"file": _upload(CSV), "name": "Spring"}, format="multipart")
    assert started.status_code == 202, started.json()
    batch_id = started.json()["id"]
    assert started.json()["progress"]["tasks"] == 2 and started.json()["status"] == "running"

    run_worker("default")  # the two tasks, then the batch check their ends enqueue

    batch = api.get(f"/api/v1/batches/{batch_id}").json()
    assert batch["status"] == "completed", batch
    assert batch["progress"]["completed"] == 2 and batch["progress"]["banners"] == 3
    assert [t["row"] for t in batch["tasks"]] == [1, 2]
    delivery = WebhookDelivery.objects.get(event="batch.completed")
    assert delivery.payload["batch_id"] == batch_id and delivery.payload["banners"] == 3

    response = api.get(batch["zip"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    for stem in ("row-001-taxi-square-v1", "row-001-taxi-display-728x90-v1", "row-002-taxi-square-v1"):
        assert {f"{stem}.png", f"{stem}.jpg", f"{stem}.json"} <= names
    assert archive.read("row-001-taxi-square-v1.png").startswith(b"\x89PNG")
    spec = json.loads(archive.read("row-002-taxi-square-v1.json"))
    assert spec["format"] == "square" and "15%" in " ".join(spec["texts"].values())
    report = list(csv.DictReader(io.StringIO(archive.read("report.csv").decode("utf-8-sig"))))
    assert [(r["row"], r["format"], r["status"]) for r in report] == [
        ("1", "display-728x90", "ok"),
        ("1", "square", "ok"),
        ("2", "square", "ok"),
    ]

    # Behind the brand's approval gate the marketer's ZIP holds the banners back and says why.
    catalog.brand_kit.approval_required = "all"
    catalog.brand_kit.save()
    held = zipfile.ZipFile(io.BytesIO(b"".join(api.get(batch["zip"]).streaming_content)))
    assert held.namelist() == ["report.csv"]
    report = list(csv.DictReader(io.StringIO(held.read("report.csv").decode("utf-8-sig"))))
    assert {r["status"] for r in report} == {"held back"} and "Waiting for approval" in report[0]["problem"]


def test_a_failed_row_is_in_the_report_with_its_reason(catalog, marketer):
    rows = batches.rows_check(batches.rows_read(CSV.encode()), user=marketer)
    batch = batches.batch_create(owner=marketer, rows=rows[:1])
    task = GenerationTask.objects.get(campaign__batch=batch)
    task.status, task.error = "failed", "the worker running this generation stopped in the middle of it"
    task.save()
    assert batches.batch_check(batch_id=batch.pk).status == "completed"
    archive = zipfile.ZipFile(batches.batch_zip(batch=batch, user=marketer))
    report = list(csv.DictReader(io.StringIO(archive.read("report.csv").decode("utf-8-sig"))))
    assert [(r["format"], r["status"]) for r in report] == [("display-728x90", "failed"), ("square", "failed")]
    assert "stopped in the middle" in report[0]["problem"]


def test_the_batches_page_names_bad_rows_and_starts_a_good_file(client, catalog, marketer, other_marketer):
    client.force_login(marketer)
    bad = client.post("/batches/", {"file": _upload("product,offer\nnope,Free\n"), "image_mode": "bank"})
    assert bad.status_code == 200 and "rows[1].product: no product" in bad.content.decode()
    good = client.post("/batches/", {"file": _upload(CSV), "name": "Spring", "image_mode": "bank"})
    assert good.status_code == 302
    page = client.get(good["Location"]).content.decode()
    assert "Batch Spring" in page and "0 of 2 rows done" in page and "Скидка 15%" in page
    assert "Spring" in client.get("/batches/").content.decode()
    client.force_login(other_marketer)  # another marketer's batch is not found
    assert client.get(good["Location"]).status_code == 404


def test_report_cells_are_never_run_as_spreadsheet_formulas(catalog, marketer):
    raw = [{"product": "taxi", "offer": '=HYPERLINK("http://example.com","20% off")', "formats": "square"}]
    batch = batches.batch_create(owner=marketer, rows=batches.rows_check(raw, user=marketer))
    GenerationTask.objects.filter(campaign__batch=batch).update(status="failed", error="-1 worker died")
    archive = zipfile.ZipFile(batches.batch_zip(batch=batch, user=marketer))
    [line] = list(csv.DictReader(io.StringIO(archive.read("report.csv").decode("utf-8-sig"))))
    assert line["offer"].startswith("'=HYPERLINK") and line["problem"] == "'-1 worker died"
