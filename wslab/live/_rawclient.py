"""A raw client: a plain TCP (or TLS) socket that sends exactly the bytes you give it.

A handshake built by :func:`wslab.codec.build_request`, frames built by :class:`~wslab.codec.Frame`
(masked for you, or not), or garbage: :class:`RawClient` sends it as is and decodes what
the server answers with :class:`wslab.codec.Decoder`. Every byte either way is kept in
:attr:`RawClient.log` with a monotonic timestamp, for the dissector. Every read has a
timeout and every buffer a size bound, so it never hangs::

    with RawClient(srv.host, srv.port) as raw:
        raw.send_handshake(path="/echo")
        raw.send_frame(Frame.text("Hello"))
        print(raw.recv_frame())
        raw.close()
"""

from __future__ import annotations

import os
import socket
import ssl as ssl_module
import time
from collections import deque
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from ..codec import (
    DEFAULT_MAX_SIZE,
    CloseCode,
    Decoder,
    Frame,
    HandshakeError,
    Opcode,
    Request,
    Response,
    build_request,
    parse_response,
)
from ._service import READ_SIZE, ws_url

MAX_HEAD = 64 * 1024  # bytes of HTTP response (head and body) RawClient reads at most
TIMEOUT = 5.0  # default seconds for every read, connect and send
MASK_KEY_BYTES = 4  # a masking key is 32 bits (RFC 6455 §5.3)
_DEFAULT_PORTS = {"ws": 80, "wss": 443}  # RFC 6455 §3
_MIN_WAIT = 0.001  # seconds: a socket timeout of 0 would make it non-blocking


class RawConnectionClosed(ConnectionError):
    """The server closed the TCP connection and no frame is left to read."""


