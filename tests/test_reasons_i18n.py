"""Every reader-facing word in the reader's language, and a stable code for programs.

The no-English check, precisely.  The texts checked are every reason the strip can
give (each code, with its variants: a rate's date and a day's range, a jump held for
a second source or for the editors, a rate and a city pinned), the widget's own
words (``labels``), the stale marks' tooltips, the lists' labels, the credits'
titles of every adapter and the frame's ``<title>``.  First the words that stay as
they are in every language are taken out: rate labels (``usd/kzt``, ``100
uzs/kzt``), the configured sources' names (``nbk``), the upstreams' own names in
the credits (:data:`NAMES`) and the editors' note (``42`` here).  Then, in a
language not written in Latin letters, no run of two or more ASCII letters is left;
in one written in Latin letters (``kk-Latn``, ``uz-Latn``), none of its words is a
word of the English texts of the same strips.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from bidi import get_display

from ticker import Rate, ReasonCode, Settings, Strip, build_strip, parse_settings
from ticker._config import Pin
from ticker._serving.openapi import default_endpoints, openapi_document
from ticker._staleness import Reason
from ticker._strip.i18n import LANGUAGES, PHRASES, REASONS, phrase, reason_text
from ticker._strip.markup import render_fragment, render_frame
from ticker._wire import RateItem, WeatherItem
from ticker.sources import adapter_names, attributions

from .conftest import NOW, REFERENCE_RATES, SETTINGS_YAML, make_settings, rate, weather

#: The tags of every catalogue, as the language registry names them.
CATALOGUE_TAGS = {"en", "ru", "kk", "zh", "uz", "uz-Latn", "ky", "tg"}
#: Languages written in Latin letters, where the check looks for English words instead.
LATIN_SCRIPT = {"kk-Latn", "uz-Latn"}
#: The upstreams' own names, as their credits write them in every language.
NAMES = ("ExchangeRate-API", "Open-Meteo.com", "MET Norway", "CC BY 4.0", "OpenWeather")
#: The editors' note of the test pins: their own words are shown as they wrote them.
NOTE = "42"
LATER = dt.datetime(2026, 11, 28, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
_LABEL = re.compile(r"\b(?:\d+ )?[a-z]{3}/kzt\b")
_ATTRIBUTES = re.compile(r'(?:title|aria-label)="([^"]*)"')


@functools.cache
def _every_adapter() -> Settings:
    """The reference settings with every installed adapter as a source (for the credits)."""

    def listed(kind: str) -> str:
        names = [name for name in adapter_names(kind) if name != "static"]
        return "sources: [" + ", ".join(f"{{adapter: {name}}}" for name in names) + "]"

    text = SETTINGS_YAML.replace(
        'sources: [{adapter: static, rates: {USD: "445.99"}}]', listed("rates")
    ).replace(
        "sources: [{adapter: static, cities: {astana: {temperature: 19, min: 18, max: 20}}}]",
        listed("weather"),
    )
    return make_settings(text)


def _editorial(settings: Settings, *, confirm_jumps: bool = False) -> Settings:
    """``settings`` with USD and Astana pinned until 18:00 in Astana."""
    pins = [
        Pin(item="USD", value=Decimal("450.00"), reason=NOTE, until=LATER),
        Pin(item="astana", temperature=-3, min=-5, max=-1, reason=NOTE, until=LATER),
    ]
    editorial = settings.editorial.model_copy(update={"pins": pins, "confirm_jumps": confirm_jumps})
    return settings.model_copy(update={"editorial": editorial})


def _unshowable() -> Rate:
    """A cached rate no display can show (NaN, set without validation)."""
    good = REFERENCE_RATES[3]
    return Rate.model_construct(**{**dict(good), "published": Decimal("NaN")})


def reason_strips(settings: Settings, lang: str) -> dict[str, Strip]:
    """Strips in ``lang`` that between them give every reason, by what they show."""
    two_hours = NOW - dt.timedelta(hours=2, seconds=1)
    stale = {
        "USD": rate("USD", "445.99", fetched_at=two_hours),
        "EUR": rate("EUR", "486.53", date=dt.date(2026, 11, 25)),
        "RUB": rate("RUB", "5.78"),
        "CNY": _unshowable(),
    }
    yesterday = weather().model_copy(update={"date": dt.date(2026, 11, 27)})
    old = NOW - settings.rates.max_age - dt.timedelta(seconds=1)
    hidden_rates = {"USD": rate("USD", "445.99", fetched_at=old)}
    hidden_city = {"astana": weather(fetched_at=NOW - dt.timedelta(hours=7))}
    cached = {r.code: r for r in REFERENCE_RATES}
    held = {"RUB": rate("RUB", "6.50"), "EUR": rate("EUR", "600.00")}
    return {
        "empty": build_strip(settings, {}, {}, lang=lang, now=NOW),
        "stale": build_strip(
            settings, stale, {"astana": yesterday}, lang=lang, now=NOW, held={"RUB": held["RUB"]}
        ),
        "hidden": build_strip(settings, hidden_rates, hidden_city, lang=lang, now=NOW),
        "pinned": build_strip(
            _editorial(settings, confirm_jumps=True),
            cached,
            {"astana": weather()},
            lang=lang,
            now=NOW,
            held={"EUR": held["EUR"]},
        ),
    }


def _items(strips: dict[str, Strip]) -> Iterator[RateItem | WeatherItem]:
    for strip in strips.values():
        yield from strip.rates
        yield from strip.weather


def _credit_strips(lang: str) -> list[Strip]:
    """Strips in ``lang`` crediting every installed adapter."""
    settings = _every_adapter()
    credits = attributions(settings)
    rates = {
        "USD": rate("USD", "445.99", source="nbk"),
        "EUR": rate("EUR", "486.53", source="cbr"),
        "RUB": rate("RUB", "5.78", source="er-api"),
    }
    return [
        build_strip(
            settings,
            rates,
            {"astana": weather(source=source)},
            lang=lang,
            now=NOW,
            attributions=credits,
        )
        for source in adapter_names("weather")
        if source != "static"
    ]


@functools.cache
def reader_texts(lang: str) -> tuple[str, ...]:
    """Every reason, label, tooltip, credit and title a reader of ``lang`` may meet."""
    settings = make_settings()
    strips = [*reason_strips(settings, lang).values(), *_credit_strips(lang)]
    texts = [item.reason for item in _items(reason_strips(settings, lang)) if item.reason]
    for strip in strips:
        texts.extend(strip.labels.values())
        texts.extend(credit.text for credit in strip.sources)
        markup = render_fragment(strip)
        # The stale marks' tooltips, the lists' labels and the credits' titles; an item's
        # own title is its currency's name or its weather (the words tables).
        for element in re.findall(r"<(?:abbr|ul|span|a)\b[^>]*>", markup):
            texts.extend(html.unescape(value) for value in _ATTRIBUTES.findall(element))
        title = re.search(r"<title>(.*)</title>", render_frame(strip))
        assert title is not None
        texts.append(html.unescape(title.group(1)))
    return tuple(texts)


def _without_names(text: str) -> str:
    """``text`` without what every language writes as it is: labels, sources, names."""
    text = _LABEL.sub(" ", text)
    for name in (*NAMES, *SOURCES, NOTE):
        text = text.replace(name, " ")
    return text


def _words(text: str) -> set[str]:
    return {word.casefold() for word in re.findall(r"[^\W\d_]{2,}", _without_names(text))}


SOURCES = tuple(attributions(_every_adapter()))
ENGLISH_WORDS = {word for text in reader_texts("en") for word in _words(text)}


def test_every_sentence_is_written_in_every_language():
    """Each reason and widget word has every catalogue language, with the same blanks."""
    for key, texts in {**REASONS, **PHRASES}.items():
        assert set(texts) == CATALOGUE_TAGS, key
        blanks = set(re.findall(r"\{(\w+)\}", texts["en"]))
        for tag, text in texts.items():
            assert set(re.findall(r"\{(\w+)\}", text)) == blanks, (key, tag)


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_no_english_word_in_a_non_english_strip(lang):
    """Reasons, labels, tooltips, credits and the title hold no English word (module doc)."""
    for text in reader_texts(lang):
        if lang in LATIN_SCRIPT:
            english = _words(text) & ENGLISH_WORDS
            assert not english, (text, english)
        else:
            leftover = re.findall(r"[A-Za-z]{2,}", _without_names(text))
            assert not leftover, (text, leftover)


def test_uzbek_latin_writes_its_letters_with_their_own_code_points():
    """oʻ, gʻ with U+02BB and the tutuq belgisi with U+02BC: never ', ‘ or ’."""
    for texts in (*REASONS.values(), *PHRASES.values()):
        assert not set("'\u2018\u2019`") & set(texts["uz-Latn"]), texts["uz-Latn"]
    assert "\u02bb" in REASONS["no_value"]["uz-Latn"]
    assert "\u02bc" in REASONS["held_jump"]["uz-Latn"]


