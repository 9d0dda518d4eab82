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

import hashlib
import html
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from ticker._answers import ASSET_CACHE_CONTROL, THEMES, security_headers
from ticker._config import Settings
from ticker._models import Strip
from ticker._strip import RatesHalf, WeatherHalf
from ticker._version import __version__

__all__ = [
    "BAD_REQUEST",
    "CACHE_CONTROL",
    "ENDPOINTS_KEY",
    "ETAG",
    "NO_STORE",
    "OWN_ENDPOINTS",
    "STRING",
    "VARY",
    "Endpoint",
    "ErrorBody",
    "Header",
    "HealthBody",
    "Parameter",
    "Response",
    "add_openapi",
    "default_endpoints",
    "enum",
    "openapi_document",
    "register",
    "render_docs",
    "republish",
    "static_endpoint",
    "strip_endpoint",
]

OPENAPI_VERSION = "3.1.0"
SCHEMA_REF = "#/components/schemas/{model}"
STRING: Mapping[str, Any] = {"type": "string"}


class ErrorBody(BaseModel):
    """The body of every error answer: 400, 404, 405 (and the history's 503)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    error: str = Field(description="The kind, e.g. bad_request, not_found, method_not_allowed.")
    message: str = Field(description="What was wrong, for a human.")
    parameter: str | None = Field(default=None, description="The parameter at fault, when one is.")
    allowed: list[str] = Field(
        description="What is allowed instead: values, parameters, endpoints or methods."
    )


class HealthBody(BaseModel):
    """What ``GET /healthz`` answers while the process serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["ok"]
    pid: int = Field(description="The serving process.")
    leader: bool = Field(description="Whether this process runs the refresh jobs.")
    snapshot: str = Field(description="The version of the cache the process serves.")
    etag: str = Field(description="The ETag of the strip in the default language.")


#: A schema, or how to make it from the settings in force (``lang`` lists ``languages``).
SchemaOf = Mapping[str, Any] | Callable[[Settings], Mapping[str, Any]]


@dataclass(frozen=True)
class Parameter:
    """A request parameter: a query parameter unless ``in_`` says otherwise."""

    name: str
    description: str
    schema: SchemaOf = field(default_factory=lambda: STRING)
    required: bool = False
    in_: Literal["query", "path", "header"] = "query"

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

LANG = Parameter(
    "lang",
    "The strip's language; without it, Accept-Language decides, else the first configured.",
    lambda settings: enum(settings.languages),
)
THEME = Parameter("theme", "The widget's colours; without it, the configured one.", enum(THEMES))
#: The query parameters of the strip, by the names ``STRIP_ROUTES`` lists.
STRIP_PARAMETERS = {parameter.name: parameter for parameter in (LANG, THEME)}
IF_NONE_MATCH = Parameter(
    "If-None-Match", "ETags the client holds; a match answers 304.", in_="header"
)
ACCEPT_LANGUAGE = Parameter(
    "Accept-Language", "Picks the language when lang is not given.", in_="header"
)

BAD_REQUEST = Response(
    "A parameter that is unknown, repeated or has an unsupported value.",
    model=ErrorBody,
    headers=(NO_STORE,),
)
NOT_FOUND = Response("No such endpoint; `allowed` lists them.", ErrorBody, headers=(NO_STORE,))
METHOD_NOT_ALLOWED = Response("Only GET and HEAD are served.", ErrorBody, headers=(NO_STORE,))
NOT_MODIFIED = "The client's copy (If-None-Match) is current."

#: Each form of the strip: what it is, and its body as a model or a media type.
STRIP_FORMS: Mapping[str, tuple[str, type[BaseModel] | str]] = {
    "strip": ("The whole strip as JSON: rates, weather, their text and credits.", Strip),
    "strip.txt": ("The whole strip as one line of plain text.", "text/plain"),
    "rates": ("The rates half of the strip as JSON.", RatesHalf),
    "weather": ("The weather half of the strip as JSON.", WeatherHalf),
    "widget": ("The strip as an HTML fragment, for a server-side include.", "text/html"),
    "frame": ("The strip as a complete HTML page, for an iframe (no script).", "text/html"),
}


def strip_endpoint(path: str, form: str, allowed: Sequence[str]) -> Endpoint:
    """The description of a strip endpoint serving ``form`` and taking ``allowed``."""
    summary, body = STRIP_FORMS[form]
    cached = (ETAG, CACHE_CONTROL, VARY)
    if isinstance(body, str):
        answer = Response("The strip.", media_type=body, schema=STRING, headers=cached)
    else:
        answer = Response("The strip.", model=body, headers=cached)
    return Endpoint(
        path,
        summary,
        {200: answer, 304: Response(NOT_MODIFIED, headers=cached), 400: BAD_REQUEST},
        (*(STRIP_PARAMETERS[name] for name in allowed), ACCEPT_LANGUAGE, IF_NONE_MATCH),
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
            304: Response(NOT_MODIFIED, headers=(ETAG,)),
            400: BAD_REQUEST,
        },
        (IF_NONE_MATCH,),
        "Takes no parameters: any query is a 400.",
    )


