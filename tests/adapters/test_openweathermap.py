"""OpenWeatherMapWeather: current weather in °C and m/s, OWM condition ids, a key kept secret."""

from __future__ import annotations

import datetime as dt
import json
import logging
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
from ticker_adapters.openweathermap import OpenWeatherMapWeather

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED_AT = dt.datetime(2026, 11, 28, 5, 25, tzinfo=dt.UTC)
USER_AGENT = "ticker-tests/1.0 ops@news.example"
KEY_ENV = "TICKER_TEST_OWM_KEY"
KEY = "0123456789abcdef0123456789abcdef"
ASTANA = City(
    id="astana", name={"en": "Astana"}, latitude=51.1694, longitude=71.4491, timezone="Asia/Almaty"
)
CURRENT_PATH = "/data/2.5/weather"
# Quoted in upstream-formats.md section 5 from several independent logs: note the spaces.
INVALID_KEY = (
    b'{"cod":401, "message": "Invalid API key. '
    b'Please see https://openweathermap.org/faq#error401 for more info."}'
)


def _current(**parts) -> dict:
    """The Astana fixture as a dict, with top-level ``parts`` replaced (None removes one)."""
    document = json.loads((FIXTURES / "owm_astana.json").read_bytes())
    document.update(parts)
    return {key: value for key, value in document.items() if value is not None}


def _body(document) -> bytes:
    return json.dumps(document).encode()


def _settings(**changes) -> SourceSettings:
    return SourceSettings(adapter="openweathermap", api_key_env=KEY_ENV, **changes)


@pytest.fixture
def api_key(monkeypatch):
    """The API key, in the environment variable the settings name."""
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


@pytest.fixture
def weather(api_key):
    return OpenWeatherMapWeather(_settings())


class Upstream:
    """A loopback api.openweathermap.org answering from a script; it records every request."""

    settings: SourceSettings

    def __init__(self) -> None:
        self.answers: list[dict] = []
        self.requests: list[web.Request] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        return web.Response(**self.answers.pop(0))


@pytest.fixture
async def upstream(aiohttp_server, api_key):
    """The scripted upstream, with settings that point the adapter at it."""
    fake = Upstream()
    app = web.Application()
    app.router.add_get(CURRENT_PATH, fake.handle)
    server = await aiohttp_server(app)
    fake.settings = _settings(url=str(server.make_url("/")), user_agent=USER_AGENT, retries=0)
    return fake


def _our_log(caplog) -> str:
    """Every captured log line but the loopback server's own access log."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")


def _json(body: bytes, status: int = 200) -> dict:
    return {"body": body, "status": status, "content_type": "application/json"}


def test_astana_fixture_gives_the_current_reading(weather):
    """The fixture gives the current temperature, time and condition, and no day range."""
    reading = weather.parse(_body(_current()), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.temperature, reading.min, reading.max, reading.code) == (-7.4, None, None, 71)
    assert reading.observed_at == dt.datetime(2026, 11, 28, 5, 20, tzinfo=dt.UTC)
    assert (reading.city, reading.date, reading.source, reading.fetched_at) == (
        "astana",
        dt.date(2026, 11, 28),
        "openweathermap",
        FETCHED_AT,
    )


@pytest.mark.parametrize(
    ("observed", "date"),
    [
        (dt.datetime(2026, 11, 28, 18, 59, 59, tzinfo=dt.UTC), dt.date(2026, 11, 28)),
        (dt.datetime(2026, 11, 28, 19, 0, tzinfo=dt.UTC), dt.date(2026, 11, 29)),
    ],
    ids=["23-59-59-local", "almaty-midnight"],
)
def test_date_is_the_local_date_of_dt(weather, observed, date):
    """The reading's date is dt's date in Asia/Almaty, which turns at 19:00Z."""
    document = _current(dt=int(observed.timestamp()))
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.date, reading.observed_at) == (date, observed)


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        (200, 95),
        (232, 95),
        (300, 51),
        (302, 55),
        (321, 80),
        (500, 61),
        (501, 63),
        (504, 65),
        (511, 66),
        (522, 82),
        (600, 71),
        (602, 75),
        (611, 63),
        (616, 63),
        (620, 85),
        (622, 86),
        (701, 45),
        (711, None),
        (741, 45),
        (781, None),
        (800, 0),
        (801, 1),
        (802, 2),
        (803, 3),
        (804, 3),
        (999, None),
    ],
    ids=lambda value: str(value),
)
def test_condition_id_maps_to_a_wmo_code(weather, condition, code):
    """weather[0].id is OWM's own condition id; it maps to a WMO code or None."""
    document = _current(weather=[{"id": condition, "main": "X", "description": "x"}])
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.code == code


