"""Connection hygiene against the real service: idle and slowloris floods, descriptors, RSS.

Usage::

    python -m benchmarks.connections                 # ~5 min on 2 cores
    python -m benchmarks.connections --quick         # short holds and loads, no warm-up: smoke run
    python -m benchmarks.connections --ticker-path /tmp/before   # another checkout's ticker

``ticker serve`` (one process, the reference strip from static sources, its default
``server:`` deadlines) runs on 127.0.0.1 and is measured in four phases, each
against a fresh process:

* idle: ``--idle`` connections are opened (half of them answered once, the rest
  never used), wrk loads ``/v1/strip`` beside them, and ``--idle-hold`` seconds after
  they were opened the benchmark counts how many the service still holds open, and
  the service's open descriptors;
* slowloris: ``--slowloris`` connections each send a request line, then a header
  byte every second; counted ``--slowloris-hold`` seconds after they were opened;
* past the limit: the service under a limit of 1,024 descriptors (systemd's
  default) and ``--flood`` idle connections; wrk's answers, errors and p99 beside them;
* RSS: wrk against ``/v1/strip`` until ``--requests`` requests were answered; the
  serving process's RSS at start, after a tenth of them and after all.

The reference is the same process under the same wrk load (``-c16``) before any
flood, in the same run: the tables give each p99 beside it and as a ratio.
``--ticker-path`` serves another checkout's ticker: the "before" figures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks._load import LoadResult, find_wrk, measure
from benchmarks._processes import HOST, Processes, Running, free_port, stop_on_sigterm, wait_ready
from benchmarks._report import Figure, Report, Section, Target, machine
from benchmarks._servers import Server, settle
from benchmarks._settings import reference_settings, write_settings
from benchmarks.refresh_stall import served_ticker, service_command

__all__ = ["FloodOptions", "main", "measure_connections"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "test-artifacts" / "connections.md"
PATH = "/v1/strip"
#: The descriptor limit of the "past the limit" phase: systemd's default.
LIMIT = 1024
#: Runs ``python ARGS`` with at most ``LIMIT`` descriptors (soft and hard), pid kept.
UNDER_LIMIT = (
    "import os, resource, sys; "
    f"resource.setrlimit(resource.RLIMIT_NOFILE, ({LIMIT}, {LIMIT})); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
#: How long each connect of a flood may take (a service out of descriptors accepts none).
CONNECT_SECONDS = 2.0
#: How long the service gets to accept a flood before it is measured.
ACCEPT_SECONDS = 1.0
#: Past the limit, the flood has settled once the service closed none of it for this
#: long: more than asyncio's pause of 1 s in accepting after running out of descriptors,
#: so that the load beside it measures the service, not the pause.
SETTLED_SECONDS = 1.5
#: At most this long is waited for that.
SETTLE_LIMIT_SECONDS = 15.0
#: The slowloris clients send one header byte per connection this often.
TRICKLE_SECONDS = 1.0
#: An unmeasured load before the reference one: a fresh process's first requests are slow
#: (--quick has none: its figures are not judged).
WARM_SECONDS = 2.0
#: wrk's connections for the other clients, and for the RSS run.
OTHER_CLIENTS = 16
RSS_CLIENTS = 64
#: One wrk run of the RSS phase lasts this long; runs follow until enough requests.
RSS_CHUNK_SECONDS = 5.0
#: The RSS phase stops after this many wrk runs, whatever the count.
RSS_CHUNKS_MAX = 200

#: Targets: nothing idle or slow outlives the deadlines, the flood leaves requests
#: answered, other clients' p99 within 1.5x of the reference, no growth of RSS.
HELD = Target(1, "connections")
FLOOD_ERRORS = Target(1, "errors")
P99_RATIO = Target(1.5, "x")
RSS_GROWTH = Target(1.1, "x")


@dataclass(frozen=True)
class FloodOptions:
    """How many connections, how long they are held, the loads."""

    idle: int = 200
    idle_hold: float = 90.0
    slowloris: int = 500
    slowloris_hold: float = 30.0
    flood: int = 1100
    duration: float = 10.0
    requests: int = 1_000_000
    ticker_path: Path | None = None
    wrk: str | None = None
    warm_up: float = WARM_SECONDS

    @classmethod
    def quick(cls, **changes: Any) -> FloodOptions:
        """Few connections, short holds and loads, no warm-up: every line in under a minute."""
        quick = cls(
            idle=20, idle_hold=3.0, slowloris=20, slowloris_hold=3.0, duration=1.0,
            requests=20_000, warm_up=0.0,
        )  # fmt: skip
        return replace(quick, **changes)


# -- the clients --------------------------------------------------------------------------


def _raise_own_limit() -> None:
    """This process opens the floods: its soft descriptor limit goes to the hard one."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 2000:
        raise SystemExit(f"this process may open {soft} descriptors; the floods need 2,000")


