"""The strip as HTML: a fragment to include, a page for an iframe, the plain line, sparklines.

Every string that comes from an upstream or from the settings is escaped here, in
text and in attributes alike; nothing outside :mod:`ticker._strip` builds HTML or SVG
(the ``/docs`` page is :mod:`ticker._strip.docs_page`).  Labels, values and changes
are isolated with markup, ``dir="ltr"`` (and ``unicode-bidi: isolate`` in
widget.css), so that ``+18+20℃`` reads the same inside right-to-left Kazakh; the
isolate controls a right-to-left item's text carries for plain text are taken off
here (:func:`~ticker._strip.bidi.bare`), as the W3C advises markup over controls
(https://www.w3.org/International/questions/qa-bidi-unicode-controls).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticker._models import Attribution, Direction
from ticker._strip.bidi import bare
from ticker._strip.i18n import language_key, phrase
from ticker._strip.icons import icon_svg
from ticker._wire import RateItem, Strip, WeatherItem

__all__ = [
    "ARROWS",
    "is_night",
    "render_fragment",
    "render_frame",
    "render_sparkline",
    "render_text",
]

#: Arrows shown before a rate's change against the previous publication.
ARROWS = {Direction.UP: "▲", Direction.DOWN: "▼", Direction.FLAT: "="}


def _mark(item: RateItem | WeatherItem, lang: str) -> str:
    """A discreet marker on a stale value, its reason in the tooltip."""
    if not item.stale:
        return ""
    title = f"{phrase('stale', lang)}: {item.reason or ''}".rstrip(": ")
    return f'<abbr class="ticker-stale-mark" title="{escape(title)}">*</abbr>'


def _state(item: RateItem | WeatherItem) -> str:
    classes = ""
    if item.missing:
        classes += " ticker-missing"
    if item.stale:
        classes += " ticker-stale"
    return classes


def _change(item: RateItem) -> str:
    if item.change_text is None or item.direction is None:
        return ""
    arrow = ARROWS[item.direction]
    return (
        f' <span class="ticker-change" dir="ltr"><span class="ticker-arrow" aria-hidden="true">'
        f"{arrow}</span>{escape(bare(item.change_text))}</span>"
    )


def _rate(item: RateItem, lang: str, *, full: bool, sparkline: str = "") -> str:
    classes = "ticker-rate" + _state(item)
    if item.direction is not None:
        classes += f" ticker-{item.direction.value}"
    title = item.name or item.code
    return (
        f'<li class="{classes}" data-code="{escape(item.code)}" title="{escape(title)}">'
        f'<span class="ticker-label" dir="ltr">{escape(item.label)}</span> '
        f'<span class="ticker-value" dir="ltr">{escape(bare(item.text))}</span>'
        f"{_change(item) if full else ''}{sparkline}{_mark(item, lang)}</li>"
    )


#: Without the upstream's word on it, the night is taken as 20:00 to 06:00 local time.
NIGHT_FROM, DAY_FROM = 20, 6


def is_night(item: WeatherItem) -> bool:
    """Whether a city's condition is drawn as at night: as the upstream says, else by the
    local hour of the observation."""
    if item.is_day is not None:
        return not item.is_day
    if item.observed_at is None:
        return False
    try:
        hour = item.observed_at.astimezone(ZoneInfo(item.timezone)).hour
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return hour >= NIGHT_FROM or hour < DAY_FROM


def _icon(item: WeatherItem) -> str:
    if item.missing or item.condition is None:
        return ""
    return icon_svg(item.code, night=is_night(item), label=item.condition) + " "


def _tomorrow(item: WeatherItem, lang: str) -> str:
    if item.tomorrow is None:
        return ""
    title = item.tomorrow.condition or ""
    return (
        f' <span class="ticker-tomorrow" title="{escape(title)}">'
        f"{escape(phrase('tomorrow', lang))} "
        f'<span class="ticker-value" dir="ltr">{escape(bare(item.tomorrow.text))}</span></span>'
    )


def _city(item: WeatherItem, lang: str, *, icons: bool = False, tomorrow: bool = False) -> str:
    title = item.condition or (phrase("missing", lang) if item.missing else "")
    return (
        f'<li class="ticker-city{_state(item)}" data-city="{escape(item.city)}"'
        f' title="{escape(title)}">'
        f'<span class="ticker-name">{escape(item.name)}</span> '
        f"{_icon(item) if icons else ''}"
        f'<span class="ticker-value" dir="ltr">{escape(bare(item.text))}</span>'
        f"{_mark(item, lang)}{_tomorrow(item, lang) if tomorrow else ''}</li>"
    )


def _credit(credit: Attribution) -> str:
    return (
        f'<a class="ticker-source" href="{escape(credit.url)}" target="_blank"'
        f' rel="noopener noreferrer" title="{escape(credit.text)}"'
        f' aria-label="{escape(credit.text)}">ⓘ</a>'
    )


def render_fragment(
    strip: Strip,
    *,
    preset: str = "full",
    theme: str = "auto",
    overflow: str = "hide",
    sparklines: Mapping[str, str] | None = None,
    icons: bool = False,
    tomorrow: bool = False,
) -> str:
    """The strip as one ``<div class="ticker">`` element.

    ``overflow`` (``hide`` or ``scroll``) is what widget.css does with the rates a
    narrow screen cannot hold.  ``sparklines`` maps a currency code to an inline SVG
    made from numbers alone (:func:`render_sparkline`); it is shown after the rate.
    ``icons`` draws each city's condition (:mod:`ticker._strip.icons`); ``tomorrow``
    adds tomorrow's range where the strip has one ("завтра -5-2℃").
    """
    full = preset == "full"
    lang = language_key(strip.lang) or strip.lang  # the words' language; strip.lang is a tag
    lines = sparklines or {}
    rates = " ".join(
        _rate(item, lang, full=full, sparkline=lines.get(item.code, "")) for item in strip.rates
    )
    cities = " ".join(_city(item, lang, icons=icons, tomorrow=tomorrow) for item in strip.weather)
    credits = "".join(_credit(credit) for credit in strip.sources)
    return (
        f'<div class="ticker" lang="{escape(strip.lang)}" dir="{strip.dir}"'
        f' data-theme="{escape(theme)}" data-overflow="{escape(overflow)}"'
        f' data-generated="{strip.generated_at.isoformat()}">'
        f'<ul class="ticker-rates" aria-label="{escape(phrase("rates", lang))}">{rates}</ul>'
        f'<span class="ticker-sep" aria-hidden="true"> · </span>'
        f'<ul class="ticker-weather" aria-label="{escape(phrase("weather", lang))}">{cities}</ul>'
        f'<span class="ticker-sources" aria-label="{escape(phrase("sources", lang))}">'
        f"{credits}</span></div>\n"
    )


def render_frame(
    strip: Strip,
    *,
    preset: str = "full",
    theme: str = "auto",
    overflow: str = "hide",
    stylesheet: str = "/widget.css",
    sparklines: Mapping[str, str] | None = None,
    icons: bool = False,
    tomorrow: bool = False,
    preview: str | None = None,
) -> str:
    """A complete HTML page holding the fragment, for an ``<iframe>``; no script at all.

    ``preview`` is the URL of the day's card, named as the page's ``og:image`` (and
    Twitter's large image card) for link previews.
    """
    fragment = render_fragment(
        strip, preset=preset, theme=theme, overflow=overflow, sparklines=sparklines,
        icons=icons, tomorrow=tomorrow,
    )  # fmt: skip
    lang = language_key(strip.lang) or strip.lang
    title = f"{phrase('rates', lang)} · {phrase('weather', lang)}"
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(strip.lang)}" dir="{strip.dir}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title>{_preview(preview, title, strip)}"
        f'<link rel="stylesheet" href="{escape(stylesheet)}"></head>'
        f'<body class="ticker-frame">{fragment}</body></html>\n'
    )


#: The isolates and marks of plain right-to-left text; a meta tag's reader lays it out.
_NO_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u2066\u2067\u2068\u2069"))


def _preview(card: str | None, title: str, strip: Strip) -> str:
    """Open Graph and Twitter card tags naming the day's card (1200x630) as the preview."""
    if card is None:
        return ""
    description = strip.text.translate(_NO_BIDI_CONTROLS)
    return (
        f'<meta property="og:title" content="{escape(title)}">'
        f'<meta property="og:description" content="{escape(description)}">'
        f'<meta property="og:image" content="{escape(card)}">'
        '<meta property="og:image:type" content="image/png">'
        '<meta property="og:image:width" content="1200">'
        '<meta property="og:image:height" content="630">'
        f'<meta property="og:image:alt" content="{escape(description)}">'
        '<meta name="twitter:card" content="summary_large_image">'
        f'<meta name="twitter:image" content="{escape(card)}">'
    )


def render_text(strip: Strip) -> str:
    """The strip as one line of plain text, for terminals, bots and SMS (isolated if rtl)."""
    return strip.text + "\n"


# -- sparklines: a rate's last publications as a tiny inline SVG ---------------------


def _number(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def render_sparkline(points: Sequence[Decimal], *, width: int = 60, height: int = 14) -> str:
    """A tiny inline SVG line of ``points`` (oldest first), highest at the top.

    No points draw nothing; one point or a flat series draw a level line across
    the middle.  Only numbers go into the markup.
    """
    if width < 1 or height < 1:
        raise ValueError(f"a sparkline needs a positive size, got {width}x{height}")
    if any(not point.is_finite() for point in points):
        raise ValueError("a sparkline needs finite numbers")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ticker-sparkline" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-hidden="true">'
    )
    if not points:
        return svg + "</svg>"
    coordinates = " ".join(f"{_number(x)},{_number(y)}" for x, y in _line(points, width, height))
    return (
        f'{svg}<polyline points="{coordinates}" fill="none" stroke="currentColor" '
        'stroke-width="1" stroke-linejoin="round" stroke-linecap="round"/></svg>'
    )


def _line(points: Sequence[Decimal], width: int, height: int) -> list[tuple[float, float]]:
    """Coordinates of ``points`` in the box, half a stroke inside its top and bottom."""
    low, high = min(points), max(points)
    if len(points) == 1 or low == high:
        return [(0.0, height / 2), (float(width), height / 2)]
    inset = min(0.5, height / 4)
    span = float(high - low)
    step = width / (len(points) - 1)
    return [
        (index * step, inset + float(high - point) / span * (height - 2 * inset))
        for index, point in enumerate(points)
    ]
