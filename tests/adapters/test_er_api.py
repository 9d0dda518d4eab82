"""ErApiRates: ExchangeRate-API's open latest/USD rates, as USD rates the core crosses into KZT."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import ValidationError

from ticker import SourceSettings, UpstreamFormatError, UpstreamUnavailable
from ticker._rates import CROSS_CONTEXT, cross_into
from ticker._strip.build import format_published
from ticker.sources import Calendar, RatesSource
from ticker_adapters.er_api import ErApiRates

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
#: The fixture's time_last_update_unix: 2026-11-28 00:02:31 UTC.
UPDATED = 1795824151
#: The fixture's KZT per 1 USD.
KZT_PER_USD = Decimal("445.99")
#: The fixture's currencies but USD, in its order.
CODES = ["AED", "CNY", "EUR", "IRR", "JPY", "KGS", "KZT", "RUB", "UZS", "VND"]

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>429 Too Many Requests</title></head>"
    b"<body><h1>Too Many Requests</h1></body></html>"
)


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _latest(rates: dict | None = None, **fields) -> bytes:
    """A latest/USD response with ``fields`` and ``rates``, each rate given as raw JSON text."""
    document = {"result": "success", "time_last_update_unix": UPDATED, "base_code": "USD"}
    head = json.dumps({**document, **fields})[1:-1]
    # Raw text, so a test can send long digits, NaN or a string exactly as written.
    rates = {"KZT": "445.99"} if rates is None else rates
    numbers = ",".join(f'"{code}":{value}' for code, value in rates.items())
    return f'{{{head},"rates":{{{numbers}}}}}'.encode()


def _by_code(body: bytes) -> dict:
    rates = ErApiRates(SourceSettings(adapter="er-api")).parse(body, fetched_at=FETCHED_AT)
    return {rate.code: rate for rate in rates}


def _in_kzt(body: bytes) -> dict:
    """The response's rates crossed into KZT, as the core crosses them."""
    rates = ErApiRates(SourceSettings(adapter="er-api")).parse(body, fetched_at=FETCHED_AT)
    return {rate.code: rate for rate in cross_into(rates, "KZT", native="USD", source="er-api")}


def _inverse(units: str) -> Decimal:
    """The dollar's price of one unit, of which ``units`` buy a dollar, in 28 digits."""
    return CROSS_CONTEXT.divide(Decimal(1), Decimal(units))


@pytest.fixture
def er_api():
    return ErApiRates(SourceSettings(adapter="er-api"))


async def _serve(aiohttp_server, route, handler):
    app = web.Application()
    app.router.add_get(route, handler)
    server = await aiohttp_server(app)
    # No retries: the Fetcher's own tests cover them; here one answer is the case.
    return server, SourceSettings(adapter="er-api", url=str(server.make_url("/")), retries=0)


