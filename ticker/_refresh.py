"""The refresh job: fetch -> parse -> validate -> store, per data kind.

The refresher is a thin coordinator.  Sources are tried in configured order for
each item still missing, so a currency absent from the first source can come from
the next.  Only values that were fetched and validated are written; a failed
source never removes or overwrites what the cache already holds.

Usage::

    refresher = Refresher(settings, sources, store, session)
    report = await refresher.refresh_rates()
    scheduler = schedule(refresher, settings)   # APScheduler, first run at once
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ticker._cache import Store
from ticker._config import City, DataKind, Settings
from ticker._exceptions import UpstreamError
from ticker._models import Rate, Weather
from ticker.sources import SourceSet, WeatherSource

__all__ = ["RefreshReport", "Refresher", "SourceOutcome", "schedule"]

log = logging.getLogger("ticker.refresh")

_T = TypeVar("_T")

#: Cities fetched at once: polite to an upstream, quick enough for many cities.
CITY_CONCURRENCY = 4
#: First retry of items no source could deliver; doubled after each failure.
RETRY_AFTER = dt.timedelta(seconds=30)


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SourceOutcome:
    """What one source delivered in one refresh."""

    source: str
    items: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the source answered with usable data."""
        return self.error is None


@dataclass
class RefreshReport:
    """The result of refreshing one data kind."""

    kind: DataKind
    outcomes: list[SourceOutcome] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether any source failed."""
        return any(not outcome.ok for outcome in self.outcomes)


class Refresher:
    """Fetches every configured item from its sources and stores what succeeded."""

    def __init__(
        self,
        settings: Settings,
        sources: SourceSet,
        store: Store,
        session: aiohttp.ClientSession,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.sources = sources
        self.store = store
        self.session = session
        self.clock = clock

    async def refresh_rates(self) -> RefreshReport:
        """Refresh every configured currency, trying sources in order."""
        report = RefreshReport("rates")
        wanted = self.settings.rates.currencies
        found: dict[str, Rate] = {}
        for source in self.sources.rates:
            remaining = [code for code in wanted if code not in found]
            if not remaining:
                break
            rates = await self._attempt(report, source.name, source.fetch(self.session, remaining))
            for rate in rates or []:
                if rate.code in remaining:
                    found.setdefault(rate.code, rate)
        self.store.put_rates(found.values())
        report.stored = [code for code in wanted if code in found]
        report.missing = [code for code in wanted if code not in found]
        return report

    async def refresh_weather(self) -> RefreshReport:
        """Refresh every configured city, trying sources in order for each."""
        report = RefreshReport("weather")
        limit = asyncio.Semaphore(CITY_CONCURRENCY)

        async def one(city: City) -> Weather | None:
            async with limit:
                return await self._weather_of(report, city, self.sources.weather)

        cities = self.settings.weather.cities
        readings = await asyncio.gather(*(one(city) for city in cities))
        self.store.put_weather(reading for reading in readings if reading is not None)
        report.stored = [c.id for c, r in zip(cities, readings, strict=True) if r is not None]
        report.missing = [c.id for c, r in zip(cities, readings, strict=True) if r is None]
        return report

    async def refresh_all(self) -> list[RefreshReport]:
        """Refresh rates and weather together."""
        return list(await asyncio.gather(self.refresh_rates(), self.refresh_weather()))

    async def _weather_of(
        self, report: RefreshReport, city: City, sources: Sequence[WeatherSource]
    ) -> Weather | None:
        for source in sources:
            reading = await self._attempt(report, source.name, source.fetch(self.session, city))
            if reading is not None and reading.city == city.id:
                return reading
        return None

    async def _attempt(self, report: RefreshReport, name: str, job: Awaitable[_T]) -> _T | None:
        """Run one fetch; record and log its outcome; ``None`` when it failed."""
        started = time.perf_counter()
        error: str | None = None
        result: _T | None = None
        try:
            result = await job
        except UpstreamError as exc:
            error = str(exc)
        except Exception as exc:  # an adapter broke its contract: keep serving regardless
            log.exception("adapter %s raised an unexpected error", name)
            error = f"{name}: unexpected {type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        items = len(result) if isinstance(result, list) else int(result is not None)
        report.outcomes.append(SourceOutcome(name, items, error))
        self.store.record(report.kind, name, at=self.clock(), error=error)
        if error is None:
            log.info("%s from %s: %d item(s) in %.2fs", report.kind, name, items, elapsed)
        else:
            log.warning("%s from %s failed after %.2fs: %s", report.kind, name, elapsed, error)
        return result


class _Job:
    """One data kind's scheduled refresh, retried sooner while items are missing.

    Items that no source could deliver are retried after 30 s, then 1, 2, 4...
    minutes, never later than the regular interval, so a service started without
    network fills its strip soon after the network returns.
    """

    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        kind: DataKind,
        refresh: Callable[[], Awaitable[RefreshReport]],
        interval: dt.timedelta,
    ) -> None:
        self.scheduler = scheduler
        self.kind = kind
        self.refresh = refresh
        self.interval = interval
        self.failures = 0
        self._running = asyncio.Lock()

    async def run(self) -> None:
        """Refresh now; schedule a retry if items are still missing."""
        if self._running.locked():
            return  # the regular run and a retry met; one refresh at a time is enough
        async with self._running:
            report = await self.refresh()
        if not report.missing:
            self.failures = 0
            return
        delay = min(self.interval, RETRY_AFTER * 2**self.failures)
        self.failures += 1
        if delay < self.interval:
            log.info("%s: retrying %s in %ds", self.kind, ", ".join(report.missing), delay.seconds)
            self.scheduler.add_job(
                self.run, "date", run_date=utc_now() + delay, id=f"{self.kind}-retry",
                replace_existing=True,
            )  # fmt: skip


def schedule(refresher: Refresher, settings: Settings) -> AsyncIOScheduler:
    """Start one APScheduler job per data kind; each runs at once, then every interval."""
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    now = utc_now()
    jobs: tuple[tuple[DataKind, Callable[[], Awaitable[RefreshReport]], dt.timedelta], ...] = (
        ("rates", refresher.refresh_rates, settings.rates.refresh),
        ("weather", refresher.refresh_weather, settings.weather.refresh),
    )
    for kind, refresh, interval in jobs:
        seconds = interval.total_seconds()
        scheduler.add_job(
            _Job(scheduler, kind, refresh, interval).run,
            "interval",
            seconds=seconds,
            # Spread requests so a fleet restarted together does not hit upstreams at once.
            jitter=max(1, min(seconds * 0.1, 300)),
            next_run_time=now,
            id=kind,
            name=f"refresh {kind}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(seconds),
        )
    scheduler.start()
    return scheduler
