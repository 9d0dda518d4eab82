"""NbkrRates: the National Bank of the Kyrgyz Republic's daily and weekly KGS rates."""

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
from ticker.sources import Calendar, DatedRatesSource, RatesSource
from ticker_adapters.nbkr import NbkrRates

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: 11:00 in Bishkek (UTC+6).
FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
DAILY_DATE = dt.date(2026, 11, 27)
WEEKLY_DATE = dt.date(2026, 11, 23)
DAILY_CODES = ["USD", "EUR", "CNY", "KZT", "RUB"]
WEEKLY_CODES = ["GBP", "JPY", "UZS", "TJS", "AZN", "TRY", "INR"]

HTML_PAGE = (
    b'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>502</title></head>'
    b"<body><h1>Bad Gateway</h1></body></html>"
)
XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<CurrencyRates Date="27.11.2026"><Currency ISOCode="USD"><Value>&lol3;</Value></Currency>
</CurrencyRates>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE CurrencyRates [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<CurrencyRates Date="27.11.2026"><Currency ISOCode="USD"><Value>&secret;</Value></Currency>
</CurrencyRates>"""


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _currency(code: str = "USD", *, value: str = "87,4500", nominal: str = "1") -> str:
    return (
        f'<Currency ISOCode="{code}">\n<Nominal>{nominal}</Nominal>\n<Value>{value}</Value>\n'
        "</Currency>"
    )


KZT = _currency("KZT", value="0,1961")
EUR = _currency("EUR", value="95,4010")


def _rates(*currencies: str, date: str = "27.11.2026", name: str = "Daily Exchange Rates") -> bytes:
    """A CurrencyRates document around ``currencies``, in windows-1251 as the bank sends it."""
    return (
        '<?xml version="1.0" encoding="windows-1251" ?>\n'
        "<!-- Официальные курсы валют -->\n"
        f'<CurrencyRates Name="{name}" Date="{date}">\n{"".join(currencies)}\n</CurrencyRates>\n'
    ).encode("windows-1251")


def _by_code(body: bytes, fetched_at: dt.datetime = FETCHED_AT) -> dict:
    rates = NbkrRates(SourceSettings(adapter="nbkr")).parse(body, fetched_at=fetched_at)
    return {rate.code: rate for rate in rates}


@pytest.fixture
def nbkr():
    return NbkrRates(SourceSettings(adapter="nbkr"))


def _answer(body: bytes = b"", *, status: int = 200, content_type: str = "text/xml"):
    """An answer the fake bank gives to every request, built afresh each time."""
    return lambda: web.Response(status=status, body=body, content_type=content_type)


class FakeBank:
    """daily.xml and weekly.xml on 127.0.0.1, each answer switchable; it records requests."""

    def __init__(self) -> None:
        self.daily = _answer(_fixture("nbkr_daily.xml"))
        self.weekly = _answer(_fixture("nbkr_weekly.xml"))
        self.requests: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/XML/daily.xml", self._answer)
        app.router.add_get("/XML/weekly.xml", self._answer)
        return app

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        return self.daily() if request.path.endswith("daily.xml") else self.weekly()


@pytest.fixture
async def bank(aiohttp_server):
    fake = FakeBank()
    server = await aiohttp_server(fake.app())
    # No retries: the Fetcher's own tests cover them; here one answer is the case.
    fake.settings = SourceSettings(adapter="nbkr", url=str(server.make_url("/")), retries=0)
    return fake


def test_daily_fixture_gives_kgs_rates_as_published():
    """daily.xml gives som per unit of each main currency, dated by CurrencyRates Date."""
    rates = _by_code(_fixture("nbkr_daily.xml"))
    assert list(rates) == DAILY_CODES
    usd = rates["USD"]
    assert (usd.base, usd.rate, usd.published, usd.quant) == (
        "KGS",
        Decimal("87.4500"),
        Decimal("87.4500"),
        1,
    )
    assert rates["KZT"].rate == Decimal("0.1961")
    assert {(r.date, r.change, r.direction, r.derived) for r in rates.values()} == {
        (DAILY_DATE, None, Direction.FLAT, False)
    }


def test_weekly_fixture_gives_the_other_currencies():
    """weekly.xml has the same shape (plus ValidFor), with a nominal of 100 for UZS."""
    rates = _by_code(_fixture("nbkr_weekly.xml"))
    assert list(rates) == WEEKLY_CODES
    uzs = rates["UZS"]
    assert (uzs.published, uzs.quant, uzs.rate) == (Decimal("0.7295"), 100, Decimal("0.007295"))
    assert {rate.date for rate in rates.values()} == {WEEKLY_DATE}


def test_windows_1251_bytes_are_decoded_by_their_declaration():
    """The fixtures are genuine windows-1251 (not UTF-8) and parse through their declaration."""
    for name, comment in (("nbkr_daily.xml", "Официальные"), ("nbkr_weekly.xml", "Курсы")):
        body = _fixture(name)
        assert comment.encode("windows-1251") in body
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert _by_code(body)


def test_utf8_document_gives_the_same_rates():
    """The same document declared and encoded as UTF-8 gives the same rates."""
    original = _fixture("nbkr_daily.xml")
    text = original.decode("windows-1251").replace('"windows-1251"', '"utf-8"', 1)
    assert _by_code(text.encode("utf-8")) == _by_code(original)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("86,9000", "86.9000"), ("87", "87"), (" 0,1961 ", "0.1961")],
    ids=["comma-decimals", "whole", "padded"],
)
def test_value_is_read_with_a_decimal_comma(value, expected):
    """Value is written with a decimal comma, or as a whole number."""
    assert _by_code(_rates(_currency(value=value)))["USD"].rate == Decimal(expected)


def test_code_comes_from_the_isocode_attribute():
    """The ISO code is the ISOCode attribute; an entry without a three-letter one is left out."""
    body = _rates(_currency(""), _currency("usd"), "<Currency><Value>1,0</Value></Currency>", EUR)
    assert list(_by_code(body)) == ["EUR"]


@pytest.mark.parametrize(
    ("fetched_at", "date"),
    [
        (dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC), "28.11.2026"),
        (dt.datetime(2026, 11, 28, 19, 0, tzinfo=dt.UTC), "30.11.2026"),
    ],
    ids=["evening-20h-bishkek", "past-midnight-in-bishkek"],
)
def test_tomorrows_document_is_read(fetched_at, date):
    """Fetched in the evening, the document is dated the next day in Bishkek: it is read."""
    rate = _by_code(_rates(_currency(), date=date), fetched_at=fetched_at)["USD"]
    assert f"{rate.date:%d.%m.%Y}" == date


def test_the_window_is_judged_in_bishkek(nbkr):
    """At 23:00 in Bishkek a date two days ahead is refused, whatever UTC's date is."""
    late = dt.datetime(2026, 11, 28, 17, 0, tzinfo=dt.UTC)
    with pytest.raises(UpstreamFormatError, match="dated 2026-11-30, after 2026-11-29"):
        nbkr.parse(_rates(_currency(), date="30.11.2026"), fetched_at=late)


@pytest.mark.parametrize(
    "date",
    ["30.11.2026", "31.12.9999", "01.01.1999", "2026-11-27", "31.02.2026", ""],
    ids=["two-days-ahead", "9999", "1999", "iso", "impossible", "empty"],
)
def test_document_dated_wrongly_is_a_format_error(nbkr, date):
    """A Date that is not DD.MM.YYYY or outside the window fails the whole document."""
    with pytest.raises(UpstreamFormatError, match=r"^nbkr: CurrencyRates Date"):
        nbkr.parse(_rates(_currency(), date=date), fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        b"",
        b"Service Temporarily Unavailable",
        _fixture("nbkr_daily.xml")[:200],
        XML_BOMB,
        EXTERNAL_ENTITY,
        _rates(),
        _rates(_currency(""), _currency("12")),
        _fixture("cbr_xml_daily.xml"),
        b'<?xml version="1.0" encoding="x-no-such"?><CurrencyRates Date="27.11.2026"/>',
        b'<?xml version="1.0" encoding="shift_jis"?><CurrencyRates Date="27.11.2026"/>',
        _fixture("nbkr_daily.xml").decode("cp1251").encode("utf-16"),
        b'[{"Ccy": "USD"}]',
    ],
    ids=[
        "html-page",
        "empty",
        "plain-text",
        "truncated",
        "xml-bomb",
        "external-entity",
        "no-currencies",
        "no-usable-entry",
        "wrong-root",
        "unknown-encoding",
        "multi-byte-encoding",
        "utf-16-against-its-declaration",
        "json",
    ],
)
def test_bad_document_is_a_format_error(nbkr, body):
    """A body that is not a CurrencyRates document with rates raises UpstreamFormatError."""
    with pytest.raises(UpstreamFormatError, match=r"^nbkr: "):
        nbkr.parse(body, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    ("currency", "reason"),
    [
        (_currency(value=""), "<Value> '' is not a number"),
        (_currency(value="abc"), "<Value> 'abc' is not a number"),
        (_currency(value="-87,4500"), "is not a number"),
        (_currency(value="0,0000"), "must be a positive number"),
        (_currency(value="87.4500"), "<Value> '87.4500' is not a number such as 86,9000"),
        (_currency(value="NaN"), "is not a number"),
        (_currency(value="1E+30"), "is not a number"),
        (_currency(value="9" * 13), "more than 12 integer digits"),
        (_currency(value="87," + "1" * 11), "more than 10 decimals"),
        (_currency(value="9" * 1_000_000), "<Value> is 1000000 characters long"),
        (_currency(nominal="0"), "power of ten"),
        (_currency(nominal=""), "<Nominal> '' is not a number"),
        (_currency(nominal="-1"), "is not a number"),
        (_currency(nominal="1,5"), "is not a number"),
        (_currency(nominal="3"), "power of ten from 1 to 1000000, got 3"),
        (_currency(nominal="1" + "0" * 4000), "<Nominal> is 4001 characters long"),
        ('<Currency ISOCode="USD"><Nominal>1</Nominal></Currency>', "<Value> '' is not"),
    ],
    ids=[
        "value-empty",
        "value-garbage",
        "value-negative",
        "value-zero",
        "value-dot-decimals",
        "value-nan",
        "value-exponent",
        "value-13-digits",
        "value-11-decimals",
        "value-a-megabyte",
        "nominal-zero",
        "nominal-empty",
        "nominal-negative",
        "nominal-fraction",
        "nominal-not-a-power-of-ten",
        "nominal-10-to-the-4000",
        "value-missing",
    ],
)
def test_bad_entry_is_skipped_and_the_others_kept(nbkr, currency, reason):
    """An entry with an unusable or unbounded Value or Nominal is skipped, named with why."""
    rates = nbkr.parse(_rates(currency, EUR), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    [skipped] = rates.skipped
    assert (skipped.item, skipped.reason.startswith("nbkr: USD: ")) == ("USD", True)
    assert reason in skipped.reason
    assert len(skipped.value) <= 25


def test_a_bad_kzt_entry_is_one_skipped_item(nbkr):
    """A KZT of zero som is skipped like any entry: only the crossing needs it."""
    rates = nbkr.parse(_rates(_currency("KZT", value="0,0000"), EUR), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    with pytest.raises(UpstreamFormatError, match="no KZT rate"):
        cross_into(rates, "KZT", native="KGS", source="nbkr")


def test_a_currency_listed_twice_is_skipped(nbkr):
    """A currency listed twice is skipped, both times; which one is right is unknown."""
    rates = nbkr.parse(_rates(_currency(), EUR, _currency(value="90,0000")), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    assert [s.reason for s in rates.skipped] == ["nbkr: USD: listed 2 times"] * 2


def test_som_itself_is_skipped(nbkr):
    """An entry quoting KGS in som is skipped: the base is not quoted in itself."""
    rates = nbkr.parse(_rates(_currency("KGS", value="1,0000"), EUR), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    assert "KGS is not quoted in itself" in rates.skipped[0].reason


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (b"<CurrencyRates>", ParseError),
        (XML_BOMB, DefusedXmlException),
        (b'<?xml version="1.0" encoding="x-no-such"?><CurrencyRates/>', LookupError),
        (_rates(_currency(), date="31.02.2026"), ValueError),
    ],
    ids=["parse-error", "defused", "unknown-encoding", "impossible-date"],
)
def test_format_error_keeps_the_low_level_cause(nbkr, body, cause):
    """The low-level error is kept as the format error's __cause__."""
    with pytest.raises(UpstreamFormatError) as info:
        nbkr.parse(body, fetched_at=FETCHED_AT)
    assert isinstance(info.value.__cause__, cause)


def test_crossed_into_kzt_through_the_banks_own_kzt():
    """Crossed into KZT, X/KZT is (X/KGS) / (KZT/KGS) and KGS/KZT 1 / (KZT/KGS), 28 digits."""
    rates = NbkrRates(SourceSettings(adapter="nbkr")).parse(
        _fixture("nbkr_daily.xml"), fetched_at=FETCHED_AT
    )
    crossed = {r.code: r for r in cross_into(rates, "KZT", native="KGS", source="nbkr")}
    kzt = Decimal("0.1961")
    assert crossed["USD"].rate == CROSS_CONTEXT.divide(Decimal("87.4500"), kzt)
    assert crossed["KGS"].rate == CROSS_CONTEXT.divide(Decimal(1), kzt)
    assert sorted(crossed) == ["CNY", "EUR", "KGS", "RUB", "USD"]


def test_base_calendar_and_credit():
    """The adapter publishes in KGS, dates in Bishkek Monday to Friday, and has no dated feed."""
    nbkr = NbkrRates(SourceSettings(adapter="nbkr"))
    assert isinstance(nbkr, RatesSource)
    assert not isinstance(nbkr, DatedRatesSource)
    assert (nbkr.base, nbkr.calendar) == (
        "KGS",
        Calendar("Asia/Bishkek", frozenset(range(5)), "KG"),
    )
    assert set(nbkr.credit_texts) == {"ru", "kk", "zh", "uz", "uz-Latn", "ky", "tg"}


def test_unknown_option_is_refused():
    """A key the adapter does not know is refused when it is built."""
    with pytest.raises(ValidationError, match="weekly"):
        NbkrRates(SourceSettings(adapter="nbkr", weekly=False))


async def test_fetch_of_daily_currencies_never_asks_for_weekly(bank, session):
    """When every currency asked for is daily (KGS itself aside), weekly.xml is not requested."""
    rates = await NbkrRates(bank.settings).fetch(session, ["USD", "EUR", "KGS", "KZT"])
    assert bank.requests == ["/XML/daily.xml"]
    assert [rate.code for rate in rates] == DAILY_CODES
    assert rates[0].fetched_at.tzinfo is not None


async def test_fetch_of_a_weekly_currency_asks_for_weekly_too(bank, session):
    """A currency only in weekly.xml makes fetch request it and merge both documents."""
    rates = await NbkrRates(bank.settings).fetch(session, ["USD", "UZS", "KZT"])
    assert bank.requests == ["/XML/daily.xml", "/XML/weekly.xml"]
    assert [rate.code for rate in rates] == DAILY_CODES + WEEKLY_CODES
    by_code = {rate.code: rate for rate in rates}
    assert (by_code["USD"].date, by_code["UZS"].date) == (DAILY_DATE, WEEKLY_DATE)


async def test_a_currency_in_both_documents_is_the_daily_one(bank, session):
    """Where weekly.xml also lists a daily currency, the daily rate is the one returned."""
    weekly = _rates(
        _currency(value="99,9999"), _currency("GBP", value="110,0215"), date="23.11.2026"
    )
    bank.weekly = _answer(weekly)
    rates = await NbkrRates(bank.settings).fetch(session, ["USD", "GBP"])
    by_code = {rate.code: rate for rate in rates}
    assert (by_code["USD"].rate, by_code["GBP"].rate) == (Decimal("87.4500"), Decimal("110.0215"))
    assert [rate.code for rate in rates].count("USD") == 1


async def test_a_daily_currency_skipped_does_not_ask_for_weekly(bank, session):
    """A daily currency whose entry was refused is in the daily document: weekly is not asked."""
    daily = _rates(_currency(value="NaN"), KZT)
    bank.daily = _answer(daily)
    rates = await NbkrRates(bank.settings).fetch(session, ["USD", "KZT"])
    assert bank.requests == ["/XML/daily.xml"]
    assert [s.item for s in rates.skipped] == ["USD"]


@pytest.mark.parametrize(
    ("weekly", "why"),
    [
        (_answer(b"upstream trouble", status=500), "HTTP 500"),
        (_answer(HTML_PAGE, content_type="text/html"), "not safe, well-formed XML"),
        (_answer(_rates(KZT, date="31.12.9999")), "dated 9999-12-31"),
    ],
    ids=["http-500", "html-page", "dated-9999"],
)
async def test_a_failed_weekly_still_gives_the_daily_rates(bank, session, weekly, why):
    """When weekly.xml fails, the daily rates are returned and each weekly currency says why."""
    bank.weekly = weekly
    rates = await NbkrRates(bank.settings).fetch(session, ["USD", "GBP", "UZS", "KZT"])
    assert [rate.code for rate in rates] == DAILY_CODES
    assert [s.item for s in rates.skipped] == ["GBP", "UZS"]
    assert rates.skipped[0].reason.startswith("nbkr: GBP: not daily, and XML/weekly.xml: ")
    assert why in rates.skipped[0].reason


async def test_a_failed_weekly_is_named_through_the_crossing(bank, session):
    """Crossed into KZT, the daily rates stand and the weekly currency stays named as skipped."""
    bank.weekly = _answer(b"maintenance", status=503)
    rates = await NbkrRates(bank.settings).fetch(session, ["USD", "GBP", "KZT"])
    crossed = cross_into(rates, "KZT", native="KGS", source="nbkr")
    assert "USD" in {rate.code for rate in crossed}
    assert [s.item for s in crossed.skipped] == ["GBP"]


@pytest.mark.parametrize("status", [404, 500, 503], ids=["not-found", "error", "unavailable"])
async def test_fetch_daily_error_status_is_unavailable(bank, session, status):
    """An HTTP error status of daily.xml raises UpstreamUnavailable; weekly is not asked."""
    bank.daily = _answer(b"upstream trouble", status=status)
    with pytest.raises(UpstreamUnavailable, match=f"HTTP {status}"):
        await NbkrRates(bank.settings).fetch(session, ["USD", "GBP"])
    assert bank.requests == ["/XML/daily.xml"]


async def test_fetch_daily_html_page_is_a_format_error(bank, session):
    """An HTML page served with 200 OK for daily.xml raises UpstreamFormatError from fetch."""
    bank.daily = _answer(HTML_PAGE, content_type="text/html")
    with pytest.raises(UpstreamFormatError):
        await NbkrRates(bank.settings).fetch(session, ["USD"])
