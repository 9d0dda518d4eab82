"""A site's own base currency: cross rates, computed changes, labels, decimals, calendars."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from ticker import (
    ConfigError,
    Rate,
    Refresher,
    SourceSet,
    Store,
    UpstreamFormatError,
    build_sources,
)
from ticker._data.backfill import backfill
from ticker._data.history import History
from ticker._models import Calendar, Direction, RateList, Skipped
from ticker._rates import cross_into, with_change
from ticker._staleness import next_change, rate_staleness
from ticker._strip.build import build_strip, format_change, format_published, rate_label

from .conftest import NOW, SETTINGS_YAML, make_settings, rate

TASHKENT = dt.date(2026, 11, 28)


def uzs(code: str, published: str, *, quant: int = 1, source: str = "cbu", **kw: object) -> Rate:
    """A rate as the Central Bank of Uzbekistan publishes it, in UZS."""
    return rate(code, published, quant=quant, source=source, base="UZS", **kw)  # type: ignore[arg-type]


CBU_DOCUMENT = RateList(
    [
        uzs("USD", "11850.40", change="-7.2", direction=Direction.DOWN),
        uzs("KZT", "26.58", change="0.01", direction=Direction.UP),
        uzs("IDR", "7.45", quant=10, change="0"),
    ],
    [Skipped("XAU", "oops", "cbu: XAU: not a number")],
)


def test_a_document_in_another_currency_is_crossed_into_the_base_exactly():
    """X/KZT = (X/UZS) / (KZT/UZS) and UZS/KZT = 1 / (KZT/UZS), 28 digits, derived."""
    crossed = {r.code: r for r in cross_into(CBU_DOCUMENT, "KZT", native="UZS", source="cbu")}
    assert set(crossed) == {"USD", "UZS", "IDR"}
    usd = crossed["USD"]
    # 11850.40 / 26.58, written out by hand to 28 significant digits.
    assert usd.rate == Decimal("445.8389766741911211437170805")
    assert (usd.base, usd.quant, usd.derived, usd.source) == ("KZT", 1, True, "cbu")
    # 1 / 26.58 = 0.0376222723852520692249811888... : quoted per 100, worth 3.76 KZT.
    som = crossed["UZS"]
    assert som.rate == Decimal("0.03762227238525206922498118886")
    assert (som.quant, som.published) == (100, Decimal("3.762227238525206922498118886"))
    assert rate_label(som.code, som.quant, som.base) == "100 uzs/kzt"
    assert format_published(som.published, derived=True) == "3.76"
    # 7.45 UZS per 10 IDR = 0.745 UZS per IDR; / 26.58 = 0.0280285...: per 100.
    assert crossed["IDR"].quant == 100
    assert crossed["IDR"].rate == Decimal("0.745") / Decimal("26.58")


def test_crossing_keeps_what_the_document_skipped_and_drops_the_bank_change():
    """Skipped items stay named; a cross rate has no published change (it is computed later)."""
    crossed = cross_into(CBU_DOCUMENT, "KZT", native="UZS", source="cbu")
    assert [s.item for s in crossed.skipped] == ["XAU"]
    assert all(r.change is None and r.direction is Direction.FLAT for r in crossed)


def test_a_document_in_the_base_is_kept_as_published():
    """No crossing when the bank publishes in the site's base: the same rates, not derived."""
    kept = cross_into(CBU_DOCUMENT, "UZS", native="UZS", source="cbu")
    assert list(kept) == list(CBU_DOCUMENT)
    assert kept[0].change == Decimal("-7.2")


def test_without_the_base_in_the_document_nothing_can_be_crossed():
    """A bank whose document lacks the site's base is a format error naming the base."""
    with pytest.raises(UpstreamFormatError, match="no KGS rate"):
        cross_into(CBU_DOCUMENT, "KGS", native="UZS", source="cbu")


