"""The HTTP service: the strip as JSON, text, an HTML fragment, an iframe page and a script.

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
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from importlib import resources

import aiohttp
from aiohttp import web
from pydantic import BaseModel

from ticker._cache import Store, open_store
from ticker._config import Settings
from ticker._i18n import negotiate
from ticker._models import Attribution, Strip
from ticker._refresh import Refresher, schedule, utc_now
from ticker._strip import RatesHalf, WeatherHalf, rates_text, strip_from_store, weather_text
from ticker._version import USER_AGENT
from ticker._widget import render_fragment, render_frame, render_text
from ticker.sources import SourceSet, attributions

__all__ = ["CLOCK_KEY", "SETTINGS_KEY", "STORE_KEY", "create_app"]

log = logging.getLogger("ticker.service")

SETTINGS_KEY = web.AppKey("settings", Settings)
STORE_KEY = web.AppKey("store", Store)
CLOCK_KEY: web.AppKey[Callable[[], dt.datetime]] = web.AppKey("clock")
SOURCES_KEY = web.AppKey("sources", SourceSet)
REFRESHER_KEY = web.AppKey("refresher", Refresher)
CREDITS_KEY: web.AppKey[Mapping[str, Attribution]] = web.AppKey("credits")
ASSETS_KEY: web.AppKey[Mapping[str, bytes]] = web.AppKey("assets")

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


def current_strip(request: web.Request, lang: str) -> Strip:
    """The strip in ``lang`` from what the cache holds now."""
    app = request.app
    return strip_from_store(
        app[SETTINGS_KEY],
        app[STORE_KEY],
        lang=lang,
        now=app[CLOCK_KEY](),
        attributions=app[CREDITS_KEY],
    )


def _negotiated(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """Say that an answer without ``lang`` depends on Accept-Language."""
    if "lang" not in request.query:
        response.headers.add("Vary", "Accept-Language")
    return response


@routes.get("/v1/strip")
async def get_strip(request: web.Request) -> web.StreamResponse:
    """The whole strip as JSON."""
    return _negotiated(request, _json(current_strip(request, requested_language(request))))


@routes.get("/v1/strip.txt")
async def get_strip_text(request: web.Request) -> web.StreamResponse:
    """The whole strip as one line of plain text."""
    strip = current_strip(request, requested_language(request))
    return _negotiated(request, web.Response(text=render_text(strip), charset="utf-8"))


@routes.get("/v1/rates")
async def get_rates(request: web.Request) -> web.StreamResponse:
    """The rates half of the strip as JSON."""
    strip = current_strip(request, requested_language(request))
    half = RatesHalf(
        lang=strip.lang,
        rates=strip.rates,
        text=rates_text(strip.rates),
        generated_at=strip.generated_at,
    )
    return _negotiated(request, _json(half))


@routes.get("/v1/weather")
async def get_weather(request: web.Request) -> web.StreamResponse:
    """The weather half of the strip as JSON."""
    strip = current_strip(request, requested_language(request))
    half = WeatherHalf(
        lang=strip.lang,
        weather=strip.weather,
        text=weather_text(strip.weather),
        generated_at=strip.generated_at,
    )
    return _negotiated(request, _json(half))


@routes.get("/widget")
async def get_widget(request: web.Request) -> web.StreamResponse:
    """The strip as an HTML fragment, for a server-side include."""
    strip = current_strip(request, requested_language(request, FRAME_PARAMETERS))
    widget = request.app[SETTINGS_KEY].widget
    html = render_fragment(strip, preset=widget.preset, theme=requested_theme(request))
    return _negotiated(request, web.Response(text=html, content_type="text/html", charset="utf-8"))


@routes.get("/widget/frame")
async def get_frame(request: web.Request) -> web.StreamResponse:
    """The strip as a complete page, for an iframe."""
    strip = current_strip(request, requested_language(request, FRAME_PARAMETERS))
    widget = request.app[SETTINGS_KEY].widget
    html = render_frame(strip, preset=widget.preset, theme=requested_theme(request))
    return _negotiated(request, web.Response(text=html, content_type="text/html", charset="utf-8"))


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
    if sources is not None:
        app[SOURCES_KEY] = sources
        app.cleanup_ctx.append(_keep_fresh)
    app.on_response_prepare.append(_security_headers)
    app.add_routes(routes)
    return app
