"""CbuRates: the Central Bank of Uzbekistan's JSON array of UZS rates."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from pydantic import ValidationError

from ticker import Direction, SourceSettings, UpstreamFormatError, UpstreamUnavailable
from ticker._rates import CROSS_CONTEXT, cross_into
from ticker.sources import Calendar, DatedRatesSource
from ticker_adapters.cbu import CbuRates

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: 10:00 in Tashkent (UTC+5).
FETCHED_AT = dt.datetime(2026, 11, 28, 5, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 28)
#: The fixture's KZT: 26.88 soum per tenge.
UZS_PER_KZT = Decimal("26.88")

HTML_PAGE = (
    b'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>503</title></head>'
    b"<body><h1>Service Unavailable</h1></body></html>"
)


#: Leaves a key out of an item.
MISSING = object()


def _fixture(name: str = "cbu_json.json") -> bytes:
    return (FIXTURES / name).read_bytes()


def _item(
    code: object = "USD",
    *,
    rate: object = "11988.21",
    nominal: object = "1",
    diff: object = "-7.2",
    date: object = "28.11.2026",
    **fields: object,
) -> dict:
    """One of the bank's objects, every value a string as the bank writes them."""
    item = {
        "id": 69,
        "Code": "840",
        "Ccy": code,
        "CcyNm_RU": "Доллар США",
        "CcyNm_UZ": "AQSH dollari",
        "CcyNm_UZC": "АҚШ доллари",
        "CcyNm_EN": "US Dollar",
        "Nominal": nominal,
        "Rate": rate,
        "Diff": diff,
        "Date": date,
    }
    return {key: value for key, value in {**item, **fields}.items() if value is not MISSING}


EUR = {**_item("EUR", rate="13077.93", diff="12.05"), "id": 21, "Code": "978"}


def _array(*items: dict) -> bytes:
    return json.dumps(list(items), ensure_ascii=False).encode()


@pytest.fixture
def cbu():
    return CbuRates(SourceSettings(adapter="cbu"))


def _by_code(body: bytes, fetched_at: dt.datetime = FETCHED_AT) -> dict:
    rates = CbuRates(SourceSettings(adapter="cbu")).parse(body, fetched_at=fetched_at)
    return {rate.code: rate for rate in rates}


async def _serve(aiohttp_server, route, handler, *, prefix="/"):
    app = web.Application()
    app.router.add_get(route, handler)
    server = await aiohttp_server(app)
    # No retries: the Fetcher's own tests cover them; here one answer is the case.
    return server, SourceSettings(adapter="cbu", url=str(server.make_url(prefix)), retries=0)


def test_fixture_gives_uzs_rates_as_published():
    """Every object gives soum per unit, the published Rate and Nominal kept, dated in Tashkent."""
    rates = _by_code(_fixture())
    usd = rates["USD"]
    assert (usd.base, usd.rate, usd.published, usd.quant) == (
        "UZS",
        Decimal("11988.21"),
        Decimal("11988.21"),
        1,
    )
    assert (usd.change, usd.direction, usd.date) == (Decimal("-7.2"), Direction.DOWN, TODAY)
    assert len(rates) == 14
    assert {(r.base, r.derived, r.source, r.fetched_at) for r in rates.values()} == {
        ("UZS", False, "cbu", FETCHED_AT)
    }


@pytest.mark.parametrize(
    ("code", "published", "quant", "rate"),
    [
        ("IDR", "7.27", 10, "0.727"),
        ("VND", "4.61", 10, "0.461"),
        ("IRR", "2.85", 10, "0.285"),
        ("KZT", "26.88", 1, "26.88"),
    ],
    ids=["idr-per-10", "vnd-per-10", "irr-per-10", "kzt-per-1"],
)
def test_nominal_divides_the_rate(code, published, quant, rate):
    """Rate is soum per Nominal units: a Nominal of 10 divides it by 10 exactly."""
    got = _by_code(_fixture())[code]
    assert (got.published, got.quant, got.rate) == (Decimal(published), quant, Decimal(rate))


