"""Does a refresh stall serving?  /v1/strip under load, idle and while refreshes run back to back.

Usage::

    python -m benchmarks.refresh_stall              # 200 cities x 40 currencies, 6 s loads: ~2 min
    python -m benchmarks.refresh_stall --quick      # 20 x 10, 1 s loads, no warm-up load (the
                                                    # smoke test, tests/test_benchmarks.py)
    python -m benchmarks.refresh_stall --caches disk --repeat 3
    python -m benchmarks.refresh_stall --ticker-path /tmp/before   # another checkout's ticker

Everything runs on 127.0.0.1 from a temporary folder.  Fake National Bank (RSS) and
Open-Meteo (JSON) servers answer in the upstreams' real formats, from a thread of
this process; ``ticker serve`` runs as a process of its own (one worker, uvloop if
installed) against them, configured through each source's ``url:``, with three
caches in turn: the disk cache, a local redis-server, and that Redis behind a
proxy delaying each direction by 25 ms (``benchmarks/_delay_proxy.py``).

Per cache, one process is measured twice with the same load (wrk ``-t1 -c16``):

* idle: refreshes every hour, the cache filled and the strip settled;
* floor: idle again, with one core of busy loop at the lowest CPU priority
  (``SCHED_IDLE``) beside it and no ticker work: what any work on the other core costs
  this host, the best a refresh done on the same machine can hope for;
* during: after SIGHUP with ``refresh: 1s`` for both kinds, so refreshes run back
  to back (the fake upstreams count their requests over the load, to show it).

The fake upstreams stand for servers on other machines, so their thread runs at
``SCHED_IDLE`` too: on two cores their CPU would otherwise be charged to the service.

The figures are the during/idle ratios of p99 latency and of requests per second,
against the issue's targets, beside the floor/idle ratio of the same run.
``--ticker-path`` serves another checkout's ticker (``python -P -m ticker`` with that
``PYTHONPATH``): the "before" figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zoneinfo
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from benchmarks import _nginx
from benchmarks._delay_proxy import start_delay_proxy
from benchmarks._load import LoadResult, find_wrk, measure
from benchmarks._processes import Processes, Running, fetch, free_port, stop_on_sigterm, wait_ready
from benchmarks._report import Figure, Report, Section, Target, machine
from benchmarks._servers import Server, settle, ticker_command
from benchmarks._settings import SCALE_CURRENCIES, scale_settings, write_settings

__all__ = ["CACHES", "StallOptions", "main", "measure_refresh_stall"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "test-artifacts" / "refresh-stall.md"
HOST = "127.0.0.1"
PATH = "/v1/strip"

#: The issue's targets: during a refresh, p99 within 1.5x idle, throughput at least 90%.
P99_RATIO = Target(1.5, "x")
RPS_RATIO = Target(0.9, "x", at_least=True)
#: What the issue measured before anything was done (p99 during / idle).
ISSUE_P99_RATIOS = {"disk": 3.8, "local redis": 4.6, "redis 50 ms away": 266.0}

#: The caches measured, by the labels the tables show.
DISK, REDIS, FAR_REDIS = "disk", "local redis", "redis 50 ms away"
CACHES = (DISK, REDIS, FAR_REDIS)
CACHE_NAMES = {"disk": DISK, "redis": REDIS, "redis-far": FAR_REDIS}

#: Refresh intervals: idle (nothing due while measured) and back to back (always due).
IDLE_REFRESH = "1h"
#: How long the floor phase's busy loop runs before the load starts.
FLOOR_SETTLE_SECONDS = 0.5
BUSY_REFRESH = "1s"
#: An unmeasured load, then requests on new connections, before each measured one
#: (--quick: only the requests; its figures are not judged).
WARM_SECONDS = 1.0
WARM_REQUESTS = 20
#: Slots of the load counted as "refreshing" when an upstream was asked in them.
BUSY_SLOT_SECONDS = 0.25
#: Bounds on the waits for a refresh to start and for the upstreams to fall quiet.
REFRESH_START_SECONDS = 30.0
QUIET_SECONDS = 2.0
QUIET_LIMIT_SECONDS = 120.0
#: Bounds on anything run in the background loop, and on redis-server's start.
BACKGROUND_SECONDS = 30.0
REDIS_READY_SECONDS = 10.0

_T = TypeVar("_T")


@dataclass(frozen=True)
class StallOptions:
    """What to measure: the scale, the load, the caches."""

    cities: int = 200
    currencies: int = 40
    duration: float = 6.0
    connections: int = 16
    threads: int = 1
    caches: tuple[str, ...] = CACHES
    delay: float = 0.025
    refresh: str = BUSY_REFRESH
    repeat: int = 1
    ticker_path: Path | None = None
    wrk: str | None = None
    warm_up: float = WARM_SECONDS

    @classmethod
    def quick(cls, **changes: Any) -> StallOptions:
        """Small counts, 1 s loads, no warm-up load: every line printed in seconds per cache."""
        return replace(cls(cities=20, currencies=10, duration=1.0, warm_up=0.0), **changes)


# -- the fake upstreams -------------------------------------------------------------------


def nbk_feed(codes: Sequence[str], day: dt.date) -> bytes:
    """The National Bank's ``rates_all.xml`` (RSS 2.0) with one item per code, dated ``day``."""
    items = []
    for index, code in enumerate(codes):
        change = (index % 5 - 2) * 0.37
        index_text = "UP" if change > 0 else "DOWN" if change < 0 else ""
        items.append(
            f"<item><title>{code}</title><pubDate>{day:%d.%m.%Y}</pubDate>"
            f"<description>{100 + 7.31 * index:.2f}</description><quant>{_quant(code)}</quant>"
            f"<index>{index_text}</index><change>{change:+.2f}</change><link /></item>"
        )
    title = "Official exchange rates of National Bank of Republic Kazakhstan"
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<generator>Alternate RSS Builder</generator><title>{title}</title>"
        f"<link>www.nationalbank.kz</link><description>{title}</description>"
        "<language>ru</language><copyright>www.nationalbank.kz</copyright>\n"
        + "\n".join(items)
        + "\n</channel></rss>"
    ).encode()


