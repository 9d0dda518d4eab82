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
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from importlib import resources

import aiohttp
from aiohttp import web
from pydantic import BaseModel

from ticker._cache import Store, open_store
from ticker._config import Settings
from ticker._i18n import negotiate
from ticker._leader import Leadership
from ticker._models import Attribution
from ticker._refresh import Refresher, utc_now
from ticker._snapshot import Snapshot, SnapshotHolder, Variant
from ticker._version import USER_AGENT
from ticker.sources import SourceSet, attributions

__all__ = ["CLOCK_KEY", "SETTINGS_KEY", "STORE_KEY", "create_app"]

log = logging.getLogger("ticker.service")

SETTINGS_KEY = web.AppKey("settings", Settings)
STORE_KEY = web.AppKey("store", Store)
CLOCK_KEY: web.AppKey[Callable[[], dt.datetime]] = web.AppKey("clock")
SOURCES_KEY = web.AppKey("sources", SourceSet)
REFRESHER_KEY = web.AppKey("refresher", Refresher)
CREDITS_KEY: web.AppKey[Mapping[str, Attribution]] = web.AppKey("credits")
SNAPSHOTS_KEY = web.AppKey("snapshots", SnapshotHolder)
CHANGED_KEY = web.AppKey("snapshot-changed", asyncio.Event)
LEADERSHIP_KEY = web.AppKey("leadership", Leadership)
ASSETS_KEY: web.AppKey[Mapping[str, bytes]] = web.AppKey("assets")

#: How often a process looks for a new stamp when nobody told it of one.
WATCH_EVERY = dt.timedelta(seconds=0.5)
#: Cache-Control: fresh until the next refresh, at most a day; without a schedule, a minute.
DEFAULT_MAX_AGE = dt.timedelta(minutes=1)
MAX_MAX_AGE = dt.timedelta(days=1)
STALE_WHILE_REVALIDATE = 60
STALE_IF_ERROR = 86400

#: The query parameters each kind of endpoint accepts.
STRIP_PARAMETERS = ("lang",)
FRAME_PARAMETERS = ("lang", "theme")
THEMES = ("auto", "light", "dark")

#: The widget's pages load nothing but our stylesheet and link out; they run no script.
WIDGET_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'"
)
#: Data endpoints are never documents.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"

routes = web.RouteTableDef()


class QueryError(Exception):
    """A request parameter the service does not accept (answered with 400)."""

    def __init__(self, parameter: str, message: str, allowed: Sequence[str]) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.allowed = list(allowed)


def _json(model: BaseModel | dict[str, object], *, status: int = 200) -> web.Response:
    body = (
        model.model_dump_json()
        if isinstance(model, BaseModel)
        else json.dumps(model, ensure_ascii=False)
    )
    return web.Response(body=body.encode(), status=status, content_type="application/json")


def _check_parameters(request: web.Request, allowed: Sequence[str]) -> None:
    for name in request.query:
        if name not in allowed:
            raise QueryError(name, f"unknown parameter {name!r}", allowed)


def _single(request: web.Request, name: str, values: Sequence[str]) -> str | None:
    """The one value of parameter ``name``, which must be one of ``values``."""
    given = request.query.getall(name, [])
    if not given:
        return None
    if len(given) > 1 or given[0] not in values:
        shown = ", ".join(repr(value) for value in given)
        raise QueryError(name, f"unsupported {name} {shown}", values)
    return given[0]


def requested_language(request: web.Request, allowed: Sequence[str] = STRIP_PARAMETERS) -> str:
    """The language of a request: ``lang``, else Accept-Language, else the default.

    Any parameter outside ``allowed`` is refused first.
    """
    _check_parameters(request, allowed)
    settings = request.app[SETTINGS_KEY]
    lang = _single(request, "lang", settings.languages)
    if lang is None:
        header = request.headers.get("Accept-Language")
        return negotiate(header, settings.languages) or settings.default_language
    return lang


def requested_theme(request: web.Request) -> str:
    """The ``theme`` of a frame request, else the configured one."""
    return _single(request, "theme", THEMES) or request.app[SETTINGS_KEY].widget.theme


