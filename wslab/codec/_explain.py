"""The opening handshake explained, as data: what each line means (RFC 6455 §4).

- :func:`explain`: the raw bytes of a request or response, as a
  :class:`HandshakeExplanation`: every line with its byte offset and meaning, every
  problem, and for a request the answer a server sends (:mod:`wslab.view` shows it).
- :func:`describe_header`: what one header means, in one line, with its RFC section.
- :func:`accept_steps`: Sec-WebSocket-Accept derived step by step (§1.3).

It builds on :mod:`wslab.codec._handshake` (the checks) and :mod:`wslab.codec._deflate`
(the permessage-deflate parameters).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from ._deflate import NAME, PARAMETERS, WINDOW_BITS
from ._errors import HandshakeError
from ._extensions import parse_extensions
from ._handshake import (
    GUID,
    HandshakeProblem,
    accept_digest,
    accept_key,
    build_error_response,
    check_request,
    check_response,
    decode_base64,
    server_answer,
)
from ._http11 import Request, Response, parse_request, parse_response, split_list, status_meaning
from ._show import Shown

# -- Sec-WebSocket-Accept, step by step (§1.3, §4.2.2) -------------------------------------


@dataclass(frozen=True)
class AcceptSteps(Shown):
    """Each step from Sec-WebSocket-Key to Sec-WebSocket-Accept (RFC 6455 §1.3).

    Attributes:
        key: the Sec-WebSocket-Key, hashed as text (decoded only to check it is 16 bytes,
            never for the hash).
        guid: the fixed GUID of RFC 6455.
        concatenated: ``key + guid``.
        sha1: the 20-byte SHA-1 digest of the concatenation.
        accept: the digest in base64: the Sec-WebSocket-Accept value.
    """

    key: str
    guid: str
    concatenated: str
    sha1: bytes
    accept: str

    @property
    def sha1_hex(self) -> str:
        return self.sha1.hex(" ")

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "guid": self.guid, "concatenated": self.concatenated,
                "sha1": self.sha1.hex(), "accept": self.accept}

    def steps(self) -> list[tuple[str, str]]:
        return [
            ("1. the key, as sent (hashed as text)", self.key),
            ("2. append the GUID", self.guid),
            (f"   = {len(self.concatenated)} characters", self.concatenated),
            ("3. SHA-1 of those bytes (20 bytes)", self.sha1_hex),
            ("4. base64 of the 20 bytes", self.accept),
        ]



def accept_steps(key: str) -> AcceptSteps:
    """Derive Sec-WebSocket-Accept from ``key``, keeping every step.

    Raises:
        HandshakeError: ``key`` has characters that no header can carry.
    """
    return AcceptSteps(key, GUID, key + GUID, accept_digest(key), accept_key(key))


# -- what each header means ----------------------------------------------------------------

_DEFLATE_MEANING = {  # where each is defined: PARAMETERS
    "server_no_context_takeover": "the server resets its compression context after each message",
    "client_no_context_takeover": "the client resets its compression context after each message",
    "server_max_window_bits": "the server's LZ77 window is at most 2^{} bytes",
    "client_max_window_bits": "the client's LZ77 window is at most 2^{} bytes",
}
_GENERIC = {
    "user-agent": ("the client software", "RFC 7231 §5.5.3"),
    "server": ("the server software", "RFC 7231 §7.4.2"),
    "date": ("when the message was sent", "RFC 7231 §7.1.1.2"),
    "cookie": ("cookies the client sends along, as with any HTTP request", "RFC 6265 §5.4"),
    "set-cookie": ("a cookie the server sets during the handshake", "RFC 6265 §4.1"),
    "authorization": ("the client's credentials", "RFC 7235 §4.2"),
    "www-authenticate": ("how to authenticate before retrying", "RFC 7235 §4.1"),
    "content-length": ("the size of the body in bytes", "RFC 7230 §3.3.2"),
    "content-type": ("the media type of the body", "RFC 7231 §3.1.1.5"),
    "allow": ("the methods this resource accepts (sent with 405)", "RFC 7231 §7.4.1"),
    "location": ("where a redirect points", "RFC 7231 §7.1.2"),
    "cache-control": ("caching directives (browsers send no-cache)", "RFC 7234 §5.2"),
    "pragma": ("HTTP/1.0 caching directive (browsers send no-cache)", "RFC 7234 §5.4"),
    "accept-encoding": ("content codings the client accepts (unused by WebSocket)",
                        "RFC 7231 §5.3.4"),
    "accept-language": ("preferred languages (unused by WebSocket)", "RFC 7231 §5.3.5"),
}


def _pmd_param(key: str, val: str | None, request: bool) -> str:
    if key not in PARAMETERS:
        return f"{key}: unknown parameter, the offer must be declined (RFC 7692 §7.1)"
    rfc, text = PARAMETERS[key], _DEFLATE_MEANING[key]
    if key.endswith("window_bits"):
        if val is None:
            return (f"{key}: the client can limit its window if the server asks ({rfc})"
                    if request and key.startswith("client") else
                    f"{key} without a value: invalid here ({rfc})")
        if not WINDOW_BITS.fullmatch(val):
            return f"{key}={val}: invalid, must be 8 to 15 ({rfc})"
        return f"{key}: {text.format(val)} ({rfc})"
    if val is not None:
        return f"{key}={val}: invalid, this parameter takes no value ({rfc})"
    return f"{key}: {text} ({rfc})"


def _describe_extensions(value: str, request: bool) -> str:
    try:
        offers = parse_extensions(value)
    except HandshakeError as exc:
        return exc.message  # "malformed Sec-WebSocket-Extensions: expected ... at character n"
    parts = []
    for offer in offers:
        if offer.name.lower() == NAME:
            bits = "; ".join(_pmd_param(k, v, request) for k, v in offer.params)
            parts.append("permessage-deflate: compress each message with DEFLATE (RFC 7692)"
                         + (f" [{bits}]" if bits else ", default parameters"))
        else:
            parts.append(f"{offer.name}: an extension wslab does not know"
                         + (f" (params: {', '.join(k for k, _ in offer.params)})"
                            if offer.params else ""))
    verb = "offers" if request else "accepts"
    return f"the {'client' if request else 'server'} {verb}: " + " | ".join(parts or ["nothing"])


def describe_header(name: str, value: str, *, request: bool) -> tuple[str, str]:
    """What header ``name: value`` means in a handshake request or response.

    Returns:
        ``(meaning in one line, where it is defined)``.
    """
    low = name.lower()
    side = "§4.1" if request else "§4.2.2"
    if low == "host":
        return (f"the server's host{' and port' if ':' in value.rsplit(']', 1)[-1] else ''}: "
                f"required in every HTTP/1.1 request", "RFC 6455 §4.1 item 4; RFC 7230 §5.4")
    if low == "upgrade":
        return (("asks to switch this connection to: " if request else "switches to: ")
                + (", ".join(split_list(value)) or "(nothing)")
                + (" (must include websocket)" if request else " (must be websocket)"),
                f"RFC 6455 {'§4.1 item 5' if request else '§4.2.2 item 5.2'}; RFC 7230 §6.7")
    if low == "connection":
        tokens = [t.lower() for t in split_list(value)]
        where = f"RFC 6455 {'§4.1 item 6' if request else '§4.2.2 item 5.3'}; RFC 7230 §6.1"
        said = []
        if "upgrade" in tokens:
            said.append("'Upgrade': this connection itself is to switch protocols")
        if "close" in tokens:
            said.append("'close': the TCP connection is to be closed after this "
                        "response (RFC 7230 §6.6)")
        if "keep-alive" in tokens:
            said.append("'keep-alive': keep the TCP connection open for more requests")
        if not said:
            missing = "; it lacks the 'Upgrade' token a WebSocket handshake needs"
            return f"connection options: {', '.join(tokens) or '(none)'}{missing}", where
        if "upgrade" not in tokens:
            said.append("no 'Upgrade' token: this is not a switch to WebSocket")
        return "connection options: " + "; ".join(said), where
    if low == "sec-websocket-key":
        nonce = decode_base64(value)
        if nonce is None:
            return ("should be a random 16-byte nonce in base64, but this is not base64",
                    "RFC 6455 §4.1 item 7")
        return (f"random nonce, {len(nonce)} bytes in base64 (16 required): {nonce.hex(' ')}; "
                "the server hashes it into Sec-WebSocket-Accept", "RFC 6455 §4.1 item 7")
    if low == "sec-websocket-version":
        if request:
            return (f"protocol version the client speaks; 13 is RFC 6455"
                    f"{'' if value == '13' else ' (this is not 13)'}",
                    "RFC 6455 §4.1 item 9; §11.3.5")
        return "versions the server speaks, sent when it refuses the client's", "RFC 6455 §4.4"
    if low == "sec-websocket-accept":
        digest = decode_base64(value) or b""
        shown = f"SHA-1 {digest.hex(' ')}" if len(digest) == 20 else "(not 20 bytes in base64)"
        return (f"base64(SHA-1(key + GUID)), proving the server read this handshake: {shown}",
                "RFC 6455 §4.2.2 item 5.4; §1.3")
    if low == "sec-websocket-protocol":
        items = ", ".join(split_list(value))
        return ((f"subprotocols the client offers, in order of preference: {items}", "RFC 6455 "
                 "§4.1 item 10") if request else
                (f"the subprotocol the server picked: {items}", "RFC 6455 §4.2.2 item 5.5"))
    if low == "sec-websocket-extensions":
        return _describe_extensions(value, request), (
            f"RFC 6455 {'§4.1 item 11' if request else '§4.2.2 item 5.6'}, §9.1; RFC 7692 §7")
    if low == "origin":
        return ("the web origin of the page opening the connection (browsers send it); the "
                "server may refuse origins it does not trust", "RFC 6455 §4.1 item 8; §10.2")
    if low in _GENERIC:
        return _GENERIC[low]
    return ("not part of the WebSocket handshake: HTTP handles it as usual",
            f"RFC 6455 {side} {'item 12' if request else ''}".strip())


# -- explaining ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineNote:
    """One line of a handshake on the wire, explained.

    Attributes:
        offset: byte offset of the line's first byte.
        text: the line without its CR LF.
        name: header name, or ``None`` for the start line and the empty line.
        meaning: what it means, in one line.
        rfc: where that is defined.
        problem: a problem was found on this line.
    """

    offset: int
    text: str
    name: str | None
    meaning: str
    rfc: str
    problem: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"offset": self.offset, "text": self.text, "name": self.name,
                "meaning": self.meaning, "rfc": self.rfc, "problem": self.problem}


@dataclass
class HandshakeExplanation(Shown):
    """What :func:`explain` found: lines, problems and (for a request) the server's answer.

    Attributes:
        kind: ``"request"`` or ``"response"``.
        data: the bytes explained.
        message: the parsed message, or ``None`` if they do not parse.
        lines: every line, explained (empty if the bytes do not parse).
        problems: everything wrong, the parse error included.
        answer: for a request, the response a server sends (``None`` while incomplete).
        trailing: bytes after the head (frames after a 101, a body, or too early data).
    """

    kind: Literal["request", "response"]
    data: bytes = field(repr=False)
    message: Request | Response | None = field(repr=False)
    lines: list[LineNote] = field(default_factory=list, repr=False)
    problems: list[HandshakeProblem] = field(default_factory=list)
    answer: Response | None = None
    trailing: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        answer = None
        if self.answer is not None:
            answer = {"status": self.answer.status, "reason": self.answer.reason,
                      "headers": [list(h) for h in self.answer.headers],
                      "text": self.answer.serialize().decode("latin-1")}
        return {"kind": self.kind, "length": len(self.data), "ok": self.ok,
                "lines": [n.to_dict() for n in self.lines],
                "problems": [p.to_dict() for p in self.problems],
                "answer": answer, "trailing": self.trailing}

    def trailing_note(self) -> str:
        if self.kind == "request":
            return "a client must wait for the server's answer before sending more, §4.1"
        if isinstance(self.message, Response) and self.message.status == 101:
            return "WebSocket frames from the server"
        return "the body"


def explain(data: bytes, *, request: Request | None = None,
            origins: Collection[str | None] | None = None,
            subprotocols: Collection[str] | None = None) -> HandshakeExplanation:
    """Explain a handshake request or response, line by line. Never raises on bytes.

    Args:
        data: the raw bytes; a response starts with ``HTTP/``, anything else is a request.
        request: for a response, the request it answers (to check the Accept value).
        origins, subprotocols: the server's policy, as for :func:`check_request`.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise HandshakeError(f"explain() takes bytes, not {type(data).__name__} (for text, "
                             "encode it, with CR LF line ends)", rfc="RFC 7230 §3")
    data = bytes(data)
    kind: Literal["request", "response"] = "response" if data[:5] == b"HTTP/" else "request"
    try:
        message = parse_request(data) if kind == "request" else parse_response(data)
    except HandshakeError as exc:
        problem = HandshakeProblem(exc.message, exc.header, exc.rfc, exc.status, exc.offset)
        answer = None
        if exc.status is not None:
            answer = build_error_response(exc.status, body=f"{exc}\n")
        return HandshakeExplanation(kind, data, None, [], [problem], answer)
    if isinstance(message, Request):
        problems = check_request(message, origins=origins, subprotocols=subprotocols)
        answer: Response | None = server_answer(message, origins=origins,
                                                subprotocols=subprotocols)
    else:
        problems, answer = check_response(message, request), None
    lines = _line_notes(message, problems)
    end = message.offsets[-1] + 2
    trailing = len(data) - end - (len(message.body) if isinstance(message, Response) else 0)
    return HandshakeExplanation(kind, data, message, lines, problems, answer, trailing)


def _line_notes(message: Request | Response, problems: list[HandshakeProblem]
                ) -> list[LineNote]:
    bad = {p.offset for p in problems}
    is_request = isinstance(message, Request)
    if is_request:
        start = (f"method {message.method}, resource {message.target}, {message.version}",
                 "RFC 6455 §4.1 item 2; RFC 7230 §3.1.1")
    else:
        start = (f"{message.version}, status {message.status}: "
                 + ("the server switches to WebSocket" if message.status == 101
                    else status_meaning(message)), "RFC 6455 §4.2.2; RFC 7230 §3.1.2")
    notes = [LineNote(message.offsets[0], message.start_line, None, *start, 0 in bad)]
    for (name, value), offset in zip(message.headers, message.offsets[1:-1], strict=True):
        meaning, rfc = describe_header(name, value, request=is_request)
        notes.append(LineNote(offset, f"{name}: {value}", name, meaning, rfc, offset in bad))
    end = message.offsets[-1]
    notes.append(LineNote(end, "", None, "the empty line ends the head", "RFC 7230 §3",
                          end in bad))
    return notes

