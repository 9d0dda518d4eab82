"""The HTTP service: the strip as JSON, text, an HTML fragment, an iframe page and a script.

Usage::

    app = create_app(settings, sources=build_sources(settings))
    web.run_app(app, host=settings.server.host, port=settings.server.port)

Handlers only read what the cache already holds; with ``sources`` given, the app
also owns the HTTP session and the scheduler that keep the cache fresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from importlib import resources
from typing import Any, Literal

import aiohttp
from aiohttp import web
from pydantic import BaseModel, ConfigDict

from ticker._answers import (
    Answers,
    QueryError,
    error_answer,
    json_answer,
    prepared_asset,
)
from ticker._cache import Store, open_store
from ticker._config import DataKind, Settings, SourceSettings
from ticker._history import HISTORY_KEY, History, HistoryObserver, add_history
from ticker._leader import Leadership
from ticker._metrics import CONTENT_TYPE_LATEST, Metrics
from ticker._models import Attribution, UtcDatetime
from ticker._openapi import (
    NO_STORE,
    STRING,
    Endpoint,
    HealthBody,
    Response,
    add_openapi,
    default_endpoints,
    republish,
)
from ticker._refresh import Refresher, utc_now
from ticker._snapshot import SnapshotHolder
from ticker._version import USER_AGENT
from ticker.sources import SourceSet, attributions

__all__ = ["CLOCK_KEY", "SETTINGS_KEY", "STORE_KEY", "create_app"]

log = logging.getLogger("ticker.service")

RequestHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

SETTINGS_KEY = web.AppKey("settings", Settings)
STORE_KEY = web.AppKey("store", Store)
CLOCK_KEY: web.AppKey[Callable[[], dt.datetime]] = web.AppKey("clock")
SOURCES_KEY = web.AppKey("sources", SourceSet)
REFRESHER_KEY = web.AppKey("refresher", Refresher)
CREDITS_KEY: web.AppKey[dict[str, Attribution]] = web.AppKey("credits")
SNAPSHOTS_KEY = web.AppKey("snapshots", SnapshotHolder)
CHANGED_KEY = web.AppKey("snapshot-changed", asyncio.Event)
LEADERSHIP_KEY = web.AppKey("leadership", Leadership)
ANSWERS_KEY = web.AppKey("answers", Answers)
METRICS_KEY = web.AppKey("metrics", Metrics)
ASSETS_KEY: web.AppKey[dict[str, bytes]] = web.AppKey("assets")

#: How often a process looks for a new stamp when nobody told it of one.
WATCH_EVERY = dt.timedelta(seconds=0.5)
#: How often the hot path's request counts are handed to the metrics.
METRICS_FLUSH_EVERY = dt.timedelta(seconds=1)

#: The query parameters each kind of endpoint accepts.
STRIP_PARAMETERS = ("lang",)
FRAME_PARAMETERS = ("lang", "theme")

routes = web.RouteTableDef()


def live_settings(app: web.Application) -> Settings:
    """The settings in force: those of the last successful reload, else the first."""
    return app[ANSWERS_KEY].settings


def _answer(
    answers: Answers,
    metrics: Metrics,
    request: web.BaseRequest,
    form: str,
    allowed: Sequence[str] = STRIP_PARAMETERS,
) -> web.Response:
    """The precomputed answer of ``form`` for this request, or a 400 saying what is allowed."""
    started = time.perf_counter()
    try:
        lang, negotiated = answers.language(request, allowed)
        theme = answers.theme(request) if form in ("widget", "frame") else None
        response = answers.respond(request, form, lang, negotiated=negotiated, theme=theme)
    except QueryError as exc:
        response = error_answer(
            answers.settings, 400, "bad_request", exc.message,
            parameter=exc.parameter, allowed=exc.allowed,
        )  # fmt: skip
    metrics.answered(form, response.status, started)
    return response


#: The strip's endpoints: the form each serves and the parameters it takes.
STRIP_ROUTES: dict[str, tuple[str, Sequence[str]]] = {
    "/v1/strip": ("strip", STRIP_PARAMETERS),
    "/v1/strip.txt": ("strip.txt", STRIP_PARAMETERS),
    "/v1/rates": ("rates", STRIP_PARAMETERS),
    "/v1/weather": ("weather", STRIP_PARAMETERS),
    "/widget": ("widget", FRAME_PARAMETERS),
    "/widget/frame": ("frame", FRAME_PARAMETERS),
}


def _strip_route(path: str, summary: str) -> None:
    form, allowed = STRIP_ROUTES[path]

    async def handler(request: web.Request) -> web.Response:
        return _answer(request.app[ANSWERS_KEY], request.app[METRICS_KEY], request, form, allowed)

    handler.__doc__ = summary
    handler.__name__ = f"get_{form.replace('.', '_')}"
    routes.get(path)(handler)


_strip_route("/v1/strip", "The whole strip as JSON.")
_strip_route("/v1/strip.txt", "The whole strip as one line of plain text.")
_strip_route("/v1/rates", "The rates half of the strip as JSON.")
_strip_route("/v1/weather", "The weather half of the strip as JSON.")
_strip_route("/widget", "The strip as an HTML fragment, for a server-side include.")
_strip_route("/widget/frame", "The strip as a complete page, for an iframe.")


def _asset(request: web.Request, name: str, content_type: str) -> web.Response:
    if request.query_string:
        name_of = next(iter(request.query), request.query_string)
        return error_answer(
            live_settings(request.app),
            400,
            "bad_request",
            f"unknown parameter {name_of!r}",
            parameter=name_of,
            allowed=[],
        )
    body = request.app[ASSETS_KEY][name]
    headers = prepared_asset(body, content_type, live_settings(request.app))
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return web.Response(status=304, headers={"ETag": headers["ETag"]})
    return web.Response(body=body, headers=headers)


@routes.get("/widget.js")
async def get_script(request: web.Request) -> web.Response:
    """The embedding script."""
    return _asset(request, "widget.js", "text/javascript")


@routes.get("/widget.css")
async def get_stylesheet(request: web.Request) -> web.Response:
    """The strip's stylesheet."""
    return _asset(request, "widget.css", "text/css")


