"""Dissection: every field of every frame, explained, and every rule broken.

:func:`dissect` takes any bytes apart the way Wireshark's dissector does. Each
frame becomes a list of :class:`Field` records that cover its bytes exactly once (bit
fields for the first two bytes), each with where it is, what the wire holds there, its
decoded value and one line saying what it means (RFC 6455 §5.2). Fields cut short by the
end of the input carry the bytes present, ``value=None``, and say how many more are needed.
Per-frame rules come from :func:`wslab.codec.frame_problems` (the same rules and
offsets as the strict parser) and message-level rules (fragmentation, UTF-8
across fragments, nothing after close, inflation, size) from
:class:`wslab.codec.Assembler`. It never raises on bytes: broken bytes give
:class:`~wslab.codec.Violation` records, truncated bytes an
:class:`~wslab.codec.Incomplete` that says how many more bytes are needed.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from . import _frames as wire
from ._close import describe, parse_close_payload
from ._errors import Incomplete, Rules, Violation
from ._frames import Frame, LengthEncoding, Opcode, Sender, frame_problems, is_control, opcode_name
from ._mask import apply_mask, mask_steps
from ._messages import Assembler, Message
from ._show import Shown

# -- fields: one line per field of the frame (RFC 6455 §5.2) ---------------------------------

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
        sender, deflate: as for :func:`wslab.codec.dissect` (they change the meanings).
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


# -- frames and dissections ------------------------------------------------------------------


@dataclass
class FrameDissection(Shown):
    """One frame, taken apart.

    Attributes:
        index: position in the dissection (0-based).
        offset: absolute offset of the frame's first byte.
        raw: the frame's bytes as on the wire.
        frame: the decoded :class:`~wslab.codec.Frame` (payload unmasked).
        header_length: bytes before the payload.
        payload_length: the declared payload length.
        fields: every field; together they cover ``raw`` byte for byte.
        violations: rules this frame breaks, including message-level ones found here,
            sorted by offset.
        text: this frame's text (text data valid as UTF-8 on its own), or the inflated
            text of a compressed message on the frame that completes it.
        close_code, close_reason: for close frames with a payload (decoded leniently:
            an invalid reason is decoded with replacement characters, and reported).
        message: the message this frame completes, if any.
    """

    index: int
    offset: int
    raw: bytes
    frame: Frame
    header_length: int
    payload_length: int
    fields: list[Field] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    text: str | None = None
    close_code: int | None = None
    close_reason: str | None = None
    message: Message | None = None

    @property
    def length(self) -> int:
        return len(self.raw)

    def mask_steps(self, limit: int | None = 16) -> list[tuple[int, int, int, int]]:
        """The unmasking, byte by byte: ``(i, masked byte, key byte i % 4, unmasked byte)``."""
        if self.frame.masking_key is None:
            return []
        masked = self.raw[self.header_length :]
        return mask_steps(masked, self.frame.masking_key, limit=limit)

    def __repr__(self) -> str:
        return (f"<FrameDissection {self.index}: {self.frame.opcode_name}, {self.length} bytes "
                f"at offset {self.offset}, {len(self.violations)} violation(s)>")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form: the CLI's ``dissect --json`` frame object."""
        f = self.frame
        return {
            "index": self.index, "offset": self.offset, "length": self.length,
            "header_length": self.header_length,
            "fin": f.fin, "rsv1": f.rsv1, "rsv2": f.rsv2, "rsv3": f.rsv3,
            "opcode": int(f.opcode), "opcode_name": f.opcode_name, "masked": f.masked,
            "masking_key": f.masking_key.hex() if f.masking_key is not None else None,
            "payload_length": self.payload_length, "payload": f.payload.hex(),
            "text": self.text, "close_code": self.close_code, "close_reason": self.close_reason,
            "fields": [x.to_dict() for x in self.fields],
            "violations": [v.to_dict() for v in self.violations],
            "message": self.message.to_dict() if self.message is not None else None,
        }


