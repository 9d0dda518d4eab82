"""Refresh and render in child processes, so that serving never shares its GIL with them.

A refresh of 200 cities and a snapshot of every language and form are a few hundred
milliseconds of Python each.  In a thread of the serving process they hold the GIL
that the event loop needs for every request: measured with
``python -m benchmarks.refresh_stall``, the p99 of ``/v1/strip`` grew 14 to 20 times
during back-to-back refreshes.  ``ticker serve`` therefore runs them in two child
processes of its own (``concurrent.futures.ProcessPoolExecutor``, one worker each,
started with ``spawn`` and at a lower CPU priority), and the serving process only
swaps in what they made:

* :class:`ChildRefresher` has the refresher's interface; the leadership schedules it
  as it would the refresher.  The child builds the sources from the settings, owns
  its HTTP session, its circuit breakers and the history it records; what its
  refresh observers heard comes back with the report and is told to the serving
  process's observers (the metrics).
* :class:`ChildRenderer` reads the cache and renders a snapshot in the child; the
  bytes of every variant, their ETags and what ``/readyz`` needs come back, and
  the strips are parsed from their JSON only when asked for.  The leader's child
  appends the audit as it renders.

A child that dies is replaced by the next call (the call that met it fails, is
logged, and the last good snapshot stays served).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ticker._config import Settings
from ticker._data.cache import Stamp, Store, open_store
from ticker._data.history import History, HistoryObserver
from ticker._data.refresh import Refresher, RefreshObserver, RefreshReport, Rejection, utc_now
from ticker._logs import configure_logging
from ticker._models import DataKind
from ticker._processes import die_with
from ticker._serving.catalogue import VariantKey
from ticker._serving.snapshot import (
    Inputs,
    Snapshot,
    Variant,
    audit_snapshot,
    read_inputs,
    render_image,
    render_inputs,
)
from ticker._version import USER_AGENT
from ticker._wire import Strip
from ticker.sources import SourceSet, attributions, build_sources

__all__ = ["CHILD_NICENESS", "ChildRefresher", "ChildRenderer", "Rendered"]

log = logging.getLogger("ticker.offload")

#: How much lower the children's CPU priority is: serving comes first on a busy host.
CHILD_NICENESS = 19
#: Refresh events told to the serving process's observers between two looks at requests.
TELL_AT_ONCE = 16


def _pool(settings: Settings) -> concurrent.futures.ProcessPoolExecutor:
    """One child process, started afresh (no fork of a process with threads and a loop)."""
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_child,
        initargs=(os.getpid(), settings.logging.level, settings.logging.format),
    )


def _start_child(parent: int, level: str, form: str) -> None:
    """In the child: die with the serving process, log as it does, at a lower priority.

    ``parent`` is the serving process's pid as it knew it: read here, it could already
    be init's, if the serving process died while this one started.
    """
    die_with(parent)
    configure_logging(level, form)
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICENESS)
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        # Linux: run only on a core that serving (and everything else) leaves idle.
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


class _Pooled:
    """A child process to run calls in, replaced when it died."""

    def __init__(self) -> None:
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    async def call(self, settings: Settings, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` in the child; a child that died is replaced at the next call."""
        if self._executor is None:
            self._executor = _pool(settings)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, function, *args)
        except concurrent.futures.BrokenExecutor:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None  # the next call starts a new child
            raise

    def close(self) -> None:
        """Stop the child (it finishes the call it runs)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


# -- the refresh --------------------------------------------------------------------


@dataclass
class _Heard:
    """What the child's refresh observers heard, to be told again in the serving process."""

    fetched: list[tuple[DataKind, str, str | None, int, float]] = field(default_factory=list)
    rejected: list[tuple[DataKind, Rejection]] = field(default_factory=list)


class _Recorder(RefreshObserver):
    def __init__(self) -> None:
        self.heard = _Heard()

    def fetched(
        self, kind: DataKind, source: str, *, error: str | None, items: int, seconds: float
    ) -> None:
        self.heard.fetched.append((kind, source, error, items, seconds))

    def rejected(self, kind: DataKind, rejection: Rejection) -> None:
        self.heard.rejected.append((kind, rejection))


