"""StaticRates and StaticWeather: values written in the settings file."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import yaml
from pydantic import ValidationError

from ticker import City, Direction, SourceSettings, UpstreamFormatError
from ticker._models import DayForecast
from ticker._rates import CROSS_CONTEXT, cross_into
from ticker.sources import Calendar, RatesSource
from ticker_adapters.static import RATES_ZONE, StaticRates, StaticWeather

# 20:00 UTC on the 27th is already the 28th in Astana (UTC+5).
FETCHED_AT = dt.datetime(2026, 11, 27, 20, 0, tzinfo=dt.UTC)
ASTANA = City(
    id="astana", name={"en": "Astana"}, latitude=51.1694, longitude=71.4491, timezone="Asia/Almaty"
)
NEW_YORK = City(
    id="new-york",
    name={"en": "New York"},
    latitude=40.71,
    longitude=-74.01,
    timezone="America/New_York",
)
RATES = {
    "rates": {
        "USD": "445.99",
        "EUR": "486.53",
        "UZS": {"published": "3.72", "quant": 100, "change": "+0.01"},
    },
    "date": "2026-11-27",
}
CITIES = {"cities": {"astana": {"temperature": 19, "min": 18, "max": 20, "code": 2}}}


def _rates_source(**options):
    return StaticRates(SourceSettings(adapter="static", **options))


def _weather_source(**options):
    return StaticWeather(SourceSettings(adapter="static", **options))


async def test_rates_come_from_the_settings(session):
    """fetch returns every configured rate, a quant dividing as for any source."""
    rates = {rate.code: rate for rate in await _rates_source(**RATES).fetch(session, ["USD"])}
    assert {code: rate.rate for code, rate in rates.items()} == {
        "USD": Decimal("445.99"),
        "EUR": Decimal("486.53"),
        "UZS": Decimal("0.0372"),
    }
    uzs = rates["UZS"]
    assert (uzs.published, uzs.quant, uzs.change, uzs.direction) == (
        Decimal("3.72"),
        100,
        Decimal("0.01"),
        Direction.UP,
    )
    assert {(rate.date, rate.source) for rate in rates.values()} == {
        (dt.date(2026, 11, 27), "static")
    }


def test_values_are_in_kzt_by_default():
    """Without base:, the values are tenge, as the adapter's base says."""
    source = _rates_source(rates={"USD": "445.99"})
    [rate] = source.parse(b"rates: {USD: '445.99'}", fetched_at=FETCHED_AT)
    assert (source.base, rate.base) == ("KZT", "KZT")


async def test_base_option_names_the_currency_of_the_values(session):
    """With base: UZS the values are soum, and the core crosses them like a bank's."""
    source = _rates_source(base="UZS", rates={"USD": "11988.21", "KZT": "26.88"})
    rates = await source.fetch(session, ["USD", "KZT"])
    assert source.base == "UZS"
    assert {(rate.code, rate.base, rate.rate) for rate in rates} == {
        ("USD", "UZS", Decimal("11988.21")),
        ("KZT", "UZS", Decimal("26.88")),
    }
    crossed = {r.code: r for r in cross_into(rates, "KZT", native=source.base, source="static")}
    assert crossed["USD"].rate == CROSS_CONTEXT.divide(Decimal("11988.21"), Decimal("26.88"))


def test_a_document_with_its_own_base_is_in_that_base():
    """parse reads base: from the document, as the settings would give it."""
    source = _rates_source(rates={"USD": "445.99"})
    [rate] = source.parse(b"base: KGS\nrates: {USD: '87.45'}", fetched_at=FETCHED_AT)
    assert (rate.base, rate.rate) == ("KGS", Decimal("87.45"))


@pytest.mark.parametrize(
    "options",
    [
        {"base": "UZS", "rates": {"UZS": "1"}},
        {"base": "uzs", "rates": {"USD": "1"}},
        {"base": "SOUM", "rates": {"USD": "1"}},
    ],
    ids=["base-quoted-in-itself", "lower-case", "not-a-code"],
)
def test_bad_base_is_refused_when_built(options):
    """A base that is no currency code, or that is quoted in itself, is a settings error."""
    with pytest.raises(ValidationError, match=r"base|quoted in itself"):
        _rates_source(**options)


