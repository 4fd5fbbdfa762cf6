"""One way for the suite to check that something cleaned up after itself.

Take a :class:`Snapshot` before, then call :func:`assert_nothing_leaked` after: every thread
and every socket that appeared in between must be gone (bounded wait). Threads and sockets
that were there before are left alone, so another test's server, module fixture or handler
thread finishing late can neither hide a leak nor make the check fail.

Sockets are told apart by their inode (``socket:[12345]`` in ``/proc/self/fd``), which is
unique while the socket is open, so a reused descriptor number cannot hide a new socket.
Every asyncio event loop owns a socket pair, so a leaked loop shows here too.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass

PROC_FDS = "/proc/self/fd"
POLL_SECONDS = 0.02
SETTLE_SECONDS = 5.0

__all__ = ["Snapshot", "assert_nothing_leaked"]


def _sockets() -> frozenset[str]:
    """The sockets this process has open, as ``socket:[inode]`` (empty without /proc)."""
    found = set()
    try:
        fds = os.listdir(PROC_FDS)
    except OSError:
        return frozenset()
    for fd in fds:
        try:
            target = os.readlink(f"{PROC_FDS}/{fd}")
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:"):
            found.add(target)
    return frozenset(found)


@dataclass(frozen=True)
class Snapshot:
    """The threads alive and the sockets open at one moment."""

    threads: frozenset[threading.Thread]
    sockets: frozenset[str]

    @classmethod
    def take(cls) -> Snapshot:
        return cls(frozenset(threading.enumerate()), _sockets())

    def new_threads(self) -> list[str]:
        """Names of the threads alive now that were not alive at the snapshot."""
        return sorted(t.name for t in threading.enumerate()
                      if t not in self.threads and t.is_alive())

    def new_sockets(self) -> list[str]:
        """Sockets open now that were not open at the snapshot."""
        return sorted(_sockets() - self.sockets)


def assert_nothing_leaked(before: Snapshot, timeout: float = SETTLE_SECONDS) -> None:
    """Wait up to ``timeout`` for every thread and socket made since ``before`` to go.

    Raises:
        AssertionError: naming the threads and sockets still there after ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while (before.new_threads() or before.new_sockets()) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    threads, sockets = before.new_threads(), before.new_sockets()
    assert not threads and not sockets, (
        f"left after {timeout:g} s: threads {threads}, sockets {sockets}")
