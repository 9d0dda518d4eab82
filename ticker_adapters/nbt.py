"""National Bank of Tajikistan (nbt.tj): the official TJS exchange rates.

Feed (undocumented by the bank; its format is written up in the project's
``upstream-formats.md``, section 10):
``https://www.nbt.tj/ru/kurs/export_xml.php?export=xmlout`` -- today's rates of every
currency the bank quotes (about 36); with ``&date=YYYY-MM-DD``, the rates of that
date, for ``ticker backfill``.  ``/en/`` and ``/tj/`` in place of ``/ru/`` give the
same figures with the names in English or Tajik.

Quirks:

* the shape of the Bank of Russia's ``XML_daily`` (``<ValCurs>`` of ``<Valute>``), but
  UTF-8, dot decimals, an ISO date and no ``VunitRate``: ``<Value>9.4120</Value>`` is
  TJS per ``<Nominal>`` units, and nominals are 1, 10, 100 or 1000 (KZT and KGS per
  10, UZS and KRW per 100 in 2026);
* ``<ValCurs Date="YYYY-MM-DD">`` is the date of the rates in Dushanbe's calendar;
* no change is published: every rate's change is None, for the core to compute from
  the publication it stored before.

Terms: the bank states none for the feed, nor rate limits (none found); poll gently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import ClassVar

import aiohttp

from ticker import Rate, SourceSettings
from ticker.sources import Calendar, Fetcher, NoOptions, RateList, join_url
from ticker_adapters._banks import (
    DECIMAL_POINT,
    MAX_NUMBER_CHARACTERS,
    coded,
    document_date,
    entry_rates,
    xml_root,
)

__all__ = ["DEFAULT_URL", "EXPORT_PATH", "MAX_NUMBER_CHARACTERS", "NbtRates"]

DEFAULT_URL = "https://www.nbt.tj/"
EXPORT_PATH = "ru/kurs/export_xml.php"


class NbtRates:
    """Official TJS rates from the National Bank of Tajikistan's XML export."""

    #: Every rate is in Tajik somoni.
    base: ClassVar[str] = "TJS"
    #: The bank dates its rates in Dushanbe's calendar, for business days: Monday to
    #: Friday but Tajikistan's public holidays.  No publication window: the bank
    #: sets each day's rates that day ("today", in its announcements), at a time it
    #: does not document (upstream-formats.md section 10 gives none).
    calendar: ClassVar[Calendar] = Calendar("Asia/Dushanbe", country="TJ")
    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = (
        "Official rates: National Bank of Tajikistan",
        "https://www.nbt.tj/",
    )
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``).
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Официальные курсы: Национальный банк Таджикистана",
        "kk": "Ресми бағамдар: Тәжікстан Ұлттық банкі",
        "zh": "官方汇率：塔吉克斯坦国家银行",
        "uz": "Расмий курслар: Тожикистон Миллий банки",
        "uz-Latn": "Rasmiy kurslar: Tojikiston Milliy banki",
        "ky": "Расмий курстар: Тажикстандын Улуттук банкы",
        "tg": "Қурбҳои расмӣ: Бонки миллии Тоҷикистон",
    }

    def __init__(self, settings: SourceSettings) -> None:
        NoOptions.model_validate(settings.options)
        self.name = settings.label
        self._base_url = str(settings.url) if settings.url else None
        self._http = Fetcher.for_source(settings)

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        """Fetch today's rates; the bank always sends every currency."""
        return await self._get(session, {"export": "xmlout"})

    async def fetch_on(
        self, session: aiohttp.ClientSession, currencies: Sequence[str], on: dt.date
    ) -> list[Rate]:
        """The rates of the date ``on`` (``&date=YYYY-MM-DD``), for ``ticker backfill``."""
        return await self._get(session, {"date": f"{on:%Y-%m-%d}", "export": "xmlout"})

    async def _get(self, session: aiohttp.ClientSession, params: Mapping[str, str]) -> RateList:
        url = join_url(self._base_url, DEFAULT_URL, EXPORT_PATH)
        body = await self._http.get(session, url, params=params)
        return self.parse(body, fetched_at=dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> RateList:
        """TJS per unit of every currency in a ``ValCurs`` document.

        An entry with an unusable value or nominal is skipped and the others are
        kept; a document dated outside the window around the fetch date in Dushanbe
        is refused whole.
        """
        root = xml_root(body, self.name, "ValCurs")
        date = document_date(root, self.name, "YYYY-MM-DD", self.calendar.today(fetched_at))
        entries = coded(root.iterfind("Valute"), lambda valute: valute.findtext("CharCode"))
        return entry_rates(
            self.name, self.base, entries, date, fetched_at, value=DECIMAL_POINT, example="9.4120"
        )
