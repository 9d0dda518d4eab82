"""Static values written in the settings file: an operator's override, or offline running.

There is no upstream and there are no terms: the values are the adapter's own keys::

    rates:
      sources:
        - adapter: static
          base: KZT               # optional; the currency the values are in (default KZT)
          date: 2026-11-27        # optional; default: today in Asia/Almaty
          rates:
            USD: "445.99"         # short for {published: "445.99"}
            UZS: {published: "3.72", quant: 100, change: "+0.01"}
    weather:
      sources:
        - adapter: static
          cities:
            astana: {temperature: 19, min: 18, max: 20, code: 2}
            almaty:               # every detail is optional
              temperature: 21
              min: 15
              max: 24
              feels_like: 20      # °C
              wind_speed: 3.5     # m/s
              wind_gust: 7        # m/s
              humidity: 40        # %
              is_day: true
              tomorrow: {min: 12, max: 22, code: 61}   # the day after today

The values are in ``base``, as a bank publishes in its own currency; the core
crosses them into the site's ``rates.base`` like any source's.  Weather values are
checked against the bounds of :class:`ticker.Weather` (details included) when they are
read, as any upstream's: a value beyond them is a format error naming the city and key,
since an operator's typo should be seen, not quietly dropped.

``parse`` takes a YAML or JSON document of exactly that shape (without the common
keys such as ``adapter``), so values handed over as a file are checked like settings;
its rates are in the document's own ``base``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self, TypeVar

import aiohttp
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PositiveInt,
    ValidationError,
    model_validator,
)

from ticker import City, Direction, Rate, SourceSettings, UpstreamFormatError, Weather
from ticker.sources import (
    PUBLISHED_DIGITS,
    Calendar,
    CurrencyCode,
    RateList,
    Skipped,
    date_problem,
    describe,
)

__all__ = ["RATES_ZONE", "StaticRates", "StaticWeather"]

#: Rates are dated in the calendar of the National Bank of Kazakhstan, whatever their base.
RATES_ZONE = zoneinfo.ZoneInfo("Asia/Almaty")
_ONE_DAY = dt.timedelta(days=1)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def _published_only(value: Any) -> Any:
    """``USD: "445.99"`` is short for ``USD: {published: "445.99"}``."""
    return value if isinstance(value, Mapping) else {"published": value}


class _StaticRate(_Strict):
    published: Annotated[Decimal, Field(gt=0), AfterValidator(PUBLISHED_DIGITS.check)]
    quant: PositiveInt = 1
    change: Annotated[Decimal, AfterValidator(PUBLISHED_DIGITS.check)] | None = None


class _RatesDocument(_Strict):
    rates: Annotated[
        dict[CurrencyCode, Annotated[_StaticRate, BeforeValidator(_published_only)]],
        Field(min_length=1),
    ]
    date: dt.date | None = None
    base: CurrencyCode = "KZT"

    @model_validator(mode="after")
    def _base_not_quoted(self) -> Self:
        if self.base in self.rates:
            raise ValueError(f"{self.base} is the base: it is not quoted in itself")
        return self


class _Range(_Strict):
    min: float
    max: float

    @model_validator(mode="after")
    def _check_range(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class _Tomorrow(_Range):
    code: int | None = None


class _Reading(_Range):
    temperature: float
    code: int | None = None
    feels_like: float | None = None
    wind_speed: float | None = None
    wind_gust: float | None = None
    humidity: float | None = None
    is_day: bool | None = None
    tomorrow: _Tomorrow | None = None


class _WeatherDocument(_Strict):
    cities: Annotated[dict[str, _Reading], Field(min_length=1)]


_Document = TypeVar("_Document", _RatesDocument, _WeatherDocument)


class StaticRates:
    """Rates written in the settings file, as if a source had published them."""

    #: Dated in Asia/Almaty, for business days, as the National Bank of Kazakhstan's.
    calendar: ClassVar[Calendar] = Calendar("Asia/Almaty")

    def __init__(self, settings: SourceSettings) -> None:
        self.name = settings.label
        self._document = _RatesDocument.model_validate(settings.options)
        #: The currency the configured values are in.
        self.base: str = self._document.base

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        """Every configured rate, dated ``date:`` or today in Asia/Almaty."""
        return self._rates(self._document, dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> list[Rate]:
        """The rates of a YAML or JSON document shaped like this adapter's keys."""
        return self._rates(_load(body, _RatesDocument, self.name), fetched_at)

    def _rates(self, document: _RatesDocument, fetched_at: dt.datetime) -> RateList:
        """Every rate of ``document``; one the models refuse (a quant of 3) is skipped."""
        date = document.date or fetched_at.astimezone(RATES_ZONE).date()
        rates, skipped = [], []
        for code, value in document.rates.items():
            try:
                rates.append(self._rate(code, value, document.base, date, fetched_at))
            except UpstreamFormatError as exc:
                skipped.append(Skipped(code, str(value.published), str(exc)))
        return RateList.usable(self.name, rates, skipped, item="rate")

    def _rate(
        self, code: str, value: _StaticRate, base: str, date: dt.date, fetched_at: dt.datetime
    ) -> Rate:
        problem = date_problem(date, today=fetched_at.astimezone(RATES_ZONE).date())
        if problem is not None:
            raise UpstreamFormatError(self.name, f"{code}: {problem}")
        try:
            return Rate.from_published(
                code=code,
                base=base,
                published=value.published,
                quant=value.quant,
                change=value.change,
                direction=_direction(value.change),
                date=date,
                source=self.name,
                fetched_at=fetched_at,
            )
        except ValidationError as exc:
            raise UpstreamFormatError(self.name, f"{code}: {describe(exc)}") from exc


