"""The ``ticker`` command.

Usage::

    ticker serve [--config FILE] [--host HOST] [--port PORT]
    ticker refresh [--config FILE] [--lang LANG]
    ticker backfill [--config FILE] [--days N]
    ticker reload --pid-file FILE [--wait SECONDS]
    ticker check-config [FILE]
    ticker convert 100 USD KZT [--date YYYY-MM-DD] [--config FILE] [--url URL] [--json]

The settings file is ``--config``, else the environment variable ``TICKER_CONFIG``,
else the built-in configuration.  Every subcommand's ``--help`` has a description
and examples (argparse epilogs, kept as written by ``RawDescriptionHelpFormatter``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import aiohttp
from multidict import MultiDict

from ticker._cli import example
from ticker._cli import export as export_command
from ticker._cli.reloading import RELOAD_WAIT, CannotReload, ReloadAnswers, pid_file, request_reload
from ticker._cli.workers import EXIT_CONFIG, run_workers
from ticker._client import TickerClient
from ticker._config import Settings, load_settings, with_suggestions
from ticker._data.backfill import MAX_FAILURES_IN_A_ROW, backfill, terminal_progress
from ticker._data.cache import open_store
from ticker._data.history import History, HistoryObserver
from ticker._data.leader import fingerprint, stamp_outside
from ticker._data.refresh import Refresher, utc_now
from ticker._exceptions import BadRequestError, ConfigError, ListenError, ServiceError
from ticker._languages import language_key
from ticker._logs import configure_logging
from ticker._processes import die_with
from ticker._serving.app import create_app, reconfigure, serve
from ticker._serving.connections import raise_descriptor_limit
from ticker._serving.convert_routes import (
    NoRate,
    conversion,
    convert_query,
    dated_rates,
    shown_rates,
)
from ticker._serving.responses import QueryError
from ticker._serving.snapshot import strip_from_store
from ticker._staleness import rates_today
from ticker._version import DISTRIBUTION, USER_AGENT, __version__
from ticker._wire import Conversion
from ticker.sources import SourceSet, build_sources

__all__ = ["CONFIG_ENV", "EXIT_CONFIG", "EXIT_NO_RATE", "EXIT_USAGE", "main"]

log = logging.getLogger("ticker")

#: ``ticker convert``: an argument the conversion does not take (as argparse's own 2).
EXIT_USAGE = 2
#: ``ticker convert``: a currency of the pair has no rate now, or none can be read.
EXIT_NO_RATE = 1
#: The environment variable naming the settings file when ``--config`` is not given.
CONFIG_ENV = "TICKER_CONFIG"
CONFIG_HELP = f"settings file (default: ${CONFIG_ENV}, else the built-in config)"


def _load(path: str | None) -> tuple[Settings, SourceSet]:
    settings = load_settings(path)
    source = path or "<default config>"
    try:
        sources = build_sources(settings, config_source=source)
    except ConfigError as exc:  # an adapter refused a key: suggest the common ones too
        raise ConfigError(exc.source, with_suggestions(exc.problems)) from exc
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        configure_logging(settings.logging.level, settings.logging.format)
    return settings, sources


def _serve(args: argparse.Namespace) -> int:
    # Until the service handles SIGHUP (once it serves), one must not end it: an early
    # `ticker reload`, or the master passing one on to a worker that is still starting.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    worker = args.worker is not None
    if worker:
        die_with(args.worker)  # no orphan answers beside the next master's workers
    settings, sources = _load(args.config)
    raise_descriptor_limit(warn=not worker)  # the workers inherit it; the master warns
    host = args.host or settings.server.host
    port = args.port or settings.server.port
    owner = args.pid_file is not None and not worker  # workers leave it to the master
    with pid_file(Path(args.pid_file) if owner else None) as answers:
        if args.workers > 1:
            return _serve_workers(args, host, port, answers)
        _serve_one(args, settings, sources, host, port, answers)
    return 0


def _serve_one(
    args: argparse.Namespace,
    settings: Settings,
    sources: SourceSet,
    host: str,
    port: int,
    answers: ReloadAnswers,
) -> None:
    """Serve in this process until SIGTERM or SIGINT; SIGHUP reloads the settings."""
    _use_uvloop()
    where = settings.cache.url if settings.cache.backend == "redis" else settings.cache.directory
    log.info("ticker %s: %s cache at %s", __version__, settings.cache.backend, where)
    app = create_app(settings, sources=sources, offload=True)
    export_command.attach(app, args)  # --export DIR

    async def reload() -> None:
        try:
            new, new_sources = await asyncio.to_thread(_load, args.config)
        except ConfigError as exc:
            log.error("reload refused, the settings in force stay: %s", exc)
            answers.record(str(exc))
            return
        reconfigure(app, new, new_sources)
        answers.record(None)

    asyncio.run(serve(app, host, port, reuse_port=args.worker is not None, reload=reload))


def _serve_workers(args: argparse.Namespace, host: str, port: int, answers: ReloadAnswers) -> int:
    """Serve with ``args.workers`` processes; the master answers reloads for them all."""
    forwarded = ["serve", "--host", host, "--port", str(port)]
    if args.config:
        forwarded += ["--config", args.config]
    forwarded += export_command.serve_arguments(args)

    def check() -> bool:
        # The master loads the file first and passes SIGHUP on only when it can be used,
        # so the workers all take the new settings or none does.
        try:
            _load(args.config)
        except ConfigError as exc:
            log.error("reload refused, the settings in force stay: %s", exc)
            answers.record(str(exc))
            return False
        answers.record(None)
        return True

    return run_workers(forwarded, args.workers, address=(host, port), on_hangup=check)


def _backfill(args: argparse.Namespace) -> int:
    """Fill the history from the per-date endpoint, one request at a time."""
    settings, sources = _load(args.config)
    config = args.config or "<default config>"
    return asyncio.run(_backfill_days(settings, sources, args.days, config))


async def _backfill_days(settings: Settings, sources: SourceSet, days: int, config: str) -> int:
    store = open_store(settings.cache)
    try:
        history = History(store.backend, settings.history, clock=utc_now)
        async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
            with terminal_progress(sys.stderr, days=days) as progress:
                report = await backfill(
                    settings, sources, history, session, days=days,
                    today=rates_today(utc_now()), delay=settings.history.backfill_delay,
                    progress=progress, config_source=config,
                )  # fmt: skip
    finally:
        store.close()
    print(report.summary())
    where = _dated_entry(settings, report.source)
    if report.failures:
        day, error = report.failures[-1]
        print(
            f"ticker: {report.failed} day(s) failed; the last, {day}: {error}\n"
            f"  source: {where} in {config}", file=sys.stderr,
        )  # fmt: skip
    if report.stopped:
        print(
            f"ticker: backfill stopped after {MAX_FAILURES_IN_A_ROW} failed days in a row;"
            f" check the network, or the url of {where} in {config}", file=sys.stderr,
        )  # fmt: skip
    return 1 if report.failed else 0


def _dated_entry(settings: Settings, label: str) -> str:
    """``rates.sources[0] (nbk)``: where the backfill's source is in the settings."""
    for index, entry in enumerate(settings.rates.sources):
        if entry.label == label:
            return f"rates.sources[{index}] ({label})"
    return label


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _reload(args: argparse.Namespace) -> int:
    """Ask a running ``ticker serve`` to reload its settings (SIGHUP) and wait for its answer."""
    try:
        pid, outcome = request_reload(Path(args.pid_file), args.wait)
    except CannotReload as exc:
        print(f"ticker: {exc}", file=sys.stderr)
        return 1
    if outcome != "ok":
        reason = outcome.removeprefix("refused: ")
        print(f"ticker: process {pid} refused the new settings and keeps the old: {reason}",
              file=sys.stderr)  # fmt: skip
        return 1
    print(f"process {pid} reloaded its settings")
    return 0


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _use_uvloop() -> None:
    """Run on uvloop when it is installed (``pip install 'ticker-strip[uvloop]'``)."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _refresh_once(settings: Settings, sources: SourceSet, lang: str) -> int:
    """Refresh everything once, tell running services (a new stamp), print the strip."""
    store = open_store(settings.cache)
    try:
        history = History(store.backend, settings.history, clock=utc_now)
        async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
            refresher = Refresher(
                settings, sources, store, session, observers=[HistoryObserver(history)]
            )
            reports = await refresher.refresh_all()
        now = utc_now()
        owner = f"ticker-refresh:{socket.gethostname()}:{os.getpid()}"
        for report in reports:
            await asyncio.to_thread(
                store.put_last_refresh, report.kind, now, owner, fingerprint(settings, report.kind)
            )
        await asyncio.to_thread(stamp_outside, store, now)
        strip = await asyncio.to_thread(strip_from_store, settings, store, lang=lang, now=now)
    finally:
        store.close()
    print(strip.text)
    failed = False
    for report in reports:
        for outcome in report.outcomes:
            if not outcome.ok:
                failed = True
                print(f"error: {outcome.error}", file=sys.stderr)
    return 1 if failed else 0


def _refresh(args: argparse.Namespace) -> int:
    settings, sources = _load(args.config)
    lang = language_key(args.lang) or args.lang if args.lang else settings.default_language
    if lang not in settings.languages:
        raise ConfigError("--lang", [("", f"{lang!r} is not one of {settings.languages}")])
    return asyncio.run(_refresh_once(settings, sources, lang))


def _check_config(args: argparse.Namespace) -> int:
    settings, sources = _load(args.config)
    kinds = (("rates", sources.rates), ("weather", sources.weather))
    print(f"{args.config}: ok")
    for kind, built in kinds:
        print(f"  {kind}: " + ", ".join(source.name for source in built))
    print(f"  currencies: {', '.join(settings.rates.currencies)} (in {settings.rates.base})")
    print(f"  cities: {', '.join(city.id for city in settings.weather.cities)}")
    print(f"  images: {_images_line(settings)}")
    return 0


def _images_line(settings: Settings) -> str:
    """Whether the images can be drawn: the fonts found, or what is missing (not an error:
    every other form is served without them)."""
    from ticker._strip.images import Fonts, ImagesUnavailable

    try:
        fonts = Fonts.load(tuple(settings.images.fonts))
    except ImagesUnavailable as exc:
        return f"unavailable, /v1/strip.png and /v1/card.png will answer 503: {exc}"
    return f"ok ({len(fonts.files)} font files)"


def _convert(args: argparse.Namespace) -> int:
    """Convert an amount: from the configured cache, or through a running service."""
    try:
        if args.url:
            answer = asyncio.run(_convert_remote(args))
        else:
            answer = _convert_local(args, load_settings(args.config))
    except (QueryError, BadRequestError) as exc:
        print(f"ticker: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (NoRate, ServiceError) as exc:
        print(f"ticker: {exc}", file=sys.stderr)
        return EXIT_NO_RATE
    print(answer.model_dump_json(by_alias=True) if args.json else _conversion_line(answer))
    return 0


def _convert_local(args: argparse.Namespace, settings: Settings) -> Conversion:
    """The conversion from what the cache holds, as the service would answer it."""
    query_text = MultiDict({"from": args.source, "to": args.target, "amount": args.amount})
    if args.date is not None:
        query_text["date"] = args.date
    now = utc_now()
    today = rates_today(now)
    query = convert_query(query_text, settings, today=today)
    store = open_store(settings.cache)
    try:
        if query.day is not None:
            history = History(store.backend, settings.history, clock=utc_now)
            rates = dated_rates(history, query, settings, today=today)
            return conversion(query, rates, settings.rates.base)
        strip = strip_from_store(settings, store, lang=settings.default_language, now=now)
    except (QueryError, NoRate):
        raise
    except Exception as exc:  # the cache cannot be read: no rate, said in one line
        raise NoRate("from", f"cannot read the cache: {type(exc).__name__}: {exc}", []) from exc
    finally:
        store.close()
    shown = shown_rates(strip, settings.rates.base)
    return conversion(query, shown.rates, settings.rates.base, shown.missing)


async def _convert_remote(args: argparse.Namespace) -> Conversion:
    day = None
    if args.date is not None:
        try:
            day = dt.date.fromisoformat(args.date)
        except ValueError:
            raise QueryError("date", f"date {args.date!r} is not a date YYYY-MM-DD", []) from None
    async with TickerClient(args.url) as client:
        return await client.convert(args.amount, args.source, args.target, date=day)


def _conversion_line(answer: Conversion) -> str:
    """``100 USD = 44599.00 KZT (rate 445.99, nbk, 2026-12-02)``."""
    facts = [f"rate {answer.rate:f}", answer.source, answer.date and answer.date.isoformat()]
    said = ", ".join(fact for fact in facts if fact)
    return f"{answer.amount:f} {answer.from_} = {answer.text} {answer.to} ({said})"


#: What ``ticker --help`` says after the list of subcommands.
MAIN_EPILOG = f"""\
The settings file is --config FILE, else ${CONFIG_ENV}, else the built-in config
(the National Bank and Open-Meteo; the cache in ~/.cache/ticker).

