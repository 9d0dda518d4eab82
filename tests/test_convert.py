"""Conversion: ``GET /v1/convert``, ``TickerClient.convert`` and ``ticker convert``.

Every expected figure is written out by hand: a published rate times the amount is
exact, and each quotient is the 28 significant digits of long division, rounded
half even (``100 / 44599 = 0.002242202739971748245476355972...``).  The app is the
real one on loopback with a cache this test fills, at a frozen time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import MultiDict

from ticker import (
    BadRequestError,
    Conversion,
    DiskCache,
    ServiceUnavailable,
    Store,
    SyncTickerClient,
    TickerClient,
    create_app,
)
from ticker._cli.main import EXIT_NO_RATE, EXIT_USAGE, main
from ticker._data.history import History
from ticker._rates import AMOUNT_PATTERN, convert, parse_amount
from ticker._serving.convert_routes import ConvertQuery, conversion, convert_query
from ticker._serving.history_routes import HISTORY_KEY
from ticker._serving.responses import QueryError

from .conftest import NOW, REFERENCE_RATES, make_settings, rate, weather
from .test_client import served_in_thread

TODAY = dt.date(2026, 11, 28)
FRIDAY = dt.date(2026, 11, 27)
ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")

CONVERT_YAML = """
languages: [en, ru]
rates:
  currencies: [USD, EUR, RUB, CNY, UZS]
  sources: [{adapter: static, rates: {USD: "445.99"}}]
weather:
  cities:
    - {id: astana, name: {en: Astana, ru: Астана}, latitude: 51.17, longitude: 71.45,
       timezone: Asia/Almaty}
  sources: [{adapter: static, cities: {astana: {temperature: 19, min: 18, max: 20}}}]
"""
#: A site in Uzbekistan: rates in UZS, as the Central Bank of Uzbekistan publishes them.
UZS_YAML = CONVERT_YAML.replace("[USD, EUR, RUB, CNY, UZS]", "[USD, KZT]").replace(
    "currencies:", "base: UZS\n  currencies:"
)
#: The som, published per 100 units: 100 UZS = 3.72 KZT.
SOM = rate("UZS", "3.72", quant=100)


def settings_with(extra: str = "", text: str = CONVERT_YAML):
    """The conversion site's settings, with more YAML appended."""
    return make_settings(text + extra)


def app_of(settings, store: Store):
    """The service over ``store`` at the frozen time."""
    return create_app(settings, store=store, clock=lambda: NOW)


@pytest.fixture
def convert_store(store: Store) -> Store:
    """The reference rates and the som, as the National Bank published them on the 28th."""
    store.put_rates([*REFERENCE_RATES, SOM])
    store.put_weather([weather()])
    return store


@pytest.fixture
async def client(aiohttp_client, convert_store):
    """A test client of the conversion site's app."""
    return await aiohttp_client(app_of(settings_with(), convert_store))


async def answer(client, **query: str) -> dict:
    """The 200 JSON answer to ``/v1/convert`` with ``query`` (``source`` stands for from)."""
    params = {"from" if name == "source" else name: value for name, value in query.items()}
    response = await client.get("/v1/convert", params=params)
    assert response.status == 200, await response.text()
    body: dict = await response.json()
    return body


async def refusal(client, query: str, status: int = 400) -> dict:
    """The error body of ``/v1/convert?query``, which must have ``status`` and no-store."""
    response = await client.get(f"/v1/convert?{query}")
    assert response.status == status, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    body: dict = await response.json()
    return body


# --- the arithmetic ---------------------------------------------------------------------------


async def test_usd_into_kzt_is_the_published_rate_times_the_amount(client):
    """100 USD at the published 445.99 is 44599.00 KZT exactly, not derived."""
    assert await answer(client, source="USD", to="KZT", amount="100") == {
        "from": "USD", "to": "KZT", "amount": "100", "result": "44599.00",
        "text": "44599.00", "rate": "445.99", "date": "2026-11-28", "source": "nbk",
        "derived": False,
    }  # fmt: skip


async def test_kzt_into_usd_is_the_inverse_to_28_digits(client):
    """KZT/USD is 1 / 445.99 to 28 significant digits, derived; the result is exact."""
    body = await answer(client, source="KZT", to="USD", amount="100000")
    # 100 / 44599 by long division: 0.002242202739971748245476355972 107...
    assert body["rate"] == "0.002242202739971748245476355972"
    assert body["result"] == "224.220273997174824547635597200000"
    assert (body["text"], body["derived"], body["source"]) == ("224.22", True, "nbk")


