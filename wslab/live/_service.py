"""A service: a server on loopback, served by one asyncio event loop in one thread of its own.

:class:`~wslab.live.LabServer`, :class:`~wslab.live.ScratchServer` and
:class:`~wslab.live.Tap` are services. Each serves from a :class:`LoopThread`, so it
behaves the same in a Jupyter kernel (whose loop is already running), a script and pytest,
and a *sync* client in the same thread never deadlocks it. They share one lifecycle,
:class:`Service`::

    with LabServer() as srv:          # start() on entry, stop() on exit
        print(srv.url)                # ws://127.0.0.1:PORT
    srv.start(); srv.start()          # RuntimeError: already running
    srv.stop(); srv.stop()            # the second is a no-op
    Service.stop_all()                # every service still running (LabServer.stop_all():
                                      # every LabServer), e.g. when notebook cells re-run

Also here: :func:`is_loopback` (is a host this machine?), :func:`tcp_listener` (a listening
socket on which asyncio turns Nagle's algorithm off for every accepted connection),
:func:`host_port` and :func:`ws_url` (an address and a URL, an IPv6 host in brackets).
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
import time
import warnings
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")
S = TypeVar("S", bound="Service")

LOOPBACK = "127.0.0.1"  # where services listen unless told otherwise: this machine only
THREAD_PREFIX = "wslab"  # every thread of the live layer is named so (tests look for leaks)
READ_SIZE = 64 * 1024  # bytes asked from TCP per read, by every socket of the live layer
START_TIMEOUT = 5.0  # default seconds Service.start waits for the service to listen
STOP_TIMEOUT = 5.0  # default seconds Service.stop takes at most (close connections, join)
CLEANUP_TIMEOUT = 5.0  # seconds a stopped loop gives its cancelled tasks before it closes
LISTEN_BACKLOG = 100  # connections the kernel queues for a listening socket
_SHUTDOWN_SHARE = 0.5  # of the stop timeout, for closing connections politely
_MIN_JOIN_SHARE = 0.2  # of the stop timeout, left at least for joining the thread

_log = logging.getLogger("wslab.live._service")


def is_loopback(host: str) -> bool:
    """Whether ``host`` ("localhost", "127.0.0.1", "::1"...) is this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_port(host: str, port: int) -> str:
    """``host:port``, an IPv6 host in brackets (RFC 3986 §3.2.2), e.g. ``[::1]:8765``."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def ws_url(host: str, port: int, scheme: str = "ws", path: str = "") -> str:
    """``scheme://host:port`` and ``path``, an IPv6 host in brackets (RFC 3986 §3.2.2).

    >>> ws_url("::1", 8765, path="/echo")
    'ws://[::1]:8765/echo'
    """
    return f"{scheme}://{host_port(host, port)}{path}"


def tcp_listener(host: str, port: int, backlog: int = LISTEN_BACKLOG) -> socket.socket:
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


_RUNNING: set[Service] = set()  # every service started and not stopped yet
_RUNNING_LOCK = threading.Lock()


class Service:
    """A server on loopback in a thread of its own: the lifecycle every live server shares.

    ``start()`` listens and serves in a thread named ``wslab-<kind>-<port>`` and returns the
    service; ``stop()`` closes every connection and joins the thread. A service can start
    again after a stop: with port 0 it keeps the port it had when it can, so its URL stays
    the same. ``with service:`` starts and stops it.

    Subclasses set :attr:`kind`, and implement :meth:`_serve` (start serving on the
    listening socket) and :meth:`_shutdown` (close every connection), both run on the
    loop; :meth:`_abandon` closes what a shutdown that did not finish left open.

    Args:
        host: where to listen; anything but loopback must be asked for, and warns.
        port: TCP port (0: a free one, kept across restarts when possible).
        start_timeout: seconds :meth:`start` waits for the service to listen.
    """

    kind: ClassVar[str] = "service"
    """The word in the thread's name, ``wslab-<kind>-<port>``."""

    def __init__(self, host: str = LOOPBACK, port: int = 0, *,
                 start_timeout: float = START_TIMEOUT) -> None:
        if not is_loopback(host):
            warnings.warn(f"{type(self).__name__} listens on {host}, beyond this machine: "
                          f"anyone who can reach it can use it", stacklevel=3)
            _log.warning("%s binding to non-loopback address %s", type(self).__name__, host)
        self._host, self._requested_port, self._port = host, port, port
        self.start_timeout = start_timeout
        self._runner: LoopThread | None = None
        self._address: tuple[Any, ...] | None = None

    # -- where ----------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """The address listened on, e.g. ``"127.0.0.1"`` or ``"::1"``."""
        return self._host

    @property
    def port(self) -> int:
        """The port listened on (before the first start: the one asked for, 0 for any)."""
        return self._port

    @property
    def scheme(self) -> str:
        """The scheme of :attr:`url`: ``"ws"`` (``"wss"`` for a server speaking TLS)."""
        return "ws"

    @property
    def url(self) -> str:
        """``ws://HOST:PORT`` (an IPv6 host in brackets): add a path to it.

        Raises:
            RuntimeError: the port is not known yet (port 0 and never started).
        """
        return self._url(self.scheme)

    def _url(self, scheme: str, path: str = "") -> str:
        if not self._port:
            raise RuntimeError(f"{type(self).__name__} has no port yet: call start() first")
        return ws_url(self._host, self._port, scheme, path)

    @property
    def address(self) -> tuple[Any, ...] | None:
        """The listening socket's address, e.g. ``("127.0.0.1", 8765)`` (``None`` if stopped)."""
        return self._address if self.running else None

    @property
    def running(self) -> bool:
        """Whether it serves (its thread is alive)."""
        return self._runner is not None and self._runner.running

    # -- start and stop -------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        if self._requested_port == 0 and self._port:  # keep the URL across restarts
            with contextlib.suppress(OSError):
                return tcp_listener(self._host, self._port)
        return tcp_listener(self._host, self._requested_port)

    def start(self: S, timeout: float | None = None) -> S:
        """Listen and serve in a thread named ``wslab-<kind>-<port>``; return ``self``.

        Args:
            timeout: seconds to wait for it to listen (``None``: ``start_timeout``).
        Raises:
            RuntimeError: already running.
            OSError: the address cannot be bound.
            TimeoutError: it did not start within the timeout.
        """
        if self.running:
            raise RuntimeError(f"{type(self).__name__} is already running at {self.url}")
        sock = self._bind()
        self._port = sock.getsockname()[1]
        address = sock.getsockname()
        runner = LoopThread(f"{THREAD_PREFIX}-{self.kind}-{self._port}")
        runner.on_exit = lambda: self._abandon(runner.loop)
        runner.start_with(self._serve(sock), self.start_timeout if timeout is None else timeout,
                          what=type(self).__name__, sock=sock)
        self._runner, self._address = runner, address
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Close every connection, stop serving, end the thread. A no-op if not running.

        Connections get about half of ``timeout`` to close politely; what is left then is
        dropped or cancelled.

        Raises:
            TimeoutError: the thread did not end within ``timeout`` (something blocks its
                event loop; the thread cleans up on its own once that returns).
        """
        runner = self._runner
        if runner is None:
            return
        self._runner = None
        with _RUNNING_LOCK:
            _RUNNING.discard(self)
        deadline = time.monotonic() + timeout
        try:
            if runner.running:
                runner.call(self._shutdown(grace=timeout * _SHUTDOWN_SHARE), timeout)
        except TimeoutError:
            pass  # the loop is busy: stopping it cancels what is left
        finally:
            joined = runner.stop(max(deadline - time.monotonic(), timeout * _MIN_JOIN_SHARE))
        if not joined:
            raise TimeoutError(f"{type(self).__name__} at port {self._port} did not stop "
                               f"within {timeout:g} s (is something blocking the event loop?)")

    @classmethod
    def stop_all(cls, timeout: float = STOP_TIMEOUT) -> None:
        """Stop every running instance of this class (and of its subclasses) in this process.

        ``Service.stop_all()`` stops every service; handy when notebook cells re-run.

        Raises:
            TimeoutError: one did not stop in time (the others are stopped all the same).
        """
        with _RUNNING_LOCK:
            services = [s for s in _RUNNING if isinstance(s, cls)]
        failed: TimeoutError | None = None
        for service in services:
            try:
                service.stop(timeout)
            except TimeoutError as exc:
                failed = failed or exc
        if failed is not None:
            raise failed

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = ws_url(self._host, self._port, self.scheme) if self._port else \
            f"{self._host} (no port yet)"
        state = "running" if self.running else "stopped"
        more = self._describe()
        return f"<{type(self).__name__} {where} {state}{', ' + more if more else ''}>"

    # -- what a service does, in its loop's thread --------------------------------------

    async def _serve(self, sock: socket.socket) -> None:
        """Start serving on the listening ``sock`` (which it then owns)."""
        raise NotImplementedError

    async def _shutdown(self, grace: float) -> None:
        """Stop listening and close every connection, within about ``grace`` seconds."""
        raise NotImplementedError

    def _abandon(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Once ``loop`` has stopped: close what it left open (nothing, by default)."""

    def _describe(self) -> str:
        """More words for :meth:`__repr__` (events, connections...)."""
        return ""
