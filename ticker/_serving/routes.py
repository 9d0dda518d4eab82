"""The service's routes: the strip's forms, its script and stylesheet, health, readiness, metrics.

Handlers are a few lines each: they read what the snapshot, the assets or the
cache already hold.  The strip's routes come from the catalogue of forms; their
answers are prepared per snapshot (:mod:`ticker._serving.answers`).  Everything
that reads the shared cache does so off the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import Callable, Mapping
from importlib import resources
from typing import ClassVar, Literal

from aiohttp import web
from aiohttp.typedefs import Handler

from ticker._config import LiveSettings, Settings, SourceSettings
from ticker._data.cache import Stamp, Store
from ticker._data.leader import Leadership
from ticker._models import DataKind
from ticker._serving.answers import Answers
from ticker._serving.catalogue import FORMS, Form
from ticker._serving.drawing import DRAWER_KEY, asked_for, image_answer, refusal
from ticker._serving.metrics import CONTENT_TYPE_LATEST, Metrics
from ticker._serving.openapi import NO_STORE, STRING, Endpoint, Response
from ticker._serving.responses import (
    ASSET_CACHE_CONTROL,
    QueryError,
    bad_query,
    conditional,
    error_answer,
    etag_of,
    json_answer,
    preflight_answer,
    refuse_parameters,
    security_headers,
)
from ticker._serving.snapshot import UNSTAMPED, SnapshotHolder, Unrenderable
from ticker._staleness import duration_text
from ticker._wire import HealthBody, ReadyBody, ReadyItem, SourceReport

__all__ = [
    "ANSWERS_KEY",
    "ASSETS_KEY",
    "LEADERSHIP_KEY",
    "LIVE_KEY",
    "METRICS_KEY",
    "OPERATIONS_ENDPOINTS",
    "SNAPSHOTS_KEY",
    "STORE_KEY",
    "Assets",
    "answer",
    "cors_for_origins",
    "module_form",
    "routes",
]

LIVE_KEY = web.AppKey("live-settings", LiveSettings)
STORE_KEY = web.AppKey("store", Store)
CLOCK_KEY: web.AppKey[Callable[[], dt.datetime]] = web.AppKey("clock")
SNAPSHOTS_KEY = web.AppKey("snapshots", SnapshotHolder)
LEADERSHIP_KEY = web.AppKey("leadership", Leadership)
#: /readyz says degraded once the newest stamp is older than this many refresh intervals.
READY_STAMPS_LATE_AFTER = 2
ANSWERS_KEY = web.AppKey("answers", Answers)
METRICS_KEY = web.AppKey("metrics", Metrics)

routes = web.RouteTableDef()


def answer(
    answers: Answers, metrics: Metrics, request: web.BaseRequest, form: Form
) -> web.Response:
    """The precomputed answer of ``form`` for this request, or a 400 saying what is allowed."""
    started = time.perf_counter()
    try:
        key, negotiated = asked_for(answers, request, form)
        response = answers.respond(request, key, negotiated=negotiated)
    except (QueryError, Unrenderable) as exc:
        response = refusal(answers, request, exc)
    metrics.answered(form.name, response.status, started)
    return response


@web.middleware
async def cors_for_origins(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A configured origin is named on every routed answer, as on the strip's own.

    With ``*`` every answer already allows any origin.  With a list, an answer that
    did not name the request's origin (the assets, the OpenAPI pages, health,
    metrics) gets it, and every answer varies by ``Origin`` so that no cache hands
    one origin's answer to another.
    """
    response = await handler(request)
    allowed = request.app[LIVE_KEY].current.server.cors_origins
    if "*" in allowed:
        return response
    origin = request.headers.get("Origin")
    if origin in allowed and "Access-Control-Allow-Origin" not in response.headers:
        response.headers["Access-Control-Allow-Origin"] = origin
    vary = response.headers.get("Vary", "")
    if "origin" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"
    return response


def _strip_route(form: Form) -> None:
    async def handler(request: web.Request) -> web.Response:
        app = request.app
        if form.lazy:
            drawer = app[DRAWER_KEY]
            return await image_answer(app[ANSWERS_KEY], app[METRICS_KEY], drawer, request, form)
        return answer(app[ANSWERS_KEY], app[METRICS_KEY], request, form)

    handler.__doc__ = form.summary
    handler.__name__ = form.handler_name
    routes.get(form.path)(handler)


for _form in FORMS:
    _strip_route(_form)


#: The two lines of widget.js that make it a classic script, and what stands in their place
#: in /widget.mjs: the module passes its own URL and exports the element's class.
CLASSIC_PROLOGUE = "// ticker:prologue"
CLASSIC_EPILOGUE = "// ticker:epilogue"
MODULE_PROLOGUE = "const TickerStrip = (function (scriptUrl) {"
MODULE_EPILOGUE = "})(import.meta.url);\nexport { TickerStrip };\nexport default TickerStrip;"


