"""``ticker serve`` as a real process against fake upstreams on 127.0.0.1.

The fake upstreams serve our own fixtures in the National Bank's and Open-Meteo's
real formats; the service must show exactly what they publish, in JSON, in the
widget and through the client, and must keep it when they break.
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from ticker import Strip, SyncTickerClient, TickerClient

from ._running import free_port, poll_strip, running_service
from .conftest import FIXTURES

pytestmark = pytest.mark.slow  # real processes: left out of the unit tier

CONFIG = """
cache: {{path: {cache}}}
languages: [ru, en, kk, zh]
rates:
  currencies: [USD, EUR, RUB, CNY, UZS]
  refresh: 1h
  sources: [{{adapter: nbk, url: "{upstream}/rss/", timeout: 2s, retries: 0}}]
weather:
  refresh: 15m
  cities:
    - id: astana
      name: {{en: Astana, ru: Астана, kk: Астана, zh: 阿斯塔纳}}
      latitude: 51.1694
      longitude: 71.4491
      timezone: Asia/Almaty
  sources: [{{adapter: open-meteo, url: "{upstream}/", timeout: 2s, retries: 0}}]
"""

EXPECTED_LINE = (
    "usd/kzt 445.99 eur/kzt 486.53 rub/kzt 5.78 cny/kzt 64.16 100 uzs/kzt 3.72 · Астана +18+20℃"
)


class FakeUpstreams:
    """The National Bank and Open-Meteo on loopback, switchable to an error page."""

    def __init__(self) -> None:
        self.broken = False
        self.requests: list[str] = []
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/rss/rates_all.xml", self.rates)
        app.router.add_get("/v1/forecast", self.forecast)
        return app

    async def rates(self, request: web.Request) -> web.Response:
        self.requests.append(str(request.rel_url))
        if self.broken:
            # The way a proxy in front of a real upstream fails: an HTML page with 200.
            return web.Response(
                text="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
            )
        return web.Response(
            body=(FIXTURES / "nbk_rates_all.xml").read_bytes(), content_type="application/xml"
        )

    async def forecast(self, request: web.Request) -> web.Response:
        self.requests.append(str(request.rel_url))
        if self.broken:
            return web.Response(status=503, text="maintenance")
        assert request.query["timezone"] == "Asia/Almaty"
        return web.Response(
            body=(FIXTURES / "open_meteo_astana.json").read_bytes(), content_type="application/json"
        )


@pytest.fixture
async def upstreams(aiohttp_server):
    """Fake upstreams and their base URL."""
    fakes = FakeUpstreams()
    server = await aiohttp_server(fakes.app(), host="127.0.0.1")
    fakes.url = str(server.make_url("")).rstrip("/")
    return fakes


def write_config(tmp_path: Path, upstream: str) -> Path:
    """A settings file whose sources point at ``upstream``."""
    path = tmp_path / "ticker.yaml"
    path.write_text(CONFIG.format(cache=tmp_path / "cache", upstream=upstream), encoding="utf-8")
    return path


async def test_serves_exactly_what_upstreams_publish(tmp_path, upstreams):
    """JSON, widget and client all show the fake upstreams' values, to the digit."""
    async with running_service(write_config(tmp_path, upstreams.url)) as service:
        body = await poll_strip(service.url)
        assert body["text"] == EXPECTED_LINE
        rates = {item["code"]: item for item in body["rates"]}
        assert rates["USD"]["rate"] == "445.99"
        assert rates["USD"]["direction"] == "up"
        assert (rates["UZS"]["rate"], rates["UZS"]["published"], rates["UZS"]["quant"]) == (
            "0.0372",
            "3.72",
            100,
        )
        assert body["weather"][0]["temperature"] == 19.2
        assert body["weather"][0]["observed_at"] == "2026-11-28T05:15:00Z"

        async with TickerClient(service.url) as client:
            strip = await client.strip()
            widget = await client.widget(lang="en")
        assert strip.text == EXPECTED_LINE
        assert strip.rates[0].rate == Decimal("445.99")
        assert '<span class="ticker-value" dir="ltr">445.99</span>' in widget
        assert "Astana" in widget

        def sync_call() -> Strip:
            with SyncTickerClient(service.url) as client:
                return client.strip(lang="zh")

        assert (await asyncio.to_thread(sync_call)).weather[0].name == "阿斯塔纳"
    assert any(r.startswith("/v1/forecast?") for r in upstreams.requests)


async def test_broken_upstream_keeps_the_cached_strip(tmp_path, upstreams):
    """After the upstreams break, a refresh fails loudly and the strip is unchanged."""
    config = write_config(tmp_path, upstreams.url)
    async with running_service(config) as service:
        before = await poll_strip(service.url)
        upstreams.broken = True
        refresh = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ticker", "refresh", "--config", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await refresh.communicate()
        assert refresh.returncode == 1
        assert out.decode().strip() == EXPECTED_LINE
        assert "nbk:" in err.decode()
        after = await poll_strip(service.url)
    assert [r["rate"] for r in after["rates"]] == [r["rate"] for r in before["rates"]]
    assert after["text"] == before["text"]


async def test_starts_without_network_and_marks_items_missing(tmp_path):
    """With every upstream unreachable the service starts and answers a valid strip."""
    dead = f"http://127.0.0.1:{free_port()}"
    async with running_service(write_config(tmp_path, dead)) as service:
        body = await poll_strip(service.url, until_complete=False)
        for _ in range(100):
            if "rates from nbk failed" in service.log() and "open-meteo failed" in service.log():
                break
            await asyncio.sleep(0.1)
        assert all(item["missing"] for item in body["rates"] + body["weather"])
        assert body["text"].startswith("usd/kzt —")
        assert "rates from nbk failed" in service.log()
        assert "weather from open-meteo failed" in service.log()


async def test_offline_example_shows_a_full_strip(tmp_path):
    """examples/offline.yaml shows every value with no network at all."""
    example = Path(__file__).parents[1] / "examples" / "offline.yaml"
    config = tmp_path / "offline.yaml"
    config.write_text(
        example.read_text(encoding="utf-8").replace(
            "./var/ticker-offline-cache", str(tmp_path / "c")
        ),
        encoding="utf-8",
    )
    async with running_service(config) as service:
        body = await poll_strip(service.url)
    assert body["text"] == (
        "usd/kzt 445.99 eur/kzt 486.53 rub/kzt 5.78 cny/kzt 64.16 100 uzs/kzt 3.72 · Astana +18+20℃"
    )


async def test_history_and_audit_follow_the_refreshes(tmp_path, upstreams):
    """The leader records each publication and what the strip showed, and both are served."""
    import datetime as dt

    async with running_service(write_config(tmp_path, upstreams.url)) as service:
        await poll_strip(service.url)
        async with aiohttp.ClientSession() as session:
            for _ in range(50):
                at = dt.datetime.now(dt.UTC).isoformat()
                async with session.get(f"{service.url}/v1/audit", params={"at": at}) as response:
                    audit = await response.json()
                if len(audit["items"]) == 6:
                    break
                await asyncio.sleep(0.1)
            async with session.get(
                f"{service.url}/v1/rates/USD/history",
                params={"from": "2026-11-01", "to": "2026-11-30"},
            ) as response:
                history = await response.json()
    shown = {item["item"]: item for item in audit["items"]}
    assert shown["USD"]["text"] == "445.99"
    assert shown["astana"]["text"] == "+18+20℃"
    assert [point["rate"] for point in history["points"]] == ["445.99"]
