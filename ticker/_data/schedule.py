"""The refresh schedule: one APScheduler job per data kind, retried sooner while items are missing.

Rates are also watched (:class:`Watch`, ``rates.watch``): on the watched source's
business days, inside its publication window (the National Bank of Kazakhstan's
15:30 to 18:30, Asia/Almaty), they are polled every ``every`` (2 minutes) instead of
every ``refresh``, until the next date's publication is stored; then the regular
interval goes on.  A new publication reaches the strip within ``every`` of its
appearance rather than within the hour, and the bank sees a few dozen conditional
requests on an afternoon instead of a poll every minute all day.  No window opens on
a weekend or a public holiday of the source's country.

Usage::

    scheduler = schedule(refresher, settings)   # first run of each kind at once
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ticker._config import Settings
from ticker._data.refresh import RefreshJobs, RefreshReport, utc_now
from ticker._models import Calendar, DataKind, PublicationWindow, Rate
from ticker.sources import calendar_of, publication_window_of

__all__ = ["RETRY_AFTER", "WATCH_JOB", "Watch", "schedule", "watch_of"]

log = logging.getLogger("ticker.refresh")

#: First retry of items no source could deliver; doubled after each failure.
RETRY_AFTER = dt.timedelta(seconds=30)
#: The scheduler job of the next poll inside a publication window.
WATCH_JOB = "rates-watch"
#: How many days ahead a window is looked for: past any country's run of days off.
_WINDOW_SEARCH_DAYS = 60

#: Whether the watched source's next publication (dated after the day) is stored.
Published = Callable[["Watch", dt.date], Awaitable[bool]]


@dataclass(frozen=True)
class Watch:
    """When the rates are polled often: a source's publication window on its business days.

    ``source`` is the label of the watched source (the first configured), whose
    ``calendar`` says its zone, business days and holidays; ``window`` is in local
    times of that zone.  Pure: every decision is a function of the moment asked about.
    """

    source: str
    calendar: Calendar
    window: PublicationWindow
    every: dt.timedelta

    def window_on(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The window of ``day`` in UTC, or None when the source does not work that day."""
        if not self.calendar.works_on(day):
            return None
        return self.window.on(day, self.calendar.tz)

    def open_day(self, moment: dt.datetime, done: dt.date | None = None) -> dt.date | None:
        """The day whose window is watched at ``moment``, unless that day is ``done``.

        A window is watched from its opening until one ``every`` after its closing:
        the last poll is the first of the grid at or after the closing, so that a
        publication in the window's last minutes is not left to the regular refresh.
        """
        day = self.calendar.today(moment)
        window = None if day == done else self.window_on(day)
        if window is None or not window[0] <= moment < window[1] + self.every:
            return None
        return day

    def next_poll(
        self,
        after: dt.datetime,
        *,
        done: dt.date | None = None,
        offset: dt.timedelta = dt.timedelta(0),
    ) -> dt.datetime | None:
        """The first poll at or after ``after``, in the window of a day not ``done``.

        Polls are ``every`` apart from each window's opening plus ``offset`` (less than
        ``every``), the last one at or after its closing; None when no window opens
        in the next two months.
        """
        day = self.calendar.today(after)
        for _ in range(_WINDOW_SEARCH_DAYS):
            window = None if day == done else self.window_on(day)
            if window is not None:
                first = window[0] + offset
                poll = first + max(0, math.ceil((after - first) / self.every)) * self.every
                if poll < window[1] + self.every:
                    return poll
            day += dt.timedelta(days=1)
        return None

    def published(self, rates: Iterable[Rate], day: dt.date) -> bool:
        """Whether the watched source's stored rates are all dated after ``day``: the
        publication the window waits for is in."""
        dates = [rate.date for rate in rates if rate.source == self.source]
        return bool(dates) and min(dates) > day