async def test_usd_into_eur_is_crossed_through_the_base(client):
    """USD/EUR = 445.99 / 486.53 to 28 digits: a cross, derived, both dates the 28th."""
    body = await answer(client, source="USD", to="EUR", amount="100")
    # 44599 / 48653 = 0.9166752307154748936345138018 21...
    assert body["rate"] == "0.9166752307154748936345138018"
    assert body["result"] == "91.6675230715474893634513801800"
    assert (body["text"], body["derived"], body["date"]) == ("91.67", True, "2026-11-28")


async def test_a_quant_of_100_is_divided_out(client):
    """3.72 KZT per 100 UZS is 0.0372 per som: 1000 UZS are 37.20 KZT."""
    body = await answer(client, source="UZS", to="KZT", amount="1000")
    assert (body["rate"], body["result"], body["text"]) == ("0.0372", "37.2000", "37.20")
    back = await answer(client, source="KZT", to="UZS", amount="37.20")
    # 1 / 0.0372 = 26.88172043010752688172043010 7526... (period 15): 28 digits, half even.
    assert back["rate"] == "26.88172043010752688172043011"
    assert back["text"] == "1000.00"


async def test_the_older_date_and_both_sources_are_named(aiohttp_client, store):
    """A cross of two sources' rates names both (from, to) and the older date."""
    store.put_rates(
        [rate("USD", "445.99", date=TODAY), rate("EUR", "486.53", date=FRIDAY, source="cbr")]
    )
    client = await aiohttp_client(app_of(settings_with(), store))
    body = await answer(client, source="USD", to="EUR", amount="1")
    assert (body["source"], body["date"]) == ("nbk+cbr", "2026-11-27")
    body = await answer(client, source="EUR", to="USD", amount="1")
    assert body["source"] == "cbr+nbk"


async def test_a_site_in_another_base_crosses_through_its_own(aiohttp_client, store):
    """On a UZS site USD/KZT = 11850.40 / 26.58, and USD/UZS is the published rate."""
    usd = rate("USD", "11850.40", base="UZS", source="cbu")
    tenge = rate("KZT", "26.58", base="UZS", source="cbu")
    store.put_rates([usd, tenge])
    client = await aiohttp_client(app_of(settings_with(text=UZS_YAML), store))
    body = await answer(client, source="USD", to="KZT", amount="1")
    # 1185040 / 2658 = 445.8389766741911211437170805 117...
    assert (body["rate"], body["text"], body["derived"]) == (
        "445.8389766741911211437170805", "445.84", True,
    )  # fmt: skip
    body = await answer(client, source="USD", to="UZS", amount="100")
    assert (body["result"], body["text"], body["derived"]) == ("1185040.00", "1185040.00", False)


async def test_a_currency_into_itself_is_rate_one(client):
    """from == to needs no rate: rate 1, the amount itself, rounded to the minor unit."""
    for code in ("USD", "KZT"):
        body = await answer(client, source=code, to=code, amount="12.5")
        assert body == body | {"rate": "1", "result": "12.5", "text": "12.50"}
        assert (body["date"], body["source"], body["derived"]) == (None, None, False)


async def test_lowercase_codes_are_upper_cased(client):
    """usd and Kzt are taken as USD and KZT."""
    body = await answer(client, source="usd", to="Kzt", amount="1")
    assert (body["from"], body["to"], body["rate"]) == ("USD", "KZT", "445.99")


async def test_small_negative_amounts_never_show_a_negative_zero(client):
    """-0.001 USD is -0.44599 KZT exactly, shown as -0.45; -0 shows as 0.00."""
    body = await answer(client, source="USD", to="KZT", amount="-0.001")
    assert (body["result"], body["text"]) == ("-0.44599", "-0.45")
    body = await answer(client, source="KZT", to="USD", amount="-0.001")
    assert body["text"] == "0.00"


def test_figures_are_plain_decimal_strings():
    """A tiny result is written out in digits, never as an exponent."""
    query = ConvertQuery("USD", "KZT", Decimal("0.000000000000000001"))
    answer_ = conversion(query, {"USD": REFERENCE_RATES[0]}, "KZT")
    assert json.loads(answer_.model_dump_json(by_alias=True))["result"] == (
        "0.00000000000000044599"
    )


