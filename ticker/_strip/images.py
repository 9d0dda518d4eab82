"""The strip and the day's card as images: SVG written here, PNG drawn from it by resvg.

A mail, a chat post or a link preview cannot run the widget, so the strip is also an
image (``/v1/strip.svg``, ``.png``) and so is the day's card (``/v1/card.svg``,
``.png``: 1200x630 for link previews, 1080x1080 for Telegram and Instagram).  The
SVG is written by hand for one renderer above all: resvg (``resvg-py``), which
draws it into PNG with the same font files and shapes Arabic and Chinese as
HarfBuzz does; cairosvg draws Chinese as empty boxes, and Pillow with raqm has no
font fallback.  resvg has no usable bidirectional layout and ignores most CSS, so:

* every ``<text>`` holds one run of one direction in one font, at an ``x`` measured
  with HarfBuzz (:mod:`ticker._strip.typeset`); a right-to-left strip is laid out
  from the right edge leftwards, and a right-to-left card is mirrored;
* every ``<text>`` says its measured width (``textLength``, with
  ``lengthAdjust="spacingAndGlyphs"``) and names its Noto family before
  ``sans-serif``, so that a browser or a mail client with other fonts keeps the
  layout;
* colours are attributes, from widget.css's palette: no ``style``, no script, no
  external reference, and no bidi control character (an item's isolates are taken
  off with :func:`~ticker._strip.bidi.bare`, any other by :func:`~ticker._text.bounded`).

Every text from outside (names, conditions, credits, labels) is cleaned and bounded
where it enters, cut with ``…`` to the room it has, and XML-escaped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final, TypeVar

import resvg_py

from ticker._models import Direction
from ticker._strip import icons
from ticker._strip.bidi import bare
from ticker._strip.i18n import date_phrase, language_key, phrase
from ticker._strip.markup import ARROWS, is_night
from ticker._strip.typeset import MIDDLE, Fonts, ImagesUnavailable, Piece, Words, number, row
from ticker._text import bounded
from ticker._wire import RateItem, Strip, WeatherItem

__all__ = [
    "CARD_SIZES",
    "DARK",
    "DEFAULT_WIDTH",
    "LIGHT",
    "MAX_SCALE",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "THEMES",
    "Fonts",
    "ImagesUnavailable",
    "Palette",
    "card_svg",
    "strip_svg",
    "svg_to_png",
]

#: Bounds of the strip image's width in CSS pixels, and its default.
MIN_WIDTH, MAX_WIDTH, DEFAULT_WIDTH = 320, 2400, 960
#: The card's sizes by name.
CARD_SIZES: Final[Mapping[str, tuple[int, int]]] = {
    "1200x630": (1200, 630),
    "1080x1080": (1080, 1080),
}
#: ``auto`` is drawn light: an image cannot follow the reader's colour scheme.
THEMES: Final = ("light", "dark", "auto")
#: The PNG's largest scale: a 2400 px strip at 4x is 9600 px wide.
MAX_SCALE: Final = 4.0
#: At most this many characters of a text from outside are kept (then cut to fit).
_TEXT_LIMIT: Final = 120
#: The ``<title>`` and ``aria-label`` keep at most this many characters of the strip.
_OUTLINE_LIMIT: Final = 2000


@dataclass(frozen=True)
class Palette:
    """The colours of an image: widget.css's, and the card's tiles and rule."""

    background: str
    text: str
    muted: str
    up: str
    down: str
    tile: str
    rule: str
    icons: icons.IconPalette


#: widget.css's light theme (--ticker-bg, -fg, -muted, -up, -down).
LIGHT: Final = Palette(
    "#ffffff", "#1b1f24", "#5b6470", "#18794e", "#c4320a", "#f3f5f7", "#dfe3e8", icons.LIGHT
)
#: widget.css's dark theme (--ticker-dark-bg, -fg, -muted, -up, -down).
DARK: Final = Palette(
    "#14171a", "#e8eaed", "#9aa3ad", "#4cc38a", "#ff8a65", "#1d2126", "#2e343b", icons.DARK
)


def _palette(theme: str, lang: str) -> Palette:
    """The theme's palette; in Chinese up is red and down green, as widget.css has it."""
    if theme not in THEMES:
        raise ValueError(f"the theme must be one of {', '.join(THEMES)}, not {theme[:20]!r}")
    palette = DARK if theme == "dark" else LIGHT
    if lang == "zh":
        return dataclasses.replace(palette, up=palette.down, down=palette.up)
    return palette


