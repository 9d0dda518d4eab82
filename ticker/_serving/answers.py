"""The hot path: a request for the strip costs a few dictionary lookups and a write.

Everything a strip answer needs is prepared once per snapshot: the bodies (see
``ticker._serving.snapshot``) and here their complete header sets, per encoding and per
whether the language was negotiated.  Only ``Cache-Control`` depends on the clock;
it is formatted at most once a second.  The common query strings (none, or
``lang=xx`` with a language's key or tag as written) are recognised by a lookup;
anything else (``lang=KK-LATN``, ``theme=``) takes the full, validating path, and so
does language negotiation, whose results are remembered.  Every answer says its
language's tag in ``Content-Language`` (RFC 9110 section 8.5).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from aiohttp import web

from ticker._config import LiveSettings, Settings
from ticker._languages import language_key, language_tag, negotiate, spellings
from ticker._serving.catalogue import (
    BY_NAME,
    CARD_SIZES,
    DEFAULT_UNITS,
    MAX_WIDTH,
    MIN_WIDTH,
    THEMES,
    UNITS,
    Form,
    VariantKey,
)
from ticker._serving.responses import (
    IDENTITY,
    QueryError,
    not_modified,
    not_modified_answer,
    preferred_codings,
    refuse_parameters,
    security_headers,
    single_value,
)
from ticker._serving.snapshot import Snapshot, SnapshotHolder, Variant

__all__ = ["Answers", "cache_control"]

#: Cache-Control: fresh until the next refresh, at most a day; without a schedule, a minute.
DEFAULT_MAX_AGE = dt.timedelta(minutes=1)
MAX_MAX_AGE = dt.timedelta(days=1)
#: A strip with an item missing is kept at most this long, so that no cache pins a gap.
INCOMPLETE_MAX_AGE = dt.timedelta(seconds=30)
STALE_WHILE_REVALIDATE = 60
STALE_IF_ERROR = 86400
#: Negotiated Accept-Language headers remembered (browsers send a few distinct ones).
NEGOTIATION_MEMORY = 1024


def cache_control(snapshot: Snapshot, now: dt.datetime) -> str:
    """Fresh until the next refresh (or the next change of staleness), then revalidate.

    A strip with an item missing is fresh for at most 30 seconds: the value may
    arrive at the next retry, and a CDN must not pin the gap for a whole interval.
    """
    moments = [m for m in (snapshot.stamp.next_refresh_at, snapshot.next_change_at) if m]
    until = min(moments) if moments else now + DEFAULT_MAX_AGE
    longest = INCOMPLETE_MAX_AGE if snapshot.incomplete else MAX_MAX_AGE
    max_age = max(0, min(int((until - now).total_seconds()), int(longest.total_seconds())))
    return (
        f"public, max-age={max_age}, stale-while-revalidate={STALE_WHILE_REVALIDATE}, "
        f"stale-if-error={STALE_IF_ERROR}"
    )


class Answers:
    """Picks and sends the precomputed answer for a strip request."""

    def __init__(
        self, live: LiveSettings, holder: SnapshotHolder, clock: Callable[[], dt.datetime]
    ) -> None:
        self.holder = holder
        self.clock = clock
        self.reconfigure(live.current)
        live.subscribe(self.reconfigure)

    def reconfigure(self, settings: Settings) -> None:
        """Answer with new settings from the next request on."""
        self.settings = settings
        self._plain_queries = {
            f"lang={spelling}": lang for lang in settings.languages for spelling in spellings(lang)
        }
        #: What a 400 about ``lang`` lists: the configured languages' tags.
        self._allowed_tags = [language_tag(lang) for lang in settings.languages]
        self._negotiated: dict[str, str] = {}
        self._prepared: dict[
            tuple[VariantKey, tuple[str, ...], bool], tuple[bytes, dict[str, str], Variant]
        ] = {}
        self._prepared_for: Snapshot | None = None
        self._prepared_second = -1
        self._cache_control = ""
        self._allowed_cors = {o for o in settings.server.cors_origins if o != "*"}

    def language(self, request: web.BaseRequest, allowed: tuple[str, ...]) -> tuple[str, bool]:
        """The request's language, and whether it was negotiated from Accept-Language."""
        query = request.query_string
        lang = self._plain_queries.get(query)
        if lang is not None:
            return lang, False
        if query:
            return self._validated(request, allowed)
        return self._negotiate(request.headers.get("Accept-Language")), True

    def _validated(self, request: web.BaseRequest, allowed: tuple[str, ...]) -> tuple[str, bool]:
        """``lang`` by a configured language's key or tag in any case (RFC 5646 2.1.1)."""
        refuse_parameters(request.query, allowed)
        given = request.query.getall("lang", [])
        if not given:
            return self._negotiate(request.headers.get("Accept-Language")), True
        if len(given) > 1:
            raise QueryError("lang", f"lang is given {len(given)} times", self._allowed_tags)
        lang = language_key(given[0])
        if lang is None or lang not in self.settings.languages:
            raise QueryError("lang", f"unsupported lang {given[0]!r}", self._allowed_tags)
        return lang, False

    def key(self, request: web.BaseRequest, form: Form, lang: str) -> VariantKey:
        """The variant a request for ``form`` in ``lang`` asks for; a 400 for a bad value."""
        theme: str = self.settings.widget.theme
        if not request.query_string or request.query_string in self._plain_queries:
            return VariantKey(form.name, lang, theme, DEFAULT_UNITS, form.default_size)
        query = request.query
        if form.themed:
            theme = single_value(query, "theme", THEMES) or theme
        units = single_value(query, "units", UNITS) or DEFAULT_UNITS
        size = form.default_size
        if form.sized_by == "width":
            size = _width(single_value(query, "width")) or size
        elif form.sized_by == "size":
            size = single_value(query, "size", CARD_SIZES) or size
        return VariantKey(form.name, lang, theme, units, size)

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
        self, request: web.BaseRequest, key: VariantKey, *, negotiated: bool
    ) -> web.Response:
        """The precomputed answer: 304 when the client has it, br or gzip when preferred.

        Raises what rendering a lazy variant (an image) raises, when it cannot be made.
        """
        snapshot = self.holder.current
        second = int(time.monotonic())
        if snapshot is not self._prepared_for or second != self._prepared_second:
            # Cache-Control counts down to the next refresh: prepared again each second.
            self._prepared = {}
            self._prepared_for, self._prepared_second = snapshot, second
            self._cache_control = cache_control(snapshot, self.clock())
        headers_in = request.headers
        codings = preferred_codings(headers_in.get("Accept-Encoding"))
        prepared_key = (key, codings, negotiated)
        prepared = self._prepared.get(prepared_key)
        if prepared is None:
            prepared = self._prepared[prepared_key] = self._prepare(
                snapshot, key, codings, negotiated
            )
        body, headers, variant = prepared
        if self._allowed_cors:
            origin = headers_in.get("Origin")
            if origin in self._allowed_cors:
                headers = {**headers, "Access-Control-Allow-Origin": origin}
        if not_modified(headers_in.get("If-None-Match"), variant.etags):
            return not_modified_answer(headers)
        return web.Response(body=body, headers=headers)

    def _prepare(
        self, snapshot: Snapshot, key: VariantKey, codings: tuple[str, ...], negotiated: bool
    ) -> tuple[bytes, dict[str, str], Variant]:
        """The body and complete headers of one variant for one kind of request.

        The first of the client's ``codings`` the variant has a body for is sent:
        a body too small to compress, or brotli not installed, falls back to the
        next; ``identity`` when nothing else is.
        """
        variant = snapshot.variant(key)
        coded = {"br": (variant.brotli, variant.brotli_etag),
                 "gzip": (variant.gzipped, variant.gzip_etag)}  # fmt: skip
        body, etag, coding = variant.body, variant.etag, ""
        for accepted in codings:
            if accepted == IDENTITY:
                break
            packed, packed_etag = coded[accepted]
            if packed is not None:
                body, etag, coding = packed, packed_etag, accepted
                break
        headers = self._headers(BY_NAME[key.form], key.lang, variant, etag, coding, negotiated)
        return body, headers, variant

    def _headers(
        self, form: Form, lang: str, variant: Variant, etag: str, coding: str, negotiated: bool
    ) -> dict[str, str]:
        vary = "Accept-Encoding, Accept-Language" if negotiated else "Accept-Encoding"
        if self._allowed_cors:
            vary += ", Origin"
        headers = {
            "Content-Type": (
                f"{variant.content_type}; charset=utf-8" if form.text else variant.content_type
            ),
            "Content-Language": language_tag(lang),
            "ETag": etag,
            "Vary": vary,
            "Cache-Control": self._cache_control,
            **security_headers(self.settings, page=form.page),
        }
        if coding:
            headers["Content-Encoding"] = coding
        return headers


def _width(given: str | None) -> str | None:
    """A strip image's ``width``: whole CSS pixels within the bounds, as a canonical string."""
    if given is None:
        return None
    bounds = [f"{MIN_WIDTH}..{MAX_WIDTH}"]
    if not (given.isascii() and given.isdigit() and len(given) <= 5):
        raise QueryError("width", f"width must be whole pixels, got {given[:20]!r}", bounds)
    width = int(given)
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise QueryError("width", f"width {width} is outside {bounds[0]}", bounds)
    return str(width)
