"""Close codes (RFC 6455 §7.4 and the IANA registry) and close frame payloads (§5.5.1).

A close payload is either empty, or a 2-byte status code in network byte order
followed by a UTF-8 reason of at most 123 bytes (a control frame carries at
most 125 bytes).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field, replace

from ._errors import FrameError, Rule, Rules
from ._show import Shown

MAX_REASON_BYTES = 123  # a close reason's UTF-8 bytes at most: 125 minus the code (§5.5.1)


class CloseCode(enum.IntEnum):
    """The status codes defined by RFC 6455 §7.4.1 and the IANA registry."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    RESERVED = 1004
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_FRAME_PAYLOAD_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


@dataclass(frozen=True)
class CloseCodeInfo(Shown):
    """What one close code means.

    Attributes:
        code: the number (or the first number of a range).
        name: the registry name.
        meaning: one line.
        sent_by: "server", "client", "either" or "nobody".
        on_wire: whether it may appear in a close frame.
        causes: typical causes, in words a student recognises.
        rfc: where it is defined.
    """

    code: int
    name: str
    meaning: str
    sent_by: str
    on_wire: bool
    causes: tuple[str, ...] = field(default_factory=tuple)
    rfc: str = "RFC 6455 §7.4.1"

    @property
    def who_sends(self) -> str:
        """Who sends it, in words: "either side", "server", "client" or "nobody"."""
        return "either side" if self.sent_by == "either" else self.sent_by

    def __str__(self) -> str:
        """One line: ``1011 Internal Error — meaning (sent by either side; on the wire: yes)``."""
        return (f"{self.code} {self.name} — {self.meaning} (sent by {self.who_sends}; "
                f"on the wire: {'yes' if self.on_wire else 'no'})")



def _i(code: int, name: str, meaning: str, sent_by: str, on_wire: bool, *causes: str,
       rfc: str = "RFC 6455 §7.4.1") -> CloseCodeInfo:
    return CloseCodeInfo(code, name, meaning, sent_by, on_wire, tuple(causes), rfc)


REGISTRY: dict[int, CloseCodeInfo] = {  # every registered code (1000-1015), by number
    i.code: i
    for i in [
        _i(1000, "Normal Closure", "the purpose of the connection has been fulfilled",
           "either", True, "close() called by the application: the conversation is over",
           "a chat window or a finished task closing its connection"),
        _i(1001, "Going Away", "the endpoint is going away",
           "either", True, "server shutting down",
           "browser navigating away from the page (RFC 6455 §7.4.1's own example)"),
        _i(1002, "Protocol Error", "the peer broke the protocol",
           "either", True, "unmasked client frame", "reserved opcode", "RSV bit without extension",
           "fragmented control frame"),
        _i(1003, "Unsupported Data", "a data type the endpoint cannot accept",
           "either", True, "binary message sent to a text-only endpoint"),
        _i(1004, "Reserved", "reserved: its meaning might be defined in the future",
           "nobody", False, "not to be used yet; receivers (websockets, Autobahn) treat a "
           "close frame carrying it as a protocol error"),
        _i(1005, "No Status Rcvd", "the close frame had no status code",
           "nobody", False, "reported locally when a close frame had an empty payload"),
        _i(1006, "Abnormal Closure", "the connection dropped without a close frame",
           "nobody", False, "TCP connection reset or cut", "process killed", "network failure"),
        _i(1007, "Invalid Frame Payload Data", "a message's data was inconsistent with its type",
           "either", True, "invalid UTF-8 in a text message or close reason"),
        _i(1008, "Policy Violation", "a message violated the endpoint's policy",
           "either", True, "bad or missing authentication token", "forbidden content"),
        _i(1009, "Message Too Big", "a message was too big to process",
           "either", True, "message larger than max_size (websockets: 1 MiB by default)"),
        _i(1010, "Mandatory Ext.", "the server did not negotiate an extension the client needs",
           "client", True, "a required extension missing from the handshake response"),
        _i(1011, "Internal Error", "an unexpected condition prevented fulfilling the request",
           "either", True, "an exception raised in a server handler (websockets)",
           "a keepalive ping not answered within ping_timeout (websockets: "
           "'keepalive ping timeout')", "a blocked event loop delaying pongs",
           rfc="RFC 6455 §7.4.1 and its errata; IANA registry"),
        _i(1012, "Service Restart", "the service is restarting",
           "server", True, "a deployment restarting the server", rfc="IANA registry"),
        _i(1013, "Try Again Later", "a temporary condition; try again later",
           "server", True, "server at capacity", "rate limiting", rfc="IANA registry"),
        _i(1014, "Bad Gateway", "a gateway or proxy got an invalid answer upstream",
           "server", True, "reverse proxy could not reach the backend", rfc="IANA registry"),
        _i(1015, "TLS handshake", "the TLS handshake failed",
           "nobody", False, "certificate could not be verified"),
    ]
}

