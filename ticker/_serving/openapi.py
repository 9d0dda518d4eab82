"""The service's OpenAPI 3.1 document and docs page, built from a registry of endpoints.

Each endpoint is described once, as an :class:`Endpoint`: its parameters, and per
status a :class:`Response` whose body is a pydantic model (the schema is the
model's own ``model_json_schema``) or a media type. The document is built from
whatever the app registered by the time it starts, so a module that adds routes
also registers their description. Usage::

    add_openapi(app, settings, default_endpoints(STRIP_ROUTES))
    register(app, Endpoint("/readyz", "Ready to serve.", {200: Response("Ready.", ReadyBody)}))

``GET /openapi.json`` serves the document and ``GET /docs`` a page rendered from it;
both are built once, when the app starts (and again by :func:`republish` after a
reload of the settings, which may change the languages).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ticker._config import LiveSettings, Settings
from ticker._languages import LANGUAGE_NAMES, language_tag, spellings
from ticker._serving.catalogue import (
    CARD_SIZES,
    DEFAULT_WIDTH,
    FORMS,
    MAX_WIDTH,
    MIN_WIDTH,
    THEMES,
    UNITS,
    Form,
)
from ticker._serving.responses import (
    ASSET_CACHE_CONTROL,
    QueryError,
    bad_query,
    conditional,
    escape_json,
    etag_of,
    refuse_parameters,
    security_headers,
)
from ticker._strip.docs_page import render_docs, with_examples
from ticker._strip.landing_page import service_address
from ticker._version import __version__
from ticker._wire import ErrorBody, HealthBody

__all__ = [
    "BAD_REQUEST",
    "CACHE_CONTROL",
    "CONTENT_LANGUAGE",
    "ENDPOINTS_KEY",
    "ETAG",
    "IF_NONE_MATCH",
    "NOT_MODIFIED",
    "NO_STORE",
    "OWN_ENDPOINTS",
    "STRING",
    "VARY",
    "Endpoint",
    "Header",
    "Parameter",
    "Response",
    "add_openapi",
    "any_case_enum",
    "default_endpoints",
    "enum",
    "language_schema",
    "openapi_document",
    "register",
    "republish",
    "static_endpoint",
    "strip_endpoint",
]

OPENAPI_VERSION = "3.1.0"
SCHEMA_REF = "#/components/schemas/{model}"
STRING: Mapping[str, Any] = {"type": "string"}


#: A schema, or how to make it from the settings in force (``lang`` lists ``languages``).
SchemaOf = Mapping[str, Any] | Callable[[Settings], Mapping[str, Any]]
#: A description, or how to write it from the settings (a bound that follows them).
TextOf = str | Callable[[Settings], str]


@dataclass(frozen=True)
class Parameter:
    """A request parameter: a query parameter unless ``in_`` says otherwise."""

    name: str
    description: TextOf
    schema: SchemaOf = field(default_factory=lambda: STRING)
    required: bool = False
    in_: Literal["query", "path", "header"] = "query"
    #: A value for the docs' example request (a required one without it gets one made
    #: from its schema, :func:`~ticker._strip.docs_page.with_examples`).
    example: object | Callable[[Settings], object] | None = None

    def __post_init__(self) -> None:
        if self.in_ == "path" and not self.required:
            raise ValueError(f"path parameter {self.name!r} must be required")


@dataclass(frozen=True)
class Header:
    """A response header."""

    name: str
    description: str
    schema: Mapping[str, Any] = field(default_factory=lambda: STRING)
    required: bool = True


@dataclass(frozen=True)
class Response:
    """An answer: a JSON ``model``, a ``media_type`` with a plain ``schema``, or no body."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str = "application/json"
    schema: Mapping[str, Any] | None = None
    headers: tuple[Header, ...] = ()
    #: An example body (a JSON one without it gets one made from its schema).
    example: object | None = None


@dataclass(frozen=True)
class Endpoint:
    """A ``GET`` endpoint: what it takes and what it answers, by status."""

    path: str
    summary: str
    responses: Mapping[int, Response]
    parameters: tuple[Parameter, ...] = ()
    description: str = ""


def enum(values: Iterable[str]) -> dict[str, Any]:
    """The schema of a string that is one of ``values``."""
    return {"type": "string", "enum": list(values)}


