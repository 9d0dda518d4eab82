"""Settings: one YAML file, validated strictly into frozen models.

Usage::

    settings = load_settings("ticker.yaml")     # or load_settings(None) for the default
    settings.rates.currencies                   # ['USD', 'EUR', 'RUB', 'CNY']

Any problem raises :class:`~ticker.ConfigError` naming the file and the key path,
e.g. ``ticker.yaml: rates.currencies[1]: 'US' is not an ISO 4217 code``; an unknown
key is answered with the closest key of the model at that place, by difflib
(``rates.refersh: unknown key; did you mean 'refresh'?``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import sys
import zoneinfo
from collections.abc import Callable, Sequence
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ticker._exceptions import ConfigError
from ticker._iso4217 import ISO_4217_CODES
from ticker._languages import LanguageKey, language_key
from ticker._models import Celsius, DataKind, Published, WrittenInstant
from ticker._transliterate import kk_arabic, kk_latin, uz_cyrillic, uz_latin

__all__ = [
    "DEFAULT_FONT_DIRS",
    "CacheSettings",
    "City",
    "DataKind",
    "EditorialSettings",
    "HistorySettings",
    "ImagesSettings",
    "LiveSettings",
    "LoggingSettings",
    "Pin",
    "RatesSettings",
    "ServerSettings",
    "Settings",
    "SourceSettings",
    "WatchSettings",
    "WeatherSettings",
    "WidgetSettings",
    "default_cache_dir",
    "format_duration",
    "load_settings",
    "parse_duration",
    "with_suggestions",
]


def _language(value: object) -> object:
    """A language named by its key, its tag or its tag with the script, in any case."""
    if isinstance(value, str):
        return language_key(value) or value
    return value


#: A language of the strip by its key (``zh``, ``uz``, ``kk-Latn``...); ``zh-Hans``,
#: ``uz-Cyrl``, ``kk-Cyrl`` or ``KK-LATN`` name the same (:mod:`ticker._languages`).
Language = Annotated[LanguageKey, BeforeValidator(_language)]

_DURATION_PART = re.compile(r"(\d+)([smhd])")
_DURATION = re.compile(r"^(?:\d+[smhd])+$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object) -> dt.timedelta:
    """Parse ``30s``, ``15m``, ``1h``, ``1d`` or combinations such as ``1h30m``."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PydanticCustomError("duration", "expected a duration such as 30s, 15m or 1h")
    text = str(value).strip().replace(" ", "")
    if isinstance(value, int):
        text = f"{value}s"
    if not _DURATION.match(text):
        raise PydanticCustomError(
            "duration", "'{value}' is not a duration such as 30s, 15m or 1h", {"value": value}
        )
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))
    if seconds <= 0:
        raise PydanticCustomError("duration", "a duration must be longer than zero")
    return dt.timedelta(seconds=seconds)


def format_duration(value: dt.timedelta) -> str:
    """Format a duration the way the settings file writes it (``1h30m``)."""
    seconds = int(value.total_seconds())
    parts = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


Duration = Annotated[
    dt.timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]


def _check_currency(code: str) -> str:
    if code not in ISO_4217_CODES:
        raise PydanticCustomError("currency", "'{code}' is not an ISO 4217 code", {"code": code})
    return code


def _check_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise PydanticCustomError(
            "timezone", "'{name}' is not an IANA time zone such as Asia/Almaty", {"name": name}
        ) from None
    return name


def _unique(values: list[Any]) -> list[Any]:
    seen = set()
    for value in values:
        if value in seen:
            raise PydanticCustomError("unique", "'{value}' is listed twice", {"value": value})
        seen.add(value)
    return values


