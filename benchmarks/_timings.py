"""Timings that need no load: the client's cached ``strip()`` and the service's cold start."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benchmarks._processes import Processes, fetch, free_port
from benchmarks._servers import ticker_command
from ticker import TickerClient

__all__ = ["ClientCost", "ColdStart", "cached_strip_calls", "cold_start", "fill_cache"]

#: How long waiting for the first answer of a cold start may take before it failed.
COLD_START_LIMIT = 30.0
#: Between two attempts at the first answer: short against the figure measured.
POLL_SECONDS = 0.005


@dataclass(frozen=True)
class ClientCost:
    """Repeated ``strip()`` calls after the first: how many, the requests they made, seconds."""

    calls: int
    requests: int
    seconds: float

    @property
    def microseconds_per_call(self) -> float:
        """The mean cost of one call."""
        return self.seconds / self.calls * 1e6


async def cached_strip_calls(base_url: str, calls: int, *, limit: float) -> ClientCost:
    """Time ``calls`` calls of ``await client.strip()`` after a first one, for ``limit`` s at most.

    A trace on the session counts the HTTP requests the calls made, so the figure says
    whether it is the cost of the client's cache or of a full request.
    """
    requests = 0

    async def counted(*_: object) -> None:
        nonlocal requests
        requests += 1

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(counted)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        client = TickerClient(base_url, session=session)
        await client.strip()
        before, done = requests, 0
        started = time.perf_counter()
        deadline = started + limit
        while done < calls and time.perf_counter() < deadline:
            await client.strip()
            done += 1
        elapsed = time.perf_counter() - started
    return ClientCost(done, requests - before, elapsed)


def fill_cache(config: Path) -> None:
    """``ticker refresh`` once, so the configured cache holds every item."""
    command = [sys.executable, "-m", "ticker", "refresh", "--config", str(config)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ticker refresh failed:\n{done.stdout}{done.stderr}")


@dataclass(frozen=True)
class ColdStart:
    """Seconds from spawning ``ticker serve`` to its first 200, and whether it showed every item."""

    seconds: float
    complete: bool


def cold_start(processes: Processes, config: Path) -> ColdStart:
    """Spawn ``ticker serve`` and time it to the first 200 from /v1/strip; then stop it."""
    port = free_port()
    started = time.perf_counter()
    running = processes.start("ticker cold start", ticker_command(config, port))
    try:
        while time.perf_counter() - started < COLD_START_LIMIT:
            running.check_alive()
            try:
                answer = fetch(port, "/v1/strip", timeout=COLD_START_LIMIT)
            except OSError:  # not listening yet
                time.sleep(POLL_SECONDS)
                continue
            if answer.status == 200:
                elapsed = time.perf_counter() - started
                strip = json.loads(answer.body)
                items = strip["rates"] + strip["weather"]
                return ColdStart(elapsed, not any(item["missing"] for item in items))
        raise RuntimeError(f"no 200 from /v1/strip in {COLD_START_LIMIT:.0f}s")
    finally:
        processes.stop(running)
