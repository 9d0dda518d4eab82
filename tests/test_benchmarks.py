"""The benchmark script runs every section end to end (its figures are not judged here)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real processes: left out of the unit tier

ROOT = Path(__file__).resolve().parent.parent
#: Loads of the run and of the refresh stall: the Python generator's, 0.3 s each, since
#: wrk's last whole seconds and these runs only show that every line is printed.  The
#: connections run loads with wrk (when installed), as every benchmark does by default.
SHORT_LOADS = ("--load", "python", "--duration", "0.3")

#: What each section prints, whatever the machine: nginx or wrk may be missing.
SECTION_FIGURES = (
    "== machine ==",
    "== throughput ==",
    "== ratios ==",
    "ticker 1w / bare 1p",
    "ticker 2w / ticker 1w",
    "== nginx proxy cache",
    "== client: await TickerClient.strip(), repeated ==",
    "per call",
    "== scale: 200 cities x 40 currencies x 7 languages ==",
    "refresh + render",
    "peak RSS",
    "== cold start ==",
    "median",
    "== summary ==",
    "client cached strip() per call",
    "== refresh stall: 20 cities x 10 currencies, /v1/strip, 16 conns ==",
    "== refresh stall: during / idle ==",
    "refresh stall p99 during/idle, disk",
    "refresh stall req/s during/idle, disk",
    "scale refresh + render",
    "scale peak RSS",
    "cold start (median)",
)
#: A throughput row: server, path, connections, req/s, p50 ms, p99 ms, errors.
LOAD_ROW = r"^{server}\s+{path}\s+64\s+[\d,]+\s+[\d.]+\s+[\d.]+\s+\d+$"


def test_quick_run_prints_every_section(tmp_path):
    """`python -m benchmarks.run --quick` exits 0, prints each section's figures and writes them.

    Its refresh stall measures the disk cache only: every cache is the next test's.
    """
    output = tmp_path / "benchmarks.md"
    command = [sys.executable, "-m", "benchmarks.run", "--quick", *SHORT_LOADS]
    command += ["--stall-caches", "disk", "--output", str(output)]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout
    assert [figure for figure in SECTION_FIGURES if figure not in printed] == [], printed
    servers = [
        "ticker 1 worker",
        "ticker --workers 2",
        "bare aiohttp 1 proc",
        "bare aiohttp 2 procs",
    ]
    if "skipped: nginx not installed" not in printed:
        servers += ["nginx static 1 worker", "nginx static auto"]
        assert re.search(r"^/widget\s+64\s+[\d,]+\s", printed, re.MULTILINE), printed  # cache
    for server in servers:
        for path in ("/v1/strip", "/widget"):
            row = LOAD_ROW.format(server=re.escape(server), path=path)
            assert re.search(row, printed, re.MULTILINE), f"{server} {path}:\n{printed}"
    assert "## summary" in output.read_text(encoding="utf-8")


#: A refresh-stall row: cache, phase, req/s, p50 ms, p99 ms, errors, rates, weather, busy, cpu.
STALL_ROW = (
    r"^{cache}\s+{phase}\s+[\d,]+\s+[\d.]+\s+[\d.]+\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+%\s+(?:[\d.]+|—)$"
)
#: A ratio row: cache, p99 during/idle and its verdict, req/s during/idle and its verdict,
#: p99 floor/idle, the issue's ratio.
STALL_RATIO_ROW = r"^{cache}\s+[\d.]+\s+(?:pass|MISS)\s+[\d.]+\s+(?:pass|MISS)\s+[\d.]+\s+[\d.]+$"


def test_refresh_stall_quick_prints_every_line(tmp_path):
    """`python -m benchmarks.refresh_stall --quick` prints both phases and both ratios per cache."""
    output = tmp_path / "refresh-stall.md"
    command = [sys.executable, "-m", "benchmarks.refresh_stall", "--quick", *SHORT_LOADS]
    done = subprocess.run(
        [*command, "--output", str(output)],
        cwd=ROOT, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    printed = done.stdout
    headings = [
        "== machine ==",
        "== refresh stall: 20 cities x 10 currencies, /v1/strip, 16 conns ==",
        "== refresh stall: during / idle ==",
        "== summary ==",
    ]
    assert [heading for heading in headings if heading not in printed] == [], printed
    caches = ["disk"]
    if "skipped: redis-server not installed" not in printed:
        caches += ["local redis", "redis 50 ms away"]
        assert re.search(r"PING round trip [\d.]+ ms through it", printed), printed
    for cache in caches:
        for phase in ("idle", "floor", "during"):
            row = STALL_ROW.format(cache=re.escape(cache), phase=phase)
            assert re.search(row, printed, re.MULTILINE), f"{cache} {phase}:\n{printed}"
        ratios = STALL_RATIO_ROW.format(cache=re.escape(cache))
        assert re.search(ratios, printed, re.MULTILINE), f"{cache} ratios:\n{printed}"
        for figure in ("p99", "req/s"):
            assert f"refresh stall {figure} during/idle, {cache}" in printed, printed
    assert "## refresh stall: during / idle" in output.read_text(encoding="utf-8")


def test_connections_quick_prints_every_section(tmp_path):
    """`python -m benchmarks.connections --quick` measures the floods, the limit and RSS."""
    output = tmp_path / "connections.md"
    done = subprocess.run(
        [
            sys.executable, "-m", "benchmarks.connections", "--quick", "--idle-hold", "1",
            "--slowloris-hold", "1", "--requests", "5000", "--output", str(output),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    headings = [
        "== connections: floods and other clients ==",
        "== RSS over the requests ==",
        "== summary ==",
    ]
    assert [heading for heading in headings if heading not in done.stdout] == [], done.stdout
    assert re.search(r"requests failed beside the flood past the limit\s+0 ", done.stdout), (
        done.stdout
    )
    assert "## RSS over the requests" in output.read_text(encoding="utf-8")