def ended_by_peer(sock: socket.socket) -> bool:
    """Whether the service closed ``sock`` (nothing is due on it)."""
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def held(sockets: Sequence[socket.socket]) -> int:
    """How many of ``sockets`` the service still holds open."""
    return sum(not ended_by_peer(sock) for sock in sockets)


def _answered_once(sock: socket.socket) -> None:
    """One request on ``sock``, its answer read to the end (keep-alive: it stays open)."""
    sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        if not (chunk := sock.recv(65536)):
            return
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")]
    length = int(lengths[0].partition(b":")[2]) if lengths else 0
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk


@contextlib.contextmanager
def opened(port: int, count: int, *, answered: int = 0) -> Iterator[list[socket.socket]]:
    """``count`` connections (the first ``answered`` used once), non-blocking; closed on exit."""
    sockets: list[socket.socket] = []
    try:
        for index in range(count):
            try:
                sock = socket.create_connection((HOST, port), timeout=CONNECT_SECONDS)
            except OSError:
                continue  # counted as not held
            sockets.append(sock)
            if index < answered:
                with contextlib.suppress(OSError):
                    _answered_once(sock)
            sock.setblocking(False)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


class Trickle:
    """Sends a header byte every second on each slowloris socket, from a thread."""

    def __init__(self, sockets: Sequence[socket.socket]) -> None:
        self._sockets = sockets
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="slowloris", daemon=True)

    def __enter__(self) -> Trickle:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.send(f"GET {PATH} HTTP/1.1\r\nHost: {HOST}\r\n".encode())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(TRICKLE_SECONDS):
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.send(b"X")


# -- the service ----------------------------------------------------------------------------


def descriptors(running: Running) -> int | None:
    """The serving process's open descriptors (Linux)."""
    with contextlib.suppress(OSError):
        return len(os.listdir(f"/proc/{running.process.pid}/fd"))
    return None


def rss_mb(running: Running) -> float | None:
    """The serving process's resident memory in MB (Linux), its children not counted."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{running.process.pid}/status").read_text("ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


@dataclass
class _Context:
    options: FloodOptions
    folder: Path
    processes: Processes
    config: Path


def _start(context: _Context, name: str, *, limited: bool = False) -> Server:
    """``ticker serve`` on a free port, settled; with ``limited``, under ``LIMIT`` descriptors."""
    port = free_port()
    command, env = service_command(context.config, port, context.options.ticker_path)
    if limited:
        command = [sys.executable, "-c", UNDER_LIMIT, *command[1:]]
    running = context.processes.start(name, command, env)
    server = Server(name, port, [running])
    wait_ready(server.processes, port, "/healthz")
    settle(server)
    return server


def _load(context: _Context, server: Server, *, duration: float | None = None) -> LoadResult | None:
    """wrk's figures for the other clients; None when wrk could not say."""
    options = context.options
    try:
        load = measure(
            server.url(PATH), connections=OTHER_CLIENTS, duration=duration or options.duration,
            threads=1, wrk=options.wrk,
        )  # fmt: skip
    except (ValueError, RuntimeError):
        return None
    return load


def _reference(context: _Context, server: Server) -> LoadResult | None:
    """The other clients' load before any flood, after an unmeasured warm-up."""
    if context.options.warm_up > 0:
        _load(context, server, duration=context.options.warm_up)
    return _load(context, server)


