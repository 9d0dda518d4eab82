"""History, audit log, backfill and sparklines, across a simulated week with frozen time.

The week is Monday 2026-03-02 to Sunday 2026-03-08 in Asia/Almaty.  The National
Bank publishes on business days only; the strip is audited at fixed moments, and
the endpoints are asked through the real app with the history wired the way the
service wires it (``add_history`` in ``create_app``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import zoneinfo
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web
from pydantic import TypeAdapter

from ticker import Rate, Settings, Store, create_app
from ticker._config import HistorySettings
from ticker._data.backfill import backfill, dated_source
from ticker._data.history import History, HistoryObserver
from ticker._data.refresh import Refresher
from ticker._serving.history_routes import HISTORY_KEY
from ticker._strip.build import build_strip
from ticker._strip.markup import render_sparkline
from ticker._wire import AuditItem
from ticker.sources import build_sources

from .conftest import make_settings, rate, weather

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")
MONDAY = dt.date(2026, 3, 2)
WEEK = [MONDAY + dt.timedelta(days=n) for n in range(7)]
BUSINESS_DAYS = WEEK[:5]
FRIDAY, SATURDAY, SUNDAY = WEEK[4], WEEK[5], WEEK[6]
#: Sunday evening, when the week's history is asked for.
SUNDAY_EVENING = dt.datetime(2026, 3, 8, 20, 0, tzinfo=ALMATY)
CODES = ("USD", "EUR", "RUB", "CNY")

NBK_CONFIG = """
rates:
  currencies: [USD, EUR, RUB, CNY]
  sources:
    - {{adapter: static, rates: {{USD: "1"}}}}
    - {{adapter: nbk, url: "{url}/rss/", timeout: 2s, retries: 0}}
weather:
  cities:
    - {{id: astana, name: {{en: Astana}}, latitude: 51.17, longitude: 71.45,
       timezone: Asia/Almaty}}
  sources: [{{adapter: static, cities: {{astana: {{temperature: 19, min: 18, max: 20}}}}}}]
"""


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of the week, Astana time."""
    return dt.datetime.combine(day, dt.time(hour, minute), ALMATY)


def usd(day: dt.date) -> str:
    """USD on a business day of the week: 500.00, 500.50, 501.00..."""
    return f"{Decimal('500.00') + Decimal('0.50') * (day - MONDAY).days:.2f}"


def publication(day: dt.date, *, fetched_at: dt.datetime) -> list[Rate]:
    """The National Bank's rates dated ``day`` as a refresh fetched them."""
    values = {"USD": usd(day), "EUR": "540.10", "RUB": "5.61", "CNY": "69.30"}
    return [
        rate(code, value, date=day, fetched_at=fetched_at, source="nbk")
        for code, value in values.items()
    ]


def last_business_day(day: dt.date) -> dt.date:
    """``day``, or the Friday before a weekend day."""
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def refresh_week(history: History) -> None:
    """Hourly refreshes from Monday to Sunday: Saturday and Sunday fetch Friday's rates again."""
    observer = HistoryObserver(history)
    for day in WEEK:
        for hour in (10, 11, 16):
            fetched_at = at(day, hour)
            observer.stored("rates", publication(last_business_day(day), fetched_at=fetched_at))


@pytest.fixture
def history(settings: Settings, store: Store) -> History:
    """The history in the test's disk cache, retention from the settings, Sunday evening."""
    return History(store.backend, settings.history, clock=lambda: SUNDAY_EVENING)


@pytest.fixture
async def client(aiohttp_client, settings: Settings, store: Store, history: History):
    """The real app, frozen on Sunday evening; its history reads the same cache as ``history``."""
    return await aiohttp_client(create_app(settings, store=store, clock=lambda: SUNDAY_EVENING))


# -- history ----------------------------------------------------------------------


def test_history_keeps_one_publication_per_business_day(history: History):
    """A week of hourly refreshes leaves Monday to Friday, one rate each, in date order."""
    refresh_week(history)
    rates = history.rates("USD", MONDAY, SUNDAY)
    assert [(r.date, r.published) for r in rates] == [
        (day, Decimal(usd(day))) for day in BUSINESS_DAYS
    ]
    # The first fetch of each publication is kept: later identical fetches write nothing.
    assert {r.fetched_at for r in rates} == {at(day, 10) for day in BUSINESS_DAYS}