def test_calendar_is_almaty_monday_to_friday():
    """Static rates are dated in Asia/Almaty for business days, whatever their base."""
    source = _rates_source(base="UZS", rates={"USD": "11988.21"})
    assert isinstance(source, RatesSource)
    assert source.calendar == Calendar("Asia/Almaty", frozenset(range(5)))


@pytest.mark.parametrize(
    ("change", "direction"),
    [
        ("+0.5", Direction.UP),
        ("-0.5", Direction.DOWN),
        ("0.00", Direction.FLAT),
        (None, Direction.FLAT),
    ],
    ids=["up", "down", "zero", "none"],
)
def test_direction_follows_the_sign_of_change(change, direction):
    """A static rate's direction is the sign of its change, flat without one."""
    value = {"published": "445.99"} if change is None else {"published": "445.99", "change": change}
    source = _rates_source(rates={"USD": value})
    [rate] = source.parse(json.dumps({"rates": {"USD": value}}).encode(), fetched_at=FETCHED_AT)
    assert rate.direction == direction


def test_rate_date_defaults_to_today_in_almaty():
    """Without date:, rates are dated today in Asia/Almaty at fetch time."""
    source = _rates_source(rates={"USD": "445.99"})
    [rate] = source.parse(b"rates: {USD: '445.99'}", fetched_at=FETCHED_AT)
    assert rate.date == dt.date(2026, 11, 28)


async def test_fetch_dates_rates_by_the_clock(session):
    """fetch reads the clock: fetched_at is now and the date today in Asia/Almaty."""
    before = dt.datetime.now(dt.UTC)
    [rate] = await _rates_source(rates={"USD": "445.99"}).fetch(session, ["USD"])
    after = dt.datetime.now(dt.UTC)
    assert before <= rate.fetched_at <= after
    assert rate.date in {before.astimezone(RATES_ZONE).date(), after.astimezone(RATES_ZONE).date()}


@pytest.mark.parametrize(
    "body",
    [yaml.safe_dump(RATES, sort_keys=False).encode(), json.dumps(RATES).encode()],
    ids=["yaml", "json"],
)
async def test_parse_reads_the_same_shape_as_the_settings(session, body):
    """parse of a YAML or JSON document shaped like the options gives what fetch gives."""
    source = _rates_source(**RATES)
    fetched = await source.fetch(session, [])
    parsed = source.parse(body, fetched_at=fetched[0].fetched_at)
    assert parsed == fetched


@pytest.mark.parametrize(
    "options",
    [
        {"rates": {"USD": "445.99"}, "currency": "USD"},
        {"rates": {"ABC": "1.00"}},
        {"rates": {"usd": "445.99"}},
        {"rates": {"USD": "-1"}},
        {"rates": {"USD": "abc"}},
        {"rates": {"UZS": {"published": "3.72", "quant": 0}}},
        {"rates": {"UZS": {"published": "3.72", "nominal": 100}}},
        {"rates": {}},
        {},
    ],
    ids=[
        "unknown-key",
        "not-iso-4217",
        "lower-case",
        "negative",
        "garbage",
        "quant-zero",
        "unknown-rate-key",
        "no-rates",
        "nothing",
    ],
)
def test_bad_rate_settings_are_refused(options):
    """Rate settings that are not ISO codes with positive values are refused when built."""
    with pytest.raises(ValidationError):
        _rates_source(**options)


@pytest.mark.parametrize(
    "body",
    [b"rates: {USD: '445.99'", b"- USD", b"", b"rates: {XYZ: '1'}", b"rates: {USD: '1'}\nkey: 1"],
    ids=["not-yaml", "list", "empty", "not-iso-4217", "unknown-key"],
)
def test_bad_rates_document_is_a_format_error(body):
    """A document that is not valid static rates raises UpstreamFormatError."""
    with pytest.raises(UpstreamFormatError, match=r"^static: "):
        _rates_source(rates={"USD": "1"}).parse(body, fetched_at=FETCHED_AT)


