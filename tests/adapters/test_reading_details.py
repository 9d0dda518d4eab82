"""The details every weather adapter hands over: bounded, optional, and loaded from old caches."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from ticker import DiskCache, Store, Weather, WeatherItem
from ticker._models import WEATHER_DETAILS, DayForecast
from ticker._wire import Tomorrow

NOW = dt.datetime(2026, 11, 28, 5, 20, tzinfo=dt.UTC)
#: A reading as the cache held it before the details existed.
CACHED_BEFORE_DETAILS = (
    b'{"city":"astana","temperature":19.2,"min":17.6,"max":19.5,"code":2,'
    b'"date":"2026-11-28","observed_at":"2026-11-28T05:15:00Z","source":"open-meteo",'
    b'"fetched_at":"2026-11-28T05:20:00Z"}'
)
FIELDS = {
    "city": "astana",
    "temperature": -7.4,
    "min": -9.8,
    "max": -5.1,
    "code": 71,
    "date": dt.date(2026, 11, 28),
    "observed_at": NOW,
    "source": "open-meteo",
    "fetched_at": NOW,
}
DETAILS = {
    "feels_like": -13.6,
    "wind_speed": 5.3,
    "wind_gust": 11.2,
    "humidity": 86.0,
    "is_day": True,
    "tomorrow": {"date": dt.date(2026, 11, 29), "min": -11.6, "max": -2.3, "code": 3},
}


def test_a_reading_cached_before_the_details_still_validates():
    """JSON written without the details validates, every detail None."""
    reading = Weather.model_validate_json(CACHED_BEFORE_DETAILS)
    assert reading.temperature == 19.2
    assert {name: getattr(reading, name) for name in WEATHER_DETAILS} == dict.fromkeys(
        WEATHER_DETAILS
    )


def test_the_cache_reads_a_reading_stored_before_the_details(tmp_path):
    """The cache re-validates what it reads: an old reading is still served, not dropped."""
    store = Store(DiskCache(tmp_path))
    store.backend.write({"weather:astana": CACHED_BEFORE_DETAILS})
    assert store.weather(["astana"])["astana"] == Weather.model_validate_json(CACHED_BEFORE_DETAILS)


def test_a_reading_with_details_survives_the_cache(tmp_path):
    """A reading with every detail and tomorrow reads back from the cache equal."""
    store = Store(DiskCache(tmp_path))
    reading = Weather.with_details(DETAILS, **FIELDS)
    store.put_weather([reading])
    assert store.weather(["astana"]) == {"astana": reading}


def test_every_detail_within_its_bounds_is_kept():
    """with_details keeps every good detail, tomorrow as a DayForecast."""
    reading = Weather.with_details(DETAILS, **FIELDS)
    assert reading.tomorrow == DayForecast(date=dt.date(2026, 11, 29), min=-11.6, max=-2.3, code=3)
    assert (reading.feels_like, reading.wind_speed, reading.humidity) == (-13.6, 5.3, 86.0)


@pytest.mark.parametrize(
    ("detail", "value"),
    [
        ("humidity", 140),
        ("humidity", -1),
        ("wind_speed", float("nan")),
        ("wind_speed", 121),
        ("wind_gust", 151),
        ("wind_gust", float("inf")),
        ("feels_like", -96),
        ("is_day", "maybe"),
        ("tomorrow", {"date": dt.date(2026, 11, 29), "min": 5, "max": 1}),
        ("tomorrow", {"date": dt.date(2026, 11, 30), "min": 1, "max": 5}),
        ("tomorrow", {"date": dt.date(2026, 11, 29), "min": 1, "max": 5, "code": 100}),
        ("tomorrow", {"date": dt.date(2026, 11, 29), "min": float("nan"), "max": 5}),
    ],
    ids=[
        "humidity-140",
        "humidity-negative",
        "nan-wind",
        "wind-121",
        "gust-151",
        "infinite-gust",
        "feels-like-96-below",
        "is-day-maybe",
        "tomorrow-min-above-max",
        "tomorrow-not-the-next-day",
        "tomorrow-code-100",
        "tomorrow-nan-min",
    ],
)
def test_a_detail_beyond_its_bounds_costs_only_itself(detail, value):
    """with_details leaves a refused detail None and keeps the reading and the other details."""
    reading = Weather.with_details(DETAILS | {detail: value}, **FIELDS)
    assert getattr(reading, detail) is None
    kept = {name for name in DETAILS if name != detail}
    assert all(getattr(reading, name) is not None for name in kept)
    assert (reading.temperature, reading.min, reading.max) == (-7.4, -9.8, -5.1)


def test_the_model_itself_refuses_a_detail_beyond_its_bounds():
    """Built directly, a reading with humidity 140 is refused: nothing stores one."""
    with pytest.raises(ValidationError, match="humidity"):
        Weather(**FIELDS, humidity=140)


def test_a_bad_reading_is_refused_whatever_its_details():
    """A core value beyond the bounds still raises, naming it and not the details."""
    with pytest.raises(ValidationError, match="temperature") as info:
        Weather.with_details(DETAILS | {"humidity": 140}, **FIELDS | {"temperature": 500})
    assert "humidity" not in str(info.value)


def test_only_details_may_be_passed_as_details():
    """A core field passed among the details is a programming error, not a dropped value."""
    with pytest.raises(ValueError, match="not details of a reading: temperature"):
        Weather.with_details({"temperature": 1.0}, **FIELDS)


def test_the_schema_says_each_details_unit():
    """Each detail's description names its unit, so the API documents it."""
    properties = Weather.model_json_schema()["properties"]
    units = {name: properties[name]["description"] for name in DETAILS}
    assert ["°C" in units["feels_like"], "m/s" in units["wind_speed"]] == [True, True]
    assert ["m/s" in units["wind_gust"], "%" in units["humidity"]] == [True, True]


def test_the_strip_item_takes_the_details_as_they_are():
    """WeatherItem takes a reading's fields but tomorrow as they are, as the strip builds it."""
    reading = Weather.with_details(DETAILS, **FIELDS)
    item = WeatherItem(
        **reading.model_dump(exclude={"tomorrow"}), name="Astana", text="-10-5℃", timezone="UTC"
    )
    assert (item.wind_speed, item.wind_gust, item.is_day, item.tomorrow) == (5.3, 11.2, True, None)


def test_the_wire_tomorrow_is_strict():
    """The wire's Tomorrow refuses a key it does not know, as every wire model does."""
    with pytest.raises(ValidationError, match="extra"):
        Tomorrow(date=dt.date(2026, 11, 29), min=-11.6, max=-2.3, code=3, text="-12-2℃", wind=1)
