"""The strip and the day's card as SVG and PNG images, in every language and theme.

The SVG must stand alone for resvg and for any browser or mail client: well-formed,
the stated size, nothing from outside unescaped, no script, style or bidi control,
every run of text in the fonts and inside the image.  The PNG is resvg's drawing of
it; Debian's tesseract reads the rates and the city back from the English and
Russian ones (slow).  Every card and strip is written to test-artifacts/images/.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import shutil
import subprocess
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
import pytest
import resvg_py
from PIL import Image

from ticker import build_strip
from ticker._config import DEFAULT_FONT_DIRS
from ticker._languages import LANGUAGES
from ticker._models import Direction
from ticker._strip.i18n import date_phrase
from ticker._strip.images import (
    CARD_SIZES,
    DARK,
    LIGHT,
    Fonts,
    ImagesUnavailable,
    card_svg,
    strip_svg,
    svg_to_png,
)
from ticker._wire import Strip, Tomorrow
from ticker.sources import attributions

from .conftest import NOW, REFERENCE_RATES, make_settings, rate, weather

ARTIFACTS = Path(__file__).parents[1] / "test-artifacts" / "images"
SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2026, 11, 28)
HOSTILE = '<script>&"'
#: Every bidi control: the marks, embeddings, overrides and isolates (UAX #9).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
THEMES = ["light", "dark"]
WIDTHS = [320, 960, 2400]

SETTINGS_YAML = """
languages: [en, ru, kk, kk-Latn, kk-Arab, zh, uz, uz-Latn, ky, tg]
rates:
  currencies: [USD, EUR, RUB, CNY]
  sources: [{adapter: nbk}]
weather:
  cities:
    - id: astana
      name: {en: Astana, ru: Астана, kk: Астана, zh: 阿斯塔纳, uz-Latn: Astana, tg: Остона}
      latitude: 51.1694
      longitude: 71.4491
      timezone: Asia/Almaty
    - id: almaty
      name: {en: Almaty, ru: Алматы, kk: Алматы, zh: 阿拉木图, uz-Latn: Olmaota}
      latitude: 43.2220
      longitude: 76.8512
      timezone: Asia/Almaty
  sources: [{adapter: open-meteo}]
"""

#: The hostile name is the same in every language (the others fall back to English).
TROUBLED_YAML = """
languages: [en, ru, kk, kk-Latn, kk-Arab, zh, uz, uz-Latn, ky, tg]
rates:
  currencies: [USD, EUR, RUB, CNY]
  sources: [{adapter: nbk}]
weather:
  cities:
    - id: astana
      name: {en: Astana, ru: Астана, kk: Астана, zh: 阿斯塔纳, uz-Latn: Astana, tg: Остона}
      latitude: 51.1694
      longitude: 71.4491
      timezone: Asia/Almaty
    - id: hostile
      name: {en: '<script>&"'}
      latitude: 43.2220
      longitude: 76.8512
      timezone: Asia/Almaty
    - id: almaty
      name: {en: Almaty, ru: Алматы, kk: Алматы}
      latitude: 43.2220
      longitude: 76.8512
      timezone: Asia/Almaty
  sources: [{adapter: open-meteo}]
"""

#: Twelve currencies (the most a card shows without "+N") and six cities.
CROWDED_CODES = ["USD", "EUR", "RUB", "CNY", "GBP", "JPY", "CHF", "TRY", "UZS", "KGS", "AED", "INR"]
CROWDED_CITIES = ["Astana", "Almaty", "Shymkent", "Karaganda", "Ust-Kamenogorsk", "Aktobe"]


def _fonts() -> Fonts:
    """Debian's Noto fonts, where the settings look for them by default (loaded once)."""
    return Fonts.load(list(DEFAULT_FONT_DIRS))


@pytest.fixture
def fonts() -> Fonts:
    """The fonts the images are drawn with."""
    return _fonts()