def _outside(text: str | None) -> str:
    """A text from outside or from an item: one clean line, no bidi control, bounded."""
    return bounded(bare(text or ""), _TEXT_LIMIT)


def _outline(strip: Strip) -> str:
    """The whole strip as plain text, for ``<title>`` and ``aria-label``."""
    return bounded(strip.text, _OUTLINE_LIMIT)


def _svg(size: tuple[int, int], lang: str, label: str, background: str, body: str) -> str:
    """The image: its size, language and name, its background, then ``body``."""
    width, height = size
    name = escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" role="img" aria-label="{name}" lang="{escape(lang)}">'
        f'<title>{name}</title><rect width="{width}" height="{height}" fill="{background}"/>'
        f"{body}</svg>\n"
    )


def _arrow_fill(direction: Direction, palette: Palette) -> str:
    return {Direction.UP: palette.up, Direction.DOWN: palette.down}.get(direction, palette.muted)


def _value_fill(item: RateItem | WeatherItem, palette: Palette) -> str:
    return palette.muted if item.stale or item.missing else palette.text


@dataclass(frozen=True)
class _Icon:
    """A condition icon, centred on the middle of the digits of its line."""

    item: WeatherItem
    size: float
    palette: icons.IconPalette
    #: The size of the text of its line.
    line: float

    @property
    def width(self) -> float:
        return self.size

    def svg(self, x: float, baseline: float) -> str:
        y = baseline - MIDDLE * self.line - self.size / 2
        return _icon(self.item, x, y, self.size, self.palette)


def _icon(item: WeatherItem, x: float, y: float, size: float, palette: icons.IconPalette) -> str:
    # Day or night as the widget decides it: the upstream's word, else the local hour.
    label = _outside(item.condition) or None
    return icons.icon_group(
        item.code, night=is_night(item), x=x, y=y, size=size, palette=palette, label=label
    )


# -- the strip -------------------------------------------------------------------------

#: The widget's measures (widget.css): 0.875rem text on 2rem lines, items 0.75rem and
#: an item's parts 0.25em apart, changes at 0.8em; the credits' line is smaller.
_SIZE, _LINE, _PAD, _GAP, _INNER, _CHANGE = 14.0, 32.0, 8.0, 12.0, 3.5, 11.2
_ICON, _CREDIT, _CREDIT_LINE = 16.0, 11.0, 18.0


@dataclass(frozen=True)
class _Box:
    """An item of the strip: pieces that wrap as one, and what goes before it mid-line."""

    pieces: tuple[Piece, ...]
    lead: tuple[Piece, ...] = ()

    def placed(self, *, first: bool) -> list[tuple[Piece, float]]:
        """The pieces with their gaps; the lead (a separator) only after another box."""
        lead = [] if first else [(piece, _GAP) for piece in self.lead]
        gaps = [0.0 if first else _GAP] + [_INNER] * (len(self.pieces) - 1)
        return [*lead, *zip(self.pieces, gaps, strict=True)]


def _placed(line: Sequence[_Box]) -> list[tuple[Piece, float]]:
    return [pair for box in line for pair in box.placed(first=box is line[0])]


def _wrap(boxes: Sequence[_Box], room: float) -> list[list[_Box]]:
    """Whole boxes on lines of ``room`` pixels (an image cannot scroll or hide)."""
    lines: list[list[_Box]] = [[]]
    for box in boxes:
        wider = [*lines[-1], box]
        if lines[-1] and sum(p.width + gap for p, gap in _placed(wider)) > room:
            lines.append([])
        lines[-1].append(box)
    return lines


def _rate_box(item: RateItem, fonts: Fonts, palette: Palette, room: float) -> _Box:
    pieces: list[Piece] = [
        Words(fonts.fit(_outside(item.label), _SIZE, room / 2), palette.muted),
        Words(fonts.fit(_outside(item.text), _SIZE, room / 2), _value_fill(item, palette)),
    ]
    if item.change_text is not None and item.direction is not None:
        change = ARROWS[item.direction] + _outside(item.change_text)
        pieces.append(Words(fonts.run(change, _CHANGE), _arrow_fill(item.direction, palette)))
    if item.stale:
        pieces.append(Words(fonts.run("*", _SIZE), palette.muted))
    return _Box(tuple(pieces))


