"""How :class:`~wslab.tap.Tap` forwards one connection: both sockets, one pipe per direction.

Internal to the tap (event loop only). A :class:`Pipe` reads what one side sends, has the
tap record it, holds it as the tap's faults say (delay, stall, stall after N bytes) and
passes it on in order; an end of stream (FIN) or a reset (RST) is passed on after
everything read before it. A :class:`Link` holds both pipes of a connection and can drop
it at once; :class:`TapConnection` is what the tap tells about the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .transcript import DIRECTIONS, SENDER, Chunk, Direction

if TYPE_CHECKING:
    from .tap import Tap

__all__ = ["READ_SIZE", "Link", "Pipe", "TapConnection"]

READ_SIZE = 2**16
_EOF, _RESET = object(), object()


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


class Link:
    """The tap's side of one connection: both sockets and both pipes (event loop only)."""

    def __init__(self, info: TapConnection, client: asyncio.StreamWriter) -> None:
        self.info = info
        self.writers = [client]
        self.pipes: dict[Direction, Pipe] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.truncated = False

    def abort(self, how: str, *, rst: bool) -> None:
        """Drop both TCP connections now (with RST if ``rst``) and stop both pipes."""
        self.info.ending = self.info.ending or how
        for writer in self.writers:
            if rst:
                with contextlib.suppress(OSError, AttributeError):
                    writer.get_extra_info("socket").setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        current = asyncio.current_task()
        for task in self.tasks:
            if task is not current:
                task.cancel()

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)


class Pipe:
    """One direction of one connection: read, record, hold as the faults say, pass on."""

    def __init__(self, tap: Tap, link: Link, direction: Direction,
                 reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.tap, self.link, self.direction = tap, link, direction
        self.reader, self.writer = reader, writer
        self.queue: asyncio.Queue[tuple[float, Any, Chunk | None]] = asyncio.Queue()
        self.held = 0  # bytes read and not passed on yet
        self.changed = asyncio.Event()  # the faults changed
        self.room = asyncio.Event()  # bytes were passed on
        self.stalled_here = False  # stalled by stall_after
        self.stall_after_spent = False

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
            chunk = self.tap._record(self.link, self.direction, data, now)
            self.held += len(data)
            self.queue.put_nowait((now, data, chunk))

    async def write_loop(self) -> None:
        receiver = SENDER["s2c" if self.direction == "c2s" else "c2s"]
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
                    other: Direction = "s2c" if self.direction == "c2s" else "c2s"
                    self.event("reset", f"the {receiver} is gone: a write to it failed "
                               f"({exc.strerror or exc})", other)
                    self.link.abort(f"the {receiver} reset the connection", rst=True)
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
