"""Bank uploads, indexing (designer text or a VLM over real HTTP), the search API and eval_retrieval."""

import base64
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image

from catalog import services
from catalog.models import BankImage, ImageText
from catalog.services import bank_image_add, bank_index
from tests.conftest import api_client_for
from tests.factories import picture_bytes
from tests.fake_llm import Reply

HYPOTHESES = ["A taxi service.", "Car rental.", "Airport transfers."]


def _upload(content: bytes, name: str = "pic.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


def test_a_picture_is_added_pending_with_its_size(db):
    image = bank_image_add(upload=_upload(picture_bytes()))
    assert image.status == BankImage.Status.PENDING
    assert (image.width, image.height) == (240, 200) and image.phash


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.4 not a picture", "not a picture"),
        (b"", "not a picture"),
    ],
)
def test_files_that_are_not_pictures_are_refused(db, content, message):
    with pytest.raises(ValidationError, match=message):
        bank_image_add(upload=_upload(content))
    assert not BankImage.objects.exists()


def test_too_many_pixels_is_refused_before_decoding(db):
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, format="PNG")  # tiny file, 144 million pixels
    with pytest.raises(ValidationError, match="at most 6000 px"):
        bank_image_add(upload=_upload(bomb.getvalue()))


def test_too_big_a_file_is_refused(db, monkeypatch):
    monkeypatch.setattr(services, "MAX_IMAGE_BYTES", 1000)
    with pytest.raises(ValidationError, match="larger than"):
        bank_image_add(upload=_upload(picture_bytes(size=(400, 400))))


def test_a_duplicate_is_refused(db):
    bank_image_add(upload=_upload(picture_bytes()))
    with pytest.raises(ValidationError, match="already in the bank"):
        bank_image_add(upload=_upload(picture_bytes(), name="again.png"))


def test_admin_upload_is_checked_too(client, designer):
    client.force_login(designer)
    response = client.post(
        "/admin/catalog/bankimage/add/",
        {"file": _upload(b"not an image at all"), "name": "x", "status": "pending", "hypotheses": "[]"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "file" in errors, errors
    assert not BankImage.objects.exists()


def _pending_with_text(name="box", color=(10, 120, 200), size=(200, 160)) -> BankImage:
    return bank_image_add(
        upload=_upload(picture_bytes(color=color, size=size), name=f"{name}.png"),
        name=name,
        caption=f"A blue {name}.",
        hypotheses=HYPOTHESES,
        status=BankImage.Status.APPROVED,
    )


@pytest.mark.slow
def test_index_bank_embeds_designer_text_and_is_idempotent(db, capsys):
    image = _pending_with_text()
    bare = bank_image_add(upload=_upload(picture_bytes(color=(200, 10, 10), size=(60, 200)), name="bare.png"))
    call_command("index_bank")
    assert ImageText.objects.filter(bank_image=image, kind="hypothesis").count() == 3
    assert ImageText.objects.get(bank_image=image, kind="caption").embedding is not None
    assert not ImageText.objects.filter(bank_image=bare).exists()  # no text, no VLM: skipped
    assert "skipped 1" in capsys.readouterr().out
    image.refresh_from_db()
    first = image.indexed_at
    call_command("index_bank", "--only-new")
    image.refresh_from_db()
    assert image.indexed_at == first
    call_command("index_bank", "--reindex")
    assert ImageText.objects.filter(bank_image=image).count() == 4


@pytest.mark.slow
def test_vlm_captions_pictures_from_a_base64_data_url(db, fake_llm):
    from mlcore.llm import HTTPSettings, OpenAICompatibleClient

    fake_llm.add(Reply(content=json.dumps({"caption": "A blue square on white.", "hypotheses": HYPOTHESES})))
    image = bank_image_add(upload=_upload(picture_bytes()))
    vlm = OpenAICompatibleClient(HTTPSettings(base_url=fake_llm.base_url, model="vlm"))
    assert bank_index(images=[image], vlm=vlm)["indexed"] == 1
    image.refresh_from_db()
    assert image.caption == "A blue square on white." and image.hypotheses == HYPOTHESES
    part = fake_llm.requests[0]["messages"][1]["content"][1]
    url = part["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    assert Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).mode == "RGB"


@pytest.mark.slow
def test_search_api_answers_through_a_worker(marketer, worker_process, settings):
    settings.EMBED_WAIT_SECONDS = 90  # the worker loads its embedder when it starts
    taxi = _pending_with_text("taxi", (250, 200, 0))
    taxi.caption, taxi.hypotheses = "A yellow taxi car.", ["A taxi service.", "A ride-hailing app.", "Cabs."]
    taxi.save()
    cake = _pending_with_text("cake", (250, 100, 200), size=(60, 200))
    cake.caption, cake.hypotheses = "A birthday cake.", ["A bakery.", "A pastry shop.", "Party catering."]
    cake.save()
    bank_index(images=[taxi, cake])
    worker_process("default")
    api = api_client_for(marketer)
    response = api.get("/api/v1/bank/search", {"product": "A city taxi service", "q": "a yellow car", "seed": 1})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["results"][0]["id"] == taxi.pk
    assert set(body["results"][0]) == {"id", "url", "caption", "caption_translation", "hypotheses", "score"}
    assert body["chosen"] in {taxi.pk, cake.pk}
    assert api.get("/api/v1/bank/search", {"product": "999999"}).status_code == 400
    assert api.get("/api/v1/bank/search", {"q": "x"}).status_code == 400


def test_search_api_without_a_worker_is_a_503(marketer, settings):
    settings.EMBED_WAIT_SECONDS = 1
    response = api_client_for(marketer).get("/api/v1/bank/search", {"product": "taxi"})
    assert response.status_code == 503
    assert "worker" in response.json()["detail"]


@pytest.mark.slow
def test_eval_retrieval_prints_hits_and_exact_search(db, tmp_path, capsys):
    pairs = tmp_path / "pairs.tsv"
    rows = [
        ("1", "A dog runs on the beach.", "A puppy running by the sea."),
        ("2", "A plate of pasta with tomato sauce.", "Spaghetti with red sauce on a dish."),
        ("3", "A red double-decker bus in London.", "A British bus on a city street."),
    ]
    pairs.write_text("image_id\tindex_caption\tquery_caption\n" + "\n".join("\t".join(r) for r in rows))
    call_command("eval_retrieval", "--pairs", str(pairs))
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["pairs"] == 3 and result["hit@1"] == 1.0
    assert set(result["exact"]) >= {"hit@5", "mrr", "p95_ms"}
