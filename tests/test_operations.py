"""What an operator meets: reloads, restarts, hand edits, a shared cache that is down."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from ticker import Store, build_sources, create_app, parse_settings
from ticker._data.redis import RedisCache
from ticker._serving.app import reconfigure

from ._running import poll_strip, running_service
from .conftest import SETTINGS_YAML, make_settings

#: The reference deployment plus GBP: what an operator adds in a reload.
WITH_GBP = SETTINGS_YAML.replace("[USD, EUR, RUB, CNY]", "[USD, EUR, RUB, CNY, GBP]")


async def test_reload_reaches_every_endpoint(aiohttp_client, filled_store: Store):
    """After a reload that adds a currency, every endpoint knows it: the history too."""
    client = await aiohttp_client(create_app(make_settings(), store=filled_store))
    assert (await client.get("/v1/rates/GBP/history")).status == 404
    new = make_settings(WITH_GBP)
    reconfigure(client.app, new, build_sources(new))
    history = await client.get("/v1/rates/GBP/history")
    assert history.status == 200, await history.text()
    assert (await history.json())["code"] == "GBP"
    for _ in range(50):  # the snapshot is rendered again off the event loop
        codes = [item["code"] for item in (await (await client.get("/v1/rates")).json())["rates"]]
        if "GBP" in codes:
            break
        await asyncio.sleep(0.05)
    assert codes == ["USD", "EUR", "RUB", "CNY", "GBP"]
    document = await (await client.get("/openapi.json")).json()
    path = document["paths"]["/v1/rates/{code}/history"]["get"]["parameters"][0]
    assert "GBP" in path["schema"]["enum"]
    ready = await (await client.get("/readyz")).json()
    assert "GBP" in [item["item"] for item in ready["items"]]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens there once the probe is closed


async def test_an_unreachable_cache_at_start_serves_a_missing_strip(aiohttp_client, caplog):
    """Redis down at start: the app starts, every item is missing, /readyz is 503, no crash."""
    store = Store(RedisCache(f"redis://127.0.0.1:{_closed_port()}/0"))
    client = await aiohttp_client(create_app(make_settings(), store=store))
    strip = await client.get("/v1/strip")
    assert strip.status == 200
    body = await strip.json()
    assert all(item["missing"] for item in body["rates"] + body["weather"])
    assert strip.headers["Cache-Control"].startswith("public, max-age=")
    assert int(strip.headers["Cache-Control"].split("max-age=")[1].split(",")[0]) <= 30
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert "shared cache unreachable" in (await ready.json())["sources"][0]["error"]
    warnings = [r for r in caplog.records if "cannot read the shared cache" in r.getMessage()]
    assert len(warnings) == 1  # said once, not at every retry
    await asyncio.sleep(1.2)  # two more tries of the watcher: still one line
    warnings = [r for r in caplog.records if "cannot read the shared cache" in r.getMessage()]
    assert len(warnings) == 1


async def test_an_empty_strip_is_cached_for_at_most_30_seconds(aiohttp_client, store: Store):
    """Every source failing at start: a CDN may keep the blank strip 30 s, not an interval."""
    client = await aiohttp_client(create_app(make_settings(), store=store))
    response = await client.get("/v1/strip")
    max_age = int(response.headers["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert 0 <= max_age <= 30


def _static_config(tmp_path: Path, usd: str, *, cache: Path, name: str = "ticker.yaml") -> Path:
    config = tmp_path / name
    config.write_text(
        f"""
cache: {{path: {cache}}}
rates:
  currencies: [USD]
  refresh: 1h
  sources: [{{adapter: static, rates: {{USD: "{usd}"}}}}]
weather:
  refresh: 1h
  cities:
    - {{id: astana, name: {{en: Astana}}, latitude: 51.17, longitude: 71.45,
        timezone: Asia/Almaty}}
  sources: [{{adapter: static, cities: {{astana: {{temperature: 19, min: 18, max: 20}}}}}}]
