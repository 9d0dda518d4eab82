"""One refresher for a whole fleet: a lease in the shared cache decides who refreshes.

Every process of a deployment (workers on one host, instances on many hosts sharing
Redis) runs a :class:`Leadership`.  It keeps trying to take or renew the lease
``refresh`` in the shared cache; the process that holds it runs the refresh
scheduler, the others only serve.  The lease expires ``lease`` after its last
renewal, so when the holder dies another process takes over within one lease.

Upstreams see one request per source per interval fleet-wide: each refresh records
when it ran in the shared cache, a new leader schedules its first refresh one
interval after the last one, and a refresh is skipped when the lease was lost or
another process refreshed that kind less than half an interval ago.  Inside an open
publication window (:class:`~ticker._data.schedule.Watch`) the rates' interval is the
watch's ``every``: the leader alone polls, so the bank still sees one request per
interval, and a new leader's first poll comes ``every`` after the fleet's last.

After every refresh the leader records a new :class:`~ticker._data.cache.Stamp`;
every process then renders the strip again, at the stamp's time.  It stamps again
when an item turns stale or is hidden (:func:`~ticker._staleness.restamp_due`).

A refresh is due at once, whatever the fleet's last one, when the settings of its
kind changed since (a source's URL or a hand-edited ``static`` value): the last
refresh records a fingerprint of the settings it ran with.  Every call to the
shared cache runs off the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from ticker._config import LiveSettings, Settings
from ticker._data.cache import Stamp, Store
from ticker._data.refresh import RefreshJobs, RefreshReport, utc_now
from ticker._data.schedule import WATCH_JOB, Watch, schedule, watch_of
from ticker._models import DataKind
from ticker._staleness import restamp_due
from ticker._text import bounded
from ticker.sources import SourceSet

__all__ = ["LEASE", "Leadership", "fingerprint", "stamp_outside"]

log = logging.getLogger("ticker.leader")

#: How long the lease lasts without renewal; it is renewed three times as often.
LEASE = dt.timedelta(seconds=15)
#: How often the leader checks whether an item turned stale since the last stamp.
RESTAMP_EVERY = dt.timedelta(seconds=15)
LEASE_NAME = "refresh"


def fingerprint(settings: Settings, kind: DataKind) -> str:
    """A digest of what a refresh of ``kind`` depends on: its items and sources."""
    part = settings.rates if kind == "rates" else settings.weather
    return hashlib.sha256(part.model_dump_json().encode()).hexdigest()[:16]


def stamp_outside(store: Store, at: dt.datetime) -> Stamp:
    """Record a new stamp for a refresh made outside the fleet (``ticker refresh``), blocking.

    Every running process renders it within a second; the fleet's next scheduled
    refresh stays as the last stamp announced it.
    """
    previous = store.stamp()
    upcoming = previous.next_refresh_at if previous is not None else None
    stamp = Stamp(
        version=uuid.uuid4().hex,
        generated_at=at,
        next_refresh_at=upcoming if upcoming is not None and upcoming > at else None,
    )
    store.put_stamp(stamp)
    return stamp


class Leadership:
    """Holds the refresh lease when it can, and runs the scheduler while it does."""

    def __init__(
        self,
        refresher: RefreshJobs,
        live: LiveSettings,
        store: Store,
        *,
        lease: dt.timedelta = LEASE,
        on_stamp: Callable[[Stamp], None] | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        watch_plan: Callable[[Settings], Watch | None] = watch_of,
    ) -> None:
        self.refresher = refresher
        self.live = live
        self.store = store
        self.lease = lease
        self.on_stamp = on_stamp
        self.clock = clock
        self.watch_plan = watch_plan
        self.watch: Watch | None = watch_plan(live.current)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.scheduler: AsyncIOScheduler | None = None
        self._problems: dict[str, str] = {}

    @property
    def problems(self) -> list[str]:
        """Why this process cannot take part in the refreshes now (for /readyz), if it cannot."""
        return list(self._problems.values())

    def _trouble(self, what: str, problem: str | None) -> bool:
        """Note (or clear, with None) a problem; whether it is new (to be logged)."""
        if problem is None:
            self._problems.pop(what, None)
            return False
        new = what not in self._problems
        self._problems[what] = bounded(problem)
        return new

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self.live.current

    @property
    def leading(self) -> bool:
        """Whether this process runs the refreshes now."""
        return self.scheduler is not None

    async def run(self) -> None:
        """Take, renew or lose the lease, forever; start or stop the scheduler to match."""
        try:
            while True:
                held = await self._renew()
                if held and self.scheduler is None:
                    await self._lead()
                elif not held and self.scheduler is not None:
                    log.warning("%s lost the refresh lease", self.owner)
                    self._follow()
                await asyncio.sleep(self.lease.total_seconds() / 3)
        finally:
            self._follow()
            try:
                await asyncio.to_thread(self.store.backend.release, LEASE_NAME, self.owner)
            except Exception as exc:  # the cache is away: the lease expires by itself
                log.warning("cannot release the refresh lease (%s); it expires by itself", exc)

    async def _renew(self) -> bool:
        try:
            held = await asyncio.to_thread(
                self.store.backend.acquire, LEASE_NAME, self.owner, self.lease
            )
        except Exception as exc:  # the shared cache is unreachable: nobody can be sure
            if self._trouble("lease", f"cannot hold the refresh lease: {exc}"):
                log.warning("cannot reach the shared cache for the lease: %s", exc)
            return False
        if "lease" in self._problems:
            log.info("the shared cache answers for the lease again")
        self._trouble("lease", None)
        return held

    async def _lead(self) -> None:
        log.info("%s holds the refresh lease", self.owner)
        self.watch = self.watch_plan(self.settings)  # the settings may have changed since
        kinds: tuple[DataKind, ...] = ("rates", "weather")
        first = {kind: await self._first_run(kind) for kind in kinds}
        self._start(first, watch_after=await self._first_run("rates", watching=True))

    def _start(
        self,
        first: dict[DataKind, dt.datetime],
        settings: Settings | None = None,
        *,
        watch_after: dt.datetime | None = None,
    ) -> None:
        settings = settings or self.settings
        self.watch = self.watch_plan(settings)
        self.scheduler = schedule(
            self.refresher, settings, first_runs=first,
            may_run=self._may_refresh,
            after=self._refreshed, failed=self._refresh_failed,
            watch=self.watch, published=self._published, watch_after=watch_after,
        )  # fmt: skip
        self.scheduler.add_job(
            self._restamp, "interval", seconds=RESTAMP_EVERY.total_seconds(), id="restamp"
        )

    def reconfigure(self, settings: Settings, sources: SourceSet) -> None:
        """Use new settings; a leader refreshes with them at once and then on their schedule.

        Call it before the settings are put in force for everyone else.
        """
        self.refresher.reconfigure(settings, sources)
        if self.scheduler is not None:
            self._follow()
            kinds: tuple[DataKind, ...] = ("rates", "weather")
            self._start({kind: self.clock() for kind in kinds}, settings)

    def _follow(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None

    def _interval(self, kind: DataKind, *, watching: bool = False) -> dt.timedelta:
        """The refresh interval of ``kind`` now: the watch's ``every`` in an open window."""
        if kind == "weather":
            return self.settings.weather.refresh
        watch = self.watch
        if watch is not None and (watching or watch.open_day(self.clock()) is not None):
            return watch.every
        return self.settings.rates.refresh

    async def _first_run(self, kind: DataKind, *, watching: bool = False) -> dt.datetime:
        """One interval after the fleet's last refresh of ``kind``; now if none or the
        settings of ``kind`` changed since (or the cache cannot be read).  ``watching``:
        the first watch poll, one ``every`` after the last."""
        try:
            last = await asyncio.to_thread(self.store.last_refresh, kind)
        except Exception as exc:  # the shared cache is unreachable: refresh as soon as we can
            log.warning("cannot read the last %s refresh: %s", kind, exc)
            last = None
        now = self.clock()
        if last is None or last.fingerprint != fingerprint(self.settings, kind):
            return now
        return max(now, last.at + self._interval(kind, watching=watching))

    async def _may_refresh(self, kind: DataKind) -> bool:
        """Refresh only while holding the lease, and not just after another leader did."""
        if not await self._renew():
            return False
        last = await asyncio.to_thread(self.store.last_refresh, kind)
        if last is None or last.owner == self.owner:
            return True
        if last.fingerprint != fingerprint(self.settings, kind):
            return True
        return self.clock() - last.at >= self._interval(kind) / 2

    def _refresh_failed(self, kind: DataKind, exc: Exception) -> None:
        if self._trouble(f"refresh {kind}", f"cannot refresh {kind}: {type(exc).__name__}: {exc}"):
            log.warning("the %s refresh failed: %s: %s", kind, type(exc).__name__, exc)

    async def _refreshed(self, kind: DataKind, report: RefreshReport) -> None:
        self._trouble(f"refresh {kind}", None)
        try:
            await asyncio.to_thread(
                self.store.put_last_refresh, kind, self.clock(), self.owner,
                fingerprint(self.settings, kind),
            )  # fmt: skip
            await self.stamp()
        except Exception as exc:  # a full disk, a lost Redis: readers age what they have
            if self._trouble("stamp", f"cannot record the {kind} refresh: {exc}"):
                log.warning("cannot record the %s refresh in the shared cache: %s", kind, exc)
            return
        if "stamp" in self._problems:
            log.info("the %s refresh is recorded in the shared cache again", kind)
        self._trouble("stamp", None)

    async def _published(self, watch: Watch, day: dt.date) -> bool:
        """Whether the watched source's publication after ``day`` is in the shared cache,
        and no currency is missing (a missing one is worth the next poll)."""
        rates = self.settings.rates
        stored = await asyncio.to_thread(self.store.rates, rates.currencies, base=rates.base)
        return len(stored) == len(rates.currencies) and watch.published(stored.values(), day)

    async def stamp(self) -> Stamp:
        """Record a new version of the cache for every process to render."""
        jobs = self.scheduler.get_jobs() if self.scheduler is not None else []
        upcoming = [job.next_run_time for job in jobs if job.id in ("rates", "weather", WATCH_JOB)]
        stamp = Stamp(
            version=uuid.uuid4().hex,
            generated_at=self.clock(),
            next_refresh_at=min(upcoming) if upcoming else None,
        )
        await asyncio.to_thread(self.store.put_stamp, stamp)
        if self.on_stamp is not None:
            self.on_stamp(stamp)
        return stamp

    async def _restamp(self) -> None:
        """Stamp again once an item turned stale, was hidden or the day changed."""
        try:
            await self._restamp_if_due()
        except Exception as exc:  # readers age what they have meanwhile
            if self._trouble("stamp", f"cannot stamp the shared cache: {exc}"):
                log.warning("cannot stamp the shared cache: %s", exc)
            return
        self._trouble("stamp", None)

    async def _restamp_if_due(self) -> None:
        stamp = await asyncio.to_thread(self.store.stamp)
        if stamp is None:
            await self.stamp()
            return
        settings = self.settings
        rates = await asyncio.to_thread(self.store.rates, settings.rates.currencies)
        weather = await asyncio.to_thread(
            self.store.weather, [city.id for city in settings.weather.cities]
        )
        if restamp_due(settings, rates, weather, stamp.generated_at, self.clock()):
            await self.stamp()
