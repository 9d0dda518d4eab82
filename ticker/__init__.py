"""ticker: official KZT exchange rates and city weather as a news-site header strip.

Usage::

    from ticker import TickerClient

    async with TickerClient("http://127.0.0.1:8080") as client:
        strip = await client.strip(lang="ru")
        print(strip.text)   # usd/kzt 445.99 eur/kzt 486.53 ... · Астана +18+20℃
"""

from ticker._cache import CacheBackend, DiskCache, SourceStatus, Stamp, Store, open_store
from ticker._client import SyncTickerClient, TickerClient
from ticker._config import (
    CacheSettings,
    City,
    EditorialSettings,
    HistorySettings,
    LoggingSettings,
    Pin,
    RatesSettings,
    ServerSettings,
    Settings,
    SourceSettings,
    WeatherSettings,
    WidgetSettings,
    load_settings,
    parse_settings,
)
from ticker._exceptions import (
    BadRequestError,
    ConfigError,
    ServiceError,
    ServiceUnavailable,
    TickerError,
    UpstreamError,
    UpstreamFormatError,
    UpstreamUnavailable,
)
from ticker._models import Attribution, Direction, Rate, RateItem, Strip, Weather, WeatherItem
from ticker._refresh import Refresher, RefreshReport, SourceOutcome, schedule
from ticker._service import create_app
from ticker._strip import RatesHalf, WeatherHalf, build_strip
from ticker._version import __version__
from ticker.sources import RatesSource, SourceSet, WeatherSource, build_sources

__all__ = [
    "Attribution",
    "BadRequestError",
    "CacheBackend",
    "CacheSettings",
    "City",
    "ConfigError",
    "Direction",
    "DiskCache",
    "EditorialSettings",
    "HistorySettings",
    "LoggingSettings",
    "Pin",
    "Rate",
    "RateItem",
    "RatesHalf",
    "RatesSettings",
    "RatesSource",
    "RefreshReport",
    "Refresher",
    "ServerSettings",
    "ServiceError",
    "ServiceUnavailable",
    "Settings",
    "SourceOutcome",
    "SourceSet",
    "SourceSettings",
    "SourceStatus",
    "Stamp",
    "Store",
    "Strip",
    "SyncTickerClient",
    "TickerClient",
    "TickerError",
    "UpstreamError",
    "UpstreamFormatError",
    "UpstreamUnavailable",
    "Weather",
    "WeatherHalf",
    "WeatherItem",
    "WeatherSettings",
    "WeatherSource",
    "WidgetSettings",
    "__version__",
    "build_sources",
    "build_strip",
    "create_app",
    "load_settings",
    "open_store",
    "parse_settings",
    "schedule",
]