def _with_details(strip: Strip) -> Strip:
    """``strip`` with tomorrow's range and day or night on every city that has a value."""
    tomorrow = Tomorrow(
        date=DAY + dt.timedelta(days=1), min=-5, max=2, code=71, text="-5+2℃", condition="snow"
    )
    cities = [
        item if item.missing else item.model_copy(update={"tomorrow": tomorrow, "is_day": bool(i)})
        for i, item in enumerate(strip.weather)
    ]
    return strip.model_copy(update={"weather": cities})


@functools.cache
def reference(lang: str) -> Strip:
    """The reference values in ``lang``: four rates, Astana and Almaty, with credits."""
    settings = make_settings(SETTINGS_YAML)
    cities = {"astana": weather(), "almaty": weather("almaty", low=-3.2, high=4.6, code=61)}
    strip = build_strip(
        settings,
        {r.code: r for r in REFERENCE_RATES},
        cities,
        lang=lang,
        now=NOW,
        attributions=attributions(settings),
    )
    return _with_details(strip)


@functools.cache
def troubled(lang: str) -> Strip:
    """A stale and a missing rate, a stale and a missing city, a hostile city name."""
    settings = make_settings(TROUBLED_YAML)
    rates = {
        "USD": rate("USD", "445.99", change="+1.02", direction=Direction.UP),
        "EUR": rate("EUR", "486.53", fetched_at=NOW - dt.timedelta(hours=2, seconds=1)),
        "CNY": rate("CNY", "64.16", change="-0.11", direction=Direction.DOWN),
    }
    yesterday = weather("astana").model_copy(update={"date": dt.date(2026, 11, 27)})
    cities = {"astana": yesterday, "hostile": weather("hostile", code=95)}
    strip = build_strip(
        settings, rates, cities, lang=lang, now=NOW, attributions=attributions(settings)
    )
    return _with_details(strip)


@functools.cache
def crowded(lang: str, rates: int = 12, cities: int = 6) -> Strip:
    """``rates`` currencies (quoted per 100 some of them) and ``cities`` cities."""
    codes = [*CROWDED_CODES, "KRW", "GEL", "AZN"][:rates]
    names = [*CROWDED_CITIES, "Atyrau", "Pavlodar"][:cities]
    yaml = (
        "languages: [en, ru, kk, kk-Latn, kk-Arab, zh, uz, uz-Latn, ky, tg]\n"
        f"rates:\n  currencies: [{', '.join(codes)}]\n  sources: [{{adapter: nbk}}]\n"
        "weather:\n  cities:\n"
        + "".join(
            f"    - {{id: c{i}, name: {{en: {name}}}, latitude: 50, longitude: 70,"
            " timezone: Asia/Almaty}\n"
            for i, name in enumerate(names)
        )
        + "  sources: [{adapter: open-meteo}]\n"
    )
    settings = make_settings(yaml)
    values = {
        code: rate(code, f"{11850.40 - i * 311.7:.2f}", quant=100 if code in ("JPY", "UZS") else 1)
        for i, code in enumerate(codes)
    }
    readings = {f"c{i}": weather(f"c{i}", low=-12.6 + i, high=-0.4 + i) for i in range(cities)}
    strip = build_strip(
        settings, values, readings, lang=lang, now=NOW, attributions=attributions(settings)
    )
    return _with_details(strip)


def _parse(svg: str) -> Element:
    root = SafeET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _texts(root: Element) -> list[Element]:
    return list(root.iter(f"{SVG}text"))


def _size(root: Element) -> tuple[int, int]:
    return int(root.get("width", "")), int(root.get("height", ""))


@functools.cache
def _every_svg(lang: str) -> list[tuple[str, str]]:
    """Every image of ``lang`` checked in the unit tier, by name."""
    svgs = []
    for strip, theme in itertools.product((reference(lang), troubled(lang)), THEMES):
        for width in WIDTHS:
            svgs.append(
                (
                    f"strip {width} {theme}",
                    strip_svg(strip, fonts=_fonts(), theme=theme, width=width, icons=True),
                )
            )
        for size in CARD_SIZES:
            svgs.append(
                (
                    f"card {size} {theme}",
                    card_svg(strip, fonts=_fonts(), day=DAY, theme=theme, size=size),
                )
            )
    return svgs


