"""The refresh schedule: one APScheduler job per data kind, retried sooner while items are missing.

Usage::

    scheduler = schedule(refresher, settings)   # first run of each kind at once
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ticker._config import Settings
from ticker._data.refresh import RefreshJobs, RefreshReport, utc_now
from ticker._models import DataKind

__all__ = ["RETRY_AFTER", "schedule"]

log = logging.getLogger("ticker.refresh")

#: First retry of items no source could deliver; doubled after each failure.
RETRY_AFTER = dt.timedelta(seconds=30)


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
        self._running = asyncio.Lock()

    async def run(self) -> None:
        """Refresh now; schedule a retry if items are still missing."""
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


def schedule(
    refresher: RefreshJobs,
    settings: Settings,
    *,
    first_runs: Mapping[DataKind, dt.datetime] | None = None,
    may_run: Callable[[DataKind], Awaitable[bool]] | None = None,
    after: Callable[[DataKind, RefreshReport], Awaitable[None]] | None = None,
    failed: Callable[[DataKind, Exception], None] | None = None,
) -> AsyncIOScheduler:
    """Start one APScheduler job per data kind, first at ``first_runs`` (default: now)."""
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
    scheduler.start()
    return scheduler
