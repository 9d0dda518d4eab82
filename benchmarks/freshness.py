"""How soon a new publication reaches the strip, and how many requests the bank sees.

Usage::

    python -m benchmarks.freshness              # simulated week + 3 compressed live runs
    python -m benchmarks.freshness --runs 0     # the simulation alone (instant)
    python -m benchmarks.freshness --every 5m   # another pace inside the window

Two parts:

* **simulated**, from the scheduler's own decisions (:class:`ticker._data.schedule.Watch`:
  its windows on business days, its grid of polls, when the regular job rests, when a
  day is done) over the week of 14-20 December 2026 with the National Bank of
  Kazakhstan's default window (15:30-18:30 Asia/Almaty; Wednesday the 16th is
  Independence Day, so no window), ``refresh: 1h``, against ``refresh: 1h`` alone.
  The lag is swept over every publication second of the window (every 5 s) and
  every phase of the grid; nothing waits in real time.
* **live, compressed**: a fake bank on 127.0.0.1 serving NBK's real RSS format (with an
  ETag, so the polls are conditional) publishes the next date's rates at a random
  moment in a 12-second window watched ``every: 2s``; a real
  :class:`~ticker._data.leader.Leadership` refreshes a disk cache.  Measured: the lag
  from publication to the stamp (every process renders the strip at the stamp) and
  the requests before, inside and after the window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import math
import random
import statistics
import tempfile
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from ticker._config import (
    LiveSettings,
    Settings,
    format_duration,
    parse_duration,
    parse_settings,
)
from ticker._data.cache import DiskCache, Store
from ticker._data.leader import Leadership
from ticker._data.refresh import Refresher
from ticker._data.schedule import Watch, watch_of
from ticker._models import Calendar, PublicationWindow
from ticker.sources import build_sources

ASTANA = zoneinfo.ZoneInfo("Asia/Almaty")
#: The simulated week: Monday to Sunday, Independence Day on Wednesday.
WEEK = [dt.date(2026, 12, 14) + dt.timedelta(days=n) for n in range(7)]
#: Currencies of the fake feed, before and after the publication (no jump is held).
BEFORE = {"USD": "445.99", "EUR": "486.53", "RUB": "5.78", "CNY": "64.16"}
AFTER = {"USD": "446.12", "EUR": "487.01", "RUB": "5.79", "CNY": "64.20"}

SETTINGS = """
rates:
  currencies: [USD, EUR, RUB, CNY]
  refresh: {refresh}
  watch: {{every: {every}}}
  sources: [{{adapter: nbk, url: "{url}", retries: 0}}]
weather:
  refresh: 1h
  cities:
    - id: astana
      name: {{en: Astana}}
      latitude: 51.1694
      longitude: 71.4491
      timezone: Asia/Almaty
  sources: [{{adapter: static, cities: {{astana: {{temperature: 19, min: 18, max: 20}}}}}}]
"""


def settings_for(url: str, *, refresh: str = "1h", every: str = "2m") -> Settings:
    """Settings with the National Bank at ``url`` watched every ``every``."""
    return parse_settings(SETTINGS.format(url=url, refresh=refresh, every=every))


def nbk_feed(day: dt.date, values: dict[str, str]) -> bytes:
    """An ``rates_all.xml`` RSS document as the National Bank writes it, dated ``day``."""
    items = "".join(
        f"<item><title>{code}</title><pubDate>{day:%d.%m.%Y}</pubDate>"
        f"<description>{value}</description><quant>1</quant><index></index>"
        "<change>0.00</change><link /></item>\n"
        for code, value in values.items()
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Official exchange rates of National Bank of Republic Kazakhstan</title>\n"
        f"{items}</channel></rss>"
    ).encode()


@dataclass
class FakeNbk:
    """The National Bank's feed on loopback: ``today``'s rates, then the next date's
    from ``publish_at`` on; answers ``If-None-Match`` with 304."""

    today: dt.date
    publish_at: dt.datetime
    #: Every request: when, and the status answered.
    requests: list[tuple[dt.datetime, int]] = field(default_factory=list)
    #: When the next date's rates were first sent.
    first_new_at: dt.datetime | None = None

    def app(self) -> web.Application:
        """The feed's web application (``/rss/rates_all.xml``)."""
        app = web.Application()
        app.router.add_get("/rss/rates_all.xml", self._rates)
        return app

    async def _rates(self, request: web.Request) -> web.Response:
        now = dt.datetime.now(dt.UTC)
        new = now >= self.publish_at
        day = self.today + dt.timedelta(days=1) if new else self.today
        etag = f'"{day.isoformat()}"'
        if request.headers.get("If-None-Match") == etag:
            self.requests.append((now, 304))
            return web.Response(status=304, headers={"ETag": etag})
        self.requests.append((now, 200))
        if new and self.first_new_at is None:
            self.first_new_at = now
        body = nbk_feed(day, AFTER if new else BEFORE)
        return web.Response(body=body, content_type="text/xml", headers={"ETag": etag})

    def asked(self, start: dt.datetime, end: dt.datetime) -> int:
        """Requests from ``start`` (included) to ``end`` (excluded)."""
        return sum(1 for at, _ in self.requests if start <= at < end)


