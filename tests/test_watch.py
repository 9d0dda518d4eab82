"""Publication-aware refresh: ``rates.watch`` polls the bank often while it publishes.

The National Bank of Kazakhstan fixes the next day's rates at 15:30 Astana time; on
its business days the rates are polled every ``every`` from 15:30 to 18:30 until the
next date's publication is stored, and every ``refresh`` otherwise.  The planner
(:class:`~ticker._data.schedule.Watch`) is tested on dates; the schedule itself runs in
real time against a fake bank on 127.0.0.1 serving NBK's real RSS format, with the
window compressed to seconds (``every: 2s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import math
import random
import zoneinfo
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp
import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from benchmarks.freshness import FakeNbk, compressed_watch, compressed_window, settings_for
from ticker import ConfigError, DiskCache, Store
from ticker._config import LiveSettings, Settings
from ticker._data.leader import Leadership
from ticker._data.refresh import Refresher, RefreshReport
from ticker._data.schedule import Watch, _Job, _offset, watch_of
from ticker._models import Calendar, PublicationWindow
from ticker.sources import build_sources

from .conftest import SETTINGS_YAML, make_settings, rate

ASTANA = zoneinfo.ZoneInfo("Asia/Almaty")
STATIC = '[{adapter: static, rates: {USD: "445.99"}}]'


def _settings(sources: str = "[{adapter: nbk}]", watch: str | None = None) -> Settings:
    text = SETTINGS_YAML.replace(STATIC, sources)
    if watch is not None:
        text = text.replace("  refresh: 1h", f"  refresh: 1h\n  watch: {watch}")
    return make_settings(text)


def _astana(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), ASTANA).astimezone(dt.UTC)


def _nbk_watch() -> Watch:
    watch = watch_of(_settings())
    assert watch is not None
    return watch


MONDAY = dt.date(2026, 12, 14)
FRIDAY = dt.date(2026, 12, 18)


# -- what is watched -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("adapter", "opens", "closes", "zone"),
    [
        ("nbk", "15:30", "18:30", "Asia/Almaty"),
        ("cbu", "17:00", "19:00", "Asia/Tashkent"),
        ("nbkr", "15:30", "18:30", "Asia/Bishkek"),
        ("cbr", "15:30", "18:30", "Europe/Moscow"),
    ],
    ids=["nbk", "cbu", "nbkr", "cbr"],
)
def test_a_bank_adapter_ships_its_default_window(adapter, opens, closes, zone):
    """Without from/to the window is the adapter's, in its zone, polled every 2 minutes."""
    watch = watch_of(_settings(f"[{{adapter: {adapter}}}]"))
    assert watch is not None
    assert (f"{watch.window.opens:%H:%M}", f"{watch.window.closes:%H:%M}") == (opens, closes)
    assert (watch.calendar.zone, watch.every, watch.source) == (
        zone, dt.timedelta(minutes=2), adapter,
    )  # fmt: skip


@pytest.mark.parametrize("adapter", ["nbt", "static"])
def test_a_source_whose_publication_time_is_unknown_is_not_watched(adapter):
    """An adapter that declares no window keeps the refresh interval alone: the National
    Bank of Tajikistan publishes the day's own rates at a time nobody documents."""
    sources = STATIC if adapter == "static" else f"[{{adapter: {adapter}}}]"
    assert watch_of(_settings(sources)) is None


@pytest.mark.parametrize("off", ["false", "null"])
def test_watch_false_or_null_turns_it_off(off):
    """``rates.watch: false`` (or null) leaves the refresh interval alone."""
    settings = _settings(watch=off)
    assert settings.rates.watch is None
    assert watch_of(settings) is None


def test_a_watch_no_faster_than_the_refresh_is_off():
    """With ``refresh: 1m`` a watch every 2 minutes would slow the rates down: it is off."""
    text = SETTINGS_YAML.replace(STATIC, "[{adapter: nbk}]").replace("refresh: 1h", "refresh: 1m")
    assert watch_of(make_settings(text)) is None


def test_a_window_in_the_settings_is_in_the_first_source_s_zone():
    """``from``/``to`` are local times of the first source, which need not declare a window."""
    watch = watch_of(_settings(STATIC, '{from: "10:00", to: "11:30:30", every: 1m}'))
    assert watch is not None
    assert watch.window == PublicationWindow(dt.time(10), dt.time(11, 30, 30))
    assert watch.window_on(MONDAY) == (_astana(MONDAY, 10), _astana(MONDAY, 11, 30, 30))
    assert watch.every == dt.timedelta(minutes=1)


