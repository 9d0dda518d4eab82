"""``ticker backfill``: the history of past days, from a source that serves a given date.

Every date is asked, one request at a time with a pause between two, oldest
first; a failed date is reported, never fatal.  The first configured rates source
that is a :class:`~ticker.sources.DatedRatesSource` is used, its rates crossed into
the site's ``rates.base`` as the refresher crosses them.

Usage::

    report = await backfill(settings, sources, history, session,
                            days=30, today=rates_today(utc_now()), delay=dt.timedelta(seconds=1))
    print(report.summary())
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from ticker._config import Settings
from ticker._data.history import History
from ticker._exceptions import ConfigError
from ticker._rates import cross_into
from ticker.sources import DatedRatesSource, SourceSet

__all__ = ["BackfillReport", "backfill", "dated_source"]

log = logging.getLogger("ticker.history")


def dated_source(sources: SourceSet) -> DatedRatesSource:
    """The first configured rates source that can fetch the rates of a past date.

    Raises :class:`~ticker.ConfigError` when no configured source can (add ``nbk``).
    """
    for source in sources.rates:
        if isinstance(source, DatedRatesSource):
            return source
    names = ", ".join(source.name for source in sources.rates)
    raise ConfigError(
        "<settings>",
        [("rates.sources", f"no source can fetch a past date ({names}); add nbk, cbu or nbt")],
    )


@dataclass
class BackfillReport:
    """What a backfill asked, what came back and what failed."""

    source: str
    asked: list[dt.date] = field(default_factory=list)
    published: set[dt.date] = field(default_factory=set)
    stored: int = 0
    failures: list[tuple[dt.date, str]] = field(default_factory=list)

    @property
    def days_asked(self) -> int:
        """How many dates were asked for."""
        return len(self.asked)

    @property
    def failed(self) -> int:
        """How many dates could not be fetched."""
        return len(self.failures)

    def summary(self) -> str:
        """One line for the command's output."""
        return (
            f"{self.source}: {self.days_asked} day(s) asked, {len(self.published)} "
            f"publication date(s), {self.stored} rate(s) stored, {self.failed} failure(s)"
        )


async def backfill(
    settings: Settings,
    sources: SourceSet,
    history: History,
    session: aiohttp.ClientSession,
    *,
    days: int,
    today: dt.date,
    delay: dt.timedelta,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> BackfillReport:
    """Fill the history of the last ``days`` days, oldest first, one request at a time.

    Every date is asked, weekends too: the National Bank answers a day without
    rates with the last business day's, which ``record`` keeps once.  ``delay``
    is waited between two requests.  A failed date is reported, never fatal.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    source = dated_source(sources)
    name = source.name
    report = BackfillReport(source=name)
    currencies, base = settings.rates.currencies, settings.rates.base
    native = getattr(source, "base", "KZT")
    ask = currencies if native == base else [*currencies, base]
    for offset in range(days - 1, -1, -1):
        if report.asked:
            await sleep(delay.total_seconds())
        day = today - dt.timedelta(days=offset)
        report.asked.append(day)
        try:
            rates = cross_into(
                await source.fetch_on(session, ask, day), base, native=native, source=name
            )
        except Exception as exc:  # adapters raise UpstreamError; a broken one must not stop us
            report.failures.append((day, str(exc)))
            log.warning("backfill %s from %s failed: %s", day, name, exc)
            continue
        wanted = [rate for rate in rates if rate.code in currencies]
        report.published.update(rate.date for rate in wanted)
        report.stored += history.record(wanted)
    log.info("backfill: %s", report.summary())
    return report