@dataclass
class _ChildState:
    """The refresher of a child process, kept between calls (its breakers with it)."""

    settings: Settings
    loop: asyncio.AbstractEventLoop
    store: Store
    refresher: Refresher
    recorder: _Recorder
    history: History


_state: _ChildState | None = None


def _child_state(settings: Settings) -> _ChildState:
    global _state
    if _state is None:
        loop = asyncio.new_event_loop()
        store = open_store(settings.cache)
        session = loop.run_until_complete(_session())
        recorder = _Recorder()
        history = History(store.backend, settings.history, clock=utc_now)
        observers = [recorder, HistoryObserver(history)]
        refresher = Refresher(
            settings, build_sources(settings), store, session, observers=observers
        )
        _state = _ChildState(settings, loop, store, refresher, recorder, history)
    elif settings != _state.settings:
        _state.settings = settings
        _state.history.settings = settings.history
        _state.refresher.reconfigure(settings, build_sources(settings))
    return _state


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=60)
    )


def _refresh_in_child(settings: Settings, kind: DataKind) -> tuple[RefreshReport, _Heard]:
    state = _child_state(settings)
    state.recorder.heard = _Heard()
    job = state.refresher.refresh_rates if kind == "rates" else state.refresher.refresh_weather
    report = state.loop.run_until_complete(job())
    return report, state.recorder.heard


class ChildRefresher:
    """The refresher's interface, run in a child process; observers hear it here."""

    def __init__(self, settings: Settings, observers: Sequence[RefreshObserver] = ()) -> None:
        self.settings = settings
        self.observers = list(observers)
        self._child = _Pooled()

    def reconfigure(self, settings: Settings, sources: SourceSet) -> None:
        """Refresh with new settings from the next refresh on (the child builds the sources)."""
        self.settings = settings

    async def refresh_rates(self) -> RefreshReport:
        """Refresh every configured currency, in the child."""
        return await self._refresh("rates")

    async def refresh_weather(self) -> RefreshReport:
        """Refresh every configured city, in the child."""
        return await self._refresh("weather")

    async def _refresh(self, kind: DataKind) -> RefreshReport:
        report: RefreshReport
        heard: _Heard
        try:
            report, heard = await self._child.call(
                self.settings, _refresh_in_child, self.settings, kind
            )
        except Exception as exc:  # the child died or broke: nothing was stored, say so
            log.error("the %s refresh failed in its child process: %s", kind, exc)
            wanted = (
                self.settings.rates.currencies
                if kind == "rates"
                else [city.id for city in self.settings.weather.cities]
            )
            return RefreshReport(kind, missing=list(wanted))
        await self._tell(heard)
        return report

    async def _tell(self, heard: _Heard) -> None:
        """Tell the observers what the child heard, a few at a time between requests.

        A weather refresh of 200 cities is 200 fetches: told at once, they would
        hold the event loop for milliseconds.
        """
        for count, (kind, source, error, items, seconds) in enumerate(heard.fetched, 1):
            for observer in self.observers:
                observer.fetched(kind, source, error=error, items=items, seconds=seconds)
            if count % TELL_AT_ONCE == 0:
                await asyncio.sleep(0)
        for kind, rejection in heard.rejected:
            for observer in self.observers:
                observer.rejected(kind, rejection)

    def close(self) -> None:
        """Stop the child process."""
        self._child.close()


# -- the snapshot -------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """A snapshot as the child sends it: bytes, and what serving needs besides them."""

    stamp: Stamp
    next_change_at: dt.datetime | None
    variants: Mapping[VariantKey, Variant]
    strip_json: Mapping[str, bytes]
    sparklines: Mapping[str, str]
    incomplete: bool
    rendered_at: dt.datetime | None = None


_render_store: Store | None = None
#: What the child read last: rendered again, without the cache, while no new stamp comes.
_render_inputs: Inputs | None = None


