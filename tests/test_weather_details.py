"""Weather details in the strip: feels-like, wind, humidity, tomorrow, icons, °F.

The adapters' mapping of each upstream's fields is tested with their fixtures
(tests/adapters/); here, what the strip, its JSON and the widget make of them.
"""

from __future__ import annotations

import datetime as dt
import shutil

import defusedxml.ElementTree as ElementTree
import pytest
from aiohttp import web

from ticker import Store, Weather, create_app
from ticker._models import DayForecast
from ticker._strip.build import build_strip, fahrenheit, in_units
from ticker._strip.markup import is_night, render_fragment

from .conftest import NOW, REFERENCE_RATES, SETTINGS_YAML, make_settings

TOMORROW = dt.date(2026, 11, 29)


def _reading(*, tomorrow: dt.date | None = TOMORROW, is_day: bool | None = True) -> Weather:
    return Weather(
        city="astana", temperature=-3.4, min=-5.2, max=-1.6, code=71,
        date=dt.date(2026, 11, 28), observed_at=NOW, source="open-meteo", fetched_at=NOW,
        feels_like=-9.8, wind_speed=6.4, wind_gust=11.2, humidity=81.0, is_day=is_day,
        tomorrow=None if tomorrow is None else DayForecast(date=tomorrow, min=-8.3, max=-2.4,
                                                           code=3),
    )  # fmt: skip


def _settings(extra: str = ""):
    text = SETTINGS_YAML.replace("  refresh: 15m\n", "  refresh: 15m\n  forecast_days: 2\n", 1)
    return make_settings(text + extra)


def _strip(settings, reading: Weather, lang: str = "ru"):
    rates = {rate.code: rate for rate in REFERENCE_RATES}
    return build_strip(settings, rates, {"astana": reading}, lang=lang, now=NOW)


def test_details_are_in_the_json_with_their_units():
    """feels_like (°C), wind_speed and wind_gust (m/s) and humidity (%) pass to the strip."""
    item = _strip(_settings(), _reading()).weather[0]
    assert (item.feels_like, item.wind_speed, item.wind_gust, item.humidity) == (
        -9.8, 6.4, 11.2, 81.0,
    )  # fmt: skip
    assert item.is_day is True


def test_details_an_adapter_does_not_publish_are_null():
    """A reading without details gives nulls, not zeros."""
    reading = Weather(
        city="astana", temperature=19.2, min=17.6, max=19.5, code=2, date=dt.date(2026, 11, 28),
        observed_at=NOW, source="static", fetched_at=NOW,
    )  # fmt: skip
    item = _strip(_settings(), reading).weather[0]
    assert (item.feels_like, item.wind_speed, item.wind_gust, item.humidity) == (None,) * 4
    assert item.tomorrow is None


def test_forecast_days_2_adds_tomorrow():
    """With forecast_days: 2 the item has tomorrow's date, range, text and condition."""
    item = _strip(_settings(), _reading()).weather[0]
    assert item.tomorrow is not None
    assert item.tomorrow.date == TOMORROW
    assert (item.tomorrow.min, item.tomorrow.max, item.tomorrow.code) == (-8.3, -2.4, 3)
    assert item.tomorrow.text == "-8-2℃"
    assert item.tomorrow.condition == "Пасмурно"


def test_forecast_days_1_shows_no_tomorrow():
    """Without forecast_days: 2 the strip has no tomorrow, whatever the adapter fetched."""
    settings = make_settings()
    assert _strip(settings, _reading()).weather[0].tomorrow is None


def test_a_forecast_not_for_tomorrow_is_not_shown():
    """A forecast fetched yesterday is for today by now: it is not shown as tomorrow's."""
    item = _strip(_settings(), _reading(tomorrow=dt.date(2026, 11, 28))).weather[0]
    assert item.tomorrow is None


def test_widget_shows_tomorrow_when_asked():
    """widget.tomorrow: true writes "завтра -8-2℃" after today's range; off by default."""
    settings = _settings("widget:\n  tomorrow: true\n")
    strip = _strip(settings, _reading())
    shown = render_fragment(strip, tomorrow=True)
    assert "завтра" in shown
    assert "-8-2℃" in shown
    assert "завтра" not in render_fragment(strip)


