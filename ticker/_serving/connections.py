"""The service's connections: idle ones end, slow headers end, descriptors never run out.

aiohttp keeps an idle connection for 3630 s and sets no deadline for a request's
headers, so idle clients and slowloris ones (a header byte a second) each hold a file
descriptor for an hour; once the process has none left, every new connection fails
(uvloop's libuv accepts and drops it, asyncio stops accepting) and nothing says why.
:class:`Connections` is the protocol factory ``serve`` listens with, and each
connection a :class:`Connection`: aiohttp's own ``RequestHandler`` (its parser and
request handling whole) that

* closes an idle connection after ``server.keepalive_timeout`` (aiohttp's own timer);
* closes one that has not sent a request's headers ``server.header_timeout`` after
  the request's first byte (one sweep a second over the open connections: no timer
  per request);
* keeps within the descriptors: when the open connections and the process's other
  descriptors near the soft ``RLIMIT_NOFILE`` (raised to the hard limit at start by
  :func:`raise_descriptor_limit`), or when an accept fails with ``EMFILE``, the
  connections idle the longest are closed first, logged at most once a minute;
* answers what aiohttp's parser cannot read (a bad request line, a NUL in a header)
  with the API's 400 and its security headers, without echoing the request, logged
  as one short WARNING line at most every 10 s with a count of the others;
* sends ``Server: ticker``: aiohttp gives ``Server: Python/3.x aiohttp/3.x`` to every
  answer that names no server, so each answer names one before it is sent (an answer
  a handler prepares itself, which none of ticker's does, would have to do so too).

aiohttp has the keep-alive timeout and none of the rest, and no maintained package
adds the rest to aiohttp's server; another server would replace the one the fast path
is written for.  Hence this module, built on aiohttp's own handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import heapq
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from aiohttp import hdrs, web
from aiohttp.http import HttpProcessingError

from ticker._config import Settings
from ticker._serving.responses import error_answer, security_headers
from ticker._text import bounded

__all__ = [
    "LISTEN_BACKLOG",
    "PARSER_WARNING_EVERY",
    "SERVER_NAME",
    "SHORTAGE_WARNING_EVERY",
    "SWEEP_EVERY",
    "Connection",
    "Connections",
    "count_descriptors",
    "descriptor_headroom",
    "raise_descriptor_limit",
]

log = logging.getLogger("ticker.connections")

#: Connections the kernel queues for accepting (aiohttp's ``TCPSite`` default).
LISTEN_BACKLOG = 128
#: What every answer names as its server: no version for a scanner to match.
SERVER_NAME = "ticker"
#: How often the open connections are looked at for late headers.
SWEEP_EVERY = 1.0
#: At most one WARNING line per this many seconds for requests that cannot be parsed.
PARSER_WARNING_EVERY = 10.0
#: At most one WARNING line per this many seconds for connections closed to save
#: descriptors.
SHORTAGE_WARNING_EVERY = 60.0
#: A soft descriptor limit under this is worth a warning at start: it caps the
#: connections the service can hold at once.
FEW_DESCRIPTORS = 4096
#: The soft limit asked for when the hard limit is "unlimited" (a soft limit cannot be).
UNLIMITED_SOFT_LIMIT = 65536
#: Where a process's open descriptors are listed (Linux, then the BSDs and macOS).
_FD_DIRECTORIES = ("/proc/self/fd", "/dev/fd")
#: Characters of a parser's reason kept in the log line.
REASON_CHARS = 80
#: What stands for a client's address when the transport no longer knows it.
UNKNOWN_PEER = "an unknown address"
#: The message of the 400 answered to a request the parser refused (never its reason,
#: which quotes the request).
UNREADABLE = "The request could not be read as HTTP/1.1."


def descriptor_headroom(limit: int) -> int:
    """Descriptors kept for everything but client connections: a twentieth, at least 64."""
    return max(64, limit // 20)


def raise_descriptor_limit(*, warn: bool = True) -> int:
    """Raise this process's soft ``RLIMIT_NOFILE`` to its hard limit; the soft limit after.

    systemd starts services with 1,024 (``LimitNOFILE`` raises the hard limit, see
    ``examples/ticker.service``).  With ``warn``, a limit still under
    :data:`FEW_DESCRIPTORS` is logged, as what caps the connections held at once.
    """
    if sys.platform == "win32":  # no RLIMIT_NOFILE; sockets are not C runtime descriptors
        return UNLIMITED_SOFT_LIMIT
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = UNLIMITED_SOFT_LIMIT if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and wanted > soft:
        with contextlib.suppress(ValueError, OSError):  # a system maximum under the hard one
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
    if soft == resource.RLIM_INFINITY:
        return UNLIMITED_SOFT_LIMIT
    if warn and soft < FEW_DESCRIPTORS:
        log.warning(
            "only %d file descriptors (RLIMIT_NOFILE): at most about %d connections at once;"
            " raise LimitNOFILE or ulimit -n",
            soft, soft - descriptor_headroom(soft),
        )  # fmt: skip
    return soft


def _soft_limit() -> int:
    if sys.platform == "win32":
        return UNLIMITED_SOFT_LIMIT
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return UNLIMITED_SOFT_LIMIT if soft == resource.RLIM_INFINITY else soft


def count_descriptors() -> int | None:
    """How many descriptors this process has open, where the system lists them."""
    for directory in _FD_DIRECTORIES:
        with contextlib.suppress(OSError):
            return len(os.listdir(directory))
    return None


class _Throttle:
    """At most one line per ``every`` seconds; what it kept quiet meanwhile is counted."""

    def __init__(self, every: float, clock: Callable[[], float]) -> None:
        self._every = every
        self._clock = clock
        self._next = float("-inf")
        self._quiet = 0

    def allow(self, count: int = 1) -> int | None:
        """None: stay quiet (``count`` is added up); else how many were kept quiet before."""
        now = self._clock()
        if now < self._next:
            self._quiet += count
            return None
        self._next = now + self._every
        quiet, self._quiet = self._quiet, 0
        return quiet


def _peer(peername: object) -> str:
    """The client's address without its port."""
    if isinstance(peername, tuple) and peername:
        return bounded(peername[0], 64)
    return UNKNOWN_PEER