def test_every_rate_is_the_dollars_price_of_one_unit(er_api):
    """Every currency but USD comes back in the response's order, in USD, derived and dated."""
    rates = er_api.parse(_fixture("er_api_latest_usd.json"), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == CODES
    assert {(r.base, r.derived, r.change, r.date, r.source, r.fetched_at) for r in rates} == {
        ("USD", True, None, dt.date(2026, 11, 28), "er-api", FETCHED_AT)
    }


@pytest.mark.parametrize(
    ("code", "per_usd"),
    [("EUR", "0.91667"), ("KZT", "445.99"), ("IRR", "42000"), ("UZS", "12650.5")],
    ids=["eur", "kzt", "irr", "uzs"],
)
def test_rate_is_the_inverse_of_units_per_dollar(code, per_usd):
    """X/USD is 1 / rates[X], from the digits as sent, in 28 significant digits."""
    assert _by_code(_fixture("er_api_latest_usd.json"))[code].rate == _inverse(per_usd)


@pytest.mark.parametrize(
    ("code", "quant", "shown"),
    [("EUR", 1, "1.09"), ("KZT", 1000, "2.24"), ("JPY", 1000, "6.66"), ("IRR", 100000, "2.38")],
    ids=["eur-per-1", "kzt-per-1000", "jpy-per-1000", "irr-per-100000"],
)
def test_quant_is_chosen_for_small_currencies(code, quant, shown):
    """A currency worth less than 1 USD is quoted per the power of ten that is worth at least 1."""
    rate = _by_code(_fixture("er_api_latest_usd.json"))[code]
    assert (rate.quant, format_published(rate.published, derived=True)) == (quant, shown)


def test_crossed_into_kzt_gives_the_strip_values():
    """Crossed into KZT, the fixture shows the strip's USD, EUR, RUB and CNY to two decimals."""
    rates = _in_kzt(_fixture("er_api_latest_usd.json"))
    shown = {
        code: format_published(rates[code].published, derived=True)
        for code in ("USD", "EUR", "RUB", "CNY")
    }
    assert shown == {"USD": "445.99", "EUR": "486.53", "RUB": "5.78", "CNY": "64.16"}


@pytest.mark.parametrize(
    ("code", "per_usd"),
    [("EUR", "0.91667"), ("RUB", "77.16"), ("UZS", "12650.5"), ("VND", "25400")],
    ids=["eur", "rub", "uzs", "vnd"],
)
def test_crossed_into_kzt_is_exact(code, per_usd):
    """Crossed into KZT, X/KZT is (X/USD) / (KZT/USD), each a 28-digit quotient."""
    rate = _in_kzt(_fixture("er_api_latest_usd.json"))[code]
    assert rate.rate == CROSS_CONTEXT.divide(_inverse(per_usd), _inverse("445.99"))
    assert (rate.base, rate.derived) == ("KZT", True)


def test_usd_crossed_into_kzt_is_the_kzt_figure():
    """USD/KZT is 1 / (1 / rates[KZT]): 445.99 again, to 28 digits."""
    usd = _in_kzt(_fixture("er_api_latest_usd.json"))["USD"]
    assert usd.rate == CROSS_CONTEXT.divide(Decimal(1), _inverse("445.99")) == KZT_PER_USD
    assert usd.quant == 1


def test_base_and_calendar():
    """The adapter publishes in USD and dates in UTC, every day of the week."""
    er_api = ErApiRates(SourceSettings(adapter="er-api"))
    assert isinstance(er_api, RatesSource)
    assert (er_api.base, er_api.calendar) == ("USD", Calendar("UTC", frozenset(range(7))))
    assert set(er_api.credit_texts) == {"ru", "kk", "zh", "uz", "uz-Latn", "ky", "tg"}


def test_digits_are_kept_as_sent():
    """A value with more digits than a float holds is used exactly as written."""
    rates = _by_code(_latest({"EUR": "0.100000000000000000001"}))
    assert rates["EUR"].rate == _inverse("0.100000000000000000001") != Decimal(10)


@pytest.mark.parametrize(
    ("updated", "date"),
    [
        (UPDATED, dt.date(2026, 11, 28)),
        (UPDATED - 151, dt.date(2026, 11, 28)),
        (UPDATED - 152, dt.date(2026, 11, 27)),
    ],
    ids=["after-midnight", "midnight", "just-before-midnight"],
)
def test_date_is_the_utc_date_of_the_last_update(updated, date):
    """The rates' date is the UTC calendar date of time_last_update_unix."""
    rates = _by_code(_latest({"KZT": "445.99", "USD": "1"}, time_last_update_unix=updated))
    assert rates["KZT"].date == date


@pytest.mark.parametrize(
    "code",
    ["usd", "US", "USDT", "$myro", "1000sats", ""],
    ids=["lower-case", "two-letters", "four-letters", "symbol", "digits", "empty"],
)
def test_key_that_is_no_currency_code_is_skipped(code):
    """A key that is not three upper-case letters is skipped, whatever its value."""
    rates = _by_code(_latest({"KZT": "445.99", code: '"n/a"', "EUR": "0.91667"}))
    assert list(rates) == ["KZT", "EUR"]


def test_error_body_with_200_is_a_format_error_naming_the_error_type(er_api):
    """The documented error body, sent with HTTP 200, names its error-type."""
    body = b'{"result":"error","documentation":"https://www.exchangerate-api.com/docs/free",'
    body += b'"error-type":"unsupported-code"}'
    with pytest.raises(UpstreamFormatError, match=r"^er-api: .*refused.*: unsupported-code$"):
        er_api.parse(body, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    "body",
    [
        _latest({"EUR": "0.91667", "USD": "1"}),
        _latest({"kzt": "445.99", "EUR": "0.91667", "USD": "1"}),
    ],
    ids=["absent", "lower-case"],
)
def test_response_without_kzt_cannot_be_crossed_into_kzt(er_api, body):
    """Without a KZT rate the dollar rates stand, but crossing them into KZT is refused."""
    rates = er_api.parse(body, fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    with pytest.raises(UpstreamFormatError, match=r"^er-api: no KZT rate"):
        cross_into(rates, "KZT", native="USD", source="er-api")


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        b"",
        b"Too Many Requests",
        _fixture("er_api_latest_usd.json")[:300],
        b"[]",
        b'"success"',
        b"[" * 100_000,
        b'{"result":"\xe9"}',
        b'{"result":"error"}',
        _latest(result="maintenance"),
        _latest(base_code="EUR"),
        _latest(time_last_update_unix="2026-11-28"),
        _latest(time_last_update_unix=1795824151.5),
        _latest(time_last_update_unix=True),
        _latest(time_last_update_unix=0),
        _latest(time_last_update_unix=10**12),
        json.dumps({"result": "success", "base_code": "USD", "time_last_update_unix": 1}).encode(),
        _latest({"USD": "1"}),
        _latest({}),
    ],
    ids=[
        "html-page",
        "empty",
        "plain-text",
        "truncated",
        "array",
        "string",
        "deeply-nested",
        "not-utf8",
        "error-without-type",
        "unknown-result",
        "wrong-base",
        "time-as-text",
        "time-fraction",
        "time-boolean",
        "time-zero",
        "time-beyond-year-9999",
        "no-rates",
        "usd-only",
        "empty-rates",
    ],
)
def test_bad_response_is_a_format_error(er_api, body):
    """A body that is not a successful latest/USD response raises UpstreamFormatError, never []."""
    with pytest.raises(UpstreamFormatError, match=r"^er-api: "):
        er_api.parse(body, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    "value",
    ["0", "-0.91667", "NaN", "Infinity", "-Infinity", '"0.91667"', "null", "true", "1" * 60],
    ids=[
        "zero",
        "negative",
        "nan",
        "infinity",
        "minus-infinity",
        "string",
        "null",
        "boolean",
        "60-digits",
    ],
)
def test_bad_value_is_skipped_and_the_others_kept(er_api, value):
    """A rate that is not a positive finite JSON number within the bounds is skipped, named."""
    rates = er_api.parse(
        _latest({"KZT": "445.99", "USD": "1", "EUR": value}), fetched_at=FETCHED_AT
    )
    assert [rate.code for rate in rates] == ["KZT"]
    [skipped] = rates.skipped
    assert (skipped.item, skipped.reason.startswith("er-api: EUR: ")) == ("EUR", True)
    assert len(skipped.value) <= 33