def _city_box(
    item: WeatherItem, fonts: Fonts, palette: Palette, room: float, *, rtl: bool, icon: bool
) -> _Box:
    tail: list[Piece] = [Words(fonts.run(_outside(item.text), _SIZE), _value_fill(item, palette))]
    if icon and not item.missing:
        tail.insert(0, _Icon(item, _ICON, palette.icons, _SIZE))
    if item.stale:
        tail.append(Words(fonts.run("*", _SIZE), palette.muted))
    left = max(room - sum(piece.width + _INNER for piece in tail), 0)
    name = Words(fonts.fit(_outside(item.name), _SIZE, left, rtl=rtl), palette.text)
    return _Box((name, *tail))


def _credit_boxes(strip: Strip, fonts: Fonts, palette: Palette, room: float) -> list[_Box]:
    dot = Words(fonts.run("·", _CREDIT), palette.muted)
    texts = [_outside(credit.text) for credit in strip.sources]
    fitted = [fonts.fit(text, _CREDIT, room, rtl=strip.dir == "rtl") for text in texts if text]
    return [_Box((Words(run, palette.muted),), (dot,)) for run in fitted]


def _strip_width(width: int) -> int:
    if isinstance(width, bool) or not isinstance(width, int):
        raise TypeError(f"the strip's width is a whole number of pixels, not {width!r}")
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"the strip's width must be {MIN_WIDTH} to {MAX_WIDTH}, not {width}")
    return width


def strip_svg(
    strip: Strip,
    *,
    fonts: Fonts,
    theme: str = "light",
    width: int = DEFAULT_WIDTH,
    icons: bool = False,
) -> str:
    """The strip as an SVG image ``width`` px wide; items that do not fit wrap, whole.

    Raises ``ValueError`` for a theme not in :data:`THEMES` or a width out of
    bounds, ``TypeError`` for a width that is not a whole number.
    """
    width = _strip_width(width)
    palette = _palette(theme, language_key(strip.lang) or "en")
    rtl, room = strip.dir == "rtl", width - 2 * _PAD
    boxes = [_rate_box(item, fonts, palette, room) for item in strip.rates]
    cities = [_city_box(item, fonts, palette, room, rtl=rtl, icon=icons) for item in strip.weather]
    if boxes and cities:
        dot = Words(fonts.run("·", _SIZE), palette.muted)
        cities[0] = dataclasses.replace(cities[0], lead=(dot,))
    lines = _wrap([*boxes, *cities], room)
    credits = _wrap(_credit_boxes(strip, fonts, palette, room), room) if strip.sources else []
    height = len(lines) * _LINE + (len(credits) * _CREDIT_LINE + 6 if credits else 0)
    start = width - _PAD if rtl else _PAD
    body = []
    for index, line in enumerate(lines):
        baseline = (index + 0.5) * _LINE + MIDDLE * _SIZE
        body.append(row(_placed(line), start, baseline, rtl))
    for index, line in enumerate(credits):
        baseline = len(lines) * _LINE + (index + 0.5) * _CREDIT_LINE + MIDDLE * _CREDIT
        body.append(row(_placed(line), start, baseline, rtl))
    size = (width, round(height))
    return _svg(size, strip.lang, _outline(strip), palette.background, "".join(body))


# -- the day's card --------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """The measures of a card's size: margin, type sizes, the gap between tiles."""

    margin: float
    title: float
    date: float
    credit: float
    gap: float
    #: The largest a tile's value (a rate, a city's range) is drawn.
    rate_max: float
    city_max: float


_FRAMES: Final[Mapping[str, _Frame]] = {
    "1200x630": _Frame(56, 42, 24, 16, 16, rate_max=54, city_max=44),
    "1080x1080": _Frame(64, 52, 30, 20, 20, rate_max=72, city_max=56),
}
#: At most this many lines of credits (each one is cut to a line).
_CREDIT_LINES: Final = 4
#: At most this many tiles of each kind; the last says "+N" when there are more.
_MOST_RATES, _MOST_CITIES = 12, 6
#: A tile's height, inner margin and a city's icon, per font size of the tile's value.
_TALL, _TILE_PAD, _CITY_ICON = 2.15, 0.35, 1.3
#: A rate's label and a city's second line per font size of the value; the least, px.
_LABEL, _SMALL, _LEAST = 0.48, 0.42, 12.0

