"""The languages of the strip: words, names, scripts, numbers and negotiation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel import Locale
from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

from ticker._strip.i18n import (
    LANGUAGES,
    PHRASES,
    condition_name,
    currency_name,
    direction_of,
    kk_arabic,
    kk_latin,
    localize_number,
    negotiate,
    phrase,
)

#: The WMO codes Open-Meteo documents (upstream-formats.md, section 3).
WMO_CODES = [0, 1, 2, 3, 45, 48, 51, 53, 55, 56, 57, 61, 63, 65, 66, 67, 71, 73, 75, 77, 80, 81,
             82, 85, 86, 95, 96, 99]  # fmt: skip


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_wmo_code_has_words_in_every_language(lang):
    """Each documented code has a non-empty condition in each language, distinct per code."""
    words = [condition_name(code, lang) for code in WMO_CODES]
    assert all(words)
    assert len(set(words)) == len(WMO_CODES)


def test_unknown_code_has_no_words():
    """A code outside the documented set falls back to nothing rather than a guess."""
    assert condition_name(42, "en") is None
    assert condition_name(None, "ru") is None


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "Partly cloudy"), ("ru", "Переменная облачность"), ("kk", "Ауыспалы бұлтты"),
     ("kk-Latn", "Auyspaly būltty"), ("kk-Arab", "اۋىسپالى بۇلتتى"), ("zh", "多云"),
     ("uz", "Ўзгарувчан булутли"), ("uz-Latn", "Oʻzgaruvchan bulutli"),
     ("ky", "Өзгөрмөлүү булуттуу"), ("tg", "Абрнокии тағйирёбанда")],
    ids=lambda v: v if v in (*LANGUAGES, "uz-Latn") else "",
)  # fmt: skip
def test_condition_words(lang, words):
    """Code 2 reads naturally in each language and script."""
    assert condition_name(2, lang) == words


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [("Астана", "Astana"), ("Алматы", "Almaty"), ("Қазақстан", "Qazaqstan"),
     ("Өскемен", "Öskemen"), ("Шымкент", "Şymkent"), ("Үшарал", "Üşaral"),
     ("Ғылым", "Ğylym"), ("теңге", "teñge"), ("Ұлытау", "Ūlytau"), ("Іле", "Ile")],
    ids=lambda v: v,
)  # fmt: skip
def test_kazakh_latin_follows_the_2021_alphabet(cyrillic, latin):
    """Cyrillic Kazakh is written in the 2021 Latin alphabet letter by letter."""
    assert kk_latin(cyrillic) == latin


@pytest.mark.parametrize(
    ("cyrillic", "arabic"),
    [("Астана", "استانا"), ("Алматы", "الماتى"), ("Қар", "قار"), ("Әлсіз", "ءالسىز"),
     ("Өскемен", "وسكەمەن"), ("Түркістан", "تۇركىستان"), ("Үндістан", "ءۇندىستان")],
    ids=lambda v: v,
)  # fmt: skip
def test_kazakh_arabic_script_marks_front_words_with_hamza(cyrillic, arabic):
    """Words whose first vowel is front, without е, к or г, start with the hamza U+0621."""
    assert kk_arabic(cyrillic) == arabic


def test_currency_names_come_from_cldr():
    """CLDR names where Babel has them, Kazakh Latin and Uzbek Cyrillic by rule."""
    assert currency_name("USD", "ru") == "доллар США"
    assert currency_name("USD", "kk") == "АҚШ доллары"
    assert currency_name("USD", "kk-Latn") == "AQŞ dollary"
    assert currency_name("CNY", "zh") == "人民币"
    assert currency_name("KZT", "uz") == "Қозоғистон тенгеси"
    assert currency_name("KZT", "uz-Latn") == "Qozogʻiston tengesi"
    assert currency_name("USD", "ky") == "АКШ доллары"
    assert currency_name("KGS", "ky") == "Кыргызстан сому"
    assert currency_name("USD", "tg") == "Доллари ИМА"
    assert currency_name("TJS", "tg") == "Сомонии Тоҷикистон"


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [("en", "-445.99", "-445.99"), ("ru", "445.99", "445,99"), ("kk", "+18+20℃", "+18+20℃"),
     ("kk-Arab", "5.78", "5.78"), ("zh", "64.16", "64.16"), ("uz", "-0.86", "-0,86"),
     ("ky", "-445.99", "-445,99"), ("tg", "5.78", "5,78")],
    ids=lambda v: v if v in LANGUAGES else "",
)  # fmt: skip
def test_numbers_follow_the_language_when_asked(lang, text, expected):
    """Decimal and minus signs per CLDR; digits are never changed."""
    assert localize_number(text, lang) == expected


@pytest.mark.parametrize("lang", ["ky", "tg"])
def test_kyrgyz_and_tajik_numbers_are_cldrs(lang):
    """CLDR ky and tg write a decimal comma and group with a no-break space, as Babel has it."""
    locale = Locale.parse(lang)
    assert (get_decimal_symbol(locale), get_group_symbol(locale)) == (",", "\u00a0")
    assert format_decimal(Decimal("12345.67"), locale=locale) == "12\u00a0345,67"
    assert localize_number("+0.86", lang) == "+0,86"


def test_only_kazakh_arabic_is_right_to_left():
    """dir is rtl for kk-Arab alone."""
    assert [lang for lang in LANGUAGES if direction_of(lang) == "rtl"] == ["kk-Arab"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("kk-Arab-CN", "kk-Arab"), ("fr, zh-CN;q=0.5", "zh"),
     ("de", None), ("en;q=0.1, kk;q=0.9", "kk"), ("*", "en"), ("ru;q=0", None),
     ("", None), ("garbage;;;q=x", None), ("uz-Cyrl-UZ", "uz"), ("uz-Latn-UZ", "uz-Latn"),
     ("kk-CN", "kk-Arab"), ("en;q=0, *", "ru"), ("ky-KG", "ky"), ("tg-TJ", "tg"),
     ("tg-Cyrl", "tg"), ("ky-KG,ky;q=0.9,ru;q=0.8", "ky"), ("ru-KG, tg;q=0.5", "ru")],
    ids=["region", "script-region", "skip-unknown", "none-match", "weights", "wildcard",
         "q-zero", "empty", "garbage", "uzbek-cyrillic", "uzbek-latin", "kazakh-of-china",
         "refused-then-any", "kyrgyz", "tajik", "tajik-cyrillic", "kyrgyz-before-russian",
         "russian-of-kyrgyzstan"],
)  # fmt: skip
def test_accept_language_negotiation(header, expected):
    """The best configured language for a browser's Accept-Language header."""
    assert negotiate(header, list(LANGUAGES)) == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_widget_speaks_every_language(lang):
    """Every word of the widget itself exists in every language."""
    assert all(phrase(key, lang) for key in PHRASES)
