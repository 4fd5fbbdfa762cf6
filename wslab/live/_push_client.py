"""PushReceiver: a real client that takes a PushServer's events by one transport, and times them.

Runs in an event loop of its own, in a thread named ``wslab-push-client-N``, so it works
the same in a script, pytest and a Jupyter kernel. The clients are real libraries:
``websockets`` for WebSocket (no compression, no keepalive pings: only the events go on
the wire), ``aiohttp`` for the HTTP ones (one keep-alive connection, RFC 9112 §9.3).
Each event received is stamped with ``time.perf_counter()`` as soon as it is parsed; the
server stamped it with the same clock when it created it, so ``received - created`` is
the delivery latency (same process, one clock)::

    with PushServer() as srv, PushReceiver(srv.url_for("sse"), "sse", count=10) as rx:
        srv.wait_subscribed(timeout=5)   # the SSE stream is open
        srv.publish(10, rate=50)
        rx.wait(10, timeout=5)
    print([d.latency for d in rx.deliveries])

Short polling asks every ``poll_interval`` seconds (a fixed schedule: a slow answer does
not shift the next ask); long polling asks again as soon as an answer came. Bounded:
every request and read has a timeout, bodies are read up to ``MAX_BODY`` bytes, SSE
lines up to aiohttp's line limit, WebSocket messages up to ``MAX_BODY``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from ._push_server import LONG_POLL_HOLD, _path
from ._service import STOP_TIMEOUT, THREAD_PREFIX, LoopThread

if TYPE_CHECKING:
    import aiohttp

MAX_BODY = 1024 * 1024  # bytes of one answer, message or SSE event at most
POLL_INTERVAL = 0.1  # default seconds between two short polls
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Delivery:
    """One event as the client got it.

    Attributes:
        seq: the event's number.
        created: ``time.perf_counter()`` when the server created it.
        received: ``time.perf_counter()`` when the client had parsed it.
    """

    seq: int
    created: float
    received: float

    @property
    def latency(self) -> float:
        """Seconds from creation to reception."""
        return self.received - self.created


class PushReceiver:
    """A client receiving ``count`` events by ``transport``, in a thread of its own.

    Args:
        url: the transport's URL (``PushServer.url_for(transport)``, or the same path
            through a tap).
        transport: "websocket", "short-poll", "long-poll" or "sse".
        count: stop once this many events came.
        poll_interval: seconds between short polls.
        hold: seconds the server may hold a long poll (the read timeout adds ``timeout``).
        timeout: seconds any one connect, request or read may take.
    Raises:
        ValueError: an unknown transport, ``count`` < 1 or ``poll_interval`` <= 0.
    """

    def __init__(self, url: str, transport: str, *, count: int,
                 poll_interval: float = POLL_INTERVAL, hold: float = LONG_POLL_HOLD,
                 timeout: float = 5.0) -> None:
        _path(transport)
        if count < 1 or poll_interval <= 0 or timeout <= 0:
            raise ValueError("count >= 1, poll_interval > 0 and timeout > 0, please")
        self.url, self.transport, self.count = url, transport, count
        self.poll_interval, self.hold, self.timeout = poll_interval, hold, timeout
        self._deliveries: list[Delivery] = []
        self._cond = threading.Condition()
        self._runner: LoopThread | None = None
        self._future: concurrent.futures.Future[None] | None = None
        self.requests = 0  # HTTP requests sent (the WebSocket handshake is one)
        self.empty_answers = 0  # poll answers without an event
        self.error: BaseException | None = None  # what ended it early, if anything
        self.ready = threading.Event()  # connected (stream open, or the first poll sent)

    # -- results --------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        """The events received so far, in order of arrival."""
        with self._cond:
            return list(self._deliveries)

    @property
    def done(self) -> bool:
        """Whether it has finished (all events, an error, or stopped)."""
        return self._future is not None and self._future.done()

    def wait(self, n: int | None = None, timeout: float = 5.0) -> int:
        """Wait until ``n`` events (default: all) came or it finished; return how many came.

        Never raises on a timeout: compare the result with ``n``.
        """
        n = self.count if n is None else n
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._deliveries) < n and not self.done:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
            return len(self._deliveries)

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> PushReceiver:
        """Start receiving in a thread named ``wslab-push-client-N``; return ``self``.

        Raises:
            RuntimeError: started already.
        """
        if self._runner is not None:
            raise RuntimeError("a PushReceiver starts once")
        runner = LoopThread(f"{THREAD_PREFIX}-push-client-{next(_numbers)}").start()
        self._runner = runner
        assert runner.loop is not None
        self._future = asyncio.run_coroutine_threadsafe(self._main(), runner.loop)
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop receiving (cancel what is under way), end the thread. A no-op when stopped."""
        runner, future = self._runner, self._future
        if runner is None:
            return
        if future is not None and not future.done():
            runner.call_soon(future.cancel)
            concurrent.futures.wait([future], timeout / 2)
        runner.stop(timeout / 2)

    def __enter__(self) -> PushReceiver:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        return (f"<PushReceiver {self.transport} {self.url} "
                f"{len(self._deliveries)}/{self.count} events>")

    # -- in the loop's thread -------------------------------------------------------------

    def _got(self, event: dict[str, object], received: float) -> None:
        with self._cond:
            self._deliveries.append(Delivery(int(event["seq"]), float(event["t"]), received))
            self._cond.notify_all()

    def _left(self) -> int:
        return self.count - len(self._deliveries)

    async def _main(self) -> None:
        try:
            if self.transport == "websocket":
                await self._websocket()
            else:
                await self._http()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # kept for the caller: the deliveries so far stay
            self.error = exc
        finally:
            with self._cond:
                self._cond.notify_all()

    async def _websocket(self) -> None:
        async with ws_connect(self.url, open_timeout=self.timeout, close_timeout=self.timeout,
                              max_size=MAX_BODY, compression=None, ping_interval=None) as ws:
            self.requests += 1
            self.ready.set()
            while self._left() > 0:
                try:
                    text = await asyncio.wait_for(ws.recv(), self.timeout)
                    self._got(json.loads(text), time.perf_counter())
                except ConnectionClosed:
                    break

    async def _http(self) -> None:
        import aiohttp  # here: wslab.live imports where aiohttp cannot (Pyodide)

        timeout = aiohttp.ClientTimeout(total=None, connect=self.timeout,
                                        sock_connect=self.timeout,
                                        sock_read=self.timeout + self.hold)
        # One keep-alive connection. The threaded resolver (never used for an IP address)
        # instead of aiodns, whose channel leaves a thread behind.
        connector = aiohttp.TCPConnector(limit=1, resolver=aiohttp.ThreadedResolver())
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            if self.transport == "sse":
                await self._sse(session)
            else:
                await self._polls(session)

    async def _polls(self, session: aiohttp.ClientSession) -> None:
        loop = asyncio.get_running_loop()
        after, start, k = -1, loop.time(), 0
        while self._left() > 0:
            self.requests += 1
            if self.transport == "long-poll":  # held until an event comes: ready when sent
                self.ready.set()
            async with session.get(self.url, params={"after": str(after)}) as response:
                self.ready.set()
                response.raise_for_status()
                events = json.loads(await _read(response))
                received = time.perf_counter()
            for event in events:
                self._got(event, received)
                after = max(after, int(event["seq"]))
            if not events:
                self.empty_answers += 1
            if self.transport == "short-poll":
                k += 1
                await asyncio.sleep(max(0.0, start + k * self.poll_interval - loop.time()))

    async def _sse(self, session: aiohttp.ClientSession) -> None:
        headers = {"Accept": "text/event-stream"}
        self.requests += 1
        async with session.get(self.url, headers=headers) as response:
            response.raise_for_status()
            self.ready.set()
            data: list[str] = []
            size = 0
            while self._left() > 0:
                line = await response.content.readline()
                if not line:  # the server ended the stream
                    break
                text = line.decode().rstrip("\r\n")
                if not text:  # a blank line dispatches the event (HTML §9.2.6)
                    if data:
                        self._got(json.loads("\n".join(data)), time.perf_counter())
                    data, size = [], 0
                elif text.startswith("data:"):
                    value = text[5:]
                    data.append(value[1:] if value.startswith(" ") else value)
                    size += len(value)
                    if size > MAX_BODY:
                        raise ValueError(f"an SSE event of more than {MAX_BODY} bytes")


async def _read(response: aiohttp.ClientResponse) -> bytes:
    """The body, at most ``MAX_BODY`` bytes.

    Raises:
        ValueError: it is longer.
    """
    if response.content_length is not None and response.content_length > MAX_BODY:
        raise ValueError(f"an answer of {response.content_length} bytes (> {MAX_BODY})")
    body = bytearray()
    while True:
        chunk = await response.content.read(MAX_BODY + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > MAX_BODY:
            raise ValueError(f"an answer of more than {MAX_BODY} bytes")

