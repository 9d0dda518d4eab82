"""``GET /v1/convert``: an amount of one currency in another, through the site's base.

``/v1/convert?from=USD&to=KZT&amount=100`` answers a :class:`~ticker._wire.Conversion`
with the figures the strip shows now: the snapshot's rates, editors' pins included,
hidden codes left out (:func:`shown_rates`), so the answer needs no read of the
cache.  With ``date=YYYY-MM-DD`` it uses the publications of that date from the
history instead, read off the event loop (:func:`dated_rates`).  The arithmetic is
:func:`ticker._rates.convert`'s: a pair is crossed through ``rates.base``.

The query is read once, strictly (:func:`convert_query`): every refusal is a 400
naming the parameter and what it takes.  A currency of the pair with no rate to
show now is a 503 saying which and why (the strip's reason), never a 500.  The
command's ``ticker convert`` reads the cache itself with the same functions.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from aiohttp import web
from multidict import MultiMapping

from ticker._config import Settings, format_duration
from ticker._data.history import History
from ticker._models import EARLIEST_DATE, Rate
from ticker._rates import AMOUNT_PATTERN, MAX_AMOUNT_DIGITS, convert, parse_amount
from ticker._serving.answers import cache_control
from ticker._serving.history_routes import HISTORY_CACHE_CONTROL, HISTORY_KEY, date_window
from ticker._serving.openapi import (
    BAD_REQUEST,
    CACHE_CONTROL,
    ETAG,
    IF_NONE_MATCH,
    NO_STORE,
    NOT_MODIFIED,
    Endpoint,
    Parameter,
    Response,
    any_case_enum,
    register,
)
from ticker._serving.responses import (
    QueryError,
    bad_query,
    conditional,
    error_answer,
    escape_json,
    etag_of,
    refuse_parameters,
    security_headers,
    single_value,
)
from ticker._serving.routes import CLOCK_KEY, LIVE_KEY, SNAPSHOTS_KEY
from ticker._staleness import rates_today
from ticker._wire import Conversion, ErrorBody, Strip

__all__ = [
    "CONVERT_ENDPOINTS",
    "CONVERT_PARAMETERS",
    "ConvertQuery",
    "NoRate",
    "Shown",
    "add_convert",
    "conversion",
    "convert_query",
    "convertible",
    "dated_rates",
    "routes",
    "shown_rates",
]

log = logging.getLogger("ticker.convert")

CONVERT_PARAMETERS = ("from", "to", "amount", "date")
#: A date without a publication lists those this many days around it.
NEARBY = dt.timedelta(days=14)
_AMOUNT_FORM = f"a decimal number such as 100 or 12.50, at most {MAX_AMOUNT_DIGITS} digits"
_DATE_FORMAT = "YYYY-MM-DD"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RATE_FIELDS: set[str] = set(Rate.model_fields)

routes = web.RouteTableDef()


def add_convert(app: web.Application) -> None:
    """Serve ``GET /v1/convert`` from ``app``, before the service's catch-all route."""
    app.add_routes(routes)
    register(app, *CONVERT_ENDPOINTS)


def convertible(settings: Settings) -> list[str]:
    """The codes a conversion takes: the base, then every currency the strip shows."""
    hidden = set(settings.editorial.hide)
    return [settings.rates.base, *(c for c in settings.rates.currencies if c not in hidden)]


@dataclass(frozen=True)
class ConvertQuery:
    """``amount`` of ``source`` in ``target``, at the rates of ``day`` (None: the latest)."""

    source: str
    target: str
    amount: Decimal
    day: dt.date | None = None

    def needed(self, base: str) -> list[str]:
        """The codes whose rates the conversion needs: none into the same currency."""
        if self.source == self.target:
            return []
        return [code for code in dict.fromkeys((self.source, self.target)) if code != base]


class NoRate(Exception):
    """A currency of the pair has no rate to convert with now (answered with 503)."""

    def __init__(self, parameter: str, message: str, allowed: Sequence[str]) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message
        self.allowed = list(allowed)


def convert_query(query: MultiMapping[str], settings: Settings, *, today: dt.date) -> ConvertQuery:
    """The conversion a query asks for; :class:`QueryError` for anything it may not ask."""
    refuse_parameters(query, CONVERT_PARAMETERS)
    codes = convertible(settings)
    source = _code(query, "from", codes)
    target = _code(query, "to", codes)
    text = single_value(query, "amount", parameters=[_AMOUNT_FORM])
    if text is None:
        raise QueryError("amount", "amount is required", [_AMOUNT_FORM])
    try:
        amount = parse_amount(text)
    except ValueError as exc:
        raise QueryError("amount", f"amount {exc}", [_AMOUNT_FORM]) from None
    return ConvertQuery(source, target, amount, _day(query, settings, today))


