"""Open-Meteo forecast API: current weather, today's range and tomorrow's forecast for a city.

Upstream: ``https://api.open-meteo.com/v1/forecast``, documented at
https://open-meteo.com/en/docs (variables, ``timezone``, units, error bodies).
The project's ``upstream-formats.md`` section 3 records what the responses really hold.

Terms: https://open-meteo.com/en/terms -- free for non-commercial use, no key,
at most 10 000 calls a day (600 a minute and 5 000 an hour by its pricing page).
Licence: https://open-meteo.com/en/license -- the data is CC BY 4.0, and wherever it
is displayed a link must credit it ("Weather data by Open-Meteo.com").
Commercial use needs a paid plan on ``customer-api.open-meteo.com`` and an ``apikey``,
which this adapter does not send.

Every value is asked for in °C and m/s, but the units of the answer are read, not
assumed: an answer in °F, km/h or mph (a proxy's, or an old cache's) is converted,
and a detail in a unit this adapter does not know is left out.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
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
_PERCENT = "%"
_METRES_PER_SECOND = "m/s"
#: The wind units Open-Meteo writes for each ``wind_speed_unit`` (ms, kmh, mph, kn), in m/s.
_WIND_UNITS: Mapping[str, float] = {
    _METRES_PER_SECOND: 1.0,
    "km/h": 1 / 3.6,
    "mp/h": 0.44704,  # sic: Open-Meteo's spelling of mph
    "kn": 1852 / 3600,
}
_ONE_DAY = dt.timedelta(days=1)


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
    # The details are taken as they come and judged by Weather.with_details, so that a
    # bad one (a NaN, a string) costs only itself.  Legacy ``current_weather`` has
    # ``windspeed`` and ``is_day`` only.
    apparent_temperature: Any = None
    relative_humidity_2m: Any = None
    wind_speed_10m: Any = Field(
        default=None, validation_alias=AliasChoices("wind_speed_10m", "windspeed")
    )
    wind_gusts_10m: Any = None
    is_day: Any = None


class _Hourly(_Part):
    time: list[NaiveDatetime] = []
    temperature_2m: list[float | None] = []


class _Daily(_Part):
    time: list[dt.date]
    # Any value: a bad one of tomorrow's costs only tomorrow; today's are checked in use.
    temperature_2m_max: list[Any]
    temperature_2m_min: list[Any]
    weather_code: list[Any] = Field(
        default=[], validation_alias=AliasChoices("weather_code", "weathercode")
    )


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
    """Current weather, today's local min/max and tomorrow's from the Open-Meteo forecast API."""

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
        """Fetch the weather of ``city``, with the days cut in the city's own time zone."""
        params = {
            "latitude": str(city.latitude),
            "longitude": str(city.longitude),
            "current": "temperature_2m,weather_code,apparent_temperature,"
            "relative_humidity_2m,wind_speed_10m,wind_gusts_10m,is_day",
            "daily": "temperature_2m_max,temperature_2m_min,weather_code",
            # Without it the daily buckets are GMT days: wrong before 05:00 in Astana.
            "timezone": city.timezone,
            # Today and tomorrow.
            "forecast_days": "2",
            "temperature_unit": "celsius",
            "wind_speed_unit": "ms",
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
    return Weather.with_details(
        _details(forecast, today),
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
            low, high = _number(low), _number(high)
            if low is None or high is None:
                raise ValueError(
                    f"daily temperature_2m_min/max is null or not a number for {today}"
                )
            return low, high
    raise ValueError(f"daily has no temperature_2m_min/max for {today}")


def _details(forecast: _Forecast, today: dt.date) -> dict[str, Any]:
    """The current details in °C, m/s and %, and tomorrow; None where unknown."""
    current, units = forecast.current, forecast.current_units
    # An absent unit is the one asked for; the legacy block names the wind ``windspeed``.
    wind_unit = units.get("wind_speed_10m") or units.get("windspeed") or _METRES_PER_SECOND
    humidity = _number(current.relative_humidity_2m)
    return {
        "feels_like": _detail_celsius(
            current.apparent_temperature, units.get("apparent_temperature", _CELSIUS)
        ),
        "humidity": humidity if units.get("relative_humidity_2m", _PERCENT) == _PERCENT else None,
        "wind_speed": _speed(current.wind_speed_10m, wind_unit),
        "wind_gust": _speed(
            current.wind_gusts_10m, units.get("wind_gusts_10m", _METRES_PER_SECOND)
        ),
        # 1 or 0, which Weather reads as a bool (and refuses anything else).
        "is_day": current.is_day,
        "tomorrow": _tomorrow(forecast.daily, today + _ONE_DAY, forecast.daily_units),
    }


def _tomorrow(daily: _Daily, day: dt.date, units: Mapping[str, str]) -> dict[str, Any] | None:
    """The daily entry of ``day`` in °C; None if there is none or a value is not usable."""
    for index, date in enumerate(daily.time):
        if date == day:
            low = _detail_celsius(
                _at(daily.temperature_2m_min, index), units.get("temperature_2m_min", _CELSIUS)
            )
            high = _detail_celsius(
                _at(daily.temperature_2m_max, index), units.get("temperature_2m_max", _CELSIUS)
            )
            if low is None or high is None:
                return None
            return {"date": day, "min": low, "max": high, "code": _at(daily.weather_code, index)}
    return None


def _at(values: Sequence[Any], index: int) -> Any:
    """``values[index]``, or None when the list is shorter (a variable not asked for)."""
    return values[index] if index < len(values) else None


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


def _detail_celsius(value: Any, unit: str) -> float | None:
    """A detail's temperature in °C; None if it is not a number or its unit is unknown."""
    number = _number(value)
    if number is None or unit not in {_CELSIUS, _FAHRENHEIT}:
        return None
    return _celsius(number, unit)


def _speed(value: Any, unit: str) -> float | None:
    """A wind speed in m/s, to 0.1 when converted; None if not a number or in an unknown unit."""
    number, scale = _number(value), _WIND_UNITS.get(unit)
    if number is None or scale is None:
        return None
    return number if unit == _METRES_PER_SECOND else round(number * scale, 1)


def _number(value: Any) -> float | None:
    """``value`` as a float if it is a JSON number a float can hold, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None


def _zone(forecast: _Forecast) -> dt.tzinfo:
    """The response's IANA zone, or its fixed UTC offset when the name is not one."""
    if forecast.timezone:
        try:
            return zoneinfo.ZoneInfo(forecast.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return dt.timezone(dt.timedelta(seconds=forecast.utc_offset_seconds))
