"""The refresh coordinator: failover per item, and the last good value is never lost."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import aiohttp
import pytest

from ticker import City, Rate, Refresher, SourceSet, Store, UpstreamUnavailable, Weather

from .conftest import NOW, REFERENCE_RATES, SETTINGS_YAML, make_settings, rate, weather


class FakeRates:
    """A rates source returning fixed rates, or failing with a given error."""

    def __init__(self, name: str, rates: Sequence[Rate] = (), error: Exception | None = None):
        self.name = name
        self.rates = list(rates)
        self.error = error
        self.asked: list[list[str]] = []

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        self.asked.append(list(currencies))
        if self.error is not None:
            raise self.error
        return self.rates

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> list[Rate]:
        raise NotImplementedError


class FakeWeather:
    """A weather source returning a fixed reading per city, or failing."""

    def __init__(self, name: str, readings: dict[str, Weather], error: Exception | None = None):
        self.name = name
        self.readings = readings
        self.error = error

    async def fetch(self, session: aiohttp.ClientSession, city: City) -> Weather:
        if self.error is not None:
            raise self.error
        if city.id not in self.readings:
            raise UpstreamUnavailable(self.name, f"no data for {city.id}")
        return self.readings[city.id]

    def parse(self, body: bytes, *, city: City, fetched_at: dt.datetime) -> Weather:
        raise NotImplementedError


def refresher(settings, store, session, rates=(), cities=()) -> Refresher:
    """A refresher over fake sources with a frozen clock."""
    sources = SourceSet(rates=list(rates), weather=list(cities))
    return Refresher(settings, sources, store, session, clock=lambda: NOW)


async def test_rates_are_stored_in_configured_order(settings, store: Store, session):
    """What the source publishes for configured currencies is stored; extra codes are not."""
    source = FakeRates("nbk", [*REFERENCE_RATES, rate("GBP", "560.10")])
    report = await refresher(settings, store, session, rates=[source]).refresh_rates()
    assert report.stored == ["USD", "EUR", "RUB", "CNY"]
    assert (report.missing, report.failed) == ([], False)
    assert store.rates(["USD", "GBP"]) == {"USD": REFERENCE_RATES[0]}


async def test_missing_currency_comes_from_the_next_source(settings, store: Store, session):
    """Sources are tried in order for each currency the earlier ones lacked."""
    first = FakeRates("nbk", REFERENCE_RATES[:3])
    second = FakeRates(
        "mirror", [rate("USD", "1.00", source="mirror"), rate("CNY", "64.20", source="mirror")]
    )
    await refresher(settings, store, session, rates=[first, second]).refresh_rates()
    cached = store.rates(["USD", "CNY"])
    assert (cached["USD"].source, cached["CNY"].source) == ("nbk", "mirror")
    assert second.asked == [["CNY"]]


async def test_failed_source_keeps_the_cached_values(settings, store: Store, session):
    """A refresh whose only source fails leaves every cached value as it was."""
    store.put_rates(REFERENCE_RATES)
    broken = FakeRates("nbk", error=UpstreamUnavailable("nbk", "HTTP 502"))
    report = await refresher(settings, store, session, rates=[broken]).refresh_rates()
    assert report.failed
    assert report.outcomes[0].error == "nbk: HTTP 502"
    assert store.rates(["USD", "EUR", "RUB", "CNY"]) == {r.code: r for r in REFERENCE_RATES}
    status = store.status("rates", ["nbk"])["nbk"]
    assert (status.last_error, status.last_success) == ("nbk: HTTP 502", None)


async def test_adapter_breaking_its_contract_does_not_stop_the_refresh(
    settings, store, session, caplog
):
    """An unexpected exception from an adapter is logged and the next source still runs."""
    buggy = FakeRates("buggy", error=ZeroDivisionError("oops"))
    good = FakeRates("nbk", REFERENCE_RATES)
    report = await refresher(settings, store, session, rates=[buggy, good]).refresh_rates()
    assert report.stored == ["USD", "EUR", "RUB", "CNY"]
    assert "unexpected ZeroDivisionError" in (report.outcomes[0].error or "")
    assert "adapter buggy raised an unexpected error" in caplog.text


async def test_weather_fails_over_per_city(settings, store: Store, session):
    """A city the first weather source cannot serve comes from the next one."""
    first = FakeWeather("open-meteo", {}, error=UpstreamUnavailable("open-meteo", "timeout"))
    second = FakeWeather("static", {"astana": weather(source="static")})
    report = await refresher(settings, store, session, cities=[first, second]).refresh_weather()
    assert report.stored == ["astana"]
    assert store.weather(["astana"])["astana"].source == "static"
    assert store.status("weather", ["open-meteo", "static"])["static"].last_success == NOW


async def test_failed_weather_keeps_the_cached_reading(settings, store: Store, session):
    """A failing weather source never blanks the cached reading."""
    store.put_weather([weather()])
    broken = FakeWeather("open-meteo", {}, error=UpstreamUnavailable("open-meteo", "HTTP 500"))
    report = await refresher(settings, store, session, cities=[broken]).refresh_weather()
    assert report.missing == ["astana"]
    assert store.weather(["astana"]) == {"astana": weather()}


async def test_missing_items_are_retried_sooner_with_backoff():
    """While items are missing, a retry is scheduled after 30 s, then 60 s; success resets."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from ticker._data.refresh import RefreshReport
    from ticker._data.schedule import _Job

    outcomes = [["USD"], ["USD"], []]

    async def refresh() -> RefreshReport:
        return RefreshReport("rates", missing=outcomes.pop(0))

    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.start(paused=True)
    try:
        job = _Job(scheduler, "rates", refresh, dt.timedelta(hours=1))
        delays = []
        for _ in range(2):
            before = dt.datetime.now(dt.UTC)
            await job.run()
            delays.append(
                round((scheduler.get_job("rates-retry").next_run_time - before).total_seconds())
            )
        assert delays == [30, 60]
        await job.run()
        assert job.failures == 0
    finally:
        scheduler.shutdown(wait=False)


