"""Outside text is bounded and cleaned wherever it is kept, shown or logged.

A megabyte of upstream reason must not make ``/readyz`` a megabyte, grow the log by
megabytes or forge log lines; a bidi override must not reorder what an operator reads.
"""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from aiohttp import web

from ticker import Refresher, Store, UpstreamFormatError, build_sources, create_app
from ticker._data.refresh import Rejection
from ticker._logs import configure_logging
from ticker._text import LOG_MESSAGE_LIMIT, TEXT_LIMIT, bounded

from .conftest import NOW, make_settings

MEGABYTE = 1024 * 1024
#: No line the service writes may be longer, whatever came from outside.
LINE_LIMIT = 1024

WEATHER_YAML = """
languages: [en]
rates:
  currencies: [USD]
  sources: [{{adapter: static, rates: {{USD: "445.99"}}}}]
weather:
  cities:
    - {{id: astana, name: {{en: Astana}}, latitude: 51.1694, longitude: 71.4491,
        timezone: Asia/Almaty}}
  sources: [{{adapter: open-meteo, url: "{url}/", retries: 0, timeout: 2s}}]
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("two\nlines\r\nand\ttabs", "two lines and tabs"),
        ("rate \u202e99.544\u202c", "rate 99.544"),  # a right-to-left override, removed
        ("\u2066isolated\u2069 \u200bzero width", "isolated zero width"),
        ("\x1b[31mred\x1b[0m\x00", "[31mred[0m"),  # the escape character goes, its text stays
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_bounded_removes_controls_and_joins_lines(text, expected):
    assert bounded(text) == expected


def test_bounded_cuts_long_text_with_an_ellipsis():
    long = bounded("x" * MEGABYTE)
    assert len(long) == TEXT_LIMIT
    assert long.endswith("…")
    assert bounded("y" * TEXT_LIMIT) == "y" * TEXT_LIMIT
    assert len(bounded("word " * 100, 20)) == 20
    # Controls that pad a huge text do not hide that it was cut.
    assert bounded("\x00" * MEGABYTE + "tail").endswith("…")
    assert bounded(12345) == "12345"


def test_upstream_errors_and_rejections_are_bounded():
    error = UpstreamFormatError("open-meteo", "reason: " + "r" * MEGABYTE + "\nforged line")
    assert len(str(error)) <= len("open-meteo: ") + TEXT_LIMIT
    assert "\n" not in str(error)
    rejection = Rejection("nbk", "USD\n", "9" * MEGABYTE, "moved \u202e" + "x" * MEGABYTE)
    assert len(rejection.value) == TEXT_LIMIT
    assert len(rejection.reason) == TEXT_LIMIT
    assert rejection.item == "USD"
    assert "\u202e" not in rejection.reason


@pytest.mark.parametrize("form", ["text", "json"])
def test_no_log_line_is_long_or_forged(form, monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("info", form)
    try:
        log = logging.getLogger("ticker.test")
        log.warning("rejected %s: %s", "9" * MEGABYTE, "2026-12-02 ERROR forged\nsecond line")
        log.warning("fields", extra={"error": "e" * MEGABYTE, "value": "\u202e1"})
        try:
            raise ValueError("reason " + "r" * MEGABYTE)
        except ValueError:
            log.exception("failed")
    finally:
        configure_logging("warning", "text")
    lines = stream.getvalue().splitlines()
    assert lines, "nothing was logged"
    assert max(len(line) for line in lines) <= LINE_LIMIT * (4 if form == "json" else 1)
    if form == "text":
        assert not any(line.startswith("second line") for line in lines)
        assert all(len(line) <= LINE_LIMIT for line in lines)
        assert len(lines[0]) <= LOG_MESSAGE_LIMIT + 60
    else:
        entries = [json.loads(line) for line in lines]
        assert len(entries) == 3
        assert len(entries[0]["message"]) <= LOG_MESSAGE_LIMIT
        assert len(entries[1]["error"]) <= TEXT_LIMIT
        assert entries[1]["value"] == "1"
        assert len(entries[2]["exception"]) < 2 * LINE_LIMIT


async def test_a_megabyte_upstream_reason_stays_small(
    aiohttp_server, aiohttp_client, store, session
):
    """Open-Meteo's documented error body with a 1 MB reason: small status, small /readyz."""
    reason = "quota exceeded " + "r" * MEGABYTE

    async def forecast(request: web.Request) -> web.Response:
        return web.json_response({"error": True, "reason": reason}, status=400)

    upstream = web.Application()
    upstream.router.add_get("/v1/forecast", forecast)
    server = await aiohttp_server(upstream, host="127.0.0.1")
    settings = make_settings(WEATHER_YAML.format(url=str(server.make_url("")).rstrip("/")))
    refresher = Refresher(settings, build_sources(settings), store, session, clock=lambda: NOW)
    report = await refresher.refresh_weather()
    errors = [outcome.error for outcome in report.outcomes if outcome.error]
    assert errors
    assert all(len(error) <= 2 * TEXT_LIMIT for error in errors), errors
    status = store.status("weather", ["open-meteo"])["open-meteo"]
    assert status.last_error is not None
    assert len(status.last_error) <= TEXT_LIMIT

    client = await aiohttp_client(create_app(settings, store=store))
    answer = await client.get("/readyz")
    body = await answer.read()
    assert len(body) < 4096, len(body)
    assert "quota exceeded" in body.decode()


async def test_a_long_error_already_in_the_cache_is_bounded_when_read(aiohttp_client, store: Store):
    """A status written by an older version (or by hand) is bounded when shown."""
    settings = make_settings(WEATHER_YAML.format(url="http://127.0.0.1:9"))
    record = {
        "kind": "weather", "source": "open-meteo", "last_attempt": NOW.isoformat(),
        "last_error": "\u202e" + "e" * MEGABYTE, "failures": 3, "rejected": 0,
    }  # fmt: skip
    store.backend.write({"status:weather:open-meteo": json.dumps(record).encode()})
    client = await aiohttp_client(create_app(settings, store=store))
    body = await (await client.get("/readyz")).json()
    [shown] = [source for source in body["sources"] if source["source"] == "open-meteo"]
    assert len(shown["last_error"]) == TEXT_LIMIT
    assert "\u202e" not in shown["last_error"]
