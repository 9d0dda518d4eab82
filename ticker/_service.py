"""The HTTP service: the strip as JSON, as an HTML fragment, and a health check.

Usage::

    app = create_app(settings, sources=build_sources(settings))
    web.run_app(app, host=settings.server.host, port=settings.server.port)

Handlers only read what the cache already holds; with ``sources`` given, the app
also owns the HTTP session and the scheduler that keep the cache fresh.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import aiohttp
from aiohttp import web
from pydantic import BaseModel

from ticker._cache import Store, open_store
from ticker._config import Settings
from ticker._models import Strip
from ticker._refresh import Refresher, schedule, utc_now
from ticker._strip import RatesHalf, WeatherHalf, rates_text, strip_from_store, weather_text
from ticker._version import USER_AGENT
from ticker._widget import render_fragment
from ticker.sources import SourceSet

__all__ = ["CLOCK_KEY", "SETTINGS_KEY", "STORE_KEY", "create_app"]

log = logging.getLogger("ticker.service")

SETTINGS_KEY = web.AppKey("settings", Settings)
STORE_KEY = web.AppKey("store", Store)
CLOCK_KEY: web.AppKey[Callable[[], dt.datetime]] = web.AppKey("clock")
SOURCES_KEY = web.AppKey("sources", SourceSet)
REFRESHER_KEY = web.AppKey("refresher", Refresher)

#: The query parameters every strip endpoint accepts.
STRIP_PARAMETERS = ("lang",)

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


def requested_language(request: web.Request) -> str:
    """The ``lang`` of a strip request, after refusing any parameter it does not accept."""
    settings = request.app[SETTINGS_KEY]
    for name in request.query:
        if name not in STRIP_PARAMETERS:
            raise QueryError(name, f"unknown parameter {name!r}", STRIP_PARAMETERS)
    values = request.query.getall("lang", [])
    if not values:
        return settings.default_language
    if len(values) > 1 or values[0] not in settings.languages:
        shown = ", ".join(repr(v) for v in values)
        raise QueryError("lang", f"unsupported language {shown}", settings.languages)
    return values[0]


def current_strip(request: web.Request, lang: str) -> Strip:
    """The strip in ``lang`` from what the cache holds now."""
    app = request.app
    return strip_from_store(app[SETTINGS_KEY], app[STORE_KEY], lang=lang, now=app[CLOCK_KEY]())


@routes.get("/v1/strip")
async def get_strip(request: web.Request) -> web.Response:
    """The whole strip as JSON."""
    return _json(current_strip(request, requested_language(request)))


@routes.get("/v1/rates")
async def get_rates(request: web.Request) -> web.Response:
    """The rates half of the strip as JSON."""
    strip = current_strip(request, requested_language(request))
    text = rates_text(strip.rates)
    return _json(
        RatesHalf(lang=strip.lang, rates=strip.rates, text=text, generated_at=strip.generated_at)
    )


@routes.get("/v1/weather")
async def get_weather(request: web.Request) -> web.Response:
    """The weather half of the strip as JSON."""
    strip = current_strip(request, requested_language(request))
    text = weather_text(strip.weather)
    return _json(
        WeatherHalf(
            lang=strip.lang, weather=strip.weather, text=text, generated_at=strip.generated_at
        )
    )


@routes.get("/widget")
async def get_widget(request: web.Request) -> web.Response:
    """The strip as an HTML fragment."""
    strip = current_strip(request, requested_language(request))
    return web.Response(text=render_fragment(strip), content_type="text/html", charset="utf-8")


@routes.get("/healthz")
async def get_health(request: web.Request) -> web.Response:
    """The process is alive and serving."""
    return _json({"status": "ok"})


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


async def _own_store(app: web.Application) -> AsyncIterator[None]:
    yield
    app[STORE_KEY].close()


async def _keep_fresh(app: web.Application) -> AsyncIterator[None]:
    """Own the upstream HTTP session and the refresh scheduler for the app's lifetime."""
    settings = app[SETTINGS_KEY]
    async with aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT}, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        refresher = Refresher(settings, app[SOURCES_KEY], app[STORE_KEY], session)
        app[REFRESHER_KEY] = refresher
        scheduler = schedule(refresher, settings)
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)


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
    if store is None:
        app[STORE_KEY] = open_store(settings.cache)
        app.cleanup_ctx.append(_own_store)
    else:
        app[STORE_KEY] = store
    if sources is not None:
        app[SOURCES_KEY] = sources
        app.cleanup_ctx.append(_keep_fresh)
    app.add_routes(routes)
    return app