# -- the SVG ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_strip_is_an_svg_of_the_asked_width(fonts, lang, theme, width):
    """The strip parses as XML, as wide as asked, its viewBox its size, named by its text."""
    root = _parse(strip_svg(reference(lang), fonts=fonts, theme=theme, width=width))
    got_width, height = _size(root)
    assert got_width == width
    assert height >= 32 + 18  # a line of items, a line of credits
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert root.get("role") == "img"
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == root.get("aria-label")
    assert "445.99" in (title.text or "")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", list(CARD_SIZES))
def test_the_card_is_an_svg_of_its_size(fonts, lang, theme, size):
    """The card parses as XML and is exactly its size, named by its title, date and strip."""
    root = _parse(card_svg(reference(lang), fonts=fonts, day=DAY, theme=theme, size=size))
    assert _size(root) == CARD_SIZES[size]
    width, height = CARD_SIZES[size]
    assert root.get("viewBox") == f"0 0 {width} {height}"
    assert date_phrase(DAY, lang) in (root.get("aria-label") or "")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_script_style_reference_or_bidi_control(lang):
    """No image holds a script, a style, a link to anything, or a bidi control character."""
    for name, svg in _every_svg(lang):
        root = _parse(svg)
        tags = {element.tag for element in root.iter()}
        assert not tags & {f"{SVG}script", f"{SVG}style", f"{SVG}image", f"{SVG}use", f"{SVG}a"}, (
            name
        )
        for element in root.iter():
            assert "style" not in element.attrib, name
            assert not any("href" in key for key in element.attrib), name
        assert not BIDI_CONTROLS & set(svg), name
        assert "<script" not in svg, name


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_run_is_in_the_fonts_and_says_its_width(lang):
    """Every <text> is drawn by a font of the chain (no tofu), with its width and family."""
    fonts = _fonts()
    for name, svg in _every_svg(lang):
        for text in _texts(_parse(svg)):
            assert text.text, name
            assert fonts.missing(text.text) == "", (name, text.text)
            assert float(text.get("textLength", "0")) > 0, (name, text.text)
            assert text.get("lengthAdjust") == "spacingAndGlyphs"
            family = text.get("font-family", "")
            assert family.startswith("'Noto Sans"), family
            assert family.endswith(", sans-serif"), family


@pytest.mark.parametrize("lang", LANGUAGES)
def test_nothing_is_cut_off_or_overlaps(lang):
    """Every run lies inside the image, and no two runs on one baseline overlap."""
    for name, svg in _every_svg(lang):
        root = _parse(svg)
        width, height = _size(root)
        lines: dict[str, list[tuple[float, float]]] = {}
        for text in _texts(root):
            x, length = float(text.get("x", "")), float(text.get("textLength", ""))
            assert x >= 0, (name, text.text)
            assert x + length <= width + 0.02, (name, text.text, x, length)
            assert 0 < float(text.get("y", "")) < height, (name, text.text)
            lines.setdefault(text.get("y", ""), []).append((x, x + length))
        for spans in lines.values():
            spans.sort()
            for (_, end), (start, _) in itertools.pairwise(spans):
                assert start >= end - 0.02, (name, spans)  # coordinates have two decimals


def test_outside_text_is_escaped(fonts):
    """A hostile city name is drawn as text, escaped, in the image and in its name."""
    for svg in (
        strip_svg(troubled("en"), fonts=fonts, width=960),
        card_svg(troubled("en"), fonts=fonts, day=DAY),
    ):
        root = _parse(svg)
        assert [t.text for t in _texts(root) if t.text and "script" in t.text] == [HOSTILE]
        assert HOSTILE in (root.get("aria-label") or "")
        assert "&lt;script&gt;&amp;" in svg


def test_stale_and_missing_values_are_marked_as_the_widget_marks_them(fonts):
    """A stale value is dimmed and starred, a missing one is a dimmed dash."""
    root = _parse(strip_svg(troubled("en"), fonts=fonts, width=2400))
    fills = {(t.text, t.get("fill")) for t in _texts(root)}
    assert ("486.53", LIGHT.muted) in fills  # EUR, stale
    assert ("*", LIGHT.muted) in fills
    assert ("—", LIGHT.muted) in fills  # RUB, missing
    assert ("445.99", LIGHT.text) in fills
    assert ("+1.02", LIGHT.up) in fills
    assert ("-0.11", LIGHT.down) in fills