""",
        encoding="utf-8",
    )
    return config


async def _usd(url: str) -> str:
    body = await poll_strip(url)
    return str(body["rates"][0]["text"])


async def _until_usd(url: str, expected: str, seconds: float = 10) -> str:
    shown = ""
    for _ in range(int(seconds * 20)):
        shown = await _usd(url)
        if shown == expected:
            break
        await asyncio.sleep(0.05)
    return shown


@pytest.mark.slow
async def test_a_hand_edited_value_shows_after_a_restart(tmp_path: Path):
    """Editing a static value and restarting shows it, although the cache is still fresh."""
    cache = tmp_path / "cache"
    config = _static_config(tmp_path, "445.99", cache=cache)
    async with running_service(config) as service:
        assert await _usd(service.url) == "445.99"
    _static_config(tmp_path, "446.10", cache=cache)
    async with running_service(config) as service:
        assert await _until_usd(service.url, "446.10") == "446.10"


@pytest.mark.slow
async def test_a_hand_edited_value_shows_after_a_reload(tmp_path: Path):
    """Editing a static value and reloading (SIGHUP) shows it at once."""
    config = _static_config(tmp_path, "445.99", cache=tmp_path / "cache")
    async with running_service(config) as service:
        assert await _usd(service.url) == "445.99"
        _static_config(tmp_path, "446.10", cache=tmp_path / "cache")
        service.process.send_signal(1)  # SIGHUP
        assert await _until_usd(service.url, "446.10") == "446.10"


@pytest.mark.slow
async def test_ticker_refresh_is_seen_by_a_running_service_within_a_second(tmp_path: Path):
    """`ticker refresh` writes the cache and a stamp; the running service serves it at once."""
    config = _static_config(tmp_path, "445.99", cache=tmp_path / "cache")
    async with running_service(config) as service:
        assert await _usd(service.url) == "445.99"
        edited = _static_config(tmp_path, "447.00", cache=tmp_path / "cache", name="edited.yaml")
        run = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "ticker", "refresh", "--config", str(edited)],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        refreshed = dt.datetime.now(dt.UTC)
        assert await _until_usd(service.url, "447.00", seconds=1.5) == "447.00"
        assert dt.datetime.now(dt.UTC) - refreshed < dt.timedelta(seconds=1.5)


async def test_history_settings_follow_a_reload(aiohttp_client, filled_store: Store):
    """A reload that shortens the retention applies to the history endpoint's ranges."""
    client = await aiohttp_client(create_app(make_settings(), store=filled_store))
    long_range = "/v1/rates/USD/history?from=2026-01-01&to=2026-11-28"
    assert (await client.get(long_range)).status == 200
    shorter = parse_settings(SETTINGS_YAML + "history: {retention: 30d}\n", source="t.yaml")
    reconfigure(client.app, shorter, build_sources(shorter))
    refused = await client.get(long_range)
    assert refused.status == 400
    assert "retention" in (await refused.json())["message"]


async def test_the_service_reads_no_cache_while_it_is_built(tmp_path: Path):
    """create_app opens nothing: the cache directory appears only once the app starts."""
    directory = tmp_path / "not-yet"
    settings = parse_settings(SETTINGS_YAML + f"cache: {{path: {directory}}}\n", source="t.yaml")
    app = create_app(settings)
    assert not directory.exists()
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        assert directory.exists()
    finally:
        await runner.cleanup()


@pytest.mark.slow
async def test_ticker_serve_starts_while_redis_is_down(tmp_path: Path):
    """`ticker serve` on an unreachable Redis answers at once: all missing, /readyz 503."""
    config = tmp_path / "redis.yaml"
    config.write_text(
        SETTINGS_YAML + f"cache: {{backend: redis, url: 'redis://127.0.0.1:{_closed_port()}/0'}}\n",
        encoding="utf-8",
    )
    async with running_service(config) as service:
        body = await poll_strip(service.url, until_complete=False)
        assert all(item["missing"] for item in body["rates"] + body["weather"])
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{service.url}/readyz") as ready,
        ):
            assert ready.status == 503
        assert service.process.returncode is None
    assert "Traceback" not in service.log()
