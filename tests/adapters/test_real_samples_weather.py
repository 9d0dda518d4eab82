"""The MET Norway and OpenWeatherMap adapters against real payloads in shared/upstream-samples.

The samples live beside the repository, not in it; every test skips when they are
absent.  A file added to a sample folder is picked up by the generic tests.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ticker import City, SourceSettings, UpstreamFormatError
from ticker._models import DayForecast
from ticker_adapters.met_no import MetNoWeather
from ticker_adapters.openweathermap import OpenWeatherMapWeather

from ._samples import sample, sample_files

FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
# Both MET samples are for Innsbruck (their geometry: 11.3928, 47.2672, 585 m).
INNSBRUCK = City(
    id="sample",
    name={"en": "Sample"},
    latitude=47.2672,
    longitude=11.3928,
    timezone="Europe/Vienna",
)
KEY_ENV = "TICKER_TEST_OWM_KEY"


@pytest.fixture
def met_no():
    return MetNoWeather(SourceSettings(adapter="met-no", user_agent="ticker-tests/1.0 ops@x.test"))


@pytest.fixture
def openweathermap(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sample-key")
    return OpenWeatherMapWeather(SourceSettings(adapter="openweathermap", api_key_env=KEY_ENV))


@pytest.mark.parametrize("path", sample_files("met-norway"))
def test_every_met_norway_sample_gives_a_sane_reading(met_no, path):
    """Every MET sample gives a current temperature inside today's Innsbruck range, with a code."""
    reading = met_no.parse(path.read_bytes(), city=INNSBRUCK, fetched_at=FETCHED_AT)
    assert reading.min <= reading.temperature <= reading.max
    assert -30 < reading.min <= reading.max < 45
    assert reading.code is not None
    assert reading.date == reading.observed_at.astimezone(INNSBRUCK.zone).date()
    assert reading.tomorrow is not None
    assert reading.tomorrow.date == reading.date + dt.timedelta(days=1)
    assert reading.wind_speed is not None
    assert reading.humidity is not None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "locationforecast-2.0-compact_2024-05-16_raw.json",
            (dt.datetime(2024, 5, 16, 13, tzinfo=dt.UTC), 20.2, 12.8, 20.2, 3),
        ),
        (
            "locationforecast-2.0-compact_2022-06-02_reformatted.json",
            (dt.datetime(2022, 6, 2, 14, tzinfo=dt.UTC), 20.0, 13.7, 20.0, 61),
        ),
    ],
    ids=["2024-cloudy", "2022-lightrain"],
)
def test_met_norway_sample_reading(met_no, name, expected):
    """The afternoon samples: the current hour, the rest of the Vienna day, next hour's symbol."""
    reading = met_no.parse(
        sample("met-norway", name).read_bytes(), city=INNSBRUCK, fetched_at=FETCHED_AT
    )
    assert (
        reading.observed_at,
        reading.temperature,
        reading.min,
        reading.max,
        reading.code,
    ) == expected
    assert reading.date == expected[0].date()


@pytest.mark.parametrize(
    ("name", "details", "tomorrow"),
    [
        (
            "locationforecast-2.0-compact_2024-05-16_raw.json",
            (3.1, 41.3, None),
            DayForecast(date=dt.date(2024, 5, 17), min=9.7, max=15.7, code=82),
        ),
        (
            "locationforecast-2.0-compact_2022-06-02_reformatted.json",
            (0.3, 69.6, None),
            DayForecast(date=dt.date(2022, 6, 3), min=10.5, max=25.4, code=81),
        ),
    ],
    ids=["2024-cloudy", "2022-lightrain"],
)
def test_met_norway_sample_details_and_tomorrow(met_no, name, details, tomorrow):
    """Wind and humidity of the current hour, no gust in compact, tomorrow from the Vienna day."""
    reading = met_no.parse(
        sample("met-norway", name).read_bytes(), city=INNSBRUCK, fetched_at=FETCHED_AT
    )
    assert (reading.wind_speed, reading.humidity, reading.wind_gust) == details
    # The next hour's symbol has no _day/_night variant in either sample.
    assert (reading.is_day, reading.feels_like) == (None, None)
    assert reading.tomorrow == tomorrow


@pytest.mark.parametrize("path", sample_files("openweathermap"))
def test_every_openweathermap_sample_is_kelvin_and_refused(openweathermap, path):
    """The samples were fetched without units=metric: ~281 K read as °C is out of bounds."""
    with pytest.raises(UpstreamFormatError, match="less than or equal to 65"):
        openweathermap.parse(path.read_bytes(), city=INNSBRUCK, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "weather_london_2022-01-04_kelvin_raw.json",
            (dt.datetime(2022, 1, 4, 1, 50, 32, tzinfo=dt.UTC), 8.18, 3),
        ),
        (
            "weather_bratislava_2022-12-23_fog_kelvin_reformatted.json",
            (dt.datetime(2022, 12, 23, 12, 27, 17, tzinfo=dt.UTC), 4.23, 45),
        ),
    ],
    ids=["london-overcast-804", "bratislava-fog-741"],
)
def test_openweathermap_sample_converted_to_celsius_reads(openweathermap, name, expected):
    """With main.temp turned into °C, as units=metric would send it, the rest of a sample reads."""
    document = json.loads(sample("openweathermap", name).read_bytes())
    document["main"]["temp"] = round(document["main"]["temp"] - 273.15, 2)
    body = json.dumps(document).encode()
    reading = openweathermap.parse(body, city=INNSBRUCK, fetched_at=FETCHED_AT)
    assert (reading.observed_at, reading.temperature, reading.code) == expected
    assert (reading.min, reading.max) == (None, None)


@pytest.mark.parametrize(
    ("name", "details"),
    [
        ("weather_london_2022-01-04_kelvin_raw.json", (3.09, None, 90.0, False)),
        ("weather_bratislava_2022-12-23_fog_kelvin_reformatted.json", (0.51, None, 93.0, True)),
    ],
    ids=["london-night", "bratislava-day"],
)
def test_openweathermap_sample_details(openweathermap, name, details):
    """Wind and humidity read as sent; feels_like, still Kelvin, is left out and costs nothing."""
    document = json.loads(sample("openweathermap", name).read_bytes())
    document["main"]["temp"] = round(document["main"]["temp"] - 273.15, 2)
    body = json.dumps(document).encode()
    reading = openweathermap.parse(body, city=INNSBRUCK, fetched_at=FETCHED_AT)
    assert (reading.wind_speed, reading.wind_gust, reading.humidity, reading.is_day) == details
    assert (reading.feels_like, reading.tomorrow) == (None, None)
