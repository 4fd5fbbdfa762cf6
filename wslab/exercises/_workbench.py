"""Exercises of notebook 07, the frame workbench: write exact bytes, judge frames."""

from __future__ import annotations

from typing import Any

from ..codec import Frame, HexError, close_code_for, dissect, parse_hex
from ._frames import KEY
from ._model import CheckResult, Exercise, Kind
from ._rfc import s
from ._running import check_value


def _as_bytes(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_hex(value)
        except HexError:
            return value
    return bytes(value) if isinstance(value, (bytearray, memoryview)) else value


def _check_build(answer: Any) -> CheckResult:
    expected = Frame.close(1000, "bye", masking_key=KEY).serialize()
    return check_value("07.build_close", "frame_bytes", answer, expected, accepts=bytes,
                       form='bytes, or hex text such as "88 85 ..."', normalise=_as_bytes,
                       why="check each byte: header, key, then the masked payload")


BUILD_CLOSE = Exercise(
    "07.build_close", "Write a close frame byte by byte", Kind.BYTES,
    f"""Write, byte by byte, the close frame a *client* sends to close normally with the reason
`"bye"`, masked with the key `37 fa 21 3d` of {s("5.7")}. You need {s("5.2")} (the header),
{s("5.5.1")} (the payload: a 2-byte code, then the reason in UTF-8), {s("7.4.1")} (the code
for a normal closure) and {s("5.3")} (masking). Set `frame_bytes` to the bytes, or to hex
text such as `"88 85 ..."`. Try it in the workbench above, then write it down here.""",
    ["The first byte: FIN=1, opcode 0x8. The second: MASK=1 and the payload length.",
     "The payload is 2 + 3 bytes: 03 e8 (1000) then 'bye' in ASCII.",
     "Mask all 5 payload bytes with the key, byte i with key[i % 4]; the key itself goes "
     "right after the header, in clear."],
    "frame_bytes", 'frame_bytes = None  # bytes, or hex text such as "88 85 ..."', _check_build)

# Four frames a client sends; each is judged on its own (a strict server, no extension).
VERDICT_FRAMES = ("c1 85 37 fa 21 3d 7f 9f 4d 51 58",  # RSV1
                  "89 85 37 fa 21 3d 7f 9f 4d 51 58",  # a masked ping: fine
                  "81 05 48 65 6c 6c 6f",  # unmasked
                  "88 81 37 fa 21 3d 34",  # a one-byte close payload
                  "81 82 37 fa 21 3d f4 d2")  # not UTF-8


def verdict_frames() -> list[bytes]:
    """The frames of exercise 07.verdicts, as bytes."""
    return [bytes.fromhex(h) for h in VERDICT_FRAMES]


def _verdict(data: bytes) -> int | None:
    violations = dissect(data, sender="client").violations
    return int(close_code_for(violations[0])) if violations else None


def _check_verdicts(answer: Any) -> CheckResult:
    expected = tuple(_verdict(b) for b in verdict_frames())
    return check_value("07.verdicts", "verdicts", answer, expected, accepts=tuple,
                       form="a tuple of 5 items, each a close code or None",
                       normalise=lambda v: tuple(v) if isinstance(v, list) else v)


_LISTING = "\n".join(f"{i + 1}. `{h}`" for i, h in enumerate(VERDICT_FRAMES))

VERDICTS = Exercise(
    "07.verdicts", "Five frames, five verdicts", Kind.BYTES,
    f"""A client sends each of these frames, on its own, to a strict server that agreed on no
extension (`given("07.verdicts")` gives them as bytes):

{_LISTING}

For each, what does the server do: `None` if the frame is fine, else the close code it fails
the connection with ({s("7.1.7")}, {s("7.4.1")})? Set `verdicts` to a tuple of five items.
Paste them into the workbench if you like; the rules are in {s("5.1")}, {s("5.2")},
{s("5.5.1")} and {s("8.1")}.""",
    ["Look at the first byte's top four bits (FIN, RSV1-3) and the second byte's top bit "
     "(MASK) of each frame first.",
     "A client frame must be masked (§5.1); RSV bits need an extension (§5.2).",
     "Frame 4's payload is one byte long; frame 5's unmasked payload is c3 28: is that "
     "valid UTF-8 (what must follow a byte 0xc3)?"],
    "verdicts", "verdicts = None  # (code or None, code or None, ...): five items",
    _check_verdicts, given=verdict_frames)

EXERCISES = (BUILD_CLOSE, VERDICTS)
