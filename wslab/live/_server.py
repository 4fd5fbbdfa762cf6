"""A real WebSocket server for the lab: the ``websockets`` library in a background thread.

:class:`LabServer` runs ``websockets.asyncio.server.serve`` on its own event loop in its
own thread, so it behaves the same in a Jupyter kernel (whose loop is already running),
a script and pytest, and a *sync* client in the same process never deadlocks it. It
listens on 127.0.0.1 unless told otherwise, and records everything it sees in an
:class:`~wslab.live.EventLog`::

    with LabServer() as srv:
        print(client.echo(srv.url + "/echo", "hi"))
        srv.wait_for("closed")
        print(format_events(srv.events))

Events come from two documented hooks of ``websockets``: its debug log (every frame
sent and received, every handshake answer, every error; see its logging guide) through
a private logger, and ``create_connection=``, a :class:`ServerConnection` subclass that
numbers connections and notes when TCP comes and goes. The one debug line per frame takes a
short cut straight into the event log (no ``LogRecord``): recording then costs a ping's
round trip a few percent, not a third (``bench/bench_harness.py``).

Built-in routes (:data:`wslab.live.routes.DEFAULT_ROUTES`): "/echo", "/raise" (1011),
"/silent", "/close/<code>", "/policy" (1008), "/capacity" (1013), "/slow" (blocks the
loop). Unknown paths get HTTP 404.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame as WsFrame
from websockets.http11 import Request, Response

from ..codec import DEFAULT_MAX_SIZE, WEBSOCKET_VERSION, CloseCode
from ._events import (
    ConnectionSummary,
    Event,
    EventLog,
    event_from_record,
    exception_detail,
    frame_event,
)
from ._service import LOOPBACK, START_TIMEOUT, STOP_TIMEOUT, Service
from .routes import DEFAULT_ROUTES, Handler, path_problem

_log = logging.getLogger("wslab.live._server")
ProcessRequest = Callable[[ServerConnection, Request], Awaitable[Response | None] | Response | None]


_FRAME_MESSAGES = ("< %s", "> %s")  # websockets' debug log line of a frame received / sent


class _FrameRecorder(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The connection's logger, with a fast path for the one debug line per frame.

    websockets logs every frame at DEBUG (``"< %s"`` received, ``"> %s"`` sent); through
    :mod:`logging` each line costs a ``LogRecord`` (with ``findCaller``), which doubled a
    ping's round trip. Here a frame goes straight into the event log; every other line
    takes the normal way (to :class:`_Recorder`).
    """

    def __init__(self, adapter: logging.LoggerAdapter, conn: _LabConnection  # type: ignore[type-arg]
                 ) -> None:
        super().__init__(adapter.logger, adapter.extra)
        self.conn = conn

    def debug(self, msg: object, *args: object, **kwargs: Any) -> None:
        if msg in _FRAME_MESSAGES and args and isinstance(args[0], WsFrame):
            conn = self.conn
            kind, detail = frame_event(args[0], incoming=msg == "< %s")
            conn.lab._log.add(conn.conn_id, kind, **detail)
            if _log.isEnabledFor(logging.DEBUG) and _log.hasHandlers():  # as _Recorder does
                _log.debug(msg, *args, extra=self.extra)
            return
        super().debug(msg, *args, **kwargs)