def _pick(strips: dict[str, Strip], code: ReasonCode) -> RateItem | WeatherItem:
    """The item of ``strips`` that shows ``code`` first."""
    where = {
        ReasonCode.NO_VALUE: strips["empty"].rates[0],
        ReasonCode.NOT_REFRESHED: strips["stale"].rates[0],
        ReasonCode.OUTDATED: strips["stale"].rates[1],
        ReasonCode.HELD_JUMP: strips["stale"].rates[2],
        ReasonCode.NOT_SHOWN: strips["stale"].rates[3],
        ReasonCode.HIDDEN: strips["hidden"].rates[0],
        ReasonCode.PINNED: strips["pinned"].rates[0],
    }
    return where[code]


#: What each code reads in Russian and in English (durations, dates and times by CLDR).
EXPECTED = {
    ReasonCode.NO_VALUE: ("значения ещё нет", "no value yet"),
    ReasonCode.NOT_REFRESHED: ("последнее обновление 2 часа назад", "last refreshed 2 hours ago"),
    ReasonCode.OUTDATED: (
        "курс на 25 ноября 2026\u202fг.; ожидался курс на 27 ноября 2026\u202fг. или позже",
        "dated November 25, 2026; a rate for November 27, 2026 or later was expected",
    ),
    ReasonCode.HELD_JUMP: (
        "nbk опубликовал 6.50; значение задержано, пока его не подтвердит второй источник",
        "nbk published 6.50, held back until a second source agrees",
    ),
    ReasonCode.NOT_SHOWN: ("значение невозможно показать", "the value cannot be shown"),
    ReasonCode.HIDDEN: (
        "скрыто как устаревшее: последнее обновление 4 дня назад",
        "hidden as too old: last refreshed 4 days ago",
    ),
    ReasonCode.PINNED: (
        "закреплено редакцией до 28 ноября 2026\u202fг., 18:00: 42",
        "pinned by the editors until November 28, 2026, 6:00\u202fPM: 42",
    ),
}