class StaticWeather:
    """City weather written in the settings file, observed when it is read."""

    def __init__(self, settings: SourceSettings) -> None:
        self.name = settings.label
        self._document = _WeatherDocument.model_validate(settings.options)

    async def fetch(self, session: aiohttp.ClientSession, city: City) -> Weather:
        """The configured weather of ``city``, dated today in the city's zone."""
        return self._weather(self._document, city, dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, city: City, fetched_at: dt.datetime) -> Weather:
        """The weather of ``city`` in a YAML or JSON document shaped like this adapter's keys."""
        return self._weather(_load(body, _WeatherDocument, self.name), city, fetched_at)

    def _weather(self, document: _WeatherDocument, city: City, fetched_at: dt.datetime) -> Weather:
        reading = document.cities.get(city.id)
        if reading is None:
            raise UpstreamFormatError(self.name, f"no static value for city {city.id!r}")
        today = fetched_at.astimezone(city.zone).date()
        values = reading.model_dump(exclude={"tomorrow"})
        if reading.tomorrow is not None:
            values["tomorrow"] = {"date": today + _ONE_DAY, **reading.tomorrow.model_dump()}
        try:
            return Weather(
                **values,
                city=city.id,
                date=today,
                observed_at=fetched_at,
                source=self.name,
                fetched_at=fetched_at,
            )
        except ValidationError as exc:  # beyond the bounds, such as 500 °C or humidity 140
            raise UpstreamFormatError(self.name, f"{city.id}: {describe(exc)}") from exc


def _direction(change: Decimal | None) -> Direction:
    if not change:
        return Direction.FLAT
    return Direction.UP if change > 0 else Direction.DOWN


def _load(body: bytes, model: type[_Document], source: str) -> _Document:
    try:
        return model.model_validate(yaml.safe_load(body))
    except yaml.YAMLError as exc:
        raise UpstreamFormatError(source, f"not a YAML or JSON document: {exc}") from exc
    except ValidationError as exc:
        raise UpstreamFormatError(source, describe(exc)) from exc