# --- the amount -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("100", "100"), ("12.50", "12.50"), ("-3", "-3"), ("0.000000000000000001", "1E-18"),
     ("999999999999999999", "999999999999999999"), ("000123", "123"), ("0", "0")],
    ids=["whole", "cents", "negative", "18-decimals", "18-digits", "leading-zeros", "zero"],
)  # fmt: skip
def test_amounts_within_18_digits_are_taken(text, value):
    """A plain decimal of at most 18 digits, leading zeros apart, is taken exactly."""
    assert parse_amount(text) == Decimal(value)
    assert re.fullmatch(AMOUNT_PATTERN, text)


@given(st.text(alphabet="0123456789.-e٣", max_size=24))
def test_the_documented_pattern_takes_exactly_what_parse_amount_takes(text):
    """The OpenAPI pattern of amount and parse_amount agree on every text."""
    try:
        parse_amount(text)
    except ValueError:
        taken = False
    else:
        taken = True
    assert taken == bool(re.fullmatch(AMOUNT_PATTERN, text))


def test_convert_rounds_half_up_to_the_minor_unit():
    """JPY has no minor unit and KWD three: 0.5 rounds up, and the text keeps the places."""
    yen = rate("JPY", "2.905")
    assert convert(Decimal("1"), yen, None, to="KZT").text == "2.91"
    assert convert(Decimal("1"), None, rate("JPY", "2"), to="JPY").text == "1"
    assert convert(Decimal("1"), None, rate("KWD", "1600"), to="KWD").text == "0.001"


# --- refusals -------------------------------------------------------------------------------

ALLOWED_CODES = ["KZT", "USD", "EUR", "RUB", "CNY", "UZS"]
AMOUNT_FORM = ["a decimal number such as 100 or 12.50, at most 18 digits"]


@pytest.mark.parametrize(
    ("query", "parameter", "allowed"),
    [
        ("to=KZT&amount=1", "from", ALLOWED_CODES),
        ("from=GBP&to=KZT&amount=1", "from", ALLOWED_CODES),
        ("from=%C5%BFUSD&to=KZT&amount=1", "from", ALLOWED_CODES),
        ("from=USD&amount=1", "to", ALLOWED_CODES),
        ("from=USD&to=US&amount=1", "to", ALLOWED_CODES),
        ("from=USD&to=KZT", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=1e3", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=NaN", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=Infinity", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=12,5", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=%D9%A3", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=1234567890123456789", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=0.1234567890123456789", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=1&date=28.11.2026", "date", ["YYYY-MM-DD"]),
        ("from=USD&to=KZT&amount=1&date=2026-W48-6", "date", ["YYYY-MM-DD"]),
        ("from=USD&to=KZT&amount=1&date=20261128", "date", ["YYYY-MM-DD"]),
        ("from=USD&to=KZT&amount=1&date=2026-02-30", "date", ["YYYY-MM-DD"]),
        ("from=USD&to=KZT&amount=1&date=1999-12-31", "date", ["2025-10-24 to 2027-11-29"]),
        ("from=USD&to=KZT&amount=1&date=9999-12-31", "date", ["2025-10-24 to 2027-11-29"]),
        ("from=USD&to=KZT&amount=1&lang=ru", "lang", ["amount", "date", "from", "to"]),
        ("from=USD&from=EUR&to=KZT&amount=1", "from", ALLOWED_CODES),
        ("from=USD&to=KZT&amount=1&amount=2", "amount", AMOUNT_FORM),
        ("from=USD&to=KZT&amount=1&date=2026-11-28&date=2026-11-27", "date", ["YYYY-MM-DD"]),
    ],
    ids=["no-from", "unknown-from", "long-s-from", "no-to", "unknown-to", "no-amount",
         "exponent", "nan", "infinity", "comma", "arabic-digit", "empty-amount", "19-digits",
         "19-decimals", "dotted-date", "week-date", "compact-date", "no-such-day",
         "before-window", "after-window", "unknown-parameter", "repeated-from",
         "repeated-amount", "repeated-date"],
)  # fmt: skip
async def test_a_bad_query_is_a_400_naming_the_parameter(client, query, parameter, allowed):
    """Each refusal names the parameter at fault and what it takes, never cached."""
    body = await refusal(client, query)
    assert (body["error"], body["parameter"], body["allowed"]) == (
        "bad_request",
        parameter,
        allowed,
    )
    assert parameter in body["message"]


async def test_a_hidden_currency_is_not_convertible(aiohttp_client, convert_store):
    """A code the editors hide is refused like an unknown one, and not listed."""
    settings = settings_with("editorial: {hide: [RUB]}\n")
    client = await aiohttp_client(app_of(settings, convert_store))
    body = await refusal(client, "from=RUB&to=KZT&amount=1")
    assert (body["parameter"], body["allowed"]) == ("from", ["KZT", "USD", "EUR", "CNY", "UZS"])


