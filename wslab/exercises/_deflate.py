"""Exercises of notebook 11: permessage-deflate, compressed and measured (RFC 7692)."""

from __future__ import annotations

from typing import Any

from ..codec import (
    FrameError,
    Inflater,
)
from ._model import Case, CheckResult, Exercise, Kind
from ._running import check_function

RFC7692 = "https://www.rfc-editor.org/rfc/rfc7692"
TAIL = b"\x00\x00\xff\xff"

_MESSAGES = [b"Hello", b"", b"a" * 1000, bytes(range(256)) * 4,
             b'{"type": "price", "price": 100.25}']


def _inflated(out: Any) -> Any:
    """What the student's payload inflates to (as a receiver would); as returned if it cannot."""
    if not isinstance(out, (bytes, bytearray)) or bytes(out).endswith(TAIL):
        return out  # a payload that keeps the tail is shown as it is: not what §7.2.1 sends
    try:
        return Inflater().decompress(bytes(out), fin=True)
    except FrameError:
        return bytes(out)


def _check_compress(answer: Any) -> CheckResult:
    cases = [Case((data,), data, "RFC 7692 §7.2.3.1" if data == b"Hello" else
                  "an empty message" if not data else "") for data in _MESSAGES]
    return check_function("11.compress", "compress_message", answer, cases, returns=bytes,
                          normalise=_inflated)


COMPRESS = Exercise(
    "11.compress", "Compress a message as permessage-deflate does", Kind.CODE,
    f"""Write `compress_message(data)`: the payload of the (single) frame that carries the
message `data` (`bytes`) compressed as [RFC 7692 §7.2.1]({RFC7692}#section-7.2.1) says: raw
DEFLATE (no zlib header: `zlib.compressobj(wbits=-15)`), flushed with `zlib.Z_SYNC_FLUSH`,
then the 4 bytes `00 00 ff ff` at the end removed. Use a fresh compressor for each call. The
check inflates what you return, as a receiver would, and compares it with `data`: a wrong
answer shows the bytes you returned when they do not inflate, or still end with the tail.""",
    ["zlib.compressobj(wbits=-15) makes raw DEFLATE; negative wbits means no header.",
     "compress() may return nothing yet; flush(zlib.Z_SYNC_FLUSH) returns the rest.",
     "A sync flush always ends with the empty stored block 00 00 ff ff: cut those 4 bytes."],
    "compress_message", "def compress_message(data):\n    ...  # your code here",
    _check_compress)


def _check_memory(answer: Any) -> CheckResult:
    cases = [Case((bits, level), (1 << (bits + 2)) + (1 << (level + 9)),
                  "zlib's defaults" if (bits, level) == (15, 8) else
                  "websockets' server" if (bits, level) == (12, 5) else "")
             for bits, level in ((15, 8), (12, 5), (9, 8), (10, 1), (15, 9))]
    return check_function("11.memory", "compressor_memory", answer, cases, returns=int)


MEMORY = Exercise(
    "11.memory", "What a window costs", Kind.CODE,
    f"""zlib documents the memory a compressor needs: `(1 << (windowBits + 2)) +
(1 << (memLevel + 9))` bytes. Write `compressor_memory(window_bits, mem_level)` returning it
(an `int`), for `window_bits` 9–15 (the LZ77 window, [RFC 7692 §7.1.2]({RFC7692}#section-7.1.2))
and `mem_level` 1–9. Then use it in the notebook: how much do 10,000 connections with 15-bit
windows need to compress, against the `websockets` server's 12-bit windows and memLevel 5?""",
    ["Shifting 1 left by n gives 2 to the power n.",
     "Two terms: one for the window (times 4: zlib keeps more than the window itself), one for "
     "the hash tables chosen by memLevel."],
    "compressor_memory",
    "def compressor_memory(window_bits, mem_level):\n    ...  # your code here", _check_memory)

EXERCISES = (COMPRESS, MEMORY)
