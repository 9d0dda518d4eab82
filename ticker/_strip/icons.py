"""Weather condition icons: one small SVG picture per WMO 4677 code, by day and by night.

Each picture is drawn here from circles, lines and paths in a 24x24 box, as data
(:data:`_PICTURES`: layers of shapes, each layer one colour role), and written two ways
from that same data: :func:`icon_svg` for HTML, coloured by widget.css through a class
on each layer (a strict CSP forbids inline style, so nothing is styled in the markup),
and :func:`icon_group` for a standalone SVG image that resvg draws without CSS, coloured
by an :class:`IconPalette`.  The two differ only in how a layer's colour is given: in
HTML it paints ``currentColor`` and its class sets ``color``; in an image the palette's
colour is written into its ``fill`` and ``stroke``.  The label, the only text from
outside, is cleaned and bounded (:func:`ticker._text.bounded`) and escaped.

No icon font or third-party icon set: a set would bring its own licence, its own
look and more bytes than the eight or so shapes an icon needs here; drawn from
numbers, an icon stays well under a kilobyte with no font, text or reference in it.
The codes are Open-Meteo's subset of WMO 4677 (https://open-meteo.com/en/docs,
"WMO Weather interpretation codes"), the table of :mod:`ticker._strip.i18n`; any other
code, or none, draws a neutral thermometer.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from html import escape
from typing import Final, Literal

from ticker._text import bounded

__all__ = ["DARK", "LIGHT", "IconPalette", "icon_group", "icon_kind", "icon_svg"]

Role = Literal["sun", "moon", "cloud", "rain", "snow", "bolt", "fog"]

# A CSS colour that is safe in an attribute: #rgb to #rrggbbaa, a keyword, or rgb()/hsl().
_COLOUR: Final = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|(?:rgb|hsl)a?\([0-9.,%/ -]{1,40}\)")


@dataclass(frozen=True)
class IconPalette:
    """Named colours each icon part uses."""

    sun: str
    moon: str
    cloud: str
    rain: str
    snow: str
    bolt: str
    fog: str

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if not isinstance(value, str) or not _COLOUR.fullmatch(value):
                raise ValueError(f"icon palette {field.name}: {value!r} is not a CSS colour")

    def colour(self, role: Role) -> str:
        """The colour of the parts of ``role``."""
        colour: str = getattr(self, role)
        return colour


#: For light backgrounds (the defaults of widget.css's light theme).
LIGHT: Final = IconPalette(
    sun="#f2a900", moon="#6f7fa8", cloud="#a7b1bd", rain="#2d7fd3",
    snow="#4fa8d8", bolt="#f5b700", fog="#8f99a5",
)  # fmt: skip
#: For dark backgrounds (the defaults of widget.css's dark theme).
DARK: Final = IconPalette(
    sun="#ffc233", moon="#f1e3a4", cloud="#c5cdd6", rain="#6cb6ff",
    snow="#e6f2fb", bolt="#ffd43b", fog="#a9b2bd",
)  # fmt: skip


def _n(value: float) -> str:
    """A coordinate with one decimal (1/240 of the box) and no trailing zero."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _point(x: float, y: float) -> str:
    return f"{_n(x)} {_n(y)}"


# --- Shapes -----------------------------------------------------------------------------
# A shape is an element and its attributes, every value a number or a path of numbers.

Shape = tuple[str, tuple[tuple[str, str], ...]]


def _circle(cx: float, cy: float, r: float) -> Shape:
    return ("circle", (("cx", _n(cx)), ("cy", _n(cy)), ("r", _n(r))))


def _path(d: str) -> Shape:
    return ("path", (("d", d),))


def _strokes(*segments: tuple[float, float, float, float]) -> Shape:
    """Line segments (x1, y1, x2, y2) as one path."""
    return _path("".join(f"M{_point(a, b)}l{_point(c - a, d - b)}" for a, b, c, d in segments))


