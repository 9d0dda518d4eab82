"""Fault injection: the real service against upstreams that misbehave in every known way.

``ticker serve`` runs as a process, refreshing every second, against fake National
Bank and Open-Meteo servers on 127.0.0.1.  One fault at a time is switched on for a
few refreshes while readers keep requesting the strip; every answer must be a 200
showing exactly the last good values.  The table of what happened is written to
``test-artifacts/fault-injection.md``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from ._running import poll_strip, running_service
from .conftest import FIXTURES

pytestmark = pytest.mark.slow  # real processes: left out of the unit tier

NBK = (FIXTURES / "nbk_rates_all.xml").read_bytes()
METEO = (FIXTURES / "open_meteo_astana.json").read_bytes()
#: Each fault stays on at least this long, and until each faulty upstream was asked twice.
FAULT_SECONDS = 2.0
FAULT_MAX_SECONDS = 15.0
FAULTY_REQUESTS = 2
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"

CONFIG = """
cache: {{path: {cache}}}
languages: [en, ru]
rates:
  currencies: [USD, EUR, RUB, CNY, UZS]
  refresh: 1s
  sources:
    - {{adapter: nbk, url: "{upstream}/rss/", timeout: 1s, retries: 0, max_failures: 2,
        cooldown: 1s}}
weather:
  refresh: 1s
  cities:
    - {{id: astana, name: {{en: Astana, ru: Астана}}, latitude: 51.1694, longitude: 71.4491,
        timezone: Asia/Almaty}}
  sources:
    - {{adapter: open-meteo, url: "{upstream}/", timeout: 1s, retries: 0, max_failures: 2,
        cooldown: 1s}}
"""

Handler = Callable[[web.Request, bytes], Awaitable[web.StreamResponse]]


def body(data: bytes, content_type: str = "application/xml") -> Handler:
    """Answer 200 with ``data``."""

    async def answer(request: web.Request, good: bytes) -> web.StreamResponse:
        return web.Response(body=data, content_type=content_type)

    return answer


def status(code: int, headers: dict[str, str] | None = None) -> Handler:
    """Answer with an error status."""

    async def answer(request: web.Request, good: bytes) -> web.StreamResponse:
        return web.Response(status=code, text="upstream trouble", headers=headers)

    return answer


async def good(request: web.Request, data: bytes) -> web.StreamResponse:
    """The upstream working as documented."""
    return web.Response(body=data)


async def silent(request: web.Request, data: bytes) -> web.StreamResponse:
    """Accept the connection and answer only long after the client's timeout."""
    await asyncio.sleep(5)
    return web.Response(body=data)


async def redirect_away(request: web.Request, data: bytes) -> web.StreamResponse:
    """Redirect to another host."""
    raise web.HTTPFound(f"http://localhost:{request.url.port}{request.path}")


