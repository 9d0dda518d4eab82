"""The strip as an HTML fragment, for a server-side include or an iframe.

Every string that comes from an upstream or from the settings is escaped here, in
text and in attributes alike; nothing else builds HTML.
"""

from __future__ import annotations

from html import escape

from ticker._models import RateItem, Strip, WeatherItem

__all__ = ["RTL_LANGUAGES", "render_fragment"]

#: Languages written right to left (Kazakh in the Arabic script).
RTL_LANGUAGES = frozenset({"kk-Arab"})


def _mark(item: RateItem | WeatherItem) -> str:
    """A discreet marker on a stale value, its reason in the tooltip."""
    if not item.stale:
        return ""
    return f'<abbr class="ticker-stale-mark" title="{escape(item.reason or "stale")}">*</abbr>'


def _rate(item: RateItem) -> str:
    classes = "ticker-rate"
    if item.missing:
        classes += " ticker-missing"
    elif item.direction is not None:
        classes += f" ticker-{item.direction.value}"
    if item.stale:
        classes += " ticker-stale"
    return (
        f'<li class="{classes}" data-code="{escape(item.code)}">'
        f'<span class="ticker-label">{escape(item.label)}</span> '
        f'<span class="ticker-value">{escape(item.text)}</span>{_mark(item)}</li>'
    )


def _city(item: WeatherItem) -> str:
    classes = "ticker-city"
    if item.missing:
        classes += " ticker-missing"
    if item.stale:
        classes += " ticker-stale"
    return (
        f'<li class="{classes}" data-city="{escape(item.city)}">'
        f'<span class="ticker-name">{escape(item.name)}</span> '
        f'<span class="ticker-value">{escape(item.text)}</span>{_mark(item)}</li>'
    )


def render_fragment(strip: Strip) -> str:
    """The strip as one ``<div class="ticker">`` element."""
    direction = "rtl" if strip.lang in RTL_LANGUAGES else "ltr"
    rates = " ".join(_rate(item) for item in strip.rates)
    cities = " ".join(_city(item) for item in strip.weather)
    return (
        f'<div class="ticker" lang="{escape(strip.lang)}" dir="{direction}" '
        f'data-generated="{strip.generated_at.isoformat()}">'
        f'<ul class="ticker-rates">{rates}</ul>'
        f'<span class="ticker-sep" aria-hidden="true"> · </span>'
        f'<ul class="ticker-weather">{cities}</ul>'
        "</div>\n"
    )