def test_recording_again_is_idempotent(history: History, store: Store):
    """Recording the same publications again writes nothing and changes nothing."""
    rates = publication(MONDAY, fetched_at=at(MONDAY, 10))
    assert history.record(rates) == 4
    before = store.backend.get_many(["history:index:USD", "history:rate:USD:2026-03-02"])
    assert history.record(rates) == 0
    assert history.record(publication(MONDAY, fetched_at=at(MONDAY, 11))) == 0
    after = store.backend.get_many(["history:index:USD", "history:rate:USD:2026-03-02"])
    assert after == before


def test_a_corrected_publication_replaces_the_days_value(history: History):
    """A different value for a date already recorded replaces it: the latest publication wins."""
    history.record([rate("USD", "500.00", date=MONDAY, fetched_at=at(MONDAY, 10))])
    assert history.record([rate("USD", "500.20", date=MONDAY, fetched_at=at(MONDAY, 16))]) == 1
    [kept] = history.rates("USD", MONDAY, MONDAY)
    assert (kept.published, kept.fetched_at) == (Decimal("500.20"), at(MONDAY, 16))


def test_retention_counts_from_the_newest_date_without_a_clock(store: Store):
    """With a three-day retention and no clock, Friday's publication drops Monday's."""
    history = History(store.backend, HistorySettings(retention=dt.timedelta(days=3)))
    for day in BUSINESS_DAYS:
        history.record(publication(day, fetched_at=at(day, 10)))
    assert [r.date for r in history.rates("USD", MONDAY, SUNDAY)] == BUSINESS_DAYS[1:]
    assert store.backend.get_many(["history:rate:USD:2026-03-02"]) == {}


def test_retention_counts_from_today_with_a_clock(store: Store):
    """With a clock on Sunday, three days keep Thursday and Friday; older dates are not stored."""
    history = History(
        store.backend,
        HistorySettings(retention=dt.timedelta(days=3)),
        clock=lambda: SUNDAY_EVENING,
    )
    stored = sum(history.record(publication(day, fetched_at=at(day, 10))) for day in WEEK[:5])
    assert stored == 2 * len(CODES)
    assert [r.date for r in history.rates("EUR", MONDAY, SUNDAY)] == [WEEK[3], FRIDAY]


async def test_refresher_records_through_the_observer(settings: Settings, store: Store):
    """A real refresh with the observer attached leaves its rates in the history."""
    history = History(store.backend, settings.history)
    async with aiohttp.ClientSession() as session:
        refresher = Refresher(
            settings, build_sources(settings), store, session, observers=[HistoryObserver(history)]
        )
        await refresher.refresh_rates()
    recorded = history.rates("USD", dt.date.min, dt.date.max)
    assert [(r.published, r.source) for r in recorded] == [(Decimal("445.99"), "static")]


def test_observer_ignores_weather_and_survives_a_broken_cache(settings: Settings, caplog):
    """Weather is not recorded, and a cache that fails is logged, not raised into the refresh."""

    class Broken:
        def get_many(self, keys):
            raise ConnectionError("cache is down")

    observer = HistoryObserver(History(Broken(), settings.history))
    observer.stored("weather", [weather()])
    with caplog.at_level(logging.ERROR, logger="ticker.history"):
        observer.stored("rates", publication(MONDAY, fetched_at=at(MONDAY, 10)))
    assert "cannot record the rates" in caplog.text


async def test_history_endpoint_answers_the_week(client, history: History):
    """GET /v1/rates/USD/history over the week gives Monday to Friday, cacheable for 5 minutes."""
    refresh_week(history)
    response = await client.get("/v1/rates/USD/history?from=2026-03-02&to=2026-03-08")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = await response.json()
    assert (body["code"], body["from"], body["to"]) == ("USD", "2026-03-02", "2026-03-08")
    assert body["points"][0] == {
        "date": "2026-03-02",
        "rate": "500.00",
        "published": "500.00",
        "quant": 1,
        "source": "nbk",
    }
    assert [p["date"] for p in body["points"]] == [day.isoformat() for day in BUSINESS_DAYS]


