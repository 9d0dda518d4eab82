"""Kazakh in Latin and Arabic script from the Cyrillic; Uzbek between its two scripts.

Pure text functions with no locale data, so that the settings (city names in
every script) and the strip (every Kazakh and Uzbek word) derive them alike.

Kazakh is written by the tables below.  No maintained package writes Kazakh in
the Arabic script, and the two Latin transliterators on PyPI disagree on every
loan letter (ц, ч, щ, ё, ю, я) while one of them (``turkic-translit``) brings
PyTorch and ICU with it; both agree with these tables on the 2021 letters, which
the tests check against ``qazaq-transliterator`` word by word.  The Arabic-script
rules are checked against CLDR's ``kk_Arab`` names (through Babel).

Uzbek goes through ``alifbo`` (MIT, typed, no dependencies, its conversions tested
on 13,000 cases against its TypeScript original): Latin to Cyrillic depends on
context (``ye``/``e``, ``ts``/``s``, ``yo``/``yu``/``ya``, ``sʼh``) that a letter
table gets wrong (``Yevro`` -> ``Евро``, ``Shveytsariya`` -> ``Швейцария``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

import alifbo

__all__ = ["HAMZA", "kk_arabic", "kk_latin", "uz_apostrophes", "uz_cyrillic", "uz_latin"]

# Kazakh Latin alphabet of 2021 (Presidential decree of 28 January 2021 as amended;
# letters per the Kazakh language committee's rules of the same year): И and Й are
# both İ i, І is I ı.  Both PyPI transliterators write it so: turkic-translit's
# rules/kk_lat.rules ("Official Kazakh Latin alphabet (April 2021)": И > İ, Й > İ,
# І > I, і > ı) and qazaq-transliterator (Ю > İu, Я > İa).
_LATIN: Final[Mapping[str, str]] = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e",
    "ё": "io", "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
    "ч": "ç", "ш": "ş", "щ": "şş", "ъ": "", "ы": "y", "і": "ı", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}  # fmt: skip

# Kazakh Arabic script (töte jazu, as written in Xinjiang and by Kazakhs abroad), in
# the spelling of CLDR's kk_Arab names: а/ә, о/ө, ұ/ү and ы/і share a letter; ц is
# س (Франция -> فرانسيا, Швейцария -> شۆەيساريا).
_ARABIC: Final[Mapping[str, str]] = {
    "а": "ا", "ә": "ا", "б": "ب", "в": "ۆ", "г": "گ", "ғ": "ع", "д": "د", "е": "ە",
    "ё": "يو", "ж": "ج", "з": "ز", "и": "ي", "й": "ي", "к": "ك", "қ": "ق", "л": "ل",
    "м": "م", "н": "ن", "ң": "ڭ", "о": "و", "ө": "و", "п": "پ", "р": "ر", "с": "س",
    "т": "ت", "у": "ۋ", "ұ": "ۇ", "ү": "ۇ", "ф": "ف", "х": "ح", "һ": "ھ", "ц": "س",
    "ч": "چ", "ш": "ش", "щ": "شش", "ъ": "", "ы": "ى", "і": "ى", "ь": "", "э": "ە",
    "ю": "يۋ", "я": "يا",
}  # fmt: skip

#: The hamza that marks a front-vowel word: U+0621 ARABIC LETTER HAMZA, as CLDR's
#: kk_Arab names write it (``ءۇندىستان``), so that the strip's own words and the
#: currency names it takes from CLDR use one code point.  MediaWiki's Kazakh
#: converter writes U+0674 ARABIC LETTER HIGH HAMZA instead; the two look alike but
#: do not compare equal, so a search or a copy would miss one of them.
HAMZA: Final = "\u0621"
#: A word whose first vowel is front (ә, ө, ү, і: their letters are shared with the
#: back vowels) and which has no е, к, г or э (whose letters show frontness
#: themselves) starts with the hamza; a loan whose only front vowel is in its ending
#: takes none (CLDR kk_Arab: рублі -> رۋبىلى, юані -> يۋانى, лариі -> لاريى).
_FRONT: Final = frozenset("әөүі")
_FRONT_BY_ITSELF: Final = frozenset("екгэ")
#: The vowels that decide a word's first syllable; и and у are written as the
#: consonant letters ي and ۋ and say nothing, ю, я and ё are у, а and о after й.
_VOWEL_OF: Final[Mapping[str, str]] = {
    **{vowel: vowel for vowel in "аәеоөұүыіэ"},
    "у": "у", "ю": "у", "я": "а", "ё": "о",
}  # fmt: skip
_SONORANTS: Final = frozenset("лмнңрйуаәеиоөұүыіэюяё")
_WORD: Final = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+")


def _upper(latin: str) -> str:
    return latin.replace("i", "İ").upper()


def _latin_word(word: str) -> str:
    capitals = len(word) > 1 and word.isupper()
    out = []
    for char in word:
        latin = _LATIN.get(char.lower(), char)
        if char.isupper():
            latin = _upper(latin) if capitals else _upper(latin[:1]) + latin[1:]
        out.append(latin)
    return "".join(out)


def kk_latin(text: str) -> str:
    """Kazakh Cyrillic in the Latin alphabet of 2021: ``Қазақстан`` -> ``Qazaqstan``."""
    return _WORD.sub(lambda match: _latin_word(match.group(0)), text)


def _starts_front(lower: str) -> bool:
    """Whether the first vowel is front: a loan's front ending (рублі, юані) is not."""
    first = next((_VOWEL_OF[char] for char in lower if char in _VOWEL_OF), None)
    return first in _FRONT


