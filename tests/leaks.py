"""One way for the suite to check that something cleaned up after itself.

Take a :class:`Snapshot` before, then call :func:`assert_nothing_leaked` after: every thread
and every file descriptor that appeared in between must be gone (bounded wait). Threads and
descriptors that were there before are left alone, so another test's server, module fixture
or handler thread finishing late can neither hide a leak nor make the check fail.

A descriptor is its number with what it points to (``7 -> socket:[12345]`` in
``/proc/self/fd``). Sockets and pipes carry an inode that is unique while they are open, so a
reused number cannot hide a new one; every asyncio event loop owns a socket pair, so a
leaked loop shows too.
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


def _descriptors() -> frozenset[str]:
    """The descriptors this process has open, as ``fd -> target`` (empty without /proc)."""
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
        found.add(f"{fd} -> {target}")
    return frozenset(found)


@dataclass(frozen=True)
class Snapshot:
    """The threads alive and the file descriptors open at one moment."""

    threads: frozenset[threading.Thread]
    descriptors: frozenset[str]

    @classmethod
    def take(cls) -> Snapshot:
        return cls(frozenset(threading.enumerate()), _descriptors())

    def new_threads(self) -> list[str]:
        """Names of the threads alive now that were not alive at the snapshot."""
        return sorted(t.name for t in threading.enumerate()
                      if t not in self.threads and t.is_alive())

    def new_descriptors(self) -> list[str]:
        """Descriptors open now that were not open at the snapshot."""
        return sorted(_descriptors() - self.descriptors)


def assert_nothing_leaked(before: Snapshot, timeout: float = SETTLE_SECONDS) -> None:
    """Wait up to ``timeout`` for every thread and descriptor made since ``before`` to go.

    Raises:
        AssertionError: naming the threads and descriptors still there after ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while (before.new_threads() or before.new_descriptors()) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    threads, descriptors = before.new_threads(), before.new_descriptors()
    assert not threads and not descriptors, (
        f"left after {timeout:g} s: threads {threads}, descriptors {descriptors}")
