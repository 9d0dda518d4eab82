"""National Bank of the Kyrgyz Republic (nbkr.kg): the official KGS exchange rates.

Feeds (undocumented by the bank; their formats are written up in the project's
``upstream-formats.md``, section 9):

* ``https://www.nbkr.kg/XML/daily.xml`` -- the official rates of the main currencies
  (USD, EUR, CNY, KZT and RUB in 2026), set every business day;
* ``https://www.nbkr.kg/XML/weekly.xml`` -- the other currencies, set once a week: the
  same shape, with a ``<ValidFor>`` of days in each ``<Currency>``.

No feed of a past date is documented, so this adapter has no ``fetch_on`` and
``ticker backfill`` cannot fill the bank's past.

Quirks:

* bytes in windows-1251, as the prolog declares (the parser honours it), and decimal
  commas: ``<Currency ISOCode="USD"><Nominal>1</Nominal><Value>86,9000</Value>`` is
  86.9 KGS per ``Nominal`` units;
* ``<CurrencyRates Date="DD.MM.YYYY">`` is the date the rates are valid from, in
  Bishkek's calendar: fetched in the evening or at a weekend it is already the next
  business day's;
* no change is published: every rate's change is None, for the core to compute from
  the publication it stored before.

``fetch`` reads ``daily.xml``, and ``weekly.xml`` only when a currency asked for is not
in the daily document; a currency in both is the daily one.  When the weekly feed
fails the daily rates are still returned, and each currency asked for that only the
weekly could have given is named among the skipped, with why.

Terms: the bank states none for the feeds, nor rate limits (none found); poll gently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import ClassVar

import aiohttp

from ticker import Rate, SourceSettings, UpstreamError
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
    DECIMAL_COMMA,
    MAX_NUMBER_CHARACTERS,
    coded,
    document_date,
    entry_rates,
    xml_root,
)

__all__ = ["DAILY_PATH", "DEFAULT_URL", "MAX_NUMBER_CHARACTERS", "WEEKLY_PATH", "NbkrRates"]

DEFAULT_URL = "https://www.nbkr.kg/"
DAILY_PATH = "XML/daily.xml"
WEEKLY_PATH = "XML/weekly.xml"


class NbkrRates:
    """Official KGS rates from the National Bank of the Kyrgyz Republic's XML feeds."""

    #: Every rate is in Kyrgyz som.
    base: ClassVar[str] = "KGS"
    #: The bank dates its rates in Bishkek's calendar, for business days: Monday to
    #: Friday but Kyrgyzstan's public holidays.
    calendar: ClassVar[Calendar] = Calendar("Asia/Bishkek", country="KG")
    #: The official rates are determined on trading days from 15:00 to 15:30 Bishkek
    #: time (the National Statistical Committee's metadata of the series,
    #: https://www.stat.gov.kg/nsdp/stat.files/SSRD/METADATA/External/EXCHANGE/sm/index.htm)
    #: and the evening's file is dated the next day (upstream-formats.md section 9):
    #: the window opens at 15:30 and is watched for three hours.
    publication_window: ClassVar[PublicationWindow] = PublicationWindow(
        dt.time(15, 30), dt.time(18, 30)
    )
    #: The credit its terms ask for wherever the data is shown.
    credit: ClassVar[tuple[str, str]] = (
        "Official rates: National Bank of the Kyrgyz Republic",
        "https://www.nbkr.kg/",
    )
    #: The same credit in the strip's other languages (Kazakh scripts from ``kk``).
    credit_texts: ClassVar[Mapping[str, str]] = {
        "ru": "Официальные курсы: Национальный банк Кыргызской Республики",
        "kk": "Ресми бағамдар: Қырғыз Республикасының Ұлттық банкі",
        "zh": "官方汇率：吉尔吉斯共和国国家银行",
        "uz": "Расмий курслар: Қирғиз Республикаси Миллий банки",
        "uz-Latn": "Rasmiy kurslar: Qirgʻiz Respublikasi Milliy banki",
        "ky": "Расмий курстар: Кыргыз Республикасынын Улуттук банкы",
        "tg": "Қурбҳои расмӣ: Бонки миллии Ҷумҳурии Қирғизистон",
    }

    def __init__(self, settings: SourceSettings) -> None:
        NoOptions.model_validate(settings.options)
        self.name = settings.label
        self._base_url = str(settings.url) if settings.url else None
        self._http = Fetcher.for_source(settings)

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        """The daily rates, with the weekly ones when a currency asked for is not daily."""
        daily = await self._get(session, DAILY_PATH)
        listed = {rate.code for rate in daily} | {item.item for item in daily.skipped}
        absent = [code for code in currencies if code != self.base and code not in listed]
        if not absent:
            return daily
        try:
            weekly = await self._get(session, WEEKLY_PATH)
        except UpstreamError as exc:
            # The daily rates stand; the currencies only the weekly gives say why they lack.
            why = str(exc).removeprefix(f"{self.name}: ")
            lacking = [
                Skipped(code, "", f"{self.name}: {code}: not daily, and {WEEKLY_PATH}: {why}")
                for code in absent
            ]
            return RateList(daily, [*daily.skipped, *lacking])
        return RateList(
            [*daily, *(rate for rate in weekly if rate.code not in listed)],
            [*daily.skipped, *(item for item in weekly.skipped if item.item not in listed)],
        )

    async def _get(self, session: aiohttp.ClientSession, path: str) -> RateList:
        body = await self._http.get(session, join_url(self._base_url, DEFAULT_URL, path))
        return self.parse(body, fetched_at=dt.datetime.now(dt.UTC))

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> RateList:
        """KGS per unit of every currency in a daily or weekly ``CurrencyRates`` document.

        An entry with an unusable value or nominal is skipped and the others are
        kept; a document dated outside the window around the fetch date in Bishkek
        is refused whole.
        """
        root = xml_root(body, self.name, "CurrencyRates")
        date = document_date(root, self.name, "DD.MM.YYYY", self.calendar.today(fetched_at))
        entries = coded(root.iterfind("Currency"), lambda currency: currency.get("ISOCode"))
        return entry_rates(
            self.name, self.base, entries, date, fetched_at, value=DECIMAL_COMMA, example="86,9000"
        )