CurrencyCode = Annotated[str, AfterValidator(_check_currency)]
ZoneName = Annotated[str, AfterValidator(_check_zone)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CacheSettings(_Strict):
    """Where the shared cache lives: a directory on this host, or Redis for many hosts."""

    backend: Literal["disk", "redis"] = "disk"
    path: Path | None = Field(
        default=None, description="disk: the directory; default: the user's cache directory."
    )
    url: Annotated[str, Field(pattern=r"^(redis|rediss|unix)://")] | None = Field(
        default=None, description="redis: the server, e.g. redis://127.0.0.1:6379/0."
    )
    prefix: str = Field(default="ticker:", description="redis: prefix of every key.")
    lease: Duration = Field(
        default=dt.timedelta(seconds=15),
        description="How long the refresh lease outlives its holder.",
    )

    @model_validator(mode="after")
    def _backend_needs(self) -> Self:
        if self.backend == "redis" and self.url is None:
            raise PydanticCustomError("redis_url", "backend redis needs url: redis://host:port/db")
        return self

    @property
    def directory(self) -> Path:
        """The cache directory to open."""
        return self.path if self.path is not None else default_cache_dir()


#: How long an idle connection is kept between two requests: longer than the 60 s an
#: nginx in front keeps its idle upstream connections, so that nginx is the side that
#: closes them and never sends a request on one that ticker is closing.
KEEPALIVE_TIMEOUT = dt.timedelta(seconds=75)
#: How long a client has, from the first byte of a request, to send all its headers.
HEADER_TIMEOUT = dt.timedelta(seconds=10)


class ServerSettings(_Strict):
    """Where the HTTP service listens, who may read it from a browser, how long it waits."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    keepalive_timeout: Duration = Field(
        default=KEEPALIVE_TIMEOUT,
        le=dt.timedelta(hours=1),
        description="How long an idle connection stays open between two requests.",
    )
    header_timeout: Duration = Field(
        default=HEADER_TIMEOUT,
        le=dt.timedelta(minutes=5),
        description="How long a client may take to send a request's headers.",
    )
    cors_origins: Annotated[
        list[Annotated[str, Field(pattern=r"^(\*|https?://[^/\s]+)$")]], Field(min_length=1)
    ] = Field(
        default=["*"],
        description="Origins whose pages may read the JSON API: '*' (public data) or a list.",
    )
    public_url: AnyHttpUrl | None = Field(
        default=None,
        description=(
            "The service's address as readers reach it (https://ticker.example/): makes the"
            " frame's og:image an absolute URL, as link previews need."
        ),
    )


class WidgetSettings(_Strict):
    """How the strip looks."""

    preset: Literal["full", "reference"] = Field(
        default="full",
        description="full: arrows, changes, conditions; reference: the bare reference strip.",
    )
    numbers: Literal["plain", "locale"] = Field(
        default="plain", description="plain: 445.99 everywhere; locale: 445,99 in Russian..."
    )
    theme: Literal["auto", "light", "dark"] = "auto"
    overflow: Literal["hide", "scroll"] = Field(
        default="hide",
        description=(
            "What a screen too narrow for every rate shows: hide: the rates that do not fit,"
            " from the end of their order; scroll: all, scrolled sideways by whole items."
        ),
    )
    icons: bool = Field(
        default=False, description="Show each city's condition as an icon (always on the card)."
    )
    tomorrow: bool = Field(
        default=False,
        description="Show tomorrow's range after today's (needs weather.forecast_days: 2).",
    )


#: Where Debian's fonts-noto-core and fonts-noto-cjk put the fonts the images are drawn in.
DEFAULT_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/opentype/noto"),
)


class ImagesSettings(_Strict):
    """Where the fonts of the strip's images and the day's card are found."""

    fonts: Annotated[list[Path], Field(min_length=1)] = Field(
        default=list(DEFAULT_FONT_DIRS),
        description=(
            "Font files or folders holding Noto Sans, Noto Sans Arabic and Noto Sans CJK"
            " (Debian: fonts-noto-core, fonts-noto-cjk)."
        ),
    )


class SourceSettings(BaseModel):
    """One entry of a ``sources:`` list.

    The common keys are declared here; an adapter may accept more keys of its own
    (the ``static`` adapter's values, for example) and validates them itself.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    adapter: str = Field(description="The adapter's registered name, e.g. nbk or open-meteo.")
    name: str | None = Field(
        default=None, description="Name recorded as the data's source; default: the adapter."
    )
    url: AnyHttpUrl | None = Field(
        default=None,
        description="Base URL of the upstream (a mirror or proxy); default: the real host.",
    )
    timeout: Duration = Field(default=dt.timedelta(seconds=10), description="Per attempt.")
    retries: int = Field(default=2, ge=0, le=10, description="Further attempts after a failure.")
    backoff: Duration = Field(
        default=dt.timedelta(seconds=1), description="First wait between attempts; doubles."
    )
    user_agent: str | None = Field(
        default=None,
        min_length=1,
        description="User-Agent sent to this upstream: your app and a contact.",
    )
    api_key_env: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable holding this upstream's API key.",
    )
    max_failures: int = Field(
        default=3, ge=1, description="Failed refreshes in a row before the source cools down."
    )
    cooldown: Duration = Field(
        default=dt.timedelta(minutes=5), description="How long a failing source is skipped."
    )

    @property
    def label(self) -> str:
        """The name recorded as the source of what this entry fetches."""
        return self.name or self.adapter

    @property
    def options(self) -> dict[str, Any]:
        """The adapter-specific keys of this entry."""
        return dict(self.model_extra or {})


def _unique_labels(sources: list[SourceSettings]) -> list[SourceSettings]:
    labels = [source.label for source in sources]
    for label in labels:
        if labels.count(label) > 1:
            raise PydanticCustomError(
                "unique",
                "two sources are named '{label}'; give one a distinct name: key",
                {"label": label},
            )
    return sources


Sources = Annotated[list[SourceSettings], Field(min_length=1), AfterValidator(_unique_labels)]


_CLOCK_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_clock_time(value: object) -> dt.time:
    """``15:30`` or ``15:30:20``: a wall-clock time of day, with no zone."""
    if isinstance(value, dt.time) and value.tzinfo is None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 15:30 as the base-60 number 930.
        raise PydanticCustomError(
            "clock_time", "{value} is not a time: write it in quotes, such as \"15:30\"",
            {"value": value},
        )  # fmt: skip
    match = _CLOCK_TIME.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise PydanticCustomError("clock_time", 'expected a time such as "15:30"')
    hour, minute, second = (int(part or 0) for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise PydanticCustomError(
            "clock_time", "'{value}' is not a time of day", {"value": match[0]}
        )
    return dt.time(hour, minute, second)


def _format_clock_time(value: dt.time) -> str:
    return value.isoformat("seconds" if value.second else "minutes")


ClockTime = Annotated[
    dt.time, BeforeValidator(parse_clock_time), PlainSerializer(_format_clock_time, return_type=str)
]


class WatchSettings(_Strict):
    """When rates are polled often: the watched source's publication window, and how often.

    Without ``from`` and ``to``, the window is the one the first source's adapter
    declares (the National Bank of Kazakhstan's 15:30 to 18:30); times are in that
    source's zone, on its business days.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    opens: ClockTime | None = Field(
        default=None, alias="from", description="When the window opens; default: the adapter's."
    )
    closes: ClockTime | None = Field(
        default=None, alias="to", description="When it closes, that day; default: the adapter's."
    )
    every: Duration = Field(
        default=dt.timedelta(minutes=2),
        le=dt.timedelta(hours=1),
        description="How often the rates are polled inside the window.",
    )

    @model_validator(mode="after")
    def _both_ends(self) -> Self:
        if (self.opens is None) != (self.closes is None):
            raise PydanticCustomError("watch", "give both from: and to:, or neither")
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise PydanticCustomError(
                "watch", "from: {opens} is not before to: {closes} (a window ends the same day)",
                {"opens": _format_clock_time(self.opens),
                 "closes": _format_clock_time(self.closes)},
            )  # fmt: skip
        return self


def _watch_off(value: object) -> object:
    """``watch: false`` turns the watch off, as ``watch: null`` does."""
    return None if value is False else value


def _holiday_country(value: object) -> object:
    """A country code the ``holidays`` package knows (any case), or ``false`` for none."""
    if value is None or value is False:
        return value
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value.strip()):
        raise PydanticCustomError(
            "holidays", "expected a country code such as KZ, or false for no holidays"
        )
    from ticker._models import holiday_countries  # the package loads only when asked

    code = value.strip().upper()
    if code not in holiday_countries():
        raise PydanticCustomError(
            "holidays",
            "'{value}' is not a country code the holidays package knows, such as KZ or RU",
            {"value": code},
        )
    return code


class RatesSettings(_Strict):
    """Which currencies the strip shows, in which base, from where, and how often they refresh."""

    base: CurrencyCode = Field(
        default="KZT",
        description="The site's own currency, every rate is quoted in (usd/kzt, usd/uzs...).",
    )
    currencies: Annotated[list[CurrencyCode], Field(min_length=1), AfterValidator(_unique)]
    decimals: Annotated[int, Field(ge=0, le=10)] | None = Field(
        default=None,
        description="Decimals shown, rounded half up (display only); default: as published, "
        "at least two.",
    )
    refresh: Duration = dt.timedelta(hours=1)
    sources: Sources
    max_age: Duration = Field(
        default=dt.timedelta(days=4),
        description="After this long without a successful refresh a rate is hidden.",
    )
    max_jump: Decimal = Field(
        default=Decimal("0.10"),
        gt=0,
        description="A move larger than this fraction is held until a second source agrees.",
    )
    agree_within: Decimal = Field(
        default=Decimal("0.02"),
        gt=0,
        description="How close (a fraction) a second source must be to confirm a jump.",
    )
    watch: Annotated[WatchSettings | None, BeforeValidator(_watch_off)] = Field(
        default_factory=WatchSettings,
        description=(
            "Poll often while the first source publishes ({from: '15:30', to: '18:30',"
            " every: 2m}); default: its adapter's window; false: refresh alone."
        ),
    )
    holidays: Annotated[str | Literal[False] | None, BeforeValidator(_holiday_country)] = Field(
        default=None,
        description=(
            "The country whose public holidays are the banks' days off (KZ, UZ, KG, TJ,"
            " RU...); default: each adapter's own; false: weekends alone."
        ),
    )

    @model_validator(mode="after")
    def _not_in_itself(self) -> Self:
        if self.base in self.currencies:
            raise PydanticCustomError(
                "base",
                "{base} is the base: it is not quoted in itself; remove it from currencies",
                {"base": self.base},
            )
        return self


class City(_Strict):
    """A city whose weather the strip shows."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    name: Annotated[dict[Language, Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    timezone: ZoneName

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The city's time zone."""
        return zoneinfo.ZoneInfo(self.timezone)

    def display_name(self, lang: str) -> str:
        """The city's name in ``lang``; Kazakh scripts from ``kk``, each Uzbek script from the
        other; in Kyrgyz and Tajik the Russian name (a Cyrillic one the readers share);
        else English, else any."""
        names = {str(language): name for language, name in self.name.items()}
        if lang in names:
            return names[lang]
        if lang == "kk-Latn" and "kk" in names:
            return kk_latin(names["kk"])
        if lang == "kk-Arab" and "kk" in names:
            return kk_arabic(names["kk"])
        if lang == "uz-Latn" and "uz" in names:
            return uz_latin(names["uz"])
        if lang == "uz" and "uz-Latn" in names:
            return uz_cyrillic(names["uz-Latn"])
        if lang in ("ky", "tg") and "ru" in names:
            return names["ru"]
        return names.get("en") or next(iter(names.values()))


class WeatherSettings(_Strict):
    """Which cities the strip shows, from where, and how often they refresh."""

    refresh: Duration = dt.timedelta(minutes=15)
    cities: Annotated[list[City], Field(min_length=1)]
    sources: Sources
    max_age: Duration = Field(
        default=dt.timedelta(hours=6),
        description="After this long without a successful refresh a city's weather is hidden.",
    )
    forecast_days: Literal[1, 2] = Field(
        default=1, description="1: today's range; 2: tomorrow's range and condition too."
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        _unique([city.id for city in self.cities])
        return self


class HistorySettings(_Strict):
    """How long publications and the audit log are kept, and how politely to backfill."""

    retention: Duration = Field(
        default=dt.timedelta(days=400), description="Publications older than this are dropped."
    )
    backfill_delay: Duration = Field(
        default=dt.timedelta(seconds=1), description="Pause between two backfill requests."
    )
    sparkline_days: int = Field(
        default=0, ge=0, le=366, description="Days in the widget's sparklines; 0: none."
    )


class Pin(_Strict):
    """A value an editor fixes by hand, with why and until when."""

    item: str = Field(description="A currency code of rates.currencies or a city id.")
    # The bounds of an upstream's values hold for an editor's too: a typo such as
    # 1E+30 or a naive time would otherwise reach every render.
    value: Annotated[Published, Field(gt=0)] | None = Field(
        default=None, description="rates: base units per quant units, as the strip shows it."
    )
    temperature: Celsius | None = Field(default=None, description="weather: current, °C.")
    min: Celsius | None = None
    max: Celsius | None = None
    reason: Annotated[str, Field(min_length=1)]
    until: WrittenInstant = Field(description="When the pin ends, with a zone (e.g. +05:00).")


class EditorialSettings(_Strict):
    """An editor's hand on the strip: pins, hidden items, jumps held for confirmation."""

    pins: list[Pin] = []
    hide: list[str] = Field(default=[], description="Currency codes and city ids not shown.")
    confirm_jumps: bool = Field(
        default=False, description="Hold every jump for an editor instead of a second source."
    )
    confirmed: list[Pin] = Field(
        default=[], description="Held jumps an editor accepted: item, value, reason, until."
    )


class LoggingSettings(_Strict):
    """How the service logs."""

    format: Literal["text", "json"] = "text"
    level: Literal["debug", "info", "warning", "error"] = "info"


class Settings(_Strict):
    """The whole configuration of a ticker deployment."""

    cache: CacheSettings = CacheSettings()
    server: ServerSettings = ServerSettings()
    widget: WidgetSettings = WidgetSettings()
    images: ImagesSettings = ImagesSettings()
    history: HistorySettings = HistorySettings()
    editorial: EditorialSettings = EditorialSettings()
    logging: LoggingSettings = LoggingSettings()
    languages: Annotated[list[Language], Field(min_length=1), AfterValidator(_unique)] = ["en"]
    rates: RatesSettings
    weather: WeatherSettings

    @model_validator(mode="after")
    def _editorial_items(self) -> Self:
        codes, cities = set(self.rates.currencies), {city.id for city in self.weather.cities}
        editorial = self.editorial
        for index, pin in enumerate([*editorial.pins, *editorial.confirmed]):
            if pin.item in codes and pin.value is None:
                raise PydanticCustomError(
                    "pin", "pin {index}: a rate pin needs value:", {"index": index}
                )
            if pin.item in cities and pin.temperature is None:
                raise PydanticCustomError(
                    "pin", "pin {index}: a weather pin needs temperature:", {"index": index}
                )
            if pin.item not in codes | cities:
                raise PydanticCustomError(
                    "pin", "'{item}' is neither a configured currency nor a city id",
                    {"item": pin.item},
                )  # fmt: skip
        for item in editorial.hide:
            if item not in codes | cities:
                raise PydanticCustomError(
                    "hide", "'{item}' is neither a configured currency nor a city id",
                    {"item": item},
                )  # fmt: skip
        return self

    @property
    def default_language(self) -> str:
        """The language served when a request names none: the first configured."""
        return self.languages[0]


class LiveSettings:
    """The settings in force: the one holder every part of a running service reads.

    A reload calls :meth:`replace`; whatever reads :attr:`current` sees the new
    settings from its next read on, and what prepared something from the settings
    (answers, assets, the API's description, the refresh schedule) hears of it
    through :meth:`subscribe`, in the order it subscribed.
    """

    def __init__(self, settings: Settings) -> None:
        self.current = settings
        self._listeners: list[Callable[[Settings], None]] = []

    def subscribe(self, listener: Callable[[Settings], None]) -> None:
        """Call ``listener`` with the new settings after every :meth:`replace`."""
        self._listeners.append(listener)

    def replace(self, settings: Settings) -> None:
        """Put ``settings`` in force, for every reader and listener."""
        self.current = settings
        for listener in self._listeners:
            listener(settings)


def default_cache_dir() -> Path:
    """The user's cache directory for ticker (XDG on Linux, the platform's elsewhere)."""
    if sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return root / "ticker"


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read and validate a settings file; ``None`` loads the built-in default."""
    if path is None:
        source = "<default config>"
        text = resources.files("ticker").joinpath("default.yaml").read_text(encoding="utf-8")
    else:
        source = os.fspath(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(source, [("", f"cannot read the file: {exc}")]) from exc
    return parse_settings(text, source=source)


def parse_settings(text: str, *, source: str = "<string>") -> Settings:
    """Validate settings given as YAML text; ``source`` names it in errors."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(source, [("", _yaml_problem(exc))]) from exc
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(source, [("", "the file must be a mapping of keys such as rates:")])
    try:
        return Settings.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(source, with_suggestions(validation_problems(exc))) from exc


def validation_problems(
    exc: ValidationError, prefix: Sequence[str | int] = ()
) -> list[tuple[str, str]]:
    """Turn pydantic's errors into ``(key path, message)`` pairs."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = [*prefix, *error["loc"]]
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = UNKNOWN_KEY
        elif error["type"] == "missing":
            message = "required key is missing"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append((key_path(loc), message))
    return problems


#: How an unknown key is said; :func:`with_suggestions` adds the closest known key.
UNKNOWN_KEY = "unknown key"
#: How alike a known key must be to be suggested (difflib's ratio; 0.6 is its default).
SUGGEST_CUTOFF = 0.6
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def with_suggestions(
    problems: Sequence[tuple[str, str]], model: type[BaseModel] | None = None
) -> list[tuple[str, str]]:
    """``problems`` with "did you mean 'refresh'?" after each unknown key that resembles a
    key of ``model`` (default :class:`Settings`) at the same place."""
    root = model or Settings
    found = []
    for path, message in problems:
        if message == UNKNOWN_KEY:
            loc = [int(index) if index else key for key, index in _PATH_PART.findall(path)]
            close = _closest_key(root, loc)
            if close is not None:
                message = f"{UNKNOWN_KEY}; did you mean {close!r}?"
        found.append((path, message))
    return found


def _closest_key(model: type[BaseModel], loc: Sequence[str | int]) -> str | None:
    """The known key most like ``loc``'s last, among those of the model holding it."""
    if not loc or not isinstance(loc[-1], str):
        return None
    holder: Any = model
    for part in loc[:-1]:
        holder = _inside(holder, part)
    keys = [
        info.alias or name for cls in _models_in(holder) for name, info in cls.model_fields.items()
    ]
    close = difflib.get_close_matches(loc[-1], keys, n=1, cutoff=SUGGEST_CUTOFF)
    return close[0] if close else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation may hold: ``City``, ``City | None``, ``Annotated[City, ...]``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _models_in(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [model for arg in get_args(annotation) for model in _models_in(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _inside(annotation: Any, part: str | int) -> Any:
    """What ``annotation`` holds at key or index ``part`` (None when nothing known)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _inside(args[0], part)
    if origin in (Union, UnionType):
        inner = [_inside(arg, part) for arg in args]
        return next((found for found in inner if found is not None), None)
    if isinstance(part, int):
        return args[0] if origin is list and args else None
    if origin is dict and len(args) == 2:
        return args[1]
    for cls in _models_in(annotation):
        for field_name, info in cls.model_fields.items():
            if part in (field_name, info.alias):
                return info.annotation
    return None


def key_path(loc: Sequence[str | int]) -> str:
    """``('rates', 'currencies', 1)`` -> ``rates.currencies[1]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return f"invalid YAML: {problem}"
