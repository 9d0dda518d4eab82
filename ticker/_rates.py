"""The arithmetic of rates: cross rates into a site's base, changes, conversions.

Everything is :class:`~decimal.Decimal`, under contexts of this module's own (never
the process's current one), and every result is bounded like any rate
(:data:`~ticker._models.COMPUTED_DIGITS`) before it is kept:

* :func:`cross_into` turns one source's rates, in the currency it publishes in, into
  rates in the site's ``rates.base``: X/T = (X/B) / (T/B) and B/T = 1 / (T/B), with
  28 significant digits (far beyond the 4 decimals any bank publishes), each marked
  ``derived`` and quoted per the smallest power of ten of units worth at least one
  unit of the base (:meth:`~ticker._models.Rate.cross`);
* :func:`with_change` gives a rate whose bank publishes no change the change against
  the previous publication ticker stored of the same source;
* :func:`convert` converts an amount between two currencies through the base.

The minor unit of a currency (two decimals for USD, none for JPY, three for KWD)
comes from CLDR through Babel, the same data the strip's currency names come from.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision
from pydantic import ValidationError

from ticker._exceptions import UpstreamFormatError
from ticker._models import COMPUTED_DIGITS, Direction, Rate, RateList, Skipped

__all__ = [
    "AMOUNT_PATTERN",
    "CROSS_CONTEXT",
    "MAX_AMOUNT_DIGITS",
    "Converted",
    "convert",
    "cross_into",
    "minor_unit",
    "parse_amount",
    "with_change",
]

#: Cross rates keep 28 significant digits (Python's default precision), rounded half even.
CROSS_CONTEXT = decimal.Context(
    prec=28,
    rounding=ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
#: Sums and products of bounded values are exact within these digits.
_EXACT = decimal.Context(
    prec=120,
    rounding=ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow, decimal.Inexact],
)
#: Display rounding: half up, as the banks round.
_DISPLAY = decimal.Context(
    prec=80,
    rounding=ROUND_HALF_UP,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
#: An amount to convert has at most this many digits (``999999999999999999``, or
#: ``0.000000000000000001``): far beyond any sum, far inside every bound.
MAX_AMOUNT_DIGITS = 18
# ASCII digits only: ``\d`` would take "٣" (ARABIC-INDIC THREE), which Decimal reads as 3.
_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_SHOWN_CHARACTERS = 32


def _amount_pattern(digits: int) -> str:
    """The amounts :func:`parse_amount` takes, as one regular expression (ECMA-262 and re).

    One branch per count ``k`` of whole digits after the leading zeros, each followed
    by at most ``digits - k`` decimals: an OpenAPI schema can say the bound exactly.
    """
    branches = [f"0+(?:\\.[0-9]{{1,{digits}}})?"]
    for whole in range(1, digits + 1):
        branch = "0*[1-9]" + (f"[0-9]{{{whole - 1}}}" if whole > 1 else "")
        if whole < digits:
            branch += f"(?:\\.[0-9]{{1,{digits - whole}}})?"
        branches.append(branch)
    return "^-?(?:" + "|".join(branches) + ")$"


#: Exactly the texts :func:`parse_amount` accepts, for the API's description.
AMOUNT_PATTERN = _amount_pattern(MAX_AMOUNT_DIGITS)


def cross_into(rates: Sequence[Rate], base: str, *, native: str, source: str) -> RateList:
    """The rates of one ``source`` document, published in ``native``, crossed into ``base``.

    The document must hold ``base`` itself (its rate in ``native``), through which
    every other rate is crossed; without it nothing can be, which is a format error.
    An item in another currency than ``native``, or whose cross rate is beyond the
    bounds, is skipped and named with why; the document's own skipped items stay named.
    """
    skipped = list(rates.skipped) if isinstance(rates, RateList) else []
    own = []
    for rate in rates:
        if rate.base == native:
            own.append(rate)
        else:
            skipped.append(Skipped(rate.code, str(rate.published), f"in {rate.base}, not {native}"))
    if native == base:
        return RateList(own, skipped)
    through = next((rate for rate in own if rate.code == base), None)
    if through is None:
        why = next((item.reason for item in skipped if item.item == base), None)
        detail = f" ({why.removeprefix(f'{source}: ')})" if why else ""
        raise UpstreamFormatError(
            source, f"no {base} rate{detail}: nothing can be crossed into {base}"
        )
    crossed: list[Rate] = []
    wanted: list[tuple[str, Rate | None]] = [(native, None)]
    wanted += [(item.code, item) for item in own if item.code != base]
    for code, quote in wanted:
        try:
            if quote is None:  # the native currency itself: 1 / (T/B)
                value = CROSS_CONTEXT.divide(Decimal(1), through.rate)
            else:
                value = CROSS_CONTEXT.divide(quote.rate, through.rate)
            crossed.append(
                Rate.cross(
                    code=code,
                    base=base,
                    rate=value,
                    date=min(through.date, quote.date) if quote else through.date,
                    source=source,
                    fetched_at=quote.fetched_at if quote else through.fetched_at,
                )
            )
        except (ValueError, ArithmeticError) as exc:  # ValidationError is a ValueError
            shown = str(quote.published if quote else through.published)[:_SHOWN_CHARACTERS]
            skipped.append(Skipped(code, shown, f"{source}: {code}/{base}: {_first_line(exc)}"))
    return RateList.usable(source, crossed, skipped, item="cross rate")


def _first_line(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(error["msg"] for error in exc.errors(include_url=False))
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def with_change(rate: Rate, previous: Rate | None) -> Rate:
    """``rate`` with its change against the previous publication ticker stored.

    A rate whose source published a change keeps it.  Otherwise, against
    ``previous`` (the rate stored before, if it is the same source's quote of the
    same currency in the same base and quant): a later date changes by the
    difference; the same date again (a re-fetch, or a correction) keeps the change
    that publication had, plus any correction.  With nothing to compare with, the
    change stays null and the direction flat.
    """
    if rate.change is not None or previous is None:
        return rate
    same_quote = (previous.code, previous.base, previous.quant, previous.source, previous.derived)
    if same_quote != (rate.code, rate.base, rate.quant, rate.source, rate.derived):
        return rate
    try:
        step = _EXACT.subtract(rate.published, previous.published)
        if previous.date < rate.date:
            change = step
        elif previous.date == rate.date and previous.change is not None:
            change = _EXACT.add(previous.change, step)
        else:
            return rate
        direction = Direction.UP if change > 0 else Direction.DOWN if change < 0 else Direction.FLAT
        return Rate.model_validate({**dict(rate), "change": change, "direction": direction})
    except (ValueError, ArithmeticError):  # beyond the bounds: no change rather than none at all
        return rate


def minor_unit(code: str) -> int:
    """The decimals of ``code``'s minor unit in CLDR: 2 for KZT and USD, 0 for JPY."""
    return int(get_currency_precision(code))


