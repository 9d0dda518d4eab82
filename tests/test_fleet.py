"""A fleet answers as one: one upstream request per source per interval, one ETag.

Real processes on 127.0.0.1: ``ticker serve --workers N`` on a shared disk cache,
and several instances on a real ``redis-server`` (started here on a free port, and
skipped with a reason where it is not installed).  A fake upstream counts requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from ._running import Service, free_port, poll_strip, running_service
from .conftest import FIXTURES

pytestmark = pytest.mark.slow  # real processes: left out of the unit tier

INTERVAL = 2.0
LEASE = 2.0
#: APScheduler adds up to this much jitter to each interval (10%, at least a second).
JITTER = 1.0

CONFIG = """
cache: {cache}
languages: [en, ru]
rates:
  currencies: [USD, EUR]
  refresh: 2s
  sources: [{{adapter: nbk, url: "{upstream}/rss/", retries: 0, timeout: 1s}}]
weather:
  refresh: 2s
  cities:
    - {{id: astana, name: {{en: Astana}}, latitude: 51.1694, longitude: 71.4491,
        timezone: Asia/Almaty}}
  sources: [{{adapter: open-meteo, url: "{upstream}/", retries: 0, timeout: 1s}}]
"""


class CountingUpstream:
    """The National Bank and Open-Meteo on loopback, noting when each was asked."""

    def __init__(self) -> None:
        self.asked: dict[str, list[float]] = {"rates": [], "weather": []}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/rss/rates_all.xml", self.rates)
        app.router.add_get("/v1/forecast", self.forecast)
        return app

    async def rates(self, request: web.Request) -> web.Response:
        self.asked["rates"].append(time.monotonic())
        return web.Response(body=(FIXTURES / "nbk_rates_all.xml").read_bytes())

    async def forecast(self, request: web.Request) -> web.Response:
        self.asked["weather"].append(time.monotonic())
        return web.Response(body=(FIXTURES / "open_meteo_astana.json").read_bytes())

    def since(self, start: float) -> dict[str, list[float]]:
        """Request times of each kind after ``start``."""
        return {kind: [t for t in times if t >= start] for kind, times in self.asked.items()}


@pytest.fixture
async def upstream(aiohttp_server) -> tuple[CountingUpstream, str]:
    """The counting upstream and its base URL."""
    fake = CountingUpstream()
    server = await aiohttp_server(fake.app(), host="127.0.0.1")
    return fake, str(server.make_url("")).rstrip("/")


def write_config(path: Path, cache: str, upstream: str) -> Path:
    """A fleet's settings file."""
    path.write_text(CONFIG.format(cache=cache, upstream=upstream), "utf-8")
    return path


async def healths(urls: list[str], connections: int = 60) -> list[dict]:
    """/healthz through many fresh connections, so that every worker answers some."""
    found = []
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        for index in range(connections):
            async with session.get(f"{urls[index % len(urls)]}/healthz") as response:
                found.append(await response.json())
    return found


async def settled(urls: list[str], processes: int, seconds: float = 5.0) -> dict[int, dict]:
    """Each process's health once all ``processes`` serve the same snapshot."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latest = {health["pid"]: health for health in await healths(urls)}
        if len(latest) == processes and len({h["snapshot"] for h in latest.values()}) == 1:
            return latest
        await asyncio.sleep(0.2)
    raise AssertionError(f"processes did not settle on one snapshot: {latest}")


#: How late a request may reach the fake upstream on a busy 2-core machine: the
#: scheduler's next run counts from the planned time, so one late run shortens a gap.
LATENESS = 1.0


def assert_once_per_interval(asked: dict[str, list[float]], window: float) -> dict[str, int]:
    """Each kind asked about once per interval: never twice within one, never skipped.

    Two processes refreshing together would ask within milliseconds of each other;
    a late run only brings two requests up to ``LATENESS`` closer than an interval.
    """
    counts = {}
    for kind, times in asked.items():
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert all(gap >= INTERVAL - LATENESS for gap in gaps), (kind, gaps)
        assert all(gap <= INTERVAL + JITTER + LEASE + LATENESS for gap in gaps), (kind, gaps)
        assert window / (INTERVAL + JITTER) - 1 <= len(times) <= window / INTERVAL + 1, (
            kind,
            times,
        )
        counts[kind] = len(times)
    return counts


async def observe(fake: CountingUpstream, seconds: float) -> dict[str, list[float]]:
    """Let the fleet run for ``seconds``; the requests it made meanwhile."""
    start = time.monotonic()
    await asyncio.sleep(seconds)
    return fake.since(start)


async def test_workers_on_one_host_share_one_refresh(tmp_path, upstream):
    """4 workers on a disk cache: one request per source per interval, one ETag, handover."""
    fake, url = upstream
    config = write_config(
        tmp_path / "fleet.yaml", f"{{path: {tmp_path / 'cache'}, lease: 2s}}", url
    )
    async with running_service(config, "--workers", "4") as service:
        await poll_strip(service.url)
        counts = assert_once_per_interval(await observe(fake, 7.0), 7.0)
        processes = await settled([service.url], 4)
        assert len({health["etag"] for health in processes.values()}) == 1
        leaders = [pid for pid, health in processes.items() if health["leader"]]
        assert len(leaders) == 1
        killed_at = time.monotonic()
        os.kill(leaders[0], signal.SIGKILL)
        took_over = await new_leader([service.url], leaders[0])
        after = await observe(fake, 5.0)
    handover = took_over - killed_at
    print(f"\ndisk, 4 workers: {counts} requests in 7 s; new leader after {handover:.1f} s")
    assert took_over - killed_at <= LEASE + LEASE / 3 + 1.0
    assert_once_per_interval(after, 5.0)


async def new_leader(urls: list[str], old: int, seconds: float = 10.0) -> float:
    """When a process other than ``old`` reports holding the lease."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            if any(h["leader"] and h["pid"] != old for h in await healths(urls, 24)):
                return time.monotonic()
        await asyncio.sleep(0.1)
    raise AssertionError("no process took the lease over")