def module_form(script: str) -> str:
    """widget.js as an ES module: its marked prologue and epilogue lines swapped for a module's.

    Raises ``ValueError`` when the script does not have each marked line exactly once.
    """
    lines = script.splitlines()
    for marker, replacement in (
        (CLASSIC_PROLOGUE, MODULE_PROLOGUE),
        (CLASSIC_EPILOGUE, MODULE_EPILOGUE),
    ):
        marked = [index for index, line in enumerate(lines) if line.rstrip().endswith(marker)]
        if len(marked) != 1:
            raise ValueError(f"widget.js has {len(marked)} lines marked {marker!r}, not one")
        lines[marked[0]] = replacement
    return "\n".join(lines) + "\n"


class Assets:
    """The script (classic and module), the stylesheet: read once, told the configured widget.

    The files are read on first use (not when the app is built) and prepared again
    with their headers whenever the settings are replaced.  ``widget.mjs`` is not a
    file: it is ``widget.js`` with a module's prologue and epilogue, so that the
    element is written once.
    """

    FILES: ClassVar[Mapping[str, str]] = {
        "widget.js": "text/javascript",
        "widget.mjs": "text/javascript",
        "widget.css": "text/css",
    }
    #: Each served asset and the packaged file it is made from.
    SOURCES: ClassVar[Mapping[str, str]] = {
        "widget.js": "widget.js",
        "widget.mjs": "widget.js",
        "widget.css": "widget.css",
    }

    def __init__(self, live: LiveSettings) -> None:
        self._raw: dict[str, bytes] = {}
        self._prepared: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.settings = live.current
        live.subscribe(self._reconfigure)

    def _reconfigure(self, settings: Settings) -> None:
        self.settings = settings
        self._prepared = {}

    def get(self, name: str) -> tuple[bytes, dict[str, str]]:
        """The body of asset ``name`` and its complete headers."""
        found = self._prepared.get(name)
        if found is None:
            found = self._prepared[name] = self._prepare(name)
        return found

    def _prepare(self, name: str) -> tuple[bytes, dict[str, str]]:
        if not self._raw:
            folder = resources.files("ticker") / "static"
            self._raw = {file: (folder / file).read_bytes() for file in set(self.SOURCES.values())}
        body = self._raw[self.SOURCES[name]]
        if name in ("widget.js", "widget.mjs"):
            body = self._script(body.decode("utf-8"), module=name == "widget.mjs").encode()
        headers = {
            "Content-Type": f"{self.FILES[name]}; charset=utf-8",
            "Cache-Control": ASSET_CACHE_CONTROL,
            "ETag": etag_of(body),
            **security_headers(self.settings, page=False),
        }
        return body, headers

    def _script(self, script: str, *, module: bool) -> str:
        widget = self.settings.widget
        script = script.replace("__TICKER_PRESET__", widget.preset)
        script = script.replace("__TICKER_OVERFLOW__", widget.overflow)
        script = script.replace("__TICKER_THEME__", widget.theme)
        tomorrow = widget.tomorrow and self.settings.weather.forecast_days == 2
        script = script.replace("__TICKER_TOMORROW__", "true" if tomorrow else "false")
        return module_form(script) if module else script


ASSETS_KEY = web.AppKey("assets", Assets)


def _asset(request: web.Request, name: str) -> web.Response:
    """An asset, or its 304; CORS as for the API (``cors_for_origins`` names a listed
    origin and adds ``Vary: Origin``), so that another site may load the module."""
    assets = request.app[ASSETS_KEY]
    try:
        refuse_parameters(request.query, ())
    except QueryError as exc:
        return bad_query(assets.settings, exc, origin=request.headers.get("Origin"))
    body, headers = assets.get(name)
    return conditional(request, body, headers)


@routes.get("/widget.js")
async def get_script(request: web.Request) -> web.Response:
    """The embedding script: the <ticker-strip> element and the placeholders' filler."""
    return _asset(request, "widget.js")


@routes.get("/widget.mjs")
async def get_module(request: web.Request) -> web.Response:
    """The embedding script as an ES module, exporting ``TickerStrip``."""
    return _asset(request, "widget.mjs")


@routes.get("/widget.css")
async def get_stylesheet(request: web.Request) -> web.Response:
    """The strip's stylesheet."""
    return _asset(request, "widget.css")


