"""Structured logs: one JSON object per line, a line per refresh per source, no secrets."""

from __future__ import annotations

import json
import logging

import aiohttp

from ticker import Refresher, SourceSet, UpstreamUnavailable
from ticker._logs import JsonFormatter

from .conftest import NOW, REFERENCE_RATES
from .test_refresh import FakeRates


def test_json_lines_carry_the_structured_fields():
    """A record with refresh fields becomes one JSON object holding them."""
    record = logging.LogRecord(
        "ticker.refresh", logging.INFO, __file__, 1, "rates from %s", ("nbk",), None
    )
    record.kind, record.source, record.outcome, record.seconds = "rates", "nbk", "ok", 0.12
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry | {"time": None} == {
        "time": None, "level": "info", "logger": "ticker.refresh", "message": "rates from nbk",
        "kind": "rates", "source": "nbk", "outcome": "ok", "seconds": 0.12,
    }  # fmt: skip


async def test_one_line_per_refresh_per_source(settings, store, caplog):
    """Each source asked in a refresh logs one line with its outcome and timing."""
    broken = FakeRates("mirror", error=UpstreamUnavailable("mirror", "HTTP 502"))
    good = FakeRates("nbk", REFERENCE_RATES)
    caplog.set_level(logging.INFO, logger="ticker.refresh")
    async with aiohttp.ClientSession() as session:
        job = Refresher(
            settings, SourceSet(rates=[broken, good], weather=[]), store, session, clock=lambda: NOW
        )
        await job.refresh_rates()
    lines = [r for r in caplog.records if hasattr(r, "outcome")]
    assert [(r.source, r.outcome, r.items) for r in lines] == [
        ("mirror", "error", 0),
        ("nbk", "ok", 4),
    ]
    assert all(isinstance(r.seconds, float) for r in lines)
    assert lines[0].error == "mirror: HTTP 502"
