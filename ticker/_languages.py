"""The strip's ten languages: their keys, their tags, and the reader's choice of one.

Each language has a *key*, the name the settings (``languages:``, a city's ``name:``)
and the code give it, and a *tag* (BCP 47), what every answer says it is written in:
``lang=`` attributes, the JSON ``lang`` and ``Content-Language``.

=========  =========  ======================================  ===============
key        tag        language and script                     language switch
=========  =========  ======================================  ===============
en         en         English                                 English
ru         ru         Russian                                 Русский
kk         kk         Kazakh, Cyrillic                        Қазақша
kk-Latn    kk-Latn    Kazakh, Latin (the alphabet of 2021)    Qazaqşa
kk-Arab    kk-Arab    Kazakh, Arabic script, right to left    قازاقشا
zh         zh-Hans    Chinese, Simplified                     中文
uz         uz-Cyrl    Uzbek, Cyrillic                         Ўзбекча
uz-Latn    uz-Latn    Uzbek, Latin (the official script)      Oʻzbekcha
ky         ky         Kyrgyz, Cyrillic                        Кыргызча
tg         tg         Tajik, Cyrillic                         Тоҷикӣ
=========  =========  ======================================  ===============

A tag carries a script subtag where the bare language could be read in another
script.  Where the IANA language subtag registry gives the language the script as its
``Suppress-Script`` (RFC 5646 section 4.1, item 4) it cannot: ``en`` (Latn), ``ru`` and
``kk`` (Cyrl) stand alone.  ``zh`` is a macrolanguage with no Suppress-Script, and a
page marked ``zh`` may be drawn in a Traditional font, so Chinese is ``zh-Hans``.
``uz`` has none either, and CLDR's likely subtags read a bare ``uz`` as Latin (``uz``
-> ``uz-Latn-UZ``), so Cyrillic Uzbek is ``uz-Cyrl``.  The keys ``zh`` and ``uz`` stay
what settings files and embeds already say.  ``ky`` and ``tg`` have no Suppress-Script,
but CLDR's likely subtags read both as Cyrillic (``ky`` -> ``ky-Cyrl-KG``, ``tg`` ->
``tg-Cyrl-TJ``), the official script of Kyrgyzstan and Tajikistan, and one font draws
every Cyrillic letter: they stand alone, as CLDR's locales ``ky`` and ``tg`` do.  The
settings and ``?lang=`` take a language by its key, its tag or its tag with the script
written out (``kk-Cyrl``, ``tg-Cyrl``), in any case (RFC 5646 section 2.1.1):
:func:`language_key`.

A browser's ``Accept-Language`` is matched by :func:`negotiate` with ``langcodes``,
which implements CLDR's language matching (the likely subtags and the distances of
CLDR's ``languageInfo.xml``) over the IANA registry.  A hand-written prefix rule
cannot know that ``kk-CN`` is Kazakh in Arabic script, that ``zh-TW`` is Traditional
Chinese or that a Ukrainian reader accepts Russian; Babel has the likely subtags
but no matcher.  What ``langcodes`` is asked is bounded (:func:`_reduced`): it keeps
every tag it has parsed, and a header is text from outside.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, Literal, get_args

from langcodes import Language, closest_supported_match
from langcodes.data_dicts import LANGUAGE_DISTANCES, LANGUAGE_REPLACEMENTS, LIKELY_SUBTAGS

__all__ = [
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "LANGUAGE_TAGS",
    "LanguageKey",
    "accepted_ranges",
    "language_key",
    "language_tag",
    "negotiate",
    "spellings",
]

LanguageKey = Literal["en", "ru", "kk", "kk-Latn", "kk-Arab", "zh", "uz", "uz-Latn", "ky", "tg"]
#: The languages of the strip, by key: a news site of the region's language switch.
LANGUAGES: Final[tuple[LanguageKey, ...]] = get_args(LanguageKey)

#: The tag each language is emitted as (see the module's docstring for the rule).
LANGUAGE_TAGS: Final[Mapping[str, str]] = {
    "en": "en",
    "ru": "ru",
    "kk": "kk",
    "kk-Latn": "kk-Latn",
    "kk-Arab": "kk-Arab",
    "zh": "zh-Hans",
    "uz": "uz-Cyrl",
    "uz-Latn": "uz-Latn",
    "ky": "ky",
    "tg": "tg",
}

#: Each language's name in itself, as a language switch shows it.  Uzbek Latin writes
#: its oʻ with U+02BB MODIFIER LETTER TURNED COMMA, as the 1995 alphabet does; Tajik
#: its ҷ and ӣ (U+04B7, U+04E3), Kyrgyz its ы, not a Kazakh or Russian spelling.
LANGUAGE_NAMES: Final[Mapping[str, str]] = {
    "en": "English",
    "ru": "Русский",
    "kk": "Қазақша",
    "kk-Latn": "Qazaqşa",
    "kk-Arab": "قازاقشا",
    "zh": "中文",
    "uz": "Ўзбекча",
    "uz-Latn": "Oʻzbekcha",
    "ky": "Кыргызча",
    "tg": "Тоҷикӣ",
}

#: The tag with its script written out: the same language (RFC 5646 4.1; for ``ky``
#: and ``tg`` by CLDR's likely subtags).
_SCRIPT_WRITTEN_OUT: Final[Mapping[str, str]] = {
    "en": "en-Latn", "ru": "ru-Cyrl", "kk": "kk-Cyrl", "ky": "ky-Cyrl", "tg": "tg-Cyrl",
}  # fmt: skip


def spellings(key: str) -> tuple[str, ...]:
    """The spellings that name the language ``key``: key, tag, script written out."""
    names = (key, LANGUAGE_TAGS[key], _SCRIPT_WRITTEN_OUT.get(key, key))
    return tuple(dict.fromkeys(names))


_BY_SPELLING: Final[Mapping[str, LanguageKey]] = {
    spelling.lower(): key for key in LANGUAGES for spelling in spellings(key)
}


def language_key(spelling: str) -> LanguageKey | None:
    """The language a key or tag names, in any case (``zh-hans`` -> ``zh``); else None."""
    return _BY_SPELLING.get(spelling.lower())


def language_tag(key: str) -> str:
    """The BCP 47 tag of the language ``key`` (``uz`` -> ``uz-Cyrl``); a tag stays itself."""
    found = language_key(key)
    return LANGUAGE_TAGS[found] if found is not None else key


# -- Accept-Language -------------------------------------------------------------------

#: Elements of an Accept-Language header read at most (browsers send a handful).
MAX_RANGES: Final = 20
#: The farthest CLDR distance still taken as the reader's language: langcodes' own
#: default, which admits another region (``ru-KZ`` -> ``ru``) and a close neighbour
#: (``uk`` -> ``ru``), never another script (50, CLDR's default) nor language (80).
#: CLDR puts Kyrgyz and Tajik 30 from Russian: a ``ky`` reader gets ``ky``, and where
#: it is not configured the default language, not Russian by the matcher's guess.
MAX_DISTANCE: Final = 25

# RFC 4647 section 2.1 (a language range) and RFC 9110 section 12.4.2 (a weight:
# "q=" and a qvalue from 0 to 1 with at most three decimals).
_RANGE: Final = re.compile(r"[a-z]{1,8}(?:-[a-z0-9]{1,8})*|\*", re.IGNORECASE)
_WEIGHT: Final = re.compile(r"q=(0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)", re.IGNORECASE)

#: Scripts read across when nothing else fits: a reader of Traditional Chinese reads
#: Simplified, so a ``zh-TW`` reader gets ``zh-Hans`` rather than the default, but only
#: after every other range of the header.  Uzbek, Kazakh and Kyrgyz are not read
#: across: a reader asking for Latin Uzbek (or a Kazakh or Kyrgyz of China, Arabic
#: script: ``ky-CN`` is ``ky-Arab-CN``) may not read the Cyrillic, and is better served
#: by the default language.
_READ_ACROSS: Final[Mapping[tuple[str, str], str]] = {("zh", "Hant"): "Hans"}

#: The languages whose readers CLDR says may accept one of ours: ours, and those
#: within MAX_DISTANCE of one of them in CLDR's matching data (``uk`` and ``be`` to
#: ``ru``, ``wuu`` to ``zh``...).  Any other language is 80 from each of ours.
_OURS: Final = frozenset(tag.split("-")[0] for tag in LANGUAGE_TAGS.values())
_REACHABLE: Final = _OURS | frozenset(
    desired
    for desired, row in LANGUAGE_DISTANCES.items()
    for supported, distance in row.items()
    if supported in _OURS and distance <= MAX_DISTANCE
)
#: Scripts that can change a match: ours, Traditional Chinese, and those CLDR's
#: matching data names (``zh_Hani``...); any other is as far as an unknown script.
_NAMED_SCRIPTS: Final = frozenset({"Latn", "Cyrl", "Arab", "Hans", "Hant"}) | frozenset(
    pair.split("_")[1]
    for desired, row in LANGUAGE_DISTANCES.items()
    for pair in (desired, *row)
    if "_" in pair and pair.split("_")[1] != "*"
)
_UNKNOWN_SCRIPT: Final = "Zzzz"


def accepted_ranges(header: str) -> list[tuple[str, float]]:
    """The header's language ranges, lower-cased, with their weights, best first.

    An element whose range or weight is malformed (``ru;q=2``, ``q=x``) is left out
    as a whole (RFC 9110 section 12.4.2); equal weights keep the header's order.
    """
    ranges: list[tuple[str, float]] = []
    for element in header.split(",")[:MAX_RANGES]:
        text, has_weight, weight = element.partition(";")
        text = text.strip()
        quality = 1.0
        if has_weight:
            match = _WEIGHT.fullmatch(weight.strip())
            if match is None:
                continue
            quality = float(match.group(1))
        if _RANGE.fullmatch(text):
            ranges.append((text.lower(), quality))
    return sorted(ranges, key=lambda pair: -pair[1])


def _reduced(range_: str, asked: Mapping[str, str]) -> str | None:
    """``range_`` as the matcher sees it, or None when no language of ours can match it.

    Only the subtags that can change a match against ours are kept: the language
    (its registry replacement: ``kaz`` -> ``kk``), the script (a script CLDR's data
    does not name becomes ``Zzzz``, as far from ours as it was) and a region whose
    likely script differs (``kk-CN``, ``zh-TW``; another region moves a distance by 5
    at most).  A bare language takes the script an earlier range of the header asked
    for: ``uz-Latn, uz;q=0.9`` (a browser adds the bare language) still wants Latin.
    """
    language, *rest = range_.split("-")
    language = LANGUAGE_REPLACEMENTS.get(language, language)
    if language not in _REACHABLE:
        return None
    script = region = None
    for subtag in rest:
        if len(subtag) == 1:  # an extension or private use: nothing after it is a region
            break
        if len(subtag) == 4 and subtag.isalpha() and script is None and region is None:
            script = subtag.title()
        elif (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit()):
            region = region or subtag.upper()
    if script is not None and script not in _NAMED_SCRIPTS:
        script = _UNKNOWN_SCRIPT
    if script is None and region is not None and f"{language}-{region}" in LIKELY_SUBTAGS:
        return f"{language}-{region}"
    if script is None:
        script = asked.get(language)
    return language if script is None else f"{language}-{script}"


def _script_of(tag: str) -> str | None:
    """The script a reduced tag asks for: its own, or its region's likely one."""
    if tag.count("-") == 0:
        return None
    return Language.get(tag).maximize().script


