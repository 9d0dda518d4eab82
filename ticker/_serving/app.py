"""The HTTP service: an app factory, its life cycle, the fast path and the server loop.

Usage::

    app = create_app(settings, sources=build_sources(settings))
    await serve(app, settings.server.host, settings.server.port)

``create_app`` does no I/O: the cache is opened lazily, and the first snapshot is
read when the app starts, off the event loop.  A cache that cannot be read then
leaves every item missing (``/readyz`` says 503), is logged once and is tried
again every half second, never an exit.  With ``sources`` given, the app also
owns the HTTP session and the leadership that keeps the cache fresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import aiohttp
from aiohttp import web

from ticker._config import LiveSettings, Settings
from ticker._data.cache import Store, open_store
from ticker._data.history import History, HistoryObserver
from ticker._data.leader import RESTAMP_EVERY, Leadership
from ticker._data.refresh import Refresher, RefreshJobs, RefreshObserver, utc_now
from ticker._exceptions import ListenError
from ticker._models import DataKind
from ticker._serving.answers import Answers
from ticker._serving.catalogue import BY_PATH
from ticker._serving.connections import LISTEN_BACKLOG, Connections
from ticker._serving.convert_routes import add_convert
from ticker._serving.drawing import DRAWER_KEY, Drawer, image_answer
from ticker._serving.export import EXPORTER_KEY
from ticker._serving.history_routes import add_history
from ticker._serving.landing import add_landing
from ticker._serving.metrics import Metrics
from ticker._serving.offload import ChildRefresher, ChildRenderer
from ticker._serving.openapi import add_openapi, default_endpoints, register
from ticker._serving.routes import (
    ANSWERS_KEY,
    ASSETS_KEY,
    CLOCK_KEY,
    LEADERSHIP_KEY,
    LIVE_KEY,
    METRICS_KEY,
    OPERATIONS_ENDPOINTS,
    SNAPSHOTS_KEY,
    STORE_KEY,
    Assets,
    answer,
    cors_for_origins,
    routes,
)
from ticker._serving.snapshot import Snapshot, SnapshotHolder, audit_snapshot
from ticker._text import bounded
from ticker._version import USER_AGENT
from ticker.sources import SourceSet

__all__ = ["create_app", "fast_path", "live_settings", "reconfigure", "serve"]

log = logging.getLogger("ticker.service")

RequestHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

SOURCES_KEY = web.AppKey("sources", SourceSet)
OFFLOAD_KEY = web.AppKey("offload", ChildRenderer)
CHANGED_KEY = web.AppKey("snapshot-changed", asyncio.Event)

#: How often a process looks for a new stamp when nobody told it of one.
WATCH_EVERY = dt.timedelta(seconds=0.5)
#: How long after a snapshot's next change a process waits for the leader's new stamp
#: before it renders that change itself (at once while the shared cache is unreadable).
AGE_GRACE = RESTAMP_EVERY + dt.timedelta(seconds=1)
#: How often the hot path's request counts are handed to the metrics.
METRICS_FLUSH_EVERY = dt.timedelta(seconds=1)


def live_settings(app: web.Application) -> Settings:
    """The settings in force: those of the last successful reload, else the first."""
    return app[LIVE_KEY].current


async def _own_store(app: web.Application) -> AsyncIterator[None]:
    yield
    await asyncio.to_thread(app[STORE_KEY].close)


async def _own_renderer(app: web.Application) -> AsyncIterator[None]:
    renderer = app[OFFLOAD_KEY]
    starting = asyncio.create_task(renderer.start(app[LIVE_KEY].current), name="ticker-renderer")
    yield
    starting.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await starting
    await asyncio.to_thread(renderer.close)


class FirstContact(RefreshObserver):
    """Says once, at ERROR, that every configured source failed at its first try.

    The retries and failures are logged as they happen (INFO, WARNING); this is the
    one line that says what it means and what to do, above all with no network.
    """

    def __init__(self, settings: Settings) -> None:
        self.waiting = {("rates", entry.label) for entry in settings.rates.sources} | {
            ("weather", entry.label) for entry in settings.weather.sources
        }
        self.errors: dict[tuple[str, str], str] = {}
        self.said = False

    def fetched(
        self, kind: DataKind, source: str, *, error: str | None, items: int, seconds: float
    ) -> None:
        """A source's first answer decides: one success and nothing is said."""
        if self.said or not self.waiting:
            return
        if error is None:
            self.waiting = set()
            return
        self.errors.setdefault((kind, source), error)
        if self.waiting <= self.errors.keys():
            self.said = True
            names = ", ".join(sorted({name for _, name in self.waiting}))
            log.error(
                "every source failed (%s), the strip has no values: check the network and the"
                " sources' url; to try ticker without network, serve the example values:"
                " ticker serve --config examples/offline.yaml (`ticker example offline` writes"
                " that file). First error: %s", names, next(iter(self.errors.values())),
            )  # fmt: skip


