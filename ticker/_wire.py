"""Every model the API serializes, and the client parses: the wire format.

The service answers with these models' JSON and :class:`~ticker.TickerClient`
returns them, so the client needs nothing but this module, the domain models it
builds on (:mod:`ticker._models`) and the errors.  Nothing here imports a server,
cache or locale module.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from ticker._models import (
    COMPUTED_DIGITS,
    Attribution,
    CurrencyCode,
    DataKind,
    DecimalBounds,
    Direction,
    UtcDatetime,
)
from ticker._text import OutsideText

__all__ = [
    "AuditAnswer",
    "AuditItem",
    "Conversion",
    "ErrorBody",
    "HealthBody",
    "HistoryAnswer",
    "HistoryPoint",
    "RateItem",
    "RatesHalf",
    "ReadyBody",
    "ReadyItem",
    "ReasonCode",
    "SourceReport",
    "Strip",
    "TemperatureUnit",
    "WeatherHalf",
    "WeatherItem",
]


#: The unit of a strip's temperatures.
TemperatureUnit = Literal["°C", "°F"]


class ReasonCode(StrEnum):
    """Why an item is missing, stale, held back or pinned: stable, for programs.

    ``reason`` says the same in the strip's language, for readers; a program reads
    ``reason_code`` instead, whatever the language.
    """

    #: Missing: the cache holds no value for the item yet.
    NO_VALUE = "no_value"
    #: Stale: not refreshed for 1.5 refresh intervals.
    NOT_REFRESHED = "not_refreshed"
    #: Stale: a rate dated before the last business day, or a range not for today.
    OUTDATED = "outdated"
    #: Shown as the editors pinned it, until the pin ends.
    PINNED = "pinned"
    #: Stale: a new value moved too far and is held back until it is confirmed.
    HELD_JUMP = "held_jump"
    #: Missing: not refreshed for longer than ``max_age``, so no longer shown.
    HIDDEN = "hidden"
    #: Missing: the value cannot be shown (it is beyond the display's bounds).
    NOT_SHOWN = "not_shown"


class RateItem(BaseModel):
    """A rate as the strip shows it; value fields are ``None`` when ``missing``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CurrencyCode
    base: CurrencyCode = Field(
        default="KZT", description="The site's currency the rate is in: KZT, UZS, KGS, TJS..."
    )
    label: str = Field(description='Display label, e.g. "usd/kzt", "100 uzs/kzt" or "usd/uzs".')
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
        default=None,
        description="Why the item is missing, stale, held back or pinned, in `lang`, if it is.",
    )
    reason_code: ReasonCode | None = Field(
        default=None, description="The same reason as a stable code, whatever the language."
    )
    name: str | None = Field(default=None, description="The currency's name in `lang` (CLDR).")
    change_text: str | None = Field(
        default=None, description='Display change against the previous publication, e.g. "+1.27".'
    )


