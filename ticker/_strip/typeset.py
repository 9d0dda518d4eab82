"""The fonts of the strip's images and the day's card, and text measured and set in them.

The images are SVG written here and drawn into PNG by resvg with the same font
files, so every run of text is placed from widths this module measures: HarfBuzz
(``uharfbuzz``, the shaper browsers use) shapes each run with the font resvg will
draw it with, and its advances match resvg's own shaping (rustybuzz, a port of
HarfBuzz) to the pixel.  Pillow and cairosvg were measured and left: Pillow has no
font fallback, cairosvg draws Chinese as empty boxes.

Each character takes the first font of a chain that has it (Noto Sans, Noto Sans
Arabic, Noto Sans Symbols2, Noto Sans CJK SC); spaces and punctuation stay in the
font of the letters around them, so an Arabic name is shaped as one joined run.
resvg draws no usable bidirectional text (``direction``, ``unicode-bidi`` and the
isolate controls come out wrong or invisible), so a text is cut here into runs of
one direction by the characters' bidi classes (UAX #9's strong types, neutrals
taking the direction around them, numbers left to right) and the runs are placed
in visual order; each font segment becomes one ``<text>`` of its own
(:class:`Words`), which resvg draws as a left-to-right paragraph: punctuation at
the ends of a right-to-left run is drawn apart, mirrored, where it belongs.
"""

from __future__ import annotations

import functools
import os
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Final, Protocol

# uharfbuzz ships no type information: its objects are Any here.
import uharfbuzz as hb  # type: ignore[import-untyped]

from ticker._exceptions import TickerError
from ticker._text import ELLIPSIS

__all__ = [
    "MIDDLE",
    "Face",
    "Fonts",
    "ImagesUnavailable",
    "Piece",
    "Run",
    "Segment",
    "Words",
    "number",
    "row",
]


class ImagesUnavailable(TickerError, RuntimeError):
    """The fonts the images are drawn with are not installed where the settings say."""


@dataclass(frozen=True)
class _Wanted:
    """A font file the images need, and the family name it is known by."""

    family: str
    file: str
    bold: bool
    #: The family of a face inside a collection (.ttc), read from its name table.
    face_family: str | None = None


#: The chains, regular then bold; Noto Sans Symbols2 (the arrows) has no bold.
#: Symbols2 comes before CJK, which has the arrows ▲▼ too, but full width: the
#: arrows look the same in every language, and Chinese letters are in CJK alone.
_REGULAR: Final = (
    _Wanted("Noto Sans", "NotoSans-Regular.ttf", bold=False),
    _Wanted("Noto Sans Arabic", "NotoSansArabic-Regular.ttf", bold=False),
    _Wanted("Noto Sans Symbols2", "NotoSansSymbols2-Regular.ttf", bold=False),
    _Wanted("Noto Sans CJK", "NotoSansCJK-Regular.ttc", bold=False, face_family="Noto Sans CJK SC"),
)
_BOLD: Final = (
    _Wanted("Noto Sans", "NotoSans-Bold.ttf", bold=True),
    _Wanted("Noto Sans Arabic", "NotoSansArabic-Bold.ttf", bold=True),
    _REGULAR[2],
    _Wanted("Noto Sans CJK", "NotoSansCJK-Bold.ttc", bold=True, face_family="Noto Sans CJK SC"),
)
#: Where Debian has them.
_PACKAGES: Final = "fonts-noto-core fonts-noto-cjk"
#: Measured texts kept per process (the strip's words repeat from render to render).
_MEASURED: Final = 8192


@dataclass(frozen=True, eq=False)
class Face:
    """One face of a font file, loaded into HarfBuzz once."""

    path: Path
    index: int
    family: str
    bold: bool
    font: hb.Font
    upem: int
    codepoints: frozenset[int]

    def covers(self, char: str) -> bool:
        """Whether the face has a glyph for ``char``."""
        return ord(char) in self.codepoints

    def width(self, text: str, size: float) -> float:
        """The advance of ``text`` shaped in this face at ``size`` pixels."""
        buffer = hb.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        hb.shape(self.font, buffer)
        advance: int = sum(position.x_advance for position in buffer.glyph_positions)
        return advance / self.upem * size


