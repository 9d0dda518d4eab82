"""Connections: keep-alive and header deadlines, the descriptor budget, unreadable requests.

The first tests run :class:`~ticker._serving.connections.Connections` in this process
on loopback with short deadlines; those marked slow run ``ticker serve`` itself, one
of them under a limit of 1,024 descriptors.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from ticker._serving.connections import (
    SERVER_NAME,
    Connections,
    descriptor_headroom,
    raise_descriptor_limit,
)

from ._running import _wait_healthy, free_port
from .conftest import make_settings
from .test_cli import offline_config
from .test_workers import serve_args, serving

#: A request whose header holds a NUL byte (33 bytes): aiohttp's parser refuses it.
NUL_REQUEST = b"GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n"
#: How long a test waits for something the service should do within a few seconds.
PATIENCE = 15.0


class Clock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.asynccontextmanager
async def listening(**options) -> AsyncIterator[tuple[Connections, int]]:
    """A plain aiohttp server answering ``ok`` behind :class:`Connections`; it and its port."""

    async def handle(request: web.BaseRequest) -> web.Response:
        return web.Response(text="ok")

    server = web.Server(handle)
    settings = make_settings()
    options = {"keepalive_timeout": 60.0, "header_timeout": 60.0, "sweep_every": 0.05, **options}
    connections = Connections(server, lambda: settings, **options)
    listener = await asyncio.get_running_loop().create_server(connections, "127.0.0.1", 0)
    try:
        async with connections.tending():
            yield connections, listener.sockets[0].getsockname()[1]
    finally:
        listener.close()
        await server.shutdown(1)


class Client:
    """One raw connection to the server, to send bytes at the pace a test wants."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> Client:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def exchange(self, request: bytes) -> tuple[str, dict[str, str], bytes]:
        """Send ``request``; the status line, headers (lower-cased names) and body."""
        self.writer.write(request)
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), PATIENCE)
        status, *lines = head.decode("latin-1").split("\r\n")
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines) if k
        }
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, headers, body

    async def get(self, path: str = "/") -> tuple[str, dict[str, str], bytes]:
        return await self.exchange(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())

    async def ended(self, within: float = PATIENCE) -> bool:
        """Whether the server closed the connection within ``within`` seconds."""
        try:
            return await asyncio.wait_for(self.reader.read(), within) == b""
        except TimeoutError:
            return False
        except ConnectionError:
            return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


@contextlib.asynccontextmanager
async def clients(port: int, count: int) -> AsyncIterator[list[Client]]:
    """``count`` connections, opened one after the other; all closed on exit."""
    opened: list[Client] = []
    try:
        for _ in range(count):
            opened.append(await Client.connect(port))
        yield opened
    finally:
        for client in opened:
            await client.close()


async def until(condition, seconds: float = PATIENCE) -> None:
    """Wait until ``condition()`` holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.01)


async def test_every_answer_names_ticker_without_a_version():
    """aiohttp's ``Server: Python/3.x aiohttp/3.x`` banner is replaced by ``ticker``."""
    async with listening() as (_, port), clients(port, 1) as [client]:
        status, headers, body = await client.get()
    assert (status, body) == ("HTTP/1.1 200 OK", b"ok")
    assert headers["server"] == SERVER_NAME


async def test_a_connection_stays_for_reuse_and_ends_after_the_keepalive_timeout():
    """An idle connection is reused within the keep-alive timeout and closed after it."""
    async with listening(keepalive_timeout=0.5) as (_, port), clients(port, 2) as [used, unused]:
        assert (await used.get())[0] == "HTTP/1.1 200 OK"
        assert (await used.get())[0] == "HTTP/1.1 200 OK"  # the same connection, again
        assert await used.ended()
        assert await unused.ended()  # one that never sent a byte ends too


async def test_headers_late_past_the_deadline_end_the_connection():
    """A request whose headers trickle in past the deadline is closed; a prompt one is served."""
    async with listening(header_timeout=0.5) as (_, port), clients(port, 2) as [slow, prompt]:
        prompt.writer.write(b"GET / HTTP/1.1\r\n")
        slow.writer.write(b"GET / HTTP/1.1\r\n")
        await asyncio.sleep(0.2)
        assert (await prompt.exchange(b"Host: test\r\n\r\n"))[0] == "HTTP/1.1 200 OK"
        for _ in range(30):  # a header byte every 0.1 s, for longer than the deadline
            slow.writer.write(b"X")
            await asyncio.sleep(0.1)
            if slow.reader.at_eof():
                break
        assert await slow.ended(within=1)
        assert (await prompt.get())[0] == "HTTP/1.1 200 OK"  # idle, not late: still open