def test_dark_and_chinese_colours_follow_the_widget(fonts):
    """Dark images take widget.css's dark colours; in Chinese up is red, down green."""
    root = _parse(strip_svg(reference("en"), fonts=fonts, theme="dark"))
    assert root.find(f"{SVG}rect").get("fill") == DARK.background
    fills = {(t.text, t.get("fill")) for t in _texts(root)}
    assert ("+1.02", DARK.up) in fills
    chinese = _parse(strip_svg(reference("zh"), fonts=fonts))
    fills = {(t.text, t.get("fill")) for t in _texts(chinese)}
    assert ("+1.02", LIGHT.down) in fills  # red
    assert ("-0.86", LIGHT.up) in fills  # green


def test_auto_theme_is_drawn_light(fonts):
    """An image cannot follow the reader's colour scheme: auto is the light one."""
    strip = reference("ru")
    assert strip_svg(strip, fonts=fonts, theme="auto") == strip_svg(strip, fonts=fonts)


def test_a_narrow_strip_wraps_whole_items_onto_more_lines(fonts):
    """At 320 px the items go onto more lines, each item whole and in order."""
    wide = _parse(strip_svg(reference("ru"), fonts=fonts, width=2400))
    narrow = _parse(strip_svg(reference("ru"), fonts=fonts, width=320))
    assert _size(narrow)[1] > _size(wide)[1]
    order = [t.text for t in _texts(narrow)]
    values = [text for text in order if text in ("445.99", "486.53", "5.78", "64.16")]
    assert values == ["445.99", "486.53", "5.78", "64.16"]
    label = next(t for t in _texts(narrow) if t.text == "usd/kzt")
    value = next(t for t in _texts(narrow) if t.text == "445.99")
    assert label.get("y") == value.get("y")


def test_icons_stand_before_the_range(fonts):
    """With icons, each city's condition icon is drawn between its name and its range."""
    root = _parse(strip_svg(reference("en"), fonts=fonts, icons=True))
    groups = [g for g in root.iter(f"{SVG}g") if (g.get("transform") or "").startswith("translate")]
    assert len(groups) == 2
    name = next(t for t in _texts(root) if t.text == "Astana")
    value = next(t for t in _texts(root) if t.text == "+18+20℃")
    icon_x = float(groups[0].get("transform", "").split("(")[1].split()[0])
    assert float(name.get("x", "")) < icon_x < float(value.get("x", ""))
    assert "<g" not in strip_svg(reference("en"), fonts=fonts)


def _x(root: Element, text: str) -> float:
    return float(next(t for t in _texts(root) if t.text == text).get("x", ""))


@pytest.mark.parametrize("form", ["strip", "card"])
def test_right_to_left_is_laid_out_from_the_right(fonts, form):
    """In kk-Arab the first rate is right of the last, and the rates right of the city."""
    strip = reference("kk-Arab")
    svg = (
        strip_svg(strip, fonts=fonts, width=2400)
        if form == "strip"
        else card_svg(strip, fonts=fonts, day=DAY)
    )
    root = _parse(svg)
    assert _x(root, "usd/kzt") > _x(root, "cny/kzt")
    assert _x(root, "usd/kzt") > _x(root, "استانا")
    english = _parse(strip_svg(reference("en"), fonts=fonts, width=2400))
    assert _x(english, "usd/kzt") < _x(english, "cny/kzt") < _x(english, "Astana")


def test_arabic_words_are_one_run_each_in_the_arabic_font(fonts):
    """A Kazakh Arabic name is one <text> in Noto Sans Arabic, so resvg joins its letters."""
    root = _parse(strip_svg(reference("kk-Arab"), fonts=fonts))
    name = next(t for t in _texts(root) if t.text == "استانا")
    assert name.get("font-family", "").startswith("'Noto Sans Arabic'")


