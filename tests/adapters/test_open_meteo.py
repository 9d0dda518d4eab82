"""OpenMeteoWeather: the Open-Meteo forecast API's current values, details and local days."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import ValidationError

from ticker import City, SourceSettings, UpstreamFormatError, UpstreamUnavailable
from ticker._models import DayForecast
from ticker_adapters.open_meteo import OpenMeteoWeather

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


def _detailed(**parts):
    """The fixture of today's request (details, tomorrow), with ``parts`` replaced."""
    document = json.loads((FIXTURES / "open_meteo_astana_details.json").read_bytes())
    document.update(parts)
    return {key: value for key, value in document.items() if value is not None}


def _with_current(units=None, **values):
    """The detailed fixture with current ``values`` and ``units`` changed."""
    document = _detailed()
    document["current"].update(values)
    document["current_units"].update(units or {})
    return document


def _with_tomorrow(**values):
    """The detailed fixture with tomorrow's daily ``values`` (index 1) changed."""
    document = _detailed()
    for key, value in values.items():
        document["daily"][key][1] = value
    return document


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
        (
            _body(_astana(daily=_daily(["2026-11-28"], [None], [17.6]))),
            "null or not a number for 2026-11-28",
        ),
        (
            _body(_astana(daily=_daily(["2026-11-28"], ["warm"], [17.6]))),
            "null or not a number for 2026-11-28",
        ),
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
        "text-daily-max",
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
            "current": "temperature_2m,weather_code,apparent_temperature,"
            "relative_humidity_2m,wind_speed_10m,wind_gusts_10m,is_day",
            "daily": "temperature_2m_max,temperature_2m_min,weather_code",
            "timezone": "Asia/Almaty",
            "forecast_days": "2",
            "temperature_unit": "celsius",
            "wind_speed_unit": "ms",
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


# --- details and tomorrow -------------------------------------------------------------------

#: The details of the detailed fixture, as Weather holds them.
DETAILS = {
    "feels_like": -13.6,
    "humidity": 86.0,
    "wind_speed": 5.3,
    "wind_gust": 11.2,
    "is_day": True,
    "tomorrow": DayForecast(date=dt.date(2026, 11, 29), min=-11.6, max=-2.3, code=3),
}


def _details(reading) -> dict:
    return {name: getattr(reading, name) for name in DETAILS}


def test_every_detail_and_tomorrow_are_mapped(weather):
    """Today's answer gives apparent temperature, humidity, wind, gusts, daylight and tomorrow."""
    reading = weather.parse(_body(_detailed()), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == DETAILS
    assert (reading.temperature, reading.min, reading.max, reading.code) == (-7.4, -9.8, -5.1, 71)


def test_an_answer_without_details_has_none(weather):
    """The answer to the old request (no details, one day) reads with every detail None."""
    reading = weather.parse(_body(_astana()), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == dict.fromkeys(DETAILS)
    assert reading.temperature == 19.2


@pytest.mark.parametrize(
    ("unit", "speed", "gust"),
    [
        ("m/s", 5.3, 11.2),
        ("km/h", 19.1, 40.3),
        ("mp/h", 11.9, 25.1),
        ("kn", 10.3, 21.8),
    ],
    ids=["metres-per-second", "km-per-hour", "mp-per-hour", "knots"],
)
def test_wind_in_any_open_meteo_unit_is_converted_to_metres_per_second(weather, unit, speed, gust):
    """A proxy's or an old cache's km/h, mph or knots are read as m/s, to 0.1."""
    document = _with_current(
        {"wind_speed_10m": unit, "wind_gusts_10m": unit}, wind_speed_10m=speed, wind_gusts_10m=gust
    )
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.wind_speed, reading.wind_gust) == (5.3, 11.2)


def test_fahrenheit_answer_converts_apparent_temperature_and_tomorrow(weather):
    """An answer in °F gives the apparent temperature and tomorrow's range in °C."""
    document = _detailed(
        current_units={"temperature_2m": "°F", "apparent_temperature": "°F"},
        daily_units=FAHRENHEIT,
    )
    document["current"].update(temperature_2m=18.7, apparent_temperature=7.5)
    document["daily"].update(temperature_2m_max=[22.8, 27.9], temperature_2m_min=[14.4, 11.1])
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.temperature, reading.min, reading.max) == (-7.4, -9.8, -5.1)
    assert (reading.feels_like, reading.tomorrow) == (-13.6, DETAILS["tomorrow"])


