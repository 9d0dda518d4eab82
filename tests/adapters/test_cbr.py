"""CbrRates: the Bank of Russia's XML_daily.asp, native RUB rates crossed into KZT by the core."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pytest
from aiohttp import web
from defusedxml import DefusedXmlException
from pydantic import ValidationError

from ticker import SourceSettings, UpstreamFormatError, UpstreamUnavailable
from ticker._rates import CROSS_CONTEXT, cross_into
from ticker._strip.build import format_published
from ticker.sources import Calendar, RatesSource
from ticker_adapters.cbr import CbrRates

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 28)
#: The fixture's KZT entry: 17,3010 roubles per 100 tenge.
KZT_VALUE = Decimal("17.3010")
#: The document's currencies, in its order.
CODES = ["HUF", "USD", "EUR", "KZT", "KGS", "CNY", "XDR", "TRY", "UZS", "KRW", "JPY"]

HTML_PAGE = (
    b'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>404</title></head>'
    b"<body><h1>\xd0\xa1\xd1\x82\xd1\x80\xd0\xb0\xd0\xbd\xd0\xb8\xd1\x86\xd0\xb0</h1></body></html>"
)
HTML_XHTML = (
    b'<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
    b"<head><title>Service Unavailable</title></head><body /></html>"
)
XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ValCurs Date="28.11.2026"><Valute><CharCode>&lol3;</CharCode></Valute></ValCurs>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE ValCurs [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ValCurs Date="28.11.2026"><Valute><Name>&secret;</Name></Valute></ValCurs>"""


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _valute(
    code: str = "USD", *, value: str = "77,1607", nominal: str = "1", name: str = "Доллар США"
) -> str:
    return (
        f'<Valute ID="R01235"><NumCode>840</NumCode><CharCode>{code}</CharCode>'
        f"<Nominal>{nominal}</Nominal><Name>{name}</Name><Value>{value}</Value></Valute>"
    )


KZT = _valute("KZT", value="17,3010", nominal="100", name="Казахстанских тенге")


def _valcurs(*valutes: str, date: str = "28.11.2026", encoding: str = "windows-1251") -> bytes:
    """A ValCurs document around ``valutes``, encoded as its declaration says."""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        f'<ValCurs Date="{date}" name="Foreign Currency Market">{"".join(valutes)}</ValCurs>'
    ).encode(encoding)


def _by_code(body: bytes) -> dict:
    rates = CbrRates(SourceSettings(adapter="cbr")).parse(body, fetched_at=FETCHED_AT)
    return {rate.code: rate for rate in rates}


def _in_kzt(body: bytes) -> dict:
    """The document's rates crossed into KZT, as the core crosses them."""
    rates = CbrRates(SourceSettings(adapter="cbr")).parse(body, fetched_at=FETCHED_AT)
    return {rate.code: rate for rate in cross_into(rates, "KZT", native="RUB", source="cbr")}


@pytest.fixture
def cbr():
    return CbrRates(SourceSettings(adapter="cbr"))


async def _serve(aiohttp_server, route, handler, **options):
    app = web.Application()
    app.router.add_get(route, handler)
    server = await aiohttp_server(app)
    # No retries: the Fetcher's own tests cover them; here one answer is the case.
    url = str(server.make_url("/"))
    return server, SourceSettings(adapter="cbr", url=url, retries=0, **options)