@dataclass
class Dissection(Shown):
    """The result of :func:`dissect`: frames, messages, violations, and what is missing.

    Attributes:
        data: the bytes dissected.
        frames: every complete frame.
        messages: every complete data message.
        incomplete: set when the bytes end inside a frame (says how many more are needed).
        sender: who sent the bytes ("client", "server" or ``None`` if unknown).
        deflate: permessage-deflate was assumed negotiated.
        partial_fields: the fields of the incomplete trailing frame, as far as its bytes
            go (a field cut short has ``value=None``); they cover
            ``data[incomplete.offset:]`` exactly. Empty when nothing is incomplete.
        max_size: the message size limit applied (``None``: none).
        partial_violations: rules the incomplete frame already breaks (in its header, or
            invalid UTF-8 in the part of a text payload received)
            (once its header is complete), e.g. a 64-bit length with the top bit set.
    """

    data: bytes
    frames: list[FrameDissection]
    messages: list[Message]
    incomplete: Incomplete | None
    sender: Sender | None = None
    deflate: bool = False
    partial_fields: list[Field] = field(default_factory=list)
    max_size: int | None = None
    partial_violations: list[Violation] = field(default_factory=list)

    @property
    def violations(self) -> list[Violation]:
        """Every violation: those of each frame, then those of the incomplete frame's header."""
        return [v for f in self.frames for v in f.violations] + self.partial_violations

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form: the CLI's ``dissect --json`` object."""
        inc = self.incomplete
        return {
            "frames": [f.to_dict() for f in self.frames],
            "incomplete": None if inc is None else {
                "offset": inc.offset, "have": inc.have, "need": inc.need, "message": str(inc),
            },
            "partial_fields": [f.to_dict() for f in self.partial_fields],
            "partial_violations": [v.to_dict() for v in self.partial_violations],
            "messages": [Message.to_dict(m) for m in self.messages],
            "sender": self.sender, "deflate": self.deflate, "max_size": self.max_size,
        }

    def __repr__(self) -> str:
        missing = f", {self.incomplete.need} more bytes needed" if self.incomplete else ""
        return (f"<Dissection: {len(self.data)} bytes, {len(self.frames)} frame(s), "
                f"{len(self.messages)} message(s), {len(self.violations)} violation(s){missing}>")


# -- the dissector ------------------------------------------------------------------