def test_punctuation_at_the_end_of_arabic_is_drawn_on_its_left(fonts):
    """``دەرەكتەرى:`` draws its colon left of the word: resvg lays out each <text> ltr."""
    run = fonts.run("اۋا رايى دەرەكتەرى: Open-Meteo.com", 14, rtl=True)
    texts = [segment.text for segment in run.segments]
    assert texts == ["Open-Meteo.com", ":", "اۋا رايى دەرەكتەرى"]
    assert run.segments[1].x < run.segments[2].x


def test_the_card_shows_twelve_rates_and_six_cities(fonts):
    """Up to 12 rates and 6 cities all fit either card, none cut off or left out."""
    strip = crowded("ru")
    for size in CARD_SIZES:
        root = _parse(card_svg(strip, fonts=fonts, day=DAY, size=size))
        texts = [t.text for t in _texts(root)]
        assert len([t for t in texts if t and t.endswith("/kzt")]) == 12
        assert all(name in texts for name in CROWDED_CITIES)
        assert not any(t and t.startswith("+") and t[1:].isdigit() for t in texts)


def test_more_than_the_card_holds_ends_in_a_count(fonts):
    """Fourteen rates and seven cities: the last tiles say how many more there are."""
    strip = crowded("en", rates=14, cities=7)
    root = _parse(card_svg(strip, fonts=fonts, day=DAY))
    texts = [t.text for t in _texts(root)]
    assert "+3" in texts  # 11 rates shown of 14
    assert "+2" in texts  # 5 cities shown of 7
    assert len([t for t in texts if t and t.endswith("/kzt")]) == 11


def test_the_card_says_the_date_and_tomorrow_in_the_readers_language(fonts):
    """The card's date and tomorrow's weekday come from CLDR, in the card's language."""
    root = _parse(card_svg(reference("ru"), fonts=fonts, day=DAY))
    texts = [t.text for t in _texts(root)]
    assert "28 ноября 2026" in texts
    assert "Воскресенье" in texts
    assert "-5+2℃" in texts


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "2 December 2026"),
        ("ru", "2 декабря 2026"),
        ("kk", "2026 ж. 2 желтоқсан"),
        ("kk-Latn", "2026 j. 2 jeltoqsan"),
        ("kk-Arab", "2026 ج. 2 جەلتوقسان"),
        ("zh", "2026年12月2日"),
        ("uz", "2 декабр, 2026"),
        ("uz-Latn", "2-dekabr, 2026"),
        ("ky", "2026-ж., 2-декабрь"),
        ("tg", "2 Декабр 2026"),
    ],
    ids=lambda value: str(value),
)
def test_the_date_is_written_as_the_language_writes_it(lang, text):
    """A date on the card is CLDR's (Kazakh scripts from kk), without ``г.`` or a zero."""
    assert date_phrase(dt.date(2026, 12, 2), lang) == text


def test_bad_options_are_refused(fonts):
    """A width out of bounds, an unknown theme, size or scale raise ValueError."""
    strip = reference("en")
    with pytest.raises(ValueError, match="320 to 2400"):
        strip_svg(strip, fonts=fonts, width=319)
    with pytest.raises(ValueError, match="320 to 2400"):
        strip_svg(strip, fonts=fonts, width=2401)
    with pytest.raises(ValueError, match="theme"):
        strip_svg(strip, fonts=fonts, theme="sepia")
    with pytest.raises(ValueError, match="size"):
        card_svg(strip, fonts=fonts, day=DAY, size="800x600")
    with pytest.raises(ValueError, match="scale"):
        svg_to_png(strip_svg(strip, fonts=fonts), fonts=fonts, scale=0)
    with pytest.raises(ValueError, match="scale"):
        svg_to_png(strip_svg(strip, fonts=fonts), fonts=fonts, scale=5)


def test_missing_fonts_are_named_with_their_debian_packages(tmp_path):
    """An empty font folder: ImagesUnavailable names the families and the packages."""
    with pytest.raises(ImagesUnavailable) as raised:
        Fonts.load([tmp_path])
    message = str(raised.value)
    for family in ("Noto Sans ", "Noto Sans Arabic", "Noto Sans CJK SC", "Noto Sans Symbols2"):
        assert family in message
    assert "fonts-noto-core fonts-noto-cjk" in message
    assert str(tmp_path) in message
    assert isinstance(raised.value, RuntimeError)


