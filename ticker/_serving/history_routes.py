"""The history's two endpoints: ``/v1/rates/{code}/history`` and ``/v1/audit``.

Both read the history (:mod:`ticker._data.history`) off the event loop and answer
with the wire models; a cache that cannot be read is a 503, as JSON.  The settings
are read from the app's live holder at every request, so a reload that adds a
currency serves its history at once.

Every date and moment a request names is checked against one window before any
arithmetic is done with it: from the oldest the history keeps (``history.retention``
before today, never before 2000-01-01) to a year after today.  Outside it, or
unreadable, it is a 400 naming the parameter -- never an overflow of the date
arithmetic, which a year 1 or 9999 would otherwise reach.  The OpenAPI document
states the window with the retention in force.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web
from multidict import MultiMapping

from ticker._config import LiveSettings, Settings, format_duration
from ticker._data.history import History
from ticker._models import Rate
from ticker._serving.openapi import (
    BAD_REQUEST,
    CACHE_CONTROL,
    NO_STORE,
    Endpoint,
    Parameter,
    Response,
    enum,
    register,
)
from ticker._serving.responses import NO_STORE as NO_STORE_VALUE
from ticker._serving.responses import (
    QueryError,
    bad_query,
    error_answer,
    json_answer,
    refuse_parameters,
    single_value,
)
from ticker._staleness import rates_today
from ticker._wire import AuditAnswer, ErrorBody, HistoryAnswer, HistoryPoint

__all__ = [
    "HISTORY_ENDPOINTS",
    "add_history",
    "audit_moment",
    "date_window",
    "history_range",
    "routes",
]

log = logging.getLogger("ticker.history")

#: The history endpoint's range when none is asked for: the last 30 days, today included.
DEFAULT_DAYS = 30
#: History answers change at most once per refresh: five minutes in shared caches.
HISTORY_CACHE_CONTROL = "public, max-age=300"
#: No date before this is asked of the history, whatever the retention.
EARLIEST_DATE = dt.date(2000, 1, 1)
#: How far past today a date or moment may reach: a range may end in the future (the
#: next day's rates appear the evening before), but not by more than a year.
FUTURE_REACH = dt.timedelta(days=366)
HISTORY_PARAMETERS = ("from", "to")
AUDIT_PARAMETERS = ("at",)
_DATE_FORMAT = "YYYY-MM-DD"
_AT_FORMAT = "ISO 8601 with an offset, e.g. 2026-03-02T10:05:00+05:00"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: RFC 3339's date-time (seconds optional), its offset apart: not every ISO 8601 form
#: that ``fromisoformat`` reads (``20260302T1005Z``, week dates, any separator).
_ISO_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?P<offset>Z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
# An unencoded "+" in a query string arrives as a space: "10:05:00 05:00".
_SPACED_OFFSET = re.compile(r"(T[\d:.]+) (\d{2}(?::?\d{2})?)$")


@dataclass(frozen=True)
class _Context:
    """What the two endpoints need besides the history: the live settings and the clock."""

    live: LiveSettings
    clock: Callable[[], dt.datetime]


#: The history on the app; ``add_history`` puts it there.
HISTORY_KEY = web.AppKey("history", History)
_CONTEXT_KEY = web.AppKey("history-context", _Context)

routes = web.RouteTableDef()


def add_history(
    app: web.Application,
    history: History,
    *,
    live: LiveSettings,
    clock: Callable[[], dt.datetime],
) -> None:
    """Serve ``history`` from ``app``: its two endpoints and :data:`HISTORY_KEY`.

    Call it before the app starts, and before the service's catch-all route: recent
    aiohttp routes by path prefix, older releases try routes in the order added.
    It needs nothing else on the app.
    """
    app[HISTORY_KEY] = history
    app[_CONTEXT_KEY] = _Context(live, clock)
    app.add_routes(routes)
    register(app, *HISTORY_ENDPOINTS)


def _unavailable(request: web.BaseRequest, settings: Settings) -> web.Response:
    log.warning("cannot read the history from the shared cache", exc_info=True)
    return error_answer(
        settings, 503, "unavailable", "the history cannot be read now",
        origin=request.headers.get("Origin"),
    )  # fmt: skip


def _single(query: MultiMapping[str], name: str, allowed: Sequence[str]) -> str | None:
    """The one value of ``name``; unknown or repeated parameters are refused."""
    refuse_parameters(query, allowed)
    return single_value(query, name, parameters=allowed)


def date_window(today: dt.date, retention: dt.timedelta) -> tuple[dt.date, dt.date]:
    """The first and last date a request may name: the oldest kept, to a year after today."""
    try:
        oldest_kept = today - retention
    except OverflowError:  # a retention of millennia keeps everything since 2000
        oldest_kept = EARLIEST_DATE
    return max(EARLIEST_DATE, oldest_kept), today + FUTURE_REACH


def _window_text(retention: dt.timedelta) -> str:
    """The window in words, as the OpenAPI document and the 400s state it."""
    return (
        f"from today minus the history's retention ({format_duration(retention)}),"
        f" never before {EARLIEST_DATE}, to a year after today"
    )


def _outside(name: str, value: object, first: object, last: object, retention: dt.timedelta) -> str:
    """Why a date or moment outside the window is refused, in a 400's words."""
    return (
        f"{name} {value} is outside {first} to {last}: the history keeps"
        f" {format_duration(retention)} (history.retention), never before {EARLIEST_DATE},"
        " and reaches at most a year after today"
    )