def test_one_cross_rate_beyond_the_bounds_costs_that_item_only():
    """A currency worth too little in the base is skipped; the others are crossed."""
    document = RateList(
        [uzs("KZT", "26.58"), uzs("VND", "0.0001", quant=1000), uzs("USD", "11850.40")]
    )
    crossed = cross_into(document, "KZT", native="UZS", source="cbu")
    assert {r.code for r in crossed} == {"USD", "UZS"}
    assert [s.item for s in crossed.skipped] == ["VND"]
    assert "worth less than 0.01 KZT" in crossed.skipped[0].reason


def test_a_rate_in_an_unexpected_currency_is_skipped():
    """An item not in the adapter's own base is never crossed as if it were."""
    document = RateList([uzs("KZT", "26.58"), rate("USD", "445.99")])
    crossed = cross_into(document, "KZT", native="UZS", source="cbu")
    assert [s.item for s in crossed.skipped] == ["USD"]


class TestChangeFromThePreviousPublication:
    """A bank that publishes no change gets one against the publication ticker stored."""

    def kgs(self, published: str, day: int, **kw: object) -> Rate:
        return rate("USD", published, change=None, source="nbkr", base="KGS",
                    date=dt.date(2026, 11, day), **kw)  # type: ignore[arg-type]  # fmt: skip

    def test_a_later_publication_changes_by_the_difference(self):
        """9.3450 then 9.3500 the next day: +0.0050, up."""
        new = with_change(self.kgs("9.3500", 28), self.kgs("9.3450", 27))
        assert (new.change, new.direction) == (Decimal("0.0050"), Direction.UP)

    def test_a_fall_is_down_and_no_move_is_flat_with_zero(self):
        """A lower value is down; the same value is flat with change 0, not null."""
        assert (
            with_change(self.kgs("9.3400", 28), self.kgs("9.3450", 27)).direction is Direction.DOWN
        )
        same = with_change(self.kgs("9.3450", 28), self.kgs("9.3450", 27))
        assert (same.change, same.direction) == (Decimal("0.0000"), Direction.FLAT)

    def test_the_same_publication_again_keeps_its_change_and_a_correction_adds_to_it(self):
        """A re-fetch keeps +0.0050; a same-day correction to 9.3510 makes it +0.0060."""
        first = with_change(self.kgs("9.3500", 28), self.kgs("9.3450", 27))
        assert with_change(self.kgs("9.3500", 28), first).change == Decimal("0.0050")
        assert with_change(self.kgs("9.3510", 28), first).change == Decimal("0.0060")

    def test_nothing_to_compare_with_is_flat_and_null(self):
        """No stored publication, another source's, another base or quant: change null, flat."""
        new = self.kgs("9.3500", 28)
        assert with_change(new, None).change is None
        other = rate("USD", "9.3450", change=None, source="nbt", base="KGS")
        assert with_change(new, other).change is None
        assert with_change(new, rate("USD", "445.99", change=None)).change is None
        first_seen = self.kgs("9.3500", 28)
        assert with_change(new, first_seen).change is None
        assert with_change(new, None).direction is Direction.FLAT

    def test_a_published_change_is_never_replaced(self):
        """The bank's own Diff wins over anything ticker would compute."""
        published = uzs("USD", "11850.40", change="-7.2", direction=Direction.DOWN)
        assert with_change(published, uzs("USD", "11000.00")).change == Decimal("-7.2")

    def test_a_cross_rate_changes_by_its_computed_difference(self):
        """Derived rates compare their computed values, shown rounded like the rate."""
        before = cross_into(RateList([uzs("KZT", "26.58"), uzs("USD", "11850.40")]), "KZT",
                            native="UZS", source="cbu")  # fmt: skip
        after = cross_into(RateList([uzs("KZT", "26.58"), uzs("USD", "11877.00")]), "KZT",
                           native="UZS", source="cbu")  # fmt: skip
        previous = next(r for r in before if r.code == "USD")
        previous = previous.model_copy(update={"date": dt.date(2026, 11, 27)})
        new = with_change(next(r for r in after if r.code == "USD"), previous)
        # (11877.00 - 11850.40) / 26.58 = 26.60 / 26.58 = 1.000752...
        assert new.direction is Direction.UP
        assert format_change(new.change, derived=True) == "+1.00"


