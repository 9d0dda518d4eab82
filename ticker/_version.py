"""The installed version of ticker."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ticker")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: Sent to every upstream: who we are, so an upstream operator can reach us.
USER_AGENT = f"ticker/{__version__} (+https://github.com/ticker-kz/ticker; python-aiohttp)"
