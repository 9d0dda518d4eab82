"""The refresh job: fetch -> parse -> validate -> store, per data kind.

The refresher is a thin coordinator.  Sources are tried in configured order for
each item still missing, so a currency absent from the first source can come from
the next.  Each source's rates are crossed into the site's ``rates.base``
(:func:`ticker._rates.cross_into`), so every bank is a fallback for every other, and
a rate whose bank publishes no change gets one against the publication stored
before it (:func:`ticker._rates.with_change`).  Only values that were fetched and
validated are written; a failed source never removes or overwrites what the cache
already holds.

Usage::

    refresher = Refresher(settings, sources, store, session)
    report = await refresher.refresh_rates()

The schedule is :mod:`ticker._data.schedule`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, TypeVar

import aiohttp

from ticker._config import City, DataKind, Settings
from ticker._data.cache import Store
from ticker._exceptions import UpstreamError, UpstreamFormatError
from ticker._models import Rate, RateList, Weather, out_of_bounds
from ticker._rates import cross_into, with_change
from ticker._text import bounded
from ticker.sources import RatesSource, SourceSet, WeatherSource, calendar_of

__all__ = [
    "RefreshJobs",
    "RefreshObserver",
    "RefreshReport",
    "Refresher",
    "Rejection",
    "SourceOutcome",
    "utc_now",
]

log = logging.getLogger("ticker.refresh")

_T = TypeVar("_T")

#: Cities fetched at once: polite to an upstream, quick enough for many cities.
CITY_CONCURRENCY = 4
# Jumps are measured in a context of our own, whatever the process's current one is.
_JUDGING = decimal.Context(prec=28)


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SourceOutcome:
    """What one source delivered in one refresh."""

    source: str
    items: int
    error: str | None = None
    skipped: bool = False

    @property
    def ok(self) -> bool:
        """Whether the source answered with usable data."""
        return self.error is None


@dataclass(frozen=True)
class Rejection:
    """A value a guard refused, with why; the value and the reason are bounded text."""

    source: str
    item: str
    value: str
    reason: str

    def __post_init__(self) -> None:
        for name in ("item", "value", "reason"):
            object.__setattr__(self, name, bounded(getattr(self, name)))


@dataclass
class RefreshReport:
    """The result of refreshing one data kind."""

    kind: DataKind
    outcomes: list[SourceOutcome] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether any source failed or was skipped."""
        return any(not outcome.ok for outcome in self.outcomes)


class RefreshObserver:
    """Hears what every refresh did: metrics, history and logs subscribe here.

    ``fetched`` and ``rejected`` are called in the refresher's task and must be
    quick; ``stored`` is called in a worker thread beside the cache write, and may
    block (the history writes there).  The defaults do nothing, so an observer
    overrides only what it needs.
    """

    def fetched(
        self, kind: DataKind, source: str, *, error: str | None, items: int, seconds: float
    ) -> None:
        """One source was asked (``error`` is None when it answered usable data)."""

    def rejected(self, kind: DataKind, rejection: Rejection) -> None:
        """A guard refused a value."""

    def stored(self, kind: DataKind, values: Sequence[Rate] | Sequence[Weather]) -> None:
        """Values passed every check and were written to the cache."""


class RefreshJobs(Protocol):
    """What the schedule and the leadership run: a :class:`Refresher`, here or in a child."""

    async def refresh_rates(self) -> RefreshReport:
        """Refresh every configured currency."""
        ...

    async def refresh_weather(self) -> RefreshReport:
        """Refresh every configured city."""
        ...

    def reconfigure(self, settings: Settings, sources: SourceSet) -> None:
        """Refresh with new settings and sources from the next refresh on."""
        ...


@dataclass
class _Breaker:
    """A source's failures in a row, and until when it is not asked."""

    failures: int = 0
    open_until: dt.datetime | None = None


