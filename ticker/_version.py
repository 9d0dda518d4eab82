"""The installed version of ticker."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ticker")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: Sent to every upstream so that its operator can tell our requests apart.
USER_AGENT = f"ticker/{__version__} python-aiohttp"