def _quant(code: str) -> int:
    """The units the bank quotes ``code`` per (the feed's ``<quant>``)."""
    return {"UZS": 100, "KRW": 100, "IRR": 1000, "HUF": 10, "AMD": 10, "JPY": 10}.get(code, 1)


def forecast(latitude: float, longitude: float, timezone: str, now: dt.datetime) -> bytes:
    """An Open-Meteo ``/v1/forecast`` answer: current weather and today's range, local time."""
    local = now.astimezone(zoneinfo.ZoneInfo(timezone))
    current = local.replace(minute=local.minute // 15 * 15, second=0, microsecond=0)
    offset = local.utcoffset() or dt.timedelta()
    temperature = round((latitude * 7 + longitude * 3) % 40 - 10, 1)
    degrees = "°C"
    code = (0, 2, 3, 61, 71)[int(latitude) % 5]
    document = {
        "latitude": latitude, "longitude": longitude, "generationtime_ms": 0.05,
        "utc_offset_seconds": int(offset.total_seconds()), "timezone": timezone,
        "timezone_abbreviation": local.tzname(), "elevation": 350.0,
        "current_units": {"time": "iso8601", "interval": "seconds",
                          "temperature_2m": degrees, "weather_code": "wmo code"},
        "current": {"time": f"{current:%Y-%m-%dT%H:%M}", "interval": 900,
                    "temperature_2m": temperature, "weather_code": code},
        "daily_units": {"time": "iso8601", "temperature_2m_max": degrees,
                        "temperature_2m_min": degrees},
        "daily": {"time": [local.date().isoformat()],
                  "temperature_2m_max": [round(temperature + 1.3, 1)],
                  "temperature_2m_min": [round(temperature - 1.6, 1)]},
    }  # fmt: skip
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


class Upstreams:
    """Fake National Bank and Open-Meteo servers; they note when each request came."""

    def __init__(self, currencies: Sequence[str]) -> None:
        self.currencies = list(currencies)
        #: (time.monotonic(), "rates" or "weather") per request.
        self.requests: list[tuple[float, str]] = []

    def app(self) -> web.Application:
        """The two upstreams' paths on one server."""
        app = web.Application()
        app.router.add_get("/rss/rates_all.xml", self.rates)
        app.router.add_get("/v1/forecast", self.forecast)
        return app

    async def rates(self, request: web.Request) -> web.Response:
        """Every currency, dated today in Astana as the bank dates them."""
        self.requests.append((time.monotonic(), "rates"))
        today = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Almaty")).date()
        return web.Response(body=nbk_feed(self.currencies, today), content_type="application/xml")

    async def forecast(self, request: web.Request) -> web.Response:
        """The weather at the query's coordinates, in its time zone."""
        self.requests.append((time.monotonic(), "weather"))
        query = request.query
        body = forecast(
            float(query["latitude"]), float(query["longitude"]), query["timezone"],
            dt.datetime.now(dt.UTC),
        )  # fmt: skip
        return web.Response(body=body, content_type="application/json")

    def since(self, moment: float) -> list[tuple[float, str]]:
        """The requests that came at or after ``moment``."""
        return [request for request in list(self.requests) if request[0] >= moment]


class Background:
    """An event loop in a thread of its own: the fake upstreams and the delay proxy run there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, name="refresh-stall-background", daemon=True
        )
        self._closers: list[Callable[[], Awaitable[None]]] = []

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def _run(self) -> None:
        # The fake upstreams stand for servers on other machines: on a small host their
        # CPU must not be taken from the service being measured (Linux: per thread).
        if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
            with contextlib.suppress(OSError):
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        self.loop.run_forever()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            self.run(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(BACKGROUND_SECONDS)
        self.loop.close()

    def run(self, work: Coroutine[Any, Any, _T]) -> _T:
        """Run ``work`` in the background loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(BACKGROUND_SECONDS)

    def serve(self, app: web.Application) -> int:
        """Serve ``app`` on a free port of 127.0.0.1 until the end; the port."""

        async def start() -> int:
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            port = free_port()
            await web.TCPSite(runner, HOST, port).start()
            self._closers.append(runner.cleanup)
            return port

        return self.run(start())

    def delay_proxy(self, target_port: int, delay: float) -> int:
        """A proxy to ``target_port`` delaying each direction by ``delay`` s; its port."""

        async def start() -> int:
            server = await start_delay_proxy(target_port, delay=delay)

            async def close() -> None:
                server.close()
                await server.wait_closed()

            self._closers.append(close)
            port: int = server.sockets[0].getsockname()[1]
            return port

        return self.run(start())

    async def _close(self) -> None:
        for close in reversed(self._closers):
            await close()
        # Connections still open through the proxy (a client that was killed) end here.
        left = asyncio.all_tasks() - {asyncio.current_task()}
        for task in left:
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)


