"""The HTTP service against a real app on loopback: JSON contract, widget, errors."""

from __future__ import annotations

import datetime as dt

import pytest

from ticker import Store, create_app

from .conftest import NOW, SETTINGS_YAML, make_settings, weather
from .test_strip import REFERENCE_LINE

RATE_FIELDS = {
    "code", "base", "rate", "quant", "published", "change", "direction", "date", "source",
    "fetched_at", "stale", "age", "label", "text", "missing", "derived", "reason", "name",
    "change_text", "reason_code",
}  # fmt: skip
WEATHER_FIELDS = {
    "city", "name", "temperature", "min", "max", "code", "date", "source", "fetched_at",
    "observed_at", "stale", "age", "text", "missing", "timezone", "reason", "condition",
    "reason_code", "feels_like", "wind_speed", "wind_gust", "humidity", "is_day", "tomorrow",
}  # fmt: skip


@pytest.fixture
async def client(aiohttp_client, settings, filled_store: Store):
    """A test client of the app serving the reference values at a frozen time."""
    return await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))


async def test_strip_json_contract(client):
    """/v1/strip carries every documented field, rates as exact decimal strings."""
    response = await client.get("/v1/strip", params={"lang": "ru"})
    assert response.status == 200
    assert response.content_type == "application/json"
    body = await response.json()
    assert set(body) == {
        "lang",
        "dir",
        "rates",
        "weather",
        "text",
        "sources",
        "labels",
        "unit",
        "generated_at",
    }
    assert [item["code"] for item in body["rates"]] == ["USD", "EUR", "RUB", "CNY"]
    usd = body["rates"][0]
    assert set(usd) == RATE_FIELDS
    assert usd == usd | {
        "base": "KZT",
        "rate": "445.99",
        "published": "445.99",
        "quant": 1,
        "change": "1.02",
        "direction": "up",
        "date": "2026-11-28",
        "source": "nbk",
        "fetched_at": "2026-11-28T10:00:00Z",
        "stale": False,
        "label": "usd/kzt",
        "text": "445.99",
    }
    astana = body["weather"][0]
    assert set(astana) == WEATHER_FIELDS
    assert astana == astana | {
        "city": "astana",
        "name": "Астана",
        "min": 17.6,
        "max": 19.5,
        "text": "+18+20℃",
        "timezone": "Asia/Almaty",
    }
    assert body["text"] == REFERENCE_LINE.replace("Astana", "Астана")
    assert body["generated_at"] == "2026-11-28T10:00:00Z"


async def test_default_language_is_the_first_configured(client):
    """Without lang the strip is in the first configured language."""
    body = await (await client.get("/v1/strip")).json()
    assert body["lang"] == "en"
    assert body["text"] == REFERENCE_LINE


async def test_rates_and_weather_halves(client):
    """/v1/rates and /v1/weather give the two halves of the strip."""
    rates = await (await client.get("/v1/rates")).json()
    weather_half = await (await client.get("/v1/weather", params={"lang": "zh"})).json()
    assert rates["text"] == "usd/kzt 445.99 eur/kzt 486.53 rub/kzt 5.78 cny/kzt 64.16"
    assert [r["code"] for r in rates["rates"]] == ["USD", "EUR", "RUB", "CNY"]
    assert weather_half["text"] == "阿斯塔纳 +18+20℃"
    assert "rates" not in weather_half


async def test_widget_fragment_text(client):
    """/widget is an HTML fragment reading like the reference strip."""
    response = await client.get("/widget", params={"lang": "kk"})
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.charset == "utf-8"
    html = await response.text()
    assert html.startswith('<div class="ticker" lang="kk" dir="ltr"')
    usd = (
        '<span class="ticker-label" dir="ltr">usd/kzt</span> '
        '<span class="ticker-value" dir="ltr">445.99'
    )
    astana = '<span class="ticker-name">Астана</span> <span class="ticker-value" dir="ltr">+18+20℃'
    assert usd in html
    assert astana in html
    assert 'class="ticker-rate ticker-up"' in html


