"""The cross-rate adapters against real upstream payloads kept in shared/upstream-samples.

The samples live beside the repository, not in it; every test skips when they are
absent.  A file added to a sample folder is picked up by the generic tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from defusedxml.ElementTree import fromstring

from adapters.cbr import CbrRates
from ticker import SourceSettings, UpstreamFormatError
from ticker._strip.build import format_published

from ._samples import sample, sample_files

FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
SATURDAY = 5


def _rates(body: bytes) -> dict:
    rates = CbrRates(SourceSettings(adapter="cbr")).parse(body, fetched_at=FETCHED_AT)
    return {rate.code: rate for rate in rates}


@pytest.mark.parametrize("path", sample_files("cbr", "cbr-xml-daily"))
def test_every_cbr_sample_parses_or_fails_cleanly(path):
    """Every CBR sample gives dated, derived rates without KZT, or raises UpstreamFormatError."""
    try:
        rates = _rates(path.read_bytes())
    except UpstreamFormatError:
        assert path.suffix != ".xml", "every XML sample is a ValCurs document"
        return
    assert "RUB" in rates
    assert "KZT" not in rates
    assert len({rate.date for rate in rates.values()}) == 1
    assert all(rate.derived and rate.rate == rate.published / rate.quant for rate in rates.values())


def test_cbr_2023_rub_is_100_over_the_kzt_value():
    """On 2023-11-02 KZT is 19,8608 roubles per 100, so RUB/KZT is 100 / 19.8608, shown 5.04."""
    rates = _rates(sample("cbr", "XML_daily_2023-11-02_with-VunitRate_cp1251.xml").read_bytes())
    assert rates["RUB"].rate == 100 / Decimal("19.8608")
    assert format_published(rates["RUB"].published, derived=True) == "5.04"
    assert rates["RUB"].date == dt.date(2023, 11, 2)


def test_cbr_2023_rates_agree_with_the_banks_vunitrate():
    """Every 2023 cross rate equals VunitRate(X) / VunitRate(KZT): the bank's per-unit figures."""
    body = sample("cbr", "XML_daily_2023-11-02_with-VunitRate_cp1251.xml").read_bytes()
    per_unit = {
        valute.findtext("CharCode"): Decimal(valute.findtext("VunitRate").replace(",", "."))
        for valute in fromstring(body).iterfind("Valute")
    }
    kzt = per_unit.pop("KZT")
    rates = _rates(body)
    assert {code: rates[code].rate for code in per_unit} == {
        code: units / kzt for code, units in per_unit.items()
    }


def test_cbr_2020_saturday_date():
    """The 2020-11-28 document is dated that Saturday, and its rates are too."""
    rates = _rates(sample("cbr", "XML_daily_2020-11-28_saturday_cp1251.xml").read_bytes())
    assert {rate.date for rate in rates.values()} == {dt.date(2020, 11, 28)}
    assert dt.date(2020, 11, 28).weekday() == SATURDAY
    assert rates["USD"].rate == Decimal("75.8599") / (Decimal("17.8898") / 100)


def test_cbr_2021_try_nominal_10():
    """On 2021-05-22 TRY is quoted per 10 lira: its Value is divided by 10 before crossing."""
    body = sample("cbr", "XML_daily_2021-05-22_saturday-fetched-on-sunday_cp1251.xml").read_bytes()
    rates = _rates(body)
    assert rates["TRY"].rate == Decimal("87.8896") / 10 / (Decimal("17.1534") / 100)
    assert format_published(rates["TRY"].published, derived=True) == "51.24"
    assert rates["TRY"].date == dt.date(2021, 5, 22)


def test_cbr_xml_daily_utf8_mirror():
    """The mirror's UTF-8 re-encoding of 2020-12-03 parses with the same rules."""
    rates = _rates(sample("cbr-xml-daily", "daily_utf8_2020-12-03.xml").read_bytes())
    assert rates["RUB"].rate == 100 / Decimal("17.7755")
    assert {rate.date for rate in rates.values()} == {dt.date(2020, 12, 3)}


@pytest.mark.parametrize(
    "name",
    ["daily_json_2020-12-03.json", "daily_json_2021-08-31_previous-is-saturday.json"],
    ids=["2020-12-03", "2021-08-31"],
)
def test_cbr_xml_daily_json_is_not_read(name):
    """The mirror's daily_json.js is another format, refused as not XML rather than misread."""
    with pytest.raises(UpstreamFormatError, match="not safe, well-formed XML"):
        _rates(sample("cbr-xml-daily", name).read_bytes())
