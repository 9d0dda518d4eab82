"""Every served form of the strip, rendered once per version of the cache.

The refresher records a :class:`~ticker._data.cache.Stamp` (a version and the time
it was made) after it writes.  Each process renders every variant it serves
(language x form of :data:`~ticker._serving.catalogue.FORMS`) once per stamp, at
the stamp's time, so every process of a fleet produces byte-identical bodies and
the same strong ETags; gzip bodies are made at the same moment.  Handlers then only
pick a variant.

``age`` and ``stale`` in a snapshot are as of its ``generated_at``; the refresher
stamps again whenever one of them would change (:attr:`Snapshot.next_change_at`,
from :mod:`ticker._staleness`).  Should no new stamp come (the shared cache cannot
be read, or the leader cannot write), each process renders the values it read last
again at that moment (:meth:`SnapshotHolder.age`): ages and stale marks keep moving
through an outage, and every process still renders the same moment.

Reading the cache is blocking I/O: :meth:`SnapshotHolder.reload` and
:meth:`SnapshotHolder.changed` are called off the event loop.  Until the first
read succeeds, the holder serves a snapshot with every item missing.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ticker._config import LiveSettings, Settings
from ticker._data.cache import Stamp, Store
from ticker._data.history import History
from ticker._languages import language_tag
from ticker._models import Attribution, Rate, Weather
from ticker._serving.catalogue import BY_NAME, DEFAULT_UNITS, FORMS, VariantKey
from ticker._serving.responses import escape_json, etag_of
from ticker._staleness import last_change, next_change, rates_today
from ticker._strip.build import build_strip, in_units, rates_text, weather_text
from ticker._strip.markup import render_fragment, render_frame, render_sparkline, render_text
from ticker._wire import RatesHalf, Strip, WeatherHalf
from ticker.sources import attributions

__all__ = [
    "LAZY_BUDGET",
    "Inputs",
    "Snapshot",
    "SnapshotHolder",
    "Unrenderable",
    "Variant",
    "audit_snapshot",
    "build_snapshot",
    "read_inputs",
    "render_image",
    "render_inputs",
    "render_snapshot",
    "strip_from_store",
]

log = logging.getLogger("ticker.snapshot")

#: The version of the snapshot served before the cache could be read.
UNREAD = "unread"
#: The version of a snapshot of a cache no refresh has stamped yet.
UNSTAMPED = "unstamped"

#: Bodies this small are sent as they are: gzip would not pay for its header.
GZIP_FROM_BYTES = 256
#: Brotli's quality: 5 compresses about as fast as gzip 6, and smaller.
BROTLI_QUALITY = 5

try:  # Brotli is optional: pip install 'ticker-strip[brotli]'
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
        small = len(body) < GZIP_FROM_BYTES
        packed = None if small else gzip.compress(body, 6, mtime=0)
        squeezed = (
            None if small or _brotli is None else _brotli.compress(body, quality=BROTLI_QUALITY)
        )
        return cls(
            body, packed, etag_of(body), etag_of(body, "-gz"), content_type,
            squeezed, etag_of(body, "-br"),
        )  # fmt: skip

    @property
    def etags(self) -> tuple[str, ...]:
        """Every ETag this variant is sent with, whatever the encoding."""
        return (self.etag, self.gzip_etag, self.brotli_etag)


def _incomplete(strips: Mapping[str, Strip]) -> bool:
    """Whether some configured item has no value to show (missing or hidden)."""
    strip = next(iter(strips.values()), None)
    return strip is not None and (
        any(item.missing for item in strip.rates) or any(w.missing for w in strip.weather)
    )


class Unrenderable(Exception):
    """A lazy variant (an image) that cannot be made now; answered with a 503."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


#: Lazy variants (images) one snapshot renders and keeps at most: a site asks for a few
#: sizes; a client asking for every width of every language gets 503s, not a busy CPU.
LAZY_BUDGET = 64