async def test_history_endpoint_weekend_has_no_publications(client, history: History):
    """Saturday to Sunday holds no publication of its own: the points are empty."""
    refresh_week(history)
    body = await (await client.get("/v1/rates/EUR/history?from=2026-03-07&to=2026-03-08")).json()
    assert body["points"] == []


async def test_history_endpoint_defaults_to_the_last_30_days(client, history: History):
    """Without parameters the range is the 30 days to today in Asia/Almaty, today included."""
    refresh_week(history)
    history.record([rate("USD", "480.00", date=dt.date(2026, 2, 6), fetched_at=at(MONDAY, 9))])
    body = await (await client.get("/v1/rates/USD/history")).json()
    assert (body["from"], body["to"]) == ("2026-02-07", "2026-03-08")
    assert len(body["points"]) == 5


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=2026-3-2", "from"),
        ("from=20260302", "from"),
        ("to=2026-02-30", "to"),
        ("to=", "to"),
        ("from=2026-03-08&to=2026-03-02", "from"),
        ("from=2024-01-01&to=2026-03-08", "from"),
        ("from=2026-03-02&from=2026-03-03", "from"),
        ("since=2026-03-02", "since"),
    ],
    ids=["short", "basic-format", "no-such-day", "empty", "reversed", "beyond-retention",
         "repeated", "unknown"],
)  # fmt: skip
async def test_history_endpoint_refuses_bad_parameters(client, query: str, parameter: str):
    """A bad, missing-value, repeated or unknown parameter or too long a range is a 400 in JSON."""
    response = await client.get(f"/v1/rates/USD/history?{query}")
    assert response.status == 400
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    body = await response.json()
    assert body["error"] == "bad_request"
    assert body["parameter"] == parameter
    assert body["message"]
    assert body["allowed"]


async def test_history_endpoint_accepts_a_range_as_long_as_retention(client):
    """From 400 days before to the day itself is exactly the retention, and allowed."""
    response = await client.get("/v1/rates/USD/history?from=2025-02-01&to=2026-03-08")
    assert response.status == 200


@pytest.mark.parametrize("code", ["XYZ", "usd", "GBP"], ids=["unknown", "lower-case", "unshown"])
async def test_history_endpoint_unknown_currency_is_404(client, code: str):
    """A currency the strip does not show is a 404 listing the ones it does."""
    response = await client.get(f"/v1/rates/{code}/history")
    assert response.status == 404
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert (body["error"], body["parameter"], body["allowed"]) == (
        "not_found",
        "code",
        list(CODES),
    )


async def test_history_routes_sit_beside_the_services_own(client):
    """The app's catch-all still answers elsewhere, and lists the history endpoints."""
    response = await client.get("/v1/nothing")
    assert response.status == 404
    assert "/v1/audit" in (await response.json())["allowed"]
    assert client.app[HISTORY_KEY] is not None
    assert (await client.post("/v1/audit?at=2026-03-02T10:00:00Z")).status == 405


async def test_endpoints_answer_503_when_the_cache_is_down(aiohttp_client, settings, store):
    """A shared cache that cannot be read gives a 503 in JSON, not a bare 500."""

    class Down:
        def get_many(self, keys):
            raise ConnectionError("cache is down")

    clock = lambda: SUNDAY_EVENING  # noqa: E731
    app = create_app(settings, store=store, clock=clock)
    app[HISTORY_KEY] = History(Down(), settings.history)
    client = await aiohttp_client(app)
    for path in ("/v1/rates/USD/history", "/v1/audit?at=2026-03-02T10:05:00Z"):
        response = await client.get(path)
        assert response.status == 503
        assert response.headers["Cache-Control"] == "no-store"
        assert (await response.json())["error"] == "unavailable"


# -- audit ------------------------------------------------------------------------