def _code(query: MultiMapping[str], name: str, codes: Sequence[str]) -> str:
    text = single_value(query, name, parameters=codes)
    if text is None:
        raise QueryError(name, f"{name} is required", codes)
    # ASCII first: "ſ".upper() is "S", and a code is three ASCII letters.
    code = text.upper() if text.isascii() else text
    if code not in codes:
        shown = text if len(text) <= 16 else f"{text[:16]}…"
        raise QueryError(name, f"unsupported {name} {shown!r}", codes)
    return code


def _day(query: MultiMapping[str], settings: Settings, today: dt.date) -> dt.date | None:
    text = single_value(query, "date", parameters=[_DATE_FORMAT])
    if text is None:
        return None
    try:
        if not _ISO_DATE.fullmatch(text):  # fromisoformat takes 20261128 and 2026-W48-6 too
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        shown = text if len(text) <= 16 else f"{text[:16]}…"
        message = f"date {shown!r} is not a date {_DATE_FORMAT}"
        raise QueryError("date", message, [_DATE_FORMAT]) from None
    retention = settings.history.retention
    first, last = date_window(today, retention)
    if not first <= day <= last:
        message = (
            f"date {day} is outside {first} to {last}: the history keeps"
            f" {format_duration(retention)} (history.retention), never before {EARLIEST_DATE},"
            " and reaches at most a year after today"
        )
        raise QueryError("date", message, [f"{first} to {last}"])
    return day


@dataclass(frozen=True)
class Shown:
    """The rates a strip shows, by code, and why each code it shows none of has none."""

    rates: Mapping[str, Rate] = field(default_factory=dict)
    missing: Mapping[str, str] = field(default_factory=dict)


def shown_rates(strip: Strip, base: str) -> Shown:
    """The rates of ``strip`` in ``base``: what a reader sees now, pins included."""
    rates: dict[str, Rate] = {}
    missing: dict[str, str] = {}
    for item in strip.rates:
        if item.missing:
            missing[item.code] = f"{item.reason or 'no value'} ({item.reason_code or 'no_value'})"
        elif item.base != base:
            missing[item.code] = f"its rate is in {item.base}, not {base}"
        else:
            try:
                rates[item.code] = Rate.model_validate(item.model_dump(include=_RATE_FIELDS))
            except ValueError:  # a ValidationError: shown, but not as a rate
                missing[item.code] = "its value cannot be used (not_shown)"
    return Shown(rates, missing)


def dated_rates(
    history: History, query: ConvertQuery, settings: Settings, *, today: dt.date
) -> dict[str, Rate]:
    """The publications of ``query.day`` the conversion needs, from ``history`` (blocking).

    A needed currency with no publication of that date is a :class:`QueryError`
    about ``date``, listing the dates around it that have one of each.
    """
    if query.day is None:
        raise ValueError("a dated conversion needs a date")
    base, day = settings.rates.base, query.day
    found: dict[str, Rate] = {}
    for code in query.needed(base):
        published = history.rates(code, day, day, base=base)
        if not published:
            window = date_window(today, settings.history.retention)
            nearby = _nearby(history, query.needed(base), day, window, base)
            raise QueryError("date", f"no {code} publication is dated {day}", nearby)
        found[code] = published[-1]
    return found


def _nearby(
    history: History,
    codes: Sequence[str],
    day: dt.date,
    window: tuple[dt.date, dt.date],
    base: str,
) -> list[str]:
    """The dates within :data:`NEARBY` of ``day`` with a publication of every code."""
    start, end = max(window[0], day - NEARBY), min(window[1], day + NEARBY)
    common: set[dt.date] | None = None
    for code in codes:
        dates = {rate.date for rate in history.rates(code, start, end, base=base)}
        common = dates if common is None else common & dates
    return [day.isoformat() for day in sorted(common or ())] or [f"{window[0]} to {window[1]}"]


def conversion(
    query: ConvertQuery,
    rates: Mapping[str, Rate],
    base: str,
    missing: Mapping[str, str] | None = None,
) -> Conversion:
    """The answer to ``query`` with ``rates`` (by code, in ``base``).

    A needed code without a rate raises :class:`NoRate`, saying why from ``missing``;
    so does a pair whose rate is beyond the bounds of any rate.
    """
    sides: list[Rate | None] = [None, None]
    for side, (parameter, code) in enumerate((("from", query.source), ("to", query.target))):
        if code in query.needed(base):
            sides[side] = rates.get(code)
            if sides[side] is None:
                why = (missing or {}).get(code, "no value yet (no_value)")
                message = f"{code} has no rate to convert with now: {why}"
                raise NoRate(parameter, message, [base, *rates])
    try:
        converted = convert(query.amount, *sides, to=query.target)
    except (ValueError, ArithmeticError) as exc:
        message = f"{query.source} cannot be converted into {query.target}: {exc}"
        raise NoRate("to", message, [base, *rates]) from exc
    used = [rate for rate in sides if rate is not None]
    names = dict.fromkeys(rate.source for rate in used)
    return Conversion.model_validate(
        {
            "from": query.source, "to": query.target, "amount": query.amount,
            "result": converted.result, "text": converted.text, "rate": converted.rate,
            "date": min(rate.date for rate in used) if used else query.day,
            "source": "+".join(names) or None, "derived": converted.derived,
        }
    )  # fmt: skip


