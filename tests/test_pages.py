"""Login is required everywhere; files are served only to who may see them."""

from banners.models import Banner
from tests.factories import bank_image_make, campaign_make, format_make, product_make


def test_home_requires_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_page_and_home_after_login(client, marketer):
    assert client.get("/accounts/login/").status_code == 200
    assert client.post("/accounts/login/", {"username": "alice", "password": "pw-alice"}).status_code == 302
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/generate/"
    assert "Hello, alice" in response.content.decode()


def test_media_needs_login_and_banner_files_need_access(client, marketer, other_marketer):
    image = bank_image_make()
    client.force_login(other_marketer)
    assert client.get(image.file.url).status_code == 200
    banner = Banner.objects.create(campaign=campaign_make(marketer, product_make()), format=format_make("square"))
    banner.png.save("b.png", image.file.open("rb"))
    assert client.get(banner.png.url).status_code == 404
    client.force_login(marketer)
    assert client.get(banner.png.url).status_code == 200
    client.logout()
    assert client.get(image.file.url).status_code == 302


def test_media_refuses_paths_outside_the_media_folder(client, marketer):
    client.force_login(marketer)
    assert client.get("/media/../../etc/passwd").status_code == 404


def test_header_sso_logs_the_proxy_user_in(client, marketer, settings):
    settings.SSO_HEADER = "X-Forwarded-User"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "adgenesis.sso.HeaderSSOMiddleware"]
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.RemoteUserBackend"]
    response = client.get("/generate/", headers={"X-Forwarded-User": "alice"})
    assert response.status_code == 200
    assert "Hello, alice" in response.content.decode()