@pytest.mark.parametrize("code", list(ReasonCode), ids=str)
def test_each_reason_code_beside_its_words(settings, code):
    """Each code is set beside its sentence, the same code in every language."""
    russian, english = EXPECTED[code]
    by_lang = {lang: _pick(reason_strips(settings, lang), code) for lang in LANGUAGES}
    assert {item.reason_code for item in by_lang.values()} == {code}
    assert (by_lang["ru"].reason, by_lang["en"].reason) == (russian, english)
    assert len({item.reason for item in by_lang.values()}) == len(LANGUAGES)


#: What each code reads in Kyrgyz and in Tajik (durations, dates and times by CLDR ky, tg).
KYRGYZ_AND_TAJIK = {
    ReasonCode.NO_VALUE: ("азырынча маани жок", "ҳоло қимат нест"),
    ReasonCode.NOT_REFRESHED: ("акыркы жаңыртуу 2 саат мурун", "охирин навсозӣ 2 соат пеш"),
    ReasonCode.OUTDATED: (
        "курстун датасы 2026-ж., 25-ноябрь; 2026-ж., 27-ноябрь же андан кийинки датага курс"
        " күтүлгөн",
        "қурб барои 25 Ноябр 2026; қурб барои 27 Ноябр 2026 ё баъдтар интизор мерафт",
    ),
    ReasonCode.HELD_JUMP: (
        "nbk 6.50 жарыялады; экинчи булак ырастаганча көрсөтүлбөйт",
        "nbk 6.50-ро нашр кард; то тасдиқи манбаи дуюм нишон дода намешавад",
    ),
    ReasonCode.NOT_SHOWN: ("маанини көрсөтүү мүмкүн эмес", "қиматро нишон додан ғайриимкон аст"),
    ReasonCode.HIDDEN: (
        "эскиргени үчүн жашырылды: акыркы жаңыртуу 4 күн мурун",
        "ҳамчун кӯҳна пинҳон карда шуд: охирин навсозӣ 4 рӯз пеш",
    ),
    ReasonCode.PINNED: (
        "редакция бекиткен (мөөнөтү: 2026-ж., 28-ноябрь 18:00): 42",
        "таҳририя то 28 Ноябр 2026 18:00 собит кардааст: 42",
    ),
}


