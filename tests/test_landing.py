"""The landing page at ``/``: the strip in every language, the snippets to copy, the links.

The app is built as ``ticker serve`` builds it and asked through aiohttp's test
client; the page is checked for what it shows and for how it is served (the
widget's CSP, an ETag and a 304, a 400 for a query, a 405 for another method).
"""

from __future__ import annotations

import html
import re

import pytest

from ticker import create_app
from ticker._languages import LANGUAGE_NAMES, language_tag
from ticker._serving.responses import WIDGET_CSP
from ticker._strip.landing_page import Shown, embed_snippets, render_landing, service_address
from ticker._wire import ErrorBody

from .conftest import NOW, SETTINGS_YAML, make_settings


@pytest.fixture
async def client(aiohttp_client, settings, filled_store):
    """The service over the reference values, at a frozen time."""
    return await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))


async def _page(client) -> str:
    response = await client.get("/")
    assert response.status == 200
    return await response.text()


async def test_landing_shows_the_strip_in_each_configured_language(client, settings):
    """Each configured language's fragment is on the page, exactly as /widget serves it."""
    page = await _page(client)
    for lang in settings.languages:
        tag = language_tag(lang)
        fragment = await (await client.get("/widget", params={"lang": tag})).text()
        assert fragment in page
        assert f'<section lang="{tag}">' in page
        assert html.escape(LANGUAGE_NAMES[lang]) in page
    assert "445.99" in page
    assert page.count('<div class="ticker"') == len(settings.languages)


async def test_landing_has_every_embed_snippet_to_copy(client):
    """The include, iframe, script, element and image snippets are shown, escaped, for copying."""
    page = await _page(client)
    for needle in (
        "&lt;!--# include virtual=&quot;/ticker/widget?lang=en&quot; --&gt;",
        "&lt;iframe src=&quot;http://127.0.0.1:8080/widget/frame?lang=en&quot;",
        "&lt;script src=&quot;http://127.0.0.1:8080/widget.js&quot; defer&gt;",
        "&lt;div data-ticker data-lang=&quot;en&quot;&gt;",
        "&lt;ticker-strip lang=&quot;en&quot;&gt;&lt;/ticker-strip&gt;",
        "http://127.0.0.1:8080/widget.mjs",
        "http://127.0.0.1:8080/v1/strip.png?lang=en&amp;amp;width=600",
        "http://127.0.0.1:8080/v1/card.png?lang=en",
    ):
        assert needle in page


async def test_landing_links_the_docs_the_document_and_readiness(client):
    """/docs, /openapi.json and /readyz are linked, and each link answers."""
    page = await _page(client)
    for path in ("/docs", "/openapi.json", "/readyz"):
        assert f'<a href="{path}">' in page
        assert (await client.get(path)).status in (200, 503)  # /readyz: 503 until complete


async def test_landing_runs_no_script_under_the_widget_csp(client):
    """The page is HTML under the widget's policy: no script, nothing loaded but widget.css."""
    response = await client.get("/")
    assert response.content_type == "text/html"
    assert response.charset == "utf-8"
    assert response.headers["Content-Security-Policy"] == WIDGET_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = await response.text()
    assert "<script" not in page  # the script snippet is shown escaped, never run
    assert "style=" not in page.replace("style=&quot;", "")  # no inline style but in a snippet
    loaded = re.findall(r'<link[^>]+href="([^"]+)"', page)
    assert loaded == ["/widget.css"]


async def test_landing_names_the_day_s_card_as_og_image(aiohttp_client, filled_store):
    """With server.public_url, the card of the first language is the absolute og:image."""
    settings = make_settings(SETTINGS_YAML + "server: {public_url: 'https://ticker.example/'}\n")
    client = await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))
    page = await _page(client)
    assert '<meta property="og:image" content="https://ticker.example/v1/card.png?lang=en">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert "https://ticker.example/widget/frame?lang=en" in page


async def test_landing_is_revalidated_with_its_etag(client):
    """The page has a strong ETag and the strip's Cache-Control; a match answers 304."""
    first = await client.get("/")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = await client.get("/", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.headers["ETag"] == etag
    assert (await client.head("/")).status == 200


async def test_landing_refuses_a_query(client):
    """Like every endpoint that takes no parameter, / answers a query with a 400."""
    response = await client.get("/", params={"lang": "ru"})
    assert response.status == 400
    body = ErrorBody.model_validate_json(await response.read())
    assert (body.error, body.parameter) == ("bad_request", "lang")


async def test_landing_takes_only_get_and_head(client):
    """Another method on / is a 405 naming GET and HEAD; another path stays a 404."""
    response = await client.post("/")
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"
    missing = await client.get("/index.html")
    assert missing.status == 404
    assert "/" in ErrorBody.model_validate_json(await missing.read()).allowed


async def test_landing_is_described_in_the_openapi_document(client):
    """/ is an operation of /openapi.json, with its HTML answer, a 304 and a 400."""
    document = await (await client.get("/openapi.json")).json()
    operation = document["paths"]["/"]["get"]
    assert set(operation["responses"]) == {"200", "304", "400"}
    assert "text/html" in operation["responses"]["200"]["content"]


def test_landing_page_escapes_what_it_is_given():
    """A language name or address with markup reaches the page only escaped."""
    shown = [Shown("en", "<b>English</b>", '<div class="ticker"></div>')]
    page = render_landing(shown, base='https://x.example/"><script>', strip_title="<i>t</i>")
    assert "<b>English</b>" not in page
    assert "<script>" not in page
    assert "<i>" not in page
    assert "title=&quot;&amp;lt;i&amp;gt;t&amp;lt;/i&amp;gt;&quot;" in page  # escaped, then shown


def test_snippets_follow_the_service_address():
    """The snippets name server.public_url, else the listen address (127.0.0.1 for any)."""
    settings = make_settings(SETTINGS_YAML + "server: {host: 0.0.0.0, port: 9000}\n")
    assert service_address(settings.server) == "http://127.0.0.1:9000"
    assert service_address(make_settings(SETTINGS_YAML + "server: {host: '::1'}\n").server) == (
        "http://[::1]:8080"
    )
    snippets = dict(embed_snippets("https://t.example", "ru", "Курсы"))
    assert any('src="https://t.example/widget/frame?lang=ru"' in code for code in snippets.values())