async def test_near_the_descriptor_limit_the_longest_idle_connections_close_first(caplog):
    """Past the budget the connections idle the longest close first; new requests are served."""
    limit = descriptor_headroom(0) + 21  # room for 20 connections, and one more
    async with (
        listening(descriptor_limit=limit, count=lambda: None) as (connections, port),
        clients(port, 20) as old,
    ):
        for client in old:  # each answered in turn: idle since then, in this order
            assert (await client.get())[0] == "HTTP/1.1 200 OK"
        with caplog.at_level(logging.WARNING, logger="ticker.connections"):
            async with clients(port, 1) as [new]:
                assert (await new.get())[0] == "HTTP/1.1 200 OK"
                ended = [await client.ended(within=0.2) for client in old]
    shed = connections.margin  # down to the margin under the budget
    assert ended == [True] * shed + [False] * (20 - shed)
    lines = [r.getMessage() for r in caplog.records if r.name == "ticker.connections"]
    assert len(lines) == 1, lines
    assert f"closed the {shed} connections idle the longest" in lines[0]


async def test_an_accept_out_of_descriptors_closes_idle_connections():
    """An EMFILE from accept (asyncio's report) closes idle connections; other reports pass."""
    passed = []
    async with listening(count=lambda: None) as (connections, port), clients(port, 3) as idle:
        await until(lambda: connections.open == 3)
        handle = connections.exception_handler(lambda loop, context: passed.append(context))
        loop = asyncio.get_running_loop()
        emfile = OSError(errno.EMFILE, "Too many open files")
        handle(loop, {"message": "socket.accept() out of system resource", "exception": emfile})
        handle(loop, {"message": "something else"})
        assert [await client.ended(within=1) for client in idle] == [True] * 3
    assert passed == [{"message": "something else"}]


async def test_an_unreadable_request_is_a_plain_400_and_one_short_line(caplog):
    """A NUL in a header: a JSON 400 with nosniff that echoes nothing; one line per 10 s."""
    clock = Clock()
    answers = []
    with caplog.at_level(logging.DEBUG):
        async with listening(clock=clock) as (_, port):
            for _ in range(5):
                async with clients(port, 1) as [client]:
                    answers.append(await client.exchange(NUL_REQUEST))
            clock.now += 11
            async with clients(port, 1) as [client]:
                answers.append(await client.exchange(NUL_REQUEST))
    for status, headers, body in answers:
        assert status == "HTTP/1.0 400 Bad Request"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["server"] == SERVER_NAME
        assert headers["content-type"] == "application/json; charset=utf-8"
        assert b"X-A" not in body
        assert b"\\x00" not in body
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.exc_info for r in records] == [None, None]
    first, second = (r.getMessage() for r in records)
    assert first == "unreadable request from 127.0.0.1 (Invalid header value char): answered 400"
    assert second.endswith("; 4 more since the last such line")
    assert max(len(first), len(second)) < 200


@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_NOFILE")
def test_the_soft_descriptor_limit_is_raised_to_the_hard_one():
    """At start the soft RLIMIT_NOFILE (systemd's 1,024, say) becomes the hard limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 256:
        pytest.skip(f"hard limit {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        assert raise_descriptor_limit(warn=False) == hard
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 256), hard))


# -- ticker serve, a real process ---------------------------------------------------------

#: Runs ``python -m ticker ARGS`` with at most 1,024 descriptors, as systemd's default.
UNDER_1024 = (
    "import os, resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)); "
    "os.execv(sys.executable, [sys.executable, '-m', 'ticker', *sys.argv[1:]])"
)


def deadlines_config(tmp_path: Path, **server: str) -> Path:
    """examples/offline.yaml with ``server`` keys (such as ``keepalive_timeout: 2s``) added."""
    path = offline_config(tmp_path)
    keys = "".join(f", {key}: {value}" for key, value in server.items())
    text = path.read_text("utf-8").replace("port: 8080}", f"port: 8080{keys}}}")
    path.write_text(text, "utf-8")
    return path


@contextlib.asynccontextmanager
async def ticker(config: Path, *, launcher: tuple[str, ...] = ("-m", "ticker")):
    """``ticker serve`` with ``config`` on a free port, once it answers."""
    port = free_port()
    command = [sys.executable, *launcher, *serve_args(config, port)]
    async with serving(command, port, config.with_suffix(".log")) as service:
        await _wait_healthy(service)
        yield service, port


def raw_socket(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)


def ended_by_peer(sock: socket.socket) -> bool:
    """Whether the other side closed ``sock`` (nothing else is due on it)."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except ConnectionError:
        return True
    finally:
        sock.settimeout(timeout)