@pytest.mark.parametrize("code", list(ReasonCode), ids=str)
def test_kyrgyz_and_tajik_reasons_read_whole(settings, code):
    """Each code in Kyrgyz and Tajik: its sentence, with CLDR ky's and tg's dates and ages."""
    kyrgyz, tajik = KYRGYZ_AND_TAJIK[code]
    assert _pick(reason_strips(settings, "ky"), code).reason == kyrgyz
    assert _pick(reason_strips(settings, "tg"), code).reason == tajik


@pytest.mark.parametrize("lang", ["ky", "tg"])
def test_kyrgyz_and_tajik_sentences_fill_every_blank(lang):
    """Every ky and tg sentence takes exactly the English blanks and keeps no brace once filled."""
    for key, texts in REASONS.items():
        blanks = {name: f"<{name}>" for name in re.findall(r"\{(\w+)\}", texts["en"])}
        filled = texts[lang].format_map(blanks)
        assert not set("{}") & set(filled), (key, filled)
        assert all(value in filled for value in blanks.values()), (key, filled)
    assert all(phrase(key, lang) == PHRASES[key][lang] for key in PHRASES)


def test_the_other_sentences_of_a_code(settings):
    """A day's range from yesterday, a city pinned, a jump held for the editors."""
    strips = reason_strips(settings, "kk")
    yesterday, pinned_city = strips["stale"].weather[0], strips["pinned"].weather[0]
    held_for_editors = strips["pinned"].rates[1]
    assert (yesterday.reason_code, yesterday.reason) == (
        "outdated",
        "температура аралығы бүгінгі емес: 2026\u202fж. 27 қараша (бүгін 2026\u202fж. 28 қараша)",
    )
    assert pinned_city.reason_code == "pinned"
    assert pinned_city.reason == "редакция бекіткен (мерзімі: 2026\u202fж. 28 қараша, 18:00): 42"
    assert (held_for_editors.reason_code, held_for_editors.reason) == (
        "held_jump",
        "nbk 600.00 жариялады; редакция растағанша ұсталып тұр",
    )


@pytest.mark.parametrize(
    ("lang", "ago"),
    [
        ("ru", "21 минуту назад"),
        ("kk", "21 минут бұрын"),
        ("kk-Latn", "21 minut būryn"),
        ("kk-Arab", "21 مينۋت بۇرىن"),
        ("zh", "21分钟前"),
        ("uz", "21 дақиқа олдин"),
        ("ky", "21 мүнөт мурун"),
        ("tg", "21 дақиқа пеш"),
    ],
    ids=lambda value: value,
)
def test_ages_are_written_by_cldr_with_the_languages_grammar(settings, lang, ago):
    """A time ago in the language's own words and case (CLDR relative time through Babel)."""
    slow = settings.model_copy(
        update={"rates": settings.rates.model_copy(update={"refresh": dt.timedelta(minutes=10)})}
    )
    usd = rate("USD", "445.99", fetched_at=NOW - dt.timedelta(minutes=21))
    item = build_strip(slow, {"USD": usd}, {}, lang=lang, now=NOW).rates[0]
    assert ago in item.reason


