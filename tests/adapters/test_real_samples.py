"""The adapters against real upstream payloads kept in shared/upstream-samples.

The samples live beside the repository, not in it; every test skips when they are
absent.  A file added to a sample folder is picked up by the generic tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from ticker import City, SourceSettings, UpstreamFormatError
from ticker._models import DayForecast
from ticker_adapters.nbk import NbkRates
from ticker_adapters.open_meteo import OpenMeteoWeather

from ._samples import sample, sample_files

FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
SAMPLE_CITY = City(id="sample", name={"en": "Sample"}, latitude=0, longitude=0, timezone="UTC")


def _body(path: Path) -> bytes:
    """The response body a sample holds: the file itself, or a VCR cassette's first response."""
    if path.suffix in {".yml", ".yaml"}:
        cassette = yaml.safe_load(path.read_bytes())
        return cassette["http_interactions"][0]["response"]["body"]["string"].encode()
    return path.read_bytes()


@pytest.fixture
def nbk():
    return NbkRates(SourceSettings(adapter="nbk"))


@pytest.fixture
def open_meteo():
    return OpenMeteoWeather(SourceSettings(adapter="open-meteo"))


@pytest.mark.parametrize("path", sample_files("nbk"))
def test_every_nbk_sample_parses_or_fails_cleanly(nbk, path):
    """Every NBK sample gives rates of one date or raises UpstreamFormatError, nothing else."""
    try:
        rates = nbk.parse(_body(path), fetched_at=FETCHED_AT)
    except UpstreamFormatError:
        return
    assert rates
    assert len({rate.date for rate in rates}) == 1
    assert all(rate.rate == rate.published / rate.quant for rate in rates)


@pytest.mark.parametrize("path", sample_files("open-meteo"))
def test_every_open_meteo_sample_parses_or_fails_cleanly(open_meteo, path):
    """Every Open-Meteo sample gives a reading or raises UpstreamFormatError, nothing else."""
    try:
        reading = open_meteo.parse(_body(path), city=SAMPLE_CITY, fetched_at=FETCHED_AT)
    except UpstreamFormatError:
        return
    assert reading.min <= reading.max
    assert -90 < reading.temperature < 60
    if reading.tomorrow is not None:
        assert reading.tomorrow.date == reading.date + dt.timedelta(days=1)


def test_nbk_2016_feed(nbk):
    """The 2016 feed drops LVL, EEK and TRL, reads 2-digit years and divides UZS by 100."""
    body = sample("nbk", "rates_all_2016-04-18.xml").read_bytes()
    rates = {rate.code: rate for rate in nbk.parse(body, fetched_at=FETCHED_AT)}
    assert {"LVL", "EEK", "TRL"}.isdisjoint(rates)
    assert {rate.date for rate in rates.values()} == {dt.date(2016, 4, 18)}
    assert rates["USD"].rate == Decimal("334.41")
    assert (rates["UZS"].rate, rates["UZS"].quant) == (Decimal("0.1159"), 100)
    assert (rates["IRR"].rate, rates["IRR"].quant) == (Decimal("0.01108"), 1000)


def test_nbk_2017_short_feed(nbk):
    """The 2017 short feed's RUR is read as RUB 5.53, with whitespace-padded titles ignored."""
    body = sample("nbk", "rates_xml_2017-06-16_reformatted.xml").read_bytes()
    rates = {rate.code: rate for rate in nbk.parse(body, fetched_at=FETCHED_AT)}
    assert list(rates) == ["RUB", "EUR", "USD"]
    assert rates["RUB"].rate == Decimal("5.53")
    assert rates["USD"].change == Decimal("1.38")
    assert {rate.date for rate in rates.values()} == {dt.date(2017, 6, 16)}


def test_open_meteo_toronto_fahrenheit(open_meteo):
    """Toronto's °F values convert to °C and past_days puts today at daily index 1."""
    path = sample("open-meteo", "forecast_toronto_fahrenheit_current_hourly_daily.json")
    reading = open_meteo.parse(_body(path), city=SAMPLE_CITY, fetched_at=FETCHED_AT)
    assert (reading.temperature, reading.min, reading.max, reading.code) == (0.3, -0.6, 4.1, 3)
    assert reading.date == dt.date(2026, 3, 5)
    assert reading.observed_at == dt.datetime(2026, 3, 6, 2, 0, tzinfo=dt.UTC)


def test_open_meteo_toronto_details_in_fahrenheit_and_mph(open_meteo):
    """Toronto's °F apparent temperature and mp/h winds read as °C and m/s; tomorrow is daily[2]."""
    path = sample("open-meteo", "forecast_toronto_fahrenheit_current_hourly_daily.json")
    reading = open_meteo.parse(_body(path), city=SAMPLE_CITY, fetched_at=FETCHED_AT)
    assert (reading.feels_like, reading.wind_speed, reading.wind_gust) == (-5.3, 5.9, 14.9)
    # Not asked for in the sample's request: not published, so None.
    assert (reading.humidity, reading.is_day) == (None, None)
    assert reading.tomorrow == DayForecast(date=dt.date(2026, 3, 6), min=-0.5, max=3.2, code=63)


def test_open_meteo_new_york_gmt_day(open_meteo):
    """New York asked without a timezone gets GMT days: today is 2025-12-29 GMT."""
    path = sample("open-meteo", "forecast_newyork_timezone-GMT_day-boundary_2025-12-29T00Z.json")
    reading = open_meteo.parse(_body(path), city=SAMPLE_CITY, fetched_at=FETCHED_AT)
    assert reading.date == dt.date(2025, 12, 29)
    assert (reading.temperature, reading.min, reading.max) == (-1.3, -1.3, 7.4)
    assert reading.observed_at == dt.datetime(2025, 12, 29, 0, 0, tzinfo=dt.UTC)


def test_open_meteo_new_york_daylight_and_tomorrow_without_a_code(open_meteo):
    """New York's current is_day 0 is night; its daily block has no weather_code for tomorrow."""
    path = sample("open-meteo", "forecast_newyork_timezone-GMT_day-boundary_2025-12-29T00Z.json")
    reading = open_meteo.parse(_body(path), city=SAMPLE_CITY, fetched_at=FETCHED_AT)
    assert (reading.is_day, reading.wind_speed, reading.feels_like) == (False, None, None)
    assert reading.tomorrow == DayForecast(date=dt.date(2025, 12, 30), min=-2.7, max=-0.3)


def test_open_meteo_vcr_cassette_without_temperature(open_meteo):
    """The 2023 cassette asked only for weather codes, so the missing temperature is named."""
    path = sample("open-meteo", "vcr_cassette_forecast_2023-11-13_with-response-headers.yml")
    with pytest.raises(UpstreamFormatError, match="temperature_2m"):
        open_meteo.parse(_body(path), city=SAMPLE_CITY, fetched_at=FETCHED_AT)