@pytest.mark.parametrize("value", ["0", "NaN", "1e999999"], ids=["zero", "nan", "1e999999"])
def test_bad_kzt_is_one_skipped_item(er_api, value):
    """A bad KZT is skipped like any currency; only the crossing into KZT then fails."""
    rates = er_api.parse(_latest({"KZT": value, "EUR": "0.91667"}), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    assert [skipped.item for skipped in rates.skipped] == ["KZT"]
    assert rates.skipped[0].reason.startswith("er-api: KZT: ")
    with pytest.raises(UpstreamFormatError, match=r"^er-api: no KZT rate"):
        cross_into(rates, "KZT", native="USD", source="er-api")


@pytest.mark.parametrize(
    ("rates", "reason"),
    [
        ({"KZT": "445.99", "USD": "1", "EUR": "1e-999999"}, "decimals"),
        ({"KZT": "445.99", "USD": "1", "EUR": "1e999999"}, "integer digits"),
        ({"KZT": "445.99", "USD": "1", "EUR": "1e-12"}, "integer digits"),
        ({"KZT": "445.99", "USD": "1", "EUR": "1e11"}, "worth less than 0.01 USD"),
    ],
    ids=["exponent-underflow", "exponent-overflow", "inverse-too-large", "inverse-too-small"],
)
def test_figure_or_inverse_beyond_the_bounds_is_skipped(er_api, rates, reason):
    """A huge exponent is refused on its digits, before any division; so is an absurd inverse."""
    parsed = er_api.parse(_latest(rates), fetched_at=FETCHED_AT)
    assert [rate.code for rate in parsed] == ["KZT"]
    [skipped] = parsed.skipped
    assert skipped.item == "EUR"
    assert reason in skipped.reason


@pytest.mark.parametrize("updated", [1796083200, 946684799], ids=["two-days-ahead", "1999"])
def test_update_time_outside_the_window_is_a_format_error(er_api, updated):
    """time_last_update_unix over a day after the fetch (UTC) or before 2000 fails the response."""
    with pytest.raises(UpstreamFormatError, match=r"^er-api: time_last_update_unix: dated"):
        er_api.parse(_latest(time_last_update_unix=updated), fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (b"{", json.JSONDecodeError),
        (b'{"result":"\xe9"}', UnicodeDecodeError),
        (_latest(base_code="EUR"), ValidationError),
    ],
    ids=["json", "encoding", "validation"],
)
def test_format_error_keeps_the_low_level_cause(er_api, body, cause):
    """The low-level error is kept as the format error's __cause__."""
    with pytest.raises(UpstreamFormatError) as info:
        er_api.parse(body, fetched_at=FETCHED_AT)
    assert isinstance(info.value.__cause__, cause)