def _reason(exc: HttpProcessingError) -> str:
    """The parser's reason, first line only: the lines after it quote the request."""
    lines = str(exc.message).strip().splitlines() or [type(exc).__name__]
    return bounded(lines[0].rstrip(": "), REASON_CHARS)


class Connection(web.RequestHandler):
    """One client connection: aiohttp's handler, watched by :class:`Connections`."""

    __slots__ = ("_clock", "_connections", "busy", "header_since", "idle_since")

    def __init__(
        self,
        manager: web.Server,
        *,
        loop: asyncio.AbstractEventLoop,
        connections: Connections,
        **handler_args: Any,
    ) -> None:
        super().__init__(manager, loop=loop, **handler_args)
        self._connections = connections
        self._clock = connections.clock
        #: True from a request's start to the end of its answer.
        self.busy = False
        #: Since when the connection has had nothing to answer (its opening, at first).
        self.idle_since = self._clock()
        #: When the first byte of a request whose headers are incomplete came.
        self.header_since: float | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Count the connection in; too many open ones close the longest idle."""
        super().connection_made(transport)
        self._connections.opened(self)

    def connection_lost(self, exc: BaseException | None) -> None:
        """Count the connection out."""
        super().connection_lost(exc)
        self._connections.closed(self)

    def data_received(self, data: bytes) -> None:
        """Start the header clock at the first byte of a request."""
        if data and not self.busy and self.header_since is None:
            self.header_since = self._clock()
        super().data_received(data)

    def request_started(self) -> None:
        """A request's headers are in: it is being answered."""
        self.busy, self.header_since = True, None

    async def finish_response(
        self, request: web.BaseRequest, resp: web.StreamResponse, start_time: float | None
    ) -> tuple[web.StreamResponse, bool]:
        """Send ``resp`` naming :data:`SERVER_NAME`; the connection is idle after it."""
        if isinstance(resp, web.StreamResponse) and not resp.prepared:
            resp.headers.setdefault(hdrs.SERVER, SERVER_NAME)
        try:
            return await super().finish_response(request, resp, start_time)
        finally:
            self.busy, self.idle_since = False, self._clock()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A request the parser could not read: a short 400 and a short line, rate-limited.

        Anything else (a handler's exception) is aiohttp's answer and log, with the
        security headers added.
        """
        settings = self._connections.settings()
        if not isinstance(exc, HttpProcessingError):
            response = super().handle_error(request, status, exc, message)
            response.headers.update(security_headers(settings, page=False))
            return response
        self._connections.unreadable(exc, self.peername)
        if request.writer.output_size > 0:  # as aiohttp: an answer was already under way
            raise ConnectionError("cannot answer a request that could not be read")
        response = error_answer(settings, status, "bad_request", UNREADABLE)
        response.force_close()
        return response


class Connections:
    """The protocol factory ``serve`` listens with: each connection, its deadlines, the budget.

    It takes over ``server``'s request factory, to hear when each request starts.
    ``descriptor_limit`` defaults to the soft ``RLIMIT_NOFILE``; ``count`` says how
    many descriptors the process has open (None where the system does not say).
    """

    def __init__(
        self,
        server: web.Server,
        settings: Callable[[], Settings],
        *,
        keepalive_timeout: float,
        header_timeout: float,
        descriptor_limit: int | None = None,
        count: Callable[[], int | None] = count_descriptors,
        sweep_every: float = SWEEP_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.header_timeout = header_timeout
        self.sweep_every = sweep_every
        self._server = server
        self._handler_args: Mapping[str, Any] = {
            "keepalive_timeout": keepalive_timeout,
            "access_log": None,  # aiohttp: None is no access log
        }
        self.limit = _soft_limit() if descriptor_limit is None else descriptor_limit
        headroom = descriptor_headroom(self.limit)
        #: Open descriptors past which the longest idle connections are closed...
        self.budget = self.limit - headroom
        #: ...down to this many fewer.
        self.margin = max(16, headroom // 4)
        self._count = count
        self._open: dict[Connection, None] = {}
        self._others = 0
        self._measure()
        self._parser_lines = _Throttle(PARSER_WARNING_EVERY, clock)
        self._shortage_lines = _Throttle(SHORTAGE_WARNING_EVERY, clock)
        factory = server.request_factory

        def start_request(
            message: Any, payload: Any, protocol: Any, writer: Any, task: Any
        ) -> web.BaseRequest:
            if isinstance(protocol, Connection):
                protocol.request_started()
            return factory(message, payload, protocol, writer, task)

        server.request_factory = start_request

    def __call__(self) -> Connection:
        """A new connection's protocol (what ``loop.create_server`` calls)."""
        loop = asyncio.get_running_loop()
        return Connection(self._server, loop=loop, connections=self, **self._handler_args)

    @property
    def open(self) -> int:
        """How many connections are open."""
        return len(self._open)

    def in_use(self) -> int:
        """Descriptors in use, as last counted: the connections and everything else."""
        return len(self._open) + self._others

    def opened(self, connection: Connection) -> None:
        """Count ``connection`` in; near the budget, close the longest idle."""
        self._open[connection] = None
        if self.in_use() >= self.budget:
            self.shed()

    def closed(self, connection: Connection) -> None:
        """Count ``connection`` out."""
        self._open.pop(connection, None)

    def shed(self, *, at_least: int = 0) -> int:
        """Close the connections idle the longest, to ``margin`` under the budget; how many."""
        excess = max(at_least, self.in_use() - (self.budget - self.margin))
        idle = [connection for connection in self._open if not connection.busy]
        victims = heapq.nsmallest(excess, idle, key=lambda connection: connection.idle_since)
        for victim in victims:
            self._open.pop(victim, None)
            victim.force_close()
        quiet = self._shortage_lines.allow(len(victims))
        if quiet is None:
            return len(victims)
        more = f"; {quiet} more closed since the last such line" if quiet else ""
        if not victims:
            log.warning(
                "file descriptors running short (%d of %d in use), and no connection is idle%s",
                self.in_use(), self.limit, more,
            )  # fmt: skip
            return 0
        log.warning(
            "file descriptors running short (%d of %d in use): closed the %d connections"
            " idle the longest (up to %.0f s)%s",
            self.in_use() + len(victims), self.limit, len(victims),
            self.clock() - victims[0].idle_since, more,
        )  # fmt: skip
        return len(victims)

    def unreadable(self, exc: HttpProcessingError, peername: object) -> None:
        """Log a request the parser refused: one short line, at most every 10 s."""
        quiet = self._parser_lines.allow()
        if quiet is None:
            return
        log.warning(
            "unreadable request from %s (%s): answered %d%s",
            _peer(peername), _reason(exc), exc.code or 400,
            f"; {quiet} more since the last such line" if quiet else "",
        )  # fmt: skip

    def sweep(self, now: float | None = None) -> int:
        """Close the connections whose headers are late; count the other descriptors."""
        now = self.clock() if now is None else now
        deadline = now - self.header_timeout
        late = [
            connection
            for connection in self._open
            if connection.header_since is not None and connection.header_since < deadline
        ]
        for connection in late:
            self._open.pop(connection, None)
            connection.force_close()
        if late:
            log.debug("closed %d connections whose headers were late", len(late))
        self._measure()
        return len(late)

    def _measure(self) -> None:
        counted = self._count()
        if counted is not None:
            self._others = max(0, counted - len(self._open))

    @contextlib.asynccontextmanager
    async def tending(self) -> AsyncIterator[None]:
        """Sweep every :data:`SWEEP_EVERY` seconds while inside."""

        async def sweeping() -> None:
            while True:
                await asyncio.sleep(self.sweep_every)
                self.sweep()

        task = asyncio.create_task(sweeping(), name="ticker-connections")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def exception_handler(
        self,
        previous: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None,
    ) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
        """A loop exception handler: an accept out of descriptors closes idle connections.

        asyncio reports such an accept (and tries again a second later); anything
        else goes to ``previous``, or to the loop's default handler.
        """

        def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            exc = context.get("exception")
            if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE):
                self._measure()
                self.shed(at_least=self.margin)
                return
            if previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        return handle