@dataclass(frozen=True)
class Segment:
    """A piece of a run in one face: ``x`` from the run's left edge."""

    text: str
    face: Face
    x: float
    width: float


@dataclass(frozen=True)
class Run:
    """A text laid out in visual order: its segments and its whole width."""

    text: str
    size: float
    segments: tuple[Segment, ...]
    width: float


def _family_of(face: hb.Face) -> str:
    for name_id in (hb.OTNameIdPredefined.TYPOGRAPHIC_FAMILY, hb.OTNameIdPredefined.FONT_FAMILY):
        name = face.get_name(name_id)
        if name:
            return str(name)
    return ""


def _load_face(path: Path, wanted: _Wanted) -> Face | None:
    """The face of ``path`` that ``wanted`` names; None if the file has none (or is no font)."""
    try:
        blob = hb.Blob.from_file_path(str(path))
    except hb.HarfBuzzError:  # unreadable: as good as missing
        return None
    first = hb.Face(blob, 0)
    for index in range(first.count):
        face = first if index == 0 else hb.Face(blob, index)
        family = _family_of(face)
        if face.glyph_count and (wanted.face_family is None or family == wanted.face_family):
            return Face(
                path=path,
                index=index,
                family=family or wanted.family,
                bold=wanted.bold,
                font=hb.Font(face),
                upem=face.upem,
                codepoints=frozenset(face.unicodes),
            )
    return None


def _find(paths: Sequence[Path], names: set[str]) -> dict[str, Path]:
    """The first file of each name in ``paths`` (files, or folders searched below)."""
    found: dict[str, Path] = {}
    for entry in paths:
        if entry.is_file():
            if entry.name in names:
                found.setdefault(entry.name, entry)
            continue
        for folder, folders, files in os.walk(entry):
            folders.sort()  # the same file first on every machine
            for name in sorted(names.intersection(files)):
                found.setdefault(name, Path(folder) / name)
    return found


def _unavailable(missing: Sequence[_Wanted], paths: Sequence[Path]) -> ImagesUnavailable:
    families = ", ".join(dict.fromkeys(f"{w.face_family or w.family} ({w.file})" for w in missing))
    where = ", ".join(str(path) for path in paths)
    return ImagesUnavailable(
        f"the images need fonts that are not in {where}: {families};"
        f" on Debian install them with: apt install {_PACKAGES}"
    )


_LOADED: dict[tuple[Path, ...], Fonts] = {}
_LOADING = threading.Lock()