def _names(tag: str, ours: str) -> bool:
    """Whether the reduced ``tag`` names our tag ``ours``: as its prefix, or exactly."""
    if (ours + "-").startswith(tag + "-"):
        return True
    return closest_supported_match(tag, [ours], max_distance=0) is not None


def _closest(tag: str, candidates: Sequence[str]) -> str | None:
    """Our tag nearest to ``tag`` by CLDR, if it is the reader's language."""
    return closest_supported_match(tag, list(candidates), max_distance=MAX_DISTANCE)


def _within(tag: str, candidates: Sequence[str]) -> str | None:
    """The first of ours that a bare language range is a prefix of (``kk`` -> ``kk-Latn``).

    RFC 4647 section 3.3.1 (basic filtering): a range names every tag it is a prefix
    of, as the lookup of section 3.4 reaches ``kk`` from ``kk-Latn``.
    """
    if "-" in tag:
        return None
    return next((ours for ours in candidates if ours.split("-")[0] == tag), None)


def _read_across(tag: str, candidates: Iterable[str]) -> str | None:
    """Our tag in the script that readers of ``tag``'s script also read, if any."""
    if "-" not in tag:
        return None
    language = tag.split("-")[0]
    script = _READ_ACROSS.get((language, _script_of(tag) or ""))
    if script is None:
        return None
    return next((o for o in candidates if (language, script) == _parts(o)), None)


