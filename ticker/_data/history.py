"""Every publication kept by date, and an append-only log of what the strip showed.

Two records share the deployment's cache, built only on ``CacheBackend.get_many`` and
``CacheBackend.write`` so they work on disk and in Redis alike:

* **History**: one rate per (currency, date) -- the latest value recorded for that
  date -- for ``GET /v1/rates/{code}/history``, the sparklines and ``ticker backfill``
  (:mod:`ticker._data.backfill`).
* **Audit**: per shown item (a rate by code, the weather by city id), an entry each
  time what the strip shows of it changes (text, value, missing, source or fetch
  time), for ``GET /v1/audit?at=...``: what did the strip show at that moment?

Storage layout (keys sit beside ``rate:``, ``held:``, ``weather:``... and collide
with none of them)::

    history:index:{CODE}              JSON list of ISO dates with a publication, ascending
    history:rate:{CODE}:{DATE}        the Rate recorded for DATE, as the model's JSON
    audit:items                       JSON list of "{kind}:{item}" ever audited
    audit:days:{kind}:{item}          JSON list of UTC dates holding entries, ascending
    audit:log:{kind}:{item}:{DATE}    JSON list of AuditItem appended that UTC day

Audit entries are kept in one key per item and day, so an append rewrites a day's
entries, never years of them.  Only the refresh lease holder writes (it records
what its refreshes stored and audits the strips it stamps), so reading an index,
changing it and writing it back races with nobody; each change is one
``write``, so a crash leaves the index and its entries consistent.

Retention (``history.retention``) drops publications dated more than that before
today (or, without a clock, before the newest date recorded), and audit days
older than that before the latest audit -- except the last entry in effect at
the cutoff, which still says what the strip showed afterwards.

Usage::

    history = History(store.backend, settings.history, clock=utc_now)
    history.record(rates)                                   # or HistoryObserver(history)
    history.rates("USD", dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    history.audit_strip(strip, at=stamp.generated_at)
    history.shown_at(dt.datetime.fromisoformat("2026-03-02T10:05:00+05:00"))
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal

from pydantic import TypeAdapter, ValidationError

from ticker._config import HistorySettings
from ticker._data.cache import CacheBackend
from ticker._data.refresh import RefreshObserver
from ticker._models import DataKind, Rate, Weather
from ticker._staleness import rates_today
from ticker._wire import AuditItem, RateItem, Strip, WeatherItem

__all__ = ["History", "HistoryObserver"]

_LOG = TypeAdapter(list[AuditItem])

log = logging.getLogger("ticker.history")


_DATES = TypeAdapter(list[dt.date])
_NAMES = TypeAdapter(list[str])


def _dates(raw: bytes | None) -> list[dt.date]:
    """An index of dates; an unreadable one counts as empty, like any bad cache value."""
    if raw is None:
        return []
    try:
        return sorted(set(_DATES.validate_json(raw)))
    except ValidationError:
        return []


def _dump_dates(dates: Iterable[dt.date]) -> bytes:
    return _DATES.dump_json(sorted(set(dates)))


def _names(raw: bytes | None) -> list[str]:
    if raw is None:
        return []
    try:
        return _NAMES.validate_json(raw)
    except ValidationError:
        return []


def _entries(raw: bytes | None) -> list[AuditItem]:
    if raw is None:
        return []
    try:
        return _LOG.validate_json(raw)
    except ValidationError:
        return []


def _same_publication(a: Rate, b: Rate) -> bool:
    return (a.rate, a.base, a.quant, a.source, a.derived) == (
        b.rate, b.base, b.quant, b.source, b.derived
    )  # fmt: skip


def _index_key(code: str) -> str:
    return f"history:index:{code}"


def _rate_key(code: str, day: dt.date) -> str:
    return f"history:rate:{code}:{day.isoformat()}"


_AUDIT_ITEMS = "audit:items"


def _days_key(name: str) -> str:
    return f"audit:days:{name}"


def _log_key(name: str, day: dt.date) -> str:
    return f"audit:log:{name}:{day.isoformat()}"


def _utc_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


def _require_aware(moment: dt.datetime) -> None:
    if moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone offset")


def _rate_entry(item: RateItem, at: dt.datetime) -> AuditItem:
    return AuditItem(
        item=item.code, kind="rates", text=item.text, value=item.rate, missing=item.missing,
        source=item.source, fetched_at=item.fetched_at, since=at,
    )  # fmt: skip


def _weather_entry(item: WeatherItem, at: dt.datetime) -> AuditItem:
    value = None if item.temperature is None else Decimal(str(item.temperature))
    return AuditItem(
        item=item.city, kind="weather", text=item.text, value=value, missing=item.missing,
        source=item.source, fetched_at=item.fetched_at, since=at,
    )  # fmt: skip


def _audit_prune(days: Sequence[dt.date], cutoff: dt.date) -> tuple[list[dt.date], list[dt.date]]:
    """(kept, dropped) days: those before ``cutoff`` go, but the last of them stays in effect."""
    older = [day for day in days if day < cutoff]
    dropped = older[:-1]
    return [day for day in days if day not in dropped], dropped


def _latest_at(entries: Iterable[AuditItem], at: dt.datetime) -> AuditItem | None:
    """The entry in effect at ``at``: the last one appended with ``since`` at or before it."""
    found = None
    for entry in entries:
        if entry.since <= at and (found is None or entry.since >= found.since):
            found = entry
    return found


class History:
    """Publications by currency and date, and the audit log, in a shared cache."""

    def __init__(
        self,
        backend: CacheBackend,
        settings: HistorySettings,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.clock = clock

    # -- publications -------------------------------------------------------------

    def record(self, rates: Iterable[Rate]) -> int:
        """Keep each rate as its code's publication of its date; returns the entries written.

        The latest rate of a (code, date) wins; recording the same publication
        again writes nothing, so a refresh every hour costs two reads.
        """
        latest: dict[tuple[str, dt.date], Rate] = {}
        for rate in rates:
            latest[rate.code, rate.date] = rate
        if not latest:
            return 0
        codes = sorted({code for code, _ in latest})
        raw = self.backend.get_many([_index_key(code) for code in codes])
        indexes = {code: _dates(raw.get(_index_key(code))) for code in codes}
        known = [_rate_key(code, day) for code, day in latest if day in indexes[code]]
        stored = self.backend.get_many(known)
        items: dict[str, bytes] = {}
        delete: list[str] = []
        for code in codes:
            new = [rate for (c, _), rate in latest.items() if c == code]
            self._record_code(code, indexes[code], new, stored, items, delete)
        if items or delete:
            self.backend.write(items, delete)
        return sum(1 for key in items if key.startswith("history:rate:"))

    def _record_code(
        self,
        code: str,
        index: list[dt.date],
        new: list[Rate],
        stored: Mapping[str, bytes],
        items: dict[str, bytes],
        delete: list[str],
    ) -> None:
        """Add ``new`` to ``items`` and apply retention to ``index``; changes go in the write."""
        newest = max([*index, *(rate.date for rate in new)])
        cutoff = self._cutoff(newest)
        dates = set(index)
        for rate in new:
            if rate.date < cutoff or self._unchanged(stored.get(_rate_key(code, rate.date)), rate):
                continue
            items[_rate_key(code, rate.date)] = rate.model_dump_json().encode()
            dates.add(rate.date)
        kept = {day for day in dates if day >= cutoff}
        delete.extend(_rate_key(code, day) for day in sorted(dates - kept))
        if kept != set(index):
            items[_index_key(code)] = _dump_dates(kept)

    @staticmethod
    def _unchanged(raw: bytes | None, rate: Rate) -> bool:
        if raw is None:
            return False
        try:
            return _same_publication(Rate.model_validate_json(raw), rate)
        except ValidationError:
            return False

    def _cutoff(self, newest: dt.date) -> dt.date:
        """The oldest date kept: retention before today (with a clock) or the newest date."""
        today = rates_today(self.clock()) if self.clock is not None else newest
        return today - self.settings.retention

    def rates(
        self, code: str, start: dt.date, end: dt.date, *, base: str | None = None
    ) -> list[Rate]:
        """The publications of ``code`` dated ``start`` to ``end`` inclusive, in date order.

        With ``base``, only those in that currency: a date recorded before the site's
        base changed counts as absent.
        """
        raw_index = self.backend.get_many([_index_key(code)]).get(_index_key(code))
        days = [day for day in _dates(raw_index) if start <= day <= end]
        raw = self.backend.get_many([_rate_key(code, day) for day in days])
        found = []
        for day in days:
            value = raw.get(_rate_key(code, day))
            if value is None:
                continue
            try:
                rate = Rate.model_validate_json(value)
            except ValidationError:
                continue  # written by an incompatible version: treat as absent
            if base is None or rate.base == base:
                found.append(rate)
        return found

    def series(
        self, codes: Sequence[str], *, today: dt.date, days: int, base: str = "KZT"
    ) -> dict[str, list[Decimal]]:
        """Each code's rates in ``base`` of its last ``days`` publications, oldest first,
        if two or more."""
        start = today - dt.timedelta(days=days - 1)
        found = {}
        for code in codes:
            values = [rate.rate for rate in self.rates(code, start, today, base=base)]
            if len(values) >= 2:
                found[code] = values
        return found

    # -- audit --------------------------------------------------------------------

    def audit_strip(self, strip: Strip, at: dt.datetime) -> int:
        """Append an entry for each item whose shown value changed; returns how many.

        ``at`` is when the strip was published (the stamp's time).  A strip older
        than an item's last entry is not appended: the log only moves forward.
        """
        _require_aware(at)
        shown = [_rate_entry(item, at) for item in strip.rates]
        shown += [_weather_entry(item, at) for item in strip.weather]
        names = [f"{entry.kind}:{entry.item}" for entry in shown]
        raw = self.backend.get_many([_AUDIT_ITEMS, *(_days_key(name) for name in names)])
        registry = _names(raw.get(_AUDIT_ITEMS))
        days = {name: _dates(raw.get(_days_key(name))) for name in names}
        last_keys = [_log_key(name, days[name][-1]) for name in names if days[name]]
        logs = self.backend.get_many(last_keys)
        items: dict[str, bytes] = {}
        delete: list[str] = []
        for name, entry in zip(names, shown, strict=True):
            self._append(name, entry, days[name], logs, items, delete)
        if items and set(names) - set(registry):
            items[_AUDIT_ITEMS] = _NAMES.dump_json([*registry, *sorted(set(names) - set(registry))])
        if items or delete:
            self.backend.write(items, delete)
        return sum(1 for key in items if key.startswith("audit:log:"))

    def _append(
        self,
        name: str,
        entry: AuditItem,
        days: list[dt.date],
        logs: Mapping[str, bytes],
        items: dict[str, bytes],
        delete: list[str],
    ) -> None:
        """Add ``entry`` to its day's log if it shows something new; prune old days."""
        last_day = days[-1] if days else None
        day_log = _entries(logs.get(_log_key(name, last_day))) if last_day else []
        last = day_log[-1] if day_log else None
        if last is not None and (entry.since < last.since or last.shows_same(entry)):
            return
        day = _utc_day(entry.since)
        if last_day is not None and day < last_day:
            return
        if day != last_day:
            day_log = []
        items[_log_key(name, day)] = _LOG.dump_json([*day_log, entry])
        cutoff = _utc_day(entry.since - self.settings.retention)
        kept, dropped = _audit_prune(sorted({*days, day}), cutoff)
        delete.extend(_log_key(name, old) for old in dropped)
        items[_days_key(name)] = _dump_dates(kept)

    def shown_at(self, at: dt.datetime) -> dict[str, AuditItem]:
        """What each audited item showed at ``at``, by code or city id, rates first.

        Codes are upper case and city ids lower case, so the two never collide.
        """
        _require_aware(at)
        names = _names(self.backend.get_many([_AUDIT_ITEMS]).get(_AUDIT_ITEMS))
        raw = self.backend.get_many([_days_key(name) for name in names])
        wanted: dict[str, list[str]] = {}
        for name in names:
            # The day of ``at`` may hold only later entries: its predecessor says what held.
            earlier = [day for day in _dates(raw.get(_days_key(name))) if day <= _utc_day(at)]
            wanted[name] = [_log_key(name, day) for day in earlier[-2:]]
        logs = self.backend.get_many([key for keys in wanted.values() for key in keys])
        found: list[AuditItem] = []
        for name in names:
            entries = [entry for key in wanted[name] for entry in _entries(logs.get(key))]
            latest = _latest_at(entries, at)
            if latest is not None:
                found.append(latest)
        found.sort(key=lambda entry: entry.kind != "rates")
        return {entry.item: entry for entry in found}


class HistoryObserver(RefreshObserver):
    """Records every rate a refresh stored; a failure is logged, never passed on."""

    def __init__(self, history: History) -> None:
        self.history = history

    def stored(self, kind: DataKind, values: Sequence[Rate] | Sequence[Weather]) -> None:
        """Record the rates stored by a refresh (weather is audited from the strip)."""
        if kind != "rates":
            return
        try:
            self.history.record(value for value in values if isinstance(value, Rate))
        except Exception:  # history is a record of the strip; the strip must not depend on it
            log.exception("cannot record the rates in the history")