def default_endpoints(strip_routes: Mapping[str, tuple[str, Sequence[str]]]) -> list[Endpoint]:
    """The service's own endpoints; ``strip_routes`` is ``ticker._service.STRIP_ROUTES``."""
    return [
        *(strip_endpoint(path, form, allowed) for path, (form, allowed) in strip_routes.items()),
        static_endpoint("/widget.js", "The embedding script.", "text/javascript"),
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
    return {
        "name": parameter.name,
        "in": parameter.in_,
        "description": parameter.description,
        "required": parameter.required,
        "schema": dict(schema),
    }


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


def openapi_document(
    settings: Settings, endpoints: Sequence[Endpoint], *, version: str
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``endpoints``, schemas taken from their pydantic models."""
    paths = [endpoint.path for endpoint in endpoints]
    if len(set(paths)) != len(paths):
        raise ValueError(
            f"endpoints described twice: {sorted(p for p in paths if paths.count(p) > 1)}"
        )
    models = _models(endpoints)
    keys, schemas = models_json_schema(
        [(model, "serialization") for model in models], ref_template=SCHEMA_REF
    )
    refs = {model: keys[model, "serialization"] for model in models}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "ticker",
            "version": version,
            "summary": "Official KZT exchange rates and city weather as a header strip.",
            "description": (
                f"Languages: {', '.join(settings.languages)} (default {settings.default_language})."
                " Only GET (and HEAD) is served: another method on an endpoint is a 405, any"
                " other path a 404, both with an ErrorBody."
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


# --- the docs page -------------------------------------------------------------------------


def _escape(value: object) -> str:
    return html.escape(str(value), quote=True)


def _model_link(ref: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    return f'<a href="#model-{_escape(name)}">{_escape(name)}</a>'


def _schema_text(schema: Mapping[str, Any]) -> str:
    """A JSON schema in a few words of HTML: ``string (date-time) | null``, a model link..."""
    if "$ref" in schema:
        return _model_link(schema["$ref"])
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return " | ".join(_schema_text(part) for part in schema[union])
    if "const" in schema:
        return f"<code>{_escape(json.dumps(schema['const'], ensure_ascii=False))}</code>"
    if "enum" in schema:
        return "one of " + ", ".join(f"<code>{_escape(value)}</code>" for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "array of " + _schema_text(schema.get("items", {}))
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return "object of " + _schema_text(schema["additionalProperties"])
    text = _escape(kind)
    if "format" in schema:
        text += f" ({_escape(schema['format'])})"
    if "pattern" in schema:
        text += f" matching <code>{_escape(schema['pattern'])}</code>"
    return text


def _table(caption: str, head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; cells are HTML already escaped by the caller."""
    lines = [f"<table><caption>{_escape(caption)}</caption>"]
    lines.append("<tr>" + "".join(f"<th>{_escape(cell)}</th>" for cell in head) + "</tr>")
    lines.extend("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    lines.append("</table>")
    return "\n".join(lines)


def _bodies(response: Mapping[str, Any]) -> str:
    bodies = [
        f"<code>{_escape(media_type)}</code>: {_schema_text(content.get('schema', {}))}"
        for media_type, content in response.get("content", {}).items()
    ]
    return "<br>".join(bodies) or "none"


def _response_rows(responses: Mapping[str, Any]) -> Iterator[list[str]]:
    for status, response in responses.items():
        headers = ", ".join(f"<code>{_escape(name)}</code>" for name in response.get("headers", {}))
        yield [
            f"<code>{_escape(status)}</code>",
            _escape(response["description"]),
            _bodies(response),
            headers,
        ]


def _operation_section(path: str, method: str, operation: Mapping[str, Any]) -> str:
    parts = [
        f'<section id="{_escape(operation["operationId"])}">',
        f"<h3><code>{_escape(method.upper())} {_escape(path)}</code></h3>",
        f"<p>{_escape(operation.get('summary', ''))}</p>",
    ]
    if operation.get("description"):
        parts.append(f"<p>{_escape(operation['description'])}</p>")
    parameters = operation.get("parameters", [])
    if parameters:
        rows = (
            [
                f"<code>{_escape(p['name'])}</code>",
                _escape(p["in"]),
                "yes" if p.get("required") else "no",
                _schema_text(p.get("schema", {})),
                _escape(p.get("description", "")),
            ]
            for p in parameters
        )
        parts.append(_table("Parameters", ("name", "in", "required", "value", "meaning"), rows))
    responses = _response_rows(operation["responses"])
    parts.append(_table("Responses", ("status", "meaning", "body", "headers"), responses))
    parts.append("</section>")
    return "\n".join(parts)


def _model_section(name: str, schema: Mapping[str, Any]) -> str:
    parts = [f'<section id="model-{_escape(name)}">', f"<h3>{_escape(name)}</h3>"]
    if schema.get("description"):
        parts.append(f"<p>{_escape(schema['description'])}</p>")
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    if properties:
        rows = (
            [
                f"<code>{_escape(key)}</code>",
                _schema_text(value),
                "yes" if key in required else "no",
                _escape(value.get("description", "")),
            ]
            for key, value in properties.items()
        )
        parts.append(_table("Fields", ("field", "type", "always", "meaning"), rows))
    else:
        parts.append(f"<p>{_schema_text(schema)}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def render_docs(document: Mapping[str, Any]) -> str:
    """A static HTML page describing ``document``: no script, every text escaped."""
    info = document["info"]
    title = f"{info['title']} {info['version']}"
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    index = "\n".join(
        f'<li><a href="#{_escape(op["operationId"])}"><code>{_escape(method.upper())} '
        f"{_escape(path)}</code></a>: {_escape(op.get('summary', ''))}</li>"
        for path, method, op in operations
    )
    errors = document["components"]["responses"]
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            '<head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_escape(title)}: HTTP API</title></head>",
            "<body>",
            f"<h1>{_escape(title)}: HTTP API</h1>",
            f"<p>{_escape(info.get('summary', ''))}</p>",
            f"<p>{_escape(info.get('description', ''))}</p>",
            '<p>The same, machine-readable: <a href="openapi.json">openapi.json</a>'
            f" (OpenAPI {_escape(document['openapi'])}).</p>",
            "<h2>Endpoints</h2>",
            f"<ul>\n{index}\n</ul>",
            *(_operation_section(path, method, op) for path, method, op in operations),
            "<h2>Errors</h2>",
            _table(
                "Every error",
                ("answer", "meaning", "body"),
                (
                    [_escape(name), _escape(error["description"]), _bodies(error)]
                    for name, error in errors.items()
                ),
            ),
            "<h2>Models</h2>",
            *(
                _model_section(name, schema)
                for name, schema in document["components"]["schemas"].items()
            ),
            "</body>",
            "</html>",
            "",
        ]
    )


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
                "ETag": f'"{hashlib.sha256(body).hexdigest()[:24]}"',
                "Cache-Control": ASSET_CACHE_CONTROL,
                **security_headers(settings, page=page),
            },
        )


