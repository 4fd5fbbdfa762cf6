"""The HTTP/1.1 messages of the opening handshake: parse, serialize, look at.

A WebSocket connection starts with one HTTP/1.1 request and one response (RFC 6455 §4).
Both are a start line and header lines, each ending with CRLF, then an empty line::

    GET /chat HTTP/1.1\\r\\n                  <- request line (RFC 7230 §3.1.1)
    Host: server.example.com\\r\\n            <- header field  (RFC 7230 §3.2)
    ...\\r\\n
    \\r\\n                                    <- the head ends here

:func:`parse_request` and :func:`parse_response` are strict: any malformed input raises
:class:`~wslab.codec.HandshakeError` naming the byte offset, the rule and (for a request)
the HTTP status a server answers. Building and checking whole handshakes is in
:mod:`wslab.codec._handshake`, explaining them in :mod:`wslab.codec._explain`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ._errors import HandshakeError
from ._show import Shown

MAX_LINE = 8192  # bytes per line, like most HTTP servers (and websockets)
MAX_HEADERS = 128  # header lines per message (websockets' default)

TOKEN = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")  # an HTTP token (RFC 7230 §3.2.6)
_TOKEN_BYTE = frozenset(b for b in range(128) if TOKEN.fullmatch(chr(b)))
_VERSION = re.compile(rb"HTTP/([0-9])\.([0-9])")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")  # CTLs except HTAB (RFC 7230 §3.2)
_RFC_HTTP = "RFC 7230 §3"


class IncompleteHandshake(HandshakeError):
    """The bytes end before the empty line that ends the head: more are needed.

    Attributes:
        have: how many bytes were seen.
        need: how many more bytes are needed at least (the rest of a CR LF CR LF).
    """

    def __init__(self, data: bytes, what: str) -> None:
        self.have = len(data)
        self.need = next(n for end, n in ((b"\r\n\r", 1), (b"\r\n", 2), (b"\r", 3), (b"", 4))
                         if data.endswith(end))
        super().__init__(
            f"truncated {what}: {self.have} byte(s) seen and no empty line (CR LF CR LF) ends "
            f"the headers yet; at least {self.need} more byte(s) needed", rfc=_RFC_HTTP,
            offset=self.have)


_M = TypeVar("_M", bound="_Message")


class _Message(Shown):
    """What requests and responses share: ordered headers, looked up case-insensitively."""

    headers: list[tuple[str, str]]
    offsets: list[int]

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive), in order."""
        low = name.lower()
        return [v for n, v in self.headers if n.lower() == low]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header ``name``, or ``default``."""
        values = self.get_all(name)
        return values[0] if values else default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self.get_all(name))

    def tokens(self, name: str) -> list[str]:
        """The elements of a comma-separated list header, over all its lines (RFC 7230 §7)."""
        return [item for value in self.get_all(name) for item in split_list(value)]

    def line_offset(self, name: str | None) -> int | None:
        """Offset of the first line of header ``name`` when parsed (or of the empty line)."""
        if not self.offsets:
            return None
        if name is not None:
            for i, (n, _) in enumerate(self.headers):
                if n.lower() == name.lower():
                    return self.offsets[i + 1]
        return self.offsets[-1]

    def with_header(self: _M, name: str, value: str | None) -> _M:
        """A copy with header ``name`` set to ``value`` (in place of the first, or appended).

        Every other line with that name is removed; ``None`` removes the header.
        """
        low, out, done = name.lower(), [], value is None
        for n, v in self.headers:
            if n.lower() != low:
                out.append((n, v))
            elif not done:
                out.append((n, value))
                done = True
        if not done:
            out.append((name, value))
        return replace(self, headers=out, offsets=[])  # type: ignore[type-var]

    def replace(self: _M, **changes: Any) -> _M:
        """A copy with some fields changed, e.g. ``request.replace(method="POST")``."""
        return replace(self, offsets=[], **changes)  # type: ignore[type-var]

    @property
    def start_line(self) -> str:
        raise NotImplementedError

    def head(self) -> bytes:
        """The start line and headers, CRLF-exact, ending with the empty line."""
        lines = [self.start_line, *(f"{n}: {v}" for n, v in self.headers), "", ""]
        try:
            return "\r\n".join(lines).encode("latin-1")
        except UnicodeEncodeError as exc:
            raise HandshakeError(
                f"cannot encode {exc.object[exc.start:exc.end]!r}: header bytes are ASCII "
                f"(or obs-text, ISO-8859-1)", rfc="RFC 7230 §3.2.4") from None

    def __bytes__(self) -> bytes:
        return self.serialize()

    def serialize(self) -> bytes:
        return self.head()

    def __str__(self) -> str:
        text = self.head().decode("latin-1").replace("\r\n", "\n")
        body = getattr(self, "body", b"")
        if body:
            text += f"{body[:200].decode('utf-8', 'replace')}\n"
        return f"{text}({len(self.serialize())} bytes; every head line ends with CR LF)"



@dataclass
class Request(_Message):
    """An HTTP request, as a client sends it to open a WebSocket (RFC 6455 §4.1).

    Attributes:
        method: e.g. ``"GET"``.
        target: the request target: path and query, e.g. ``"/chat?room=1"``.
        headers: ``(name, value)`` pairs in wire order; names keep their case.
        version: e.g. ``"HTTP/1.1"``.
        offsets: when parsed, the byte offset of every line (start line, each header,
            the empty line); empty when built.
    """

    method: str = "GET"
    target: str = "/"
    headers: list[tuple[str, str]] = field(default_factory=list)
    version: str = "HTTP/1.1"
    offsets: list[int] = field(default_factory=list, compare=False, repr=False)

    @property
    def start_line(self) -> str:
        return f"{self.method} {self.target} {self.version}"


@dataclass
class Response(_Message):
    """An HTTP response, as a server answers the handshake (RFC 6455 §4.2.2).

    Attributes:
        status: e.g. 101.
        reason: e.g. ``"Switching Protocols"``.
        headers: ``(name, value)`` pairs in wire order.
        version: e.g. ``"HTTP/1.1"``.
        body: the body of an error response (a 101 has none: frames follow it).
        offsets: as for :class:`Request`.
    """

    status: int = 101
    reason: str = "Switching Protocols"
    headers: list[tuple[str, str]] = field(default_factory=list)
    version: str = "HTTP/1.1"
    body: bytes = b""
    offsets: list[int] = field(default_factory=list, compare=False, repr=False)

    @property
    def start_line(self) -> str:
        return f"{self.version} {self.status} {self.reason}"

    def serialize(self) -> bytes:
        return self.head() + self.body


_STATUS_MEANING = {
    200: "a plain HTTP server answered and ignored the Upgrade: nothing here speaks WebSocket",
    400: "the server found the handshake malformed (RFC 6455 §4.2.1)",
    401: "the server wants credentials: authenticate and retry (RFC 6455 §4.1)",
    403: "forbidden, often because the Origin is not allowed (RFC 6455 §10.2)",
    404: "no WebSocket service at this path (RFC 6455 §4.2.2 /resource name/)",
    405: "the method was not GET (RFC 6455 §4.1 item 2)",
    426: "the server speaks another protocol version: see its Sec-WebSocket-Version "
         "(RFC 6455 §4.4)",
    429: "too many requests: retry later",
    500: "the server failed while handling the handshake",
    502: "a proxy or gateway got no valid answer from the server behind it",
    503: "the server is unavailable for now",
    505: "the server refused the HTTP version",
}


def status_meaning(response: Response) -> str:
    """What the status of a handshake response means for the client, in one line."""
    if response.status in _STATUS_MEANING:
        return _STATUS_MEANING[response.status]
    if 300 <= response.status < 400:
        return (f"a redirect to {response.get('Location', '(no Location)')}; clients may follow "
                "it but need not (RFC 6455 §4.1)")
    return {1: "an interim response", 2: "success, but no switch of protocol",
            4: "the server refused the request", 5: "the server failed"}.get(
        response.status // 100, "an unknown class of status")


# -- parsing -------------------------------------------------------------------------------


def _fail(message: str, offset: int, status: int | None, rfc: str = _RFC_HTTP,
          header: str | None = None) -> HandshakeError:
    return HandshakeError(message, rfc=rfc, status=status, header=header, offset=offset)


def _split_head(data: Any, status: int | None, what: str
                ) -> tuple[bytes, list[tuple[int, bytes]], bool]:
    """Cut the head into lines ``(offset, line without CRLF)``, and say if it is complete.

    A complete head's last line is the empty one; an incomplete one has only full lines
    (at least one: with none, :class:`IncompleteHandshake` is raised).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise HandshakeError(f"expected bytes, got {type(data).__name__}", rfc=_RFC_HTTP)
    data = bytes(data)
    if data[:2] == b"\x16\x03":
        raise _fail("these bytes start like a TLS handshake (0x16 0x03 ...), not HTTP: "
                    "a wss:// client talking to a plain ws:// server?", 0, status, "RFC 6455 §3")
    lines: list[tuple[int, bytes]] = []
    pos = 0
    while True:
        nl = data.find(b"\n", pos, pos + MAX_LINE + 2)
        if nl == -1:
            if len(data) - pos > MAX_LINE + 1:
                big = 431 if lines else 414
                raise _fail(f"line longer than {MAX_LINE} bytes", pos,
                            big if status else None, "RFC 7230 §3.1.1" if big == 414 else
                            "RFC 6585 §5")
            if not lines:
                raise IncompleteHandshake(data, what)
            return data, lines, False
        if nl == pos or data[nl - 1] != 0x0D:
            raise _fail("line ends with a bare LF (0x0a); HTTP lines end with CR LF "
                        "(0x0d 0x0a)", nl, status, "RFC 7230 §3")
        lines.append((pos, data[pos:nl - 1]))
        pos = nl + 1
        if nl - 1 == lines[-1][0]:
            return data, lines, True
        if len(lines) > MAX_HEADERS + 1:
            raise _fail(f"more than {MAX_HEADERS} header lines", lines[-1][0],
                        431 if status else None, "RFC 6585 §5")