def test_the_watched_window_keeps_kazakhstan_s_holidays_unless_overridden():
    """``rates.holidays`` is the watch's calendar too: with false, 16 December has a window."""
    assert _nbk_watch().window_on(dt.date(2025, 12, 16)) is None
    text = SETTINGS_YAML.replace(STATIC, "[{adapter: nbk}]")
    settings = make_settings(text.replace("  refresh: 1h", "  refresh: 1h\n  holidays: false"))
    watch = watch_of(settings)
    assert watch is not None
    assert watch.window_on(dt.date(2025, 12, 16)) is not None


@pytest.mark.parametrize(
    ("watch", "message"),
    [
        ("{from: 15:30, to: 18:30}", '930 is not a time: write it in quotes, such as "15:30"'),
        ('{from: "18:30", to: "15:30"}', "from: 18:30 is not before to: 15:30"),
        ('{from: "15:30"}', "give both from: and to:, or neither"),
        ('{from: "25:00", to: "26:00"}', "'25:00' is not a time of day"),
        ("{every: 2h}", "less than or equal to 1 hour"),
        ("{each: 2m}", "unknown key"),
    ],
    ids=["unquoted-time", "backwards", "one-end", "hour-25", "every-too-long", "unknown-key"],
)
def test_a_wrong_watch_is_a_config_error_naming_the_key(watch, message):
    """A bad window is refused before anything starts; an unquoted 15:30 is YAML's 930."""
    with pytest.raises(ConfigError) as caught:
        _settings(watch=watch)
    assert any(path.startswith("rates.watch") for path, _ in caught.value.problems)
    assert message in "; ".join(text for _, text in caught.value.problems)


# -- when it polls -------------------------------------------------------------------


def test_the_first_poll_of_a_business_day_is_at_the_opening():
    """Asked on Monday morning, the next poll is Monday 15:30 in Astana."""
    assert _nbk_watch().next_poll(_astana(MONDAY, 9)) == _astana(MONDAY, 15, 30)


def test_polls_inside_the_window_are_every_apart():
    """Inside the window polls sit on a 2-minute grid from 15:30, shifted by the offset."""
    watch = _nbk_watch()
    assert watch.next_poll(_astana(MONDAY, 15, 31)) == _astana(MONDAY, 15, 32)
    shifted = watch.next_poll(_astana(MONDAY, 15, 31), offset=dt.timedelta(seconds=40))
    assert shifted == _astana(MONDAY, 15, 32, 40)


def test_the_last_poll_is_at_or_after_the_closing():
    """A publication at 18:29:50 is still caught, by the poll at 18:30 (or just after)."""
    watch = _nbk_watch()
    late = _astana(MONDAY, 18, 29, 50)
    assert watch.next_poll(late) == _astana(MONDAY, 18, 30)
    shifted = watch.next_poll(late, offset=dt.timedelta(seconds=40))
    assert shifted == _astana(MONDAY, 18, 30, 40)


def test_after_friday_s_window_the_next_is_monday_s():
    """No window opens at the weekend: after Friday's the next poll is on Monday."""
    after = _astana(FRIDAY, 18, 33)
    assert _nbk_watch().next_poll(after) == _astana(dt.date(2026, 12, 21), 15, 30)


def test_a_holiday_has_no_window():
    """Independence Day (Tuesday 16 December 2025) is skipped: the next window is Wednesday's."""
    watch = _nbk_watch()
    monday = dt.date(2025, 12, 15)
    assert watch.open_day(_astana(dt.date(2025, 12, 16), 16)) is None
    after = _astana(monday, 19)
    assert watch.next_poll(after) == _astana(dt.date(2025, 12, 17), 15, 30)


def test_a_done_day_polls_no_more():
    """Once the next date is stored the window rests: the next poll is the next business day's."""
    watch = _nbk_watch()
    assert watch.open_day(_astana(MONDAY, 16), done=MONDAY) is None
    next_poll = watch.next_poll(_astana(MONDAY, 16), done=MONDAY)
    assert next_poll == _astana(dt.date(2026, 12, 15), 15, 30)


