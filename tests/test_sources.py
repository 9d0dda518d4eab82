"""The adapter toolkit: URL joining, and the one place HTTP failures are translated."""

from __future__ import annotations

import asyncio
import datetime as dt

import aiohttp
import pytest
from aiohttp import web

from ticker import UpstreamUnavailable
from ticker.sources import adapter_names, get_bytes, join_url

SHORT = dt.timedelta(seconds=0.3)


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        (None, "https://nationalbank.kz/rss/rates_all.xml"),
        ("http://127.0.0.1:8000/rss/", "http://127.0.0.1:8000/rss/rates_all.xml"),
        ("http://127.0.0.1:8000/rss", "http://127.0.0.1:8000/rss/rates_all.xml"),
        ("http://mirror.local/", "http://mirror.local/rates_all.xml"),
    ],
    ids=["default", "trailing-slash", "no-trailing-slash", "root"],
)
def test_join_url_keeps_the_base_path(base, expected):
    """Documented paths are joined under the configured base, slash or not."""
    assert str(join_url(base, "https://nationalbank.kz/rss/", "rates_all.xml")) == expected


def test_shipped_adapters_are_registered():
    """The entry points name every shipped adapter under its kind."""
    assert adapter_names("rates") == ["nbk", "static"]
    assert adapter_names("weather") == ["open-meteo", "static"]


@pytest.fixture
async def upstream(aiohttp_server):
    """A misbehaving upstream with one path per failure."""

    async def refused(request: web.Request) -> web.Response:
        return web.json_response({"error": True, "reason": "Latitude must be in range"}, status=400)

    async def huge(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 2048)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/refused", refused)
    app.router.add_get("/huge", huge)
    app.router.add_get("/slow", slow)
    return await aiohttp_server(app)


async def fetch(server, path: str, **kwargs) -> bytes:
    """GET a path of the fake upstream through get_bytes."""
    async with aiohttp.ClientSession() as session:
        return await get_bytes(
            session, server.make_url(path), source="test", timeout=SHORT, **kwargs
        )


async def test_error_status_quotes_the_body(upstream):
    """An error answer's own explanation reaches the message."""
    with pytest.raises(UpstreamUnavailable, match=r"HTTP 400 from .*Latitude must be in range"):
        await fetch(upstream, "/refused")


async def test_oversized_body_is_refused(upstream):
    """A body over the cap is an error, not a memory problem."""
    with pytest.raises(UpstreamUnavailable, match="larger than"):
        await fetch(upstream, "/huge", max_bytes=1024)


async def test_silent_upstream_times_out(upstream):
    """An upstream that never answers fails within the timeout."""
    with pytest.raises(UpstreamUnavailable, match="no answer"):
        await fetch(upstream, "/slow")