def _rays(cx: float, cy: float, inner: float, outer: float, steps: tuple[int, ...]) -> Shape:
    """A sun's rays between radii ``inner`` and ``outer``, each step 45 degrees clockwise."""
    segments = []
    for step in steps:
        dx, dy = math.cos(step * math.pi / 4), math.sin(step * math.pi / 4)
        segments.append((cx + inner * dx, cy + inner * dy, cx + outer * dx, cy + outer * dy))
    return _strokes(*segments)


Disc = tuple[float, float, float]  # centre x, centre y, radius
Point = tuple[float, float]


def _crossings(a: Disc, b: Disc) -> tuple[Point, Point]:
    """The two points where the rims of discs ``a`` and ``b`` cross, the upper one first."""
    (ax, ay, ar), (bx, by, br) = a, b
    dist = math.hypot(bx - ax, by - ay)
    along = (dist * dist + ar * ar - br * br) / (2 * dist)
    across = math.sqrt(ar * ar - along * along)
    ux, uy = (bx - ax) / dist, (by - ay) / dist
    mx, my = ax + along * ux, ay + along * uy
    first, second = (mx + across * uy, my - across * ux), (mx - across * uy, my + across * ux)
    return (first, second) if first[1] <= second[1] else (second, first)


def _crescent(cx: float, cy: float, r: float) -> Shape:
    """A waxing crescent: the disc at (cx, cy) less a bite out of its upper right."""
    # The bite is a disc of 0.8 r centred 0.55 r up and right; the horns are where the
    # rims cross.  The outer rim runs the long way round through the lower left, the
    # bite's rim back inside the moon.
    bite = (cx + 0.55 * r, cy - 0.55 * r, 0.8 * r)
    upper, lower = _crossings((cx, cy, r), bite)
    return _path(
        f"M{_point(*upper)}A{_n(r)} {_n(r)} 0 1 0 {_point(*lower)}"
        f"A{_n(bite[2])} {_n(bite[2])} 0 0 1 {_point(*upper)}Z"
    )


# The cloud at full size: three discs on a flat base at y 19 (x 2 to 22, y 5.5 to 19).
_CLOUD_DISCS: Final[tuple[Disc, ...]] = ((6, 15, 4), (11, 11, 5.5), (16.5, 13.5, 5.5))
_CLOUD_BASE: Final = 19.0


def _cloud(dx: float, dy: float, scale: float) -> Shape:
    """The cloud scaled by ``scale`` and moved by (dx, dy): arcs over the discs, a flat base."""
    discs = [(dx + scale * x, dy + scale * y, scale * r) for x, y, r in _CLOUD_DISCS]
    base = dy + scale * _CLOUD_BASE
    joins = [_crossings(left, right)[0] for left, right in itertools.pairwise(discs)]
    ends = [(discs[0][0], base), *joins, (discs[-1][0], base)]
    arcs = "".join(
        f"A{_n(disc[2])} {_n(disc[2])} 0 {_large(disc, start, end)} 1 {_point(*end)}"
        for disc, start, end in zip(discs, ends[:-1], ends[1:], strict=True)
    )
    return _path(f"M{_point(*ends[0])}{arcs}Z")


def _large(disc: Disc, start: Point, end: Point) -> int:
    """1 if the clockwise arc of ``disc`` from ``start`` to ``end`` is over half its rim."""
    cx, cy, _ = disc
    turn = math.atan2(end[1] - cy, end[0] - cx) - math.atan2(start[1] - cy, start[0] - cx)
    return 1 if turn % (2 * math.pi) > math.pi else 0


def _drops(*tops: tuple[float, float], length: float = 4.0) -> Shape:
    """Rain: strokes falling a little to the left from each top point."""
    return _strokes(*((x, y, x - length / 3, y + length) for x, y in tops))