def _parse_headers(data: bytes, lines: list[tuple[int, bytes]], complete: bool,
                   status: int | None, what: str) -> list[tuple[str, str]]:
    """The header lines of a head, checked; :class:`IncompleteHandshake` if it is not whole."""
    headers = []
    for offset, line in lines[1:-1] if complete else lines[1:]:
        if line[:1] in (b" ", b"\t"):
            raise _fail("header line starts with whitespace: obsolete line folding (obs-fold) "
                        "is refused", offset, status, "RFC 7230 §3.2.4")
        colon = line.find(b":")
        if colon == -1:
            raise _fail(f"header line without a colon: {_show(line)}", offset, status,
                        "RFC 7230 §3.2")
        name = line[:colon]
        if not name:
            raise _fail("header line with an empty name", offset, status, "RFC 7230 §3.2")
        for i, byte in enumerate(name):
            if byte not in _TOKEN_BYTE:
                why = ("whitespace between the header name and the colon" if byte in b" \t"
                       else f"byte 0x{byte:02x} is not allowed in a header name (token)")
                raise _fail(why, offset + i, status, "RFC 7230 §3.2.4" if byte in b" \t"
                            else "RFC 7230 §3.2.6")
        raw = line[colon + 1:]
        bad = _BAD_VALUE.search(raw)
        if bad:
            raise _fail(f"control byte 0x{raw[bad.start()]:02x} in the value of "
                        f"{name.decode()}", offset + colon + 1 + bad.start(), status,
                        "RFC 7230 §3.2", header=name.decode())
        headers.append((name.decode("ascii"), raw.strip(b" \t").decode("latin-1")))
    if not complete:
        raise IncompleteHandshake(data, what)
    return headers