#: A tile: an item, or how many more there are ("+N").
_RateTile = RateItem | int
_CityTile = WeatherItem | int
_Item = TypeVar("_Item", RateItem, WeatherItem)


@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class _Grid:
    """Tiles in a box: so many columns of them, at a font size."""

    box: _Rect
    columns: int
    size: float

    def cells(self, count: int, gap: float, *, rtl: bool) -> list[_Rect]:
        """Each tile's box, row by row from the start edge."""
        width = (self.box.w - (self.columns - 1) * gap) / self.columns
        tall = _TALL * self.size
        cells = []
        for index in range(count):
            line, column = divmod(index, self.columns)
            offset = column * (width + gap)
            x = self.box.x + self.box.w - offset - width if rtl else self.box.x + offset
            cells.append(_Rect(x, self.box.y + line * (tall + gap), width, tall))
        return cells

    def height(self, count: int, gap: float) -> float:
        """The height of ``count`` tiles."""
        lines = math.ceil(count / self.columns)
        return lines * _TALL * self.size + max(lines - 1, 0) * gap


def _grid(count: int, want: float, box: _Rect, gap: float, most: float) -> _Grid:
    """The columns that show ``count`` tiles in ``box`` the largest, and that size.

    ``want`` is the width a tile wants per pixel of its font size: text widths grow
    with the size, so the size each column count allows is a quotient.
    """
    best = _Grid(box, 1, 0.0)
    for columns in range(1, count + 1):
        lines = math.ceil(count / columns)
        by_width = (box.w - (columns - 1) * gap) / columns / want
        by_height = (box.h - (lines - 1) * gap) / lines / _TALL
        size = min(most, by_width, by_height)
        if size > best.size + 0.01:
            best = _Grid(box, columns, size)
    return best


def _shown(items: Sequence[_Item], most: int) -> list[_Item | int]:
    """At most ``most`` tiles: the items, or the first ones and the count of the rest."""
    shown: list[_Item | int] = list(items[:most])
    if len(items) > most:
        shown[-1] = len(items) - most + 1
    return shown


