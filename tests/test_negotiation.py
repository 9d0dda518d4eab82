"""Languages by their tags, and a browser's Accept-Language matched by CLDR (RFC 4647, 9110).

The cases follow the review of the strip's languages: rows 5 to 13 and 20, each named
in its test's docstring, then RFC 4647's lookup and filtering and RFC 9110's weights.
"""

from __future__ import annotations

import itertools
import re
import string
from typing import get_args

import pytest
from babel import Locale
from langcodes import Language, tag_distance, tag_is_valid

from ticker import Store, create_app
from ticker._config import ConfigError
from ticker._languages import (
    LANGUAGE_NAMES,
    LANGUAGE_TAGS,
    LanguageKey,
    accepted_ranges,
    language_key,
    language_tag,
    spellings,
)
from ticker._serving.app import fast_path
from ticker._serving.openapi import language_schema
from ticker._strip.i18n import BABEL_LOCALES, LANGUAGES, direction_of, negotiate

from .conftest import NOW, SETTINGS_YAML, make_settings

ALL = list(LANGUAGES)
#: The script each language's strip is written in.
SCRIPTS = {
    "en": "Latn", "ru": "Cyrl", "kk": "Cyrl", "kk-Latn": "Latn", "kk-Arab": "Arab",
    "zh": "Hans", "uz": "Cyrl", "uz-Latn": "Latn", "ky": "Cyrl", "tg": "Cyrl",
}  # fmt: skip
#: Every language of the reference deployment, as its settings list them.
EVERY_LANGUAGE = "languages: [en, ru, kk, kk-Latn, kk-Arab, zh, uz, uz-Latn, ky, tg]"
#: The reference deployment with all ten languages.
TEN_YAML = SETTINGS_YAML.replace("languages: [en, ru, kk, zh]", EVERY_LANGUAGE)


@pytest.fixture
async def client(aiohttp_client, filled_store: Store):
    """The reference deployment speaking all ten languages."""
    app = create_app(make_settings(TEN_YAML), store=filled_store, clock=lambda: NOW)
    return await aiohttp_client(app)


# --- the registry -------------------------------------------------------------------------


def test_ten_languages_in_the_registry_and_the_settings():
    """The strip, the settings and the CLDR locales know the same ten languages."""
    assert LANGUAGES == (
        "en", "ru", "kk", "kk-Latn", "kk-Arab", "zh", "uz", "uz-Latn", "ky", "tg",
    )  # fmt: skip
    assert f"languages: [{', '.join(LANGUAGES)}]" == EVERY_LANGUAGE
    assert get_args(LanguageKey) == LANGUAGES
    assert set(LANGUAGE_TAGS) == set(LANGUAGE_NAMES) == set(BABEL_LOCALES) == set(LANGUAGES)


def test_uzbek_latin_is_cldr_uz_and_named_in_its_own_letters():
    """uz-Latn's locale is CLDR's Latin uz; the switch shows Oʻzbekcha with U+02BB."""
    assert Language.get(str(Locale.parse(BABEL_LOCALES["uz-Latn"]))).maximize().script == "Latn"
    assert LANGUAGE_NAMES["uz-Latn"] == "O\u02bbzbekcha"
    assert LANGUAGE_NAMES["uz"] == "Ўзбекча"