async def test_a_currency_without_a_rate_now_is_a_503_saying_which_and_why(aiohttp_client, store):
    """No CNY in the cache: a 503 naming CNY, the strip's reason and what converts now."""
    store.put_rates(REFERENCE_RATES[:3])
    client = await aiohttp_client(app_of(settings_with(), store))
    body = await refusal(client, "from=USD&to=CNY&amount=1", 503)
    assert (body["error"], body["parameter"]) == ("no_rate", "to")
    assert body["message"].startswith("CNY has no rate to convert with now: ")
    assert "(no_value)" in body["message"]
    assert body["allowed"] == ["KZT", "USD", "EUR", "RUB"]


async def test_a_rate_past_max_age_is_missing_as_the_strip_hides_it(aiohttp_client, store):
    """A rate fetched five days ago is hidden from the strip, so it converts nothing."""
    store.put_rates([rate("USD", "445.99", fetched_at=NOW - dt.timedelta(days=5))])
    client = await aiohttp_client(app_of(settings_with(), store))
    body = await refusal(client, "from=USD&to=KZT&amount=1", 503)
    assert body["parameter"] == "from"
    assert "(hidden)" in body["message"]


async def test_a_rate_in_another_base_counts_as_absent(aiohttp_client, store):
    """A USD rate stored in UZS (before the site's base changed) is no KZT rate."""
    store.put_rates([rate("USD", "11850.40", base="UZS")])
    client = await aiohttp_client(app_of(settings_with(), store))
    body = await refusal(client, "from=USD&to=KZT&amount=1", 503)
    assert body["message"].startswith("USD has no rate to convert with now")


# --- editors' pins ----------------------------------------------------------------------------

PIN = "editorial:\n  pins: [{item: USD, value: '450.00', reason: feed delayed, until: '2026-12-01T00:00:00+05:00'}]\n"  # noqa: E501


async def test_a_pinned_value_is_what_the_latest_conversion_uses(aiohttp_client, convert_store):
    """The strip shows the editors' 450.00, so 2 USD are 900.00 KZT from editorial."""
    client = await aiohttp_client(app_of(settings_with(PIN), convert_store))
    body = await answer(client, source="USD", to="KZT", amount="2")
    assert (body["rate"], body["result"], body["source"]) == ("450.00", "900.00", "editorial")


# --- a date from the history ------------------------------------------------------------------


def record(store: Store, settings) -> None:
    """USD and EUR published on Thursday and Friday, USD alone on Saturday."""
    history = History(store.backend, settings.history, clock=lambda: NOW)
    history.record(
        [
            rate("USD", "440.00", date=FRIDAY - dt.timedelta(days=1)),
            rate("EUR", "480.00", date=FRIDAY - dt.timedelta(days=1)),
            rate("USD", "441.50", date=FRIDAY),
            rate("EUR", "482.00", date=FRIDAY, source="cbr"),
            rate("USD", "445.99", date=TODAY),
        ]
    )


@pytest.fixture
async def dated(aiohttp_client, convert_store):
    """The app with a recorded history and the editors' USD pin."""
    settings = settings_with(PIN)
    record(convert_store, settings)
    return await aiohttp_client(app_of(settings, convert_store))


async def test_a_date_uses_that_dates_publications(dated):
    """date= converts at Friday's rates from the history, pins aside; cached 5 minutes."""
    response = await dated.get(
        "/v1/convert", params={"from": "USD", "to": "EUR", "amount": "10", "date": "2026-11-27"}
    )
    assert response.headers["Cache-Control"] == "public, max-age=300"
    body = await response.json()
    # 44150 / 48200 = 883 / 964 = 0.9159751037344398340248962655 60...
    assert body == {
        "from": "USD", "to": "EUR", "amount": "10", "result": "9.1597510373443983402489626560",
        "text": "9.16", "rate": "0.9159751037344398340248962656", "date": "2026-11-27",
        "source": "nbk+cbr", "derived": True,
    }  # fmt: skip
    body = await answer(dated, source="USD", to="KZT", amount="1", date="2026-11-27")
    assert (body["rate"], body["source"]) == ("441.50", "nbk")


