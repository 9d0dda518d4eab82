"""The servers under load: ticker, the bare aiohttp reference and nginx, each on a free port.

ticker's answers are recorded first (body and headers, less those every server
writes for itself), so the references send the very same bytes; each reference is
checked against the record before it is measured.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._processes import Fetched, Processes, Running, fetch, free_port, wait_ready

__all__ = [
    "Recorded",
    "Server",
    "check_same",
    "record",
    "settle",
    "start_bare",
    "start_nginx",
    "start_ticker",
    "ticker_command",
    "warm_cache",
]

#: Headers each server writes for itself; left out of the record.
OWN_HEADERS = frozenset({"date", "server", "content-length"})
#: Headers nginx adds to a file it serves, on top of the recorded ones.
NGINX_HEADERS = frozenset({"last-modified", "accept-ranges", "connection"})
#: How long a fresh ticker gets to fill its strip from the static sources.
SETTLE_SECONDS = 30.0
#: The snapshot must stay the same this long before ticker's answers are recorded.
QUIET_SECONDS = 1.0


@dataclass
class Server:
    """A server under test: its label, its port and its processes."""

    name: str
    port: int
    processes: list[Running] = field(default_factory=list)

    def url(self, path: str) -> str:
        """The URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass(frozen=True)
class Recorded:
    """ticker's answer to one path: the body and the headers a reference must send."""

    path: str
    body: bytes
    headers: list[tuple[str, str]]


def ticker_command(config: Path, port: int, *, workers: int = 1) -> list[str]:
    """``ticker serve`` on 127.0.0.1:``port``, as an operator runs it."""
    command = [sys.executable, "-m", "ticker", "serve", "--config", str(config)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    return command + (["--workers", str(workers)] if workers > 1 else [])


def start_ticker(processes: Processes, name: str, config: Path, *, workers: int = 1) -> Server:
    """Start ``ticker serve`` and wait until every worker answers /healthz."""
    port = free_port()
    running = processes.start(name, ticker_command(config, port, workers=workers))
    server = Server(name, port, [running])
    wait_ready(server.processes, port, "/healthz", pids=workers)
    return server


def start_bare(
    processes: Processes, name: str, manifest: Path, *, count: int, app: bool = False
) -> Server:
    """Start ``count`` bare aiohttp processes sharing one port (``app``: with a router)."""
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.bare", "--manifest", str(manifest)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    command += ["--reuse-port"] if count > 1 else []
    command += ["--app"] if app else []
    server = Server(name, port)
    for _ in range(count):
        server.processes.append(processes.start(name, command))
    wait_ready(server.processes, port, "/healthz", pids=count)
    return server


def start_nginx(processes: Processes, name: str, command: Sequence[str], port: int) -> Server:
    """Start nginx in the foreground and wait until it answers on ``port``."""
    server = Server(name, port, [processes.start(name, command)])
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        server.processes[0].check_alive()
        try:
            fetch(port, "/", timeout=1.0)
        except OSError:
            time.sleep(0.02)
            continue
        return server
    raise RuntimeError(f"{name} did not listen on {port} in {SETTLE_SECONDS:.0f}s")


def settle(server: Server) -> None:
    """Wait until ticker shows every item and has served one snapshot for a while."""
    deadline = time.monotonic() + SETTLE_SECONDS
    snapshot, since = None, time.monotonic()
    while time.monotonic() < deadline:
        server.processes[0].check_alive()
        strip = json.loads(fetch(server.port, "/v1/strip").body)
        health = json.loads(fetch(server.port, "/healthz").body)
        complete = not any(item["missing"] for item in strip["rates"] + strip["weather"])
        if not complete or health["snapshot"] != snapshot:
            snapshot, since = health["snapshot"], time.monotonic()
        elif time.monotonic() - since >= QUIET_SECONDS:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{server.name}: the strip did not settle in {SETTLE_SECONDS:.0f}s")


def record(server: Server, path: str) -> Recorded:
    """ticker's answer to ``path``, less the headers every server writes for itself."""
    answer = fetch(server.port, path)
    if answer.status != 200:
        raise RuntimeError(f"{server.name}: {path} answered {answer.status}")
    kept = [(k, v) for k, v in answer.headers if k.lower() not in OWN_HEADERS]
    return Recorded(path, answer.body, kept)


def _header_set(answer: Fetched, ignored: frozenset[str]) -> set[tuple[str, str]]:
    return {(k.lower(), v) for k, v in answer.headers if k.lower() not in ignored}


def check_same(server: Server, recorded: Recorded, *, extra: frozenset[str] = frozenset()) -> None:
    """Raise unless ``server`` answers ``recorded.path`` with the recorded body and headers.

    ``extra`` names headers the server may add on top of the recorded ones.
    """
    answer = fetch(server.port, recorded.path)
    expected = {(k.lower(), v) for k, v in recorded.headers}
    got = _header_set(answer, OWN_HEADERS | extra)
    if answer.status != 200 or answer.body != recorded.body or got != expected:
        raise RuntimeError(
            f"{server.name} does not send ticker's bytes for {recorded.path}: "
            f"status {answer.status}, same body: {answer.body == recorded.body}, "
            f"missing headers {sorted(expected - got)}, extra {sorted(got - expected)}"
        )


def warm_cache(server: Server, path: str) -> None:
    """Request ``path`` until nginx answers it from its cache."""
    for _ in range(100):
        if fetch(server.port, path).header("X-Cache-Status") == "HIT":
            return
        time.sleep(0.05)
    raise RuntimeError(f"{server.name}: {path} never came from the cache")