@dataclass
class _Pages:
    """The prepared answers, built at start-up and again when the settings are reloaded."""

    settings: Settings
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
    app: web.Application, settings: Settings, endpoints: Sequence[Endpoint] = ()
) -> None:
    """Serve ``GET /openapi.json`` and ``GET /docs``, describing everything registered.

    The document is built when the app starts, from ``endpoints`` and whatever
    :func:`register` added until then.
    """
    register(app, *endpoints, *OWN_ENDPOINTS)
    app[_PAGES_KEY] = _Pages(settings)
    app.on_startup.append(_publish)
    app.router.add_get("/openapi.json", _handler("openapi.json"))
    app.router.add_get("/docs", _handler("docs"))


async def _publish(app: web.Application) -> None:
    republish(app, app[_PAGES_KEY].settings)


def republish(app: web.Application, settings: Settings) -> dict[str, Any]:
    """Build the document and the page again for ``settings`` (after a reload); return it."""
    endpoints: list[Endpoint] = app[ENDPOINTS_KEY]
    document = openapi_document(settings, endpoints, version=__version__)
    text = json.dumps(document, ensure_ascii=False, indent=1)
    docs = render_docs(document)
    pages = app[_PAGES_KEY]
    pages.by_name = {
        "openapi.json": _Page.of(text.encode(), "application/json", settings, page=False),
        "docs": _Page.of(docs.encode(), "text/html; charset=utf-8", settings, page=True),
    }
    pages.settings = settings
    return document


def _handler(name: str) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        pages = request.app[_PAGES_KEY]
        if request.query_string:
            return _unknown_parameter(request, pages.settings)
        page = pages.by_name[name]
        etag = page.headers["ETag"]
        tags = _tags(request.headers.get("If-None-Match"))
        if etag in tags or "*" in tags:
            return web.Response(
                status=304, headers={"ETag": etag, "Cache-Control": page.headers["Cache-Control"]}
            )
        return web.Response(body=page.body, headers=page.headers)

    handler.__name__ = f"get_{name.replace('.', '_')}"
    return handler


def _tags(if_none_match: str | None) -> set[str]:
    """The ETags in an If-None-Match header, compared weakly as for GET."""
    if not if_none_match:
        return set()
    return {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}


def _unknown_parameter(request: web.Request, settings: Settings) -> web.Response:
    name = next(iter(request.query), request.query_string)
    body = ErrorBody(
        error="bad_request", message=f"unknown parameter {name!r}", parameter=name, allowed=[]
    )
    return web.Response(
        body=body.model_dump_json().encode(),
        status=400,
        content_type="application/json",
        headers={**security_headers(settings, page=False), "Cache-Control": "no-store"},
    )
