"""MetNoWeather: MET Norway's compact forecast, its local days, details and symbols."""

from __future__ import annotations

import datetime as dt
import json
from email.utils import format_datetime
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import ValidationError

from ticker import (
    City,
    ConfigError,
    SourceSettings,
    UpstreamFormatError,
    UpstreamUnavailable,
    build_sources,
    parse_settings,
)
from ticker._models import DayForecast
from ticker_adapters.met_no import MetNoWeather

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED_AT = dt.datetime(2026, 11, 28, 14, 30, tzinfo=dt.UTC)
USER_AGENT = "ticker-tests/1.0 ops@news.example"
ASTANA = City(
    id="astana", name={"en": "Astana"}, latitude=51.1694, longitude=71.4491, timezone="Asia/Almaty"
)
FORECAST_PATH = "/locationforecast/2.0/compact"
LAST_MODIFIED = "Sat, 28 Nov 2026 14:27:31 GMT"
# Every symbol of MET's legend (github.com/metno/weathericons, weather/legend.csv), with
# its own spellings "lightssleetshowersandthunder" and "lightssnowshowersandthunder".
LEGEND = [
    *("clearsky", "fair", "partlycloudy", "cloudy", "fog"),
    *("lightrain", "rain", "heavyrain"),
    *("lightrainshowers", "rainshowers", "heavyrainshowers"),
    *("lightrainandthunder", "rainandthunder", "heavyrainandthunder"),
    *("lightrainshowersandthunder", "rainshowersandthunder", "heavyrainshowersandthunder"),
    *("lightsleet", "sleet", "heavysleet"),
    *("lightsleetshowers", "sleetshowers", "heavysleetshowers"),
    *("lightsleetandthunder", "sleetandthunder", "heavysleetandthunder"),
    *("lightssleetshowersandthunder", "sleetshowersandthunder", "heavysleetshowersandthunder"),
    *("lightsnow", "snow", "heavysnow"),
    *("lightsnowshowers", "snowshowers", "heavysnowshowers"),
    *("lightsnowandthunder", "snowandthunder", "heavysnowandthunder"),
    *("lightssnowshowersandthunder", "snowshowersandthunder", "heavysnowshowersandthunder"),
]


def _forecast(start: int = 0) -> dict:
    """The Astana fixture as a dict, its timeseries starting at entry ``start``."""
    document = json.loads((FIXTURES / "met_no_astana.json").read_bytes())
    _timeseries(document)[:] = _timeseries(document)[start:]
    return document


def _timeseries(document: dict) -> list:
    return document["properties"]["timeseries"]


def _with_first(**changes) -> dict:
    """The fixture with blocks of its first entry's ``data`` replaced (None removes one)."""
    document = _forecast()
    data = _timeseries(document)[0]["data"]
    data.update(changes)
    _timeseries(document)[0]["data"] = {k: v for k, v in data.items() if v is not None}
    return document


def _symbol(code: str) -> dict:
    return {"summary": {"symbol_code": code}, "details": {}}


def _body(document) -> bytes:
    return json.dumps(document).encode()


@pytest.fixture
def weather():
    return MetNoWeather(SourceSettings(adapter="met-no", user_agent=USER_AGENT))


class Upstream:
    """A loopback api.met.no answering from a script; it records every request."""

    settings: SourceSettings

    def __init__(self) -> None:
        self.answers: list[dict] = []
        self.requests: list[web.Request] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        return web.Response(**self.answers.pop(0))


@pytest.fixture
async def upstream(aiohttp_server):
    """The scripted upstream, with settings that point the adapter at it."""
    fake = Upstream()
    app = web.Application()
    app.router.add_get(FORECAST_PATH, fake.handle)
    server = await aiohttp_server(app)
    fake.settings = SourceSettings(
        adapter="met-no", url=str(server.make_url("/")), user_agent=USER_AGENT, retries=0
    )
    return fake