def test_kyrgyz_and_tajik_are_cldrs_own_locales_and_named_in_their_letters():
    """ky and tg are CLDR's Cyrillic ky and tg; the switch shows Кыргызча and Тоҷикӣ (ҷ, ӣ)."""
    for lang in ("ky", "tg"):
        locale = Locale.parse(BABEL_LOCALES[lang])
        assert str(locale) == lang
        assert Language.get(str(locale)).maximize().script == "Cyrl"
    assert LANGUAGE_NAMES["ky"] == "Кыргызча"
    assert LANGUAGE_NAMES["tg"] == "То\u04b7ик\u04e3"
    assert Locale.parse("tg").languages["tg"].capitalize() == LANGUAGE_NAMES["tg"]
    assert Locale.parse("ky").languages["ky"].capitalize() == LANGUAGE_NAMES["ky"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_tag_says_the_script_its_strip_is_written_in(lang):
    """Rows 12, 13: by the registry and CLDR's likely subtags, a tag means its strip's script."""
    tag = LANGUAGE_TAGS[lang]
    assert tag_is_valid(tag)
    assert Language.get(tag).maximize().script == SCRIPTS[lang]


def test_a_bare_uz_or_zh_would_say_another_script():
    """Row 12, 13: why uz is uz-Cyrl and zh is zh-Hans, and kk, ky and tg stay bare."""
    assert Language.get("uz").maximize().script == "Latn"
    assert Language.get("zh-TW").maximize().script == "Hant"
    assert Language.get("ky").maximize().script == Language.get("tg").maximize().script == "Cyrl"
    assert [language_tag(key) for key in ("uz", "zh", "kk", "ky", "tg")] == [
        "uz-Cyrl", "zh-Hans", "kk", "ky", "tg",
    ]  # fmt: skip


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_spelling_names_its_language(lang):
    """A key, its tag and the tag with its script written out, in any case, are one language.

    Each is the same tag by CLDR, but for the key ``uz``: settings files say it for the
    Cyrillic Uzbek strip they had, while a bare ``uz`` tag is Latin.
    """
    for spelling in spellings(lang):
        if spelling != "uz":
            assert tag_distance(spelling, LANGUAGE_TAGS[lang]) == 0
        for written in (spelling, spelling.lower(), spelling.upper()):
            assert language_key(written) == lang


@pytest.mark.parametrize(
    "unknown",
    ["fr", "", "zh-Hant", "uz-Arab", "kk-CN", "en-US", " en", "ky-KG", "ky-Arab", "tg-Latn",
     "tg-Arab", "kir"],
)  # fmt: skip
def test_other_tags_name_none_of_ours(unknown):
    """Another language, script or region is not one of ours by spelling."""
    assert language_key(unknown) is None


def test_direction_follows_a_key_or_a_tag():
    """kk-Arab is right to left however it is named; Chinese and Uzbek are not."""
    assert [direction_of(name) for name in ("kk-Arab", "KK-ARAB", "zh-Hans", "uz-Cyrl")] == [
        "rtl", "rtl", "ltr", "ltr",
    ]  # fmt: skip


def test_settings_take_tags_and_keep_keys():
    """Settings name languages by key or tag, in any case; a language named twice is refused."""
    text = TEN_YAML.replace(
        EVERY_LANGUAGE, "languages: [zh-Hans, uz-Cyrl, KK-CYRL, kk-latn, uz-Latn, KY, tg-Cyrl]"
    ).replace("zh: 阿斯塔纳", "zh-Hans: 阿斯塔纳")
    settings = make_settings(text)
    assert settings.languages == ["zh", "uz", "kk", "kk-Latn", "uz-Latn", "ky", "tg"]
    assert settings.weather.cities[0].display_name("zh") == "阿斯塔纳"
    with pytest.raises(ConfigError, match="'zh' is listed twice"):
        make_settings(text.replace("[zh-Hans,", "[zh, zh-Hans,"))
    with pytest.raises(ConfigError, match="languages"):
        make_settings(text.replace("[zh-Hans,", "[zh-Hant,"))


# --- review rows 5 to 10: Accept-Language ------------------------------------------------


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [("kk-CN", ALL, "kk-Arab"), ("kk-CN,kk;q=0.9", ALL, "kk-Arab"),
     ("kk-CN", ["en", "kk"], None), ("kk-MN", ALL, "kk-Arab")],
    ids=["kk-CN", "kk-CN-then-kk", "no-arabic-configured", "kk-MN"],
)  # fmt: skip
def test_kazakh_of_china_reads_arabic_script(header, available, expected):
    """Row 5: kk-CN is kk-Arab-CN by CLDR's likely subtags, never the Cyrillic."""
    assert negotiate(header, available) == expected


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [("uz-Latn", ALL, "uz-Latn"), ("uz-Latn-UZ", ALL, "uz-Latn"), ("uz", ALL, "uz-Latn"),
     ("uz-Latn", ["en", "ru", "uz"], None), ("uz-Latn-UZ", ["en", "uz"], None),
     ("uz-Latn,uz;q=0.9", ["en", "uz"], None), ("uz-Cyrl-UZ", ALL, "uz")],
    ids=["uz-Latn", "uz-Latn-UZ", "bare-uz-is-latin", "no-latin-configured",
         "no-latin-with-region", "browser-adds-bare-uz", "cyrillic-asked"],
)  # fmt: skip
def test_latin_uzbek_never_gets_cyrillic(header, available, expected):
    """Row 6: uz-Latn gets the Latin strip, or no match at all: never the Cyrillic one."""
    assert negotiate(header, available) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [("zh-TW", "zh"), ("zh-HK", "zh"), ("zh-Hant", "zh"), ("zh-TW, en;q=0.5", "en"),
     ("zh-Hant, ru;q=0.1", "ru"), ("zh-TW,zh;q=0.9,en;q=0.8", "en"), ("zh-CN", "zh")],
    ids=["zh-TW", "zh-HK", "zh-Hant", "then-en", "then-ru", "browser-adds-bare-zh", "zh-CN"],
)  # fmt: skip
def test_traditional_chinese_gets_simplified_only_as_a_last_resort(header, expected):
    """Row 7: zh-Hant is not a child of zh; Simplified only when no other range fits."""
    assert negotiate(header, ["en", "ru", "zh"]) == expected