def _date_parameter(
    query: MultiMapping[str], name: str, window: tuple[dt.date, dt.date], retention: dt.timedelta
) -> dt.date | None:
    text = _single(query, name, HISTORY_PARAMETERS)
    if text is None:
        return None
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        message = f"{name} {text!r} is not a date {_DATE_FORMAT}"
        raise QueryError(name, message, [_DATE_FORMAT]) from None
    first, last = window
    if not first <= day <= last:
        raise QueryError(name, _outside(name, day, first, last, retention), [f"{first} to {last}"])
    return day


def history_range(
    query: MultiMapping[str], *, today: dt.date, retention: dt.timedelta
) -> tuple[dt.date, dt.date]:
    """``from`` and ``to`` of a history request: by default the last 30 days to today.

    Both lie within :func:`date_window`; a default ``from`` never reaches before it.
    """
    window = date_window(today, retention)
    end = _date_parameter(query, "to", window, retention) or today
    start = _date_parameter(query, "from", window, retention) or max(
        window[0], end - dt.timedelta(days=DEFAULT_DAYS - 1)
    )
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


def audit_moment(
    query: MultiMapping[str], *, now: dt.datetime, retention: dt.timedelta
) -> dt.datetime:
    """The ``at`` of an audit request: required, ISO 8601 with an offset, in the window.

    The window is :func:`date_window`'s, from its first day's start (UTC) to ``now``
    plus a year; the log keeps no older entries.
    """
    text = _single(query, "at", AUDIT_PARAMETERS)
    if text is None:
        raise QueryError("at", "at is required", [_AT_FORMAT])
    moment = _SPACED_OFFSET.sub(r"\1+\2", text.strip()).upper()  # RFC 3339 allows t and z
    form = _ISO_MOMENT.fullmatch(moment)
    try:
        if form is None:
            raise ValueError(moment)
        at = dt.datetime.fromisoformat(moment)
    except ValueError:
        raise QueryError("at", f"at {text!r} is not an ISO 8601 time", [_AT_FORMAT]) from None
    if form["offset"] is None or at.utcoffset() is None:
        raise QueryError("at", f"at {text!r} has no offset such as +05:00 or Z", [_AT_FORMAT])
    first_day, _ = date_window(now.astimezone(dt.UTC).date(), retention)
    first = dt.datetime.combine(first_day, dt.time(), dt.UTC)
    last = now + FUTURE_REACH
    try:
        inside = first <= at.astimezone(dt.UTC) <= last
    except OverflowError:  # 0001-01-01T00:00+05:00 has no UTC time at all
        inside = False
    if not inside:
        first_text, last_text = first.isoformat(), last.astimezone(dt.UTC).isoformat()
        message = _outside("at", repr(text), first_text, last_text, retention)
        raise QueryError("at", message, [f"{first_text} to {last_text}"])
    return at