def raw_get(port: int, path: str = "/healthz") -> int:
    """GET ``path`` on a new connection; the status (an OSError if none came)."""
    with raw_socket(port) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    if not answer:
        raise ConnectionResetError("closed without an answer")
    return int(answer.split(b" ", 2)[1])


async def all_ended(sockets: list[socket.socket], seconds: float = PATIENCE) -> int:
    """Wait (at most ``seconds``) until the service closed every socket; how many it closed."""
    deadline = time.monotonic() + seconds
    while (closed := sum(map(ended_by_peer, sockets))) < len(sockets):
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    return closed


@contextlib.contextmanager
def sockets_held(port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` idle connections to ``port``, closed on exit."""
    held: list[socket.socket] = []
    try:
        for _ in range(count):
            held.append(raw_socket(port))
        yield held
    finally:
        for sock in held:
            sock.close()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="no RLIMIT_NOFILE")
async def test_an_idle_flood_past_1024_descriptors_leaves_new_requests_answered(tmp_path):
    """1,100 idle connections under a 1,024-descriptor limit: new requests are still answered."""
    if raise_descriptor_limit(warn=False) < 1300:  # this test's own end of 1,100 connections
        pytest.skip("this process may not open 1,300 descriptors")
    config = offline_config(tmp_path)
    async with ticker(config, launcher=("-c", UNDER_1024)) as (service, port):
        with sockets_held(port, 1100) as flood:
            await asyncio.sleep(1)  # the service accepted them all (and closed some)
            statuses = [await asyncio.to_thread(raw_get, port) for _ in range(20)]
            shed = sum(map(ended_by_peer, flood))
            assert service.process.returncode is None
            in_use = (
                len(os.listdir(f"/proc/{service.process.pid}/fd")) if sys.platform == "linux" else 0
            )
    assert statuses == [200] * 20
    assert shed >= 1100 - 1024
    assert in_use < 1024
    log = service.log()
    assert log.count("file descriptors running short") == 1, log
    assert "only 1024 file descriptors" in log


@pytest.mark.slow
async def test_idle_connections_end_after_the_keepalive_timeout(tmp_path):
    """With ``keepalive_timeout: 2s``, idle connections (used or never used) are closed."""
    config = deadlines_config(tmp_path, keepalive_timeout="2s")
    async with ticker(config) as (_, port):
        with sockets_held(port, 20) as idle:
            for sock in idle[:10]:  # half of them answered once first
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
                assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
            assert not any(map(ended_by_peer, idle))
            assert await all_ended(idle) == 20


@pytest.mark.slow
async def test_slowloris_connections_end_after_the_header_deadline(tmp_path):
    """Connections sending a header byte a second are closed after ``header_timeout``."""
    config = deadlines_config(tmp_path, header_timeout="2s")
    async with ticker(config) as (_, port):
        with sockets_held(port, 20) as slow:
            for sock in slow:
                sock.sendall(b"GET /v1/strip HTTP/1.1\r\nHost: test\r\n")
            deadline = time.monotonic() + PATIENCE
            while not all(map(ended_by_peer, slow)) and time.monotonic() < deadline:
                for sock in slow:
                    with contextlib.suppress(OSError):
                        sock.send(b"X")
                await asyncio.sleep(1)
            assert all(map(ended_by_peer, slow))
            assert await asyncio.to_thread(raw_get, port) == 200


@pytest.mark.slow
async def test_a_nul_byte_in_a_header_is_one_short_warning_and_a_plain_400(tmp_path):
    """Ten NUL-byte requests: ten 400s with nosniff and no banner, one short WARNING line."""
    async with ticker(offline_config(tmp_path)) as (service, port):
        answers = []
        for _ in range(10):
            with raw_socket(port) as sock:
                sock.sendall(NUL_REQUEST)
                answers.append(sock.recv(65536))
        await asyncio.sleep(0.5)
        log = service.log()  # before it stops
    for answer in answers:
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.0 400 Bad Request")
        assert b"\r\nX-Content-Type-Options: nosniff" in head
        assert b"aiohttp" not in head
        assert b"Python" not in head
        assert b"X-A" not in body
    lines = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert len(lines) == 1, lines
    assert "unreadable request from 127.0.0.1" in lines[0]
    assert len(lines[0]) < 200
    assert "Traceback" not in log