class _Card:
    """A card being drawn: its strip, fonts, colours, direction and measures."""

    def __init__(self, strip: Strip, fonts: Fonts, theme: str, frame: _Frame) -> None:
        self.strip, self.fonts, self.frame = strip, fonts, frame
        self.lang = language_key(strip.lang) or "en"
        self.palette = _palette(theme, self.lang)
        self.rtl = strip.dir == "rtl"

    def words(
        self, text: str, size: float, fill: str, *, bold: bool = False,
        room: float = math.inf, numbers: bool = False,
    ) -> Words:  # fmt: skip
        """``text`` cut to ``room``; ``numbers`` (labels, values, ranges) read left to right."""
        rtl = self.rtl and not numbers
        return Words(self.fonts.fit(text, size, room, bold=bold, rtl=rtl), fill)

    def at(
        self, box: _Rect, offset: float, baseline: float, pieces: Sequence[Piece], gap: float
    ) -> str:
        """Pieces ``gap`` apart, from ``offset`` after the box's start edge."""
        placed = [(piece, gap if index else 0.0) for index, piece in enumerate(pieces)]
        start = box.x + box.w - offset if self.rtl else box.x + offset
        return row(placed, start, baseline, self.rtl)

    def at_end(
        self, box: _Rect, inset: float, baseline: float, pieces: Sequence[Piece], gap: float
    ) -> str:
        """Pieces ``gap`` apart, ending ``inset`` before the box's end edge."""
        total = sum(piece.width for piece in pieces) + gap * (len(pieces) - 1)
        return self.at(box, box.w - inset - total, baseline, pieces, gap)

    def tile(self, cell: _Rect, size: float) -> str:
        return (
            f'<rect x="{number(cell.x)}" y="{number(cell.y)}" width="{number(cell.w)}"'
            f' height="{number(cell.h)}" rx="{number(size * 0.3)}" fill="{self.palette.tile}"/>'
        )

    def more(self, count: int, cell: _Rect, size: float) -> str:
        """The tile of the items left out: ``+N``."""
        words = self.words(f"+{count}", size, self.palette.muted, bold=True, numbers=True)
        baseline = cell.y + cell.h / 2 + MIDDLE * size
        return self.tile(cell, size) + words.svg(cell.x + (cell.w - words.width) / 2, baseline)

    # -- rates: label and currency name; value, change and stale mark --

    def rate_want(self, item: _RateTile) -> float:
        """The width a rate's tile wants per pixel of its value's size."""
        if not isinstance(item, RateItem):
            return 2.5
        value = self.fonts.run(_outside(item.text) + "*" * item.stale, 1, bold=True).width
        change = self.fonts.run("▲" + _outside(item.change_text), _SMALL * 1.2).width
        label = self.fonts.run(_outside(item.label), _LABEL, bold=True).width
        return 2 * _TILE_PAD + max(label + 3.0, value + 0.3 + change)

    def rate(self, item: _RateTile, cell: _Rect, size: float) -> str:
        """A rate's tile."""
        if isinstance(item, int):
            return self.more(item, cell, size)
        pad, muted, small = _TILE_PAD * size, self.palette.muted, max(_LABEL * size, _LEAST)
        label = self.words(_outside(item.label), small, muted, bold=True, numbers=True)
        room = cell.w - 2 * pad - label.width - 0.25 * size
        name = self.words(_outside(item.name), small, muted, room=room)
        fill = _value_fill(item, self.palette)
        value = self.words(
            _outside(item.text) + "*" * item.stale, size, fill, bold=True, numbers=True
        )
        second: list[Piece] = [value]
        if item.change_text is not None and item.direction is not None:
            change = ARROWS[item.direction] + _outside(item.change_text)
            fill = _arrow_fill(item.direction, self.palette)
            second.append(self.words(change, _SMALL * 1.2 * size, fill, numbers=True))
        first = [label, name] if name.width else [label]
        return "".join(
            (
                self.tile(cell, size),
                self.at(cell, pad, cell.y + pad + 0.75 * small, first, 0.25 * size),
                self.at(cell, pad, cell.y + cell.h - pad, second, 0.3 * size),
            )
        )

    # -- cities: icon; name and range; condition and tomorrow --

    def city_want(self, item: _CityTile) -> float:
        """The width a city's tile wants per pixel of its range's size; long names are cut."""
        if not isinstance(item, WeatherItem):
            return 2.5
        name = self.fonts.run(_outside(item.name), 0.6, bold=True).width
        value = self.fonts.run(_outside(item.text), 1, bold=True).width
        return 2 * _TILE_PAD + _CITY_ICON + 0.35 + min(max(name, 3.0), 6.0) + 0.4 + value

    def city(self, item: _CityTile, cell: _Rect, size: float) -> str:
        """A city's tile."""
        if isinstance(item, int):
            return self.more(item, cell, size)
        palette, pad, icon = self.palette, _TILE_PAD * size, _CITY_ICON * size
        small, text_at = max(_SMALL * size, _LEAST), pad + icon + 0.35 * size
        fill = _value_fill(item, palette)
        value = self.words(
            _outside(item.text) + "*" * item.stale, size, fill, bold=True, numbers=True
        )
        room = cell.w - text_at - pad - value.width - 0.4 * size
        name = self.words(_outside(item.name), 0.6 * size, palette.text, bold=True, room=room)
        later = self.tomorrow(item, small)
        room = cell.w - text_at - pad - sum(piece.width for piece in later) - 0.4 * size
        if len(later) > 1 and room < 6 * small:  # too narrow: tomorrow's range alone
            later = later[1:]
            room = cell.w - text_at - pad - later[0].width - 0.4 * size
        said = _outside(item.condition) or (phrase("missing", self.lang) if item.missing else "")
        condition = self.words(said, small, palette.muted, room=room)
        top = cell.y + pad + 0.78 * size
        # The range shares the name's line above tomorrow's, else sits in the middle.
        middle = top if later else cell.y + cell.h / 2 + MIDDLE * size
        icon_x = cell.x + cell.w - pad - icon if self.rtl else cell.x + pad
        return "".join(
            (
                self.tile(cell, size),
                _icon(item, icon_x, cell.y + (cell.h - icon) / 2, icon, palette.icons),
                self.at(cell, text_at, top, [name], 0),
                self.at_end(cell, pad, middle, [value], 0),
                self.at(cell, text_at, top + 0.62 * size, [condition], 0),
                self.at_end(cell, pad, top + 0.62 * size, later, 0.25 * size),
            )
        )

    def tomorrow(self, item: WeatherItem, size: float) -> list[Piece]:
        """Tomorrow's weekday and range, when the item has them."""
        ahead = item.tomorrow
        if ahead is None:
            return []
        day = date_phrase(ahead.date, self.lang, weekday=True)
        return [
            self.words(_outside(day[:1].upper() + day[1:]), size, self.palette.muted),
            self.words(_outside(ahead.text), size, self.palette.text, bold=True, numbers=True),
        ]

    # -- the header and the footer --

    def header(self, day: dt.date, width: float) -> tuple[str, float, str]:
        """The title, the date and a rule; where the tiles may start; the plain title."""
        frame, palette = self.frame, self.palette
        title = f"{phrase('rates', self.lang)} · {phrase('weather', self.lang)}"
        date = date_phrase(day, self.lang)
        box = _Rect(frame.margin, frame.margin, width, 0)
        title_line = frame.margin + 0.74 * frame.title
        date_line = title_line + 0.34 * frame.title + 1.05 * frame.date
        rule = date_line + 0.75 * frame.date
        heading = self.words(title, frame.title, palette.text, bold=True, room=width)
        dated = self.words(date, frame.date, palette.muted, room=width)
        svg = (
            self.at(box, 0, title_line, [heading], 0)
            + self.at(box, 0, date_line, [dated], 0)
            + f'<rect x="{number(frame.margin)}" y="{number(rule)}" width="{number(width)}"'
            f' height="2" fill="{palette.rule}"/>'
        )
        return svg, rule + 2 + 1.5 * frame.gap, f"{title}, {date}"

    def footer(self, width: float, bottom: float) -> tuple[str, float]:
        """The credits (after what a ``*`` means) on lines ending at ``bottom``; their top."""
        strip, muted, size = self.strip, self.palette.muted, self.frame.credit
        texts = [_outside(credit.text) for credit in strip.sources]
        if any(item.stale for item in strip.rates) or any(item.stale for item in strip.weather):
            texts.insert(0, "* " + phrase("stale", self.lang))
        dot = self.words("·", size, muted)
        boxes = [
            _Box((self.words(text, size, muted, room=width),), (dot,)) for text in texts if text
        ]
        lines = _wrap(boxes, width)[:_CREDIT_LINES] if boxes else []
        step, start = size * 1.5, self.frame.margin + (width if self.rtl else 0)
        out = [
            row(_placed(line), start, bottom - (len(lines) - 1 - index) * step, self.rtl)
            for index, line in enumerate(lines)
        ]
        return "".join(out), bottom - len(lines) * step


