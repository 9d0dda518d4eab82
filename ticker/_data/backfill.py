"""``ticker backfill``: the history of past days, from a source that serves a given date.

Every date is asked, one request at a time with a pause between two, oldest
first; a failed date is reported, never fatal, but five failed dates in a row end
the run (:data:`MAX_FAILURES_IN_A_ROW`): with no network, or a source that refuses
us, asking the remaining days would only wait out their timeouts.  The first
configured rates source that is a :class:`~ticker.sources.DatedRatesSource` is
used, its rates crossed into the site's ``rates.base`` as the refresher crosses them.

The progress bar on a terminal is Rich's (:func:`terminal_progress`): it is typed,
maintained, already draws above whatever is logged meanwhile (it redirects
stderr, which the log handler writes to), and says nothing when the output is not
a terminal, so cron mail and CI logs stay as they were.  tqdm would need a logging
bridge and separate type stubs for the same.

Usage::

    with terminal_progress(sys.stderr, days=30) as progress:
        report = await backfill(settings, sources, history, session, days=30,
                                today=rates_today(utc_now()), delay=dt.timedelta(seconds=1),
                                progress=progress)
    print(report.summary())
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

import aiohttp

from ticker._config import Settings
from ticker._data.history import History
from ticker._exceptions import ConfigError
from ticker._rates import cross_into
from ticker.sources import DatedRatesSource, SourceSet

__all__ = [
    "MAX_FAILURES_IN_A_ROW",
    "BackfillReport",
    "Progress",
    "backfill",
    "dated_source",
    "terminal_progress",
]

log = logging.getLogger("ticker.history")

#: Failed dates in a row after which a backfill stops: the upstream is away, not one day.
MAX_FAILURES_IN_A_ROW = 5

#: Told after each asked date: the report so far (its last date is the one just asked).
Progress = Callable[["BackfillReport"], None]


def dated_source(sources: SourceSet, *, config_source: str = "<settings>") -> DatedRatesSource:
    """The first configured rates source that can fetch the rates of a past date.

    Raises :class:`~ticker.ConfigError` naming ``config_source`` when no configured
    source can (add ``nbk``).
    """
    for source in sources.rates:
        if isinstance(source, DatedRatesSource):
            return source
    names = ", ".join(source.name for source in sources.rates)
    raise ConfigError(
        config_source,
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
    #: Dates that were not asked because too many failed in a row before them.
    skipped: int = 0

    @property
    def days_asked(self) -> int:
        """How many dates were asked for."""
        return len(self.asked)

    @property
    def failed(self) -> int:
        """How many dates could not be fetched."""
        return len(self.failures)

    @property
    def stopped(self) -> bool:
        """Whether the run ended early, after too many failures in a row."""
        return self.skipped > 0

    def failures_in_a_row(self) -> int:
        """How many of the last dates asked failed, counting back from the newest."""
        failed = {day for day, _ in self.failures}
        count = 0
        for day in reversed(self.asked):
            if day not in failed:
                break
            count += 1
        return count

    def summary(self) -> str:
        """One line for the command's output."""
        line = (
            f"{self.source}: {self.days_asked} day(s) asked, {len(self.published)} "
            f"publication date(s), {self.stored} rate(s) stored, {self.failed} failure(s)"
        )
        if self.stopped:
            line += (
                f"; stopped after {MAX_FAILURES_IN_A_ROW} failures in a row,"
                f" {self.skipped} day(s) not asked"
            )
        return line


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
    progress: Progress | None = None,
    config_source: str = "<settings>",
) -> BackfillReport:
    """Fill the history of the last ``days`` days, oldest first, one request at a time.

    Every date is asked, weekends too: the National Bank answers a day without
    rates with the last business day's, which ``record`` keeps once.  ``delay``
    is waited between two requests.  A failed date is reported; after
    :data:`MAX_FAILURES_IN_A_ROW` in a row the rest are not asked.  ``progress``
    is told after each date.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    source = dated_source(sources, config_source=config_source)
    name = source.name
    report = BackfillReport(source=name)
    currencies, base = settings.rates.currencies, settings.rates.base
    native = getattr(source, "base", "KZT")
    ask = currencies if native == base else [*currencies, base]
    for offset in range(days - 1, -1, -1):
        if report.failures_in_a_row() >= MAX_FAILURES_IN_A_ROW:
            report.skipped = offset + 1
            log.error(
                "backfill from %s stopped: %d dates in a row failed, the last with: %s",
                name, MAX_FAILURES_IN_A_ROW, report.failures[-1][1],
            )  # fmt: skip
            break
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
        else:
            wanted = [rate for rate in rates if rate.code in currencies]
            report.published.update(rate.date for rate in wanted)
            report.stored += history.record(wanted)
        if progress is not None:
            progress(report)
    log.info("backfill: %s", report.summary())
    return report


@contextlib.contextmanager
def terminal_progress(
    stream: TextIO, *, days: int, terminal: bool | None = None
) -> Iterator[Progress | None]:
    """A progress bar of ``days`` dates on ``stream`` when it is a terminal, else ``None``.

    ``terminal`` overrides the detection (tests draw into a buffer with it).
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    console = Console(file=stream, force_terminal=terminal, stderr=True)
    if not console.is_terminal:
        yield None
        return
    bar = Bar(
        TextColumn("backfill"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        console=console, transient=False, redirect_stdout=False,
    )  # fmt: skip
    task = bar.add_task("", total=days)

    def advance(report: BackfillReport) -> None:
        day = report.asked[-1]
        said = f"{day.isoformat()}, {report.stored} rate(s) stored, {report.failed} failure(s)"
        bar.update(task, completed=report.days_asked, description=said)

    with bar:
        yield advance