class Refresher:
    """Fetches every configured item from its sources and stores what passed the guards."""

    def __init__(
        self,
        settings: Settings,
        sources: SourceSet,
        store: Store,
        session: aiohttp.ClientSession,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        observers: Sequence[RefreshObserver] = (),
    ) -> None:
        self.settings = settings
        self.sources = sources
        self.store = store
        self.session = session
        self.clock = clock
        self.observers = list(observers)
        self._breakers: dict[str, _Breaker] = {}
        self.reconfigure(settings, sources)

    def reconfigure(self, settings: Settings, sources: SourceSet) -> None:
        """Refresh with new settings and sources from the next refresh on."""
        self.settings = settings
        self.sources = sources
        self._policies = {
            entry.label: entry for entry in [*settings.rates.sources, *settings.weather.sources]
        }

    async def refresh_rates(self) -> RefreshReport:
        """Refresh every configured currency, trying sources in order.

        A rate that moved more than ``max_jump`` against the cached one is held
        back; it is accepted only if a later source agrees within ``agree_within``.
        A later source's own value is used instead when it shows no such jump.
        """
        report = RefreshReport("rates")
        wanted, base = self.settings.rates.currencies, self.settings.rates.base
        previous = await asyncio.to_thread(self.store.rates, wanted, base=base)
        accepted: dict[str, Rate] = {}
        held: dict[str, Rate] = {}
        for source in self.sources.rates:
            pending = [code for code in wanted if code not in accepted]
            if not pending:
                break
            fetch = functools.partial(self._rates_from, source, pending, base)
            rates = await self._attempt(report, source.name, fetch)
            for rate in await self._screen(report, source.name, rates or [], pending):
                rate = with_change(rate, previous.get(rate.code))
                await self._judge(report, rate, previous.get(rate.code), accepted, held)
        await asyncio.to_thread(self._store_rates, list(accepted.values()), list(held.values()))
        report.stored = [code for code in wanted if code in accepted]
        report.held = [code for code in wanted if code in held]
        report.missing = [code for code in wanted if code not in accepted]
        return report

    async def _rates_from(self, source: RatesSource, pending: list[str], base: str) -> RateList:
        """``source``'s rates of ``pending`` currencies, crossed into ``base``.

        A source publishing in another currency is asked for ``base`` too, through
        which every rate is crossed; without it the document is a format error.
        """
        native = getattr(source, "base", "KZT")
        ask = pending if native == base else [*pending, base]
        rates = await source.fetch(self.session, ask)
        return cross_into(rates, base, native=native, source=source.name)

    def _store_rates(self, accepted: list[Rate], held: list[Rate]) -> None:
        self.store.put_rates(accepted, held=held)
        self._tell_stored("rates", accepted)

    def _store_weather(self, readings: list[Weather]) -> None:
        self.store.put_weather(readings)
        self._tell_stored("weather", readings)

    def _tell_stored(self, kind: DataKind, values: list[Rate] | list[Weather]) -> None:
        for observer in self.observers:
            observer.stored(kind, values)

    async def _screen(
        self, report: RefreshReport, source: str, rates: list[Rate], pending: list[str]
    ) -> list[Rate]:
        """The rates of ``pending`` codes within the bounds; the others wanted are rejections.

        An item the adapter skipped (a :class:`~ticker.sources.RateList` names it) and
        a rate beyond the bounds at this refresh's time are each counted and logged.
        """
        for skipped in rates.skipped if isinstance(rates, RateList) else ():
            if skipped.item in pending:
                rejection = Rejection(source, skipped.item, skipped.value, skipped.reason)
                await self._reject(report, rejection)
        now = self.clock()
        zone = calendar_of(self.settings.rates.sources, source).tz
        within = []
        for rate in rates:
            if rate.code not in pending:
                continue
            problem = out_of_bounds(rate, now=now, zone=zone)
            if problem is None:
                within.append(rate)
            else:
                await self._reject(report, Rejection(source, rate.code, str(rate.rate), problem))
        return within

    async def _judge(
        self,
        report: RefreshReport,
        rate: Rate,
        previous: Rate | None,
        accepted: dict[str, Rate],
        held: dict[str, Rate],
    ) -> None:
        """Accept, hold or confirm one rate from one source.

        With ``editorial.confirm_jumps`` only an editor's confirmation lets a jump
        through; otherwise a later source agreeing within ``agree_within`` does.
        """
        limits, by_editors = self.settings.rates, self.settings.editorial.confirm_jumps
        candidate = held.get(rate.code)
        if (
            not by_editors
            and candidate is not None
            and _moved(rate, candidate) <= limits.agree_within
        ):
            log.info("rates: %s %s confirmed by %s", rate.code, candidate.rate, rate.source)
            accepted[rate.code] = held.pop(rate.code)
            return
        move = _moved(rate, previous) if previous is not None else Decimal(0)
        if move <= limits.max_jump or (by_editors and self._confirmed(rate)):
            accepted[rate.code] = rate
            held.pop(rate.code, None)
        elif candidate is None:
            held[rate.code] = rate
            until = "the editors confirm it" if by_editors else "a second source agrees"
            reason = f"moved {move:.1%} against {previous and previous.rate}; held until {until}"
            await self._reject(report, Rejection(rate.source, rate.code, str(rate.rate), reason))

    def _confirmed(self, rate: Rate) -> bool:
        """Whether an editor confirmed exactly this published value, and still does."""
        now = self.clock()
        return any(
            pin.item == rate.code and pin.value == rate.published and pin.until > now
            for pin in self.settings.editorial.confirmed
        )

    async def _reject(self, report: RefreshReport, rejection: Rejection) -> None:
        report.rejections.append(rejection)
        await asyncio.to_thread(
            self.store.count_rejected, report.kind, rejection.source, at=self.clock()
        )
        for observer in self.observers:
            observer.rejected(report.kind, rejection)
        log.warning(
            "%s: rejected %s %s from %s: %s",
            report.kind,
            rejection.item,
            rejection.value,
            rejection.source,
            rejection.reason,
        )

    async def refresh_weather(self) -> RefreshReport:
        """Refresh every configured city, trying sources in order for each."""
        report = RefreshReport("weather")
        limit = asyncio.Semaphore(CITY_CONCURRENCY)

        async def one(city: City) -> Weather | None:
            async with limit:
                return await self._weather_of(report, city, self.sources.weather)

        cities = self.settings.weather.cities
        readings = await asyncio.gather(*(one(city) for city in cities))
        stored = [reading for reading in readings if reading is not None]
        await asyncio.to_thread(self._record_sources, report)
        await asyncio.to_thread(self._store_weather, stored)
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
            fetch = functools.partial(source.fetch, self.session, city)
            reading = await self._attempt(report, source.name, fetch, record=False)
            if reading is not None and reading.city == city.id:
                problem = out_of_bounds(reading, now=self.clock(), zone=city.zone)
                if problem is None:
                    return reading
                value = f"{reading.temperature} on {reading.date}"
                await self._reject(report, Rejection(source.name, city.id, value, problem))
        return None

    def _record_sources(self, report: RefreshReport) -> None:
        """One status per source per refresh: a success if any of its cities answered.

        A weather refresh asks a source once per city; recording each of those
        would cost two cache round trips per city (400 for 200 cities).
        """
        errors: dict[str, str | None] = {}
        for outcome in report.outcomes:
            if outcome.skipped:
                continue
            if outcome.ok:
                errors[outcome.source] = None
            else:
                errors.setdefault(outcome.source, outcome.error)
        for name, error in errors.items():
            self.store.record(report.kind, name, at=self.clock(), error=error)

    async def _attempt(
        self,
        report: RefreshReport,
        name: str,
        fetch: Callable[[], Awaitable[_T]],
        *,
        record: bool = True,
    ) -> _T | None:
        """Run one fetch unless the source cools down; log the outcome, record it if asked."""
        breaker = self._breakers.setdefault(name, _Breaker())
        now = self.clock()
        if breaker.open_until is not None and now < breaker.open_until:
            until = f"{breaker.open_until:%H:%M:%S}Z"
            report.outcomes.append(
                SourceOutcome(name, 0, f"{name}: cooling down until {until}", True)
            )
            return None
        started = time.perf_counter()
        error: str | None = None
        result: _T | None = None
        retry_after: float | None = None
        try:
            result = await fetch()
        except UpstreamError as exc:
            error = str(exc)
            retry_after = getattr(exc, "retry_after", None)
            if isinstance(exc, UpstreamFormatError):
                await self._reject(report, Rejection(name, "*", "body", str(exc)))
        except Exception as exc:  # an adapter broke its contract: keep serving regardless
            log.exception("adapter %s raised an unexpected error", name)
            error = f"{name}: unexpected {type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        items = len(result) if isinstance(result, list) else int(result is not None)
        report.outcomes.append(SourceOutcome(name, items, error))
        if record:
            await asyncio.to_thread(
                self.store.record, report.kind, name, at=self.clock(), error=error
            )
        for observer in self.observers:
            observer.fetched(report.kind, name, error=error, items=items, seconds=elapsed)
        if error is None:
            breaker.failures = 0
            log.info(
                "%s from %s: %d item(s) in %.2fs", report.kind, name, items, elapsed,
                extra=_fields(report.kind, name, "ok", items, elapsed),
            )  # fmt: skip
        else:
            log.warning(
                "%s from %s failed after %.2fs: %s", report.kind, name, elapsed, error,
                extra=_fields(report.kind, name, "error", items, elapsed) | {"error": error},
            )  # fmt: skip
            self._trip(breaker, name, retry_after)
        return result

    def _trip(self, breaker: _Breaker, name: str, retry_after: float | None) -> None:
        """Count a failure; cool the source down after too many, or when it asks us to wait."""
        breaker.failures += 1
        policy = self._policies.get(name)
        now = self.clock()
        until = None
        if policy is not None and breaker.failures >= policy.max_failures:
            until = now + policy.cooldown
        if retry_after is not None:
            until = max(until or now, now + dt.timedelta(seconds=retry_after))
        if until is not None:
            breaker.open_until = until
            log.warning(
                "%s failed %d time(s) in a row; not asked again before %s",
                name,
                breaker.failures,
                f"{until:%Y-%m-%d %H:%M:%S}Z",
            )


def _fields(kind: str, source: str, outcome: str, items: int, seconds: float) -> dict[str, object]:
    """The structured fields of a refresh's log line (see ticker._logs)."""
    return {
        "kind": kind,
        "source": source,
        "outcome": outcome,
        "items": items,
        "seconds": round(seconds, 3),
    }


def _moved(rate: Rate, reference: Rate) -> Decimal:
    """How far ``rate`` is from ``reference``, as a fraction of the reference.

    Both are within the bounds, so 28 digits and the default range always hold the
    quotient; the local context keeps a process-wide change from reaching it.
    """
    with decimal.localcontext(_JUDGING):
        return abs(rate.rate / reference.rate - 1)