@pytest.mark.parametrize(
    "available",
    [["en", "ru", "kk"], ["ru", "en"], ALL, ["en", "zh"]],
    ids=["en-first", "en-second", "all", "two"],
)
def test_q_zero_means_not_acceptable(available):
    """Row 8: en;q=0, * is anything but English (RFC 9110 section 12.5.4)."""
    found = negotiate("en;q=0, *", available)
    assert found is not None
    assert found != "en"


@pytest.mark.parametrize(
    ("header", "expected"),
    [("ru;q=2", None), ("ru;q=2, kk;q=0.5", "kk"), ("ru;q=1.5", None), ("ru;q=-1", None),
     ("ru;q=0.1234", None), ("ru;q=.5", None), ("ru;q=x", None), ("ru;q=1.000", "ru"),
     ("ru;q=0.001", "ru"), ("ru;q=0.5;level=1", None)],
    ids=["two", "two-then-kk", "one-and-a-half", "negative", "four-decimals", "no-leading-digit",
         "not-a-number", "one-point-zero", "smallest", "another-parameter"],
)  # fmt: skip
def test_an_invalid_weight_leaves_its_range_out(header, expected):
    """Row 9: a qvalue is 0 to 1 with at most three decimals; anything else is ignored."""
    assert negotiate(header, ALL) == expected


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [("kk", ["en", "kk-Latn", "kk-Arab"], "kk-Latn"), ("kk", ["en", "kk-Arab"], "kk-Arab"),
     ("kk-KZ", ["en", "kk-Latn"], "kk-Latn"), ("uz", ["en", "uz"], "uz"),
     ("kk", ["en", "kk-Arab", "kk"], "kk")],
    ids=["kk-to-latin", "kk-to-arabic", "kk-KZ", "uz-to-cyrillic", "exact-first"],
)  # fmt: skip
def test_a_bare_language_takes_the_first_of_its_scripts(header, available, expected):
    """Row 10: kk among [en, kk-Latn, kk-Arab] is kk-Latn (RFC 4647's prefix step)."""
    assert negotiate(header, available) == expected