def _areas(box: _Rect, gap: float, *, wide: bool) -> list[tuple[_Rect, _Rect]]:
    """Ways to share ``box`` between the rates and the cities: side by side, or stacked."""
    apart = 2 * gap
    side = [
        (_Rect(box.x, box.y, w, box.h), _Rect(box.x + w + apart, box.y, box.w - w - apart, box.h))
        for w in ((box.w - apart) * share for share in (0.5, 0.55, 0.6, 0.65))
    ]
    stacked = [
        (_Rect(box.x, box.y, box.w, h), _Rect(box.x, box.y + h + apart, box.w, box.h - h - apart))
        for h in ((box.h - apart) * share for share in (0.4, 0.5, 0.6, 0.7))
    ]
    return side + stacked if wide else stacked + side


def _mirrored(rect: _Rect, box: _Rect) -> _Rect:
    return dataclasses.replace(rect, x=box.x + box.w - (rect.x - box.x) - rect.w)


def _layout(
    card: _Card, rates: Sequence[_RateTile], cities: Sequence[_CityTile], box: _Rect
) -> tuple[_Grid | None, _Grid | None]:
    """The grids of the rates and of the cities that show both the largest.

    "The largest" is the smaller of the two sizes, each as a share of its kind's
    largest size, so that neither kind is shrunk to give the other room it cannot use.
    """
    frame, gap = card.frame, card.frame.gap
    rate_want = max((card.rate_want(item) for item in rates), default=1.0)
    city_want = max((card.city_want(item) for item in cities), default=1.0)
    if not cities:
        return (_grid(len(rates), rate_want, box, gap, frame.rate_max) if rates else None), None
    if not rates:
        return None, _grid(len(cities), city_want, box, gap, frame.city_max)
    best: tuple[float, _Grid | None, _Grid | None] = (-1.0, None, None)
    for rates_box, cities_box in _areas(box, gap, wide=box.w > 1.4 * box.h):
        if card.rtl:
            rates_box, cities_box = _mirrored(rates_box, box), _mirrored(cities_box, box)
        by_rates = _grid(len(rates), rate_want, rates_box, gap, frame.rate_max)
        by_cities = _grid(len(cities), city_want, cities_box, gap, frame.city_max)
        score = min(by_rates.size / frame.rate_max, by_cities.size / frame.city_max)
        if score > best[0] + 0.01:
            best = (score, by_rates, by_cities)
    return best[1], best[2]