_RANGES = [
    (0, 999, _i(0, "Unused", "codes below 1000 are not used", "nobody", False,
                "a bug in the sender", rfc="RFC 6455 §7.4.2")),
    (1016, 2999, _i(1016, "Reserved for RFCs", "reserved for future revisions of RFC 6455 and "
                    "extensions", "nobody", False, "a bug in the sender", rfc="RFC 6455 §7.4.2")),
    (3000, 3999, _i(3000, "Registered (libraries, frameworks)", "registered with IANA by "
                    "libraries, frameworks and applications", "either", True,
                    "e.g. 3000 Unauthorized, 3003 Forbidden, 3008 Timeout",
                    rfc="RFC 6455 §7.4.2")),
    (4000, 4999, _i(4000, "Private use", "private to an application; no registration",
                    "either", True, "application-defined", rfc="RFC 6455 §7.4.2")),
    (5000, 0xFFFF, _i(5000, "Invalid", "not defined by RFC 6455", "nobody", False,
                      "a bug in the sender", rfc="RFC 6455 §7.4.2")),
]


def describe(code: int) -> CloseCodeInfo:
    """Return what ``code`` means: its registry entry, or its range's (with ``code`` set).

    Raises:
        ValueError: ``code`` does not fit the 2-byte field (0-65535).
    """
    if code in REGISTRY:
        return REGISTRY[code]
    for low, high, info in _RANGES:
        if low <= code <= high:
            return replace(info, code=code)
    raise ValueError(f"a close code is 0-65535, not {code}")


REGISTRY_COLUMNS = ("code", "name", "meaning", "sent by", "on the wire", "typical causes")


@dataclass(frozen=True)
class RegistryTable(Shown):
    """The close codes and the ranges (RFC 6455 §7.4), as a table (see :func:`registry_table`).

    Attributes:
        rows: ``(code, info)`` per row; ``code`` is ``"1011"`` or a range ``"3000–3999"``.
    """

    rows: tuple[tuple[str, CloseCodeInfo], ...]
    columns: tuple[str, ...] = REGISTRY_COLUMNS

    @staticmethod
    def cells(code: str, info: CloseCodeInfo) -> tuple[str, ...]:
        """One row as text: code, name, meaning, sent by, on the wire, causes."""
        return (code, info.name, info.meaning, info.who_sends,
                "yes" if info.on_wire else "never", "; ".join(info.causes))

    def __repr__(self) -> str:
        return f"<RegistryTable: {len(self.rows)} rows>"



def registry_table(*, ranges: bool = True) -> RegistryTable:
    """Every registered close code (1000–1015) and, with ``ranges``, the ranges around them.

    ``str()`` gives aligned text; in Jupyter it shows as a table.
    """
    rows = [(str(code), info) for code, info in REGISTRY.items()]
    if ranges:
        rows += [(f"{low}–{high}", info) for low, high, info in _RANGES]
    return RegistryTable(tuple(rows))