def audit_week(settings: Settings, history: History) -> None:
    """Audit the strip of the week: new rates each business morning, weather only on Monday.

    Monday's last reading (11:00) is older than weather.max_age from Tuesday on, so
    the strip shows Astana as missing from then.
    """
    reading = weather(temperature=19.2, fetched_at=at(MONDAY, 9))
    for day in BUSINESS_DAYS:
        rates = {r.code: r for r in publication(day, fetched_at=at(day, 9))}
        if day == MONDAY:
            # The same values an hour later: the strip shows nothing new.
            strip = build_strip(settings, rates, {"astana": reading}, lang="en", now=at(day, 10))
            history.audit_strip(strip, at(day, 9))
            history.audit_strip(strip, at(day, 10))
            reading = weather(temperature=19.4, fetched_at=at(MONDAY, 11))
            strip = build_strip(settings, rates, {"astana": reading}, lang="en", now=at(day, 11))
            history.audit_strip(strip, at(day, 11))
            continue
        strip = build_strip(settings, rates, {"astana": reading}, lang="en", now=at(day, 9))
        history.audit_strip(strip, at(day, 9))
    for day in (SATURDAY, SUNDAY):  # no publication: the strip shows Friday's rates
        rates = {r.code: r for r in publication(FRIDAY, fetched_at=at(FRIDAY, 9))}
        strip = build_strip(settings, rates, {"astana": reading}, lang="en", now=at(day, 9))
        history.audit_strip(strip, at(day, 9))


def test_audit_appends_only_changes(settings: Settings, history: History, store: Store):
    """Monday's repeated strip adds nothing; each business day adds one entry per currency."""
    audit_week(settings, history)
    counts = {day: len(entries(store, "rates:USD", day)) for day in WEEK}
    assert counts == {**dict.fromkeys(BUSINESS_DAYS, 1), SATURDAY: 0, SUNDAY: 0}
    [first] = entries(store, "rates:USD", MONDAY)
    assert (first.text, first.since, first.source) == ("500.00", at(MONDAY, 9), "nbk")
    astana = entries(store, "weather:astana", MONDAY)
    assert [(e.value, e.since) for e in astana] == [
        (Decimal("19.2"), at(MONDAY, 9)),
        (Decimal("19.4"), at(MONDAY, 11)),
    ]


def entries(store: Store, name: str, day: dt.date) -> list[AuditItem]:
    """The audit entries of ``name`` stored for the UTC day ``day``."""
    key = f"audit:log:{name}:{day.isoformat()}"
    raw = store.backend.get_many([key]).get(key)
    return [] if raw is None else TypeAdapter(list[AuditItem]).validate_json(raw)


@pytest.mark.parametrize(
    ("moment", "usd_text", "since"),
    [
        (at(MONDAY, 9), "500.00", at(MONDAY, 9)),
        (at(MONDAY, 10, 5), "500.00", at(MONDAY, 9)),
        (at(WEEK[1], 8, 59), "500.00", at(MONDAY, 9)),
        (at(WEEK[1], 9), "500.50", at(WEEK[1], 9)),
        (at(FRIDAY, 23, 59), "502.00", at(FRIDAY, 9)),
        (at(SATURDAY, 12), "502.00", at(FRIDAY, 9)),
        (at(SUNDAY, 23, 59), "502.00", at(FRIDAY, 9)),
        (at(SUNDAY, 23, 59) + dt.timedelta(days=30), "502.00", at(FRIDAY, 9)),
    ],
    ids=["first-entry", "issue-example", "before-tuesday", "tuesday", "friday-night", "saturday",
         "sunday-night", "a-month-later"],
)  # fmt: skip
async def test_audit_endpoint_answers_what_the_strip_showed(
    client, settings: Settings, history: History, moment, usd_text, since
):
    """GET /v1/audit?at= gives each item's entry in effect at that moment, with its source."""
    audit_week(settings, history)
    response = await client.get("/v1/audit", params={"at": moment.isoformat()})
    assert response.status == 200
    body = await response.json()
    assert body["at"] == moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    items = {item["item"]: item for item in body["items"]}
    assert [item["kind"] for item in body["items"]] == ["rates"] * 4 + ["weather"]
    assert items["USD"]["text"] == usd_text
    assert items["USD"]["value"] == usd_text
    assert items["USD"]["source"] == "nbk"
    assert dt.datetime.fromisoformat(items["USD"]["since"]) == since
    assert dt.datetime.fromisoformat(items["USD"]["fetched_at"]) == since