def _show(raw: bytes, limit: int = 40) -> str:
    text = raw[:limit].decode("latin-1")
    return repr(text + ("..." if len(raw) > limit else ""))


def parse_request(data: bytes) -> Request:
    """Parse the head of a handshake request (the bytes up to CR LF CR LF).

    Bytes after the empty line are not part of the request and are ignored.

    Raises:
        IncompleteHandshake: the empty line that ends the head is not there yet.
        HandshakeError: malformed HTTP, with the offset, the rule and the status a server
            answers (400; 414 or 431 for over-long lines).
    """
    data, lines, complete = _split_head(data, 400, "request")
    line = lines[0][1]
    if not line:
        raise _fail("the request starts with an empty line, not a request line", 0, 400,
                    "RFC 7230 §3.1.1")
    if line.startswith(b"HTTP/"):
        raise _fail("this is a status line (a response), not a request line", 0, 400,
                    "RFC 7230 §3.1")
    parts = line.split(b" ")
    if len(parts) != 3 or not all(parts):
        raise _fail(f"a request line is METHOD SP TARGET SP HTTP-VERSION, got {_show(line)}",
                    0, 400, "RFC 7230 §3.1.1")
    method, target, version = parts
    for i, byte in enumerate(method):
        if byte not in _TOKEN_BYTE:
            raise _fail(f"byte 0x{byte:02x} is not allowed in a method (token)", i, 400,
                        "RFC 7230 §3.1.1")
    start = len(method) + 1
    for i, byte in enumerate(target):
        if not 0x21 <= byte <= 0x7E:
            raise _fail(f"byte 0x{byte:02x} is not allowed in a request target (percent-"
                        f"encode it)", start + i, 400, "RFC 7230 §3.1.1")
    if not _VERSION.fullmatch(version):
        raise _fail(f"{_show(version)} is not an HTTP version like HTTP/1.1",
                    start + len(target) + 1, 400, "RFC 7230 §2.6")
    headers = _parse_headers(data, lines, complete, 400, "request")
    return Request(method.decode(), target.decode(), headers, version.decode(),
                   offsets=[off for off, _ in lines])


