"""Every served form of the strip, rendered once per version of the cache.

The refresher records a :class:`~ticker._cache.Stamp` (a version and the time it
was made) after it writes.  Each process renders every variant it serves (language
x form: JSON, text, rates, weather, HTML fragment, iframe page) once per stamp, at
the stamp's time, so every process of a fleet produces byte-identical bodies and
the same strong ETags; gzip bodies are made at the same moment.  Handlers then only
pick a variant.

``age`` and ``stale`` in a snapshot are as of its ``generated_at``; the refresher
stamps again whenever one of them would change (:attr:`Snapshot.next_change_at`).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ticker._cache import Stamp, Store
from ticker._config import Settings
from ticker._models import Attribution, Rate, Strip, Weather
from ticker._strip import (
    RATES_ZONE,
    STALE_AFTER_REFRESHES,
    RatesHalf,
    WeatherHalf,
    build_strip,
    rates_text,
    weather_text,
)
from ticker._widget import render_fragment, render_frame, render_text

if TYPE_CHECKING:  # the history module serves HTTP too, and imports the service's helpers
    from ticker._history import History

__all__ = ["FORMS", "Snapshot", "SnapshotHolder", "Variant", "build_snapshot"]

log = logging.getLogger("ticker.snapshot")

#: The forms of the strip, by the name handlers ask for them.
FORMS = ("strip", "strip.txt", "rates", "weather", "widget", "frame")
_TYPES = {
    "strip": "application/json",
    "strip.txt": "text/plain",
    "rates": "application/json",
    "weather": "application/json",
    "widget": "text/html",
    "frame": "text/html",
}
#: Bodies this small are sent as they are: gzip would not pay for its header.
GZIP_FROM_BYTES = 256
#: Brotli's quality: 5 compresses about as fast as gzip 6, and smaller.
BROTLI_QUALITY = 5

try:  # Brotli is optional: pip install 'ticker[brotli]'
    import brotli as _brotli
except ImportError:  # pragma: no cover - exercised where Brotli is absent
    _brotli = None


@dataclass(frozen=True)
class Variant:
    """One served body, with its gzip (and brotli) twins and their strong ETags."""

    body: bytes
    gzipped: bytes | None
    etag: str
    gzip_etag: str
    content_type: str
    brotli: bytes | None = None
    brotli_etag: str = ""

    @classmethod
    def of(cls, body: bytes, content_type: str) -> Variant:
        """A variant of ``body``; gzip at a fixed mtime so every process makes the same bytes."""
        digest = hashlib.sha256(body).hexdigest()[:24]
        small = len(body) < GZIP_FROM_BYTES
        packed = None if small else gzip.compress(body, 6, mtime=0)
        squeezed = (
            None if small or _brotli is None else _brotli.compress(body, quality=BROTLI_QUALITY)
        )
        return cls(
            body, packed, f'"{digest}"', f'"{digest}-gz"', content_type,
            squeezed, f'"{digest}-br"',
        )  # fmt: skip

    @property
    def etags(self) -> tuple[str, ...]:
        """Every ETag this variant is sent with, whatever the encoding."""
        return (self.etag, self.gzip_etag, self.brotli_etag)


class Snapshot:
    """The strip of one stamp, in every language and form."""

    def __init__(
        self,
        settings: Settings,
        stamp: Stamp,
        strips: Mapping[str, Strip],
        next_change_at: dt.datetime | None,
        sparklines: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.stamp = stamp
        self.strips = strips
        self.next_change_at = next_change_at
        self.sparklines = sparklines or {}
        self._variants: dict[tuple[str, str, str], Variant] = {}
        theme = settings.widget.theme
        for lang in strips:
            for form in FORMS:
                self.variant(form, lang, theme)

    def variant(self, form: str, lang: str, theme: str | None = None) -> Variant:
        """The variant of ``form`` in ``lang`` (and ``theme`` for the widget's pages)."""
        key = (form, lang, theme or self.settings.widget.theme)
        found = self._variants.get(key)
        if found is None:
            found = self._variants[key] = self._render(*key)
        return found

    def _render(self, form: str, lang: str, theme: str) -> Variant:
        strip = self.strips[lang]
        preset = self.settings.widget.preset
        text: str
        if form == "strip":
            text = strip.model_dump_json()
        elif form == "strip.txt":
            text = render_text(strip)
        elif form == "rates":
            text = RatesHalf(
                lang=lang, rates=strip.rates, text=rates_text(strip.rates),
                generated_at=strip.generated_at,
            ).model_dump_json()  # fmt: skip
        elif form == "weather":
            text = WeatherHalf(
                lang=lang, weather=strip.weather, text=weather_text(strip.weather),
                generated_at=strip.generated_at,
            ).model_dump_json()  # fmt: skip
        elif form == "widget":
            text = render_fragment(strip, preset=preset, theme=theme, sparklines=self.sparklines)
        else:
            text = render_frame(strip, preset=preset, theme=theme, sparklines=self.sparklines)
        return Variant.of(text.encode(), _TYPES[form])


def build_snapshot(
    settings: Settings,
    store: Store,
    credits: Mapping[str, Attribution],
    *,
    clock: Callable[[], dt.datetime],
    history: History | None = None,
) -> Snapshot:
    """Read the cache once and render the strip in every configured language."""
    stamp = store.stamp() or Stamp(version="unstamped", generated_at=clock())
    codes = settings.rates.currencies
    rates = store.rates(codes)
    weather = store.weather([city.id for city in settings.weather.cities])
    held = store.held_rates(codes)
    now = stamp.generated_at
    strips: dict[str, Strip] = {
        lang: build_strip(
            settings, rates, weather, lang=lang, now=now, held=held, attributions=credits
        )
        for lang in settings.languages
    }
    days = settings.history.sparkline_days
    sparklines = (
        history.sparklines(codes, today=now.astimezone(RATES_ZONE).date(), days=days)
        if history is not None and days
        else {}
    )
    return Snapshot(settings, stamp, strips, next_change(settings, rates, weather, now), sparklines)


def next_change(
    settings: Settings,
    rates: Mapping[str, Rate],
    weather: Mapping[str, Weather],
    now: dt.datetime,
) -> dt.datetime | None:
    """The first moment after ``now`` when an item turns stale, is hidden or changes day."""
    moments: list[dt.datetime] = []
    for values, kind in ((rates.values(), settings.rates), (weather.values(), settings.weather)):
        for value in values:
            moments.append(value.fetched_at + kind.refresh * STALE_AFTER_REFRESHES)
            moments.append(value.fetched_at + kind.max_age)
    moments.extend(pin.until for pin in settings.editorial.pins)  # a pin ends
    zones = {RATES_ZONE, *(city.zone for city in settings.weather.cities)}
    for zone in zones:  # the publication calendar and "today" move at local midnight
        local = now.astimezone(zone)
        midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), zone)
        moments.append(midnight.astimezone(dt.UTC))
    future = [moment for moment in moments if moment > now]
    return min(future) if future else None


class SnapshotHolder:
    """This process's current snapshot, replaced when the shared stamp changes."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        credits: Mapping[str, Attribution],
        clock: Callable[[], dt.datetime],
        *,
        history: History | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.credits = credits
        self.clock = clock
        self.history = history
        self.current = self._build()

    def reconfigure(self, settings: Settings) -> None:
        """Render with new settings from now on, starting at once."""
        self.settings = settings
        self.reload()

    def changed(self) -> bool:
        """Whether the shared stamp differs from the one this process rendered."""
        stamp = self.store.stamp()
        return stamp is not None and stamp != self.current.stamp

    def _build(self) -> Snapshot:
        return build_snapshot(
            self.settings, self.store, self.credits, clock=self.clock, history=self.history
        )

    def reload(self) -> Snapshot:
        """Render the cache's current contents and make them current."""
        snapshot = self._build()
        self.current = snapshot
        log.debug("snapshot %s rendered", snapshot.stamp.version)
        return snapshot
