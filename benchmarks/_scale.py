"""The scale case, in a process of its own so its peak RSS is its own.

One refresh of every item from static sources, then every variant rendered, as a
worker does per stamp; prints one JSON line::

    python -m benchmarks._scale --folder DIR --cities 200 --currencies 40
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from benchmarks._settings import scale_settings
from ticker import Refresher, Settings, build_sources, open_store
from ticker._data.refresh import utc_now
from ticker._serving.catalogue import FORMS
from ticker._serving.snapshot import build_snapshot
from ticker.sources import attributions

__all__ = ["main", "measure_scale"]


def _peak_rss_mb() -> float:
    """This process's peak resident set, in MB (Linux counts KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def _refresh(settings: Settings) -> float:
    """Seconds one refresh of every item takes."""
    store = open_store(settings.cache)
    try:
        async with aiohttp.ClientSession() as session:
            refresher = Refresher(settings, build_sources(settings), store, session)
            started = time.perf_counter()
            reports = await refresher.refresh_all()
            elapsed = time.perf_counter() - started
    finally:
        store.close()
    missing = [item for report in reports for item in report.missing]
    if missing:
        raise RuntimeError(f"the scale refresh left items missing: {missing[:5]}...")
    return elapsed


def _render(settings: Settings) -> tuple[float, int, int]:
    """Seconds rendering every variant takes, how many there are, and their bytes."""
    store = open_store(settings.cache)
    try:
        started = time.perf_counter()
        snapshot = build_snapshot(settings, store, attributions(settings), clock=utc_now)
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    variants = [
        snapshot.variant(snapshot.key(form.name, lang))
        for lang in settings.languages
        for form in FORMS
        if not form.lazy
    ]
    return elapsed, len(variants), sum(len(variant.body) for variant in variants)


def measure_scale(folder: Path, *, cities: int, currencies: int) -> dict[str, float]:
    """Run the scale case in a new process; its figures."""
    command = [sys.executable, "-m", "benchmarks._scale", "--folder", str(folder)]
    command += ["--cities", str(cities), "--currencies", str(currencies)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the scale case failed:\n{done.stderr}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Run the scale case and print its figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._scale")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--cities", type=int, default=200)
    parser.add_argument("--currencies", type=int, default=40)
    args = parser.parse_args(argv)
    document = scale_settings(args.folder / "cache", cities=args.cities, currencies=args.currencies)
    settings = Settings.model_validate(document)
    baseline = _peak_rss_mb()
    refresh_s = asyncio.run(_refresh(settings))
    render_s, variants, body_bytes = _render(settings)
    again_s, _, _ = _render(settings)
    figures = {
        "refresh_s": refresh_s,
        "render_s": render_s,
        "render_again_s": again_s,
        "variants": variants,
        "body_bytes": body_bytes,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": _peak_rss_mb(),
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
