"""Tap: a loopback TCP proxy that records every byte both ways and can inject faults.

A client connects to the tap, the tap to the server; it passes the bytes on and records
each chunk with the time it saw it (no root, no packet capture). Faults per direction
(``"c2s"`` client to server, ``"s2c"``), changeable while it runs: delay (hold each chunk,
order kept), stall (pass nothing on until resumed), cut (RST both ways, no close frame)::

    with LabServer() as srv, Tap("127.0.0.1", srv.port, delay={"s2c": 0.2}) as tap:
        with connect(tap.url_for("/echo")) as ws: ...
        print(tap.transcript())

It can also intercept at the frame level: ``Tap(..., intercept=hook)`` calls ``hook`` with
each frame parsed in each direction (an :class:`Intercepted`) and passes on the frames it
returns: none (drop), others (rewrite), more (inject). A frame returned unchanged goes on
as its exact bytes; the rest of the stream is untouched, frames split across TCP reads
included. Then the recording holds the bytes *passed on* (what the receiver got), and a
TapEvent "intercept" says what changed. Over TLS (wss://) the frames are encrypted: the
tap sees TLS records only, so the hook is never called (an event says so).

How it forwards one connection (event loop only): a :class:`_Link` holds both sockets
and one :class:`_Pipe` per direction. A pipe reads what one side sends, cuts it into
frames for the hook if there is one (:class:`_FrameSplitter`), has the tap record it,
holds it as the tap's faults say (delay, stall, stall after N bytes) and passes it on in
order; an end of stream (FIN) or a reset (RST) is passed on after everything read before
it. With no fault and nothing held, a chunk is written on at once, from the reading task
(no queue, no second task: the tap's own round trip stays small). :class:`TapConnection`
is what the tap tells about a connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..codec import (
    DIRECTIONS,
    SENDER,
    Chunk,
    Direction,
    Frame,
    FrameError,
    Incomplete,
    TapEvent,
    Transcript,
    parse_frame,
)
from ._service import LOOPBACK, READ_SIZE, START_TIMEOUT, Service, host_port

MAX_RECORD = 16 * 2**20  # bytes recorded per connection; beyond, counted only
MAX_BUFFER = 4 * 2**20  # bytes held per direction per connection before the tap stops reading
CONNECT_TIMEOUT = 5.0  # seconds to reach the server
WRITER_CLOSE_TIMEOUT = 1.0  # seconds a closing socket may take to flush
MAX_HEAD = 64 * 1024  # bytes of HTTP head the frame hook waits for before giving up
MAX_HOOK_FRAME = 32 * 2**20  # a frame larger than this is not held for the hook: passed on
EVENT_KINDS = ("open", "connect-failed", "eof", "reset", "cut", "dropped", "truncated",
               "fault", "intercept", "closed")
ENTRY_KINDS = ("http", "tls", "text", "binary", "continuation", "close", "ping", "pong")
_LINGER_RST = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: closing sends RST, not FIN
_EOF, _RESET = object(), object()  # what a pipe passes on after the data read before it


@dataclass(frozen=True)
class Faults:
    """The faults applied to one direction.

    Attributes:
        delay: seconds every chunk is held before it is passed on (order preserved).
        stalled: pass nothing on until :meth:`Tap.resume`.
        stall_after: on each connection, stall once this many bytes went through.
    """

    delay: float = 0.0
    stalled: bool = False
    stall_after: int | None = None

    def __str__(self) -> str:
        parts = [f"delay {self.delay * 1000:.0f} ms"] if self.delay else []
        parts += ["stalled"] if self.stalled else []
        parts += [f"stall after {self.stall_after} bytes"] if self.stall_after is not None else []
        return ", ".join(parts) or "none"


@dataclass(frozen=True)
class Intercepted:
    """One frame the tap's frame hook sees, as it was on the wire.

    Attributes:
        conn_id: the connection (tap numbering, from 1).
        direction: "c2s" (client to server) or "s2c".
        index: the frame's number in this direction on this connection, from 0.
        frame: the frame parsed (payload unmasked, ``masking_key`` as sent).
        data: its exact bytes on the wire.
        t: when the tap read its last byte (``time.monotonic()``).
    """

    conn_id: int
    direction: Direction
    index: int
    frame: Frame
    data: bytes
    t: float


FrameHook = Callable[[Intercepted], "Iterable[Frame | bytes] | Frame | bytes | None"]
"""``hook(intercepted)`` returns what to pass on: ``None`` (the frame, unchanged), a
frame or bytes, or several (an empty list drops it). ``intercepted.frame`` itself goes on
as its original bytes; another :class:`~wslab.codec.Frame` is serialized (a masked one
with its key), bytes go on as they are. With permessage-deflate negotiated, data frames
carry compressed payloads (RSV1 set, RFC 7692 §6): the hook sees them compressed."""


class _FrameSplitter:
    """One direction's byte stream cut into frames for the hook; what to pass on instead.

    The HTTP head (up to the empty line) is passed on as it is; then each complete frame
    goes to the hook, and a frame's bytes wait here until its last byte came. TLS, a
    refused handshake, bytes that are not frames or a frame larger than
    ``MAX_HOOK_FRAME``: the rest of the stream is passed on untouched (``notes`` say why).
    """

    def __init__(self, hook: FrameHook, conn_id: int, direction: Direction) -> None:
        self.hook, self.conn_id, self.direction = hook, conn_id, direction
        self.buffer = bytearray()
        self.in_head = True
        self.passthrough = False
        self.index = 0
        self.notes: list[str] = []

    def _give_up(self, why: str) -> bytes:
        self.passthrough = True
        self.notes.append(f"frame hook off for the rest of this direction: {why}")
        out = bytes(self.buffer)
        self.buffer.clear()
        return out

    def feed(self, data: bytes, t: float) -> bytes:
        """The bytes to pass on now, for ``data`` just read at time ``t``."""
        if self.passthrough:
            return data
        self.buffer += data
        out = bytearray()
        if self.in_head:
            if self.buffer[:1] == b"\x16":
                return self._give_up("TLS: the frames are encrypted, the tap sees only TLS "
                                     "records (no man in the middle without the keys)")
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD:
                    return self._give_up(f"no end of the HTTP head in {MAX_HEAD} bytes")
                return b""
            end += 4
            head = bytes(self.buffer[:end])
            del self.buffer[:end]
            self.in_head = False
            out += head
            if self.direction == "s2c" and not head.startswith(b"HTTP/1.1 101"):
                out += self._give_up("the handshake was refused: no frames follow")
                return bytes(out)
        out += self._frames(t)
        return bytes(out)

    def _frames(self, t: float) -> bytes:
        out = bytearray()
        pos = 0
        buffer = self.buffer
        while pos < len(buffer):
            try:
                frame, end = parse_frame(buffer, pos, deflate=True)
            except Incomplete as inc:
                if inc.have + inc.need > MAX_HOOK_FRAME:
                    del buffer[:pos]
                    return bytes(out) + self._give_up(
                        f"a frame of {inc.have + inc.need:,} bytes is more than the hook "
                        f"holds ({MAX_HOOK_FRAME:,})")
                break
            except FrameError as exc:
                del buffer[:pos]
                return bytes(out) + self._give_up(f"not a valid frame: {exc}")
            original = bytes(buffer[pos:end])
            seen = Intercepted(self.conn_id, self.direction, self.index, frame, original, t)
            self.index += 1
            out += self._apply(seen)
            pos = end
        del buffer[:pos]
        return bytes(out)

    def _apply(self, seen: Intercepted) -> bytes:
        try:
            answer = self.hook(seen)
        except Exception as exc:  # a broken hook must not break the connection
            self.notes.append(f"frame {seen.index}: the hook raised {type(exc).__name__}: "
                              f"{exc}; passed on unchanged")
            return seen.data
        if answer is None:
            return seen.data
        items = [answer] if isinstance(answer, (Frame, bytes, bytearray)) else list(answer)
        parts = [seen.data if item is seen.frame else
                 item.serialize() if isinstance(item, Frame) else bytes(item)
                 for item in items]
        out = b"".join(parts)
        if out != seen.data:
            self.notes.append(_describe_change(seen, parts))
        return out


def _describe_change(seen: Intercepted, parts: list[bytes]) -> str:
    name = f"frame {seen.index} ({seen.frame.opcode_name}, {len(seen.data)} bytes)"
    if not parts:
        return f"{name} dropped"
    kept = seen.data in parts
    shown = ", ".join(_short(p) for p in parts)
    if kept:
        return f"{name} passed on with {len(parts) - 1} frame(s) injected: {shown}"
    return f"{name} {_short(seen.data)} rewritten as {shown}"


def _short(data: bytes, limit: int = 16) -> str:
    return data[:limit].hex(" ") + (" …" if len(data) > limit else "")


def _direction(direction: str) -> Direction:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'c2s' (client to server) or 's2c', "
                         f"not {direction!r}")
    return direction  # type: ignore[return-value]


@dataclass
class TapConnection:
    """One client connection through the tap (updated live by the tap; read only).

    Attributes:
        id: numbered from 1, in order of arrival.
        client: the client's (host, port).
        opened, closed: monotonic times (``closed`` is ``None`` while open).
        received: bytes read per direction; forwarded: bytes passed on per direction.
        recorded: bytes kept in the recording (at most ``max_record``).
        ending: how it ended ("" while open).
    """

    id: int
    client: tuple[str, int]
    opened: float
    closed: float | None = None
    received: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DIRECTIONS, 0))
    forwarded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DIRECTIONS, 0))
    recorded: int = 0
    ending: str = ""

    @property
    def open(self) -> bool:
        return self.closed is None


class _Link:
    """The tap's side of one connection: both sockets and both pipes (event loop only)."""

    def __init__(self, info: TapConnection, client: asyncio.StreamWriter) -> None:
        self.info = info
        self.writers = [client]
        self.pipes: dict[Direction, _Pipe] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.truncated = False

    def abort(self, how: str, *, rst: bool) -> None:
        """Drop both TCP connections now (with RST if ``rst``) and stop both pipes."""
        self.info.ending = self.info.ending or how
        for writer in self.writers:
            if rst:
                with contextlib.suppress(OSError, AttributeError):
                    writer.get_extra_info("socket").setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
            writer.transport.abort()
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), WRITER_CLOSE_TIMEOUT)