def watch_of(settings: Settings) -> Watch | None:
    """The watch ``rates.watch`` asks for, on the first rates source; None when off.

    Without ``from``/``to`` the window is the one the source's adapter declares; an
    adapter that declares none (its publication time is unknown) is not watched, nor
    are rates refreshed every ``every`` or more often anyway.
    """
    wanted, rates = settings.rates.watch, settings.rates
    if wanted is None or wanted.every >= rates.refresh:
        return None
    entry = rates.sources[0]
    if wanted.opens is not None and wanted.closes is not None:
        window: PublicationWindow | None = PublicationWindow(wanted.opens, wanted.closes)
    else:
        window = publication_window_of(entry.adapter)
    if window is None:
        return None
    calendar = calendar_of(rates.sources, entry.label, holidays=rates.holidays)
    return Watch(entry.label, calendar, window, wanted.every)


class _Job:
    """One data kind's scheduled refresh, retried sooner while items are missing.

    Items that no source could deliver are retried after 30 s, then 1, 2, 4...
    minutes, never later than the regular interval, so a service started without
    network fills its strip soon after the network returns.  ``may_run`` is asked
    first (a fleet's lease); ``after`` hears of every refresh that ran, and
    ``failed`` of every one that could not run to its end (the shared cache could
    not be read or written): it is retried the same way.
    """

    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        kind: DataKind,
        refresh: Callable[[], Awaitable[RefreshReport]],
        interval: dt.timedelta,
        *,
        may_run: Callable[[DataKind], Awaitable[bool]] | None = None,
        after: Callable[[DataKind, RefreshReport], Awaitable[None]] | None = None,
        failed: Callable[[DataKind, Exception], None] | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.kind = kind
        self.refresh = refresh
        self.interval = interval
        self.may_run = may_run
        self.after = after
        self.failed = failed
        self.failures = 0
        #: Whether a watch polls instead of the regular runs now (see :class:`_Watcher`).
        self.resting: Callable[[], bool] = lambda: False
        self._running = asyncio.Lock()

    async def run(self, *, watching: bool = False) -> None:
        """Refresh now; schedule a retry if items are still missing.

        While a publication window is watched only the watch's own polls
        (``watching``) refresh: the regular run would be a second request.
        """
        if not watching and self.resting():
            return
        if self._running.locked():
            return  # the regular run and a retry met; one refresh at a time is enough
        async with self._running:
            try:
                if self.may_run is not None and not await self.may_run(self.kind):
                    return
                report = await self.refresh()
                if self.after is not None:
                    await self.after(self.kind, report)
            except asyncio.CancelledError:
                # The scheduler stops (shutdown, a lost lease, a reload) while a refresh
                # runs: this task ends here; raised on, the scheduler logs a traceback.
                log.debug("%s: the refresh in progress was stopped", self.kind)
                return
            except Exception as exc:  # storage trouble: said once by ``failed``, retried
                if self.failed is not None:
                    self.failed(self.kind, exc)
                else:
                    log.warning(
                        "%s: the refresh failed: %s: %s", self.kind, type(exc).__name__, exc
                    )
                missing = ["everything"]
            else:
                missing = report.missing
        if not missing:
            self.failures = 0
            return
        delay = min(self.interval, RETRY_AFTER * 2**self.failures)
        self.failures += 1
        if delay < self.interval:
            log.info("%s: retrying %s in %ds", self.kind, ", ".join(missing), delay.seconds)
            self.scheduler.add_job(
                self.run, "date", run_date=utc_now() + delay, id=f"{self.kind}-retry",
                replace_existing=True,
            )  # fmt: skip