def test_the_publication_is_in_once_every_watched_rate_is_dated_after_the_day():
    """The window waits for the watched source's rates, every one dated after today."""
    watch = _nbk_watch()
    tomorrow = MONDAY + dt.timedelta(days=1)
    new = [rate("USD", "446.1", date=tomorrow), rate("EUR", "487.0", date=tomorrow)]
    assert watch.published(new, MONDAY)
    assert not watch.published([*new, rate("RUB", "5.78", date=MONDAY)], MONDAY)
    assert not watch.published([rate("USD", "446.1", date=tomorrow, source="cbr")], MONDAY)
    assert not watch.published([], MONDAY)


def test_a_leader_started_in_an_open_window_polls_at_once():
    """Started at 16:00:07 the grid goes through 16:00:07; before the window it is random."""
    watch = _nbk_watch()
    started = _astana(MONDAY, 16, 0, 7)
    offset = _offset(watch, started)
    assert watch.next_poll(started, offset=offset) == started
    assert (
        watch.next_poll(started + dt.timedelta(seconds=1), offset=offset) == started + watch.every
    )
    assert dt.timedelta(0) <= _offset(watch, _astana(MONDAY, 9)) < watch.every


async def test_the_regular_refresh_rests_while_the_watch_polls():
    """Inside an open window only the watch's polls refresh: the regular run is skipped."""
    calls: list[bool] = []

    async def refresh() -> RefreshReport:
        calls.append(True)
        return RefreshReport("rates")

    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.start(paused=True)
    try:
        job = _Job(scheduler, "rates", refresh, dt.timedelta(hours=1))
        job.resting = lambda: True
        await job.run()
        assert calls == []
        await job.run(watching=True)
        assert calls == [True]
    finally:
        scheduler.shutdown(wait=False)


# -- in real time, against a fake bank -------------------------------------------------

EVERY = 2.0
WINDOW = 12.0
LEAD = 2.0


async def _serve(aiohttp_server, bank: FakeNbk) -> str:
    server = await aiohttp_server(bank.app(), host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}/rss/"


@contextlib.asynccontextmanager
async def _leading(
    settings: Settings,
    folder: Path,
    watch: Watch,
    *,
    stamps: list[dt.datetime] | None = None,
    lease: dt.timedelta = dt.timedelta(seconds=15),
) -> AsyncIterator[Leadership]:
    """A leader candidate refreshing a disk cache in ``folder``, watching with ``watch``."""
    store = Store(DiskCache(folder))
    try:
        async with aiohttp.ClientSession() as session:
            refresher = Refresher(settings, build_sources(settings), store, session)
            leadership = Leadership(
                refresher, LiveSettings(settings), store, lease=lease,
                on_stamp=lambda _: stamps.append(_now()) if stamps is not None else None,
                watch_plan=lambda _: watch,
            )  # fmt: skip
            task = asyncio.create_task(leadership.run())
            try:
                yield leadership
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    finally:
        store.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _sleep_until(moment: dt.datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - _now()).total_seconds()))


