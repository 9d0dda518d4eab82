"""NbkRates: the National Bank of Kazakhstan's RSS feed and get_rates.cfm document."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree.ElementTree import ParseError

import pytest
from aiohttp import web
from defusedxml import DefusedXmlException
from pydantic import ValidationError

from ticker import Direction, SourceSettings, UpstreamFormatError, UpstreamUnavailable
from ticker.sources import Calendar, DatedRatesSource
from ticker_adapters.nbk import NbkRates

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 28)

HTML_502 = (
    b"<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr/><center>nginx</center></body></html>"
)
HTML_PAGE = (
    b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Error</title></head>'
    b"<body><p>Service unavailable<br></p></body></html>"
)
XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss><channel><item><title>&lol3;</title></item></channel></rss>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss><channel><item><title>&secret;</title></item></channel></rss>"""


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _item(
    code: str = "USD",
    *,
    date: str = "28.11.2026",
    value: str = "445.99",
    quant: str = "1",
    index: str = "",
    change: str = "0.00",
) -> str:
    return (
        f"<item><title>{code}</title><pubDate>{date}</pubDate><description>{value}</description>"
        f"<quant>{quant}</quant><index>{index}</index><change>{change}</change><link /></item>"
    )


def _rss(*items: str) -> bytes:
    """An RSS feed with the bank's channel header around ``items``."""
    title = "Official exchange rates of National Bank of Republic Kazakhstan"
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><description>{title}</description>{''.join(items)}"
        "</channel></rss>"
    ).encode()


@pytest.fixture
def nbk():
    return NbkRates(SourceSettings(adapter="nbk"))


async def _serve(aiohttp_server, path, handler):
    app = web.Application()
    app.router.add_get(path, handler)
    server = await aiohttp_server(app)
    # No retries: the Fetcher's own tests cover them; here one answer is the case.
    return server, SourceSettings(adapter="nbk", url=str(server.make_url("/rss/")), retries=0)


def test_rates_all_gives_the_strip_values(nbk):
    """The reference fixture yields the strip's USD, EUR, RUB and CNY values per one unit."""
    rates = {
        rate.code: rate for rate in nbk.parse(_fixture("nbk_rates_all.xml"), fetched_at=FETCHED_AT)
    }
    assert {code: rates[code].rate for code in ("USD", "EUR", "RUB", "CNY")} == {
        "USD": Decimal("445.99"),
        "EUR": Decimal("486.53"),
        "RUB": Decimal("5.78"),
        "CNY": Decimal("64.16"),
    }


@pytest.mark.parametrize(
    ("code", "published", "quant", "rate"),
    [
        ("UZS", Decimal("3.72"), 100, Decimal("0.0372")),
        ("HUF", Decimal("13.42"), 10, Decimal("1.342")),
        ("USD", Decimal("445.99"), 1, Decimal("445.99")),
    ],
    ids=["quant-100", "quant-10", "quant-1"],
)
def test_quant_divides_the_published_value(nbk, code, published, quant, rate):
    """A quant of N divides the published value by N exactly and keeps both as published."""
    rates = {r.code: r for r in nbk.parse(_fixture("nbk_rates_all.xml"), fetched_at=FETCHED_AT)}
    assert (rates[code].rate, rates[code].published, rates[code].quant) == (rate, published, quant)


def test_dead_currencies_are_dropped(nbk):
    """Items whose pubDate is older than the feed's newest (LVL, EEK, TRL) are left out."""
    rates = nbk.parse(_fixture("nbk_rates_all.xml"), fetched_at=FETCHED_AT)
    assert {"LVL", "EEK", "TRL"}.isdisjoint(rate.code for rate in rates)
    assert {rate.date for rate in rates} == {TODAY}
    assert len(rates) == 10


def test_rates_record_source_and_fetch_time():
    """Every rate names the configured source label and carries the fetch time in UTC."""
    nbk = NbkRates(SourceSettings(adapter="nbk", name="nbk-mirror"))
    rates = nbk.parse(_fixture("nbk_rates_all.xml"), fetched_at=FETCHED_AT)
    assert {(rate.source, rate.fetched_at) for rate in rates} == {("nbk-mirror", FETCHED_AT)}


@pytest.mark.parametrize(
    "pub_date", ["28.11.26", "28.11.2026", " 28.11.2026 "], ids=["yy", "yyyy", "padded"]
)
def test_pubdate_with_two_or_four_digit_year(nbk, pub_date):
    """pubDate parses as DD.MM.YY (the 2016 feed) and as DD.MM.YYYY (later feeds)."""
    [rate] = nbk.parse(_rss(_item(date=pub_date)), fetched_at=FETCHED_AT)
    assert rate.date == TODAY


