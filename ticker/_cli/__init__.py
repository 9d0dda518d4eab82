"""The ``ticker`` command (see :mod:`ticker._cli.main`)."""

from ticker._cli.main import main

__all__ = ["main"]
