"""Fault injection: the real service against upstreams that misbehave in every known way.

``ticker serve`` runs as a process, refreshing every second, against fake National
Bank and Open-Meteo servers on 127.0.0.1.  One fault at a time is switched on for a
few refreshes while readers keep requesting the strip; every answer must be a 200
showing exactly the last good values, and the strip must not freeze: one rendered
after the fault was met must be served.  The table of what happened is written to
``test-artifacts/fault-injection.md``.

The faults are the transport and format faults an upstream commits, then the poison
values (numbers and dates that parse but are beyond the bounds), then the upstream
going away.  A restart in the middle of a poison fault must serve the last good
strip too, even with a poison value already in the cache.

The neighbouring banks (CBU, NBKR, NBT) publish in their own currencies, which the
service crosses into KZT; each is run as the only rates source of its own service,
against its own faults, so that no other bank's rates stand in for the ones readers saw.

A fault lasts a few refreshes of a second: the services wait on the clock far more
than they use a core.  So the module's three scenarios start together (the
``scenarios`` fixture) and each test awaits its own: together they take about as
long as the longest.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import diskcache
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from ._running import Service, poll_strip, running_service
from .conftest import FIXTURES

pytestmark = [
    pytest.mark.slow,  # real processes: left out of the unit tier
    pytest.mark.asyncio(loop_scope="module"),  # the loop the scenarios run in
]

NBK = (FIXTURES / "nbk_rates_all.xml").read_bytes()
METEO = (FIXTURES / "open_meteo_astana.json").read_bytes()
CBU = (FIXTURES / "cbu_json.json").read_bytes()
NBKR_DAILY = (FIXTURES / "nbkr_daily.xml").read_bytes()
NBKR_WEEKLY = (FIXTURES / "nbkr_weekly.xml").read_bytes()
NBT = (FIXTURES / "nbt_export_xml.xml").read_bytes()
#: Each fault stays on at least this long, and until each faulty upstream was asked twice.
FAULT_SECONDS = 2.0
FAULT_MAX_SECONDS = 15.0
FAULTY_REQUESTS = 2
#: Services the list of faults is shared between, run at once.
SERVICES = 4
#: Services starting at once: a start is mostly imports, on one core.
STARTING = 4
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


def status_body(code: int, document: dict[str, object]) -> Handler:
    """Answer with an error status and a JSON body."""

    async def answer(request: web.Request, good: bytes) -> web.StreamResponse:
        return web.json_response(document, status=code)

    return answer


async def good(request: web.Request, data: bytes) -> web.StreamResponse:
    """The upstream working as documented."""
    return web.Response(body=data)


def only(path: str, handler: Handler) -> Handler:
    """``handler`` for requests of ``path``; the good answer for every other path."""

    async def answer(request: web.Request, data: bytes) -> web.StreamResponse:
        return await (handler if request.path == path else good)(request, data)

    return answer


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


FORMAT_FAULTS = [
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
]  # fmt: skip


def nbk_with(*changes: tuple[bytes, bytes]) -> bytes:
    """The good National Bank feed with each ``(old, new)`` replaced once."""
    feed = NBK
    for old, new in changes:
        assert old in feed, old
        feed = feed.replace(old, new, 1)
    return feed


USD_CHANGE = (b"<change>+1.27</change>", b"<change>1E+30</change>")
USD_HUGE = (b">445.99<", b">1E+999990<")
UZS_QUANT = (b"<quant>100</quant>", b"<quant>1" + b"0" * 4000 + b"</quant>")
EUR_TINY = (b">486.53<", b">1E-200000<")
EUR_FUTURE = (b"<title>EUR</title><pubDate>28.11.2026", b"<title>EUR</title><pubDate>31.12.9999")
#: Values that parse but are beyond the bounds: each item is skipped, the rest kept.
POISON_FAULTS = [
    Fault("change of 1E+30", body(nbk_with(USD_CHANGE)), None),
    Fault("published 1E+999990", body(nbk_with(USD_HUGE)), None),
    Fault("quant of 10^4000", body(nbk_with(UZS_QUANT)), None),
    Fault("published 1E-200000", body(nbk_with(EUR_TINY)), None),
    Fault("item dated 31.12.9999", body(nbk_with(EUR_FUTURE)), None),
    Fault("forecast dated 9999-12-31", None, body(METEO.replace(b"2026-11-28", b"9999-12-31"))),
]
#: The last fault: nothing listens any more.
#: Open-Meteo's documented error body with a megabyte of reason; the feed's own text too.
MEGABYTE_REASON = "quota " + "r" * (1024 * 1024)
LONG_TEXT_FAULTS = [
    Fault("1 MB error reason", None, status_body(400, {"error": True, "reason": MEGABYTE_REASON})),
    Fault("1 MB item text", body(nbk_with((b">445.99<", b">" + b"9" * 1024 * 1024 + b"<"))), None),
]
#: No line of the service's log may be longer, whatever an upstream sends.
LOG_LINE_LIMIT = 1024

UPSTREAM_DOWN = Fault("upstream down (connection refused)", None, None)
FAULTS = [*FORMAT_FAULTS, *POISON_FAULTS, *LONG_TEXT_FAULTS, UPSTREAM_DOWN]


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[TestServer]:
    """``app`` on a free port of 127.0.0.1 until the block ends (``close()`` may end it sooner)."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def started(config: Path, gate: asyncio.Semaphore) -> AsyncIterator[Service]:
    """``ticker serve --config config`` until the block ends; it starts when ``gate`` lets it.

    The gate keeps the starts in the order asked and few enough at once that none
    waits past its start-up limit for a core.
    """
    context = running_service(config)
    async with gate:
        service = await context.__aenter__()
    try:
        yield service
    finally:
        await context.__aexit__(None, None, None)