def parse_response(data: bytes) -> Response:
    """Parse a handshake response: its head, and the body of a non-101 response.

    The body is what follows the head, up to ``Content-Length`` bytes if given. After a
    101 the bytes that follow are WebSocket frames, not a body, and are left out.

    Raises:
        IncompleteHandshake: the empty line that ends the head is not there yet.
        HandshakeError: malformed HTTP, with the offset and the rule.
    """
    data, lines, complete = _split_head(data, None, "response")
    line = lines[0][1]
    parts = line.split(b" ", 2)
    if not line.startswith(b"HTTP/") or len(parts) != 3:
        raise _fail(f"a status line is HTTP-VERSION SP STATUS SP REASON, got {_show(line)}",
                    0, None, "RFC 7230 §3.1.2")
    version, status, reason = parts
    if not _VERSION.fullmatch(version):
        raise _fail(f"{_show(version)} is not an HTTP version like HTTP/1.1", 0, None,
                    "RFC 7230 §2.6")
    if not (len(status) == 3 and status.isdigit() and 100 <= int(status) <= 599):
        raise _fail(f"the status code is 3 digits, 100-599, got {_show(status)}",
                    len(version) + 1, None, "RFC 7231 §6")
    bad = _BAD_VALUE.search(reason)
    if bad:
        raise _fail(f"control byte 0x{reason[bad.start()]:02x} in the reason phrase",
                    len(version) + 5 + bad.start(), None, "RFC 7230 §3.1.2")
    headers = _parse_headers(data, lines, complete, None, "response")
    end = lines[-1][0] + 2
    body = b""
    code = int(status)
    if code >= 200 and code not in (204, 304):
        body = data[end:]
        length = [v for n, v in headers if n.lower() == "content-length"]
        if length and length[0].isdigit():
            body = body[:int(length[0])]
    return Response(code, reason.decode("latin-1"), headers, version.decode(), body,
                    offsets=[off for off, _ in lines])


# -- list headers ----------------------------------------------------------------------------


def is_token(text: str) -> bool:
    """Whether ``text`` is an HTTP token (RFC 7230 §3.2.6)."""
    return bool(TOKEN.fullmatch(text))


def split_list(value: str) -> list[str]:
    """The elements of a ``#rule`` list value: split at commas, trimmed, empties dropped."""
    return [item.strip(" \t") for item in value.split(",") if item.strip(" \t")]
