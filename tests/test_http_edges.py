"""The HTTP edges a hostile or careless client reaches: dates, encodings, CORS, methods, JSON.

Every answer is asked of the real app, routed and through the fast path that
``ticker serve`` puts in front of the router, at the frozen reference time
(2026-11-28 15:00 in Astana; the default retention of 400 days keeps dates from
2025-10-24).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import logging

import brotli
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from ticker import create_app
from ticker._serving.app import fast_path
from ticker._serving.history_routes import HISTORY_KEY, date_window
from ticker._serving.openapi import Endpoint, Response, register, republish
from ticker._serving.responses import escape_json, json_answer, preferred_codings
from ticker._serving.routes import LIVE_KEY
from ticker._wire import ErrorBody

from .conftest import NOW, SETTINGS_YAML, make_settings, rate

TODAY = dt.date(2026, 11, 28)
#: The oldest date the default retention (400 days) keeps.
OLDEST_KEPT = TODAY - dt.timedelta(days=400)
ORIGIN = "https://news.example"
#: Every path the service answers, a path parameter filled in.
PATHS = [
    "/v1/strip", "/v1/strip.txt", "/v1/rates", "/v1/weather", "/widget", "/widget/frame",
    "/widget.js", "/widget.css", "/openapi.json", "/docs", "/healthz", "/readyz", "/metrics",
    "/v1/rates/USD/history", "/v1/audit",
]  # fmt: skip


async def _serve(aiohttp_server, aiohttp_client, app: web.Application, *, fast: bool):
    """A client of ``app`` on 127.0.0.1, behind the fast path when ``fast``."""
    server = await aiohttp_server(app, host="127.0.0.1")
    if fast:
        assert server.runner is not None
        assert server.runner.server is not None
        handler = server.runner.server.request_handler
        server.runner.server.request_handler = fast_path(app, handler)
    return await aiohttp_client(server)


@pytest.fixture(params=["routed", "fast-path"])
def fast(request) -> bool:
    """Answers the fast path could give are checked routed and through it."""
    return request.param == "fast-path"


@pytest.fixture
async def client(aiohttp_client, settings, filled_store):
    """The reference deployment, any origin allowed (the default), routed."""
    return await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))


@pytest.fixture
async def both(aiohttp_server, aiohttp_client, settings, filled_store, fast):
    """The reference deployment, routed and behind the fast path."""
    app = create_app(settings, store=filled_store, clock=lambda: NOW)
    return await _serve(aiohttp_server, aiohttp_client, app, fast=fast)


@pytest.fixture
async def listed(aiohttp_server, aiohttp_client, filled_store, fast):
    """The reference deployment readable from one origin only."""
    settings = make_settings(SETTINGS_YAML + f"server: {{cors_origins: [{ORIGIN!r}]}}\n")
    app = create_app(settings, store=filled_store, clock=lambda: NOW)
    return await _serve(aiohttp_server, aiohttp_client, app, fast=fast)


def _no_traceback(caplog) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


# -- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("to=0001-01-01", "to"),
        ("to=9999-12-31", "to"),
        ("to=1999-12-31", "to"),
        ("from=2025-01-01&to=2025-11-01", "from"),
        (f"to={TODAY + dt.timedelta(days=367)}", "to"),
        (f"from={OLDEST_KEPT - dt.timedelta(days=1)}&to={OLDEST_KEPT}", "from"),
        ("from=0001-01-01&to=0001-01-05", "to"),
    ],
    ids=["year-1", "year-9999", "before-2000", "beyond-retention", "over-a-year-ahead",
         "a-day-beyond-retention", "both-in-year-1"],
)  # fmt: skip
async def test_a_history_date_outside_the_window_is_a_bad_request(client, caplog, query, parameter):
    """A date before the retention or 2000, or over a year ahead, is a 400 naming it."""
    response = await client.get(f"/v1/rates/USD/history?{query}")
    assert response.status == 400
    body = ErrorBody.model_validate_json(await response.read())
    assert (body.error, body.parameter) == ("bad_request", parameter)
    assert "400d" in body.message
    assert body.allowed == [f"{OLDEST_KEPT} to {TODAY + dt.timedelta(days=366)}"]
    _no_traceback(caplog)


async def test_the_whole_window_is_served(client):
    """From the oldest date kept to a year ahead is one range as long as the retention allows."""
    start = OLDEST_KEPT.isoformat()
    assert (await client.get(f"/v1/rates/USD/history?from={start}&to={TODAY}")).status == 200
    ahead = TODAY + dt.timedelta(days=366)
    assert (await client.get(f"/v1/rates/USD/history?from={TODAY}&to={ahead}")).status == 200


async def test_a_default_from_stays_in_the_window(client):
    """Without ``from``, the 30 days before ``to`` begin no earlier than the oldest date kept."""
    end = OLDEST_KEPT + dt.timedelta(days=5)
    body = await (await client.get(f"/v1/rates/USD/history?to={end}")).json()
    assert (body["from"], body["to"]) == (OLDEST_KEPT.isoformat(), end.isoformat())


@pytest.mark.parametrize(
    "retention", ["36500d", "999999d"], ids=["a-century", "beyond-the-calendar"]
)
async def test_no_date_before_2000_whatever_the_retention(aiohttp_client, filled_store, retention):
    """A retention longer than the service has existed still serves nothing before 2000."""
    settings = make_settings(SETTINGS_YAML + f"history: {{retention: {retention}}}\n")
    client = await aiohttp_client(create_app(settings, store=filled_store, clock=lambda: NOW))
    assert date_window(TODAY, settings.history.retention)[0] == dt.date(2000, 1, 1)
    early = await client.get("/v1/rates/USD/history?from=1999-12-31&to=2000-01-30")
    assert (early.status, (await early.json())["parameter"]) == (400, "from")
    first = await client.get("/v1/rates/USD/history?from=2000-01-01&to=2000-01-30")
    assert first.status == 200


async def test_history_in_the_window_is_served(client):
    """The window refuses nothing the history holds: a publication kept is answered."""
    history = client.app[HISTORY_KEY]
    history.record([rate("USD", "440.00", date=OLDEST_KEPT + dt.timedelta(days=1))])
    body = await (await client.get(f"/v1/rates/USD/history?from={OLDEST_KEPT}&to={TODAY}")).json()
    assert [point["published"] for point in body["points"]] == ["440.00"]


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00Z",
        "2020-01-01T00:00:00Z",
        "2028-01-01T00:00:00Z",
        "20261128T100000Z",
        "2026-W48-6T10:00:00Z",
        "2026-11-28x10:00:00Z",
    ],
    ids=["year-1-east", "year-9999-west", "year-1-utc", "beyond-retention", "over-a-year-ahead",
         "basic-format", "week-date", "any-separator"],
)  # fmt: skip
async def test_an_audit_moment_outside_the_window_is_a_bad_request(client, caplog, at):
    """A moment whose UTC time overflows, or outside the window, or not RFC 3339, is a 400."""
    response = await client.get("/v1/audit", params={"at": at})
    assert response.status == 400
    body = ErrorBody.model_validate_json(await response.read())
    assert (body.error, body.parameter) == ("bad_request", "at")
    _no_traceback(caplog)


@pytest.mark.parametrize(
    "at",
    ["2026-11-28T15:00:00+05:00", "2026-11-28t10:00:00z", "2026-11-28T10:00Z",
     "2025-10-24T00:00:00Z", "2027-11-29T10:00:00Z"],
    ids=["offset", "lower-case", "no-seconds", "oldest-kept", "a-year-ahead"],
)  # fmt: skip
async def test_an_audit_moment_in_the_window_is_answered(client, at):
    """RFC 3339 moments from the oldest day kept to a year ahead are answered."""
    assert (await client.get("/v1/audit", params={"at": at})).status == 200


async def test_the_openapi_document_states_the_window(client):
    """from, to and at describe the window with the retention in force, also after a reload."""
    document = await (await client.get("/openapi.json")).json()

    def descriptions(doc) -> list[str]:
        return [
            parameter["description"]
            for path in ("/v1/rates/{code}/history", "/v1/audit")
            for parameter in doc["paths"][path]["get"]["parameters"]
            if parameter["name"] in ("from", "to", "at")
        ]

    assert len(descriptions(document)) == 3
    assert all("400d" in text and "2000-01-01" in text for text in descriptions(document))
    shorter = make_settings(SETTINGS_YAML + "history: {retention: 30d}\n")
    assert all("30d" in text for text in descriptions(republish(client.app, shorter)))


# -- Accept-Encoding --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "codings"),
    [
        (None, ("identity",)),
        ("", ("identity",)),
        ("gzip", ("gzip", "identity")),
        ("gzip, deflate, br", ("br", "gzip", "identity")),
        ("br;q=0.9, gzip;q=0.8", ("br", "gzip", "identity")),
        ("gzip;q=0.9, br;q=0.8", ("gzip", "br", "identity")),
        ("xgzipx", ("identity",)),
        ("x-gzip, brotli", ("identity",)),
        ("GZIP;Q=0.5, Br;q=0.4", ("gzip", "br", "identity")),
        ("br;q=0, gzip", ("gzip", "identity")),
        ("br; q=0.000, gzip ; q = 0.5", ("gzip", "identity")),
        ("*", ("br", "gzip", "identity")),
        ("gzip;q=0, *", ("br", "identity")),
        ("*;q=0", ()),
        ("*;q=0, identity", ("identity",)),
        ("identity;q=0", ()),
        ("identity, gzip;q=0.5", ("identity", "gzip")),
        ("identity;q=0.5, gzip;q=0.5", ("gzip", "identity")),
        ("br;q=abc, gzip", ("gzip", "identity")),
        ("br;q=1.5, gzip;q=0.1", ("gzip", "identity")),
        ("br;q=0.0001, gzip;q=0.1", ("gzip", "identity")),
        ("gzip, gzip;q=0", ("gzip", "identity")),
        (" , ;q=1, gzip", ("gzip", "identity")),
    ],
    ids=["absent", "empty", "gzip", "browser", "weighted", "gzip-weighted-higher",
         "substring", "other-names", "case", "br-refused", "spaces-and-zero", "star",
         "star-but-gzip", "star-refused", "star-refused-identity-named", "identity-refused",
         "identity-preferred", "tie-prefers-coding", "bad-q-ignored", "q-above-1-ignored",
         "four-decimals-ignored", "first-wins", "empty-elements"],
)  # fmt: skip
def test_accept_encoding_is_read_as_rfc_9110_says(header, codings):
    """Codings are tokens with q-values: the highest q first, ties br, gzip, then identity."""
    assert preferred_codings(header) == codings


@pytest.mark.parametrize(
    ("header", "coding"),
    [("br;q=0.9, gzip;q=0.8", "br"), ("br;q=0.5, gzip", "gzip"), ("xgzipx", None),
     ("GZIP", "gzip"), ("identity, gzip;q=0.5", None), ("*;q=0", None), ("gzip;q=0, *", "br")],
    ids=["weighted", "gzip-preferred", "substring", "case", "identity-preferred",
         "nothing-acceptable", "star"],
)  # fmt: skip
async def test_the_strip_is_sent_in_the_preferred_coding(both, header, coding):
    """The precomputed body in the coding the client prefers, or identity."""
    plain = await (await both.get("/v1/strip", headers={"Accept-Encoding": "identity"})).read()
    response = await both.get(
        "/v1/strip", headers={"Accept-Encoding": header}, auto_decompress=False
    )
    assert response.headers.get("Content-Encoding") == coding
    unpack = {"br": brotli.decompress, "gzip": gzip.decompress, None: bytes}[coding]
    assert unpack(await response.read()) == plain


# -- CORS and methods -------------------------------------------------------------------


def _preflight(origin: str = ORIGIN) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "GET"}


async def test_a_preflight_is_answered_on_every_endpoint(both):
    """OPTIONS with Access-Control-Request-Method: 204 allowing GET and HEAD, for a day."""
    for path in PATHS:
        response = await both.options(path, headers=_preflight())
        assert response.status == 204, path
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
        assert response.headers["Access-Control-Allow-Headers"] == (
            "Accept, Accept-Language, If-None-Match"
        )
        assert response.headers["Access-Control-Max-Age"] == "86400"
        assert response.headers["Vary"] == "Origin"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert await response.read() == b""


@pytest.mark.parametrize("path", ["/v1/strip", "/healthz", "/v1/rates/USD/history"])
async def test_a_preflight_names_a_configured_origin_only(listed, path):
    """A listed origin is named; any other gets the 204 with no CORS header at all."""
    allowed = await listed.options(path, headers=_preflight())
    assert allowed.status == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert allowed.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    other = await listed.options(path, headers=_preflight("https://elsewhere.example"))
    assert other.status == 204
    assert not [name for name in other.headers if name.lower().startswith("access-control-")]
    assert "Origin" in other.headers["Vary"]


async def test_every_answer_names_a_configured_origin(listed):
    """GET answers name a listed origin and vary by Origin, whichever endpoint answers."""
    for path in PATHS:
        query = {"at": NOW.isoformat()} if path == "/v1/audit" else {}
        response = await listed.get(path, params=query, headers={"Origin": ORIGIN})
        assert response.status in (200, 503), path
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN, path
        assert "Origin" in response.headers["Vary"], path
        anonymous = await listed.get(path, params=query)
        assert "Access-Control-Allow-Origin" not in anonymous.headers, path
        assert "Origin" in anonymous.headers["Vary"], path


async def test_another_method_is_a_405_with_allow(both):
    """Any other method (OPTIONS without a preflight's header too) is a 405 with Allow."""
    for path in PATHS:
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"):
            response = await both.request(method, path)
            assert response.status == 405, (method, path)
            assert response.headers["Allow"] == "GET, HEAD"
            body = ErrorBody.model_validate_json(await response.read())
            assert (body.error, body.allowed) == ("method_not_allowed", ["GET", "HEAD"])


async def test_an_unknown_path_is_still_a_404(both):
    """A preflight or another method elsewhere is the 404 listing the endpoints."""
    for method, headers in (("OPTIONS", _preflight()), ("POST", {}), ("GET", {})):
        response = await both.request(method, "/v1/nowhere", headers=headers)
        assert response.status == 404
        assert "/v1/rates/{code}/history" in (await response.json())["allowed"]


# -- JSON bodies ------------------------------------------------------------------------


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=10,
)