def is_sendable(code: int) -> bool:
    """Whether ``code`` may appear in a close frame on the wire (RFC 6455 §7.4)."""
    return 0 <= code <= 0xFFFF and describe(code).on_wire


@dataclass(frozen=True)
class ClosePayload:
    """A parsed close payload. ``code`` is ``None`` for an empty payload (1005)."""

    code: int | None
    reason: str = ""

    @property
    def info(self) -> CloseCodeInfo:
        return describe(1005 if self.code is None else self.code)

    def __str__(self) -> str:
        if self.code is None:
            return "no status code (reported as 1005)"
        text = f"{self.code} {self.info.name}"
        return f"{text}: {self.reason!r}" if self.reason else text


def build_close_payload(code: int | None = None, reason: str | bytes = b"", *,
                        check: bool = True) -> bytes:
    """Build a close payload: 2-byte code + UTF-8 reason (RFC 6455 §5.5.1).

    Args:
        code: the status code, or ``None`` for an empty payload.
        reason: text (encoded as UTF-8) or raw bytes.
        check: refuse what may not be sent; ``False`` builds anything (for broken examples).
    Raises:
        ValueError: (with ``check``) a code that may not be sent, or a reason over 123 bytes.
    """
    raw = reason.encode("utf-8") if isinstance(reason, str) else bytes(reason)
    if code is None:
        if raw and check:
            raise ValueError("a close reason needs a status code before it (RFC 6455 §5.5.1)")
        return raw
    if check:
        if not is_sendable(code):
            raise ValueError(f"close code {code} ({describe(code).name}) may not be sent "
                             f"in a close frame (RFC 6455 §7.4)")
        if len(raw) > MAX_REASON_BYTES:
            raise ValueError(f"close reason is {len(raw)} bytes; at most {MAX_REASON_BYTES} fit "
                             f"in a control frame (RFC 6455 §5.5)")
    return struct.pack("!H", code & 0xFFFF) + raw


def close_payload_problems(payload: bytes, offset: int = 0) -> list[tuple[int, Rule, str]]:
    """List what is wrong with a close payload: ``(absolute offset, rule, message)``.

    Args:
        payload: the unmasked payload of a close frame.
        offset: absolute offset of the payload's first byte.
    """
    problems: list[tuple[int, Rule, str]] = []
    if len(payload) == 1:
        problems.append((offset, Rules.CLOSE_ONE_BYTE,
                         "close payload is 1 byte: a status code takes 2"))
        return problems
    if len(payload) >= 2:
        code = int.from_bytes(payload[:2], "big")
        if not is_sendable(code):
            problems.append((offset, Rules.CLOSE_CODE_INVALID,
                             f"close code {code} ({describe(code).name}) may not be sent "
                             f"in a close frame"))
        try:
            payload[2:].decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append((offset + 2 + exc.start, Rules.CLOSE_REASON_UTF8,
                             f"close reason is not valid UTF-8 at reason byte {exc.start} "
                             f"({exc.reason})"))
    return problems


def parse_close_payload(payload: bytes, offset: int = 0, *, strict: bool = True) -> ClosePayload:
    """Parse a close payload into its code and reason.

    Args:
        payload: the unmasked payload of a close frame.
        offset: absolute offset of the payload (for error messages).
        strict: raise on the first problem; otherwise decode what can be decoded.
    Raises:
        FrameError: (with ``strict``) a 1-byte payload, an unsendable code, or a reason
            that is not UTF-8.
    """
    if strict:
        problems = close_payload_problems(payload, offset)
        if problems:
            where, rule, message = problems[0]
            raise FrameError(message, offset=where, rule=rule)
    if len(payload) < 2:
        return ClosePayload(None, "")
    code = int.from_bytes(payload[:2], "big")
    return ClosePayload(code, bytes(payload[2:]).decode("utf-8", errors="replace"))