class Fonts:
    """The font chains the images are measured and drawn with (``Fonts.load``)."""

    def __init__(self, regular: Sequence[Face], bold: Sequence[Face]) -> None:
        self._chains = (tuple(regular), tuple(bold))
        self._run = functools.lru_cache(maxsize=_MEASURED)(self._layout)

    @classmethod
    def load(cls, paths: Sequence[Path]) -> Fonts:
        """The fonts found in ``paths`` (``images.fonts``), loaded once per process.

        Raises :class:`ImagesUnavailable` naming the missing families and the
        Debian packages that hold them.
        """
        key = tuple(Path(path) for path in paths)
        with _LOADING:
            if key not in _LOADED:
                _LOADED[key] = cls._read(key)
            return _LOADED[key]

    @classmethod
    def _read(cls, paths: Sequence[Path]) -> Fonts:
        wanted = (*_REGULAR, *_BOLD)
        found = _find(paths, {w.file for w in wanted})
        faces: dict[_Wanted, Face] = {}
        for want in dict.fromkeys(wanted):
            path = found.get(want.file)
            face = _load_face(path, want) if path is not None else None
            if face is not None:
                faces[want] = face
        missing = [want for want in wanted if want not in faces]
        if missing:
            raise _unavailable(missing, paths)
        return cls([faces[w] for w in _REGULAR], [faces[w] for w in _BOLD])

    @property
    def files(self) -> tuple[Path, ...]:
        """Every font file, for resvg."""
        return tuple(dict.fromkeys(face.path for chain in self._chains for face in chain))

    def files_for(self, families: set[str]) -> tuple[Path, ...]:
        """The font files of ``families`` only: resvg reads every file it is given."""
        return tuple(
            dict.fromkeys(
                face.path for chain in self._chains for face in chain if face.family in families
            )
        )

    def missing(self, text: str) -> str:
        """The characters of ``text`` that no font of the chain has (each once)."""
        chain = self._chains[0]
        lacking = (char for char in text if not any(face.covers(char) for face in chain))
        return "".join(dict.fromkeys(lacking))

    def run(self, text: str, size: float, *, bold: bool = False, rtl: bool = False) -> Run:
        """``text`` laid out at ``size`` pixels, in a line of direction ``rtl`` or not.

        Characters no font has are left out (resvg would draw an empty box).
        """
        return self._run(text, float(size), bold, rtl)

    def fit(
        self, text: str, size: float, width: float, *, bold: bool = False, rtl: bool = False
    ) -> Run:
        """``text`` as :meth:`run`, cut and ended with ``…`` to fit ``width``."""
        whole = self.run(text, size, bold=bold, rtl=rtl)
        if whole.width <= width:
            return whole
        stops = [i for i in range(len(text)) if i and not unicodedata.combining(text[i])]
        low, high = 0, len(stops)  # the longest cut that fits, by bisection
        while low < high:
            middle = (low + high + 1) // 2
            cut = self.run(text[: stops[middle - 1]].rstrip() + ELLIPSIS, size, bold=bold, rtl=rtl)
            if cut.width <= width:
                low = middle
            else:
                high = middle - 1
        kept = text[: stops[low - 1]].rstrip() if low else ""
        return self.run(kept + ELLIPSIS, size, bold=bold, rtl=rtl)

    def _layout(self, text: str, size: float, bold: bool, rtl: bool) -> Run:
        chain = self._chains[1 if bold else 0]
        placed: list[Segment] = []
        x = 0.0
        for piece, piece_rtl in _visual(_directions(text, rtl=rtl), rtl=rtl):
            parts = list(_by_face(piece, chain))
            for part, face in reversed(parts) if piece_rtl else parts:
                for chunk in _chunks(part, rtl=piece_rtl):
                    segment = _segment(chunk, face, size, x)
                    if segment.text:
                        placed.append(segment)
                    x += face.width(chunk, size)
        return Run(text=text, size=size, segments=tuple(placed), width=x)


#: Brackets and quotes a right-to-left run draws mirrored (UAX #9 rule L4).
_MIRRORED: Final = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")


def _chunks(part: str, *, rtl: bool) -> list[str]:
    """``part`` in the pieces to draw, from left to right.

    resvg lays out each ``<text>`` as a left-to-right paragraph, where punctuation
    at the ends of a right-to-left run would move to the wrong end: it is drawn on
    its own, mirrored, beside the letters.
    """
    if not rtl:
        return [part]
    letters = [index for index, char in enumerate(part) if _strong(char) is not None]
    if not letters:
        return [part[::-1].translate(_MIRRORED)]
    first, last = letters[0], letters[-1] + 1
    while last < len(part) and unicodedata.category(part[last])[0] == "M":
        last += 1  # the marks (harakat) on the last letter are drawn with it
    head, core, tail = part[:first], part[first:last], part[last:]
    ends = (tail[::-1].translate(_MIRRORED), core, head[::-1].translate(_MIRRORED))
    return [chunk for chunk in ends if chunk]


def _segment(chunk: str, face: Face, size: float, x: float) -> Segment:
    """``chunk`` without the spaces at its ends, which SVG drops: they are room instead."""
    core = chunk.strip()
    left = chunk[: len(chunk) - len(chunk.lstrip())]
    offset = face.width(left, size) if left else 0.0
    return Segment(core, face, x + offset, face.width(core, size) if core else 0.0)


# -- directions: a text cut into runs of one direction, in visual order ----------------

_RIGHT_TO_LEFT: Final = frozenset({"R", "AL"})
#: Letters written left to right and numbers, which read left to right in any line.
_LEFT_TO_RIGHT: Final = frozenset({"L", "EN", "AN"})


def _strong(char: str) -> bool | None:
    """True for a right-to-left character, False for left-to-right, None for a neutral."""
    kind = unicodedata.bidirectional(char)
    if kind in _RIGHT_TO_LEFT:
        return True
    if kind in _LEFT_TO_RIGHT:
        return False
    return None


