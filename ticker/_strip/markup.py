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

from ticker._models import Attribution, Direction
from ticker._strip.bidi import bare
from ticker._strip.i18n import language_key, phrase
from ticker._wire import RateItem, Strip, WeatherItem

__all__ = ["ARROWS", "render_fragment", "render_frame", "render_sparkline", "render_text"]

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


def _city(item: WeatherItem, lang: str) -> str:
    title = item.condition or (phrase("missing", lang) if item.missing else "")
    return (
        f'<li class="ticker-city{_state(item)}" data-city="{escape(item.city)}"'
        f' title="{escape(title)}">'
        f'<span class="ticker-name">{escape(item.name)}</span> '
        f'<span class="ticker-value" dir="ltr">{escape(bare(item.text))}</span>'
        f"{_mark(item, lang)}</li>"
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
) -> str:
    """The strip as one ``<div class="ticker">`` element.

    ``overflow`` (``hide`` or ``scroll``) is what widget.css does with the rates a
    narrow screen cannot hold.  ``sparklines`` maps a currency code to an inline SVG
    made from numbers alone (:func:`render_sparkline`); it is shown after the rate.
    """
    full = preset == "full"
    lang = language_key(strip.lang) or strip.lang  # the words' language; strip.lang is a tag
    lines = sparklines or {}
    rates = " ".join(
        _rate(item, lang, full=full, sparkline=lines.get(item.code, "")) for item in strip.rates
    )
    cities = " ".join(_city(item, lang) for item in strip.weather)
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
) -> str:
    """A complete HTML page holding the fragment, for an ``<iframe>``; no script at all."""
    fragment = render_fragment(
        strip, preset=preset, theme=theme, overflow=overflow, sparklines=sparklines
    )
    lang = language_key(strip.lang) or strip.lang
    title = f"{phrase('rates', lang)} · {phrase('weather', lang)}"
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(strip.lang)}" dir="{strip.dir}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{escape(stylesheet)}"></head>'
        f'<body class="ticker-frame">{fragment}</body></html>\n'
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