@given(JSON_VALUES)
def test_escaping_keeps_every_json_value(value):
    """Escaped, any JSON text has none of <, > and & and decodes to the same value."""
    escaped = escape_json(json.dumps(value, ensure_ascii=False).encode())
    assert not any(character in escaped for character in (b"<", b">", b"&"))
    assert json.loads(escaped) == value


MARKUP = "<b>Astana & Co</b>"


@pytest.fixture
async def marked(aiohttp_server, aiohttp_client, filled_store, fast):
    """A deployment whose city name and one registered endpoint's summary hold markup."""
    settings = make_settings(SETTINGS_YAML.replace("{en: Astana,", f"{{en: {MARKUP!r},"))
    app = create_app(settings, store=filled_store, clock=lambda: NOW)

    async def extra(request: web.Request) -> web.Response:
        body = ErrorBody(error="extra", message=MARKUP, parameter=None, allowed=[])
        live = request.app[LIVE_KEY].current
        return json_answer(live, body.model_dump_json().encode(), cache_control="no-store")

    app.router.add_get("/v1/extra", extra)
    register(app, Endpoint("/v1/extra", f"Says {MARKUP}.", {200: Response("OK", ErrorBody)}))
    return await _serve(aiohttp_server, aiohttp_client, app, fast=fast)


