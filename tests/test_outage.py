"""Staleness never freezes: with no new stamp, ages and stale marks keep moving.

The shared cache unreachable, or a leader that cannot write: each process renders
what it read last again at the snapshot's next change, and ``/readyz`` says it is
degraded, and why.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from ticker import Store, build_sources, create_app
from ticker._data.cache import Stamp
from ticker._serving.app import AGE_GRACE
from ticker._staleness import rates_today

from ._running import free_port
from .conftest import NOW, make_settings, rate, weather

VALUES = [("USD", "445.99"), ("EUR", "486.53"), ("RUB", "5.78"), ("CNY", "64.16")]

#: Rates refreshed hourly turn stale 1.5 h after their refresh; weather (15 min) once it is
#: over 22.5 min old, in whole seconds: at 22 min 31 s.
WEATHER_STALE_AT = NOW + dt.timedelta(minutes=22, seconds=31)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _unreachable(*args: Any, **kwargs: Any) -> Any:
    raise ConnectionError("the shared cache is gone")


async def _until(check: Callable[[], Any], seconds: float = 5.0) -> Any:
    """Poll ``check`` (a coroutine function) until it returns something true."""
    for _ in range(int(seconds / 0.05)):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.05)
    return await check()


def _stamped(store: Store) -> Store:
    store.put_stamp(Stamp(version="v1", generated_at=NOW))
    return store


async def _weather_stale(client: Any) -> bool:
    body = await (await client.get("/v1/strip?lang=en")).json()
    return bool(body["weather"][0]["stale"])


async def test_an_unreachable_cache_does_not_freeze_staleness(
    aiohttp_client, filled_store: Store, monkeypatch
):
    clock = Clock(NOW + dt.timedelta(minutes=1))
    store = _stamped(filled_store)
    client = await aiohttp_client(create_app(make_settings(), store=store, clock=clock))
    assert not await _weather_stale(client)
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["status"] == "ready"

    monkeypatch.setattr(store.backend, "get_many", _unreachable)
    clock.now = WEATHER_STALE_AT + dt.timedelta(seconds=2)
    assert await _until(lambda: _weather_stale(client)), "the stale mark never came"
    strip = await (await client.get("/v1/strip?lang=en")).json()
    assert [item["missing"] for item in strip["rates"] + strip["weather"]] == [False] * 5
    assert not any(item["stale"] for item in strip["rates"])  # rates are fresh for 1.5 h
    # Rendered as of the change, not of now.
    assert strip["generated_at"] == WEATHER_STALE_AT.isoformat().replace("+00:00", "Z")

    ready = await client.get("/readyz")
    body = await ready.json()
    assert ready.status == 200, body  # the last good values are served: still ready
    assert body["status"] == "degraded"
    assert any("cannot read the shared cache" in problem for problem in body["problems"])
    assert [item["stale"] for item in body["items"] if item["kind"] == "weather"] == [True]


async def test_no_new_stamp_does_not_freeze_staleness(aiohttp_client, filled_store: Store):
    """The cache answers, but nobody stamps it (the leader cannot write): ages move on."""
    clock = Clock(NOW + dt.timedelta(minutes=1))
    client = await aiohttp_client(
        create_app(make_settings(), store=_stamped(filled_store), clock=clock)
    )
    assert not await _weather_stale(client)
    clock.now = WEATHER_STALE_AT + dt.timedelta(seconds=1)
    await asyncio.sleep(1.2)  # two looks of the watcher: the leader's restamp may still come
    assert not await _weather_stale(client)
    # Past the grace for the leader's stamp, and past two refresh intervals without one.
    clock.now = max(WEATHER_STALE_AT + AGE_GRACE, NOW + dt.timedelta(minutes=31))
    assert await _until(lambda: _weather_stale(client)), "the stale mark never came"
    body = await (await client.get("/readyz")).json()
    assert body["status"] == "degraded", body
    assert any("no refresh stamped the shared cache" in p for p in body["problems"]), body


@pytest.mark.parametrize("broken", ["acquire", "write"])
async def test_a_leader_that_cannot_hold_or_record_says_degraded(
    aiohttp_client, store: Store, monkeypatch, broken
):
    """A lease that cannot be taken (or a full disk under the refresh record): degraded."""
    settings = make_settings()
    now = dt.datetime.now(dt.UTC)  # the leader runs on the real clock
    store.put_rates(
        [rate(code, value, fetched_at=now, date=rates_today(now)) for code, value in VALUES]
    )
    store.put_weather([weather(fetched_at=now)])
    store.put_stamp(Stamp(version="v1", generated_at=now))
    monkeypatch.setattr(store.backend, broken, _unreachable)
    client = await aiohttp_client(
        create_app(settings, store=store, sources=build_sources(settings))
    )

    async def degraded() -> Any:
        body = await (await client.get("/readyz")).json()
        return body if body["status"] == "degraded" else None

    body = await _until(degraded)
    assert body is not None, await (await client.get("/readyz")).json()
    wanted = "cannot hold the refresh lease" if broken == "acquire" else "cannot refresh"
    assert any(wanted in problem for problem in body["problems"]), body
    assert body["ready"] is True


async def test_readyz_says_not_ready_and_why_while_an_item_is_missing(aiohttp_client, store):
    client = await aiohttp_client(create_app(make_settings(), store=store))
    ready = await client.get("/readyz")
    body = await ready.json()
    assert ready.status == 503
    assert body["status"] == "not_ready"
    assert body["problems"][0].startswith("no value to show for USD, EUR")


OUTAGE_YAML = """
cache: {{backend: redis, url: "redis://127.0.0.1:{port}/0"}}
languages: [en]
rates:
  currencies: [USD]
  refresh: 2s
  sources: [{{adapter: static, rates: {{USD: "445.99"}}}}]
