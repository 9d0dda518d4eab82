"""HTTP load: wrk when installed, else a small aiohttp load generator.

Both send what wrk sends (``GET`` with only ``Host``) over keep-alive connections
and report requests per second and the 50th and 99th percentile latencies.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from dataclasses import dataclass

import aiohttp

__all__ = ["LoadResult", "find_wrk", "measure", "parse_wrk"]

#: wrk prints latencies with these units.
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY = r"([\d.]+)(us|ms|s|m|h)\b"


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    tool: str


def find_wrk() -> str | None:
    """The wrk binary, if installed."""
    return shutil.which("wrk")


def measure(
    url: str, *, connections: int, duration: float, threads: int, wrk: str | None
) -> LoadResult:
    """Load ``url`` for ``duration`` seconds over ``connections`` connections."""
    if wrk is not None:
        return _run_wrk(wrk, url, connections=connections, duration=duration, threads=threads)
    return asyncio.run(_python_load(url, connections=connections, duration=duration))


def _run_wrk(wrk: str, url: str, *, connections: int, duration: float, threads: int) -> LoadResult:
    command = [
        wrk, f"-t{min(threads, connections)}", f"-c{connections}",
        f"-d{max(1, round(duration))}s", "--latency", url,
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> LoadResult:
    """The figures of ``wrk --latency`` output."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    p50 = re.search(rf"^\s+50(?:\.000)?%\s+{_LATENCY}", output, re.MULTILINE)
    p99 = re.search(rf"^\s+99(?:\.000)?%\s+{_LATENCY}", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if rate is None or p50 is None or p99 is None or total is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    errors = sum(
        int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output)
    )  # Socket errors: connect 0, read 0, write 0, timeout 0
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors += int(failed.group(1)) if failed else 0
    return LoadResult(
        requests_per_second=float(rate.group(1)),
        p50_ms=float(p50.group(1)) * _UNITS_MS[p50.group(2)],
        p99_ms=float(p99.group(1)) * _UNITS_MS[p99.group(2)],
        requests=int(total.group(1)),
        errors=errors,
        tool="wrk",
    )


async def _python_load(url: str, *, connections: int, duration: float) -> LoadResult:
    """``connections`` keep-alive loops, each one request at a time, until the deadline."""
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=connections)
    skip = ("Accept", "Accept-Encoding", "User-Agent")  # send only Host, as wrk does
    async with aiohttp.ClientSession(connector=connector, skip_auto_headers=skip) as session:
        deadline = time.perf_counter() + duration

        async def loop() -> None:
            nonlocal errors
            while (started := time.perf_counter()) < deadline:
                try:
                    async with session.get(url) as response:
                        await response.read()
                        ok = response.status < 400
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok

        began = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return LoadResult(
        requests_per_second=len(latencies) / elapsed,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        requests=len(latencies),
        errors=errors,
        tool="python",
    )


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