def base_url(server: TestServer) -> str:
    """The server's URL, without a trailing slash."""
    return str(server.make_url("")).rstrip("/")


class Upstreams:
    """Fake NBK and Open-Meteo whose behaviour the test switches; they count requests.

    ``good`` is the good body of each rates path: the National Bank's feed unless a
    neighbouring bank's paths are given.
    """

    def __init__(self, good: dict[str, bytes] | None = None) -> None:
        self.good = good or {"/rss/rates_all.xml": NBK}
        self.fault: Fault | None = None
        self.requests = {"rates": 0, "weather": 0}
        self.switched_at = self.exercised_at = time.time()

    def app(self) -> web.Application:
        app = web.Application()
        for path in self.good:
            app.router.add_get(path, self.rates)
        app.router.add_get("/v1/forecast", self.forecast)
        return app

    def switch(self, fault: Fault) -> None:
        self.fault = fault
        self.requests = {"rates": 0, "weather": 0}
        self.switched_at = time.time()
        self.exercised_at = self.switched_at if self._kinds() == [] else None

    def _kinds(self) -> list[str]:
        assert self.fault is not None
        return [k for k in ("rates", "weather") if getattr(self.fault, k) is not None]

    def _count(self, kind: str) -> None:
        self.requests[kind] += 1
        if self.fault is not None and self.exercised_at is None and self.exercised():
            self.exercised_at = time.time()

    def fresh_after(self) -> float | None:
        """When the fault was met often enough: a strip rendered later saw its effect."""
        return self.exercised_at

    def faulty_requests(self) -> int:
        """Requests that met the fault: to each upstream the fault applies to."""
        return sum(self.requests[kind] for kind in self._kinds())

    def exercised(self) -> bool:
        """Whether every upstream the fault applies to was asked often enough."""
        return all(self.requests[kind] >= FAULTY_REQUESTS for kind in self._kinds())

    async def rates(self, request: web.Request) -> web.StreamResponse:
        self._count("rates")
        handler = self.fault.rates if self.fault and self.fault.rates else good
        return await handler(request, self.good[request.path])

    async def forecast(self, request: web.Request) -> web.StreamResponse:
        self._count("weather")
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
    #: 1 when no strip rendered after the fault was met was ever served.
    frozen: int = 0


