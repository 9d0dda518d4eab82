"""The data ticker moves around: what adapters produce and what the service serves.

All models are frozen.  Money is :class:`~decimal.Decimal` with the exact digits the
upstream published; times are aware and stored in UTC; dates are calendar dates of
the place they belong to (Asia/Almaty for the National Bank, the city's zone for
weather).
"""

from __future__ import annotations

import datetime as dt
import decimal
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    model_validator,
)

__all__ = [
    "Attribution",
    "Direction",
    "Rate",
    "RateItem",
    "Strip",
    "Weather",
    "WeatherItem",
]

#: A cross rate is quoted per at most 10**9 units.
MAX_QUANT_EXPONENT = 9
# published / quant: quants are powers of ten, so 50 digits keep every division exact.
_DIVISION = decimal.Context(prec=50)


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class Direction(StrEnum):
    """Direction of a rate against the previous publication."""

    UP = "up"
    DOWN = "down"
    FLAT = "flat"


class Rate(BaseModel):
    """One official rate: KZT per unit of ``code``, as a source published it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CurrencyCode
    base: Literal["KZT"] = "KZT"
    rate: Decimal = Field(description="KZT per ONE unit: published / quant, exact.")
    published: Decimal = Field(description="KZT per `quant` units, the digits as published.")
    quant: PositiveInt = Field(description="How many units the published value is for.")
    change: Decimal | None = Field(
        default=None, description="Change of `published` against the previous publication."
    )
    direction: Direction = Direction.FLAT
    date: dt.date = Field(description="The date the source says the rate applies to.")
    source: str
    fetched_at: UtcDatetime
    derived: bool = Field(
        default=False,
        description="Computed from other published figures (a cross rate); rounded for display.",
    )

    @classmethod
    def from_published(
        cls,
        *,
        code: str,
        published: Decimal,
        quant: int,
        date: dt.date,
        source: str,
        fetched_at: dt.datetime,
        change: Decimal | None = None,
        direction: Direction = Direction.FLAT,
    ) -> Self:
        """Build a rate from a published value for ``quant`` units.

        Raises :class:`pydantic.ValidationError` for a non-positive value or quant.
        """
        return cls.model_validate(
            {
                "code": code,
                "rate": exact_per_unit(published, quant) if quant > 0 else published,
                "published": published,
                "quant": quant,
                "change": change,
                "direction": direction,
                "date": date,
                "source": source,
                "fetched_at": fetched_at,
            }
        )

    @classmethod
    def cross(
        cls,
        *,
        code: str,
        rate: Decimal,
        date: dt.date,
        source: str,
        fetched_at: dt.datetime,
    ) -> Self:
        """A rate computed from other figures (e.g. through RUB or USD), KZT per one unit.

        It is quoted, as the National Bank would, per the smallest power of ten of
        units that is worth at least 1 KZT (``100 uzs/kzt 3.72``); ``rate`` keeps
        every computed digit and only the display rounds.
        """
        if not rate.is_finite() or rate <= 0:
            raise ValueError(f"{code}: a cross rate must be a positive number, got {rate}")
        exponent = 0
        while rate.scaleb(exponent) < 1 and exponent < MAX_QUANT_EXPONENT:
            exponent += 1
        return cls.model_validate(
            {
                "code": code,
                "rate": rate,
                "published": rate.scaleb(exponent),
                "quant": 10**exponent,
                "date": date,
                "source": source,
                "fetched_at": fetched_at,
                "derived": True,
            }
        )

    @model_validator(mode="after")
    def _check_rate(self) -> Self:
        if not self.published.is_finite() or self.published <= 0:
            raise ValueError(f"published value must be a positive number, got {self.published}")
        if self.rate != exact_per_unit(self.published, self.quant):
            raise ValueError(f"rate {self.rate} is not published {self.published} / {self.quant}")
        return self


def exact_per_unit(published: Decimal, quant: int) -> Decimal:
    """KZT per one unit: ``published / quant``, exact for every power-of-ten quant."""
    return _DIVISION.divide(published, Decimal(quant))


#: Physical bounds of an air temperature, °C: the records are -89.2 (Vostok, 1983)
#: and +56.7 (Death Valley, 1913); anything beyond these margins is a broken value.
MIN_CELSIUS = -95.0
MAX_CELSIUS = 65.0
Celsius = Annotated[float, Field(ge=MIN_CELSIUS, le=MAX_CELSIUS)]


class Weather(BaseModel):
    """Current weather and today's range for one city, in degrees Celsius."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    city: str = Field(description="The city id from the configuration.")
    temperature: Celsius = Field(description="Current air temperature, °C.")
    min: Celsius | None = Field(
        default=None, description="Today's minimum in the city's zone, °C; None if unknown."
    )
    max: Celsius | None = Field(
        default=None, description="Today's maximum in the city's zone, °C; None if unknown."
    )
    code: int | None = Field(default=None, description="WMO 4677 weather code, if known.")
    date: dt.date = Field(description="The local date `min` and `max` belong to.")
    observed_at: UtcDatetime = Field(description="When the current values are valid.")
    source: str
    fetched_at: UtcDatetime

    @model_validator(mode="after")
    def _check_range(self) -> Self:
        if (self.min is None) != (self.max is None):
            raise ValueError("min and max are given together or not at all")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class RateItem(BaseModel):
    """A rate as the strip shows it; value fields are ``None`` when ``missing``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CurrencyCode
    base: Literal["KZT"] = "KZT"
    label: str = Field(description='Display label, e.g. "usd/kzt" or "100 uzs/kzt".')
    text: str = Field(description='Display value, e.g. "445.99"; "—" when missing.')
    missing: bool = False
    rate: Decimal | None = None
    published: Decimal | None = None
    quant: int | None = None
    change: Decimal | None = None
    direction: Direction | None = None
    date: dt.date | None = None
    source: str | None = None
    fetched_at: UtcDatetime | None = None
    derived: bool | None = None
    stale: bool = False
    age: int | None = Field(default=None, description="Seconds since the value was fetched.")
    reason: str | None = Field(
        default=None, description="Why the item is missing, stale or held back, if it is."
    )
    name: str | None = Field(default=None, description="The currency's name in `lang` (CLDR).")
    change_text: str | None = Field(
        default=None, description='Display change against the previous publication, e.g. "+1.27".'
    )


class WeatherItem(BaseModel):
    """A city's weather as the strip shows it; value fields are ``None`` when ``missing``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    city: str
    name: str = Field(description="The city's name in the requested language.")
    text: str = Field(description='Display value, e.g. "+18+20℃"; "—" when missing.')
    missing: bool = False
    temperature: float | None = None
    min: float | None = None
    max: float | None = None
    code: int | None = None
    date: dt.date | None = None
    timezone: str
    observed_at: UtcDatetime | None = None
    source: str | None = None
    fetched_at: UtcDatetime | None = None
    stale: bool = False
    age: int | None = Field(default=None, description="Seconds since the value was fetched.")
    reason: str | None = Field(
        default=None, description="Why the item is missing or stale, if it is."
    )
    condition: str | None = Field(
        default=None, description="The weather condition of `code` in `lang`."
    )


class Attribution(BaseModel):
    """The credit a source's terms ask for wherever its data is shown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="The source name the data records.")
    text: str
    url: str


class Strip(BaseModel):
    """The whole header strip in one language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lang: str
    dir: Literal["ltr", "rtl"] = Field(default="ltr", description="Writing direction of `lang`.")
    rates: list[RateItem]
    weather: list[WeatherItem]
    text: str = Field(description="The whole strip as one line.")
    sources: list[Attribution] = Field(
        default=[], description="Credits for the sources of the values shown."
    )
    labels: dict[str, str] = Field(
        default={}, description="The widget's own words in `lang`: rates, weather, sources..."
    )
    generated_at: UtcDatetime
