"""The ready-made Uzbek, Kyrgyz and Tajik sites, served as real processes.

Each example of ``examples/`` runs as ``ticker serve`` with its sources' ``url:``
pointed at fake banks and a fake Open-Meteo on 127.0.0.1, which serve documents in
each bank's real format with our own values, dated today in the bank's zone.  The
strip must show every rate exactly as the bank published it, labelled in the site's
base, in each of the site's languages; with the bank down, the second bank's cross
rates take its place, marked derived.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from ticker._cli.main import main

from ._running import poll_strip, running_service
from .conftest import FIXTURES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

pytestmark = pytest.mark.slow  # real processes: left out of the unit tier


def today_in(zone: str) -> dt.date:
    """Today's date where the bank is."""
    return dt.datetime.now(zoneinfo.ZoneInfo(zone)).date()


def cbu_document() -> bytes:
    """The Central Bank of Uzbekistan's JSON: UZS per Nominal, Diff, DD.MM.YYYY."""
    date = f"{today_in('Asia/Tashkent'):%d.%m.%Y}"
    rows = [
        ("840", "USD", "1", "11850.40", "-7.2"),
        ("978", "EUR", "1", "13750.15", "12.05"),
        ("643", "RUB", "1", "152.34", "0"),
        ("398", "KZT", "1", "26.58", "0.01"),
        ("360", "IDR", "10", "7.45", "0"),
    ]
    return json.dumps(
        [
            {
                "id": i,
                "Code": num,
                "Ccy": code,
                "CcyNm_RU": "",
                "CcyNm_UZ": "",
                "CcyNm_UZC": "",
                "CcyNm_EN": "",
                "Nominal": nominal,
                "Rate": value,
                "Diff": diff,
                "Date": date,
            }
            for i, (num, code, nominal, value, diff) in enumerate(rows, 1)
        ]
    ).encode()


def nbkr_document() -> bytes:
    """The National Bank of the Kyrgyz Republic's daily.xml: windows-1251, comma decimals."""
    date = f"{today_in('Asia/Bishkek'):%d.%m.%Y}"
    rows = [("USD", "86,9000"), ("EUR", "100,1234"), ("RUB", "1,1050"), ("KZT", "0,1775"),
            ("CNY", "12,2500")]  # fmt: skip
    currencies = "".join(
        f'<Currency ISOCode="{code}">\n<Nominal>1</Nominal>\n<Value>{value}</Value>\n</Currency>\n'
        for code, value in rows
    )
    text = (
        '<?xml version="1.0" encoding="windows-1251" ?>\n'
        f'<CurrencyRates Name="Daily Exchange Rates" Date="{date}">\n{currencies}'
        "<!-- Курсы валют -->\n</CurrencyRates>\n"
    )
    return text.encode("windows-1251")


def nbt_document() -> bytes:
    """The National Bank of Tajikistan's export_xml.php: UTF-8, ISO date, TJS per Nominal."""
    date = today_in("Asia/Dushanbe").isoformat()
    rows = [("840", "USD", 1, "9.4120"), ("978", "EUR", 1, "10.9876"), ("643", "RUB", 1, "0.1180"),
            ("156", "CNY", 1, "1.3055"), ("398", "KZT", 10, "0.1826")]  # fmt: skip
    valutes = "".join(
        f'<Valute ID="{num}">\n   <CharCode>{code}</CharCode>\n   <Nominal>{nominal}</Nominal>\n'
        f"   <Name>{code}</Name>\n   <Value>{value}</Value>\n</Valute>\n"
        for num, code, nominal, value in rows
    )
    return (
        f'<?xml version="1.0" encoding="utf-8" ?>\n'
        f'<ValCurs Date="{date}" name="Foreign Currency Market">\n{valutes}</ValCurs>\n'
    ).encode()


def nbk_document() -> bytes:
    """The National Bank of Kazakhstan's RSS: KZT per quant, with its change."""
    date = f"{today_in('Asia/Almaty'):%d.%m.%Y}"
    rows = [("USD", "445.99", 1), ("EUR", "486.53", 1), ("RUB", "5.78", 1), ("UZS", "3.72", 100),
            ("KGS", "5.1", 1), ("CNY", "64.16", 1)]  # fmt: skip
    items = "".join(
        f"<item><title>{code}</title><pubDate>{date}</pubDate><description>{value}</description>"
        f"<quant>{quant}</quant><index></index><change>0.00</change></item>\n"
        for code, value, quant in rows
    )
    prolog = '<?xml version="1.0" encoding="utf-8"?>'
    return f'{prolog}<rss version="2.0"><channel>{items}</channel></rss>'.encode()


def cbr_document() -> bytes:
    """The Bank of Russia's XML_daily.asp: windows-1251, roubles per Nominal."""
    date = f"{today_in('Europe/Moscow'):%d.%m.%Y}"
    rows = [("USD", 1, "80,0000"), ("EUR", 1, "93,2000"), ("CNY", 1, "11,1000"),
            ("KZT", 100, "15,5000"), ("TJS", 10, "85,0000")]  # fmt: skip
    valutes = "".join(
        f"<Valute><CharCode>{code}</CharCode><Nominal>{nominal}</Nominal>"
        f"<Name>Валюта</Name><Value>{value}</Value></Valute>"
        for code, nominal, value in rows
    )
    text = (
        '<?xml version="1.0" encoding="windows-1251"?>'
        f'<ValCurs Date="{date}" name="Foreign Currency Market">{valutes}</ValCurs>'
    )
    return text.encode("windows-1251")