# -- simulated ------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """One simulated day: its requests, and the lag of its publication if it had one."""

    day: dt.date
    requests: int
    lag: dt.timedelta | None


def simulate(
    watch: Watch | None,
    refresh: dt.timedelta,
    publications: dict[dt.date, dt.datetime],
    *,
    offset: dt.timedelta = dt.timedelta(0),
    phase: dt.timedelta = dt.timedelta(0),
    days: list[dt.date] = WEEK,
) -> list[Day]:
    """The requests and lags of ``days`` (:data:`WEEK`), as the scheduler decides them.

    The regular job fires every ``refresh`` from Monday 00:00 plus ``phase`` and rests
    while a window is open and not done (``_Job.resting``); the watch polls on its
    grid (``Watch.next_poll``), first asks whether the publication after the day is
    already stored, and once it is, the day is done (``_Watcher.poll``).  A request
    at or after a publication's moment stores it; fetches take no time.
    """
    start = dt.datetime.combine(days[0], dt.time(), ASTANA).astimezone(dt.UTC)
    end = start + dt.timedelta(days=len(days))
    stored: dt.date = days[0]  # the first day's rates, published the business day before
    done: dt.date | None = None
    asked: list[dt.datetime] = []
    regular = start + phase
    poll = watch.next_poll(start, offset=offset) if watch is not None else None

    def fetch(at: dt.datetime) -> None:
        nonlocal stored
        asked.append(at)
        for day, moment in publications.items():
            if moment <= at:
                stored = max(stored, day + dt.timedelta(days=1))

    while True:
        if poll is not None and poll < regular and poll < end and watch is not None:
            day = watch.open_day(poll, done)
            if day is not None:
                if stored <= day:
                    fetch(poll)
                if stored > day:
                    done = day
            poll = watch.next_poll(poll + watch.every, done=done, offset=offset)
        elif regular < end:
            if watch is None or watch.open_day(regular, done) is None:
                fetch(regular)
            regular += refresh
        else:
            break
    result = []
    for day in days:
        local = [at for at in asked if at.astimezone(ASTANA).date() == day]
        moment = publications.get(day)
        after = [at for at in asked if moment is not None and at >= moment]
        lag = after[0] - moment if after and moment is not None else None
        result.append(Day(day, len(local), lag))
    return result


def _publications(watch: Watch, at: dt.time) -> dict[dt.date, dt.datetime]:
    """A publication at ``at`` on every day of the week whose window opens."""
    return {
        day: dt.datetime.combine(day, at, ASTANA).astimezone(dt.UTC)
        for day in WEEK
        if watch.window_on(day) is not None
    }


def _sweep(watch: Watch, refresh: dt.timedelta, step: dt.timedelta) -> dt.timedelta:
    """The worst lag over publication moments every ``step`` across the window and four
    phases of the watch's grid."""
    opens = dt.datetime.combine(WEEK[0], watch.window.opens, ASTANA)
    closes = dt.datetime.combine(WEEK[0], watch.window.closes, ASTANA)
    worst = dt.timedelta(0)
    for quarter in range(4):
        offset = watch.every * quarter / 4
        moment = opens
        while moment <= closes:
            published = {WEEK[0]: moment.astimezone(dt.UTC)}
            day = simulate(watch, refresh, published, offset=offset, days=WEEK[:1])[0]
            worst = max(worst, day.lag or dt.timedelta(0))
            moment += step
    return worst