async def test_audit_weather_changes_on_a_new_reading(client, settings, history: History):
    """A new reading with the same text still makes an entry: its value and fetch time changed."""
    audit_week(settings, history)
    before = await (
        await client.get("/v1/audit", params={"at": "2026-03-02T10:59:00+05:00"})
    ).json()
    after = await (await client.get("/v1/audit", params={"at": "2026-03-02T11:00:00+05:00"})).json()
    assert (before["items"][-1]["value"], after["items"][-1]["value"]) == ("19.2", "19.4")
    assert before["items"][-1]["text"] == after["items"][-1]["text"] == "+18+20℃"
    assert after["items"][-1]["item"] == "astana"


async def test_audit_before_the_first_entry_has_no_items(client, settings, history: History):
    """Before the strip was first audited, nothing is known to have been shown."""
    audit_week(settings, history)
    body = await (await client.get("/v1/audit", params={"at": "2026-03-02T08:59:59+05:00"})).json()
    assert body["items"] == []


async def test_audit_accepts_an_unencoded_plus_in_the_offset(client, settings, history):
    """``?at=...+05:00`` written literally (the + arrives as a space) reads as +05:00."""
    audit_week(settings, history)
    response = await client.get("/v1/audit?at=2026-03-02T10:05:00+05:00")
    assert response.status == 200
    assert (await response.json())["at"] == "2026-03-02T05:05:00Z"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "at"),
        ("at=2026-03-02T10:05:00", "at"),
        ("at=2026-03-02+10:05", "at"),
        ("at=yesterday", "at"),
        ("at=2026-03-02T10:05:00Z&at=2026-03-02T11:05:00Z", "at"),
        ("at=2026-03-02T10:05:00Z&lang=en", "lang"),
    ],
    ids=["missing", "naive", "naive-with-space", "not-a-time", "repeated", "unknown"],
)
async def test_audit_endpoint_refuses_bad_parameters(client, query: str, parameter: str):
    """A missing, naive, unreadable or repeated ``at``, or another parameter, is a 400 in JSON."""
    response = await client.get(f"/v1/audit?{query}")
    assert response.status == 400
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert (body["error"], body["parameter"]) == ("bad_request", parameter)
    assert body["allowed"]


def test_audit_refuses_naive_times(settings: Settings, history: History):
    """Library callers get a ValueError for a moment without an offset."""
    strip = build_strip(settings, {}, {}, lang="en", now=at(MONDAY, 9))
    with pytest.raises(ValueError, match="no time zone"):
        history.audit_strip(strip, dt.datetime(2026, 3, 2, 9))  # noqa: DTZ001
    with pytest.raises(ValueError, match="no time zone"):
        history.shown_at(dt.datetime(2026, 3, 2, 9))  # noqa: DTZ001


def test_audit_log_only_moves_forward(settings: Settings, history: History):
    """A strip older than an item's last entry is not appended."""
    rates = {r.code: r for r in publication(MONDAY, fetched_at=at(MONDAY, 9))}
    strip = build_strip(settings, rates, {}, lang="en", now=at(MONDAY, 9))
    assert history.audit_strip(strip, at(MONDAY, 9)) == 5
    older = {r.code: r for r in publication(MONDAY, fetched_at=at(MONDAY, 8))}
    stale_strip = build_strip(settings, older, {}, lang="en", now=at(MONDAY, 8))
    assert history.audit_strip(stale_strip, at(MONDAY, 8)) == 0


def test_audit_retention_keeps_the_entry_still_in_effect(settings: Settings, store: Store):
    """Days older than retention go, except the last one, which still says what was shown."""
    history = History(store.backend, HistorySettings(retention=dt.timedelta(days=2)))
    audit_week(settings, history)
    days = store.backend.get_many(["audit:days:rates:USD", "audit:days:weather:astana"])
    # Friday's append drops Monday; Tuesday's entry was still shown at the cutoff (Wednesday).
    assert days["audit:days:rates:USD"] == b'["2026-03-03","2026-03-04","2026-03-05","2026-03-06"]'
    assert store.backend.get_many(["audit:log:rates:USD:2026-03-02"]) == {}
    assert "USD" not in history.shown_at(at(MONDAY, 12))
    assert history.shown_at(at(WEEK[1], 12))["USD"].text == usd(WEEK[1])
    # Astana has not changed since Tuesday: nothing was appended, so nothing was pruned.
    assert days["audit:days:weather:astana"] == b'["2026-03-02","2026-03-03"]'
    astana = history.shown_at(at(SUNDAY, 12))["astana"]
    assert (astana.missing, astana.text, astana.value, astana.since) == (
        True, "—", None, at(WEEK[1], 9),
    )  # fmt: skip