def _directions(text: str, *, rtl: bool) -> list[tuple[str, bool]]:
    """``text`` in runs of one direction, in logical order.

    A neutral (space, punctuation, a mark) between two characters of one
    direction takes it; elsewhere it takes the line's (UAX #9 rules N1, N2).
    """
    strong = [_strong(char) for char in text]
    resolved: list[bool] = []
    for index, kind in enumerate(strong):
        if kind is not None:
            resolved.append(kind)
            continue
        before = next((k for k in reversed(strong[:index]) if k is not None), rtl)
        after = next((k for k in strong[index + 1 :] if k is not None), rtl)
        resolved.append(before if before == after else rtl)
    runs: list[tuple[str, bool]] = []
    for char, direction in zip(text, resolved, strict=True):
        if runs and runs[-1][1] == direction:
            runs[-1] = (runs[-1][0] + char, direction)
        else:
            runs.append((char, direction))
    return runs


def _visual(runs: list[tuple[str, bool]], *, rtl: bool) -> list[tuple[str, bool]]:
    """The runs from left to right: a right-to-left line reverses their order."""
    return list(reversed(runs)) if rtl else runs


def _by_face(text: str, chain: Sequence[Face]) -> Iterator[tuple[str, Face]]:
    """``text`` in pieces of one face each; a character no face has is left out."""
    current: Face | None = None
    part = ""
    for char, following in zip(text, _next_letters(text, chain), strict=True):
        face = _face_for(char, chain, current, following)
        if face is None:
            continue
        if face is not current and part and current is not None:
            yield part, current
            part = ""
        current = face
        part += char
    if part and current is not None:
        yield part, current


def _is_letter(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN"


def _next_letters(text: str, chain: Sequence[Face]) -> list[Face | None]:
    """For each character, the face of the next letter or digit after it (None at the end)."""
    following: list[Face | None] = []
    face: Face | None = None
    for char in reversed(text):
        following.append(face)
        if _is_letter(char):
            face = next((f for f in chain if f.covers(char)), face)
    return following[::-1]


def _face_for(
    char: str, chain: Sequence[Face], current: Face | None, following: Face | None
) -> Face | None:
    # A space, a mark or punctuation between letters of one face stays in that face,
    # so that a name is shaped as one run (joined Arabic, spaced Chinese); at the
    # edge of a face it takes the chain's first face that has it.
    if (
        not _is_letter(char)
        and current is not None
        and following in (current, None)
        and current.covers(char)
    ):
        return current
    return next((face for face in chain if face.covers(char)), None)


# -- setting: runs as SVG ----------------------------------------------------------------

#: A baseline sits this many font sizes below the middle of the digits on it.
MIDDLE: Final = 0.36
_WEIGHT: Final = ' font-weight="700"'


def number(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class Piece(Protocol):
    """Something set on a line: a run of words, an icon."""

    @property
    def width(self) -> float:
        """How wide it is, in pixels."""
        ...

    def svg(self, x: float, baseline: float) -> str:
        """It drawn from ``x`` on a line whose baseline is ``baseline``."""
        ...


@dataclass(frozen=True)
class Words:
    """A run of text in one colour: one ``<text>`` per font segment."""

    run: Run
    fill: str

    @property
    def width(self) -> float:
        """The run's width."""
        return self.run.width

    def svg(self, x: float, baseline: float) -> str:
        """The run's segments from ``x``, each saying its measured width and its family."""
        return "".join(
            f'<text x="{number(x + part.x)}" y="{number(baseline)}"'
            f" font-family=\"'{escape(part.face.family)}', sans-serif\""
            f' font-size="{number(self.run.size)}"{_WEIGHT if part.face.bold else ""}'
            f' fill="{self.fill}" textLength="{number(part.width)}"'
            f' lengthAdjust="spacingAndGlyphs">{escape(part.text, quote=False)}</text>'
            for part in self.run.segments
            if part.width > 0
        )


def row(pieces: Sequence[tuple[Piece, float]], start: float, baseline: float, rtl: bool) -> str:
    """Pieces, each after its gap, from ``start``: rightwards, or leftwards if ``rtl``."""
    out, x = [], start
    for piece, gap in pieces:
        if rtl:
            x -= gap + piece.width
            out.append(piece.svg(x, baseline))
        else:
            x += gap
            out.append(piece.svg(x, baseline))
            x += piece.width
    return "".join(out)
