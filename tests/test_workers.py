"""``ticker serve`` as real processes: workers, restarts, a taken port, reload, a killed master.

Workers are made to crash or to start slowly the way a broken installation would:
a directory on ``PYTHONPATH`` holds a ``uvloop.py`` that the workers import (see
``_use_uvloop``) and the master never does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ticker._cli.main import EXIT_CONFIG, main
from ticker._cli.workers import CRASH_LIMIT

from ._running import Service, _wait_healthy, free_port, running_service
from .test_cli import offline_config

pytestmark = pytest.mark.slow

#: A uvloop that fails at import, as a broken build would.
BROKEN_UVLOOP = 'raise RuntimeError("this uvloop build is broken")\n'
#: A uvloop that takes a while to import and then turns out to be missing.
SLOW_UVLOOP = """
import sys, time
print("uvloop stub: importing slowly", file=sys.stderr, flush=True)
time.sleep({seconds})
raise ImportError("no uvloop here")
"""


def uvloop_stub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Put a ``uvloop.py`` holding ``text`` first on the PYTHONPATH of every process started."""
    stub = tmp_path / "stub"
    stub.mkdir()
    (stub / "uvloop.py").write_text(text, "utf-8")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(stub), os.environ.get("PYTHONPATH")]))
    )


def finish(args: list[str], *, timeout: float, **popen: object) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ticker ARGS`` to its end; fail if it outlasts ``timeout`` seconds."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ticker", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}, **popen,
    )  # fmt: skip
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()  # the master stops its workers on SIGTERM
        out, err = process.communicate(timeout=15)
        pytest.fail(f"ticker {' '.join(args)} still ran after {timeout} s:\n{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def serve_args(config: Path, port: int, *extra: str) -> list[str]:
    """``serve`` on 127.0.0.1:``port`` with ``config``."""
    return ["serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port), *extra]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port held by a plain listening socket, bound without SO_REUSEPORT."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@contextlib.asynccontextmanager
async def serving(
    command: list[str], port: int, log_path: Path, **popen: object
) -> AsyncIterator[Service]:
    """Start ``command`` (a ``serve`` on ``port``) without waiting for it; stop it on exit."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *command, stdout=log, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            **popen,
        )  # fmt: skip
    try:
        yield Service(f"http://127.0.0.1:{port}", process, log_path)
    finally:
        if process.returncode is None:
            process.terminate()  # the master stops its workers on SIGTERM
            await asyncio.wait_for(process.wait(), 15)


async def logged(service: Service, text: str) -> None:
    """Wait (at most ten seconds) until ``service`` has logged ``text``."""
    for _ in range(200):
        if text in service.log():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{text!r} never logged:\n{service.log()}")


async def test_workers_ignore_a_ticker_folder_in_the_current_directory(tmp_path):
    """A ``ticker/`` folder where the command is started does not replace the installed one."""
    script = Path(sys.executable).with_name("ticker")
    if not script.exists():
        pytest.skip(f"no ticker script beside {sys.executable}")
    here = tmp_path / "here"
    (here / "ticker").mkdir(parents=True)
    for name in ("__init__.py", "__main__.py"):
        (here / "ticker" / name).write_text("raise SystemExit(1)\n", "utf-8")
    port = free_port()
    command = [str(script), *serve_args(offline_config(tmp_path), port, "--workers", "2")]
    async with serving(command, port, tmp_path / "ticker.log", cwd=here) as service:
        await _wait_healthy(service)  # GET /healthz answers 200
        assert "exited" not in service.log()


def test_master_gives_up_on_workers_that_keep_crashing(tmp_path, monkeypatch):
    """Crashing workers are restarted ever more slowly, then the master stops and exits 1."""
    uvloop_stub(tmp_path, monkeypatch, BROKEN_UVLOOP)
    config = offline_config(tmp_path)
    started = time.monotonic()
    result = finish(serve_args(config, free_port(), "--workers", "3"), timeout=20)
    assert result.returncode == 1, result.stderr
    assert time.monotonic() - started < 15
    assert result.stderr.count("RuntimeError: this uvloop build is broken") >= CRASH_LIMIT
    assert "starting another in 2 s" in result.stderr  # the second crash of a worker waits longer
    last = result.stderr.strip().splitlines()[-1]
    assert f"workers crashed {CRASH_LIMIT} times within 60 s" in last
    assert "see the workers' errors above" in last


async def test_master_stops_at_once_when_a_worker_cannot_listen(tmp_path, monkeypatch):
    """A worker exiting with status 2 (here: the port was taken while it started) stops all."""
    uvloop_stub(tmp_path, monkeypatch, SLOW_UVLOOP.format(seconds=2))
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "ticker",
        *serve_args(offline_config(tmp_path), port, "--workers", "2"),
    ]
    async with serving(command, port, tmp_path / "master.log") as master:
        await logged(master, "uvloop stub: importing slowly")  # past the master's check
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", port))
            holder.listen()
            status = await asyncio.wait_for(master.process.wait(), 10)
    log = master.log()
    assert status == EXIT_CONFIG, log
    assert f"ticker: cannot listen on 127.0.0.1:{port}: the address is in use" in log
    assert any("exited with status 2" in line and "stopping" in line for line in log.splitlines())
    assert "starting another" not in log


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["one process", "workers"])
def test_a_taken_port_is_one_line_and_status_2(tmp_path, taken_port, workers):
    """A port in use is one line on stderr and status 2, without a traceback or a retry."""
    result = finish(serve_args(offline_config(tmp_path), taken_port, *workers), timeout=10)
    assert result.returncode == EXIT_CONFIG, result.stderr
    line = f"ticker: cannot listen on 127.0.0.1:{taken_port}: the address is in use"
    assert result.stderr.splitlines().count(line) == 1, result.stderr
    assert "Traceback" not in result.stderr


async def test_reload_with_workers_is_acknowledged(tmp_path, capsys):
    """With workers the master answers `ticker reload`: ok for a good file, refused for a bad."""
    config = offline_config(tmp_path)
    pid_file = tmp_path / "ticker.pid"
    async with running_service(config, "--workers", "2", "--pid-file", str(pid_file)):
        assert await asyncio.to_thread(main, ["reload", "--pid-file", str(pid_file)]) == 0
        assert "reloaded its settings" in capsys.readouterr().out
        good = config.read_text("utf-8")
        config.write_text("rates: {currencies: [US]}\n", "utf-8")
        assert await asyncio.to_thread(main, ["reload", "--pid-file", str(pid_file)]) == 1
        err = capsys.readouterr().err
        assert "refused the new settings" in err
        assert "weather: required key is missing" in err
        config.write_text(good, "utf-8")
        assert await asyncio.to_thread(main, ["reload", "--pid-file", str(pid_file)]) == 0


async def test_a_hangup_while_starting_does_not_kill_the_service(tmp_path, monkeypatch):
    """SIGHUP before the service is ready (a reload, or the master passing one on) is ignored."""
    uvloop_stub(tmp_path, monkeypatch, SLOW_UVLOOP.format(seconds=1))
    port = free_port()
    command = [sys.executable, "-m", "ticker", *serve_args(offline_config(tmp_path), port)]
    async with serving(command, port, tmp_path / "ticker.log") as service:
        await logged(service, "uvloop stub: importing slowly")
        service.process.send_signal(signal.SIGHUP)
        await _wait_healthy(service)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting for init to reap it does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text("ascii").rpartition(")")[2].split()[0]
        return state != "Z"
    return True


def _listening(port: int) -> set[int]:
    """The pids of the processes with a socket listening on ``port`` (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A" and int(fields[1].rpartition(":")[2], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    pids = set()
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        with contextlib.suppress(OSError):
            if os.readlink(fd) in inodes:
                pids.add(int(fd.parts[2]))
    return pids


async def _workers_of(master: Service) -> set[int]:
    """The pids a master logged it started its workers with."""
    await logged(master, "started 2 workers: ")
    line = next(line for line in master.log().splitlines() if "started 2 workers: " in line)
    return {int(pid) for pid in line.rpartition(": ")[2].split(", ")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
async def test_workers_end_with_a_killed_master_and_a_new_master_serves_alone(tmp_path):
    """kill -9 of the master ends its workers; a new master's workers alone hold the port."""
    config, port = offline_config(tmp_path), free_port()
    command = [sys.executable, "-m", "ticker", *serve_args(config, port, "--workers", "2")]
    orphans: set[int] = set()
    try:
        async with serving(command, port, tmp_path / "old.log") as old:
            await _wait_healthy(old)
            orphans = await _workers_of(old)
            old.process.kill()
            await old.process.wait()
            for _ in range(60):  # three seconds at most
                if not any(map(_alive, orphans)):
                    break
                await asyncio.sleep(0.05)
            assert not any(map(_alive, orphans)), old.log()
        async with serving(command, port, tmp_path / "new.log") as new:
            await _wait_healthy(new)
            workers = await _workers_of(new)
            for _ in range(100):  # until both workers listen
                if _listening(port) == workers:
                    break
                await asyncio.sleep(0.05)
            assert _listening(port) == workers
    finally:
        for pid in orphans:  # what a failure left behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