def _arabic_letters(lower: str) -> str:
    out = []
    for index, char in enumerate(lower):
        before = lower[index - 1] if index else ""
        after = lower[index + 1 : index + 2]
        if char == "я" and before and before in "ий":
            out.append("ا")  # -ия is يا, not ييا (Италия -> يتاليا)
            continue
        if char == "д" and after == "ж":
            continue  # a loan's дж is the one sound ж (Джибути -> جيبۋتي)
        if char == "л" and after in ("ь", "і") and before and before not in _SONORANTS:
            out.append("ى")  # a loan's cluster is spoken and written open: رۋبىلى
        out.append(_ARABIC.get(char, char))
    return "".join(out)


def _arabic_word(word: str) -> str:
    if len(word) > 1 and word.isupper():
        # An abbreviation is spelled letter by letter: АҚШ -> ا ق ش (CLDR kk_Arab).
        return " ".join(letter for char in word if (letter := _ARABIC[char.lower()]))
    lower = word.lower()
    letters = _arabic_letters(lower)
    front = _starts_front(lower) and not any(char in _FRONT_BY_ITSELF for char in lower)
    return HAMZA + letters if front else letters


def kk_arabic(text: str) -> str:
    """Kazakh Cyrillic in the Arabic script: ``Алматы`` -> ``الماتى``."""
    return _WORD.sub(lambda match: _arabic_word(match.group(0)), text)


def uz_apostrophes(text: str) -> str:
    """Uzbek Latin with its own signs: ``oʻ gʻ`` with U+02BB, the tutuq belgisi U+02BC.

    CLDR and most keyboards write U+2018, U+2019 or ``'`` instead; the Latin alphabet
    (the law of 1993 as amended in 1995, and the spelling rules of Cabinet of Ministers
    resolution no. 339 of 24 August 1995) has these two signs.
    """
    return alifbo.normalize_apostrophes(text)


def uz_cyrillic(text: str) -> str:
    """Uzbek Latin in Cyrillic: ``Qozogʻiston tengesi`` -> ``Қозоғистон тенгеси``."""
    return alifbo.to_cyrillic(text).text


def uz_latin(text: str) -> str:
    """Uzbek Cyrillic in the Latin alphabet of 1995: ``Ёмғир`` -> ``Yomgʻir``."""
    return alifbo.to_old_latin(alifbo.from_cyrillic(text).text).text
