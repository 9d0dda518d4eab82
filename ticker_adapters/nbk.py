"""National Bank of Kazakhstan (nationalbank.kz): the official KZT exchange rates.

Feeds (undocumented by the bank; their formats are written up in the project's
``upstream-formats.md``, section 1):

* ``https://nationalbank.kz/rss/rates_all.xml`` -- RSS 2.0, every currency's current
  rate, one ``<item>`` per currency with its own ``pubDate``.
* ``https://nationalbank.kz/rss/get_rates.cfm?fdate=DD.MM.YYYY`` -- a ``<rates>``
  document with one ``<date>`` for the rates of that day.
* The same figures as a page:
  https://nationalbank.kz/en/exchangerates/ezhednevnye-oficialnye-rynochnye-kursy-valyut

Terms: the bank states none for the feeds, nor rate limits (none found); poll gently.
The official USD rate is fixed at 15:30 Astana time for the next business day
(NBK FAQ), so the next date's rates appear in the late afternoon, Asia/Almaty.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import ClassVar
from xml.etree.ElementTree import Element

import aiohttp

from ticker import Direction, Rate, SourceSettings, UpstreamFormatError
from ticker.sources import (
    Calendar,
    Fetcher,
    NoOptions,
    PublicationWindow,
    RateList,
    Skipped,
    join_url,
)
from ticker_adapters._banks import (
    CODE,
    MAX_NUMBER_CHARACTERS,
    format_errors,
    keep_prevailing_date,
    read_date,
    safe_xml,
    shown,
)

__all__ = [
    "DATED_PATH",
    "DEFAULT_URL",
    "LATEST_PATH",
    "MAX_NUMBER_CHARACTERS",
    "RATES_ZONE",
    "NbkRates",
]

DEFAULT_URL = "https://nationalbank.kz/rss/"
LATEST_PATH = "rates_all.xml"
DATED_PATH = "get_rates.cfm"

_DIRECTIONS = {"UP": Direction.UP, "DOWN": Direction.DOWN}
# The short rates.xml feed titled the rouble "RUR" (seen in 2017).
_RENAMED = {"RUR": "RUB"}
#: The bank dates its rates in Astana's calendar.
RATES_ZONE = zoneinfo.ZoneInfo("Asia/Almaty")


class NbkRates:
    """Official KZT rates from the National Bank of Kazakhstan's feeds."""

    #: Every rate is in tenge.
    base: ClassVar[str] = "KZT"
    #: The bank dates its rates in Astana's calendar, for business days: Monday to
    #: Friday but Kazakhstan's public holidays.
    calendar: ClassVar[Calendar] = Calendar("Asia/Almaty", country="KZ")
    #: The USD rate is fixed at 15:30 Astana time for the next business day (NBK FAQ,
    #: upstream-formats.md section 1, "Schedule"); the next date's rates appear in the
    #: late afternoon, so the window is watched until 18:30.
    publication_window: ClassVar[PublicationWindow] = PublicationWindow(
        dt.time(15, 30), dt.time(18, 30)
    )

    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = (
        "Official rates: National Bank of Kazakhstan",
        "https://nationalbank.kz/",
    )
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``).
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Официальные курсы: Национальный Банк Казахстана",
        "kk": "Ресми бағамдар: Қазақстан Ұлттық Банкі",
        "zh": "官方汇率：哈萨克斯坦国家银行",
        "uz": "Расмий курслар: Қозоғистон Миллий банки",
        "uz-Latn": "Rasmiy kurslar: Qozogʻiston Milliy banki",
        "ky": "Расмий курстар: Казакстан Улуттук банкы",
        "tg": "Қурбҳои расмӣ: Бонки миллии Қазоқистон",
    }

    def __init__(self, settings: SourceSettings) -> None:
        NoOptions.model_validate(settings.options)
        self.name = settings.label
        self._base_url = str(settings.url) if settings.url else None
        self._http = Fetcher.for_source(settings)

    async def fetch(
        self,
        session: aiohttp.ClientSession,
        currencies: Sequence[str],
        *,
        on: dt.date | None = None,
    ) -> list[Rate]:
        """Fetch every current rate, or the rates of the date ``on``; NBK always sends all."""
        path, params = LATEST_PATH, None
        if on is not None:
            path, params = DATED_PATH, {"fdate": f"{on:%d.%m.%Y}"}
        url = join_url(self._base_url, DEFAULT_URL, path)
        body = await self._http.get(session, url, params=params)
        return self.parse(body, fetched_at=dt.datetime.now(dt.UTC))

    async def fetch_on(
        self, session: aiohttp.ClientSession, currencies: Sequence[str], on: dt.date
    ) -> list[Rate]:
        """The rates of the date ``on`` (``get_rates.cfm?fdate=``), for ``ticker backfill``."""
        return await self.fetch(session, currencies, on=on)

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> RateList:
        """The current rates of an RSS feed or a ``get_rates.cfm`` document.

        An item with a value beyond the bounds, or dated outside the window around
        the fetch date in Asia/Almaty, is skipped and the others are kept.
        """
        today = fetched_at.astimezone(RATES_ZONE).date()
        rates: list[Rate] = []
        skipped: list[Skipped] = []
        first: UpstreamFormatError | None = None
        for item, date_text in self._items(body):
            code = _code(item)
            if code is None:
                continue
            try:
                rates.append(self._rate(item, code, date_text, fetched_at, today))
            except UpstreamFormatError as exc:
                skipped.append(Skipped(code, shown(item.findtext("description")), str(exc)))
                first = first or exc
        if first is not None and not rates:
            raise first
        if not rates:
            raise UpstreamFormatError(self.name, "the document has no currency items")
        return keep_prevailing_date(self.name, rates, skipped)

    def _items(self, body: bytes) -> list[tuple[Element, str | None]]:
        root = safe_xml(body, self.name)
        # Iterate items only: the channel's own <title> and <description> share their tags.
        if root.tag == "rss":
            return [(item, item.findtext("pubDate")) for item in root.iterfind("channel/item")]
        if root.tag == "rates":
            return [(item, root.findtext("date")) for item in root.iterfind("item")]
        raise UpstreamFormatError(
            self.name, f"expected an <rss> or <rates> document, got <{root.tag}>"
        )

    def _rate(
        self,
        item: Element,
        code: str,
        date_text: str | None,
        fetched_at: dt.datetime,
        today: dt.date,
    ) -> Rate:
        with format_errors(self.name, code):
            return Rate.from_published(
                code=code,
                published=_number(item, "description"),
                quant=_quant(item),
                # pubDate is DD.MM.YY in the 2016 feed and DD.MM.YYYY in later ones.
                date=read_date(date_text, "DD.MM.YYYY or DD.MM.YY", "date", today),
                change=_number(item, "change") if _text(item, "change", "") else None,
                direction=_DIRECTIONS.get(_text(item, "index", "").upper(), Direction.FLAT),
                source=self.name,
                fetched_at=fetched_at,
            )


def _code(item: Element) -> str | None:
    """The item's ISO code, or ``None`` for an item that names no currency."""
    title = (item.findtext("title") or "").strip()
    code = _RENAMED.get(title, title)
    return code if CODE.fullmatch(code) else None


def _text(item: Element, tag: str, default: str | None = None) -> str:
    text = (item.findtext(tag) or "").strip()
    if text:
        return text
    if default is None:
        raise ValueError(f"<{tag}> is missing or empty")
    return default


def _number(item: Element, tag: str) -> Decimal:
    text = _text(item, tag)
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise ValueError(f"<{tag}> is {len(text)} characters long: no value is")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"<{tag}> {text!r} is not a number") from exc


def _quant(item: Element) -> int:
    text = _text(item, "quant")
    if not text.isdigit() or len(text) > MAX_NUMBER_CHARACTERS or int(text) == 0:
        written = repr(text) if len(text) <= MAX_NUMBER_CHARACTERS else f"of {len(text)} characters"
        raise ValueError(f"<quant> {written} is not a positive whole number")
    return int(text)
