"""The strip's languages: condition words, currency names, numbers, direction, negotiation.

The languages are those of a Kazakh news site's language switch: English, Russian,
Kazakh in Cyrillic (``kk``), Latin (``kk-Latn``) and Arabic script (``kk-Arab``,
right to left), Chinese and Uzbek in Cyrillic (``uz``).

Kazakh in Latin and Arabic script is written from the Cyrillic by rule
(:func:`kk_latin`, :func:`kk_arabic`), so every Kazakh word exists once.  Currency
names come from CLDR through Babel where it has them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name, get_decimal_symbol, get_minus_sign_symbol

from ticker._transliterate import kk_arabic, kk_latin

__all__ = [
    "LANGUAGES",
    "PHRASES",
    "RTL_LANGUAGES",
    "condition_name",
    "currency_name",
    "direction_of",
    "kk_arabic",
    "kk_latin",
    "localize_number",
    "negotiate",
    "phrase",
]

LANGUAGES: Final = ("en", "ru", "kk", "kk-Latn", "kk-Arab", "zh", "uz")
RTL_LANGUAGES: Final = frozenset({"kk-Arab"})

#: The CLDR locale behind each language (Uzbek here is the Cyrillic one).
BABEL_LOCALES: Final[Mapping[str, str]] = {
    "en": "en",
    "ru": "ru",
    "kk": "kk",
    "kk-Latn": "kk",
    "kk-Arab": "kk_Arab",
    "zh": "zh",
    "uz": "uz_Cyrl",
}

# WMO 4677 weather interpretation codes as Open-Meteo documents them
# (https://open-meteo.com/en/docs, "WMO Weather interpretation codes"; the
# project's upstream-formats.md section 3). One row per code: en, ru, kk, zh, uz.
# Kazakh in Latin and Arabic script is derived from the kk column.
_CONDITIONS: Final[Mapping[int, tuple[str, str, str, str, str]]] = {
    0: ("Clear sky", "Ясно", "Ашық", "晴", "Очиқ"),
    1: ("Mainly clear", "Преимущественно ясно", "Негізінен ашық", "大部晴朗", "Асосан очиқ"),
    2: ("Partly cloudy", "Переменная облачность", "Ішінара бұлтты", "局部多云", "Қисман булутли"),
    3: ("Overcast", "Пасмурно", "Бұлтты", "阴", "Булутли"),
    45: ("Fog", "Туман", "Тұман", "雾", "Туман"),
    48: ("Rime fog", "Изморозь", "Қырау тұман", "雾凇", "Қировли туман"),
    51: ("Light drizzle", "Слабая морось", "Әлсіз сіркіреме", "小毛毛雨", "Енгил шивалама"),
    53: ("Drizzle", "Морось", "Сіркіреме", "毛毛雨", "Шивалама"),
    55: ("Dense drizzle", "Сильная морось", "Қатты сіркіреме", "大毛毛雨", "Кучли шивалама"),
    56: (
        "Light freezing drizzle",
        "Слабая ледяная морось",
        "Әлсіз мұзды сіркіреме",
        "小冻毛毛雨",
        "Енгил музли шивалама",
    ),
    57: ("Freezing drizzle", "Ледяная морось", "Мұзды сіркіреме", "冻毛毛雨", "Музли шивалама"),
    61: ("Light rain", "Небольшой дождь", "Әлсіз жаңбыр", "小雨", "Енгил ёмғир"),
    63: ("Rain", "Дождь", "Жаңбыр", "中雨", "Ёмғир"),
    65: ("Heavy rain", "Сильный дождь", "Қатты жаңбыр", "大雨", "Кучли ёмғир"),
    66: (
        "Light freezing rain",
        "Слабый ледяной дождь",
        "Әлсіз мұзды жаңбыр",
        "小冻雨",
        "Енгил музли ёмғир",
    ),
    67: ("Freezing rain", "Ледяной дождь", "Мұзды жаңбыр", "冻雨", "Музли ёмғир"),
    71: ("Light snow", "Небольшой снег", "Әлсіз қар", "小雪", "Енгил қор"),
    73: ("Snow", "Снег", "Қар", "中雪", "Қор"),
    75: ("Heavy snow", "Сильный снег", "Қалың қар", "大雪", "Кучли қор"),
    77: ("Snow grains", "Снежные зёрна", "Қар түйіршіктері", "米雪", "Қор доналари"),
    80: ("Light showers", "Небольшой ливень", "Әлсіз нөсер", "小阵雨", "Енгил жала"),
    81: ("Showers", "Ливень", "Нөсер", "阵雨", "Жала"),
    82: ("Violent showers", "Сильный ливень", "Қатты нөсер", "强阵雨", "Кучли жала"),
    85: ("Snow showers", "Снегопад", "Нөсерлі қар", "阵雪", "Қорли жала"),
    86: (
        "Heavy snow showers", "Сильный снегопад", "Қатты нөсерлі қар", "强阵雪", "Кучли қорли жала",
    ),
    95: ("Thunderstorm", "Гроза", "Найзағай", "雷暴", "Момақалдироқ"),
    96: (
        "Thunderstorm with hail", "Гроза с градом", "Бұршақты найзағай", "雷暴伴冰雹",
        "Дўлли момақалдироқ",
    ),
    99: (
        "Thunderstorm with heavy hail",
        "Гроза с сильным градом",
        "Қатты бұршақты найзағай",
        "雷暴伴强冰雹",
        "Кучли дўлли момақалдироқ",
    ),
}  # fmt: skip
_COLUMNS: Final = {"en": 0, "ru": 1, "kk": 2, "zh": 3, "uz": 4}

#: Words of the widget itself, per language; Kazakh scripts derived from kk.
PHRASES: Final[Mapping[str, tuple[str, str, str, str, str]]] = {
    "rates": ("Exchange rates", "Курсы валют", "Валюта бағамы", "汇率", "Валюта курслари"),
    "weather": ("Weather", "Погода", "Ауа райы", "天气", "Об-ҳаво"),
    "sources": ("Sources", "Источники", "Дереккөздер", "数据来源", "Манбалар"),
    "stale": (
        "Not up to date", "Данные устарели", "Деректер ескірген", "数据已过时", "Маълумот эскирган",
    ),
    "missing": ("No data", "Нет данных", "Дерек жоқ", "暂无数据", "Маълумот йўқ"),
}  # fmt: skip


def _kazakh(text_kk: str, lang: str) -> str:
    if lang == "kk-Latn":
        return kk_latin(text_kk)
    if lang == "kk-Arab":
        return kk_arabic(text_kk)
    return text_kk


def _pick(row: tuple[str, str, str, str, str], lang: str) -> str:
    if lang.startswith("kk"):
        return _kazakh(row[_COLUMNS["kk"]], lang)
    return row[_COLUMNS.get(lang, 0)]


def condition_name(code: int | None, lang: str) -> str | None:
    """The weather condition of a WMO code in ``lang``; None for an unknown code."""
    row = _CONDITIONS.get(code) if code is not None else None
    return _pick(row, lang) if row is not None else None


def phrase(key: str, lang: str) -> str:
    """A word of the widget itself (``rates``, ``weather``, ``sources``...) in ``lang``."""
    return _pick(PHRASES[key], lang)


def _locale(lang: str) -> Locale | None:
    try:
        return Locale.parse(BABEL_LOCALES.get(lang, "en"))
    except (UnknownLocaleError, ValueError):
        return None


def currency_name(code: str, lang: str) -> str:
    """The currency's name in ``lang`` from CLDR, else in English, else its code."""
    locale = _locale(lang)
    name = get_currency_name(code, locale=locale) if locale is not None else code
    if name == code and lang != "en":
        return currency_name(code, "en")
    return _kazakh(name, lang) if lang == "kk-Latn" else name


