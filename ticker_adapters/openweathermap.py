"""OpenWeatherMap current weather: the temperature and condition now, without a day range.

Upstream: ``https://api.openweathermap.org/data/2.5/weather``, documented at
https://openweathermap.org/current (parameters, ``units``, fields) and
https://openweathermap.org/weather-conditions (the condition ids in ``weather[].id``).
The project's ``upstream-formats.md`` section 5 records what the responses really hold.

Terms: https://openweathermap.org/price -- an API key is needed (sent as ``appid``);
each plan limits calls per minute and per month; the data is licensed CC BY-SA 4.0 and
ODbL, so credit OpenWeather where it is shown.  The key is read from the environment
variable named by ``api_key_env`` and never appears in a message.

``main.temp_min``/``temp_max`` of *current* weather are, by OWM's docs, the lowest and
highest temperature observed right now across a large city's area, not the day's range,
so this adapter gives no min/max, and the current-weather endpoint has no forecast, so
no tomorrow either.  Temperatures are °C and speeds m/s only because every request sends
``units=metric``: without it temperatures are Kelvin, which the physical bounds of
:class:`ticker.Weather` refuse (an apparent temperature in Kelvin is left out).

The details are ``main.feels_like``, ``main.humidity`` (%), ``wind.speed`` and
``wind.gust`` (optional in OWM's answers); whether it is daytime comes from the
``d``/``n`` suffix of ``weather[0].icon``, or else from ``sys.sunrise``/``sys.sunset``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any, ClassVar

import aiohttp
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from ticker import City, ConfigError, SourceSettings, UpstreamFormatError, Weather
from ticker.sources import Fetcher, NoOptions, date_problem, describe, join_url, json_object
from ticker_adapters._wmo import OWM_CONDITIONS

__all__ = ["CURRENT_PATH", "DEFAULT_URL", "OpenWeatherMapWeather"]

DEFAULT_URL = "https://api.openweathermap.org/"
CURRENT_PATH = "data/2.5/weather"

_API_KEY_REQUIRED = (
    "required: the name of the environment variable holding your OpenWeatherMap API key"
)
# ``cod`` is the int 200 in a good body, but a string ("404") in some error bodies.
_OK = "200"


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)


class _Condition(_Part):
    id: int
    # Details are taken as they come: a bad one costs only itself (Weather.with_details).
    icon: Any = None


class _Main(_Part):
    temp: float
    feels_like: Any = None
    humidity: Any = None


class _Wind(_Part):
    speed: Any = None
    gust: Any = None


class _Sun(_Part):
    # Unix times, UTC, of the day's sunrise and sunset; absent in polar day and night.
    sunrise: Any = None
    sunset: Any = None


class _Current(_Part):
    # ``dt`` is Unix time, UTC.
    observed_at: AwareDatetime = Field(validation_alias="dt")
    main: _Main
    weather: list[_Condition] = []
    wind: _Wind | None = None
    sys: _Sun | None = None


class OpenWeatherMapWeather:
    """Current temperature and condition from OpenWeatherMap; min and max are None."""

    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = (
        "Weather data from OpenWeather",
        "https://openweathermap.org/",
    )
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``).
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Данные о погоде: OpenWeather",
        "kk": "Ауа райы деректері: OpenWeather",
        "zh": "天气数据：OpenWeather",
        "uz": "Об-ҳаво маълумотлари: OpenWeather",
        "uz-Latn": "Ob-havo maʼlumotlari: OpenWeather",
        "ky": "Аба ырайы маалыматтары: OpenWeather",
        "tg": "Маълумоти обу ҳаво: OpenWeather",
    }

    def __init__(self, settings: SourceSettings) -> None:
        NoOptions.model_validate(settings.options)
        self.name = settings.label
        self._base_url = str(settings.url) if settings.url else None
        self._key = SecretStr(_api_key(settings.api_key_env))
        self._http = Fetcher.for_source(settings, secrets=[self._key.get_secret_value()])

    async def fetch(self, session: aiohttp.ClientSession, city: City) -> Weather:
        """Fetch the current weather at ``city``'s coordinates, in °C."""
        params = {
            "lat": str(city.latitude),
            "lon": str(city.longitude),
            "units": "metric",
            "appid": self._key.get_secret_value(),
        }
        url = join_url(self._base_url, DEFAULT_URL, CURRENT_PATH)
        body = await self._http.get(session, url, params=params)
        return self.parse(body, city=city, fetched_at=dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, city: City, fetched_at: dt.datetime) -> Weather:
        """The weather of ``city`` in a current-weather body; today is ``dt``'s local date."""
        document = self._document(body)
        try:
            return _weather(_Current.model_validate(document), city, self.name, fetched_at)
        except ValidationError as exc:
            raise UpstreamFormatError(self.name, describe(exc)) from exc
        except ValueError as exc:
            raise UpstreamFormatError(self.name, str(exc)) from exc
        # OverflowError: a time at the edge of the calendar moved into the city's zone.
        except ArithmeticError as exc:
            raise UpstreamFormatError(self.name, f"a time beyond the calendar: {exc}") from exc

    def _document(self, body: bytes) -> dict[str, Any]:
        document = json_object(body, self.name)
        self._check_cod(document)
        return document

    def _check_cod(self, document: dict[str, Any]) -> None:
        """Refuse an error body, even one sent with HTTP 200."""
        cod = document.get("cod")
        if str(cod) == _OK:
            return
        # The message is upstream text: make sure it cannot carry our key on.
        message = str(document.get("message", "no message"))
        message = message.replace(self._key.get_secret_value(), "***")
        raise UpstreamFormatError(self.name, f"OpenWeatherMap answered cod {cod!r}: {message}")


def _api_key(variable: str | None) -> str:
    if variable is None:
        raise ConfigError("openweathermap", [("api_key_env", _API_KEY_REQUIRED)])
    key = os.environ.get(variable, "").strip()
    if not key:
        message = f"environment variable {variable} is not set"
        raise ConfigError("openweathermap", [("api_key_env", message)])
    return key


def _weather(current: _Current, city: City, source: str, fetched_at: dt.datetime) -> Weather:
    date = current.observed_at.astimezone(city.zone).date()
    problem = date_problem(date, today=fetched_at.astimezone(city.zone).date())
    if problem is not None:
        raise ValueError(f"dt: {problem}")
    wind = current.wind or _Wind()
    details = {
        "feels_like": current.main.feels_like,
        "humidity": current.main.humidity,
        "wind_speed": wind.speed,
        "wind_gust": wind.gust,
        "is_day": _is_day(current),
    }
    return Weather.with_details(
        details,
        city=city.id,
        temperature=current.main.temp,
        code=OWM_CONDITIONS.get(current.weather[0].id) if current.weather else None,
        date=date,
        observed_at=current.observed_at,
        source=source,
        fetched_at=fetched_at,
    )


def _is_day(current: _Current) -> bool | None:
    """Daytime by the icon's ``d``/``n``, else by sunrise and sunset; None if neither says."""
    icon = current.weather[0].icon if current.weather else None
    if isinstance(icon, str) and icon[-1:] in {"d", "n"}:
        return icon.endswith("d")
    sun = current.sys or _Sun()
    sunrise, sunset = sun.sunrise, sun.sunset
    if not all(isinstance(time, int) and not isinstance(time, bool) for time in (sunrise, sunset)):
        return None
    return bool(sunrise <= current.observed_at.timestamp() < sunset)