def _accepts_gzip(request: web.Request) -> bool:
    accepted = request.headers.get("Accept-Encoding", "")
    return "gzip" in accepted and "gzip;q=0" not in accepted.replace(" ", "")


def _matches(if_none_match: str | None, variant: Variant) -> bool:
    """Whether ``If-None-Match`` names this variant (weak comparison, as for GET)."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or variant.etag in tags or variant.gzip_etag in tags


def cache_control(snapshot: Snapshot, now: dt.datetime) -> str:
    """Fresh until the next refresh (or the next change of staleness), then revalidate."""
    moments = [m for m in (snapshot.stamp.next_refresh_at, snapshot.next_change_at) if m]
    until = min(moments) if moments else now + DEFAULT_MAX_AGE
    max_age = max(0, min(int((until - now).total_seconds()), int(MAX_MAX_AGE.total_seconds())))
    return (
        f"public, max-age={max_age}, stale-while-revalidate={STALE_WHILE_REVALIDATE}, "
        f"stale-if-error={STALE_IF_ERROR}"
    )


def serve_variant(
    request: web.Request, form: str, lang: str, theme: str | None = None
) -> web.StreamResponse:
    """Answer with one precomputed variant: 304 when the client has it, gzip when accepted."""
    app = request.app
    snapshot = app[SNAPSHOTS_KEY].current
    variant = snapshot.variant(form, lang, theme)
    gzipped = variant.gzipped is not None and _accepts_gzip(request)
    vary = "Accept-Encoding" if "lang" in request.query else "Accept-Encoding, Accept-Language"
    headers = {
        "ETag": variant.gzip_etag if gzipped else variant.etag,
        "Cache-Control": cache_control(snapshot, app[CLOCK_KEY]()),
        "Vary": vary,
    }
    if _matches(request.headers.get("If-None-Match"), variant):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = f"{variant.content_type}; charset=utf-8"
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        return web.Response(body=variant.gzipped, headers=headers)
    return web.Response(body=variant.body, headers=headers)


@routes.get("/v1/strip")
async def get_strip(request: web.Request) -> web.StreamResponse:
    """The whole strip as JSON."""
    return serve_variant(request, "strip", requested_language(request))


@routes.get("/v1/strip.txt")
async def get_strip_text(request: web.Request) -> web.StreamResponse:
    """The whole strip as one line of plain text."""
    return serve_variant(request, "strip.txt", requested_language(request))


@routes.get("/v1/rates")
async def get_rates(request: web.Request) -> web.StreamResponse:
    """The rates half of the strip as JSON."""
    return serve_variant(request, "rates", requested_language(request))


@routes.get("/v1/weather")
async def get_weather(request: web.Request) -> web.StreamResponse:
    """The weather half of the strip as JSON."""
    return serve_variant(request, "weather", requested_language(request))


@routes.get("/widget")
async def get_widget(request: web.Request) -> web.StreamResponse:
    """The strip as an HTML fragment, for a server-side include."""
    lang = requested_language(request, FRAME_PARAMETERS)
    return serve_variant(request, "widget", lang, requested_theme(request))


@routes.get("/widget/frame")
async def get_frame(request: web.Request) -> web.StreamResponse:
    """The strip as a complete page, for an iframe."""
    lang = requested_language(request, FRAME_PARAMETERS)
    return serve_variant(request, "frame", lang, requested_theme(request))


@routes.get("/widget.js")
async def get_script(request: web.Request) -> web.StreamResponse:
    """The embedding script."""
    _check_parameters(request, ())
    body = request.app[ASSETS_KEY]["widget.js"]
    return web.Response(body=body, content_type="text/javascript", charset="utf-8")


@routes.get("/widget.css")
async def get_stylesheet(request: web.Request) -> web.StreamResponse:
    """The strip's stylesheet."""
    _check_parameters(request, ())
    body = request.app[ASSETS_KEY]["widget.css"]
    return web.Response(body=body, content_type="text/css", charset="utf-8")


