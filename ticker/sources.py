"""The adapter contract: how the core talks to an upstream, and how it finds one.

An adapter is a class registered under a name in the entry-point group of its data
kind, ``ticker.rates`` or ``ticker.weather``::

    [project.entry-points."ticker.rates"]
    nbk = "ticker_adapters.nbk:NbkRates"

The core never imports a concrete adapter: it looks the class up by the ``adapter:``
name of a config entry and builds it with that entry, ``cls(settings)``.  A
constructor validates the adapter's own keys and raises
:class:`pydantic.ValidationError` (or :class:`~ticker.ConfigError`) when they are
wrong; it does no I/O.

A rates adapter says which currency it publishes in, ``base`` (``KZT`` for the
National Bank of Kazakhstan, ``RUB`` for the Bank of Russia), and the calendar its
rates are dated in, ``calendar`` (a :class:`Calendar`: the zone, the weekdays it
publishes for and the country whose public holidays it keeps; Asia/Almaty, Monday to
Friday, no holidays when it names none; the settings' ``rates.holidays`` puts another
country's in their place).  It may declare ``publication_window``, a
:class:`PublicationWindow`: when, on its business days, its next publication
appears (the National Bank of Kazakhstan's, 15:30 to 18:30 in Asia/Almaty); the
refresh schedule polls it more often then (``rates.watch``).  None, or no attribute,
means the time is unknown, and the refresh interval alone applies.  It returns rates
in its own base, with the bank's own change where the bank publishes one; the core
crosses them into the site's ``rates.base`` (:func:`ticker._rates.cross_into`) and
computes a change the bank does not publish from the publication it stored before.
``fetch`` is asked for the currencies the site shows plus, when the bases differ,
the site's base, through which every rate is crossed.

An adapter may declare ``credit = (text, url)``: the attribution its upstream's
terms ask for wherever the data is shown, in English; the widget links it.  With it,
``credit_texts`` may give the same credit in the strip's other languages, by language
tag (``ru``, ``kk``, ``zh``, ``uz``, ``uz-Latn``; Kazakh in Latin and Arabic script is
written from ``kk`` by rule); a language it does not give shows the English text.

``fetch`` does the I/O, through a :class:`Fetcher` that brings timeouts, retries,
conditional requests and size caps, and then calls ``parse``; ``parse`` is a pure function of
the body (no session, clock or cache), so every upstream quirk can be tested on
bytes alone.  ``fetch`` raises :class:`~ticker.UpstreamUnavailable` when the
upstream cannot be reached or answers with an error status and
:class:`~ticker.UpstreamFormatError` when the body is not in the documented
format; ``parse`` raises only :class:`~ticker.UpstreamFormatError`.  Nothing else
escapes: the refresher relies on that to keep the last good data.

A document of many rates must not be lost to one bad item: ``parse`` leaves an item
whose value is beyond the models' bounds (``PUBLISHED_DIGITS``, ``COMPUTED_DIGITS``,
the window of ``date_problem``) out, and returns a :class:`RateList` that names it
among its ``skipped``; the refresher counts each one it wanted as a rejection.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import entry_points
from typing import Any, Literal, Protocol, runtime_checkable

import aiohttp
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from yarl import URL

from ticker._config import (
    City,
    CurrencyCode,
    DataKind,
    Settings,
    SourceSettings,
    validation_problems,
)
from ticker._exceptions import ConfigError, UpstreamFormatError, describe_problems
from ticker._http import MAX_BODY_BYTES, Fetcher
from ticker._models import (
    COMPUTED_DIGITS,
    KAZAKHSTAN,
    PUBLISHED_DIGITS,
    Attribution,
    Calendar,
    PublicationWindow,
    Rate,
    RateList,
    Skipped,
    Weather,
    date_problem,
)

__all__ = [
    "COMPUTED_DIGITS",
    "MAX_BODY_BYTES",
    "PUBLISHED_DIGITS",
    "Calendar",
    "Credit",
    "CurrencyCode",
    "DatedRatesSource",
    "Fetcher",
    "NoOptions",
    "PublicationWindow",
    "RateList",
    "RatesSource",
    "Skipped",
    "SourceSet",
    "WeatherSource",
    "adapter_names",
    "attributions",
    "build_sources",
    "calendar_of",
    "date_problem",
    "describe",
    "join_url",
    "json_object",
    "load_adapter",
    "publication_window_of",
]

_GROUPS: Mapping[DataKind, str] = {"rates": "ticker.rates", "weather": "ticker.weather"}


@runtime_checkable
class RatesSource(Protocol):
    """An upstream of official exchange rates against its own ``base`` currency."""

    #: The name recorded as the source of every rate this adapter returns.
    name: str
    #: The currency every rate it returns is in (``Rate.base``).
    base: str
    #: The zone its dates are in, the weekdays it publishes for, its country's holidays.
    calendar: Calendar

    async def fetch(self, session: aiohttp.ClientSession, currencies: Sequence[str]) -> list[Rate]:
        """Fetch current rates; may return more or fewer currencies than asked for."""
        ...

    def parse(self, body: bytes, *, fetched_at: dt.datetime) -> list[Rate]:
        """Turn an upstream body into rates, one per current currency."""
        ...


@runtime_checkable
class DatedRatesSource(RatesSource, Protocol):
    """A rates upstream that also serves the rates it published for a past date."""

    async def fetch_on(
        self, session: aiohttp.ClientSession, currencies: Sequence[str], on: dt.date
    ) -> list[Rate]:
        """The rates published for ``on`` (or the last business day before it)."""
        ...


@runtime_checkable
class WeatherSource(Protocol):
    """An upstream of current weather and today's range for a city."""

    #: The name recorded as the source of every reading this adapter returns.
    name: str

    async def fetch(self, session: aiohttp.ClientSession, city: City) -> Weather:
        """Fetch the weather of one city."""
        ...

    def parse(self, body: bytes, *, city: City, fetched_at: dt.datetime) -> Weather:
        """Turn an upstream body into the weather of ``city``."""
        ...