def shown_values(strip: dict) -> list[object]:
    """The values a reader sees: each rate with its date, and each city's temperatures."""
    rates = [(item["code"], item["rate"], item["date"], item["missing"]) for item in strip["rates"]]
    cities = [
        (item["city"], item["temperature"], item["min"], item["max"]) for item in strip["weather"]
    ]
    return rates + cities


def generated(strip: dict) -> float:
    """When ``strip`` was rendered, as a Unix time."""
    return dt.datetime.fromisoformat(strip["generated_at"]).timestamp()


async def read_while(
    url: str, expected: list[object], fakes: Upstreams
) -> tuple[int, int, int, int]:
    """Request the strip until the fault was met and its effect served (bounded).

    Returns (requests, failed, lost or wrong, frozen).
    """
    requests = failed = wrong = 0
    newest = 0.0
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < FAULT_MAX_SECONDS:
            since = fakes.fresh_after()
            fresh = since is not None and newest > since
            if time.monotonic() - started > FAULT_SECONDS and fakes.exercised() and fresh:
                break
            for path in ("/v1/strip?lang=ru", "/widget?lang=en"):
                requests += 1
                async with session.get(url + path) as response:
                    if response.status != 200:
                        failed += 1
                    elif path.startswith("/v1/"):
                        strip = await response.json()
                        wrong += shown_values(strip) != expected
                        newest = max(newest, generated(strip))
            await asyncio.sleep(0.02)
    since = fakes.fresh_after()
    return requests, failed, wrong, int(since is None or newest <= since)


def write_table(rows: list[Row], name: str = "fault-injection.md") -> str:
    """The closing table, as Markdown, also written to ``test-artifacts/<name>``."""
    fields = ("upstream_requests", "reader_requests", "failed", "lost_or_wrong", "frozen")
    lines = [
        "| fault injected | upstream requests | reader requests | failed | values lost or wrong"
        " | frozen |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.fault} | " + " | ".join(str(getattr(r, f)) for f in fields) + " |" for r in rows
    ]
    total = " | ".join(str(sum(getattr(r, f) for r in rows)) for f in fields)
    lines.append(f"| **all {len(rows)} faults** | {total} |")
    table = "\n".join(lines) + "\n"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_text(table, encoding="utf-8")
    return table


def shares(faults: Sequence[Fault], count: int) -> list[Sequence[Fault]]:
    """``faults`` dealt in turn into ``count`` shares, so that the slow ones are spread out.

    Each share keeps the order of ``faults``: the last fault is the last of its share.
    """
    return [faults[start::count] for start in range(count)]


def dealt_back(shared: Sequence[Sequence[Row]]) -> list[Row]:
    """The rows of shares made by :func:`shares`, in the order of the faults dealt."""
    longest = max(len(rows) for rows in shared)
    return [rows[turn] for turn in range(longest) for rows in shared if turn < len(rows)]


@dataclass
class FaultRun:
    """One service's turn through a share of the faults: its table, log and last answers."""

    rows: list[Row]
    log: str
    readiness: bytes
    expected: list[object]
    final: list[object]


async def _fault_run(
    directory: Path, name: str, faults: Sequence[Fault], gate: asyncio.Semaphore
) -> FaultRun:
    """Inject ``faults`` in turn into one service's upstreams; the last may close them."""
    fakes = Upstreams()
    async with serving(fakes.app()) as server:
        config = directory / f"faults-{name}.yaml"
        cache = directory / f"cache-{name}"
        config.write_text(CONFIG.format(cache=cache, upstream=base_url(server)), "utf-8")
        rows: list[Row] = []
        async with started(config, gate) as service:
            expected = shown_values(await poll_strip(service.url))
            for fault in faults:
                fakes.switch(fault)
                if fault.rates is None and fault.weather is None:
                    await server.close()  # the last fault: nothing listens any more
                reads, failed, wrong, frozen = await read_while(service.url, expected, fakes)
                rows.append(Row(fault.name, fakes.faulty_requests(), reads, failed, wrong, frozen))
            final = await poll_strip(service.url, until_complete=False)
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{service.url}/readyz") as ready,
            ):
                readiness = await ready.read()
            log = service.log()
        return FaultRun(rows, log, readiness, expected, shown_values(final))