async def test_weather_comes_from_the_settings(session):
    """fetch returns the configured reading, observed at fetch time, dated in the city's zone."""
    before = dt.datetime.now(dt.UTC)
    reading = await _weather_source(**CITIES).fetch(session, ASTANA)
    assert (reading.city, reading.temperature, reading.min, reading.max, reading.code) == (
        "astana",
        19.0,
        18.0,
        20.0,
        2,
    )
    assert reading.observed_at == reading.fetched_at >= before
    assert reading.date == reading.fetched_at.astimezone(ASTANA.zone).date()


@pytest.mark.parametrize(
    ("city", "date"),
    [(ASTANA, dt.date(2026, 11, 28)), (NEW_YORK, dt.date(2026, 11, 27))],
    ids=["astana-next-day", "new-york-same-day"],
)
def test_weather_date_is_today_in_the_city(city, date):
    """A static reading is dated today in the city's own time zone."""
    document = {"cities": {city.id: {"temperature": 5, "min": 1, "max": 7}}}
    source = _weather_source(**CITIES)
    reading = source.parse(json.dumps(document).encode(), city=city, fetched_at=FETCHED_AT)
    assert (reading.date, reading.observed_at, reading.code) == (date, FETCHED_AT, None)


async def test_weather_for_an_unconfigured_city_is_a_format_error(session):
    """fetch for a city without a static value raises UpstreamFormatError naming it."""
    with pytest.raises(UpstreamFormatError, match="no static value for city 'new-york'"):
        await _weather_source(**CITIES).fetch(session, NEW_YORK)


@pytest.mark.parametrize(
    "options",
    [
        {**CITIES, "unit": "celsius"},
        {"cities": {"astana": {"temperature": 19, "min": 21, "max": 20}}},
        {"cities": {"astana": {"temperature": 19, "min": 18}}},
        {"cities": {"astana": {"temperature": 19, "min": 18, "max": 20, "wind": 3}}},
        {"cities": {}},
        {"cities": {"astana": {**CITIES["cities"]["astana"], "humidity": "damp"}}},
        {"cities": {"astana": {**CITIES["cities"]["astana"], "wind_speed": float("nan")}}},
        {"cities": {"astana": {**CITIES["cities"]["astana"], "tomorrow": {"min": 5, "max": 1}}}},
        {"cities": {"astana": {**CITIES["cities"]["astana"], "tomorrow": {"min": 5}}}},
        {
            "cities": {
                "astana": {
                    **CITIES["cities"]["astana"],
                    "tomorrow": {"date": "2026-11-29", "min": 1, "max": 5},
                }
            }
        },
    ],
    ids=[
        "unknown-key",
        "min-above-max",
        "no-max",
        "unknown-reading-key",
        "no-cities",
        "text-humidity",
        "nan-wind",
        "tomorrow-min-above-max",
        "tomorrow-without-max",
        "tomorrow-with-a-date",
    ],
)
def test_bad_weather_settings_are_refused(options):
    """Weather settings with unknown keys or an impossible range are refused when built."""
    with pytest.raises(ValidationError):
        _weather_source(**options)


def test_bad_weather_document_is_a_format_error():
    """A weather document that does not validate raises UpstreamFormatError."""
    with pytest.raises(UpstreamFormatError, match=r"^static: cities\.astana\.max"):
        _weather_source(**CITIES).parse(
            b"cities: {astana: {temperature: 1, min: 0}}", city=ASTANA, fetched_at=FETCHED_AT
        )


@pytest.mark.parametrize(
    "published",
    ["1E+30", "1E+999990", "1E-200000", "445.99000000000"],
    ids=["1e30", "1e999990", "1e-200000", "11-decimals"],
)
def test_published_value_beyond_the_bounds_is_refused_when_built(published):
    """A static value beyond the bounds is a settings error, before anything is served."""
    with pytest.raises(ValidationError, match=r"rates\.USD\.published"):
        _rates_source(rates={"USD": published})


