"""OpenMeteoWeather: the Open-Meteo forecast API's current values and local-day range."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import ValidationError

from adapters.open_meteo import OpenMeteoWeather
from ticker import City, SourceSettings, UpstreamFormatError, UpstreamUnavailable

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED_AT = dt.datetime(2026, 11, 28, 5, 20, tzinfo=dt.UTC)
ASTANA = City(
    id="astana", name={"en": "Astana"}, latitude=51.1694, longitude=71.4491, timezone="Asia/Almaty"
)
FAHRENHEIT = {"temperature_2m": "°F", "temperature_2m_max": "°F", "temperature_2m_min": "°F"}


def _astana(**parts):
    """The Astana fixture as a dict, with top-level ``parts`` replaced (None removes one)."""
    document = json.loads((FIXTURES / "open_meteo_astana.json").read_bytes())
    document.update(parts)
    return {key: value for key, value in document.items() if value is not None}


def _body(document) -> bytes:
    return json.dumps(document).encode()


def _daily(times, maxima, minima):
    return {"time": times, "temperature_2m_max": maxima, "temperature_2m_min": minima}


@pytest.fixture
def weather():
    return OpenMeteoWeather(SourceSettings(adapter="open-meteo"))


def test_astana_fixture_gives_the_strip_range(weather):
    """The Astana fixture rounds to the strip's +18+20 and keeps the current values."""
    reading = weather.parse(_body(_astana()), city=ASTANA, fetched_at=FETCHED_AT)
    assert (round(reading.min), round(reading.max)) == (18, 20)
    assert (reading.temperature, reading.code, reading.city) == (19.2, 2, "astana")
    assert (reading.date, reading.source, reading.fetched_at) == (
        dt.date(2026, 11, 28),
        "open-meteo",
        FETCHED_AT,
    )


@pytest.mark.parametrize(
    ("timezone", "offset"),
    [("Asia/Almaty", 18000), ("Not/A_Zone", 18000), (None, 18000)],
    ids=["iana-name", "unknown-name-uses-offset", "no-name-uses-offset"],
)
def test_observed_at_is_local_time_in_utc(weather, timezone, offset):
    """current.time is local wall-clock time: 2026-11-28T10:15 in Astana is 05:15Z."""
    document = _astana(timezone=timezone, utc_offset_seconds=offset)
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.observed_at == dt.datetime(2026, 11, 28, 5, 15, tzinfo=dt.UTC)


def test_observed_at_follows_the_zone_rules(weather):
    """A zone name is used over the offset, so DST in the response's zone is honoured."""
    document = _astana(
        timezone="Europe/Berlin",
        utc_offset_seconds=3600,
        current={"time": "2026-07-01T12:00", "temperature_2m": 25.0, "weather_code": 0},
        daily=_daily(["2026-07-01"], [28.0], [16.0]),
    )
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.observed_at == dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("current_time", "daily", "expected"),
    [
        (
            "2026-11-28T10:15",
            _daily(["2026-11-27", "2026-11-28"], [25.0, 19.5], [10.0, 17.6]),
            (dt.date(2026, 11, 28), 17.6, 19.5),
        ),
        (
            "2026-11-28T10:15",
            _daily(["2026-11-28", "2026-11-29"], [19.5, 30.0], [17.6, 1.0]),
            (dt.date(2026, 11, 28), 17.6, 19.5),
        ),
        (
            "2026-11-29T00:30",
            _daily(["2026-11-28", "2026-11-29"], [19.5, 12.0], [17.6, 3.0]),
            (dt.date(2026, 11, 29), 3.0, 12.0),
        ),
    ],
    ids=["past-days-1", "forecast-days-2", "just-after-local-midnight"],
)
def test_daily_index_is_the_local_day_of_current_time(weather, current_time, daily, expected):
    """The daily entry whose date is current.time's date gives min, max and date."""
    current = {"time": current_time, "temperature_2m": 15.0, "weather_code": 1}
    reading = weather.parse(
        _body(_astana(current=current, daily=daily)), city=ASTANA, fetched_at=FETCHED_AT
    )
    assert (reading.date, reading.min, reading.max) == expected