class _Watcher:
    """Polls the rates every ``watch.every`` inside the open publication window.

    Each poll first asks whether the next date's publication is already stored (by
    an earlier leader, or ``ticker refresh``), refreshes if not, and asks again: once
    it is in, the window is done for the day and the next poll is in the next
    window.  Polls sit on a grid from the window's opening shifted by ``offset``, so
    that deployments started alike do not all ask the bank in the same second.
    """

    def __init__(
        self,
        scheduler: AsyncIOScheduler,
        job: _Job,
        watch: Watch,
        published: Published,
        offset: dt.timedelta,
    ) -> None:
        self.scheduler = scheduler
        self.job = job
        self.watch = watch
        self.published = published
        self.offset = offset
        self.done: dt.date | None = None
        self.armed_at: dt.datetime | None = None
        job.resting = lambda: self.watch.open_day(utc_now(), self.done) is not None

    def arm(self, after: dt.datetime) -> None:
        """Schedule the next poll at or after ``after``."""
        self.armed_at = self.watch.next_poll(after, done=self.done, offset=self.offset)
        if self.armed_at is None:
            return  # no business day for two months: the regular refresh goes on alone
        self.scheduler.add_job(
            self.poll, "date", run_date=self.armed_at, id=WATCH_JOB, name="watch rates",
            replace_existing=True, misfire_grace_time=int(self.watch.every.total_seconds()),
        )  # fmt: skip

    async def poll(self) -> None:
        """One poll of the open window, then the next one armed."""
        planned = self.armed_at or utc_now()
        try:
            day = self.watch.open_day(utc_now(), self.done)
            if day is not None and not await self._stored(day):
                await self.job.run(watching=True)
                await self._stored(day)
        except asyncio.CancelledError:  # the scheduler stops: no next poll
            return
        self.arm(max(planned + self.watch.every, utc_now()))

    async def _stored(self, day: dt.date) -> bool:
        """Whether the publication after ``day`` is stored; if so the day is done."""
        try:
            stored = await self.published(self.watch, day)
        except Exception as exc:  # the cache is away: keep polling, the refresh says why
            log.debug("rates: cannot tell whether the next publication is in: %s", exc)
            return False
        if stored and self.done != day:
            self.done = day
            log.info(
                "rates: %s published after %s; the window rests until the next business day",
                self.watch.source, day,
            )  # fmt: skip
        return stored


def _offset(watch: Watch, first: dt.datetime) -> dt.timedelta:
    """Where on the grid of ``every`` this leader polls, the first poll at or after ``first``.

    In a window open at ``first`` the grid goes through ``first`` itself: a leader
    started (or taking over) then polls at once, in place of the regular start-up
    refresh, which rests.  Otherwise a random point, so that deployments started
    alike do not all ask the bank in the same second.
    """
    day = watch.open_day(first)
    window = watch.window_on(day) if day is not None else None
    if window is not None:
        return (first - window[0]) % watch.every
    spread = min(watch.every, watch.window.length).total_seconds()
    return dt.timedelta(seconds=random.random() * spread)  # noqa: S311 -- spacing, no secret


def schedule(
    refresher: RefreshJobs,
    settings: Settings,
    *,
    first_runs: Mapping[DataKind, dt.datetime] | None = None,
    may_run: Callable[[DataKind], Awaitable[bool]] | None = None,
    after: Callable[[DataKind, RefreshReport], Awaitable[None]] | None = None,
    failed: Callable[[DataKind, Exception], None] | None = None,
    watch: Watch | None = None,
    published: Published | None = None,
    watch_after: dt.datetime | None = None,
) -> AsyncIOScheduler:
    """Start one APScheduler job per data kind, first at ``first_runs`` (default: now).

    With a ``watch`` and a way to tell whether its ``published`` publication is
    stored, rates are also polled in its windows, the first poll at or after
    ``watch_after`` (default: now).
    """
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    now = utc_now()
    jobs: tuple[tuple[DataKind, Callable[[], Awaitable[RefreshReport]], dt.timedelta], ...] = (
        ("rates", refresher.refresh_rates, settings.rates.refresh),
        ("weather", refresher.refresh_weather, settings.weather.refresh),
    )
    for kind, refresh, interval in jobs:
        seconds = interval.total_seconds()
        job = _Job(scheduler, kind, refresh, interval, may_run=may_run, after=after, failed=failed)
        scheduler.add_job(
            job.run,
            "interval",
            seconds=seconds,
            # Spread requests so a fleet restarted together does not hit upstreams at once.
            jitter=max(1, min(seconds * 0.1, 300)),
            next_run_time=(first_runs or {}).get(kind, now),
            id=kind,
            name=f"refresh {kind}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=int(seconds),
        )
        if kind == "rates" and watch is not None and published is not None:
            first = watch_after or now
            _Watcher(scheduler, job, watch, published, _offset(watch, first)).arm(first)
    scheduler.start()
    return scheduler