async def _every_fault(directory: Path, gate: asyncio.Semaphore) -> list[FaultRun]:
    """``FAULTS`` shared between ``SERVICES`` services run at once."""
    return await asyncio.gather(
        *(
            _fault_run(directory, f"share-{index}", share, gate)
            for index, share in enumerate(shares(FAULTS, SERVICES))
        )
    )


async def test_no_fault_loses_or_corrupts_what_readers_see(scenarios):
    """Under every fault, every read is a 200 with exactly the last good values, never frozen.

    The faults are dealt in turn to ``SERVICES`` services run at once (the last one,
    nothing listening, ends its service's share), each with its own upstreams and cache.
    """
    runs = await scenarios.faults
    rows = dealt_back([run.rows for run in runs])
    print("\n" + write_table(rows))
    for run in runs:
        long_lines = [line[:120] for line in run.log.splitlines() if len(line) > LOG_LINE_LIMIT]
        assert long_lines == [], long_lines
        assert len(run.readiness) < 8 * 1024, len(run.readiness)
        assert run.final == run.expected
    assert all((row.failed, row.lost_or_wrong, row.frozen) == (0, 0, 0) for row in rows), rows
    assert all(row.upstream_requests >= FAULTY_REQUESTS for row in rows[:-1]), rows
    assert [row.fault for row in rows] == [fault.name for fault in FAULTS]


#: The poison of a restart: three wanted currencies' items are beyond the bounds at once.
RESTART_POISON = Fault(
    "poison", body(nbk_with(USD_CHANGE, UZS_QUANT, (b">64.16<", b">1E-200000<"))), None
)
#: What an older version could have stored for EUR: published 1E+999990.
POISONED_EUR = (
    b'{"code":"EUR","base":"KZT","rate":"1E+999990","published":"1E+999990","quant":1,'
    b'"change":"-0.86","direction":"down","date":"2026-11-28","source":"nbk",'
    b'"fetched_at":"2026-11-28T10:00:00Z","derived":false}'
)


def inject(cache: Path, key: str, value: bytes) -> None:
    """Write ``value`` straight into the service's disk cache, past every check."""
    with diskcache.Cache(str(cache)) as opened:
        opened.set(key, value)


async def read_after_restart(
    url: str, expected: list[object], restarted_at: float
) -> tuple[int, int, int, int]:
    """Read the strip until one rendered after the restart is served (bounded).

    Returns (requests, failed, wrong, frozen); a value shown missing is not wrong, but
    the last strip read must show every expected value.
    """
    requests = failed = wrong = 0
    newest = 0.0
    shown: list[object] = []
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < FAULT_MAX_SECONDS:
            settled = newest > restarted_at and shown == expected
            if time.monotonic() - started > FAULT_SECONDS and settled:
                break
            requests += 1
            async with session.get(url + "/v1/strip?lang=ru") as response:
                if response.status != 200:
                    failed += 1
                    continue
                strip = await response.json()
            shown, newest = shown_values(strip), max(newest, generated(strip))
            wrong += any(
                value != good and not (isinstance(value, tuple) and value[-1] is True)
                for value, good in zip(shown, expected, strict=True)
            )
            await asyncio.sleep(0.02)
    return requests, failed, wrong + (shown != expected), int(newest <= restarted_at)


