"""The strip's languages: condition words, currency names, numbers, direction, negotiation.

The languages are those of a Kazakh news site's language switch: English, Russian,
Kazakh in Cyrillic (``kk``), Latin (``kk-Latn``) and Arabic script (``kk-Arab``,
right to left), Chinese (``zh``, tagged ``zh-Hans``) and Uzbek in Cyrillic (``uz``,
tagged ``uz-Cyrl``) and Latin (``uz-Latn``).  Their keys, tags and names and the
negotiation of ``Accept-Language`` live in :mod:`ticker._languages`, where the
settings' validation reaches them too, and are re-exported here.

Kazakh in Latin and Arabic script is written from the Cyrillic by rule
(:func:`kk_latin`, :func:`kk_arabic`), so every Kazakh word exists once.  Currency
names come from CLDR through Babel where it has them; Uzbek in both scripts from
CLDR's Latin ``uz``, the fuller one; where CLDR has no name, the code, never English.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, format_timedelta, get_datetime_format
from babel.numbers import get_decimal_symbol, get_minus_sign_symbol

from ticker._languages import (
    LANGUAGE_NAMES,
    LANGUAGE_TAGS,
    LANGUAGES,
    language_key,
    language_tag,
    negotiate,
)
from ticker._staleness import Reason, ReasonValue
from ticker._transliterate import kk_arabic, kk_latin, uz_apostrophes, uz_cyrillic

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LANGUAGE_TAGS",
    "PHRASES",
    "REASONS",
    "RTL_LANGUAGES",
    "condition_name",
    "currency_name",
    "direction_of",
    "in_language",
    "kk_arabic",
    "kk_latin",
    "language_key",
    "language_tag",
    "localize_number",
    "negotiate",
    "phrase",
    "reason_text",
]

RTL_LANGUAGES: Final = frozenset({"kk-Arab"})

#: The CLDR locale behind each language: CLDR's ``uz`` is Uzbek in Latin script.
BABEL_LOCALES: Final[Mapping[str, str]] = {
    "en": "en",
    "ru": "ru",
    "kk": "kk",
    "kk-Latn": "kk",
    "kk-Arab": "kk_Arab",
    "zh": "zh",
    "uz": "uz_Cyrl",
    "uz-Latn": "uz",
}

# WMO 4677 weather interpretation codes as Open-Meteo documents them
# (https://open-meteo.com/en/docs, "WMO Weather interpretation codes"; the
# project's upstream-formats.md section 3), in the words each country's weather
# service prints in its forecasts, not a translation of Open-Meteo's English:
#   ru  Roshydromet, RD 52.27.724-2019 "Наставление по краткосрочным прогнозам погоды
#       общего назначения": малооблачно, ливневый дождь, ливневый снег, небольшой/сильный;
#       48 is WMO 4677's "fog depositing rime", the fog and not the deposit;
#   kk  Kazhydromet (RSE "Қазгидромет") forecasts in Kazakh: ауыспалы бұлтты, аздаған
#       жаңбыр/қар ("түнде аздаған қар жауады"), өткінші жаңбыр/қар, қалың қар; нөсер is
#       a downpour of rain, so snow showers are өткінші қар;
#   zh  China Meteorological Administration, the symbol legend of GB/T 22164-2017
#       "公共气象服务 天气图形符号" (多云, 阵雨, 雷阵雨, 雷阵雨伴有冰雹) and its cloud amounts
#       晴/少云/多云/阴 for codes 0-3; 48 is 冻雾 (freezing fog), 雾凇 being the deposit;
#   uz  Uzhydromet (Oʻzgidromet) forecasts, published in Latin first and in Cyrillic:
#       kam bulutli, oʻzgaruvchan bulutli, kuchsiz yomgʻir ("light" is kuchsiz, not the
#       calque енгил), qisqa muddatli yomgʻir.  The uz-Latn column writes oʻ and gʻ with
#       U+02BB and the tutuq belgisi with U+02BC, and is the uz column letter for letter.
# One row per code: en, ru, kk, zh, uz (Cyrillic), uz-Latn.  Kazakh in Latin and
# Arabic script is derived from the kk column.
_CONDITIONS: Final[Mapping[int, tuple[str, str, str, str, str, str]]] = {
    0: ("Clear sky", "Ясно", "Ашық", "晴", "Очиқ", "Ochiq"),
    1: ("Mainly clear", "Малооблачно", "Негізінен ашық", "少云", "Кам булутли", "Kam bulutli"),
    2: (
        "Partly cloudy", "Переменная облачность", "Ауыспалы бұлтты", "多云",
        "Ўзгарувчан булутли", "Oʻzgaruvchan bulutli",
    ),
    3: ("Overcast", "Пасмурно", "Бұлтты", "阴", "Булутли", "Bulutli"),
    45: ("Fog", "Туман", "Тұман", "雾", "Туман", "Tuman"),
    48: ("Rime fog", "Туман с изморозью", "Қырау тұман", "冻雾", "Қировли туман", "Qirovli tuman"),
    51: (
        "Light drizzle", "Слабая морось", "Әлсіз сіркіреме", "小毛毛雨", "Кучсиз шивалама",
        "Kuchsiz shivalama",
    ),
    53: ("Drizzle", "Морось", "Сіркіреме", "毛毛雨", "Шивалама", "Shivalama"),
    55: (
        "Dense drizzle", "Сильная морось", "Қатты сіркіреме", "大毛毛雨", "Кучли шивалама",
        "Kuchli shivalama",
    ),
    56: (
        "Light freezing drizzle", "Слабая ледяная морось", "Әлсіз мұзды сіркіреме", "小冻毛毛雨",
        "Кучсиз музли шивалама", "Kuchsiz muzli shivalama",
    ),
    57: (
        "Freezing drizzle", "Ледяная морось", "Мұзды сіркіреме", "冻毛毛雨", "Музли шивалама",
        "Muzli shivalama",
    ),
    61: (
        "Light rain", "Небольшой дождь", "Аздаған жаңбыр", "小雨", "Кучсиз ёмғир",
        "Kuchsiz yomgʻir",
    ),
    63: ("Rain", "Дождь", "Жаңбыр", "中雨", "Ёмғир", "Yomgʻir"),
    65: ("Heavy rain", "Сильный дождь", "Қатты жаңбыр", "大雨", "Кучли ёмғир", "Kuchli yomgʻir"),
    66: (
        "Light freezing rain", "Слабый ледяной дождь", "Әлсіз мұзды жаңбыр", "小冻雨",
        "Кучсиз музли ёмғир", "Kuchsiz muzli yomgʻir",
    ),
    67: (
        "Freezing rain", "Ледяной дождь", "Мұзды жаңбыр", "冻雨", "Музли ёмғир", "Muzli yomgʻir",
    ),
    71: ("Light snow", "Небольшой снег", "Аздаған қар", "小雪", "Кучсиз қор", "Kuchsiz qor"),
    73: ("Snow", "Снег", "Қар", "中雪", "Қор", "Qor"),
    75: ("Heavy snow", "Сильный снег", "Қалың қар", "大雪", "Кучли қор", "Kuchli qor"),
    77: (
        "Snow grains", "Снежные зёрна", "Қар түйіршіктері", "米雪", "Қор доналари",
        "Qor donalari",
    ),
    80: (
        "Light showers", "Небольшой ливневый дождь", "Өткінші жаңбыр", "小阵雨",
        "Қисқа муддатли ёмғир", "Qisqa muddatli yomgʻir",
    ),
    81: ("Showers", "Ливень", "Нөсер", "阵雨", "Жала", "Jala"),
    82: ("Violent showers", "Сильный ливень", "Қатты нөсер", "强阵雨", "Кучли жала", "Kuchli jala"),
    85: (
        "Snow showers", "Небольшой ливневый снег", "Өткінші қар", "阵雪", "Қорли жала",
        "Qorli jala",
    ),
    86: (
        "Heavy snow showers", "Сильный ливневый снег", "Қатты өткінші қар", "强阵雪",
        "Кучли қорли жала", "Kuchli qorli jala",
    ),
    95: ("Thunderstorm", "Гроза", "Найзағай", "雷阵雨", "Момақалдироқ", "Momaqaldiroq"),
    96: (
        "Thunderstorm with hail", "Гроза с градом", "Бұршақты найзағай", "雷阵雨伴有冰雹",
        "Дўлли момақалдироқ", "Doʻlli momaqaldiroq",
    ),
    99: (
        "Thunderstorm with heavy hail", "Гроза с сильным градом", "Қатты бұршақты найзағай",
        "雷阵雨伴有强冰雹", "Кучли дўлли момақалдироқ", "Kuchli doʻlli momaqaldiroq",
    ),
}  # fmt: skip
_COLUMNS: Final = {"en": 0, "ru": 1, "kk": 2, "zh": 3, "uz": 4, "uz-Latn": 5}

# The words of the widget and its reasons, by language tag: en, ru, kk, zh, uz (Uzbek
# in Cyrillic) and uz-Latn (the Latin alphabet of 1995: oʻ and gʻ with U+02BB MODIFIER
# LETTER TURNED COMMA, the tutuq belgisi with U+02BC MODIFIER LETTER APOSTROPHE, the
# code points Unicode gives those letters).  Kazakh in Latin and Arabic script is
# written from ``kk`` by rule (:func:`in_language`).

#: Words of the widget itself (``labels`` of a strip), by language.
PHRASES: Final[Mapping[str, Mapping[str, str]]] = {
    "rates": {
        "en": "Exchange rates", "ru": "Курсы валют", "kk": "Валюта бағамы", "zh": "汇率",
        "uz": "Валюта курслари", "uz-Latn": "Valyuta kurslari",
    },
    "weather": {
        "en": "Weather", "ru": "Погода", "kk": "Ауа райы", "zh": "天气", "uz": "Об-ҳаво",
        "uz-Latn": "Ob-havo",
    },
    "sources": {
        "en": "Sources", "ru": "Источники", "kk": "Дереккөздер", "zh": "数据来源",
        "uz": "Манбалар", "uz-Latn": "Manbalar",
    },
    "stale": {
        "en": "Not up to date", "ru": "Данные устарели", "kk": "Деректер ескірген",
        "zh": "数据已过时", "uz": "Маълумот эскирган", "uz-Latn": "Maʼlumot eskirgan",
    },
    "missing": {
        "en": "No data", "ru": "Нет данных", "kk": "Дерек жоқ", "zh": "暂无数据",
        "uz": "Маълумот йўқ", "uz-Latn": "Maʼlumot yoʻq",
    },
}  # fmt: skip

#: Why an item is missing, stale, held back or pinned (a ``Reason``'s words), by
#: language.  The blanks are filled by :func:`reason_text`: ``{ago}`` with a time ago,
#: ``{dated}``, ``{expected}``, ``{today}`` with dates and ``{until}`` with a moment,
#: all from CLDR; ``{note}`` (the editors' own words), ``{source}`` and ``{value}`` as
#: they are.
REASONS: Final[Mapping[str, Mapping[str, str]]] = {
    "no_value": {
        "en": "no value yet",
        "ru": "значения ещё нет",
        "kk": "мән әлі жоқ",
        "zh": "尚无数值",
        "uz": "қиймат ҳали йўқ",
        "uz-Latn": "qiymat hali yoʻq",
    },
    "not_refreshed": {
        "en": "last refreshed {ago}",
        "ru": "последнее обновление {ago}",
        "kk": "соңғы жаңарту {ago}",
        "zh": "最后更新于{ago}",
        "uz": "охирги янгиланиш {ago}",
        "uz-Latn": "oxirgi yangilanish {ago}",
    },
    "hidden": {
        "en": "hidden as too old: last refreshed {ago}",
        "ru": "скрыто как устаревшее: последнее обновление {ago}",
        "kk": "ескіргені үшін жасырылды: соңғы жаңарту {ago}",
        "zh": "数据过旧，已隐藏：最后更新于{ago}",
        "uz": "эскиргани учун яширилди: охирги янгиланиш {ago}",
        "uz-Latn": "eskirgani uchun yashirildi: oxirgi yangilanish {ago}",
    },
    "rate_outdated": {
        "en": "dated {dated}; a rate for {expected} or later was expected",
        "ru": "курс на {dated}; ожидался курс на {expected} или позже",
        "kk": "бағамның күні — {dated}, ал күтілгені — {expected} не одан кейін",
        "zh": "汇率日期为{dated}，应为{expected}或更晚",
        "uz": "курс санаси {dated}; {expected} ёки ундан кейинги сана учун курс кутилган эди",
        "uz-Latn": "kurs sanasi {dated}; {expected} yoki undan keyingi sana uchun kurs"
        " kutilgan edi",
    },
    "range_outdated": {
        "en": "the range is for {dated}, not today ({today})",
        "ru": "диапазон температур на {dated}, а не на сегодня ({today})",
        "kk": "температура аралығы бүгінгі емес: {dated} (бүгін {today})",
        "zh": "气温范围为{dated}，不是今天（{today}）",
        "uz": "ҳарорат оралиғи бугунги эмас: {dated} (бугун {today})",
        "uz-Latn": "harorat oraligʻi bugungi emas: {dated} (bugun {today})",
    },
    "pinned": {
        "en": "pinned by the editors until {until}: {note}",
        "ru": "закреплено редакцией до {until}: {note}",
        "kk": "редакция бекіткен (мерзімі: {until}): {note}",
        "zh": "编辑部固定至{until}：{note}",
        "uz": "таҳририят {until} гача белгилаган: {note}",
        "uz-Latn": "tahririyat {until} gacha belgilagan: {note}",
    },
    "held_jump": {
        "en": "{source} published {value}, held back until a second source agrees",
        "ru": "{source} опубликовал {value}; значение задержано, пока его не подтвердит второй"
        " источник",
        "kk": "{source} {value} жариялады; екінші дереккөз растағанша ұсталып тұр",
        "zh": "{source}公布了{value}，在第二个数据来源确认前暂不采用",
        "uz": "{source} {value} эълон қилди; иккинчи манба тасдиқлагунча кўрсатилмайди",
        "uz-Latn": "{source} {value} eʼlon qildi; ikkinchi manba tasdiqlaguncha koʻrsatilmaydi",
    },
    "held_jump_editors": {
        "en": "{source} published {value}, held back until the editors confirm it",
        "ru": "{source} опубликовал {value}; значение задержано до подтверждения редакцией",
        "kk": "{source} {value} жариялады; редакция растағанша ұсталып тұр",
        "zh": "{source}公布了{value}，在编辑部确认前暂不采用",
        "uz": "{source} {value} эълон қилди; таҳририят тасдиқлагунча кўрсатилмайди",
        "uz-Latn": "{source} {value} eʼlon qildi; tahririyat tasdiqlaguncha koʻrsatilmaydi",
    },
    "not_shown": {
        "en": "the value cannot be shown",
        "ru": "значение невозможно показать",
        "kk": "мәнді көрсету мүмкін емес",
        "zh": "无法显示该数值",
        "uz": "қийматни кўрсатиб бўлмайди",
        "uz-Latn": "qiymatni koʻrsatib boʻlmaydi",
    },
}


def _kazakh(text_kk: str, lang: str) -> str:
    if lang == "kk-Latn":
        return kk_latin(text_kk)
    if lang == "kk-Arab":
        return kk_arabic(text_kk)
    return text_kk


def _pick(row: tuple[str, ...], lang: str) -> str:
    if lang.startswith("kk"):
        return _kazakh(row[_COLUMNS["kk"]], lang)
    return row[_COLUMNS.get(lang, 0)]


def condition_name(code: int | None, lang: str) -> str | None:
    """The weather condition of a WMO code in ``lang``; None for an unknown code."""
    row = _CONDITIONS.get(code) if code is not None else None
    return _pick(row, lang) if row is not None else None


#: The Arabic script's comma and semicolon (U+060C, U+061B), as CLDR ``kk_Arab`` writes them.
_ARABIC_PUNCTUATION: Final = str.maketrans({",": "\u060c", ";": "\u061b"})


def in_language(texts: Mapping[str, str], lang: str) -> str:
    """The text of ``lang`` among ``texts`` (by key), Kazakh scripts from ``kk``, else English.

    ``lang`` is a language key or any spelling of its tag (``uz-Cyrl``, ``zh-Hans``).
    """
    lang = language_key(lang) or lang
    if lang == "kk-Arab" and "kk" in texts:
        return _kazakh(texts["kk"], lang).translate(_ARABIC_PUNCTUATION)
    if lang == "kk-Latn" and "kk" in texts:
        return _kazakh(texts["kk"], lang)
    return texts.get(lang) or texts["en"]


def phrase(key: str, lang: str) -> str:
    """A word of the widget itself (``rates``, ``weather``, ``sources``...) in ``lang``."""
    return in_language(PHRASES[key], lang)


def _locale(lang: str) -> Locale | None:
    try:
        return Locale.parse(BABEL_LOCALES.get(lang, "en"))
    except (UnknownLocaleError, ValueError):
        return None


@functools.cache
def _cldr_currency_names(locale: str) -> Mapping[str, str]:
    return Locale.parse(locale).currencies


def _cldr_currency(code: str, locale: str) -> str | None:
    return _cldr_currency_names(locale).get(code)


def _uzbek_currency(code: str, lang: str) -> str | None:
    # CLDR's Latin uz has 166 currency names, its uz_Cyrl 46, some of them in forms
    # the Central Bank of Uzbekistan does not use (Рус рубли, Ўзбекистон сўм for its
    # Россия рубли, Ўзбекистон сўми).  Uzbek's official script is Latin, so both
    # scripts come from uz: Qozogʻiston tengesi -> Қозоғистон тенгеси, as the Bank
    # writes it.
    latin = _cldr_currency(code, "uz")
    if latin is None:
        return None
    latin = uz_apostrophes(latin)
    return latin if lang == "uz-Latn" else uz_cyrillic(latin)


def _kazakh_currency(code: str, lang: str) -> str | None:
    if lang == "kk-Arab" and (arabic := _cldr_currency(code, "kk_Arab")) is not None:
        return arabic
    cyrillic = _cldr_currency(code, "kk")
    return _kazakh(cyrillic, lang) if cyrillic is not None else None


@functools.lru_cache(maxsize=4096)
def currency_name(code: str, lang: str) -> str:
    """The currency's name in ``lang`` from CLDR; its code where CLDR has none (XDR in kk).

    Never the English name in another language: a reader of Kazakh is better served
    by ``XDR`` than by ``Special Drawing Rights``.
    """
    if lang in ("uz", "uz-Latn"):
        name = _uzbek_currency(code, lang)
    elif lang.startswith("kk"):
        name = _kazakh_currency(code, lang)
    else:
        name = _cldr_currency(code, BABEL_LOCALES.get(lang, "en"))
    return name if name is not None else code


def localize_number(text: str, lang: str) -> str:
    """``445.99`` and ``-8`` written with the language's decimal and minus signs."""
    locale = _locale(lang)
    if locale is None:
        return text
    decimal, minus = get_decimal_symbol(locale), get_minus_sign_symbol(locale)
    return text.replace("-", minus).replace(".", decimal)


