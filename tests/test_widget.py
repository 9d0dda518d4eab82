"""The forms of the strip a page embeds, and the headers that keep them safe."""

from __future__ import annotations

import gzip
import re

import pytest

from ticker import Store, create_app

from .conftest import NOW, SETTINGS_YAML, make_settings
from .test_strip import REFERENCE_LINE

#: The reference deployment with its real sources named (nothing is fetched in these tests).
REAL_SOURCES = SETTINGS_YAML.replace(
    'sources: [{adapter: static, rates: {USD: "445.99"}}]', "sources: [{adapter: nbk}]"
).replace(
    "sources: [{adapter: static, cities: {astana: {temperature: 19, min: 18, max: 20}}}]",
    "sources: [{adapter: open-meteo}]",
)


def varies(response) -> set[str]:
    """The header names a response says it varies on."""
    return {
        name.strip() for value in response.headers.getall("Vary", []) for name in value.split(",")
    }


def visible_text(html: str) -> str:
    """Roughly what a reader sees: tags dropped, entities kept, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


async def client_for(aiohttp_client, store: Store, text: str = REAL_SOURCES):
    """A test client of an app with the given settings text."""
    return await aiohttp_client(create_app(make_settings(text), store=store, clock=lambda: NOW))


@pytest.fixture
async def client(aiohttp_client, filled_store: Store):
    """The reference deployment, naming NBK and Open-Meteo as its sources."""
    return await client_for(aiohttp_client, filled_store)


async def test_plain_text_strip(client):
    """/v1/strip.txt is the strip line for terminals, bots and SMS."""
    response = await client.get("/v1/strip.txt", params={"lang": "en"})
    assert (response.content_type, response.charset) == ("text/plain", "utf-8")
    assert await response.text() == REFERENCE_LINE + "\n"


async def test_full_preset_shows_arrows_and_changes(client):
    """The default preset adds the move against the previous publication."""
    html = await (await client.get("/widget", params={"lang": "en"})).text()
    assert visible_text(html).startswith(
        "usd/kzt 445.99 ▲+1.02 eur/kzt 486.53 ▼-0.86 rub/kzt 5.78 =0.00"
    )


async def test_reference_preset_reproduces_the_reference_strip(aiohttp_client, filled_store):
    """widget.preset: reference shows exactly the reference strip, plus the source credits."""
    text = "widget: {preset: reference}\n" + REAL_SOURCES
    client = await client_for(aiohttp_client, filled_store, text)
    html = await (await client.get("/widget", params={"lang": "en"})).text()
    assert visible_text(html) == REFERENCE_LINE + "ⓘⓘ"


async def test_sources_are_credited_with_links(client):
    """The credits the upstreams' terms ask for are linked from the strip."""
    html = await (await client.get("/widget")).text()
    assert 'href="https://open-meteo.com/"' in html
    assert 'title="Weather data by Open-Meteo.com"' in html
    assert 'href="https://nationalbank.kz/"' in html
    strip = await (await client.get("/v1/strip")).json()
    assert [credit["source"] for credit in strip["sources"]] == ["nbk", "open-meteo"]


async def test_fragment_is_under_two_kilobytes_gzipped(client):
    """The default strip's fragment stays small enough to inline on every page."""
    html = await (await client.get("/widget", params={"lang": "ru"})).read()
    assert len(gzip.compress(html, 9)) < 2048


async def test_frame_is_a_complete_page_without_script(client):
    """/widget/frame is a whole document with the stylesheet, lang and dir, and no script."""
    response = await client.get("/widget/frame", params={"lang": "ru", "theme": "dark"})
    html = await response.text()
    assert html.startswith('<!doctype html>\n<html lang="ru" dir="ltr">')
    assert '<link rel="stylesheet" href="/widget.css">' in html
    assert 'data-theme="dark"' in html
    assert "<script" not in html


async def test_bad_theme_lists_the_themes(client):
    """An unknown theme is a 400 naming the allowed ones."""
    body = await (await client.get("/widget/frame", params={"theme": "pink"})).json()
    assert (body["parameter"], body["allowed"]) == ("theme", ["auto", "light", "dark"])


async def test_rtl_in_every_form(aiohttp_client, filled_store):
    """The Arabic-script Kazakh strip is rtl in JSON, fragment and frame."""
    client = await client_for(
        aiohttp_client, filled_store, REAL_SOURCES.replace("[en, ru, kk, zh]", "[en, kk-Arab]")
    )
    strip = await (await client.get("/v1/strip", params={"lang": "kk-Arab"})).json()
    fragment = await (await client.get("/widget", params={"lang": "kk-Arab"})).text()
    frame = await (await client.get("/widget/frame", params={"lang": "kk-Arab"})).text()
    assert strip["dir"] == "rtl"
    assert strip["weather"][0]["name"] == "استانا"
    assert '<div class="ticker" lang="kk-Arab" dir="rtl"' in fragment
    assert '<html lang="kk-Arab" dir="rtl">' in frame
    assert '<span class="ticker-value" dir="ltr">+18+20℃</span>' in fragment