def _any_case(text: str) -> str:
    """A pattern matching a tag in any case: ``kk-Latn`` -> ``[kK][kK]-[lL][aA][tT][nN]``."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in text)


def any_case_enum(values: Sequence[str]) -> dict[str, Any]:
    """One of ``values`` (ASCII), as the enum says or in any case: ``USD``, ``usd``, ``uSd``.

    The enum says what to send, the pattern everything that is taken, so that a
    generated request is refused exactly when the schema says so.
    """
    pattern = "^(?:" + "|".join(_any_case(value) for value in values) + ")$"
    return {"anyOf": [enum(values), {"type": "string", "pattern": pattern}]}


def language_schema(languages: Sequence[str]) -> dict[str, Any]:
    """``lang``: one of the languages' tags, or another spelling the service takes.

    The service takes a language by its tag or its settings key, with the script
    written out or not, in any case (``zh-Hans``, ``zh``, ``KK-CYRL``): the enum says
    what to send, the pattern everything that is taken, so that a generated request
    is refused exactly when the schema says so.
    """
    names = sorted({name for lang in languages for name in spellings(lang)}, key=str.lower)
    pattern = "^(?:" + "|".join(_any_case(name) for name in names) + ")$"
    return {
        "anyOf": [
            enum(language_tag(lang) for lang in languages),
            {"type": "string", "pattern": pattern},
        ]
    }


# Headers the strip and static answers carry (see README, "HTTP caching").
ETAG = Header(
    "ETag", "Strong validator of this body; send it in If-None-Match to get a 304.",
    {"type": "string", "pattern": '^"[^"]+"$'},
)  # fmt: skip
CACHE_CONTROL = Header("Cache-Control", "How long the answer stays fresh, then stale.")
VARY = Header(
    "Vary", "Accept-Encoding, plus Accept-Language when lang was not given, Origin with CORS."
)
NO_STORE = Header("Cache-Control", "Never cached.", {"type": "string", "const": "no-store"})
CONTENT_LANGUAGE = Header("Content-Language", "The strip's language tag, as its `lang` says.")

LANG = Parameter(
    "lang",
    "The strip's language by its tag (the settings' key too, any case); without it,"
    " Accept-Language decides, else the first configured.",
    lambda settings: language_schema(settings.languages),
    example=lambda settings: language_tag(settings.default_language),
)
THEME = Parameter(
    "theme",
    "The colours; without it, the configured one (an image draws auto as light).",
    enum(THEMES),
)
UNITS_PARAMETER = Parameter(
    "units",
    "Temperatures in °C (metric, the default) or °F (imperial): every text, number and `unit`.",
    enum(UNITS),
)
WIDTH = Parameter(
    "width",
    f"The image's width in CSS pixels (the PNG has twice as many); default {DEFAULT_WIDTH}."
    " Items that do not fit wrap onto further lines.",
    {"type": "integer", "minimum": MIN_WIDTH, "maximum": MAX_WIDTH},
)  # fmt: skip
SIZE = Parameter(
    "size",
    "The card's size in pixels: 1200x630 for link previews (default), 1080x1080 for"
    " Telegram and Instagram.",
    enum(CARD_SIZES),
)
#: The query parameters of the strip, by the names the catalogue's forms list.
STRIP_PARAMETERS = {
    parameter.name: parameter for parameter in (LANG, THEME, UNITS_PARAMETER, WIDTH, SIZE)
}
BINARY = {"type": "string", "format": "binary"}
UNAVAILABLE = Response(
    "The image cannot be made now: the fonts are not installed (the message names them), or"
    " too many distinct images were asked for since the last refresh (Retry-After).",
    ErrorBody,
    headers=(NO_STORE,),
)
IF_NONE_MATCH = Parameter(
    "If-None-Match", "ETags the client holds; a match answers 304.", in_="header"
)
ACCEPT_LANGUAGE = Parameter(
    "Accept-Language", "Picks the language when lang is not given.", in_="header"
)

BAD_REQUEST = Response(
    "A parameter that is unknown, repeated, malformed or out of its range.",
    model=ErrorBody,
    headers=(NO_STORE,),
)
NOT_FOUND = Response("No such endpoint; `allowed` lists them.", ErrorBody, headers=(NO_STORE,))
METHOD_NOT_ALLOWED = Response("Only GET and HEAD are served.", ErrorBody, headers=(NO_STORE,))
NOT_MODIFIED = "The client's copy (If-None-Match) is current."


def strip_endpoint(form: Form) -> Endpoint:
    """The description of the endpoint serving ``form`` of the strip."""
    cached = (ETAG, CACHE_CONTROL, VARY)
    described = (*cached, CONTENT_LANGUAGE)
    if form.model is None:
        schema = STRING if form.text else BINARY
        answer = Response(
            "The strip.", media_type=form.media_type, schema=schema, headers=described
        )
    else:
        answer = Response("The strip.", model=form.model, headers=described)
    responses = {200: answer, 304: Response(NOT_MODIFIED, headers=cached), 400: BAD_REQUEST}
    if form.lazy:
        responses[503] = UNAVAILABLE
    return Endpoint(
        form.path,
        form.summary,
        responses,
        (*(STRIP_PARAMETERS[name] for name in form.parameters), ACCEPT_LANGUAGE, IF_NONE_MATCH),
    )


def static_endpoint(
    path: str, summary: str, media_type: str, schema: Mapping[str, Any] = STRING
) -> Endpoint:
    """A fixed body with an ETag, taking no parameters (as ``/widget.js``)."""
    return Endpoint(
        path,
        summary,
        {
            200: Response(summary, None, media_type, schema, (ETAG, CACHE_CONTROL)),
            304: Response(NOT_MODIFIED, headers=(ETAG, CACHE_CONTROL)),
            400: BAD_REQUEST,
        },
        (IF_NONE_MATCH,),
        "Takes no parameters: any query is a 400.",
    )


def default_endpoints() -> list[Endpoint]:
    """The service's own endpoints: every form of the catalogue, the assets, /healthz."""
    return [
        *(strip_endpoint(form) for form in FORMS),
        static_endpoint(
            "/widget.js",
            "The embedding script: placeholders and the <ticker-strip> element.",
            "text/javascript",
        ),
        static_endpoint(
            "/widget.mjs",
            "The <ticker-strip> element as an ES module (exports TickerStrip).",
            "text/javascript",
        ),
        static_endpoint("/widget.css", "The strip's stylesheet.", "text/css"),
        Endpoint(
            "/healthz",
            "The process is alive and serving: its pid, role and the snapshot it serves.",
            {200: Response("Serving.", HealthBody, headers=(NO_STORE,))},
        ),
    ]