def test_every_valute_is_a_native_rouble_rate(cbr):
    """Every Valute gives roubles per unit as published, in the document's order, KZT included."""
    rates = cbr.parse(_fixture("cbr_xml_daily.xml"), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == CODES
    assert {(r.base, r.derived, r.change, r.date, r.source, r.fetched_at) for r in rates} == {
        ("RUB", False, None, TODAY, "cbr", FETCHED_AT)
    }


@pytest.mark.parametrize(
    ("code", "value", "nominal"),
    [
        ("USD", "77.1607", 1),
        ("TRY", "23.4567", 10),
        ("JPY", "51.2345", 100),
        ("KRW", "57.3000", 1000),
        ("UZS", "64.0000", 10000),
        ("KZT", "17.3010", 100),
    ],
    ids=["nominal-1", "nominal-10", "nominal-100", "nominal-1000", "nominal-10000", "kzt"],
)
def test_value_and_nominal_are_kept_as_published(code, value, nominal):
    """Value is roubles per Nominal units: kept as published, divided exactly for one unit."""
    rate = _by_code(_fixture("cbr_xml_daily.xml"))[code]
    assert (rate.published, rate.quant) == (Decimal(value), nominal)
    assert rate.rate == Decimal(value) / nominal


def test_crossed_into_kzt_gives_the_strip_values():
    """Crossed into KZT, the fixture shows the strip's USD, EUR, RUB and CNY to two decimals."""
    rates = _in_kzt(_fixture("cbr_xml_daily.xml"))
    shown = {
        code: format_published(rates[code].published, derived=True)
        for code in ("USD", "EUR", "RUB", "CNY")
    }
    assert shown == {"USD": "445.99", "EUR": "486.53", "RUB": "5.78", "CNY": "64.16"}


@pytest.mark.parametrize(
    ("code", "value", "nominal"),
    [
        ("USD", "77.1607", 1),
        ("TRY", "23.4567", 10),
        ("JPY", "51.2345", 100),
        ("KRW", "57.3000", 1000),
        ("UZS", "64.0000", 10000),
    ],
    ids=["nominal-1", "nominal-10", "nominal-100", "nominal-1000", "nominal-10000"],
)
def test_crossed_into_kzt_is_exact(code, value, nominal):
    """Crossed into KZT, X/KZT is (Value / Nominal) / (Value of KZT / 100) in 28 digits."""
    rate = _in_kzt(_fixture("cbr_xml_daily.xml"))[code]
    per_unit = CROSS_CONTEXT.divide(Decimal(value), nominal)
    assert rate.rate == CROSS_CONTEXT.divide(per_unit, CROSS_CONTEXT.divide(KZT_VALUE, 100))
    assert (rate.base, rate.derived) == ("KZT", True)


def test_rub_crossed_into_kzt_is_100_over_the_kzt_value():
    """RUB/KZT is 100 / Value of KZT, because the bank quotes roubles per 100 tenge."""
    rub = _in_kzt(_fixture("cbr_xml_daily.xml"))["RUB"]
    assert rub.rate == CROSS_CONTEXT.divide(100, KZT_VALUE)
    assert (format_published(rub.published, derived=True), rub.quant) == ("5.78", 1)


@pytest.mark.parametrize(
    ("code", "quant", "shown"),
    [("UZS", 100, "3.70"), ("KRW", 10, "3.31"), ("HUF", 1, "1.24"), ("USD", 1, "445.99")],
    ids=["uzs-per-100", "krw-per-10", "huf-per-1", "usd-per-1"],
)
def test_crossing_quotes_small_currencies_per_a_power_of_ten(code, quant, shown):
    """A currency worth less than 1 KZT is quoted per the power of ten that is worth at least 1."""
    rate = _in_kzt(_fixture("cbr_xml_daily.xml"))[code]
    assert (rate.quant, format_published(rate.published, derived=True)) == (quant, shown)
    assert rate.rate == rate.published / quant


def test_base_and_calendar():
    """The adapter publishes in RUB and dates in Moscow's calendar, Tuesday to Saturday."""
    cbr = CbrRates(SourceSettings(adapter="cbr"))
    assert isinstance(cbr, RatesSource)
    moscow = Calendar("Europe/Moscow", frozenset({1, 2, 3, 4, 5}), "RU", set_days_before=1)
    assert (cbr.base, cbr.calendar) == ("RUB", moscow)
    # On Monday the rate due is Saturday's (it covers Sunday and Monday).
    assert moscow.last_publication_before(dt.date(2026, 11, 30)) == dt.date(2026, 11, 28)
    assert set(cbr.credit_texts) == {"ru", "kk", "zh", "uz", "uz-Latn", "ky", "tg"}


def test_windows_1251_bytes_are_decoded_by_their_declaration():
    """The fixture is genuine windows-1251 (not UTF-8) and parses through its declaration."""
    body = _fixture("cbr_xml_daily.xml")
    assert "Казахстанских тенге".encode("windows-1251") in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "USD" in _by_code(body)


def test_utf8_mirror_document_gives_the_same_rates():
    """The mirror's daily_utf8.xml (same XML re-encoded as UTF-8) gives the same rates."""
    original = _fixture("cbr_xml_daily.xml")
    text = original.decode("windows-1251").replace('"windows-1251"', '"utf-8"', 1)
    assert _by_code(text.encode("utf-8")) == _by_code(original)


@pytest.mark.parametrize(
    ("value", "nominal"),
    [("23,4567", "10"), ("2,34567", "1"), ("234,567", "100")],
    ids=["nominal-10", "nominal-1", "nominal-100"],
)
def test_a_changed_nominal_gives_the_same_rate(value, nominal):
    """TRY went from Nominal 10 to 1 and back: the same price per unit gives the same rate."""
    rates = _by_code(_valcurs(KZT, _valute("TRY", value=value, nominal=nominal)))
    assert rates["TRY"].rate == Decimal("2.34567")


def test_kzt_nominal_is_read_not_assumed():
    """Were KZT quoted per 1 tenge, the same price per tenge would cross into the same rates."""
    per_one = _valute("KZT", value="0,17301", nominal="1", name="Казахстанский тенге")
    per_hundred = _in_kzt(_valcurs(KZT, _valute()))
    assert _in_kzt(_valcurs(per_one, _valute())) == per_hundred
    assert per_hundred["USD"].rate == CROSS_CONTEXT.divide(Decimal("77.1607"), Decimal("0.17301"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("77,1607", "77.1607"), ("77", "77"), (" 77,1607 ", "77.1607")],
    ids=["comma-decimals", "whole", "padded"],
)
def test_value_is_read_with_a_decimal_comma(value, expected):
    """Value is written with a decimal comma, or as a whole number."""
    rate = _by_code(_valcurs(KZT, _valute(value=value)))["USD"]
    assert rate.rate == Decimal(expected)


@pytest.mark.parametrize(
    ("date", "expected"),
    [("28.11.2020", dt.date(2020, 11, 28)), ("02.01.2026", dt.date(2026, 1, 2))],
    ids=["saturday", "zero-padded"],
)
def test_valcurs_date_is_the_rate_date(date, expected):
    """ValCurs Date (DD.MM.YYYY) is the date of every rate, Saturdays included."""
    assert {rate.date for rate in _by_code(_valcurs(KZT, _valute(), date=date)).values()} == {
        expected
    }


def test_entry_without_a_currency_code_is_skipped():
    """A Valute whose CharCode is no three-letter code is skipped and the rest are kept."""
    rates = _by_code(_valcurs(KZT, _valute(""), _valute("usd"), _valute("EUR")))
    assert list(rates) == ["KZT", "EUR"]


def test_document_with_only_kzt_crosses_into_the_roubles_rate():
    """A document with KZT alone is KZT's rate, and crossed into KZT the rouble's."""
    assert list(_by_code(_valcurs(KZT))) == ["KZT"]
    assert list(_in_kzt(_valcurs(KZT))) == ["RUB"]


@pytest.mark.parametrize(
    "body",
    [_valcurs(_valute(), _valute("EUR")), _valcurs(_valute("KZ"), _valute())],
    ids=["no-kzt", "malformed-kzt-code"],
)
def test_document_without_kzt_cannot_be_crossed_into_kzt(cbr, body):
    """Without a KZT entry the rouble rates stand, but crossing them into KZT is refused."""
    rates = cbr.parse(body, fetched_at=FETCHED_AT)
    assert "USD" in {rate.code for rate in rates}
    with pytest.raises(UpstreamFormatError, match=r"^cbr: no KZT rate"):
        cross_into(rates, "KZT", native="RUB", source="cbr")


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        HTML_XHTML,
        b"",
        b"Service Temporarily Unavailable",
        _fixture("cbr_xml_daily.xml")[:700],
        XML_BOMB,
        EXTERNAL_ENTITY,
        _valcurs(),
        _valcurs(_valute(""), _valute("12")),
        _fixture("nbk_rates_all.xml"),
        b'{"Date": "2026-11-28T11:30:00+03:00", "Valute": {}}',
        b'<?xml version="1.0" encoding="x-no-such"?><ValCurs Date="28.11.2026" />',
        b'<?xml version="1.0" encoding="shift_jis"?><ValCurs Date="28.11.2026" />',
        _valcurs(KZT, _valute(), date="2026-11-28"),
        _valcurs(KZT, _valute(), date="31.02.2026"),
        _valcurs(KZT, _valute(), date=""),
    ],
    ids=[
        "html-page",
        "xhtml-page",
        "empty",
        "plain-text",
        "truncated",
        "xml-bomb",
        "external-entity",
        "empty-valcurs",
        "no-usable-entry",
        "other-xml",
        "daily-json",
        "unknown-encoding",
        "multi-byte-encoding",
        "iso-date",
        "impossible-date",
        "empty-date",
    ],
)
def test_bad_document_is_a_format_error(cbr, body):
    """A body that is not a ValCurs document with rates raises UpstreamFormatError, never []."""
    with pytest.raises(UpstreamFormatError, match=r"^cbr: "):
        cbr.parse(body, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    "valute",
    [
        _valute(value=""),
        _valute(value="abc"),
        _valute(value="-77,1607"),
        _valute(value="0,0000"),
        _valute(value="77.1607"),
        _valute(value="1 077,16"),
        _valute(value="NaN"),
        _valute(nominal="0"),
        _valute(nominal=""),
        _valute(nominal="ten"),
        _valute(nominal="-1"),
        _valute(nominal="1,5"),
        "<Valute><CharCode>USD</CharCode><Nominal>1</Nominal></Valute>",
        _valute(value="1" * 5000),
    ],
    ids=[
        "empty-value",
        "garbage-value",
        "negative-value",
        "zero-value",
        "dot-decimals",
        "grouped-digits",
        "nan-value",
        "nominal-zero",
        "nominal-empty",
        "nominal-garbage",
        "nominal-negative",
        "nominal-fraction",
        "value-missing",
        "value-of-5000-digits",
    ],
)
def test_bad_entry_is_skipped_and_the_others_kept(cbr, valute):
    """An entry with an unusable Value or Nominal is skipped, named, and the others are kept."""
    rates = cbr.parse(_valcurs(KZT, valute, _valute("EUR")), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["KZT", "EUR"]
    [skipped] = rates.skipped
    assert skipped.item == "USD"
    assert skipped.reason.startswith("cbr: USD: <")
    assert len(skipped.value) <= 32


def test_an_entry_listed_twice_is_skipped(cbr):
    """A currency listed twice is skipped, both times; which one is right is unknown."""
    rates = cbr.parse(_valcurs(KZT, _valute(), _valute("EUR"), _valute()), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["KZT", "EUR"]
    assert [s.reason for s in rates.skipped] == ["cbr: USD: listed 2 times"] * 2


@pytest.mark.parametrize(
    ("valute", "reason"),
    [
        (_valute(value="999999999999999,9999"), "more than 12 integer digits"),
        (_valute(value="0,00000000001"), "more than 10 decimals"),
        (_valute(nominal="10000000"), "power of ten from 1 to 1000000"),
        (_valute(nominal="3"), "power of ten from 1 to 1000000, got 3"),
    ],
    ids=["value-of-1e15", "value-11-decimals", "nominal-10-to-the-7", "nominal-3"],
)
def test_value_beyond_the_bounds_is_skipped(cbr, valute, reason):
    """A Value or Nominal the bounds refuse is skipped; the others are kept."""
    rates = cbr.parse(_valcurs(KZT, valute), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["KZT"]
    [skipped] = rates.skipped
    assert (skipped.item, reason in skipped.reason) == ("USD", True)


def test_cross_rate_beyond_the_bounds_is_skipped_by_the_crossing():
    """A rouble rate too small to cross into KZT is skipped there; RUB is still given."""
    tiny = _valute(value="0,0001", nominal="1000000")
    rates = CbrRates(SourceSettings(adapter="cbr")).parse(
        _valcurs(KZT, tiny), fetched_at=FETCHED_AT
    )
    crossed = cross_into(rates, "KZT", native="RUB", source="cbr")
    assert [rate.code for rate in crossed] == ["RUB"]
    [skipped] = crossed.skipped
    assert (skipped.item, "worth less than 0.01 KZT" in skipped.reason) == ("USD", True)


@pytest.mark.parametrize(
    "date", ["30.11.2026", "31.12.9999", "01.01.1999"], ids=["two-days-ahead", "9999", "1999"]
)
def test_document_dated_outside_the_window_is_a_format_error(cbr, date):
    """A ValCurs Date over a day after the fetch (in Moscow) or before 2000 fails the document."""
    with pytest.raises(UpstreamFormatError, match=r"^cbr: ValCurs Date: dated"):
        cbr.parse(_valcurs(KZT, _valute(), date=date), fetched_at=FETCHED_AT)


def test_tomorrows_document_is_read():
    """An evening request may already get tomorrow's document: one day ahead is accepted."""
    rates = _by_code(_valcurs(KZT, _valute(), date="29.11.2026"))
    assert rates["USD"].date == dt.date(2026, 11, 29)


def test_bad_kzt_entry_is_one_skipped_item(cbr):
    """A KZT entry of zero roubles is skipped like any entry, and never divided by."""
    body = _valcurs(_valute("KZT", value="0,0000", nominal="100"), _valute())
    rates = cbr.parse(body, fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["USD"]
    assert [(s.item, s.reason) for s in rates.skipped] == [("KZT", "cbr: KZT: <Value> is zero")]
    with pytest.raises(UpstreamFormatError, match=r"^cbr: no KZT rate"):
        cross_into(rates, "KZT", native="RUB", source="cbr")


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (b"<ValCurs>", ParseError),
        (XML_BOMB, DefusedXmlException),
        (b'<?xml version="1.0" encoding="x-no-such"?><ValCurs/>', LookupError),
        (_valcurs(KZT, date="31.02.2026"), ValueError),
    ],
    ids=["parse-error", "defused", "unknown-encoding", "impossible-date"],
)
def test_format_error_keeps_the_low_level_cause(cbr, body, cause):
    """The low-level error is kept as the format error's __cause__."""
    with pytest.raises(UpstreamFormatError) as info:
        cbr.parse(body, fetched_at=FETCHED_AT)
    assert isinstance(info.value.__cause__, cause)


def test_unknown_option_is_refused():
    """A key the adapter does not know (date_req is not one) is refused when it is built."""
    with pytest.raises(ValidationError, match="date_req"):
        CbrRates(SourceSettings(adapter="cbr", date_req="28/11/2026"))


@pytest.mark.parametrize(
    "path",
    ["https://evil.example/daily_utf8.xml", "//evil.example/daily_utf8.xml", "/abs.xml", ""],
    ids=["absolute-url", "protocol-relative", "absolute-path", "empty"],
)
def test_path_option_must_stay_under_the_base_url(path):
    """The path option is relative to the base URL, so it can never name another host."""
    with pytest.raises(ValidationError, match="path"):
        CbrRates(SourceSettings(adapter="cbr", path=path))


async def test_fetch_reads_xml_daily(aiohttp_server, session):
    """fetch GETs /scripts/XML_daily.asp under the configured base URL and parses it."""
    requests = []

    async def handler(request):
        requests.append((request.path, dict(request.query)))
        return web.Response(body=_fixture("cbr_xml_daily.xml"), content_type="application/xml")

    _, settings = await _serve(aiohttp_server, "/scripts/XML_daily.asp", handler)
    rates = await CbrRates(settings).fetch(session, ["USD"])
    assert requests == [("/scripts/XML_daily.asp", {})]
    assert [rate.code for rate in rates] == CODES
    assert rates[0].fetched_at.tzinfo is not None


async def test_fetch_path_option_reads_the_mirror(aiohttp_server, session):
    """With path: daily_utf8.xml, fetch reads the mirror's UTF-8 file instead."""
    body = _fixture("cbr_xml_daily.xml").decode("windows-1251").replace("windows-1251", "utf-8")

    async def handler(request):
        return web.Response(body=body.encode(), content_type="application/xml")

    _, settings = await _serve(aiohttp_server, "/daily_utf8.xml", handler, path="daily_utf8.xml")
    rates = {rate.code: rate for rate in await CbrRates(settings).fetch(session, ["USD"])}
    assert (rates["USD"].rate, rates["KZT"].rate) == (Decimal("77.1607"), Decimal("0.17301"))


async def test_fetch_html_page_is_a_format_error(aiohttp_server, session):
    """An HTML page served with 200 OK raises UpstreamFormatError from fetch."""

    async def handler(request):
        return web.Response(body=HTML_PAGE, content_type="text/html")

    _, settings = await _serve(aiohttp_server, "/scripts/XML_daily.asp", handler)
    with pytest.raises(UpstreamFormatError):
        await CbrRates(settings).fetch(session, ["USD"])


async def test_fetch_http_500_is_unavailable(aiohttp_server, session):
    """An HTTP 500 answer raises UpstreamUnavailable."""

    async def handler(request):
        return web.Response(status=500, body=HTML_PAGE, content_type="text/html")

    _, settings = await _serve(aiohttp_server, "/scripts/XML_daily.asp", handler)
    with pytest.raises(UpstreamUnavailable, match="HTTP 500"):
        await CbrRates(settings).fetch(session, ["USD"])