async def test_widget_escapes_config_and_upstream_strings(aiohttp_client, store: Store):
    """A hostile city name is shown as text, never as markup."""
    hostile = SETTINGS_YAML.replace("en: Astana", "en: '<img src=x onerror=alert(1)>\"'")
    store.put_weather([weather()])
    app = create_app(make_settings(hostile), store=store, clock=lambda: NOW)
    html = await (await (await aiohttp_client(app)).get("/widget")).text()
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;" in html


@pytest.mark.parametrize(
    ("query", "parameter", "allowed"),
    [
        ("lang=xx", "lang", ["en", "ru", "kk", "zh-Hans"]),
        ("lang=", "lang", ["en", "ru", "kk", "zh-Hans"]),
        ("lang=ru&lang=en", "lang", ["en", "ru", "kk", "zh-Hans"]),
        ("colour=red", "colour", ["lang", "units"]),
    ],
    ids=["unknown-lang", "empty-lang", "repeated-lang", "unknown-parameter"],
)
@pytest.mark.parametrize("path", ["/v1/strip", "/v1/rates", "/v1/weather", "/widget"])
async def test_bad_query_is_a_400_listing_what_is_allowed(client, path, query, parameter, allowed):
    """A bad parameter gets 400 with a JSON body naming it and what is allowed."""
    if path == "/widget" and parameter == "colour":
        allowed = ["lang", "theme", "units"]
    response = await client.get(f"{path}?{query}")
    assert response.status == 400
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["error"] == "bad_request"
    assert (body["parameter"], body["allowed"]) == (parameter, allowed)


async def test_unknown_path_is_a_json_404(client):
    """An unknown path answers 404 in JSON and lists the endpoints."""
    response = await client.get("/v2/everything")
    assert response.status == 404
    body = await response.json()
    assert "/v1/strip" in body["allowed"]


async def test_healthz(client):
    """The health check answers while the process serves, saying who it is."""
    import os

    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 200
    assert body == body | {"status": "ok", "pid": os.getpid(), "leader": False}
    assert (
        body["etag"]
        == (await client.get("/v1/strip", headers={"Accept-Encoding": ""})).headers["ETag"]
    )
    assert response.headers["Cache-Control"] == "no-store"


async def test_empty_cache_answers_with_missing_items(aiohttp_client, settings, store: Store):
    """With nothing cached yet the strip is a valid body, every item marked missing."""
    client = await aiohttp_client(create_app(settings, store=store, clock=lambda: NOW))
    response = await client.get("/v1/strip")
    assert response.status == 200
    body = await response.json()
    assert all(item["missing"] for item in body["rates"] + body["weather"])
    assert body["rates"][0]["rate"] is None


async def test_stale_values_carry_a_discreet_marker(aiohttp_client, settings, store: Store):
    """A stale value is still shown, with a marker whose tooltip says why."""
    from .conftest import REFERENCE_RATES

    store.put_rates(REFERENCE_RATES)
    later = lambda: NOW + dt.timedelta(hours=3)  # noqa: E731 -- a clock three hours on
    client = await aiohttp_client(create_app(settings, store=store, clock=later))
    html = await (await client.get("/widget")).text()
    assert (
        '<abbr class="ticker-stale-mark" title="Not up to date: last refreshed 3 hours ago">'
        "*</abbr>" in html
    )
    body = await (await client.get("/v1/strip")).json()
    assert (body["rates"][0]["stale"], body["rates"][0]["age"]) == (True, 10800)


async def test_readyz_says_ready_with_sources(client, filled_store):
    """/readyz is 200 when every item has a value and lists each source's last outcome."""
    filled_store.record("rates", "static", at=NOW)
    response = await client.get("/readyz")
    body = await response.json()
    assert response.status == 200
    assert body["ready"] is True
    assert {item["item"] for item in body["items"]} == {"USD", "EUR", "RUB", "CNY", "astana"}
    rates_source = next(s for s in body["sources"] if s["kind"] == "rates")
    assert rates_source["last_success"] == "2026-11-28T10:00:00Z"
    assert response.headers["Cache-Control"] == "no-store"


async def test_readyz_is_503_while_items_are_missing(aiohttp_client, settings, store: Store):
    """With an empty cache the service is alive but not ready."""
    client = await aiohttp_client(create_app(settings, store=store, clock=lambda: NOW))
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["ready"] is False
    assert (await client.get("/healthz")).status == 200
