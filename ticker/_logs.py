"""Logging: readable lines by default, one JSON object per line on request.

``logging: {format: json}`` makes every record a JSON object with ``time`` (UTC),
``level``, ``logger``, ``message`` and the structured fields a record carries (a
refresh logs ``kind``, ``source``, ``outcome``, ``items`` and ``seconds``). Secrets
never reach a record: upstream errors are scrubbed where they are made.

Nothing from outside can make a line long or forge another: every record's message
is one clean line of at most :data:`~ticker._text.LOG_MESSAGE_LIMIT` characters
(:func:`~ticker._text.bounded`: control and bidi characters removed), and so is each
text field, before any handler formats it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import TextIO

from ticker._text import LOG_MESSAGE_LIMIT, TEXT_LIMIT, bounded

__all__ = ["FIELDS", "BoundedRecords", "JsonFormatter", "configure_logging"]

#: The structured fields a record may carry (passed with ``extra=``).
FIELDS = ("kind", "source", "outcome", "items", "seconds", "error", "item", "value")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_PLAIN = logging.Formatter()


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
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class BoundedRecords(logging.Filter):
    """Makes each record's message, and each text field it carries, one bounded line."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: say so rather than lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = bounded(message, LOG_MESSAGE_LIMIT), None
        for name in FIELDS:
            value = getattr(record, name, None)
            if isinstance(value, str):
                setattr(record, name, bounded(value, TEXT_LIMIT))
        if record.exc_info and not record.exc_text:
            # A traceback's lines are the code's; its last says the error, which may
            # quote outside text: every line is cut to the limit.
            lines = _PLAIN.formatException(record.exc_info).splitlines()
            record.exc_text = "\n".join(
                line if len(line) <= LOG_MESSAGE_LIMIT else bounded(line, LOG_MESSAGE_LIMIT)
                for line in lines
            )
        return True


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
    handler.addFilter(BoundedRecords())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())
    if level != "debug":
        # The scheduler logs every run; ticker.refresh already logs each outcome.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
