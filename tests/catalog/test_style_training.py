"""Style LoRAs from the bank (issue 16): the data set leaves flagged pictures out, train_style_lora
registers an unapproved adapter with its loss curve, a sweep draws the validation set with four
candidates, and designers' rankings name the winner; the vote page in a real browser."""

import json
import shutil

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from catalog import training
from catalog.models import BankImage, StyleAdapter, StyleSample, StyleVote
from tests.factories import bank_image_make
from tests.mlcore.tiny_qwen_image import build_tiny_qwen_image

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    return build_tiny_qwen_image(tmp_path_factory.mktemp("tiny-qwen"))


def _bank():
    clean = []
    for index in range(4):
        image = bank_image_make(name=f"clean {index}")
        image.caption = f"A glossy 3D render of thing number {index}."
        image.caption_translation = f"Глянцевый рендер предмета {index}."
        image.save()
        clean.append(image)
    russian_only = bank_image_make(name="russian caption")
    russian_only.caption, russian_only.caption_translation = "Кружка кофе.", "A mug of coffee."
    russian_only.save()
    clean.append(russian_only)
    flagged = [
        bank_image_make(name="with text", has_text=True),
        bank_image_make(name="with logo", has_logo=True),
        bank_image_make(name="busy", too_complex=True),
        bank_image_make(name="dollar sign", has_currency_sign=True),
        bank_image_make(name="pending", status=BankImage.Status.PENDING),
    ]
    return clean, flagged


def test_the_data_set_leaves_flagged_pictures_out_and_captions_in_english(db, tmp_path):
    clean, flagged = _bank()
    manifest = training.style_dataset_build(out=tmp_path, resolution=64)
    items = json.loads(manifest.read_text())["items"]
    assert sorted(i["id"] for i in items) == sorted(p.pk for p in clean)
    assert not {p.pk for p in flagged} & {i["id"] for i in items}
    captions = {i["id"]: i["caption"] for i in items}
    assert captions[clean[-1].pk] == "A mug of coffee."  # the English one of the two


def test_command_registers_an_unapproved_adapter_with_its_loss_curve(db, tiny_qwen, tmp_path, capsys):
    _bank()
    out = tmp_path / "house"
    call_command(
        "train_style_lora",
        base=str(tiny_qwen),
        name="house-style",
        out=str(out),
        steps=20,
        batch=2,
        grad_accum=2,
        lr=3e-2,
        rank=8,
        alpha=8,
        resolution=64,
        checkpoint_every=5,
    )
    adapter = StyleAdapter.objects.get(name="house-style")
    assert adapter.status == StyleAdapter.Status.TRAINED and not adapter.approved
    assert len(adapter.losses) == 20 and adapter.config["rank"] == 8 and adapter.config["base"] == str(tiny_qwen)
    assert adapter.lora_path == str(out / "pytorch_lora_weights.safetensors") and len(adapter.data_sha256) == 64
    assert adapter.progress["step"] == 20
    printed = capsys.readouterr().out
    assert "step 20/20 loss" in printed and "not approved" in printed
    assert StyleAdapter.objects.for_brand(None) is None  # trained, not approved: AI mode does not use it
    adapter.approved = True
    adapter.save()
    assert StyleAdapter.objects.for_brand(None) == adapter
    with pytest.raises(CommandError, match="model_index"):
        call_command("train_style_lora", base=str(tmp_path), name="x", out=str(tmp_path / "x"), steps=1)
    assert StyleAdapter.objects.get(name="x").status == StyleAdapter.Status.FAILED