async def test_service_widget_shows_tomorrow(aiohttp_client, store: Store):
    """The served fragment shows tomorrow with widget.tomorrow and forecast_days: 2."""
    store.put_rates(REFERENCE_RATES)
    store.put_weather([_reading()])
    settings = _settings("widget:\n  tomorrow: true\n  icons: true\n")
    client = await aiohttp_client(create_app(settings, store=store, clock=lambda: NOW))
    page = await (await client.get("/widget", params={"lang": "ru"})).text()
    assert "завтра" in page
    assert 'class="ticker-icon' in page
    body = await (await client.get("/v1/strip", params={"lang": "ru"})).json()
    assert body["weather"][0]["tomorrow"]["text"] == "-8-2℃"
    imperial = await (
        await client.get("/v1/strip", params={"lang": "ru", "units": "imperial"})
    ).json()
    assert imperial["weather"][0]["tomorrow"]["text"] == "+17+28°F"
    assert imperial["weather"][0]["feels_like"] == fahrenheit(-9.8)


@pytest.mark.parametrize("lang", ["en", "ru", "kk", "zh"])
def test_icons_have_the_condition_as_their_name(lang):
    """With icons, each city's icon is an inline SVG named by the localized condition."""
    strip = _strip(_settings(), _reading(), lang=lang)
    fragment = render_fragment(strip, icons=True)
    start = fragment.index("<svg")
    icon = fragment[start : fragment.index("</svg>", start) + len("</svg>")]
    root = ElementTree.fromstring(icon)
    assert root.get("role") == "img"
    assert root.get("aria-label") == strip.weather[0].condition
    assert "<svg" not in render_fragment(strip)


def test_night_is_the_upstreams_word_else_the_local_hour():
    """is_day from the upstream decides; without it, 20:00-06:00 local time is night."""
    settings = _settings()
    assert is_night(_strip(settings, _reading(is_day=False)).weather[0])
    assert not is_night(_strip(settings, _reading(is_day=True)).weather[0])
    # NOW is 15:00 in Astana.
    assert not is_night(_strip(settings, _reading(is_day=None)).weather[0])
    late = _reading(is_day=None).model_copy(update={"observed_at": NOW + dt.timedelta(hours=7)})
    assert is_night(_strip(settings, late).weather[0])


def test_imperial_keeps_the_rates_and_bidi_of_kk_arab():
    """In kk-Arab, °F ranges are isolated left-to-right runs like the °C ones."""
    settings = make_settings(SETTINGS_YAML.replace("[en, ru, kk, zh]", "[kk-Arab, en]"))
    strip = _strip(settings, _reading(), lang="kk-Arab")
    imperial = in_units(strip, "imperial")
    assert imperial.rates == strip.rates
    assert imperial.weather[0].text == "\u2066+23+29°F\u2069"
    assert imperial.text.startswith("\u200f")
    assert imperial.unit == "°F"
    assert strip.unit == "°C"


@pytest.mark.slow
async def test_the_script_shows_tomorrow_as_the_fragment_does(aiohttp_server, store: Store):
    """widget.js writes tomorrow's range after today's, with the fragment's words and classes."""
    playwright_api = pytest.importorskip("playwright.async_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium executable on PATH")
    store.put_rates(REFERENCE_RATES)
    store.put_weather([_reading()])
    settings = _settings("widget:\n  tomorrow: true\n")
    service = await aiohttp_server(create_app(settings, store=store, clock=lambda: NOW))
    base = str(service.make_url("/"))

    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text=f'<!doctype html><div data-ticker data-lang="ru"></div>'
            f'<script src="{base}widget.js"></script>',
            content_type="text/html",
        )

    host = web.Application()
    host.router.add_get("/", page)
    site = await aiohttp_server(host)
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            tab = await browser.new_page()
            await tab.goto(str(site.make_url("/")))
            later = tab.locator("[data-ticker-ready] .ticker-tomorrow")
            await later.wait_for(timeout=10_000)
            shown = " ".join((await later.inner_text()).split())
            fragment = render_fragment(_strip(settings, _reading()), tomorrow=True)
        finally:
            await browser.close()
    assert shown == "завтра -8-2℃"
    assert 'class="ticker-tomorrow"' in fragment