def _flakes(*centres: tuple[float, float], r: float = 2.2) -> Shape:
    """Snowflakes: three strokes across each centre, sixty degrees apart."""
    segments = []
    for cx, cy in centres:
        for step in range(3):
            dx, dy = r * math.sin(step * math.pi / 3), r * math.cos(step * math.pi / 3)
            segments.append((cx - dx, cy - dy, cx + dx, cy + dy))
    return _strokes(*segments)


# --- Layers and pictures ----------------------------------------------------------------
# A layer paints its shapes in its role's colour: filled, stroked, or both (a filled
# shape stroked in its own colour, with the lines beside it, as a sun's disc and rays).
# A picture is its layers from back to front.

# Round line ends, set once on the whole picture (stroke-linecap is inherited).
_ROUND: Final = 'stroke-linecap="round"'


@dataclass(frozen=True)
class _Layer:
    role: Role
    shapes: tuple[Shape, ...]
    fill: bool = True
    stroke: float | None = None  # a stroke width, or None for no stroke

    def paint(self, colour: str) -> str:
        """The layer's fill and stroke attributes in ``colour``."""
        fill = f'fill="{colour if self.fill else "none"}"'
        if self.stroke is None:
            return fill
        return f'{fill} stroke="{colour}" stroke-width="{_n(self.stroke)}"'

    def body(self) -> str:
        """The layer's shapes as SVG elements."""
        return "".join(_element(element, attributes) for element, attributes in self.shapes)


def _element(element: str, attributes: tuple[tuple[str, str], ...]) -> str:
    pairs = " ".join(f'{name}="{value}"' for name, value in attributes)
    return f"<{element} {pairs}/>"


def _lines(role: Role, width: float, *shapes: Shape) -> _Layer:
    """Shapes drawn as lines ``width`` wide, not filled."""
    return _Layer(role, shapes, fill=False, stroke=width)


Picture = tuple[_Layer, ...]

# A sun's eight rays from the right clockwise.  A sun behind a cloud has only the rays
# the cloud leaves free: the one pointing down would stick out below it, into the rain.
_ALL_RAYS: Final = tuple(range(8))
_PEEKING: Final = (3, 4, 5, 6, 7)


def _sun(cx: float, cy: float, r: float, steps: tuple[int, ...] = _ALL_RAYS) -> Picture:
    """A disc of radius ``r`` (its 2-wide outline included) and rays 2 to 3.5 beyond it."""
    disc, rays = _circle(cx, cy, r - 1), _rays(cx, cy, r + 2, r + 3.5, steps)
    return (_Layer("sun", (disc, rays), stroke=2),)


def _moon(cx: float, cy: float, r: float) -> Picture:
    return (_Layer("moon", (_crescent(cx, cy, r),)),)


def _sky(
    *, night: bool, cx: float, cy: float, r: float, steps: tuple[int, ...] = _PEEKING
) -> Picture:
    """The sun behind a cloud by day, the moon (larger, it has no rays) by night."""
    return _moon(cx, cy, r * 1.6) if night else _sun(cx, cy, r, steps)


# The cloud over rain or snow: high in the box, leaving the bottom third to what falls.
_RAIN_CLOUD: Final = _Layer("cloud", (_cloud(1.5, -2.2, 0.86),))
_RAIN: Final = _lines("rain", 2, _drops((9, 16.5), (13, 16.5), (17, 16.5)))
_DRIZZLE: Final = _lines(
    "rain", 2, _drops((8.5, 17), (12.5, 17), (16.5, 17), (10.5, 20.5), (14.5, 20.5), length=0.6)
)
_SNOW: Final = _lines("snow", 1.4, _flakes((7.5, 18), (16.5, 18), (12, 21), r=2))
_GRAINS: Final = _Layer(
    "snow", tuple(_circle(x, y, 1.2) for x, y in ((8, 17.5), (12, 18.5), (16, 17.5), (10, 21.5),
                                                   (14, 21.5)))
)  # fmt: skip
_ICE: Final = _lines("snow", 1.4, _flakes((17.5, 19.5), r=2.4))
_BOLT: Final = _Layer("bolt", (_path("M13 11L8 18H11.5L10 23L16.5 15.5H13L14.5 11Z"),))
_HAIL: Final = _Layer("snow", (_circle(7.5, 19.5, 1.4), _circle(17.5, 19.5, 1.4)))
_SHOWER_CLOUD: Final = _Layer("cloud", (_cloud(4, -0.6, 0.8),))