def test_a_file_that_is_no_font_counts_as_missing(tmp_path):
    """A file named like a Noto font that HarfBuzz cannot read is reported missing."""
    for name in ("NotoSans-Regular.ttf", "NotoSansCJK-Regular.ttc"):
        (tmp_path / name).write_bytes(b"not a font")
    with pytest.raises(ImagesUnavailable, match=r"Noto Sans \(NotoSans-Regular\.ttf\)"):
        Fonts.load([tmp_path])


def test_fonts_are_found_in_subfolders_and_loaded_once():
    """Folders are searched below; the same paths give the same loaded fonts."""
    fonts = Fonts.load([Path("/usr/share/fonts")])
    assert {path.name for path in fonts.files} >= {
        "NotoSans-Regular.ttf",
        "NotoSansCJK-Regular.ttc",
    }
    assert Fonts.load([Path("/usr/share/fonts")]) is fonts
    assert fonts.missing("Астана استانا 阿斯塔纳 ▲▼ +18…+20℃") == ""
    assert fonts.missing("a\U0001f600b") == "\U0001f600"


# -- the PNG ------------------------------------------------------------------------------


def _png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "PNG"
    return image


@pytest.mark.parametrize("lang", ["en", "kk-Arab", "zh"])
@pytest.mark.parametrize("width", [320, 960])
def test_the_strip_png_is_drawn_at_twice_its_size(fonts, lang, width):
    """The strip's PNG at scale 2 is twice the SVG's width and height."""
    svg = strip_svg(reference(lang), fonts=fonts, width=width)
    height = _size(_parse(svg))[1]
    assert _png(svg_to_png(svg, fonts=fonts, scale=2)).size == (2 * width, 2 * height)


@pytest.mark.parametrize("lang", ["ru", "kk-Arab", "zh"])
@pytest.mark.parametrize("size", list(CARD_SIZES))
def test_the_card_png_is_exactly_its_size(fonts, lang, size):
    """The card's PNG is exactly its size, its background the theme's."""
    image = _png(
        svg_to_png(
            card_svg(reference(lang), fonts=fonts, day=DAY, size=size, theme="dark"), fonts=fonts
        )
    )
    assert image.size == CARD_SIZES[size]
    assert image.convert("RGB").getpixel((2, 2)) == (0x14, 0x17, 0x1A)


def _ocr(path: Path, lang: str) -> str:
    tesseract = shutil.which("tesseract")
    assert tesseract is not None, "Debian's tesseract-ocr is needed"
    done = subprocess.run(
        [tesseract, str(path), "-", "-l", lang], capture_output=True, check=True, timeout=120
    )
    return done.stdout.decode()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lang", "ocr", "city"), [("en", "eng", "Astana"), ("ru", "rus", "Астана")]
)
def test_ocr_reads_the_rates_and_the_city(fonts, tmp_path, lang, ocr, city):
    """tesseract reads the rates and the city back from the strip's and the card's PNG."""
    strip = reference(lang)
    images = {
        "strip.png": svg_to_png(strip_svg(strip, fonts=fonts, width=960), fonts=fonts, scale=2),
        "card.png": svg_to_png(card_svg(strip, fonts=fonts, day=DAY), fonts=fonts),
    }
    for name, data in images.items():
        path = tmp_path / name
        path.write_bytes(data)
        text = _ocr(path, ocr)
        for expected in ("445.99", "486.53", city):
            assert expected in text, (name, expected, text)