def _day(strip: Strip) -> dt.date:
    """The day a card is for: the newest date of the rates shown, else today in Almaty."""
    dates = [item.date for item in strip.rates if item.date is not None and not item.missing]
    return max(dates) if dates else rates_today(strip.generated_at)


class Snapshot:
    """The strip of one stamp, in every language and form."""

    def __init__(
        self,
        settings: Settings,
        stamp: Stamp,
        strips: Mapping[str, Strip],
        next_change_at: dt.datetime | None,
        sparklines: Mapping[str, str] | None = None,
        *,
        rendered: Mapping[VariantKey, Variant] | None = None,
        incomplete: bool | None = None,
        eager: bool = True,
        rendered_at: dt.datetime | None = None,
    ) -> None:
        self.settings = settings
        self.stamp = stamp
        #: The moment ages and stale marks are as of: the stamp's, or a later change's.
        self.rendered_at = rendered_at or stamp.generated_at
        self.strips = strips
        self.next_change_at = next_change_at
        self.sparklines = sparklines or {}
        self._variants: dict[VariantKey, Variant] = dict(rendered or {})
        self._in_units: dict[tuple[str, str], Strip] = {}
        self._lazy = sum(1 for key in self._variants if BY_NAME[key.form].lazy)
        #: The variants answers were prepared from: what the next snapshot renders first.
        self.served: set[VariantKey] = set()
        self.incomplete = _incomplete(strips) if incomplete is None else incomplete
        if rendered is None and eager:
            for lang in strips:
                for form in FORMS:
                    if not form.lazy:
                        self.variant(self.key(form.name, lang))

    @property
    def variants(self) -> Mapping[VariantKey, Variant]:
        """Every variant rendered so far, by key."""
        return self._variants

    def key(self, form: str, lang: str) -> VariantKey:
        """The key of ``form`` in ``lang`` as asked for with no other parameter."""
        return VariantKey(form, lang, self.settings.widget.theme, DEFAULT_UNITS,
                          BY_NAME[form].default_size)  # fmt: skip

    def render(self, keys: Iterable[VariantKey]) -> None:
        """Render these variants now (those of languages not shown are skipped).

        A lazy variant that cannot be made (no fonts, the budget spent) is left out.
        """
        for key in keys:
            if key.lang in self.strips and key.form in BY_NAME and key not in self._variants:
                try:
                    self.variant(key, count=False)
                except Unrenderable as exc:
                    log.debug("%s not rendered: %s", key, exc)

    def defaults(self) -> set[VariantKey]:
        """Every eager form in the default language and theme: rendered whatever was served."""
        lang = self.settings.default_language
        return {self.key(form.name, lang) for form in FORMS if not form.lazy}

    def variant(self, key: VariantKey, *, count: bool = True) -> Variant:
        """The variant named by ``key``, rendered now if it was not (raises
        :class:`Unrenderable` for an image that cannot be made)."""
        if count:
            self.served.add(key)
        found = self._variants.get(key)
        if found is None:
            self.admit(key)
            found = self.keep(key, self._render(key))
        return found

    def admit(self, key: VariantKey, *, pending: int = 0) -> None:
        """Raise :class:`Unrenderable` if ``key`` is a new image past the snapshot's budget
        (``pending``: the other images being drawn for it)."""
        lazy = BY_NAME[key.form].lazy
        if key in self._variants or not lazy or self._lazy + pending < LAZY_BUDGET:
            return
        self.served.discard(key)
        raise Unrenderable(
            f"too many distinct images were asked for since the last refresh ({LAZY_BUDGET});"
            " this one can be asked for again after the next",
            retry_after=60,
        )

    def keep(self, key: VariantKey, variant: Variant) -> Variant:
        """Keep ``variant`` (rendered elsewhere: a child process) as this snapshot's ``key``."""
        found = self._variants.setdefault(key, variant)
        if found is variant:
            self._lazy += BY_NAME[key.form].lazy
        return found

    def strip(self, lang: str, units: str = DEFAULT_UNITS) -> Strip:
        """The strip in ``lang`` with temperatures in ``units``."""
        if units == DEFAULT_UNITS:
            return self.strips[lang]
        found = self._in_units.get((lang, units))
        if found is None:
            locale_numbers = self.settings.widget.numbers == "locale"
            found = in_units(self.strips[lang], units, locale_numbers=locale_numbers)
            self._in_units[(lang, units)] = found
        return found

    def _render(self, key: VariantKey) -> Variant:
        form = BY_NAME[key.form]
        if form.lazy:
            return render_image(self.settings, self.strip(key.lang, key.units), key)
        strip = self.strip(key.lang, key.units)
        widget = self.settings.widget
        preset, overflow, theme = widget.preset, widget.overflow, key.theme
        text: str
        if form.name == "strip":
            text = strip.model_dump_json()
        elif form.name == "strip.txt":
            text = render_text(strip)
        elif form.name == "rates":
            text = RatesHalf(
                lang=strip.lang, rates=strip.rates, text=rates_text(strip.rates, key.lang),
                generated_at=strip.generated_at,
            ).model_dump_json()  # fmt: skip
        elif form.name == "weather":
            text = WeatherHalf(
                lang=strip.lang, weather=strip.weather, unit=strip.unit,
                text=weather_text(strip.weather, key.lang), generated_at=strip.generated_at,
            ).model_dump_json()  # fmt: skip
        else:
            options = _page_options(self.settings, key)
            render = render_fragment if form.name == "widget" else render_frame
            text = render(
                strip, preset=preset, theme=theme, overflow=overflow,
                sparklines=self.sparklines, **options,
            )  # fmt: skip
        body = text.encode()
        if form.media_type == "application/json":
            body = escape_json(body)  # <, > and & as \u003c...: as every JSON body
        return Variant.of(body, form.media_type)