def _sweep_alone(watch: Watch, refresh: dt.timedelta) -> dt.timedelta:
    """The worst lag of ``refresh`` alone over publication moments and regular phases
    every minute across the window."""
    opens = dt.datetime.combine(WEEK[0], watch.window.opens, ASTANA)
    worst = dt.timedelta(0)
    for minutes in range(0, int(refresh.total_seconds() // 60), 5):
        moment = opens + dt.timedelta(minutes=minutes)
        for phase in range(int(refresh.total_seconds() // 60)):
            published = {WEEK[0]: moment.astimezone(dt.UTC)}
            day = simulate(
                None, refresh, published, phase=dt.timedelta(minutes=phase), days=WEEK[:1]
            )[0]
            worst = max(worst, day.lag or dt.timedelta(0))
    return worst


def _minutes(delta: dt.timedelta | None) -> str:
    return "-" if delta is None else f"{delta.total_seconds() / 60:.1f} min"


def simulated(every: dt.timedelta) -> None:
    """Print the simulated week for the default NBK window against ``refresh: 1h`` alone."""
    settings = settings_for("http://127.0.0.1:1/rss/", every=f"{int(every.total_seconds())}s")
    watch = watch_of(settings)
    if watch is None:
        raise SystemExit("the nbk adapter declares no publication window")
    refresh = settings.rates.refresh
    window = f"{watch.window.opens:%H:%M}-{watch.window.closes:%H:%M} {watch.calendar.zone}"
    pace = f"every {format_duration(every)}, refresh {format_duration(refresh)}"
    print(f"== freshness, simulated: NBK window {window}, {pace} ==")
    moments = (dt.time(15, 31), dt.time(16, 0), dt.time(18, 29))
    runs = {at: simulate(watch, refresh, _publications(watch, at)) for at in moments}
    alone = {at: simulate(None, refresh, _publications(watch, at)) for at in moments}
    heading = "published at " + " / ".join(f"{at:%H:%M}" for at in moments)
    print(f"{'day':<16}{'window':<8}{'requests/day, lag (' + heading + ')'}")
    for index, day in enumerate(WEEK):
        figures = " / ".join(
            f"{runs[at][index].requests}, {_minutes(runs[at][index].lag)}" for at in moments
        )
        opened = "yes" if watch.window_on(day) is not None else "no"
        print(f"{day:%a %Y-%m-%d}  {opened:<8}{figures}")
    worst = _sweep(watch, refresh, dt.timedelta(seconds=10))
    business = [i for i, day in enumerate(WEEK) if watch.window_on(day) is not None]
    per_day = sorted({runs[at][i].requests for at in moments for i in business})
    jitter = dt.timedelta(seconds=max(1, min(refresh.total_seconds() * 0.1, 300)))
    print(
        f"watch every {format_duration(every)}: worst lag {_minutes(worst)} (publications every"
        f" 10 s of the window, 4 grid phases; never more than every), requests on a business day"
        f" {per_day[0]}..{per_day[-1]}, on a weekend or holiday {runs[moments[0]][2].requests}"
    )
    print(
        f"refresh {format_duration(refresh)} alone: {alone[moments[0]][0].requests}"
        f" requests/day, worst lag {_minutes(_sweep_alone(watch, refresh))} (publications and"
        f" phases every minute), plus up to {_minutes(jitter)} of the scheduler's jitter"
    )


# -- live, compressed -----------------------------------------------------------------


@dataclass(frozen=True)
class LiveRun:
    """What one compressed run measured."""

    lag: float
    every: float
    before_window: int
    in_window_before: int
    in_window_after: int
    after_window: int
    not_modified: int


def compressed_watch(opens: dt.datetime, closes: dt.datetime, every: dt.timedelta) -> Watch:
    """A watch of the ``nbk`` source open from ``opens`` to ``closes`` today, any weekday."""
    local = opens.astimezone(ASTANA), closes.astimezone(ASTANA)
    window = PublicationWindow(local[0].time(), local[1].time())
    return Watch("nbk", Calendar("Asia/Almaty", frozenset(range(7))), window, every)


async def compressed_window(lead: float, length: float) -> tuple[dt.datetime, dt.datetime]:
    """A window opening ``lead`` s from now and ``length`` s long, within one day in Astana
    (near midnight it waits for the next day)."""
    now = dt.datetime.now(ASTANA)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), ASTANA)
    if (midnight - now).total_seconds() < lead + length + 5:
        await asyncio.sleep((midnight - now).total_seconds() + 1)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=1)
    opens = start + dt.timedelta(seconds=lead)
    return opens, opens + dt.timedelta(seconds=length)


@contextlib.contextmanager
def _store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="ticker-freshness-") as folder:
        store = Store(DiskCache(Path(folder)))
        try:
            yield store
        finally:
            store.close()


