"""From cached values to the strip a reader sees: labels, display text and staleness.

The display rules follow the National Bank and the reference strip
(``usd/kzt 445.99 ... · Astana +18+20℃``): rates are labelled in the site's base
(``usd/uzs``), keep the published digits (at least two decimals; ``rates.decimals``
rounds them half up, for display only) and are shown per their quant
(``100 uzs/kzt 3.72``);
temperatures are whole degrees rounded half away from zero, signed, with ``0``
never signed, and a day's range reads as a range (:func:`format_range`).  In a
right-to-left language every number, label and range is an isolated left-to-right
run (:mod:`ticker._strip.bidi`), in each item's text and in the lines.

Numbers are formatted under a decimal context of this module's own
(:data:`DISPLAY_CONTEXT`), so neither a process-wide context change nor a value's
exponent can make formatting raise or write out a number digit by digit; a value
beyond the models' bounds is refused before it is formatted.  Each item is built on
its own: one that still cannot be shown is missing, with a reason, and logged once,
while the rest of the strip renders.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ticker._config import (
    City,
    EditorialSettings,
    Pin,
    RatesSettings,
    Settings,
    WeatherSettings,
)
from ticker._models import COMPUTED_DIGITS, Attribution, Rate, Weather
from ticker._staleness import (
    RATES_ZONE,
    Reason,
    age_of,
    not_refreshed,
    rate_staleness,
    weather_staleness,
)
from ticker._strip.bidi import bare, isolate, line
from ticker._strip.i18n import (
    PHRASES,
    condition_name,
    currency_name,
    direction_of,
    in_language,
    language_key,
    language_tag,
    localize_number,
    phrase,
    reason_text,
)
from ticker._wire import (
    RateItem,
    ReasonCode,
    Strip,
    TemperatureUnit,
    Tomorrow,
    WeatherItem,
)
from ticker.sources import Credit

__all__ = [
    "DISPLAY_CONTEXT",
    "MISSING_TEXT",
    "UNSHOWABLE_REASON",
    "build_strip",
    "fahrenheit",
    "format_published",
    "format_range",
    "format_temperature",
    "in_units",
    "rate_items",
    "rate_label",
    "rates_text",
    "temperature_text",
    "weather_items",
    "weather_text",
    "weather_value_text",
    "whole_degrees",
]

#: Shown in place of a value the cache does not hold.
MISSING_TEXT = "—"
#: The source recorded for a value the editors pinned.
EDITORIAL_SOURCE = "editorial"
SEPARATOR = " · "
#: Joins the ends of a temperature range when one of them is 0 (U+2026 HORIZONTAL ELLIPSIS).
RANGE_JOINER = "…"
#: The reason of an item whose value cannot be shown.
UNSHOWABLE_REASON = Reason(ReasonCode.NOT_SHOWN)
#: The reason of an item the cache holds no value for.
NO_VALUE_REASON = Reason(ReasonCode.NO_VALUE)
#: Every number of the strip is formatted in this context: 50 digits hold any value
#: within the models' bounds, and an invalid operation raises (it is never a NaN).
DISPLAY_CONTEXT = decimal.Context(
    prec=50,
    rounding=ROUND_HALF_UP,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
_CENTS = Decimal("0.01")
# Distinct items logged as unshowable; each is logged once per process.
_LOGGED_UNSHOWABLE = 256

log = logging.getLogger("ticker.strip")


def format_published(value: Decimal, *, derived: bool = False, decimals: int | None = None) -> str:
    """The published digits with at least two decimals: ``258.1`` -> ``258.10``, and
    ``9.3450`` stays ``9.3450``.

    A derived (cross) rate has no published digits; it is rounded to two decimals.
    With ``decimals`` (``rates.decimals``) every value is rounded half up to that many.
    Raises ``ValueError`` for a value beyond the models' bounds.
    """
    COMPUTED_DIGITS.check(value)
    exponent = value.as_tuple().exponent
    with decimal.localcontext(DISPLAY_CONTEXT):
        if decimals is not None:
            value = value.quantize(Decimal(1).scaleb(-decimals))
        elif derived or (isinstance(exponent, int) and exponent > -2):
            value = value.quantize(_CENTS)
        return f"{value:f}"


def whole_degrees(celsius: float) -> int:
    """Whole degrees, half away from zero: ``±0.5`` -> ``±1``, ``-0.4`` -> ``0`` (never ``-0``)."""
    # repr() gives the shortest decimal that round-trips, so 18.5 stays exactly 18.5;
    # the magnitude is rounded half up (Python's round() would give 0 for 0.5 and -0.5).
    exact = Decimal(repr(celsius))
    with decimal.localcontext(DISPLAY_CONTEXT):
        magnitude = int(exact.copy_abs().quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return -magnitude if exact.is_signed() else magnitude


def _signed(whole: int) -> str:
    return f"{whole:+d}" if whole else "0"


def format_temperature(celsius: float) -> str:
    """Whole degrees, half away from zero, signed: ``18.5`` -> ``+19``, ``-0.4`` -> ``0``."""
    return _signed(whole_degrees(celsius))


def format_range(low: float, high: float) -> str:
    """A day's range in signed whole degrees that reads as a range in every language.

    ``+18+20``, ``-8-3``, ``-2+3``; one value when both ends round alike (``+5``,
    ``0``); the ends joined by an ellipsis when exactly one of them is 0, whose sign
    would otherwise glue it to the other end (``-8…0``, not ``-80``; ``0…+2``), as
    Kazhydromet joins the ends of a forecast range (``+14…+16``).
    """
    ends = whole_degrees(low), whole_degrees(high)
    if ends[0] == ends[1]:
        return _signed(ends[0])
    joiner = RANGE_JOINER if 0 in ends else ""
    return joiner.join(_signed(end) for end in ends)


#: How each of ``units`` writes a temperature's unit: ``+18+20℃``, ``+64+68°F``.
UNIT_SIGNS = {"metric": "℃", "imperial": "°F"}
#: The wire's name of each of ``units``.
UNIT_NAMES: Mapping[str, TemperatureUnit] = {"metric": "°C", "imperial": "°F"}


def temperature_text(
    temperature: float, low: float | None, high: float | None, sign: str = "℃"
) -> str:
    """``+18+20℃`` (a day's range, :func:`format_range`), or ``+19℃`` with no range."""
    if low is None or high is None:
        return f"{format_temperature(temperature)}{sign}"
    return f"{format_range(low, high)}{sign}"


def weather_value_text(reading: Weather) -> str:
    """``+18+20℃`` (today's min and max, :func:`format_range`), or ``+19℃`` with no range."""
    return temperature_text(reading.temperature, reading.min, reading.max)


def fahrenheit(celsius: float) -> float:
    """Degrees Fahrenheit to a tenth: ``18.0`` -> ``64.4``."""
    return round(celsius * 9 / 5 + 32, 1)


def rate_label(code: str, quant: int | None, base: str = "KZT") -> str:
    """``usd/kzt``, or ``100 uzs/kzt`` for a currency quoted per 100 units (``10 idr/uzs``)."""
    pair = f"{code.lower()}/{base.lower()}"
    return f"{quant} {pair}" if quant and quant != 1 else pair


@dataclass(frozen=True)
class Display:
    """The language of a strip, and whether numbers follow its conventions."""

    lang: str
    locale_numbers: bool = False
    #: ``rates.decimals``: every rate and change rounded half up to this many decimals.
    decimals: int | None = None

    def number(self, text: str) -> str:
        """``445.99`` as the strip writes it: plain, or in the language's convention."""
        return localize_number(text, self.lang) if self.locale_numbers else text

    def value(self, text: str) -> str:
        """A value as an item shows it: :meth:`number`, isolated in a right-to-left language."""
        return isolate(self.number(text), self.lang)


def format_change(change: Decimal, *, derived: bool = False, decimals: int | None = None) -> str:
    """A change against the previous publication, signed: ``+1.27``, ``-0.86``, ``0.00``.

    Written as its rate is (:func:`format_published`).
    """
    text = format_published(change.copy_abs(), derived=derived, decimals=decimals)
    if Decimal(text) == 0:
        return text
    return f"+{text}" if change > 0 else f"-{text}" if change < 0 else text


def _missing_rate(code: str, base: str, reason: Reason, lang: str) -> RateItem:
    return RateItem(
        code=code,
        base=base,
        label=rate_label(code, 1, base),
        text=MISSING_TEXT,
        missing=True,
        reason=reason_text(reason, lang),
        reason_code=reason.code,
        name=currency_name(code, lang),
    )


def active_pins(editorial: EditorialSettings, now: dt.datetime) -> dict[str, Pin]:
    """The editors' pins in force at ``now``, by item."""
    return {pin.item: pin for pin in editorial.pins if pin.until > now}


def _pinned_rate(
    code: str, value: Decimal, cached: Rate | None, now: dt.datetime, base: str
) -> Rate:
    return Rate.from_published(
        code=code,
        base=base,
        published=value,
        quant=cached.quant if cached is not None else 1,
        date=now.astimezone(RATES_ZONE).date(),
        source=EDITORIAL_SOURCE,
        fetched_at=now,
    )


def _pin_reason(pin: Pin) -> Reason:
    return Reason(ReasonCode.PINNED, values={"until": pin.until, "note": pin.reason})


def _held_reason(jump: Rate, display: Display, editorial: EditorialSettings) -> Reason:
    """A jump held back: who published what (as the strip would show it), until when."""
    value = display.number(
        format_published(jump.published, derived=jump.derived, decimals=display.decimals)
    )
    words = "held_jump_editors" if editorial.confirm_jumps else ""
    return Reason(ReasonCode.HELD_JUMP, words, {"source": jump.source, "value": value})


def rate_items(
    settings: RatesSettings,
    cached: Mapping[str, Rate],
    held: Mapping[str, Rate],
    *,
    display: Display,
    now: dt.datetime,
    editorial: EditorialSettings | None = None,
) -> list[RateItem]:
    """One item per shown code, in configured order; missing, held or pinned ones say why."""
    editorial = editorial or EditorialSettings()
    pins = active_pins(editorial, now)
    items = []
    for code in settings.currencies:
        if code in editorial.hide:
            continue
        try:
            item = _rate_entry(
                code, settings, cached, held, pins.get(code), display, now, editorial
            )
        except Exception as exc:  # one value must never take the strip down
            _log_unshowable("rates", code, f"{type(exc).__name__}: {exc}"[:200])
            item = _missing_rate(code, settings.base, UNSHOWABLE_REASON, display.lang)
        items.append(item)
    return items


def _rate_entry(
    code: str,
    settings: RatesSettings,
    cached: Mapping[str, Rate],
    held: Mapping[str, Rate],
    pin: Pin | None,
    display: Display,
    now: dt.datetime,
    editorial: EditorialSettings,
) -> RateItem:
    """The item of one code: pinned, missing, hidden, held or shown."""
    if pin is not None and pin.value is not None:
        pinned = _pinned_rate(code, pin.value, cached.get(code), now, settings.base)
        return _rate_item(pinned, display, age=0, reason=_pin_reason(pin), stale=False)
    rate = cached.get(code)
    if rate is not None and rate.base != settings.base:
        rate = None  # stored before the site's base changed
    if rate is None:
        return _missing_rate(code, settings.base, NO_VALUE_REASON, display.lang)
    age = age_of(rate.fetched_at, now)
    if age > settings.max_age.total_seconds():
        hidden = not_refreshed(age, ReasonCode.HIDDEN)
        return _missing_rate(code, settings.base, hidden, display.lang)
    reason = rate_staleness(rate, age, settings, now)
    jump = held.get(code)
    if jump is not None:
        reason = _held_reason(jump, display, editorial)
    return _rate_item(rate, display, age=age, reason=reason, stale=reason is not None)


@functools.lru_cache(maxsize=_LOGGED_UNSHOWABLE)
def _log_unshowable(kind: str, item: str, error: str) -> None:
    """Log, once per process for each item and error, a value the strip cannot show."""
    log.error("%s: %s cannot be shown and is missing from the strip: %s", kind, item, error)


def _rate_item(
    rate: Rate, display: Display, *, age: int, reason: Reason | None, stale: bool
) -> RateItem:
    decimals = display.decimals
    change = (
        None
        if rate.change is None
        else display.value(format_change(rate.change, derived=rate.derived, decimals=decimals))
    )
    return RateItem(
        **rate.model_dump(),
        label=rate_label(rate.code, rate.quant, rate.base),
        text=display.value(
            format_published(rate.published, derived=rate.derived, decimals=decimals)
        ),
        age=age,
        stale=stale,
        reason=reason_text(reason, display.lang) if reason is not None else None,
        reason_code=reason.code if reason is not None else None,
        name=currency_name(rate.code, display.lang),
        change_text=change,
    )


def weather_items(
    settings: WeatherSettings,
    cached: Mapping[str, Weather],
    *,
    display: Display,
    now: dt.datetime,
    editorial: EditorialSettings | None = None,
) -> list[WeatherItem]:
    """One item per shown city, in configured order; missing, hidden or pinned ones say why."""
    editorial = editorial or EditorialSettings()
    pins = active_pins(editorial, now)
    items = []
    for city in settings.cities:
        if city.id in editorial.hide:
            continue
        try:
            item = _weather_entry(city, settings, cached, pins.get(city.id), display, now)
            if settings.forecast_days == 2 and not item.missing:
                item = _with_tomorrow(item, cached.get(city.id), city, display, now)
        except Exception as exc:  # one value must never take the strip down
            _log_unshowable("weather", city.id, f"{type(exc).__name__}: {exc}"[:200])
            item = _missing_weather(city, UNSHOWABLE_REASON, display.lang)
        items.append(item)
    return items


def _missing_weather(city: City, reason: Reason, lang: str) -> WeatherItem:
    return WeatherItem(
        city=city.id,
        name=city.display_name(lang),
        text=MISSING_TEXT,
        missing=True,
        timezone=city.timezone,
        reason=reason_text(reason, lang),
        reason_code=reason.code,
    )


def _weather_entry(
    city: City,
    settings: WeatherSettings,
    cached: Mapping[str, Weather],
    pin: Pin | None,
    display: Display,
    now: dt.datetime,
) -> WeatherItem:
    """The item of one city: pinned, missing, hidden or shown."""
    reading = cached.get(city.id)
    if pin is not None and pin.temperature is not None:
        reading = Weather(
            city=city.id, temperature=pin.temperature, min=pin.min, max=pin.max,
            code=reading.code if reading else None, date=now.astimezone(city.zone).date(),
            observed_at=now, source=EDITORIAL_SOURCE, fetched_at=now,
        )  # fmt: skip
    if reading is None:
        return _missing_weather(city, NO_VALUE_REASON, display.lang)
    age = age_of(reading.fetched_at, now)
    if age > settings.max_age.total_seconds():
        return _missing_weather(city, not_refreshed(age, ReasonCode.HIDDEN), display.lang)
    staleness = weather_staleness(reading, age, city, settings.refresh, now)
    if pin is not None:
        staleness = None
    reason = _pin_reason(pin) if pin is not None else staleness
    return WeatherItem(
        **reading.model_dump(exclude={"tomorrow"}),
        name=city.display_name(display.lang),
        timezone=city.timezone,
        text=display.value(weather_value_text(reading)),
        age=age,
        stale=staleness is not None,
        reason=reason_text(reason, display.lang) if reason is not None else None,
        reason_code=reason.code if reason is not None else None,
        condition=condition_name(reading.code, display.lang),
    )


def rates_text(items: Sequence[RateItem], lang: str) -> str:
    """``usd/kzt 445.99 eur/kzt 486.53``: in a right-to-left ``lang``, a line of runs."""
    return line(_rate_runs(items, lang), lang)


def weather_text(items: Sequence[WeatherItem], lang: str) -> str:
    """``Astana +18+20℃``: in a right-to-left ``lang``, a line (each range is isolated)."""
    return line(_city_runs(items), lang)


def _rate_runs(items: Sequence[RateItem], lang: str) -> str:
    # Label and value are one left-to-right run: ``100 uzs/kzt 3.72`` reads as written.
    return " ".join(isolate(f"{item.label} {bare(item.text)}", lang) for item in items)


def _city_runs(items: Sequence[WeatherItem]) -> str:
    return " ".join(f"{item.name} {item.text}" for item in items)


def _credit_in(credit: Attribution, lang: str) -> Attribution:
    """A credit as a strip in ``lang`` shows it: in ``lang`` where its adapter writes it so."""
    if not isinstance(credit, Credit):
        return credit
    text = in_language({"en": credit.text, **credit.texts}, lang)
    return Attribution(source=credit.source, text=text, url=credit.url)


def build_strip(
    settings: Settings,
    rates: Mapping[str, Rate],
    weather: Mapping[str, Weather],
    *,
    lang: str,
    now: dt.datetime,
    held: Mapping[str, Rate] | None = None,
    attributions: Mapping[str, Attribution] | None = None,
) -> Strip:
    """The whole strip in ``lang`` from cached values at ``now``.

    ``attributions`` maps a source name to the credit its terms ask for; the strip
    lists those of the sources whose values it shows.
    """
    display = Display(
        lang,
        locale_numbers=settings.widget.numbers == "locale",
        decimals=settings.rates.decimals,
    )
    editorial = settings.editorial
    rate_list = rate_items(
        settings.rates, rates, held or {}, display=display, now=now, editorial=editorial
    )
    weather_list = weather_items(
        settings.weather, weather, display=display, now=now, editorial=editorial
    )
    parts = (_rate_runs(rate_list, lang), _city_runs(weather_list))
    text = line(SEPARATOR.join(part for part in parts if part), lang)
    shown = {item.source for item in rate_list if item.source} | {
        item.source for item in weather_list if item.source
    }
    credits = [
        _credit_in(credit, lang) for name, credit in (attributions or {}).items() if name in shown
    ]
    return Strip(
        lang=language_tag(lang),
        dir=direction_of(lang),
        rates=rate_list,
        weather=weather_list,
        text=text,
        sources=credits,
        labels={key: phrase(key, lang) for key in PHRASES},
        generated_at=now,
    )


def _with_tomorrow(
    item: WeatherItem, reading: Weather | None, city: City, display: Display, now: dt.datetime
) -> WeatherItem:
    """The item with tomorrow's range and condition, when the forecast is for tomorrow."""
    forecast = reading.tomorrow if reading is not None else None
    if forecast is None:
        return item
    tomorrow = now.astimezone(city.zone).date() + dt.timedelta(days=1)
    if forecast.date != tomorrow:
        return item  # a forecast fetched yesterday is for today by now
    text = display.value(temperature_text(forecast.max, forecast.min, forecast.max))
    return item.model_copy(
        update={
            "tomorrow": Tomorrow(
                date=forecast.date, min=forecast.min, max=forecast.max, code=forecast.code,
                text=text, condition=condition_name(forecast.code, display.lang),
            )
        }
    )  # fmt: skip


def _in_fahrenheit(item: WeatherItem, display: Display) -> WeatherItem:
    """A weather item with every temperature, and its text, in degrees Fahrenheit."""
    if item.missing or item.temperature is None:
        return item
    sign = UNIT_SIGNS["imperial"]
    low = None if item.min is None else fahrenheit(item.min)
    high = None if item.max is None else fahrenheit(item.max)
    now = fahrenheit(item.temperature)
    update: dict[str, object] = {
        "temperature": now,
        "min": low,
        "max": high,
        "feels_like": None if item.feels_like is None else fahrenheit(item.feels_like),
        "text": display.value(temperature_text(now, low, high, sign)),
    }
    if item.tomorrow is not None:
        t_low, t_high = fahrenheit(item.tomorrow.min), fahrenheit(item.tomorrow.max)
        text = display.value(temperature_text(t_high, t_low, t_high, sign))
        update["tomorrow"] = item.tomorrow.model_copy(
            update={"min": t_low, "max": t_high, "text": text}
        )
    return item.model_copy(update=update)


def in_units(strip: Strip, units: str, *, locale_numbers: bool = False) -> Strip:
    """``strip`` with its temperatures in ``units`` (``metric``: as built; ``imperial``: °F).

    Pure: made from the strip alone, so that a process holding only a snapshot's JSON
    (a child rendered it) makes the same bytes as the child would.
    """
    if units == "metric":
        return strip
    if units not in UNIT_SIGNS:
        raise ValueError(f"unknown units {units!r}")
    lang = language_key(strip.lang) or strip.lang
    display = Display(lang, locale_numbers=locale_numbers)
    weather = [_in_fahrenheit(item, display) for item in strip.weather]
    parts = (_rate_runs(strip.rates, lang), _city_runs(weather))
    text = line(SEPARATOR.join(part for part in parts if part), lang)
    return strip.model_copy(update={"weather": weather, "text": text, "unit": UNIT_NAMES[units]})