# -- redis-server --------------------------------------------------------------------------


def start_redis(processes: Processes, folder: Path) -> int | None:
    """A redis-server on a free port of 127.0.0.1 keeping nothing on disk; None if not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    folder.mkdir()
    port = free_port()
    command = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    running = processes.start("redis-server", [*command, "--dir", str(folder)])
    deadline = time.monotonic() + REDIS_READY_SECONDS
    while time.monotonic() < deadline:
        running.check_alive()
        with contextlib.suppress(OSError):
            round_trip_ms(port, count=1)
            return port
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer on {port} in {REDIS_READY_SECONDS:.0f}s")


def round_trip_ms(port: int, *, count: int = 5) -> float:
    """The median time of a Redis ``PING`` on 127.0.0.1:``port``, in ms (RESP by hand)."""
    times = []
    with socket.create_connection((HOST, port), timeout=5) as connection:
        for _ in range(count):
            started = time.perf_counter()
            connection.sendall(b"PING\r\n")
            if not connection.recv(64).startswith(b"+PONG"):
                raise OSError("no PONG")
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


# -- the service under test ------------------------------------------------------------------


def stall_settings(
    cache: dict[str, Any], upstream: str, *, cities: int, currencies: int, refresh: str
) -> dict[str, Any]:
    """The scale case's items from the fake upstreams, refreshed every ``refresh``."""
    document = scale_settings(Path("."), cities=cities, currencies=currencies)
    document["cache"] = cache
    document["rates"]["sources"] = [{"adapter": "nbk", "url": f"{upstream}/rss/"}]
    document["weather"]["sources"] = [{"adapter": "open-meteo", "url": f"{upstream}/"}]
    document["rates"]["refresh"] = document["weather"]["refresh"] = refresh
    return document


def service_command(
    config: Path, port: int, ticker_path: Path | None
) -> tuple[list[str], dict[str, str]]:
    """``ticker serve`` (one worker), and its environment: ``ticker_path``'s ticker if given."""
    command = ticker_command(config, port)
    if ticker_path is None:
        return command, {}
    # -P: the benchmark's working directory (another ticker, maybe) is not put on sys.path.
    return [command[0], "-P", *command[1:]], {"PYTHONPATH": str(ticker_path)}