def test_sweep_draws_the_validation_set_with_four_candidates_and_votes_name_the_winner(
    db, tiny_qwen, tmp_path, designer, marketer
):
    _bank()
    call_command(
        "train_style_lora",
        base=str(tiny_qwen),
        name="spring",
        out=str(tmp_path / "spring"),
        steps=3,
        batch=1,
        grad_accum=1,
        rank=4,
        alpha=4,
        resolution=64,
        sweep=True,
        draw_steps=2,
    )
    candidates = training.sweep_candidates(sweep="spring")
    assert [a.name for a in candidates] == ["spring-1", "spring-2", "spring-3", "spring-4"]
    configs = [(a.config["batch_size"], a.config["lr"], a.config["rank"]) for a in candidates]
    assert len(set(configs)) == 4
    assert StyleSample.objects.filter(adapter__sweep="spring").count() == 80
    assert not StyleAdapter.objects.filter(approved=True).exists()

    a, b, c, d = (x.pk for x in candidates)
    training.style_vote_record(sweep="spring", index=0, ranking=[b, a, c, d], user=designer)
    training.style_vote_record(sweep="spring", index=1, ranking=[a, b, c, d], user=designer)
    summary = training.sweep_summary(sweep="spring")
    # a and b have one first place each; Borda: a 3 + 2 = 5, b 2 + 3 = 5; the name breaks the tie
    assert [(r["adapter"].pk, r["first_places"], r["borda"]) for r in summary["rows"][:2]] == [(a, 1, 5), (b, 1, 5)]
    training.style_vote_record(sweep="spring", index=2, ranking=[c, b, a, d], user=designer)
    summary = training.sweep_summary(sweep="spring")
    assert summary["winner"].pk == b  # firsts a 1, b 1, c 1; Borda b 7 > a 6 > c 5
    training.style_vote_record(sweep="spring", index=2, ranking=[b, c, a, d], user=designer)  # a second vote replaces
    assert StyleVote.objects.filter(sweep="spring").count() == 3
    assert training.sweep_summary(sweep="spring")["winner"].pk == b
    with pytest.raises(ValidationError, match="rank every candidate once"):
        training.style_vote_record(sweep="spring", index=3, ranking=[a, a, b, c], user=designer)
    with pytest.raises(PermissionDenied):
        training.style_vote_record(sweep="spring", index=3, ranking=[a, b, c, d], user=marketer)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it as root)")
def test_a_designer_ranks_the_candidates_on_the_vote_page(live_server, designer, tmp_path, monkeypatch):
    from django.core.files.base import ContentFile
    from playwright.sync_api import sync_playwright

    from tests.factories import picture_bytes

    candidates = []
    for number in range(1, 5):
        adapter = StyleAdapter.objects.create(
            name=f"autumn-{number}",
            lora_path=f"/x/{number}.safetensors",
            sweep="autumn",
            config={"rank": 16 * number, "lr": 1e-4, "batch_size": 1},
            losses=[1.0, 0.5 / number],
        )
        for index, description in enumerate(["A cup of coffee", "A yellow taxi"]):
            sample = StyleSample(adapter=adapter, index=index, description=description)
            sample.image.save(f"autumn-{number}-{index}.png", ContentFile(picture_bytes()), save=True)
        candidates.append(adapter)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/catalog/styleadapter/")
        page.fill("input[name=username]", "dora")
        page.fill("input[name=password]", "pw-dora")
        page.click("input[type=submit]")
        page.click("text=autumn — vote")
        page.wait_for_selector("text=Style sweep “autumn”")
        assert page.locator(".sweep-row").count() == 2 and page.locator(".sweep-cell img").count() == 8
        order = [candidates[2], candidates[0], candidates[1], candidates[3]]
        for place, adapter in enumerate(order, 1):
            page.select_option(f"select[name=rank-0-{adapter.pk}]", str(place))
        page.select_option(f"select[name=rank-1-{candidates[0].pk}]", "1")
        page.select_option(f"select[name=rank-1-{candidates[1].pk}]", "1")  # two firsts: refused, said why
        page.click("input[value='Save rankings']")
        page.wait_for_selector("text=give each picture a different place")
        assert page.locator("#sweep-summary tr.winner").inner_text().startswith("autumn-3 — winner")
        page.screenshot(path=str(tmp_path / "vote.png"), full_page=True)
        browser.close()
    vote = StyleVote.objects.get(sweep="autumn")
    assert vote.index == 0 and vote.ranking == [a.pk for a in order]
    assert not StyleAdapter.objects.filter(approved=True).exists()


def test_the_train_queue_runs_the_same_training_on_a_worker(transactional_db, run_worker, tiny_qwen, tmp_path, capsys):
    _bank()
    call_command("style_dataset", out=str(tmp_path / "data"), resolution=64)
    assert "5 pictures in" in capsys.readouterr().out
    call_command(
        "train_style_lora",
        base=str(tiny_qwen),
        name="queued",
        out=str(tmp_path / "queued"),
        data=str(tmp_path / "data" / "manifest.json"),
        steps=4,
        batch=1,
        grad_accum=1,
        rank=4,
        alpha=4,
        resolution=64,
        enqueue=True,
    )
    assert "queued on `train`" in capsys.readouterr().out
    run_worker("train", timeout=300)
    adapter = StyleAdapter.objects.get(name="queued")
    assert adapter.status == StyleAdapter.Status.TRAINED and len(adapter.losses) == 4 and not adapter.approved