def _wait_until(started: float, seconds: float) -> None:
    time.sleep(max(0.0, started + seconds - time.monotonic()))


def _progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class FloodResult:
    """One flood: what it held, the descriptors and the other clients' load meanwhile."""

    label: str
    opened: int
    held: int
    hold: float
    descriptors: int | None
    load: LoadResult | None


def _idle_and_slowloris(context: _Context) -> tuple[LoadResult | None, list[FloodResult]]:
    """The reference load, then the idle flood, then the slowloris flood, on one process."""
    options = context.options
    server = _start(context, "ticker")
    reference = _reference(context, server)
    results = []
    _progress(f"idle: {options.idle} connections held {options.idle_hold:g} s")
    started = time.monotonic()
    with opened(server.port, options.idle, answered=options.idle // 2) as idle:
        load = _load(context, server)
        _wait_until(started, options.idle_hold)
        results.append(
            FloodResult(
                "idle", len(idle), held(idle), options.idle_hold,
                descriptors(server.processes[0]), load,
            )
        )  # fmt: skip
    time.sleep(ACCEPT_SECONDS)  # the service sees them closed
    _progress(f"slowloris: {options.slowloris} connections held {options.slowloris_hold:g} s")
    started = time.monotonic()
    with opened(server.port, options.slowloris) as slow, Trickle(slow):
        load = _load(context, server)
        _wait_until(started, options.slowloris_hold)
        results.append(
            FloodResult(
                "slowloris", len(slow), held(slow), options.slowloris_hold,
                descriptors(server.processes[0]), load,
            )
        )  # fmt: skip
    context.processes.stop(server.processes[0])
    return reference, results


@dataclass(frozen=True)
class LimitResult:
    """The flood past ``LIMIT`` descriptors."""

    reference: LoadResult | None
    flood: FloodResult
    logged: int


def _past_the_limit(context: _Context) -> LimitResult:
    """The service under ``LIMIT`` descriptors, with ``--flood`` idle connections."""
    options = context.options
    server = _start(context, "ticker limited", limited=True)
    reference = _reference(context, server)
    _progress(f"past the limit: {options.flood} idle connections, {LIMIT} descriptors")
    with opened(server.port, options.flood) as flood:
        started = time.monotonic()
        time.sleep(ACCEPT_SECONDS)
        _settle(flood)
        load = _load(context, server)
        result = FloodResult(
            "idle, 1,024 descriptors", len(flood), held(flood),
            round(time.monotonic() - started), descriptors(server.processes[0]), load,
        )  # fmt: skip
    running = server.processes[0]
    log = running.log_path.read_text(encoding="utf-8", errors="replace")
    context.processes.stop(running)
    return LimitResult(reference, result, log.count("file descriptors running short"))


def _settle(flood: Sequence[socket.socket]) -> None:
    """Wait (bounded) until the service has closed none of ``flood`` for ``SETTLED_SECONDS``."""
    deadline = time.monotonic() + SETTLE_LIMIT_SECONDS
    count, since = held(flood), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < SETTLED_SECONDS:
        time.sleep(0.1)
        now_held = held(flood)
        if now_held != count:
            count, since = now_held, time.monotonic()


@dataclass(frozen=True)
class RssResult:
    """RSS at start, after a tenth of the requests and after all, with the counts reached."""

    marks: list[tuple[int, float | None]]
    load: list[LoadResult]


def _rss(context: _Context) -> RssResult:
    """wrk until ``--requests`` are answered; the serving process's RSS on the way."""
    options = context.options
    server = _start(context, "ticker rss")
    running = server.processes[0]
    marks: list[tuple[int, float | None]] = [(0, rss_mb(running))]
    _progress(f"RSS: {options.requests:,} requests")
    done, runs = 0, list[LoadResult]()
    for goal in (options.requests // 10, options.requests):
        while done < goal and len(runs) < RSS_CHUNKS_MAX:
            run = measure(
                server.url(PATH), connections=RSS_CLIENTS,
                duration=min(RSS_CHUNK_SECONDS, options.duration), threads=1, wrk=options.wrk,
            )  # fmt: skip
            runs.append(run)
            done += run.requests
        marks.append((done, rss_mb(running)))
    context.processes.stop(running)
    return RssResult(marks, runs)


def measure_connections(
    options: FloodOptions, folder: Path, processes: Processes
) -> tuple[list[Section], list[Figure]]:
    """Every phase; the sections to print and the figures for the summary."""
    service = served_ticker(options.ticker_path)
    config = write_settings(folder / "ticker.yaml", reference_settings(folder / "cache"))
    context = _Context(options, folder, processes, config)
    reference, floods = _idle_and_slowloris(context)
    limit = _past_the_limit(context)
    rss = _rss(context)
    return _sections(context, service, reference, floods, limit, rss)


# -- the tables ------------------------------------------------------------------------------


def _answered(load: LoadResult | None) -> bool:
    return load is not None and load.requests > 0


def _load_cells(load: LoadResult | None) -> list[str]:
    if load is None:
        return ["0", "—", "—", "all"]
    if not _answered(load):
        return ["0", "—", "—", f"{load.errors:,}"]
    return [f"{load.requests:,}", f"{load.p50_ms:.2f}", f"{load.p99_ms:.2f}", f"{load.errors:,}"]


def _ratio(load: LoadResult | None, reference: LoadResult | None) -> float | None:
    if load is None or reference is None or not _answered(load) or not _answered(reference):
        return None
    return load.p99_ms / reference.p99_ms


def _sections(
    context: _Context,
    service: str,
    reference: LoadResult | None,
    floods: list[FloodResult],
    limit: LimitResult,
    rss: RssResult,
) -> tuple[list[Section], list[Figure]]:
    options = context.options
    tool = "wrk" if options.wrk else "python (aiohttp)"
    columns = ["flood", "opened", "held", "after s", "fds", "answers", "p50 ms", "p99 ms"]
    columns += ["errors", "p99 / ref"]
    rows = [["none (reference)", "—", "—", "—", "—", *_load_cells(reference), "1.00"]]
    figures = []
    for flood in [*floods, limit.flood]:
        base = limit.reference if flood is limit.flood else reference
        ratio = _ratio(flood.load, base)
        rows.append([
            flood.label, str(flood.opened), str(flood.held), f"{flood.hold:g}",
            "—" if flood.descriptors is None else str(flood.descriptors),
            *_load_cells(flood.load), "—" if ratio is None else f"{ratio:.2f}",
        ])  # fmt: skip
        if flood is not limit.flood:
            figures.append(Figure(f"{flood.label} connections held", flood.held, "", HELD))
        figures.append(
            Figure(
                f"other clients' p99 / reference, {flood.label}",
                float("inf") if ratio is None else ratio, "x", P99_RATIO,
            )
        )  # fmt: skip
    beside = limit.flood.load
    answered = 0 if beside is None else beside.requests
    # No answer and no error counted: wrk could not say, which is no better.
    errors = beside.errors if beside is not None and (answered or beside.errors) else float("inf")
    figures.append(
        Figure("requests failed beside the flood past the limit", errors, "", FLOOD_ERRORS)
    )
    if limit.reference is not None:
        rows.append(["none, 1,024 descriptors (ref)", "—", "—", "—", "—",
                     *_load_cells(limit.reference), "1.00"])  # fmt: skip
    notes = [
        f"service: {service}; one process; its default server: deadlines",
        f"idle: half of them answered once first; slowloris: a request line, then a header "
        f"byte every {TRICKLE_SECONDS:g} s on each; held: still open after 'after s' seconds",
        f"past the limit: the service started with RLIMIT_NOFILE {LIMIT}:{LIMIT}; "
        f"{answered:,} answers beside the flood; the service logged the shortage "
        f"{limit.logged} time(s)",
        f"other clients: {tool} -t1 -c{OTHER_CLIENTS} on {PATH}, {options.duration:g} s "
        "beside each flood; ref: the same process before any flood, in this run, after "
        + (f"{options.warm_up:g} s of unmeasured load" if options.warm_up > 0 else "no warm-up"),
        "fds: the serving process's open descriptors at the count (its children not counted)",
        "measured on a shared host: other work on it moves the latencies from run to run",
    ]
    floods_section = Section("connections: floods and other clients", columns, rows, notes)
    rss_rows = []
    start = rss.marks[0][1]
    for count, value in rss.marks:
        growth = "—" if value is None or not start else f"{value / start:.2f}"
        rss_rows.append([f"{count:,}", "—" if value is None else f"{value:.1f}", growth])
    rates = [run.requests_per_second for run in rss.load]
    rss_notes = [
        f"{tool} -t1 -c{RSS_CLIENTS} on {PATH} in "
        f"{min(RSS_CHUNK_SECONDS, options.duration):g} s runs, "
        f"{min(rates, default=0):,.0f}-{max(rates, default=0):,.0f} req/s; "
        "RSS of the serving process (VmRSS)",
    ]
    rss_section = Section("RSS over the requests", ["requests", "RSS MB", "/ start"], rss_rows,
                          rss_notes)  # fmt: skip
    tenth, last = rss.marks[1][1], rss.marks[-1][1]
    if tenth and last:
        figures.append(
            Figure(f"RSS after {rss.marks[-1][0]:,} / after {rss.marks[1][0]:,} requests",
                   last / tenth, "x", RSS_GROWTH)
        )  # fmt: skip
    return [floods_section, rss_section], figures


# -- the command -----------------------------------------------------------------------------


def _options(argv: Sequence[str] | None) -> tuple[FloodOptions, Path, str]:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.connections",
        description="Idle and slowloris floods, descriptors and RSS of ticker serve.",
    )
    parser.add_argument("--quick", action="store_true", help="few connections, short holds")
    parser.add_argument("--idle", type=int, help="idle connections (default 200)")
    parser.add_argument("--idle-hold", type=float, help="seconds before counting (default 90)")
    parser.add_argument("--slowloris", type=int, help="slowloris connections (default 500)")
    parser.add_argument("--slowloris-hold", type=float, help="seconds (default 30)")
    parser.add_argument("--flood", type=int, default=1100, help="past the limit (default 1100)")
    parser.add_argument("--duration", type=float, help="seconds per load (default 10)")
    parser.add_argument("--requests", type=int, help="for the RSS (default 1,000,000)")
    parser.add_argument(
        "--warm-up", type=float, help="seconds of load before each reference (default 2; quick 0)"
    )
    parser.add_argument("--ticker-path", type=Path, help="serve the ticker package found there")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown report")
    args = parser.parse_args(argv)
    wrk = find_wrk() if args.load != "python" else None
    if args.load == "wrk" and wrk is None:
        raise SystemExit("--load wrk: wrk is not installed")
    base = FloodOptions.quick() if args.quick else FloodOptions()
    options = replace(
        base,
        idle=args.idle or base.idle,
        idle_hold=args.idle_hold or base.idle_hold,
        slowloris=args.slowloris or base.slowloris,
        slowloris_hold=args.slowloris_hold or base.slowloris_hold,
        flood=args.flood,
        duration=args.duration or base.duration,
        requests=args.requests or base.requests,
        warm_up=max(0.0, base.warm_up if args.warm_up is None else args.warm_up),
        ticker_path=args.ticker_path.resolve() if args.ticker_path else None,
        wrk=wrk,
    )
    given = sys.argv[1:] if argv is None else list(argv)
    return options, args.output, " ".join(["python -m benchmarks.connections", *given])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the connections benchmark; the exit status."""
    options, output, command = _options(argv)
    if not sys.platform.startswith("linux"):
        raise SystemExit("this benchmark reads /proc: Linux only")
    _raise_own_limit()
    stop_on_sigterm()
    report = Report(command)
    report.add(machine(options.wrk, "not used"))
    try:
        with (
            tempfile.TemporaryDirectory(prefix="ticker-connections-") as tmp,
            Processes(Path(tmp)) as processes,
        ):
            sections, figures = measure_connections(options, Path(tmp), processes)
    except KeyboardInterrupt:  # every process it started is stopped by now
        print("interrupted", file=sys.stderr)
        return 130
    return report.finish(sections, figures, output)


if __name__ == "__main__":
    raise SystemExit(main())
