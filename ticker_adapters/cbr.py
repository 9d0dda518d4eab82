"""Bank of Russia (cbr.ru): the official rouble rates of foreign currencies.

Upstream: ``https://www.cbr.ru/scripts/XML_daily.asp`` -- the rates of "the last
registered date" as one ``<ValCurs>`` document, described (in Russian) at
http://www.cbr.ru/development/SXML/.  The project's ``upstream-formats.md`` section 2
records what the documents really hold:

* bytes in windows-1251 (as declared), decimal commas, and each ``Value`` in roubles
  per ``Nominal`` units; nominals change over time (TRY 10 -> 1 -> 10), and KZT is
  quoted per 100; ``VunitRate`` (roubles per one unit, in newer documents) is not
  read: ``Value`` and ``Nominal`` are the published figures;
* ``ValCurs Date`` is the date the rates take effect (DD.MM.YYYY); a Saturday
  document covers Sunday and Monday, and an evening request may already get
  tomorrow's.

The unofficial mirror https://www.cbr-xml-daily.ru/ serves the same document re-encoded
as UTF-8 at ``daily_utf8.xml`` (configure ``url`` and ``path: daily_utf8.xml``).

Every rate here is in roubles, as published; RUB itself is not in the document.  The
core crosses them into the site's base (X/KZT = (X/RUB) / (KZT/RUB)), and computes
the change, which the bank does not publish, from the publication stored before.

Terms: the bank states none for the feed, nor rate limits (none found); it publishes
once a day, so poll gently and send a descriptive User-Agent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

import aiohttp
from pydantic import BaseModel, ConfigDict, field_validator

from ticker import Rate, SourceSettings
from ticker.sources import Calendar, Fetcher, PublicationWindow, RateList, join_url
from ticker_adapters._banks import DECIMAL_COMMA, coded, document_date, entry_rates, xml_root

__all__ = ["DEFAULT_URL", "XML_DAILY_PATH", "CbrRates"]

DEFAULT_URL = "https://www.cbr.ru/"
XML_DAILY_PATH = "scripts/XML_daily.asp"

_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._~/-]*")


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
    """Official RUB rates from the Bank of Russia's daily XML document."""

    #: Every rate is in Russian roubles.
    base: ClassVar[str] = "RUB"
    #: Moscow's calendar; its documents are dated Tuesday to Saturday (Saturday's
    #: covers Sunday and Monday), so Saturday's rate is the one due on Monday.  Each
    #: is set the working day before: after a Russian public holiday there is none.
    calendar: ClassVar[Calendar] = Calendar(
        "Europe/Moscow", frozenset({1, 2, 3, 4, 5}), country="RU", set_days_before=1
    )
    #: The rates are set as of 15:30 Moscow time since 25 April 2022 (the bank's press
    #: release, https://cbr.ru/eng/press/pr/?id=35932) for the next day, and appear
    #: later that afternoon: the window opens at 15:30 and is watched for three hours.
    publication_window: ClassVar[PublicationWindow] = PublicationWindow(
        dt.time(15, 30), dt.time(18, 30)
    )
    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = ("Rates: Bank of Russia", "https://www.cbr.ru/")
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``).
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Курсы: Банк России",
        "kk": "Бағамдар: Ресей Банкі",
        "zh": "汇率：俄罗斯银行",
        "uz": "Курслар: Россия Банки",
        "uz-Latn": "Kurslar: Rossiya Banki",
        "ky": "Курстар: Россия Банкы",
        "tg": "Қурбҳо: Бонки Россия",
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
        """RUB per unit of every currency in a ``ValCurs`` document.

        An entry with an unusable Value or Nominal, or listed twice, is skipped and
        the others are kept; a document dated outside the window around the fetch
        date in Moscow is refused whole.
        """
        root = xml_root(body, self.name, "ValCurs")
        date = document_date(root, self.name, "DD.MM.YYYY", self.calendar.today(fetched_at))
        entries = coded(root.iterfind("Valute"), lambda valute: valute.findtext("CharCode"))
        return entry_rates(
            self.name,
            self.base,
            entries,
            date,
            fetched_at,
            value=DECIMAL_COMMA,
            example="19,8608",
            zero_refused=True,
        )
