"""Stock runs end to end with a tiny random Qwen-Image on real imagegen workers: a run of 10 at
60/20/20 gives 6/2/2 pending bank pictures; a killed worker loses nothing and a rerun draws only the
missing pictures; pause, resume, cancel; near-duplicates are dropped; the designer's admin form."""

import signal

import pytest
from django.core.management import CommandError, call_command

from catalog.models import BankImage, StockRun, StockShot, StockTopic
from catalog.stock import stock_run_cancel, stock_run_pause, stock_run_resume, stock_shots_enqueue, stock_topics_load
from tests.conftest import wait_for
from tests.mlcore.tiny_qwen_image import build_tiny_qwen_image

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_qwen(tmp_path_factory):
    return build_tiny_qwen_image(tmp_path_factory.mktemp("tiny-qwen"))


@pytest.fixture
def gpu_env(tiny_qwen, settings):
    settings.QWEN_IMAGE_PATH = str(tiny_qwen)  # this process checks the model is there; the workers draw
    return {"ADGENESIS_QWEN_IMAGE_PATH": str(tiny_qwen), "ADGENESIS_IMAGE_SIZE": "32", "ADGENESIS_IMAGE_STEPS": "2"}


def _start(run="office", count=10, **extra):
    call_command(
        "stock_images", topic="Business and office", count=count, mix="60/20/20", run=run, no_wait=True, **extra
    )
    return StockRun.objects.get(name=run)


def test_a_run_of_ten_at_60_20_20_gives_6_2_2_pending_pictures(transactional_db, run_worker, gpu_env, capsys):
    assert stock_topics_load() == 13 and StockTopic.objects.count() == 13
    _start()
    assert "planned: 10 picture(s) queued" in capsys.readouterr().out
    run_worker("imagegen", env=gpu_env)
    pictures = BankImage.objects.filter(source=BankImage.Source.STOCK)
    assert pictures.count() == 10 and set(pictures.values_list("status", flat=True)) == {"pending"}
    assert sorted(pictures.values_list("concept", flat=True)) == ["exterior"] * 2 + ["interior"] * 6 + ["items"] * 2
    for picture in pictures:
        shot = StockShot.objects.get(bank_image=picture)
        assert (picture.topic, picture.location, picture.prompt, picture.seed) == (
            "Business and office",
            shot.location,
            shot.prompt,
            shot.seed,
        )
        assert picture.phash and picture.file
    _start()
    assert "continued: 0 picture(s) queued, 10 already drawn" in capsys.readouterr().out
    with pytest.raises(CommandError, match="was started with Business and office, 10 pictures"):
        _start(count=12)
    with pytest.raises(CommandError, match="no stock topic"):
        call_command("stock_images", topic="Underwater welding", count=3)


def test_a_killed_worker_loses_nothing_and_a_rerun_draws_only_the_missing(
    transactional_db, worker_process, run_worker, gpu_env, capsys
):
    stock_topics_load()
    run = _start(run="killed")
    slow = {**gpu_env, "ADGENESIS_IMAGE_SIZE": "64", "ADGENESIS_IMAGE_STEPS": "40"}
    worker = worker_process("imagegen", env=slow)
    wait_for(lambda: run.shots.filter(status="done").count() >= 2, timeout=120, interval=0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    before = dict(run.shots.filter(status="done").values_list("index", "bank_image"))
    assert 2 <= len(before) < 10
    capsys.readouterr()
    _start(run="killed")
    assert f"continued: {10 - len(before)} picture(s) queued, {len(before)} already drawn" in capsys.readouterr().out
    run_worker("imagegen", env=gpu_env)
    assert run.shots.filter(status="done").count() == 10
    pictures = BankImage.objects.filter(source=BankImage.Source.STOCK)
    assert pictures.count() == 10  # none drawn twice
    assert dict(run.shots.filter(index__in=before).values_list("index", "bank_image")) == before  # kept, not redrawn


def test_pause_resume_cancel_and_near_duplicates(transactional_db, run_worker, gpu_env):
    stock_topics_load()
    run = _start(run="paused", count=4)
    stock_run_pause(run=run)
    run_worker("imagegen", env=gpu_env)
    assert not BankImage.objects.exists() and set(run.shots.values_list("status", flat=True)) == {"planned"}
    first, second = run.shots.order_by("index")[:2]
    second.prompt, second.seed = first.prompt, first.seed  # the same picture twice
    second.save()
    stock_run_resume(run=run)
    run_worker("imagegen", env=gpu_env)
    statuses = dict(run.shots.values_list("index", "status"))
    assert list(statuses.values()).count("done") == 3 and statuses[second.index] == "duplicate"
    other = _start(run="cancelled", count=3)
    stock_run_cancel(run=other)
    assert stock_shots_enqueue(run=other) == 0 and set(other.shots.values_list("status", flat=True)) == {"cancelled"}


def test_a_designer_starts_a_run_from_admin_and_sees_its_progress(client, designer, gpu_env, settings):
    stock_topics_load()
    client.force_login(designer)
    topic = StockTopic.objects.get(name="Medicine and health")
    response = client.post(
        "/admin/catalog/stockrun/add/",
        {"name": "clinic", "topic": topic.pk, "count": 5, "mix_text": "60/20/20", "seed": 0},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    run = StockRun.objects.get(name="clinic")
    assert run.shots.count() == 5 and set(run.shots.values_list("status", flat=True)) == {"queued"}
    page = client.get("/admin/catalog/stockrun/").content.decode()
    assert "0 / 5: 0 drawn" in page
    response = client.post(
        "/admin/catalog/stockrun/add/", {"name": "bad", "topic": topic.pk, "count": 5, "mix_text": "1/2"}
    )
    assert response.status_code == 200 and "three whole numbers" in response.content.decode()
    again = {"name": "clinic", "topic": topic.pk, "count": 6, "mix_text": "60/20/20", "seed": 0}
    response = client.post("/admin/catalog/stockrun/add/", again)
    assert (
        response.status_code == 200 and "was started with Medicine and health, 5 pictures" in response.content.decode()
    )
    response = client.post("/admin/catalog/stockrun/add/", {**again, "count": 5})  # the same again: continues
    assert response.status_code == 302 and StockRun.objects.count() == 1
    settings.QWEN_IMAGE_PATH = ""
    response = client.post("/admin/catalog/stockrun/add/", {**again, "name": "no-model"})
    assert response.status_code == 200 and "AI pictures are off" in response.content.decode()


def test_without_the_picture_model_a_run_is_refused_and_says_why(db, settings):
    settings.QWEN_IMAGE_PATH = ""
    stock_topics_load()
    with pytest.raises(
        CommandError,
        match=r"Stock pictures are drawn by the picture model\. AI pictures are off: set ADGENESIS_QWEN_IMAGE_PATH",
    ):
        _start(run="no-model")
    assert not StockRun.objects.exists()