async def _restarts(directory: Path, gate: asyncio.Semaphore) -> tuple[list[Row], list[str]]:
    """Restart the service twice during a poison fault (then with poison cached): rows, logs."""
    fakes = Upstreams()
    async with serving(fakes.app()) as server:
        config = directory / "restart.yaml"
        cache = directory / "cache"
        config.write_text(CONFIG.format(cache=cache, upstream=base_url(server)), "utf-8")
        async with started(config, gate) as service:
            expected = shown_values(await poll_strip(service.url))
            fakes.switch(RESTART_POISON)
            for _ in range(int(FAULT_MAX_SECONDS * 10)):
                if fakes.exercised():
                    break
                await asyncio.sleep(0.1)
        rows: list[Row] = []
        logs: list[str] = []
        for injected in (False, True):
            if injected:
                inject(cache, "rate:EUR", POISONED_EUR)
            fakes.switch(RESTART_POISON)
            restarted_at = time.time()
            async with started(config, gate) as service:  # raises if it does not start
                reads, failed, wrong, frozen = await read_after_restart(
                    service.url, expected, restarted_at
                )
                log = service.log()
            cached = "EUR 1E+999990 in the cache" if injected else "good values in the cache"
            name = f"restart during poison, {cached}"
            rows.append(Row(name, fakes.faulty_requests(), reads, failed, wrong, frozen))
            logs.append(log)
        return rows, logs


async def test_a_restart_during_a_poison_fault_serves_the_last_good_strip(scenarios):
    """Restarted while the upstream sends poison, even with poison cached: it starts and serves."""
    rows, logs = await scenarios.restarts
    print("\n" + write_table(rows, "fault-injection-restarts.md"))
    assert all((row.failed, row.lost_or_wrong, row.frozen) == (0, 0, 0) for row in rows), rows
    assert ["rate:EUR is unreadable" in log for log in logs] == [False, True], logs


BANK_CONFIG = """
cache: {{path: {cache}}}
languages: [en, ru]
rates:
  currencies: {currencies}
  refresh: 1s
  sources:
    - {{adapter: {adapter}, url: "{upstream}/", timeout: 1s, retries: 0, max_failures: 2,
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


def replaced(data: bytes, old: bytes, new: bytes) -> bytes:
    """``data`` with ``old`` replaced once by ``new``; ``old`` must be there."""
    assert old in data, old
    return data.replace(old, new, 1)


@dataclass
class BankRun:
    """A neighbouring bank as the only rates source of a service, and its faults."""

    adapter: str
    #: The site's currencies, KZT the base: the bank's own is crossed from its KZT rate.
    currencies: str
    good: dict[str, bytes]
    faults: list[Fault]


CBU_LATEST = "/ru/arkhiv-kursov-valyut/json/"
NBKR_WEEKLY_PATH = "/XML/weekly.xml"
NBT_EXPORT = "/ru/kurs/export_xml.php"
BANK_RUNS = [
    BankRun(
        "cbu",
        "[USD, EUR, RUB, UZS, IDR]",
        {CBU_LATEST: CBU},
        [
            Fault("CBU: a JSON object, not an array",
                  body(b'{"error": "not found"}', "application/json"), None),
            Fault("CBU: USD Rate 1E+999990",
                  body(replaced(CBU, b'"Rate":"11988.21"', b'"Rate":"1E+999990"')), None),
            Fault("CBU: IDR Nominal 0",
                  body(replaced(CBU, b'"10","Rate":"7.27"', b'"0","Rate":"7.27"')), None),
            Fault("CBU: KZT dated 31.12.9999 (nothing to cross through)",
                  body(replaced(CBU, b'"26.88","Diff":"0","Date":"28.11.2026"',
                                b'"26.88","Diff":"0","Date":"31.12.9999"')), None),
            Fault("CBU: HTTP 503", status(503), None),
        ],
    ),
    BankRun(
        "nbkr",
        "[USD, EUR, RUB, KGS, GBP]",
        {"/XML/daily.xml": NBKR_DAILY, NBKR_WEEKLY_PATH: NBKR_WEEKLY},
        [
            Fault("NBKR: weekly.xml HTTP 500 (daily rates still served)",
                  only(NBKR_WEEKLY_PATH, status(500)), None),
            Fault("NBKR: dot decimals", body(NBKR_DAILY.replace(b",", b".")), None),
            Fault("NBKR: XML bomb", body(XML_BOMB), None),
            Fault("NBKR: dated 31.12.9999",
                  body(replaced(NBKR_DAILY, b'Date="27.11.2026"', b'Date="31.12.9999"')), None),
        ],
    ),
    BankRun(
        "nbt",
        "[USD, EUR, RUB, TJS, UZS]",
        {NBT_EXPORT: NBT},
        [
            Fault("NBT: KZT Nominal 0 (nothing to cross through)",
                  body(replaced(NBT, b"<CharCode>KZT</CharCode>\n   <Nominal>10<",
                                b"<CharCode>KZT</CharCode>\n   <Nominal>0<")), None),
            Fault("NBT: USD Value NaN", body(replaced(NBT, b">9.4120<", b">NaN<")), None),
            Fault("NBT: HTML error page with 200", body(HTML_ERROR, "text/html"), None),
            Fault("NBT: HTTP 429 with Retry-After", status(429, {"Retry-After": "2"}), None),
        ],
    ),
]  # fmt: skip


async def _bank_rows(directory: Path, run: BankRun, gate: asyncio.Semaphore) -> list[Row]:
    """Every fault of one bank, injected in turn into its own service's only source."""
    fakes = Upstreams(run.good)
    async with serving(fakes.app()) as server:
        config = directory / f"faults-{run.adapter}.yaml"
        text = BANK_CONFIG.format(
            cache=directory / f"cache-{run.adapter}",
            upstream=base_url(server),
            adapter=run.adapter,
            currencies=run.currencies,
        )
        config.write_text(text, "utf-8")
        rows: list[Row] = []
        async with started(config, gate) as service:
            expected = shown_values(await poll_strip(service.url))
            for fault in run.faults:
                fakes.switch(fault)
                reads, failed, wrong, frozen = await read_while(service.url, expected, fakes)
                rows.append(Row(fault.name, fakes.faulty_requests(), reads, failed, wrong, frozen))
        return rows