@routes.get("/v1/convert")
async def get_convert(request: web.Request) -> web.Response:
    """An amount converted between two currencies, at the latest rates or those of a date."""
    settings, clock = request.app[LIVE_KEY].current, request.app[CLOCK_KEY]
    origin = request.headers.get("Origin")
    today = rates_today(clock())
    try:
        query = convert_query(request.query, settings, today=today)
        if query.day is None:
            snapshot = request.app[SNAPSHOTS_KEY].current
            shown = shown_rates(
                snapshot.strips[snapshot.settings.default_language], settings.rates.base
            )
            answer = conversion(query, shown.rates, settings.rates.base, shown.missing)
            return _answer(request, settings, answer, cache_control(snapshot, clock()))
        rates = await _dated(request, query, settings, today)
        answer = conversion(query, rates, settings.rates.base)
        return _answer(request, settings, answer, HISTORY_CACHE_CONTROL)
    except QueryError as exc:
        return bad_query(settings, exc, origin=origin)
    except NoRate as exc:
        return error_answer(
            settings, 503, "no_rate", exc.message, origin=origin, parameter=exc.parameter,
            allowed=exc.allowed,
        )  # fmt: skip
    except _Unreadable:
        return error_answer(
            settings, 503, "unavailable", "the history cannot be read now", origin=origin
        )


class _Unreadable(Exception):
    """The history cannot be read now."""


async def _dated(
    request: web.Request, query: ConvertQuery, settings: Settings, today: dt.date
) -> dict[str, Rate]:
    history = request.app[HISTORY_KEY]
    call = functools.partial(dated_rates, history, query, settings, today=today)
    try:
        return await asyncio.to_thread(call)
    except QueryError:
        raise
    except Exception as exc:  # the shared cache is unreachable: say so, as JSON
        log.warning("cannot read the history from the shared cache", exc_info=True)
        raise _Unreadable from exc


def _answer(
    request: web.Request, settings: Settings, answer: Conversion, cache: str
) -> web.Response:
    """``answer`` as JSON with its ETag, or a 304 when the client holds it."""
    body = escape_json(answer.model_dump_json(by_alias=True).encode())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Cache-Control": cache,
        "ETag": etag_of(body),
        **security_headers(settings, page=False, origin=request.headers.get("Origin")),
    }
    return conditional(request, body, headers)


def _date_text(settings: Settings) -> str:
    return (
        "The rates' date, YYYY-MM-DD, from the history; without it, the latest rates as the"
        " strip shows them (editors' pins included). Dates are served from today minus the"
        f" history's retention ({format_duration(settings.history.retention)}), never before"
        f" {EARLIEST_DATE}, to a year after today, and each currency of the pair other than"
        f" {settings.rates.base} needs a publication of that date."
    )


def _code_text(side: str) -> str:
    return (
        f"The currency converted {side}: the site's base or a currency the strip shows,"
        " in any case."
    )


#: The OpenAPI description of the endpoint (see ticker._serving.openapi).
CONVERT_ENDPOINTS = (
    Endpoint(
        "/v1/convert",
        "An amount converted between two currencies through the site's base.",
        {
            200: Response(
                "The conversion, with the rate, its date and its source.", Conversion,
                headers=(ETAG, CACHE_CONTROL),
            ),
            304: Response(NOT_MODIFIED, headers=(ETAG, CACHE_CONTROL)),
            400: BAD_REQUEST,
            503: Response(
                "A currency of the pair has no rate to convert with now (the message says"
                " which and why), or the history cannot be read.", ErrorBody, headers=(NO_STORE,),
            ),
        },
        (
            Parameter("from", _code_text("from"), lambda s: any_case_enum(convertible(s)),
                      required=True),
            Parameter("to", _code_text("into"), lambda s: any_case_enum(convertible(s)),
                      required=True),
            Parameter("amount", f"The amount of `from`: {_AMOUNT_FORM}.",
                      {"type": "string", "pattern": AMOUNT_PATTERN}, required=True),
            Parameter("date", _date_text, {"type": "string", "format": "date"}),
            IF_NONE_MATCH,
        ),
        "`result` is `amount` x `rate` exactly; `text` rounds it half up to the minor unit"
        " of `to`. A pair is crossed through the base: `rate` is exact when `to` is the"
        " base, else a quotient of 28 significant digits, and `derived`.",
    ),
)  # fmt: skip