# -- backfill ---------------------------------------------------------------------


class FakeNbk:
    """get_rates.cfm on loopback: a day without rates answers with the last business day's."""

    def __init__(self, *, broken: set[dt.date]) -> None:
        self.broken = broken
        self.events: list[tuple[str, object]] = []
        self.active = 0
        self.most_active = 0

    async def get_rates(self, request: web.Request) -> web.Response:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            asked = dt.datetime.strptime(request.query["fdate"], "%d.%m.%Y").date()  # noqa: DTZ007
            self.events.append(("get", asked))
            await asyncio.sleep(0.01)  # a concurrent second request would overlap here
            if asked in self.broken:
                return web.Response(status=503, text="maintenance")
            return web.Response(body=self.document(last_business_day(asked)))
        finally:
            self.active -= 1

    @staticmethod
    def document(day: dt.date) -> bytes:
        """The bank's <rates> document for ``day``, as tests/fixtures/nbk_get_rates.xml."""
        items = [("USD", usd(day), 1), ("EUR", "540.10", 1), ("RUB", "5.61", 1),
                 ("CNY", "69.30", 1), ("UZS", "3.71", 100)]  # fmt: skip
        body = "".join(
            f"<item><fullname>X</fullname><title>{code}</title><description>{value}"
            f"</description><quant>{quant}</quant><index></index><change>0.00</change></item>"
            for code, value, quant in items
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><rates><generator>Alternate RSS Builder'
            "</generator><title>Official exchange rates of National Bank of Republic Kazakhstan"
            f"</title><date>{day:%d.%m.%Y}</date>{body}</rates>"
        ).encode()


@pytest.fixture
async def nbk(aiohttp_server):
    """The fake bank, failing on Wednesday, and settings whose second rates source is it."""
    fake = FakeNbk(broken={WEEK[2]})
    app = web.Application()
    app.router.add_get("/rss/get_rates.cfm", fake.get_rates)
    server = await aiohttp_server(app, host="127.0.0.1")
    settings = make_settings(NBK_CONFIG.format(url=str(server.make_url("")).rstrip("/")))
    return fake, settings


async def test_backfill_asks_every_day_politely(nbk, store: Store):
    """Seven days are asked oldest first, one at a time with the delay between, failures counted."""
    fake, settings = nbk
    history = History(store.backend, settings.history, clock=lambda: SUNDAY_EVENING)

    async def sleep(seconds: float) -> None:
        fake.events.append(("sleep", seconds))

    async with aiohttp.ClientSession() as session:
        report = await backfill(
            settings, build_sources(settings), history, session,
            days=7, today=SUNDAY, delay=dt.timedelta(seconds=2), sleep=sleep,
        )  # fmt: skip
    expected: list[tuple[str, object]] = []
    for day in WEEK:
        expected += [("sleep", 2.0), ("get", day)] if expected else [("get", day)]
    assert fake.events == expected
    assert fake.most_active == 1
    assert report.source == "nbk"
    assert report.asked == WEEK
    assert (report.days_asked, report.failed, report.stored) == (7, 1, 4 * len(CODES))
    assert [day for day, _ in report.failures] == [WEEK[2]]
    assert "503" in report.failures[0][1]
    assert report.published == {MONDAY, WEEK[1], WEEK[3], FRIDAY}
    assert [r.date for r in history.rates("USD", MONDAY, SUNDAY)] == [
        MONDAY, WEEK[1], WEEK[3], FRIDAY,
    ]  # fmt: skip
    assert history.rates("UZS", MONDAY, SUNDAY) == []
    assert report.summary() == (
        "nbk: 7 day(s) asked, 4 publication date(s), 16 rate(s) stored, 1 failure(s)"
    )