@contextlib.contextmanager
def redis_server(directory: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A real redis-server on 127.0.0.1, persisting to ``directory`` (append-only file)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    directory.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
         "--dir", str(directory), "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_port(port)
        yield process
    finally:
        process.terminate()
        process.wait(10)


def _wait_for_port(port: int, seconds: float = 10.0) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not listen on {port}")


@contextlib.asynccontextmanager
async def instances(config: Path, count: int, workers: int) -> AsyncIterator[list[Service]]:
    """``count`` instances of ``ticker serve --workers N`` on their own ports."""
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(running_service(config, "--workers", str(workers)))
            for _ in range(count)
        ]


async def test_instances_on_redis_share_one_refresh(tmp_path, upstream):
    """3 instances x 2 workers on Redis: one request per interval, one ETag, handover."""
    fake, url = upstream
    port = free_port()
    with redis_server(tmp_path / "redis", port):
        cache = f"{{backend: redis, url: 'redis://127.0.0.1:{port}/0', lease: 2s}}"
        config = write_config(tmp_path / "fleet.yaml", cache, url)
        async with instances(config, 3, 2) as services:
            urls = [service.url for service in services]
            await poll_strip(urls[0])
            counts = assert_once_per_interval(await observe(fake, 8.0), 8.0)
            processes = await settled(urls, 6)
            assert len({health["etag"] for health in processes.values()}) == 1
            leaders = [pid for pid, health in processes.items() if health["leader"]]
            assert len(leaders) == 1
            killed_at = time.monotonic()
            os.kill(leaders[0], signal.SIGKILL)
            took_over = await new_leader(urls, leaders[0])
            after = await observe(fake, 5.0)
    print(f"\nredis, 3x2: {counts} requests in 8 s; new leader after {took_over - killed_at:.1f} s")
    assert took_over - killed_at <= LEASE + LEASE / 3 + 1.0
    assert_once_per_interval(after, 5.0)


async def test_redis_outage_keeps_serving_and_recovers(tmp_path, upstream):
    """With Redis gone every process serves its last snapshot; after it returns, all move on."""
    _, url = upstream
    port = free_port()
    cache = f"{{backend: redis, url: 'redis://127.0.0.1:{port}/0', lease: 2s}}"
    config = write_config(tmp_path / "fleet.yaml", cache, url)
    with redis_server(tmp_path / "redis", port) as server:
        async with instances(config, 2, 2) as services:
            urls = [service.url for service in services]
            await poll_strip(urls[0])
            await settled(urls, 4)
            server.terminate()
            server.wait(10)
            await asyncio.sleep(LEASE)
            during = await healths(urls)
            strips = [await poll_strip(u, until_complete=False) for u in urls]
            assert len({h["pid"] for h in during}) == 4
            assert all(strip["rates"][0]["rate"] == "445.99" for strip in strips)
            etags = {(h["snapshot"], h["etag"]) for h in during}
            assert len(etags) == len({snapshot for snapshot, _ in etags})
            assert any("shared cache" in service.log() for service in services)
            with redis_server(tmp_path / "redis", port):
                await asyncio.sleep(LEASE + INTERVAL + JITTER + 1.0)
                after = await settled(urls, 4, seconds=10.0)
                assert len({h["etag"] for h in after.values()}) == 1
                assert {h["snapshot"] for h in after.values()}.isdisjoint(s for s, _ in etags)
                assert (await poll_strip(urls[1]))["rates"][0]["rate"] == "445.99"
