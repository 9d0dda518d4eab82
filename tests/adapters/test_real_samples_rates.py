"""The other banks' adapters against real upstream payloads kept in shared/upstream-samples.

The samples live beside the repository, not in it; every test skips when they are
absent.  A file added to a sample folder is picked up by the generic tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from defusedxml.ElementTree import fromstring

from ticker import SourceSettings, UpstreamFormatError
from ticker._rates import CROSS_CONTEXT, cross_into
from ticker._strip.build import format_published
from ticker_adapters.cbr import CbrRates
from ticker_adapters.cbu import CbuRates
from ticker_adapters.nbkr import NbkrRates
from ticker_adapters.nbt import NbtRates

from ._samples import sample, sample_files

FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
SATURDAY = 5


def _rates(body: bytes) -> dict:
    rates = CbrRates(SourceSettings(adapter="cbr")).parse(body, fetched_at=FETCHED_AT)
    return {rate.code: rate for rate in rates}


def _in_kzt(body: bytes) -> dict:
    """A CBR document's rates crossed into KZT, as the core crosses them."""
    rates = CbrRates(SourceSettings(adapter="cbr")).parse(body, fetched_at=FETCHED_AT)
    return {rate.code: rate for rate in cross_into(rates, "KZT", native="RUB", source="cbr")}


@pytest.mark.parametrize("path", sample_files("cbr", "cbr-xml-daily"))
def test_every_cbr_sample_parses_or_fails_cleanly(path):
    """Every CBR sample gives dated rouble rates, KZT among them, or raises UpstreamFormatError."""
    try:
        rates = _rates(path.read_bytes())
    except UpstreamFormatError:
        assert path.suffix != ".xml", "every XML sample is a ValCurs document"
        return
    assert "KZT" in rates
    assert "RUB" not in rates
    assert len({rate.date for rate in rates.values()}) == 1
    assert all(
        rate.base == "RUB" and not rate.derived and rate.rate == rate.published / rate.quant
        for rate in rates.values()
    )
    assert "RUB" in _in_kzt(path.read_bytes())


def test_cbr_2023_rub_is_100_over_the_kzt_value():
    """On 2023-11-02 KZT is 19,8608 roubles per 100, so RUB/KZT is 100 / 19.8608, shown 5.04."""
    rates = _in_kzt(sample("cbr", "XML_daily_2023-11-02_with-VunitRate_cp1251.xml").read_bytes())
    assert rates["RUB"].rate == CROSS_CONTEXT.divide(100, Decimal("19.8608"))
    assert format_published(rates["RUB"].published, derived=True) == "5.04"
    assert rates["RUB"].date == dt.date(2023, 11, 2)


def test_cbr_2023_rates_agree_with_the_banks_vunitrate():
    """Every 2023 rate per unit is VunitRate, and crossed into KZT VunitRate(X) / VunitRate(KZT)."""
    body = sample("cbr", "XML_daily_2023-11-02_with-VunitRate_cp1251.xml").read_bytes()
    per_unit = {
        valute.findtext("CharCode"): Decimal(valute.findtext("VunitRate").replace(",", "."))
        for valute in fromstring(body).iterfind("Valute")
    }
    assert {code: rate.rate for code, rate in _rates(body).items()} == per_unit
    kzt = per_unit.pop("KZT")
    crossed = _in_kzt(body)
    assert {code: crossed[code].rate for code in per_unit} == {
        code: CROSS_CONTEXT.divide(units, kzt) for code, units in per_unit.items()
    }


def test_cbr_2020_saturday_date():
    """The 2020-11-28 document is dated that Saturday, and its rates are too."""
    body = sample("cbr", "XML_daily_2020-11-28_saturday_cp1251.xml").read_bytes()
    rates = _rates(body)
    assert {rate.date for rate in rates.values()} == {dt.date(2020, 11, 28)}
    assert dt.date(2020, 11, 28).weekday() == SATURDAY
    assert rates["USD"].rate == Decimal("75.8599")
    kzt = CROSS_CONTEXT.divide(Decimal("17.8898"), 100)
    assert _in_kzt(body)["USD"].rate == CROSS_CONTEXT.divide(Decimal("75.8599"), kzt)


def test_cbr_2021_try_nominal_10():
    """On 2021-05-22 TRY is quoted per 10 lira: its Value is divided by 10 before crossing."""
    body = sample("cbr", "XML_daily_2021-05-22_saturday-fetched-on-sunday_cp1251.xml").read_bytes()
    lira = _rates(body)["TRY"]
    assert (lira.published, lira.quant, lira.date) == (Decimal("87.8896"), 10, dt.date(2021, 5, 22))
    crossed = _in_kzt(body)["TRY"]
    kzt = CROSS_CONTEXT.divide(Decimal("17.1534"), 100)
    assert crossed.rate == CROSS_CONTEXT.divide(Decimal("8.78896"), kzt)
    assert format_published(crossed.published, derived=True) == "51.24"


def test_cbr_xml_daily_utf8_mirror():
    """The mirror's UTF-8 re-encoding of 2020-12-03 parses with the same rules."""
    body = sample("cbr-xml-daily", "daily_utf8_2020-12-03.xml").read_bytes()
    assert _rates(body)["KZT"].rate == Decimal("0.177755")
    assert _in_kzt(body)["RUB"].rate == CROSS_CONTEXT.divide(100, Decimal("17.7755"))
    assert {rate.date for rate in _rates(body).values()} == {dt.date(2020, 12, 3)}


@pytest.mark.parametrize(
    "name",
    ["daily_json_2020-12-03.json", "daily_json_2021-08-31_previous-is-saturday.json"],
    ids=["2020-12-03", "2021-08-31"],
)
def test_cbr_xml_daily_json_is_not_read(name):
    """The mirror's daily_json.js is another format, refused as not XML rather than misread."""
    with pytest.raises(UpstreamFormatError, match="not safe, well-formed XML"):
        _rates(sample("cbr-xml-daily", name).read_bytes())


#: The neighbouring banks, each with its sample folder and the currency it publishes in.
BANKS = {"cbu": (CbuRates, "UZS"), "nbkr": (NbkrRates, "KGS"), "nbt": (NbtRates, "TJS")}


@pytest.mark.parametrize(
    ("adapter", "path"),
    [
        pytest.param(adapter, *param.values, id=param.id, marks=param.marks)
        for adapter in BANKS
        for param in sample_files(adapter)
    ],
)
def test_every_neighbour_bank_sample_parses_or_fails_cleanly(adapter, path):
    """Every CBU, NBKR and NBT sample gives rates of one date in the bank's currency, or fails.

    Samples were recorded in the past, so they are read as fetched now: any date they
    carry is within the window.
    """
    cls, base = BANKS[adapter]
    source = cls(SourceSettings(adapter=adapter))
    try:
        rates = source.parse(path.read_bytes(), fetched_at=dt.datetime.now(dt.UTC))
    except UpstreamFormatError:
        return
    assert rates
    assert len({rate.date for rate in rates}) == 1
    assert all(
        rate.base == base and not rate.derived and rate.rate == rate.published / rate.quant
        for rate in rates
    )
    if "KZT" in {rate.code for rate in rates}:
        crossed = cross_into(rates, "KZT", native=base, source=adapter)
        assert base in {rate.code for rate in crossed}