class FakeRegion:
    """Every bank of the region and Open-Meteo on loopback; a bank can be taken down."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.requests: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        pages = {
            "/cbu/ru/arkhiv-kursov-valyut/json/": ("cbu", cbu_document, "application/json"),
            "/nbkr/XML/daily.xml": ("nbkr", nbkr_document, "application/xml"),
            "/nbt/ru/kurs/export_xml.php": ("nbt", nbt_document, "application/xml"),
            "/nbk/rates_all.xml": ("nbk", nbk_document, "application/xml"),
            "/cbr/scripts/XML_daily.asp": ("cbr", cbr_document, "application/xml"),
        }
        for path, (bank, document, kind) in pages.items():
            app.router.add_get(path, self._page(bank, document, kind))
        app.router.add_get("/meteo/v1/forecast", self.forecast)
        return app

    def _page(self, bank, document, kind):
        async def handler(request: web.Request) -> web.Response:
            self.requests.append(str(request.rel_url))
            if bank in self.down:
                return web.Response(status=503, text="maintenance")
            return web.Response(body=document(), content_type=kind)

        return handler

    async def forecast(self, request: web.Request) -> web.Response:
        self.requests.append(str(request.rel_url))
        return web.Response(
            body=(FIXTURES / "open_meteo_astana.json").read_bytes(), content_type="application/json"
        )


@pytest.fixture
async def region(aiohttp_server):
    """The fake banks and their base URL."""
    fakes = FakeRegion()
    server = await aiohttp_server(fakes.app(), host="127.0.0.1")
    fakes.url = str(server.make_url("")).rstrip("/")
    return fakes


def site(example: str, tmp_path: Path, region: FakeRegion) -> Path:
    """The example settings file with its cache here and every source's url on the fakes."""
    settings = yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8"))
    settings["cache"]["path"] = str(tmp_path / "cache")
    for source in settings["rates"]["sources"]:
        source.update(url=f"{region.url}/{source['adapter']}/", timeout="2s", retries=0)
    for source in settings["weather"]["sources"]:
        source.update(url=f"{region.url}/meteo/", timeout="2s", retries=0)
    path = tmp_path / example
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


WEATHER = "+18+20℃"

SITES = {
    "uzbekistan.yaml": {
        "rates": "usd/uzs 11850.40 eur/uzs 13750.15 rub/uzs 152.34 kzt/uzs 26.58",
        "cities": {
            "uz-Latn": ("Toshkent", "Samarqand"),
            "uz": ("Тошкент", "Самарқанд"),
            "ru": ("Ташкент", "Самарканд"),
            "en": ("Tashkent", "Samarkand"),
        },
        "bank": "cbu",
    },
    "kyrgyzstan.yaml": {
        "rates": "usd/kgs 86.9000 eur/kgs 100.1234 rub/kgs 1.1050 kzt/kgs 0.1775 cny/kgs 12.2500",
        "cities": {"ky": ("Бишкек", "Ош"), "ru": ("Бишкек", "Ош"), "en": ("Bishkek", "Osh")},
        "bank": "nbkr",
    },
    "tajikistan.yaml": {
        "rates": "usd/tjs 9.4120 eur/tjs 10.9876 rub/tjs 0.1180 cny/tjs 1.3055 10 kzt/tjs 0.1826",
        "cities": {
            "tg": ("Душанбе", "Хуҷанд"),
            "ru": ("Душанбе", "Худжанд"),
            "en": ("Dushanbe", "Khujand"),
        },
        "bank": "nbt",
    },
}


@pytest.mark.parametrize("example", sorted(SITES))
def test_each_example_passes_check_config(example: str, capsys):
    """`ticker check-config` accepts each ready-made site as shipped, its bank first."""
    assert main(["check-config", str(EXAMPLES / example)]) == 0
    out = capsys.readouterr().out
    assert f"rates: {SITES[example]['bank']}, " in out


@pytest.mark.parametrize("example", sorted(SITES))
async def test_each_site_shows_its_bank_exactly_as_published(example, tmp_path, region):
    """The strip in every language of the site: the bank's digits, labelled in its base."""
    expected = SITES[example]
    async with running_service(site(example, tmp_path, region)) as service:
        await poll_strip(service.url)
        async with aiohttp.ClientSession() as session:
            for lang, cities in expected["cities"].items():
                async with session.get(f"{service.url}/v1/strip", params={"lang": lang}) as answer:
                    body = await answer.json()
                weather = " ".join(f"{city} {WEATHER}" for city in cities)
                assert body["text"] == f"{expected['rates']} · {weather}", lang
                assert {item["source"] for item in body["rates"]} == {expected["bank"]}
                assert not any(item["derived"] for item in body["rates"])


UZBEK_FALLBACK = (
    # NBK's KZT rates crossed through UZS per 100 = 3.72 KZT, by hand:
    # 445.99 / 0.0372 = 11988.978..., 486.53 / 0.0372 = 13078.763..., 5.78 / 0.0372 = 155.376...,
    # 1 / 0.0372 = 26.881...
    "usd/uzs 11988.98 eur/uzs 13078.76 rub/uzs 155.38 kzt/uzs 26.88"
)


async def test_with_its_bank_down_a_site_shows_the_second_bank_s_cross_rates(tmp_path, region):
    """The Uzbek site with the CBU down: NBK's rates crossed into UZS, marked derived."""
    region.down.add("cbu")
    async with running_service(site("uzbekistan.yaml", tmp_path, region)) as service:
        body = await poll_strip(service.url)
    assert body["text"].startswith(f"{UZBEK_FALLBACK} · ")
    usd = body["rates"][0]
    assert (usd["source"], usd["derived"], usd["base"]) == ("nbk", True, "UZS")
    assert usd["rate"] == "11988.97849462365591397849462"