@pytest.mark.parametrize(
    ("diff", "change", "direction"),
    [
        ("-7.2", Decimal("-7.2"), Direction.DOWN),
        ("12.05", Decimal("12.05"), Direction.UP),
        ("+0.5", Decimal("0.5"), Direction.UP),
        ("0", Decimal("0"), Direction.FLAT),
        ("0.00", Decimal("0"), Direction.FLAT),
        ("-0", Decimal("0"), Direction.FLAT),
    ],
    ids=["down", "up", "plus-sign", "zero", "zero-padded", "minus-zero"],
)
def test_diff_is_the_change_and_its_sign_the_direction(diff, change, direction):
    """Diff is the change against the previous publication; its sign is the direction."""
    rate = _by_code(_array(_item(diff=diff)))["USD"]
    assert (rate.change, rate.direction) == (change, direction)


def test_an_object_without_diff_has_no_change():
    """Without Diff the change is None and flat, for the core to compute."""
    rate = _by_code(_array(_item(diff=MISSING)))["USD"]
    assert (rate.change, rate.direction) == (None, Direction.FLAT)


def test_numeric_code_id_and_names_are_not_trusted():
    """Only Ccy names the currency: a wrong numeric Code, an odd id or odd names change nothing."""
    item = _item(Code="398", id="not a number", CcyNm_EN=None, CcyNm_UZ=["x"] * 3)
    assert list(_by_code(_array(item))) == ["USD"]


@pytest.mark.parametrize(
    "code",
    ["usd", "US", "USDT", "", 840, None, MISSING],
    ids=["lower-case", "two-letters", "four-letters", "empty", "number", "null", "missing"],
)
def test_object_without_a_currency_code_is_left_out(code):
    """An object whose Ccy is not three capital letters is left out; the others are kept."""
    assert list(_by_code(_array(_item(code), EUR))) == ["EUR"]


def test_non_objects_in_the_array_are_left_out():
    """A number, a string or an array among the objects is left out; the objects are kept."""
    body = json.dumps([1, "USD", ["USD"], None, EUR]).encode()
    assert list(_by_code(body)) == ["EUR"]


@pytest.mark.parametrize(
    "body",
    [
        HTML_PAGE,
        b"",
        b"Service Temporarily Unavailable",
        _fixture()[:700],
        b'{"error": "not found"}',
        json.dumps({"USD": _item()}).encode(),
        b'"USD"',
        b"11988.21",
        b"null",
        b"[]",
        b"[1, 2, 3]",
        b"[" * 100_000 + b"]" * 100_000,
        b'[{"Ccy": "\xe9"}]',
        (FIXTURES / "nbk_rates_all.xml").read_bytes(),
    ],
    ids=[
        "html-page",
        "empty",
        "plain-text",
        "truncated",
        "json-object",
        "object-of-objects",
        "string",
        "number",
        "null",
        "empty-array",
        "array-of-numbers",
        "deeply-nested",
        "not-utf8",
        "other-format",
    ],
)
def test_bad_document_is_a_format_error(cbu, body):
    """A body that is not a JSON array of currency objects raises UpstreamFormatError, never []."""
    with pytest.raises(UpstreamFormatError, match=r"^cbu: "):
        cbu.parse(body, fetched_at=FETCHED_AT)