def _page_options(settings: Settings, key: VariantKey) -> dict[str, Any]:
    """What the widget's pages show besides the strip: icons, tomorrow, the frame's card."""
    options: dict[str, Any] = {
        "icons": settings.widget.icons,
        "tomorrow": settings.widget.tomorrow and settings.weather.forecast_days == 2,
    }
    if key.form == "frame":
        query = f"lang={language_tag(key.lang)}"
        if key.theme != settings.widget.theme:
            query += f"&theme={key.theme}"
        if key.units != DEFAULT_UNITS:
            query += f"&units={key.units}"
        base = str(settings.server.public_url or "/").rstrip("/")
        options["preview"] = f"{base}/v1/card.png?{query}"
    return options


def render_image(settings: Settings, strip: Strip, key: VariantKey) -> Variant:
    """The image variant ``key`` of ``strip`` (in the key's units): the same bytes in every
    process.  Raises :class:`Unrenderable` when the fonts cannot be found.

    resvg holds the GIL while it draws (up to ~80 ms for a card): ``ticker serve`` calls
    this in its rendering process, never on the serving loop.
    """
    return Variant.of(_image(settings, strip, key), BY_NAME[key.form].media_type)


def _image(settings: Settings, strip: Strip, key: VariantKey) -> bytes:
    """The bytes of an image (imported here: only a process that draws images pays for
    loading HarfBuzz, resvg and the fonts)."""
    from ticker._strip import images

    try:
        fonts = images.Fonts.load(tuple(settings.images.fonts))
        if key.form.startswith("strip."):
            svg = images.strip_svg(
                strip, fonts=fonts, theme=key.theme, width=int(key.size),
                icons=settings.widget.icons,
            )  # fmt: skip
        else:
            svg = images.card_svg(strip, fonts=fonts, day=_day(strip), theme=key.theme,
                                  size=key.size)  # fmt: skip
        if key.form.endswith(".svg"):
            return svg.encode()
        return images.svg_to_png(svg, fonts=fonts, scale=2.0 if key.form == "strip.png" else 1.0)
    except images.ImagesUnavailable as exc:
        raise Unrenderable(str(exc)) from exc