examples:
  ticker serve --config examples/offline.yaml     # no network needed
  ticker refresh --lang ru                        # one refresh; prints the strip
  ticker COMMAND --help                           # each command's options and examples
"""

SERVE_HELP = (
    "run the HTTP service and the refresh jobs",
    """\
Serve the strip (JSON, text, HTML fragment and frame, images), the landing page at /,
the API's description at /docs and /openapi.json, /healthz and /readyz; refresh the
cache once at start-up and then on schedule. With no network every source fails:
serve examples/offline.yaml, whose values come from the file.

examples:
  ticker serve                                       # http://127.0.0.1:8080/
  ticker serve --config examples/offline.yaml        # no network needed
  TICKER_CONFIG=/etc/ticker/site.yaml ticker serve --workers 4 --pid-file /run/ticker.pid
""",
)
REFRESH_HELP = (
    "refresh once and print the strip",
    """\
Refresh every source once, tell running services (a new stamp) and print the strip
line; exits 1 if a source failed, after printing what the cache holds.

examples:
  ticker refresh --lang ru
  ticker refresh --config site.yaml                  # from cron: exit 1 on a failure
""",
)
BACKFILL_HELP = (
    "fill the rates history from the per-date endpoint, politely",
    """\
Ask the first rates source that serves past dates (nbk, cbu, nbt) for each of the
last --days days, oldest first, history.backfill_delay apart. A progress bar shows on
a terminal (nothing when the output is not one); it stops after five failed days in a
row, and exits 1 when a day failed.

