"""The landing page at ``/``: the strip in each language, the snippets that embed it, links.

The first page an operator opens after ``ticker serve``: it shows the fragments
the service renders (one per configured language, under the widget's stylesheet),
the HTML to copy for each way of embedding the strip, and where the API is
described.  Like every page of the widget it runs no script and loads nothing but
``/widget.css``, so it is served under the widget's strict Content-Security-Policy.
A pure function of what it is given; every text is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ticker._config import ServerSettings
from ticker._strip.markup import _preview
from ticker._wire import Strip

__all__ = ["TITLE", "Shown", "embed_snippets", "render_landing", "service_address"]

#: The page's own title.
TITLE = "ticker: official rates and weather as a header strip"
#: What the page links to, with what each answers.
LINKS = (
    ("/docs", "the HTTP API, with an example request and answer per endpoint"),
    ("/openapi.json", "the same as an OpenAPI 3.1 document"),
    ("/readyz", "whether every item has a value, and each source's last success and error"),
    ("/v1/strip", "the strip as JSON"),
)


#: Hosts that mean "every address" when listened on, and 127.0.0.1 when connected to.
_ANY_ADDRESS = ("", "0.0.0.0", "::")  # noqa: S104 - compared with, never bound


def service_address(server: ServerSettings) -> str:
    """Where readers reach the service: ``server.public_url``, else its listen address."""
    if server.public_url is not None:
        return str(server.public_url).rstrip("/")
    host = server.host
    host = "127.0.0.1" if host in _ANY_ADDRESS else f"[{host}]" if ":" in host else host
    return f"http://{host}:{server.port}"


@dataclass(frozen=True)
class Shown:
    """One language of the strip on the page: its tag, its own name and its fragment."""

    tag: str
    name: str
    #: The fragment as the service renders it (markup, escaped where it was made).
    fragment: str


def embed_snippets(base: str, tag: str, title: str) -> list[tuple[str, str]]:
    """Each way of embedding the strip in ``tag`` from the service at ``base``, as HTML."""
    return [
        (
            "Server-side include (nginx: ssi on, /ticker/ proxied to the service)",
            f'<!--# include virtual="/ticker/widget?lang={tag}" -->',
        ),
        (
            "Iframe (no script at all)",
            f'<iframe src="{base}/widget/frame?lang={tag}"\n'
            f'        title="{title}" style="border:0;width:100%;height:2rem"></iframe>',
        ),
        (
            "Script (fills each placeholder)",
            f'<link rel="stylesheet" href="{base}/widget.css">\n'
            f'<div data-ticker data-lang="{tag}"></div>\n'
            f'<script src="{base}/widget.js" defer></script>',
        ),
        (
            "Element (<ticker-strip>, kept fresh)",
            f'<link rel="stylesheet" href="{base}/widget.css">\n'
            f'<ticker-strip lang="{tag}"></ticker-strip>\n'
            f'<script type="module" src="{base}/widget.mjs"></script>',
        ),
        (
            "Images (mail, chats, link previews)",
            f'<img src="{base}/v1/strip.png?lang={tag}&amp;width=600" width="600"'
            f' alt="{title}">\n'
            f'<img src="{base}/v1/card.png?lang={tag}" width="1200" height="630"'
            f' alt="{title}">',
        ),
    ]


def render_landing(
    shown: Sequence[Shown],
    *,
    base: str,
    strip_title: str,
    preview: str | None = None,
    strip: Strip | None = None,
) -> str:
    """The page: every language's fragment, the snippets for the first, links to the docs.

    ``base`` is the service's address in the snippets (``server.public_url``);
    ``strip_title`` names the strip in the first language (an iframe's title, an
    image's alt); ``preview`` is the day's card, named as ``og:image`` with ``strip``'s
    text.
    """
    first = shown[0].tag if shown else "en"
    meta = _preview(preview, strip_title, strip) if preview and strip is not None else ""
    strips = "\n".join(
        f'<section lang="{escape(item.tag)}"><h3 lang="{escape(item.tag)}">{escape(item.name)}'
        f" <code>lang={escape(item.tag)}</code></h3>\n{item.fragment}</section>"
        for item in shown
    )
    snippets = "\n".join(
        f"<h3>{escape(heading)}</h3>\n<pre><code>{escape(code)}</code></pre>"
        for heading, code in embed_snippets(escape(base), escape(first), escape(strip_title))
    )
    links = "\n".join(
        f'<li><a href="{escape(path)}"><code>{escape(path)}</code></a>: {escape(text)}</li>'
        for path, text in LINKS
    )
    tags = ", ".join(f"<code>{escape(item.tag)}</code>" for item in shown)
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(TITLE)}</title>{meta}",
            '<link rel="stylesheet" href="/widget.css"></head>',
            "<body>",
            f"<h1>{escape(TITLE)}</h1>",
            "<p>Official exchange rates and city weather as a news site's header strip,"
            " served by this ticker.</p>",
            "<h2>The strip</h2>",
            strips,
            "<h2>Embed it</h2>",
            f"<p>Each snippet is for <code>lang={escape(first)}</code>; <code>lang</code>"
            f" takes any configured language: {tags}.</p>",
            snippets,
            "<h2>The API</h2>",
            f"<ul>\n{links}\n</ul>",
            "</body>",
            "</html>",
            "",
        ]
    )