def dissect(data: bytes | bytearray | memoryview, *, sender: Sender | None = None,
            deflate: bool = False, max_size: int | None = None) -> Dissection:
    """Take ``data`` apart frame by frame. Never raises on any bytes.

    Args:
        data: the bytes of one direction of a connection, from a frame boundary.
        sender: who sent them ("client" frames must be masked, "server" frames must not);
            ``None`` skips that check.
        deflate: permessage-deflate was negotiated: RSV1 messages are inflated (with
            context takeover across the frames given) and RSV1 is allowed on them.
        max_size: report messages larger than this (after inflation); ``None``: no limit.
    Returns:
        the :class:`Dissection`: frames with fields and violations, messages, and
        ``incomplete`` if the bytes end inside a frame.
    """
    data = bytes(data)
    end = len(data)
    assembler = Assembler(deflate=deflate, max_size=max_size)
    frames: list[FrameDissection] = []
    messages: list[Message] = []
    kind, compressed = 0, False  # opcode and compression of the open message
    pos = 0
    while pos < end:
        fields, header_len, length = header_fields(data, pos, end - pos, sender, deflate)
        have = end - pos
        if length is None or have < header_len + length:
            need, what, problems = (2 if header_len < 0 else header_len) - have, "frame header", []
            if need <= 0 and length is not None:  # the header is all there
                need, what = header_len + length - have, "frame"
                fields.append(partial_payload_field(data, pos + header_len, end, length))
                head = _head(data, pos, header_len)
                problems = _problems(data, pos, head, header_len, length, sender, deflate)
                # What has arrived of a text payload may already break UTF-8 (§8.1).
                check = assembler.prefix_check(data[pos], pos + header_len, length)
                if check is not None:
                    received = data[pos + header_len : end]
                    key = head.masking_key
                    bad = (check.feed(apply_mask(received, key) if key else received)
                           if received else check.violation)
                    if bad is not None:
                        problems.append(bad)
                if max_size is not None and length > max_size and not data[pos] & 0b1000:
                    problems.append(Violation(pos + 1, Rules.MESSAGE_TOO_BIG,
                                              f"payload of {length} bytes is over the limit "
                                              f"of {max_size}"))
                problems.sort(key=lambda v: v.offset)
            return Dissection(data, frames, messages,
                              Incomplete(offset=pos, have=have, need=need, what=what),
                              sender, deflate, fields, max_size, problems)
        stop = pos + header_len + length
        masked_payload = data[pos + header_len : stop]
        head = _head(data, pos, header_len)
        key = head.masking_key
        payload = apply_mask(masked_payload, key) if key is not None else masked_payload
        frame = replace(head, payload=payload)
        fd = FrameDissection(len(frames), pos, data[pos:stop], frame, header_len, length,
                             fields)
        fd.violations = _problems(data, pos, frame, header_len, length, sender, deflate)
        op = int(frame.opcode)
        if op in (Opcode.TEXT, Opcode.BINARY):
            kind, compressed = op, deflate and frame.rsv1
        frame_kind = kind if op == Opcode.CONT and assembler.in_message else op
        message, found = assembler.add(frame, offset=pos, payload_offset=pos + header_len)
        fd.violations.extend(found)
        fd.violations.sort(key=lambda v: v.offset)
        fd.message = message
        if message is not None:
            messages.append(message)
        if op == Opcode.CLOSE:
            close = parse_close_payload(payload, strict=False)
            fd.close_code = close.code
            fd.close_reason = close.reason if close.code is not None else None
        elif frame_kind == Opcode.TEXT and compressed:
            fd.text = message.text if message is not None else None
        elif frame_kind == Opcode.TEXT:
            with suppress(UnicodeDecodeError):
                fd.text = payload.decode("utf-8")
        fields.append(payload_field(fd, frame_kind, compressed and frame_kind == kind))
        frames.append(fd)
        pos = stop
    return Dissection(data, frames, messages, None, sender, deflate, [], max_size)


_ENCODINGS = {126: LengthEncoding.BITS_16, 127: LengthEncoding.BITS_64}


def _head(data: bytes, pos: int, header_len: int) -> Frame:
    """The frame whose complete header starts at ``data[pos]``, with an empty payload."""
    b0, b1 = data[pos], data[pos + 1]
    key = data[pos + header_len - 4 : pos + header_len] if b1 & wire.MASK else None
    return Frame(b0 & wire.OPCODE, b"", fin=bool(b0 & wire.FIN), rsv1=bool(b0 & wire.RSV1),
                 rsv2=bool(b0 & wire.RSV2), rsv3=bool(b0 & wire.RSV3), masking_key=key,
                 length_encoding=_ENCODINGS.get(b1 & wire.LEN7, LengthEncoding.BITS_7))


def _problems(data: bytes, pos: int, frame: Frame, header_len: int, length: int,
              sender: Sender | None, deflate: bool) -> list[Violation]:
    """The per-frame rules ``frame`` breaks (:func:`wslab.codec.frame_problems`)."""
    return [Violation(o, r, m) for o, r, m in frame_problems(  # type: ignore[arg-type]
        frame, pos, sender=sender, deflate=deflate, raw_len7=data[pos + 1] & wire.LEN7,
        declared_length=length, payload_offset=pos + header_len)]


def dissect_frame(frame: Frame, *, sender: Sender | None = None, deflate: bool = False,
                  declared_length: int | None = None) -> Dissection:
    """Serialize ``frame`` (see :meth:`Frame.serialize`) and dissect the bytes.

    Args:
        frame: any frame, broken or not.
        sender, deflate: as for :func:`dissect`.
        declared_length: write this payload length instead of the real one.
    """
    return dissect(frame.serialize(declared_length=declared_length), sender=sender,
                   deflate=deflate)
