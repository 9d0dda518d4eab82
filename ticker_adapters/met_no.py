"""MET Norway Locationforecast 2.0 ``compact``: current weather, today's and tomorrow's range.

Upstream: ``https://api.met.no/weatherapi/locationforecast/2.0/compact``, documented at
https://api.met.no/weatherapi/locationforecast/2.0/documentation and
https://docs.api.met.no/doc/locationforecast/datamodel (fields, units, periods).
The project's ``upstream-formats.md`` section 4 records what the responses really hold.

Terms: https://api.met.no/doc/TermsOfService -- send a User-Agent naming the site and a
contact (a missing or generic one gets 403, a faked one a ban), so this adapter refuses
to start without ``user_agent``; at most 4 decimals in coordinates; no request before
``Expires`` and ``If-Modified-Since`` with the last ``Last-Modified`` (the Fetcher does
both); more than 20 requests a second needs an agreement.
Licence: https://api.met.no/doc/License -- CC BY 4.0 and NLOD: credit MET Norway where
the data is shown, and do not call the service "Yr" or suggest MET runs it.

``compact`` has no daily min/max, so the range is the min/max of the hourly
``instant.air_temperature`` over the entries of the city's local today.  The forecast
starts at the current hour: hours of today already past are not in it, and late in the
evening the range covers only what is left of the day.  Tomorrow's range is built the
same way over the entries of the next local day (hourly at first, then 6-hourly), and
its code is the most severe (the highest) of the codes of their symbols, as Open-Meteo's
daily ``weather_code`` is.

The current details are those of the first entry's ``instant``: ``wind_speed``,
``wind_speed_of_gust`` (where MET gives it) and ``relative_humidity``, each in the unit
``meta.units`` names (a detail in another unit is left out); ``compact`` has no apparent
temperature.  Whether it is daytime comes from the suffix of the symbol that gives the
code: ``_day``, or ``_night``/``_polartwilight`` (the sun at or below the horizon).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import aiohttp
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from ticker import City, ConfigError, SourceSettings, UpstreamFormatError, Weather
from ticker.sources import Fetcher, NoOptions, date_problem, describe, join_url, json_object
from ticker_adapters._wmo import MET_SYMBOLS

__all__ = ["DEFAULT_URL", "FORECAST_PATH", "MetNoWeather"]

DEFAULT_URL = "https://api.met.no/weatherapi/"
FORECAST_PATH = "locationforecast/2.0/compact"

#: More decimals than this can be answered with 403 (terms of service).
COORDINATE_DECIMALS = 4

_USER_AGENT_REQUIRED = (
    "required by MET Norway's terms: name your site and a contact, "
    "e.g. 'NewsSite/1.0 ops@news.example'"
)
_CELSIUS = "celsius"
_METRES_PER_SECOND = "m/s"
_PERCENT = "%"
# Symbols differ by light only in their suffix: clearsky_day, fair_night, rain_polartwilight.
_VARIANT = re.compile(r"_(day|night|polartwilight)$")
#: Whether each suffix says it is daytime: in polar twilight the sun stays at or below the
#: horizon (https://api.met.no/weatherapi/weathericon/2.0/documentation).
_DAYTIME: Mapping[str, bool] = {"day": True, "night": False, "polartwilight": False}
_ONE_DAY = dt.timedelta(days=1)


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)


class _Summary(_Part):
    symbol_code: str


class _Period(_Part):
    summary: _Summary | None = None


class _Details(_Part):
    air_temperature: float
    # Taken as they come and judged by Weather.with_details: a bad one costs only itself.
    wind_speed: Any = None
    wind_speed_of_gust: Any = None
    relative_humidity: Any = None


class _Instant(_Part):
    details: _Details


class _Data(_Part):
    instant: _Instant
    # Every period is optional: the 6-hourly tail has no next_1_hours, the last entry none.
    next_1_hours: _Period | None = None
    next_6_hours: _Period | None = None
    next_12_hours: _Period | None = None


class _Entry(_Part):
    time: AwareDatetime
    data: _Data


class _Units(_Part):
    air_temperature: str
    wind_speed: Any = None
    wind_speed_of_gust: Any = None
    relative_humidity: Any = None


class _Meta(_Part):
    units: _Units


class _Properties(_Part):
    meta: _Meta
    timeseries: list[_Entry] = Field(min_length=1)


class _Forecast(_Part):
    properties: _Properties


class MetNoWeather:
    """Current weather, the rest of today's local min/max and tomorrow's from MET Norway."""

    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = (
        "Weather data from MET Norway (CC BY 4.0)",
        "https://www.met.no/en",
    )
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``).
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Данные о погоде: MET Norway (CC BY 4.0)",
        "kk": "Ауа райы деректері: MET Norway (CC BY 4.0)",
        "zh": "天气数据：MET Norway（CC BY 4.0）",
        "uz": "Об-ҳаво маълумотлари: MET Norway (CC BY 4.0)",
        "uz-Latn": "Ob-havo maʼlumotlari: MET Norway (CC BY 4.0)",
        "ky": "Аба ырайы маалыматтары: MET Norway (CC BY 4.0)",
        "tg": "Маълумоти обу ҳаво: MET Norway (CC BY 4.0)",
    }

    def __init__(self, settings: SourceSettings) -> None:
        NoOptions.model_validate(settings.options)
        if settings.user_agent is None:
            raise ConfigError("met-no", [("user_agent", _USER_AGENT_REQUIRED)])
        self.name = settings.label
        self._base_url = str(settings.url) if settings.url else None
        self._http = Fetcher.for_source(settings)

    async def fetch(self, session: aiohttp.ClientSession, city: City) -> Weather:
        """Fetch the forecast at ``city``'s coordinates; the Fetcher honours Expires."""
        params = {"lat": _coordinate(city.latitude), "lon": _coordinate(city.longitude)}
        url = join_url(self._base_url, DEFAULT_URL, FORECAST_PATH)
        body = await self._http.get(session, url, params=params)
        return self.parse(body, city=city, fetched_at=dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, city: City, fetched_at: dt.datetime) -> Weather:
        """The weather of ``city`` in a forecast; today is the first entry's local date."""
        document = json_object(body, self.name)
        try:
            return _weather(_Forecast.model_validate(document), city, self.name, fetched_at)
        except ValidationError as exc:
            raise UpstreamFormatError(self.name, describe(exc)) from exc
        except ValueError as exc:
            raise UpstreamFormatError(self.name, str(exc)) from exc
        # OverflowError: a time at the edge of the calendar moved into another zone.
        except ArithmeticError as exc:
            raise UpstreamFormatError(self.name, f"a time beyond the calendar: {exc}") from exc