# --- RFC 4647 and CLDR -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("kk-Arab-CN", "kk-Arab"), ("fr, zh-CN;q=0.5", "zh"),
     ("de", None), ("en;q=0.1, kk;q=0.9", "kk"), ("kk, ru", "kk"), ("ru, kk", "ru"),
     ("kk-Latn-KZ-x-private", "kk-Latn"), ("zh-Hans-CN", "zh"), ("KK-arab-cn", "kk-Arab"),
     ("ru-KZ", "ru"), ("en-GB", "en"), ("  ru ;  Q=0.5 ", "ru"), ("", None),
     ("garbage;;;q=x", None), ("en-, 123, -ru, ru--RU", None), ("x-private, i-klingon", None),
     ("und", None), ("kaz", "kk")],
    ids=["region", "script-region", "skip-unknown", "none-match", "weights", "order-kk",
         "order-ru", "private-use", "script-and-region", "any-case", "region-of-another",
         "en-GB", "spaces", "empty", "garbage", "malformed", "private-and-grandfathered",
         "undetermined", "iso-639-2"],
)  # fmt: skip
def test_lookup_by_the_header_order(header, expected):
    """RFC 4647 section 3.4: best range first, each matched as CLDR matches tags."""
    assert negotiate(header, ALL) == expected


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [("*", ALL, "en"), ("*", ["kk", "en"], "kk"), ("*;q=0.5, ru", ALL, "ru"),
     ("*, ru;q=0.5", ["ru", "en"], "en"), ("kk;q=0, *", ["kk", "kk-Latn", "ru"], "ru"),
     ("uz;q=0, *", ["uz", "uz-Latn", "en"], "en"), ("ru;q=0", ALL, None), ("*;q=0", ALL, None),
     ("ru-RU;q=0, *", ["ru", "kk"], "kk")],
    ids=["wildcard", "wildcard-order", "wildcard-after", "wildcard-not-the-named",
         "refuse-every-kazakh", "refuse-every-uzbek", "refuse-only", "refuse-wildcard",
         "refuse-by-region"],
)  # fmt: skip
def test_wildcard_and_refusals(header, available, expected):
    """RFC 9110: * is any language no other range names; q=0 refuses what a range names."""
    assert negotiate(header, available) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [("uk", "ru"), ("be", "ru"), ("wuu", "zh"), ("tr", None), ("ky", "ky"), ("tg", "tg")],
    ids=["ukrainian", "belarusian", "wu", "turkish", "kyrgyz", "tajik"],
)
def test_cldr_neighbours_count(header, expected):
    """CLDR's matching data: a Ukrainian reader accepts Russian, a Turkish one none of ours."""
    assert negotiate(header, ALL) == expected


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [("ky-KG", ALL, "ky"), ("tg-TJ", ALL, "tg"), ("tg-Cyrl-TJ", ALL, "tg"),
     ("ky-Cyrl", ALL, "ky"), ("kir", ALL, "ky"), ("tgk", ALL, "tg"), ("KY-kg", ALL, "ky"),
     ("ky-KG", ["en", "ru", "kk"], None), ("tg-TJ", ["ru", "uz", "en"], None),
     ("ky-KG, ru;q=0.5", ["en", "ru"], "ru"), ("ky-CN", ALL, None), ("tg-Arab", ALL, None),
     ("ky;q=0, *", ["ky", "ru"], "ru"), ("tg, ky", ALL, "tg"), ("ru-KG", ALL, "ru")],
    ids=["ky-KG", "tg-TJ", "tg-Cyrl-TJ", "ky-Cyrl", "iso-639-2-ky", "iso-639-2-tg",
         "any-case", "no-kyrgyz-configured", "no-tajik-configured", "russian-asked-too",
         "kyrgyz-of-china", "tajik-in-persian-script", "kyrgyz-refused", "order",
         "russian-of-kyrgyzstan"],
)  # fmt: skip
def test_kyrgyz_and_tajik_readers_get_their_own_strip(header, available, expected):
    """ky-KG and tg-TJ get ky and tg; never Russian (CLDR: 30 away) unless the header asks."""
    assert negotiate(header, available) == expected


def test_accepted_ranges_are_ordered_by_weight():
    """Ranges come lower-cased, best first, equal weights in their order; bad ones left out."""
    header = "en;q=0.5, KK-Latn, *;q=0.1, ru;q=0.5, fr;q=2, zh;Q=0"
    assert accepted_ranges(header) == [
        ("kk-latn", 1.0), ("en", 0.5), ("ru", 0.5), ("*", 0.1), ("zh", 0.0),
    ]  # fmt: skip


def test_only_the_first_twenty_elements_are_read():
    """A long header is read to its twentieth element: the rest cannot change a browser's choice."""
    assert negotiate(", ".join(["de"] * 20 + ["ru"]), ALL) is None
    assert negotiate(", ".join(["de"] * 19 + ["ru"]), ALL) == "ru"


def test_headers_from_outside_do_not_grow_the_matcher_without_bound():
    """However many different tags arrive, langcodes sees a bounded set of reduced ones."""
    letters = itertools.product(string.ascii_lowercase, repeat=4)
    headers = [
        f"{a}{b}-{c}{d}{a}{b}-{c}{a}-v{a}{b}{c}{d}, uk-{d}{c}{b}{a}-{b}{d}, zh-{c}{a}, kk-{b}{d}"
        for a, b, c, d in itertools.islice(letters, 3200)
    ]
    for header in headers[:200]:
        negotiate(header, ALL)
    before = len(Language._PARSE_CACHE)
    for header in headers[200:]:
        negotiate(header, ALL)
    assert len(Language._PARSE_CACHE) - before < 100


# --- review rows 11 to 13 and 20: the service -----------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "tag"),
    [("kk-latn", "kk-Latn"), ("KK-LATN", "kk-Latn"), ("kk-Latn", "kk-Latn"), ("zh-Hans", "zh-Hans"),
     ("zh-hans", "zh-Hans"), ("zh", "zh-Hans"), ("uz-Cyrl", "uz-Cyrl"), ("uz", "uz-Cyrl"),
     ("kk-Cyrl", "kk"), ("UZ-latn", "uz-Latn"), ("RU", "ru"), ("KY", "ky"), ("ky-Cyrl", "ky"),
     ("tg-cyrl", "tg"), ("tg", "tg")],
)  # fmt: skip
async def test_lang_takes_tags_and_keys_in_any_case(client, spelling, tag):
    """Row 11: ?lang= is case-insensitive and takes a language's tag, key or script alias."""
    response = await client.get("/v1/strip", params={"lang": spelling})
    assert response.status == 200
    assert (await response.json())["lang"] == tag


