"""What every answer of the service shares: security headers, errors and conditional GETs.

* :func:`security_headers`: ``nosniff``, a CSP for the kind of answer (a widget page
  or data), ``Referrer-Policy`` and CORS for the configured origins.
* :func:`error_answer`: the one error body (:class:`~ticker._wire.ErrorBody`),
  never cached; :func:`bad_query` is the 400 of a :class:`QueryError`, and
  :func:`refuse_parameters` the check of an endpoint that takes none.
* :func:`etag_of` is the one strong ETag of a body, and :func:`not_modified` the
  one reading of ``If-None-Match`` (RFC 9110 §13.1.2: weak comparison, lists and
  ``*``): :func:`conditional` answers 304 with ``ETag``, ``Cache-Control``,
  ``Vary`` and the security headers kept, and only the body's headers dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence

from aiohttp import web
from multidict import MultiMapping

from ticker._config import Settings
from ticker._wire import ErrorBody

__all__ = [
    "ASSET_CACHE_CONTROL",
    "NO_STORE",
    "QueryError",
    "bad_query",
    "conditional",
    "error_answer",
    "etag_of",
    "json_answer",
    "not_modified",
    "not_modified_answer",
    "refuse_parameters",
    "security_headers",
    "single_value",
]

#: The widget's pages load nothing but our stylesheet and link out; they run no script.
WIDGET_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'"
)
#: Data endpoints are never documents.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"
NO_STORE = "no-store"
#: The script, the stylesheet and the API's description change only with a release or a
#: reload: an hour fresh, then a day stale.
ASSET_CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=86400, stale-if-error=604800"
#: Headers that describe a body, left out of a 304 (RFC 9110 §15.4.5 keeps the rest).
BODY_HEADERS = frozenset({"Content-Type", "Content-Encoding", "Content-Length"})
#: Characters of the ETag digest: 96 bits of SHA-256.
ETAG_DIGITS = 24


class QueryError(Exception):
    """A request parameter the service does not accept (answered with 400)."""

    def __init__(self, parameter: str, message: str, allowed: Sequence[str]) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.allowed = list(allowed)


def security_headers(
    settings: Settings, *, page: bool, origin: str | None = None
) -> dict[str, str]:
    """nosniff, a CSP for the kind of answer, and CORS for any origin or a listed one."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": WIDGET_CSP if page else DATA_CSP,
        "Referrer-Policy": "no-referrer",
    }
    allowed = settings.server.cors_origins
    if "*" in allowed:
        headers["Access-Control-Allow-Origin"] = "*"
    elif origin is not None and origin in allowed:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Vary"] = "Origin"
    return headers


def json_answer(
    settings: Settings,
    body: bytes,
    *,
    status: int = 200,
    cache_control: str,
    origin: str | None = None,
) -> web.Response:
    """A JSON answer of the API's side endpoints, with the API's security headers."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Cache-Control": cache_control,
        **security_headers(settings, page=False, origin=origin),
    }
    return web.Response(body=body, status=status, headers=headers)


def error_answer(
    settings: Settings,
    status: int,
    error: str,
    message: str,
    *,
    origin: str | None = None,
    parameter: str | None = None,
    allowed: Sequence[str] = (),
) -> web.Response:
    """The API's error body, never cached: what went wrong and, for a 400, what is allowed."""
    body = ErrorBody(error=error, message=message, parameter=parameter, allowed=list(allowed))
    return json_answer(
        settings, body.model_dump_json().encode(), status=status, cache_control=NO_STORE,
        origin=origin,
    )  # fmt: skip


def bad_query(settings: Settings, exc: QueryError, *, origin: str | None = None) -> web.Response:
    """The 400 of a parameter the service does not accept, naming what it does."""
    return error_answer(
        settings, 400, "bad_request", exc.message, origin=origin,
        parameter=exc.parameter, allowed=exc.allowed,
    )  # fmt: skip


def refuse_parameters(query: MultiMapping[str], allowed: Collection[str]) -> None:
    """Raise :class:`QueryError` for the first parameter not in ``allowed``."""
    for name in query:
        if name not in allowed:
            raise QueryError(name, f"unknown parameter {name!r}", sorted(allowed))


def single_value(
    query: MultiMapping[str],
    name: str,
    values: Sequence[str] | None = None,
    *,
    parameters: Sequence[str] = (),
) -> str | None:
    """The one value of ``name`` (one of ``values`` when given); repeating it is refused.

    The 400 of a repeated parameter lists ``values``, else the endpoint's ``parameters``.
    """
    given = query.getall(name, [])
    if not given:
        return None
    if len(given) > 1:
        raise QueryError(name, f"{name} is given {len(given)} times", values or parameters)
    if values is not None and given[0] not in values:
        raise QueryError(name, f"unsupported {name} {given[0]!r}", values)
    return given[0]


def etag_of(body: bytes, suffix: str = "") -> str:
    """The strong ETag of ``body`` (``suffix`` tells encodings of one body apart)."""
    return f'"{hashlib.sha256(body).hexdigest()[:ETAG_DIGITS]}{suffix}"'


def not_modified(if_none_match: str | None, etags: Collection[str]) -> bool:
    """Whether ``If-None-Match`` names one of ``etags``: weak comparison, lists and ``*``."""
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or not tags.isdisjoint(etags)


def conditional(
    request: web.BaseRequest,
    body: bytes,
    headers: Mapping[str, str],
    etags: Collection[str] = (),
) -> web.Response:
    """``body`` with ``headers``, or a 304 when the client holds it already.

    ``etags`` are every tag the body is known by (its encodings' too); by default
    the ``ETag`` of ``headers``.
    """
    known = etags or (headers["ETag"],)
    if not_modified(request.headers.get("If-None-Match"), known):
        return not_modified_answer(headers)
    return web.Response(body=body, headers=headers)


def not_modified_answer(headers: Mapping[str, str]) -> web.Response:
    """The 304 of an answer with ``headers``: all of them but those describing the body."""
    kept = {name: value for name, value in headers.items() if name not in BODY_HEADERS}
    return web.Response(status=304, headers=kept)