def test_right_to_left_reasons_keep_their_values_in_order(settings):
    """In kk-Arab each value is an isolate: ``nbk`` and ``6.50`` read as written, right to left."""
    item = _pick(reason_strips(settings, "kk-Arab"), ReasonCode.HELD_JUMP)
    visual = get_display(item.reason)
    assert "6.50" in visual
    assert "nbk" in visual
    # Right to left: the first value (the source) is drawn right of the second.
    assert visual.index("nbk") > visual.index("6.50")
    assert visual.rstrip("\u2066\u2067\u2068\u2069").endswith("nbk")
    left_to_right = _pick(reason_strips(settings, "ru"), ReasonCode.HELD_JUMP)
    assert not set("\u2066\u2067\u2068\u2069") & set(left_to_right.reason or "")


def test_credits_follow_the_language_and_keep_the_terms_wording_in_english():
    """The credit's title is in the strip's language; English keeps the terms' own words."""
    english = {credit.text for strip in _credit_strips("en") for credit in strip.sources}
    russian = {credit.text for strip in _credit_strips("ru") for credit in strip.sources}
    assert {"Weather data by Open-Meteo.com", "Rates By Exchange Rate API"} <= english
    assert {"Данные о погоде: Open-Meteo.com", "Курсы: ExchangeRate-API"} <= russian
    strip = _credit_strips("kk-Latn")[0]
    assert "Resmi bağamdar: Qazaqstan Ūlttyq Bankı" in {credit.text for credit in strip.sources}
    assert set(strip.model_dump()["sources"][0]) == {"source", "text", "url"}


def test_the_frame_title_is_in_the_strips_language(settings):
    """The iframe page's ``<title>`` is the widget's own words in its language."""
    strip = build_strip(settings, {}, {}, lang="zh", now=NOW)
    assert "<title>汇率 · 天气</title>" in render_frame(strip)


def test_reason_codes_are_in_the_openapi_document(settings):
    """The document lists every code, and both item models refer to the list."""
    document = openapi_document(settings, default_endpoints(), version="test")
    schemas = document["components"]["schemas"]
    assert schemas["ReasonCode"]["enum"] == [code.value for code in ReasonCode]
    for model in ("RateItem", "WeatherItem"):
        field = schemas[model]["properties"]["reason_code"]
        assert {"$ref": "#/components/schemas/ReasonCode"} in field["anyOf"]


def test_the_client_reads_the_code_as_the_enum():
    """A strip parsed from JSON, as the client parses it, carries ReasonCode members."""
    settings = parse_settings(SETTINGS_YAML)
    strip = build_strip(settings, {}, {}, lang="ru", now=NOW)
    parsed = Strip.model_validate_json(strip.model_dump_json())
    assert parsed.rates[0].reason_code is ReasonCode.NO_VALUE
    assert '"reason_code":"no_value"' in strip.model_dump_json()


@pytest.mark.parametrize(
    ("tag", "key"),
    [("zh-Hans", "zh"), ("uz-Cyrl", "uz"), ("kk-cyrl", "kk"), ("KY", "ky"), ("ky-Cyrl", "ky"),
     ("tg-Cyrl", "tg")],
)  # fmt: skip
def test_words_are_found_by_the_languages_tag_too(tag, key):
    """A strip's ``lang`` is a tag (``zh-Hans``): its words are those of the key (``zh``)."""
    assert phrase("stale", tag) == phrase("stale", key)
    reason = Reason(ReasonCode.NO_VALUE)
    assert reason_text(reason, tag) == reason_text(reason, key) != reason_text(reason, "en")
