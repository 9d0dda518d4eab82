"""``ticker export DIR`` and ``ticker serve --export DIR``: the strip as files to serve.

Usage::

    ticker export /var/lib/ticker/export --config site.yaml   # once: from cron, say
    ticker serve --config site.yaml --export /var/lib/ticker/export

``export`` reads the cache, renders its snapshot as every ``ticker serve`` process
does (at the stamp's time), writes the files and exits; ``serve --export`` writes
them after each new snapshot.  ``examples/nginx-static.conf`` serves them.  The
command is registered from :mod:`ticker._cli.main` with :func:`register`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ticker._config import load_settings
from ticker._data.cache import open_store
from ticker._data.refresh import utc_now
from ticker._exceptions import ConfigError
from ticker._logs import configure_logging
from ticker._serving.export import ServiceApp, attach_exporter, export_once

__all__ = ["EXIT_EXPORT", "add_serve_option", "attach", "register", "serve_arguments"]

#: ``ticker export``: nothing to export yet, or the directory cannot be written.
EXIT_EXPORT = 1

_EPILOG = """\
examples:
  ticker export /var/lib/ticker/export --config site.yaml
  */5 * * * *  ticker export /var/lib/ticker/export --config /etc/ticker/site.yaml

Every variant the service answers is written (each language and form, the default
language's copies, widget.js/.mjs/.css, the images at their default size), with .gz
and .br twins and manifest.json last; each file atomically. examples/nginx-static.conf
serves them and sends the rest to the service.
"""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ticker export DIR`` to the command's subparsers."""
    export = commands.add_parser(
        "export",
        help="write every served variant of the strip as files, once (for cron)",
        description="Render the cache's current snapshot as the service does and write\n"
        "every variant as files, for nginx or a CDN to serve.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("directory", metavar="DIR", help="where the files go (created)")
    export.add_argument(
        "--config", metavar="FILE",
        help="settings file (default: $TICKER_CONFIG, else the built-in config)",
    )  # fmt: skip
    export.set_defaults(run=_export)


def add_serve_option(serve: argparse.ArgumentParser) -> None:
    """Add ``--export DIR`` to ``ticker serve``."""
    serve.add_argument(
        "--export", metavar="DIR",
        help="also write every served variant as files into DIR after each refresh",
    )  # fmt: skip


def serve_arguments(args: argparse.Namespace) -> list[str]:
    """The ``--export`` a master passes on to its workers."""
    return ["--export", args.export] if getattr(args, "export", None) else []


def attach(app: ServiceApp, args: argparse.Namespace) -> None:
    """With ``--export DIR``, make the app write its snapshots there; a directory that
    cannot be written is a :class:`ConfigError` (exit 2, before anything starts)."""
    directory = getattr(args, "export", None)
    if not directory:
        return
    try:
        attach_exporter(app, Path(directory))
    except OSError as exc:
        raise ConfigError("--export", [("", f"cannot write to {directory}: {exc}")]) from exc


def _export(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    configure_logging(settings.logging.level, settings.logging.format)
    store = open_store(settings.cache)
    try:
        if store.stamp() is None:
            # An empty cache would export a strip of dashes over a good export.
            print(
                "ticker: the cache holds nothing a refresh stamped yet; run `ticker refresh` "
                "or `ticker serve` with the same settings first",
                file=sys.stderr,
            )
            return EXIT_EXPORT
        report = export_once(settings, store, Path(args.directory), clock=utc_now)
    except OSError as exc:
        print(f"ticker: cannot export to {args.directory}: {exc}", file=sys.stderr)
        return EXIT_EXPORT
    finally:
        store.close()
    print(report.summary())
    return 0
