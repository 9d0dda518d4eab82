"""The data ticker moves around: what adapters produce and what the service serves.

All models are frozen.  Money is :class:`~decimal.Decimal` with the exact digits the
upstream published; times are aware and stored in UTC; dates are calendar dates of
the place they belong to (Asia/Almaty for the National Bank, the city's zone for
weather).

Every number and date is bounded where it enters: a model refuses (with a
:class:`pydantic.ValidationError`) a value beyond the bounds below, so it never
reaches the cache, the history or the strip.  Decimal bounds are checked on the
digits and exponent of the value (its ``as_tuple()``) before any arithmetic, so a
hostile ``1E+999990`` is never written out digit by digit and no operation on a
value that passed can overflow a decimal context.  (pydantic's own ``max_digits`` and
``decimal_places`` do not count trailing zeros, so ``1.000…`` with a million zeros
would pass them and be written out in full; :class:`DecimalBounds` counts every
digit as written.)  The cache validates what it reads with the same models, so a
bad stored value counts as absent.

A reading's details (apparent temperature, wind, humidity, daylight, tomorrow's
forecast) are bounded in the same way, but an upstream's bad detail costs only that
detail: :meth:`Weather.with_details` leaves it out (``None``) and keeps the reading.
Every detail defaults to ``None``, so a reading cached before they existed still loads.

A bank's business days (:class:`Calendar`) leave out its country's public holidays,
taken from the ``holidays`` package (python-holidays): it is maintained by a team
that follows each government's decrees, including the days off Kazakhstan, Russia,
Uzbekistan and Kyrgyzstan move by decree every year, which no fixed table written
here could follow; it covers all five countries of our banks, has no dependency
beyond ``python-dateutil``, and works offline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import functools
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from ticker._exceptions import UpstreamFormatError

__all__ = [
    "COMPUTED_DIGITS",
    "EARLIEST_DATE",
    "KAZAKHSTAN",
    "MAX_DAYS_AHEAD",
    "MAX_QUANT",
    "PUBLISHED_DIGITS",
    "WEATHER_DETAILS",
    "Attribution",
    "Calendar",
    "CurrencyCode",
    "DataKind",
    "DayForecast",
    "DecimalBounds",
    "Direction",
    "PublicationWindow",
    "Rate",
    "RateList",
    "Skipped",
    "Weather",
    "date_problem",
    "holiday_countries",
    "out_of_bounds",
    "public_holidays",
]


@dataclass(frozen=True)
class DecimalBounds:
    """How many digits a Decimal may have, judged on its digits and exponent alone."""

    #: Digits before the decimal point: the value is below ``10**integer_digits``.
    integer_digits: int
    #: Digits after the point, as written (``445.990`` has three).
    fraction_digits: int
    #: Digits of the coefficient in all.
    significant_digits: int

    def check(self, value: Decimal) -> Decimal:
        """``value`` itself; ``ValueError`` if it is not finite or has too many digits."""
        _, digits, exponent = value.as_tuple()
        if not isinstance(exponent, int):
            raise ValueError(f"{value} is not a finite number")
        if len(digits) + exponent > self.integer_digits:
            raise ValueError(f"{_short(value)} has more than {self.integer_digits} integer digits")
        if -exponent > self.fraction_digits:
            raise ValueError(f"{_short(value)} has more than {self.fraction_digits} decimals")
        if len(digits) > self.significant_digits:
            raise ValueError(
                f"{_short(value)} has more than {self.significant_digits} significant digits"
            )
        return value


#: Every published value and change: below 10**12 KZT (a million times the dearest
#: currency's rate) and at most 10 decimals (the National Bank writes 2, the Bank of
#: Russia 4).
PUBLISHED_DIGITS = DecimalBounds(integer_digits=12, fraction_digits=10, significant_digits=22)
#: A computed value (a rate per one unit, a cross rate): as large as a published one,
#: at most as many digits as the division that made it keeps.
COMPUTED_DIGITS = DecimalBounds(integer_digits=12, fraction_digits=66, significant_digits=50)
#: A cross rate is shown with two decimals: a smaller figure per :data:`MAX_QUANT`
#: units would read as a rate of zero.
SMALLEST_SHOWN = Decimal("0.01")
#: A quant is a power of ten from 1 to this; the bank's largest is 1000 (IRR).
MAX_QUANT_EXPONENT = 6
MAX_QUANT = 10**MAX_QUANT_EXPONENT
#: No source publishes earlier dates; the tenge's own feeds start later.
EARLIEST_DATE = dt.date(2000, 1, 1)
#: A value may be dated at most this many days after the day it was fetched: the
#: National Bank publishes the next day's rates in the afternoon before, and the Bank
#: of Russia's evening document is dated tomorrow.  A later date is a broken value.
MAX_DAYS_AHEAD = 1
#: Every instant a model holds is at or after the first and before the last, so that
#: adding any duration the settings allow can never overflow :class:`datetime.datetime`.
EARLIEST_INSTANT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST_INSTANT = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
#: Longer texts are cut in messages: a hostile value can be megabytes long.
_SHOWN_CHARACTERS = 32
# published / quant: quants are powers of ten, so 50 digits keep every division exact.
_DIVISION = decimal.Context(prec=50)


def _short(value: Decimal) -> str:
    """``value`` for a message, cut when it is long."""
    _, digits, exponent = value.as_tuple()
    if len(digits) <= _SHOWN_CHARACTERS:
        return str(value)
    return f"a {len(digits)}-digit number (exponent {exponent})"


def _power_of_ten(quant: int) -> int:
    if not 1 <= quant <= MAX_QUANT or str(quant).rstrip("0") != "1":
        shown = quant if abs(quant) < MAX_QUANT**2 else "a larger number"
        raise ValueError(f"quant must be a power of ten from 1 to {MAX_QUANT}, got {shown}")
    return quant


def _not_too_old(day: dt.date) -> dt.date:
    if day < EARLIEST_DATE:
        raise ValueError(f"date {day} is before {EARLIEST_DATE}")
    return day


def _within_instants(moment: dt.datetime) -> dt.datetime:
    if not EARLIEST_INSTANT <= moment < LATEST_INSTANT:
        raise ValueError(
            f"{moment.isoformat()} is not between {EARLIEST_INSTANT:%Y} and {LATEST_INSTANT:%Y}"
        )
    return moment


def _as_utc(value: dt.datetime) -> dt.datetime:
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+05:00 has no UTC time
        raise ValueError(f"{value.isoformat()} is outside the range of dates") from exc


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_as_utc)]
#: An instant a value was fetched or observed at, within the instants any clock reads.
Instant = Annotated[UtcDatetime, AfterValidator(_within_instants)]


def _within_instants_here(moment: dt.datetime) -> dt.datetime:
    _within_instants(_as_utc(moment))
    return moment


#: An instant as a person wrote it (an editor's pin): aware, bounded like
#: :data:`Instant`, and kept in the offset it was written in, to be shown in it.
WrittenInstant = Annotated[AwareDatetime, AfterValidator(_within_instants_here)]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
#: The two kinds of data the strip shows, each refreshed on its own schedule.
DataKind = Literal["rates", "weather"]
Published = Annotated[Decimal, AfterValidator(PUBLISHED_DIGITS.check)]
Computed = Annotated[Decimal, AfterValidator(COMPUTED_DIGITS.check)]
Quant = Annotated[int, AfterValidator(_power_of_ten)]
Day = Annotated[dt.date, AfterValidator(_not_too_old)]


#: How far a calendar looks for a business day: past the longest run of days off
#: a country declares (Russia's New Year holidays are ten days with the weekends).
_MAX_DAYS_OFF = 60


@functools.lru_cache(maxsize=64)
def public_holidays(country: str, year: int) -> frozenset[dt.date]:
    """The public holidays and decreed days off of ``country`` in ``year``.

    From the ``holidays`` package, imported here on first use: it costs a third of
    a second, which a program that only reads the strip through the client never pays.
    """
    import holidays  # here, not at the top: see the docstring

    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:  # a country the package does not know has none
        return frozenset()


def holiday_countries() -> frozenset[str]:
    """The ISO 3166 codes of the countries whose public holidays are known."""
    import holidays  # lazily, as in public_holidays

    return frozenset(holidays.list_supported_countries())


@dataclass(frozen=True)
class Calendar:
    """Where and for which days a rates source publishes.

    Its rates are dated in ``zone``'s calendar, one publication for each of the
    ``weekdays`` (Monday is 0) that is no public holiday of ``country``; on the
    other days the last one stays current.  A bank that dates its rates the day
    after it sets them (the Bank of Russia sets Friday's for Saturday) says so with
    ``set_days_before``: a publication dated D is set that many days before, and a
    holiday then means none dated D.  Without ``country``, weekdays alone count.
    """

    zone: str = "Asia/Almaty"
    weekdays: frozenset[int] = frozenset(range(5))
    country: str | None = None
    set_days_before: int = 0

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays must be some of 0..6, got {sorted(self.weekdays)}")
        if not 0 <= self.set_days_before <= 7:
            raise ValueError(f"set_days_before must be 0..7, got {self.set_days_before}")
        if self.country is not None and not (len(self.country) == 2 and self.country.isupper()):
            raise ValueError(f"country must be an ISO 3166 code such as KZ, got {self.country!r}")
        zoneinfo.ZoneInfo(self.zone)  # an unknown zone fails here, not at the first render

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The zone itself (``zoneinfo`` keeps one instance per key)."""
        return zoneinfo.ZoneInfo(self.zone)

    def today(self, now: dt.datetime) -> dt.date:
        """The date at ``now`` in the source's calendar."""
        return now.astimezone(self.tz).date()

    def with_country(self, country: str | None) -> Calendar:
        """The same calendar with the public holidays of ``country`` (None: weekdays only)."""
        return dataclasses.replace(self, country=country)

    def is_holiday(self, day: dt.date) -> bool:
        """Whether ``day`` is a public holiday or decreed day off of the calendar's country."""
        return self.country is not None and day in public_holidays(self.country, day.year)

    def publishes_for(self, day: dt.date) -> bool:
        """Whether the source publishes rates dated ``day``."""
        set_on = day - dt.timedelta(days=self.set_days_before)
        return day.weekday() in self.weekdays and not self.is_holiday(set_on)

    def works_on(self, day: dt.date) -> bool:
        """Whether the source sets rates on ``day`` (its business day), to be dated later."""
        return self.publishes_for(day + dt.timedelta(days=self.set_days_before))

    def last_publication_before(self, day: dt.date) -> dt.date:
        """The last date before ``day`` the source publishes for."""
        previous = day - dt.timedelta(days=1)
        for _ in range(_MAX_DAYS_OFF):
            if self.publishes_for(previous):
                return previous
            previous -= dt.timedelta(days=1)
        return previous  # a country of only days off: past two months, any date is due


@dataclass(frozen=True)
class PublicationWindow:
    """When, on its business days, a source's next publication appears (local times).

    ``opens`` is when the bank sets the rates, ``closes`` when they are surely out;
    both are wall-clock times of the source's calendar, on one day.
    """

    opens: dt.time
    closes: dt.time

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("a publication window is written in local times, with no zone")
        if not self.opens < self.closes:
            raise ValueError(f"the window opens at {self.opens} but closes at {self.closes}")

    @property
    def length(self) -> dt.timedelta:
        """How long the window is open (on a day with no clock change)."""
        day = dt.date(2000, 1, 1)
        return dt.datetime.combine(day, self.closes) - dt.datetime.combine(day, self.opens)

    def on(self, day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """The window of ``day`` in ``zone``, as aware UTC instants."""
        opens = dt.datetime.combine(day, self.opens, zone).astimezone(dt.UTC)
        return opens, dt.datetime.combine(day, self.closes, zone).astimezone(dt.UTC)


#: The National Bank of Kazakhstan's calendar, and that of a source that names none.
KAZAKHSTAN = Calendar("Asia/Almaty", country="KZ")


class Direction(StrEnum):
    """Direction of a rate against the previous publication."""

    UP = "up"
    DOWN = "down"
    FLAT = "flat"


class Rate(BaseModel):
    """One official rate: ``base`` units per unit of ``code``, as a source published it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: CurrencyCode
    base: CurrencyCode = Field(
        default="KZT", description="The currency the rate is in: KZT, UZS, KGS, TJS..."
    )
    rate: Computed = Field(description="`base` per ONE unit: published / quant, exact.")
    published: Computed = Field(description="`base` per `quant` units, the digits as published.")
    quant: Quant = Field(description="How many units the published value is for: 1, 10, 100...")
    change: Computed | None = Field(
        default=None,
        description="Change of `published` against the previous publication: as the source "
        "published it, or computed from the previous publication ticker stored.",
    )
    direction: Direction = Direction.FLAT
    date: Day = Field(description="The date the source says the rate applies to.")
    source: str
    fetched_at: Instant
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
        base: str = "KZT",
    ) -> Self:
        """Build a rate from a published value for ``quant`` units of ``code`` in ``base``.

        Raises :class:`pydantic.ValidationError` for a value or quant beyond the bounds.
        """
        return cls.model_validate(
            {
                "code": code,
                "base": base,
                "rate": _per_unit(published, quant),
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
        base: str = "KZT",
    ) -> Self:
        """A rate computed from other figures (e.g. through RUB or USD): ``base`` per one unit.

        It is quoted, as the National Bank would, per the smallest power of ten of
        units that is worth at least one unit of ``base`` (``100 uzs/kzt 3.72``), at
        most :data:`MAX_QUANT`; ``rate`` keeps every computed digit and only the
        display rounds.  Raises ``ValueError`` for a rate beyond the bounds.
        """
        if not rate.is_finite() or rate <= 0:
            raise ValueError(f"{code}: a cross rate must be a positive number, got {rate}")
        try:
            COMPUTED_DIGITS.check(rate)
        except ValueError as exc:
            raise ValueError(f"{code}: {exc}") from exc
        exponent = 0
        while _DIVISION.scaleb(rate, exponent) < 1 and exponent < MAX_QUANT_EXPONENT:
            exponent += 1
        published = _DIVISION.scaleb(rate, exponent)
        if published < SMALLEST_SHOWN:
            raise ValueError(
                f"{code}: {MAX_QUANT} units are worth less than {SMALLEST_SHOWN} {base}"
            )
        return cls.model_validate(
            {
                "code": code,
                "base": base,
                "rate": rate,
                "published": published,
                "quant": 10**exponent,
                "date": date,
                "source": source,
                "fetched_at": fetched_at,
                "derived": True,
            }
        )

    @model_validator(mode="after")
    def _check_rate(self) -> Self:
        if self.code == self.base:
            raise ValueError(f"{self.code} is not quoted in itself")
        if not self.derived:
            PUBLISHED_DIGITS.check(self.published)
            if self.change is not None:
                try:
                    PUBLISHED_DIGITS.check(self.change)
                except ValueError as exc:
                    raise ValueError(f"change: {exc}") from exc
        if self.published <= 0:
            raise ValueError(f"published value must be a positive number, got {self.published}")
        if self.rate != exact_per_unit(self.published, self.quant):
            raise ValueError(f"rate {self.rate} is not published {self.published} / {self.quant}")
        return self


def exact_per_unit(published: Decimal, quant: int) -> Decimal:
    """Base units per one unit: ``published / quant``, exact for every power-of-ten quant."""
    return _DIVISION.divide(published, Decimal(quant))


def _per_unit(published: Decimal, quant: int) -> Decimal:
    """``published / quant`` within the bounds; else ``published``, for the model to refuse."""
    try:
        PUBLISHED_DIGITS.check(published)
        _power_of_ten(quant)
    except ValueError:
        return published
    return exact_per_unit(published, quant)


#: Physical bounds of an air temperature, °C: the records are -89.2 (Vostok, 1983)
#: and +56.7 (Death Valley, 1913); anything beyond these margins is a broken value.
MIN_CELSIUS = -95.0
MAX_CELSIUS = 65.0
Celsius = Annotated[float, Field(ge=MIN_CELSIUS, le=MAX_CELSIUS)]
#: WMO 4677 present-weather codes run from 00 to 99.
MAX_WMO_CODE = 99
#: Wind at 10 m, m/s: the strongest gust on record is 113 m/s (Barrow Island, 1996, by
#: the WMO's archive of extremes), and a sustained wind is weaker than its gusts.
MAX_WIND_SPEED = 120.0
MAX_WIND_GUST = 150.0
WindSpeed = Annotated[float, Field(ge=0, le=MAX_WIND_SPEED)]
WindGust = Annotated[float, Field(ge=0, le=MAX_WIND_GUST)]
#: Relative humidity, %.
Humidity = Annotated[float, Field(ge=0, le=100)]
ONE_DAY = dt.timedelta(days=1)


class DayForecast(BaseModel):
    """The forecast range and condition of one local day of a city, in degrees Celsius."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    date: Day = Field(description="The local date the forecast is for.")
    min: Celsius = Field(description="The day's forecast minimum, °C.")
    max: Celsius = Field(description="The day's forecast maximum, °C.")
    code: int | None = Field(
        default=None,
        ge=0,
        le=MAX_WMO_CODE,
        description="WMO 4677 code of the day's most severe condition, if known.",
    )

    @model_validator(mode="after")
    def _check_range(self) -> Self:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


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
    code: int | None = Field(
        default=None, ge=0, le=MAX_WMO_CODE, description="WMO 4677 weather code, if known."
    )
    date: Day = Field(description="The local date `min` and `max` belong to.")
    observed_at: Instant = Field(description="When the current values are valid.")
    source: str
    fetched_at: Instant
    # The details: None where the upstream does not publish them (see with_details).
    feels_like: Celsius | None = Field(
        default=None, description="Apparent temperature now, °C; None if not published."
    )
    wind_speed: WindSpeed | None = Field(
        default=None, description="Wind speed now, m/s; None if not published."
    )
    wind_gust: WindGust | None = Field(
        default=None, description="Wind gusts now, m/s; None if not published."
    )
    humidity: Humidity | None = Field(
        default=None, description="Relative humidity now, %; None if not published."
    )
    is_day: bool | None = Field(
        default=None,
        description="Whether it is daytime at `observed_at`, as the upstream says; None if "
        "it does not say.",
    )
    tomorrow: DayForecast | None = Field(
        default=None, description="The forecast of the day after `date`; None if not published."
    )

    @classmethod
    def with_details(cls, details: Mapping[str, Any], /, **fields: Any) -> Self:
        """A reading of ``fields`` with each of ``details`` that is within its bounds.

        A detail the model refuses (humidity 140, a NaN wind, tomorrow's min above its
        max) is left out, so it reads as not published, and costs nothing else; so is a
        forecast of ``tomorrow`` that is not for the day after ``date``.  A bad value of
        ``fields`` raises :class:`pydantic.ValidationError` as the constructor does.
        """
        unknown = sorted(details.keys() - WEATHER_DETAILS)
        if unknown:
            raise ValueError(f"not details of a reading: {', '.join(unknown)}")
        values = {**fields, **details}
        try:
            reading = cls.model_validate(values)
        except ValidationError as exc:
            refused = {error["loc"][0] for error in exc.errors() if error["loc"]} & details.keys()
            if not refused:
                raise
            # Validated again without them: a bad value of ``fields`` still raises here.
            reading = cls.model_validate({k: v for k, v in values.items() if k not in refused})
        # The model takes any day (a cached reading's tomorrow can be today when it is
        # shown); as it enters, a forecast must be for the next day of the reading.
        if reading.tomorrow is not None and reading.tomorrow.date != reading.date + ONE_DAY:
            return reading.model_copy(update={"tomorrow": None})
        return reading

    @model_validator(mode="after")
    def _check_range(self) -> Self:
        if (self.min is None) != (self.max is None):
            raise ValueError("min and max are given together or not at all")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


#: The fields of :class:`Weather` an upstream may leave out or get wrong at no cost to
#: the reading (see :meth:`Weather.with_details`).
WEATHER_DETAILS = frozenset(
    {"feels_like", "wind_speed", "wind_gust", "humidity", "is_day", "tomorrow"}
)


@dataclass(frozen=True)
class Skipped:
    """An item of an upstream document an adapter left out, and why."""

    item: str
    value: str
    reason: str


class RateList(list[Rate]):
    """The rates of one upstream document, with the items of it that were ``skipped``.

    ``parse`` returns one when an item beyond the bounds must not cost the others:
    the rates are the usable items, and the refresher counts each skipped item it
    wanted as a rejection.
    """

    def __init__(self, rates: Iterable[Rate] = (), skipped: Iterable[Skipped] = ()) -> None:
        super().__init__(rates)
        self.skipped = tuple(skipped)

    @classmethod
    def usable(
        cls, source: str, rates: Sequence[Rate], skipped: Sequence[Skipped], *, item: str
    ) -> RateList:
        """The usable ``rates`` of ``source``'s document; none is a format error that says
        why the first ``item`` was skipped."""
        if not rates:
            first = skipped[0].reason.removeprefix(f"{source}: ") if skipped else "none given"
            raise UpstreamFormatError(source, f"no usable {item}, the first skipped: {first}")
        return cls(rates, skipped)


def date_problem(day: dt.date, *, today: dt.date) -> str | None:
    """Why ``day`` is outside the window around ``today`` (the source's date now), or None."""
    if day < EARLIEST_DATE:
        return f"dated {day}, before {EARLIEST_DATE}"
    latest = today + dt.timedelta(MAX_DAYS_AHEAD)
    if day > latest:
        return f"dated {day}, after {latest}: in the future"
    return None


def out_of_bounds(value: Rate | Weather, *, now: dt.datetime, zone: dt.tzinfo) -> str | None:
    """Why ``value`` is beyond the bounds at ``now``, or None; ``zone`` is its calendar's.

    Every field is validated again (a value may have been built without validation),
    the date must be in the window of :func:`date_problem` and a reading may not be
    observed more than :data:`MAX_DAYS_AHEAD` after ``now``.
    """
    try:
        type(value).model_validate(dict(value))
    except ValidationError as exc:
        return "; ".join(error["msg"] for error in exc.errors(include_url=False))
    problem = date_problem(value.date, today=now.astimezone(zone).date())
    ahead = now + dt.timedelta(MAX_DAYS_AHEAD)
    if problem is None and isinstance(value, Weather) and value.observed_at > ahead:
        problem = f"observed at {value.observed_at.isoformat()}: in the future"
    return problem


class Attribution(BaseModel):
    """The credit a source's terms ask for wherever its data is shown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(description="The source name the data records.")
    text: str
    url: str
