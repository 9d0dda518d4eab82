"""The hot path: a request for the strip costs a few dictionary lookups and a write.

Everything a strip answer needs is prepared once per snapshot: the bodies (see
``ticker._snapshot``) and here their complete header sets, per encoding and per
whether the language was negotiated.  Only ``Cache-Control`` depends on the clock;
it is formatted at most once a second.  The common query strings (none, or
``lang=xx``) are recognised by a lookup; anything else takes the full, validating
path, and so does language negotiation, whose results are remembered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence

from aiohttp import web

from ticker._config import Settings
from ticker._i18n import negotiate
from ticker._snapshot import Snapshot, SnapshotHolder, Variant

__all__ = ["Answers", "QueryError", "error_answer", "json_answer", "security_headers"]

#: Cache-Control: fresh until the next refresh, at most a day; without a schedule, a minute.
DEFAULT_MAX_AGE = dt.timedelta(minutes=1)
MAX_MAX_AGE = dt.timedelta(days=1)
STALE_WHILE_REVALIDATE = 60
STALE_IF_ERROR = 86400
#: Negotiated Accept-Language headers remembered (browsers send a few distinct ones).
NEGOTIATION_MEMORY = 1024
THEMES = ("auto", "light", "dark")

#: The widget's pages load nothing but our stylesheet and link out; they run no script.
WIDGET_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'"
)
#: Data endpoints are never documents.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"
_PAGES = frozenset({"widget", "frame"})
#: Headers that describe a body, left out of a 304.
_BODY_HEADERS = frozenset({"Content-Type", "Content-Encoding"})


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
    **extra: object,
) -> web.Response:
    """The API's error body, never cached: what went wrong and, for a 400, what is allowed."""
    body = json.dumps({"error": error, "message": message, **extra}, ensure_ascii=False)
    return json_answer(
        settings, body.encode(), status=status, cache_control="no-store", origin=origin
    )


def cache_control(snapshot: Snapshot, now: dt.datetime) -> str:
    """Fresh until the next refresh (or the next change of staleness), then revalidate."""
    moments = [m for m in (snapshot.stamp.next_refresh_at, snapshot.next_change_at) if m]
    until = min(moments) if moments else now + DEFAULT_MAX_AGE
    max_age = max(0, min(int((until - now).total_seconds()), int(MAX_MAX_AGE.total_seconds())))
    return (
        f"public, max-age={max_age}, stale-while-revalidate={STALE_WHILE_REVALIDATE}, "
        f"stale-if-error={STALE_IF_ERROR}"
    )