class NoOptions(BaseModel):
    """The options of an adapter that takes no keys beyond the common ones.

    Validating ``settings.options`` against it refuses any other key.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")


def describe(exc: ValidationError) -> str:
    """A validation error as one line of ``key path: message`` pairs."""
    return describe_problems(validation_problems(exc))


def json_object(body: bytes, source: str, *, exact: bool = False) -> dict[str, Any]:
    """A JSON body that must be an object; ``exact`` reads numbers as Decimal.

    Raises :class:`~ticker.UpstreamFormatError` for anything else, deep nesting included.
    """
    try:
        if exact:
            # NaN and Infinity become non-finite Decimals, for the model checks to refuse.
            document = json.loads(
                body, parse_float=Decimal, parse_int=Decimal, parse_constant=Decimal
            )
        else:
            document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise UpstreamFormatError(source, f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise UpstreamFormatError(source, f"expected a JSON object, got {kind}")
    return document


@dataclass(frozen=True)
class SourceSet:
    """The adapters of a configuration, each kind in priority order."""

    rates: list[RatesSource]
    weather: list[WeatherSource]


def adapter_names(kind: DataKind) -> list[str]:
    """The registered adapter names of a data kind, sorted."""
    return sorted({ep.name for ep in entry_points(group=_GROUPS[kind])})


@functools.cache
def load_adapter(kind: DataKind, name: str) -> type[Any]:
    """The adapter class registered as ``name`` for ``kind``; ``KeyError`` if none.

    Kept for the process's life: scanning the installed distributions costs
    milliseconds, and a reload looks the same names up again.
    """
    for ep in entry_points(group=_GROUPS[kind], name=name):
        cls: type[Any] = ep.load()
        return cls
    raise KeyError(name)


def build_sources(settings: Settings, *, config_source: str = "<settings>") -> SourceSet:
    """Build every configured adapter, or raise one ConfigError listing every problem."""
    problems: list[tuple[str, str]] = []
    rates = _build_kind("rates", settings.rates.sources, problems)
    weather = _build_kind("weather", settings.weather.sources, problems)
    if problems:
        raise ConfigError(config_source, problems)
    return SourceSet(rates=rates, weather=weather)


def _build_kind(
    kind: DataKind, entries: Sequence[SourceSettings], problems: list[tuple[str, str]]
) -> list[Any]:
    built = []
    for index, entry in enumerate(entries):
        prefix: tuple[str | int, ...] = (kind, "sources", index)
        try:
            cls = load_adapter(kind, entry.adapter)
        except KeyError:
            known = ", ".join(adapter_names(kind)) or "none installed"
            problems.append(
                (
                    f"{kind}.sources[{index}].adapter",
                    f"{entry.adapter!r} is not a {kind} adapter; available: {known}",
                )
            )
            continue
        try:
            built.append(cls(entry))
        except ValidationError as exc:
            problems.extend(validation_problems(exc, prefix))
        except ConfigError as exc:
            problems.extend(
                (f"{kind}.sources[{index}]" + (f".{path}" if path else ""), message)
                for path, message in exc.problems
            )
    return built


def calendar_of(
    entries: Sequence[SourceSettings],
    source: str,
    *,
    holidays: str | Literal[False] | None = None,
) -> Calendar:
    """The calendar of the configured rates source labelled ``source``.

    A source no longer configured, an editor's pin, or an adapter that names none
    has the National Bank of Kazakhstan's (:data:`~ticker._models.KAZAKHSTAN`).
    ``holidays`` is the settings' ``rates.holidays``: a country whose public holidays
    replace the adapter's, ``False`` for none, ``None`` to keep the adapter's.
    """
    calendar = KAZAKHSTAN
    for entry in entries:
        if entry.label == source:
            calendar = _adapter_calendar(entry.adapter)
            break
    if holidays is None:
        return calendar
    return calendar.with_country(holidays or None)


@functools.cache
def _adapter_calendar(adapter: str) -> Calendar:
    try:
        cls = load_adapter("rates", adapter)
    except (KeyError, ImportError):  # not installed, or broken: building the sources says so
        return KAZAKHSTAN
    calendar = getattr(cls, "calendar", KAZAKHSTAN)
    return calendar if isinstance(calendar, Calendar) else KAZAKHSTAN


@functools.cache
def publication_window_of(adapter: str) -> PublicationWindow | None:
    """The publication window the rates adapter named ``adapter`` declares, if any."""
    try:
        cls = load_adapter("rates", adapter)
    except (KeyError, ImportError):  # building the sources says so
        return None
    window = getattr(cls, "publication_window", None)
    return window if isinstance(window, PublicationWindow) else None


class Credit(Attribution):
    """A source's credit, with its text in each language the adapter writes it in.

    Serialized as the :class:`~ticker.Attribution` it is; the strip shows
    ``texts[lang]`` where there is one.
    """

    texts: dict[str, str] = Field(default_factory=dict, exclude=True)


def attributions(settings: Settings) -> dict[str, Credit]:
    """The credit of every configured source that declares one, by source name."""
    credits = {}
    kinds: tuple[tuple[DataKind, list[SourceSettings]], ...] = (
        ("rates", settings.rates.sources),
        ("weather", settings.weather.sources),
    )
    for kind, entries in kinds:
        for entry in entries:
            try:
                cls = load_adapter(kind, entry.adapter)
            except KeyError:
                continue
            credit = getattr(cls, "credit", None)
            if credit is not None:
                text, url = credit
                texts = dict(getattr(cls, "credit_texts", {}))
                credits[entry.label] = Credit(source=entry.label, text=text, url=url, texts=texts)
    return credits


def join_url(base: str | None, default: str, path: str) -> URL:
    """The URL of ``path`` under a configured base URL (or the default base)."""
    root = URL(base or default)
    if not root.path.endswith("/"):
        root = root.with_path(root.path + "/")
    return root.join(URL(path))
