"""From cached values to the strip a reader sees: labels, display text and staleness.

The display rules follow the National Bank and the reference strip
(``usd/kzt 445.99 ... · Astana +18+20℃``): rates keep the published digits (at
least two decimals) and are shown per their quant (``100 uzs/kzt 3.72``);
temperatures are whole degrees rounded half away from zero, signed, with ``0``
never signed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

from ticker._config import City, Settings
from ticker._models import Rate, RateItem, Strip, UtcDatetime, Weather, WeatherItem

__all__ = [
    "MISSING_TEXT",
    "RatesHalf",
    "WeatherHalf",
    "build_strip",
    "format_published",
    "format_temperature",
    "rate_items",
    "rate_label",
    "rates_text",
    "weather_items",
    "weather_text",
    "weather_value_text",
]

#: Shown in place of a value the cache does not hold.
MISSING_TEXT = "—"
SEPARATOR = " · "
_CENTS = Decimal("0.01")


class RatesHalf(BaseModel):
    """The rates half of the strip (``GET /v1/rates``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lang: str
    rates: list[RateItem]
    text: str = Field(description="The rates part of the strip as one line.")
    generated_at: UtcDatetime


class WeatherHalf(BaseModel):
    """The weather half of the strip (``GET /v1/weather``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lang: str
    weather: list[WeatherItem]
    text: str = Field(description="The weather part of the strip as one line.")
    generated_at: UtcDatetime


def format_published(value: Decimal, *, derived: bool = False) -> str:
    """The published digits with at least two decimals: ``258.1`` -> ``258.10``.

    A derived (cross) rate has no published digits; it is rounded to two decimals.
    """
    exponent = value.as_tuple().exponent
    if derived or (isinstance(exponent, int) and exponent > -2):
        value = value.quantize(_CENTS, rounding=ROUND_HALF_UP)
    return f"{value:f}"


def format_temperature(celsius: float) -> str:
    """Whole degrees, half away from zero, signed: ``18.5`` -> ``+19``, ``-0.4`` -> ``0``."""
    # repr() gives the shortest decimal that round-trips, so 18.5 stays exactly 18.5.
    whole = int(Decimal(repr(celsius)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"{whole:+d}" if whole else "0"


def weather_value_text(reading: Weather) -> str:
    """``+18+20℃`` (today's min and max), or ``+19℃`` when a source gives no range."""
    if reading.min is None or reading.max is None:
        return f"{format_temperature(reading.temperature)}℃"
    return f"{format_temperature(reading.min)}{format_temperature(reading.max)}℃"


def rate_label(code: str, quant: int | None) -> str:
    """``usd/kzt``, or ``100 uzs/kzt`` for a currency quoted per 100 units."""
    pair = f"{code.lower()}/kzt"
    return f"{quant} {pair}" if quant and quant != 1 else pair


def _age(fetched_at: dt.datetime, now: dt.datetime) -> int:
    return max(0, int((now - fetched_at).total_seconds()))


def _is_stale(age: int, refresh: dt.timedelta) -> bool:
    # One missed refresh is tolerated (jitter, a slow upstream); two are not.
    return age > 2 * refresh.total_seconds()


def rate_items(
    codes: Sequence[str], cached: Mapping[str, Rate], *, refresh: dt.timedelta, now: dt.datetime
) -> list[RateItem]:
    """One item per configured code, in configured order, missing ones marked."""
    items = []
    for code in codes:
        rate = cached.get(code)
        if rate is None:
            items.append(
                RateItem(code=code, label=rate_label(code, 1), text=MISSING_TEXT, missing=True)
            )
            continue
        age = _age(rate.fetched_at, now)
        items.append(
            RateItem(
                **rate.model_dump(),
                label=rate_label(code, rate.quant),
                text=format_published(rate.published, derived=rate.derived),
                age=age,
                stale=_is_stale(age, refresh),
            )
        )
    return items


def weather_items(
    cities: Sequence[City],
    cached: Mapping[str, Weather],
    *,
    lang: str,
    refresh: dt.timedelta,
    now: dt.datetime,
) -> list[WeatherItem]:
    """One item per configured city, in configured order, missing ones marked."""
    items = []
    for city in cities:
        name = city.display_name(lang)
        reading = cached.get(city.id)
        if reading is None:
            items.append(
                WeatherItem(
                    city=city.id, name=name, text=MISSING_TEXT, missing=True, timezone=city.timezone
                )
            )
            continue
        age = _age(reading.fetched_at, now)
        items.append(
            WeatherItem(
                **reading.model_dump(),
                name=name,
                timezone=city.timezone,
                text=weather_value_text(reading),
                age=age,
                stale=_is_stale(age, refresh),
            )
        )
    return items


def rates_text(items: Sequence[RateItem]) -> str:
    """``usd/kzt 445.99 eur/kzt 486.53``."""
    return " ".join(f"{item.label} {item.text}" for item in items)


def weather_text(items: Sequence[WeatherItem]) -> str:
    """``Astana +18+20℃``."""
    return " ".join(f"{item.name} {item.text}" for item in items)


def build_strip(
    settings: Settings,
    rates: Mapping[str, Rate],
    weather: Mapping[str, Weather],
    *,
    lang: str,
    now: dt.datetime,
) -> Strip:
    """The whole strip in ``lang`` from what the cache holds at ``now``."""
    rate_list = rate_items(
        settings.rates.currencies, rates, refresh=settings.rates.refresh, now=now
    )
    weather_list = weather_items(
        settings.weather.cities, weather, lang=lang, refresh=settings.weather.refresh, now=now
    )
    text = SEPARATOR.join(
        part for part in (rates_text(rate_list), weather_text(weather_list)) if part
    )
    return Strip(lang=lang, rates=rate_list, weather=weather_list, text=text, generated_at=now)
