"""``/docs`` and ``/redoc`` work on a network without internet: every script, stylesheet and icon
they load is served by this site (app/web/api_docs.py), and a browser renders both."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

ASSET = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.I)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_load_nothing_from_another_server_and_every_asset_answers(client, path):
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = ASSET.findall(page.text)
    assert assets, page.text
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{path} loads {url} from elsewhere"
        assert client.get(url).status_code == 200, url
    assert "<script>" not in page.text  # no inline script: the page passes the site's CSP


def test_the_favicon_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"


def test_the_openapi_document_does_not_list_the_docs_pages(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not {"/docs", "/redoc", "/favicon.ico"} & set(paths)


@pytest.mark.browser
@pytest.mark.parametrize(("path", "rendered"), [("/docs", ".opblock"), ("/redoc", "[role=menuitem]")])
def test_a_browser_without_internet_renders_the_docs(page, live_server, tmp_path, path, rendered):
    """Every request to another server is cut (as on a county network); the page still renders its
    operations and the console shows no error (a CSP refusal would be one)."""
    home = urlsplit(live_server).netloc
    left: list[str] = []
    errors: list[str] = []

    def route(request_route):
        if urlsplit(request_route.request.url).netloc in (home, ""):
            request_route.continue_()
        else:
            left.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    # ReDoc's own "by Redocly" logo is an image on their CDN: the CSP blocks it before any request
    # leaves, which is the point; any other error fails the test.
    branding = "https://cdn.redoc.ly/"
    page.goto(f"{live_server}{path}")
    page.wait_for_selector(rendered, timeout=20_000)
    page.screenshot(path=str(tmp_path / f"{path.strip('/')}.png"))
    errors = [text for text in errors if not (branding in text and "img-src" in text)]
    assert left == [] and errors == [], (left, errors)