@routes.get("/healthz")
async def get_health(request: web.Request) -> web.Response:
    """The process is alive and serving: its pid, role and the snapshot it serves."""
    leadership = request.app.get(LEADERSHIP_KEY)
    snapshot = request.app[SNAPSHOTS_KEY].current
    settings = live_settings(request.app)
    health = HealthBody(
        status="ok",
        pid=os.getpid(),
        leader=leadership is not None and leadership.leading,
        snapshot=snapshot.stamp.version,
        etag=snapshot.variant("strip", settings.default_language).etag,
    )
    return json_answer(settings, health.model_dump_json().encode(), cache_control="no-store")


class ReadyItem(BaseModel):
    """One configured item in /readyz."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["rates", "weather"]
    item: str
    missing: bool
    stale: bool
    age: int | None


class SourceReport(BaseModel):
    """A source's last refresh in /readyz, or why the statuses cannot be read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["rates", "weather"] | None = None
    source: str | None = None
    last_attempt: UtcDatetime | None = None
    last_success: UtcDatetime | None = None
    last_error: str | None = None
    failures: int | None = None
    rejected: int | None = None
    error: str | None = None


class ReadyBody(BaseModel):
    """The answer of /readyz."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ready: bool
    generated_at: UtcDatetime
    items: list[ReadyItem]
    sources: list[SourceReport]


#: The OpenAPI description of the operations endpoints (see ticker._openapi).
OPERATIONS_ENDPOINTS = (
    Endpoint(
        "/readyz",
        "Ready when every configured item has a value; each source's last success and error.",
        {
            200: Response("Ready.", ReadyBody, headers=(NO_STORE,)),
            503: Response("Not ready: some item has no value yet.", ReadyBody, headers=(NO_STORE,)),
        },
    ),
    Endpoint(
        "/metrics",
        "Prometheus metrics of every worker of this host.",
        {
            200: Response(
                "The Prometheus text format.", media_type="text/plain", schema=STRING,
                headers=(NO_STORE,),
            )
        },
    ),
)  # fmt: skip


@routes.get("/metrics")
async def get_metrics(request: web.Request) -> web.Response:
    """Prometheus metrics of every worker of this host."""
    body = await asyncio.to_thread(request.app[METRICS_KEY].exposition)
    return web.Response(
        body=body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
    )


@routes.get("/readyz")
async def get_ready(request: web.Request) -> web.Response:
    """Ready when every configured item has a value; each source's last success and error."""
    settings = live_settings(request.app)
    strip = request.app[SNAPSHOTS_KEY].current.strips[settings.default_language]
    items = [
        ReadyItem(kind="rates", item=r.code, missing=r.missing, stale=r.stale, age=r.age)
        for r in strip.rates
    ] + [
        ReadyItem(kind="weather", item=w.city, missing=w.missing, stale=w.stale, age=w.age)
        for w in strip.weather
    ]
    try:
        sources = await asyncio.to_thread(_source_statuses, request.app[STORE_KEY], settings)
    except Exception as exc:  # the shared cache is unreachable
        sources = [SourceReport(error=f"shared cache unreachable: {type(exc).__name__}")]
    ready = not any(item.missing for item in items)
    body = ReadyBody(ready=ready, generated_at=strip.generated_at, items=items, sources=sources)
    return json_answer(
        settings, body.model_dump_json().encode(), status=200 if ready else 503,
        cache_control="no-store",
    )  # fmt: skip