def _coordinate(value: float) -> str:
    """A coordinate with at most 4 decimals and no trailing zeros (``+ 0.0`` drops ``-0``)."""
    text = f"{round(value, COORDINATE_DECIMALS) + 0.0:.{COORDINATE_DECIMALS}f}"
    return text.rstrip("0").rstrip(".")


def _weather(forecast: _Forecast, city: City, source: str, fetched_at: dt.datetime) -> Weather:
    properties = forecast.properties
    unit = properties.meta.units.air_temperature
    if unit != _CELSIUS:
        raise ValueError(f"air_temperature is in {unit!r}, expected {_CELSIUS!r}")
    # The first entry is the current hour (earlier than meta.updated_at).
    first = properties.timeseries[0]
    today = first.time.astimezone(city.zone).date()
    problem = date_problem(today, today=fetched_at.astimezone(city.zone).date())
    if problem is not None:
        raise ValueError(f"timeseries[0].time: {problem}")
    entries = _local_day(properties.timeseries, today, city)
    temperatures = [entry.data.instant.details.air_temperature for entry in entries]
    return Weather.with_details(
        _details(first.data, properties.meta.units)
        | {"tomorrow": _tomorrow(properties.timeseries, today + _ONE_DAY, city)},
        city=city.id,
        temperature=first.data.instant.details.air_temperature,
        min=min(temperatures),
        max=max(temperatures),
        code=_code(first.data),
        date=today,
        observed_at=first.time,
        source=source,
        fetched_at=fetched_at,
    )


def _local_day(timeseries: list[_Entry], day: dt.date, city: City) -> list[_Entry]:
    """The entries whose time falls on ``day`` in the city's zone."""
    return [entry for entry in timeseries if entry.time.astimezone(city.zone).date() == day]


def _details(data: _Data, units: _Units) -> dict[str, Any]:
    """The current wind, gust, humidity and daylight; None where unknown or in another unit."""
    details = data.instant.details
    return {
        "wind_speed": _in_unit(details.wind_speed, units.wind_speed, _METRES_PER_SECOND),
        "wind_gust": _in_unit(
            details.wind_speed_of_gust, units.wind_speed_of_gust, _METRES_PER_SECOND
        ),
        "humidity": _in_unit(details.relative_humidity, units.relative_humidity, _PERCENT),
        "is_day": _is_day(data),
    }


def _in_unit(value: Any, unit: Any, expected: str) -> Any:
    """``value`` if its unit is ``expected`` (or not named: the documented unit), else None."""
    return value if unit is None or unit == expected else None


def _tomorrow(timeseries: list[_Entry], day: dt.date, city: City) -> dict[str, Any] | None:
    """The range of ``day``'s entries and the highest code of their symbols; None if none."""
    entries = _local_day(timeseries, day, city)
    if not entries:
        return None
    temperatures = [entry.data.instant.details.air_temperature for entry in entries]
    codes = [code for entry in entries if (code := _code(entry.data)) is not None]
    return {
        "date": day,
        "min": min(temperatures),
        "max": max(temperatures),
        "code": max(codes, default=None),
    }


def _symbol(data: _Data) -> str | None:
    """The symbol of the shortest period ahead that has one."""
    for period in (data.next_1_hours, data.next_6_hours, data.next_12_hours):
        if period is not None and period.summary is not None:
            return period.summary.symbol_code
    return None


def _code(data: _Data) -> int | None:
    """The WMO code of the shortest period ahead that has a symbol; None if unknown."""
    symbol = _symbol(data)
    return None if symbol is None else MET_SYMBOLS.get(_VARIANT.sub("", symbol))


def _is_day(data: _Data) -> bool | None:
    """Whether that symbol is a daytime variant; None for a symbol without one (``cloudy``)."""
    variant = _VARIANT.search(_symbol(data) or "")
    return None if variant is None else _DAYTIME[variant.group(1)]
