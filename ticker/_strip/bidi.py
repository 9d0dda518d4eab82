"""Left-to-right runs inside right-to-left text: numbers, labels and ranges isolated.

In a right-to-left paragraph the Unicode bidirectional algorithm (UAX #9,
https://www.unicode.org/reports/tr9/) reads digits that follow Arabic letters as
Arabic numbers (rule W2), and a ``+`` between two of them does not join them (W4
joins a plus sign only between European numbers), so ``استانا +18+20℃`` is drawn
``℃20+18+ اناتسا``.  Each left-to-right run of a right-to-left language's text is
therefore put between LEFT-TO-RIGHT ISOLATE (U+2066) and POP DIRECTIONAL ISOLATE
(U+2069), which the algorithm lays out as one neutral character (rules X5a-X6a):
the run keeps its order inside, and the runs follow the line's direction.

A whole line also opens with RIGHT-TO-LEFT MARK (U+200F): a renderer picks the
paragraph direction from the first strong character outside isolates (P2-P3), and a
line of rates alone has none; renderers older than isolates (Unicode 6.3) see the
mark too.  HTML isolates with markup instead (``dir="ltr"``, ``unicode-bidi:
isolate``), as the W3C advises, so :func:`bare` takes the controls off again there.

Inserting three code points needs no library; the visual order they produce is
checked in the tests with ``python-bidi``, a binding of the maintained ``unicode-bidi``
crate, which implements the isolates.  Left-to-right languages get no control at all.
"""

from __future__ import annotations

from typing import Final

from ticker._strip.i18n import direction_of

__all__ = ["LRI", "PDI", "RLM", "bare", "isolate", "line"]

#: U+2066 LEFT-TO-RIGHT ISOLATE: opens a left-to-right run.
LRI: Final = "\u2066"
#: U+2069 POP DIRECTIONAL ISOLATE: closes it.
PDI: Final = "\u2069"
#: U+200F RIGHT-TO-LEFT MARK: sets the direction of a line of right-to-left text.
RLM: Final = "\u200f"


def isolate(text: str, lang: str) -> str:
    """``text`` as a left-to-right run of a line in ``lang``: isolated if ``lang`` is rtl."""
    if not text or direction_of(lang) != "rtl":
        return text
    return f"{LRI}{text}{PDI}"


def bare(text: str) -> str:
    """``text`` without the isolate :func:`isolate` put around it."""
    if len(text) >= 2 and text[0] == LRI and text[-1] == PDI:
        return text[1:-1]
    return text


def line(text: str, lang: str) -> str:
    """A whole line of text in ``lang``, opened by RLM if ``lang`` is rtl."""
    if not text or direction_of(lang) != "rtl":
        return text
    return RLM + text
