"""Every publication kept by date, and an append-only log of what the strip showed.

Two records share the deployment's cache, built only on ``CacheBackend.get_many`` and
``CacheBackend.write`` so they work on disk and in Redis alike:

* **History**: one rate per (currency, date) -- the latest value recorded for that
  date -- for ``GET /v1/rates/{code}/history``, the sparklines and ``ticker backfill``.
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
    add_history(app, history, settings=settings, clock=utc_now)   # the two endpoints
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, cast

import aiohttp
from aiohttp import web
from multidict import MultiMapping
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ticker._answers import QueryError, error_answer, json_answer
from ticker._cache import CacheBackend
from ticker._config import DataKind, HistorySettings, Settings, format_duration
from ticker._exceptions import ConfigError
from ticker._models import Rate, RateItem, Strip, UtcDatetime, Weather, WeatherItem
from ticker._openapi import (
    BAD_REQUEST,
    CACHE_CONTROL,
    NO_STORE,
    Endpoint,
    ErrorBody,
    Parameter,
    Response,
    enum,
    register,
)
from ticker._refresh import RefreshObserver
from ticker._strip import RATES_ZONE
from ticker.sources import SourceSet

__all__ = [
    "HISTORY_KEY",
    "AuditAnswer",
    "AuditItem",
    "BackfillReport",
    "History",
    "HistoryAnswer",
    "HistoryObserver",
    "HistoryPoint",
    "add_history",
    "audit_moment",
    "backfill",
    "dated_fetch",
    "history_range",
    "rates_today",
    "render_sparkline",
    "routes",
]

log = logging.getLogger("ticker.history")

#: The history endpoint's range when none is asked for: the last 30 days, today included.
DEFAULT_DAYS = 30
#: History answers change at most once per refresh: five minutes in shared caches.
HISTORY_CACHE_CONTROL = "public, max-age=300"
HISTORY_PARAMETERS = ("from", "to")
AUDIT_PARAMETERS = ("at",)
_DATE_FORMAT = "YYYY-MM-DD"
_AT_FORMAT = "ISO 8601 with an offset, e.g. 2026-03-02T10:05:00+05:00"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# An unencoded "+" in a query string arrives as a space: "10:05:00 05:00".
_SPACED_OFFSET = re.compile(r"(T[\d:.]+) (\d{2}(?::?\d{2})?)$")

_DATES = TypeAdapter(list[dt.date])
_NAMES = TypeAdapter(list[str])


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HistoryPoint(_Frozen):
    """One publication of a currency: KZT per unit, as published, and by whom."""

    date: dt.date
    rate: Decimal = Field(description="KZT per ONE unit: published / quant, exact.")
    published: Decimal = Field(description="KZT per `quant` units, the digits as published.")
    quant: int
    source: str


class HistoryAnswer(_Frozen):
    """The publications of one currency between two dates, in date order.

    Serialize with ``by_alias=True``: the start of the range is ``from`` in JSON.
    """

    code: str
    from_: dt.date = Field(alias="from")
    to: dt.date
    points: list[HistoryPoint]


class AuditItem(_Frozen):
    """What the strip showed of one item from ``since`` until the item's next entry."""

    item: str = Field(description="A currency code or a city id.")
    kind: DataKind
    text: str = Field(description='The display value, e.g. "445.99"; "—" when missing.')
    value: Decimal | None = Field(
        default=None, description="KZT per one unit for a rate, °C now for the weather."
    )
    missing: bool = False
    source: str | None = None
    fetched_at: UtcDatetime | None = None
    since: UtcDatetime = Field(description="When the strip started showing this.")

    def shows_same(self, other: AuditItem) -> bool:
        """Whether ``other`` shows what this entry shows (only ``since`` may differ)."""
        return self.model_dump(exclude={"since"}) == other.model_dump(exclude={"since"})


_LOG = TypeAdapter(list[AuditItem])


class AuditAnswer(_Frozen):
    """What every audited item of the strip showed at ``at``; items not yet shown are absent."""

    at: UtcDatetime
    items: list[AuditItem]


