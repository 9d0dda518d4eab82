"""Open-Meteo forecast API: current temperature and today's range for a city.

Upstream: ``https://api.open-meteo.com/v1/forecast``, documented at
https://open-meteo.com/en/docs (variables, ``timezone``, units, error bodies).
The project's ``upstream-formats.md`` section 3 records what the responses really hold.

Terms: https://open-meteo.com/en/terms -- free for non-commercial use, no key,
at most 10 000 calls a day (600 a minute and 5 000 an hour by its pricing page).
Licence: https://open-meteo.com/en/license -- the data is CC BY 4.0, and wherever it
is displayed a link must credit it ("Weather data by Open-Meteo.com").
Commercial use needs a paid plan on ``customer-api.open-meteo.com`` and an ``apikey``,
which this adapter does not send.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from typing import Any, ClassVar

import aiohttp
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    ValidationError,
)

from ticker import City, SourceSettings, UpstreamFormatError, Weather
from ticker.sources import Fetcher, NoOptions, date_problem, describe, join_url, json_object

__all__ = ["DEFAULT_URL", "FORECAST_PATH", "OpenMeteoWeather"]

DEFAULT_URL = "https://api.open-meteo.com/"
FORECAST_PATH = "v1/forecast"

_CELSIUS = "°C"
# No zone is further from UTC than 14 hours (Kiribati); ISO 8601 allows up to 18.
_MAX_UTC_OFFSET = 18 * 3600
_FAHRENHEIT = "°F"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)


class _Current(_Part):
    # Times are local wall-clock times in the response's timezone, without an offset.
    time: NaiveDatetime
    # ``current_weather`` (legacy) spells them ``temperature`` and ``weathercode``.
    temperature_2m: float | None = Field(
        default=None, validation_alias=AliasChoices("temperature_2m", "temperature")
    )
    weather_code: int | None = Field(
        default=None, validation_alias=AliasChoices("weather_code", "weathercode")
    )


class _Hourly(_Part):
    time: list[NaiveDatetime] = []
    temperature_2m: list[float | None] = []


class _Daily(_Part):
    time: list[dt.date]
    temperature_2m_max: list[float | None]
    temperature_2m_min: list[float | None]


class _Forecast(_Part):
    timezone: str | None = None
    utc_offset_seconds: int = Field(ge=-_MAX_UTC_OFFSET, le=_MAX_UTC_OFFSET)
    current: _Current = Field(validation_alias=AliasChoices("current", "current_weather"))
    current_units: dict[str, str] = Field(
        default={}, validation_alias=AliasChoices("current_units", "current_weather_units")
    )
    hourly: _Hourly | None = None
    hourly_units: dict[str, str] = {}
    daily: _Daily
    daily_units: dict[str, str] = {}


class OpenMeteoWeather:
    """Current weather and today's local min/max from the Open-Meteo forecast API."""

    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = (
        "Weather data by Open-Meteo.com",
        "https://open-meteo.com/",
    )
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``).
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Данные о погоде: Open-Meteo.com",
        "kk": "Ауа райы деректері: Open-Meteo.com",
        "zh": "天气数据：Open-Meteo.com",
        "uz": "Об-ҳаво маълумотлари: Open-Meteo.com",
        "uz-Latn": "Ob-havo maʼlumotlari: Open-Meteo.com",
        "ky": "Аба ырайы маалыматтары: Open-Meteo.com",
        "tg": "Маълумоти обу ҳаво: Open-Meteo.com",
    }

    def __init__(self, settings: SourceSettings) -> None:
        NoOptions.model_validate(settings.options)
        self.name = settings.label
        self._base_url = str(settings.url) if settings.url else None
        self._http = Fetcher.for_source(settings)

    async def fetch(self, session: aiohttp.ClientSession, city: City) -> Weather:
        """Fetch the weather of ``city``, with the day cut in the city's own time zone."""
        params = {
            "latitude": str(city.latitude),
            "longitude": str(city.longitude),
            "current": "temperature_2m,weather_code",
            "daily": "temperature_2m_max,temperature_2m_min",
            # Without it the daily buckets are GMT days: wrong before 05:00 in Astana.
            "timezone": city.timezone,
            "forecast_days": "1",
            "temperature_unit": "celsius",
        }
        url = join_url(self._base_url, DEFAULT_URL, FORECAST_PATH)
        body = await self._http.get(session, url, params=params)
        return self.parse(body, city=city, fetched_at=dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, city: City, fetched_at: dt.datetime) -> Weather:
        """The weather of ``city`` in a forecast response; the day is that of ``current.time``."""
        document = self._document(body)
        try:
            return _weather(_Forecast.model_validate(document), city, self.name, fetched_at)
        except ValidationError as exc:
            raise UpstreamFormatError(self.name, describe(exc)) from exc
        except ValueError as exc:
            raise UpstreamFormatError(self.name, str(exc)) from exc
        # OverflowError: a time at the edge of the calendar moved into another zone.
        except ArithmeticError as exc:
            raise UpstreamFormatError(self.name, f"a time beyond the calendar: {exc}") from exc

    def _document(self, body: bytes) -> dict[str, Any]:
        document = json_object(body, self.name)
        # Documented error body (sent with HTTP 400): {"error": true, "reason": "..."}.
        if document.get("error") is True:
            reason = document.get("reason", "no reason given")
            raise UpstreamFormatError(self.name, f"Open-Meteo refused the request: {reason}")
        return document


