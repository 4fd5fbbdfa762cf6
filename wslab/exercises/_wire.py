"""Exercises of notebook 05: bytes on the wire, as the tap records them (RFC 6455 §5.2)."""

from __future__ import annotations

from typing import Any

from ..codec import Frame, Opcode, dissect
from ._frames import KEY
from ._model import Case, CheckResult, Exercise, Kind
from ._rfc import s
from ._running import check_function, check_value

_SIZES = [0, 5, 125, 126, 65535, 65536, 10**6]


def _on_wire(n: int, sender: str) -> int:
    key = KEY if sender == "client" else None
    return len(Frame(Opcode.BINARY, b"", masking_key=key).header(declared_length=n)) + n


def _check_size(answer: Any) -> CheckResult:
    cases = [Case((n, who), _on_wire(n, who)) for n in _SIZES for who in ("client", "server")]
    return check_function("05.wire_size", "wire_size", answer, cases, returns=int)


WIRE_SIZE = Exercise(
    "05.wire_size", "How many bytes on the wire?", Kind.CODE,
    f"""The tap counts every byte. Write `wire_size(n, sender)`: how many bytes a message of
`n` payload bytes takes on the wire when it goes as one frame, sent by `sender` (`"client"`
or `"server"`), no extension. Count the header ({s("5.2")}: two bytes, the extended length
if any, the masking key if any) and the payload. A client masks every frame, a server never
does ({s("5.1")}); a masking key is 4 bytes ({s("5.3")}).""",
    ["Start from the header: 2 bytes, always.",
     "Lengths of 126 to 65535 add 2 bytes, longer ones add 8 (exercise 02.length).",
     "Masking adds 4 bytes (the key) and does not change the payload's size."],
    "wire_size", "def wire_size(n, sender):\n    ...  # your code here", _check_size)


def server_stream() -> bytes:
    """The bytes of exercise 05.find_close: what a server sent, three frames."""
    return (Frame.text("x" * 126).serialize() + Frame(Opcode.PONG, b"").serialize()
            + Frame.close(1001, "bye").serialize())


def _check_close(answer: Any) -> CheckResult:
    close = next(f for f in dissect(server_stream(), sender="server").frames
                 if f.frame.opcode == Opcode.CLOSE)
    return check_value("05.find_close", "offset_and_code", answer, (close.offset,
                       close.close_code), accepts=tuple, form="(byte_offset, close_code)",
                       normalise=lambda v: tuple(v) if isinstance(v, list) else v)


FIND_CLOSE = Exercise(
    "05.find_close", "Find the close frame", Kind.BYTES,
    f"""The tap recorded {len(server_stream())} bytes from a server: three frames, a close frame
last. They begin `{server_stream()[:6].hex(" ")} ...` (`given("05.find_close")` gives them
all). At which byte offset (from 0) does the close frame start, and which status code does
it carry? Set `offset_and_code = (offset, code)`. Read each header in turn ({s("5.2")}):
the length tells you where the next frame starts; the close payload is in {s("5.5.1")}.""",
    ["0x81 is a text frame; 0x7e in the length field means 'the length is in the next 2 "
     "bytes'.",
     "The first frame is 2 + 2 + 126 bytes long. What is the second frame (0x8a), and how "
     "long is it?",
     "The code is the first two bytes of the close frame's payload, big-endian."],
    "offset_and_code", "offset_and_code = None  # (byte_offset, close_code)", _check_close,
    given=server_stream)

EXERCISES = (WIRE_SIZE, FIND_CLOSE)