def direction_of(lang: str) -> str:
    """``rtl`` or ``ltr`` for a language's key or tag."""
    return "rtl" if (language_key(lang) or lang) in RTL_LANGUAGES else "ltr"


# -- reasons: the sentences of REASONS with their values in the reader's language -----

#: U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE: in a right-to-left
#: sentence each value is laid out as one neutral character in the direction of its
#: own first letter (UAX #9 rules X5c, P2-P3), so ``nbk 600.00`` stays in its order
#: and a date in Arabic script in its own.
_FSI: Final = "\u2068"
_PDI: Final = "\u2069"


def reason_text(reason: Reason, lang: str) -> str:
    """The reason in ``lang``: its sentence, each value written as the language writes it."""
    lang = language_key(lang) or lang
    sentence = in_language(REASONS[reason.key], lang)
    values = {name: _value_text(value, lang) for name, value in reason.values.items()}
    if direction_of(lang) == "rtl":
        values = {name: f"{_FSI}{text}{_PDI}" for name, text in values.items()}
    return sentence.format_map(values)


def _value_text(value: ReasonValue, lang: str) -> str:
    """A time ago, a date or a moment from CLDR (through Babel); text as it is.

    Kazakh in Latin script has no CLDR locale: it is written from the Kazakh
    Cyrillic by rule, as every other Kazakh Latin word is.
    """
    if isinstance(value, str):
        return value
    locale = _locale(lang) or Locale("en")
    if isinstance(value, dt.timedelta):
        # The largest unit of at least one (threshold 1), rounded: "5 hours ago".
        text = format_timedelta(-value, threshold=1, add_direction=True, locale=locale)
    elif isinstance(value, dt.datetime):
        # The date in full and the time, joined by the locale's own pattern, in the
        # moment's own offset (the one the editors wrote).
        pattern = str(get_datetime_format("long", locale=locale)).replace("'", "")
        day = format_date(value, "long", locale=locale)
        time = format_time(value, "short", locale=locale)
        text = pattern.replace("{1}", day).replace("{0}", time)
    else:
        text = format_date(value, "long", locale=locale)
    return kk_latin(text) if lang == "kk-Latn" else text