def test_change_beyond_the_bounds_is_refused_when_built():
    """A change of 1E+30 is a settings error too."""
    with pytest.raises(ValidationError, match="more than 12 integer digits"):
        _rates_source(rates={"USD": {"published": "445.99", "change": "1E+30"}})


def test_rate_the_model_refuses_is_skipped_and_the_others_kept():
    """A quant that is no power of ten skips that rate; the others are still served."""
    source = _rates_source(rates={"USD": "445.99", "UZS": {"published": "3.72", "quant": 3}})
    rates = source.parse(
        b"rates: {USD: '445.99', UZS: {published: '3.72', quant: 3}}", fetched_at=FETCHED_AT
    )
    assert [rate.code for rate in rates] == ["USD"]
    [skipped] = rates.skipped
    assert (skipped.item, "power of ten" in skipped.reason) == ("UZS", True)


def test_a_date_in_the_future_is_a_format_error():
    """A configured date over a day after today in Astana serves nothing rather than a lie."""
    body = b"rates: {USD: '445.99'}\ndate: 2026-11-30"
    with pytest.raises(
        UpstreamFormatError, match=r"^static: no usable rate.*USD: dated 2026-11-30"
    ):
        _rates_source(rates={"USD": "1"}).parse(body, fetched_at=FETCHED_AT)


def test_weather_beyond_the_bounds_is_a_format_error():
    """A static reading of 500 °C is refused as a format error, not a crash of the refresh."""
    body = b"cities: {astana: {temperature: 500, min: 0, max: 1}}"
    with pytest.raises(UpstreamFormatError, match=r"^static: astana: temperature"):
        _weather_source(**CITIES).parse(body, city=ASTANA, fetched_at=FETCHED_AT)


DETAILED = {
    "cities": {
        "astana": {
            "temperature": -7,
            "min": -10,
            "max": -5,
            "code": 71,
            "feels_like": -13.5,
            "wind_speed": 5.2,
            "wind_gust": 11,
            "humidity": 86,
            "is_day": True,
            "tomorrow": {"min": -12, "max": -2, "code": 3},
        }
    }
}


def test_details_and_tomorrow_come_from_the_settings():
    """Every detail is an option; tomorrow is dated the day after today in the city's zone."""
    reading = _weather_source(**DETAILED).parse(
        json.dumps(DETAILED).encode(), city=ASTANA, fetched_at=FETCHED_AT
    )
    assert (reading.feels_like, reading.wind_speed, reading.wind_gust) == (-13.5, 5.2, 11.0)
    assert (reading.humidity, reading.is_day, reading.date) == (86.0, True, dt.date(2026, 11, 28))
    assert reading.tomorrow == DayForecast(date=dt.date(2026, 11, 29), min=-12, max=-2, code=3)


async def test_details_left_out_are_none(session):
    """A reading written without details has every detail None."""
    reading = await _weather_source(**CITIES).fetch(session, ASTANA)
    details = ("feels_like", "wind_speed", "wind_gust", "humidity", "is_day", "tomorrow")
    assert [getattr(reading, name) for name in details] == [None] * len(details)


@pytest.mark.parametrize(
    ("detail", "key"),
    [
        ("humidity: 140", "humidity"),
        ("wind_speed: -1", "wind_speed"),
        ("wind_gust: 200", "wind_gust"),
        ("feels_like: -120", "feels_like"),
        ("tomorrow: {min: 1, max: 80}", "tomorrow.max"),
        ("tomorrow: {min: 1, max: 2, code: 100}", "tomorrow.code"),
    ],
    ids=["humidity-140", "negative-wind", "gust-200", "feels-like-120", "max-80", "code-100"],
)
def test_a_detail_beyond_the_bounds_is_a_format_error_naming_it(detail, key):
    """An operator's detail beyond Weather's bounds is refused loudly, naming city and key."""
    body = f"cities: {{astana: {{temperature: 1, min: 0, max: 2, {detail}}}}}".encode()
    with pytest.raises(UpstreamFormatError, match=rf"^static: astana: {key}"):
        _weather_source(**CITIES).parse(body, city=ASTANA, fetched_at=FETCHED_AT)
