"""A fleet answers as one: one upstream request per source per interval, one ETag.

Real processes on 127.0.0.1: ``ticker serve --workers N`` on a shared disk cache,
and several instances on a real ``redis-server`` (started here on a free port, and
skipped with a reason where it is not installed).  A fake upstream counts requests.

The three fleets start together and are watched together (the ``fleets`` fixture):
a fleet spends its time waiting on intervals and leases far more than on a core, so
together they take about as long as the longest.  Each test awaits what its fleet showed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from ._running import Service, free_port, poll_strip, running_service
from .conftest import FIXTURES

pytestmark = [
    pytest.mark.slow,  # real processes: left out of the unit tier
    pytest.mark.asyncio(loop_scope="module"),  # the loop the fleets run in
]

INTERVAL = 2.0
LEASE = 2.0
#: APScheduler adds up to this much jitter to each interval (10%, at least a second).
JITTER = 1.0
NO_REDIS = "redis-server is not installed (apt-get install redis-server)"

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


@contextlib.asynccontextmanager
async def counting_upstream() -> AsyncIterator[tuple[CountingUpstream, str]]:
    """The counting upstream and its base URL, until the block ends."""
    fake = CountingUpstream()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


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


async def settled(
    urls: list[str], processes: int, seconds: float = 5.0, *, past: frozenset[str] = frozenset()
) -> dict[int, dict]:
    """Each process's health once all ``processes`` serve the same snapshot, none of ``past``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        latest = {health["pid"]: health for health in await healths(urls)}
        snapshots = {h["snapshot"] for h in latest.values()}
        if len(latest) == processes and len(snapshots) == 1 and snapshots.isdisjoint(past):
            return latest
        await asyncio.sleep(0.2)
    raise AssertionError(f"processes did not settle on one new snapshot: {latest}")


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


async def new_leader(urls: list[str], old: int, seconds: float = 10.0) -> float:
    """When a process other than ``old`` reports holding the lease."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            if any(h["leader"] and h["pid"] != old for h in await healths(urls, 24)):
                return time.monotonic()
        await asyncio.sleep(0.1)
    raise AssertionError("no process took the lease over")


@contextlib.asynccontextmanager
async def redis_server(directory: Path, port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    """A real redis-server on 127.0.0.1, persisting to the folder ``directory`` (append-only)."""
    binary = shutil.which("redis-server")
    assert binary is not None, NO_REDIS
    process = await asyncio.create_subprocess_exec(
        binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
        "--dir", str(directory), "--protected-mode", "yes", stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await _wait_for_port(port)
        yield process
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 10)


async def _wait_for_port(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"redis-server did not listen on {port}")


#: Instances starting at once: a start is mostly imports, each process on one core,
#: then a first refresh at the lowest CPU priority, which a start beside it holds up.
STARTING = 2


@contextlib.asynccontextmanager
async def running_together(plan: Sequence[tuple[Path, int]]) -> AsyncIterator[list[Service]]:
    """``ticker serve --config C --workers N`` per ``(C, N)`` of ``plan``, on their own ports.

    They start together (``STARTING`` at a time, so that none waits past its start-up
    limit for a core) and stop together: one after the other would add up their waits.
    Each has its strip complete (its first refresh done) when the block begins.
    """
    contexts = [running_service(config, "--workers", str(workers)) for config, workers in plan]
    gate = asyncio.Semaphore(STARTING)
    started: dict[int, Service] = {}

    async def start(index: int) -> None:
        async with gate:
            started[index] = await contexts[index].__aenter__()
            await poll_strip(started[index].url)

    try:
        async with asyncio.TaskGroup() as group:  # one failing to start cancels the others
            for index in range(len(plan)):
                group.create_task(start(index))
        yield [started[index] for index in range(len(plan))]
    finally:
        async with asyncio.TaskGroup() as group:
            for index in started:
                group.create_task(contexts[index].__aexit__(None, None, None))


@dataclass
class Handover:
    """What a fleet showed: its requests, each process's health, the lease handed over."""

    before: dict[str, list[float]]
    processes: dict[int, dict]
    leaders: list[int]
    #: Seconds from killing the leader to another process holding the lease, and the
    #: requests after that; None when there was not one leader to kill.
    handover: float | None = None
    after: dict[str, list[float]] | None = None


async def _handover(
    fake: CountingUpstream,
    services: list[Service],
    processes: int,
    window: float,
    one_at_a_time: asyncio.Lock,
) -> Handover:
    """Watch the fleet ``window`` s, SIGKILL its leader, watch it 5 s after the takeover.

    A takeover is watched with no other under way (``one_at_a_time``): a killed worker
    is started again, and the watching polls every process, which takes the cores
    from the refreshes (they run at the lowest CPU priority) just when they are judged.
    """
    urls = [service.url for service in services]
    before = await observe(fake, window)
    async with one_at_a_time:
        healthy = await settled(urls, processes)
        leaders = [pid for pid, health in healthy.items() if health["leader"]]
        if len(leaders) != 1:
            return Handover(before, healthy, leaders)
        killed_at = time.monotonic()
        os.kill(leaders[0], signal.SIGKILL)
        took_over = await new_leader(urls, leaders[0])
        after = await observe(fake, 5.0)
    return Handover(before, healthy, leaders, took_over - killed_at, after)


@dataclass
class Outage:
    """What a fleet served with Redis gone, and once it was back."""

    during: list[dict]
    strips: list[dict]
    logs: list[str]
    after: dict[int, dict]
    strip_after: dict


