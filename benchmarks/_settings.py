"""Settings documents for the benchmark: the reference strip, and the scale case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["LANGUAGES", "reference_settings", "scale_settings", "write_settings"]

LANGUAGES = ["en", "ru", "kk", "kk-Latn", "kk-Arab", "zh", "uz"]

#: Currencies of the scale case: the National Bank publishes about this many.
SCALE_CURRENCIES = (
    "USD", "EUR", "RUB", "CNY", "GBP", "JPY", "CHF", "TRY", "UZS", "KGS",
    "TJS", "AZN", "AMD", "GEL", "BYN", "UAH", "AED", "SAR", "INR", "KRW",
    "HKD", "SGD", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
    "HUF", "MYR", "THB", "BRL", "MXN", "ZAR", "IRR", "KWD", "QAR", "MDL",
)  # fmt: skip
#: Zones of the scale case's cities: each zone has its own "today".
SCALE_ZONES = ("Asia/Almaty", "Asia/Tashkent", "Europe/Moscow", "Asia/Shanghai", "Europe/Berlin")
#: Currencies the National Bank quotes per 100 or 10 units.
_QUANTS = {"UZS": 100, "KRW": 100, "IRR": 1000, "HUF": 10, "AMD": 10, "JPY": 10}


def reference_settings(cache: Path) -> dict[str, Any]:
    """The reference strip, in every language, from static sources.

    ``usd/kzt 445.99 eur/kzt 486.53 rub/kzt 5.78 cny/kzt 64.16 · Astana +18+20℃``
    """
    return {
        "cache": {"path": str(cache)},
        "server": {"host": "127.0.0.1"},
        "languages": LANGUAGES,
        "rates": {
            "currencies": ["USD", "EUR", "RUB", "CNY"],
            "refresh": "1h",
            "sources": [
                {
                    "adapter": "static",
                    "rates": {"USD": "445.99", "EUR": "486.53", "RUB": "5.78", "CNY": "64.16"},
                }
            ],
        },
        "weather": {
            "refresh": "15m",
            "cities": [
                {
                    "id": "astana",
                    "name": {"en": "Astana", "ru": "Астана", "kk": "Астана", "zh": "阿斯塔纳"},
                    "latitude": 51.1694,
                    "longitude": 71.4491,
                    "timezone": "Asia/Almaty",
                }
            ],
            "sources": [
                {
                    "adapter": "static",
                    "cities": {"astana": {"temperature": 19, "min": 18, "max": 20, "code": 2}},
                }
            ],
        },
    }


def scale_settings(cache: Path, *, cities: int, currencies: int) -> dict[str, Any]:
    """``cities`` cities and ``currencies`` currencies in every language, from static sources."""
    if currencies > len(SCALE_CURRENCIES):
        raise ValueError(f"at most {len(SCALE_CURRENCIES)} currencies")
    codes = SCALE_CURRENCIES[:currencies]
    rates = {
        code: {
            "published": f"{100 + 7.31 * index:.2f}",
            "quant": _QUANTS.get(code, 1),
            "change": f"{(index % 5 - 2) * 0.37:+.2f}",
        }
        for index, code in enumerate(codes)
    }
    city_list = [_city(index) for index in range(cities)]
    readings = {
        city["id"]: {"temperature": index % 30 - 10, "min": index % 30 - 12,
                     "max": index % 30 - 8, "code": (0, 2, 3, 61, 71)[index % 5]}
        for index, city in enumerate(city_list)
    }  # fmt: skip
    return {
        "cache": {"path": str(cache)},
        "languages": LANGUAGES,
        "rates": {
            "currencies": list(codes),
            "sources": [{"adapter": "static", "rates": rates}],
        },
        "weather": {
            "cities": city_list,
            "sources": [{"adapter": "static", "cities": readings}],
        },
    }


def _city(index: int) -> dict[str, Any]:
    return {
        "id": f"city-{index:03d}",
        "name": {
            "en": f"City {index}",
            "ru": f"Город {index}",
            "kk": f"Қала {index}",
            "zh": f"城市{index}",
            "uz": f"Шаҳар {index}",
        },
        "latitude": round(40 + (index % 150) * 0.1, 4),
        "longitude": round(50 + (index % 300) * 0.1, 4),
        "timezone": SCALE_ZONES[index % len(SCALE_ZONES)],
    }


def write_settings(path: Path, document: dict[str, Any]) -> Path:
    """Write a settings document as YAML; ``path``."""
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path