async def _keep_fresh(app: web.Application) -> AsyncIterator[None]:
    """Own the upstream HTTP session and, while this process leads, the refresh jobs."""
    live = app[LIVE_KEY]
    first_contact = FirstContact(live.current)
    async with aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        refresher: RefreshJobs
        if OFFLOAD_KEY in app:  # the refresh runs in a child process; metrics hear it here
            refresher = ChildRefresher(live.current, observers=[app[METRICS_KEY], first_contact])
        else:
            observers = [app[METRICS_KEY], HistoryObserver(app[HISTORY_STORE_KEY]), first_contact]
            refresher = Refresher(
                live.current, app[SOURCES_KEY], app[STORE_KEY], session, observers=observers
            )
        changed = app[CHANGED_KEY]
        leadership = Leadership(
            refresher, live, app[STORE_KEY], lease=live.current.cache.lease,
            on_stamp=lambda stamp: changed.set(),
        )  # fmt: skip
        app[LEADERSHIP_KEY] = leadership
        task = asyncio.create_task(leadership.run(), name="ticker-leadership")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if isinstance(refresher, ChildRefresher):
                await asyncio.to_thread(refresher.close)


async def _render(app: web.Application) -> None:
    """Render the cache's contents off the loop when they (or the settings) changed.

    With a child renderer the serving process only reads the stamp and swaps the
    snapshot in; otherwise it renders in a thread.
    """
    holder = app[SNAPSHOTS_KEY]
    if holder.read and not await asyncio.to_thread(holder.changed):
        return
    renderer = app.get(OFFLOAD_KEY)
    if renderer is None or not renderer.ready:
        # The first snapshot is rendered here, while the child process starts: a
        # service answers with values at once, not after a child's start-up.
        await asyncio.to_thread(holder.reload)
        return
    leadership = app.get(LEADERSHIP_KEY)
    leading = leadership is not None and leadership.leading
    served = holder.current.served
    holder.install(await renderer.render(app[LIVE_KEY].current, audit=leading, wanted=served))


async def _age(app: web.Application, *, failing: bool) -> None:
    """Past the snapshot's next change with no new stamp: render the values read last
    again as of that change, so stale marks and ages move on through an outage."""
    holder = app[SNAPSHOTS_KEY]
    current, now = holder.current, holder.clock()
    due = current.next_change_at
    if not holder.read or due is None or now < due + (dt.timedelta(0) if failing else AGE_GRACE):
        return
    renderer = app.get(OFFLOAD_KEY)
    if holder.inputs is not None or renderer is None or not renderer.ready:
        await asyncio.to_thread(holder.age, now)
        return
    settings = app[LIVE_KEY].current
    aged = await renderer.age(settings, current.rendered_at, now, wanted=current.served)
    if aged is not None and holder.current is current:
        holder.install(aged)


async def _watch_snapshots(app: web.Application) -> AsyncIterator[None]:
    """Render once at start-up, then whenever the shared stamp or the settings change.

    While the cache cannot be read, the last snapshot (at first: every item
    missing) goes on being served; the failure is logged once, and so is the end
    of it.
    """
    holder, changed = app[SNAPSHOTS_KEY], app[CHANGED_KEY]

    async def render() -> None:
        failing = holder.problem is not None
        # `ticker serve --export DIR` (ticker._serving.export): the next snapshot renders
        # every exported variant, and each new snapshot is written out once served.
        exporter = app.get(EXPORTER_KEY)
        if exporter is not None:
            exporter.want(holder.current)
        try:
            await _render(app)
        except Exception as exc:
            if not failing:
                log.warning(
                    "cannot read the shared cache (%s: %s); serving snapshot %s until it can",
                    type(exc).__name__, exc, holder.current.stamp.version,
                )  # fmt: skip
            holder.problem = bounded(f"cannot read the shared cache: {type(exc).__name__}: {exc}")
        else:
            if failing:
                log.info(
                    "the shared cache is readable again: snapshot %s",
                    holder.current.stamp.version,
                )
            holder.problem = None
        try:
            await _age(app, failing=holder.problem is not None)
        except Exception as exc:  # the child's trouble: the next look tries again
            log.debug("cannot render the last snapshot again: %s", exc)
        if exporter is not None:
            exporter.offer(holder.current)

    await render()

    async def watch() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), WATCH_EVERY.total_seconds())
            changed.clear()
            await render()

    async def flush_metrics() -> None:
        while True:
            await asyncio.sleep(METRICS_FLUSH_EVERY.total_seconds())
            app[METRICS_KEY].flush()

    tasks = [
        asyncio.create_task(watch(), name="ticker-snapshots"),
        asyncio.create_task(flush_metrics(), name="ticker-metrics"),
    ]
    yield
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


HISTORY_STORE_KEY = web.AppKey("history-store", History)