def _matches(if_none_match: str, variant: Variant) -> bool:
    """Whether ``If-None-Match`` names this variant (weak comparison, as for GET)."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or not tags.isdisjoint(variant.etags)


def _coding(accepted: str | None) -> str:
    """The best encoding an Accept-Encoding header allows: br, gzip or none."""
    if not accepted:
        return ""
    compact = accepted.replace(" ", "")
    for coding in ("br", "gzip"):
        if coding in compact and f"{coding};q=0" not in compact:
            return coding
    return ""


class Answers:
    """Picks and sends the precomputed answer for a strip request."""

    def __init__(
        self, settings: Settings, holder: SnapshotHolder, clock: Callable[[], dt.datetime]
    ) -> None:
        self.holder = holder
        self.clock = clock
        self.reconfigure(settings)

    def reconfigure(self, settings: Settings) -> None:
        """Answer with new settings from the next request on."""
        self.settings = settings
        self._plain_queries = {f"lang={lang}": lang for lang in settings.languages}
        self._negotiated: dict[str, str] = {}
        self._prepared: dict[
            tuple[str, str, str | None, str, bool], tuple[bytes, dict[str, str], Variant]
        ] = {}
        self._prepared_for: Snapshot | None = None
        self._prepared_second = -1
        self._cache_control = ""
        self._allowed_cors = {o for o in settings.server.cors_origins if o != "*"}

    def language(self, request: web.BaseRequest, allowed: Sequence[str]) -> tuple[str, bool]:
        """The request's language, and whether it was negotiated from Accept-Language."""
        query = request.query_string
        lang = self._plain_queries.get(query)
        if lang is not None:
            return lang, False
        if query:
            return self._validated(request, allowed)
        return self._negotiate(request.headers.get("Accept-Language")), True

    def _validated(self, request: web.BaseRequest, allowed: Sequence[str]) -> tuple[str, bool]:
        for name in request.query:
            if name not in allowed:
                raise QueryError(name, f"unknown parameter {name!r}", allowed)
        lang = self.single(request, "lang", self.settings.languages)
        if lang is None:
            return self._negotiate(request.headers.get("Accept-Language")), True
        return lang, False

    def single(self, request: web.BaseRequest, name: str, values: Sequence[str]) -> str | None:
        """The one value of parameter ``name``, which must be one of ``values``."""
        given = request.query.getall(name, [])
        if not given:
            return None
        if len(given) > 1 or given[0] not in values:
            shown = ", ".join(repr(value) for value in given)
            raise QueryError(name, f"unsupported {name} {shown}", values)
        return given[0]

    def theme(self, request: web.BaseRequest) -> str:
        """The ``theme`` of a widget request, else the configured one."""
        if not request.query_string or request.query_string in self._plain_queries:
            return self.settings.widget.theme
        return self.single(request, "theme", THEMES) or self.settings.widget.theme

    def _negotiate(self, header: str | None) -> str:
        if not header:
            return self.settings.default_language
        lang = self._negotiated.get(header)
        if lang is None:
            lang = negotiate(header, self.settings.languages) or self.settings.default_language
            if len(self._negotiated) < NEGOTIATION_MEMORY:
                self._negotiated[header] = lang
        return lang

    def respond(
        self,
        request: web.BaseRequest,
        form: str,
        lang: str,
        *,
        negotiated: bool,
        theme: str | None = None,
    ) -> web.Response:
        """The precomputed answer: 304 when the client has it, gzip when accepted."""
        snapshot = self.holder.current
        second = int(time.monotonic())
        if snapshot is not self._prepared_for or second != self._prepared_second:
            # Cache-Control counts down to the next refresh: prepared again each second.
            self._prepared = {}
            self._prepared_for, self._prepared_second = snapshot, second
            self._cache_control = cache_control(snapshot, self.clock())
        headers_in = request.headers
        key = (form, lang, theme, _coding(headers_in.get("Accept-Encoding")), negotiated)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = self._prepare(snapshot, *key)
        body, headers, variant = prepared
        if self._allowed_cors:
            origin = headers_in.get("Origin")
            if origin in self._allowed_cors:
                headers = {**headers, "Access-Control-Allow-Origin": origin}
        if_none_match = headers_in.get("If-None-Match")
        if if_none_match is not None and _matches(if_none_match, variant):
            kept = {k: v for k, v in headers.items() if k not in _BODY_HEADERS}
            return web.Response(status=304, headers=kept)
        return web.Response(body=body, headers=headers)

    def _prepare(
        self,
        snapshot: Snapshot,
        form: str,
        lang: str,
        theme: str | None,
        accepted: str,
        negotiated: bool,
    ) -> tuple[bytes, dict[str, str], Variant]:
        """The body and complete headers of one variant for one kind of request."""
        variant = snapshot.variant(form, lang, theme)
        coded = {"br": (variant.brotli, variant.brotli_etag),
                 "gzip": (variant.gzipped, variant.gzip_etag)}.get(accepted)  # fmt: skip
        if coded is not None and coded[0] is not None:
            body, etag, coding = coded[0], coded[1], accepted
        else:
            body, etag, coding = variant.body, variant.etag, ""
        return body, self._headers(form, variant, etag, coding, negotiated), variant

    def _headers(
        self, form: str, variant: Variant, etag: str, coding: str, negotiated: bool
    ) -> dict[str, str]:
        vary = "Accept-Encoding, Accept-Language" if negotiated else "Accept-Encoding"
        if self._allowed_cors:
            vary += ", Origin"
        headers = {
            "Content-Type": f"{variant.content_type}; charset=utf-8",
            "ETag": etag,
            "Vary": vary,
            "Cache-Control": self._cache_control,
            **security_headers(self.settings, page=form in _PAGES),
        }
        if coding:
            headers["Content-Encoding"] = coding
        return headers


#: The script and stylesheet change only with a new release: an hour, then a day stale.
ASSET_CACHE_CONTROL = "public, max-age=3600, stale-while-revalidate=86400, stale-if-error=604800"


def prepared_asset(body: bytes, content_type: str, settings: Settings) -> Mapping[str, str]:
    """Headers of a static asset (the script, the stylesheet), with a strong ETag."""
    return {
        "Content-Type": f"{content_type}; charset=utf-8",
        "Cache-Control": ASSET_CACHE_CONTROL,
        "ETag": f'"{hashlib.sha256(body).hexdigest()[:24]}"',
        **security_headers(settings, page=False),
    }