async def test_a_date_without_a_publication_is_a_400_listing_those_near(dated):
    """No EUR on Saturday: a 400 naming date, listing the dates with both USD and EUR."""
    body = await refusal(dated, "from=USD&to=EUR&amount=1&date=2026-11-28")
    assert (body["parameter"], body["message"]) == (
        "date",
        "no EUR publication is dated 2026-11-28",
    )
    assert body["allowed"] == ["2026-11-26", "2026-11-27"]
    body = await refusal(dated, "from=RUB&to=KZT&amount=1&date=2026-11-28")
    assert body["allowed"] == ["2025-10-24 to 2027-11-29"]


async def test_an_unreadable_history_is_a_503(aiohttp_client, convert_store):
    """A dated conversion whose history cannot be read is a 503 in JSON, not a 500."""

    class Down:
        def get_many(self, keys):
            raise ConnectionError("cache is down")

    app = app_of(settings_with(), convert_store)
    app[HISTORY_KEY] = History(Down(), settings_with().history)
    client = await aiohttp_client(app)
    body = await refusal(client, "from=USD&to=KZT&amount=1&date=2026-11-27", 503)
    assert body["error"] == "unavailable"


# --- HTTP -------------------------------------------------------------------------------------


async def test_an_answer_is_revalidated_with_its_etag(client):
    """A conversion has a strong ETag and the strip's Cache-Control; a match is a 304."""
    params = {"from": "USD", "to": "KZT", "amount": "100"}
    first = await client.get("/v1/convert", params=params)
    etag = first.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{24}"', etag)
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    again = await client.get("/v1/convert", params=params, headers={"If-None-Match": etag})
    assert again.status == 304
    assert (again.headers["ETag"], await again.read()) == (etag, b"")
    assert "Cache-Control" in again.headers
    other = await client.get("/v1/convert", params={**params, "amount": "101"})
    assert other.headers["ETag"] != etag