async def live_run(every: float = 2.0, window: float = 12.0, lead: float = 2.0) -> LiveRun:
    """One compressed run: a window ``window`` s long opening ``lead`` s after the start."""
    opens, closes = await compressed_window(lead, window)
    start = dt.datetime.now(dt.UTC)
    publish_at = opens + dt.timedelta(seconds=random.uniform(0.5, window - every - 2))  # noqa: S311
    bank = FakeNbk(start.astimezone(ASTANA).date(), publish_at)
    runner = web.AppRunner(bank.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stamps: list[dt.datetime] = []
    interval = dt.timedelta(seconds=every)
    settings = settings_for(f"http://127.0.0.1:{port}/rss/", every=f"{int(every)}s")
    try:
        with _store() as store:
            async with aiohttp.ClientSession() as session:
                refresher = Refresher(settings, build_sources(settings), store, session)
                leadership = Leadership(
                    refresher, LiveSettings(settings), store,
                    on_stamp=lambda stamp: stamps.append(dt.datetime.now(dt.UTC)),
                    watch_plan=lambda _: compressed_watch(opens, closes, interval),
                )  # fmt: skip
                task = asyncio.create_task(leadership.run())
                await asyncio.sleep((closes - dt.datetime.now(dt.UTC)).total_seconds() + 2)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        await runner.cleanup()
    stored_at = bank.first_new_at
    shown = min((at for at in stamps if stored_at is not None and at >= stored_at), default=None)
    lag = (shown - publish_at).total_seconds() if shown is not None else float("inf")
    end = closes + dt.timedelta(seconds=2)
    return LiveRun(
        lag=lag,
        every=every,
        before_window=bank.asked(start - dt.timedelta(seconds=5), opens),
        in_window_before=bank.asked(opens, stored_at or closes),
        in_window_after=bank.asked(stored_at or closes, closes) - (1 if stored_at else 0),
        after_window=bank.asked(closes, end),
        not_modified=sum(1 for _, status in bank.requests if status == 304),
    )


def live(runs: int) -> None:
    """Print ``runs`` compressed live runs and their worst lag."""
    print("== freshness, live compressed: fake NBK on 127.0.0.1, 12 s window, every: 2s ==")
    results = [asyncio.run(live_run()) for _ in range(runs)]
    for number, run in enumerate(results, 1):
        print(
            f"run {number}: lag {run.lag:.2f} s (target <= {run.every + 2:.0f} s); requests:"
            f" {run.before_window} before the window, {run.in_window_before} in it before the"
            f" publication, {'1 that brought it' if math.isfinite(run.lag) else 'none brought it'},"
            f" {run.in_window_after} after it in the window,"
            f" {run.after_window} after the window; {run.not_modified} answered 304"
        )
    if results:
        lags = [run.lag for run in results]
        median = statistics.median(lags)
        print(f"lag publication -> stamp: worst {max(lags):.2f} s, median {median:.2f} s")


def main() -> None:
    """Run the simulation, then the compressed live runs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--every", default="2m", help="the pace inside the window (default 2m)")
    parser.add_argument("--runs", type=int, default=3, help="compressed live runs (default 3)")
    args = parser.parse_args()
    simulated(parse_duration(args.every))
    if args.runs:
        live(args.runs)


if __name__ == "__main__":
    main()