def parse_amount(text: str) -> Decimal:
    """An amount as a query writes it (``100``, ``12.50``, ``-3``), at most 18 digits.

    Digits are counted as written, leading zeros apart (``0.50`` has two); the texts
    taken are exactly those :data:`AMOUNT_PATTERN` matches.  Raises ``ValueError``
    saying what is wrong: a value that is not a plain finite decimal in ASCII digits
    (no exponent, no ``NaN``, no ``Infinity``) or has too many digits.
    """
    if not _AMOUNT.fullmatch(text):
        shown = text if len(text) <= _SHOWN_CHARACTERS else f"{text[:_SHOWN_CHARACTERS]}…"
        raise ValueError(f"{shown!r} is not a decimal number such as 100 or 12.50")
    whole, _, fraction = text.lstrip("-").partition(".")
    digits = len(whole.lstrip("0")) + len(fraction)  # 0.5 has one digit, as 5 has
    if digits > MAX_AMOUNT_DIGITS:
        raise ValueError(f"has {digits} digits; at most {MAX_AMOUNT_DIGITS} are allowed")
    return Decimal(text)


@dataclass(frozen=True)
class Converted:
    """An amount converted: ``result`` = ``amount`` x ``rate`` exactly."""

    rate: Decimal
    result: Decimal
    text: str
    derived: bool


def convert(amount: Decimal, source: Rate | None, target: Rate | None, *, to: str) -> Converted:
    """``amount`` of one currency in ``to``, given each one's rate in the base.

    ``source`` and ``target`` are the rates of the two currencies in the site's
    base, None for the base itself.  The rate is exact when the target is the base
    (a published rate per one unit); otherwise it is a quotient of 28 significant
    digits and ``derived``.  ``result`` is ``amount`` times that rate, exact;
    ``text`` is the result rounded half up to the target's minor unit.
    """
    if target is None:
        rate, derived = (source.rate, source.derived) if source else (Decimal(1), False)
    else:
        numerator = source.rate if source is not None else Decimal(1)
        rate = CROSS_CONTEXT.divide(numerator, target.rate)
        derived = True
    COMPUTED_DIGITS.check(rate)
    result = _EXACT.multiply(amount, rate)
    shown = result.quantize(Decimal(1).scaleb(-minor_unit(to)), context=_DISPLAY)
    if not shown:
        shown = shown.copy_abs()  # -0.001 shows as 0.00: a zero has no sign to show
    return Converted(rate=rate, result=result, text=f"{shown:f}", derived=derived)
