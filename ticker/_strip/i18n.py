"""The strip's languages: condition words, currency names, numbers, direction, negotiation.

The languages are those of a Central Asian news site's language switch: English,
Russian, Kazakh in Cyrillic (``kk``), Latin (``kk-Latn``) and Arabic script
(``kk-Arab``, right to left), Chinese (``zh``, tagged ``zh-Hans``), Uzbek in Cyrillic
(``uz``, tagged ``uz-Cyrl``) and Latin (``uz-Latn``), Kyrgyz (``ky``) and Tajik
(``tg``), both in Cyrillic.  Their keys, tags and names and the
negotiation of ``Accept-Language`` live in :mod:`ticker._languages`, where the
settings' validation reaches them too, and are re-exported here.

Kazakh in Latin and Arabic script is written from the Cyrillic by rule
(:func:`kk_latin`, :func:`kk_arabic`), so every Kazakh word exists once.  Currency
names come from CLDR through Babel where it has them; Uzbek in both scripts from
CLDR's Latin ``uz``, the fuller one; Tajik from CLDR's ``tg`` with the few names it
misspells put right (:data:`_TAJIK_CURRENCIES`); where CLDR has no name, the code,
never English.
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
    "ky": "ky",
    "tg": "tg",
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
#       U+02BB and the tutuq belgisi with U+02BC, and is the uz column letter for letter;
#   ky  Kyrgyzhydromet (Кыргызгидромет, meteo.kg) forecasts in Kyrgyz, as Sputnik
#       Кыргызстан and 24.kg print them: күн ачык, булуттуу, мезгил-мезгили менен жаан/кар
#       (showers), нөшөрлүү жаан (a downpour), жаан-чачын катуу жаайт, күн күркүрөйт,
#       мөндүр жаайт, туман түшөт; where a forecast has no word for a code, the Kyrgyz
#       word for the thing: себелеген жамгыр (drizzle), муздуу (freezing), кыроо (rime),
#       кар бүртүктөрү (snow grains), бир аз (light), катуу (heavy);
#   tg  the Agency for Hydrometeorology of Tajikistan (Агентии обуҳавошиносӣ, meteo.tj),
#       its forecasts as АМИТ «Ховар» (khovar.tj) and Sputnik Тоҷикистон print them:
#       ҳавои абрноки тағйирёбанда (so 2 is абрнокии тағйирёбанда), ҳавои абрнок,
#       борони кӯтоҳмуддат and барфи кӯтоҳмуддат (showers), боришоти сусти барф (суст
#       is light), раъду барқ, жола (hail); шадид is heavy, майда (fine) rain drizzle,
#       яхин (icy) freezing.  Tajik writes its own ғ ӣ қ ӯ ҳ ҷ, never a Russian у or х
#       for ӯ or ҳ.
# One row per code: en, ru, kk, zh, uz (Cyrillic), uz-Latn, ky, tg.  Kazakh in Latin
# and Arabic script is derived from the kk column.
_CONDITIONS: Final[Mapping[int, tuple[str, str, str, str, str, str, str, str]]] = {
    0: ("Clear sky", "Ясно", "Ашық", "晴", "Очиқ", "Ochiq", "Ачык", "Соф"),
    1: (
        "Mainly clear", "Малооблачно", "Негізінен ашық", "少云", "Кам булутли", "Kam bulutli",
        "Аз булуттуу", "Каме абрнок",
    ),
    2: (
        "Partly cloudy", "Переменная облачность", "Ауыспалы бұлтты", "多云", "Ўзгарувчан булутли",
        "Oʻzgaruvchan bulutli", "Өзгөрмөлүү булуттуу", "Абрнокии тағйирёбанда",
    ),
    3: ("Overcast", "Пасмурно", "Бұлтты", "阴", "Булутли", "Bulutli", "Бүркөк", "Абрнок"),
    45: ("Fog", "Туман", "Тұман", "雾", "Туман", "Tuman", "Туман", "Туман"),
    48: (
        "Rime fog", "Туман с изморозью", "Қырау тұман", "冻雾", "Қировли туман", "Qirovli tuman",
        "Кыроолуу туман", "Тумани қировӣ",
    ),
    51: (
        "Light drizzle", "Слабая морось", "Әлсіз сіркіреме", "小毛毛雨", "Кучсиз шивалама",
        "Kuchsiz shivalama", "Бир аз себелеген жамгыр", "Борони майдаи суст",
    ),
    53: (
        "Drizzle", "Морось", "Сіркіреме", "毛毛雨", "Шивалама", "Shivalama", "Себелеген жамгыр",
        "Борони майда",
    ),
    55: (
        "Dense drizzle", "Сильная морось", "Қатты сіркіреме", "大毛毛雨", "Кучли шивалама",
        "Kuchli shivalama", "Катуу себелеген жамгыр", "Борони майдаи шадид",
    ),
    56: (
        "Light freezing drizzle", "Слабая ледяная морось", "Әлсіз мұзды сіркіреме", "小冻毛毛雨",
        "Кучсиз музли шивалама", "Kuchsiz muzli shivalama", "Бир аз муздуу себелеген жамгыр",
        "Борони майдаи сусти яхин",
    ),
    57: (
        "Freezing drizzle", "Ледяная морось", "Мұзды сіркіреме", "冻毛毛雨", "Музли шивалама",
        "Muzli shivalama", "Муздуу себелеген жамгыр", "Борони майдаи яхин",
    ),
    61: (
        "Light rain", "Небольшой дождь", "Аздаған жаңбыр", "小雨", "Кучсиз ёмғир",
        "Kuchsiz yomgʻir", "Бир аз жамгыр", "Борони суст",
    ),
    63: ("Rain", "Дождь", "Жаңбыр", "中雨", "Ёмғир", "Yomgʻir", "Жамгыр", "Борон"),
    65: (
        "Heavy rain", "Сильный дождь", "Қатты жаңбыр", "大雨", "Кучли ёмғир", "Kuchli yomgʻir",
        "Катуу жамгыр", "Борони шадид",
    ),
    66: (
        "Light freezing rain", "Слабый ледяной дождь", "Әлсіз мұзды жаңбыр", "小冻雨",
        "Кучсиз музли ёмғир", "Kuchsiz muzli yomgʻir", "Бир аз муздуу жамгыр", "Борони сусти яхин",
    ),
    67: (
        "Freezing rain", "Ледяной дождь", "Мұзды жаңбыр", "冻雨", "Музли ёмғир", "Muzli yomgʻir",
        "Муздуу жамгыр", "Борони яхин",
    ),
    71: (
        "Light snow", "Небольшой снег", "Аздаған қар", "小雪", "Кучсиз қор", "Kuchsiz qor",
        "Бир аз кар", "Барфи суст",
    ),
    73: ("Snow", "Снег", "Қар", "中雪", "Қор", "Qor", "Кар", "Барф"),
    75: (
        "Heavy snow", "Сильный снег", "Қалың қар", "大雪", "Кучли қор", "Kuchli qor", "Катуу кар",
        "Барфи шадид",
    ),
    77: (
        "Snow grains", "Снежные зёрна", "Қар түйіршіктері", "米雪", "Қор доналари", "Qor donalari",
        "Кар бүртүктөрү", "Донаҳои барф",
    ),
    80: (
        "Light showers", "Небольшой ливневый дождь", "Өткінші жаңбыр", "小阵雨",
        "Қисқа муддатли ёмғир", "Qisqa muddatli yomgʻir", "Мезгил-мезгили менен жаан",
        "Борони сусти кӯтоҳмуддат",
    ),
    81: (
        "Showers", "Ливень", "Нөсер", "阵雨", "Жала", "Jala", "Нөшөрлүү жаан", "Борони кӯтоҳмуддат",
    ),
    82: (
        "Violent showers", "Сильный ливень", "Қатты нөсер", "强阵雨", "Кучли жала", "Kuchli jala",
        "Катуу нөшөрлүү жаан", "Борони шадиди кӯтоҳмуддат",
    ),
    85: (
        "Snow showers", "Небольшой ливневый снег", "Өткінші қар", "阵雪", "Қорли жала",
        "Qorli jala", "Мезгил-мезгили менен кар", "Барфи кӯтоҳмуддат",
    ),
    86: (
        "Heavy snow showers", "Сильный ливневый снег", "Қатты өткінші қар", "强阵雪",
        "Кучли қорли жала", "Kuchli qorli jala", "Мезгил-мезгили менен катуу кар",
        "Барфи шадиди кӯтоҳмуддат",
    ),
    95: (
        "Thunderstorm", "Гроза", "Найзағай", "雷阵雨", "Момақалдироқ", "Momaqaldiroq",
        "Күн күркүрөө", "Раъду барқ",
    ),
    96: (
        "Thunderstorm with hail", "Гроза с градом", "Бұршақты найзағай", "雷阵雨伴有冰雹",
        "Дўлли момақалдироқ", "Doʻlli momaqaldiroq", "Мөндүрлүү күн күркүрөө", "Раъду барқ бо жола",
    ),
    99: (
        "Thunderstorm with heavy hail", "Гроза с сильным градом", "Қатты бұршақты найзағай",
        "雷阵雨伴有强冰雹", "Кучли дўлли момақалдироқ", "Kuchli doʻlli momaqaldiroq",
        "Катуу мөндүрлүү күн күркүрөө", "Раъду барқ бо жолаи шадид",
    ),
}  # fmt: skip
_COLUMNS: Final = {"en": 0, "ru": 1, "kk": 2, "zh": 3, "uz": 4, "uz-Latn": 5, "ky": 6, "tg": 7}

# The words of the widget and its reasons, by language tag: en, ru, kk, zh, uz (Uzbek
# in Cyrillic), uz-Latn (the Latin alphabet of 1995: oʻ and gʻ with U+02BB MODIFIER
# LETTER TURNED COMMA, the tutuq belgisi with U+02BC MODIFIER LETTER APOSTROPHE, the
# code points Unicode gives those letters), ky and tg (Kyrgyz with its ң ө ү, Tajik
# with its ғ ӣ қ ӯ ҳ ҷ).  A blank is filled in whatever case the sentence puts it, so
# ky and tg sentences leave a date or a moment where no suffix must follow it:
# редакция бекиткен (мөөнөтү: ...), not "... чейин", which needs a dative.  Kazakh in
# Latin and Arabic script is written from ``kk`` by rule (:func:`in_language`).

#: Words of the widget itself (``labels`` of a strip), by language.
PHRASES: Final[Mapping[str, Mapping[str, str]]] = {
    "rates": {
        "en": "Exchange rates", "ru": "Курсы валют", "kk": "Валюта бағамы", "zh": "汇率",
        "uz": "Валюта курслари", "uz-Latn": "Valyuta kurslari", "ky": "Валюта курстары",
        "tg": "Қурби асъор",
    },
    "weather": {
        "en": "Weather", "ru": "Погода", "kk": "Ауа райы", "zh": "天气", "uz": "Об-ҳаво",
        "uz-Latn": "Ob-havo", "ky": "Аба ырайы", "tg": "Обу ҳаво",
    },
    "sources": {
        "en": "Sources", "ru": "Источники", "kk": "Дереккөздер", "zh": "数据来源",
        "uz": "Манбалар", "uz-Latn": "Manbalar", "ky": "Булактар", "tg": "Манбаъҳо",
    },
    "stale": {
        "en": "Not up to date", "ru": "Данные устарели", "kk": "Деректер ескірген",
        "zh": "数据已过时", "uz": "Маълумот эскирган", "uz-Latn": "Maʼlumot eskirgan",
        "ky": "Маалымат эскирген", "tg": "Маълумот кӯҳна шудааст",
    },
    "missing": {
        "en": "No data", "ru": "Нет данных", "kk": "Дерек жоқ", "zh": "暂无数据",
        "uz": "Маълумот йўқ", "uz-Latn": "Maʼlumot yoʻq", "ky": "Маалымат жок",
        "tg": "Маълумот нест",
    },
    # Before tomorrow's range in the widget ("завтра -5-2℃"), as the weather services
    # head their next-day forecasts: Kazhydromet "ертең", UzHydromet "эртага".
    "tomorrow": {
        "en": "tomorrow", "ru": "завтра", "kk": "ертең", "zh": "明天", "uz": "эртага",
        "uz-Latn": "ertaga", "ky": "эртең", "tg": "фардо",
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
        "ky": "азырынча маани жок",
        "tg": "ҳоло қимат нест",
    },
    "not_refreshed": {
        "en": "last refreshed {ago}",
        "ru": "последнее обновление {ago}",
        "kk": "соңғы жаңарту {ago}",
        "zh": "最后更新于{ago}",
        "uz": "охирги янгиланиш {ago}",
        "uz-Latn": "oxirgi yangilanish {ago}",
        "ky": "акыркы жаңыртуу {ago}",
        "tg": "охирин навсозӣ {ago}",
    },
    "hidden": {
        "en": "hidden as too old: last refreshed {ago}",
        "ru": "скрыто как устаревшее: последнее обновление {ago}",
        "kk": "ескіргені үшін жасырылды: соңғы жаңарту {ago}",
        "zh": "数据过旧，已隐藏：最后更新于{ago}",
        "uz": "эскиргани учун яширилди: охирги янгиланиш {ago}",
        "uz-Latn": "eskirgani uchun yashirildi: oxirgi yangilanish {ago}",
        "ky": "эскиргени үчүн жашырылды: акыркы жаңыртуу {ago}",
        "tg": "ҳамчун кӯҳна пинҳон карда шуд: охирин навсозӣ {ago}",
    },
    "rate_outdated": {
        "en": "dated {dated}; a rate for {expected} or later was expected",
        "ru": "курс на {dated}; ожидался курс на {expected} или позже",
        "kk": "бағамның күні — {dated}, ал күтілгені — {expected} не одан кейін",
        "zh": "汇率日期为{dated}，应为{expected}或更晚",
        "uz": "курс санаси {dated}; {expected} ёки ундан кейинги сана учун курс кутилган эди",
        "uz-Latn": "kurs sanasi {dated}; {expected} yoki undan keyingi sana uchun kurs"
        " kutilgan edi",
        "ky": "курстун датасы {dated}; {expected} же андан кийинки датага курс күтүлгөн",
        "tg": "қурб барои {dated}; қурб барои {expected} ё баъдтар интизор мерафт",
    },
    "range_outdated": {
        "en": "the range is for {dated}, not today ({today})",
        "ru": "диапазон температур на {dated}, а не на сегодня ({today})",
        "kk": "температура аралығы бүгінгі емес: {dated} (бүгін {today})",
        "zh": "气温范围为{dated}，不是今天（{today}）",
        "uz": "ҳарорат оралиғи бугунги эмас: {dated} (бугун {today})",
        "uz-Latn": "harorat oraligʻi bugungi emas: {dated} (bugun {today})",
        "ky": "температура аралыгы бүгүнкү эмес: {dated} (бүгүн {today})",
        "tg": "доираи ҳарорат барои {dated} аст, на барои имрӯз ({today})",
    },
    "pinned": {
        "en": "pinned by the editors until {until}: {note}",
        "ru": "закреплено редакцией до {until}: {note}",
        "kk": "редакция бекіткен (мерзімі: {until}): {note}",
        "zh": "编辑部固定至{until}：{note}",
        "uz": "таҳририят {until} гача белгилаган: {note}",
        "uz-Latn": "tahririyat {until} gacha belgilagan: {note}",
        "ky": "редакция бекиткен (мөөнөтү: {until}): {note}",
        "tg": "таҳририя то {until} собит кардааст: {note}",
    },
    "held_jump": {
        "en": "{source} published {value}, held back until a second source agrees",
        "ru": "{source} опубликовал {value}; значение задержано, пока его не подтвердит второй"
        " источник",
        "kk": "{source} {value} жариялады; екінші дереккөз растағанша ұсталып тұр",
        "zh": "{source}公布了{value}，在第二个数据来源确认前暂不采用",
        "uz": "{source} {value} эълон қилди; иккинчи манба тасдиқлагунча кўрсатилмайди",
        "uz-Latn": "{source} {value} eʼlon qildi; ikkinchi manba tasdiqlaguncha koʻrsatilmaydi",
        "ky": "{source} {value} жарыялады; экинчи булак ырастаганча көрсөтүлбөйт",
        "tg": "{source} {value}-ро нашр кард; то тасдиқи манбаи дуюм нишон дода намешавад",
    },
    "held_jump_editors": {
        "en": "{source} published {value}, held back until the editors confirm it",
        "ru": "{source} опубликовал {value}; значение задержано до подтверждения редакцией",
        "kk": "{source} {value} жариялады; редакция растағанша ұсталып тұр",
        "zh": "{source}公布了{value}，在编辑部确认前暂不采用",
        "uz": "{source} {value} эълон қилди; таҳририят тасдиқлагунча кўрсатилмайди",
        "uz-Latn": "{source} {value} eʼlon qildi; tahririyat tasdiqlaguncha koʻrsatilmaydi",
        "ky": "{source} {value} жарыялады; редакция ырастаганча көрсөтүлбөйт",
        "tg": "{source} {value}-ро нашр кард; то тасдиқи таҳририя нишон дода намешавад",
    },
    "not_shown": {
        "en": "the value cannot be shown",
        "ru": "значение невозможно показать",
        "kk": "мәнді көрсету мүмкін емес",
        "zh": "无法显示该数值",
        "uz": "қийматни кўрсатиб бўлмайди",
        "uz-Latn": "qiymatni koʻrsatib boʻlmaydi",
        "ky": "маанини көрсөтүү мүмкүн эмес",
        "tg": "қиматро нишон додан ғайриимкон аст",
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


#: The names CLDR ``tg`` gets wrong, put right with CLDR ``tg``'s own words: its CNH is
#: Юани Хитой (офшорӣ), and its names of the countries are Қазоқистон, Ӯзбекистон,
#: Лаҳистон and Лаос.  Tajik's alphabet (of 1998) has no ў, ь or ц, and writes ӣ, not
#: й, at the end of an adjective.
_TAJIK_CURRENCIES: Final[Mapping[str, str]] = {
    "CNY": "Юани Хитой",  # CLDR: Иенаи хитоӣ, the Chinese yen
    "KZT": "Тангаи Қазоқистон",  # CLDR: Тангаи Казокистон, к for қ
    "UZS": "Сӯми Ӯзбекистон",  # CLDR: Сўми Ӯзбекистон, the Uzbek ў for ӯ
    "PLN": "Злотии Лаҳистон",  # CLDR: Злотии Польша, the Russian name, with ь
    "LAK": "Кипи Лаос",  # CLDR: Кипи Лаосй, й for ӣ
}


def _tajik_currency(code: str) -> str | None:
    return _TAJIK_CURRENCIES.get(code) or _cldr_currency(code, "tg")


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
    elif lang == "tg":
        name = _tajik_currency(code)
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


# -- the day's card: its date ---------------------------------------------------------

#: The date as the day's card writes it, per language, in CLDR's patterns (through
#: Babel): en is CLDR en_GB's long date, day before month as the region writes it; ru
#: is CLDR's long date without its "г."; kk, zh, uz (CLDR uz_Cyrl), uz-Latn (CLDR uz)
#: and ky are CLDR's long dates as they are; tg is CLDR's "dd MMMM y" without the
#: leading zero of the day (derived: no Tajik paper writes "02 Декабр").  Kazakh in
#: Latin and Arabic script is the kk date written by rule, as every Kazakh word is.
_CARD_DATES: Final[Mapping[str, str]] = {
    "en": "d MMMM y", "ru": "d MMMM y", "kk": "y 'ж'. d MMMM", "zh": "y年M月d日",
    "uz": "d MMMM, y", "uz-Latn": "d-MMMM, y", "ky": "y-'ж'., d-MMMM", "tg": "d MMMM y",
}  # fmt: skip


def date_phrase(day: dt.date, lang: str, *, weekday: bool = False) -> str:
    """``day`` as the card writes it (``2 декабря 2026``); with ``weekday``, its name alone."""
    lang = language_key(lang) or lang
    words = "kk" if lang.startswith("kk") else lang if lang in _CARD_DATES else "en"
    locale = _locale(words) or Locale("en")
    pattern = "cccc" if weekday else _CARD_DATES[words]
    text = format_date(day, pattern, locale=locale)
    if lang == "kk-Arab":
        return _kazakh(text, lang).translate(_ARABIC_PUNCTUATION)
    return _kazakh(text, lang)