def _answer(headers=None, status=200) -> dict:
    """The fixture as a JSON answer, with extra response headers."""
    return {
        "body": _body(_forecast()),
        "status": status,
        "content_type": "application/json",
        "headers": headers or {},
    }


def test_astana_fixture_gives_the_rest_of_todays_range(weather):
    """The evening fixture gives the current hour and the range of today's remaining hours."""
    reading = weather.parse(_body(_forecast()), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.temperature, reading.min, reading.max, reading.code) == (-6.3, -8.6, -6.3, 2)
    assert (reading.city, reading.date, reading.source, reading.fetched_at) == (
        "astana",
        dt.date(2026, 11, 28),
        "met-no",
        FETCHED_AT,
    )
    assert reading.observed_at == dt.datetime(2026, 11, 28, 14, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (0, (dt.date(2026, 11, 28), -8.6, -6.3)),
        (4, (dt.date(2026, 11, 28), -8.6, -8.6)),
        (5, (dt.date(2026, 11, 29), -11.8, -4.1)),
    ],
    ids=["19h-local", "23h-local-is-still-today", "19z-is-almaty-midnight"],
)
def test_local_day_ends_at_almaty_midnight(weather, start, expected):
    """Today is the first entry's Asia/Almaty date; 19:00Z already belongs to the next day."""
    reading = weather.parse(_body(_forecast(start)), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.date, reading.min, reading.max) == expected


def test_local_day_follows_the_city_zone(weather):
    """For a city on UTC the same forecast's day runs to 23:59Z and takes in 19Z-21Z."""
    city = ASTANA.model_copy(update={"timezone": "UTC"})
    reading = weather.parse(_body(_forecast()), city=city, fetched_at=FETCHED_AT)
    assert (reading.date, reading.min, reading.max) == (dt.date(2026, 11, 28), -10.9, -6.3)


def test_instant_only_last_entry_counts_for_its_day(weather):
    """The last entry has only instant data, and its temperature still joins its day's range."""
    document = _forecast(5)
    _timeseries(document)[-1]["data"]["instant"]["details"]["air_temperature"] = -15.0
    assert set(_timeseries(document)[-1]["data"]) == {"instant"}
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.min, reading.max) == (-15.0, -4.1)


def test_instant_only_forecast_has_no_code(weather):
    """A forecast of one instant-only entry gives its temperature as current, min and max."""
    document = _forecast(len(_timeseries(_forecast())) - 1)
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.temperature, reading.min, reading.max, reading.code) == (-9.0, -9.0, -9.0, None)


@pytest.mark.parametrize(
    ("symbol", "code"),
    [
        ("clearsky_day", 0),
        ("clearsky_night", 0),
        ("fair_polartwilight", 1),
        ("partlycloudy_night", 2),
        ("cloudy", 3),
        ("fog", 45),
        ("lightrain", 61),
        ("rain", 63),
        ("heavyrain", 65),
        ("lightrainshowers_day", 80),
        ("rainshowers_night", 81),
        ("heavyrainshowers_polartwilight", 82),
        ("lightsleet", 61),
        ("heavysleetshowers_day", 82),
        ("lightsnow", 71),
        ("snow", 73),
        ("heavysnow", 75),
        ("lightsnowshowers_day", 85),
        ("snowshowers_night", 85),
        ("heavysnowshowers_polartwilight", 86),
        ("rainandthunder", 95),
        ("lightssleetshowersandthunder_day", 95),
        ("lightssnowshowersandthunder_night", 95),
        ("hail", None),
        ("clearsky_dusk", None),
    ],
    ids=lambda value: str(value),
)
def test_symbol_maps_to_a_wmo_code(weather, symbol, code):
    """A symbol's _day/_night/_polartwilight suffix is stripped; unknown symbols give None."""
    document = _with_first(next_1_hours=_symbol(symbol))
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.code == code