class _Pipe:
    """One direction of one connection: read, record, hold as the faults say, pass on."""

    def __init__(self, tap: Tap, link: _Link, direction: Direction,
                 reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.tap, self.link, self.direction = tap, link, direction
        self.reader, self.writer = reader, writer
        self.queue: asyncio.Queue[tuple[float, Any, Chunk | None]] = asyncio.Queue()
        self.held = 0  # bytes read and not passed on yet
        self.changed = asyncio.Event()  # the faults changed
        self.room = asyncio.Event()  # bytes were passed on
        self.stalled_here = False  # stalled by stall_after
        self.stall_after_spent = False
        hook = tap._intercept
        self.splitter = None if hook is None else _FrameSplitter(hook, link.info.id, direction)

    def event(self, kind: str, detail: str, direction: Direction | None = None) -> None:
        self.tap._event(self.link, kind, detail, direction or self.direction)

    async def read_loop(self) -> None:
        who = SENDER[self.direction]
        while True:
            while self.held >= self.tap.max_buffer:
                self.room.clear()
                await self.room.wait()
            try:
                data = await self.reader.read(READ_SIZE)
            except OSError as exc:
                self.event("reset", f"the {who} reset the connection ({exc.strerror or exc})")
                self.queue.put_nowait((time.monotonic(), _RESET, None))
                return
            now = time.monotonic()
            if not data:
                self.event("eof", f"the {who} closed its side (FIN)")
                self.queue.put_nowait((now, _EOF, None))
                return
            self.link.info.received[self.direction] += len(data)
            if self.splitter is not None:
                data = self.splitter.feed(data, now)
                for note in self.splitter.notes:
                    self.event("intercept", note)
                self.splitter.notes.clear()
                if not data:
                    continue
            chunk = self.tap._record(self.link, self.direction, data, now)
            if self.held == 0 and self._unhindered():
                if not await self._write_now(data, chunk):
                    return
                continue
            self.held += len(data)
            self.queue.put_nowait((now, data, chunk))

    def _unhindered(self) -> bool:
        """No fault applies to this direction: a chunk may go on at once."""
        faults = self.tap._faults[self.direction]
        return not (faults.delay or faults.stalled or self.stalled_here
                    or (faults.stall_after is not None and not self.stall_after_spent))

    async def _write_now(self, data: bytes, chunk: Chunk | None) -> bool:
        """Pass ``data`` on from the reading task (nothing held before it); False: gone."""
        try:
            if self.writer.transport.is_closing():
                raise ConnectionResetError("connection closed")
            self.writer.write(data)
        except OSError as exc:
            self._write_failed(exc)
            return False
        self.link.info.forwarded[self.direction] += len(data)
        if chunk is not None:
            chunk.t_forwarded = time.monotonic()
        if self.writer.transport.get_write_buffer_size() > READ_SIZE:
            self.held += len(data)  # counted as held until the receiver takes it
            try:
                await self.writer.drain()
            except OSError as exc:
                self._write_failed(exc)
                return False
            finally:
                self.held -= len(data)
        return True

    def _write_failed(self, exc: OSError) -> None:
        receiver = SENDER["s2c" if self.direction == "c2s" else "c2s"]
        other: Direction = "s2c" if self.direction == "c2s" else "c2s"
        self.event("reset", f"the {receiver} is gone: a write to it failed "
                   f"({exc.strerror or exc})", other)
        self.link.abort(f"the {receiver} reset the connection", rst=True)

    async def write_loop(self) -> None:
        while True:
            t, data, chunk = await self.queue.get()
            while True:
                await self._wait_turn(t)
                if data is _RESET:  # pass the reset on, after everything before it
                    self.link.abort(f"the {SENDER[self.direction]} reset the connection",
                                    rst=True)
                    return
                if data is _EOF:
                    if self.writer.can_write_eof() and not self.writer.transport.is_closing():
                        with contextlib.suppress(OSError):
                            self.writer.write_eof()
                    return
                n = self._allowed(len(data))
                if n == 0:
                    continue
                try:
                    if self.writer.transport.is_closing():
                        raise ConnectionResetError("connection closed")
                    self.writer.write(data[:n])
                    await self.writer.drain()
                except OSError as exc:
                    self._write_failed(exc)
                    return
                self.held -= n
                self.link.info.forwarded[self.direction] += n
                self.room.set()
                data = data[n:]
                if not data:
                    if chunk is not None:
                        chunk.t_forwarded = time.monotonic()
                    break

    async def _wait_turn(self, t: float) -> None:
        """Return once this direction is not stalled and the delay since ``t`` is over."""
        while True:
            self.changed.clear()
            faults = self.tap._faults[self.direction]
            timeout = None
            if not (faults.stalled or self.stalled_here):
                timeout = t + faults.delay - time.monotonic()
                if timeout <= 0:
                    return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout)

    def _allowed(self, n: int) -> int:
        """How many of the next ``n`` bytes may go now (``stall_after`` may stop them)."""
        limit = self.tap._faults[self.direction].stall_after
        if limit is None or self.stall_after_spent:
            return n
        left = limit - self.link.info.forwarded[self.direction]
        if left > 0:
            return min(n, left)
        self.stalled_here = self.stall_after_spent = True
        self.event("fault", f"{self.direction} stalled after {limit} bytes")
        return 0