def test_rur_is_read_as_rub(nbk):
    """The 2017 short feed's title RUR is the rouble, RUB."""
    [rate] = nbk.parse(_rss(_item("RUR", value="5.53")), fetched_at=FETCHED_AT)
    assert (rate.code, rate.rate) == ("RUB", Decimal("5.53"))


@pytest.mark.parametrize(
    ("index", "change", "direction", "expected_change"),
    [
        ("UP", "+0.11", Direction.UP, Decimal("0.11")),
        ("DOWN", "-0.86", Direction.DOWN, Decimal("-0.86")),
        ("", "0.00", Direction.FLAT, Decimal("0.00")),
        ("", "", Direction.FLAT, None),
    ],
    ids=["up", "down", "empty-index", "empty-change"],
)
def test_index_and_change(nbk, index, change, direction, expected_change):
    """index UP/DOWN/empty becomes a direction and the signed change a Decimal."""
    [rate] = nbk.parse(_rss(_item(index=index, change=change)), fetched_at=FETCHED_AT)
    assert (rate.direction, rate.change) == (direction, expected_change)


def test_get_rates_document_is_read(nbk):
    """A get_rates.cfm <rates> document gives every item, dated by its <date>."""
    rates = {r.code: r for r in nbk.parse(_fixture("nbk_get_rates.xml"), fetched_at=FETCHED_AT)}
    assert list(rates) == ["USD", "EUR", "RUB", "UZS"]
    assert {rate.date for rate in rates.values()} == {dt.date(2026, 11, 27)}
    assert (rates["USD"].rate, rates["USD"].direction) == (Decimal("444.72"), Direction.DOWN)
    assert rates["UZS"].rate == Decimal("0.0371")


@pytest.mark.parametrize(
    "title", ["", "US", "usd", "Official exchange rates"], ids=["empty", "short", "lower", "text"]
)
def test_item_without_a_currency_code_is_skipped(nbk, title):
    """An item whose title is no three-letter code is skipped and the rest are kept."""
    rates = nbk.parse(_rss(_item(title), _item("EUR", value="486.53")), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]


@pytest.mark.parametrize(
    "body",
    [
        HTML_502,
        HTML_PAGE,
        b"",
        b"Service Temporarily Unavailable",
        _fixture("nbk_rates_all.xml")[:700],
        XML_BOMB,
        EXTERNAL_ENTITY,
        _rss(),
        b"<rates><date>27.11.2026</date><info>\xd0\xb8\xd0\xbd\xd1\x84\xd0\xbe</info></rates>",
        _rss(_item("XX1")),
    ],
    ids=[
        "html-502",
        "html-not-xml",
        "empty",
        "plain-text",
        "truncated",
        "xml-bomb",
        "external-entity",
        "no-items",
        "rates-without-items",
        "no-usable-item",
    ],
)
def test_bad_document_is_a_format_error(nbk, body):
    """A body that is not an NBK document with rates raises UpstreamFormatError, never []."""
    with pytest.raises(UpstreamFormatError, match=r"^nbk: "):
        nbk.parse(body, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    "item",
    [
        _item(value="abc"),
        _item(value="-445.99"),
        _item(value="0"),
        _item(value="NaN"),
        _item(value=""),
        _item(quant="0"),
        _item(quant="ten"),
        _item(quant="-10"),
        _item(date="2026-11-28"),
        _item(date="31.02.2026"),
        _item(change="up"),
    ],
    ids=[
        "garbage-value",
        "negative-value",
        "zero-value",
        "nan-value",
        "empty-value",
        "quant-zero",
        "quant-garbage",
        "quant-negative",
        "iso-date",
        "impossible-date",
        "garbage-change",
    ],
)
def test_bad_item_is_skipped_and_the_others_kept(nbk, item):
    """A currency item with an unusable value is skipped, named with why; the others are kept."""
    rates = nbk.parse(_rss(item, _item("EUR")), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    [skipped] = rates.skipped
    assert (skipped.item, skipped.reason.startswith("nbk: USD: ")) == ("USD", True)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (_item(change="1E+30"), "USD: change: 1E+30 has more than 12 integer digits"),
        (_item(change="-1E+27"), "more than 12 integer digits"),
        (_item(change="0.00000000001"), "more than 10 decimals"),
        (_item(value="1E+999990"), "1E+999990 has more than 12 integer digits"),
        (_item(value="1E-200000"), "1E-200000 has more than"),
        (_item(value="1000000000000"), "more than 12 integer digits"),
        (_item(value="445.99000000000"), "more than 10 decimals"),
        (_item(value="4" * 25), "is 25 characters long"),
        (_item(value="4" * 1_000_000), "is 1000000 characters long"),
        (_item(quant="1" + "0" * 4000), "<quant> of 4001 characters"),
        (_item(quant="10000000"), "power of ten from 1 to 1000000"),
        (_item(quant="3"), "power of ten from 1 to 1000000, got 3"),
        (_item(date="31.12.9999"), "dated 9999-12-31, after 2026-11-29: in the future"),
        (_item(date="30.11.2026"), "dated 2026-11-30, after 2026-11-29: in the future"),
        (_item(date="31.12.1999"), "dated 1999-12-31, before 2000-01-01"),
    ],
    ids=[
        "change-1e30",
        "change-minus-1e27",
        "change-11-decimals",
        "published-1e999990",
        "published-1e-200000",
        "published-13-digits",
        "published-11-decimals",
        "published-25-characters",
        "published-a-megabyte",
        "quant-10-to-the-4000",
        "quant-10-to-the-7",
        "quant-not-a-power-of-ten",
        "dated-9999",
        "dated-two-days-ahead",
        "dated-1999",
    ],
)
def test_item_beyond_the_bounds_is_skipped(nbk, item, reason):
    """A value beyond the bounds or a date outside the window skips the item, never the feed."""
    rates = nbk.parse(_rss(item, _item("EUR")), fetched_at=FETCHED_AT)
    assert [(rate.code, rate.date) for rate in rates] == [("EUR", TODAY)]
    [skipped] = rates.skipped
    assert skipped.item == "USD"
    assert reason in skipped.reason
    assert len(skipped.value) <= 25