def _operation_id(path: str) -> str:
    return "get" + re.sub(r"[^0-9A-Za-z]+", "_", path).rstrip("_")


def _parameter(parameter: Parameter, settings: Settings) -> dict[str, Any]:
    schema = parameter.schema(settings) if callable(parameter.schema) else parameter.schema
    description = parameter.description
    described = {
        "name": parameter.name,
        "in": parameter.in_,
        "description": description(settings) if callable(description) else description,
        "required": parameter.required,
        "schema": dict(schema),
    }
    example = parameter.example(settings) if callable(parameter.example) else parameter.example
    if example is not None:
        described["example"] = example
    return described


def _response(response: Response, refs: Mapping[type[BaseModel], Any]) -> dict[str, Any]:
    described: dict[str, Any] = {"description": response.description}
    if response.headers:
        described["headers"] = {
            header.name: {
                "description": header.description,
                "required": header.required,
                "schema": dict(header.schema),
            }
            for header in response.headers
        }
    if response.model is not None:
        described["content"] = {response.media_type: {"schema": refs[response.model]}}
    elif response.schema is not None:
        described["content"] = {response.media_type: {"schema": dict(response.schema)}}
    if response.example is not None and "content" in described:
        described["content"][response.media_type]["example"] = response.example
    return described


def _operation(
    endpoint: Endpoint, settings: Settings, refs: Mapping[type[BaseModel], Any]
) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": _operation_id(endpoint.path)}
    operation["summary"] = endpoint.summary
    if endpoint.description:
        operation["description"] = endpoint.description
    if endpoint.parameters:
        operation["parameters"] = [_parameter(p, settings) for p in endpoint.parameters]
    operation["responses"] = {
        str(status): _response(response, refs)
        for status, response in sorted(endpoint.responses.items())
    }
    return operation


def _models(endpoints: Iterable[Endpoint]) -> list[type[BaseModel]]:
    found: dict[type[BaseModel], None] = {ErrorBody: None}
    for endpoint in endpoints:
        for response in endpoint.responses.values():
            if response.model is not None:
                found[response.model] = None
    return list(found)


@functools.cache
def _schemas(
    models: tuple[type[BaseModel], ...],
) -> tuple[dict[type[BaseModel], Any], dict[str, Any]]:
    """Each model's reference and the shared definitions: the same for any settings, so kept."""
    keys, schemas = models_json_schema(
        [(model, "serialization") for model in models], ref_template=SCHEMA_REF
    )
    return {model: keys[model, "serialization"] for model in models}, schemas


def _languages(languages: Sequence[str]) -> str:
    """``en (English), zh-Hans (中文)``: each language's tag and its own name."""
    return ", ".join(f"{language_tag(lang)} ({LANGUAGE_NAMES[lang]})" for lang in languages)