async def _outage(
    services: list[Service], redis: asyncio.subprocess.Process, directory: Path, port: int
) -> Outage:
    """Stop Redis for longer than a lease, then start it again on the same port and data."""
    urls = [service.url for service in services]
    await settled(urls, 4)
    redis.terminate()
    await asyncio.wait_for(redis.wait(), 10)
    await asyncio.sleep(LEASE)
    during = await healths(urls)
    strips = [await poll_strip(u, until_complete=False) for u in urls]
    logs = [service.log() for service in services]
    outage = frozenset(health["snapshot"] for health in during)
    async with redis_server(directory, port):
        # Within a lease, an interval and its jitter, and 11 s of slack, as one wait.
        limit = LEASE + INTERVAL + JITTER + 11.0
        after = await settled(urls, 4, seconds=limit, past=outage)
        strip_after = await poll_strip(urls[1])
    return Outage(during, strips, logs, after, strip_after)


@dataclass
class Fleets:
    """Each fleet's scenario, running; None for those on Redis where it is not installed."""

    disk: asyncio.Task[Handover]
    redis: asyncio.Task[Handover] | None
    outage: asyncio.Task[Outage] | None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleets(tmp_path_factory) -> AsyncIterator[Fleets]:
    """Every fleet of the module, started at once, then watched at once; stopped at the end.

    No fleet is watched before all have started: a start takes the cores, and the
    refreshes run at the lowest CPU priority.

    disk: 4 workers on a disk cache; redis: 3 instances x 2 workers on Redis; outage:
    2 instances x 2 workers on a Redis that goes away.
    """
    folder = tmp_path_factory.mktemp("fleets")
    with_redis = shutil.which("redis-server") is not None
    async with contextlib.AsyncExitStack() as stack:
        disk_fake, url = await stack.enter_async_context(counting_upstream())
        cache = f"{{path: {folder / 'cache'}, lease: 2s}}"
        plan = [(write_config(folder / "disk.yaml", cache, url), 4)]
        if with_redis:
            redis_fake, url = await stack.enter_async_context(counting_upstream())
            port = free_port()
            await stack.enter_async_context(redis_server(tmp_path_factory.mktemp("redis"), port))
            cache = f"{{backend: redis, url: 'redis://127.0.0.1:{port}/0', lease: 2s}}"
            plan += [(write_config(folder / "redis.yaml", cache, url), 2)] * 3
            _, url = await stack.enter_async_context(counting_upstream())
            outage_port, outage_data = free_port(), tmp_path_factory.mktemp("outage-redis")
            outage_redis = await stack.enter_async_context(redis_server(outage_data, outage_port))
            cache = f"{{backend: redis, url: 'redis://127.0.0.1:{outage_port}/0', lease: 2s}}"
            plan += [(write_config(folder / "outage.yaml", cache, url), 2)] * 2
        services = await stack.enter_async_context(running_together(plan))
        handovers = asyncio.Lock()
        started = Fleets(
            asyncio.create_task(_handover(disk_fake, services[:1], 4, 7.0, handovers)), None, None
        )
        if with_redis:
            started.redis = asyncio.create_task(
                _handover(redis_fake, services[1:4], 6, 8.0, handovers)
            )
            started.outage = asyncio.create_task(
                _outage(services[4:], outage_redis, outage_data, outage_port)
            )
        tasks = [task for task in (started.disk, started.redis, started.outage) if task]
        try:
            yield started
        finally:
            for task in tasks:
                task.cancel()  # a test left out by -k: its fleet stops
            await asyncio.gather(*tasks, return_exceptions=True)


async def test_workers_on_one_host_share_one_refresh(fleets):
    """4 workers on a disk cache: one request per source per interval, one ETag, handover."""
    seen = await fleets.disk
    counts = assert_once_per_interval(seen.before, 7.0)
    assert len({health["etag"] for health in seen.processes.values()}) == 1
    assert len(seen.leaders) == 1
    print(f"\ndisk, 4 workers: {counts} requests in 7 s; new leader after {seen.handover:.1f} s")
    assert seen.handover <= LEASE + LEASE / 3 + 1.0
    assert_once_per_interval(seen.after, 5.0)


async def test_instances_on_redis_share_one_refresh(fleets):
    """3 instances x 2 workers on Redis: one request per interval, one ETag, handover."""
    if fleets.redis is None:
        pytest.skip(NO_REDIS)
    seen = await fleets.redis
    counts = assert_once_per_interval(seen.before, 8.0)
    assert len({health["etag"] for health in seen.processes.values()}) == 1
    assert len(seen.leaders) == 1
    print(f"\nredis, 3x2: {counts} requests in 8 s; new leader after {seen.handover:.1f} s")
    assert seen.handover <= LEASE + LEASE / 3 + 1.0
    assert_once_per_interval(seen.after, 5.0)


async def test_redis_outage_keeps_serving_and_recovers(fleets):
    """With Redis gone every process serves its last snapshot; after it returns, all move on."""
    if fleets.outage is None:
        pytest.skip(NO_REDIS)
    seen = await fleets.outage
    assert len({h["pid"] for h in seen.during}) == 4
    assert all(strip["rates"][0]["rate"] == "445.99" for strip in seen.strips)
    etags = {(h["snapshot"], h["etag"]) for h in seen.during}
    assert len(etags) == len({snapshot for snapshot, _ in etags})
    assert any("shared cache" in log for log in seen.logs)
    assert len({h["etag"] for h in seen.after.values()}) == 1
    assert {h["snapshot"] for h in seen.after.values()}.isdisjoint(s for s, _ in etags)
    assert seen.strip_after["rates"][0]["rate"] == "445.99"