def _showers(fall: _Layer, *, night: bool) -> Picture:
    """The sun or moon behind a cloud, and what falls from it."""
    return (*_sky(night=night, cx=8, cy=8, r=3.2), _SHOWER_CLOUD, fall)


def _pictures(*, night: bool) -> dict[str, Picture]:
    """Every picture of the day (or the night), by kind."""
    time = "night" if night else "day"
    return {
        f"clear-{time}": _moon(12, 12, 8.5) if night else _sun(12, 12, 4.5),
        f"mainly-clear-{time}": (
            *_sky(night=night, cx=10, cy=10, r=4, steps=(0, *_PEEKING)),
            _Layer("cloud", (_cloud(8.6, 7.4, 0.62),)),
        ),
        f"partly-cloudy-{time}": (
            *_sky(night=night, cx=8.5, cy=8.5, r=3.5),
            _Layer("cloud", (_cloud(3.6, 2.3, 0.85),)),
        ),
        "overcast": (_Layer("cloud", (_cloud(0, 0, 1.0),)),),
        "fog": (_lines("fog", 2, _strokes((4, 8, 20, 8), (2.5, 12, 17, 12), (6, 16, 21.5, 16),
                                           (4, 20, 17.5, 20))),),
        "rime-fog": (_lines("fog", 2, _strokes((4, 8, 20, 8), (2.5, 12, 17, 12), (4, 16, 13, 16),
                                                (6, 20, 12, 20))), _ICE),
        "drizzle": (_RAIN_CLOUD, _DRIZZLE),
        "freezing-drizzle": (
            _RAIN_CLOUD, _lines("rain", 2, _drops((7.5, 17), (11.5, 17), (9.5, 20.5), length=0.6)),
            _ICE,
        ),
        "rain": (_RAIN_CLOUD, _RAIN),
        "freezing-rain": (_RAIN_CLOUD, _lines("rain", 2, _drops((8, 16.5), (12, 16.5))), _ICE),
        "snow": (_RAIN_CLOUD, _SNOW),
        "snow-grains": (_RAIN_CLOUD, _GRAINS),
        f"showers-{time}": _showers(_RAIN, night=night),
        f"snow-showers-{time}": _showers(_SNOW, night=night),
        "thunderstorm": (_RAIN_CLOUD, _BOLT),
        "thunderstorm-hail": (_RAIN_CLOUD, _BOLT, _HAIL),
        # No code, or one outside the table: a thermometer, its tube and bulb outlined
        # around the mercury.
        "unknown": (
            _lines("fog", 1.6, _path("M10 14.5V5A2 2 0 0 1 14 5V14.5A4 4 0 1 1 10 14.5Z")),
            _Layer("fog", (_circle(12, 17.5, 1), _strokes((12, 17, 12, 8.5))), stroke=2),
        ),
    }  # fmt: skip


#: Every picture, by kind.
_PICTURES: Final[Mapping[str, Picture]] = {**_pictures(night=False), **_pictures(night=True)}