async def _every_bank(directory: Path, gate: asyncio.Semaphore) -> list[list[Row]]:
    """Each bank's faults against its own service, the three at once."""
    return await asyncio.gather(*(_bank_rows(directory, run, gate) for run in BANK_RUNS))


@dataclass
class Scenarios:
    """The module's scenarios, running: each test awaits its own."""

    faults: asyncio.Task[list[FaultRun]]
    restarts: asyncio.Task[tuple[list[Row], list[str]]]
    banks: asyncio.Task[list[list[Row]]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scenarios(tmp_path_factory) -> AsyncIterator[Scenarios]:
    """Every scenario of the module, started at once; those still running stop at the end.

    The shares of ``FAULTS`` start their services first: they take the longest.
    """
    gate = asyncio.Semaphore(STARTING)
    running = Scenarios(
        faults=asyncio.create_task(_every_fault(tmp_path_factory.mktemp("faults"), gate)),
        restarts=asyncio.create_task(_restarts(tmp_path_factory.mktemp("restarts"), gate)),
        banks=asyncio.create_task(_every_bank(tmp_path_factory.mktemp("banks"), gate)),
    )
    tasks = [running.faults, running.restarts, running.banks]
    try:
        yield running
    finally:
        for task in tasks:
            task.cancel()  # a test left out by -k: its services stop
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_no_fault_of_a_neighbour_bank_loses_what_readers_see(scenarios):
    """Under every fault of a bank crossed into KZT, every read shows the last good values.

    Each bank is the only source of its own service; the three run at once.
    """
    tables = await scenarios.banks
    for run, rows in zip(BANK_RUNS, tables, strict=True):
        print("\n" + write_table(rows, f"fault-injection-{run.adapter}.md"))
        assert all((r.failed, r.lost_or_wrong, r.frozen) == (0, 0, 0) for r in rows), rows
        assert all(row.upstream_requests >= FAULTY_REQUESTS for row in rows), rows
