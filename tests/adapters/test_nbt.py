"""NbtRates: the National Bank of Tajikistan's XML export of TJS rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pytest
from aiohttp import web
from defusedxml import DefusedXmlException
from pydantic import ValidationError

from ticker import Direction, SourceSettings, UpstreamFormatError, UpstreamUnavailable
from ticker._rates import CROSS_CONTEXT, cross_into
from ticker.sources import Calendar, DatedRatesSource
from ticker_adapters.nbt import NbtRates

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: 10:00 in Dushanbe (UTC+5).
FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
DATE = dt.date(2026, 11, 27)
EXPORT = "/ru/kurs/export_xml.php"

HTML_PAGE = (
    b'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>404</title></head>'
    b"<body><h1>\xd0\xa1\xd1\x82\xd1\x80\xd0\xb0\xd0\xbd\xd0\xb8\xd1\x86\xd0\xb0</h1></body></html>"
)
XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ValCurs Date="2026-11-27"><Valute><CharCode>&lol3;</CharCode></Valute></ValCurs>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE ValCurs [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<ValCurs Date="2026-11-27"><Valute><Name>&secret;</Name></Valute></ValCurs>"""


def _fixture(name: str = "nbt_export_xml.xml") -> bytes:
    return (FIXTURES / name).read_bytes()


def _valute(
    code: str = "USD", *, value: str = "9.4120", nominal: str = "1", name: str = "Доллар США"
) -> str:
    return (
        f'<Valute ID="840">\n   <CharCode>{code}</CharCode>\n   <Nominal>{nominal}</Nominal>\n'
        f"   <Name>{name}</Name>\n   <Value>{value}</Value>\n</Valute>\n"
    )


EUR = _valute("EUR", value="10.2678", name="Евро")


def _valcurs(*valutes: str, date: str = "2026-11-27") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8" ?>\n'
        f'<ValCurs Date="{date}" name="Foreign Currency Market">\n{"".join(valutes)}</ValCurs>\n'
    ).encode()


def _by_code(body: bytes, fetched_at: dt.datetime = FETCHED_AT) -> dict:
    rates = NbtRates(SourceSettings(adapter="nbt")).parse(body, fetched_at=fetched_at)
    return {rate.code: rate for rate in rates}


@pytest.fixture
def nbt():
    return NbtRates(SourceSettings(adapter="nbt"))


async def _serve(aiohttp_server, handler):
    app = web.Application()
    app.router.add_get(EXPORT, handler)
    server = await aiohttp_server(app)
    # No retries: the Fetcher's own tests cover them; here one answer is the case.
    return server, SourceSettings(adapter="nbt", url=str(server.make_url("/")), retries=0)


def test_fixture_gives_tjs_rates_as_published():
    """Every Valute gives somoni per unit, the published Value and Nominal kept, dated ISO."""
    rates = _by_code(_fixture())
    usd = rates["USD"]
    assert (usd.base, usd.rate, usd.published, usd.quant) == (
        "TJS",
        Decimal("9.4120"),
        Decimal("9.4120"),
        1,
    )
    assert len(rates) == 12
    assert {(r.date, r.change, r.direction, r.derived, r.source) for r in rates.values()} == {
        (DATE, None, Direction.FLAT, False, "nbt")
    }


@pytest.mark.parametrize(
    ("code", "published", "quant", "rate"),
    [
        ("KZT", "0.2110", 10, "0.02110"),
        ("KGS", "1.0763", 10, "0.10763"),
        ("UZS", "0.0785", 100, "0.000785"),
        ("KRW", "0.6412", 100, "0.006412"),
        ("IRR", "0.2241", 1000, "0.0002241"),
        ("EUR", "10.2678", 1, "10.2678"),
    ],
    ids=["kzt-per-10", "kgs-per-10", "uzs-per-100", "krw-per-100", "irr-per-1000", "eur-per-1"],
)
def test_nominal_divides_the_value(code, published, quant, rate):
    """Value is somoni per Nominal units: KZT per 10 divides by 10, UZS per 100 by 100."""
    got = _by_code(_fixture())[code]
    assert (got.published, got.quant, got.rate) == (Decimal(published), quant, Decimal(rate))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("9.4120", "9.4120"), ("9", "9"), (" 9.4120 ", "9.4120")],
    ids=["dot-decimals", "whole", "padded"],
)
def test_value_is_read_with_a_decimal_point(value, expected):
    """Value is written with a decimal point, or as a whole number."""
    assert _by_code(_valcurs(_valute(value=value)))["USD"].rate == Decimal(expected)


def test_entry_without_a_currency_code_is_left_out():
    """A Valute whose CharCode is no three-letter code is left out and the rest are kept."""
    rates = _by_code(_valcurs(_valute(""), _valute("usd"), _valute("US"), EUR))
    assert list(rates) == ["EUR"]