def test_every_legend_symbol_has_a_code(weather):
    """Each of the 41 symbols of MET's legend, bare or with a suffix, maps to a WMO code."""
    unmapped = []
    for base in LEGEND:
        for symbol in (base, f"{base}_day", f"{base}_night", f"{base}_polartwilight"):
            document = _with_first(next_1_hours=_symbol(symbol))
            if weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT).code is None:
                unmapped.append(symbol)
    assert (len(LEGEND), unmapped) == (41, [])


@pytest.mark.parametrize(
    ("periods", "code"),
    [
        ({}, 2),
        ({"next_1_hours": None}, 3),
        ({"next_1_hours": None, "next_6_hours": None}, 71),
        ({"next_1_hours": {"details": {"precipitation_amount": 0.0}}}, 3),
        ({"next_1_hours": None, "next_6_hours": None, "next_12_hours": None}, None),
    ],
    ids=["next-1-hours", "next-6-hours", "next-12-hours", "period-without-summary", "none"],
)
def test_code_comes_from_the_shortest_period_with_a_symbol(weather, periods, code):
    """next_1_hours gives the code, else next_6_hours, else next_12_hours, else None."""
    reading = weather.parse(_body(_with_first(**periods)), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.code == code


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ({"air_temperature": "fahrenheit"}, "air_temperature is in 'fahrenheit'"),
        ({"air_temperature": "kelvin"}, "air_temperature is in 'kelvin'"),
        ({"wind_speed": "m/s"}, "properties.meta.units.air_temperature: required key is missing"),
    ],
    ids=["fahrenheit", "kelvin", "no-temperature-unit"],
)
def test_temperatures_must_be_celsius(weather, units, message):
    """A forecast whose air_temperature unit is not celsius is refused."""
    document = _forecast()
    document["properties"]["meta"]["units"] = units
    with pytest.raises(UpstreamFormatError, match=r"^met-no: ") as info:
        weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert message in str(info.value)


def _first_temperature(value) -> bytes:
    document = _forecast()
    _timeseries(document)[0]["data"]["instant"]["details"]["air_temperature"] = value
    return _body(document)


def _first_time(value: str) -> bytes:
    document = _forecast()
    _timeseries(document)[0]["time"] = value
    return _body(document)


def _without_properties_key(key: str) -> bytes:
    document = _forecast()
    del document["properties"][key]
    return _body(document)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON"),
        (b"<html><body><h1>Service Unavailable</h1></body></html>", "not JSON"),
        (_body(_forecast())[:700], "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[]", "expected a JSON object, got list"),
        (b"null", "expected a JSON object, got NoneType"),
        (b'{"type": "Feature"}', "properties: required key is missing"),
        (_without_properties_key("meta"), "properties.meta: required key is missing"),
        (_body(_forecast(99)), "properties.timeseries: List should have at least 1 item"),
        (_first_temperature(None), "air_temperature: Input should be a valid number"),
        (_first_temperature("cold"), "air_temperature: Input should be a valid number"),
        (_first_temperature(80.0), "temperature: Input should be less than or equal to 65"),
        (_body(_forecast()).replace(b"-6.3", b"NaN", 1), "finite number"),
        (_first_time("2026-11-28T14:00:00"), "timeseries[0].time: Input should have timezone"),
        (_first_time("soon"), "timeseries[0].time"),
    ],
    ids=[
        "empty",
        "html",
        "truncated",
        "not-utf8",
        "json-list",
        "json-null",
        "no-properties",
        "no-meta",
        "empty-timeseries",
        "null-temperature",
        "text-temperature",
        "temperature-out-of-bounds",
        "nan",
        "time-without-zone",
        "time-not-a-time",
    ],
)
def test_bad_body_is_a_format_error(weather, body, message):
    """A body without a usable forecast raises UpstreamFormatError saying why."""
    with pytest.raises(UpstreamFormatError, match=r"^met-no: ") as info:
        weather.parse(body, city=ASTANA, fetched_at=FETCHED_AT)
    assert message in str(info.value)


