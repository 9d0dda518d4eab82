"""The OpenAPI document and the docs page: valid, complete, and true of the live service.

The app is built as ``ticker serve`` builds it: ``create_app`` then ``add_openapi``;
requests go through the same fast path as in ``ticker._serving.app.serve``.
Schemathesis is driven through its Python API, one hypothesis run per documented
operation, against the app on 127.0.0.1; and through its command line, with every
check it has, against a real ``ticker serve`` process fed by fake upstreams.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import re
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from pydantic import BaseModel
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, positive_data_acceptance
from schemathesis.errors import FailureGroup
from schemathesis.openapi.checks import UndefinedContentType

from ticker import RateItem, RatesHalf, Strip, WeatherHalf, WeatherItem, build_sources, create_app
from ticker._languages import language_tag
from ticker._models import Attribution, Direction
from ticker._serving.app import fast_path
from ticker._serving.catalogue import BY_PATH, THEMES
from ticker._serving.convert_routes import CONVERT_ENDPOINTS
from ticker._serving.history_routes import HISTORY_ENDPOINTS
from ticker._serving.landing import LANDING_ENDPOINT
from ticker._serving.openapi import (
    OWN_ENDPOINTS,
    SCHEMA_REF,
    Endpoint,
    Parameter,
    Response,
    default_endpoints,
    openapi_document,
    register,
    republish,
)
from ticker._serving.responses import DATA_CSP, WIDGET_CSP
from ticker._serving.routes import OPERATIONS_ENDPOINTS, not_found
from ticker._strip.docs_page import render_docs
from ticker._version import __version__
from ticker._wire import Conversion, ErrorBody, HealthBody

from ._running import poll_strip, running_service
from .conftest import FIXTURES, NOW, make_settings

OFFLINE_YAML = Path(__file__).parent.parent / "examples" / "offline.yaml"
ENDPOINTS = [*default_endpoints(), *OWN_ENDPOINTS]
DOCUMENTED = [endpoint.path for endpoint in ENDPOINTS]

#: Routes their owners describe (with ``register``) once this module is wired in.
AWAITING_DESCRIPTION: tuple[str, ...] = ()

#: Operations whose parameters obey rules a schema cannot say: a schema-valid request
#: may get a 400 there, so positive_data_acceptance is not checked.
CROSS_PARAMETER_RULES = {
    "/v1/rates/{code}/history": "from <= to, to - from within history.retention, and both"
    " in the window that moves with today",
    "/v1/audit": "at in the window that moves with today (history.retention to a year ahead)",
    "/v1/convert": "date in the window that moves with today, with a publication of each"
    " currency of the pair",
}

#: Bounded fuzzing: each operation gets this many generated requests per mode.
EXAMPLES_PER_OPERATION = 30

MODELS: list[type[BaseModel]] = [
    Strip, RatesHalf, WeatherHalf, RateItem, WeatherItem, Attribution, ErrorBody, HealthBody,
]  # fmt: skip


def build_app(settings, **collaborators) -> web.Application:
    """The service, which serves its own OpenAPI document."""
    return create_app(settings, **collaborators)


@pytest.fixture
def document(settings) -> dict[str, Any]:
    """The document of the service's own endpoints for the reference settings."""
    return openapi_document(settings, ENDPOINTS, version=__version__)


@pytest.fixture
def convert_document(settings) -> dict[str, Any]:
    """The document of /v1/convert for the reference settings."""
    return openapi_document(settings, CONVERT_ENDPOINTS, version=__version__)


@pytest.fixture
async def client(aiohttp_client, settings, filled_store):
    """The app with its OpenAPI routes, serving the reference values at a frozen time."""
    return await aiohttp_client(build_app(settings, store=filled_store, clock=lambda: NOW))


def _app_paths(app: web.Application) -> set[str]:
    return {
        route.resource.canonical
        for route in app.router.routes()
        if route.resource is not None and route.handler is not not_found
    }


# --- the document ---------------------------------------------------------------------------


