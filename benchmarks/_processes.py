"""The processes a benchmark starts, and the one place that stops them.

Each process starts in a session of its own, so Ctrl-C in the terminal reaches only
the benchmark, which then stops every group it started (a ticker master and its
workers, an nginx master and its workers) with SIGTERM, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["Fetched", "Processes", "Running", "fetch", "free_port", "wait_ready"]

HOST = "127.0.0.1"
#: How long a stopping process group gets before it is killed.
STOP_SECONDS = 10.0
#: How long a server gets to answer after it was started.
READY_SECONDS = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Running:
    """A started process: its name, the process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the process wrote."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        """Raise with the process's output if it has exited."""
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
            )


class Processes:
    """Starts processes and stops every one of them on exit, whatever happened."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self._running: list[Running] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(
        self, name: str, command: Sequence[str], env: Mapping[str, str] | None = None
    ) -> Running:
        """Start ``command`` in its own session, its output in a log file."""
        log_path = self.logs / f"{name.replace(' ', '-')}-{len(self._running)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                start_new_session=True,
            )
        running = Running(name, process, log_path)
        self._running.append(running)
        return running

    def stop(self, running: Running) -> None:
        """SIGTERM to the process's group; SIGKILL to whatever is left after a while."""
        if running in self._running:
            self._running.remove(running)
        group = running.process.pid  # a new session: the group id is the leader's pid
        _signal_group(group, signal.SIGTERM)
        try:
            running.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            _signal_group(group, signal.SIGKILL)
            running.process.wait()
        _signal_group(group, signal.SIGKILL)  # children that outlived their leader

    def stop_all(self) -> None:
        """Stop every process still running, the most recent first."""
        for running in reversed(list(self._running)):
            self.stop(running)


def _signal_group(group: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


@dataclass(frozen=True)
class Fetched:
    """One response: status, headers in the order sent, body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name``, if sent."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def fetch(port: int, path: str, *, timeout: float = 5.0) -> Fetched:
    """GET ``path`` from 127.0.0.1 sending only ``Host``, as wrk does."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return Fetched(response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def wait_ready(processes: Sequence[Running], port: int, path: str, *, pids: int = 0) -> Fetched:
    """Poll ``path`` until it answers 200; with ``pids``, until that many pids answered.

    ``path`` must then answer JSON with a ``pid`` (``/healthz``): each poll opens a
    new connection, so the kernel spreads them over every process sharing the port.
    """
    seen: set[int] = set()
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        for running in processes:
            running.check_alive()
        with contextlib.suppress(OSError, http.client.HTTPException):
            answer = fetch(port, path, timeout=1.0)
            if answer.status == 200:
                if not pids:
                    return answer
                seen.add(int(json.loads(answer.body)["pid"]))
                if len(seen) >= pids:
                    return answer
        time.sleep(0.02)
    names = ", ".join(running.name for running in processes)
    raise RuntimeError(f"{names}: {path} on port {port} not ready in {READY_SECONDS:.0f}s")


def _exit_on(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def stop_on_sigterm() -> None:
    """SIGTERM ends the benchmark as an exception would: the processes it started stop."""
    signal.signal(signal.SIGTERM, _exit_on)
