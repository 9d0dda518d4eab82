"""Kazakh in Latin and Arabic script, written from the Cyrillic by rule.

Pure text functions with no locale data, so that the settings (city names in
every script) and the strip (every Kazakh word) derive them alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

__all__ = ["kk_arabic", "kk_latin"]

# Kazakh Latin alphabet of 2021 (Presidential decree of 28 January 2021 as amended;
# letters per the Kazakh language committee's rules of the same year).
_LATIN: Final[Mapping[str, str]] = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e",
    "ё": "io", "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l",
    "м": "m", "н": "n", "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ұ": "ū", "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "ts",
    "ч": "ç", "ш": "ş", "щ": "şş", "ъ": "", "ы": "y", "і": "ı", "ь": "", "э": "e",
    "ю": "iu", "я": "ia",
}  # fmt: skip

# Kazakh Arabic script (töte jazu, as written in Xinjiang and by Kazakhs abroad):
# а/ә, о/ө, ұ/ү and ы/і share a letter; a word with a front vowel and no е, к or г
# (which show frontness themselves) starts with the hamza mark U+0674.
_ARABIC: Final[Mapping[str, str]] = {
    "а": "ا", "ә": "ا", "б": "ب", "в": "ۆ", "г": "گ", "ғ": "ع", "д": "د", "е": "ە",
    "ё": "يو", "ж": "ج", "з": "ز", "и": "ي", "й": "ي", "к": "ك", "қ": "ق", "л": "ل",
    "м": "م", "н": "ن", "ң": "ڭ", "о": "و", "ө": "و", "п": "پ", "р": "ر", "с": "س",
    "т": "ت", "у": "ۋ", "ұ": "ۇ", "ү": "ۇ", "ф": "ف", "х": "ح", "һ": "ھ", "ц": "تس",
    "ч": "چ", "ш": "ش", "щ": "شش", "ъ": "", "ы": "ى", "і": "ى", "ь": "", "э": "ە",
    "ю": "يۋ", "я": "يا",
}  # fmt: skip
_HAMZA: Final = "\u0674"
_FRONT: Final = frozenset("әөүі")
_FRONT_BY_ITSELF: Final = frozenset("екгэ")
_WORD: Final = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+")


def kk_latin(text: str) -> str:
    """Kazakh Cyrillic in the Latin alphabet of 2021: ``Қазақстан`` -> ``Qazaqstan``."""
    out = []
    for char in text:
        latin = _LATIN.get(char.lower())
        if latin is None:
            out.append(char)
        elif char.isupper() and latin:
            out.append(latin[0].upper() + latin[1:])
        else:
            out.append(latin)
    return "".join(out)


def kk_arabic(text: str) -> str:
    """Kazakh Cyrillic in the Arabic script: ``Алматы`` -> ``الماتى``."""

    def word(match: re.Match[str]) -> str:
        lower = match.group(0).lower()
        letters = "".join(_ARABIC.get(char, char) for char in lower)
        front = any(c in _FRONT for c in lower) and not any(c in _FRONT_BY_ITSELF for c in lower)
        return (_HAMZA + letters) if front else letters

    return _WORD.sub(word, text)