@pytest.mark.parametrize(
    ("units", "refused"),
    [
        ({"wind_speed_10m": "Beaufort"}, "wind_speed"),
        ({"wind_gusts_10m": "undefined"}, "wind_gust"),
        ({"apparent_temperature": "K"}, "feels_like"),
        ({"relative_humidity_2m": "g/m³"}, "humidity"),
    ],
    ids=["beaufort-wind", "undefined-gusts", "kelvin-apparent", "absolute-humidity"],
)
def test_a_detail_in_an_unknown_unit_is_left_out(weather, units, refused):
    """A detail whose unit the adapter does not know is None; every other value stays."""
    reading = weather.parse(_body(_with_current(units)), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == DETAILS | {refused: None}


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({"relative_humidity_2m": 140}, "humidity"),
        ({"wind_speed_10m": float("nan")}, "wind_speed"),
        ({"wind_gusts_10m": -3.0}, "wind_gust"),
        ({"wind_gusts_10m": 10**400}, "wind_gust"),
        ({"apparent_temperature": "cold"}, "feels_like"),
        ({"apparent_temperature": 120.0}, "feels_like"),
        ({"is_day": 2}, "is_day"),
        ({"relative_humidity_2m": None}, "humidity"),
    ],
    ids=[
        "humidity-140",
        "nan-wind",
        "negative-gust",
        "a-400-digit-gust",
        "text-apparent",
        "apparent-120",
        "is-day-2",
        "null-humidity",
    ],
)
def test_a_bad_detail_costs_only_that_detail(weather, values, refused):
    """A detail beyond its bounds or not a number is None; the reading and the rest stay."""
    reading = weather.parse(_body(_with_current(**values)), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == DETAILS | {refused: None}
    assert (reading.temperature, reading.min, reading.max) == (-7.4, -9.8, -5.1)


@pytest.mark.parametrize(
    "daily",
    [
        {"temperature_2m_min": 5.0},
        {"temperature_2m_max": float("nan")},
        {"temperature_2m_min": None},
        {"temperature_2m_max": "warm"},
        {"temperature_2m_max": 99.0},
        {"weather_code": 100},
    ],
    ids=["min-above-max", "nan-max", "null-min", "text-max", "max-99", "code-100"],
)
def test_a_bad_tomorrow_costs_only_tomorrow(weather, daily):
    """A daily value of tomorrow's that the bounds refuse leaves tomorrow None, today intact."""
    reading = weather.parse(_body(_with_tomorrow(**daily)), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == DETAILS | {"tomorrow": None}
    assert (reading.date, reading.min, reading.max) == (dt.date(2026, 11, 28), -9.8, -5.1)


@pytest.mark.parametrize(
    ("daily", "tomorrow"),
    [
        (
            {
                "time": ["2026-11-27", "2026-11-28", "2026-11-29"],
                "temperature_2m_max": [-1.0, -5.1, -2.3],
                "temperature_2m_min": [-4.0, -9.8, -11.6],
                "weather_code": [61, 71, 3],
            },
            DETAILS["tomorrow"],
        ),
        (
            {
                "time": ["2026-11-28", "2026-11-29"],
                "temperature_2m_max": [-5.1, -2.3],
                "temperature_2m_min": [-9.8, -11.6],
            },
            DETAILS["tomorrow"].model_copy(update={"code": None}),
        ),
        (
            {
                "time": ["2026-11-28", "2026-11-30"],
                "temperature_2m_max": [-5.1, -2.3],
                "temperature_2m_min": [-9.8, -11.6],
                "weather_code": [71, 3],
            },
            None,
        ),
    ],
    ids=["past-days-1", "no-daily-code", "no-entry-for-tomorrow"],
)
def test_tomorrow_is_the_daily_entry_of_the_next_local_day(weather, daily, tomorrow):
    """Tomorrow is the entry dated the day after current.time's, wherever it is; else None."""
    reading = weather.parse(_body(_detailed(daily=daily)), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.tomorrow == tomorrow


def test_legacy_current_weather_gives_wind_and_daylight(weather):
    """The legacy current_weather block's windspeed (km/h) and is_day are read too."""
    document = _detailed(
        current=None,
        current_units=None,
        current_weather_units={"temperature": "°C", "windspeed": "km/h"},
        current_weather={
            "time": "2026-11-28T10:15",
            "temperature": -7.4,
            "windspeed": 19.1,
            "winddirection": 230,
            "is_day": 0,
            "weathercode": 71,
        },
    )
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.wind_speed, reading.is_day, reading.wind_gust, reading.humidity) == (
        5.3,
        False,
        None,
        None,
    )