def test_missing_user_agent_is_refused():
    """Without user_agent the adapter refuses to start, quoting MET Norway's terms."""
    with pytest.raises(ConfigError) as info:
        MetNoWeather(SourceSettings(adapter="met-no"))
    assert info.value.problems == [
        (
            "user_agent",
            "required by MET Norway's terms: name your site and a contact, "
            "e.g. 'NewsSite/1.0 ops@news.example'",
        )
    ]


def test_missing_user_agent_is_reported_at_its_config_path():
    """Built from a settings file, the refusal names weather.sources[i].user_agent."""
    settings = parse_settings(
        """
rates: {currencies: [USD], sources: [{adapter: static, rates: {USD: "445.99"}}]}
weather:
  cities: [{id: astana, name: {en: Astana}, latitude: 51.1694, longitude: 71.4491,
            timezone: Asia/Almaty}]
  sources: [{adapter: open-meteo}, {adapter: met-no}]
"""
    )
    with pytest.raises(ConfigError, match=r"weather\.sources\[1\]\.user_agent: required by MET"):
        build_sources(settings, config_source="ticker.yaml")


def test_unknown_option_is_refused():
    """A key MET Norway's adapter does not know is refused when it is built."""
    with pytest.raises(ValidationError, match="variant"):
        MetNoWeather(SourceSettings(adapter="met-no", user_agent=USER_AGENT, variant="complete"))


async def test_fetch_identifies_itself_and_sends_the_coordinates(upstream, session):
    """fetch GETs the compact forecast with the configured User-Agent and lat/lon."""
    upstream.answers = [_answer()]
    reading = await MetNoWeather(upstream.settings).fetch(session, ASTANA)
    [request] = upstream.requests
    assert request.path == FORECAST_PATH
    assert dict(request.query) == {"lat": "51.1694", "lon": "71.4491"}
    assert request.headers["User-Agent"] == USER_AGENT
    assert (reading.temperature, reading.min, reading.max) == (-6.3, -8.6, -6.3)


@pytest.mark.parametrize(
    ("latitude", "longitude", "query"),
    [
        (51.169449, 71.449051, {"lat": "51.1694", "lon": "71.4491"}),
        (43.23805, 76.94565, {"lat": "43.2381", "lon": "76.9457"}),
        (43.25, 77.0, {"lat": "43.25", "lon": "77"}),
        (-0.00001, -179.99999, {"lat": "0", "lon": "-180"}),
    ],
    ids=["rounded-down", "rounded-up", "no-trailing-zeros", "no-negative-zero"],
)
async def test_coordinates_have_at_most_four_decimals(
    upstream, session, latitude, longitude, query
):
    """Coordinates are rounded to 4 decimals, as MET's terms ask, without trailing zeros."""
    upstream.answers = [_answer()]
    city = ASTANA.model_copy(update={"latitude": latitude, "longitude": longitude})
    await MetNoWeather(upstream.settings).fetch(session, city)
    assert dict(upstream.requests[0].query) == query


async def test_no_request_before_expires(upstream, session):
    """A second fetch before the answer's Expires reuses it without asking MET again."""
    expires = format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30), usegmt=True)
    upstream.answers = [_answer({"Expires": expires, "Last-Modified": LAST_MODIFIED})]
    weather = MetNoWeather(upstream.settings)
    first = await weather.fetch(session, ASTANA)
    second = await weather.fetch(session, ASTANA)
    assert len(upstream.requests) == 1
    assert second.model_dump(exclude={"fetched_at"}) == first.model_dump(exclude={"fetched_at"})