async def test_a_configured_origin_is_allowed(aiohttp_client, convert_store):
    """CORS as on every /v1 route: the configured origin is named and answers vary by it."""
    settings = settings_with("server: {cors_origins: ['https://news.example']}\n")
    client = await aiohttp_client(app_of(settings, convert_store))
    response = await client.get(
        "/v1/convert?from=USD&to=KZT&amount=1", headers={"Origin": "https://news.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "Origin" in response.headers["Vary"]


# --- the client -------------------------------------------------------------------------------


@pytest.fixture
def dated_app(convert_store):
    """The app with the recorded history, for the client."""
    settings = settings_with()
    record(convert_store, settings)
    return app_of(settings, convert_store)


async def test_the_client_returns_the_services_conversion(aiohttp_server, dated_app):
    """convert() takes a Decimal, str or int amount and returns the served Conversion."""
    server = await aiohttp_server(dated_app)
    async with TickerClient(str(server.make_url("/"))) as client:
        for amount in (Decimal("100"), "100", 100, Decimal("1E+2")):
            got = await client.convert(amount, "USD", "KZT")
            assert isinstance(got, Conversion)
            assert (got.from_, got.result, got.text) == ("USD", Decimal("44599.00"), "44599.00")
        friday = await client.convert("1", "usd", "KZT", date=FRIDAY)
        assert (friday.rate, friday.date) == (Decimal("441.50"), FRIDAY)


async def test_the_client_raises_the_services_errors(aiohttp_server, store):
    """A bad code is a BadRequestError naming it; a missing rate is ServiceUnavailable."""
    store.put_rates(REFERENCE_RATES[:1])
    server = await aiohttp_server(app_of(settings_with(), store))
    async with TickerClient(str(server.make_url("/"))) as client:
        with pytest.raises(BadRequestError) as bad:
            await client.convert(1, "GBP", "KZT")
        assert (bad.value.parameter, bad.value.allowed[0]) == ("from", "KZT")
        with pytest.raises(ServiceUnavailable) as missing:
            await client.convert(1, "EUR", "KZT")
        assert missing.value.status == 503
        with pytest.raises(TypeError):
            await client.convert(1.5, "USD", "KZT")  # type: ignore[arg-type]


def test_the_sync_client_converts_too(dated_app):
    """SyncTickerClient.convert is the blocking twin."""
    with served_in_thread(dated_app) as url, SyncTickerClient(url) as client:
        assert client.convert("2", "USD", "KZT").text == "891.98"


# --- the command ------------------------------------------------------------------------------


def command_config(tmp_path: Path, extra: str = "") -> tuple[Path, Store]:
    """A settings file whose cache is this test's, and that cache, opened."""
    path = tmp_path / "ticker.yaml"
    path.write_text(CONVERT_YAML + f"cache: {{path: {tmp_path / 'cache'}}}\n" + extra, "utf-8")
    return path, Store(DiskCache(tmp_path / "cache"))


def now_rates(store: Store) -> dt.date:
    """USD and EUR fetched just now and dated today in Astana; returns that date."""
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(ALMATY).date()
    store.put_rates(
        [rate("USD", "445.99", date=today, fetched_at=now),
         rate("EUR", "486.53", date=today, fetched_at=now)]
    )  # fmt: skip
    return today


def test_the_command_converts_from_the_configured_cache(tmp_path, capsys):
    """ticker convert reads the cache the service uses and prints one line."""
    config, store = command_config(tmp_path)
    today = now_rates(store)
    store.close()
    assert main(["convert", "100", "USD", "KZT", "--config", str(config)]) == 0
    assert capsys.readouterr().out == f"100 USD = 44599.00 KZT (rate 445.99, nbk, {today})\n"
    assert main(["convert", "100", "kzt", "kzt", "--config", str(config), "--json"]) == 0
    printed = Conversion.model_validate_json(capsys.readouterr().out)
    assert (printed.rate, printed.text, printed.source) == (Decimal(1), "100.00", None)


def test_the_command_converts_at_a_date_from_the_history(tmp_path, capsys):
    """--date reads the history of the same cache."""
    config, store = command_config(tmp_path)
    today = now_rates(store)
    history = History(store.backend, make_settings().history)
    history.record([rate("USD", "441.50", date=today - dt.timedelta(days=1))])
    store.close()
    day = (today - dt.timedelta(days=1)).isoformat()
    assert main(["convert", "2", "USD", "KZT", "--date", day, "--config", str(config)]) == 0
    assert capsys.readouterr().out == f"2 USD = 883.00 KZT (rate 441.50, nbk, {day})\n"


@pytest.mark.parametrize(
    ("argv", "status", "said"),
    [
        (["1e3", "USD", "KZT"], EXIT_USAGE, "amount '1e3' is not a decimal number"),
        (["1", "GBP", "KZT"], EXIT_USAGE, "unsupported from 'GBP'"),
        (["1", "USD", "KZT", "--date", "yesterday"], EXIT_USAGE, "is not a date YYYY-MM-DD"),
        (["1", "CNY", "KZT"], EXIT_NO_RATE, "CNY has no rate to convert with now"),
    ],
    ids=["bad-amount", "unknown-code", "bad-date", "missing-rate"],
)
def test_the_command_fails_in_one_line(tmp_path, capsys, argv, status, said):
    """A bad argument exits 2, a missing rate 1, each with one line on stderr."""
    config, store = command_config(tmp_path)
    now_rates(store)
    store.close()
    assert main(["convert", *argv, "--config", str(config)]) == status
    err = capsys.readouterr().err
    assert said in err
    assert err.count("\n") == 1


async def test_the_command_asks_a_running_service(aiohttp_server, dated_app, capsys):
    """--url asks the service through the client: the same line, and the same exit codes."""
    server = await aiohttp_server(dated_app)
    url = str(server.make_url("/"))
    status = await asyncio.to_thread(main, ["convert", "100", "USD", "KZT", "--url", url])
    assert status == 0
    assert capsys.readouterr().out == "100 USD = 44599.00 KZT (rate 445.99, nbk, 2026-11-28)\n"
    argv = ["convert", "1", "USD", "EUR", "--date", "2026-11-27", "--url", url, "--json"]
    assert await asyncio.to_thread(main, argv) == 0
    assert json.loads(capsys.readouterr().out)["source"] == "nbk+cbr"
    bad = ["convert", "1", "GBP", "KZT", "--url", url]
    assert await asyncio.to_thread(main, bad) == EXIT_USAGE
    assert "unsupported from 'GBP'" in capsys.readouterr().err


# --- the query alone --------------------------------------------------------------------------


def test_the_query_reader_is_the_one_the_command_uses(settings):
    """convert_query upper-cases codes and reads the date; the command goes through it too."""
    query = convert_query(
        MultiDict({"from": "usd", "to": "kzt", "amount": "5", "date": "2026-11-27"}),
        settings,
        today=TODAY,
    )
    assert query == ConvertQuery("USD", "KZT", Decimal(5), FRIDAY)
    with pytest.raises(QueryError, match="amount is required"):
        convert_query(MultiDict({"from": "USD", "to": "KZT"}), settings, today=TODAY)
