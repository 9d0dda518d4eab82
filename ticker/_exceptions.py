"""Errors raised by ticker.

Every error ticker raises on purpose is a :class:`TickerError`.  Where an error is
also a kind of builtin error, it inherits that builtin too, so callers can catch
either::

    TickerError
    ├── ConfigError (ValueError)            a settings file or value is invalid
    ├── UpstreamError                       a source could not deliver data
    │   ├── UpstreamUnavailable (ConnectionError)
    │   │                                   network failure, timeout, HTTP error status
    │   └── UpstreamFormatError (ValueError)
    │                                       the body is not what the upstream documents
    ├── ListenError (OSError)               the service cannot listen on its address
    └── ServiceError                        the ticker service answered a client with an error
        ├── BadRequestError (ValueError)    HTTP 400: a parameter is not allowed
        └── ServiceUnavailable (ConnectionError)
                                            the service cannot be reached or failed

Low-level errors (``aiohttp.ClientError``, timeouts, XML and JSON errors, pydantic
validation errors) are translated into these once, at the adapter or client
boundary, with the original kept as ``__cause__``.
"""

from __future__ import annotations

import errno
from collections.abc import Sequence

from ticker._text import bounded

__all__ = [
    "BadRequestError",
    "ConfigError",
    "ListenError",
    "ServiceError",
    "ServiceUnavailable",
    "TickerError",
    "UpstreamError",
    "UpstreamFormatError",
    "UpstreamUnavailable",
]


class TickerError(Exception):
    """Base class of every error ticker raises on purpose."""


class ConfigError(TickerError, ValueError):
    """A settings file or value is invalid.

    ``source`` names the file (or ``"<default>"``), ``problems`` holds one
    ``(key path, message)`` pair per problem, e.g. ``("rates.currencies[1]",
    "'US' is not an ISO 4217 code")``.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: {describe_problems(problems)}")


def describe_problems(problems: Sequence[tuple[str, str]]) -> str:
    """``(key path, message)`` pairs as one line: ``a.b: message; c[0]: message``."""
    return "; ".join(f"{path}: {message}" if path else message for path, message in problems)


class ListenError(TickerError, OSError):
    """The service cannot listen on its address (the port is taken, or not ours to take)."""

    @classmethod
    def for_address(cls, host: str, port: int, exc: OSError) -> ListenError:
        """The error of binding ``host:port`` failing with ``exc``, said for an operator."""
        reason = "the address is in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        return cls(exc.errno, f"cannot listen on {host}:{port}: {reason}")


class UpstreamError(TickerError):
    """A source could not deliver data; ``source`` names the adapter.

    The message is outside text (an upstream's reason, a parser's complaint): it is
    kept as one clean line of at most :data:`~ticker._text.TEXT_LIMIT` characters.
    """

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        super().__init__(f"{source}: {bounded(message)}")


class UpstreamUnavailable(UpstreamError, ConnectionError):
    """The upstream could not be reached, timed out or answered with an error status.

    ``retry_after`` is the number of seconds the upstream asked us to wait, if it did.
    """

    def __init__(self, source: str, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(source, message)


class UpstreamFormatError(UpstreamError, ValueError):
    """The upstream's body does not have the documented format."""


class ServiceError(TickerError):
    """The ticker service answered a client request with an error."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class BadRequestError(ServiceError, ValueError):
    """The service refused a parameter (HTTP 400); ``allowed`` lists what it accepts."""

    def __init__(self, message: str, *, parameter: str | None, allowed: list[str]) -> None:
        self.parameter = parameter
        self.allowed = allowed
        super().__init__(message, status=400)


class ServiceUnavailable(ServiceError, ConnectionError):
    """The service could not be reached, timed out or failed (HTTP 5xx)."""