@routes.get("/healthz")
async def get_health(request: web.Request) -> web.Response:
    """The process is alive and serving: its pid, role and the snapshot it serves."""
    leadership = request.app.get(LEADERSHIP_KEY)
    snapshot = request.app[SNAPSHOTS_KEY].current
    default = request.app[SETTINGS_KEY].default_language
    response = _json(
        {
            "status": "ok",
            "pid": os.getpid(),
            "leader": leadership is not None and leadership.leading,
            "snapshot": snapshot.stamp.version,
            "etag": snapshot.variant("strip", default).etag,
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status: int, error: str, message: str, **extra: object) -> web.Response:
    response = _json({"error": error, "message": message, **extra}, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@web.middleware
async def error_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Answer every error with a JSON body and never a traceback."""
    try:
        return await handler(request)
    except QueryError as exc:
        return _error(400, "bad_request", exc.message, parameter=exc.parameter, allowed=exc.allowed)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        paths = sorted(
            {
                route.resource.canonical
                for route in request.app.router.routes()
                if route.resource is not None
            }
        )
        extra: dict[str, object] = {"allowed": paths} if exc.status == 404 else {}
        return _error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason, **extra)
    except Exception:
        log.exception("unhandled error for %s %s", request.method, request.path)
        return _error(500, "internal_error", "internal error; see the service log")


def _cors_origin(allowed: Sequence[str], origin: str | None) -> str | None:
    if "*" in allowed:
        return "*"
    return origin if origin in allowed else None


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """nosniff everywhere; a CSP per kind of answer; CORS on the data per the allow-list."""
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    is_page = request.path.startswith("/widget") and not request.path.endswith((".js", ".css"))
    headers.setdefault("Content-Security-Policy", WIDGET_CSP if is_page else DATA_CSP)
    headers.setdefault("Referrer-Policy", "no-referrer")
    allowed = request.app[SETTINGS_KEY].server.cors_origins
    origin = _cors_origin(allowed, request.headers.get("Origin"))
    if origin is not None:
        headers["Access-Control-Allow-Origin"] = origin
    if "*" not in allowed:
        headers.add("Vary", "Origin")


async def _own_store(app: web.Application) -> AsyncIterator[None]:
    yield
    app[STORE_KEY].close()


async def _keep_fresh(app: web.Application) -> AsyncIterator[None]:
    """Own the upstream HTTP session and, while this process leads, the refresh jobs."""
    settings = app[SETTINGS_KEY]
    async with aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        refresher = Refresher(settings, app[SOURCES_KEY], app[STORE_KEY], session)
        app[REFRESHER_KEY] = refresher
        changed = app[CHANGED_KEY]
        leadership = Leadership(
            refresher, settings, app[STORE_KEY], lease=settings.cache.lease, on_stamp=changed.set
        )
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

    task = asyncio.create_task(watch(), name="ticker-snapshots")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _assets(settings: Settings) -> dict[str, bytes]:
    """The static files, read once; the script learns the configured preset."""
    folder = resources.files("ticker") / "static"
    script = (folder / "widget.js").read_text(encoding="utf-8")
    script = script.replace("__TICKER_PRESET__", settings.widget.preset)
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
    app = web.Application(middlewares=[error_middleware])
    app[SETTINGS_KEY] = settings
    app[CLOCK_KEY] = clock
    app[CREDITS_KEY] = attributions(settings)
    app[ASSETS_KEY] = _assets(settings)
    if store is None:
        app[STORE_KEY] = open_store(settings.cache)
        app.cleanup_ctx.append(_own_store)
    else:
        app[STORE_KEY] = store
    app[SNAPSHOTS_KEY] = SnapshotHolder(settings, app[STORE_KEY], app[CREDITS_KEY], clock)
    app[CHANGED_KEY] = asyncio.Event()
    app.cleanup_ctx.append(_watch_snapshots)
    if sources is not None:
        app[SOURCES_KEY] = sources
        app.cleanup_ctx.append(_keep_fresh)
    app.on_response_prepare.append(_security_headers)
    app.add_routes(routes)
    return app
