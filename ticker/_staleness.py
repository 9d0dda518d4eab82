"""When a shown value is stale, and when that changes: the one home of those rules.

* A value is stale once 1.5 refresh intervals passed without a refresh (half an
  interval of slack covers the scheduler's jitter and a slow upstream).
* Rates follow their bank's publication calendar (the source's
  :class:`~ticker.sources.Calendar`: its zone, the weekdays it publishes for and its
  country's public holidays, or those of ``rates.holidays``): a rate is stale only
  once it is dated before the last business day, so Friday's rate shown on Saturday,
  on a holiday Monday or on the Tuesday after it is current.  The holidays come from
  the maintained ``holidays`` package (see :mod:`ticker._models`), which follows the
  days off each government moves by decree; no table of ours could.
* A city's range is for its local day: after local midnight it is stale.
* Past ``max_age`` a value is hidden (the strip shows it missing).

:func:`next_change` gives the first moment after a snapshot when any of that
changes (a value turns stale or hidden, a pin ends, a local day begins), and
:func:`restamp_due` tells the refresh leader when to stamp again so that every
process renders the change.  Pure functions of settings, values and times.

Why a value is stale is a :class:`Reason`: a stable code, the name of its words and
the values they need (an age, dates), so that the strip writes it in each reader's
language (:func:`ticker._strip.i18n.reason_text`) and a program reads the code.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field

from ticker._config import City, RatesSettings, Settings, format_duration
from ticker._models import Rate, Weather
from ticker._wire import ReasonCode
from ticker.sources import calendar_of

__all__ = [
    "RATES_ZONE",
    "STALE_AFTER_REFRESHES",
    "Reason",
    "ReasonValue",
    "age_of",
    "duration_text",
    "last_change",
    "next_change",
    "not_refreshed",
    "overdue",
    "rate_staleness",
    "rates_today",
    "restamp_due",
    "weather_staleness",
]

#: At most this many changes are stepped through to find the last one (days of midnights).
_MAX_CHANGES = 10_000
#: A value is stale once this many refresh intervals passed without a refresh.
STALE_AFTER_REFRESHES = 1.5
#: Rates are dated in the National Bank's calendar.
RATES_ZONE = zoneinfo.ZoneInfo("Asia/Almaty")

#: What a reason's words are filled with: a time ago, a date, a moment, or text as it is.
ReasonValue = dt.timedelta | dt.date | dt.datetime | str


@dataclass(frozen=True)
class Reason:
    """Why an item is missing, stale, held back or pinned, in no language yet.

    ``words`` names the sentence in the strip's catalogue (the code's own name
    unless one code has several sentences) and ``values`` fills its blanks.
    """

    code: ReasonCode
    words: str = ""
    values: Mapping[str, ReasonValue] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The catalogue key of the sentence: ``words``, else the code."""
        return self.words or self.code.value


def age_of(fetched_at: dt.datetime, now: dt.datetime) -> int:
    """Whole seconds from ``fetched_at`` to ``now``, never negative."""
    return max(0, int((now - fetched_at).total_seconds()))


def overdue(age: int, refresh: dt.timedelta) -> bool:
    """Whether a value ``age`` seconds old missed its refreshes."""
    # Half an interval of slack covers the scheduler's jitter and a slow upstream.
    return age > STALE_AFTER_REFRESHES * refresh.total_seconds()


def duration_text(seconds: float) -> str:
    """``5h``, ``1d2h``: a whole number of seconds as the settings write durations."""
    return format_duration(dt.timedelta(seconds=int(seconds)))


def not_refreshed(age: int, code: ReasonCode = ReasonCode.NOT_REFRESHED) -> Reason:
    """A value last refreshed ``age`` seconds ago: stale, or (``HIDDEN``) past ``max_age``."""
    return Reason(code, values={"ago": dt.timedelta(seconds=age)})


def rate_staleness(
    rate: Rate, age: int, settings: RatesSettings, now: dt.datetime
) -> Reason | None:
    """Why a shown rate is stale, or None when it is current."""
    if overdue(age, settings.refresh):
        return not_refreshed(age)
    # Rates follow their bank's publication calendar: a bank publishes for business
    # days, so Friday's rate shown on Saturday or a holiday Monday is current.
    calendar = calendar_of(settings.sources, rate.source, holidays=settings.holidays)
    expected = calendar.last_publication_before(calendar.today(now))
    if rate.date < expected:
        values = {"dated": rate.date, "expected": expected}
        return Reason(ReasonCode.OUTDATED, "rate_outdated", values)
    return None


def weather_staleness(
    reading: Weather, age: int, city: City, refresh: dt.timedelta, now: dt.datetime
) -> Reason | None:
    """Why a shown reading is stale, or None when it is current."""
    if overdue(age, refresh):
        return not_refreshed(age)
    today = now.astimezone(city.zone).date()
    if reading.date != today:
        values = {"dated": reading.date, "today": today}
        return Reason(ReasonCode.OUTDATED, "range_outdated", values)
    return None


def _over(fetched_at: dt.datetime, limit: dt.timedelta) -> dt.datetime:
    """The first moment a value fetched at ``fetched_at`` is older than ``limit``.

    Ages are whole seconds (:func:`age_of`) and a value is over a limit once its age
    is greater than it: at ``fetched_at + limit`` itself it is not yet.
    """
    return fetched_at + dt.timedelta(seconds=math.floor(limit.total_seconds()) + 1)


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
            moments.append(_over(value.fetched_at, kind.refresh * STALE_AFTER_REFRESHES))
            moments.append(_over(value.fetched_at, kind.max_age))
    moments.extend(pin.until for pin in settings.editorial.pins)  # a pin ends
    calendars = {calendar_of(settings.rates.sources, rate.source) for rate in rates.values()}
    zones = {
        RATES_ZONE,
        *(c.tz for c in calendars),
        *(city.zone for city in settings.weather.cities),
    }
    for zone in zones:  # the publication calendar and "today" move at local midnight
        local = now.astimezone(zone)
        midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), zone)
        moments.append(midnight.astimezone(dt.UTC))
    future = [moment for moment in moments if moment > now]
    return min(future) if future else None


def last_change(
    settings: Settings,
    rates: Mapping[str, Rate],
    weather: Mapping[str, Weather],
    since: dt.datetime,
    now: dt.datetime,
) -> dt.datetime | None:
    """The last moment after ``since`` and by ``now`` when what a strip shows changed.

    A strip rendered at that moment shows what one rendered now would, with ages
    as of it; None if nothing changed.  Every process finds the same moment for the
    same values, so their bodies stay identical.
    """
    found = None
    moment = next_change(settings, rates, weather, since)
    for _ in range(_MAX_CHANGES):
        if moment is None or moment > now:
            break
        found = moment
        moment = next_change(settings, rates, weather, found)
    else:  # more changes than an outage of years has: now will do
        found = now
    return found


def rates_today(now: dt.datetime) -> dt.date:
    """The date at ``now`` in Asia/Almaty, the calendar of the National Bank's rates."""
    return now.astimezone(RATES_ZONE).date()


def restamp_due(
    settings: Settings,
    rates: Mapping[str, Rate],
    weather: Mapping[str, Weather],
    stamped_at: dt.datetime,
    now: dt.datetime,
) -> bool:
    """Whether what a strip stamped at ``stamped_at`` shows has changed by ``now``."""
    due = next_change(settings, rates, weather, stamped_at)
    return due is not None and due <= now