def _parts(ours: str) -> tuple[str, str | None]:
    """The language and (likely) script of one of our tags."""
    full = Language.get(ours).maximize()
    return str(full.language), full.script


def negotiate(header: str | None, available: Sequence[str]) -> str | None:
    """The best of the languages ``available`` (keys) for an Accept-Language header.

    The header's ranges are taken best first (RFC 9110 section 12.5.4; equal weights
    in their order).  Each range takes the configured language nearest to it by CLDR
    (``kk-CN`` -> ``kk-Arab``, ``ru-RU`` -> ``ru``), else, for a bare language, the first
    configured one it is a prefix of (``kk`` -> ``kk-Latn``, RFC 4647); ``*`` takes the
    first configured language that no other range names.  A range weighted ``q=0``
    refuses every language it names.  Only when no range found one does a script
    readers read across count (``zh-TW`` -> ``zh-Hans``).  None when nothing fits.
    """
    if not header:
        return None
    by_tag = {language_tag(key): key for key in available}
    wanted: list[str] = []
    refused: set[str] = set()
    asked: dict[str, str] = {}
    for range_, quality in accepted_ranges(header):
        tag = range_ if range_ == "*" else _reduced(range_, asked)
        if tag is None:
            continue
        if quality == 0:
            refused |= {ours for ours in by_tag if tag != "*" and _names(tag, ours)}
            continue
        wanted.append(tag)
        script = _script_of(tag) if tag != "*" else None
        if script is not None:
            asked.setdefault(tag.split("-")[0], script)
    candidates = [ours for ours in by_tag if ours not in refused]
    found = _first_fit(wanted, candidates)
    return by_tag[found] if found is not None else None


def _first_fit(wanted: Sequence[str], candidates: Sequence[str]) -> str | None:
    """The first candidate the reader's ranges (best first) take; see :func:`negotiate`."""
    named = [tag for tag in wanted if tag != "*"]
    for tag in wanted:
        if tag == "*":
            found = next(
                (ours for ours in candidates if not any(_names(t, ours) for t in named)), None
            )
        else:
            found = _closest(tag, candidates) or _within(tag, candidates)
        if found is not None:
            return found
    return next((f for f in (_read_across(tag, candidates) for tag in named) if f), None)