@pytest.mark.parametrize(
    "conditions",
    [[], None],
    ids=["empty-list", "absent"],
)
def test_no_condition_gives_no_code(weather, conditions):
    """A body without weather conditions still gives a reading, with code None."""
    document = _current(weather=conditions)
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.temperature, reading.code) == (-7.4, None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"cod":"404","message":"city not found"}', "cod '404': city not found"),
        (INVALID_KEY, "cod 401: Invalid API key"),
        (_body(_current(cod=None)), "cod None: no message"),
    ],
    ids=["cod-string-404", "cod-int-401", "no-cod"],
)
def test_error_body_with_status_200_is_a_format_error(weather, body, message):
    """A body whose cod is not 200 is refused with OWM's message, even under HTTP 200."""
    with pytest.raises(
        UpstreamFormatError, match=r"^openweathermap: OpenWeatherMap answered "
    ) as info:
        weather.parse(body, city=ASTANA, fetched_at=FETCHED_AT)
    assert message in str(info.value)


def test_error_body_does_not_carry_the_key_on(weather):
    """An error message that quotes our key is reported with the key masked."""
    body = _body({"cod": 401, "message": f"Invalid API key {KEY}"})
    with pytest.raises(UpstreamFormatError, match=r"Invalid API key \*\*\*$") as info:
        weather.parse(body, city=ASTANA, fetched_at=FETCHED_AT)
    assert KEY not in str(info.value)


def test_cod_200_as_a_string_is_accepted(weather):
    """cod "200" reads like cod 200: the field's type varies between OWM's bodies."""
    reading = weather.parse(_body(_current(cod="200")), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.temperature == -7.4


def _main(**values) -> bytes:
    return _body(_current(main={"feels_like": -13.1, **values}))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON"),
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (_body(_current())[:120], "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[200]", "expected a JSON object, got list"),
        (b"null", "expected a JSON object, got NoneType"),
        (_body(_current(main=None)), "main: required key is missing"),
        (_main(), "main.temp: required key is missing"),
        (_main(temp=None), "main.temp: Input should be a valid number"),
        (_main(temp=266.25), "temperature: Input should be less than or equal to 65"),
        (_body(_current()).replace(b"-7.4", b"NaN", 1), "finite number"),
        (_body(_current(dt=None)), "dt: required key is missing"),
        (_body(_current(dt="yesterday")), "dt: Input should be a valid datetime"),
    ],
    ids=[
        "empty",
        "html",
        "truncated",
        "not-utf8",
        "json-list",
        "json-null",
        "no-main",
        "no-temp",
        "null-temp",
        "kelvin",
        "nan",
        "no-dt",
        "dt-not-a-time",
    ],
)
def test_bad_body_is_a_format_error(weather, body, message):
    """A body without a usable current reading raises UpstreamFormatError saying why."""
    with pytest.raises(UpstreamFormatError, match=r"^openweathermap: ") as info:
        weather.parse(body, city=ASTANA, fetched_at=FETCHED_AT)
    assert message in str(info.value)


def test_api_key_env_is_required():
    """Without api_key_env the adapter refuses to start and says what to set."""
    with pytest.raises(ConfigError) as info:
        OpenWeatherMapWeather(SourceSettings(adapter="openweathermap"))
    [(path, message)] = info.value.problems
    assert (path, message.startswith("required")) == ("api_key_env", True)