async def drop(request: web.Request, data: bytes) -> web.StreamResponse:
    """Send half the body, then cut the connection."""
    response = web.StreamResponse(headers={"Content-Length": str(len(data))})
    await response.prepare(request)
    await response.write(data[: len(data) // 2])
    assert request.transport is not None
    request.transport.close()
    return response


XML_BOMB = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rss><channel><item><title>&c;</title></item></channel></rss>"""
HTML_ERROR = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
OVERSIZED = b"<rss>" + b" " * (5 * 1024 * 1024) + b"</rss>"


@dataclass
class Fault:
    """One way an upstream misbehaves, for rates, weather or both."""

    name: str
    rates: Handler | None
    weather: Handler | None


FAULTS = [
    Fault("HTML error page with 200", body(HTML_ERROR, "text/html"), body(HTML_ERROR, "text/html")),
    Fault("malformed XML / JSON", body(b"<rss><channel><item>"), body(b'{"current": ')),
    Fault("truncated body", body(NBK[: len(NBK) // 2]), body(METEO[: len(METEO) // 2])),
    Fault("wrong encoding (UTF-16)", body(NBK.decode().encode("utf-16")),
          body(METEO.decode().encode("utf-16"))),
    Fault("connection cut mid-body", drop, drop),
    Fault("XML bomb", body(XML_BOMB), None),
    Fault("oversized body (5 MB)", body(OVERSIZED), body(OVERSIZED, "application/json")),
    Fault("accepts, never answers", silent, silent),
    Fault("redirect to another host", redirect_away, redirect_away),
    Fault("HTTP 500", status(500), status(500)),
    Fault("HTTP 429 with Retry-After", status(429, {"Retry-After": "2"}),
          status(429, {"Retry-After": "2"})),
    Fault("absurd value (USD x10)", body(NBK.replace(b">445.99<", b">4459.90<")), None),
    Fault("negative value", body(NBK.replace(b">445.99<", b">-445.99<")), None),
    Fault("NaN value", body(NBK.replace(b">486.53<", b">NaN<")), None),
    Fault("quant of zero", body(NBK.replace(b"<quant>100</quant>", b"<quant>0</quant>")), None),
    Fault("empty feed", body(b'<?xml version="1.0"?><rss><channel></channel></rss>'), body(b"{}")),
    Fault("temperature out of bounds", None,
          body(METEO.replace(b'"temperature_2m":19.2', b'"temperature_2m":519.2'))),
    Fault("upstream down (connection refused)", None, None),
]  # fmt: skip


class Upstreams:
    """Fake NBK and Open-Meteo whose behaviour the test switches; they count requests."""

    def __init__(self) -> None:
        self.fault: Fault | None = None
        self.requests = {"rates": 0, "weather": 0}

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/rss/rates_all.xml", self.rates)
        app.router.add_get("/v1/forecast", self.forecast)
        return app

    def switch(self, fault: Fault) -> None:
        self.fault = fault
        self.requests = {"rates": 0, "weather": 0}

    def faulty_requests(self) -> int:
        """Requests that met the fault: to each upstream the fault applies to."""
        assert self.fault is not None
        kinds = [k for k in ("rates", "weather") if getattr(self.fault, k) is not None]
        return sum(self.requests[kind] for kind in kinds)

    def exercised(self) -> bool:
        """Whether every upstream the fault applies to was asked often enough."""
        assert self.fault is not None
        kinds = [k for k in ("rates", "weather") if getattr(self.fault, k) is not None]
        return all(self.requests[kind] >= FAULTY_REQUESTS for kind in kinds)

    async def rates(self, request: web.Request) -> web.StreamResponse:
        self.requests["rates"] += 1
        handler = self.fault.rates if self.fault and self.fault.rates else good
        return await handler(request, NBK)

    async def forecast(self, request: web.Request) -> web.StreamResponse:
        self.requests["weather"] += 1
        handler = self.fault.weather if self.fault and self.fault.weather else good
        return await handler(request, METEO)


@dataclass
class Row:
    """What happened while one fault was on."""

    fault: str
    upstream_requests: int
    reader_requests: int
    failed: int
    lost_or_wrong: int


def shown_values(strip: dict) -> list[object]:
    """The values a reader sees: each rate and each city's temperatures."""
    rates = [(item["code"], item["rate"], item["missing"]) for item in strip["rates"]]
    cities = [
        (item["city"], item["temperature"], item["min"], item["max"]) for item in strip["weather"]
    ]
    return rates + cities


async def read_while(
    url: str, expected: list[object], done: Callable[[], bool]
) -> tuple[int, int, int]:
    """Request the strip until ``done()`` (bounded): (requests, failed, lost or wrong)."""
    requests = failed = wrong = 0
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < FAULT_MAX_SECONDS:
            if time.monotonic() - started > FAULT_SECONDS and done():
                break
            for path in ("/v1/strip?lang=ru", "/widget?lang=en"):
                requests += 1
                async with session.get(url + path) as response:
                    if response.status != 200:
                        failed += 1
                    elif path.startswith("/v1/"):
                        wrong += shown_values(await response.json()) != expected
            await asyncio.sleep(0.02)
    return requests, failed, wrong


def write_table(rows: list[Row]) -> str:
    """The closing table, as Markdown."""
    fields = ("upstream_requests", "reader_requests", "failed", "lost_or_wrong")
    lines = [
        "| fault injected | upstream requests | reader requests | failed | values lost or wrong |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.fault} | " + " | ".join(str(getattr(r, f)) for f in fields) + " |" for r in rows
    ]
    total = " | ".join(str(sum(getattr(r, f) for r in rows)) for f in fields)
    lines.append(f"| **all {len(rows)} faults** | {total} |")
    table = "\n".join(lines) + "\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "fault-injection.md").write_text(table, encoding="utf-8")
    return table


async def test_no_fault_loses_or_corrupts_what_readers_see(tmp_path, aiohttp_server):
    """Under every fault, every read is a 200 with exactly the last good values."""
    fakes = Upstreams()
    server = await aiohttp_server(fakes.app(), host="127.0.0.1")
    upstream = str(server.make_url("")).rstrip("/")
    config = tmp_path / "faults.yaml"
    config.write_text(CONFIG.format(cache=tmp_path / "cache", upstream=upstream), "utf-8")
    rows: list[Row] = []
    async with running_service(config) as service:
        expected = shown_values(await poll_strip(service.url))
        for fault in FAULTS:
            fakes.switch(fault)
            if fault.rates is None and fault.weather is None:
                await server.close()  # the last fault: nothing listens any more
            reads, failed, wrong = await read_while(service.url, expected, fakes.exercised)
            rows.append(Row(fault.name, fakes.faulty_requests(), reads, failed, wrong))
        final = await poll_strip(service.url, until_complete=False)
    print("\n" + write_table(rows))
    assert all(row.failed == 0 and row.lost_or_wrong == 0 for row in rows), rows
    assert all(row.upstream_requests >= FAULTY_REQUESTS for row in rows[:-1]), rows
    assert shown_values(final) == expected