def render_snapshot(
    settings: Settings,
    stamp: Stamp,
    rates: Mapping[str, Rate],
    weather: Mapping[str, Weather],
    *,
    held: Mapping[str, Rate] | None = None,
    credits: Mapping[str, Attribution] | None = None,
    sparklines: Mapping[str, str] | None = None,
    eager: bool = True,
    at: dt.datetime | None = None,
) -> Snapshot:
    """Render the strip of these values at the stamp's time (or ``at``), in every language.

    ``eager`` renders every form in the configured theme at once; without it, each
    variant is rendered when first asked for.
    """
    now = at or stamp.generated_at
    strips: dict[str, Strip] = {
        lang: build_strip(
            settings, rates, weather, lang=lang, now=now, held=held, attributions=credits
        )
        for lang in settings.languages
    }
    moment = next_change(settings, rates, weather, now)
    return Snapshot(settings, stamp, strips, moment, sparklines, eager=eager, rendered_at=now)


@dataclass(frozen=True)
class Inputs:
    """What a snapshot is rendered from: the cache's contents at one stamp."""

    stamp: Stamp
    rates: Mapping[str, Rate] = field(default_factory=dict)
    weather: Mapping[str, Weather] = field(default_factory=dict)
    held: Mapping[str, Rate] = field(default_factory=dict)
    sparklines: Mapping[str, str] = field(default_factory=dict)

    def last_change(
        self, settings: Settings, since: dt.datetime, now: dt.datetime
    ) -> dt.datetime | None:
        """The last moment after ``since`` and by ``now`` when these values' strip changed."""
        return last_change(settings, self.rates, self.weather, since, now)


def read_inputs(
    settings: Settings,
    store: Store,
    *,
    clock: Callable[[], dt.datetime],
    history: History | None = None,
) -> Inputs:
    """Read what the strip shows from the cache, once (blocking)."""
    stamp = store.stamp() or Stamp(version=UNSTAMPED, generated_at=clock())
    codes, base = settings.rates.currencies, settings.rates.base
    rates = store.rates(codes, base=base)
    weather = store.weather([city.id for city in settings.weather.cities])
    held = store.held_rates(codes, base=base)
    days = settings.history.sparkline_days
    series = (
        history.series(codes, today=rates_today(stamp.generated_at), days=days, base=base)
        if history is not None and days
        else {}
    )
    sparklines = {code: render_sparkline(values) for code, values in series.items()}
    return Inputs(stamp, rates, weather, held, sparklines)


def render_inputs(
    settings: Settings,
    inputs: Inputs,
    credits: Mapping[str, Attribution],
    *,
    eager: bool = True,
    at: dt.datetime | None = None,
) -> Snapshot:
    """The snapshot of ``inputs`` at their stamp's time, or at ``at`` (a later change)."""
    return render_snapshot(
        settings, inputs.stamp, inputs.rates, inputs.weather, held=inputs.held,
        credits=credits, sparklines=inputs.sparklines, eager=eager, at=at,
    )  # fmt: skip


def build_snapshot(
    settings: Settings,
    store: Store,
    credits: Mapping[str, Attribution],
    *,
    clock: Callable[[], dt.datetime],
    history: History | None = None,
    eager: bool = True,
) -> Snapshot:
    """Read the cache once and render the strip in every configured language (blocking)."""
    inputs = read_inputs(settings, store, clock=clock, history=history)
    return render_inputs(settings, inputs, credits, eager=eager)


def audit_snapshot(history: History, snapshot: Snapshot) -> None:
    """Append what a stamped snapshot shows to the audit log; a failure is only logged.

    Only the refresh leader calls it, so the log has one writer.
    """
    if snapshot.stamp.version in (UNREAD, UNSTAMPED):
        return  # shown at no stamp's time: nothing the fleet published
    strip = snapshot.strips[snapshot.settings.default_language]
    try:
        history.audit_strip(strip, snapshot.stamp.generated_at)
    except Exception:  # the audit must never stop the serving
        log.exception("cannot append to the audit log")