def _source_statuses(store: Store, settings: Settings) -> list[SourceReport]:
    found: list[SourceReport] = []
    kinds: tuple[tuple[DataKind, list[SourceSettings]], ...] = (
        ("rates", settings.rates.sources),
        ("weather", settings.weather.sources),
    )
    for kind, entries in kinds:
        names = [entry.label for entry in entries]
        statuses = store.status(kind, names)
        for name in names:
            status = statuses.get(name)
            recorded = status.model_dump(exclude={"kind", "source"}) if status else {}
            found.append(SourceReport(kind=kind, source=name, **recorded))
    return found


@routes.route("*", "/{path:.*}")
async def not_found(request: web.Request) -> web.Response:
    """Anything else: 404 listing the endpoints, or 405 for another method on one."""
    paths = sorted(
        {
            route.resource.canonical
            for route in request.app.router.routes()
            if route.resource is not None and route.handler is not not_found
        }
    )
    if request.path in paths:
        response = error_answer(
            live_settings(request.app),
            405,
            "method_not_allowed",
            "only GET",
            allowed=["GET", "HEAD"],
        )
        response.headers["Allow"] = "GET, HEAD"
        return response
    return error_answer(
        live_settings(request.app),
        404,
        "not_found",
        f"no such endpoint: {request.path}",
        allowed=paths,
    )


async def _own_store(app: web.Application) -> AsyncIterator[None]:
    yield
    app[STORE_KEY].close()