weather:
  refresh: 2s
  cities:
    - {{id: astana, name: {{en: Astana}}, latitude: 51.1694, longitude: 71.4491,
        timezone: Asia/Almaty}}
  sources: [{{adapter: static, cities: {{astana: {{temperature: 19, min: 18, max: 20}}}}}}]
"""


@pytest.mark.slow
async def test_staleness_moves_on_when_redis_is_killed(tmp_path):
    """`ticker serve` on Redis, refreshing every 2 s; Redis killed: within seconds every
    item is marked stale (3 s after its last refresh), /readyz says degraded, still 200."""
    from ._running import poll_strip, running_service
    from .test_fleet import redis_server

    port = free_port()
    config = tmp_path / "outage.yaml"
    config.write_text(OUTAGE_YAML.format(port=port), encoding="utf-8")
    (tmp_path / "redis").mkdir()
    async with (
        redis_server(tmp_path / "redis", port) as redis,
        running_service(config) as service,
        aiohttp.ClientSession() as session,
    ):
        first = await poll_strip(service.url)
        assert not any(item["stale"] for item in first["rates"] + first["weather"])
        redis.kill()
        await asyncio.wait_for(redis.wait(), 10)

        async def all_stale() -> Any:
            async with session.get(f"{service.url}/v1/strip") as answer:
                body = await answer.json()
            items = body["rates"] + body["weather"]
            return body if all(item["stale"] for item in items) else None

        stale = await _until(all_stale, seconds=20)
        if stale is None:
            async with session.get(f"{service.url}/v1/strip") as answer:
                raise AssertionError(f"never all stale: {await answer.text()}")
        assert not any(item["missing"] for item in stale["rates"] + stale["weather"])
        async with session.get(f"{service.url}/readyz") as ready:
            body = await ready.json()
            assert ready.status == 200, body
        assert body["status"] == "degraded", body
        assert any("shared cache" in problem for problem in body["problems"]), body
        assert service.process.returncode is None
    assert "Traceback" not in service.log()


async def test_a_refresh_stopped_mid_way_ends_quietly(caplog):
    """The scheduler stopped while a refresh runs (shutdown, a lost lease): no traceback."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from ticker._data.schedule import _Job

    started = asyncio.Event()

    async def refresh() -> Any:
        started.set()
        await asyncio.sleep(60)

    job = _Job(AsyncIOScheduler(), "rates", refresh, dt.timedelta(hours=1))
    task = asyncio.create_task(job.run())
    await started.wait()
    task.cancel()
    await asyncio.wait_for(task, 1)  # ends, instead of raising into the scheduler's executor
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