def test_decimals_round_half_up_for_display_only():
    """9.3450 stays 9.3450; with decimals 2 it shows 9.35 (half up), the value untouched."""
    assert format_published(Decimal("9.3450")) == "9.3450"
    assert format_published(Decimal("9.3450"), decimals=2) == "9.35"
    assert format_published(Decimal("9.3449"), decimals=2) == "9.34"
    assert format_published(Decimal("445.99"), decimals=0) == "446"
    assert format_published(Decimal("3.7622272385"), derived=True, decimals=4) == "3.7622"
    assert format_change(Decimal("-0.0050"), decimals=2) == "-0.01"
    assert format_change(Decimal("0.004"), decimals=2) == "0.00"


UZBEK_SITE = SETTINGS_YAML.replace(
    "  currencies: [USD, EUR, RUB, CNY]\n",
    "  base: UZS\n  currencies: [USD, KZT, IDR]\n  decimals: 2\n",
).replace('{adapter: static, rates: {USD: "445.99"}}', "{adapter: cbu}, {adapter: nbk}")


def test_the_strip_is_labelled_in_the_base_and_rounded_as_configured():
    """usd/uzs 11850.40, 10 idr/uzs, kzt/uzs; decimals 2 rounds a 4-decimal value."""
    settings = make_settings(UZBEK_SITE)
    rates = {
        "USD": uzs("USD", "11850.40", change="-7.2", direction=Direction.DOWN),
        "KZT": uzs("KZT", "26.5849"),
        "IDR": uzs("IDR", "7.45", quant=10),
    }
    strip = build_strip(settings, rates, {}, lang="en", now=NOW)
    assert [item.label for item in strip.rates] == ["usd/uzs", "kzt/uzs", "10 idr/uzs"]
    assert [item.text for item in strip.rates] == ["11850.40", "26.58", "7.45"]
    assert strip.rates[0].change_text == "-7.20"
    assert strip.text.startswith("usd/uzs 11850.40 kzt/uzs 26.58 10 idr/uzs 7.45 · ")
    assert all(item.base == "UZS" for item in strip.rates)


def test_a_rate_stored_in_another_base_is_missing_not_mislabelled():
    """After the base changes, a KZT rate still in the cache is not shown as usd/uzs."""
    settings = make_settings(UZBEK_SITE)
    strip = build_strip(settings, {"USD": rate("USD", "445.99")}, {}, lang="en", now=NOW)
    assert (strip.rates[0].label, strip.rates[0].missing) == ("usd/uzs", True)


def test_the_cache_reads_only_rates_in_the_asked_base(store: Store):
    """Store.rates(base=...) treats a rate in another base as absent."""
    store.put_rates([rate("USD", "445.99"), uzs("KZT", "26.58")])
    assert set(store.rates(["USD", "KZT"])) == {"USD"}
    assert set(store.rates(["USD", "KZT"], base="UZS")) == {"KZT"}


@pytest.mark.parametrize(
    ("yaml_rates", "key", "message"),
    [
        ("  base: KZT\n  currencies: [USD, KZT]\n", "rates", "KZT is the base"),
        ("  base: XYZ\n  currencies: [USD]\n", "rates.base", "not an ISO 4217 code"),
        ("  base: uzs\n  currencies: [USD]\n", "rates.base", "ISO 4217"),
        ("  currencies: [USD]\n  decimals: 11\n", "rates.decimals", "less than or equal to 10"),
        ("  currencies: [USD]\n  decimals: -1\n", "rates.decimals", "greater than or equal to 0"),
    ],
)
def test_a_bad_base_or_decimals_names_the_key(yaml_rates: str, key: str, message: str):
    """The settings error names the file, the key and what is allowed."""
    text = SETTINGS_YAML.replace("  currencies: [USD, EUR, RUB, CNY]\n", yaml_rates)
    with pytest.raises(ConfigError) as caught:
        make_settings(text)
    assert "test.yaml" in str(caught.value)
    assert any(path == key and message in text for path, text in caught.value.problems)


