"""The reload handshake between ``ticker reload`` and a running ``ticker serve``.

The service writes its pid to the ``--pid-file`` and, after each SIGHUP, how it
went to ``<pid-file>.reload`` (``3 ok``, ``4 refused: why``), atomically.
``ticker reload`` checks that the pid names a running ``ticker serve`` (on Linux,
through ``/proc``), notes the answer count, sends SIGHUP and waits for a larger
count: so it can say whether the new settings were taken, refused, or never
acknowledged, instead of only whether a signal could be sent.

Usage::

    with pid_file(path) as answers:      # in the service
        ...
        answers.record(None)             # after a reload; a reason when refused

    pid, outcome = request_reload(path, wait=5.0)   # in `ticker reload`
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["RELOAD_WAIT", "CannotReload", "ReloadAnswers", "pid_file", "request_reload"]


#: How long ``ticker reload`` waits for the service to say how the reload went.
RELOAD_WAIT = 5.0


class ReloadAnswers:
    """``<pid-file>.reload``: how the last SIGHUP went (``3 ok``, ``4 refused: why``).

    ``ticker reload`` notes the count before signalling and waits for a larger one.
    Without a pid file (or in a worker) there is no one to answer and nothing is written.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.count = 0

    def record(self, refusal: str | None) -> None:
        """Write the outcome of one more reload: ``None`` when the settings were taken."""
        if self.path is None:
            return
        self.count += 1
        outcome = "ok" if refusal is None else "refused: " + " ".join(refusal.split())
        # A few bytes on a local disk, written in order even from the event loop.
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(f"{self.count} {outcome}\n", encoding="utf-8")
        partial.replace(self.path)  # a reader sees the old line or the new, never half of one


def _answers_path(pid_file: Path) -> Path:
    return pid_file.with_name(pid_file.name + ".reload")


@contextlib.contextmanager
def pid_file(path: Path | None) -> Iterator[ReloadAnswers]:
    """Write our pid to ``path`` (if any) while inside, with the reload answers beside it."""
    if path is None:
        yield ReloadAnswers(None)
        return
    answers = ReloadAnswers(_answers_path(path))
    _answers_path(path).unlink(missing_ok=True)  # a previous run's would mislead `reload`
    path.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        yield answers
    finally:
        _answers_path(path).unlink(missing_ok=True)
        with contextlib.suppress(OSError, ValueError):  # another service may own it by now
            if int(path.read_text(encoding="utf-8")) == os.getpid():
                path.unlink()


class CannotReload(Exception):
    """``ticker reload`` failed; the message says why, in one line."""


def _service_pid(pid_file: Path) -> int:
    """The pid in ``pid_file``, once it is known to be a running ``ticker serve``."""
    try:
        text = pid_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not text"
        raise CannotReload(f"cannot reload: {pid_file} cannot be read ({reason})") from exc
    pid = int(text) if text.strip().isdigit() else 0
    if pid < 1:  # 0 (and -1) would signal whole groups of processes
        raise CannotReload(f"cannot reload: {pid_file} holds no process id")
    if not Path("/proc/self").exists():  # no /proc here: the signal alone says if it runs
        return pid
    try:
        arguments = Path("/proc", str(pid), "cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        raise _not_running(pid) from None
    except OSError:
        return pid  # hidden from us (hidepid=): the signal decides
    # `ticker serve ...` or `python -m ticker serve ...`, not a program that took the pid over
    names = {os.path.basename(os.fsdecode(argument)) for argument in arguments}
    if not {"ticker", "serve"} <= names:
        raise CannotReload(
            f"cannot reload: process {pid} is not a ticker service (a stale pid file?)"
        )
    return pid


def _not_running(pid: int) -> CannotReload:
    return CannotReload(f"cannot reload: process {pid} is not running (a stale pid file?)")


def _last_answer(pid_file: Path) -> tuple[int, str]:
    """The service's last reload answer as ``(count, outcome)``; ``(0, "")`` before any."""
    try:
        count, _, outcome = _answers_path(pid_file).read_text(encoding="utf-8").partition(" ")
        return int(count), outcome.strip()
    except (OSError, ValueError):
        return 0, ""


def _await_answer(pid_file: Path, pid: int, before: int, wait: float) -> str:
    """Wait up to ``wait`` seconds for an answer after the ``before``-th; its outcome."""
    deadline = time.monotonic() + wait
    while True:
        count, outcome = _last_answer(pid_file)
        if count > before:
            return outcome
        if time.monotonic() >= deadline:
            raise CannotReload(f"process {pid} did not confirm the reload within {wait:g} s"
                                " (see its log)")  # fmt: skip
        time.sleep(0.05)


def request_reload(path: Path, wait: float) -> tuple[int, str]:
    """Signal the service of ``path`` and wait for its answer: its pid and the outcome.

    The outcome is ``ok`` or ``refused: why``; :class:`CannotReload` when the
    service cannot be found, signalled, or does not answer in ``wait`` seconds.
    """
    pid = _service_pid(path)
    before, _ = _last_answer(path)
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        raise _not_running(pid) from None
    except OSError as exc:
        message = f"cannot reload: cannot signal process {pid}: {exc.strerror}"
        raise CannotReload(message) from exc
    return pid, _await_answer(path, pid, before, wait)