def test_tomorrows_rates_are_read(nbk):
    """The next day's rates appear the afternoon before: one day ahead is within the window."""
    [rate] = nbk.parse(_rss(_item(date="29.11.2026")), fetched_at=FETCHED_AT)
    assert rate.date == dt.date(2026, 11, 29)


def test_a_future_dated_item_keeps_the_others_current(nbk):
    """An item dated 31.12.9999 in the real feed is skipped; every other currency stays."""
    feed = _fixture("nbk_rates_all.xml").replace(
        b"<title>EUR</title><pubDate>28.11.2026", b"<title>EUR</title><pubDate>31.12.9999"
    )
    rates = nbk.parse(feed, fetched_at=FETCHED_AT)
    assert len(rates) == 9
    assert {rate.date for rate in rates} == {TODAY}
    assert "EUR" in {skipped.item for skipped in rates.skipped}


def test_an_odd_date_within_the_window_does_not_make_the_feed_old(nbk):
    """The feed's date is the one most items carry: one item dated tomorrow is left out."""
    feed = _rss(_item("USD"), _item("EUR"), _item("CNY", date="29.11.2026"))
    rates = nbk.parse(feed, fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["USD", "EUR"]
    [skipped] = rates.skipped
    assert (skipped.item, skipped.reason) == ("CNY", "nbk: CNY: dated 2026-11-29, not 2026-11-28")


def test_dead_currencies_are_named_among_the_skipped(nbk):
    """LVL, EEK and TRL of the real feed are skipped with their old dates, not lost silently."""
    rates = nbk.parse(_fixture("nbk_rates_all.xml"), fetched_at=FETCHED_AT)
    assert {skipped.item for skipped in rates.skipped} == {"LVL", "EEK", "TRL"}


def test_every_item_beyond_the_bounds_is_a_format_error(nbk):
    """A feed whose every currency item is refused is a format error naming the first."""
    with pytest.raises(UpstreamFormatError, match=r"^nbk: USD: .*1E\+30"):
        nbk.parse(
            _rss(_item(change="1E+30"), _item("EUR", date="31.12.9999")), fetched_at=FETCHED_AT
        )


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (b"<rss><channel>", ParseError),
        (XML_BOMB, DefusedXmlException),
        (_rss(_item(value="-1")), ValidationError),
        (_rss(_item(value="abc")), ValueError),
    ],
    ids=["parse-error", "defused", "validation", "number"],
)
def test_format_error_keeps_the_low_level_cause(nbk, body, cause):
    """The low-level error is kept as the format error's __cause__."""
    with pytest.raises(UpstreamFormatError) as info:
        nbk.parse(body, fetched_at=FETCHED_AT)
    assert isinstance(info.value.__cause__, cause)


