"""The marketer's path in a real browser (Debian Chromium driven by Playwright), with a real worker:
log in, generate a banner from the bank, watch the progress bar reach the result, edit a text,
download; a designer approves it in the admin; a marketer cannot reach the approve action."""

import shutil

import pytest

from banners.models import Banner
from catalog.services import bank_index, product_upsert
from tests.factories import bank_image_make, format_make, product_make

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it as root)"),
]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls here are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    page.click("button[type=submit]")


def test_marketer_generates_edits_downloads_and_designer_approves(
    live_server, browser, marketer, designer, worker_process, tmp_path
):
    format_make("square")
    bank_image_make()
    product_make()
    worker_process("default")
    page = browser.new_page()
    page.set_default_timeout(90_000)
    _login(page, live_server.url, "alice")
    page.wait_for_url("**/generate/")
    page.fill("textarea[name=offer]", "Rides 20% off this weekend")
    page.check("input[name=formats] >> nth=0")
    page.click("button:has-text('Generate banners')")
    page.wait_for_url("**/tasks/**")
    assert page.locator("progress").count() == 1
    page.wait_for_selector("text=Download PNG")  # the progress bar was replaced by the result

    headline = page.locator("input[name=headline]").first
    headline.fill("Edited 25% off")
    with page.expect_response("**/texts/") as saved:
        page.click("button:has-text('Save texts and re-render')")
    assert saved.value.status == 200
    page.wait_for_selector("input[name=headline][value='Edited 25% off']")  # the card came back re-rendered
    banner = Banner.objects.get()
    assert banner.texts["headline"] == "Edited 25% off"

    with page.expect_download() as download:
        page.click("text=Download PNG")
    target = tmp_path / "banner.png"
    download.value.save_as(target)
    assert target.read_bytes().startswith(b"\x89PNG")

    page.goto(f"{live_server.url}/admin/banners/banner/")
    assert "/admin/login/" in page.url  # a marketer cannot reach the approve action

    designer_page = browser.new_page()
    designer_page.goto(f"{live_server.url}/admin/login/?next=/admin/banners/banner/")
    designer_page.fill("input[name=username]", "dora")
    designer_page.fill("input[name=password]", "pw-dora")
    designer_page.click("input[type=submit]")
    designer_page.check(f"input[name=_selected_action][value='{banner.pk}']")
    designer_page.select_option("select[name=action]", "approve")
    designer_page.click("button[name=index]")
    designer_page.wait_for_selector("text=1 banner(s) approved")
    banner.refresh_from_db()
    assert banner.approval == "approved"


def test_a_russian_offer_gets_a_picture_of_its_subject(live_server, browser, marketer, worker_process, settings):
    """English captions, a Russian offer: the card shows the coffee picture and says it searched for the
    offer's subject (the description names no drink: the offer steers the picture)."""
    settings.EMBED_IN_PROCESS = True  # bank_index below runs in this process
    format_make("square")
    captions = {
        "coffee": ("A glossy 3D render of a cup of hot coffee.", ["A coffee shop.", "A cafe.", "Coffee to go."]),
        "moose": ("A glossy 3D render of a moose with antlers.", ["A nature park.", "A hunting store.", "A zoo."]),
        "ballet shoes": (
            "A glossy 3D render of pink ballet shoes.",
            ["A dance school.", "A ballet theatre.", "Shoes."],
        ),
        "taxi": ("A glossy 3D render of a yellow taxi car.", ["A taxi service.", "A ride app.", "Airport transfers."]),
    }
    images = []
    for name, (caption, hypotheses) in captions.items():
        image = bank_image_make(name=name)
        image.caption, image.hypotheses = caption, hypotheses
        image.save()
        images.append(image)
    bank_index(images=images)
    about = "Уютное место у метро. Печём круассаны каждое утро. Есть завтраки и десерты. Работаем с 7 утра. Есть Wi-Fi."
    product_upsert(slug="zerno", name="Кофейня «Зерно»", description=about, industry="food")
    worker_process("default")
    page = browser.new_page()
    page.set_default_timeout(90_000)
    _login(page, live_server.url, "alice")
    page.wait_for_url("**/generate/")
    page.select_option("select[name=product]", label="Кофейня «Зерно»")
    page.fill("textarea[name=offer]", "Второй капучино в подарок до 11:00")
    page.check("input[name=formats] >> nth=0")
    page.click("button:has-text('Generate banners')")
    page.wait_for_selector("text=Download PNG")
    caption = page.locator(".picture-caption").inner_text()
    assert "coffee" in caption and "капучино" in caption, caption
    assert Banner.objects.get().bank_image.name == "coffee"