def test_fahrenheit_is_converted_to_celsius(weather):
    """°F values are converted to °C, rounded to 0.1."""
    document = _astana(
        current={"time": "2026-11-28T10:15", "temperature_2m": 66.6, "weather_code": 2},
        current_units={"temperature_2m": "°F"},
        daily=_daily(["2026-11-28"], [67.1], [63.7]),
        daily_units=FAHRENHEIT,
    )
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.temperature, reading.min, reading.max) == (19.2, 17.6, 19.5)


@pytest.mark.parametrize(
    "parts",
    [
        {"current": {"time": "2026-11-28T10:15", "temperature_2m": 19.2, "weathercode": 2}},
        {
            "current": None,
            "current_units": None,
            "current_weather_units": {"temperature": "°C"},
            "current_weather": {"time": "2026-11-28T10:15", "temperature": 19.2, "weathercode": 2},
        },
        {
            "current": None,
            "current_units": None,
            "current_weather": {"time": "2026-11-28T10:15", "temperature": 19.2, "weathercode": 2},
        },
    ],
    ids=["weathercode", "current-weather", "current-weather-without-units"],
)
def test_legacy_spellings_are_accepted(weather, parts):
    """The old names weathercode and current_weather{temperature} read like the new ones."""
    reading = weather.parse(_body(_astana(**parts)), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.temperature, reading.code) == (19.2, 2)


def test_current_temperature_falls_back_to_the_hourly_value(weather):
    """Without current.temperature_2m, the hourly value at current.time is used."""
    document = _astana(
        current={"time": "2026-11-28T10:00", "weather_code": 2},
        hourly={"time": ["2026-11-28T09:00", "2026-11-28T10:00"], "temperature_2m": [18.1, 19.0]},
        hourly_units={"temperature_2m": "°C"},
    )
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.temperature == 19.0


@pytest.mark.parametrize("code", [0, 42, None], ids=["wmo", "outside-wmo", "absent"])
def test_weather_code_is_kept_as_given(weather, code):
    """A weather code is kept as an int even outside the WMO table; an absent one is None."""
    current = {"time": "2026-11-28T10:15", "temperature_2m": 19.2, "weather_code": code}
    reading = weather.parse(_body(_astana(current=current)), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.code == code


def test_error_body_is_a_format_error_with_the_reason(weather):
    """The documented error body raises UpstreamFormatError carrying Open-Meteo's reason."""
    body = (
        b'{"error":true,"reason":"Latitude must be in range of -90 to 90\xc2\xb0. Given: 522.52."}'
    )
    with pytest.raises(UpstreamFormatError, match=r"Latitude must be in range .* 522\.52"):
        weather.parse(body, city=ASTANA, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON"),
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "expected a JSON object, got list"),
        (b"null", "expected a JSON object, got NoneType"),
        (_body(_astana(current=None)), "current: required key is missing"),
        (_body(_astana(daily=None)), "daily: required key is missing"),
        (
            _body(_astana(daily={"time": ["2026-11-28"], "temperature_2m_max": [19.5]})),
            "daily.temperature_2m_min: required key is missing",
        ),
        (_body(_astana(current={"time": "2026-11-28T10:15"})), "current.temperature_2m"),
        (
            _body(_astana(current={"time": "2026-11-28T10:15", "temperature_2m": None})),
            "current.temperature_2m",
        ),
        (_body(_astana(daily=_daily(["2026-11-28"], [None], [17.6]))), "null for 2026-11-28"),
        (_body(_astana(daily=_daily(["2026-11-27"], [19.5], [17.6]))), "no temperature_2m_min"),
        (_body(_astana(daily_units={"temperature_2m_min": "K"})), "unit 'K'"),
        (_body(_astana(daily=_daily(["2026-11-28"], [10.0], [17.6]))), "min 17.6 is above max"),
        (
            b'{"utc_offset_seconds": 18000, "current": {"time": "2026-11-28T10:15", '
            b'"temperature_2m": NaN}, "daily": {}}',
            "finite number",
        ),
        (
            _body(_astana(current={"time": "2026-11-28T10:15+05:00", "temperature_2m": 1.0})),
            "current.time",
        ),
    ],
    ids=[
        "empty",
        "html",
        "not-utf8",
        "json-list",
        "json-null",
        "no-current",
        "no-daily",
        "no-daily-min",
        "no-current-temperature",
        "null-current-temperature",
        "null-daily-max",
        "no-daily-entry-for-today",
        "unknown-unit",
        "min-above-max",
        "nan",
        "time-with-offset",
    ],
)
def test_bad_body_is_a_format_error(weather, body, message):
    """A body without usable current and daily values raises UpstreamFormatError saying why."""
    with pytest.raises(UpstreamFormatError, match=r"^open-meteo: ") as info:
        weather.parse(body, city=ASTANA, fetched_at=FETCHED_AT)
    assert message in str(info.value)