examples:
  ticker backfill --days 10
  ticker backfill --config site.yaml --days 90
""",
)
RELOAD_HELP = (
    "make a running service reload its settings (or send it SIGHUP)",
    """\
Send SIGHUP to the service whose pid is in --pid-file and wait for its answer: the
new settings are in force, or it refused them (the reason is printed) and keeps
the old.

examples:
  ticker reload --pid-file /run/ticker.pid
  ticker reload --pid-file /run/ticker.pid --wait 30
""",
)
CONVERT_HELP = (
    "convert an amount between two currencies at the official rates",
    """\
Convert through the site's base currency at the rates the cache holds (or a past
date's from the history), or ask a running service with --url.

examples:
  ticker convert 100 USD KZT
  ticker convert 12.50 EUR RUB --date 2026-12-01
  ticker convert 100 USD KZT --url https://ticker.example --json
""",
)
CHECK_HELP = (
    "validate a settings file",
    f"""\
Validate FILE (default: ${CONFIG_ENV}) as serve would, build its sources, and say
which sources, currencies and cities it names and whether the images can be drawn.
Exits 2 naming each bad key.

examples:
  ticker check-config examples/offline.yaml
  TICKER_CONFIG=site.yaml ticker check-config
""",
)


def _command(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    texts: tuple[str, str],
) -> argparse.ArgumentParser:
    """A subcommand with a one-line ``help``, and a description and examples as written."""
    summary, details = texts
    description, _, examples = details.partition("\nexamples:\n")
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=description.strip(),
        epilog="examples:\n" + examples.rstrip() if examples else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    return parser


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ticker",
        description="Official exchange rates and city weather as a news site's header strip.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{DISTRIBUTION} {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = _command(commands, "serve", SERVE_HELP)
    serve.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    serve.add_argument("--host", help="listen address (default: server.host)")
    serve.add_argument("--port", type=int, help="listen port (default: server.port)")
    serve.add_argument(
        "--workers", type=int, default=1, help="processes answering on the port (default: 1)"
    )
    # A worker of `--workers` is told its master's pid, to end when the master does.
    serve.add_argument("--worker", type=int, metavar="MASTER_PID", help=argparse.SUPPRESS)
    serve.add_argument("--pid-file", help="write the process id here, for `ticker reload`")
    export_command.add_serve_option(serve)
    serve.set_defaults(run=_serve)

    refresh = _command(commands, "refresh", REFRESH_HELP)
    refresh.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    refresh.add_argument("--lang", help="language of the printed strip")
    refresh.set_defaults(run=_refresh)

    fill = _command(commands, "backfill", BACKFILL_HELP)
    fill.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    fill.add_argument("--days", type=_positive, default=30, help="days back (default: 30)")
    fill.set_defaults(run=_backfill)

    reload = _command(commands, "reload", RELOAD_HELP)
    reload.add_argument("--pid-file", required=True, help="the file given to `serve --pid-file`")
    reload.add_argument(
        "--wait", type=_seconds, default=RELOAD_WAIT, metavar="SECONDS",
        help=f"how long to wait for the service's answer (default: {RELOAD_WAIT:g})",
    )  # fmt: skip
    reload.set_defaults(run=_reload)

    convert = _command(commands, "convert", CONVERT_HELP)
    convert.add_argument("amount", help="e.g. 100 or 12.50")
    convert.add_argument("source", metavar="FROM", help="a currency code, e.g. USD")
    convert.add_argument("target", metavar="TO", help="a currency code, e.g. KZT")
    convert.add_argument("--date", metavar="YYYY-MM-DD", help="the rates of this date")
    convert.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    convert.add_argument("--url", help="ask the service at this URL instead of the cache")
    convert.add_argument("--json", action="store_true", help="print the answer as JSON")
    convert.set_defaults(run=_convert)

    check = _command(commands, "check-config", CHECK_HELP)
    check.add_argument("config", metavar="FILE", nargs="?", help=f"default: ${CONFIG_ENV}")
    check.set_defaults(run=_check_config)

    example.register(commands)
    export_command.register(commands)
    return parser


def _config_from_environment(args: argparse.Namespace) -> None:
    """``--config`` (or check-config's FILE) when given, else ``$TICKER_CONFIG`` if set."""
    if hasattr(args, "config") and args.config is None:
        args.config = os.environ.get(CONFIG_ENV) or None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ticker`` command; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    _config_from_environment(args)
    if args.command == "check-config" and args.config is None:
        parser.error(f"check-config needs FILE or ${CONFIG_ENV}")
    configure_logging("debug" if args.verbose else "info", "text")
    try:
        status: int = args.run(args)
    except ConfigError as exc:
        print(f"ticker: invalid configuration: {exc.source}", file=sys.stderr)
        for path, message in exc.problems:
            print(f"  {path}: {message}" if path else f"  {message}", file=sys.stderr)
        return EXIT_CONFIG
    except ListenError as exc:  # nothing a restart fixes either; the message says it all
        print(f"ticker: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_CONFIG
    return status
