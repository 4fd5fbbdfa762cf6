"""A WebSocket echo server written from scratch on wslab's codec: the classic exercise.

This module is meant to be read. Everything RFC 6455 asks of a server is here, in the order
it happens, with the section that asks for it:

1. **Handshake** (§4.2): read the HTTP request, bounded in size and time; answer
   ``101 Switching Protocols`` (with permessage-deflate if offered, RFC 7692), or an HTTP
   error that says what was wrong (405, 400, 426 ...). No close frame exists before a 101.
2. **Frames** (§5): feed every chunk read from TCP to a :class:`wslab.codec.Decoder` at once.
   It checks every framing rule, the masking of client frames (§5.1), UTF-8 across fragments
   (§8.1) and the size limit, frame by frame, so a bad byte fails the connection early.
3. **Answers**: pong for ping with the same payload (§5.5.2), nothing for pong (§5.5.3), the
   same message back for every message (text stays text, binary stays binary). Server frames
   are never masked (§5.1).
4. **Closing** (§7): echo the client's close code (§5.5.1); on a protocol error, *fail* the
   connection with the code for it (1002, 1007, 1009; §7.1.7, §7.4.1); and close TCP first, as
   a server should (§7.1.1).

No other WebSocket library is involved: asyncio streams carry bytes, wslab's codec does the
rest. :class:`ScratchServer` runs in a background thread with its own event loop, so it works
the same in a script, in pytest and in a Jupyter kernel. ``misbehave=`` switches make it break
chosen rules on purpose (see :data:`wslab.live.MISBEHAVIOURS`), to watch how a real client
reacts (see :func:`wslab.scenarios.client_reaction`)::

    with ScratchServer() as srv:
        with websockets.sync.client.connect(srv.url) as ws:
            ws.send("hello")
            assert ws.recv() == "hello"
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterable
from typing import ClassVar

from ..codec import (
    DEFAULT_MAX_SIZE,
    MAX_REASON_BYTES,
    CloseCode,
    Decoder,
    Deflater,
    Frame,
    FrameError,
    HandshakeError,
    Message,
    Opcode,
    build_error_response,
    build_response,
    close_code_for,
    negotiate,
    parse_request,
    validate_request,
)
from ._misbehaviours import parse_misbehave
from ._service import LOOPBACK, READ_SIZE, START_TIMEOUT, Service

SCRATCH_SERVER_NAME = "wslab-scratch"  # the Server header; Autobahn names the "agent" after it
MAX_HEAD = 16 * 1024  # largest HTTP request head we read (more: 431)
HEAD_READ_SIZE = 4096  # bytes asked from TCP per read of the request head
HANDSHAKE_TIMEOUT = 10.0  # seconds for the whole request to arrive
CLOSE_TIMEOUT = 5.0  # seconds we wait for the other side during the closing handshake
STATUS_HEADERS_TOO_LARGE = 431  # "Request Header Fields Too Large" (RFC 6585 §5)
STATUS_BAD_REQUEST = 400

_log = logging.getLogger("wslab.live._scratch")


def _short(text: str, limit: int = MAX_REASON_BYTES) -> str:
    """``text`` cut to ``limit`` bytes of UTF-8, the room for a close reason (§5.5.1)."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


