"""The refresh coordinator: failover per item, and the last good value is never lost."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence

import aiohttp
import pytest

from ticker import City, Rate, Refresher, SourceSet, Store, UpstreamUnavailable, Weather

from .conftest import NOW, REFERENCE_RATES, rate, weather


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


@pytest.fixture
async def session():
    """An HTTP session the fake sources never use."""
    async with aiohttp.ClientSession() as opened:
        yield opened


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

    from ticker._refresh import RefreshReport, _Job

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
