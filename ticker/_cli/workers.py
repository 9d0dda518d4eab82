"""``ticker serve --workers N``: N processes answering on one port.

The master validates the settings, then starts N copies of ``ticker serve --worker``
that all bind the same address with ``SO_REUSEPORT`` (the kernel spreads connections
between them).  It restarts a worker that dies and stops them all on SIGTERM or
SIGINT.  The workers share the cache; one of them at a time holds the refresh
lease (see ``ticker._data.leader``).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from types import FrameType

__all__ = ["run_workers"]

log = logging.getLogger("ticker.workers")

#: A worker that dies is started again after this pause, so a crash loop stays slow.
RESTART_DELAY = 1.0
#: How long stopping workers get before they are killed.
STOP_TIMEOUT = 10.0


def run_workers(worker_args: Sequence[str], count: int) -> int:
    """Run ``count`` workers with ``worker_args`` until told to stop; the exit status."""
    command = [sys.executable, "-m", "ticker", *worker_args, "--worker"]
    # The workers' metrics meet in one directory, so that each /metrics answers for all.
    metrics = tempfile.mkdtemp(prefix="ticker-metrics-")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": metrics}
    try:
        return _supervise(command, count, env)
    finally:
        shutil.rmtree(metrics, ignore_errors=True)


def _supervise(command: Sequence[str], count: int, env: Mapping[str, str]) -> int:
    """Start the workers, restart those that die, stop them all on SIGTERM or SIGINT."""
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [subprocess.Popen(command, env=env) for _ in range(count)]  # noqa: S603

    def hangup(signum: int, frame: FrameType | None) -> None:
        for worker in workers:  # every worker reloads its own settings
            if worker.poll() is None:
                worker.send_signal(signal.SIGHUP)

    signal.signal(signal.SIGHUP, hangup)
    log.info("started %d workers: %s", count, ", ".join(str(w.pid) for w in workers))
    while not stopping:
        for index, worker in enumerate(workers):
            if worker.poll() is not None and not stopping:
                log.warning("worker %d exited with %s; restarting", worker.pid, worker.returncode)
                time.sleep(RESTART_DELAY)
                workers[index] = subprocess.Popen(command, env=env)  # noqa: S603
        time.sleep(0.2)
    return _stop(workers)


def _stop(workers: Sequence[subprocess.Popen[bytes]]) -> int:
    """Terminate the workers, and kill those that do not stop in time."""
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for worker in workers:
        try:
            worker.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return 0