async def test_after_expires_if_modified_since_and_304_reuse_the_forecast(upstream, session):
    """After Expires, fetch sends If-Modified-Since = Last-Modified and a 304 reuses the body."""
    expired = format_datetime(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1), usegmt=True)
    upstream.answers = [
        _answer({"Expires": expired, "Last-Modified": LAST_MODIFIED}),
        {"status": 304, "headers": {"Expires": expired, "Last-Modified": LAST_MODIFIED}},
    ]
    weather = MetNoWeather(upstream.settings)
    first = await weather.fetch(session, ASTANA)
    second = await weather.fetch(session, ASTANA)
    assert "If-Modified-Since" not in upstream.requests[0].headers
    assert upstream.requests[1].headers["If-Modified-Since"] == LAST_MODIFIED
    assert second.model_dump(exclude={"fetched_at"}) == first.model_dump(exclude={"fetched_at"})


async def test_deprecation_status_203_still_gives_a_reading(upstream, session):
    """MET's 203 (product deprecated or in beta) carries a good forecast."""
    upstream.answers = [_answer(status=203)]
    reading = await MetNoWeather(upstream.settings).fetch(session, ASTANA)
    assert reading.temperature == -6.3


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, b"<html><body>400 Bad Request: lat out of range</body></html>"),
        (403, b"<html><body>403 Forbidden: identify yourself</body></html>"),
        (422, b"<html><body>422 location outside coverage</body></html>"),
    ],
    ids=["bad-request", "forbidden", "outside-coverage"],
)
async def test_error_status_is_unavailable(upstream, session, status, body):
    """MET's error statuses raise UpstreamUnavailable naming the status."""
    upstream.answers = [{"status": status, "body": body, "content_type": "text/html"}]
    with pytest.raises(UpstreamUnavailable, match=f"^met-no: HTTP {status}"):
        await MetNoWeather(upstream.settings).fetch(session, ASTANA)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_first_time("9999-12-31T23:00:00Z"), "a time beyond the calendar"),
        (_first_time("8000-01-01T00:00:00Z"), "timeseries[0].time: dated 8000-01-01, after"),
        (_first_time("1999-12-31T12:00:00Z"), "timeseries[0].time: dated 1999-12-31, before"),
        (_first_temperature(10**400), "air_temperature"),
        (_body(_forecast()).replace(b"-6.3", b"1e999", 1), "finite number"),
    ],
    ids=["year-9999-east-of-utc", "year-8000", "1999", "a-400-digit-integer", "1e999"],
)
def test_forecast_beyond_the_bounds_is_a_format_error(weather, body, message):
    """A first entry at the edge of the calendar or a number beyond the bounds is refused."""
    with pytest.raises(UpstreamFormatError, match=r"^met-no: ") as info:
        weather.parse(body, city=ASTANA, fetched_at=FETCHED_AT)
    assert message in str(info.value)


# --- details and tomorrow -------------------------------------------------------------------

#: The details of the fixture's first entry (19:00 in Astana) and of tomorrow, 29 November.
DETAILS = {
    "feels_like": None,
    "humidity": 83.2,
    "wind_speed": 4.2,
    "wind_gust": None,
    "is_day": False,
    "tomorrow": DayForecast(date=dt.date(2026, 11, 29), min=-11.8, max=-4.1, code=71),
}


def _details(reading) -> dict:
    return {name: getattr(reading, name) for name in DETAILS}


def _with_first_details(**values) -> dict:
    """The fixture with its first entry's instant details changed (None removes one)."""
    document = _forecast()
    details = _timeseries(document)[0]["data"]["instant"]["details"]
    details.update(values)
    _timeseries(document)[0]["data"]["instant"]["details"] = {
        key: value for key, value in details.items() if value is not None
    }
    return document


def test_fixture_gives_the_details_and_tomorrow(weather):
    """Wind and humidity come from the first instant, in m/s and %; compact has no feels-like."""
    reading = weather.parse(_body(_forecast()), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == DETAILS


def test_gust_is_read_where_met_gives_it(weather):
    """wind_speed_of_gust, in m/s by meta.units, is the gust when an entry has it."""
    document = _with_first_details(wind_speed_of_gust=9.7)
    document["properties"]["meta"]["units"]["wind_speed_of_gust"] = "m/s"
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.wind_speed, reading.wind_gust) == (4.2, 9.7)


