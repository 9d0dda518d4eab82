"""Bank of Russia (cbr.ru): official rouble rates, crossed through RUB into KZT rates.

Upstream: ``https://www.cbr.ru/scripts/XML_daily.asp`` -- the rates of "the last
registered date" as one ``<ValCurs>`` document, described (in Russian) at
http://www.cbr.ru/development/SXML/.  The project's ``upstream-formats.md`` section 2
records what the documents really hold:

* bytes in windows-1251 (as declared), decimal commas, and each ``Value`` in roubles
  per ``Nominal`` units; nominals change over time (TRY 10 -> 1 -> 10), and KZT is
  quoted per 100;
* ``ValCurs Date`` is the date the rates take effect (DD.MM.YYYY); a Saturday
  document covers Sunday and Monday, and an evening request may already get
  tomorrow's.

The unofficial mirror https://www.cbr-xml-daily.ru/ serves the same document re-encoded
as UTF-8 at ``daily_utf8.xml`` (configure ``url`` and ``path: daily_utf8.xml``).

Every rate here is a cross rate (``derived``): X/KZT = (X/RUB) / (KZT/RUB).

Terms: the bank states none for the feed, nor rate limits (none found); it publishes
once a day, so poll gently and send a descriptive User-Agent.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import zoneinfo
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import ClassVar
from xml.etree.ElementTree import Element, ParseError

import aiohttp
from defusedxml.ElementTree import fromstring
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from ticker import Rate, SourceSettings, UpstreamFormatError
from ticker.sources import Fetcher, RateList, Skipped, date_problem, describe, join_url

__all__ = ["DEFAULT_URL", "XML_DAILY_PATH", "CbrRates"]

DEFAULT_URL = "https://www.cbr.ru/"
XML_DAILY_PATH = "scripts/XML_daily.asp"

_CODE = re.compile(r"[A-Z]{3}")
# Value is roubles with a decimal comma ("19,8608"), Nominal a whole number of units.
# Bounded lengths keep every quotient well inside Decimal's exponent range.
_VALUE = re.compile(r"\d{1,15}(?:,\d{1,15})?")
_NOMINAL = re.compile(r"\d{1,9}")
_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._~/-]*")
# The bank dates its documents in Moscow's calendar.
_MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
# Longer texts are cut in messages.
_SHOWN_CHARACTERS = 32
# Python's default 28 significant digits: far beyond the 4 decimals the bank publishes.
_CROSS = decimal.Context(prec=28)


class _Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = XML_DAILY_PATH

    @field_validator("path")
    @classmethod
    def _relative(cls, path: str) -> str:
        # Relative to the base URL, so a path can never lead to another host.
        if not _PATH.fullmatch(path):
            raise ValueError("must be a path under url, such as daily_utf8.xml")
        return path


class CbrRates:
    """KZT cross rates from the Bank of Russia's daily rouble rates."""

    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = ("Rates: Bank of Russia", "https://www.cbr.ru/")
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``).
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Курсы: Банк России",
        "kk": "Бағамдар: Ресей Банкі",
        "zh": "汇率：俄罗斯银行",
        "uz": "Курслар: Россия Банки",
        "uz-Latn": "Kurslar: Rossiya Banki",
    }

    def __init__(self, settings: SourceSettings) -> None:
        self._path = _Options.model_validate(settings.options).path
        self.name = settings.label
        self._base_url = str(settings.url) if settings.url else None
        self._http = Fetcher.for_source(settings)

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        """Fetch the latest document; the bank always sends every currency."""
        url = join_url(self._base_url, DEFAULT_URL, self._path)
        body = await self._http.get(session, url)
        return self.parse(body, fetched_at=dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> RateList:
        """KZT per unit of RUB and of every other currency in a ``ValCurs`` document but KZT.

        An entry with an unusable value, or whose cross rate is beyond the bounds, is
        skipped and the others are kept; without a usable KZT entry nothing is.
        """
        root = self._root(body)
        date = self._date(root.get("Date"), fetched_at)
        roubles, skipped = self._roubles(root)
        if "KZT" not in roubles:
            raise UpstreamFormatError(self.name, "no KZT rate: nothing can be crossed into KZT")
        rates = []
        for code, rate in _kzt_per_unit(roubles).items():
            try:
                rates.append(self._rate(code, rate, date, fetched_at))
            except UpstreamFormatError as exc:
                skipped.append(Skipped(code, str(rate), str(exc)))
        return RateList.usable(self.name, rates, skipped, item="entry")

    def _root(self, body: bytes) -> Element:
        try:
            root = fromstring(body)
        # DefusedXmlException (an entity, a bomb) is a ValueError; an unknown declared
        # encoding raises LookupError, a multi-byte one ValueError.
        except (ParseError, LookupError, ValueError) as exc:
            raise UpstreamFormatError(self.name, f"not safe, well-formed XML: {exc}") from exc
        if root.tag != "ValCurs":
            raise UpstreamFormatError(self.name, f"expected a <ValCurs> document, got <{root.tag}>")
        return root

    def _date(self, text: str | None, fetched_at: dt.datetime) -> dt.date:
        """The date the document's rates take effect, in the window around the fetch."""
        match = _DATE.fullmatch((text or "").strip())
        if match is None:
            raise UpstreamFormatError(self.name, f"ValCurs Date {text!r} is not DD.MM.YYYY")
        day, month, year = match.groups()
        try:
            date = dt.date(int(year), int(month), int(day))
        except ValueError as exc:
            raise UpstreamFormatError(self.name, f"ValCurs Date {text!r}: {exc}") from exc
        problem = date_problem(date, today=fetched_at.astimezone(_MOSCOW).date())
        if problem is not None:
            raise UpstreamFormatError(self.name, f"ValCurs Date: {problem}")
        return date

    def _roubles(self, root: Element) -> tuple[dict[str, tuple[Decimal, Decimal]], list[Skipped]]:
        """Each usable currency's (Value, Nominal), and the entries skipped with why.

        ``Value`` roubles buy ``Nominal`` units.
        """
        roubles: dict[str, tuple[Decimal, Decimal]] = {}
        skipped: list[Skipped] = []
        seen: set[str] = set()
        for valute in root.iterfind("Valute"):
            code = (valute.findtext("CharCode") or "").strip()
            if not _CODE.fullmatch(code):
                continue  # an entry naming no currency cannot be shown; the others still can
            if code in seen:
                raise UpstreamFormatError(self.name, f"{code}: listed twice")
            seen.add(code)
            try:
                roubles[code] = (
                    _positive(valute, "Value", _VALUE, "19,8608"),
                    _positive(valute, "Nominal", _NOMINAL, "100"),
                )
            except ValueError as exc:
                if code == "KZT":  # every rate is crossed through it
                    raise UpstreamFormatError(self.name, f"{code}: {exc}") from exc
                value = (valute.findtext("Value") or "").strip()[:_SHOWN_CHARACTERS]
                skipped.append(Skipped(code, value, f"{self.name}: {code}: {exc}"))
        if not seen:
            raise UpstreamFormatError(self.name, "the document has no currency entries")
        return roubles, skipped

    def _rate(self, code: str, rate: Decimal, date: dt.date, fetched_at: dt.datetime) -> Rate:
        try:
            return Rate.cross(
                code=code, rate=rate, date=date, source=self.name, fetched_at=fetched_at
            )
        except ValidationError as exc:
            raise UpstreamFormatError(self.name, f"{code}: {describe(exc)}") from exc
        except ValueError as exc:  # Rate.cross names the code itself
            raise UpstreamFormatError(self.name, str(exc)) from exc


def _kzt_per_unit(roubles: dict[str, tuple[Decimal, Decimal]]) -> dict[str, Decimal]:
    """KZT per one unit of RUB and of every currency but KZT: (X/RUB) / (KZT/RUB)."""
    kzt_value, kzt_nominal = roubles["KZT"]
    rub_per_kzt = _CROSS.divide(kzt_value, kzt_nominal)
    rates = {"RUB": _CROSS.divide(kzt_nominal, kzt_value)}
    for code, (value, nominal) in roubles.items():
        if code not in {"KZT", "RUB"}:
            rates[code] = _CROSS.divide(_CROSS.divide(value, nominal), rub_per_kzt)
    return rates


def _positive(valute: Element, tag: str, pattern: re.Pattern[str], example: str) -> Decimal:
    """The positive number in ``<tag>``, written with a decimal comma."""
    text = (valute.findtext(tag) or "").strip()
    if not pattern.fullmatch(text):
        shown = text[:_SHOWN_CHARACTERS]
        raise ValueError(f"<{tag}> {shown!r} is not a number such as {example}")
    number = Decimal(text.replace(",", "."))
    if number == 0:
        raise ValueError(f"<{tag}> is zero")
    return number