@routes.get("/healthz")
async def get_health(request: web.Request) -> web.Response:
    """The process is alive and serving: its pid, role and the snapshot it serves."""
    leadership = request.app.get(LEADERSHIP_KEY)
    snapshot = request.app[SNAPSHOTS_KEY].current
    settings = request.app[LIVE_KEY].current
    health = HealthBody(
        status="ok",
        pid=os.getpid(),
        leader=leadership is not None and leadership.leading,
        snapshot=snapshot.stamp.version,
        etag=snapshot.variant(snapshot.key("strip", snapshot.settings.default_language)).etag,
    )
    return json_answer(settings, health.model_dump_json().encode(), cache_control="no-store")


#: The OpenAPI description of the operations endpoints (see ticker._serving.openapi).
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
    headers = {
        "Content-Type": CONTENT_TYPE_LATEST,
        "Cache-Control": "no-store",
        **security_headers(request.app[LIVE_KEY].current, page=False),
    }
    return web.Response(body=body, headers=headers)


@routes.get("/readyz")
async def get_ready(request: web.Request) -> web.Response:
    """Ready when every configured item has a value; each source's last success and error."""
    settings = request.app[LIVE_KEY].current
    snapshot = request.app[SNAPSHOTS_KEY].current
    strip = snapshot.strips[snapshot.settings.default_language]
    items = [
        ReadyItem(kind="rates", item=r.code, missing=r.missing, stale=r.stale, age=r.age)
        for r in strip.rates
    ] + [
        ReadyItem(kind="weather", item=w.city, missing=w.missing, stale=w.stale, age=w.age)
        for w in strip.weather
    ]
    holder = request.app[SNAPSHOTS_KEY]
    problems = _problems(request.app, settings, snapshot.stamp)
    try:
        sources = await asyncio.to_thread(_source_statuses, request.app[STORE_KEY], settings)
    except Exception as exc:  # the shared cache is unreachable
        sources = [SourceReport(error=f"shared cache unreachable: {type(exc).__name__}")]
        if holder.problem is None:
            problems.append(f"cannot read the shared cache: {type(exc).__name__}")
    ready = holder.read and not any(item.missing for item in items)
    if not holder.read:
        problems.insert(0, "the shared cache has not been read yet")
    missing = [item.item for item in items if item.missing]
    if missing:
        problems.insert(0, f"no value to show for {', '.join(missing)}")
    status: Literal["ready", "degraded", "not_ready"] = (
        "not_ready" if not ready else "degraded" if problems else "ready"
    )
    body = ReadyBody(
        ready=ready, status=status, problems=problems, generated_at=strip.generated_at,
        items=items, sources=sources,
    )  # fmt: skip
    return json_answer(
        settings, body.model_dump_json().encode(), status=200 if ready else 503,
        cache_control="no-store",
    )  # fmt: skip


def _problems(app: web.Application, settings: Settings, stamp: Stamp) -> list[str]:
    """Why this process serves what it read last rather than what the fleet refreshes."""
    problems: list[str] = []
    holder = app[SNAPSHOTS_KEY]
    if holder.problem is not None:
        problems.append(holder.problem)
    leadership = app.get(LEADERSHIP_KEY)
    if leadership is not None:
        problems.extend(leadership.problems)
    if holder.read and stamp.version != UNSTAMPED:
        interval = min(settings.rates.refresh, settings.weather.refresh)
        late = app[CLOCK_KEY]() - stamp.generated_at
        if late > READY_STAMPS_LATE_AFTER * interval:
            problems.append(
                f"no refresh stamped the shared cache for {duration_text(late.total_seconds())} "
                f"(more than {READY_STAMPS_LATE_AFTER} refresh intervals of "
                f"{duration_text(interval.total_seconds())})"
            )
    return problems


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
    """Anything else: a CORS preflight's 204 or a 405 on an endpoint, else a 404 listing them."""
    settings = request.app[LIVE_KEY].current
    origin = request.headers.get("Origin")
    methods = await _methods_at(request)
    if methods:
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            return preflight_answer(settings, origin)
        response = error_answer(
            settings, 405, "method_not_allowed", f"only {' and '.join(methods)}",
            origin=origin, allowed=methods,
        )  # fmt: skip
        response.headers["Allow"] = ", ".join(methods)
        return response
    paths = sorted(
        {
            route.resource.canonical
            for route in request.app.router.routes()
            if route.resource is not None and route.handler is not not_found
        }
    )
    return error_answer(
        settings, 404, "not_found", f"no such endpoint: {request.path}", origin=origin,
        allowed=paths,
    )  # fmt: skip


async def _methods_at(request: web.Request) -> list[str]:
    """The methods of the endpoint at the request's path (``/v1/rates/USD/history`` too)."""
    for resource in request.app.router.resources():
        if any(route.handler is not_found for route in resource):
            continue
        _, methods = await resource.resolve(request)
        if methods:
            return sorted(methods)
    return []
