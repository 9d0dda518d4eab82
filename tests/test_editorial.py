"""Editorial control: pins with a reason and an expiry, hidden items, confirmed jumps, reload."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from ticker import ConfigError, Refresher, SourceSet, build_strip, parse_settings

from ._running import poll_strip, running_service
from .conftest import NOW, REFERENCE_RATES, SETTINGS_YAML, rate, weather
from .test_refresh import FakeRates

OFFLINE = Path(__file__).parents[1] / "examples" / "offline.yaml"
LATER = "2026-11-28T18:00:00+05:00"


def with_editorial(text: str) -> str:
    """The reference settings with an editorial section."""
    return f"editorial:\n{text}\n{SETTINGS_YAML}"


def test_a_pin_replaces_the_value_until_it_expires():
    """A pinned rate shows the editors' value and why, until its expiry."""
    settings = parse_settings(
        with_editorial(
            "  pins: [{item: USD, value: '450.00', reason: 'NBK feed delayed',"
            f" until: '{LATER}'}}]"
        )
    )
    cached = {r.code: r for r in REFERENCE_RATES}
    strip = build_strip(settings, cached, {"astana": weather()}, lang="en", now=NOW)
    usd = strip.rates[0]
    assert (usd.text, usd.rate, usd.source, usd.stale) == (
        "450.00",
        Decimal("450.00"),
        "editorial",
        False,
    )
    pinned = "pinned by the editors until November 28, 2026, 6:00\u202fPM: NBK feed delayed"
    assert usd.reason == pinned
    assert usd.reason_code == "pinned"
    later = build_strip(settings, cached, {}, lang="en", now=NOW + dt.timedelta(hours=4))
    assert later.rates[0].text == "445.99"


def test_a_weather_pin():
    """A city's temperatures can be pinned too."""
    settings = parse_settings(
        with_editorial(
            "  pins: [{item: astana, temperature: -3, min: -5, max: -1,"
            f" reason: 'station fault', until: '{LATER}'}}]"
        )
    )
    strip = build_strip(settings, {}, {"astana": weather()}, lang="en", now=NOW)
    assert (strip.weather[0].text, strip.weather[0].source) == ("-5-1℃", "editorial")


def test_hidden_items_are_not_shown():
    """A hidden currency or city is left out of every form of the strip."""
    settings = parse_settings(with_editorial("  hide: [RUB, astana]"))
    strip = build_strip(
        settings, {r.code: r for r in REFERENCE_RATES}, {"astana": weather()}, lang="en", now=NOW
    )
    assert [item.code for item in strip.rates] == ["USD", "EUR", "CNY"]
    assert strip.weather == []
    assert strip.text == "usd/kzt 445.99 eur/kzt 486.53 cny/kzt 64.16"


@pytest.mark.parametrize(
    ("editorial", "message"),
    [
        (f"  pins: [{{item: GBP, value: '1', reason: r, until: '{LATER}'}}]", "'GBP' is neither"),
        (f"  pins: [{{item: USD, reason: r, until: '{LATER}'}}]", "a rate pin needs value"),
        ("  hide: [nowhere]", "'nowhere' is neither"),
        ("  pins: [{item: USD, value: '1', until: '2026-12-01T00:00:00+05:00'}]", "required"),
        # A pin is bounded like an upstream's value: neither reaches a render unchecked.
        (f"  pins: [{{item: USD, value: '1E+30', reason: r, until: '{LATER}'}}]",
         r"pins\[0\]\.value: 1E\+30 has more than 12 integer digits"),
        (f"  pins: [{{item: USD, value: '-1', reason: r, until: '{LATER}'}}]",
         r"pins\[0\]\.value: Input should be greater than 0"),
        (f"  pins: [{{item: astana, temperature: 900, reason: r, until: '{LATER}'}}]",
         r"pins\[0\]\.temperature"),
        ("  pins: [{item: USD, value: '1', reason: r, until: '2026-12-01T18:00:00'}]",
         r"pins\[0\]\.until: Input should have timezone info"),
        ("  pins: [{item: USD, value: '1', reason: r, until: '0001-01-01T00:00:00+05:00'}]",
         r"pins\[0\]\.until: .*outside the range of dates"),
    ],
    ids=[
        "unknown-item", "rate-pin-without-value", "unknown-hidden", "pin-without-reason",
        "pin-value-beyond-bounds", "pin-value-not-positive", "pin-temperature-beyond-bounds",
        "pin-until-without-zone", "pin-until-out-of-range",
    ],
)  # fmt: skip
def test_bad_editorial_settings_are_refused(editorial, message):
    """Editorial mistakes are refused with the key path, like any other setting."""
    with pytest.raises(ConfigError, match=message):
        parse_settings(with_editorial(editorial))


