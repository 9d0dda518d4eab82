"""Prometheus metrics: refreshes, rejections, ages and requests, summed over workers."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from ticker import SourceSet, UpstreamFormatError, create_app
from ticker._serving.app import METRICS_KEY

from ._running import poll_strip, running_service
from .conftest import NOW, REFERENCE_RATES
from .test_refresh import FakeRates

OFFLINE = Path(__file__).parents[1] / "examples" / "offline.yaml"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} {labels} in:\n{text}")


async def test_refreshes_rejections_and_requests_are_counted(
    aiohttp_client, settings, filled_store
):
    """One scrape shows refresh outcomes, rejected values, item ages and answered requests."""
    from ticker import Refresher

    app = create_app(settings, store=filled_store, clock=lambda: NOW)
    metrics = app[METRICS_KEY]
    client = await aiohttp_client(app)
    good = FakeRates("nbk", REFERENCE_RATES)
    bad = FakeRates("mirror", error=UpstreamFormatError("mirror", "USD: not a number"))
    sources = SourceSet(rates=[bad, good], weather=[])
    async with aiohttp.ClientSession() as session:
        await Refresher(
            settings, sources, filled_store, session, observers=[metrics]
        ).refresh_rates()
    for _ in range(3):
        assert (await client.get("/v1/strip?lang=ru")).status == 200
    assert (await client.get("/v1/strip?lang=xx")).status == 400
    response = await client.get("/metrics")
    text = await response.text()
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert sample(text, "ticker_refresh_total", kind="rates", source="nbk", outcome="ok") == 1
    assert sample(text, "ticker_refresh_total", kind="rates", source="mirror", outcome="error") == 1
    assert sample(text, "ticker_rejected_values_total", kind="rates", source="mirror") == 1
    assert sample(text, "ticker_http_requests_total", route="strip", status="200") == 3
    assert sample(text, "ticker_http_requests_total", route="strip", status="400") == 1
    assert sample(text, "ticker_item_stale", kind="rates", item="USD") == 0
    assert (
        sample(text, "ticker_source_last_success_timestamp_seconds", kind="rates", source="nbk") > 0
    )


def _strip_txt_answers(text: str) -> float:
    """How many 200s of /v1/strip.txt the metrics count so far (0 before the first flush)."""
    try:
        return sample(text, "ticker_http_requests_total", route="strip.txt", status="200")
    except AssertionError:
        return 0.0


@pytest.mark.slow
async def test_workers_report_one_sum(tmp_path):
    """With two workers, any worker's /metrics counts the requests both of them answered."""
    config = tmp_path / "offline.yaml"
    config.write_text(
        OFFLINE.read_text("utf-8").replace("./var/ticker-offline-cache", str(tmp_path / "c")),
        "utf-8",
    )
    async with running_service(config, "--workers", "2") as service:
        await poll_strip(service.url)
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            pids: set[int] = set()
            for _ in range(200):  # both workers up: the kernel spreads new connections
                async with session.get(f"{service.url}/healthz") as response:
                    pids.add((await response.json())["pid"])
                if len(pids) == 2:
                    break
                await asyncio.sleep(0.05)
            for _ in range(40):
                async with session.get(f"{service.url}/v1/strip.txt") as response:
                    assert response.status == 200
                async with session.get(f"{service.url}/healthz") as response:
                    pids.add((await response.json())["pid"])
            # Every worker hands its counts over once a second: wait for them, with no
            # bet on how long a busy machine takes.
            counted = 0.0
            for _ in range(100):
                async with session.get(f"{service.url}/metrics") as response:
                    text = await response.text()
                counted = sample(
                    text, "ticker_http_requests_total", route="strip.txt", status="200"
                )
                if counted >= 40:
                    break
                await asyncio.sleep(0.2)
    assert len(pids) == 2
    assert counted == 40