@routes.get("/v1/rates/{code}/history")
async def get_rate_history(request: web.Request) -> web.Response:
    """The publications of one currency between two dates (default: the last 30 days)."""
    context, history = request.app[_CONTEXT_KEY], request.app[HISTORY_KEY]
    settings = context.live.current
    origin = request.headers.get("Origin")
    code = request.match_info["code"]
    if code not in settings.rates.currencies:
        return error_answer(
            settings, 404, "not_found", f"no such currency: {code}", origin=origin,
            parameter="code", allowed=settings.rates.currencies,
        )  # fmt: skip
    try:
        start, end = history_range(
            request.query,
            today=rates_today(context.clock()),
            retention=settings.history.retention,
        )
    except QueryError as exc:
        return bad_query(settings, exc, origin=origin)
    try:
        rates = await asyncio.to_thread(
            functools.partial(history.rates, code, start, end, base=settings.rates.base)
        )
    except Exception:  # the shared cache is unreachable: say so, as JSON
        return _unavailable(request, settings)
    answer = HistoryAnswer.model_validate(
        {
            "code": code,
            "base": settings.rates.base,
            "from": start,
            "to": end,
            "points": [_point(rate) for rate in rates],
        }
    )
    body = answer.model_dump_json(by_alias=True).encode()
    return json_answer(settings, body, cache_control=HISTORY_CACHE_CONTROL, origin=origin)


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
    settings = context.live.current
    try:
        at = audit_moment(request.query, now=context.clock(), retention=settings.history.retention)
    except QueryError as exc:
        return bad_query(settings, exc, origin=request.headers.get("Origin"))
    try:
        shown = await asyncio.to_thread(history.shown_at, at)
    except Exception:  # the shared cache is unreachable: say so, as JSON
        return _unavailable(request, settings)
    answer = AuditAnswer(at=at, items=list(shown.values()))
    # A moment still to come, or today's, may gain entries: nothing is kept.
    return json_answer(
        settings, answer.model_dump_json().encode(), cache_control=NO_STORE_VALUE,
        origin=request.headers.get("Origin"),
    )  # fmt: skip


#: The answer of either endpoint when the shared cache cannot be read.
UNAVAILABLE = Response("The shared cache cannot be read.", ErrorBody, headers=(NO_STORE,))

#: The OpenAPI description of the two endpoints (see ticker._serving.openapi).
HISTORY_ENDPOINTS = (
    Endpoint(
        "/v1/rates/{code}/history",
        "Every publication of one currency between two dates.",
        {
            200: Response("A point per publication date.", HistoryAnswer, headers=(CACHE_CONTROL,)),
            400: BAD_REQUEST,
            404: Response("Not a configured currency.", ErrorBody, headers=(NO_STORE,)),
            503: UNAVAILABLE,
        },
        (
            Parameter("code", "A configured currency code.", lambda s: enum(s.rates.currencies),
                      required=True, in_="path"),
            Parameter("from", lambda s: "First date, YYYY-MM-DD (default: 30 days before"
                      f" to); dates are served {_window_text(s.history.retention)}, and a"
                      f" range spans at most the retention.",
                      {"type": "string", "format": "date"}),
            Parameter("to", lambda s: "Last date, YYYY-MM-DD (default: today in Astana);"
                      f" dates are served {_window_text(s.history.retention)}.",
                      {"type": "string", "format": "date"}),
        ),
    ),
    Endpoint(
        "/v1/audit",
        "What the strip showed at a moment, with each value's source and fetched time.",
        {
            200: Response("Each shown item at that moment.", AuditAnswer, headers=(NO_STORE,)),
            400: BAD_REQUEST,
            503: UNAVAILABLE,
        },
        (
            Parameter("at", lambda s: "The moment, ISO 8601 with an offset; moments are"
                      f" served {_window_text(s.history.retention)}.",
                      {"type": "string", "format": "date-time"}, required=True),
        ),
    ),
)  # fmt: skip
