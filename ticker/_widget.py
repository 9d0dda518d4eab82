"""The strip as HTML: a fragment to include, a page for an iframe, and the plain line.

Every string that comes from an upstream or from the settings is escaped here, in
text and in attributes alike; nothing else builds HTML.  Numbers are wrapped with
``dir="ltr"`` so that ``+18+20℃`` reads the same inside right-to-left Kazakh.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from ticker._i18n import phrase
from ticker._models import Attribution, Direction, RateItem, Strip, WeatherItem

__all__ = ["ARROWS", "render_fragment", "render_frame", "render_text"]

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
        f"{arrow}</span>{escape(item.change_text)}</span>"
    )


def _rate(item: RateItem, lang: str, *, full: bool, sparkline: str = "") -> str:
    classes = "ticker-rate" + _state(item)
    if item.direction is not None:
        classes += f" ticker-{item.direction.value}"
    title = item.name or item.code
    return (
        f'<li class="{classes}" data-code="{escape(item.code)}" title="{escape(title)}">'
        f'<span class="ticker-label" dir="ltr">{escape(item.label)}</span> '
        f'<span class="ticker-value" dir="ltr">{escape(item.text)}</span>'
        f"{_change(item) if full else ''}{sparkline}{_mark(item, lang)}</li>"
    )


def _city(item: WeatherItem, lang: str) -> str:
    title = item.condition or (phrase("missing", lang) if item.missing else "")
    return (
        f'<li class="ticker-city{_state(item)}" data-city="{escape(item.city)}"'
        f' title="{escape(title)}">'
        f'<span class="ticker-name">{escape(item.name)}</span> '
        f'<span class="ticker-value" dir="ltr">{escape(item.text)}</span>{_mark(item, lang)}</li>'
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
    sparklines: Mapping[str, str] | None = None,
) -> str:
    """The strip as one ``<div class="ticker">`` element.

    ``sparklines`` maps a currency code to an inline SVG made from numbers alone
    (``ticker._history.render_sparkline``); it is shown after the rate.
    """
    full = preset == "full"
    lang = strip.lang
    lines = sparklines or {}
    rates = " ".join(
        _rate(item, lang, full=full, sparkline=lines.get(item.code, "")) for item in strip.rates
    )
    cities = " ".join(_city(item, lang) for item in strip.weather)
    credits = "".join(_credit(credit) for credit in strip.sources)
    return (
        f'<div class="ticker" lang="{escape(lang)}" dir="{strip.dir}" data-theme="{escape(theme)}"'
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
    stylesheet: str = "/widget.css",
    sparklines: Mapping[str, str] | None = None,
) -> str:
    """A complete HTML page holding the fragment, for an ``<iframe>``; no script at all."""
    title = f"{phrase('rates', strip.lang)} · {phrase('weather', strip.lang)}"
    return (
        "<!doctype html>\n"
        f'<html lang="{escape(strip.lang)}" dir="{strip.dir}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{escape(stylesheet)}"></head>'
        f'<body class="ticker-frame">'
        f"{render_fragment(strip, preset=preset, theme=theme, sparklines=sparklines)}"
        "</body></html>\n"
    )


def render_text(strip: Strip) -> str:
    """The strip as one line of plain text, for terminals, bots and SMS."""
    return strip.text + "\n"