def served_ticker(ticker_path: Path | None) -> str:
    """Which ticker package the service imports, and its version."""
    safe = ["-P"] if ticker_path is not None else []
    env = {"PYTHONPATH": str(ticker_path)} if ticker_path is not None else {}
    probe = "import ticker; print(ticker.__file__, ticker.__version__)"
    done = subprocess.run(
        [sys.executable, *safe, "-c", probe], capture_output=True, text=True, timeout=60,
        check=False, env={**os.environ, **env},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the service cannot import ticker:\n{done.stderr}")
    return done.stdout.strip()


# -- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    """One phase's load (medians over its runs) and what the upstreams saw meanwhile."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    rates_refreshes: float
    weather_refreshes: float
    busy: float
    cpu: float | None

    def cells(self) -> list[str]:
        """The table's cells: load, refreshes seen, share of the load spent refreshing."""
        return [
            f"{self.requests_per_second:,.0f}", f"{self.p50_ms:.2f}", f"{self.p99_ms:.2f}",
            str(self.errors), f"{self.rates_refreshes:g}", f"{self.weather_refreshes:.1f}",
            f"{self.busy:.0%}", "—" if self.cpu is None else f"{self.cpu:.2f}",
        ]  # fmt: skip


@dataclass(frozen=True)
class _Run:
    load: LoadResult
    rates: int
    weather: int
    busy: float
    cpu: float | None


@dataclass
class CaseResult:
    """A cache's idle and during phases, or why it was skipped."""

    label: str
    idle: Phase | None = None
    during: Phase | None = None
    skipped: str | None = None
    floor: Phase | None = None

    def ratios(self) -> tuple[float, float] | None:
        """p99 during / idle and requests per second during / idle."""
        if self.idle is None or self.during is None or not self.idle.requests_per_second:
            return None
        return (
            self.during.p99_ms / self.idle.p99_ms,
            self.during.requests_per_second / self.idle.requests_per_second,
        )

    def floor_ratio(self) -> float | None:
        """p99 floor / idle: what a busy loop at the lowest priority costs alone."""
        if self.idle is None or self.floor is None or not self.idle.p99_ms:
            return None
        return self.floor.p99_ms / self.idle.p99_ms


@dataclass
class _Context:
    options: StallOptions
    folder: Path
    processes: Processes
    upstreams: Upstreams
    upstream_url: str
    notes: list[str] = field(default_factory=list)


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _phase(runs: Sequence[_Run], cities: int) -> Phase:
    cpus = [run.cpu for run in runs]

    def median(values: Sequence[float]) -> float:
        return float(statistics.median(values))

    return Phase(
        requests_per_second=median([run.load.requests_per_second for run in runs]),
        p50_ms=median([run.load.p50_ms for run in runs]),
        p99_ms=median([run.load.p99_ms for run in runs]),
        errors=sum(run.load.errors for run in runs),
        rates_refreshes=median([run.rates for run in runs]),
        weather_refreshes=median([run.weather / cities for run in runs]),
        busy=median([run.busy for run in runs]),
        cpu=None if None in cpus else median([cpu for cpu in cpus if cpu is not None]),
    )


def _load(context: _Context, server: Server) -> _Run:
    """One measured load, and the upstream requests made while it ran."""
    options = context.options
    pid = server.processes[0].process.pid
    cpu_before, began = cpu_seconds(pid), time.monotonic()
    load = measure(
        server.url(PATH), connections=options.connections, duration=options.duration,
        threads=options.threads, wrk=options.wrk,
    )  # fmt: skip
    cpu_after, ended = cpu_seconds(pid), time.monotonic()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    seen = [(at, kind) for at, kind in context.upstreams.since(began) if at <= ended]
    slots = max(1, round((ended - began) / BUSY_SLOT_SECONDS))
    busy = {min(slots - 1, int((at - began) / BUSY_SLOT_SECONDS)) for at, _ in seen}
    rates = sum(kind == "rates" for _, kind in seen)
    cores = None if cpu is None else cpu / (ended - began)
    return _Run(load, rates, len(seen) - rates, len(busy) / slots, cores)


def cpu_seconds(pid: int) -> float | None:
    """CPU time process ``pid`` used so far (all its threads), from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _warm(context: _Context, server: Server) -> None:
    options = context.options
    if options.warm_up > 0:
        measure(
            server.url(PATH), connections=options.connections, duration=options.warm_up,
            threads=options.threads, wrk=options.wrk,
        )  # fmt: skip
    for _ in range(WARM_REQUESTS):
        fetch(server.port, PATH)


#: The floor phase's neighbour: one core of pure CPU work at the lowest priority.
_BUSY_LOOP = (
    "import os\n"
    "if hasattr(os, 'SCHED_IDLE'): os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n"
    "else: os.nice(19)\n"
    "while True: pass\n"
)


def _load_beside_busy_loop(context: _Context, server: Server) -> _Run:
    """A load while a busy loop at the lowest CPU priority runs beside the service."""
    loop = subprocess.Popen([sys.executable, "-c", _BUSY_LOOP])
    try:
        time.sleep(FLOOR_SETTLE_SECONDS)
        return _load(context, server)
    finally:
        loop.kill()
        loop.wait()


def _wait_refreshing(context: _Context, running: Running, since: float) -> None:
    """Until the service asks the weather upstream again after ``since``."""
    deadline = time.monotonic() + REFRESH_START_SECONDS
    while time.monotonic() < deadline:
        running.check_alive()
        if any(kind == "weather" for _, kind in context.upstreams.since(since)):
            return
        time.sleep(0.02)
    raise RuntimeError(f"no refresh started in {REFRESH_START_SECONDS:.0f}s after SIGHUP")


def _wait_quiet(context: _Context, server: Server) -> None:
    """Until no upstream was asked for a while and the strip settled: nothing refreshes."""
    deadline = time.monotonic() + QUIET_LIMIT_SECONDS
    while time.monotonic() < deadline:
        server.processes[0].check_alive()
        if not context.upstreams.since(time.monotonic() - QUIET_SECONDS):
            settle(server)
            return
        time.sleep(0.1)
    raise RuntimeError(f"the upstreams were still asked after {QUIET_LIMIT_SECONDS:.0f}s")


def _reconfigure(running: Running, config: Path, document: dict[str, Any]) -> float:
    """Rewrite the settings and send SIGHUP; when it was sent."""
    write_settings(config, document)
    sent = time.monotonic()
    os.kill(running.process.pid, signal.SIGHUP)
    return sent


def _measure_case(context: _Context, label: str, cache: dict[str, Any]) -> CaseResult:
    """Start the service on ``cache``; measure it idle and refreshing back to back."""
    options = context.options
    folder = context.folder / label.replace(" ", "-")
    folder.mkdir()
    size = {"cities": options.cities, "currencies": options.currencies}
    documents = {
        refresh: stall_settings(cache, context.upstream_url, refresh=refresh, **size)
        for refresh in (IDLE_REFRESH, options.refresh)
    }
    config = write_settings(folder / "ticker.yaml", documents[IDLE_REFRESH])
    port = free_port()
    command, env = service_command(config, port, options.ticker_path)
    running = context.processes.start(f"ticker {label}", command, env)
    server = Server(f"ticker, {label} cache", port, [running])
    idle: list[_Run] = []
    floor: list[_Run] = []
    during: list[_Run] = []
    try:
        wait_ready(server.processes, port, "/healthz")
        _progress(f"{label}: filling the cache")
        _wait_quiet(context, server)
        _warm(context, server)
        for round_ in range(options.repeat):
            if round_:
                _reconfigure(running, config, documents[IDLE_REFRESH])
                _wait_quiet(context, server)
            _progress(f"{label}: idle, {options.duration:g} s")
            idle.append(_load(context, server))
            _progress(f"{label}: idle beside a lowest-priority busy loop, {options.duration:g} s")
            floor.append(_load_beside_busy_loop(context, server))
            sent = _reconfigure(running, config, documents[options.refresh])
            _wait_refreshing(context, running, sent)
            _progress(f"{label}: refreshing every {options.refresh}, {options.duration:g} s")
            during.append(_load(context, server))
    finally:
        context.processes.stop(running)
    return CaseResult(
        label, _phase(idle, options.cities), _phase(during, options.cities),
        floor=_phase(floor, options.cities),
    )  # fmt: skip


def _caches(context: _Context, background: Background) -> dict[str, dict[str, Any] | str]:
    """Each wanted cache's settings, or why it cannot be measured; notes the Redis round trips."""
    wanted = context.options.caches
    caches: dict[str, dict[str, Any] | str] = {}
    if DISK in wanted:
        caches[DISK] = {"path": str(context.folder / "disk-cache")}
    if REDIS not in wanted and FAR_REDIS not in wanted:
        return caches
    port = start_redis(context.processes, context.folder / "redis")
    if port is None:
        for label in (REDIS, FAR_REDIS):
            if label in wanted:
                caches[label] = "skipped: redis-server not installed"
        return caches
    if REDIS in wanted:
        caches[REDIS] = {"backend": "redis", "url": f"redis://{HOST}:{port}/0"}
    if FAR_REDIS in wanted:
        far = background.delay_proxy(port, context.options.delay)
        caches[FAR_REDIS] = {"backend": "redis", "url": f"redis://{HOST}:{far}/1"}
        context.notes.append(
            f"{FAR_REDIS}: the local redis-server behind a proxy delaying each direction by "
            f"{context.options.delay * 1000:g} ms; PING round trip {round_trip_ms(far):.1f} ms "
            f"through it, {round_trip_ms(port):.2f} ms direct"
        )
    return caches


def measure_refresh_stall(
    options: StallOptions, folder: Path, processes: Processes
) -> tuple[list[Section], list[Figure]]:
    """Measure every wanted cache; the sections to print and the figures for a summary."""
    service = served_ticker(options.ticker_path)
    upstreams = Upstreams(SCALE_CURRENCIES[: options.currencies])
    results = []
    with Background() as background:
        url = f"http://{HOST}:{background.serve(upstreams.app())}"
        context = _Context(options, folder, processes, upstreams, url)
        for label, cache in _caches(context, background).items():
            if isinstance(cache, str):
                results.append(CaseResult(label, skipped=cache))
            else:
                results.append(_measure_case(context, label, cache))
    return _sections(context, results, service)


def _sections(
    context: _Context, results: Sequence[CaseResult], service: str
) -> tuple[list[Section], list[Figure]]:
    options = context.options
    rows = []
    for result in results:
        if result.idle is None or result.during is None:
            rows.append([result.label, result.skipped or "—", *["—"] * 8])
            continue
        rows.append([result.label, "idle", *result.idle.cells()])
        if result.floor is not None:
            rows.append([result.label, "floor", *result.floor.cells()])
        rows.append([result.label, "during", *result.during.cells()])
    tool = "wrk" if options.wrk else "python (aiohttp)"
    rounds = f", median of {options.repeat}" if options.repeat > 1 else ""
    warm_up = (
        f"after a {options.warm_up:g} s warm-up"
        if options.warm_up > 0
        else f"no warm-up load ({WARM_REQUESTS} requests first)"
    )
    notes = [
        f"service: {service}; one process, uvloop {'yes' if _has_uvloop() else 'no'}",
        f"idle: refresh every {IDLE_REFRESH}, the cache filled and the strip settled; during: "
        f"the same process after SIGHUP with refresh: {options.refresh} for rates and weather; "
        "floor: idle, beside one core of busy loop at SCHED_IDLE (no ticker work)",
        f"load: {tool} -t{options.threads} -c{options.connections}, {options.duration:g} s per "
        f"phase{rounds}, {warm_up}; GET with only Host (no gzip)",
        "refreshes: requests the fake upstreams answered during the load (weather: per city); "
        f"busy: share of its {BUSY_SLOT_SECONDS:g} s slots in which an upstream was asked; "
        "cpu: cores the service used meanwhile (all its threads)",
        *context.notes,
    ]
    title = (
        f"refresh stall: {options.cities} cities x {options.currencies} currencies, "
        f"{PATH}, {options.connections} conns"
    )
    columns = ["cache", "phase", "req/s", "p50 ms", "p99 ms", "errors", "rates", "weather"]
    columns += ["busy", "cpu"]
    table = Section(title, columns, rows, notes, right_from=2)
    ratio_rows, figures = [], []
    for result in results:
        ratios = result.ratios()
        if ratios is None:
            ratio_rows.append([result.label, "—", "—", "—", "—", "—", "—"])
            continue
        p99, rps = ratios
        issue = ISSUE_P99_RATIOS.get(result.label)
        floor = result.floor_ratio()
        ratio_rows.append([
            result.label, f"{p99:.2f}", _verdict(P99_RATIO, p99), f"{rps:.2f}",
            _verdict(RPS_RATIO, rps), "—" if floor is None else f"{floor:.2f}",
            f"{issue:g}" if issue else "—",
        ])  # fmt: skip
        figures.append(
            Figure(f"refresh stall p99 during/idle, {result.label}", p99, "x", P99_RATIO)
        )
        figures.append(
            Figure(f"refresh stall req/s during/idle, {result.label}", rps, "x", RPS_RATIO)
        )
    ratio_columns = [
        "cache", "p99 during/idle", f"{P99_RATIO}", "req/s during/idle", f"{RPS_RATIO}",
        "p99 floor/idle", "issue's p99 ratio",
    ]  # fmt: skip
    ratio_notes = [
        "ratios of the same process's figures in the same run; floor/idle: what a busy loop "
        "at the lowest priority on the other core costs this host, with no ticker work",
    ]
    ratio_section = Section("refresh stall: during / idle", ratio_columns, ratio_rows, ratio_notes)
    return [table, ratio_section], figures


def _verdict(target: Target, value: float) -> str:
    return "pass" if target.met_by(value) else "MISS"


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


# -- the command -----------------------------------------------------------------------------


def _options(argv: Sequence[str] | None) -> tuple[StallOptions, Path, str]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.refresh_stall",
        description="Measure /v1/strip idle and while refreshes run back to back.",
    )
    parser.add_argument("--quick", action="store_true", help="20 cities x 10 currencies, 1 s loads")
    parser.add_argument("--duration", type=float, help="seconds per load (default 6; quick 1)")
    parser.add_argument("--cities", type=int, help="cities (default 200; quick 20)")
    parser.add_argument("--currencies", type=int, help="currencies (default 40; quick 10)")
    parser.add_argument("--connections", type=int, default=16, help="connections (default 16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--caches", nargs="+", choices=sorted(CACHE_NAMES), default=sorted(CACHE_NAMES),
        help="caches to measure (default: all)",
    )  # fmt: skip
    parser.add_argument("--delay-ms", type=float, default=25.0, help="redis-far, each way")
    parser.add_argument("--refresh", default=BUSY_REFRESH, help="refresh while busy (default 1s)")
    parser.add_argument("--repeat", type=int, default=1, help="idle/during rounds (median)")
    parser.add_argument(
        "--warm-up", type=float, help="seconds of unmeasured load first (default 1; quick 0)"
    )
    parser.add_argument("--ticker-path", type=Path, help="serve the ticker package found there")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown report")
    args = parser.parse_args(argv)
    wrk = find_wrk() if args.load != "python" else None
    if args.load == "wrk" and wrk is None:
        raise SystemExit("--load wrk: wrk is not installed")
    base = StallOptions.quick() if args.quick else StallOptions()
    options = replace(
        base,
        cities=args.cities or base.cities,
        currencies=min(args.currencies or base.currencies, len(SCALE_CURRENCIES)),
        duration=args.duration or base.duration,
        connections=args.connections,
        threads=args.threads,
        caches=tuple(label for name, label in CACHE_NAMES.items() if name in args.caches),
        delay=args.delay_ms / 1000,
        refresh=args.refresh,
        repeat=max(1, args.repeat),
        ticker_path=args.ticker_path.resolve() if args.ticker_path else None,
        wrk=wrk,
        warm_up=max(0.0, base.warm_up if args.warm_up is None else args.warm_up),
    )
    given = sys.argv[1:] if argv is None else list(argv)
    return options, args.output, " ".join(["python -m benchmarks.refresh_stall", *given])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the refresh-stall benchmark; the exit status."""
    options, output, command = _options(argv)
    stop_on_sigterm()
    report = Report(command)
    nginx = _nginx.find_nginx()
    report.add(machine(options.wrk, _nginx.nginx_version(nginx) if nginx else None))
    try:
        with tempfile.TemporaryDirectory(prefix="ticker-stall-") as tmp, Processes(Path(tmp)) as ps:
            sections, figures = measure_refresh_stall(options, Path(tmp), ps)
    except KeyboardInterrupt:  # every process it started is stopped by now
        print("interrupted", file=sys.stderr)
        return 130
    return report.finish(sections, figures, output)


if __name__ == "__main__":
    raise SystemExit(main())