class RawClient:
    """A client on a plain socket that sends exact bytes and reads frames, never hanging.

    Args:
        host, port: the server.
        timeout: default seconds for every read, connect and send.
        ssl: an SSLContext to speak TLS (wss://), e.g. ``srv.client_ssl_context()``.
        max_size: largest message the decoder buffers (bigger: FrameError, rule 1009).
        auto_pong: answer pings: ``True`` at once, ``False`` never, a number after that many
            seconds (a late pong). There is no background thread: pings are seen, and
            pongs sent, while you read (``recv_*``, ``close``), like a client whose event
            loop only runs when it awaits something. A late pong goes out from the read
            that is running when it falls due.

    Attributes:
        log: every chunk sent or received: ``(time.monotonic(), "out" | "in", bytes)``.
        received: every frame decoded so far, in order.
        response: the parsed HTTP response to the handshake.
        close_sent, close_received: the close frames exchanged, if any.
    """

    def __init__(self, host: str, port: int, *, timeout: float = TIMEOUT,
                 ssl: ssl_module.SSLContext | None = None,
                 max_size: int | None = DEFAULT_MAX_SIZE,
                 auto_pong: bool | float = True) -> None:
        self.host, self.port, self.timeout, self.ssl = host, port, timeout, ssl
        self.max_size = max_size
        self.auto_pong = auto_pong
        self.log: list[tuple[float, str, bytes]] = []
        self.received: list[Frame] = []
        self.request: bytes | None = None
        self.response: Response | None = None
        self.close_sent: Frame | None = None
        self.close_received: Frame | None = None
        self.sock: socket.socket | None = None
        self.decoder = Decoder(sender="server", max_size=max_size)
        self._frames: deque[Frame] = deque()
        self._pending = b""  # received, not yet decoded (after the handshake head)
        self._eof = False
        self._late_pongs: deque[tuple[float, bytes]] = deque()  # (monotonic due time, data)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RawClient:
        """A client for ``ws://host:port`` (``wss://`` needs ``ssl=``)."""
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, _DEFAULT_PORTS["ws"])
        return cls(parts.hostname or "127.0.0.1", port, **kwargs)

    @property
    def url(self) -> str:
        """``ws://HOST:PORT`` (``wss://`` with ``ssl``), an IPv6 host in brackets."""
        return ws_url(self.host, self.port, "wss" if self.ssl else "ws")

    @property
    def local_address(self) -> tuple[Any, ...] | None:
        """This end's (host, port), as the server sees it (see ``LabServer.conn_id_for``)."""
        return self.sock.getsockname() if self.sock is not None else None

    def bytes_sent(self) -> bytes:
        return b"".join(data for _, way, data in self.log if way == "out")

    def bytes_received(self) -> bytes:
        return b"".join(data for _, way, data in self.log if way == "in")

    # -- connection ------------------------------------------------------------------------

    def connect(self) -> RawClient:
        """Open the TCP (and TLS) connection; return ``self``."""
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        if self.ssl is not None:
            try:
                sock = self.ssl.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
        self.sock = sock
        return self

    def __enter__(self) -> RawClient:
        return self if self.sock is not None else self.connect()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.abort()

    def abort(self) -> None:
        """Drop the TCP connection at once, with no close frame (the server sees 1006)."""
        self._late_pongs.clear()
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def close(self, code: int | None = CloseCode.NORMAL_CLOSURE, reason: str = "", *,
              timeout: float | None = None) -> Frame | None:
        """The closing handshake (RFC 6455 §7.1.2): send a masked close, wait for the reply.

        Sends a close frame (unless one was sent), reads until the server's close frame
        and the end of the TCP stream (the server closes TCP first, §7.1.1), then closes
        the socket. Before a 101 it only closes the socket.

        Args:
            code, reason: what to send (``code=None``: an empty close payload; not checked,
                so invalid codes can be tried).
        Returns:
            The server's close frame, or ``None`` if none came within ``timeout``.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            if self.sock is not None and self.response is not None and (
                    self.response.status == 101):
                if self.close_sent is None and not self._eof:
                    try:
                        self.send_frame(Frame.close(code, reason, check=False))
                    except OSError:
                        pass
                while self.close_received is None and not self._eof:
                    try:
                        self.recv_frame(timeout=max(0.0, deadline - time.monotonic()))
                    except (TimeoutError, ConnectionError, ValueError):
                        break
                while not self._eof and deadline > time.monotonic():
                    try:
                        self._pending += self._read(deadline, "the end of the TCP stream")
                    except (TimeoutError, OSError):
                        break
        finally:
            self.abort()
        return self.close_received

    # -- sending ---------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Send raw bytes, exactly as given (logged as "out")."""
        if self.sock is None:
            raise RawConnectionClosed("RawClient is not connected: call connect() first")
        self.sock.settimeout(self.timeout)
        self.log.append((time.monotonic(), "out", bytes(data)))
        self.sock.sendall(data)

    def send_frame(self, frame: Frame, *, mask: bool = True) -> Frame:
        """Serialize and send ``frame``; return the frame as sent.

        Args:
            mask: mask it with a fresh random key, as a client must (RFC 6455 §5.3), unless
                it has a key already. ``False`` sends it as it is (unmasked: a 1002 lesson).
        """
        if mask and frame.masking_key is None:
            frame = frame.masked_with(os.urandom(MASK_KEY_BYTES))
        self.send(frame.serialize())
        if frame.opcode == Opcode.CLOSE and self.close_sent is None:
            self.close_sent = frame
        return frame

    def send_handshake(self, request: Request | bytes | None = None, *, path: str = "/echo",
                       **build_kwargs: Any) -> Response:
        """Send an opening handshake and return the server's parsed HTTP response.

        Args:
            request: bytes or a :class:`~wslab.codec.Request` to send as is; ``None``
                builds one for ``path`` with :func:`wslab.codec.build_request`.
            path: the request target when building.
            build_kwargs: passed to ``build_request`` (``key``, ``origin``, ``version``...).
        Raises:
            TimeoutError: no complete answer within ``timeout``.
            RawConnectionClosed: the server closed without answering.
            HandshakeError: the answer is not valid HTTP, or is longer than 64 KiB.
        """
        if request is None:
            request = build_request(self.url + path, **build_kwargs)
        data = request.serialize() if isinstance(request, Request) else bytes(request)
        self.request = data
        self.send(data)
        return self.recv_response()

    # -- receiving -------------------------------------------------------------------------

    def _read(self, deadline: float, what: str) -> bytes:
        """One chunk from the socket before ``deadline`` (b"" at the end of the stream).

        Late pongs that fall due meanwhile are sent on the way.
        """
        started = time.monotonic()
        while True:
            if self.sock is None:
                raise RawConnectionClosed("RawClient is not connected")
            now = time.monotonic()
            while self._late_pongs and self._late_pongs[0][0] <= now:
                self._send_pong(self._late_pongs.popleft()[1])
            wait = deadline - now
            if wait <= 0:
                buffered = len(self._pending) + self.decoder.buffered
                raise TimeoutError(
                    f"RawClient: no {what} from {self.host}:{self.port} within "
                    f"{deadline - started:.2f} s" + (
                        f" ({buffered} byte(s) of an incomplete frame buffered)"
                        if buffered else ""))
            if self._late_pongs:
                wait = min(wait, self._late_pongs[0][0] - now)
            self.sock.settimeout(max(wait, _MIN_WAIT))
            try:
                data = self.sock.recv(READ_SIZE)
                break
            except TimeoutError:
                continue  # a pong fell due, or the deadline passed: the loop tells which
            except ConnectionResetError:
                data = b""
                break
        if data:
            self.log.append((time.monotonic(), "in", data))
        else:
            self._eof = True
        return data

    def recv_response(self, timeout: float | None = None) -> Response:
        """Read and parse the HTTP response to the handshake (see :meth:`send_handshake`)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        buf = self._pending
        while b"\r\n\r\n" not in buf[:MAX_HEAD]:
            if len(buf) > MAX_HEAD:
                raise HandshakeError(f"response head longer than {MAX_HEAD} bytes",
                                     rfc="RFC 7230 §3")
            chunk = self._read(deadline, "handshake response")
            if not chunk:
                self._pending = buf
                raise RawConnectionClosed(
                    f"the server closed the connection after {len(buf)} byte(s), "
                    + ("before answering the handshake" if not buf else
                       "before the end of the response head (CR LF CR LF)"))
            buf += chunk
        end = buf.index(b"\r\n\r\n") + 4
        response = parse_response(buf)
        if response.status == 101:
            self._pending = buf[end:]
            if "permessage-deflate" in response.get("Sec-WebSocket-Extensions", ""):
                self.decoder = Decoder(sender="server", deflate=True, max_size=self.max_size)
        else:  # read the body: up to Content-Length, else to the end of the stream
            length = response.get("Content-Length", "")
            want = int(length) if length.isdigit() else MAX_HEAD
            while len(buf) - end < min(want, MAX_HEAD) and not self._eof:
                buf += self._read(deadline, "response body")
            response = parse_response(buf)
            self._pending = buf[end + len(response.body):]
        self.response = response
        return response

    def _feed(self, data: bytes) -> None:
        try:
            frames = self.decoder.feed(data)
        except ValueError:  # FrameError: kept in decoder.error, raised by recv_frame
            frames = []
        for frame in frames:
            self._frames.append(frame)
            self.received.append(frame)
            if frame.opcode == Opcode.PING:
                self._answer_ping(frame.payload)
            elif frame.opcode == Opcode.CLOSE and self.close_received is None:
                self.close_received = frame

    def _answer_ping(self, payload: bytes) -> None:
        if self.auto_pong is True:
            self._send_pong(payload)
        elif self.auto_pong is not False:
            self._late_pongs.append((time.monotonic() + float(self.auto_pong), payload))

    def _send_pong(self, payload: bytes) -> None:
        if self.sock is None or self.close_sent is not None or self.close_received is not None:
            return
        try:
            self.send_frame(Frame(Opcode.PONG, payload))
        except OSError:
            pass  # the connection went away meanwhile

    def recv_frame(self, timeout: float | None = None) -> Frame:
        """The next frame from the server (pings are answered as set by ``auto_pong``).

        Raises:
            TimeoutError: no complete frame within ``timeout`` (default: ``self.timeout``).
            FrameError: the server's bytes break a rule (see :class:`wslab.codec.Decoder`).
            RawConnectionClosed: the TCP stream ended with no frame left.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not self._frames:
            if self.decoder.error is not None:
                raise self.decoder.error
            if self._pending:
                data, self._pending = self._pending, b""
            elif self._eof:
                left = self.decoder.buffered
                raise RawConnectionClosed(
                    "the server closed the TCP connection"
                    + (f" in the middle of a frame ({left} byte(s) of it received)"
                       if left else "; no frame left to read"))
            else:
                data = self._read(deadline, "frame")
            if data:
                self._feed(data)
        return self._frames.popleft()

    def recv_frames(self, until_close: bool = True, timeout: float | None = None
                    ) -> list[Frame]:
        """Frames until a close frame (included) or the end of the stream.

        Args:
            until_close: ``False``: return what arrived when ``timeout`` passes instead of
                raising.
        Raises:
            TimeoutError: ``until_close`` and no close frame or end of stream in time.
            FrameError: as :meth:`recv_frame`.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        out: list[Frame] = []
        while True:
            try:
                frame = self.recv_frame(timeout=max(0.0, deadline - time.monotonic()))
            except RawConnectionClosed:
                return out
            except TimeoutError as exc:
                if not until_close:
                    return out
                seen = ", ".join(f.opcode_name for f in out) or "none"
                raise TimeoutError(f"{exc} (frames before: {seen})") from None
            out.append(frame)
            if frame.opcode == Opcode.CLOSE:
                return out

    def recv_bytes(self, timeout: float | None = None) -> bytes:
        """The next bytes as they come (b"" at the end of the stream), not decoded.

        Bytes read here bypass the frame decoder: use it for answers that are not
        frames (after garbage, a refused handshake), not in the middle of frames.

        Raises:
            TimeoutError: nothing within ``timeout``.
        """
        if self._pending:
            data, self._pending = self._pending, b""
            return data
        if self._eof:
            return b""
        return self._read(time.monotonic() + (self.timeout if timeout is None else timeout),
                          "bytes")

    def __repr__(self) -> str:
        state = "connected" if self.sock is not None else "not connected"
        return f"<RawClient {self.url} {state}, {len(self.log)} chunks logged>"