class Tap(Service):
    """A recording, fault-injecting TCP proxy on loopback, in a background thread.

    A :class:`~wslab.live.Service`: ``start()``, ``stop()``, ``with``,
    ``Tap.stop_all()``, ``url``, ``port``...; a restarted tap keeps its port and what it
    recorded.

    Args:
        target_host, target_port: the server to pass connections on to.
        listen_host: where to listen (127.0.0.1: nothing beyond this machine).
        listen_port: 0 picks a free port; a restarted tap keeps its port.
        delay: seconds per direction, e.g. ``{"s2c": 0.3}``; a number applies both ways.
        stall_after: bytes per direction after which each connection stalls.
        max_record: bytes recorded per connection (beyond: counted, with a "truncated" event).
        max_buffer: bytes held per direction per connection while stalled or delayed
            before the tap stops reading (TCP flow control then slows the sender).
        connect_timeout: seconds to reach the server.
        start_timeout: seconds :meth:`start` waits for the tap to listen.
        intercept: a frame hook (:data:`FrameHook`), called on the tap's thread with each
            frame of each direction; it returns the frames to pass on (see the module
            docstring). The recording then holds what was passed on.
    """

    kind = "tap"

    def __init__(self, target_host: str, target_port: int, *, listen_host: str = LOOPBACK,
                 listen_port: int = 0, delay: float | Mapping[str, float] | None = None,
                 stall_after: Mapping[str, int] | None = None, max_record: int = MAX_RECORD,
                 max_buffer: int = MAX_BUFFER, connect_timeout: float = CONNECT_TIMEOUT,
                 start_timeout: float = START_TIMEOUT,
                 intercept: FrameHook | None = None) -> None:
        super().__init__(listen_host, listen_port, start_timeout=start_timeout)
        self.target_host, self.target_port = target_host, target_port
        self.max_record, self.max_buffer = max_record, max_buffer
        self.connect_timeout = connect_timeout
        self._intercept = intercept
        delays = dict.fromkeys(DIRECTIONS, delay) if isinstance(delay, (int, float)) else \
            dict(delay or {})
        self._faults: dict[Direction, Faults] = {d: Faults() for d in DIRECTIONS}
        for d, seconds in delays.items():
            self._faults[_direction(d)] = replace(self._faults[_direction(d)], delay=seconds)
        for d, n in (stall_after or {}).items():
            self._faults[_direction(d)] = replace(self._faults[_direction(d)], stall_after=n)
        self._cond = threading.Condition(threading.RLock())
        self._chunks: list[Chunk] = []
        self._events: list[TapEvent] = []
        self._connections: list[TapConnection] = []
        self._generation = 0
        self._next_id = 0
        self._links: dict[int, _Link] = {}
        self._handlers: set[asyncio.Task[Any]] = set()
        self._server: asyncio.AbstractServer | None = None

    # -- life cycle ---------------------------------------------------------------------

    def url_for(self, path: str = "/", scheme: str = "ws") -> str:
        """The URL a client uses to go through the tap, e.g. ``ws://127.0.0.1:8123/echo``.

        Raises:
            RuntimeError: the tap has no port yet (call :meth:`start` first).
        """
        return self._url(scheme, "/" + path.lstrip("/"))

    async def _serve(self, sock: socket.socket) -> None:
        self._server = await asyncio.start_server(self._handle, sock=sock)

    async def _shutdown(self, grace: float) -> None:
        """Stop listening, drop every connection, give the handlers ``grace`` s to end."""
        server = self._server
        if server is not None:
            server.close()
        for link in list(self._links.values()):
            link.abort("the tap stopped", rst=False)
        handlers = set(self._handlers)
        if handlers:
            _, pending = await asyncio.wait(handlers, timeout=grace / 2)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=grace / 4)
        if server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), grace / 4)

    def _describe(self) -> str:
        return (f"-> {host_port(self.target_host, self.target_port)}, "
                f"{len(self._connections)} connection(s)")

    # -- connections ----------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        peer = writer.get_extra_info("peername") or ("?", 0)
        with self._cond:
            self._next_id += 1
            info = TapConnection(self._next_id, (str(peer[0]), int(peer[1])), time.monotonic())
            self._connections.append(info)
        link = self._links[info.id] = _Link(info, writer)
        target = host_port(self.target_host, self.target_port)
        try:
            self._event(link, "open", f"client {peer[0]}:{peer[1]} → tap → "
                        f"server {target}")
            try:
                upstream = await asyncio.wait_for(
                    asyncio.open_connection(self.target_host, self.target_port),
                    self.connect_timeout)
            except (OSError, asyncio.TimeoutError) as exc:
                self._event(link, "connect-failed", f"{target}: {exc or 'timed out'}")
                info.ending = "the server could not be reached"
                return
            link.writers.append(upstream[1])
            for d in DIRECTIONS:
                if self._faults[d] != Faults():
                    self._event(link, "fault", f"{d}: {self._faults[d]}", d)
            link.pipes = {"c2s": _Pipe(self, link, "c2s", reader, upstream[1]),
                          "s2c": _Pipe(self, link, "s2c", upstream[0], writer)}
            link.tasks = [asyncio.ensure_future(coro) for pipe in link.pipes.values()
                          for coro in (pipe.read_loop(), pipe.write_loop())]
            await asyncio.gather(*link.tasks, return_exceptions=True)
        finally:
            for task_ in link.tasks:
                task_.cancel()
            await link.close()
            for d, pipe in link.pipes.items():
                if pipe.held:
                    receiver = SENDER["s2c" if d == "c2s" else "c2s"]
                    self._event(link, "dropped", f"{pipe.held} bytes held by the tap were "
                                f"never delivered to the {receiver}", d)
            info.closed = time.monotonic()
            info.ending = info.ending or "both sides closed"
            self._event(link, "closed", info.ending)
            del self._links[info.id]
            self._handlers.discard(task)

    def _record(self, link: _Link, direction: Direction, data: bytes, t: float
                ) -> Chunk | None:
        info = link.info
        keep = data[: max(self.max_record - info.recorded, 0)]
        chunk = Chunk(t, info.id, direction, bytes(keep)) if keep else None
        with self._cond:
            if chunk is not None:
                self._chunks.append(chunk)
                info.recorded += len(keep)
            if len(keep) < len(data) and not link.truncated:
                link.truncated = True
                self._events.append(TapEvent(t, info.id, "truncated", f"{self.max_record} "
                                             f"bytes recorded; the rest is counted only",
                                             direction))
            self._generation += 1
            self._cond.notify_all()
        return chunk

    def _event(self, link: _Link, kind: str, detail: str,
               direction: Direction | None = None) -> None:
        with self._cond:
            self._events.append(TapEvent(time.monotonic(), link.info.id, kind, detail,
                                         direction))
            self._generation += 1
            self._cond.notify_all()

    # -- faults -------------------------------------------------------------------------

    def _in_loop(self, fn: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Run ``fn`` on the tap's event loop and wait for it (directly if not running)."""
        runner = self._runner
        if runner is None or not runner.running or runner.in_thread():
            return fn()

        async def call() -> Any:
            return fn()

        return runner.call(call(), timeout)

    def set_intercept(self, hook: FrameHook | None) -> None:
        """Set (or remove, ``None``) the frame hook for connections opened from now on.

        A connection keeps the hook it started with: frames are found from the first
        byte of the stream on, so a hook cannot join in the middle.
        """
        def apply() -> None:
            self._intercept = hook

        self._in_loop(apply)

    @property
    def intercept(self) -> FrameHook | None:
        """The frame hook new connections get (``None``: none)."""
        return self._intercept

    def faults(self, direction: str) -> Faults:
        """The faults now applied to ``direction``."""
        return self._faults[_direction(direction)]

    def _set(self, direction: str, what: str, **changes: Any) -> None:
        d = _direction(direction)

        def apply() -> None:
            self._faults[d] = replace(self._faults[d], **changes)
            for link in self._links.values():
                pipe = link.pipes.get(d)
                if pipe is not None:
                    if changes.get("stalled") is False:
                        pipe.stalled_here = False
                    pipe.changed.set()
                    self._event(link, "fault", f"{d} {what}", d)

        self._in_loop(apply)

    def set_delay(self, direction: str, seconds: float) -> None:
        """Hold every chunk going ``direction`` ``seconds`` before passing it on."""
        if seconds < 0:
            raise ValueError(f"a delay is >= 0 seconds, not {seconds}")
        self._set(direction, f"delay set to {seconds * 1000:.0f} ms", delay=float(seconds))

    def stall(self, direction: str) -> None:
        """Stop passing bytes on in ``direction`` (on every connection) until resumed.

        When this returns, no further byte goes that way.
        """
        self._set(direction, "stalled", stalled=True)

    def resume(self, direction: str) -> None:
        """Pass on what was held and carry on (also ends a ``stall_after`` stall)."""
        self._set(direction, "resumed", stalled=False)

    def cut(self, conn_id: int | None = None) -> int:
        """Reset both TCP connections of one connection (all if ``None``): no close frame.

        Returns:
            how many connections were cut.
        """
        def apply() -> int:
            links = [link for cid, link in self._links.items()
                     if conn_id is None or cid == conn_id]
            for link in links:
                self._event(link, "cut", "the tap reset both TCP connections (RST); "
                            "no close frame was sent")
                link.abort("cut by the tap", rst=True)
            return len(links)

        return int(self._in_loop(apply))

    # -- what was recorded --------------------------------------------------------------

    def chunks(self, conn_id: int | None = None) -> list[Chunk]:
        with self._cond:
            return [c for c in self._chunks if conn_id is None or c.conn_id == conn_id]

    def events(self, conn_id: int | None = None) -> list[TapEvent]:
        with self._cond:
            return [e for e in self._events if conn_id is None or e.conn_id == conn_id]

    @property
    def connections(self) -> list[TapConnection]:
        with self._cond:
            return list(self._connections)

    def conn_id_for(self, local_address: tuple[Any, ...], timeout: float = 5.0) -> int:
        """The id of the connection a client opened from ``local_address`` (``ws.local_address``).

        Raises:
            TimeoutError: the tap saw no connection from there within ``timeout``.
        """
        peer = (str(local_address[0]), int(local_address[1]))

        def newest(tap: Tap) -> TapConnection | None:
            found = [c for c in tap.connections if c.client == peer]
            return found[-1] if found else None

        try:
            return int(self.wait_for(newest, timeout=timeout).id)
        except TimeoutError:
            raise TimeoutError(f"the tap saw no connection from {peer[0]}:{peer[1]} within "
                               f"{timeout:g} s") from None

    def transcript(self, conn_id: int | None = None, *, deflate: bool | None = None
                   ) -> Transcript:
        """Everything recorded so far, dissected (see :class:`~wslab.codec.Transcript`)."""
        return Transcript.from_chunks(self.chunks(conn_id), self.events(conn_id),
                                      deflate=deflate)

    def clear(self) -> None:
        """Forget what was recorded. Connections still open go on being recorded, from
        the middle of their byte streams (which may not be a frame boundary)."""
        with self._cond:
            self._chunks.clear()
            self._events.clear()
            self._connections = [c for c in self._connections if c.open]

    def wait_for(self, what: str | Callable[[Tap], Any], conn_id: int | None = None, *,
                 timeout: float = 5.0, direction: str | None = None) -> Any:
        """Wait until something was recorded; return it. Never sleeps blindly.

        Args:
            what: a TCP event kind ("open", "eof", "reset", "cut", "dropped", "fault",
                "intercept", "closed"...: the :class:`TapEvent`), something dissected
                ("http", "tls", "text", "binary", "continuation", "close" (a close *frame*),
                "ping", "pong":
                the :class:`~wslab.codec.TranscriptEntry`), or a function of the tap
                (its first truthy result).
            timeout: seconds.
            direction, conn_id: only in that direction / on that connection.
        Raises:
            TimeoutError: not seen within ``timeout``.
            ValueError: ``what`` is not a known kind.
        """
        check = self._matcher(what, direction and _direction(direction), conn_id)
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                generation = self._generation
            found = check()
            if found:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                where = f" going {direction}" if direction else ""
                raise TimeoutError(f"{getattr(what, '__name__', what)}{where} not seen "
                                   f"within {timeout} s")
            with self._cond:
                self._cond.wait_for(lambda g=generation: self._generation != g, left)

    def _matcher(self, what: str | Callable[[Tap], Any], direction: Direction | None,
                 conn_id: int | None) -> Callable[[], Any]:
        if callable(what):
            return lambda: what(self)
        if what in EVENT_KINDS:
            return lambda: next((e for e in self.events(conn_id) if e.kind == what and
                                 (direction is None or e.direction == direction)), None)
        if what in ENTRY_KINDS:
            def entry() -> Any:
                return next((e for e in self.transcript(conn_id).entries
                             if (e.kind == what or e.opcode_name == what)
                             and (direction is None or e.direction == direction)), None)
            return entry
        raise ValueError(f"cannot wait for {what!r}: use one of {EVENT_KINDS + ENTRY_KINDS} "
                         f"or a function of the tap")