@pytest.mark.parametrize("value", [None, "", "  \n"], ids=["unset", "empty", "blank"])
def test_missing_api_key_is_refused(monkeypatch, value):
    """An unset or blank key variable is refused, naming the variable and not a value."""
    if value is None:
        monkeypatch.delenv(KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(KEY_ENV, value)
    with pytest.raises(ConfigError) as info:
        OpenWeatherMapWeather(_settings())
    assert info.value.problems == [("api_key_env", f"environment variable {KEY_ENV} is not set")]


def test_missing_api_key_is_reported_at_its_config_path(monkeypatch):
    """Built from a settings file, the refusal names weather.sources[i].api_key_env."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    settings = parse_settings(
        f"""
rates: {{currencies: [USD], sources: [{{adapter: static, rates: {{USD: "445.99"}}}}]}}
weather:
  cities: [{{id: astana, name: {{en: Astana}}, latitude: 51.1694, longitude: 71.4491,
            timezone: Asia/Almaty}}]
  sources: [{{adapter: openweathermap, api_key_env: {KEY_ENV}}}]
"""
    )
    with pytest.raises(ConfigError, match=rf"weather\.sources\[0\]\.api_key_env: .*{KEY_ENV}"):
        build_sources(settings, config_source="ticker.yaml")


def test_unknown_option_is_refused(api_key):
    """A key OpenWeatherMap's adapter does not know is refused when it is built."""
    with pytest.raises(ValidationError, match="lang"):
        OpenWeatherMapWeather(_settings(lang="ru"))


def test_key_is_not_in_the_adapters_repr_or_attributes(weather):
    """Neither repr nor the attributes' reprs show the key."""
    assert KEY not in repr(weather)
    assert KEY not in repr(vars(weather))


async def test_fetch_sends_coordinates_metric_units_and_the_key(upstream, session):
    """fetch GETs data/2.5/weather with lat, lon, units=metric and appid, identifying itself."""
    upstream.answers = [_json(_body(_current()))]
    reading = await OpenWeatherMapWeather(upstream.settings).fetch(session, ASTANA)
    [request] = upstream.requests
    assert request.path == CURRENT_PATH
    assert dict(request.query) == {
        "lat": "51.1694",
        "lon": "71.4491",
        "units": "metric",
        "appid": KEY,
    }
    assert request.headers["User-Agent"] == USER_AGENT
    assert (reading.temperature, reading.code) == (-7.4, 71)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (_json(INVALID_KEY, status=401), "HTTP 401"),
        (_json(b'{"cod":"404","message":"city not found"}', status=404), "HTTP 404"),
        (
            _json(b'{"cod":429,"message":"Your account is temporary blocked"}', status=429),
            "HTTP 429",
        ),
        (_json(b'{"cod":401,"message":"key ' + KEY.encode() + b' is invalid"}', 401), "***"),
    ],
    ids=["401-invalid-key", "404-cod-string", "429-blocked", "401-echoing-the-key"],
)
async def test_error_status_is_unavailable_without_the_key(
    upstream, session, caplog, answer, message
):
    """OWM's error answers raise UpstreamUnavailable; neither it nor the log shows the key."""
    caplog.set_level(logging.DEBUG)
    upstream.answers = [answer]
    with pytest.raises(UpstreamUnavailable, match=r"^openweathermap: ") as info:
        await OpenWeatherMapWeather(upstream.settings).fetch(session, ASTANA)
    assert message in str(info.value)
    assert KEY not in f"{info.value!s} {info.value!r} {_our_log(caplog)}"


async def test_connection_error_does_not_show_the_key(aiohttp_server, session, api_key, caplog):
    """A refused connection, retried once, is reported and logged without the key."""
    caplog.set_level(logging.DEBUG)
    server = await aiohttp_server(web.Application())
    url = str(server.make_url("/"))
    await server.close()
    settings = _settings(url=url, retries=1, backoff=dt.timedelta(milliseconds=1))
    with pytest.raises(UpstreamUnavailable, match=r"^openweathermap: ") as info:
        await OpenWeatherMapWeather(settings).fetch(session, ASTANA)
    assert "retrying" in _our_log(caplog)
    assert KEY not in f"{info.value!s} {info.value!r} {_our_log(caplog)}"


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"dt": 253402300799}, "dt: dated 1978-01-12, before 2000-01-01"),  # read as ms
        ({"dt": 253402300799000}, "a time beyond the calendar"),
        ({"dt": 1796083200}, "dt: dated 2026-12-01, after 2026-11-29"),
        ({"dt": 946648800}, "dt: dated 1999-12-31, before 2000-01-01"),
        ({"main": {"temp": 1e308}}, "temperature"),
    ],
    ids=["a-large-dt", "last-millisecond-of-9999", "three-days-ahead", "1999", "1e308"],
)
def test_reading_beyond_the_bounds_is_a_format_error(weather, parts, message):
    """A time at the calendar's edge or outside the window, or an absurd number, is refused."""
    with pytest.raises(UpstreamFormatError, match=r"^openweathermap: ") as info:
        weather.parse(_body(_current(**parts)), city=ASTANA, fetched_at=FETCHED_AT)
    assert message in str(info.value)


