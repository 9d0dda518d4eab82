"""Shared fixtures: settings written as YAML, a disk cache per test, a frozen clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from ticker import DiskCache, Rate, Settings, Store, Weather, parse_settings
from ticker._models import Direction

FIXTURES = Path(__file__).parent / "fixtures"

#: 2026-11-28 15:00 in Astana.
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)

SETTINGS_YAML = """
languages: [en, ru, kk, zh]
rates:
  currencies: [USD, EUR, RUB, CNY]
  refresh: 1h
  sources: [{adapter: static, rates: {USD: "445.99"}}]
weather:
  refresh: 15m
  cities:
    - id: astana
      name: {en: Astana, ru: Астана, kk: Астана, zh: 阿斯塔纳}
      latitude: 51.1694
      longitude: 71.4491
      timezone: Asia/Almaty
  sources: [{adapter: static, cities: {astana: {temperature: 19, min: 18, max: 20}}}]
"""


def make_settings(text: str = SETTINGS_YAML) -> Settings:
    """Settings from YAML text."""
    return parse_settings(text, source="test.yaml")


def rate(
    code: str,
    published: str,
    *,
    quant: int = 1,
    change: str | None = "0.00",
    direction: Direction = Direction.FLAT,
    source: str = "nbk",
    fetched_at: dt.datetime = NOW,
    date: dt.date = dt.date(2026, 11, 28),
    base: str = "KZT",
) -> Rate:
    """A rate as the National Bank would publish it (or another bank, in its ``base``)."""
    return Rate.from_published(
        code=code,
        base=base,
        published=Decimal(published),
        quant=quant,
        change=None if change is None else Decimal(change),
        direction=direction,
        date=date,
        source=source,
        fetched_at=fetched_at,
    )


def weather(
    city: str = "astana",
    *,
    temperature: float = 19.2,
    low: float = 17.6,
    high: float = 19.5,
    code: int | None = 2,
    source: str = "open-meteo",
    fetched_at: dt.datetime = NOW,
) -> Weather:
    """A weather reading; the defaults show as ``+18+20℃``."""
    return Weather(
        city=city,
        temperature=temperature,
        min=low,
        max=high,
        code=code,
        date=dt.date(2026, 11, 28),
        observed_at=fetched_at,
        source=source,
        fetched_at=fetched_at,
    )


#: The reference strip's rates.
REFERENCE_RATES = [
    rate("USD", "445.99", change="+1.02", direction=Direction.UP),
    rate("EUR", "486.53", change="-0.86", direction=Direction.DOWN),
    rate("RUB", "5.78", change="0.00"),
    rate("CNY", "64.16", change="+0.11", direction=Direction.UP),
]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """One HTTP session, as the service owns one."""
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
def settings() -> Settings:
    """The reference deployment: four currencies, Astana, four languages."""
    return make_settings()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty disk cache of this test's own."""
    opened = Store(DiskCache(tmp_path / "cache"))
    yield opened
    opened.close()


@pytest.fixture
def filled_store(store: Store) -> Store:
    """A cache holding the reference strip's values."""
    store.put_rates(REFERENCE_RATES)
    store.put_weather([weather()])
    return store
