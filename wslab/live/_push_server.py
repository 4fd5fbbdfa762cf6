"""PushServer: one stream of server events over WebSocket, HTTP polling, long polling and SSE.

A real HTTP server (aiohttp) on loopback, a :class:`~wslab.live.Service` like the others.
:meth:`PushServer.publish` creates ``count`` events at ``rate`` per second on the server's
loop; each event is a small JSON text, ``{"seq":7,"t":1234.5678}``, where ``t`` is
``time.perf_counter()`` when it was created (one clock for the whole process, so a client
in the same process can time the delivery). The same events go out four ways:

- ``/ws``: WebSocket (RFC 6455), one text frame per event, from when the client connected;
- ``/poll?after=K``: HTTP short polling, answered at once with the events after ``K`` as
  a JSON list (``[]`` when there is none);
- ``/long-poll?after=K``: HTTP long polling, held until an event after ``K`` exists (or
  ``hold`` seconds: then ``[]``);
- ``/sse``: Server-Sent Events (HTML Living Standard §9.2), one ``text/event-stream``
  response kept open, one ``data: {...}`` block per event, from when the client connected.

aiohttp chooses the HTTP details: its ``Server``, ``Date`` and ``Content-Length`` headers,
and, for the SSE response (no length known), ``Transfer-Encoding: chunked``
(RFC 9112 §7.1). WebSocket compression is off, so every byte on the wire can be counted.

Bounded: the log keeps the last ``MAX_LOG`` events, a poll answers at most ``MAX_BATCH``,
a long poll is held at most ``hold`` seconds, a stream follower with nothing to send for
``idle_timeout`` seconds ends, incoming WebSocket messages are at most ``MAX_INCOMING``
bytes, and aiohttp bounds request heads and bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ._service import LOOPBACK, START_TIMEOUT, Service

if TYPE_CHECKING:
    from aiohttp import web

Transport = Literal["websocket", "short-poll", "long-poll", "sse"]
TRANSPORTS: tuple[Transport, ...] = ("websocket", "short-poll", "long-poll", "sse")
PUSH_PATHS: dict[str, str] = {"websocket": "/ws", "short-poll": "/poll",
                              "long-poll": "/long-poll", "sse": "/sse"}
MAX_LOG = 100_000  # events kept for polls (older ones are forgotten)
MAX_BATCH = 1_000  # events in one poll answer at most
MAX_RATE = 10_000.0  # events per second at most
MAX_INCOMING = 64 * 1024  # bytes of a WebSocket message from a client at most
LONG_POLL_HOLD = 10.0  # default seconds a long poll is held before it is answered with []
IDLE_TIMEOUT = 30.0  # default seconds a WebSocket or SSE follower waits for an event
_WAKE = 0.25  # seconds between checks that a stream follower's client is still there
CALL_TIMEOUT = 5.0  # seconds publish() waits for the server's loop
_CHECK = 0.002  # seconds between two looks at the subscriber count
HANDLER_GRACE = 1.0  # seconds aiohttp gives running handlers on stop before cancelling them


@dataclass(frozen=True)
class PushEvent:
    """One server event.

    Attributes:
        seq: its number, from 0, over the server's life.
        created: ``time.perf_counter()`` when the server created it.
        text: what goes on the wire, JSON: ``{"seq":..,"t":..}``.
    """

    seq: int
    created: float
    text: str


class PushServer(Service):
    """A real HTTP server (aiohttp) pushing one stream of events four ways, on loopback.

    A :class:`~wslab.live.Service`: ``start()``, ``stop()``, ``with``,
    ``PushServer.stop_all()``, ``url`` (``http://127.0.0.1:PORT``), ``port``.

    Args:
        host, port: where to listen (127.0.0.1, a free port).
        hold: seconds a long poll waits for an event before it is answered with ``[]``.
        idle_timeout: seconds a WebSocket or SSE client with nothing to receive is kept.
        start_timeout: seconds :meth:`start` waits for the server to listen.
    """

    kind = "push"

    def __init__(self, host: str = LOOPBACK, port: int = 0, *, hold: float = LONG_POLL_HOLD,
                 idle_timeout: float = IDLE_TIMEOUT,
                 start_timeout: float = START_TIMEOUT) -> None:
        super().__init__(host, port, start_timeout=start_timeout)
        if hold <= 0 or idle_timeout <= 0:
            raise ValueError("hold and idle_timeout are seconds > 0")
        self.hold, self.idle_timeout = hold, idle_timeout
        self._log: deque[PushEvent] = deque(maxlen=MAX_LOG)
        self._next_seq = 0
        self._cond: asyncio.Condition | None = None
        self._runner_web: web.AppRunner | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._closing = False
        self._subscribers = 0
        self._served: dict[str, int] = dict.fromkeys(TRANSPORTS, 0)

    # -- where ----------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        """``"http"``: this is an HTTP server (``/ws`` upgrades to WebSocket)."""
        return "http"

    def url_for(self, transport: str) -> str:
        """The URL of ``transport`` ("websocket", "short-poll", "long-poll", "sse").

        Raises:
            ValueError: an unknown transport.
            RuntimeError: no port yet (call :meth:`start` first).
        """
        path = _path(transport)
        return self._url("ws" if transport == "websocket" else "http", path)

    # -- what it did ----------------------------------------------------------------------

    @property
    def published(self) -> int:
        """Events created so far (over the server's life)."""
        return self._next_seq

    @property
    def publishing(self) -> bool:
        """Whether a :meth:`publish` is still creating events."""
        return self._publisher is not None and not self._publisher.done()

    @property
    def subscribers(self) -> int:
        """Clients waiting for events now: WebSocket and SSE followers, held long polls."""
        return self._subscribers

    @property
    def served(self) -> dict[str, int]:
        """Requests answered (or upgraded) so far, per transport."""
        return dict(self._served)

    def wait_subscribed(self, n: int = 1, timeout: float = 5.0) -> int:
        """Wait until ``n`` clients wait for events (:attr:`subscribers`); return how many.

        Raises:
            TimeoutError: fewer than ``n`` within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while self._subscribers < n:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{self._subscribers} of {n} client(s) waiting for events "
                                   f"after {timeout:g} s")
            time.sleep(_CHECK)
        return self._subscribers

    def events(self) -> list[PushEvent]:
        """The events kept (the last ``MAX_LOG``), oldest first."""
        return list(self._log)

    # -- publishing -------------------------------------------------------------------------

    def publish(self, count: int, rate: float, *, timeout: float = CALL_TIMEOUT) -> None:
        """Start creating ``count`` events, ``rate`` per second (event i at start + i/rate).

        Returns at once; :attr:`published` counts them as they come.

        Raises:
            ValueError: ``count`` < 0 or > ``MAX_LOG``, ``rate`` not in (0, ``MAX_RATE``].
            RuntimeError: not running, or a publish is still going on.
        """
        if not 0 <= count <= MAX_LOG:
            raise ValueError(f"count is 0..{MAX_LOG}, not {count}")
        if not 0 < rate <= MAX_RATE:
            raise ValueError(f"rate is > 0 and <= {MAX_RATE:g} events/s, not {rate}")
        runner = self._runner
        if runner is None or not runner.running:
            raise RuntimeError("PushServer is not running: call start() first")
        runner.call(self._start_publishing(count, float(rate)), timeout)

    async def _start_publishing(self, count: int, rate: float) -> None:
        if self.publishing:
            raise RuntimeError("a publish is still going on")
        self._publisher = asyncio.ensure_future(self._publish(count, rate))

    async def _publish(self, count: int, rate: float) -> None:
        assert self._cond is not None
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i in range(count):
            wait = start + i / rate - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            created = time.perf_counter()
            seq = self._next_seq
            text = json.dumps({"seq": seq, "t": created}, separators=(",", ":"))
            self._log.append(PushEvent(seq, created, text))
            self._next_seq += 1
            async with self._cond:
                self._cond.notify_all()

    # -- the log --------------------------------------------------------------------------

    def _after(self, after: int) -> list[PushEvent]:
        """The events with ``seq > after`` still kept, at most ``MAX_BATCH``."""
        if not self._log or after >= self._next_seq - 1:
            return []
        first = self._log[0].seq
        start = max(after + 1 - first, 0)
        return [self._log[i] for i in range(start, min(start + MAX_BATCH, len(self._log)))]

    async def _wait_after(self, after: int, timeout: float,
                          gone: Callable[[], bool] = lambda: False) -> list[PushEvent]:
        """The events after ``after``, once there is one (or ``timeout`` s, or closing)."""
        assert self._cond is not None
        deadline = asyncio.get_running_loop().time() + timeout
        async with self._cond:
            while not (self._closing or gone() or self._next_seq - 1 > after):
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._cond.wait(), min(left, _WAKE))
        return self._after(after)

    # -- handlers ---------------------------------------------------------------------------

    async def _poll(self, request: web.Request) -> web.Response:
        self._served["short-poll"] += 1
        return _batch(self._after(_after_param(request)))

    async def _long_poll(self, request: web.Request) -> web.Response:
        self._served["long-poll"] += 1
        after = _after_param(request)
        self._subscribers += 1
        try:
            events = await self._wait_after(after, self.hold, _client_gone(request))
        finally:
            self._subscribers -= 1
        return _batch(events)

    async def _sse(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web  # here: wslab.live imports where aiohttp cannot (Pyodide)

        self._served["sse"] += 1
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                               "Cache-Control": "no-cache"})
        await response.prepare(request)
        cursor = self._next_seq - 1  # from now on
        gone = _client_gone(request)
        self._subscribers += 1
        try:
            while not (self._closing or gone()):
                events = await self._wait_after(cursor, self.idle_timeout, gone)
                if not events:
                    break
                for event in events:  # HTML §9.2.6 (interpreting an event stream): data, blank line
                    await response.write(f"data: {event.text}\n\n".encode())
                cursor = events[-1].seq
        except ConnectionError:  # the client went away
            return response
        finally:
            self._subscribers -= 1
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        from aiohttp import web  # here: wslab.live imports where aiohttp cannot (Pyodide)

        self._served["websocket"] += 1
        ws = web.WebSocketResponse(compress=False, max_msg_size=MAX_INCOMING, autoping=True)
        await ws.prepare(request)
        cursor = self._next_seq - 1  # from now on
        reader = asyncio.ensure_future(_drain(ws))
        self._subscribers += 1
        try:
            while not (self._closing or reader.done()):
                events = await self._wait_after(cursor, self.idle_timeout, reader.done)
                if not events:
                    break
                for event in events:
                    await ws.send_str(event.text)
                cursor = events[-1].seq
        except ConnectionError:
            pass
        finally:
            self._subscribers -= 1
            if not reader.done():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(ws.close(code=1001 if self._closing else 1000),
                                           self.idle_timeout)
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
        return ws

    # -- the service ------------------------------------------------------------------------

    async def _serve(self, sock: socket.socket) -> None:
        from aiohttp import web  # here: wslab.live imports where aiohttp cannot (Pyodide)

        self._cond = asyncio.Condition()
        self._closing = False
        app = web.Application()
        app.router.add_get(PUSH_PATHS["short-poll"], self._poll)
        app.router.add_get(PUSH_PATHS["long-poll"], self._long_poll)
        app.router.add_get(PUSH_PATHS["sse"], self._sse)
        app.router.add_get(PUSH_PATHS["websocket"], self._websocket)
        runner = web.AppRunner(app, access_log=None, handle_signals=False,
                               handler_cancellation=True,  # a client gone ends its handler
                               shutdown_timeout=HANDLER_GRACE)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner_web = runner

    async def _shutdown(self, grace: float) -> None:
        self._closing = True
        if self._publisher is not None:
            self._publisher.cancel()
        if self._cond is not None:
            async with self._cond:
                self._cond.notify_all()
        runner, self._runner_web = self._runner_web, None
        if runner is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(runner.cleanup(), grace)

    def _describe(self) -> str:
        return f"{self._next_seq} event(s) published, {self._subscribers} waiting"


def _path(transport: str) -> str:
    try:
        return PUSH_PATHS[transport]
    except KeyError:
        raise ValueError(f"transport is one of {TRANSPORTS}, not {transport!r}") from None


def _after_param(request: web.Request) -> int:
    from aiohttp import web

    raw = request.query.get("after", "-1")
    if len(raw) > 20 or not raw.lstrip("-").isdigit():
        raise web.HTTPBadRequest(text="after: an integer")
    return int(raw)


def _batch(events: list[PushEvent]) -> web.Response:
    from aiohttp import web

    return web.Response(text="[" + ",".join(e.text for e in events) + "]",
                        content_type="application/json")


def _client_gone(request: web.Request) -> Callable[[], bool]:
    def gone() -> bool:
        transport = request.transport
        return transport is None or transport.is_closing()
    return gone


async def _drain(ws: web.WebSocketResponse) -> None:
    """Read (and drop) what the client sends until it closes; aiohttp answers its close."""
    from aiohttp import WSMsgType

    async for message in ws:
        if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
            break
