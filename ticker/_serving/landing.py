"""``GET /``: the landing page, made once per snapshot from the fragments it already holds.

What an operator sees first after ``ticker serve``: the strip in every configured
language, the snippets that embed it, links to ``/docs``, ``/openapi.json`` and
``/readyz`` (the markup is :mod:`ticker._strip.landing_page`).  The page is built
the first time it is asked for after a new snapshot (or new settings) and then
answered like an asset: a strong ETag, a 304, the strip's ``Cache-Control`` and
the widget's Content-Security-Policy.  Any other method is a 405 and any query a
400, as on every endpoint.  Usage::

    add_landing(app)   # before the routes' catch-all is added
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from ticker._languages import LANGUAGE_NAMES, language_tag
from ticker._serving.answers import cache_control
from ticker._serving.openapi import register, static_endpoint
from ticker._serving.responses import (
    QueryError,
    bad_query,
    conditional,
    etag_of,
    refuse_parameters,
    security_headers,
)
from ticker._serving.routes import CLOCK_KEY, LIVE_KEY, SNAPSHOTS_KEY
from ticker._serving.snapshot import Snapshot
from ticker._strip.i18n import phrase
from ticker._strip.landing_page import Shown, render_landing, service_address

__all__ = ["LANDING_ENDPOINT", "Landing", "add_landing", "make_page"]

#: The page's description in the OpenAPI document.
LANDING_ENDPOINT = static_endpoint(
    "/",
    "A landing page: the strip in each configured language, the snippets that embed it,"
    " links to /docs, /openapi.json and /readyz.",
    "text/html",
)


@dataclass
class Landing:
    """The page of the last snapshot it was asked for, and that snapshot."""

    made_for: Snapshot | None = None
    body: bytes = b""
    etag: str = ""

    def page(self, snapshot: Snapshot) -> tuple[bytes, str]:
        """The page of ``snapshot`` and its ETag, made now if it was not."""
        if snapshot is not self.made_for:
            self.body = make_page(snapshot).encode()
            self.etag, self.made_for = etag_of(self.body), snapshot
        return self.body, self.etag


def make_page(snapshot: Snapshot) -> str:
    """The landing page of ``snapshot``: its fragments in each of its languages."""
    settings = snapshot.settings
    languages = [lang for lang in settings.languages if lang in snapshot.strips]
    shown = [
        Shown(
            language_tag(lang),
            LANGUAGE_NAMES[lang],
            snapshot.variant(snapshot.key("widget", lang)).body.decode(),
        )
        for lang in languages
    ]
    first = languages[0] if languages else settings.default_language
    tag = language_tag(first)
    strip_title = f"{phrase('rates', first)} · {phrase('weather', first)}"
    preview_base = str(settings.server.public_url or "/").rstrip("/")
    return render_landing(
        shown, base=service_address(settings.server), strip_title=strip_title,
        preview=f"{preview_base}/v1/card.png?lang={tag}",
        strip=snapshot.strips[first] if languages else None,
    )  # fmt: skip


LANDING_KEY = web.AppKey("landing", Landing)


async def get_landing(request: web.Request) -> web.Response:
    """The landing page: the strip in each language, the embed snippets, the API's links."""
    app = request.app
    settings = app[LIVE_KEY].current
    try:
        refuse_parameters(request.query, ())
    except QueryError as exc:
        return bad_query(settings, exc, origin=request.headers.get("Origin"))
    snapshot = app[SNAPSHOTS_KEY].current
    body, etag = app[LANDING_KEY].page(snapshot)
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Language": "en",
        "ETag": etag,
        "Cache-Control": cache_control(snapshot, app[CLOCK_KEY]()),
        **security_headers(settings, page=True),
    }
    return conditional(request, body, headers)


def add_landing(app: web.Application) -> None:
    """Serve ``GET /`` and describe it in the OpenAPI document."""
    app[LANDING_KEY] = Landing()
    app.router.add_get("/", get_landing)
    register(app, LANDING_ENDPOINT)