# --- details --------------------------------------------------------------------------------

#: The details of the fixture (10:20 in Astana, icon 13d), as Weather holds them.
DETAILS = {
    "feels_like": -13.1,
    "humidity": 86.0,
    "wind_speed": 5.1,
    "wind_gust": 9.3,
    "is_day": True,
    "tomorrow": None,
}
# 10:20 in Astana on the fixture's day, between its sunrise (08:52) and sunset (17:04).
SUNRISE, SUNSET = 1795837934, 1795867481


def _details(reading) -> dict:
    return {name: getattr(reading, name) for name in DETAILS}


def test_fixture_gives_every_detail_and_no_tomorrow(weather):
    """feels_like, humidity, wind speed and gust (°C, %, m/s by units=metric), daylight by icon."""
    reading = weather.parse(_body(_current()), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == DETAILS


@pytest.mark.parametrize(
    ("wind", "expected"),
    [
        ({"speed": 5.1, "deg": 230}, (5.1, None)),
        (None, (None, None)),
    ],
    ids=["no-gust", "no-wind"],
)
def test_unpublished_wind_is_none(weather, wind, expected):
    """wind.gust is optional in OWM's answers, and so is the wind block."""
    reading = weather.parse(_body(_current(wind=wind)), city=ASTANA, fetched_at=FETCHED_AT)
    assert (reading.wind_speed, reading.wind_gust) == expected


@pytest.mark.parametrize(
    ("weather_list", "sun", "observed", "is_day"),
    [
        ([{"id": 800, "icon": "01n"}], None, None, False),
        ([{"id": 800, "icon": "01d"}], {"sunrise": 0, "sunset": 1}, None, True),
        ([{"id": 800}], {"sunrise": SUNRISE, "sunset": SUNSET}, None, True),
        ([{"id": 800}], {"sunrise": SUNRISE, "sunset": SUNSET}, SUNSET, False),
        ([{"id": 800, "icon": "01"}], {"sunrise": SUNRISE, "sunset": SUNSET}, SUNRISE - 1, False),
        ([], None, None, None),
        ([{"id": 800, "icon": 7}], {"sunrise": "dawn", "sunset": SUNSET}, None, None),
    ],
    ids=[
        "night-icon",
        "icon-over-sun-times",
        "between-sunrise-and-sunset",
        "at-sunset",
        "before-sunrise-bad-icon",
        "neither",
        "neither-usable",
    ],
)
def test_daylight_comes_from_the_icon_or_the_sun_times(
    weather, weather_list, sun, observed, is_day
):
    """The icon's d/n suffix says whether it is day; without one, sys.sunrise and sys.sunset do."""
    document = _current(weather=weather_list, sys=sun)
    if observed is not None:
        document["dt"] = observed
    reading = weather.parse(_body(document), city=ASTANA, fetched_at=FETCHED_AT)
    assert reading.is_day is is_day


@pytest.mark.parametrize(
    ("parts", "refused"),
    [
        ({"main": {"temp": -7.4, "feels_like": -13.1, "humidity": 140}}, "humidity"),
        ({"main": {"temp": -7.4, "feels_like": 259.9, "humidity": 86}}, "feels_like"),
        ({"main": {"temp": -7.4, "feels_like": "cold", "humidity": 86}}, "feels_like"),
        ({"wind": {"speed": float("nan"), "gust": 9.3}}, "wind_speed"),
        ({"wind": {"speed": 5.1, "gust": 1e308}}, "wind_gust"),
    ],
    ids=["humidity-140", "feels-like-in-kelvin", "text-feels-like", "nan-wind", "gust-1e308"],
)
def test_a_bad_detail_costs_only_that_detail(weather, parts, refused):
    """A detail beyond its bounds or not a number is None; the reading and the rest stay."""
    reading = weather.parse(_body(_current(**parts)), city=ASTANA, fetched_at=FETCHED_AT)
    assert _details(reading) == DETAILS | {refused: None}
    assert (reading.temperature, reading.code) == (-7.4, 71)