def localize_number(text: str, lang: str) -> str:
    """``445.99`` and ``-8`` written with the language's decimal and minus signs."""
    locale = _locale(lang)
    if locale is None:
        return text
    decimal, minus = get_decimal_symbol(locale), get_minus_sign_symbol(locale)
    return text.replace("-", minus).replace(".", decimal)


def direction_of(lang: str) -> str:
    """``rtl`` or ``ltr``."""
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


_QUALITY = re.compile(r"^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q=([0-9.]+))?\s*$")


def negotiate(header: str | None, available: Sequence[str]) -> str | None:
    """The best of ``available`` for an ``Accept-Language`` header, or None.

    Exact tags win, then a tag whose prefix matches (``ru-RU`` -> ``ru``,
    ``kk-Arab-CN`` -> ``kk-Arab``), then one of ours that the tag is a prefix of
    (``uz`` -> ``uz``); weights (``q=``) order the header's tags.
    """
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        match = _QUALITY.match(part)
        if match is None:
            continue
        try:
            quality = float(match.group(2) or 1)
        except ValueError:
            continue
        if quality > 0:
            ranked.append((-quality, index, match.group(1).lower()))
    lowered = {language.lower(): language for language in available}
    for _, _, tag in sorted(ranked):
        found = _match(tag, lowered)
        if found is not None:
            return found
    return None


def _match(tag: str, lowered: Mapping[str, str]) -> str | None:
    if tag == "*":
        return next(iter(lowered.values()), None)
    parts = tag.split("-")
    for end in range(len(parts), 0, -1):
        prefix = "-".join(parts[:end])
        if prefix in lowered:
            return lowered[prefix]
    return None