async def test_backfilled_history_is_served(nbk, store: Store, aiohttp_client):
    """What a backfill stored is what the history endpoint answers."""
    _, settings = nbk
    clock = lambda: SUNDAY_EVENING  # noqa: E731
    history = History(store.backend, settings.history, clock=clock)
    async with aiohttp.ClientSession() as session:
        await backfill(
            settings, build_sources(settings), history, session,
            days=3, today=FRIDAY, delay=dt.timedelta(0), sleep=lambda _: asyncio.sleep(0),
        )  # fmt: skip
    client = await aiohttp_client(create_app(settings, store=store, clock=clock))
    body = await (await client.get("/v1/rates/USD/history?from=2026-03-04&to=2026-03-06")).json()
    assert [(p["date"], p["published"]) for p in body["points"]] == [
        ("2026-03-05", usd(WEEK[3])),
        ("2026-03-06", usd(FRIDAY)),
    ]


def test_backfill_needs_a_source_that_fetches_past_dates(settings: Settings):
    """Without a source whose fetch takes ``on=``, backfill refuses with a ConfigError."""
    from ticker import ConfigError

    with pytest.raises(ConfigError, match="past date"):
        dated_source(build_sources(settings))


def test_dated_source_picks_the_first_capable_source(nbk):
    """The static source comes first but cannot date its rates: the National Bank is used."""
    _, settings = nbk
    name = dated_source(build_sources(settings)).name
    assert name == "nbk"


async def test_backfill_refuses_no_days(nbk, store: Store):
    """Zero days is a caller's mistake, refused before any request."""
    fake, settings = nbk
    history = History(store.backend, settings.history)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="at least 1"):
            await backfill(
                settings, build_sources(settings), history, session,
                days=0, today=SUNDAY, delay=dt.timedelta(0),
            )  # fmt: skip
    assert fake.events == []


# -- sparkline --------------------------------------------------------------------

_SVG = re.compile(
    r'<svg xmlns="http://www.w3.org/2000/svg" class="ticker-sparkline" width="(\d+)" '
    r'height="(\d+)" viewBox="0 0 \1 \2" role="img" aria-hidden="true">(.*)</svg>'
)


def _points(svg: str) -> list[tuple[float, float]]:
    match = _SVG.fullmatch(svg)
    assert match is not None, svg
    found = re.fullmatch(r'<polyline points="([0-9., ]*)"[^>]*/>', match.group(3))
    assert found is not None, svg
    return [tuple(map(float, pair.split(","))) for pair in found.group(1).split()]


def test_sparkline_spans_the_box_highest_at_the_top():
    """Points go left to right across the width; the highest is at the top, the lowest below."""
    points = _points(render_sparkline([Decimal("500"), Decimal("502"), Decimal("501")]))
    assert points == [(0, 13.5), (30, 0.5), (60, 7)]


@pytest.mark.parametrize(
    "values", [[Decimal("5.61")], [Decimal("5.61")] * 30], ids=["one-point", "flat"]
)
def test_sparkline_single_and_flat_series_draw_a_level_line(values):
    """One point or a flat series draw a line across the middle, without dividing by zero."""
    assert _points(render_sparkline(values, width=40, height=10)) == [(0, 5), (40, 5)]


def test_sparkline_without_points_is_an_empty_image():
    """No points make an empty image of the requested size."""
    assert render_sparkline([]) == (
        '<svg xmlns="http://www.w3.org/2000/svg" class="ticker-sparkline" width="60" height="14" '
        'viewBox="0 0 60 14" role="img" aria-hidden="true"></svg>'
    )


def test_sparkline_refuses_what_it_cannot_draw():
    """A non-positive size or a non-finite value is a ValueError."""
    with pytest.raises(ValueError, match="size"):
        render_sparkline([Decimal(1)], width=0)
    with pytest.raises(ValueError, match="finite"):
        render_sparkline([Decimal("NaN"), Decimal(1)])


def test_sparklines_of_the_last_days(history: History):
    """Each code with two or more publications in the window gets its line."""
    refresh_week(history)
    series = history.series(["USD", "CNY", "GBP"], today=SUNDAY, days=30)
    lines = {code: render_sparkline(values) for code, values in series.items()}
    assert set(lines) == {"USD", "CNY"}
    assert len(_points(lines["USD"])) == 5
    assert _points(lines["CNY"]) == [(0, 7), (60, 7)]
    assert history.series(["USD"], today=SUNDAY, days=2) == {}
