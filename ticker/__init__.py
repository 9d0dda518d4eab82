"""ticker: official exchange rates and city weather as a news-site header strip.

Usage::

    import asyncio

    from ticker import TickerClient

    async def main() -> None:
        async with TickerClient("http://127.0.0.1:8080") as client:
            strip = await client.strip(lang="ru")
            print(strip.text)   # usd/kzt 445.99 eur/kzt 486.53 ... · Астана +18+20℃

    asyncio.run(main())

Every public name is imported on first use (PEP 562), so a program that only
needs the client imports the client and its wire models, not the service's
scheduler, cache, locale data or metrics.
"""

import importlib as _importlib
import typing as _typing

from ticker._version import __version__

if _typing.TYPE_CHECKING:
    from ticker._client import SyncTickerClient, TickerClient
    from ticker._config import (
        CacheSettings,
        City,
        EditorialSettings,
        HistorySettings,
        ImagesSettings,
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
    from ticker._data.cache import (
        CacheBackend,
        DiskCache,
        SourceStatus,
        Stamp,
        Store,
        open_store,
    )
    from ticker._data.refresh import Refresher, RefreshReport, SourceOutcome
    from ticker._data.schedule import schedule
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
    from ticker._models import Attribution, DayForecast, Direction, Rate, Weather
    from ticker._serving.app import create_app
    from ticker._strip.build import build_strip
    from ticker._wire import (
        AuditAnswer,
        AuditItem,
        Conversion,
        HistoryAnswer,
        HistoryPoint,
        RateItem,
        RatesHalf,
        ReadyBody,
        ReadyItem,
        ReasonCode,
        SourceReport,
        Strip,
        Tomorrow,
        WeatherHalf,
        WeatherItem,
    )
    from ticker.sources import RatesSource, SourceSet, WeatherSource, build_sources

#: Where each public name lives.
_HOMES = {
    "ticker._client": ("SyncTickerClient", "TickerClient"),
    "ticker._config": (
        "CacheSettings", "City", "EditorialSettings", "HistorySettings", "ImagesSettings",
        "LoggingSettings",
        "Pin", "RatesSettings", "ServerSettings", "Settings", "SourceSettings",
        "WeatherSettings", "WidgetSettings", "load_settings", "parse_settings",
    ),
    "ticker._data.cache": (
        "CacheBackend", "DiskCache", "SourceStatus", "Stamp", "Store", "open_store",
    ),
    "ticker._data.refresh": ("RefreshReport", "Refresher", "SourceOutcome"),
    "ticker._data.schedule": ("schedule",),
    "ticker._exceptions": (
        "BadRequestError", "ConfigError", "ServiceError", "ServiceUnavailable", "TickerError",
        "UpstreamError", "UpstreamFormatError", "UpstreamUnavailable",
    ),
    "ticker._models": ("Attribution", "DayForecast", "Direction", "Rate", "Weather"),
    "ticker._serving.app": ("create_app",),
    "ticker._strip.build": ("build_strip",),
    "ticker._wire": (
        "AuditAnswer", "AuditItem", "Conversion", "HistoryAnswer", "HistoryPoint", "RateItem",
        "RatesHalf", "ReadyBody", "ReadyItem", "ReasonCode", "SourceReport", "Strip",
        "Tomorrow", "WeatherHalf", "WeatherItem",
    ),
    "ticker.sources": ("RatesSource", "SourceSet", "WeatherSource", "build_sources"),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "Attribution",
    "AuditAnswer",
    "AuditItem",
    "BadRequestError",
    "CacheBackend",
    "CacheSettings",
    "City",
    "ConfigError",
    "Conversion",
    "DayForecast",
    "Direction",
    "DiskCache",
    "EditorialSettings",
    "HistoryAnswer",
    "HistoryPoint",
    "HistorySettings",
    "ImagesSettings",
    "LoggingSettings",
    "Pin",
    "Rate",
    "RateItem",
    "RatesHalf",
    "RatesSettings",
    "RatesSource",
    "ReadyBody",
    "ReadyItem",
    "ReasonCode",
    "RefreshReport",
    "Refresher",
    "ServerSettings",
    "ServiceError",
    "ServiceUnavailable",
    "Settings",
    "SourceOutcome",
    "SourceReport",
    "SourceSet",
    "SourceSettings",
    "SourceStatus",
    "Stamp",
    "Store",
    "Strip",
    "SyncTickerClient",
    "TickerClient",
    "TickerError",
    "Tomorrow",
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


def __getattr__(name: str) -> _typing.Any:
    """Import a public name from its home on first use, then keep it here."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'ticker' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
