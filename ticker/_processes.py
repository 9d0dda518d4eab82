"""A process that ends with the one that started it, even when that one was killed.

``ticker serve`` starts processes of its own: the render and refresh children of each
serving process, and the workers of ``--workers``.  None of them may outlive its
parent: an orphan worker would go on answering on the port beside the workers of the
next master, and an orphan child would go on refreshing.  A parent killed by SIGKILL
runs no clean-up, so each child watches for it itself: Linux tells it at once
(``PR_SET_PDEATHSIG``), and a thread that looks at the parent's pid every second is
the second line of defence, and the only one on other systems.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time

__all__ = ["PARENT_CHECK_EVERY", "die_with"]

#: How often the watching thread looks whether the parent changed.
PARENT_CHECK_EVERY = 1.0
#: prctl(2): the signal a process gets when its parent ends.
_PR_SET_PDEATHSIG = 1


def die_with(parent: int) -> None:
    """End this process when ``parent`` ends, even by SIGKILL: no orphan keeps running.

    ``parent`` is the parent's pid as the parent knew it: read in the child, it could
    already be init's, if the parent died while the child started.  The child gets
    SIGTERM (its handlers stop it in order); the watching thread ends it outright
    within a second if it is still there.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent ended before the request took hold
        os._exit(0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_EVERY)
        os._exit(0)

    threading.Thread(target=watch, name="ticker-parent-watch", daemon=True).start()