def rates_today(now: dt.datetime) -> dt.date:
    """The date at ``now`` in Asia/Almaty, the calendar of the National Bank's rates."""
    return now.astimezone(RATES_ZONE).date()


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
    return (a.rate, a.quant, a.source, a.derived) == (b.rate, b.quant, b.source, b.derived)


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

    def rates(self, code: str, start: dt.date, end: dt.date) -> list[Rate]:
        """The publications of ``code`` dated ``start`` to ``end`` inclusive, in date order."""
        raw_index = self.backend.get_many([_index_key(code)]).get(_index_key(code))
        days = [day for day in _dates(raw_index) if start <= day <= end]
        raw = self.backend.get_many([_rate_key(code, day) for day in days])
        found = []
        for day in days:
            value = raw.get(_rate_key(code, day))
            if value is None:
                continue
            try:
                found.append(Rate.model_validate_json(value))
            except ValidationError:
                continue  # written by an incompatible version: treat as absent
        return found

    def sparklines(self, codes: Sequence[str], *, today: dt.date, days: int) -> dict[str, str]:
        """An inline SVG of each code's last ``days`` publications, for codes with two or more."""
        start = today - dt.timedelta(days=days - 1)
        lines = {}
        for code in codes:
            values = [rate.rate for rate in self.rates(code, start, today)]
            if len(values) >= 2:
                lines[code] = render_sparkline(values)
        return lines

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


# -- backfill ---------------------------------------------------------------------


class DatedFetch(Protocol):
    """A rates adapter's ``fetch`` that can ask for the rates of a past date."""

    def __call__(
        self, session: aiohttp.ClientSession, currencies: Sequence[str], *, on: dt.date
    ) -> Awaitable[list[Rate]]:
        """The rates the upstream published for ``on`` (or the last business day before)."""
        ...


