"""Exercises of notebook 04: close codes and close payloads (RFC 6455 §5.5.1, §7.4)."""

from __future__ import annotations

from typing import Any

from ..codec import (
    Frame,
    Opcode,
    build_close_payload,
    close_code_for,
    dissect,
    is_sendable,
)
from ..live import RawClient, RawConnectionClosed, ScratchServer
from ._frames import KEY
from ._model import Case, CheckResult, Exercise, Kind
from ._rfc import s
from ._running import check_function, check_value

_PAYLOADS = [(1000, ""), (1001, "going away"), (1011, "keepalive ping timeout"),
             (4000, "héllo ✓"), (3000, "x" * 123), (1002, "")]


def _check_payload(answer: Any) -> CheckResult:
    cases = [Case((code, reason), build_close_payload(code, reason),
                  "123 bytes, the longest reason" if len(reason) == 123 else
                  "a reason that is not ASCII" if not reason.isascii() else "")
             for code, reason in _PAYLOADS]
    return check_function("04.close_payload", "close_payload", answer, cases, returns=bytes,
                          normalise=lambda v: bytes(v) if isinstance(v, bytearray) else v)


CLOSE_PAYLOAD = Exercise(
    "04.close_payload", "Build a close payload", Kind.CODE,
    f"""Write `close_payload(code, reason)`: the payload of a close frame carrying the status
`code` (an `int`) and the `reason` (a `str`), as {s("5.5.1")} defines it: "the first two
bytes of the body MUST be a 2-byte unsigned integer (in network byte order) representing a
status code", followed by the reason "encoded as UTF-8". Return `bytes`. (The codes and
reasons given are all valid: no checks needed.)""",
    ["Network byte order is big-endian: code.to_bytes(2, 'big'), or struct.pack('!H', code).",
     "The reason's length in bytes is not its length in characters: encode it.",
     "An empty reason adds nothing: the payload is then just the two bytes of the code."],
    "close_payload", "def close_payload(code, reason):\n    ...  # your code here",
    _check_payload)

_CODES = [0, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1012, 1014, 1015,
          1016, 2000, 2999, 3000, 3999, 4000, 4999, 5000, 65535]


def _check_codes(answer: Any) -> CheckResult:
    labels = {1004: "reserved", 1005: "never on the wire", 1006: "never on the wire",
              1015: "never on the wire", 2999: "reserved for extensions",
              3000: "registered with IANA", 4000: "private use"}
    cases = [Case((c,), is_sendable(c), labels.get(c, "")) for c in _CODES]
    return check_function("04.valid_code", "may_send", answer, cases, returns=bool)


VALID_CODE = Exercise(
    "04.valid_code", "Which close codes may go on the wire?", Kind.CODE,
    f"""Write `may_send(code)`: `True` if a close frame may carry the status code `code` (an
`int` from 0 to 65535), else `False`. Read {s("7.4.1")} and {s("7.4.2")}: codes below 1000
are not used; 1004 is reserved; 1005, 1006 and 1015 "MUST NOT be set as a status code in a
Close control frame"; 1000–2999 are for the protocol and its extensions (only those
defined by RFC 6455 or registered since, up to 1014, may be sent); 3000–3999 are for
libraries and frameworks (registered with IANA); 4000–4999 are for private use.""",
    ["Start from ranges: what is below 1000, what is from 3000 to 4999, what is 5000 and up?",
     "Inside 1000-1014, list the few codes that are excluded, and say why each one is.",
     "1016-2999 have no meaning yet (reserved for future revisions and extensions): not "
     "sendable."],
    "may_send", "def may_send(code):\n    ...  # your code here", _check_codes)


def bad_close_frame() -> bytes:
    """The bytes of exercise 04.code_for_bytes: a client's close frame with code 1005."""
    return Frame(Opcode.CLOSE, (1005).to_bytes(2, "big") + b"bye",
                 masking_key=KEY).serialize()


def _check_code_for(answer: Any) -> CheckResult:
    first = dissect(bad_close_frame(), sender="client").violations[0]
    return check_value("04.code_for_bytes", "code", answer, int(close_code_for(first)),
                       accepts=int, form="a close code, e.g. 1000",
                       why="unmask the payload first, then read §7.4.1 and §7.1.7")


CODE_FOR_BYTES = Exercise(
    "04.code_for_bytes", "What does the server close with?", Kind.BYTES,
    f"""A client sends this frame right after the handshake (`given("04.code_for_bytes")`
gives its bytes):

```
{bad_close_frame().hex(' ')}
```

What close code does a server that follows RFC 6455 send in answer? Set `code` to it.
Read {s("5.2")} for the header, {s("5.3")} to unmask, {s("5.5.1")} for the payload,
{s("7.4.1")} for the codes and {s("7.1.7")} for what a server does when a rule is broken.""",
    ["0x88 is FIN + opcode 8: a close frame. 0x85: masked, 5 bytes. The key is 37 fa 21 3d "
     "(the one of RFC 6455 §5.7).",
     "Unmasked, the payload is 03 ed 62 79 65: a 2-byte code, then a reason. What is 0x03ed "
     "in decimal?",
     "That code is one that must never be sent in a close frame. Receiving it is a protocol "
     "error, and a protocol error has its own code."],
    "code", "code = None  # a close code", _check_code_for, given=bad_close_frame)


def invalid_text_frame() -> bytes:
    """The bytes of exercise 04.live_close: a masked text frame whose payload is not UTF-8."""
    return Frame(Opcode.TEXT, "café".encode()[:-1], masking_key=KEY).serialize()


def live_close_code(data: bytes, timeout: float = 5.0) -> int | None:
    """Send ``data`` after a handshake to a fresh ScratchServer; the code it closes with."""
    with ScratchServer() as srv, RawClient(srv.host, srv.port, timeout=timeout) as raw:
        raw.send_handshake(path="/")
        raw.send(data)
        try:
            frames = raw.recv_frames(timeout=timeout)
        except (RawConnectionClosed, TimeoutError, OSError):
            frames = list(raw.received)
    close = next((f for f in frames if f.opcode == Opcode.CLOSE), None)
    if close is None or close.close_payload is None:
        return None
    return close.close_payload.code


def _check_live(answer: Any) -> CheckResult:
    result = check_value("04.live_close", "live_code", answer, live_close_code(
        invalid_text_frame()), accepts=int, form="a close code, e.g. 1000",
        why="§8.1 says what a text frame must carry")
    if result.answered:
        result.details.append("checked live: the bytes went to a ScratchServer on 127.0.0.1")
    return result


LIVE_CLOSE = Exercise(
    "04.live_close", "Ask a live server", Kind.BYTES,
    f"""The check sends this client frame to a real server (`wslab.live.ScratchServer`, started
for the check on 127.0.0.1) right after the handshake, and reads the close frame it answers
with (`given("04.live_close")` gives the bytes):

```
{invalid_text_frame().hex(' ')}
```

Predict the close code. Set `live_code` to it. Unmask ({s("5.3")}), then read
{s("5.6")}, {s("8.1")} and {s("7.4.1")}.""",
    ["0x81: FIN and opcode 1, a text frame; 0x84: masked, 4 bytes.",
     "Unmasked: 63 61 66 c3. The first three are ASCII; what does 0xc3 start in UTF-8, and "
     "is it finished?",
     "Text that is not valid UTF-8 is 'data within a message that was not consistent with "
     "the type of the message'."],
    "live_code", "live_code = None  # a close code", _check_live, slow=True,
    given=invalid_text_frame)

EXERCISES = (CLOSE_PAYLOAD, VALID_CODE, CODE_FOR_BYTES, LIVE_CLOSE)