def _settled(grids: Sequence[_Grid], counts: Sequence[int], box: _Rect, gap: float) -> list[_Grid]:
    """The grids centred in ``box`` together, stacked ones one right under the other."""
    heights = [grid.height(count, gap) for grid, count in zip(grids, counts, strict=True)]
    stacked = len(grids) == 2 and grids[1].box.y > grids[0].box.y
    used = heights[0] + 2 * gap + heights[1] if stacked else max(heights, default=0.0)
    top = box.y + max(box.h - used, 0) / 2
    settled = []
    for grid, height in zip(grids, heights, strict=True):
        settled.append(dataclasses.replace(grid, box=dataclasses.replace(grid.box, y=top)))
        if stacked:
            top += height + 2 * gap
    return settled


def card_svg(
    strip: Strip,
    *,
    fonts: Fonts,
    day: dt.date,
    theme: str = "light",
    size: str = "1200x630",
) -> str:
    """The day's card: every rate and city of ``strip`` on ``day``, as an SVG image.

    Raises ``ValueError`` for a theme not in :data:`THEMES` or a size not in
    :data:`CARD_SIZES`.
    """
    if size not in CARD_SIZES:
        raise ValueError(f"the card's size must be one of {', '.join(CARD_SIZES)}")
    width, height = CARD_SIZES[size]
    frame = _FRAMES[size]
    card = _Card(strip, fonts, theme, frame)
    room = width - 2 * frame.margin
    header, top, title = card.header(day, room)
    footer, bottom = card.footer(room, height - 0.8 * frame.margin)
    content = _Rect(frame.margin, top, room, bottom - frame.gap - top)
    rates, cities = _shown(strip.rates, _MOST_RATES), _shown(strip.weather, _MOST_CITIES)
    by_rates, by_cities = _layout(card, rates, cities, content)
    grids = [(grid, len(tiles)) for grid, tiles in ((by_rates, rates), (by_cities, cities)) if grid]
    settled = iter(_settled([g for g, _ in grids], [n for _, n in grids], content, frame.gap))
    drawn = []
    if by_rates is not None:
        grid = next(settled)
        cells = grid.cells(len(rates), frame.gap, rtl=card.rtl)
        drawn += [card.rate(tile, cell, grid.size) for tile, cell in zip(rates, cells, strict=True)]
    if by_cities is not None:
        grid = next(settled)
        cells = grid.cells(len(cities), frame.gap, rtl=card.rtl)
        drawn += [
            card.city(tile, cell, grid.size) for tile, cell in zip(cities, cells, strict=True)
        ]
    label = f"{title}: {_outline(strip)}"
    body = header + "".join(drawn) + footer
    return _svg((width, height), strip.lang, label, card.palette.background, body)


#: The font families an SVG of this module names.
_FAMILY: Final = re.compile(r"font-family=\"'([^'\"]+)'")


def svg_to_png(svg: str, *, fonts: Fonts, scale: float = 1.0) -> bytes:
    """The SVG drawn into PNG by resvg at ``scale`` times its size, with ``fonts``' files.

    Raises ``ValueError`` for a scale out of (0, :data:`MAX_SCALE`] or an SVG resvg
    cannot read.
    """
    if isinstance(scale, bool) or not isinstance(scale, int | float):
        raise TypeError(f"the scale is a number, not {scale!r}")
    if not 0 < scale <= MAX_SCALE:
        raise ValueError(f"the scale must be above 0 and at most {MAX_SCALE}, not {scale}")
    # resvg reads every font file it is given, on every call (each CJK file is 20 MB):
    # it is given the files of the families the SVG names, no more.
    files = fonts.files_for(set(_FAMILY.findall(svg)))
    png = resvg_py.svg_to_bytes(
        svg_string=svg,
        skip_system_fonts=True,
        font_files=[str(path) for path in files],
        zoom=float(scale),
    )
    return bytes(png)
