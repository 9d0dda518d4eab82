"""The client end to end against the real app: same models, typed errors."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import threading
from collections.abc import Iterator
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from ticker import (
    AuditAnswer,
    AuditItem,
    BadRequestError,
    HistoryAnswer,
    HistoryPoint,
    ReadyBody,
    ServiceError,
    ServiceUnavailable,
    Strip,
    SyncTickerClient,
    TickerClient,
    build_strip,
    create_app,
)
from ticker._data.history import History
from ticker._serving.history_routes import HISTORY_KEY

from .conftest import NOW, REFERENCE_RATES, rate, weather


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


async def test_units_and_images_mirror_their_endpoints(server, aiohttp_client):
    """units= reaches the strip, and image() returns the bytes the service draws."""
    raw = aiohttp_client(server)
    direct = await (await raw).get("/v1/card.png", params={"lang": "ru", "size": "1080x1080"})
    async with TickerClient(str(server.make_url("/"))) as client:
        strip = await client.strip(lang="en", units="imperial")
        half = await client.weather(units="imperial")
        card = await client.image("card.png", "ru", size="1080x1080")
        svg = await client.image("strip.svg", "zh", width=480, theme="dark")
        with pytest.raises(BadRequestError):
            await client.image("strip.png", width=10)
        with pytest.raises(ValueError, match="kind must be one of"):
            await client.image("card.gif")  # type: ignore[arg-type]
    assert strip.unit == "°F"
    assert strip.weather[0].text.endswith("°F")
    assert half.unit == "°F"
    assert card == await direct.read()
    assert card.startswith(b"\x89PNG")
    assert b'viewBox="0 0 480 ' in svg


async def test_bad_language_raises_bad_request_with_allowed(server):
    """A 400 becomes BadRequestError carrying what the service allows."""
    async with TickerClient(str(server.make_url("/"))) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.strip(lang="fr")
    assert caught.value.parameter == "lang"
    assert caught.value.allowed == ["en", "ru", "kk", "zh-Hans"]
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


# -- history, audit and readiness ---------------------------------------------------

#: The USD publications the history holds, dated the three days to NOW.
HISTORY_DAYS = {
    dt.date(2026, 11, 26): "443.10",
    dt.date(2026, 11, 27): "444.97",
    dt.date(2026, 11, 28): "445.99",
}
#: What the strip first showed, 09:00 in Astana (04:00 UTC) on NOW's day.
FIRST_SHOWN = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)


def record_history(settings, store) -> None:
    """USD of the three days to NOW in the history, and a strip audited twice that day."""
    history = History(store.backend, settings.history, clock=lambda: NOW)
    history.record(
        rate("USD", published, date=day, fetched_at=NOW) for day, published in HISTORY_DAYS.items()
    )
    rates = {
        item.code: item.model_copy(update={"fetched_at": FIRST_SHOWN}) for item in REFERENCE_RATES
    }
    for moment, temperature in ((FIRST_SHOWN, 19.2), (NOW, 21.0)):
        reading = {"astana": weather(temperature=temperature, fetched_at=moment)}
        strip = build_strip(settings, rates, reading, lang="en", now=moment)
        history.audit_strip(strip, moment)


def counted(app: web.Application) -> list[str]:
    """The paths with query of every request ``app`` answers, appended as they are."""
    seen: list[str] = []

    async def count(request, response):
        seen.append(request.path_qs)

    app.on_response_prepare.append(count)
    return seen


@pytest.fixture
def history_app(settings, filled_store):
    """The real app with the recorded history, frozen at NOW."""
    record_history(settings, filled_store)
    return create_app(settings, store=filled_store, clock=lambda: NOW)


@contextlib.contextmanager
def served_in_thread(app: web.Application) -> Iterator[str]:
    """``app`` on 127.0.0.1 on an event loop in its own thread; yields the base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(call):
        return asyncio.run_coroutine_threadsafe(call, loop).result(10)

    runner = web.AppRunner(app)
    try:
        run(runner.setup())
        run(web.TCPSite(runner, "127.0.0.1", 0).start())
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        run(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


async def test_history_returns_the_points_of_the_range(aiohttp_server, history_app):
    """history(code, start, end) is the service's HistoryAnswer, point by point."""
    server = await aiohttp_server(history_app)
    async with TickerClient(str(server.make_url("/"))) as client:
        answer = await client.history("USD", dt.date(2026, 11, 27), dt.date(2026, 11, 28))
    assert isinstance(answer, HistoryAnswer)
    assert (answer.code, answer.from_, answer.to) == (
        "USD",
        dt.date(2026, 11, 27),
        dt.date(2026, 11, 28),
    )
    assert answer.points == [
        HistoryPoint(
            date=day, rate=Decimal(published), published=Decimal(published), quant=1, source="nbk"
        )
        for day, published in HISTORY_DAYS.items()
        if day >= dt.date(2026, 11, 27)
    ]


async def test_history_defaults_to_the_last_30_days(aiohttp_server, history_app):
    """Without dates the client sends none, and the service's 30 days to today come back."""
    seen = counted(history_app)
    server = await aiohttp_server(history_app)
    async with TickerClient(str(server.make_url("/"))) as client:
        answer = await client.history("USD")
    assert seen == ["/v1/rates/USD/history"]
    assert (answer.from_, answer.to) == (dt.date(2026, 10, 30), dt.date(2026, 11, 28))
    assert [point.date for point in answer.points] == list(HISTORY_DAYS)


async def test_history_within_max_age_is_served_from_the_cache(aiohttp_server, history_app):
    """A repeated history() within max-age makes no request; another range makes one."""
    seen = counted(history_app)
    server = await aiohttp_server(history_app)
    week = (dt.date(2026, 11, 22), dt.date(2026, 11, 28))
    async with TickerClient(str(server.make_url("/"))) as client:
        first = await client.history("USD", *week)
        again = await client.history("USD", *week)
        other = await client.history("USD", dt.date(2026, 11, 28))
    assert again is first
    assert other.from_ == dt.date(2026, 11, 28)
    assert seen == [
        "/v1/rates/USD/history?from=2026-11-22&to=2026-11-28",
        "/v1/rates/USD/history?from=2026-11-28",
    ]


async def test_history_unknown_currency_is_a_404_service_error(aiohttp_server, history_app):
    """A currency the service does not show is a ServiceError with status 404, not a 400."""
    server = await aiohttp_server(history_app)
    async with TickerClient(str(server.make_url("/"))) as client:
        with pytest.raises(ServiceError) as caught:
            await client.history("GBP")
    assert caught.value.status == 404
    assert not isinstance(caught.value, BadRequestError | ServiceUnavailable)


async def test_history_reversed_range_is_a_bad_request(aiohttp_server, history_app):
    """A start after the end is BadRequestError naming ``from`` and what it may be."""
    server = await aiohttp_server(history_app)
    async with TickerClient(str(server.make_url("/"))) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.history("USD", dt.date(2026, 11, 28), dt.date(2026, 11, 1))
    assert caught.value.parameter == "from"
    assert caught.value.allowed == ["2026-11-01 or earlier"]


async def test_unreadable_history_is_service_unavailable(aiohttp_server, settings, store):
    """The service's 503 for a cache it cannot read is ServiceUnavailable, for both endpoints."""

    class Down:
        def get_many(self, keys):
            raise ConnectionError("cache is down")

    app = create_app(settings, store=store, clock=lambda: NOW)
    app[HISTORY_KEY] = History(Down(), settings.history)
    server = await aiohttp_server(app)
    async with TickerClient(str(server.make_url("/"))) as client:
        for call in (client.history("USD"), client.audit(NOW)):
            with pytest.raises(ServiceUnavailable) as caught:
                await call
            assert caught.value.status == 503


async def test_audit_returns_what_the_strip_showed(aiohttp_server, history_app):
    """audit(at) sends the offset's + intact and returns each item's entry in effect then."""
    seen = counted(history_app)
    server = await aiohttp_server(history_app)
    at = dt.datetime(2026, 11, 28, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    async with TickerClient(str(server.make_url("/"))) as client:
        answer = await client.audit(at)
    assert seen == ["/v1/audit?at=2026-11-28T10:30:00%2B05:00"]
    assert isinstance(answer, AuditAnswer)
    assert answer.at == at
    assert [(item.item, item.text, item.since) for item in answer.items] == [
        ("CNY", "64.16", FIRST_SHOWN),
        ("EUR", "486.53", FIRST_SHOWN),
        ("RUB", "5.78", FIRST_SHOWN),
        ("USD", "445.99", FIRST_SHOWN),
        ("astana", "+18+20℃", FIRST_SHOWN),
    ]
    assert answer.items[3] == AuditItem(
        item="USD", kind="rates", text="445.99", value=Decimal("445.99"), source="nbk",
        fetched_at=FIRST_SHOWN, since=FIRST_SHOWN,
    )  # fmt: skip
    assert answer.items[-1].value == Decimal("19.2")


async def test_audit_refuses_a_naive_datetime_before_any_request(aiohttp_server, history_app):
    """A datetime without an offset is a ValueError raised by the client, not sent."""
    seen = counted(history_app)
    server = await aiohttp_server(history_app)
    async with TickerClient(str(server.make_url("/"))) as client:
        with pytest.raises(ValueError, match="aware"):
            await client.audit(dt.datetime(2026, 11, 28, 10, 30))  # noqa: DTZ001
    assert seen == []


async def test_ready_with_every_item_is_ready(server):
    """ready() is the service's ReadyBody: every configured item, none missing."""
    async with TickerClient(str(server.make_url("/"))) as client:
        body = await client.ready()
    assert isinstance(body, ReadyBody)
    assert body.ready
    assert [(item.kind, item.item, item.missing) for item in body.items] == [
        ("rates", "USD", False),
        ("rates", "EUR", False),
        ("rates", "RUB", False),
        ("rates", "CNY", False),
        ("weather", "astana", False),
    ]
    assert [(source.kind, source.source) for source in body.sources] == [
        ("rates", "static"),
        ("weather", "static"),
    ]


async def test_ready_on_an_empty_cache_is_an_answer_not_an_error(aiohttp_server, settings, store):
    """The 503 of an empty cache comes back as ReadyBody(ready=False) listing what is missing."""
    server = await aiohttp_server(create_app(settings, store=store, clock=lambda: NOW))
    async with TickerClient(str(server.make_url("/"))) as client:
        body = await client.ready()
    assert not body.ready
    assert {item.item for item in body.items if item.missing} == {
        "USD", "EUR", "RUB", "CNY", "astana",
    }  # fmt: skip


async def test_ready_503_without_its_body_is_service_unavailable(aiohttp_server):
    """A 503 that is not a ReadyBody (here a proxy's page) raises ServiceUnavailable."""

    async def overloaded(request: web.Request) -> web.Response:
        return web.Response(status=503, text="<h1>try later</h1>")

    app = web.Application()
    app.router.add_get("/readyz", overloaded)
    server = await aiohttp_server(app)
    async with TickerClient(str(server.make_url("/"))) as client:
        with pytest.raises(ServiceUnavailable) as caught:
            await client.ready()
    assert caught.value.status == 503


# -- the sync client ----------------------------------------------------------------


async def test_sync_client_works_inside_a_running_loop(history_app):
    """Called straight from a coroutine, every sync method returns what the async one does."""
    at = NOW.astimezone(dt.timezone(dt.timedelta(hours=5)))
    with served_in_thread(history_app) as url:
        async with TickerClient(url) as client:
            expected = [
                await client.strip(lang="ru"),
                await client.rates(),
                await client.weather(lang="zh"),
                await client.widget(lang="en"),
                await client.healthy(),
                await client.history("USD", dt.date(2026, 11, 26)),
                await client.audit(at),
                await client.ready(),
            ]
        with SyncTickerClient(url) as sync:
            answered = [
                sync.strip(lang="ru"),
                sync.rates(),
                sync.weather(lang="zh"),
                sync.widget(lang="en"),
                sync.healthy(),
                sync.history("USD", dt.date(2026, 11, 26)),
                sync.audit(at),
                sync.ready(),
            ]
    assert answered == expected
    assert answered[5].points[-1].rate == Decimal("445.99")


def test_sync_client_works_outside_a_loop(history_app):
    """In plain blocking code the sync client answers the same, and maps errors the same."""
    with served_in_thread(history_app) as url, SyncTickerClient(url) as client:
        assert client.strip().rates[0].rate == Decimal("445.99")
        assert client.ready().ready
        with pytest.raises(BadRequestError):
            client.strip(lang="fr")
        with pytest.raises(ValueError, match="aware"):
            client.audit(dt.datetime(2026, 11, 28, 10, 30))  # noqa: DTZ001


def test_sync_client_closes_its_session_and_joins_its_thread(history_app):
    """close() closes the session it opened, stops the loop and joins the thread; twice is fine."""
    with served_in_thread(history_app) as url:
        client = SyncTickerClient(url)
        assert client.healthy()
        session = client._client._session
        client.close()
        client.close()
    assert session is not None
    assert session.closed
    assert not client._thread.is_alive()
    assert client._loop.is_closed()
    with pytest.raises(RuntimeError, match="closed"):
        client.strip()