def test_a_json_object_is_refused_as_not_an_array(cbu):
    """A JSON object where the array belongs is named as such."""
    with pytest.raises(UpstreamFormatError, match="expected a JSON array, got dict"):
        cbu.parse(b'{"error": "not found"}', fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    "item",
    [
        _item(rate=""),
        _item(rate="abc"),
        _item(rate="-11988.21"),
        _item(rate="0.00"),
        _item(rate="NaN"),
        _item(rate="Infinity"),
        _item(rate="1.2e4"),
        _item(rate="11 988.21"),
        _item(rate="11988,21"),
        _item(rate="١١٩٨٨"),
        _item(rate=11988.21),
        _item(rate=None),
        _item(rate=MISSING),
        _item(nominal="0"),
        _item(nominal=""),
        _item(nominal="ten"),
        _item(nominal="-1"),
        _item(nominal="1.5"),
        _item(nominal="3"),
        _item(nominal=1),
        _item(diff="abc"),
        _item(diff="1e3"),
        _item(diff=""),
        _item(diff=-7.2),
        _item(date="2026-11-28"),
        _item(date="31.02.2026"),
        _item(date=""),
        _item(date=20261128),
        _item(date=MISSING),
    ],
    ids=[
        "rate-empty",
        "rate-garbage",
        "rate-negative",
        "rate-zero",
        "rate-nan",
        "rate-infinity",
        "rate-exponent",
        "rate-grouped",
        "rate-comma",
        "rate-arabic-digits",
        "rate-json-number",
        "rate-null",
        "rate-missing",
        "nominal-zero",
        "nominal-empty",
        "nominal-garbage",
        "nominal-negative",
        "nominal-fraction",
        "nominal-not-a-power-of-ten",
        "nominal-json-number",
        "diff-garbage",
        "diff-exponent",
        "diff-empty",
        "diff-json-number",
        "date-iso",
        "date-impossible",
        "date-empty",
        "date-json-number",
        "date-missing",
    ],
)
def test_bad_item_is_skipped_and_the_others_kept(cbu, item):
    """An object with an unusable Rate, Nominal, Diff or Date is skipped, named with why."""
    rates = cbu.parse(_array(item, EUR), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    [skipped] = rates.skipped
    assert (skipped.item, skipped.reason.startswith("cbu: USD: ")) == ("USD", True)
    assert len(skipped.value) <= 25


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (_item(rate="1000000000000"), "more than 12 integer digits"),
        (_item(rate="11988.21000000000"), "more than 10 decimals"),
        (_item(rate="9" * 25), "Rate is 25 characters long"),
        (_item(rate="9" * 1_000_000), "Rate is 1000000 characters long"),
        (_item(diff="-9999999999999"), "change: -9999999999999 has more than 12 integer digits"),
        (_item(nominal="10000000"), "power of ten from 1 to 1000000"),
        (_item(nominal="1" + "0" * 4000), "Nominal is 4001 characters long"),
        (_item(date="31.12.9999"), "dated 9999-12-31, after 2026-11-29: in the future"),
        (_item(date="30.11.2026"), "dated 2026-11-30, after 2026-11-29: in the future"),
        (_item(date="31.12.1999"), "dated 1999-12-31, before 2000-01-01"),
    ],
    ids=[
        "rate-13-digits",
        "rate-11-decimals",
        "rate-25-characters",
        "rate-a-megabyte",
        "diff-13-digits",
        "nominal-10-to-the-7",
        "nominal-10-to-the-4000",
        "dated-9999",
        "dated-two-days-ahead",
        "dated-1999",
    ],
)
def test_item_beyond_the_bounds_is_skipped(cbu, item, reason):
    """A value beyond the bounds or a date outside the window skips the item, never the array."""
    rates = cbu.parse(_array(item, EUR), fetched_at=FETCHED_AT)
    assert [(rate.code, rate.date) for rate in rates] == [("EUR", TODAY)]
    [skipped] = rates.skipped
    assert skipped.item == "USD"
    assert reason in skipped.reason


def test_a_huge_json_number_elsewhere_costs_nothing():
    """An id of a million digits (JSON numbers are read as Decimals) leaves the rates intact."""
    body = _array(EUR).replace(b'"id": 21', b'"id": ' + b"9" * 1_000_000)
    assert list(_by_code(body)) == ["EUR"]


def test_tomorrows_rates_in_tashkent_are_read():
    """Past midnight in Tashkent (19:30 UTC) the next day's rates are within the window."""
    evening = dt.datetime(2026, 11, 28, 19, 30, tzinfo=dt.UTC)  # 00:30 on the 29th in Tashkent
    rate = _by_code(_array(_item(date="30.11.2026")), fetched_at=evening)["USD"]
    assert rate.date == dt.date(2026, 11, 30)