async def _keep_fresh(app: web.Application) -> AsyncIterator[None]:
    """Own the upstream HTTP session and, while this process leads, the refresh jobs."""
    settings = app[SETTINGS_KEY]
    async with aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        observers = [app[METRICS_KEY], HistoryObserver(app[HISTORY_KEY])]
        refresher = Refresher(
            settings, app[SOURCES_KEY], app[STORE_KEY], session, observers=observers
        )
        app[REFRESHER_KEY] = refresher
        changed = app[CHANGED_KEY]
        leadership = Leadership(
            refresher, settings, app[STORE_KEY], lease=settings.cache.lease,
            on_stamp=changed.set, history=app[HISTORY_KEY],
        )  # fmt: skip
        app[LEADERSHIP_KEY] = leadership
        task = asyncio.create_task(leadership.run(), name="ticker-leadership")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _watch_snapshots(app: web.Application) -> AsyncIterator[None]:
    """Render again whenever the shared stamp changes, off the event loop."""
    holder, changed = app[SNAPSHOTS_KEY], app[CHANGED_KEY]

    async def watch() -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), WATCH_EVERY.total_seconds())
            changed.clear()
            try:
                if await asyncio.to_thread(holder.changed):
                    await asyncio.to_thread(holder.reload)
            except Exception:  # the shared cache is unreachable: keep serving what we have
                log.warning(
                    "cannot read the shared cache; serving the last snapshot", exc_info=True
                )

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


def _assets(settings: Settings) -> dict[str, bytes]:
    """The static files, read once; the script learns the configured preset."""
    folder = resources.files("ticker") / "static"
    script = (folder / "widget.js").read_text(encoding="utf-8")
    script = script.replace("__TICKER_PRESET__", settings.widget.preset)
    script = script.replace("__TICKER_THEME__", settings.widget.theme)
    return {
        "widget.js": script.encode(),
        "widget.css": (folder / "widget.css").read_bytes(),
    }


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    sources: SourceSet | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> web.Application:
    """Build the service.

    ``store`` defaults to the configured cache, opened here and closed with the app.
    With ``sources``, the app refreshes the cache on schedule (once at start-up).
    """
    app = web.Application()
    app[SETTINGS_KEY] = settings
    app[CLOCK_KEY] = clock
    credits = app[CREDITS_KEY] = attributions(settings)
    app[ASSETS_KEY] = _assets(settings)
    if store is None:
        app[STORE_KEY] = open_store(settings.cache)
        app.cleanup_ctx.append(_own_store)
    else:
        app[STORE_KEY] = store
    history = History(app[STORE_KEY].backend, settings.history, clock=clock)
    add_history(app, history, settings=settings, clock=clock)
    add_openapi(app, settings, [*default_endpoints(STRIP_ROUTES), *OPERATIONS_ENDPOINTS])
    app[SNAPSHOTS_KEY] = SnapshotHolder(settings, app[STORE_KEY], credits, clock, history=history)
    app[ANSWERS_KEY] = Answers(settings, app[SNAPSHOTS_KEY], clock)
    app[METRICS_KEY] = Metrics(app[SNAPSHOTS_KEY])
    app[CHANGED_KEY] = asyncio.Event()
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
    hot = STRIP_ROUTES

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        route = hot.get(request.path) if request.method == "GET" else None
        if route is None:
            return await handler(request)
        return _answer(answers, metrics, request, *route)

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

    SIGHUP calls ``reload`` (a new configuration), while requests go on being served.
    """
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    server = runner.server
    if server is not None:
        server.request_handler = fast_path(app, server.request_handler)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
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
    try:
        await web.TCPSite(runner, host, port, reuse_port=reuse_port).start()
        log.info("serving on http://%s:%d", host, port)
        await stop.wait()
    finally:
        await runner.cleanup()


def reconfigure(app: web.Application, settings: Settings, sources: SourceSet) -> None:
    """Apply reloaded settings without dropping a request: every part swaps in place.

    Changes to ``server`` and ``cache`` need a restart and are left as they were.
    """
    credits = app[CREDITS_KEY]
    credits.clear()
    credits.update(attributions(settings))
    app[ASSETS_KEY].update(_assets(settings))
    app[SNAPSHOTS_KEY].reconfigure(settings)
    app[ANSWERS_KEY].reconfigure(settings)
    republish(app, settings)
    leadership = app.get(LEADERSHIP_KEY)
    if leadership is not None:
        leadership.reconfigure(settings, sources)
    log.info("settings reloaded")
