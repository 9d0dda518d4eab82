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
* :func:`escape_json` is applied to every JSON body the service sends (the side
  endpoints through :func:`json_answer`, the strip's forms when a snapshot renders
  them, the OpenAPI document when it is built): ``<``, ``>`` and ``&`` travel as
  ``\\u003c``, ``\\u003e`` and ``\\u0026``, so no body can be read as markup by a
  browser or a proxy that sniffs, whatever an upstream or a query put in it.
* :func:`preferred_codings` reads ``Accept-Encoding`` as RFC 9110 §12.5.3 defines
  it: case-insensitive codings with q-values, ``q=0`` for "not acceptable",
  ``identity`` and ``*``.  It is written here, in a few lines, because no small
  maintained parser fits: werkzeug's ``parse_accept_header`` reads it right but
  brings a WSGI toolkit (and ~75 ms of imports) into every process, and
  ietfparse's ``parse_accept_encoding`` returns a sorted list without the q-values,
  so a refused coding cannot be told from an accepted one.
* :func:`preflight_answer` is the 204 of a CORS preflight: ``GET, HEAD``, the
  headers a reader's script may send, and the configured origin -- or, for an
  origin not configured, no CORS header at all.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence

from aiohttp import web
from multidict import MultiMapping

from ticker._config import Settings
from ticker._wire import ErrorBody

__all__ = [
    "ASSET_CACHE_CONTROL",
    "CODINGS",
    "IDENTITY",
    "NO_STORE",
    "QueryError",
    "bad_query",
    "conditional",
    "error_answer",
    "escape_json",
    "etag_of",
    "json_answer",
    "not_modified",
    "not_modified_answer",
    "preferred_codings",
    "preflight_answer",
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
BODY_HEADERS = frozenset({"Content-Type", "Content-Encoding", "Content-Language", "Content-Length"})
#: Characters of the ETag digest: 96 bits of SHA-256.
ETAG_DIGITS = 24

#: The methods every endpoint serves; anything else is a 405 with this ``Allow``.
ALLOWED_METHODS = ("GET", "HEAD")
#: Request headers a reader's script may send cross-origin: revalidation and language
#: (``Accept`` and ``Accept-Language`` are safelisted only for some values).
CORS_ALLOW_HEADERS = "Accept, Accept-Language, If-None-Match"
#: How long a browser may keep a preflight's answer (Chromium caps it at 2 hours).
CORS_MAX_AGE = 86400

#: The content codings the service sends, in the order a tie between them prefers.
CODINGS = ("br", "gzip")
#: No content coding: always sendable, and sent when nothing else is acceptable.
IDENTITY = "identity"
#: Distinct Accept-Encoding values remembered (clients send a handful).
CODING_MEMORY = 256
#: RFC 9110 §12.4.2: a qvalue is 0 to 1 with at most three decimals.
_QVALUE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)", re.ASCII)
#: RFC 9110 §5.6.2: a token, such as a content coding.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", re.ASCII)
#: Each JSON character that could open markup, and its escape (valid only in strings,
#: where alone these characters can appear in a JSON text).
_JSON_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"))


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


def escape_json(body: bytes) -> bytes:
    """``body`` (a JSON text) with ``<``, ``>`` and ``&`` as ``\\u003c``, ``\\u003e``, ``\\u0026``.

    Outside its strings a JSON text holds none of the three, and in UTF-8 their bytes
    occur in no other character, so replacing bytes keeps the same JSON value.
    """
    for character, escaped in _JSON_ESCAPES:
        body = body.replace(character, escaped)
    return body


def json_answer(
    settings: Settings,
    body: bytes,
    *,
    status: int = 200,
    cache_control: str,
    origin: str | None = None,
) -> web.Response:
    """A JSON answer of the API's side endpoints: security headers, ``<>&`` escaped."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Cache-Control": cache_control,
        **security_headers(settings, page=False, origin=origin),
    }
    return web.Response(body=escape_json(body), status=status, headers=headers)


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


def preflight_answer(settings: Settings, origin: str | None) -> web.Response:
    """The 204 of a CORS preflight: what a configured origin may do, else no CORS at all."""
    headers = security_headers(settings, page=False, origin=origin)
    headers["Vary"] = "Origin"
    if "Access-Control-Allow-Origin" in headers:
        headers["Access-Control-Allow-Methods"] = ", ".join(ALLOWED_METHODS)
        headers["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
        headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE)
    return web.Response(status=204, headers=headers)


def _weights(header: str) -> dict[str, float]:
    """Each coding an Accept-Encoding value names, lower-cased, with its q (the first wins).

    An element that is not a token with an optional ``q`` of the RFC's form is left
    out, as if it had not been sent.
    """
    weights: dict[str, float] = {}
    for element in header.split(","):
        coding, *parameters = (part.strip() for part in element.split(";"))
        if not _TOKEN.fullmatch(coding):
            continue
        q: float | None = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                q = float(value) if _QVALUE.fullmatch(value) else None
        if q is not None:
            weights.setdefault(coding.lower(), q)
    return weights


@functools.lru_cache(maxsize=CODING_MEMORY)
def preferred_codings(header: str | None) -> tuple[str, ...]:
    """The codings of :data:`CODINGS` and ``identity`` an Accept-Encoding allows, best first.

    The highest q wins; a tie prefers br, then gzip, then identity.  ``*`` stands for
    every coding not named; ``q=0`` means not acceptable.  ``identity`` is
    acceptable, below any other coding, unless it is refused (``identity;q=0``, or
    ``*;q=0`` without it).  Without the header, or with an empty one, only
    ``identity``.  The tuple may be empty: nothing acceptable, and the caller sends
    ``identity`` all the same (RFC 9110 allows it; a 415 would blank the strip).
    """
    if not header or not header.strip():
        return (IDENTITY,)
    weights = _weights(header)
    star = weights.get("*")
    ranked: list[tuple[float, int, str]] = []
    for rank, coding in enumerate(CODINGS):
        q = weights.get(coding, star if star is not None else 0.0)
        if q > 0:
            ranked.append((q, -rank, coding))
    identity = weights.get(IDENTITY, star if star is not None else None)
    if identity is None or identity > 0:
        # Named, it competes by its q; unnamed, it comes after every accepted coding.
        ranked.append((identity or 0.0, -len(CODINGS), IDENTITY))
    ranked.sort(reverse=True)
    return tuple(coding for _, _, coding in ranked)