# The picture of each WMO code, by day and by night (a kind without a sun or moon in it
# is the same at night).  Codes as in ticker._strip.i18n._CONDITIONS.
_KINDS: Final[Mapping[int, tuple[str, str]]] = {
    0: ("clear-day", "clear-night"),  # clear sky
    1: ("mainly-clear-day", "mainly-clear-night"),  # mainly clear
    2: ("partly-cloudy-day", "partly-cloudy-night"),  # partly cloudy
    3: ("overcast", "overcast"),  # overcast
    45: ("fog", "fog"),  # fog
    48: ("rime-fog", "rime-fog"),  # depositing rime fog
    51: ("drizzle", "drizzle"),  # light drizzle
    53: ("drizzle", "drizzle"),  # moderate drizzle
    55: ("drizzle", "drizzle"),  # dense drizzle
    56: ("freezing-drizzle", "freezing-drizzle"),  # light freezing drizzle
    57: ("freezing-drizzle", "freezing-drizzle"),  # dense freezing drizzle
    61: ("rain", "rain"),  # slight rain
    63: ("rain", "rain"),  # moderate rain
    65: ("rain", "rain"),  # heavy rain
    66: ("freezing-rain", "freezing-rain"),  # light freezing rain
    67: ("freezing-rain", "freezing-rain"),  # heavy freezing rain
    71: ("snow", "snow"),  # slight snow fall
    73: ("snow", "snow"),  # moderate snow fall
    75: ("snow", "snow"),  # heavy snow fall
    77: ("snow-grains", "snow-grains"),  # snow grains
    80: ("showers-day", "showers-night"),  # slight rain showers
    81: ("showers-day", "showers-night"),  # moderate rain showers
    82: ("showers-day", "showers-night"),  # violent rain showers
    85: ("snow-showers-day", "snow-showers-night"),  # slight snow showers
    86: ("snow-showers-day", "snow-showers-night"),  # heavy snow showers
    95: ("thunderstorm", "thunderstorm"),  # slight or moderate thunderstorm
    96: ("thunderstorm-hail", "thunderstorm-hail"),  # thunderstorm with slight hail
    99: ("thunderstorm-hail", "thunderstorm-hail"),  # thunderstorm with heavy hail
}
_UNKNOWN: Final = "unknown"


def icon_kind(code: int | None, *, night: bool) -> str:
    """A stable name of the picture: "clear-day", "clear-night", "partly-cloudy-night", "fog"..."""
    kinds = _KINDS.get(code) if isinstance(code, int) and not isinstance(code, bool) else None
    if kinds is None:
        return _UNKNOWN
    return kinds[1] if night else kinds[0]


#: At most this many characters of a label are kept (an icon stays under a kilobyte).
LABEL_LIMIT: Final = 80


def _label(label: str) -> str:
    """``label`` as one line of text, safe in an attribute and in an element."""
    return escape(bounded(label, LABEL_LIMIT), quote=True)


def icon_svg(code: int | None, *, night: bool, label: str, size: int = 16) -> str:
    """A standalone inline <svg> of the condition, named ``label``, coloured by widget.css."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 1024:
        raise ValueError(f"an icon is 1 to 1024 px wide, not {size!r}")
    kind = icon_kind(code, night=night)
    name = _label(label)
    layers = "".join(
        f'<g class="ticker-icon-{layer.role}" {layer.paint("currentColor")}>{layer.body()}</g>'
        for layer in _PICTURES[kind]
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ticker-icon ticker-icon-{kind}" '
        f'width="{size}" height="{size}" viewBox="0 0 24 24" {_ROUND} role="img" '
        f'aria-label="{name}"><title>{name}</title>{layers}</svg>'
    )


def icon_group(
    code: int | None,
    *,
    night: bool,
    x: float,
    y: float,
    size: float,
    palette: IconPalette,
    label: str | None = None,
) -> str:
    """The same picture as an SVG <g> at (x, y), ``size`` wide, in ``palette``'s colours."""
    if not all(math.isfinite(value) for value in (x, y, size)) or size <= 0:
        raise ValueError(f"an icon needs a finite place and a positive size, got {x}, {y}, {size}")
    layers = "".join(
        f"<g {layer.paint(palette.colour(layer.role))}>{layer.body()}</g>"
        for layer in _PICTURES[icon_kind(code, night=night)]
    )
    title = "" if label is None else f"<title>{_label(label)}</title>"
    return (
        f'<g transform="translate({_n(x)} {_n(y)}) scale({size / 24:.4g})" {_ROUND}>'
        f"{title}{layers}</g>"
    )