def dated_fetch(sources: SourceSet) -> tuple[str, DatedFetch]:
    """The name and ``fetch`` of the first rates source whose ``fetch`` accepts ``on=``.

    Raises :class:`~ticker.ConfigError` when no configured source can (add ``nbk``).
    """
    for source in sources.rates:
        parameter = inspect.signature(source.fetch).parameters.get("on")
        if parameter is not None and parameter.kind in (
            inspect.Parameter.KEYWORD_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            return source.name, cast(DatedFetch, source.fetch)
    names = ", ".join(source.name for source in sources.rates)
    raise ConfigError(
        "<settings>",
        [("rates.sources", f"no source can fetch a past date ({names}); add nbk")],
    )


@dataclass
class BackfillReport:
    """What a backfill asked, what came back and what failed."""

    source: str
    asked: list[dt.date] = field(default_factory=list)
    published: set[dt.date] = field(default_factory=set)
    stored: int = 0
    failures: list[tuple[dt.date, str]] = field(default_factory=list)

    @property
    def days_asked(self) -> int:
        """How many dates were asked for."""
        return len(self.asked)

    @property
    def failed(self) -> int:
        """How many dates could not be fetched."""
        return len(self.failures)

    def summary(self) -> str:
        """One line for the command's output."""
        return (
            f"{self.source}: {self.days_asked} day(s) asked, {len(self.published)} "
            f"publication date(s), {self.stored} rate(s) stored, {self.failed} failure(s)"
        )


async def backfill(
    settings: Settings,
    sources: SourceSet,
    history: History,
    session: aiohttp.ClientSession,
    *,
    days: int,
    today: dt.date,
    delay: dt.timedelta,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> BackfillReport:
    """Fill the history of the last ``days`` days, oldest first, one request at a time.

    Every date is asked, weekends too: the National Bank answers a day without
    rates with the last business day's, which ``record`` keeps once.  ``delay``
    is waited between two requests.  A failed date is reported, never fatal.
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    name, fetch = dated_fetch(sources)
    report = BackfillReport(source=name)
    currencies = settings.rates.currencies
    for offset in range(days - 1, -1, -1):
        if report.asked:
            await sleep(delay.total_seconds())
        day = today - dt.timedelta(days=offset)
        report.asked.append(day)
        try:
            rates = await fetch(session, currencies, on=day)
        except Exception as exc:  # adapters raise UpstreamError; a broken one must not stop us
            report.failures.append((day, str(exc)))
            log.warning("backfill %s from %s failed: %s", day, name, exc)
            continue
        wanted = [rate for rate in rates if rate.code in currencies]
        report.published.update(rate.date for rate in wanted)
        report.stored += history.record(wanted)
    log.info("backfill: %s", report.summary())
    return report


# -- sparkline --------------------------------------------------------------------


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


# -- HTTP -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What the two endpoints need besides the history: the settings and the clock."""

    settings: Settings
    clock: Callable[[], dt.datetime]


#: The history on the app; ``add_history`` puts it there.
HISTORY_KEY = web.AppKey("history", History)
_CONTEXT_KEY = web.AppKey("history-context", _Context)

routes = web.RouteTableDef()


def add_history(
    app: web.Application,
    history: History,
    *,
    settings: Settings,
    clock: Callable[[], dt.datetime],
) -> None:
    """Serve ``history`` from ``app``: its two endpoints and :data:`HISTORY_KEY`.

    Call it before the app starts, and before the service's catch-all route: recent
    aiohttp routes by path prefix, older releases try routes in the order added.
    It needs nothing else on the app.
    """
    app[HISTORY_KEY] = history
    app[_CONTEXT_KEY] = _Context(settings, clock)
    app.add_routes(routes)
    register(app, *HISTORY_ENDPOINTS)


def _json(
    request: web.BaseRequest, body: bytes, *, status: int, cache_control: str, settings: Settings
) -> web.Response:
    origin = request.headers.get("Origin")
    return json_answer(settings, body, status=status, cache_control=cache_control, origin=origin)


def _error(
    request: web.BaseRequest,
    settings: Settings,
    status: int,
    error: str,
    message: str,
    **extra: object,
) -> web.Response:
    origin = request.headers.get("Origin")
    return error_answer(settings, status, error, message, origin=origin, **extra)


def _bad_request(request: web.BaseRequest, settings: Settings, exc: QueryError) -> web.Response:
    return _error(
        request, settings, 400, "bad_request", exc.message,
        parameter=exc.parameter, allowed=exc.allowed,
    )  # fmt: skip


def _unavailable(request: web.BaseRequest, settings: Settings) -> web.Response:
    log.warning("cannot read the history from the shared cache", exc_info=True)
    return _error(
        request, settings, 503, "unavailable", "the history cannot be read now",
        parameter=None, allowed=[],
    )  # fmt: skip


def _single(query: MultiMapping[str], name: str, allowed: Sequence[str]) -> str | None:
    """The one value of ``name``; unknown or repeated parameters are refused."""
    for given in query:
        if given not in allowed:
            raise QueryError(given, f"unknown parameter {given!r}", allowed)
    values = query.getall(name, [])
    if len(values) > 1:
        raise QueryError(name, f"{name} is given {len(values)} times", allowed)
    return values[0] if values else None


def _date_parameter(query: MultiMapping[str], name: str) -> dt.date | None:
    text = _single(query, name, HISTORY_PARAMETERS)
    if text is None:
        return None
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        message = f"{name} {text!r} is not a date {_DATE_FORMAT}"
        raise QueryError(name, message, [_DATE_FORMAT]) from None


def history_range(
    query: MultiMapping[str], *, today: dt.date, retention: dt.timedelta
) -> tuple[dt.date, dt.date]:
    """``from`` and ``to`` of a history request: by default the last 30 days to today."""
    end = _date_parameter(query, "to") or today
    start = _date_parameter(query, "from") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise QueryError("from", f"from {start} is after to {end}", [f"{end} or earlier"])
    if end - start > retention:
        earliest = end - retention
        raise QueryError(
            "from",
            f"the range is longer than the retention of {format_duration(retention)}",
            [f"{earliest} or later"],
        )
    return start, end


def audit_moment(query: MultiMapping[str]) -> dt.datetime:
    """The ``at`` of an audit request: required, ISO 8601, with an offset."""
    text = _single(query, "at", AUDIT_PARAMETERS)
    if text is None:
        raise QueryError("at", "at is required", [_AT_FORMAT])
    try:
        at = dt.datetime.fromisoformat(_SPACED_OFFSET.sub(r"\1+\2", text.strip()))
    except ValueError:
        raise QueryError("at", f"at {text!r} is not an ISO 8601 time", [_AT_FORMAT]) from None
    if at.utcoffset() is None:
        raise QueryError("at", f"at {text!r} has no offset such as +05:00 or Z", [_AT_FORMAT])
    return at


@routes.get("/v1/rates/{code}/history")
async def get_rate_history(request: web.Request) -> web.Response:
    """The publications of one currency between two dates (default: the last 30 days)."""
    context, history = request.app[_CONTEXT_KEY], request.app[HISTORY_KEY]
    settings = context.settings
    code = request.match_info["code"]
    if code not in settings.rates.currencies:
        return _error(
            request, settings, 404, "not_found", f"no such currency: {code}",
            parameter="code", allowed=settings.rates.currencies,
        )  # fmt: skip
    try:
        start, end = history_range(
            request.query,
            today=rates_today(context.clock()),
            retention=settings.history.retention,
        )
    except QueryError as exc:
        return _bad_request(request, settings, exc)
    try:
        rates = await asyncio.to_thread(history.rates, code, start, end)
    except Exception:  # the shared cache is unreachable: say so, as JSON
        return _unavailable(request, settings)
    answer = HistoryAnswer.model_validate(
        {"code": code, "from": start, "to": end, "points": [_point(rate) for rate in rates]}
    )
    body = answer.model_dump_json(by_alias=True).encode()
    return _json(request, body, status=200, cache_control=HISTORY_CACHE_CONTROL, settings=settings)


def _point(rate: Rate) -> HistoryPoint:
    return HistoryPoint(
        date=rate.date,
        rate=rate.rate,
        published=rate.published,
        quant=rate.quant,
        source=rate.source,
    )


@routes.get("/v1/audit")
async def get_audit(request: web.Request) -> web.Response:
    """What the strip showed at ``at``: each item's entry in effect then."""
    context, history = request.app[_CONTEXT_KEY], request.app[HISTORY_KEY]
    try:
        at = audit_moment(request.query)
    except QueryError as exc:
        return _bad_request(request, context.settings, exc)
    try:
        shown = await asyncio.to_thread(history.shown_at, at)
    except Exception:  # the shared cache is unreachable: say so, as JSON
        return _unavailable(request, context.settings)
    answer = AuditAnswer(at=at, items=list(shown.values()))
    # A moment still to come, or today's, may gain entries: nothing is kept.
    return _json(
        request,
        answer.model_dump_json().encode(),
        status=200,
        cache_control="no-store",
        settings=context.settings,
    )


#: The OpenAPI description of the two endpoints (see ticker._openapi).
HISTORY_ENDPOINTS = (
    Endpoint(
        "/v1/rates/{code}/history",
        "Every publication of one currency between two dates.",
        {
            200: Response("A point per publication date.", HistoryAnswer, headers=(CACHE_CONTROL,)),
            400: BAD_REQUEST,
            404: Response("Not a configured currency.", ErrorBody, headers=(NO_STORE,)),
            503: Response("The shared cache cannot be read.", ErrorBody, headers=(NO_STORE,)),
        },
        (
            Parameter("code", "A configured currency code.", lambda s: enum(s.rates.currencies),
                      required=True, in_="path"),
            Parameter("from", "First date, YYYY-MM-DD (default: 30 days ago).",
                      {"type": "string", "format": "date"}),
            Parameter("to", "Last date, YYYY-MM-DD (default: today in Astana).",
                      {"type": "string", "format": "date"}),
        ),
    ),
    Endpoint(
        "/v1/audit",
        "What the strip showed at a moment, with each value's source and fetched time.",
        {
            200: Response("Each shown item at that moment.", AuditAnswer, headers=(NO_STORE,)),
            400: BAD_REQUEST,
            503: Response("The shared cache cannot be read.", ErrorBody, headers=(NO_STORE,)),
        },
        (
            Parameter("at", "The moment, ISO 8601 with an offset.",
                      {"type": "string", "format": "date-time"}, required=True),
        ),
    ),
)  # fmt: skip
