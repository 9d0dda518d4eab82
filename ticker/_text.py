"""Text from outside, made safe to keep, show and log: bounded and cleaned.

An upstream's error page, a rejected value or an exception message can be any size
and hold anything: a megabyte of reason, newlines that forge log lines, ANSI escapes
for a terminal, bidi overrides that turn ``445.99`` into ``99.544`` on screen.
Everything ticker keeps or shows of such text (error reasons, rejection reasons,
``last_error``, log messages) passes :func:`bounded` where it enters.

The standard library's :mod:`unicodedata` is all this needs: a character's general
category says whether it is a control (``Cc``) or a format character (``Cf``: the
bidi embeddings, overrides and isolates, zero-width joiners, the BOM); no
third-party sanitizer does less or better for plain text.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import BeforeValidator

__all__ = ["LOG_MESSAGE_LIMIT", "TEXT_LIMIT", "OutsideText", "bounded"]

#: At most this many characters of outside text are kept for a reason or an error.
TEXT_LIMIT = 200
#: At most this many characters of a log record's message (a line stays under 1 KB).
LOG_MESSAGE_LIMIT = 600
#: What stands for the characters cut off the end.
ELLIPSIS = "…"
#: Whitespace controls shown as one space rather than dropped: words stay apart.
_SPACES = frozenset("\t\n\r\v\f\x85\u2028\u2029")


def _kept(char: str) -> str:
    if char in _SPACES:
        return " "
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return ""  # controls, bidi and other format characters, surrogates, unassigned
    return char


def bounded(value: object, limit: int = TEXT_LIMIT) -> str:
    """``value`` as one clean line of at most ``limit`` characters.

    Control and format characters (bidi overrides and isolates among them) are
    removed, line breaks and tabs become spaces, runs of spaces become one, and a
    longer text is cut, ending in ``…``.  Only a bounded prefix of a huge text is
    ever looked at.
    """
    text = value if isinstance(value, str) else str(value)
    head = text[: limit * 4]  # a text longer than this is cut anyway
    cleaned = " ".join("".join(_kept(char) for char in head).split())
    if len(cleaned) <= limit and len(head) == len(text):
        return cleaned
    return cleaned[: max(0, limit - len(ELLIPSIS))].rstrip() + ELLIPSIS


def _bounded_if_text(value: object) -> object:
    return bounded(value) if isinstance(value, str) else value


#: A model field holding outside text: bounded and cleaned whenever it is validated,
#: also when read back from a cache written by an older version.
OutsideText = Annotated[str, BeforeValidator(_bounded_if_text)]
