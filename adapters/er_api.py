"""ExchangeRate-API open access (open.er-api.com): daily rates against USD, crossed into KZT.

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

These are an aggregator's market rates, not the National Bank's: every rate here is a
cross rate (``derived``), X/KZT = rates[KZT] / rates[X].
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
# Python's default 28 significant digits: more than any rate the API sends.
_CROSS = decimal.Context(prec=28)
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
    """KZT cross rates from ExchangeRate-API's free daily rates against USD."""

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
        """KZT per unit of every currency in a ``latest/USD`` response but KZT.

        A currency whose figure is unusable, or whose cross rate is beyond the
        bounds, is skipped and the others are kept; without a usable KZT nothing is.
        """
        try:
            latest = _Latest.model_validate(self._document(body))
        except ValidationError as exc:
            raise UpstreamFormatError(self.name, describe(exc)) from exc
        # The rates are set around 00:00 UTC, so the UTC date is the day they are for.
        date = dt.datetime.fromtimestamp(int(latest.time_last_update_unix), dt.UTC).date()
        problem = date_problem(date, today=fetched_at.astimezone(dt.UTC).date())
        if problem is not None:
            raise UpstreamFormatError(self.name, f"time_last_update_unix: {problem}")
        per_usd, skipped = self._per_usd(latest.rates)
        kzt = per_usd.pop("KZT", None)
        if kzt is None:
            raise UpstreamFormatError(self.name, "no KZT rate: nothing can be crossed into KZT")
        if not per_usd and not skipped:
            raise UpstreamFormatError(self.name, "no currency besides KZT")
        rates = []
        for code, units in per_usd.items():
            try:
                rates.append(self._rate(code, kzt, units, date, fetched_at))
            except UpstreamFormatError as exc:
                skipped.append(Skipped(code, _shown(units), str(exc)))
        return RateList.usable(self.name, rates, skipped, item="currency")

    def _document(self, body: bytes) -> dict[str, Any]:
        document = json_object(body, self.name, exact=True)
        if document.get("result") == "error":
            reason = document.get("error-type", "no error-type given")
            raise UpstreamFormatError(self.name, f"ExchangeRate-API refused the request: {reason}")
        return document

    def _per_usd(self, rates: dict[str, Any]) -> tuple[dict[str, Decimal], list[Skipped]]:
        """Units of each currency per 1 USD, and those skipped with why.

        Keys that are no currency code are left out; a figure that is no positive
        number within the bounds is skipped (a bad KZT fails the whole response).
        """
        per_usd = {}
        skipped = []
        for code, units in rates.items():
            if not _CODE.fullmatch(code):
                continue
            try:
                per_usd[code] = _units(units)
            except ValueError as exc:
                if code == "KZT":  # every rate is crossed through it
                    raise UpstreamFormatError(self.name, f"{code}: {exc}") from exc
                skipped.append(Skipped(code, _shown(units), f"{self.name}: {code}: {exc}"))
        return per_usd, skipped

    def _rate(
        self, code: str, kzt: Decimal, units: Decimal, date: dt.date, fetched_at: dt.datetime
    ) -> Rate:
        try:
            rate = _CROSS.divide(kzt, units)
            return Rate.cross(
                code=code, rate=rate, date=date, source=self.name, fetched_at=fetched_at
            )
        except ValidationError as exc:
            raise UpstreamFormatError(self.name, f"{code}: {describe(exc)}") from exc
        except ValueError as exc:  # Rate.cross names the code itself
            raise UpstreamFormatError(self.name, str(exc)) from exc
        # Overflow, or an underflow to zero (figures passed the bounds, so not expected).
        except ArithmeticError as exc:
            message = f"{code}: {kzt} KZT / {units} is beyond Decimal's range"
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