def test_tomorrows_document_is_read():
    """Past midnight in Dushanbe (19:30 UTC) the next day's document is within the window."""
    evening = dt.datetime(2026, 11, 28, 19, 30, tzinfo=dt.UTC)  # 00:30 on the 29th in Dushanbe
    rate = _by_code(_valcurs(_valute(), date="2026-11-30"), fetched_at=evening)["USD"]
    assert rate.date == dt.date(2026, 11, 30)


def test_the_window_is_judged_in_dushanbe(nbt):
    """At 23:00 in Dushanbe a date two days ahead is refused, whatever UTC's date is."""
    late = dt.datetime(2026, 11, 28, 18, 0, tzinfo=dt.UTC)
    with pytest.raises(UpstreamFormatError, match="dated 2026-11-30, after 2026-11-29"):
        nbt.parse(_valcurs(_valute(), date="2026-11-30"), fetched_at=late)


@pytest.mark.parametrize(
    "date",
    ["2026-11-30", "9999-12-31", "1999-12-31", "27.11.2026", "2026-02-31", "", "2026-11-27T00:00"],
    ids=["two-days-ahead", "9999", "1999", "dotted", "impossible", "empty", "datetime"],
)
def test_document_dated_wrongly_is_a_format_error(nbt, date):
    """A Date that is not YYYY-MM-DD or outside the window fails the whole document."""
    with pytest.raises(UpstreamFormatError, match=r"^nbt: ValCurs Date"):
        nbt.parse(_valcurs(_valute(), date=date), fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        b"",
        b"Service Temporarily Unavailable",
        _fixture()[:300],
        XML_BOMB,
        EXTERNAL_ENTITY,
        _valcurs(),
        _valcurs(_valute(""), _valute("12")),
        _fixture("nbkr_daily.xml"),
        b'<?xml version="1.0" encoding="utf-8"?><rates Date="2026-11-27"><Valute/></rates>',
        b'<?xml version="1.0" encoding="x-no-such"?><ValCurs Date="2026-11-27" />',
        b'{"Date": "2026-11-27", "Valute": []}',
    ],
    ids=[
        "html-page",
        "empty",
        "plain-text",
        "truncated",
        "xml-bomb",
        "external-entity",
        "empty-valcurs",
        "no-usable-entry",
        "other-bank",
        "wrong-root",
        "unknown-encoding",
        "json",
    ],
)
def test_bad_document_is_a_format_error(nbt, body):
    """A body that is not a ValCurs document with rates raises UpstreamFormatError, never []."""
    with pytest.raises(UpstreamFormatError, match=r"^nbt: "):
        nbt.parse(body, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    ("valute", "reason"),
    [
        (_valute(value=""), "<Value> '' is not a number"),
        (_valute(value="abc"), "<Value> 'abc' is not a number"),
        (_valute(value="-9.4120"), "is not a number"),
        (_valute(value="0.0000"), "must be a positive number"),
        (_valute(value="9,4120"), "<Value> '9,4120' is not a number such as 9.4120"),
        (_valute(value="NaN"), "is not a number"),
        (_valute(value="Infinity"), "is not a number"),
        (_valute(value="1E+999999"), "is not a number"),
        (_valute(value="9" * 13), "more than 12 integer digits"),
        (_valute(value="9." + "1" * 11), "more than 10 decimals"),
        (_valute(value="9" * 1_000_000), "<Value> is 1000000 characters long"),
        (_valute(nominal="0"), "power of ten"),
        (_valute(nominal=""), "<Nominal> '' is not a number"),
        (_valute(nominal="ten"), "is not a number"),
        (_valute(nominal="-10"), "is not a number"),
        (_valute(nominal="25"), "power of ten from 1 to 1000000, got 25"),
        (_valute(nominal="1" + "0" * 4000), "<Nominal> is 4001 characters long"),
        ("<Valute><CharCode>USD</CharCode><Nominal>1</Nominal></Valute>", "<Value> '' is not"),
    ],
    ids=[
        "value-empty",
        "value-garbage",
        "value-negative",
        "value-zero",
        "value-comma-decimals",
        "value-nan",
        "value-infinity",
        "value-huge-exponent",
        "value-13-digits",
        "value-11-decimals",
        "value-a-megabyte",
        "nominal-zero",
        "nominal-empty",
        "nominal-garbage",
        "nominal-negative",
        "nominal-not-a-power-of-ten",
        "nominal-10-to-the-4000",
        "value-missing",
    ],
)
def test_bad_entry_is_skipped_and_the_others_kept(nbt, valute, reason):
    """An entry with an unusable or unbounded Value or Nominal is skipped, named with why."""
    rates = nbt.parse(_valcurs(valute, EUR), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    [skipped] = rates.skipped
    assert (skipped.item, skipped.reason.startswith("nbt: USD: ")) == ("USD", True)
    assert reason in skipped.reason
    assert len(skipped.value) <= 25


def test_a_currency_listed_twice_is_skipped(nbt):
    """A currency listed twice is skipped, both times; which one is right is unknown."""
    rates = nbt.parse(_valcurs(_valute(), EUR, _valute(value="9.5000")), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    assert [s.reason for s in rates.skipped] == ["nbt: USD: listed 2 times"] * 2


def test_somoni_itself_is_skipped(nbt):
    """An entry quoting TJS in somoni is skipped: the base is not quoted in itself."""
    rates = nbt.parse(_valcurs(_valute("TJS", value="1.0000"), EUR), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    assert "TJS is not quoted in itself" in rates.skipped[0].reason


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (b"<ValCurs>", ParseError),
        (XML_BOMB, DefusedXmlException),
        (b'<?xml version="1.0" encoding="x-no-such"?><ValCurs/>', LookupError),
        (_valcurs(_valute(), date="2026-02-31"), ValueError),
    ],
    ids=["parse-error", "defused", "unknown-encoding", "impossible-date"],
)
def test_format_error_keeps_the_low_level_cause(nbt, body, cause):
    """The low-level error is kept as the format error's __cause__."""
    with pytest.raises(UpstreamFormatError) as info:
        nbt.parse(body, fetched_at=FETCHED_AT)
    assert isinstance(info.value.__cause__, cause)


def test_crossed_into_kzt_through_the_tenge_per_10():
    """Crossed into KZT, X/KZT is (X/TJS) / (0.2110 / 10) and TJS/KZT 10 / 0.2110, 28 digits."""
    rates = NbtRates(SourceSettings(adapter="nbt")).parse(_fixture(), fetched_at=FETCHED_AT)
    crossed = {r.code: r for r in cross_into(rates, "KZT", native="TJS", source="nbt")}
    kzt = Decimal("0.02110")
    assert crossed["USD"].rate == CROSS_CONTEXT.divide(Decimal("9.4120"), kzt)
    assert crossed["UZS"].rate == CROSS_CONTEXT.divide(Decimal("0.000785"), kzt)
    assert crossed["TJS"].rate == CROSS_CONTEXT.divide(Decimal(1), kzt)
    assert (crossed["UZS"].quant, "KZT" in crossed) == (100, False)


def test_base_calendar_and_credit():
    """The adapter publishes in TJS, dates in Dushanbe Monday to Friday, credits in 8 languages."""
    nbt = NbtRates(SourceSettings(adapter="nbt"))
    assert isinstance(nbt, DatedRatesSource)
    assert (nbt.base, nbt.calendar) == ("TJS", Calendar("Asia/Dushanbe", frozenset(range(5)), "TJ"))
    assert set(nbt.credit_texts) == {"ru", "kk", "zh", "uz", "uz-Latn", "ky", "tg"}


def test_unknown_option_is_refused():
    """A key the adapter does not know is refused when it is built."""
    with pytest.raises(ValidationError, match="export"):
        NbtRates(SourceSettings(adapter="nbt", export="xmlout"))


async def test_fetch_reads_todays_export(aiohttp_server, session):
    """fetch GETs export_xml.php?export=xmlout, without a date, and parses it."""
    queries = []

    async def handler(request):
        queries.append(dict(request.query))
        return web.Response(body=_fixture(), content_type="text/xml")

    _, settings = await _serve(aiohttp_server, handler)
    rates = await NbtRates(settings).fetch(session, ["USD", "KZT"])
    assert queries == [{"export": "xmlout"}]
    assert len(rates) == 12
    assert rates[0].fetched_at.tzinfo is not None


@pytest.mark.parametrize(
    ("on", "date"),
    [(dt.date(2026, 8, 1), "2026-08-01"), (dt.date(2026, 11, 27), "2026-11-27")],
    ids=["zero-padded", "two-digit"],
)
async def test_fetch_on_a_date_sends_the_date(aiohttp_server, session, on, date):
    """fetch_on GETs export_xml.php with date=YYYY-MM-DD and export=xmlout."""
    queries = []

    async def handler(request):
        queries.append(dict(request.query))
        return web.Response(body=_fixture(), content_type="text/xml")

    _, settings = await _serve(aiohttp_server, handler)
    rates = await NbtRates(settings).fetch_on(session, ["USD"], on)
    assert queries == [{"date": date, "export": "xmlout"}]
    assert rates[0].date == DATE


async def test_fetch_html_page_is_a_format_error(aiohttp_server, session):
    """An HTML page served with 200 OK raises UpstreamFormatError from fetch."""

    async def handler(request):
        return web.Response(body=HTML_PAGE, content_type="text/html")

    _, settings = await _serve(aiohttp_server, handler)
    with pytest.raises(UpstreamFormatError):
        await NbtRates(settings).fetch(session, ["USD"])


@pytest.mark.parametrize("status", [404, 500, 503], ids=["not-found", "error", "unavailable"])
async def test_fetch_error_status_is_unavailable(aiohttp_server, session, status):
    """An HTTP error status raises UpstreamUnavailable naming it."""

    async def handler(request):
        return web.Response(status=status, body=HTML_PAGE, content_type="text/html")

    _, settings = await _serve(aiohttp_server, handler)
    with pytest.raises(UpstreamUnavailable, match=f"HTTP {status}"):
        await NbtRates(settings).fetch(session, ["USD"])