@pytest.mark.parametrize(
    ("symbol", "is_day"),
    [
        ("clearsky_day", True),
        ("fair_night", False),
        ("lightsnow_polartwilight", False),
        ("cloudy", None),
        ("fog", None),
    ],
    ids=lambda value: str(value),
)
def test_daylight_comes_from_the_symbol_suffix(weather, symbol, is_day):
    """_day is daytime, _night and _polartwilight are not; a bare symbol says nothing."""
    document = _with_first(next_1_hours=_symbol(symbol))
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.is_day is is_day


def test_no_symbol_says_nothing_of_daylight(weather):
    """An entry without any period symbol gives is_day None."""
    document = _with_first(next_1_hours=None, next_6_hours=None, next_12_hours=None)
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.is_day, reading.code) == (None, None)


@pytest.mark.parametrize(
    ("units", "refused"),
    [
        ({"wind_speed": "km/h"}, "wind_speed"),
        ({"relative_humidity": "fraction"}, "humidity"),
    ],
    ids=["wind-in-km-per-hour", "humidity-as-a-fraction"],
)
def test_a_detail_in_another_unit_is_left_out(weather, units, refused):
    """A detail whose meta.units unit is not MET's documented one is None; the rest stays."""
    document = _forecast()
    document["properties"]["meta"]["units"].update(units)
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == DETAILS | {refused: None}


@pytest.mark.parametrize(
    ("values", "refused"),
    [
        ({"relative_humidity": 140.0}, "humidity"),
        ({"wind_speed": float("nan")}, "wind_speed"),
        ({"wind_speed": "calm"}, "wind_speed"),
        ({"wind_speed": -1.0}, "wind_speed"),
        ({"relative_humidity": None}, "humidity"),
    ],
    ids=["humidity-140", "nan-wind", "text-wind", "negative-wind", "no-humidity"],
)
def test_a_bad_detail_costs_only_that_detail(weather, values, refused):
    """A detail beyond its bounds, not a number or absent is None; the reading stays."""
    document = _with_first_details(**values)
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == DETAILS | {refused: None}
    assert (reading.temperature, reading.min, reading.max) == (-6.3, -8.6, -6.3)


def test_tomorrow_code_is_the_most_severe_of_its_symbols(weather):
    """Tomorrow's code is the highest of its entries' codes: thunder at 02:00 outweighs snow."""
    document = _forecast()
    _timeseries(document)[6]["data"]["next_1_hours"] = _symbol("rainandthunder")
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.tomorrow == DETAILS["tomorrow"].model_copy(update={"code": 95})


def test_tomorrow_without_symbols_has_no_code(weather):
    """A day whose entries have no mapped symbol still has its range, with code None."""
    document = _forecast()
    for entry in _timeseries(document)[5:]:
        entry["data"] = {"instant": entry["data"]["instant"]}
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.tomorrow == DETAILS["tomorrow"].model_copy(update={"code": None})


def test_a_forecast_ending_today_has_no_tomorrow(weather):
    """Without an entry on the next local day, tomorrow is None."""
    document = _forecast()
    _timeseries(document)[:] = _timeseries(document)[:5]
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.tomorrow, reading.min, reading.max) == (None, -8.6, -6.3)


def test_tomorrow_is_the_next_day_in_the_city_zone(weather):
    """For a city on UTC the same forecast's tomorrow starts at 00:00Z on the 29th."""
    city = ASTANA.model_copy(update={"timezone": "UTC"})
    reading = weather.parse(_body(_forecast()), city=city, fetched_at=FETCHED_AT)
    assert reading.tomorrow == DayForecast(date=dt.date(2026, 11, 29), min=-11.8, max=-4.1, code=3)