async def test_confirm_jumps_waits_for_the_editors(store):
    """With confirm_jumps a second source's agreement is not enough; a confirmation is."""
    settings = parse_settings(with_editorial("  confirm_jumps: true"))
    store.put_rates(REFERENCE_RATES)
    first = FakeRates("nbk", [rate("USD", "600.00")])
    second = FakeRates("cbr", [rate("USD", "600.50", source="cbr")])
    async with aiohttp.ClientSession() as session:
        sources = SourceSet(rates=[first, second], weather=[])
        report = await Refresher(
            settings, sources, store, session, clock=lambda: NOW
        ).refresh_rates()
        assert report.held == ["USD"]
        confirmed = parse_settings(
            with_editorial(
                "  confirm_jumps: true\n  confirmed: [{item: USD, value: '600.00',"
                f" reason: 'devaluation', until: '{LATER}'}}]"
            )
        )
        report = await Refresher(
            confirmed, sources, store, session, clock=lambda: NOW
        ).refresh_rates()
    assert report.held == []
    assert store.rates(["USD"])["USD"].rate == Decimal("600.00")


@pytest.mark.slow
async def test_reload_under_load_drops_no_request(tmp_path):
    """SIGHUP (ticker reload) swaps the settings while requests flow; a bad file is refused."""
    config = tmp_path / "ticker.yaml"
    base = OFFLINE.read_text("utf-8").replace("./var/ticker-offline-cache", str(tmp_path / "c"))
    config.write_text(base, "utf-8")
    pid_file = tmp_path / "ticker.pid"
    async with running_service(config, "--pid-file", str(pid_file)) as service:
        await poll_strip(service.url)
        results: list[int] = []
        done = asyncio.Event()

        async def readers() -> None:
            async with aiohttp.ClientSession() as session:
                for _ in range(5000):  # bounded; stops when the test is done
                    if done.is_set():
                        return
                    async with session.get(f"{service.url}/v1/strip?lang=en") as response:
                        await response.read()
                        results.append(response.status)

        load = asyncio.create_task(readers())
        pinned = (
            "editorial:\n  pins: [{item: USD, value: '450.00', reason: test,"
            " until: '2099-01-01T00:00:00Z'}]\n"
        )
        config.write_text(pinned + base, "utf-8")
        await reload(pid_file)
        usd = await wait_for_usd(service.url, "450.00")
        config.write_text("rates: {currencies: [US]}\n", "utf-8")
        await reload(pid_file, expected=1)  # `ticker reload` waits for the refusal itself
        still = await poll_strip(service.url, until_complete=False)
        done.set()
        await load
    assert usd == "450.00"
    assert still["rates"][0]["text"] == "450.00"
    assert "reload refused" in service.log()
    assert len(results) > 50
    assert set(results) == {200}


async def reload(pid_file: Path, expected: int = 0) -> None:
    """Run `ticker reload --pid-file F`: 0 when the settings were taken, 1 when refused."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ticker", "reload", "--pid-file", str(pid_file),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await process.wait() == expected


async def wait_for_usd(url: str, text: str) -> str:
    """Poll until USD shows ``text`` (at most five seconds)."""
    for _ in range(50):
        strip = await poll_strip(url, until_complete=False)
        if strip["rates"][0]["text"] == text:
            return text
        await asyncio.sleep(0.1)
    return strip["rates"][0]["text"]