def test_document_is_valid_openapi_3_1(document):
    """Schemathesis's OpenAPI 3.1 meta-schema accepts the document."""
    assert document["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(document).validate()


def test_validation_catches_a_broken_document(document):
    """The validation above is not a formality: a malformed response is rejected."""
    document["paths"]["/v1/strip"]["get"]["responses"]["200"]["content"] = "JSON"
    with pytest.raises(jsonschema_rs.ValidationError, match="is not of type"):
        schemathesis.openapi.from_dict(document).validate()


def test_schemas_are_the_models_own(document):
    """Every response model is in components/schemas exactly as pydantic describes it."""
    schemas = document["components"]["schemas"]
    for model in MODELS:
        own = model.model_json_schema(mode="serialization", ref_template=SCHEMA_REF)
        own.pop("$defs", None)
        assert schemas[model.__name__] == own, model.__name__
    assert schemas["Direction"]["enum"] == [direction.value for direction in Direction]


@pytest.mark.parametrize(
    ("path", "model"),
    [("/v1/strip", "Strip"), ("/v1/rates", "RatesHalf"), ("/v1/weather", "WeatherHalf"),
     ("/healthz", "HealthBody")],
)  # fmt: skip
def test_json_endpoints_answer_their_model(document, path, model):
    """Each JSON endpoint's 200 refers to its model's schema."""
    content = document["paths"][path]["get"]["responses"]["200"]["content"]
    assert list(content) == ["application/json"]
    assert content["application/json"]["schema"] == {"$ref": SCHEMA_REF.format(model=model)}


@pytest.mark.parametrize(
    ("path", "media_type"),
    [("/v1/strip.txt", "text/plain"), ("/widget", "text/html"), ("/widget/frame", "text/html"),
     ("/widget.js", "text/javascript"), ("/widget.mjs", "text/javascript"),
     ("/widget.css", "text/css"), ("/docs", "text/html"),
     ("/openapi.json", "application/json"), ("/v1/strip.svg", "image/svg+xml"),
     ("/v1/strip.png", "image/png"), ("/v1/card.svg", "image/svg+xml"),
     ("/v1/card.png", "image/png")],
)  # fmt: skip
def test_other_endpoints_answer_their_media_type(document, path, media_type):
    """Text, pages, the script, the stylesheet and the document have their media types."""
    content = document["paths"][path]["get"]["responses"]["200"]["content"]
    assert list(content) == [media_type]


@pytest.mark.parametrize("path", list(BY_PATH))
def test_strip_endpoints_document_caching_and_errors(document, path):
    """A strip endpoint: 200 with ETag, Cache-Control, Vary and Content-Language; 304; 400;
    an image's 503 when it cannot be made."""
    responses = document["paths"][path]["get"]["responses"]
    images = {"503"} if BY_PATH[path].lazy else set()
    assert set(responses) == {"200", "304", "400"} | images
    assert set(responses["200"]["headers"]) == {"ETag", "Cache-Control", "Vary", "Content-Language"}
    assert "content" not in responses["304"]
    error = responses["400"]["content"]["application/json"]["schema"]
    assert error == {"$ref": SCHEMA_REF.format(model="ErrorBody")}


def test_every_error_answer_is_an_error_body(document):
    """400 on every endpoint that takes a query, and the catch-all's 404 and 405: ErrorBody."""
    error = {"$ref": SCHEMA_REF.format(model="ErrorBody")}
    errors = [
        operation["responses"]["400"]
        for item in document["paths"].values()
        for operation in item.values()
        if "400" in operation["responses"]
    ]
    errors += document["components"]["responses"].values()
    assert len(errors) == len(DOCUMENTED) - 1 + 3  # all but /healthz, and 400, 404, 405
    assert all(e["content"] == {"application/json": {"schema": error}} for e in errors)


def test_parameters_list_what_the_service_accepts(settings, document):
    """lang lists the configured languages' tags and theme the themes, as the catalogue allows."""
    for path, form in BY_PATH.items():
        allowed = form.parameters
        parameters = document["paths"][path]["get"]["parameters"]
        query = {p["name"]: p["schema"] for p in parameters if p["in"] == "query"}
        assert list(query) == list(allowed)
        tags = [language_tag(lang) for lang in settings.languages]
        assert query["lang"]["anyOf"][0]["enum"] == tags
        if "theme" in query:
            assert query["theme"]["enum"] == list(THEMES)


def test_convert_documents_its_parameters_and_answers(convert_document):
    """/v1/convert: the codes in the enum, the amount's pattern, the date, 200/304/400/503."""
    operation = convert_document["paths"]["/v1/convert"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert [name for name, p in parameters.items() if p["required"]] == ["from", "to", "amount"]
    codes = ["KZT", "USD", "EUR", "RUB", "CNY"]
    assert parameters["from"]["schema"]["anyOf"][0]["enum"] == codes
    assert parameters["to"]["schema"] == parameters["from"]["schema"]
    case_free = re.compile(parameters["from"]["schema"]["anyOf"][1]["pattern"])
    assert case_free.fullmatch("uSd")
    assert not case_free.fullmatch("GBP")
    amount = re.compile(parameters["amount"]["schema"]["pattern"])
    assert amount.fullmatch("12.50")
    assert not amount.fullmatch("1e3")
    assert parameters["date"]["schema"] == {"type": "string", "format": "date"}
    responses = operation["responses"]
    assert set(responses) == {"200", "304", "400", "503"}
    assert set(responses["200"]["headers"]) == {"ETag", "Cache-Control"}
    answer = responses["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": SCHEMA_REF.format(model="Conversion")}
    own = Conversion.model_json_schema(mode="serialization", ref_template=SCHEMA_REF)
    assert convert_document["components"]["schemas"]["Conversion"] == own
    assert own["properties"]["result"]["type"] == "string"
    for status in ("400", "503"):
        error = responses[status]["content"]["application/json"]["schema"]
        assert error == {"$ref": SCHEMA_REF.format(model="ErrorBody")}


def test_convert_lists_the_codes_of_the_settings_in_force(settings):
    """A hidden currency leaves the enum; the base leads it."""
    hidden = settings.model_copy(
        update={"editorial": settings.editorial.model_copy(update={"hide": ["RUB"]})}
    )
    document = openapi_document(hidden, CONVERT_ENDPOINTS, version=__version__)
    parameter = document["paths"]["/v1/convert"]["get"]["parameters"][0]
    assert parameter["schema"]["anyOf"][0]["enum"] == ["KZT", "USD", "EUR", "CNY"]


def test_describing_a_path_twice_is_refused(settings):
    """Two descriptions of one path would silently hide one: refused."""
    with pytest.raises(ValueError, match="described twice"):
        openapi_document(settings, [*ENDPOINTS, ENDPOINTS[0]], version="1")


def test_a_path_parameter_must_be_required():
    """OpenAPI requires path parameters; an optional one is refused when described."""
    with pytest.raises(ValueError, match="must be required"):
        Parameter("code", "A currency.", in_="path")


# --- serving ---------------------------------------------------------------------------------


async def test_every_route_is_described(client):
    """Every route of the app but the catch-all is in the served document."""
    served = await (await client.get("/openapi.json")).json()
    undescribed = _app_paths(client.app) - set(served["paths"])
    assert undescribed <= set(AWAITING_DESCRIPTION)
    assert set(served["paths"]) <= _app_paths(client.app)


async def test_document_is_served_once_with_an_etag(client, settings):
    """/openapi.json is the built document, cacheable, revalidated with its ETag."""
    response = await client.get("/openapi.json")
    endpoints = [
        *HISTORY_ENDPOINTS, *CONVERT_ENDPOINTS, LANDING_ENDPOINT, *default_endpoints(),
        *OPERATIONS_ENDPOINTS, *OWN_ENDPOINTS,
    ]  # fmt: skip
    assert await response.json() == openapi_document(settings, endpoints, version=__version__)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == DATA_CSP
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    etag = response.headers["ETag"]
    again = await client.get("/openapi.json", headers={"If-None-Match": f'W/{etag}, "other"'})
    assert again.status == 304
    assert again.headers["ETag"] == etag


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
async def test_a_query_is_a_bad_request(client, path):
    """Like the script and stylesheet, the document and page take no parameters."""
    response = await client.get(path, params={"lang": "ru"})
    assert response.status == 400
    assert response.headers["Cache-Control"] == "no-store"
    body = ErrorBody.model_validate_json(await response.read())
    assert (body.error, body.parameter, body.allowed) == ("bad_request", "lang", [])


async def test_docs_page_lists_every_endpoint(client):
    """/docs names every path, its parameters and models, links the document, runs no script."""
    response = await client.get("/docs")
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.headers["Content-Security-Policy"] == WIDGET_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = await response.text()
    for endpoint in ENDPOINTS:
        assert f"<code>GET {html.escape(endpoint.path)}</code>" in page
        for parameter in endpoint.parameters:
            assert f"<code>{html.escape(parameter.name)}</code>" in page
    for model in MODELS:
        assert f'id="model-{model.__name__}"' in page
    assert '<a href="openapi.json">' in page
    assert "<script" not in page
    # Nothing is loaded or linked from elsewhere (the curl lines name the service as text).
    assert not re.search(r"""(?:href|src)=["']?(?:https?:)?//""", page)


def test_docs_page_escapes_everything(settings):
    """Text from descriptions, paths and enums reaches the page only escaped."""
    evil = '<script>alert("x")</script>'
    endpoint = Endpoint(
        f"/v1/{evil}",
        f"Summary {evil}",
        {200: Response(f"Answer {evil}", media_type="text/plain", schema={"enum": [evil]})},
        (Parameter("q", f"Means {evil}", {"pattern": evil}),),
        f"Description {evil}",
    )
    page = render_docs(openapi_document(settings, [endpoint], version=evil))
    assert "<script" not in page
    assert page.count(html.escape(evil)) >= 6


async def test_registered_endpoints_are_described(aiohttp_client, settings, filled_store):
    """An endpoint registered before the app starts is in the document; after, it is refused."""
    app = build_app(settings, store=filled_store, clock=lambda: NOW)

    async def extra(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/v1/extra", extra)
    register(app, Endpoint("/v1/extra", "An extra endpoint.", {200: Response("OK", HealthBody)}))
    client = await aiohttp_client(app)
    served = await (await client.get("/openapi.json")).json()
    assert served["paths"]["/v1/extra"]["get"]["summary"] == "An extra endpoint."
    with pytest.raises(RuntimeError, match="register endpoints before"):
        register(app, Endpoint("/v1/late", "Too late.", {200: Response("OK")}))


async def test_republish_follows_reloaded_settings(client):
    """After a reload the document lists the new languages under a new ETag."""
    before = await client.get("/openapi.json")
    republish(client.app, make_settings().model_copy(update={"languages": ["kk", "ru"]}))
    after = await client.get("/openapi.json")
    assert after.headers["ETag"] != before.headers["ETag"]
    parameters = (await after.json())["paths"]["/v1/strip"]["get"]["parameters"]
    assert parameters[0]["schema"]["anyOf"][0]["enum"] == ["kk", "ru"]


async def test_errors_match_error_body(client):
    """The service's real 400, 404 and 405 bodies are ErrorBody."""
    for method, path, status in [
        ("GET", "/v1/strip?lang=fr", 400),
        ("GET", "/nowhere", 404),
        ("POST", "/v1/strip", 405),
        ("DELETE", "/openapi.json", 405),
    ]:
        response = await client.request(method, path)
        assert response.status == status, (method, path)
        ErrorBody.model_validate_json(await response.read())


async def test_a_405_names_the_allowed_methods_in_allow(client):
    """Another method on a documented endpoint is a 405 whose Allow header lists GET and HEAD."""
    for path in DOCUMENTED:
        response = await client.post(path)
        assert response.status == 405
        assert response.headers.get("Allow") == "GET, HEAD", path


# --- schemathesis against the live app -------------------------------------------------------


@pytest.fixture(params=["filled", "empty"])
async def live(request, aiohttp_server, tmp_path, store) -> str:
    """The app on 127.0.0.1 behind the fast path: filled by the offline sources, or empty."""
    if request.param == "filled":
        settings = make_settings(OFFLINE_YAML.read_text(encoding="utf-8"))
        cache = settings.cache.model_copy(update={"path": tmp_path / "offline-cache"})
        settings = settings.model_copy(update={"cache": cache})
        app = build_app(settings, sources=build_sources(settings))
    else:
        app = build_app(make_settings(), store=store)
    server = await aiohttp_server(app, host="127.0.0.1")
    runner = server.runner
    assert runner is not None
    assert runner.server is not None
    runner.server.request_handler = fast_path(app, runner.server.request_handler)
    url = str(server.make_url("")).rstrip("/")
    await poll_strip(url, until_complete=request.param == "filled")
    return url


def _served_document(base_url: str) -> dict[str, Any]:
    with requests.get(f"{base_url}/openapi.json", timeout=10) as response:
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document


def _fuzz(base_url: str, document: dict[str, Any], path: str) -> None:
    """Run schemathesis's default checks on ``GET path``, positive and, if it can, negative."""
    # Loaded from the served dict: from_url would skip the document's own operation.
    operation = schemathesis.openapi.from_dict(document)[path]["GET"]
    described = document["paths"][path]["get"]
    # Headers are any string, so only a query or path parameter can be made invalid.
    negatable = any(p["in"] in ("query", "path") for p in described.get("parameters", []))
    modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if negatable else [])
    excluded = []
    if any(int(status) >= 500 for status in described["responses"]):
        excluded.append(not_a_server_error)  # a documented 503 (readiness) is no crash
    if path in CROSS_PARAMETER_RULES:
        excluded.append(positive_data_acceptance)
    with requests.Session() as session:
        for mode in modes:

            @hypothesis_settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case: schemathesis.Case) -> None:
                response = case.call(base_url=base_url, session=session, timeout=10)
                case.validate_response(response, excluded_checks=excluded)

            check()


@pytest.mark.slow
async def test_schemathesis_finds_no_failures(live):
    """Generated requests to every operation the live app documents get answers it allows."""
    document = await asyncio.to_thread(_served_document, live)
    failures = {}
    for path in document["paths"]:
        try:
            await asyncio.to_thread(_fuzz, live, document, path)
        except FailureGroup as found:
            failures[path] = str(found)
    assert set(document["paths"]) >= set(DOCUMENTED)
    assert not failures, "\n\n".join(f"GET {path}: {text}" for path, text in failures.items())


@pytest.mark.slow
async def test_schemathesis_catches_a_wrong_description(aiohttp_server, settings, filled_store):
    """The run above is not vacuous: the text strip described as JSON fails the run."""
    server = await aiohttp_server(build_app(settings, store=filled_store, clock=lambda: NOW))
    url = str(server.make_url("")).rstrip("/")
    document = await asyncio.to_thread(_served_document, url)
    answer = document["paths"]["/v1/strip.txt"]["get"]["responses"]["200"]
    answer["content"] = {"application/json": {"schema": {"$ref": SCHEMA_REF.format(model="Strip")}}}
    with pytest.raises(FailureGroup) as found:
        await asyncio.to_thread(_fuzz, url, document, "/v1/strip.txt")
    assert [type(failure) for failure in found.value.exceptions] == [UndefinedContentType]


def test_document_is_plain_json(document):
    """The document survives a JSON round trip unchanged (no sets, tuples or models in it)."""
    assert json.loads(json.dumps(document)) == document


# --- every schemathesis check against the running service ------------------------------------

#: The live run's configuration.  Every check is on (``--checks all``), for positive and
#: negative data; each exception is a rule the OpenAPI schema cannot state, not a defect.
LIVE_RUN_CONFIG = """
[[operations]]
# from <= to, to - from within the retention, and both dates in a window that moves
# with today (from the oldest date kept to a year ahead): a schema-valid range may be
# refused with a 400 naming the parameter, as the parameters' descriptions say.
include-name = "GET /v1/rates/{code}/history"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx",
]

[[operations]]
# at in the same moving window: a schema-valid date-time of the year 1 or 9999 is a 400.
include-name = "GET /v1/audit"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx",
]

[[operations]]
# date in the same moving window, and a date needs a publication of each currency of
# the pair: a schema-valid date may be refused with a 400 naming date.
include-name = "GET /v1/convert"
checks.positive_data_acceptance.expected-statuses = [
    "2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx",
]
"""
#: Bounds of the live run: generated cases per operation and mode, and a hard deadline.
LIVE_RUN_EXAMPLES = 40
LIVE_RUN_SECONDS = 90
LIVE_CONFIG = """
cache: {{path: {cache}}}
languages: [en, ru, kk]
rates:
  currencies: [USD, EUR, RUB, CNY, UZS]
  refresh: 1h
  sources: [{{adapter: nbk, url: "{upstream}/rss/", timeout: 2s, retries: 0}}]
weather:
  refresh: 15m
  cities:
    - {{id: astana, name: {{en: Astana, ru: Астана, kk: Астана}}, latitude: 51.1694,
       longitude: 71.4491, timezone: Asia/Almaty}}
  sources: [{{adapter: open-meteo, url: "{upstream}/", timeout: 2s, retries: 0}}]
"""
ASTANA = zoneinfo.ZoneInfo("Asia/Almaty")


def _dated_today(fixture: str) -> bytes:
    """A fixture whose publication dates and observation time are today's, in Astana."""
    now = dt.datetime.now(ASTANA)
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    text = text.replace("28.11.2026", now.strftime("%d.%m.%Y"))
    observed = now.replace(minute=now.minute - now.minute % 15)
    text = re.sub(r"2026-11-28T\d\d:\d\d", observed.strftime("%Y-%m-%dT%H:%M"), text)
    return text.replace("2026-11-28", now.date().isoformat()).encode()


@pytest.fixture
async def upstreams(aiohttp_server) -> str:
    """The National Bank and Open-Meteo on 127.0.0.1, publishing today's fixtures."""
    rates, forecast = _dated_today("nbk_rates_all.xml"), _dated_today("open_meteo_astana.json")

    async def nbk(request: web.Request) -> web.Response:
        return web.Response(body=rates, content_type="application/xml")

    async def meteo(request: web.Request) -> web.Response:
        return web.Response(body=forecast, content_type="application/json")

    app = web.Application()
    app.router.add_get("/rss/rates_all.xml", nbk)
    app.router.add_get("/v1/forecast", meteo)
    server = await aiohttp_server(app, host="127.0.0.1")
    return str(server.make_url("")).rstrip("/")


@pytest.mark.slow
async def test_every_schemathesis_check_passes_against_the_running_service(tmp_path, upstreams):
    """``st run --checks all --mode all`` on a real ``ticker serve`` finds no failure."""
    config = tmp_path / "ticker.yaml"
    config.write_text(LIVE_CONFIG.format(cache=tmp_path / "cache", upstream=upstreams))
    checks = tmp_path / "schemathesis.toml"
    checks.write_text(LIVE_RUN_CONFIG, encoding="utf-8")
    async with running_service(config) as service:
        await poll_strip(service.url)  # every item has its value: /readyz is a 200
        run = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "schemathesis.cli", "--config-file", str(checks), "run",
            f"{service.url}/openapi.json", "--checks", "all", "--mode", "all",
            "--max-examples", str(LIVE_RUN_EXAMPLES), "--seed", "20261128",
            "--request-timeout", "5", "--generation-database", "none", "--no-color",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
        try:
            output, _ = await asyncio.wait_for(run.communicate(), LIVE_RUN_SECONDS)
        finally:
            if run.returncode is None:
                run.kill()
                await run.wait()
        log = service.log()
    text = output.decode("utf-8", "replace")
    assert run.returncode == 0, text
    assert "Traceback" not in log, log
    operations = re.search(r"Operations:\s+([0-9]+) selected / ([0-9]+) total", text)
    assert operations, text
    assert operations[1] == operations[2]
    assert int(operations[1]) >= len(DOCUMENTED), text
