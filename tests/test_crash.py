"""Crash safety: ``kill -9`` never loses or mixes cached data, and a restart serves at once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web

from ticker import DiskCache, Store

from ._running import poll_strip, running_service
from .test_end_to_end import EXPECTED_LINE, FakeUpstreams, write_config

pytestmark = pytest.mark.slow  # real processes: left out of the unit tier

#: A writer that stores the four rates over and over, each batch with its own value.
WRITER = """
import datetime as dt, sys
from decimal import Decimal
from pathlib import Path
from ticker import DiskCache, Rate, Store
store = Store(DiskCache(Path(sys.argv[1])))
now = dt.datetime.now(dt.UTC)
print("ready", flush=True)
for batch in range(1, 10**9):
    store.put_rates(
        Rate.from_published(code=code, published=Decimal(batch), quant=1, date=now.date(),
                            source="writer", fetched_at=now)
        for code in ("USD", "EUR", "RUB", "CNY")
    )
"""


def test_kill_during_writes_leaves_one_whole_batch(tmp_path: Path):
    """A writer killed with SIGKILL mid-loop leaves every rate from one and the same batch."""
    cache = tmp_path / "cache"
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(cache)], stdout=subprocess.PIPE, text=True
    ) as writer:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(1.0)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    store = Store(DiskCache(cache))
    try:
        rates = store.rates(["USD", "EUR", "RUB", "CNY"])
    finally:
        store.close()
    assert len(rates) == 4
    batches = {rate.published for rate in rates.values()}
    assert len(batches) == 1
    assert batches.pop() > Decimal(1)


async def test_kill_during_refresh_then_restart_serves_at_once(tmp_path: Path, aiohttp_server):
    """kill -9 while a refresh waits on the upstream; the restarted service shows the old strip."""
    fakes = FakeUpstreams()
    release = asyncio.Event()
    fetching = asyncio.Event()
    original = fakes.rates

    async def stalled(request: web.Request) -> web.Response:
        if fakes.broken:
            fetching.set()
            await release.wait()
        return await original(request)

    fakes.rates = stalled  # type: ignore[method-assign]
    server = await aiohttp_server(fakes.app(), host="127.0.0.1")
    config = write_config(tmp_path, str(server.make_url("")).rstrip("/"))
    config.write_text(config.read_text().replace("refresh: 1h", "refresh: 1s"))
    async with running_service(config) as service:
        assert (await poll_strip(service.url))["text"] == EXPECTED_LINE
        fakes.broken = True
        await asyncio.wait_for(fetching.wait(), 10)
        service.process.kill()
        await service.process.wait()
    release.set()
    fakes.broken = False
    dead = tmp_path / "dead.yaml"
    dead.write_text(
        config.read_text().replace(str(server.make_url("")).rstrip("/"), "http://127.0.0.1:9")
    )
    async with running_service(dead) as restarted:
        first = await poll_strip(restarted.url, until_complete=False)
    assert first["text"] == EXPECTED_LINE