async def test_schedule_refreshes_at_once(settings, store: Store, session):
    """The scheduler's first run happens at start-up, not one interval later."""
    from ticker import schedule

    source = FakeRates("nbk", REFERENCE_RATES)
    scheduler = schedule(refresher(settings, store, session, rates=[source]), settings)
    try:
        for _ in range(50):
            if store.rates(["USD"]):
                break
            await asyncio.sleep(0.05)
        assert store.rates(["USD"]) == {"USD": REFERENCE_RATES[0]}
        assert {job.id for job in scheduler.get_jobs()} >= {"rates", "weather"}
    finally:
        scheduler.shutdown(wait=False)


async def test_a_large_jump_is_held_back(settings, store: Store, session, caplog):
    """A rate 34% above the cached one is not stored; it is held, logged and counted."""
    store.put_rates(REFERENCE_RATES)
    jumpy = FakeRates("nbk", [rate("USD", "600.00"), *REFERENCE_RATES[1:]])
    report = await refresher(settings, store, session, rates=[jumpy]).refresh_rates()
    assert report.held == ["USD"]
    assert store.rates(["USD"])["USD"].rate == Decimal("445.99")
    assert store.held_rates(["USD"])["USD"].rate == Decimal("600.00")
    assert store.status("rates", ["nbk"])["nbk"].rejected == 1
    assert "rejected USD 600.00 from nbk: moved 34.5% against 445.99" in caplog.text


async def test_a_jump_confirmed_by_a_second_source_is_accepted(settings, store: Store, session):
    """When the next source agrees within tolerance, the first source's value is stored."""
    store.put_rates(REFERENCE_RATES)
    first = FakeRates("nbk", [rate("USD", "600.00"), *REFERENCE_RATES[1:]])
    second = FakeRates("cbr", [rate("USD", "603.10", source="cbr")])
    report = await refresher(settings, store, session, rates=[first, second]).refresh_rates()
    assert (report.held, report.stored) == ([], ["USD", "EUR", "RUB", "CNY"])
    assert store.rates(["USD"])["USD"].source == "nbk"
    assert store.held_rates(["USD"]) == {}
    assert second.asked == [["USD"]]


