"""ExchangeRate-API open access (open.er-api.com): daily market rates against USD.

Upstream: ``https://open.er-api.com/v6/latest/USD``, no key, documented at
https://www.exchangerate-api.com/docs/free.  The project's ``upstream-formats.md``
section 6 records the response: ``rates`` are units of each code per 1 ``base_code``,
``time_last_update_unix`` is when they were set (around 00:00 UTC each day), and a
refused request is ``{"result": "error", "error-type": "..."}`` sent with HTTP 200.

Terms (https://www.exchangerate-api.com/terms and the docs page above):

* attribution is required: wherever these rates are shown, link the text
  "Rates By Exchange Rate API" to https://www.exchangerate-api.com;
* the data updates once a day; caching it is allowed, redistributing it is not;
* requests are rate-limited: once an hour is never limited, and past the limit the
  API answers HTTP 429 until a 20-minute reset.

These are an aggregator's market rates, not a bank's.  The API gives units of each
currency per dollar; every rate here is the dollar's price of one unit, 1 / rates[X],
computed (``derived``) with 28 significant digits.  USD itself is not returned.  The
core crosses them into the site's base (X/KZT = (X/USD) / (KZT/USD)), and computes
the change, which the API does not send, from the publication stored before.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Literal

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ticker import Rate, SourceSettings, UpstreamFormatError
from ticker.sources import (
    COMPUTED_DIGITS,
    Calendar,
    Fetcher,
    NoOptions,
    RateList,
    Skipped,
    date_problem,
    describe,
    join_url,
    json_object,
)

__all__ = ["DEFAULT_URL", "LATEST_PATH", "ErApiRates"]

DEFAULT_URL = "https://open.er-api.com/"
LATEST_PATH = "v6/latest/USD"

_CODE = re.compile(r"[A-Z]{3}")
# 28 significant digits (Python's default), whatever the process's current context:
# more than any rate the API sends.
_INVERSE = decimal.Context(
    prec=28, traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow]
)
# 10000-01-01T00:00Z: the first instant datetime cannot hold.
_YEAR_10000 = 253_402_300_800
# Longer texts are cut in messages.
_SHOWN_CHARACTERS = 32


class _Latest(BaseModel):
    # Strict: every JSON number arrives as a Decimal, and nothing else is a number.
    model_config = ConfigDict(frozen=True, strict=True)

    result: Literal["success"]
    base_code: Literal["USD"]
    time_last_update_unix: Decimal = Field(gt=0, lt=_YEAR_10000, decimal_places=0)
    rates: dict[str, Any]


class ErApiRates:
    """USD rates from ExchangeRate-API's free daily rates against USD."""

    #: Every rate is in US dollars.
    base: ClassVar[str] = "USD"
    #: The rates are set around 00:00 UTC every day of the week.
    calendar: ClassVar[Calendar] = Calendar("UTC", frozenset(range(7)))
    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = (
        "Rates By Exchange Rate API",
        "https://www.exchangerate-api.com",
    )
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``); the
    #: terms give the English words, and these name the service as it names itself.
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Курсы: ExchangeRate-API",
        "kk": "Бағамдар: ExchangeRate-API",
        "zh": "汇率：ExchangeRate-API",
        "uz": "Курслар: ExchangeRate-API",
        "uz-Latn": "Kurslar: ExchangeRate-API",
        "ky": "Курстар: ExchangeRate-API",
        "tg": "Қурбҳо: ExchangeRate-API",
    }

    def __init__(self, settings: SourceSettings) -> None:
        NoOptions.model_validate(settings.options)
        self.name = settings.label
        self._base_url = str(settings.url) if settings.url else None
        self._http = Fetcher.for_source(settings)

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        """Fetch the latest rates against USD; the API always sends every currency."""
        url = join_url(self._base_url, DEFAULT_URL, LATEST_PATH)
        body = await self._http.get(session, url)
        return self.parse(body, fetched_at=dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> RateList:
        """USD per unit of every currency in a ``latest/USD`` response but USD.

        A currency whose figure is unusable, or whose inverse is beyond the bounds,
        is skipped and the others are kept.
        """
        try:
            latest = _Latest.model_validate(self._document(body))
        except ValidationError as exc:
            raise UpstreamFormatError(self.name, describe(exc)) from exc
        # The rates are set around 00:00 UTC, so the UTC date is the day they are for.
        date = dt.datetime.fromtimestamp(int(latest.time_last_update_unix), dt.UTC).date()
        problem = date_problem(date, today=self.calendar.today(fetched_at))
        if problem is not None:
            raise UpstreamFormatError(self.name, f"time_last_update_unix: {problem}")
        rates = []
        skipped = []
        for code, units in latest.rates.items():
            if not _CODE.fullmatch(code) or code == self.base:
                continue  # a key naming no currency, or the dollar's own 1
            try:
                rates.append(self._rate(code, units, date, fetched_at))
            except UpstreamFormatError as exc:
                skipped.append(Skipped(code, _shown(units), str(exc)))
        return RateList.usable(self.name, rates, skipped, item="currency")

    def _document(self, body: bytes) -> dict[str, Any]:
        document = json_object(body, self.name, exact=True)
        if document.get("result") == "error":
            reason = document.get("error-type", "no error-type given")
            raise UpstreamFormatError(self.name, f"ExchangeRate-API refused the request: {reason}")
        return document

    def _rate(self, code: str, units: object, date: dt.date, fetched_at: dt.datetime) -> Rate:
        """The dollar's price of one unit of ``code``, of which ``units`` buy one dollar."""
        try:
            figure = _units(units)
        except ValueError as exc:
            raise UpstreamFormatError(self.name, f"{code}: {exc}") from exc
        try:
            rate = _INVERSE.divide(Decimal(1), figure)
            return Rate.cross(
                code=code,
                base=self.base,
                rate=rate,
                date=date,
                source=self.name,
                fetched_at=fetched_at,
            )
        except ValidationError as exc:
            raise UpstreamFormatError(self.name, f"{code}: {describe(exc)}") from exc
        except ValueError as exc:  # Rate.cross names the code itself
            raise UpstreamFormatError(self.name, str(exc)) from exc
        # Overflow, or an underflow to zero (figures passed the bounds, so not expected).
        except ArithmeticError as exc:
            message = f"{code}: 1 / {figure} is beyond Decimal's range"
            raise UpstreamFormatError(self.name, message) from exc


def _units(units: object) -> Decimal:
    """A positive figure within the bounds, checked on its digits before any division."""
    if not (isinstance(units, Decimal) and units.is_finite() and units > 0):
        raise ValueError(f"{_shown(units)} is not a positive number")
    return COMPUTED_DIGITS.check(units)


def _shown(value: object) -> str:
    """A figure for a message, cut when it is long."""
    text = str(value) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= _SHOWN_CHARACTERS else f"{text[:_SHOWN_CHARACTERS]}…"
