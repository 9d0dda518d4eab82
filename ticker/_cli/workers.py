"""``ticker serve --workers N``: N processes answering on one port.

The master validates the settings and checks once that the address can be bound,
then starts N copies of ``ticker serve --worker MASTER_PID`` that all bind it with
``SO_REUSEPORT`` (the kernel spreads connections between them).  The workers share
the cache; one of them at a time holds the refresh lease (see ``ticker._data.leader``).

Only one master's workers ever answer on a port.  Each worker ends when its master
does, even by SIGKILL (``ticker._processes.die_with``), and the master's check binds
the address without ``SO_REUSEPORT``: that fails while any other process listens
there, the orphans of a master just killed included, so a new master waits
``ORPHAN_WAIT`` seconds for them to go, and then refuses a port still taken.

A worker that dies is started again after a pause that doubles with each crash in
a row.  The master gives up, stops the others and exits 1 when workers crash
``CRASH_LIMIT`` times within ``CRASH_WINDOW`` seconds; it exits 2 at once when a
worker exits 2 (its settings or its address cannot be used: no restart fixes that).
SIGTERM and SIGINT stop every worker; SIGHUP is passed on to them when ``on_hangup``
says so.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from ticker._exceptions import ListenError

__all__ = ["CRASH_LIMIT", "CRASH_WINDOW", "EXIT_CONFIG", "run_workers"]

log = logging.getLogger("ticker.workers")

#: Exit status of ``ticker`` for settings or an address that cannot be used.  A worker
#: that exits so is not restarted: the same settings would fail the same way.
EXIT_CONFIG = 2
#: A dead worker is started again after this pause, doubled for each crash in a row of
#: that worker up to ``RESTART_DELAY_MAX``, so a crash loop stays slow.
RESTART_DELAY = 1.0
RESTART_DELAY_MAX = 30.0
#: This many crashes (of any workers) within ``CRASH_WINDOW`` seconds mean that restarts
#: do not help (a broken install, a bad file, a full disk...): the master gives up.
#: A worker that ran longer than the window starts its own count again.
CRASH_LIMIT = 5
CRASH_WINDOW = 60.0
#: How long stopping workers get before they are killed.
STOP_TIMEOUT = 10.0
#: How often the master looks at its workers.
POLL_INTERVAL = 0.1
#: How long a new master waits for the address to be free: the workers of a master
#: that was killed end within a second of it.
ORPHAN_WAIT = 3.0
#: How often it tries meanwhile.
ORPHAN_POLL = 0.1


@dataclass
class _Worker:
    """One worker slot: the process in it, or when the next one is due."""

    process: subprocess.Popen[bytes] | None
    started: float = field(default_factory=time.monotonic)
    delay: float = RESTART_DELAY
    due: float = 0.0


def run_workers(
    worker_args: Sequence[str],
    count: int,
    *,
    address: tuple[str, int],
    on_hangup: Callable[[], bool] = lambda: True,
) -> int:
    """Run ``count`` workers with ``worker_args`` on ``address`` until told to stop; the status.

    ``on_hangup`` runs on SIGHUP and says whether to pass it on to the workers.
    Raises :class:`~ticker._exceptions.ListenError` when ``address`` cannot be bound.
    """
    _check_address(*address)
    # -P: the workers import ticker as the master did, never from a ``ticker/`` folder
    # that happens to be in the current directory.
    command = [sys.executable, "-P", "-m", "ticker", *worker_args, "--worker", str(os.getpid())]
    # The workers' metrics meet in one directory, so that each /metrics answers for all.
    metrics = tempfile.mkdtemp(prefix="ticker-metrics-")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics, **_import_path()}
    try:
        return _supervise(command, count, env, on_hangup)
    finally:
        shutil.rmtree(metrics, ignore_errors=True)


def _import_path() -> dict[str, str]:
    """PYTHONPATH for the workers when the master imported ticker from the current directory.

    That happens with ``python -m ticker`` in a source checkout; ``-P`` would then hide
    the very package the master runs, so its directory is named explicitly instead.
    """
    root = Path(__file__).resolve().parents[2]
    if root != Path.cwd().resolve():
        return {}
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}


def _check_address(host: str, port: int) -> None:
    """Bind ``host:port`` alone, so that a taken port is one error rather than N.

    Without ``SO_REUSEPORT`` the bind fails while anyone listens there, the workers of
    another master too; the orphans of a killed one are given ``ORPHAN_WAIT`` to end.
    """

    async def bind() -> None:
        # Bound but not listening: the kernel hands this socket no connection.
        server = await asyncio.get_running_loop().create_server(
            asyncio.Protocol, host, port, reuse_port=False, start_serving=False
        )
        server.close()
        await server.wait_closed()

    deadline = time.monotonic() + ORPHAN_WAIT
    while True:
        try:
            asyncio.run(bind())
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE and time.monotonic() < deadline:
                time.sleep(ORPHAN_POLL)
                continue
            raise ListenError.for_address(host, port, exc) from exc
        return


def _supervise(
    command: Sequence[str], count: int, env: Mapping[str, str], on_hangup: Callable[[], bool]
) -> int:
    """Start the workers, restart those that die, stop them all on SIGTERM or SIGINT."""
    received: set[int] = set()
    with _catching(received, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        workers = [_Worker(_start(command, env)) for _ in range(count)]
        log.info("started %d workers: %s", count, ", ".join(_pids(workers)))
        crashes: collections.deque[float] = collections.deque()
        while not received & {signal.SIGTERM, signal.SIGINT}:
            if signal.SIGHUP in received:
                received.discard(signal.SIGHUP)
                if on_hangup():
                    _hang_up(workers)
            status = _tend(workers, command, env, crashes)
            if status is not None:
                _stop(workers)
                return status
            time.sleep(POLL_INTERVAL)
        _stop(workers)
        return 0


@contextlib.contextmanager
def _catching(received: set[int], *signums: signal.Signals) -> Iterator[None]:
    """Note ``signums`` in ``received`` while inside; the previous handlers come back after."""

    def note(signum: int, frame: FrameType | None) -> None:
        received.add(signum)

    previous = {signum: signal.signal(signum, note) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _tend(
    workers: Sequence[_Worker],
    command: Sequence[str],
    env: Mapping[str, str],
    crashes: collections.deque[float],
) -> int | None:
    """Restart the workers that are due, note those that died; a status when giving up."""
    now = time.monotonic()
    for worker in workers:
        if worker.process is None:
            if now >= worker.due:
                worker.process, worker.started = _start(command, env), now
            continue
        status = worker.process.poll()
        if status is None:
            continue
        pid, worker.process = worker.process.pid, None
        if status == EXIT_CONFIG:
            log.error(
                "worker %d exited with status %d: its settings or its address cannot be used"
                " and a restart would not help (see its error above); stopping all workers",
                pid, EXIT_CONFIG,
            )  # fmt: skip
            return EXIT_CONFIG
        crashes.append(now)
        while crashes[0] < now - CRASH_WINDOW:
            crashes.popleft()
        if len(crashes) >= CRASH_LIMIT:
            log.error(
                "workers crashed %d times within %.0f s, the last (%d) with %s; stopping all"
                " workers: see the workers' errors above",
                len(crashes), CRASH_WINDOW, pid, _describe(status),
            )  # fmt: skip
            return 1
        if now - worker.started > CRASH_WINDOW:
            worker.delay = RESTART_DELAY  # it ran well for a while: not a crash loop
        worker.due = now + worker.delay
        log.warning(
            "worker %d exited with %s; starting another in %.0f s",
            pid,
            _describe(status),
            worker.delay,
        )
        worker.delay = min(worker.delay * 2, RESTART_DELAY_MAX)
    return None


def _start(command: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start one worker with SIGHUP ignored, until it can reload (an ignored signal survives exec).

    Otherwise a SIGHUP passed on while a restarted worker still imports would end it.
    """
    noted = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        return subprocess.Popen(command, env=env)  # noqa: S603
    finally:
        signal.signal(signal.SIGHUP, noted)


def _describe(status: int) -> str:
    """``status 1``, or ``signal SIGKILL`` for a worker killed by a signal."""
    if status >= 0:
        return f"status {status}"
    with contextlib.suppress(ValueError):
        return f"signal {signal.Signals(-status).name}"
    return f"signal {-status}"


def _pids(workers: Sequence[_Worker]) -> list[str]:
    return [str(worker.process.pid) for worker in workers if worker.process is not None]


def _hang_up(workers: Sequence[_Worker]) -> None:
    """Pass SIGHUP on: every worker reloads its own settings."""
    running = [w.process for w in workers if w.process is not None and w.process.poll() is None]
    log.info("passing SIGHUP on to %d workers", len(running))
    for process in running:
        process.send_signal(signal.SIGHUP)


def _stop(workers: Sequence[_Worker]) -> None:
    """Terminate the workers, and kill those that do not stop in time."""
    running = [worker.process for worker in workers if worker.process is not None]
    for process in running:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in running:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