def test_unknown_option_is_refused():
    """A key the adapter does not know (it always asks for base USD) is refused when built."""
    with pytest.raises(ValidationError, match="base"):
        ErApiRates(SourceSettings(adapter="er-api", base="KZT"))


async def test_fetch_reads_latest_usd(aiohttp_server, session):
    """fetch GETs /v6/latest/USD under the configured base URL, with no key, and parses it."""
    requests = []

    async def handler(request):
        requests.append((request.path, dict(request.query)))
        return web.Response(
            body=_fixture("er_api_latest_usd.json"), content_type="application/json"
        )

    _, settings = await _serve(aiohttp_server, "/v6/latest/USD", handler)
    rates = await ErApiRates(settings).fetch(session, ["USD"])
    assert requests == [("/v6/latest/USD", {})]
    assert [rate.code for rate in rates] == CODES
    assert rates[0].fetched_at.tzinfo is not None


async def test_fetch_error_body_with_200_is_a_format_error(aiohttp_server, session):
    """The API's error body served with 200 OK raises UpstreamFormatError from fetch."""

    async def handler(request):
        return web.json_response({"result": "error", "error-type": "unsupported-code"})

    _, settings = await _serve(aiohttp_server, "/v6/latest/USD", handler)
    with pytest.raises(UpstreamFormatError, match="unsupported-code"):
        await ErApiRates(settings).fetch(session, ["USD"])


@pytest.mark.parametrize("status", [429, 500], ids=["rate-limited", "server-error"])
async def test_fetch_error_status_is_unavailable(aiohttp_server, session, status):
    """An HTTP 429 or 500 answer raises UpstreamUnavailable naming the status."""

    async def handler(request):
        return web.Response(status=status, body=HTML_PAGE, content_type="text/html")

    _, settings = await _serve(aiohttp_server, "/v6/latest/USD", handler)
    with pytest.raises(UpstreamUnavailable, match=f"HTTP {status}"):
        await ErApiRates(settings).fetch(session, ["USD"])