@pytest.mark.slow
def test_every_image_is_written_for_a_look(fonts):
    """Every card (language, size, theme) and strip (language, 960 and 320) as PNG."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for lang, theme in itertools.product(LANGUAGES, THEMES):
        for kind, strip in (("reference", reference(lang)), ("troubled", troubled(lang))):
            for width in (960, 320):
                svg = strip_svg(strip, fonts=fonts, theme=theme, width=width, icons=True)
                png = svg_to_png(svg, fonts=fonts, scale=2)
                (ARTIFACTS / f"strip-{kind}-{lang}-{width}-{theme}.png").write_bytes(png)
        for size in CARD_SIZES:
            for kind, strip in (("reference", reference(lang)), ("crowded", crowded(lang))):
                png = svg_to_png(
                    card_svg(strip, fonts=fonts, day=DAY, theme=theme, size=size), fonts=fonts
                )
                assert _png(png).size == CARD_SIZES[size]
                (ARTIFACTS / f"card-{kind}-{lang}-{size}-{theme}.png").write_bytes(png)


def test_a_long_name_is_cut_to_the_room_it_has(fonts):
    """A city name longer than any line is cut with an ellipsis, inside the image."""
    long = "Qyzylorda " * 30
    strip = reference("en")
    city = strip.weather[0].model_copy(update={"name": long})
    strip = strip.model_copy(update={"weather": [city]})
    for svg in (
        strip_svg(strip, fonts=fonts, width=320),
        card_svg(strip, fonts=fonts, day=DAY, size="1080x1080"),
    ):
        root = _parse(svg)
        width = _size(root)[0]
        name = next(t for t in _texts(root) if t.text and t.text.startswith("Qyzylorda"))
        assert name.text.endswith("…")
        assert float(name.get("x", "")) + float(name.get("textLength", "")) <= width


@pytest.mark.parametrize("lang", ["kk-Arab", "zh"])
def test_the_png_is_drawn_with_every_font_it_needs(fonts, lang):
    """Giving resvg only the files of the families the SVG names draws the same pixels."""
    svg = card_svg(reference(lang), fonts=fonts, day=DAY)
    every = resvg_py.svg_to_bytes(
        svg_string=svg, skip_system_fonts=True, font_files=[str(path) for path in fonts.files]
    )
    assert _png(svg_to_png(svg, fonts=fonts)).tobytes() == _png(bytes(every)).tobytes()


@pytest.mark.slow
def test_browsers_draw_the_svgs_as_resvg_does(fonts, tmp_path):
    """Chromium draws each language's card and strip SVG at the size it says, at phone and
    desktop width, with every text inside the image; the screenshots go to test-artifacts."""
    playwright_sync = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium executable on PATH")
    folder = ARTIFACTS / "chromium"
    folder.mkdir(parents=True, exist_ok=True)
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            for lang in LANGUAGES:
                strip = reference(lang)
                card = tmp_path / f"card-{lang}.svg"
                card.write_text(card_svg(strip, fonts=fonts, day=DAY), encoding="utf-8")
                page = browser.new_page(viewport={"width": 1200, "height": 630})
                page.goto(card.as_uri())
                box = page.locator("svg").bounding_box()
                assert box is not None
                assert (box["width"], box["height"]) == (1200, 630), lang
                page.screenshot(path=str(folder / f"card-{lang}.png"))
                page.close()
                for width in (390, 1280):
                    image = tmp_path / f"strip-{lang}-{width}.svg"
                    image.write_text(strip_svg(strip, fonts=fonts, width=width), "utf-8")
                    page = browser.new_page(viewport={"width": width, "height": 400})
                    page.goto(image.as_uri())
                    texts = page.eval_on_selector_all(
                        "text", "(all) => all.map((t) => t.getBoundingClientRect().right)"
                    )
                    assert texts, lang
                    assert max(texts) <= width + 0.5, (lang, width)
                    page.screenshot(path=str(folder / f"strip-{lang}-{width}.png"))
                    page.close()
        finally:
            browser.close()


def test_the_card_tells_night_as_the_widget_does(fonts):
    """Without the upstream's word, the card draws a night icon by the local hour, as the
    widget does (23:00 in Astana is night)."""
    strip = reference("en")
    late = NOW.replace(hour=18)  # 23:00 Asia/Almaty

    def card(**update: object) -> str:
        first = strip.weather[0].model_copy(update=update)
        changed = strip.model_copy(update={"weather": [first, *strip.weather[1:]]})
        return card_svg(changed, fonts=fonts, day=DAY)

    unknown = card(is_day=None, observed_at=late)
    assert unknown == card(is_day=False, observed_at=late)
    assert unknown != card(is_day=True, observed_at=late)