def _auditor(app: web.Application, history: History) -> Callable[[Snapshot], None]:
    """What the leader's snapshots show goes to the audit log (the leader alone writes it)."""

    def audit(snapshot: Snapshot) -> None:
        leadership = app.get(LEADERSHIP_KEY)
        if leadership is not None and leadership.leading:
            audit_snapshot(history, snapshot)

    return audit


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    sources: SourceSet | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
    offload: bool = False,
) -> web.Application:
    """Build the service; no I/O happens until it starts.

    ``store`` defaults to the configured cache, opened here and closed with the app.
    With ``sources``, the app refreshes the cache on schedule (once at start-up).
    With ``offload`` (what ``ticker serve`` does), the refresh and the rendering run
    in child processes (:mod:`ticker._serving.offload`), which build the sources from
    the settings' registered adapters themselves.
    """
    app = web.Application(middlewares=[cors_for_origins])
    live = app[LIVE_KEY] = LiveSettings(settings)
    app[CLOCK_KEY] = clock
    if store is None:
        store = open_store(settings.cache)
        app.cleanup_ctx.append(_own_store)
    app[STORE_KEY] = store
    history = app[HISTORY_STORE_KEY] = History(store.backend, settings.history, clock=clock)
    live.subscribe(lambda new: setattr(history, "settings", new.history))
    add_history(app, history, live=live, clock=clock)
    add_convert(app)
    add_landing(app)
    add_openapi(app, live, default_endpoints())
    register(app, *OPERATIONS_ENDPOINTS)
    holder = app[SNAPSHOTS_KEY] = SnapshotHolder(
        live, store, clock, history=history, on_rendered=_auditor(app, history)
    )
    app[ANSWERS_KEY] = Answers(live, holder, clock)
    app[METRICS_KEY] = Metrics(holder)
    app[ASSETS_KEY] = Assets(live)
    app[CHANGED_KEY] = asyncio.Event()
    if offload:
        app[OFFLOAD_KEY] = ChildRenderer()
        app.cleanup_ctx.append(_own_renderer)
    app[DRAWER_KEY] = Drawer(holder, app.get(OFFLOAD_KEY))
    app.cleanup_ctx.append(_watch_snapshots)
    if sources is not None:
        app[SOURCES_KEY] = sources
        app.cleanup_ctx.append(_keep_fresh)
    app.add_routes(routes)
    return app


def fast_path(app: web.Application, handler: RequestHandler) -> RequestHandler:
    """Answer the strip's GETs before routing; everything else goes to ``handler``.

    The answer is the same as the routed one (both call the same function); only
    aiohttp's router and handler machinery are skipped on the hottest requests.
    """
    answers, metrics = app[ANSWERS_KEY], app[METRICS_KEY]
    hot = BY_PATH

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        form = hot.get(request.path) if request.method == "GET" else None
        if form is None:
            return await handler(request)
        if form.lazy:
            return await image_answer(answers, metrics, app[DRAWER_KEY], request, form)
        return answer(answers, metrics, request, form)

    return handle


async def serve(
    app: web.Application,
    host: str,
    port: int,
    *,
    reuse_port: bool = False,
    reload: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Run ``app`` on ``host:port`` with the fast path, until SIGTERM or SIGINT.

    Each connection is tended by :class:`~ticker._serving.connections.Connections`:
    the keep-alive and header deadlines of ``server:``, the descriptor budget, short
    answers and log lines for unreadable requests, no version banner.
    SIGHUP calls ``reload`` (a new configuration), while requests go on being served.
    Raises :class:`~ticker._exceptions.ListenError` when the address cannot be bound.
    """
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    server = runner.server
    if server is None:  # setup() always makes one
        raise RuntimeError("the app runner made no server")
    server.request_handler = fast_path(app, server.request_handler)
    deadlines = live_settings(app).server
    connections = Connections(
        server, lambda: live_settings(app),
        keepalive_timeout=deadlines.keepalive_timeout.total_seconds(),
        header_timeout=deadlines.header_timeout.total_seconds(),
    )  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(connections.exception_handler(previous_handler))
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    reloads: set[asyncio.Task[None]] = set()
    if reload is not None:
        hook = reload

        def on_hangup() -> None:
            task = asyncio.create_task(hook())
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, on_hangup)
    listener: asyncio.Server | None = None
    try:
        try:
            listener = await loop.create_server(
                connections, host, port, reuse_port=reuse_port, backlog=LISTEN_BACKLOG
            )
        except OSError as exc:
            raise ListenError.for_address(host, port, exc) from exc
        log.info("serving on http://%s:%d", host, port)
        async with connections.tending():
            await stop.wait()
    finally:
        if listener is not None:
            listener.close()  # no new connection; the runner closes the open ones
        await runner.cleanup()
        loop.set_exception_handler(previous_handler)


def reconfigure(app: web.Application, settings: Settings, sources: SourceSet) -> None:
    """Apply reloaded settings without dropping a request: every part swaps in place.

    Every part reads the one live holder, so history, OpenAPI, answers, metrics,
    assets and the leader all see the new settings; the snapshot is rendered again
    at once, off the event loop.  Changes to ``server`` and ``cache`` need a restart
    and are left as they were.
    """
    leadership = app.get(LEADERSHIP_KEY)
    if leadership is not None:
        leadership.reconfigure(settings, sources)
    app[LIVE_KEY].replace(settings)
    app[CHANGED_KEY].set()
    log.info("settings reloaded")