def _json_paths(document: dict) -> list[str]:
    """Every documented path whose 200 is JSON, its path parameter filled in."""
    concrete = {"/v1/rates/{code}/history": "/v1/rates/USD/history"}
    return [
        concrete.get(path, path)
        for path, item in document["paths"].items()
        if "application/json" in item["get"]["responses"]["200"].get("content", {})
    ]


async def test_no_json_body_carries_markup_characters(marked):
    """Every JSON answer, errors included, has <, > and & escaped, and says the same."""
    document = json.loads(await (await marked.get("/openapi.json")).read())
    paths = _json_paths(document)
    assert {"/v1/strip", "/v1/rates", "/v1/weather", "/healthz", "/readyz", "/openapi.json",
            "/v1/rates/USD/history", "/v1/audit", "/v1/extra"} <= set(paths)  # fmt: skip
    requests = [("GET", path, {"at": NOW.isoformat()} if path == "/v1/audit" else {})
                for path in paths]  # fmt: skip
    requests += [("GET", path, {"<script>": "&"}) for path in paths]  # a 400 for most
    requests += [("GET", "/<script>&", {}), ("POST", "/v1/strip", {}),
                 ("GET", "/v1/rates/<b>/history", {})]  # fmt: skip
    said: list[object] = []
    for method, path, query in requests:
        response = await marked.request(method, path, params=query)
        assert response.content_type == "application/json", (method, path, query)
        body = await response.read()
        for character in (b"<", b">", b"&"):
            assert character not in body, (method, path, query, character)
        said.append(json.loads(body))
    everything = json.dumps(said, ensure_ascii=False)
    assert MARKUP in everything  # the strip, the weather half and the extra endpoint
    assert f"Says {MARKUP}." in json.dumps(document, ensure_ascii=False)
    assert "unknown parameter '<script>'" in everything
    assert "no such endpoint: /<script>&" in everything