def strip_from_store(
    settings: Settings,
    store: Store,
    *,
    lang: str,
    now: dt.datetime,
    credits: Mapping[str, Attribution] | None = None,
) -> Strip:
    """The whole strip in ``lang`` from what ``store`` holds at ``now`` (blocking)."""
    codes, base = settings.rates.currencies, settings.rates.base
    return build_strip(
        settings,
        store.rates(codes, base=base),
        store.weather([city.id for city in settings.weather.cities]),
        lang=lang,
        now=now,
        held=store.held_rates(codes, base=base),
        attributions=credits,
    )


class SnapshotHolder:
    """This process's current snapshot, replaced when the shared stamp changes.

    Built without I/O: it starts with every item missing (version ``unread``),
    and :meth:`reload` (off the event loop) reads the cache.  ``on_rendered``
    hears of every snapshot rendered from the cache, in the rendering thread.
    """

    def __init__(
        self,
        live: LiveSettings,
        store: Store,
        clock: Callable[[], dt.datetime],
        *,
        history: History | None = None,
        on_rendered: Callable[[Snapshot], None] | None = None,
    ) -> None:
        self.live = live
        self.store = store
        self.clock = clock
        self.history = history
        self.on_rendered = on_rendered
        self.credits = attributions(live.current)
        self.current = self.unread()
        #: What the current snapshot was rendered from, when rendered in this process.
        self.inputs: Inputs | None = None
        #: Why the shared cache cannot be read now (for /readyz), or None.
        self.problem: str | None = None
        live.subscribe(self._reconfigure)

    def unread(self) -> Snapshot:
        """A snapshot of the settings in force with nothing read yet: every item missing."""
        stamp = Stamp(version=UNREAD, generated_at=self.clock())
        return render_snapshot(self.live.current, stamp, {}, {}, credits=self.credits)

    @property
    def read(self) -> bool:
        """Whether the current snapshot was read from the cache."""
        return self.current.stamp.version != UNREAD

    def _reconfigure(self, settings: Settings) -> None:
        """New settings: new credits; the next :meth:`reload` renders with them."""
        self.credits = attributions(settings)

    def changed(self) -> bool:
        """Whether the shared stamp differs from the one this process rendered (blocking)."""
        if not self.read or self.current.settings is not self.live.current:
            return True
        stamp = self.store.stamp()
        return stamp is not None and stamp != self.current.stamp

    def install(self, snapshot: Snapshot) -> None:
        """Serve ``snapshot`` (rendered elsewhere, in a child process) from now on."""
        self.current, self.inputs = snapshot, None
        log.debug("snapshot %s installed", snapshot.stamp.version)

    def reload(self) -> Snapshot:
        """Render the cache's current contents and make them current (blocking)."""
        settings = self.live.current
        inputs = read_inputs(settings, self.store, clock=self.clock, history=self.history)
        snapshot = render_inputs(settings, inputs, self.credits)
        snapshot.render(self.current.served)  # the images asked for before, off the loop too
        self.current, self.inputs = snapshot, inputs
        log.debug("snapshot %s rendered", snapshot.stamp.version)
        if self.on_rendered is not None:
            self.on_rendered(snapshot)
        return snapshot

    def age(self, now: dt.datetime) -> Snapshot | None:
        """Render the values read last again as of their last change by ``now`` (blocking).

        No I/O: what a reader sees moves on (stale marks, ages, the day) while no new
        stamp comes.  None when nothing changed or nothing was read in this process.
        """
        inputs, current = self.inputs, self.current
        if inputs is None or current.stamp != inputs.stamp:
            return None  # the current snapshot was rendered elsewhere
        settings = self.live.current
        at = inputs.last_change(settings, current.rendered_at, now)
        if at is None:
            return None
        snapshot = render_inputs(settings, inputs, self.credits, at=at)
        snapshot.render(current.served)
        self.current = snapshot
        log.debug("snapshot %s rendered again as of %s", snapshot.stamp.version, at)
        return snapshot
