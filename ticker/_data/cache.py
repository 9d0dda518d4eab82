"""The shared cache: the last good value of every item, and each source's status.

The refresher writes, the service reads; with the default disk backend several
processes on one machine share one SQLite-backed directory.  Values are stored as
the models' JSON, so a cache outlives a restart and an upgrade of the code; every
value read is validated by its model again, so one written by another version or
beyond the models' bounds counts as absent for its item only.  A
write of several items is one transaction: a crash leaves the old values or the
new ones, never a mix.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol, TypeVar

import diskcache
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ticker._config import CacheSettings
from ticker._models import DataKind, Rate, UtcDatetime, Weather, date_problem
from ticker._text import OutsideText

__all__ = [
    "CacheBackend",
    "DiskCache",
    "LastRefresh",
    "SourceStatus",
    "Stamp",
    "Store",
    "open_store",
]

_M = TypeVar("_M", bound=BaseModel)
# Distinct unreadable values logged; each is logged once per process.
_LOGGED_REFUSALS = 256
# The zone furthest ahead of UTC (Kiribati, UTC+14): no place has a later date.
_FURTHEST_AHEAD = dt.timezone(dt.timedelta(hours=14))

log = logging.getLogger("ticker.cache")


class CacheBackend(Protocol):
    """Bytes by key, shared by every process of a deployment."""

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The values of those keys that are present."""
        ...

    def write(self, items: Mapping[str, bytes], delete: Sequence[str] = ()) -> None:
        """Set ``items`` and remove ``delete`` at once: either all of it happens or none."""
        ...

    def acquire(self, name: str, owner: str, ttl: dt.timedelta) -> bool:
        """Take or renew the lease ``name`` for ``owner``; False while another holds it."""
        ...

    def release(self, name: str, owner: str) -> None:
        """Give the lease up, if ``owner`` holds it."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...


class DiskCache:
    """A :class:`CacheBackend` in a local directory (diskcache, SQLite underneath).

    The directory is created and opened on first use, not when the backend is
    made, so that building a service does no I/O.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._opened: diskcache.Cache | None = None
        self._opening = threading.Lock()

    @property
    def _cache(self) -> diskcache.Cache:
        if self._opened is None:
            with self._opening:
                if self._opened is None:
                    self.directory.mkdir(parents=True, exist_ok=True)
                    self._opened = diskcache.Cache(str(self.directory))
        return self._opened

    def get_many(self, keys: Sequence[str]) -> dict[str, bytes]:
        found = {}
        for key in keys:
            value = self._cache.get(key)
            if isinstance(value, bytes):
                found[key] = value
        return found

    def write(self, items: Mapping[str, bytes], delete: Sequence[str] = ()) -> None:
        with self._cache.transact():
            for key, value in items.items():
                self._cache.set(key, value)
            for key in delete:
                self._cache.delete(key)

    def acquire(self, name: str, owner: str, ttl: dt.timedelta) -> bool:
        key = f"lease:{name}"
        with self._cache.transact():
            holder = self._cache.get(key)  # diskcache drops it once expired
            if holder not in (None, owner):
                return False
            self._cache.set(key, owner, expire=ttl.total_seconds())
            return True

    def release(self, name: str, owner: str) -> None:
        key = f"lease:{name}"
        with self._cache.transact():
            if self._cache.get(key) == owner:
                self._cache.delete(key)

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()


class SourceStatus(BaseModel):
    """How a source fared at its last refresh."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DataKind
    source: str
    last_attempt: UtcDatetime
    last_success: UtcDatetime | None = None
    last_error: OutsideText | None = None
    failures: int = Field(default=0, description="Failed refreshes in a row.")
    rejected: int = Field(default=0, description="Values rejected by guards, in all.")


class Stamp(BaseModel):
    """The version of what the cache holds, and the time every process renders it at."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    generated_at: UtcDatetime
    next_refresh_at: UtcDatetime | None = None


class LastRefresh(NamedTuple):
    """The fleet's last refresh of a kind: when, by whom, with which settings."""

    at: dt.datetime
    owner: str
    fingerprint: str