async def test_script_is_configured_and_safe(client):
    """/widget.js knows the preset and uses no eval and no innerHTML."""
    response = await client.get("/widget.js")
    script = await response.text()
    assert response.content_type == "text/javascript"
    assert 'var PRESET = "full";' in script
    for forbidden in ("eval(", "innerHTML", "new Function", "document.write", "style="):
        assert forbidden not in script


async def test_stylesheet_themes_with_custom_properties(client):
    """/widget.css is CSS with a fixed height and the documented custom properties."""
    response = await client.get("/widget.css")
    css = await response.text()
    assert response.content_type == "text/css"
    for name in ("--ticker-height", "--ticker-bg", "--ticker-dark-bg", "--ticker-font"):
        assert name in css
    assert "prefers-color-scheme: dark" in css


@pytest.mark.parametrize("path", ["/widget", "/widget/frame"])
async def test_widget_pages_send_a_strict_csp(client, path):
    """The widget's pages may load only our stylesheet and run no script."""
    response = await client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/v1/strip", "/v1/strip.txt", "/widget.js", "/healthz"])
async def test_data_is_never_sniffed_or_framed(client, path):
    """Data and scripts are sent with nosniff and a CSP that allows nothing."""
    response = await client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    )


async def test_cors_is_open_by_default(client):
    """The data is public: any page may read it."""
    response = await client.get("/v1/strip", headers={"Origin": "https://news.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_cors_allow_list(aiohttp_client, filled_store):
    """With an allow-list, a listed origin is echoed and others get no CORS header."""
    text = REAL_SOURCES.replace(
        "languages:", "server: {cors_origins: ['https://news.example']}\nlanguages:"
    )
    client = await client_for(aiohttp_client, filled_store, text)
    allowed = await client.get("/v1/strip", headers={"Origin": "https://news.example"})
    other = await client.get("/v1/strip", headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Origin" in varies(allowed)


async def test_accept_language_picks_the_language_without_lang(client):
    """Without ?lang the browser's languages decide, and the answer says it varies."""
    response = await client.get("/v1/strip", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert (await response.json())["lang"] == "zh-Hans"
    assert "Accept-Language" in varies(response)
    explicit = await client.get("/v1/strip?lang=ru", headers={"Accept-Language": "zh"})
    assert (await explicit.json())["lang"] == "ru"
    assert "Accept-Language" not in varies(explicit)


async def test_locale_numbers_are_a_site_choice(aiohttp_client, filled_store):
    """widget.numbers: locale writes 445,99 in Russian; plain keeps 445.99."""
    client = await client_for(
        aiohttp_client, filled_store, "widget: {numbers: locale}\n" + REAL_SOURCES
    )
    strip = await (await client.get("/v1/strip", params={"lang": "ru"})).json()
    assert strip["rates"][0]["text"] == "445,99"
    assert strip["rates"][0]["rate"] == "445.99"


async def test_conditions_and_currency_names_in_the_language(client):
    """Each city gets its condition words and each rate its currency name."""
    strip = await (await client.get("/v1/strip", params={"lang": "ru"})).json()
    assert strip["weather"][0]["condition"] == "Переменная облачность"
    assert strip["rates"][0]["name"] == "доллар США"
    assert strip["labels"]["rates"] == "Курсы валют"


async def test_sparklines_are_inline_svg_without_script(aiohttp_client, store):
    """With history.sparkline_days the fragment draws each rate's last days as inline SVG."""
    import datetime as dt

    from ticker._data.history import History

    from .conftest import rate, weather

    settings = make_settings("history: {sparkline_days: 30}\n" + REAL_SOURCES)
    history = History(store.backend, settings.history, clock=lambda: NOW)
    history.record(
        rate("USD", value, date=dt.date(2026, 11, day))
        for day, value in ((25, "441.10"), (26, "443.50"), (27, "445.99"))
    )
    store.put_rates([rate("USD", "445.99")])
    store.put_weather([weather()])
    client = await aiohttp_client(create_app(settings, store=store, clock=lambda: NOW))
    html = await (await client.get("/widget", params={"lang": "en"})).text()
    usd = html.split('data-code="USD"')[1].split("</li>")[0]
    assert "<svg" in usd
    assert "<polyline" in usd
    assert "<script" not in html


@pytest.mark.parametrize("overflow", ["hide", "scroll"], ids=["default", "scroll"])
async def test_overflow_setting_reaches_every_embedding(aiohttp_client, filled_store, overflow):
    """widget.overflow is the strip's data-overflow in the fragment, the frame and the script."""
    widget = "" if overflow == "hide" else "widget: {overflow: scroll}\n"
    client = await client_for(aiohttp_client, filled_store, widget + REAL_SOURCES)
    for path in ("/widget", "/widget/frame"):
        html = await (await client.get(path, params={"lang": "en"})).text()
        assert f'data-overflow="{overflow}"' in html, path
    script = await (await client.get("/widget.js")).text()
    assert f'var OVERFLOW = "{overflow}";' in script