class BankRates:
    """A rates source publishing in its own base currency."""

    def __init__(self, name: str, base: str, rates: Sequence[Rate], calendar: Calendar) -> None:
        self.name, self.base, self.rates, self.calendar = name, base, list(rates), calendar
        self.asked: list[list[str]] = []

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        self.asked.append(list(currencies))
        return RateList(self.rates)

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> list[Rate]:
        raise NotImplementedError


async def test_every_bank_is_a_fallback_for_every_other(store: Store, session):
    """A Kazakh site's rates come crossed from the Uzbek bank when the first bank lacks them."""
    settings = make_settings(
        SETTINGS_YAML.replace(
            '[{adapter: static, rates: {USD: "445.99"}}]', "[{adapter: nbk}, {adapter: cbu}]"
        )
    )
    nbk = BankRates("nbk", "KZT", [rate("USD", "445.99"), rate("EUR", "486.53")], Calendar())
    cbu = BankRates("cbu", "UZS", CBU_DOCUMENT, Calendar("Asia/Tashkent"))
    refresher = Refresher(settings, SourceSet([nbk, cbu], []), store, session, clock=lambda: NOW)
    report = await refresher.refresh_rates()
    assert report.stored == ["USD", "EUR"]
    assert report.missing == ["RUB", "CNY"]  # neither is in the Uzbek document
    assert cbu.asked == [["RUB", "CNY", "KZT"]]  # asked for the base it crosses through
    assert store.rates(["USD"])["USD"].source == "nbk"


async def test_a_bank_without_a_published_change_gets_one_on_its_next_publication(
    store: Store, session
):
    """The first refresh is flat with change null; the next day's shows the difference."""
    settings = make_settings(
        SETTINGS_YAML.replace(
            "  currencies: [USD, EUR, RUB, CNY]\n", "  base: KGS\n  currencies: [USD]\n"
        )
    )
    day_one = [rate("USD", "86.9000", change=None, source="nbkr", base="KGS",
                    date=dt.date(2026, 11, 27))]  # fmt: skip
    bank = BankRates("nbkr", "KGS", day_one, Calendar("Asia/Bishkek"))
    refresher = Refresher(settings, SourceSet([bank], []), store, session, clock=lambda: NOW)
    await refresher.refresh_rates()
    first = store.rates(["USD"], base="KGS")["USD"]
    assert (first.change, first.direction) == (None, Direction.FLAT)
    bank.rates = [rate("USD", "87.0500", change=None, source="nbkr", base="KGS")]
    await refresher.refresh_rates()
    second = store.rates(["USD"], base="KGS")["USD"]
    assert (second.change, second.direction) == (Decimal("0.1500"), Direction.UP)


def test_staleness_follows_each_bank_s_zone_and_business_days():
    """Friday's rate is current on Monday morning in Bishkek; Thursday's is not."""
    settings = make_settings(
        SETTINGS_YAML.replace('[{adapter: static, rates: {USD: "445.99"}}]', "[{adapter: nbkr}]")
    ).rates
    monday_bishkek = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)  # 09:00 in Bishkek
    friday = rate("USD", "86.9", source="nbkr", base="KGS", date=dt.date(2026, 11, 27),
                  fetched_at=monday_bishkek)  # fmt: skip
    assert rate_staleness(friday, 0, settings, monday_bishkek) is None
    thursday = friday.model_copy(update={"date": dt.date(2026, 11, 26)})
    reason = rate_staleness(thursday, 0, settings, monday_bishkek)
    assert reason is not None
    assert reason.values["expected"] == dt.date(2026, 11, 27)


