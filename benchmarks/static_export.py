"""nginx serving the static export through examples/nginx-static.conf, beside a plain file.

Usage::

    python -m benchmarks.static_export            # 10 s per load, 3 loads each, 64 and 256
    python -m benchmarks.static_export --quick    # 1 s per load, one each: the smoke test
    python -m benchmarks.static_export --duration 30 --repeat 5 --connections 64 256 1024
    python -m benchmarks.static_export --workers auto   # the example's own worker count

In a temporary folder, with the ``static`` adapter (no network): ``ticker refresh``
fills a cache, ``ticker export`` writes the files, and two nginx servers answer the
same bytes: a copy of ``examples/nginx-static.conf`` (its maps, ``try_files``,
``gzip_static`` and headers) for ``/v1/strip?lang=en``, and nginx serving one plain
file (the exported ``en/v1/strip.json``, so the same size) for ``/strip.json``, with
the example's http settings.  Both run one worker by default (``--workers``): with wrk
on the other core, the ratio is that of nginx's CPU per request, where ``auto`` on a
small machine mostly measures nginx and wrk sharing cores.  Each is loaded in turn,
alternately (ABAB...), so that the machine's drift reaches both; the median of each's
loads gives the ratio, target at least 0.95.  Load comes from wrk when installed, else from a small
aiohttp load generator (then the ratio mostly measures the generator).  Tables go to
stdout, progress to stderr, the report to ``test-artifacts/benchmarks-static-export.md``.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks._load import LoadResult, find_wrk, measure
from benchmarks._nginx import find_nginx, nginx_command, nginx_version
from benchmarks._processes import Processes, fetch, free_port
from benchmarks._report import Figure, Report, Section, Target, machine
from benchmarks._servers import Server, start_nginx
from benchmarks._settings import reference_settings, write_settings
from benchmarks._timings import fill_cache

__all__ = ["main", "plain_config", "static_export_config"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "nginx-static.conf"
DEFAULT_OUTPUT = ROOT / "test-artifacts" / "benchmarks-static-export.md"
#: What is loaded: the exported JSON strip, and the plain file of the same bytes.
EXPORTED_PATH = "/v1/strip?lang=en"
PLAIN_PATH = "/strip.json"
EXPORTED, PLAIN = "nginx-static.conf export", "nginx plain file"
RATIO = Target(0.95, "x", at_least=True)
#: Requests each server answers before its first load (file cache, connections).
WARM_REQUESTS = 20


def _progress(message: str) -> None:
    print(f"[static export] {message}", file=sys.stderr, flush=True)


def _temp_paths(folder: Path) -> str:
    """Temporary files in ``folder``: the compiled-in ones need root."""
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    return "\n".join(f"    {kind}_temp_path {folder}/{kind}_temp;" for kind in kinds)


def _replace_once(text: str, pattern: str, replacement: str) -> str:
    """Replace the one uncommented line part matching ``pattern``, or say what changed."""
    changed, count = re.subn(rf"^(?!\s*#)(.*?){pattern}", rf"\g<1>{replacement}", text, flags=re.M)
    if count != 1:
        raise ValueError(f"examples/nginx-static.conf: expected one line matching {pattern!r}")
    return changed


def static_export_config(
    example: str, folder: Path, *, port: int, upstream_port: int, root: Path
) -> str:
    """examples/nginx-static.conf with its root, upstream, port and paths moved; nothing else."""
    text = _replace_once(example, r"pid \S+;", f"pid {folder}/nginx.pid;")
    text = _replace_once(text, r"server 127\.0\.0\.1:\d+", f"server 127.0.0.1:{upstream_port}")
    text = _replace_once(text, r"listen 127\.0\.0\.1:\d+;", f"listen 127.0.0.1:{port};")
    text = _replace_once(text, r"root \S+;", f"root {root};")
    return _replace_once(text, r"http \{", "http {\n" + _temp_paths(folder))


def plain_config(folder: Path, *, port: int, root: Path, workers: str = "auto") -> str:
    """nginx serving the files of ``root`` and nothing else, with the example's http settings
    (sendfile, keep-alive, the open file cache): what differs is the export's own logic."""
    return f"""worker_processes {workers};
pid {folder}/nginx.pid;
error_log stderr warn;

events {{ worker_connections 4096; }}

http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    server_tokens off;
    open_file_cache max=4096 inactive=60s;
    open_file_cache_valid 1s;
    open_file_cache_errors on;
    types {{ application/json json; }}
{_temp_paths(folder)}

    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


@dataclass(frozen=True)
class Options:
    """What one run measures."""

    quick: bool
    duration: float
    repeat: int
    connections: tuple[int, ...]
    threads: int
    workers: str
    load: str
    output: Path
    command: str


def _options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.static_export",
        description="nginx serving ticker's static export against nginx serving a plain file.",
    )
    parser.add_argument("--quick", action="store_true", help="1 s per load, one load each")
    parser.add_argument("--duration", type=float, help="seconds per load (default 10; quick 1)")
    parser.add_argument("--repeat", type=int, help="loads per server and case (default 3)")
    parser.add_argument("--connections", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--workers", default="1", help="nginx worker_processes (default 1)")
    parser.add_argument("--load", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    shown = " ".join(sys.argv[1:] if argv is None else argv)
    return Options(
        quick=args.quick,
        duration=args.duration or (1.0 if args.quick else 10.0),
        repeat=args.repeat or (1 if args.quick else 3),
        connections=tuple(args.connections),
        threads=args.threads,
        workers=args.workers,
        load=args.load,
        output=args.output,
        command=f"python -m benchmarks.static_export {shown}".strip(),
    )


def _export(folder: Path) -> Path:
    """Fill a cache from static sources and export it, as an operator would: the folder."""
    config = write_settings(folder / "ticker.yaml", reference_settings(folder / "cache"))
    fill_cache(config)
    exported = folder / "export"
    command = [sys.executable, "-m", "ticker", "export", str(exported), "--config", str(config)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ticker export failed:\n{done.stdout}{done.stderr}")
    _progress(done.stdout.strip())
    return exported


def _start(processes: Processes, binary: str, name: str, folder: Path, text: str) -> Server:
    folder.mkdir()
    config = folder / "nginx.conf"
    config.write_text(text, "utf-8")
    port = int(re.search(r"listen 127\.0\.0\.1:(\d+);", text).group(1))  # type: ignore[union-attr]
    return start_nginx(processes, name, nginx_command(binary, folder, config), port)


def _check(server: Server, path: str, body: bytes, *, from_file: bool) -> None:
    """``server`` answers ``path`` with ``body`` (from its file, by nginx's own ETag)."""
    answer = fetch(server.port, path)
    if answer.status != 200 or answer.body != body:
        raise RuntimeError(f"{server.name} {path}: {answer.status}, not the exported bytes")
    etag = answer.header("ETag") or ""
    if from_file and not re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', etag):
        raise RuntimeError(f"{server.name} {path}: not served from the file (ETag {etag})")


def _loads(
    options: Options, wrk: str | None, servers: Sequence[tuple[Server, str]]
) -> dict[tuple[str, int], LoadResult]:
    """Each server at each connection count, ``repeat`` times, alternately: the medians."""
    runs: dict[tuple[str, int], list[LoadResult]] = {}
    for connections in options.connections:
        for server, path in servers:
            for _ in range(WARM_REQUESTS):
                fetch(server.port, path)
        for round_ in range(options.repeat):
            for server, path in servers:
                _progress(f"{server.name}: {connections} connections ({round_ + 1})")
                result = measure(
                    server.url(path), connections=connections, duration=options.duration,
                    threads=options.threads, wrk=wrk,
                )  # fmt: skip
                runs.setdefault((server.name, connections), []).append(result)
    return {key: _median(results) for key, results in runs.items()}


def _median(results: list[LoadResult]) -> LoadResult:
    ordered = sorted(results, key=lambda result: result.requests_per_second)
    return ordered[len(ordered) // 2]


def measure_static_export(
    options: Options, folder: Path, processes: Processes
) -> tuple[list[Section], list[Figure]]:
    """Export, start both nginx servers, load them: the sections and the ratio figures."""
    binary = find_nginx()
    if binary is None:
        return [Section("static export", [], notes=["skipped: nginx not installed"])], []
    wrk = find_wrk() if options.load != "python" else None
    if options.load == "wrk" and wrk is None:
        raise SystemExit("--load wrk: wrk is not installed")
    exported = _export(folder)
    body = (exported / "en" / "v1" / "strip.json").read_bytes()
    plain = folder / "plain"
    plain.mkdir()
    shutil.copyfile(exported / "en" / "v1" / "strip.json", plain / PLAIN_PATH.lstrip("/"))
    example = static_export_config(
        EXAMPLE.read_text("utf-8"), folder / "nginx-export", port=free_port(),
        upstream_port=free_port(), root=exported,
    )  # fmt: skip
    example = _replace_once(
        example, r"worker_processes \S+;", f"worker_processes {options.workers};"
    )
    servers = [
        (_start(processes, binary, EXPORTED, folder / "nginx-export", example), EXPORTED_PATH),
        (
            _start(processes, binary, PLAIN, folder / "nginx-plain",
                   plain_config(folder / "nginx-plain", port=free_port(), root=plain,
                                workers=options.workers)),
            PLAIN_PATH,
        ),
    ]  # fmt: skip
    try:
        _check(servers[0][0], EXPORTED_PATH, body, from_file=True)
        _check(servers[1][0], PLAIN_PATH, body, from_file=True)
        results = _loads(options, wrk, servers)
    finally:
        for server, _ in servers:
            for running in server.processes:
                processes.stop(running)
    return _sections(options, wrk, results, len(body))


def _sections(
    options: Options, wrk: str | None, results: dict[tuple[str, int], LoadResult], size: int
) -> tuple[list[Section], list[Figure]]:
    columns = ["server", "path", "conns", "req/s", "p50 ms", "p99 ms", "errors"]
    rows: list[list[str]] = []
    ratio_rows: list[list[str]] = []
    figures: list[Figure] = []
    for connections in options.connections:
        for name, path in ((EXPORTED, EXPORTED_PATH), (PLAIN, PLAIN_PATH)):
            result = results[name, connections]
            rows.append([
                name, path, str(connections), f"{result.requests_per_second:,.0f}",
                f"{result.p50_ms:.2f}", f"{result.p99_ms:.2f}", str(result.errors),
            ])  # fmt: skip
        ratio = (
            results[EXPORTED, connections].requests_per_second
            / results[PLAIN, connections].requests_per_second
        )
        ratio_rows.append([str(connections), f"{ratio:.3f}", str(RATIO),
                           "pass" if RATIO.met_by(ratio) else "MISS"])  # fmt: skip
        figures.append(Figure(f"export / plain file c{connections}", ratio, "x", RATIO))
    tool = "wrk" if wrk else "python (aiohttp): the ratio mostly measures the load generator"
    notes = [
        f"load: {tool}, {options.duration:g} s per load, median of {options.repeat}, "
        f"taken alternately; nginx worker_processes {options.workers}, wrk threads "
        f"{options.threads}; both bodies {size} bytes, identity (wrk asks no encoding)",
    ]
    return [
        Section("nginx: static export vs plain file", columns, rows, notes, right_from=2),
        Section("ratio: export / plain file (req/s)", ["conns", "ratio", "target", "result"],
                ratio_rows),
    ], figures  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; the exit status."""
    options = _options(argv)
    binary = find_nginx()
    wrk = find_wrk() if options.load != "python" else None
    report = Report(options.command)
    report.add(machine(wrk, nginx_version(binary) if binary else None))
    with tempfile.TemporaryDirectory(prefix="ticker-static-export-") as name:
        folder = Path(name)
        folder.chmod(0o755)  # nginx's workers, unprivileged when started by root, read it
        with Processes(folder) as processes:
            sections, figures = measure_static_export(options, folder, processes)
    status = report.finish(sections, figures, options.output)
    print(json.dumps({f.name: round(f.value, 3) for f in figures}), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