def test_unknown_option_is_refused():
    """A key Open-Meteo's adapter does not know is refused when it is built."""
    with pytest.raises(ValidationError, match="units"):
        OpenMeteoWeather(SourceSettings(adapter="open-meteo", units="imperial"))


async def test_fetch_sends_the_documented_query(aiohttp_server, session):
    """fetch GETs v1/forecast with the city's coordinates and always its time zone."""
    queries = []

    async def handler(request):
        queries.append(dict(request.query))
        return web.json_response(_astana())

    app = web.Application()
    app.router.add_get("/v1/forecast", handler)
    server = await aiohttp_server(app)
    settings = SourceSettings(adapter="open-meteo", url=str(server.make_url("/")), retries=0)
    reading = await OpenMeteoWeather(settings).fetch(session, ASTANA)
    assert queries == [
        {
            "latitude": "51.1694",
            "longitude": "71.4491",
            "current": "temperature_2m,weather_code",
            "daily": "temperature_2m_max,temperature_2m_min",
            "timezone": "Asia/Almaty",
            "forecast_days": "1",
            "temperature_unit": "celsius",
        }
    ]
    assert reading.observed_at == dt.datetime(2026, 11, 28, 5, 15, tzinfo=dt.UTC)


async def test_fetch_error_status_is_unavailable(aiohttp_server, session):
    """Open-Meteo's HTTP 400 error answer raises UpstreamUnavailable."""

    async def handler(request):
        return web.json_response({"error": True, "reason": "bad request"}, status=400)

    app = web.Application()
    app.router.add_get("/v1/forecast", handler)
    server = await aiohttp_server(app)
    settings = SourceSettings(adapter="open-meteo", url=str(server.make_url("/")), retries=0)
    with pytest.raises(UpstreamUnavailable, match="HTTP 400"):
        await OpenMeteoWeather(settings).fetch(session, ASTANA)


def _current_at(time: str, offset: int = 18000) -> dict:
    """The fixture with its current time (and the daily day) moved to ``time``."""
    return _astana(
        current={"time": time, "temperature_2m": 19.2, "weather_code": 2},
        daily=_daily([time[:10]], [19.5], [17.6]),
        utc_offset_seconds=offset,
        timezone=None,
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_current_at("9999-12-31T23:45", offset=-36000), "current.time: dated 9999-12-31, after"),
        (_current_at("2026-11-30T10:15"), "current.time: dated 2026-11-30, after 2026-11-29"),
        (_current_at("1999-12-31T10:15"), "current.time: dated 1999-12-31, before 2000-01-01"),
        (_astana(utc_offset_seconds=10**30), "utc_offset_seconds"),
        (_astana(utc_offset_seconds=86400), "utc_offset_seconds"),
        (
            _astana(current={"time": "2026-11-28T10:15", "temperature_2m": 1, "weather_code": 100}),
            "code: Input should be less than or equal to 99",
        ),
        (
            _astana(current={"time": "2026-11-28T10:15", "temperature_2m": 10**400}),
            "temperature_2m",
        ),
    ],
    ids=[
        "year-9999-west-of-utc",
        "two-days-ahead",
        "1999",
        "offset-1e30",
        "offset-a-day",
        "weather-code-100",
        "a-400-digit-temperature",
    ],
)
def test_forecast_beyond_the_bounds_is_a_format_error(weather, document, message):
    """A time at the calendar's edge or outside the window, or a number beyond the bounds."""
    with pytest.raises(UpstreamFormatError, match=r"^open-meteo: ") as info:
        weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert message in str(info.value)