def _gaps(moments: Sequence[dt.datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]


@pytest.mark.slow
async def test_a_publication_reaches_the_strip_within_every_plus_two_seconds(
    aiohttp_server, tmp_path
):
    """Published at a random moment of the window, the next date is stamped within every + 2 s;
    the bank is asked once at start-up, every 2 s in the window until then, never after."""
    opens, closes = await compressed_window(LEAD, WINDOW)
    publish_at = opens + dt.timedelta(seconds=random.uniform(0.5, WINDOW - EVERY - 2))  # noqa: S311
    bank = FakeNbk(opens.astimezone(ASTANA).date(), publish_at)
    settings = settings_for(await _serve(aiohttp_server, bank), every="2s")
    stamps: list[dt.datetime] = []
    watch = compressed_watch(opens, closes, dt.timedelta(seconds=EVERY))
    started = _now()
    async with _leading(settings, tmp_path / "cache", watch, stamps=stamps):
        await _sleep_until(closes + dt.timedelta(seconds=EVERY + 1))
    assert bank.first_new_at is not None, "the new publication was never fetched"
    shown = min(at for at in stamps if at >= bank.first_new_at)
    lag = (shown - publish_at).total_seconds()
    assert lag <= EVERY + 2, f"publication -> strip took {lag:.2f} s"
    # Requests per (compressed) day: the start-up refresh, the polls until the publication.
    assert bank.asked(started, opens) == 1
    polls = bank.asked(opens, bank.first_new_at)
    assert polls <= math.ceil((publish_at - opens).total_seconds() / EVERY) + 1
    assert bank.asked(bank.first_new_at, closes + dt.timedelta(seconds=EVERY + 1)) == 1
    # Every poll after the first was conditional: an unchanged feed answered 304.
    assert sum(1 for _, status in bank.requests if status == 304) >= polls - 1


@pytest.mark.slow
async def test_no_poll_on_a_day_the_bank_does_not_work(aiohttp_server, tmp_path):
    """On a day off of the watched calendar the window never opens: the start-up refresh only."""
    opens, closes = await compressed_window(LEAD, 6.0)
    today = opens.astimezone(ASTANA).date()
    bank = FakeNbk(today, closes + dt.timedelta(hours=1))
    settings = settings_for(await _serve(aiohttp_server, bank), every="2s")
    window = compressed_watch(opens, closes, dt.timedelta(seconds=EVERY)).window
    day_off = Calendar("Asia/Almaty", frozenset(range(7)) - {today.weekday()})
    watch = Watch("nbk", day_off, window, dt.timedelta(seconds=EVERY))
    async with _leading(settings, tmp_path / "cache", watch):
        await _sleep_until(closes + dt.timedelta(seconds=EVERY + 1))
    assert len(bank.requests) == 1


@pytest.mark.slow
async def test_two_leader_candidates_still_make_one_request_per_interval(aiohttp_server, tmp_path):
    """Two candidates on one cache poll the bank once every 2 s between them, across a handover."""
    opens, closes = await compressed_window(LEAD, WINDOW)
    bank = FakeNbk(opens.astimezone(ASTANA).date(), closes + dt.timedelta(hours=1))
    settings = settings_for(await _serve(aiohttp_server, bank), every="2s")
    watch = compressed_watch(opens, closes, dt.timedelta(seconds=EVERY))
    lease = dt.timedelta(seconds=1.5)
    folder = tmp_path / "cache"
    handover = opens + dt.timedelta(seconds=WINDOW / 2)
    async with contextlib.AsyncExitStack() as staying:
        leaving = contextlib.AsyncExitStack()
        first = await leaving.enter_async_context(_leading(settings, folder, watch, lease=lease))
        await asyncio.sleep(0.5)  # the first candidate takes the lease
        second = await staying.enter_async_context(_leading(settings, folder, watch, lease=lease))
        await _sleep_until(handover)
        assert (first.leading, second.leading) == (True, False)
        await leaving.aclose()  # the leader stops and releases its lease mid-window
        await _sleep_until(closes + dt.timedelta(seconds=EVERY + 1))
        assert second.leading
    polls = [at for at, _ in bank.requests if opens <= at]
    assert any(at > handover for at in polls), "the new leader went on polling"
    assert len(polls) <= math.ceil(WINDOW / EVERY) + 1
    assert min(_gaps(polls)) >= EVERY * 0.75, _gaps(polls)


@pytest.mark.slow
async def test_a_leader_started_inside_the_window_asks_once_then_every(aiohttp_server, tmp_path):
    """Started mid-window, the leader's first poll is its start-up refresh: one request, not two."""
    opens, closes = await compressed_window(0.0, WINDOW)
    bank = FakeNbk(opens.astimezone(ASTANA).date(), closes + dt.timedelta(hours=1))
    settings = settings_for(await _serve(aiohttp_server, bank), every="2s")
    watch = compressed_watch(opens, closes, dt.timedelta(seconds=EVERY))
    await _sleep_until(opens + dt.timedelta(seconds=1))
    started = _now()
    async with _leading(settings, tmp_path / "cache", watch):
        await _sleep_until(started + dt.timedelta(seconds=EVERY * 2.5))
    asked = [at for at, _ in bank.requests]
    assert len(asked) == 3, _gaps(asked)
    assert (asked[0] - started).total_seconds() < 1
    assert min(_gaps(asked)) >= EVERY * 0.75


async def test_a_missing_currency_keeps_the_window_open(store):
    """The window is done only once every configured currency is stored, dated after today."""
    settings = settings_for("http://127.0.0.1:1/rss/", every="2s")
    leadership = Leadership(None, LiveSettings(settings), store)  # refreshes nothing here
    today = _now().astimezone(ASTANA).date()  # the cache refuses a date beyond tomorrow
    tomorrow = today + dt.timedelta(days=1)
    values = {"USD": "446.1", "EUR": "487.0", "RUB": "5.79", "CNY": "64.2"}
    store.put_rates([rate(code, values[code], date=tomorrow) for code in ("USD", "EUR", "RUB")])
    assert not await leadership._published(_nbk_watch(), today)
    store.put_rates([rate("CNY", values["CNY"], date=tomorrow)])
    assert await leadership._published(_nbk_watch(), today)
