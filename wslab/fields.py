"""The fields of a frame on the wire, and one line saying what each means (RFC 6455 §5.2).

:class:`Field` is one field as found in the bytes: where it is, what the wire holds there,
its decoded value and its meaning. The builders here read one frame's header bit by bit
(:func:`header_fields`) and its payload (:func:`payload_field`,
:func:`partial_payload_field`); :func:`wslab.dissect.dissect` walks the bytes frame by
frame and calls them. Fields cut short by the end of the input carry the bytes present,
``value=None``, and say how many more are needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import frames as wire
from .close import describe
from .frames import Opcode, Sender, is_control, opcode_name

if TYPE_CHECKING:
    from .dissect import FrameDissection

__all__ = ["Field", "header_fields", "partial_payload_field", "payload_field"]

_PREVIEW = 40  # characters of text / bytes shown in a one-line meaning


def _jsonable(value: Any) -> Any:
    """``value`` as JSON data: bytes become hex strings, enums plain ints."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


@dataclass(frozen=True)
class Field:
    """One field of a frame as found on the wire.

    Attributes:
        name: e.g. "FIN", "RSV1", "RSV2", "RSV3", "opcode", "MASK", "payload length",
            "extended payload length", "masking key", "payload".
        offset: absolute offset of its first byte.
        length: how many bytes it spans (1 for a bit field; 0 for an empty payload).
        bits: ``(first, last)`` bit positions inside the byte at ``offset``, 0 being the
            most significant bit as in RFC 6455's diagram; ``None`` for whole bytes.
        raw: the value as on the wire (an int for bit fields and lengths, bytes otherwise;
            bytes too for a length cut short by the end of the input).
        value: the decoded value (e.g. ``Opcode.TEXT``, ``True``, the unmasked payload);
            ``None`` for a field cut short.
        meaning: one line saying what it means here.
    """

    name: str
    offset: int
    length: int
    bits: tuple[int, int] | None
    raw: int | bytes
    value: Any
    meaning: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (bytes as hex strings, ``bits`` as a list or ``None``)."""
        return {
            "name": self.name, "offset": self.offset, "length": self.length,
            "bits": list(self.bits) if self.bits is not None else None,
            "raw": _jsonable(self.raw), "value": _jsonable(self.value), "meaning": self.meaning,
        }


# -- one line of meaning per field ----------------------------------------------------


def _plural(n: int, word: str = "byte") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(text: str | bytes) -> str:
    """``repr`` of ``text`` (str or bytes), cut after _PREVIEW characters or bytes."""
    return repr(text) if len(text) <= _PREVIEW else repr(text[:_PREVIEW]) + "…"


def _rsv1_meaning(on: int, op: int, deflate: bool) -> str:
    if not on:
        if deflate and op in (Opcode.TEXT, Opcode.BINARY):
            return "0: the message is not compressed"
        return "0: reserved for extensions, not set"
    if deflate and op in (Opcode.TEXT, Opcode.BINARY):
        return "1: the message is compressed (permessage-deflate, RFC 7692)"
    if deflate and op == Opcode.CONT:
        return "1: not allowed on a continuation frame (permessage-deflate: first frame only)"
    if deflate and is_control(op):
        return "1: not allowed on a control frame (permessage-deflate never compresses them)"
    return "1: reserved; must be 0 without a negotiated extension that defines it"


def _opcode_meaning(op: int) -> str:
    if opcode_name(op) != "reserved":
        return f"0x{op:X} {opcode_name(op)} frame"
    kind = "control" if is_control(op) else "non-control"
    return f"0x{op:X} reserved opcode (for further {kind} frames)"


def _payload_meaning(fd: FrameDissection, kind: int, compressed: bool) -> str:
    """What the payload of ``fd`` is; ``kind`` is the opcode of the message it belongs to."""
    f = fd.frame
    n = len(f.payload)
    head = _plural(n) + (", masked; unmasked:" if f.masked and n else ":")
    op = int(f.opcode)
    if n == 0 and op != Opcode.CLOSE:
        return "empty (0 bytes)"
    if op == Opcode.CLOSE:
        if n == 0:
            return "empty: no status code (the receiver reports 1005 No Status Rcvd)"
        if n == 1:
            return f"{head} too short for a 2-byte status code"
        what = f"status code {fd.close_code} ({describe(fd.close_code or 0).name})"
        return f"{head} {what}" + (f", reason {_short(fd.close_reason)}" if n > 2 else
                                   ", no reason")
    if op in (Opcode.PING, Opcode.PONG):
        return f"{head} application data {_short(f.payload)}"
    if op == Opcode.CONT and kind not in (Opcode.TEXT, Opcode.BINARY):
        return f"{head} continuation data, but no message is open {_short(f.payload)}"
    if kind not in (Opcode.TEXT, Opcode.BINARY):
        return f"{head} data of unknown meaning (reserved opcode) {_short(f.payload)}"
    if compressed:
        done = ""
        if fd.message is not None:
            done = f"; the message inflates to {_plural(len(fd.message.payload))}: " + _short(
                fd.message.text if fd.message.text is not None else fd.message.payload)
        return f"{head} compressed data (permessage-deflate){done}"
    if kind == Opcode.BINARY:
        return f"{head} binary data {_short(f.payload)}"
    if fd.text is not None:
        return f"{head} text {_short(fd.text)}"
    if f.fin and op == Opcode.TEXT:
        return f"{head} text data, not valid UTF-8"
    return f"{head} a text fragment that does not decode alone (characters may span fragments)"


# -- the builders ---------------------------------------------------------------------


def header_fields(data: bytes, pos: int, avail: int, sender: Sender | None,
                  deflate: bool) -> tuple[list[Field], int, int | None]:
    """Fields of the header at ``data[pos]`` using at most ``avail`` bytes.

    Args:
        data, pos: the bytes, and where the frame starts in them.
        avail: how many bytes from ``pos`` belong to the input.
        sender, deflate: as for :func:`wslab.dissect.dissect` (they change the meanings).
    Returns:
        ``(fields, header length or -1 if unknown, declared payload length or None)``.
        Fields cut short by ``avail`` carry the bytes present and ``value=None``.
    """
    out: list[Field] = []
    if avail < 1:
        return out, -1, None
    b0 = data[pos]
    op = b0 & wire.OPCODE
    fin = b0 & wire.FIN
    fin_text = (("0: more fragments follow, which a control frame may not do",
                 "1: final frame (control frames are never fragmented)") if is_control(op)
                else ("0: more frames of this message follow",
                      "1: the final frame of its message"))[fin >> 7]
    out.append(Field("FIN", pos, 1, (0, 0), fin >> 7, bool(fin), fin_text))
    out.append(Field("RSV1", pos, 1, (1, 1), (b0 & wire.RSV1) >> 6, bool(b0 & wire.RSV1),
                     _rsv1_meaning(b0 & wire.RSV1, op, deflate)))
    for name, bit, mask in (("RSV2", 2, wire.RSV2), ("RSV3", 3, wire.RSV3)):
        on = (b0 & mask) >> (7 - bit)
        out.append(Field(name, pos, 1, (bit, bit), on, bool(on),
                         "1: reserved; must be 0 without a negotiated extension that defines it"
                         if on else "0: reserved for extensions, not set"))
    value = Opcode(op) if opcode_name(op) != "reserved" else op
    out.append(Field("opcode", pos, 1, (4, 7), op, value, _opcode_meaning(op)))
    if avail < 2:
        return out, -1, None
    b1 = data[pos + 1]
    masked = b1 & wire.MASK
    mask_text = ("1: masked; a 4-byte masking key follows the length" if masked
                 else "0: not masked (no masking key)")
    if sender == "client" and not masked:
        mask_text += ", but a client must mask every frame"
    elif sender == "server" and masked:
        mask_text += ", but a server must not mask"
    out.append(Field("MASK", pos + 1, 1, (0, 0), masked >> 7, bool(masked), mask_text))
    len7 = b1 & wire.LEN7
    ext = {126: 2, 127: 8}.get(len7, 0)
    len_text = (f"{len7}: the length follows in the next {ext} bytes" if ext
                else f"{len7}: the payload is {_plural(len7)}")
    out.append(Field("payload length", pos + 1, 1, (1, 7), len7, len7, len_text))
    header_len = 2 + ext + (4 if masked else 0)
    length: int | None = len7
    if ext:
        got = data[pos + 2 : pos + min(avail, 2 + ext)]
        if len(got) < ext:
            out.append(Field("extended payload length", pos + 2, len(got), None, got, None,
                             f"{len(got)} of {ext} bytes present; {ext - len(got)} more needed"))
            return out, header_len, None
        length = int.from_bytes(got, "big")
        note = ""
        if ext == 8 and length >= 1 << 63:
            note = " (invalid: the most significant bit must be 0)"
        elif length <= 125:
            note = " (not minimal: it fits the 7-bit field)"
        elif ext == 8 and length <= 0xFFFF:
            note = " (not minimal: it fits 16 bits)"
        out.append(Field("extended payload length", pos + 2, ext, None, length, length,
                         f"{length}: the payload is {_plural(length)}{note}"))
    if masked:
        start = pos + 2 + ext
        key = data[start : pos + min(avail, header_len)]
        if len(key) < 4:
            out.append(Field("masking key", start, len(key), None, key, None,
                             f"{len(key)} of 4 bytes present; {4 - len(key)} more needed"))
            return out, header_len, length
        out.append(Field("masking key", start, 4, None, key, key,
                         f"{key.hex(' ')}: payload byte i is XORed with key byte i mod 4"))
    return out, header_len, length


def payload_field(fd: FrameDissection, kind: int, compressed: bool) -> Field:
    """The payload of the complete frame ``fd`` (its text, close code and message set).

    Args:
        kind: the opcode of the message the frame belongs to (its own for a control frame).
        compressed: that message is compressed (permessage-deflate).
    """
    return Field("payload", fd.offset + fd.header_length, fd.payload_length, None,
                 fd.raw[fd.header_length :], fd.frame.payload,
                 _payload_meaning(fd, kind, compressed))


def partial_payload_field(data: bytes, start: int, end: int, length: int) -> Field:
    """The part of a ``length``-byte payload at ``data[start:end]`` that has arrived."""
    got = data[start:end]
    return Field("payload", start, len(got), None, got, None,
                 f"{len(got)} of {_plural(length)} present; {length - len(got)} more needed")