def test_garbage_number_cause_is_invalid_operation(nbk):
    """A value that is no number traces back to decimal's InvalidOperation."""
    with pytest.raises(UpstreamFormatError) as info:
        nbk.parse(_rss(_item(value="abc")), fetched_at=FETCHED_AT)
    assert isinstance(info.value.__cause__.__cause__, InvalidOperation)


def test_base_calendar_and_credit():
    """The adapter publishes in KZT, dates in Astana Monday to Friday, credits in 8 languages."""
    nbk = NbkRates(SourceSettings(adapter="nbk"))
    assert isinstance(nbk, DatedRatesSource)
    assert (nbk.base, nbk.calendar) == ("KZT", Calendar("Asia/Almaty", frozenset(range(5)), "KZ"))
    assert set(nbk.credit_texts) == {"ru", "kk", "zh", "uz", "uz-Latn", "ky", "tg"}
    assert all(
        rate.base == "KZT"
        for rate in nbk.parse(_fixture("nbk_rates_all.xml"), fetched_at=FETCHED_AT)
    )


def test_unknown_option_is_refused():
    """A key NBK does not know is refused when the adapter is built."""
    with pytest.raises(ValidationError, match="currency"):
        NbkRates(SourceSettings(adapter="nbk", currency="USD"))


async def test_fetch_reads_rates_all(aiohttp_server, session):
    """fetch GETs rates_all.xml under the configured base URL and parses it."""
    queries = []

    async def handler(request):
        queries.append(dict(request.query))
        return web.Response(body=_fixture("nbk_rates_all.xml"), content_type="application/xml")

    _, settings = await _serve(aiohttp_server, "/rss/rates_all.xml", handler)
    rates = await NbkRates(settings).fetch(session, ["USD"])
    assert queries == [{}]
    assert len(rates) == 10
    assert rates[0].fetched_at.tzinfo is not None


@pytest.mark.parametrize(
    ("on", "fdate"),
    [(dt.date(2026, 8, 1), "01.08.2026"), (dt.date(2026, 11, 27), "27.11.2026")],
    ids=["zero-padded", "two-digit"],
)
async def test_fetch_on_a_date_sends_fdate(aiohttp_server, session, on, fdate):
    """fetch(on=date) GETs get_rates.cfm with fdate as DD.MM.YYYY."""
    queries = []

    async def handler(request):
        queries.append(dict(request.query))
        return web.Response(body=_fixture("nbk_get_rates.xml"), content_type="application/xml")

    _, settings = await _serve(aiohttp_server, "/rss/get_rates.cfm", handler)
    rates = await NbkRates(settings).fetch(session, [], on=on)
    assert queries == [{"fdate": fdate}]
    assert rates[0].date == dt.date(2026, 11, 27)


async def test_fetch_html_page_is_a_format_error(aiohttp_server, session):
    """An HTML page served with 200 OK raises UpstreamFormatError from fetch."""

    async def handler(request):
        return web.Response(body=HTML_502, content_type="text/html")

    _, settings = await _serve(aiohttp_server, "/rss/rates_all.xml", handler)
    with pytest.raises(UpstreamFormatError):
        await NbkRates(settings).fetch(session, ["USD"])


async def test_fetch_http_500_is_unavailable(aiohttp_server, session):
    """An HTTP 500 answer raises UpstreamUnavailable."""

    async def handler(request):
        return web.Response(status=500, body=HTML_502, content_type="text/html")

    _, settings = await _serve(aiohttp_server, "/rss/rates_all.xml", handler)
    with pytest.raises(UpstreamUnavailable, match="HTTP 500"):
        await NbkRates(settings).fetch(session, ["USD"])


async def test_fetch_connection_refused_is_unavailable(aiohttp_server, session):
    """A refused connection raises UpstreamUnavailable."""

    async def handler(request):
        return web.Response(body=b"")

    server, settings = await _serve(aiohttp_server, "/rss/rates_all.xml", handler)
    await server.close()
    with pytest.raises(UpstreamUnavailable):
        await NbkRates(settings).fetch(session, ["USD"])


async def test_fetch_timeout_is_unavailable(aiohttp_server, session):
    """An upstream slower than the configured timeout raises UpstreamUnavailable."""
    release = asyncio.Event()

    async def handler(request):
        await release.wait()
        return web.Response(body=_fixture("nbk_rates_all.xml"))

    _, settings = await _serve(aiohttp_server, "/rss/rates_all.xml", handler)
    slow = settings.model_copy(update={"timeout": dt.timedelta(seconds=0.2)})
    try:
        with pytest.raises(UpstreamUnavailable, match=r"within 0\.2s"):
            await NbkRates(slow).fetch(session, ["USD"])
    finally:
        release.set()
