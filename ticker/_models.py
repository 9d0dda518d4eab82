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
    "CurrencyCode",
    "DataKind",
    "Direction",
    "Rate",
    "Weather",
]

#: A cross rate is quoted per at most 10**9 units.
MAX_QUANT_EXPONENT = 9
# published / quant: quants are powers of ten, so 50 digits keep every division exact.
_DIVISION = decimal.Context(prec=50)


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
#: The two kinds of data the strip shows, each refreshed on its own schedule.
DataKind = Literal["rates", "weather"]


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


class Attribution(BaseModel):
    """The credit a source's terms ask for wherever its data is shown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="The source name the data records.")
    text: str
    url: str
