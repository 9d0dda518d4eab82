"""Refresh and render in child processes: the same strip, history and metrics as in-process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from ticker import Store, build_sources, create_app, parse_settings
from ticker._data.cache import DiskCache

from ._running import running_service
from .conftest import SETTINGS_YAML

pytestmark = pytest.mark.slow  # child processes: left out of the unit tier


def _settings(cache: Path):
    return parse_settings(SETTINGS_YAML + f"cache: {{path: {cache}}}\n", source="t.yaml")


async def _complete(client, path: str = "/v1/strip") -> dict:
    for _ in range(200):
        body = await (await client.get(path)).json()
        if not any(item["missing"] for item in body["rates"][:1] + body["weather"]):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"still missing: {body}")


async def test_children_refresh_and_render_what_the_process_serves(aiohttp_client, tmp_path):
    """The child refreshes and renders; answers, history and metrics are as in-process."""
    settings = _settings(tmp_path / "cache")
    store = Store(DiskCache(tmp_path / "cache"))
    app = create_app(settings, store=store, sources=build_sources(settings), offload=True)
    client = await aiohttp_client(app)
    body = await _complete(client)
    assert body["rates"][0]["text"] == "445.99"
    assert body["weather"][0]["text"] == "+18+20℃"
    for lang in settings.languages:
        text = await (await client.get(f"/v1/strip.txt?lang={lang}")).text()
        assert "445.99" in text
    dark = await client.get("/widget?theme=dark&lang=ru")
    assert dark.status == 200
    assert 'data-theme="dark"' in await dark.text()
    history = await (await client.get("/v1/rates/USD/history")).json()
    assert [point["rate"] for point in history["points"]] == ["445.99"]  # recorded by the child
    ready = await (await client.get("/readyz")).json()  # EUR, RUB, CNY have no source: 503
    usd = next(item for item in ready["items"] if item["item"] == "USD")
    assert usd["missing"] is False
    assert [item["item"] for item in ready["items"] if item["missing"]] == ["EUR", "RUB", "CNY"]
    metrics = await (await client.get("/metrics")).text()
    assert 'ticker_refresh_total{kind="rates",outcome="ok",source="static"}' in metrics


async def test_a_child_renders_the_bytes_an_in_process_render_makes(aiohttp_client, tmp_path):
    """Byte-identical bodies and ETags, whichever process rendered the stamp."""
    settings = _settings(tmp_path / "cache")
    store = Store(DiskCache(tmp_path / "cache"))
    offloaded = await aiohttp_client(
        create_app(settings, store=store, sources=build_sources(settings), offload=True)
    )
    await _complete(offloaded)
    await asyncio.sleep(0.3)  # both stamps (rates and weather) rendered
    health = await (await offloaded.get("/healthz")).json()
    in_process = await aiohttp_client(
        create_app(settings, store=Store(DiskCache(tmp_path / "cache")))
    )
    other = await (await in_process.get("/healthz")).json()
    assert other["snapshot"] == health["snapshot"]
    for path in ("/v1/strip?lang=ru", "/widget?lang=zh", "/v1/strip.txt?lang=kk"):
        a, b = await offloaded.get(path), await in_process.get(path)
        assert (await a.read(), a.headers["ETag"]) == (await b.read(), b.headers["ETag"]), path


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(status.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
async def test_the_children_end_with_a_killed_service(tmp_path):
    """SIGKILL of `ticker serve` leaves no refresh or render process behind."""
    config = tmp_path / "ticker.yaml"
    config.write_text(SETTINGS_YAML + f"cache: {{path: {tmp_path / 'cache'}}}\n", "utf-8")
    async with running_service(config) as service:
        await asyncio.sleep(1.5)  # the children are up
        children = _children(service.process.pid)
        assert children
        service.process.kill()
        await service.process.wait()
        for _ in range(50):
            if not any(_alive(pid) for pid in children):
                break
            await asyncio.sleep(0.1)
    assert not any(_alive(pid) for pid in children)


def test_a_child_whose_parent_is_gone_at_start_ends_at_once():
    """A child that starts after the serving process died does not wait as an orphan."""
    # The serving process hands its pid to the child's start: here one that is gone.
    code = (
        "import time; from ticker._serving.offload import _start_child; "
        "_start_child(2 ** 22 + 12345, 'info', 'text'); time.sleep(10); print('still running')"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=8, check=False
    )
    assert run.returncode == 0
    assert "still running" not in run.stdout
