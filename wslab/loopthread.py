"""One asyncio event loop in one background thread: start it, run coroutines on it, stop it.

:class:`~wslab.server.LabServer`, :class:`~wslab.scratch.ScratchServer` and
:class:`~wslab.tap.Tap` each serve from a loop of their own in a thread of their own, so
they behave the same in a Jupyter kernel (whose loop is already running), a script and
pytest, and a *sync* client in the same thread never deadlocks them::

    runner = LoopThread("wslab-demo").start()
    server = runner.call(asyncio.start_server(handle, sock=tcp_listener("127.0.0.1", 0)), 5)
    ...
    runner.stop(5)  # cancels what is left, closes the loop, joins the thread

Also here: :func:`is_loopback` (is a host this machine?) and :func:`tcp_listener`, a
listening socket on which asyncio turns Nagle's algorithm off for every accepted connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import logging
import os
import socket
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["LoopThread", "is_loopback", "tcp_listener"]

T = TypeVar("T")
CLEANUP_TIMEOUT = 5.0  # seconds the thread gives cancelled tasks to finish before closing
_log = logging.getLogger("wslab.loopthread")


def is_loopback(host: str) -> bool:
    """Whether ``host`` ("localhost", "127.0.0.1", "::1"...) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tcp_listener(host: str, port: int, backlog: int = 100) -> socket.socket:
    """A TCP socket listening on ``(host, port)`` (port 0: a free one).

    Made with ``proto=IPPROTO_TCP``, unlike :func:`socket.create_server` (proto 0): the
    sockets it accepts inherit that, and asyncio sets ``TCP_NODELAY`` only on sockets whose
    proto is ``IPPROTO_TCP``. Without it, Nagle's algorithm holds a small write back until
    the previous one is acknowledged, and the peer delays its ACK: back-to-back small
    messages then stall ~40 ms (Linux).

    Raises:
        OSError: the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name not in ("nt", "cygwin"):  # as socket.create_server: quick restarts
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and socket.has_dualstack_ipv6():
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


class LoopThread:
    """An event loop running forever in a daemon thread named ``name``.

    Args:
        name: the thread's name, e.g. ``"wslab-server-8765"``.
        on_exit: called in the loop's thread once the loop has stopped, before leftover
            tasks are cancelled (to drop connections, close listening sockets...).
    """

    def __init__(self, name: str, *, on_exit: Callable[[], None] | None = None) -> None:
        self.name = name
        self.on_exit = on_exit
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop (``None`` before :meth:`start`)."""
        return self._loop

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def in_thread(self) -> bool:
        """Whether the caller runs in the loop's own thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def start(self) -> LoopThread:
        """Create the loop and start the thread; return ``self``.

        Raises:
            RuntimeError: already started (make a new LoopThread to start again).
        """
        if self._thread is not None:
            raise RuntimeError(f"LoopThread {self.name!r} was already started")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        self._thread.start()
        return self

    def start_with(self, coro: Coroutine[Any, Any, T], timeout: float, *, what: str,
                   sock: socket.socket | None = None) -> T:
        """Start, then run ``coro`` (what opens a server, say) and return its result.

        If that fails, ``sock`` (the listening socket) is closed and the thread stopped
        before the error is raised.

        Raises:
            TimeoutError: ``coro`` was not done within ``timeout`` ("<what> did not start").
            Exception: whatever ``coro`` raised.
        """
        self.start()
        try:
            return self.call(coro, timeout)
        except BaseException as exc:
            if sock is not None:
                sock.close()
            self.stop(timeout)
            if isinstance(exc, TimeoutError):
                raise TimeoutError(f"{what} did not start within {timeout:g} s") from None
            raise

    def call(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` on the loop and wait for its result.

        Raises:
            TimeoutError: not done within ``timeout`` seconds (it is then cancelled).
            RuntimeError: the loop is not running, or this is the loop's own thread.
            Exception: whatever ``coro`` raised.
        """
        loop = self._loop
        if loop is None or not self.running or loop.is_closed() or self.in_thread():
            coro.close()
            why = "called from its own thread" if self.in_thread() else "not running"
            raise RuntimeError(f"LoopThread {self.name!r} is {why}")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        done, _ = concurrent.futures.wait([future], timeout)
        if not done:
            future.cancel()
            raise TimeoutError(f"{self.name}: not done within {timeout:g} s")
        return future.result()

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> bool:
        """Schedule ``fn(*args)`` on the loop from any thread; ``False`` if it is closed."""
        loop = self._loop
        if loop is None:
            return False
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed already
            return False
        return True

    def stop(self, timeout: float) -> bool:
        """Stop the loop; in its thread, cancel what is left, close it; join the thread.

        Safe to call twice, or before :meth:`start`.

        Returns:
            whether the thread ended within ``timeout`` seconds (if not, it cleans up on
            its own once whatever blocks its loop returns).
        Raises:
            RuntimeError: called from the loop's own thread.
        """
        thread = self._thread
        if thread is None:
            return True
        if self.in_thread():
            raise RuntimeError(f"LoopThread {self.name!r} cannot stop from its own thread")
        if self._loop is not None:
            self.call_soon(self._loop.stop)
        thread.join(timeout)
        return not thread.is_alive()

    def _main(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            try:
                if self.on_exit is not None:
                    try:
                        self.on_exit()
                    except Exception:  # cleaning up goes on regardless
                        _log.exception("%s: on_exit failed", self.name)
                tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in tasks:
                    task.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.wait(tasks, timeout=CLEANUP_TIMEOUT))
                    for task in tasks:  # retrieve exceptions: no "never retrieved" noise
                        if task.done() and not task.cancelled():
                            task.exception()
                with contextlib.suppress(Exception):
                    loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                asyncio.set_event_loop(None)
                loop.close()