async def test_a_second_source_without_the_jump_is_used_instead(settings, store: Store, session):
    """A later source whose value has not jumped supplies the rate; the jump is dropped."""
    store.put_rates(REFERENCE_RATES)
    first = FakeRates("nbk", [rate("USD", "4459.90"), *REFERENCE_RATES[1:]])
    second = FakeRates("cbr", [rate("USD", "446.20", source="cbr")])
    await refresher(settings, store, session, rates=[first, second]).refresh_rates()
    assert store.rates(["USD"])["USD"].source == "cbr"


async def test_disagreeing_sources_leave_the_jump_held(settings, store: Store, session):
    """Two sources that both jump but disagree with each other confirm nothing."""
    store.put_rates(REFERENCE_RATES)
    first = FakeRates("nbk", [rate("USD", "600.00"), *REFERENCE_RATES[1:]])
    second = FakeRates("cbr", [rate("USD", "700.00", source="cbr")])
    report = await refresher(settings, store, session, rates=[first, second]).refresh_rates()
    assert report.held == ["USD"]
    assert store.rates(["USD"])["USD"].rate == Decimal("445.99")


async def test_first_value_needs_no_confirmation(settings, store: Store, session):
    """With nothing cached there is no previous publication to jump from."""
    report = await refresher(
        settings, store, session, rates=[FakeRates("nbk", [rate("USD", "600.00")])]
    ).refresh_rates()
    assert report.stored == ["USD"]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


BREAKER_YAML = SETTINGS_YAML.replace(
    'sources: [{adapter: static, rates: {USD: "445.99"}}]',
    "sources: [{adapter: nbk, max_failures: 2, cooldown: 5m}]",
)


async def test_a_failing_source_cools_down_then_is_asked_again(store: Store, session):
    """After max_failures failures in a row the source is skipped until the cooldown ends."""
    clock = Clock()
    broken = FakeRates("nbk", error=UpstreamUnavailable("nbk", "HTTP 502"))
    sources = SourceSet(rates=[broken], weather=[])
    job = Refresher(make_settings(BREAKER_YAML), sources, store, session, clock=clock)
    for _ in range(3):
        report = await job.refresh_rates()
    assert len(broken.asked) == 2
    assert report.outcomes[0].skipped
    assert "cooling down until 10:05:00Z" in (report.outcomes[0].error or "")
    clock.now += dt.timedelta(minutes=5)
    await job.refresh_rates()
    assert len(broken.asked) == 3


async def test_retry_after_is_respected_across_refreshes(store: Store, session):
    """An upstream asking to wait 20 minutes is not asked again before then."""
    clock = Clock()
    limited = FakeRates("nbk", error=UpstreamUnavailable("nbk", "HTTP 429", retry_after=1200))
    job = Refresher(
        make_settings(BREAKER_YAML),
        SourceSet(rates=[limited], weather=[]),
        store,
        session,
        clock=clock,
    )
    await job.refresh_rates()
    clock.now += dt.timedelta(minutes=19)
    await job.refresh_rates()
    assert len(limited.asked) == 1
    clock.now += dt.timedelta(minutes=2)
    await job.refresh_rates()
    assert len(limited.asked) == 2


async def test_a_format_error_is_counted_as_a_rejection(settings, store: Store, session):
    """A body that fails the adapter's checks counts as a rejected value of that source."""
    from ticker import UpstreamFormatError

    bad = FakeRates(
        "nbk", error=UpstreamFormatError("nbk", "USD: published value must be positive")
    )
    report = await refresher(settings, store, session, rates=[bad]).refresh_rates()
    assert report.rejections[0].reason == "nbk: USD: published value must be positive"
    assert store.status("rates", ["nbk"])["nbk"].rejected == 1


