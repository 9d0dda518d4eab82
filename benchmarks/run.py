"""ticker's benchmarks: the service against a bare aiohttp handler and nginx, on fake data.

Usage::

    python -m benchmarks.run            # 10 s per load, 64 and 256 connections: ~7 min on 2 cores
    python -m benchmarks.run --quick    # every section, 1 s per load, no warm-up load: ~50 s
    python -m benchmarks.run --quick --stall-caches disk  # the smoke test (tests/test_benchmarks)
    python -m benchmarks.run --repeat 3 --duration 30 --connections 64 256 1024
    python -m benchmarks.run --no-refresh-stall  # every section but the refresh stall

Everything runs on 127.0.0.1 from a temporary folder, with the ``static`` adapter
(no network): ``ticker serve`` with one worker and with ``--workers 2``; the same
bytes from a bare aiohttp handler (``benchmarks/bare.py``: through an Application and
its router, and through the low-level server in 1 and 2 processes) and
from nginx (1 worker and ``auto``); ticker behind a copy of ``examples/nginx.conf``;
then the refresh stall (``benchmarks/refresh_stall.py``: the strip under load while
refreshes run back to back, on the disk cache and on Redis near and far), the scale
case, the client's cached ``strip()`` and the cold start.  Load comes
from wrk when installed (it shares the cores with the servers), else from a small
aiohttp load generator.  Tables go to stdout, progress to stderr, and the whole
report to ``test-artifacts/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks import _nginx
from benchmarks._load import LoadResult, find_wrk, measure
from benchmarks._processes import Processes, fetch, free_port, stop_on_sigterm
from benchmarks._report import Figure, Report, Section, Target, machine
from benchmarks._scale import measure_scale
from benchmarks._servers import (
    NGINX_HEADERS,
    Recorded,
    Server,
    check_same,
    record,
    settle,
    start_bare,
    start_nginx,
    start_ticker,
    warm_cache,
)
from benchmarks._settings import reference_settings, write_settings
from benchmarks._timings import cached_strip_calls, cold_start, fill_cache
from benchmarks.bare import write_manifest
from benchmarks.refresh_stall import CACHE_NAMES, CACHES, StallOptions, measure_refresh_stall

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_NGINX = ROOT / "examples" / "nginx.conf"
DEFAULT_OUTPUT = ROOT / "test-artifacts" / "benchmarks.md"

#: The endpoints under load: the JSON strip and the HTML fragment.
PATHS = ("/v1/strip", "/widget")

#: The issue's targets; a figure without one is reported for information.
SCALE_SECONDS = Target(2.0, "s")
SCALE_RSS = Target(200.0, "MB")
CLIENT_CALL = Target(20.0, "us")
COLD_START = Target(1.5, "s")
#: Ratios of requests per second the issue asks for ("aim higher" ones included).
RATIO_TARGETS = {
    "ticker 1w / bare app 1p": Target(0.95, "x", at_least=True),
    "ticker 2w / ticker 1w": Target(1.6, "x", at_least=True),
    "ticker 1w / nginx 1w": Target(0.5, "x", at_least=True),
}
CACHE_RATIO = Target(0.9, "x", at_least=True)
#: p99 latency of one ticker process at 64 connections.
P99_AT_64 = Target(10.0, "ms")

#: The scale case: cities x currencies, in the seven languages.
SCALE_CITIES = 200
SCALE_CURRENCIES = 40

#: A load nobody records, then requests on new connections before each measured load:
#: a server just started answers its first seconds slower, and noisily.  --quick
#: sends only the requests: its figures are not judged, and wrk loads last 1 s at least.
WARM_SECONDS = 1.0
WARM_REQUESTS = 20
#: How long the client's cached calls may run at most, whatever --client-calls says.
CLIENT_SECONDS = 5.0

# Servers, by the labels the tables show.
TICKER_1 = "ticker 1 worker"
TICKER_2 = "ticker --workers 2"
BARE_APP_1 = "bare aiohttp app 1 proc"
BARE_1 = "bare aiohttp 1 proc"
BARE_2 = "bare aiohttp 2 procs"
NGINX_1 = "nginx static 1 worker"
NGINX_AUTO = "nginx static auto"
NGINX_CACHE = "nginx cache -> ticker 1 worker"
NO_NGINX = "skipped: nginx not installed"
LOAD_COLUMNS = ["req/s", "p50 ms", "p99 ms", "errors"]


@dataclass(frozen=True)
class Options:
    """What to run, resolved from the command line."""

    command: str
    duration: float
    connections: list[int]
    threads: int
    load: str
    client_calls: int
    cold_starts: int
    repeat: int
    output: Path
    quick: bool = False
    refresh_stall: bool = True
    warm_up: float = WARM_SECONDS
    stall_caches: tuple[str, ...] = CACHES


def _options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmark ticker against a bare aiohttp handler and nginx, on fake data.",
    )
    parser.add_argument("--quick", action="store_true", help="1 s loads, 64 connections only")
    parser.add_argument(
        "--duration", type=float, help="seconds per load, whole with wrk (default 10; quick 1)"
    )
    parser.add_argument(
        "--connections", type=int, nargs="+", help="connection counts (default 64 256; quick 64)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--load",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk when installed (auto), or the Python one",
    )
    parser.add_argument(
        "--client-calls", type=int, help="cached strip() calls (default 20000; quick 2000)"
    )
    parser.add_argument("--cold-starts", type=int, help="cold starts (default 3; quick 1)")
    parser.add_argument(
        "--warm-up",
        type=float,
        help="seconds of unrecorded load before each server's loads and the refresh stall's, "
        "0 for none (default 1; quick 0)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="loads per case, the median reported (default 1)"
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown report (default %(default)s)"
    )
    parser.add_argument(
        "--refresh-stall",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the strip under load while refreshes run (python -m benchmarks.refresh_stall)",
    )
    parser.add_argument(
        "--stall-caches",
        nargs="+",
        choices=sorted(CACHE_NAMES),
        default=sorted(CACHE_NAMES),
        help="caches the refresh stall measures (default: all)",
    )
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else list(argv)
    default_warm_up = 0.0 if args.quick else WARM_SECONDS
    return Options(
        command=" ".join(["python -m benchmarks.run", *given]),
        duration=args.duration or (1.0 if args.quick else 10.0),
        connections=args.connections or ([64] if args.quick else [64, 256]),
        threads=args.threads,
        load=args.load,
        client_calls=args.client_calls or (2000 if args.quick else 20000),
        cold_starts=max(1, args.cold_starts or (1 if args.quick else 3)),
        repeat=max(1, args.repeat),
        output=args.output,
        quick=args.quick,
        refresh_stall=args.refresh_stall,
        warm_up=max(0.0, args.warm_up if args.warm_up is not None else default_warm_up),
        stall_caches=tuple(
            label for name, label in CACHE_NAMES.items() if name in args.stall_caches
        ),
    )


def _progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def _load_cells(result: LoadResult) -> list[str]:
    """Requests per second, p50 and p99 latency, errors."""
    return [
        f"{result.requests_per_second:,.0f}",
        f"{result.p50_ms:.2f}",
        f"{result.p99_ms:.2f}",
        str(result.errors),
    ]


def _shown(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.2f}"


class Benchmark:
    """One run: starts servers, loads them, stops them, and reports each section."""

    def __init__(self, options: Options, folder: Path, processes: Processes) -> None:
        self.options = options
        self.folder = folder
        self.processes = processes
        self.report = Report(options.command)
        self.wrk = find_wrk() if options.load != "python" else None
        if options.load == "wrk" and self.wrk is None:
            raise SystemExit("--load wrk: wrk is not installed")
        self.nginx = _nginx.find_nginx()
        self.results: dict[tuple[str, str, int], LoadResult] = {}
        self.figures: list[Figure] = []
        self.client: tuple[Section, Figure] | None = None

    def run(self) -> Report:
        """Every section, in order; the report."""
        version = _nginx.nginx_version(self.nginx) if self.nginx else None
        self.report.add(machine(self.wrk, version))
        self._services()
        if self.client is not None:  # measured while ticker ran, shown after the loads
            section, figure = self.client
            self.report.add(section)
            self.figures.append(figure)
        self._refresh_stall()
        self._scale()
        self._cold_start()
        rows = [figure.row() for figure in self.figures]
        loads = " ".join(f"{load:.2f}" for load in os.getloadavg())
        notes = [
            "on a shared or 2-core machine ratios vary "
            "from run to run (--repeat 3 reports the median of three loads)",
            f"load average at end: {loads}",
        ]
        self.report.add(Section("summary", ["figure", "value", "target", "result"], rows, notes))
        return self.report

    # -- throughput ------------------------------------------------------------------------

    def _load(self, server: Server) -> None:
        """Every path at every connection count against ``server``, after a warm-up load."""
        if self.options.warm_up > 0:
            _progress(f"{server.name}: warm-up")
            measure(
                server.url(PATHS[0]),
                connections=max(self.options.connections),
                duration=self.options.warm_up,
                threads=self.options.threads,
                wrk=self.wrk,
            )
        for path in PATHS:
            for connections in self.options.connections:
                for _ in range(WARM_REQUESTS):
                    fetch(server.port, path)
                _progress(f"{server.name}: {path}, {connections} connections")
                runs = [
                    measure(
                        server.url(path),
                        connections=connections,
                        duration=self.options.duration,
                        threads=self.options.threads,
                        wrk=self.wrk,
                    )
                    for _ in range(self.options.repeat)
                ]
                runs.sort(key=lambda run: run.requests_per_second)
                self.results[server.name, path, connections] = runs[len(runs) // 2]

    def _services(self) -> None:
        """ticker with one worker and two, then the references sending its bytes."""
        config = write_settings(
            self.folder / "ticker.yaml", reference_settings(self.folder / "cache")
        )
        with self._running(start_ticker(self.processes, TICKER_1, config)) as ticker:
            settle(ticker)
            recorded = [record(ticker, path) for path in PATHS]
            self._load(ticker)
            self._nginx_cache(ticker)
            self._client(ticker)
        with self._running(start_ticker(self.processes, TICKER_2, config, workers=2)) as server:
            settle(server)
            self._load(server)
        self._references(recorded)
        self._throughput_sections()

    def _references(self, recorded: Sequence[Recorded]) -> None:
        """The bare aiohttp handler and nginx, each checked to send ``recorded`` first."""
        manifest = self.folder / "bare.json"
        bodies = write_manifest(manifest, {r.path: (r.body, r.headers) for r in recorded})
        bare = ((BARE_APP_1, 1, True), (BARE_1, 1, False), (BARE_2, 2, False))
        for name, count, app in bare:
            started = start_bare(self.processes, name, manifest, count=count, app=app)
            with self._running(started) as server:
                for answer in recorded:
                    check_same(server, answer)
                self._load(server)
        if self.nginx is None:
            return
        for name, workers in ((NGINX_1, "1"), (NGINX_AUTO, "auto")):
            started = self._nginx_static(self.nginx, name, recorded, bodies, workers)
            with self._running(started) as server:
                for answer in recorded:
                    check_same(server, answer, extra=NGINX_HEADERS)
                self._load(server)

    @contextlib.contextmanager
    def _running(self, server: Server) -> Iterator[Server]:
        """``server`` until the block ends, then stopped."""
        try:
            yield server
        finally:
            for running in server.processes:
                self.processes.stop(running)

    def _nginx_static(
        self,
        binary: str,
        name: str,
        recorded: Sequence[Recorded],
        bodies: dict[str, Path],
        workers: str,
    ) -> Server:
        """nginx sending ``recorded`` from the files ``bodies``, with ticker's headers."""
        folder = self.folder / name.replace(" ", "-")
        folder.mkdir()
        port = free_port()
        routes = {r.path: (bodies[r.path], r.headers) for r in recorded}
        config = folder / "nginx.conf"
        config.write_text(_nginx.static_config(folder, port, routes, workers=workers), "utf-8")
        command = _nginx.nginx_command(binary, folder, config)
        return start_nginx(self.processes, name, command, port)

    def _nginx_cache(self, ticker: Server) -> None:
        """ticker behind a copy of examples/nginx.conf, the cache warm."""
        if self.nginx is None:
            return
        folder = self.folder / "nginx-cache"
        folder.mkdir()
        port = free_port()
        text = _nginx.cache_config(
            EXAMPLE_NGINX.read_text("utf-8"), folder, port=port, upstream_port=ticker.port
        )
        config = folder / "nginx.conf"
        config.write_text(text, "utf-8")
        command = _nginx.nginx_command(self.nginx, folder, config)
        with self._running(start_nginx(self.processes, NGINX_CACHE, command, port)) as server:
            for path in PATHS:
                warm_cache(server, path)
            self._load(server)

    def _throughput_sections(self) -> None:
        names = [TICKER_1, TICKER_2, BARE_APP_1, BARE_1, BARE_2, NGINX_1, NGINX_AUTO]
        rows = [
            [name, path, str(c), *_load_cells(result)]
            for path, c in self._cases()
            for name in names
            if (result := self.results.get((name, path, c))) is not None
        ]
        tool = "wrk" if self.wrk else "python (aiohttp)"
        warm_up = (
            f"after a {self.options.warm_up:g} s warm-up per server"
            if self.options.warm_up > 0
            else f"no warm-up load ({WARM_REQUESTS} requests before each load)"
        )
        notes = [
            f"load: {tool}, {self.options.duration:g} s per run, median of {self.options.repeat}, "
            f"{warm_up}; GET with only Host (no gzip); load and servers share the cores",
            "errors: socket errors and non-2xx/3xx answers",
        ]
        if self.wrk is None:
            notes.append(
                "the Python load generator is slower than the servers: these figures and their "
                "ratios mostly measure it; install wrk for the servers' own"
            )
        if self.nginx is None:
            notes.append(f"nginx static: {NO_NGINX}")
        self.report.add(
            Section(
                "throughput", ["server", "path", "conns", *LOAD_COLUMNS], rows, notes, right_from=2
            )
        )
        self._ratio_section()
        self._cache_section()

    def _cases(self) -> Iterator[tuple[str, int]]:
        for path in PATHS:
            for connections in self.options.connections:
                yield path, connections

    def _ratio(self, name: str, other: str, path: str, connections: int) -> float | None:
        """Requests per second of ``name`` over those of ``other``, if both ran."""
        mine = self.results.get((name, path, connections))
        theirs = self.results.get((other, path, connections))
        if mine is None or theirs is None or not theirs.requests_per_second:
            return None
        return mine.requests_per_second / theirs.requests_per_second

    def _ratio_section(self) -> None:
        pairs = [
            ("ticker 1w / bare app 1p", TICKER_1, BARE_APP_1),
            ("ticker 1w / bare 1p", TICKER_1, BARE_1),
            ("ticker 2w / ticker 1w", TICKER_2, TICKER_1),
            ("ticker 2w / bare 2p", TICKER_2, BARE_2),
            ("ticker 1w / nginx 1w", TICKER_1, NGINX_1),
            ("ticker 2w / nginx auto", TICKER_2, NGINX_AUTO),
        ]
        rows = []
        for path, c in self._cases():
            row = [path, str(c)]
            for label, name, other in pairs:
                ratio = self._ratio(name, other, path, c)
                row.append(_shown(ratio))
                if ratio is not None:
                    target = RATIO_TARGETS.get(label)
                    self.figures.append(Figure(f"{label} {path} c{c}", ratio, "x", target))
            rows.append(row)
        for path in PATHS:
            result = self.results.get((TICKER_1, path, 64))
            if result is not None:
                name = f"ticker 1w p99 {path} c64"
                self.figures.append(Figure(name, result.p99_ms, "ms", P99_AT_64))
        notes = ["ratios of requests per second"]
        if self.nginx is None:
            notes.append(f"nginx ratios: {NO_NGINX}")
        columns = ["path", "conns", *(p[0] for p in pairs)]
        self.report.add(Section("ratios", columns, rows, notes))

    def _cache_section(self) -> None:
        title = "nginx proxy cache (examples/nginx.conf) in front of ticker"
        if self.nginx is None:
            self.report.add(Section(title, [], notes=[NO_NGINX]))
            return
        rows = []
        for path, c in self._cases():
            ratio = self._ratio(NGINX_CACHE, NGINX_AUTO, path, c)
            rows.append(
                [path, str(c), *_load_cells(self.results[NGINX_CACHE, path, c]), _shown(ratio)]
            )
            if ratio is not None:
                self.figures.append(
                    Figure(f"nginx cache / nginx static auto {path} c{c}", ratio, "x", CACHE_RATIO)
                )
        notes = [
            "the example as shipped, with its upstream, listen port, pid, cache and temp paths "
            "moved into the benchmark's folder; warm: X-Cache-Status HIT before each load"
        ]
        columns = ["path", "conns", *LOAD_COLUMNS, "/ nginx static auto"]
        self.report.add(Section(title, columns, rows, notes, right_from=2))

    # -- the client, the scale case, the cold start ---------------------------------------

    def _client(self, ticker: Server) -> None:
        cost = asyncio.run(
            cached_strip_calls(ticker.url(""), self.options.client_calls, limit=CLIENT_SECONDS)
        )
        if cost.requests == 0:
            note = "every call after the first answered from the client's cache (no request)"
        else:
            note = (
                f"{cost.requests} of {cost.calls} calls made an HTTP request: "
                "no client-side caching, so this is the cost of a full request"
            )
        rows = [
            ["calls timed (after the first)", f"{cost.calls}"],
            ["HTTP requests during them", f"{cost.requests}"],
            ["per call", f"{cost.microseconds_per_call:.2f} us"],
        ]
        notes = [note, "on the default asyncio event loop, in the benchmark's own process"]
        self.client = (
            Section("client: await TickerClient.strip(), repeated", ["", ""], rows, notes),
            Figure("client cached strip() per call", cost.microseconds_per_call, "us", CLIENT_CALL),
        )

    def _refresh_stall(self) -> None:
        """The strip idle and while refreshes run back to back, per cache."""
        if not self.options.refresh_stall:
            return
        folder = self.folder / "refresh-stall"
        folder.mkdir()
        base = StallOptions.quick() if self.options.quick else StallOptions()
        options = replace(
            base,
            duration=self.options.duration,
            wrk=self.wrk,
            caches=self.options.stall_caches,
            warm_up=self.options.warm_up,
        )
        _progress(f"refresh stall: {options.cities} cities x {options.currencies} currencies")
        sections, figures = measure_refresh_stall(options, folder, self.processes)
        for section in sections:
            self.report.add(section)
        self.figures += figures

    def _scale(self) -> None:
        folder = self.folder / "scale"
        folder.mkdir()
        title = f"scale: {SCALE_CITIES} cities x {SCALE_CURRENCIES} currencies x 7 languages"
        _progress(title)
        figures = measure_scale(folder, cities=SCALE_CITIES, currencies=SCALE_CURRENCIES)
        total = figures["refresh_s"] + figures["render_s"]
        variants = f"render all {figures['variants']:.0f} variants (build_snapshot)"
        rows = [
            ["refresh (static sources, into the disk cache)", f"{figures['refresh_s']:.3f} s"],
            [variants, f"{figures['render_s']:.3f} s"],
            ["refresh + render", f"{total:.3f} s"],
            ["render again (warm process)", f"{figures['render_again_s']:.3f} s"],
            ["bodies rendered (without gzip twins)", f"{figures['body_bytes'] / 1e6:.2f} MB"],
            ["RSS after imports", f"{figures['baseline_rss_mb']:.1f} MB"],
            ["peak RSS", f"{figures['peak_rss_mb']:.1f} MB"],
        ]
        notes = ["in a process of its own; peak RSS from getrusage(RUSAGE_SELF).ru_maxrss"]
        self.report.add(Section(title, ["", ""], rows, notes))
        self.figures.append(Figure("scale refresh + render", total, "s", SCALE_SECONDS))
        self.figures.append(Figure("scale peak RSS", figures["peak_rss_mb"], "MB", SCALE_RSS))

    def _cold_start(self) -> None:
        config = write_settings(
            self.folder / "cold.yaml", reference_settings(self.folder / "cold-cache")
        )
        fill_cache(config)
        starts = []
        for run in range(self.options.cold_starts):
            _progress(f"cold start {run + 1} of {self.options.cold_starts}")
            starts.append(cold_start(self.processes, config))
        median = statistics.median(start.seconds for start in starts)
        rows = [[f"run {i + 1}", f"{start.seconds:.3f} s"] for i, start in enumerate(starts)]
        rows.append(["median", f"{median:.3f} s"])
        notes = [
            "from spawning `ticker serve` (1 worker, cache filled by `ticker refresh`) "
            "to the first 200 from /v1/strip",
            f"first answers with a missing item: {sum(not s.complete for s in starts)}",
        ]
        self.report.add(Section("cold start", ["", ""], rows, notes))
        self.figures.append(Figure("cold start (median)", median, "s", COLD_START))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; the exit status."""
    options = _options(argv)
    stop_on_sigterm()
    try:
        with tempfile.TemporaryDirectory(prefix="ticker-bench-") as tmp:
            folder = Path(tmp)
            folder.chmod(0o755)  # nginx's workers, unprivileged when started by root, read it
            with Processes(folder) as processes:
                report = Benchmark(options, folder, processes).run()
    except KeyboardInterrupt:  # every process it started is stopped by now
        print("interrupted", file=sys.stderr)
        return 130
    report.write_markdown(options.output)
    print(f"written: {options.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
