"""Logging: readable lines by default, one JSON object per line on request.

``logging: {format: json}`` makes every record a JSON object with ``time`` (UTC),
``level``, ``logger``, ``message`` and the structured fields a record carries (a
refresh logs ``kind``, ``source``, ``outcome``, ``items`` and ``seconds``). Secrets
never reach a record: upstream errors are scrubbed where they are made.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import TextIO

__all__ = ["FIELDS", "JsonFormatter", "configure_logging"]

#: The structured fields a record may carry (passed with ``extra=``).
FIELDS = ("kind", "source", "outcome", "items", "seconds", "error", "item", "value")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time, not the one it was made with."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(level: str, fmt: str) -> None:
    """Log to stderr at ``level`` (debug, info...) as ``text`` or ``json``."""
    handler = _Stderr()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    if level != "debug":
        # The scheduler logs every run; ticker.refresh already logs each outcome.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