async def test_a_weather_refresh_records_each_source_once(store: Store, session):
    """Three cities from one source: one status write, a success when any city answered."""
    settings = make_settings(
        SETTINGS_YAML.replace(
            "      timezone: Asia/Almaty\n",
            "      timezone: Asia/Almaty\n"
            "    - {id: almaty, name: {en: Almaty}, latitude: 43.24, longitude: 76.89,"
            " timezone: Asia/Almaty}\n"
            "    - {id: aktau, name: {en: Aktau}, latitude: 43.65, longitude: 51.16,"
            " timezone: Asia/Aqtau}\n",
        )
    )
    partly = FakeWeather("open-meteo", {"astana": weather(), "almaty": weather("almaty")})
    writes: list[str] = []
    original = store.record

    def counted(kind, source, **kwargs):
        writes.append(source)
        return original(kind, source, **kwargs)

    store.record = counted  # type: ignore[method-assign]
    report = await refresher(settings, store, session, cities=[partly]).refresh_weather()
    assert report.missing == ["aktau"]
    assert writes == ["open-meteo"]
    status = store.status("weather", ["open-meteo"])["open-meteo"]
    assert status.last_success == NOW
    assert status.failures == 0


async def test_items_an_adapter_skipped_are_counted_only_when_wanted(
    settings, store: Store, session, caplog
):
    """A skipped item of a wanted currency is a counted, logged rejection; others are not."""
    from ticker.sources import RateList, Skipped

    skipped = [
        Skipped("USD", "445.99", "nbk: USD: change: 1E+30 has more than 12 integer digits"),
        Skipped("LVL", "300.96", "dated 2013-12-31, not 2026-11-28"),
    ]
    source = FakeRates("nbk")
    source.rates = RateList(REFERENCE_RATES[1:], skipped)
    store.put_rates(REFERENCE_RATES[:1])
    report = await refresher(settings, store, session, rates=[source]).refresh_rates()
    assert [rejection.item for rejection in report.rejections] == ["USD"]
    assert (report.stored, report.missing) == (["EUR", "RUB", "CNY"], ["USD"])
    assert store.rates(["USD"]) == {"USD": REFERENCE_RATES[0]}
    assert store.status("rates", ["nbk"])["nbk"].rejected == 1
    assert "rejected USD 445.99 from nbk: nbk: USD: change: 1E+30" in caplog.text


def _unvalidated(good: Rate, **fields) -> Rate:
    """``good`` with ``fields`` set as a careless adapter could, without validation."""
    return Rate.model_construct(**{**dict(good), **fields})


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"change": Decimal("1E+30")}, "1E+30 has more than 12 integer digits"),
        (
            {"published": Decimal("1E+999990"), "rate": Decimal("1E+999990")},
            "1E+999990 has more than 12 integer digits",
        ),
        ({"quant": 10**4000}, "quant must be a power of ten from 1 to 1000000"),
        (
            {"published": Decimal("1E-200000"), "rate": Decimal("1E-200000")},
            "1E-200000 has more than 66 decimals",
        ),
        ({"date": dt.date(9999, 12, 31)}, "dated 9999-12-31, after 2026-11-29: in the future"),
        ({"date": dt.date(1999, 12, 31)}, "before 2000-01-01"),
    ],
    ids=["change-1e30", "published-1e999990", "quant-10-to-4000", "1e-200000", "9999", "1999"],
)
async def test_a_rate_beyond_the_bounds_is_rejected_and_never_stored(
    settings, store: Store, session, fields, reason
):
    """The guard validates every rate again: one beyond the bounds is counted, the rest stored."""
    store.put_rates(REFERENCE_RATES)
    poisoned = _unvalidated(rate("USD", "445.99"), **fields)
    source = FakeRates("nbk", [poisoned, *REFERENCE_RATES[1:]])
    report = await refresher(settings, store, session, rates=[source]).refresh_rates()
    [rejection] = report.rejections
    assert (rejection.item, reason in rejection.reason) == ("USD", True)
    assert report.stored == ["EUR", "RUB", "CNY"]
    assert store.rates(["USD"]) == {"USD": REFERENCE_RATES[0]}
    assert store.status("rates", ["nbk"])["nbk"].rejected == 1