def test_the_window_is_judged_in_tashkent():
    """At 23:00 in Tashkent a date two days ahead is refused, whatever UTC's date is."""
    late = dt.datetime(2026, 11, 28, 18, 0, tzinfo=dt.UTC)  # 23:00 on the 28th in Tashkent
    with pytest.raises(UpstreamFormatError, match="dated 2026-11-30, after 2026-11-29"):
        _by_code(_array(_item(date="30.11.2026")), fetched_at=late)


def test_an_item_of_another_date_is_left_out(cbu):
    """The array's date is the one most objects carry: one object dated otherwise is left out."""
    gbp = _item("GBP", rate="15080.22", date="27.11.2026")
    rates = cbu.parse(_array(_item(), EUR, gbp), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["USD", "EUR"]
    [skipped] = rates.skipped
    assert (skipped.item, skipped.reason) == ("GBP", "cbu: GBP: dated 2026-11-27, not 2026-11-28")


def test_a_currency_listed_twice_is_skipped(cbu):
    """A currency listed twice is skipped, both times; which one is right is unknown."""
    rates = cbu.parse(_array(_item(), EUR, _item(rate="12000.00")), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    assert [(s.item, s.reason) for s in rates.skipped] == [("USD", "cbu: USD: listed 2 times")] * 2


def test_soum_itself_is_skipped(cbu):
    """An object quoting UZS in soum is skipped: the base is not quoted in itself."""
    rates = cbu.parse(_array(_item("UZS", rate="1.00"), EUR), fetched_at=FETCHED_AT)
    assert [rate.code for rate in rates] == ["EUR"]
    assert "UZS is not quoted in itself" in rates.skipped[0].reason


def test_every_item_bad_is_a_format_error_naming_the_first(cbu):
    """An array whose every currency object is refused is a format error naming the first."""
    body = _array(_item(rate="NaN"), {**EUR, "Date": "31.12.9999"})
    with pytest.raises(UpstreamFormatError, match=r"^cbu: no usable currency.*USD: Rate 'NaN'"):
        cbu.parse(body, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    ("body", "cause"),
    [
        (b"[", json.JSONDecodeError),
        (b'[{"Ccy": "\xe9"}]', UnicodeDecodeError),
        (b"[" * 100_000 + b"]" * 100_000, RecursionError),
    ],
    ids=["json", "encoding", "nesting"],
)
def test_format_error_keeps_the_low_level_cause(cbu, body, cause):
    """The low-level error is kept as the format error's __cause__."""
    with pytest.raises(UpstreamFormatError) as info:
        cbu.parse(body, fetched_at=FETCHED_AT)
    assert isinstance(info.value.__cause__, cause)


def test_crossed_into_kzt_through_the_banks_own_kzt():
    """Crossed into KZT, X/KZT is (X/UZS) / (KZT/UZS) and UZS/KZT 1 / (KZT/UZS), 28 digits."""
    rates = CbuRates(SourceSettings(adapter="cbu")).parse(_fixture(), fetched_at=FETCHED_AT)
    crossed = {r.code: r for r in cross_into(rates, "KZT", native="UZS", source="cbu")}
    assert crossed["USD"].rate == CROSS_CONTEXT.divide(Decimal("11988.21"), UZS_PER_KZT)
    assert crossed["IDR"].rate == CROSS_CONTEXT.divide(Decimal("0.727"), UZS_PER_KZT)
    assert crossed["UZS"].rate == CROSS_CONTEXT.divide(Decimal(1), UZS_PER_KZT)
    assert (crossed["UZS"].quant, crossed["USD"].base, "KZT" in crossed) == (100, "KZT", False)


def test_base_calendar_and_credit():
    """The adapter publishes in UZS, dates in Tashkent Monday to Friday, credits in 8 languages."""
    cbu = CbuRates(SourceSettings(adapter="cbu"))
    assert isinstance(cbu, DatedRatesSource)
    assert (cbu.base, cbu.calendar) == ("UZS", Calendar("Asia/Tashkent", frozenset(range(5)), "UZ"))
    assert set(cbu.credit_texts) == {"ru", "kk", "zh", "uz", "uz-Latn", "ky", "tg"}
    assert cbu.credit[1] == "https://cbu.uz/"


def test_unknown_option_is_refused():
    """A key the adapter does not know is refused when it is built."""
    with pytest.raises(ValidationError, match="lang"):
        CbuRates(SourceSettings(adapter="cbu", lang="uz"))


async def test_fetch_reads_the_latest_array(aiohttp_server, session):
    """fetch GETs ru/arkhiv-kursov-valyut/json/ under the configured base URL and parses it."""
    requests = []

    async def handler(request):
        requests.append((request.path, dict(request.query)))
        return web.Response(body=_fixture(), content_type="application/json")

    _, settings = await _serve(aiohttp_server, "/ru/arkhiv-kursov-valyut/json/", handler)
    rates = await CbuRates(settings).fetch(session, ["USD", "KZT"])
    assert requests == [("/ru/arkhiv-kursov-valyut/json/", {})]
    assert len(rates) == 14
    assert rates[0].fetched_at.tzinfo is not None


async def test_fetch_under_a_mirror_path(aiohttp_server, session):
    """A base URL with a path (a proxy's) keeps it: the feed is fetched under it."""

    async def handler(request):
        return web.Response(body=_fixture(), content_type="application/json")

    route = "/mirror/cbu/ru/arkhiv-kursov-valyut/json/"
    _, settings = await _serve(aiohttp_server, route, handler, prefix="/mirror/cbu")
    assert len(await CbuRates(settings).fetch(session, ["USD"])) == 14


@pytest.mark.parametrize(
    ("on", "path"),
    [(dt.date(2026, 8, 1), "2026-08-01"), (dt.date(2026, 11, 27), "2026-11-27")],
    ids=["zero-padded", "two-digit"],
)
async def test_fetch_on_a_date_gets_the_dated_array(aiohttp_server, session, on, path):
    """fetch_on GETs json/all/YYYY-MM-DD/ for that date."""
    requests = []

    async def handler(request):
        requests.append(request.path)
        return web.Response(body=_fixture(), content_type="application/json")

    _, settings = await _serve(aiohttp_server, "/ru/arkhiv-kursov-valyut/json/all/{day}/", handler)
    rates = await CbuRates(settings).fetch_on(session, ["USD"], on)
    assert requests == [f"/ru/arkhiv-kursov-valyut/json/all/{path}/"]
    assert rates[0].date == TODAY


async def test_fetch_html_page_is_a_format_error(aiohttp_server, session):
    """An HTML page served with 200 OK raises UpstreamFormatError from fetch."""

    async def handler(request):
        return web.Response(body=HTML_PAGE, content_type="text/html")

    _, settings = await _serve(aiohttp_server, "/ru/arkhiv-kursov-valyut/json/", handler)
    with pytest.raises(UpstreamFormatError):
        await CbuRates(settings).fetch(session, ["USD"])


@pytest.mark.parametrize("status", [404, 500, 503], ids=["not-found", "error", "unavailable"])
async def test_fetch_error_status_is_unavailable(aiohttp_server, session, status):
    """An HTTP error status raises UpstreamUnavailable naming it."""

    async def handler(request):
        return web.Response(status=status, body=HTML_PAGE, content_type="text/html")

    _, settings = await _serve(aiohttp_server, "/ru/arkhiv-kursov-valyut/json/", handler)
    with pytest.raises(UpstreamUnavailable, match=f"HTTP {status}"):
        await CbuRates(settings).fetch(session, ["USD"])


async def test_fetch_oversized_body_is_unavailable(aiohttp_server, session):
    """A body beyond the Fetcher's cap is refused before it is parsed."""

    async def handler(request):
        return web.Response(body=b"[" + b" " * (5 * 1024 * 1024) + b"]")

    _, settings = await _serve(aiohttp_server, "/ru/arkhiv-kursov-valyut/json/", handler)
    with pytest.raises(UpstreamUnavailable, match="larger than"):
        await CbuRates(settings).fetch(session, ["USD"])