def test_the_strip_changes_at_midnight_in_each_bank_s_zone():
    """A rate from Bishkek (UTC+6) makes its local midnight a moment the strip changes."""
    settings = make_settings(
        SETTINGS_YAML.replace('[{adapter: static, rates: {USD: "445.99"}}]', "[{adapter: nbkr}]")
    )
    evening = dt.datetime(2026, 11, 28, 17, 30, tzinfo=dt.UTC)  # 23:30 in Bishkek
    kgs = rate("USD", "86.9", source="nbkr", base="KGS", fetched_at=evening)
    bishkek_midnight = dt.datetime(2026, 11, 28, 18, 0, tzinfo=dt.UTC)
    assert next_change(settings, {"USD": kgs}, {}, evening) == bishkek_midnight


def test_a_skipped_base_entry_says_why_nothing_could_be_crossed():
    """The format error names the reason the base's own entry was skipped."""
    document = RateList([uzs("USD", "11850.40")], [Skipped("KZT", "0", "cbu: KZT: nominal is 0")])
    with pytest.raises(UpstreamFormatError, match=r"no KZT rate \(KZT: nominal is 0\)"):
        cross_into(document, "KZT", native="UZS", source="cbu")


NBT_DAY = """<?xml version="1.0" encoding="utf-8" ?>
<ValCurs Date="{date}" name="Foreign Currency Market">
<Valute ID="840"><CharCode>USD</CharCode><Nominal>1</Nominal><Name>US Dollar</Name>
<Value>{usd}</Value></Valute>
<Valute ID="398"><CharCode>KZT</CharCode><Nominal>10</Nominal><Name>Tenge</Name>
<Value>0.2000</Value></Valute>
</ValCurs>
"""


async def test_backfill_crosses_a_dated_bank_into_the_site_s_base(aiohttp_server, store: Store):
    """A Kazakh site backfills from the NBT's date= feed: TJS rates crossed into KZT."""
    asked: list[str] = []

    async def export(request: web.Request) -> web.Response:
        asked.append(request.query.get("date", ""))
        usd = {"2026-11-26": "9.4000", "2026-11-27": "9.4120"}[request.query["date"]]
        body = NBT_DAY.format(date=request.query["date"], usd=usd)
        return web.Response(text=body, content_type="application/xml")

    app = web.Application()
    app.router.add_get("/ru/kurs/export_xml.php", export)
    server = await aiohttp_server(app, host="127.0.0.1")
    settings = make_settings(
        SETTINGS_YAML.replace(
            '[{adapter: static, rates: {USD: "445.99"}}]',
            f'[{{adapter: nbt, url: "{server.make_url("/")}"}}]',
        ).replace("[USD, EUR, RUB, CNY]", "[USD, TJS]")
    )
    history = History(store.backend, settings.history, clock=lambda: NOW)
    async with aiohttp.ClientSession() as session:
        report = await backfill(
            settings, build_sources(settings), history, session,
            days=2, today=dt.date(2026, 11, 27), delay=dt.timedelta(0),
            sleep=lambda _: asyncio.sleep(0),
        )  # fmt: skip
    assert asked == ["2026-11-26", "2026-11-27"]
    assert report.failed == 0
    usd = history.rates("USD", dt.date(2026, 11, 26), dt.date(2026, 11, 27), base="KZT")
    # 9.4000 / (0.2000 / 10) = 470; 9.4120 / 0.02 = 470.6; TJS: 1 / 0.02 = 50.
    assert [(r.date, r.rate, r.derived) for r in usd] == [
        (dt.date(2026, 11, 26), Decimal("470"), True),
        (dt.date(2026, 11, 27), Decimal("470.6"), True),
    ]
    tjs = history.rates("TJS", dt.date(2026, 11, 27), dt.date(2026, 11, 27))
    assert [(r.rate, r.base) for r in tjs] == [(Decimal("50"), "KZT")]


def test_an_item_in_another_currency_is_named_even_when_nothing_is_crossed():
    """A document in the site's base still names an item in another currency as skipped."""
    document = RateList([uzs("USD", "11850.40"), rate("EUR", "486.53")])
    kept = cross_into(document, "UZS", native="UZS", source="cbu")
    assert [r.code for r in kept] == ["USD"]
    assert [(s.item, s.reason) for s in kept.skipped] == [("EUR", "in KZT, not UZS")]