class _LabConnection(ServerConnection):
    """A server connection that knows its lab server and its number."""

    def __init__(self, lab: LabServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lab = lab
        self.conn_id = lab._new_conn_id()
        self.protocol.logger = self.logger = _FrameRecorder(
            cast(logging.LoggerAdapter, self.logger), self)  # type: ignore[type-arg]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.lab._live.add(self)
        self.lab._log.add(self.conn_id, "connect", peer=transport.get_extra_info("peername"))

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.lab._live.discard(self)
        opened = self.response is not None and self.response.status_code == 101
        sent, rcvd = self.protocol.close_sent, self.protocol.close_rcvd
        code = self.close_code if opened else None  # as websockets: received, 1006 if none
        self.lab._log.add(
            self.conn_id, "closed", opened=opened, code=None if code is None else int(code),
            reason=self.close_reason if opened else None,
            sent=None if sent is None else (int(sent.code), sent.reason),
            rcvd=None if rcvd is None else (int(rcvd.code), rcvd.reason),
            clean=sent is not None and rcvd is not None,
        )


class _Recorder(logging.Handler):
    """Turns the ``websockets`` log records of one server into events."""

    def __init__(self, lab: LabServer) -> None:
        super().__init__(logging.DEBUG)
        self.lab = lab

    def emit(self, record: logging.LogRecord) -> None:
        try:
            conn = getattr(record, "websocket", None)
            found = event_from_record(record, conn)
            if found is not None:
                self.lab._log.add(getattr(conn, "conn_id", None), found[0], **found[1])
        except Exception:  # event logging must never break the server
            pass
        if _log.isEnabledFor(record.levelno) and _log.hasHandlers():
            _log.handle(record)


class LabServer(Service):
    """A WebSocket server on 127.0.0.1 in a background thread, recording every event.

    A :class:`~wslab.live.Service`: ``start()``, ``stop()``, ``with``,
    ``LabServer.stop_all()`` (handy when notebook cells re-run), ``url``, ``port``...

    Args:
        host: where to listen; anything but loopback must be asked for and logs a warning.
        port: TCP port (0: a free one, kept across restarts when possible).
        routes: extra or replacing routes, ``{path: async handler(connection)}``; a path
            ending in "/" matches every path under it. Handlers get the websockets
            ``ServerConnection``, with ``.lab`` (this server) and ``.conn_id``.
        tls: serve wss:// with a throwaway CA made by ``trustme`` (see
            :meth:`client_ssl_context`).
        ping_interval, ping_timeout: keepalive (seconds; ``None`` turns it off).
        max_size: largest message accepted (bigger: close 1009).
        max_queue: incoming messages buffered before the server stops reading (as
            websockets: a high-water mark, or ``(high, low)``; ``None``: no limit).
        write_limit: bytes buffered for sending before ``send`` waits for them to drain
            (as websockets: a high-water mark or ``(high, low)``).
        origins: acceptable Origin values (others get HTTP 403), as in websockets.
        process_request: hook ``(connection, request) -> Response | None`` run after the
            built-in checks (426 for a version other than 13, 404 for an unknown path);
            if it raises, the client gets HTTP 500.
        compression: ``None`` or ``"deflate"`` (permessage-deflate).
        start_timeout: seconds :meth:`start` waits for the server to listen.
        open_timeout, close_timeout: bounds on the opening and closing handshakes.
        capacity: connections "/capacity" accepts at once (more get close 1013).
        slow_seconds: how long "/slow" blocks the event loop per message.
        token: what "/policy" expects (first message ``"token:<token>"``).
    """

    kind = "server"

    def __init__(self, *, host: str = LOOPBACK, port: int = 0,
                 routes: Mapping[str, Handler] | None = None, tls: bool = False,
                 ping_interval: float | None = 20, ping_timeout: float | None = 20,
                 max_size: int | None = DEFAULT_MAX_SIZE,
                 max_queue: int | tuple[int | None, int | None] | None = 16,
                 write_limit: int | tuple[int, int | None] = 32768,
                 origins: list[Any] | None = None,
                 process_request: ProcessRequest | None = None,
                 compression: str | None = None, start_timeout: float = START_TIMEOUT,
                 open_timeout: float = 5, close_timeout: float = 2, capacity: int = 2,
                 slow_seconds: float = 1.0, token: str = "secret") -> None:
        if compression not in (None, "deflate"):
            raise ValueError(f"compression is None or 'deflate', not {compression!r}")
        super().__init__(host, port, start_timeout=start_timeout)
        self.routes: dict[str, Handler] = {**DEFAULT_ROUTES, **(routes or {})}
        self.capacity, self.slow_seconds, self.token = capacity, slow_seconds, token
        self._capacity_used = 0
        self.tls = tls
        self._serve_kwargs: dict[str, Any] = dict(
            ping_interval=ping_interval, ping_timeout=ping_timeout, max_size=max_size,
            max_queue=max_queue, write_limit=write_limit, origins=origins,
            compression=compression, open_timeout=open_timeout, close_timeout=close_timeout)
        self._user_process_request = process_request
        self._log = EventLog()
        self._ids = 0
        self._id_lock = threading.Lock()
        self._live: set[_LabConnection] = set()
        self._ca: Any = None
        self._server_ssl: ssl.SSLContext | None = None
        self._servers: dict[asyncio.AbstractEventLoop, Server] = {}  # by loop, until closed
        self._closing: tuple[int, str] = (CloseCode.GOING_AWAY, "")

    # -- properties ------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        """``"wss"`` with TLS, else ``"ws"``."""
        return "wss" if self.tls else "ws"

    @property
    def events(self) -> list[Event]:
        """A snapshot of the event log, oldest first."""
        return self._log.snapshot()

    @property
    def log(self) -> EventLog:
        """The event log itself (to :meth:`EventLog.find` or wait with ``after=``)."""
        return self._log

    @property
    def connections(self) -> list[ConnectionSummary]:
        """One summary per connection seen since the last :meth:`clear_events`."""
        return self._log.connections()

    def clear_events(self) -> None:
        """Forget every event recorded so far."""
        self._log.clear()

    def wait_for(self, kind: str, conn_id: int | None = None, *, timeout: float = 5,
                 match: Any = None, after: int = -1) -> Event:
        """Wait for an event (see :meth:`wslab.live.EventLog.wait_for`).

        Raises:
            TimeoutError: none came within ``timeout``; the message lists what was seen.
        """
        return self._log.wait_for(kind, conn_id, timeout=timeout, match=match, after=after)

    def conn_id_for(self, local_address: tuple[Any, ...], timeout: float = 5) -> int:
        """The conn_id of the connection a client opened from ``local_address``.

        Raises:
            TimeoutError: the server saw no such connection within ``timeout``.
        """
        peer = tuple(local_address[:2])

        def ours(event: Event) -> bool:
            return tuple((event.detail.get("peer") or ())[:2]) == peer

        seen = self._log.find("connect", match=ours)  # the newest: ports get reused
        event = seen[-1] if seen else self.wait_for("connect", timeout=timeout, match=ours)
        assert event.conn_id is not None
        return event.conn_id

    # -- TLS -------------------------------------------------------------------------------

    def _make_tls(self) -> ssl.SSLContext:
        if self._server_ssl is None:
            import trustme

            self._ca = trustme.CA()
            cert = self._ca.issue_cert("127.0.0.1", "localhost", "::1")
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            cert.configure_cert(ctx)
            # No TLS 1.3 session tickets: websockets' sync client reads them in its reader
            # thread while the main thread writes, and Python's SSL sockets are not safe for
            # that (seen here: rare handshake timeouts and "[SSL] internal error").
            ctx.num_tickets = 0
            self._server_ssl = ctx
        return self._server_ssl

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSLContext that trusts this server's throwaway CA (for wss:// clients).

        Raises:
            ValueError: the server does not use TLS.
        """
        if not self.tls:
            raise ValueError("this LabServer serves ws://, not wss:// (use tls=True)")
        self._make_tls()
        ctx = ssl.create_default_context()
        self._ca.configure_trust(ctx)
        return ctx

    # -- start and stop --------------------------------------------------------------------

    def start(self, timeout: float | None = None) -> LabServer:
        """Listen and serve in a thread named ``wslab-server-<port>``; return ``self``.

        Raises:
            RuntimeError: already running.
            OSError: the address cannot be bound.
            TimeoutError: the server did not start within ``timeout`` (``start_timeout``).
        """
        if self.tls and not self.running:
            self._make_tls()  # here, not in the server's thread: client_ssl_context uses it
        return super().start(timeout)

    def stop(self, timeout: float = STOP_TIMEOUT, *, code: int = CloseCode.GOING_AWAY,
             reason: str = "") -> None:
        """Close every connection with ``code`` (1001 going away), stop, join the thread.

        Does nothing if the server is not running. Connections that ignore the close
        are dropped after ``close_timeout``; handlers still running are cancelled.

        Raises:
            TimeoutError: the thread did not end in time (a handler blocking the loop?).
        """
        self._closing = (int(code), reason)
        super().stop(timeout)

    async def _serve(self, sock: socket.socket) -> None:
        self._capacity_used = 0
        logger = logging.Logger(f"{_log.name}.{self._port}", logging.DEBUG)  # unregistered
        logger.addHandler(_Recorder(self))

        def make_connection(*args: Any, **kwargs: Any) -> _LabConnection:
            return _LabConnection(self, *args, **kwargs)

        server = await serve(self._dispatch, sock=sock, ssl=self._server_ssl if self.tls
                             else None, logger=logger,
                             create_connection=cast(Any, make_connection),
                             process_request=self._process_request, **self._serve_kwargs)
        self._servers[asyncio.get_running_loop()] = server
        self._log.add(None, "server_started", url=self.url)

    async def _shutdown(self, grace: float) -> None:
        code, reason = self._closing
        loop = asyncio.get_running_loop()
        for conn in list(self._live):
            if conn.request is None and conn.loop is loop:  # no handshake: only TCP to close
                conn.transport.abort()
        server = self._servers.get(loop)
        if server is not None:
            server.close(code=code, reason=reason)
            try:
                await asyncio.wait_for(asyncio.shield(server.wait_closed()), grace)
            except asyncio.TimeoutError:
                for conn in list(self._live):
                    if conn.loop is loop:
                        conn.transport.abort()
                for task in list(server.handler_tasks):
                    task.cancel()
                await asyncio.sleep(0)
        self._log.add(None, "server_stopped", code=code, reason=reason)

    def _abandon(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Once the loop stopped: close what a clean stop did not close."""
        server = self._servers.pop(loop, None) if loop is not None else None
        if server is not None:
            server.server.close()  # the listening socket
        for conn in list(self._live):
            if conn.loop is loop:
                conn.transport.abort()

    def _describe(self) -> str:
        return f"{len(self._log)} events"

    # -- inside the server's thread --------------------------------------------------------

    def _new_conn_id(self) -> int:
        with self._id_lock:
            self._ids += 1
            return self._ids

    def _route(self, path: str) -> Handler | None:
        if path in self.routes:
            return self.routes[path]
        prefixes = [p for p in self.routes if p.endswith("/") and path.startswith(p)]
        return self.routes[max(prefixes, key=len)] if prefixes else None

    async def _process_request(self, conn: ServerConnection, request: Request) -> Any:
        version = request.headers.get("Sec-WebSocket-Version")
        if version is not None and version.strip() != WEBSOCKET_VERSION:
            # RFC 6455 §4.2.2 and §4.4: 426 and the versions understood (websockets says 400).
            response = conn.respond(426, f"Sec-WebSocket-Version {version!r} is not "
                                         f"supported; this server speaks version "
                                         f"{WEBSOCKET_VERSION}.\n")
            response.headers["Sec-WebSocket-Version"] = WEBSOCKET_VERSION
            response.headers["Upgrade"] = "websocket"
            return response
        path = urlsplit(request.path).path
        if self._route(path) is None:
            return conn.respond(404, f"No route for {path}; routes: "
                                     f"{', '.join(sorted(self.routes))}\n")
        problem = path_problem(cast(Handler, self._route(path)), path)
        if problem is not None:
            return conn.respond(400, problem)
        if self._user_process_request is not None:
            result = self._user_process_request(conn, request)
            if isinstance(result, Awaitable):
                result = await result
            return result
        return None

    async def _dispatch(self, conn: ServerConnection) -> None:
        assert conn.request is not None
        handler = self._route(urlsplit(conn.request.path).path)
        assert handler is not None  # _process_request answered 404 otherwise
        try:
            await handler(conn)
        except ConnectionClosed:
            pass  # the peer closed (or broke a rule) while the handler read: a normal end
        except Exception as exc:
            # Logged here, before websockets sends close 1011, so the log reads in order.
            self._log.add(getattr(conn, "conn_id", None), "exception",
                          **exception_detail("handler", exc))
            raise