class Store:
    """Typed access to the cache: rates by code, weather by city id, source status."""

    def __init__(self, backend: CacheBackend) -> None:
        self.backend = backend

    def rates(self, codes: Sequence[str], *, base: str = "KZT") -> dict[str, Rate]:
        """The cached rate in ``base`` of each code that has one.

        A rate in another base (stored before the site's base changed) is absent:
        the next refresh replaces it.
        """
        return _in_base(self._load(Rate, "rate", codes), base)

    def weather(self, city_ids: Sequence[str]) -> dict[str, Weather]:
        """The cached weather of each city that has one."""
        return self._load(Weather, "weather", city_ids)

    def put_rates(self, rates: Iterable[Rate], *, held: Iterable[Rate] = ()) -> None:
        """Store accepted rates and the jumps held back, in one transaction.

        A held rate is kept beside the accepted one of its code (which stays as it
        was); accepting a code releases whatever was held for it.
        """
        accepted = {r.code: r for r in rates}
        items = {f"rate:{code}": r.model_dump_json().encode() for code, r in accepted.items()}
        items |= {f"held:{r.code}": r.model_dump_json().encode() for r in held}
        self.backend.write(items, delete=[f"held:{code}" for code in accepted])

    def held_rates(self, codes: Sequence[str], *, base: str = "KZT") -> dict[str, Rate]:
        """The rate in ``base`` held back for each code that has one, awaiting confirmation."""
        return _in_base(self._load(Rate, "held", codes), base)

    def put_weather(self, readings: Iterable[Weather]) -> None:
        """Store weather readings, replacing those of the same cities."""
        self.backend.write({f"weather:{w.city}": w.model_dump_json().encode() for w in readings})

    def stamp(self) -> Stamp | None:
        """The current version of the cache's contents, if any was recorded."""
        return self._load(Stamp, "snapshot", ["stamp"]).get("stamp")

    def put_stamp(self, stamp: Stamp) -> None:
        """Record a new version: every process renders the strip again, at its time."""
        self.backend.write({"snapshot:stamp": stamp.model_dump_json().encode()})

    def last_refresh(self, kind: DataKind) -> LastRefresh | None:
        """When, by which process and with which settings ``kind`` was last refreshed."""
        raw = self.backend.get_many([f"refreshed:{kind}"]).get(f"refreshed:{kind}")
        if not raw:
            return None
        at, owner, settings = [*raw.decode("utf-8", "replace").split(" "), "", ""][:3]
        try:
            moment = dt.datetime.fromisoformat(at)
        except ValueError:
            return None  # written by an incompatible version: as if never refreshed
        if moment.utcoffset() is None:
            return None
        return LastRefresh(moment, owner, settings)

    def put_last_refresh(
        self, kind: DataKind, at: dt.datetime, owner: str, fingerprint: str = ""
    ) -> None:
        """Record that ``owner`` refreshed ``kind`` at ``at`` with settings ``fingerprint``."""
        value = f"{at.isoformat()} {owner} {fingerprint}".rstrip()
        self.backend.write({f"refreshed:{kind}": value.encode()})

    def status(self, kind: DataKind, sources: Sequence[str]) -> dict[str, SourceStatus]:
        """The last recorded status of each named source of a kind."""
        return self._load(SourceStatus, f"status:{kind}", sources)

    def record(
        self,
        kind: DataKind,
        source: str,
        *,
        at: dt.datetime,
        error: str | None = None,
    ) -> SourceStatus:
        """Record a source's refresh (a success when ``error`` is None) and return it."""
        previous = self.status(kind, [source]).get(source)
        status = SourceStatus(
            kind=kind,
            source=source,
            last_attempt=at,
            last_success=at if error is None else previous and previous.last_success,
            last_error=error,
            failures=0 if error is None else (previous.failures if previous else 0) + 1,
            rejected=previous.rejected if previous else 0,
        )
        self.backend.write({f"status:{kind}:{source}": status.model_dump_json().encode()})
        return status

    def count_rejected(self, kind: DataKind, source: str, *, at: dt.datetime) -> None:
        """Count one value of a source that a guard rejected."""
        previous = self.status(kind, [source]).get(source) or SourceStatus(
            kind=kind, source=source, last_attempt=at
        )
        status = previous.model_copy(update={"rejected": previous.rejected + 1})
        self.backend.write({f"status:{kind}:{source}": status.model_dump_json().encode()})

    def close(self) -> None:
        """Close the backend."""
        self.backend.close()

    def _load(self, model: type[_M], prefix: str, names: Sequence[str]) -> dict[str, _M]:
        raw = self.backend.get_many([f"{prefix}:{name}" for name in names])
        loaded = {}
        for name in names:
            value = raw.get(f"{prefix}:{name}")
            if value is None:
                continue
            try:
                loaded[name] = _dated_by_now(model.model_validate_json(value))
            # Written by an incompatible version, or beyond the models' bounds: absent for
            # this item only, and the next refresh rewrites it.  (ValidationError is a
            # ValueError; ArithmeticError covers a validator a hostile value could trip.)
            except (ValueError, ArithmeticError) as exc:
                _log_refused(f"{prefix}:{name}", hash(value), _first_problem(exc))
        return loaded


def _in_base(rates: dict[str, Rate], base: str) -> dict[str, Rate]:
    return {code: rate for code, rate in rates.items() if rate.base == base}


def _dated_by_now(value: _M) -> _M:
    """``value``; ``ValueError`` for a rate or reading dated after tomorrow anywhere.

    The refresher never stores one, but an older version could have.
    """
    if isinstance(value, Rate | Weather):
        problem = date_problem(value.date, today=dt.datetime.now(_FURTHEST_AHEAD).date())
        if problem is not None:
            raise ValueError(problem)
    return value


@functools.lru_cache(maxsize=_LOGGED_REFUSALS)
def _log_refused(key: str, value_hash: int, problem: str) -> None:
    """Log, once per process for each stored value, a value the cache refused to read."""
    log.warning("cache: %s is unreadable and counts as absent: %s", key, problem)


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False, include_input=False)
        if errors:
            where = ".".join(str(part) for part in errors[0]["loc"])
            return f"{where}: {errors[0]['msg']}"[:200]
    return f"{type(exc).__name__}: {exc}"[:200]


def open_store(settings: CacheSettings) -> Store:
    """Open the configured cache: a directory on this host, or Redis."""
    if settings.backend == "redis" and settings.url is not None:  # CacheSettings checks url
        from ticker._data.redis import RedisCache  # redis is an optional dependency

        return Store(RedisCache(settings.url, prefix=settings.prefix))
    return Store(DiskCache(settings.directory))