def openapi_document(
    settings: Settings, endpoints: Sequence[Endpoint], *, version: str
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``endpoints``, schemas taken from their pydantic models."""
    paths = [endpoint.path for endpoint in endpoints]
    if len(set(paths)) != len(paths):
        raise ValueError(
            f"endpoints described twice: {sorted(p for p in paths if paths.count(p) > 1)}"
        )
    models = tuple(_models(endpoints))
    refs, shared = _schemas(models)
    schemas = copy.deepcopy(shared)  # the document is the caller's to change
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "ticker",
            "version": version,
            "summary": "Official KZT exchange rates and city weather as a header strip.",
            "description": (
                f"Languages: {_languages(settings.languages)}"
                f" (default {language_tag(settings.default_language)})."
                " Only GET (and HEAD) is served: another method on an endpoint is a 405 with"
                " Allow: GET, HEAD, any other path a 404, both with an ErrorBody. A CORS"
                " preflight (OPTIONS with Access-Control-Request-Method) on an endpoint is a"
                " 204 allowing GET and HEAD to the configured origins."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": {
            endpoint.path: {"get": _operation(endpoint, settings, refs)} for endpoint in endpoints
        },
        "components": {
            "schemas": dict(sorted(schemas.get("$defs", {}).items())),
            "responses": {
                "BadRequest": _response(BAD_REQUEST, refs),
                "NotFound": _response(NOT_FOUND, refs),
                "MethodNotAllowed": _response(METHOD_NOT_ALLOWED, refs),
            },
        },
    }
    return with_examples(document)


# --- the docs page -------------------------------------------------------------------------


# --- serving -------------------------------------------------------------------------------

#: Endpoints described so far; :func:`register` adds to it until the app starts.
ENDPOINTS_KEY: web.AppKey[list[Endpoint]] = web.AppKey("openapi-endpoints")


@dataclass(frozen=True)
class _Page:
    """A prepared answer: its body and complete headers."""

    body: bytes
    headers: Mapping[str, str]

    @classmethod
    def of(cls, body: bytes, content_type: str, settings: Settings, *, page: bool) -> _Page:
        return cls(
            body,
            {
                "Content-Type": content_type,
                "ETag": etag_of(body),
                "Cache-Control": ASSET_CACHE_CONTROL,
                **security_headers(settings, page=page),
            },
        )


@dataclass
class _Pages:
    """The prepared answers, built at start-up and again when the settings are reloaded."""

    live: LiveSettings
    by_name: Mapping[str, _Page] = field(default_factory=dict)


_PAGES_KEY = web.AppKey("openapi-pages", _Pages)

#: The two endpoints :func:`add_openapi` serves.
OWN_ENDPOINTS = (
    static_endpoint(
        "/openapi.json", "This API as an OpenAPI 3.1 document.", "application/json",
        {"type": "object"},
    ),
    static_endpoint("/docs", "This API as an HTML page.", "text/html"),
)  # fmt: skip


def register(app: web.Application, *endpoints: Endpoint) -> None:
    """Describe ``endpoints`` in ``app``'s OpenAPI document; only before the app starts."""
    pages = app.get(_PAGES_KEY)
    if pages is not None and pages.by_name:
        raise RuntimeError("the OpenAPI document is built at start-up: register endpoints before")
    app.setdefault(ENDPOINTS_KEY, []).extend(endpoints)


def add_openapi(
    app: web.Application, live: LiveSettings, endpoints: Iterable[Endpoint] = ()
) -> None:
    """Serve ``GET /openapi.json`` and ``GET /docs``, describing everything registered.

    The document is built when the app starts, from ``endpoints`` and whatever
    :func:`register` added until then, and again whenever ``live`` is replaced.
    """
    register(app, *endpoints, *OWN_ENDPOINTS)
    app[_PAGES_KEY] = _Pages(live)
    app.on_startup.append(_publish)

    def reloaded(settings: Settings) -> None:
        republish(app, settings)

    live.subscribe(reloaded)
    app.router.add_get("/openapi.json", _handler("openapi.json"))
    app.router.add_get("/docs", _handler("docs"))


async def _publish(app: web.Application) -> None:
    republish(app, app[_PAGES_KEY].live.current)


def republish(app: web.Application, settings: Settings) -> dict[str, Any]:
    """Build the document and the page again for ``settings`` (after a reload); return it."""
    pages = app[_PAGES_KEY]
    endpoints: list[Endpoint] = app[ENDPOINTS_KEY]
    document = openapi_document(settings, endpoints, version=__version__)
    text = escape_json(json.dumps(document, ensure_ascii=False, indent=1).encode())
    docs = render_docs(document, base=service_address(settings.server))
    pages.by_name = {
        "openapi.json": _Page.of(text, "application/json", settings, page=False),
        "docs": _Page.of(docs.encode(), "text/html; charset=utf-8", settings, page=True),
    }
    return document


def _handler(name: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        pages = request.app[_PAGES_KEY]
        try:
            refuse_parameters(request.query, ())
        except QueryError as exc:
            return bad_query(pages.live.current, exc, origin=request.headers.get("Origin"))
        page = pages.by_name[name]
        return conditional(request, page.body, page.headers)

    handler.__name__ = f"get_{name.replace('.', '_')}"
    return handler