class ScratchConnection:
    """One client of a :class:`ScratchServer`: handshake, frames in and answers out, close.

    The server makes one per TCP connection and runs :meth:`handshake`, then :meth:`serve`.
    """

    def __init__(self, server: ScratchServer, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader, self.writer = reader, writer
        self.decoder = Decoder(sender="client", max_size=server.max_size)  # see handshake()
        self.deflater: Deflater | None = None  # set when permessage-deflate is agreed
        self.open = False  # the handshake succeeded: frames may flow
        self.close_sent = False

    # -- 1. the opening handshake (RFC 6455 §4.2) ---------------------------------------------

    async def _read_head(self) -> bytes:
        """Read until the empty line that ends the request head (CR LF CR LF)."""
        data = bytearray()
        while b"\r\n\r\n" not in data:
            if len(data) > MAX_HEAD:
                raise HandshakeError(f"request head longer than {MAX_HEAD} bytes",
                                     rfc="RFC 6585 §5", status=STATUS_HEADERS_TOO_LARGE)
            chunk = await self.reader.read(HEAD_READ_SIZE)
            if not chunk:
                raise ConnectionResetError("the client left during the handshake")
            data += chunk
        return bytes(data)

    async def handshake(self) -> bytes | None:
        """Answer the opening handshake; return the bytes after the request, or ``None``.

        ``None`` means the request was refused with an HTTP error and the connection is over.
        """
        data = await asyncio.wait_for(self._read_head(), HANDSHAKE_TIMEOUT)
        end = data.index(b"\r\n\r\n") + 4
        try:
            request = validate_request(parse_request(data[:end]))  # HTTP status on error
            offers = ", ".join(request.get_all("Sec-WebSocket-Extensions"))
            params = negotiate(offers) if offers and self.server.deflate else None
        except HandshakeError as exc:
            body = f"Failed to open a WebSocket connection: {exc}\n"
            answer = build_error_response(exc.status or STATUS_BAD_REQUEST, body=body,
                                          headers=[("Server", SCRATCH_SERVER_NAME)])
            self.writer.write(answer.serialize())
            await self.close_tcp()  # "Connection: close", and no frames ever (§4.2.2)
            return None
        answer = build_response(request, extensions=params.to_header() if params else None,
                                extra_headers=[("Server", SCRATCH_SERVER_NAME)])
        self.writer.write(answer.serialize())
        # From here on, only frames. The client masks its frames; messages over max_size
        # fail with 1009; with permessage-deflate, RSV1 marks a compressed message.
        self.decoder = Decoder(sender="client", deflate=params is not None,
                               max_size=self.server.max_size)
        self.deflater = params.deflater("server") if params else None
        self.open = True
        return data[end:]

    # -- 2. and 3. frames in, answers out (§5, §6) --------------------------------------------

    def send(self, frame: Frame) -> None:
        """Write one frame: unmasked, as a server must (§5.1), unless told to misbehave."""
        if "masked-frames" in self.server.misbehaviours:
            frame = frame.masked_with()
        self.writer.write(frame.serialize())

    async def serve(self, data: bytes) -> None:
        """Decode frames as they arrive and answer each, until the connection closes."""
        decoder = self.decoder
        if self.server.close_code is not None:  # misbehave "close-code=NNNN"
            self.start_closing(self.server.close_code, "wslab-scratch misbehaves", check=False)
        while True:
            if data:
                try:
                    frames = decoder.feed(data)  # every chunk at once: errors show up early
                except FrameError as exc:
                    await self.fail(exc)
                    return
                for frame in frames:
                    if await self.on_frame(frame):
                        return
                await self.writer.drain()  # wait if the client reads slower than it sends
                if decoder.error is not None:  # a frame after those broke a rule
                    await self.fail(decoder.error)
                    return
            # After our close frame the client has CLOSE_TIMEOUT seconds to answer (§7.1.2).
            data = await asyncio.wait_for(self.reader.read(READ_SIZE),
                                          CLOSE_TIMEOUT if self.close_sent else None)
            if not data:
                return  # TCP ended without a close frame: "abnormal closure" 1006 (§7.1.5)

    async def on_frame(self, frame: Frame) -> bool:
        """Answer one frame; return ``True`` once the connection is closed."""
        if frame.opcode == Opcode.PING:
            if not self.close_sent and "no-pong" not in self.server.misbehaviours:
                self.send(Frame(Opcode.PONG, frame.payload))  # same payload (§5.5.2)
        elif frame.opcode == Opcode.PONG:
            pass  # a pong may come unasked and needs no answer (§5.5.3)
        elif frame.opcode == Opcode.CLOSE:
            if not self.close_sent:  # echo the code (§5.5.1); empty stays empty
                code = frame.close_payload.code if frame.close_payload else None
                self.send(Frame.close(code))
                self.close_sent = True
            await self.close_tcp()
            return True
        elif frame.fin:  # the last frame of a message: the decoder has the whole message
            message = self.decoder.messages.popleft()
            if not self.close_sent:  # no data frames after a close frame (§5.5.1)
                self.echo(message)
        return False

    def echo(self, message: Message) -> None:
        """Send ``message`` back, compressed if permessage-deflate was agreed (RFC 7692 §6)."""
        misbehaviours = self.server.misbehaviours
        payload = message.payload
        if "invalid-utf8" in misbehaviours and message.opcode == Opcode.TEXT:
            payload += b"\xff"
        if "fragmented-ping" in misbehaviours:
            self.send(Frame(Opcode.PING, b"fragmented", fin=False))
        if self.deflater is not None:
            payload = self.deflater.compress(payload)  # RSV1 marks it compressed (RFC 7692 §6)
        self.send(Frame(message.opcode, payload, rsv1=self.deflater is not None))

    # -- 4. closing (§7) ----------------------------------------------------------------------

    def start_closing(self, code: int, reason: str = "", *, check: bool = True) -> None:
        """Send a close frame; :meth:`serve` then waits for the client's (§7.1.2)."""
        if self.open and not self.close_sent:
            self.send(Frame.close(code, reason, check=check))
            self.close_sent = True

    async def fail(self, error: FrameError) -> None:
        """*Fail the WebSocket Connection* (§7.1.7) because the client broke a rule.

        The close frame carries the code for the error (1002 protocol error, 1007 bad data,
        1009 too big; §7.4.1) and, as reason, what was wrong. After that the server must not
        process anything the client sends, not even its close frame (§7.1.7).
        """
        _log.debug("failing the connection: %s", error)
        self.start_closing(close_code_for(error), _short(error.message))
        await self.close_tcp()

    async def close_tcp(self) -> None:
        """Close TCP, server first (§7.1.1): send FIN, discard input until the client's FIN.

        Reading on until the client closes (or ``CLOSE_TIMEOUT``) means no unread bytes are
        left in the socket when it closes, so the kernel sends no RST that could destroy our
        close frame before the client reads it.
        """
        writer = self.writer
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
            await asyncio.wait_for(self._discard_until_eof(), CLOSE_TIMEOUT)

    async def _discard_until_eof(self) -> None:
        while await self.reader.read(READ_SIZE):
            pass


class ScratchServer(Service):
    """The scratch echo server on 127.0.0.1, in a background thread with its own loop.

    A :class:`~wslab.live.Service`: ``start()``, ``stop()``, ``with``,
    ``ScratchServer.stop_all()``, ``url``, ``port``...

    Args:
        host: where to listen; anything but loopback logs a warning.
        port: TCP port (0: a free one; see :attr:`port` after :meth:`start`).
        max_size: largest message accepted, in bytes, after inflation (more: close 1009).
        deflate: accept permessage-deflate when a client offers it (RFC 7692).
        misbehave: switches from :data:`~wslab.live.MISBEHAVIOURS`, e.g.
            ``("no-pong", "close-code=4000")``.
        start_timeout: seconds :meth:`start` waits for the server to listen.
    Raises:
        ValueError: an unknown misbehaviour.
    """

    kind = "scratch"
    connection_class: ClassVar[type[ScratchConnection]] = ScratchConnection
    """What serves each TCP connection; a subclass may serve with a subclass of its own."""

    def __init__(self, *, host: str = LOOPBACK, port: int = 0,
                 max_size: int = DEFAULT_MAX_SIZE, deflate: bool = True,
                 misbehave: Iterable[str] = (), start_timeout: float = START_TIMEOUT) -> None:
        self.misbehave = tuple(misbehave)
        self.misbehaviours, self.close_code = parse_misbehave(self.misbehave)
        super().__init__(host, port, start_timeout=start_timeout)
        self.max_size, self.deflate = max_size, deflate
        self._server: asyncio.AbstractServer | None = None
        self._live: dict[asyncio.Task[None], ScratchConnection] = {}

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one TCP connection from start to end (never raises)."""
        conn = self.connection_class(self, reader, writer)
        task = asyncio.current_task()
        assert task is not None
        self._live[task] = conn
        try:
            data = await conn.handshake()
            if data is not None:
                await conn.serve(data)
        except (OSError, asyncio.TimeoutError):
            pass  # the client went away, or kept us waiting too long: just close
        except Exception:  # a bug here: tell the client (1011, §7.4.1) and the log
            _log.exception("scratch server: unexpected error")
            with contextlib.suppress(Exception):
                conn.start_closing(CloseCode.INTERNAL_ERROR, "internal error")
                await conn.close_tcp()
        finally:
            del self._live[task]
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve(self, sock: socket.socket) -> None:
        self._server = await asyncio.start_server(self._handle, sock=sock)

    async def _shutdown(self, grace: float) -> None:
        """Stop listening, close every connection with 1001 (going away), then cancel."""
        server = self._server
        if server is not None:
            server.close()
        for conn in self._live.values():
            conn.start_closing(CloseCode.GOING_AWAY, "server stopping")
        if self._live:
            await asyncio.wait(list(self._live), timeout=grace)
        for task in list(self._live):
            task.cancel()
        await asyncio.gather(*self._live, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    def _describe(self) -> str:
        return f"misbehave={list(self.misbehave)}" if self.misbehave else ""
