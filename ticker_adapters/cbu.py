"""Central Bank of the Republic of Uzbekistan (cbu.uz): the official UZS exchange rates.

Feeds (the bank's "For webmasters" page, ``ru/arkhiv-kursov-valyut/veb-masteram/``,
describes them; what the responses really hold is written up in the project's
``upstream-formats.md``, section 8):

* ``https://cbu.uz/ru/arkhiv-kursov-valyut/json/`` -- every currency's current rate;
* ``https://cbu.uz/ru/arkhiv-kursov-valyut/json/all/YYYY-MM-DD/`` -- the rates of a
  date, for ``ticker backfill`` (``uz``, ``uzc`` and ``en`` in place of ``ru`` give
  the same body).

Quirks:

* the body is a JSON *array* of objects, one per currency, and every value in them
  is a string: ``"Rate": "11850.40"`` is UZS per ``"Nominal"`` units (``10`` for IDR,
  IRR and VND, ``1`` for the rest), ``"Diff"`` the change against the previous
  publication written without padding (``"-7.2"``, ``"0"``), ``"Date"`` the date the
  rate is valid from, ``DD.MM.YYYY`` in Tashkent's calendar;
* ``"Ccy"`` is the ISO code; the numeric ``"Code"`` and the running ``"id"`` are not
  used, and the names in four languages that come with the data are left to CLDR.

Terms: the bank states none for the feeds, nor rate limits (none found); it offers
them for other sites to publish its rates, so credit it and poll gently.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import aiohttp

from ticker import Direction, Rate, SourceSettings, UpstreamFormatError
from ticker.sources import Calendar, Fetcher, NoOptions, PublicationWindow, RateList, join_url
from ticker_adapters._banks import (
    CODE,
    DECIMAL_POINT,
    MAX_NUMBER_CHARACTERS,
    WHOLE,
    bounded_number,
    format_errors,
    keep_prevailing_date,
    rate_list,
    read_date,
    shown,
)

__all__ = ["DATED_PATH", "DEFAULT_URL", "LATEST_PATH", "MAX_TEXT_CHARACTERS", "CbuRates"]

DEFAULT_URL = "https://cbu.uz/"
LATEST_PATH = "ru/arkhiv-kursov-valyut/json/"
#: ``DATED_PATH.format(on=date)``: the rates of one date.
DATED_PATH = "ru/arkhiv-kursov-valyut/json/all/{on:%Y-%m-%d}/"
#: No value the bank writes is longer (``-123456789012.1234567890``); a longer string
#: is refused before it is read.
MAX_TEXT_CHARACTERS = MAX_NUMBER_CHARACTERS

# A signed decimal, ASCII digits only: \d alone takes any script's digits.
_DIFF = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)


class CbuRates:
    """Official UZS rates from the Central Bank of Uzbekistan's JSON feed."""

    #: Every rate is in Uzbek soum.
    base: ClassVar[str] = "UZS"
    #: The bank dates its rates in Tashkent's calendar, for business days: Monday to
    #: Friday but Uzbekistan's public holidays.
    calendar: ClassVar[Calendar] = Calendar("Asia/Tashkent", country="UZ")
    #: The next day's rates are reported to appear around 17:00-18:00 Tashkent time
    #: (upstream-formats.md section 8, "Publication"; UNVERIFIED by the bank): the
    #: window spans that hour and one more.
    publication_window: ClassVar[PublicationWindow] = PublicationWindow(
        dt.time(17, 0), dt.time(19, 0)
    )
    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = (
        "Official rates: Central Bank of the Republic of Uzbekistan",
        "https://cbu.uz/",
    )
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``).
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Официальные курсы: Центральный банк Республики Узбекистан",
        "kk": "Ресми бағамдар: Өзбекстан Республикасының Орталық банкі",
        "zh": "官方汇率：乌兹别克斯坦共和国中央银行",
        "uz": "Расмий курслар: Ўзбекистон Республикаси Марказий банки",
        "uz-Latn": "Rasmiy kurslar: Oʻzbekiston Respublikasi Markaziy banki",
        "ky": "Расмий курстар: Өзбекстан Республикасынын Борбордук банкы",
        "tg": "Қурбҳои расмӣ: Бонки марказии Ҷумҳурии Ӯзбекистон",
    }

    def __init__(self, settings: SourceSettings) -> None:
        NoOptions.model_validate(settings.options)
        self.name = settings.label
        self._base_url = str(settings.url) if settings.url else None
        self._http = Fetcher.for_source(settings)

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        """Fetch every current rate; the bank always sends all of them."""
        return await self._get(session, LATEST_PATH)

    async def fetch_on(
        self, session: aiohttp.ClientSession, currencies: Sequence[str], on: dt.date
    ) -> list[Rate]:
        """The rates of the date ``on`` (``json/all/YYYY-MM-DD/``), for ``ticker backfill``."""
        return await self._get(session, DATED_PATH.format(on=on))

    async def _get(self, session: aiohttp.ClientSession, path: str) -> RateList:
        body = await self._http.get(session, join_url(self._base_url, DEFAULT_URL, path))
        return self.parse(body, fetched_at=dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> RateList:
        """UZS per unit of every currency in a JSON array of the bank's objects.

        An item with a value beyond the bounds, dated outside the window around the
        fetch date in Tashkent, or of another date than most items are, is skipped
        and the others are kept.
        """
        today = self.calendar.today(fetched_at)
        items = self._items(body)
        if not items:
            raise UpstreamFormatError(self.name, "the array has no currency objects")
        current = rate_list(
            self.name,
            items,
            lambda code, item: self._rate(code, item, fetched_at, today),
            lambda item: _shown(item.get("Rate")),
            item="currency",
        )
        return keep_prevailing_date(self.name, current, current.skipped)

    def _items(self, body: bytes) -> list[tuple[str, dict[str, Any]]]:
        """Each object of the array that names a currency, with its code."""
        try:
            # Exact: a JSON number anywhere (an "id" of a million digits) is a Decimal.
            document = json.loads(
                body, parse_float=Decimal, parse_int=Decimal, parse_constant=Decimal
            )
        except (ValueError, RecursionError) as exc:
            raise UpstreamFormatError(self.name, f"not JSON: {exc}") from exc
        if not isinstance(document, list):
            kind = type(document).__name__
            raise UpstreamFormatError(self.name, f"expected a JSON array, got {kind}")
        items = []
        for item in document:
            code = item.get("Ccy") if isinstance(item, dict) else None
            if isinstance(code, str) and CODE.fullmatch(code):
                items.append((code, item))
        return items

    def _rate(
        self, code: str, item: dict[str, Any], fetched_at: dt.datetime, today: dt.date
    ) -> Rate:
        with format_errors(self.name, code):
            change = _number(item, "Diff", _DIFF, "-7.2") if "Diff" in item else None
            return Rate.from_published(
                code=code,
                base=self.base,
                published=_number(item, "Rate", DECIMAL_POINT, "11850.40"),
                quant=int(_number(item, "Nominal", WHOLE, "10")),
                date=read_date(_text(item, "Date"), "DD.MM.YYYY", "Date", today),
                change=change,
                direction=_direction(change),
                source=self.name,
                fetched_at=fetched_at,
            )


def _text(item: dict[str, Any], key: str) -> str:
    """The string under ``key``, bounded in length before anything reads it."""
    if key not in item:
        raise ValueError(f"{key} is missing")
    value = item[key]
    if not isinstance(value, str):
        raise ValueError(f"{key} is {_shown(value)}, not a string")
    text = value.strip()
    if len(text) > MAX_TEXT_CHARACTERS:
        raise ValueError(f"{key} is {len(text)} characters long: no value is")
    return text


def _number(item: dict[str, Any], key: str, pattern: re.Pattern[str], example: str) -> Decimal:
    return bounded_number(_text(item, key), key, pattern, example)


def _direction(change: Decimal | None) -> Direction:
    if not change:
        return Direction.FLAT
    return Direction.UP if change > 0 else Direction.DOWN


def _shown(value: object) -> str:
    """A value for a message, as JSON writes it and cut when it is long."""
    if isinstance(value, list | dict):
        return "an array" if isinstance(value, list) else "an object"
    return shown(str(value) if isinstance(value, str | Decimal) else json.dumps(value))
