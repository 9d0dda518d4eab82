"""The installed distribution's name and version.

The distribution is ``ticker-strip`` (the name ``ticker`` is taken on PyPI by another
project); the import package and the command are ``ticker``. The version is read from the
installed metadata, so ``pyproject.toml`` is its only source.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

#: The name on PyPI: ``pip install ticker-strip``.
DISTRIBUTION = "ticker-strip"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: Sent to every upstream so that its operator can tell our requests apart.
USER_AGENT = f"ticker/{__version__} python-aiohttp"
