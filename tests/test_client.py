"""The client end to end against the real app: same models, typed errors."""

from __future__ import annotations

import socket
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from ticker import (
    BadRequestError,
    ServiceError,
    ServiceUnavailable,
    Strip,
    TickerClient,
    create_app,
)

from .conftest import NOW


@pytest.fixture
async def server(aiohttp_server, settings, filled_store):
    """The real app on 127.0.0.1 serving the reference values."""
    return await aiohttp_server(create_app(settings, store=filled_store, clock=lambda: NOW))


async def test_strip_round_trip(server, aiohttp_client):
    """The client returns exactly the model the service serialized."""
    raw = await (await aiohttp_client(server)).get("/v1/strip", params={"lang": "ru"})
    expected = Strip.model_validate_json(await raw.read())
    async with TickerClient(str(server.make_url("/"))) as client:
        strip = await client.strip(lang="ru")
    assert strip == expected
    assert strip.rates[0].rate == Decimal("445.99")
    assert strip.weather[0].name == "Астана"


async def test_halves_and_widget(server):
    """rates(), weather() and widget() mirror their endpoints."""
    async with TickerClient(str(server.make_url("/"))) as client:
        rates = await client.rates()
        weather = await client.weather(lang="zh")
        widget = await client.widget(lang="ru")
        assert await client.healthy()
    assert [item.code for item in rates.rates] == ["USD", "EUR", "RUB", "CNY"]
    assert weather.weather[0].name == "阿斯塔纳"
    assert "Астана" in widget


async def test_bad_language_raises_bad_request_with_allowed(server):
    """A 400 becomes BadRequestError carrying what the service allows."""
    async with TickerClient(str(server.make_url("/"))) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.strip(lang="fr")
    assert caught.value.parameter == "lang"
    assert caught.value.allowed == ["en", "ru", "kk", "zh"]
    assert isinstance(caught.value, ValueError)


async def test_unreachable_service_raises_service_unavailable():
    """A closed port is ServiceUnavailable, never None."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with TickerClient(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(ServiceUnavailable):
            await client.strip()
        assert not await client.healthy()


async def test_given_session_is_not_closed(server, aiohttp_client):
    """The client closes only a session it created."""
    async with aiohttp.ClientSession() as session:
        async with TickerClient(str(server.make_url("/")), session=session) as client:
            await client.strip()
        assert not session.closed


async def test_non_json_error_is_a_service_error(aiohttp_server):
    """An unexpected answer (here a proxy's HTML 404) is a ServiceError with its status."""

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="<h1>nope</h1>")

    app = web.Application()
    app.router.add_get("/v1/strip", not_found)
    server = await aiohttp_server(app)
    async with TickerClient(str(server.make_url("/"))) as client:
        with pytest.raises(ServiceError) as caught:
            await client.strip()
    assert caught.value.status == 404


async def test_repeated_calls_within_max_age_make_no_request(
    aiohttp_server, settings, filled_store
):
    """strip() honours Cache-Control: within max-age the answer is reused, not fetched."""
    import datetime as dt

    from ticker import Stamp

    filled_store.put_stamp(
        Stamp(version="v1", generated_at=NOW, next_refresh_at=NOW + dt.timedelta(hours=1))
    )
    app = create_app(settings, store=filled_store, clock=lambda: NOW)
    seen: list[tuple[int, str]] = []

    async def count(request, response):
        seen.append((response.status, request.path))

    app.on_response_prepare.append(count)
    server = await aiohttp_server(app)
    async with TickerClient(str(server.make_url("/"))) as client:
        first = await client.strip(lang="ru")
        again = await client.strip(lang="ru")
        other = await client.strip(lang="en")
    assert again is first
    assert other.lang == "en"
    assert seen == [(200, "/v1/strip"), (200, "/v1/strip")]


async def test_expired_answers_are_revalidated_with_the_etag(
    aiohttp_server, settings, filled_store
):
    """Past max-age the client sends If-None-Match and keeps its copy on a 304."""
    from ticker import Stamp

    filled_store.put_stamp(Stamp(version="v1", generated_at=NOW, next_refresh_at=NOW))
    app = create_app(settings, store=filled_store, clock=lambda: NOW)
    seen: list[int] = []

    async def count(request, response):
        seen.append(response.status)

    app.on_response_prepare.append(count)
    server = await aiohttp_server(app)
    async with TickerClient(str(server.make_url("/"))) as client:
        first = await client.strip()
        again = await client.strip()
    assert again is first
    assert seen == [200, 304]