async def test_a_rate_dated_tomorrow_in_astana_is_accepted(settings, store: Store, session):
    """The bank's next-day rates, published the afternoon before, are within the window."""
    tomorrow = rate("USD", "445.99", date=dt.date(2026, 11, 29))
    report = await refresher(
        settings, store, session, rates=[FakeRates("nbk", [tomorrow])]
    ).refresh_rates()
    assert (report.stored, report.rejections) == (["USD"], [])


async def test_a_future_weather_reading_is_rejected_and_the_next_source_used(
    settings, store: Store, session
):
    """A reading dated beyond the window is counted as a rejection; the next source serves."""
    future = weather().model_copy(update={"date": dt.date(9999, 12, 31)})
    first = FakeWeather("open-meteo", {"astana": future})
    second = FakeWeather("static", {"astana": weather(source="static")})
    report = await refresher(settings, store, session, cities=[first, second]).refresh_weather()
    [rejection] = report.rejections
    assert (rejection.source, rejection.item) == ("open-meteo", "astana")
    assert "dated 9999-12-31" in rejection.reason
    assert store.weather(["astana"])["astana"].source == "static"


async def test_a_process_wide_decimal_context_does_not_reach_the_guards(
    settings, store: Store, session
):
    """A trap on inexact results set by some other code leaves the jump guard working."""
    import decimal

    store.put_rates(REFERENCE_RATES)
    jumpy = FakeRates("nbk", [rate("USD", "600.00"), *REFERENCE_RATES[1:]])
    context = decimal.Context(prec=3, traps=[decimal.Inexact, decimal.Rounded])
    with decimal.localcontext(context):
        report = await refresher(settings, store, session, rates=[jumpy]).refresh_rates()
    assert (report.held, report.stored) == (["USD"], ["EUR", "RUB", "CNY"])


class ParsedRates(FakeRates):
    """A rates source that parses fixed bytes with the real National Bank adapter."""

    def __init__(self, body: bytes):
        from ticker import SourceSettings
        from ticker_adapters.nbk import NbkRates

        super().__init__("nbk")
        self.adapter = NbkRates(SourceSettings(adapter="nbk"))
        self.body = body

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        return self.adapter.parse(self.body, fetched_at=NOW)


def _nbk_item(
    code: str, value: str, *, quant: str = "1", change: str = "0.00", date: str = "28.11.2026"
) -> str:
    return (
        f"<item><title>{code}</title><pubDate>{date}</pubDate><description>{value}</description>"
        f"<quant>{quant}</quant><index></index><change>{change}</change></item>"
    )


@pytest.mark.parametrize(
    "poison",
    [
        _nbk_item("USD", "445.99", change="1E+30"),
        _nbk_item("USD", "1E+999990"),
        _nbk_item("USD", "3.72", quant="1" + "0" * 4000),
        _nbk_item("USD", "1E-200000"),
        _nbk_item("USD", "445.99", date="31.12.9999"),
    ],
    ids=["change-1e30", "published-1e999990", "quant-10-to-4000", "1e-200000", "dated-9999"],
)
async def test_a_poison_item_on_a_cold_cache_is_skipped_and_the_rest_stored(
    settings, store: Store, session, poison
):
    """With nothing cached (no jump to hold), a poison item is still refused and counted."""
    others = "".join(_nbk_item(code, value) for code, value in [("EUR", "486.53"), ("RUB", "5.78")])
    body = f"<rss><channel>{poison}{others}</channel></rss>".encode()
    report = await refresher(settings, store, session, rates=[ParsedRates(body)]).refresh_rates()
    assert (report.stored, report.missing) == (["EUR", "RUB"], ["USD", "CNY"])
    assert [rejection.item for rejection in report.rejections] == ["USD"]
    assert store.rates(["USD"]) == {}
    assert {rate.date for rate in store.rates(["EUR", "RUB"]).values()} == {dt.date(2026, 11, 28)}