def _weather(forecast: _Forecast, city: City, source: str, fetched_at: dt.datetime) -> Weather:
    current = forecast.current
    today = current.time.date()
    problem = date_problem(today, today=fetched_at.astimezone(city.zone).date())
    if problem is not None:
        raise ValueError(f"current.time: {problem}")
    low, high = _day_range(forecast.daily, today)
    units = forecast.daily_units
    return Weather(
        city=city.id,
        temperature=_current_temperature(forecast),
        min=_celsius(low, units.get("temperature_2m_min", _CELSIUS)),
        max=_celsius(high, units.get("temperature_2m_max", _CELSIUS)),
        code=current.weather_code,
        date=today,
        observed_at=current.time.replace(tzinfo=_zone(forecast)),
        source=source,
        fetched_at=fetched_at,
    )


def _day_range(daily: _Daily, today: dt.date) -> tuple[float, float]:
    """Today's (min, max); ``past_days`` puts earlier days before it."""
    days = zip(daily.time, daily.temperature_2m_min, daily.temperature_2m_max, strict=False)
    for day, low, high in days:
        if day == today:
            if low is None or high is None:
                raise ValueError(f"daily temperature_2m_min/max is null for {today}")
            return low, high
    raise ValueError(f"daily has no temperature_2m_min/max for {today}")


def _current_temperature(forecast: _Forecast) -> float:
    current = forecast.current
    units = forecast.current_units
    if current.temperature_2m is not None:
        unit = units.get("temperature_2m") or units.get("temperature") or _CELSIUS
        return _celsius(current.temperature_2m, unit)
    # A request that asked temperature_2m only hourly still has the current hour's value.
    hourly = forecast.hourly or _Hourly()
    for time, value in zip(hourly.time, hourly.temperature_2m, strict=False):
        if time == current.time and value is not None:
            return _celsius(value, forecast.hourly_units.get("temperature_2m", _CELSIUS))
    raise ValueError(f"no current temperature: current.temperature_2m is missing at {current.time}")


def _celsius(value: float, unit: str) -> float:
    if unit == _CELSIUS:
        return value
    if unit == _FAHRENHEIT:
        return round((value - 32) * 5 / 9, 1)
    raise ValueError(f"unknown temperature unit {unit!r}")


def _zone(forecast: _Forecast) -> dt.tzinfo:
    """The response's IANA zone, or its fixed UTC offset when the name is not one."""
    if forecast.timezone:
        try:
            return zoneinfo.ZoneInfo(forecast.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return dt.timezone(dt.timedelta(seconds=forecast.utc_offset_seconds))