class Tomorrow(BaseModel):
    """A city's forecast for the day after the item's ``date``, as the strip shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date = Field(description="The local date the forecast is for.")
    min: float = Field(description="The day's forecast minimum, °C.")
    max: float = Field(description="The day's forecast maximum, °C.")
    code: int | None = Field(
        default=None, description="WMO 4677 code of the day's most severe condition, if known."
    )
    text: str = Field(description='Display range, e.g. "-5-2℃".')
    condition: str | None = Field(
        default=None, description="The weather condition of `code` in `lang`."
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
    feels_like: float | None = Field(default=None, description="Apparent temperature now, °C.")
    wind_speed: float | None = Field(default=None, description="Wind speed now, m/s.")
    wind_gust: float | None = Field(default=None, description="Wind gusts now, m/s.")
    humidity: float | None = Field(default=None, description="Relative humidity now, %.")
    is_day: bool | None = Field(
        default=None, description="Whether it is daytime at `observed_at`, as the source says."
    )
    date: dt.date | None = None
    timezone: str
    observed_at: UtcDatetime | None = None
    source: str | None = None
    fetched_at: UtcDatetime | None = None
    stale: bool = False
    age: int | None = Field(default=None, description="Seconds since the value was fetched.")
    reason: str | None = Field(
        default=None, description="Why the item is missing, stale or pinned, in `lang`, if it is."
    )
    reason_code: ReasonCode | None = Field(
        default=None, description="The same reason as a stable code, whatever the language."
    )
    condition: str | None = Field(
        default=None, description="The weather condition of `code` in `lang`."
    )
    tomorrow: Tomorrow | None = Field(
        default=None, description="The forecast of the day after `date`, if the source has one."
    )


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
    unit: TemperatureUnit = Field(
        default="°C", description="The unit of every temperature: °C, or °F with units=imperial."
    )
    generated_at: UtcDatetime


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
    unit: TemperatureUnit = Field(
        default="°C", description="The unit of every temperature: °C, or °F with units=imperial."
    )
    generated_at: UtcDatetime


class ErrorBody(BaseModel):
    """The body of every error answer: 400, 404, 405 (and the history's 503)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    error: str = Field(description="The kind, e.g. bad_request, not_found, method_not_allowed.")
    message: str = Field(description="What was wrong, for a human.")
    parameter: str | None = Field(default=None, description="The parameter at fault, when one is.")
    allowed: list[str] = Field(
        description="What is allowed instead: values, parameters, endpoints or methods."
    )


class HealthBody(BaseModel):
    """What ``GET /healthz`` answers while the process serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: Literal["ok"]
    pid: int = Field(description="The serving process.")
    leader: bool = Field(description="Whether this process runs the refresh jobs.")
    snapshot: str = Field(description="The version of the cache the process serves.")
    etag: str = Field(description="The ETag of the strip in the default language.")


class ReadyItem(BaseModel):
    """One configured item in /readyz."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["rates", "weather"]
    item: str
    missing: bool
    stale: bool
    age: int | None


class SourceReport(BaseModel):
    """A source's last refresh in /readyz, or why the statuses cannot be read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["rates", "weather"] | None = None
    source: str | None = None
    last_attempt: UtcDatetime | None = None
    last_success: UtcDatetime | None = None
    last_error: OutsideText | None = None
    failures: int | None = None
    rejected: int | None = None
    error: OutsideText | None = None


class ReadyBody(BaseModel):
    """The answer of /readyz: 200 while every item has a value, 503 while one has none.

    ``status`` says more: ``degraded`` (still a 200: the last good values are served,
    their ages and stale marks moving) while the shared cache cannot be read, the
    refresh lease cannot be held or recorded, or no refresh stamped the cache for two
    refresh intervals; ``problems`` says why.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ready: bool
    status: Literal["ready", "degraded", "not_ready"] = "ready"
    problems: list[OutsideText] = Field(
        default_factory=list, description="Why the service is degraded or not ready."
    )
    generated_at: UtcDatetime
    items: list[ReadyItem]
    sources: list[SourceReport]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HistoryPoint(_Frozen):
    """One publication of a currency: base units per unit, as published, and by whom."""

    date: dt.date
    rate: Decimal = Field(description="Base units per ONE unit: published / quant, exact.")
    published: Decimal = Field(description="Base units per `quant` units, as published.")
    quant: int
    source: str


class HistoryAnswer(_Frozen):
    """The publications of one currency between two dates, in date order.

    Serialize with ``by_alias=True``: the start of the range is ``from`` in JSON.
    """

    code: str
    base: CurrencyCode = Field(default="KZT", description="The currency the rates are in.")
    from_: dt.date = Field(alias="from")
    to: dt.date
    points: list[HistoryPoint]


class AuditItem(_Frozen):
    """What the strip showed of one item from ``since`` until the item's next entry."""

    item: str = Field(description="A currency code or a city id.")
    kind: DataKind
    text: str = Field(description='The display value, e.g. "445.99"; "—" when missing.')
    value: Decimal | None = Field(
        default=None, description="Base units per one unit for a rate, °C now for the weather."
    )
    missing: bool = False
    source: str | None = None
    fetched_at: UtcDatetime | None = None
    since: UtcDatetime = Field(description="When the strip started showing this.")

    def shows_same(self, other: AuditItem) -> bool:
        """Whether ``other`` shows what this entry shows (only ``since`` may differ)."""
        return self.model_dump(exclude={"since"}) == other.model_dump(exclude={"since"})


class AuditAnswer(_Frozen):
    """What every audited item of the strip showed at ``at``; items not yet shown are absent."""

    at: UtcDatetime
    items: list[AuditItem]


def _plain(value: Decimal) -> str:
    """A decimal as plain digits, never an exponent: ``0.00000001``, not ``1E-8``."""
    return f"{value:f}"


#: An amount to convert: at most 18 digits (``ticker._rates.MAX_AMOUNT_DIGITS``).
_AMOUNT_DIGITS = DecimalBounds(integer_digits=18, fraction_digits=18, significant_digits=18)
#: An amount times a rate, exact: the digits of both.
_RESULT_DIGITS = DecimalBounds(
    integer_digits=_AMOUNT_DIGITS.integer_digits + COMPUTED_DIGITS.integer_digits,
    fraction_digits=_AMOUNT_DIGITS.fraction_digits + COMPUTED_DIGITS.fraction_digits,
    significant_digits=_AMOUNT_DIGITS.significant_digits + COMPUTED_DIGITS.significant_digits,
)
_PLAIN = PlainSerializer(_plain, return_type=str, when_used="json")
ConvertedAmount = Annotated[Decimal, AfterValidator(_AMOUNT_DIGITS.check), _PLAIN]
ConvertedResult = Annotated[Decimal, AfterValidator(_RESULT_DIGITS.check), _PLAIN]
ConvertedRate = Annotated[Decimal, AfterValidator(COMPUTED_DIGITS.check), _PLAIN]


class Conversion(_Frozen):
    """An amount of one currency in another, through the site's base (``GET /v1/convert``).

    Serialize with ``by_alias=True``: the currency converted from is ``from`` in JSON.
    Every figure is a plain decimal string, exact.
    """

    from_: CurrencyCode = Field(alias="from", description="The currency converted from.")
    to: CurrencyCode = Field(description="The currency converted into.")
    amount: ConvertedAmount = Field(description="The amount of `from`, as asked.")
    result: ConvertedResult = Field(description="`amount` x `rate`, exact.")
    text: str = Field(
        max_length=64,
        description='`result` rounded half up to the minor unit of `to` (CLDR), e.g. "44599.00".',
    )
    rate: ConvertedRate = Field(
        description="Units of `to` per ONE unit of `from`: exact when `to` is the base, else"
        " a quotient of 28 significant digits."
    )
    date: dt.date | None = Field(
        description="The rates' date, the older of the two when both are rates; null when"
        " no rate is needed (the latest conversion of a currency into itself)."
    )
    source: OutsideText | None = Field(
        description='Who published the rates: a source name, or two joined by "+" (from,'
        " to); null when no rate is needed."
    )
    derived: bool = Field(description="Whether `rate` is computed: a cross rate or an inverse.")