@pytest.mark.parametrize("spelling", ["fr", "zh-Hant", "uz-Arab", "kk-KZ", "en-US", ""])
async def test_an_unknown_lang_is_a_400_listing_the_tags(client, spelling):
    """A language the service does not speak is a 400 naming the configured languages' tags."""
    response = await client.get("/v1/strip", params={"lang": spelling})
    assert response.status == 400
    body = await response.json()
    assert body["parameter"] == "lang"
    assert body["allowed"] == [LANGUAGE_TAGS[lang] for lang in LANGUAGES]


@pytest.mark.parametrize(("lang", "tag"), [("uz", "uz-Cyrl"), ("zh", "zh-Hans")])
async def test_uzbek_and_chinese_say_their_script(client, lang, tag):
    """Rows 12, 13: lang= attributes and JSON lang carry the script subtag."""
    for path in ("/v1/strip", "/v1/rates", "/v1/weather"):
        body = await (await client.get(path, params={"lang": lang})).json()
        assert body["lang"] == tag, path
    fragment = await (await client.get("/widget", params={"lang": lang})).text()
    assert f'<div class="ticker" lang="{tag}"' in fragment
    frame = await (await client.get("/widget/frame", params={"lang": lang})).text()
    assert f'<html lang="{tag}"' in frame
    assert not re.search(r'lang="(uz|zh)"', fragment + frame)


async def test_the_words_follow_the_tag(client):
    """A strip tagged zh-Hans still speaks Chinese in its labels and title."""
    frame = await (await client.get("/widget/frame", params={"lang": "zh-Hans"})).text()
    assert "<title>汇率 · 天气</title>" in frame
    assert 'aria-label="汇率"' in frame


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_every_localized_answer_says_its_language(client, lang):
    """Row 20: Content-Language is the strip's tag (RFC 9110 section 8.5); a 304 leaves it out."""
    for path in (
        "/v1/strip",
        "/v1/strip.txt",
        "/v1/rates",
        "/v1/weather",
        "/widget",
        "/widget/frame",
    ):
        response = await client.get(path, params={"lang": lang})
        assert response.status == 200
        assert response.headers["Content-Language"] == LANGUAGE_TAGS[lang], path
        again = await client.get(
            path, params={"lang": lang}, headers={"If-None-Match": response.headers["ETag"]}
        )
        assert again.status == 304
        assert "Content-Language" not in again.headers, path


async def test_a_negotiated_answer_says_its_language(client):
    """Row 20 with Accept-Language: kk-CN is answered in kk-Arab, and says so."""
    response = await client.get("/v1/strip", headers={"Accept-Language": "kk-CN, ru;q=0.5"})
    assert response.headers["Content-Language"] == "kk-Arab"
    assert (await response.json())["lang"] == "kk-Arab"
    assert "Accept-Language" in response.headers["Vary"]


async def test_the_fast_path_says_its_language_too(aiohttp_server, filled_store: Store, session):
    """Row 20 through the hot path ``ticker serve`` answers with: the same prepared headers."""
    app = create_app(make_settings(TEN_YAML), store=filled_store, clock=lambda: NOW)
    server = await aiohttp_server(app, host="127.0.0.1")
    assert server.runner is not None
    assert server.runner.server is not None
    routed = server.runner.server.request_handler
    server.runner.server.request_handler = fast_path(app, routed)
    for query, tag in [("lang=uz", "uz-Cyrl"), ("lang=KK-LATN", "kk-Latn"), ("", "en")]:
        async with session.get(server.make_url(f"/v1/strip?{query}")) as response:
            assert response.status == 200
            assert response.headers["Content-Language"] == tag, query
            assert (await response.json())["lang"] == tag


def test_the_lang_schema_takes_exactly_what_the_service_takes():
    """OpenAPI's lang: the tags to send, and a pattern of every spelling taken, in any case."""
    schema = language_schema(["en", "zh", "uz", "kk-Latn"])
    tags, spelled = schema["anyOf"]
    assert tags["enum"] == ["en", "zh-Hans", "uz-Cyrl", "kk-Latn"]
    pattern = re.compile(spelled["pattern"])
    for taken in ("en", "EN", "en-Latn", "zh", "ZH-hans", "uz", "uz-cyrl", "kk-latn", "KK-LATN"):
        assert pattern.match(taken), taken
    for refused in ("ru", "kk", "kk-Cyrl", "uz-Latn", "zh-Hant", "en-US", "", "en "):
        assert not pattern.match(refused), refused