def _render_in_child(
    settings: Settings,
    audit: bool,
    wanted: frozenset[VariantKey],
    age: tuple[dt.datetime, dt.datetime] | None = None,
) -> Rendered | None:
    """Read the cache and render; with ``age`` (since, now), render what was read last again
    as of its last change in that span instead (None: nothing changed, or nothing read)."""
    global _render_store, _render_inputs
    if _render_store is None:
        _render_store = open_store(settings.cache)
    history = History(_render_store.backend, settings.history, clock=utc_now)
    at = None
    if age is None:
        inputs = _render_inputs = read_inputs(
            settings, _render_store, clock=utc_now, history=history
        )
    elif _render_inputs is None:
        return None  # a new child: what the last one read is gone
    else:
        inputs = _render_inputs
        at = inputs.last_change(settings, *age)
        if at is None:
            return None
    snapshot = render_inputs(settings, inputs, attributions(settings), eager=False, at=at)
    snapshot.render(wanted | snapshot.defaults())
    if audit and at is None:
        audit_snapshot(history, snapshot)
    # The same bytes as each language's "strip" variant, without compressing those not served.
    strip_json: dict[str, bytes] = {
        lang: strip.model_dump_json().encode() for lang, strip in snapshot.strips.items()
    }
    return Rendered(
        snapshot.stamp, snapshot.next_change_at, snapshot.variants, strip_json,
        snapshot.sparklines, snapshot.incomplete, snapshot.rendered_at,
    )  # fmt: skip


class _ParsedStrips(Mapping[str, Strip]):
    """Each language's strip, parsed from the JSON body on first use (rare: /readyz, metrics)."""

    def __init__(self, bodies: Mapping[str, bytes]) -> None:
        self._bodies = bodies
        self._parsed: dict[str, Strip] = {}

    def __getitem__(self, lang: str) -> Strip:
        found = self._parsed.get(lang)
        if found is None:
            found = self._parsed[lang] = Strip.model_validate_json(self._bodies[lang])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._bodies)

    def __len__(self) -> int:
        return len(self._bodies)


def _snapshot_of(settings: Settings, rendered: Rendered) -> Snapshot:
    return Snapshot(
        settings, rendered.stamp, _ParsedStrips(rendered.strip_json), rendered.next_change_at,
        rendered.sparklines, rendered=rendered.variants, incomplete=rendered.incomplete,
        rendered_at=rendered.rendered_at,
    )  # fmt: skip


def _started() -> bool:
    return True


class ChildRenderer:
    """Reads the cache and renders the snapshot in a child process."""

    def __init__(self) -> None:
        self._child = _Pooled()
        self.ready = False

    async def start(self, settings: Settings) -> None:
        """Start the child process; :attr:`ready` once it answers."""
        try:
            self.ready = await self._child.call(settings, _started)
        except Exception as exc:  # rendering stays in this process, in a thread
            log.error("cannot start the rendering process, rendering here: %s", exc)

    async def render(
        self,
        settings: Settings,
        *,
        audit: bool,
        wanted: Iterable[VariantKey] = (),
    ) -> Snapshot:
        """The snapshot of the cache's contents now; ``audit`` appends it to the audit log.

        The child renders the ``wanted`` variants (those the last snapshot served) and
        every form in the default language; any other is rendered here when first asked.
        """
        rendered: Rendered | None = await self._child.call(
            settings, _render_in_child, settings, audit, frozenset(wanted)
        )
        if rendered is None:  # only a render of what was read last gives none
            raise RuntimeError("the rendering process rendered nothing")
        return _snapshot_of(settings, rendered)

    async def age(
        self,
        settings: Settings,
        since: dt.datetime,
        now: dt.datetime,
        wanted: Iterable[VariantKey] = (),
    ) -> Snapshot | None:
        """What the child read last, rendered as of its last change after ``since``, by
        ``now``, without reading the cache; None if nothing changed or nothing was read."""
        rendered: Rendered | None = await self._child.call(
            settings, _render_in_child, settings, False, frozenset(wanted), (since, now)
        )
        return None if rendered is None else _snapshot_of(settings, rendered)

    async def image(self, settings: Settings, strip: Strip, key: VariantKey) -> Variant:
        """The image ``key`` of ``strip``, drawn in the child: resvg holds the GIL while it
        draws, which would stall every request of this process."""
        variant: Variant = await self._child.call(settings, render_image, settings, strip, key)
        return variant

    def close(self) -> None:
        """Stop the child process."""
        self._child.close()
