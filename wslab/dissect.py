"""Dissection: every field of every frame, explained, and every rule broken.

:func:`dissect` takes any bytes apart the way Wireshark's dissector does. Each
frame becomes a list of :class:`~wslab.fields.Field` records that cover its bytes
exactly once (bit fields for the first two bytes), each with one line saying what it
means (built by :mod:`wslab.fields`; ``Field`` is importable from here too).
Per-frame rules come from :func:`wslab.frames.frame_problems` (the same rules and
offsets as the strict parser) and message-level rules (fragmentation, UTF-8
across fragments, nothing after close, inflation, size) from
:class:`wslab.messages.Assembler`. It never raises on bytes: broken bytes give
:class:`~wslab.errors.Violation` records, truncated bytes an
:class:`~wslab.errors.Incomplete` that says how many more bytes are needed.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any

from . import frames as wire
from .close import parse_close_payload
from .errors import Incomplete, Rules, Violation
from .fields import Field, header_fields, partial_payload_field, payload_field
from .frames import Frame, LengthEncoding, Opcode, Sender, frame_problems
from .mask import apply_mask, mask_steps
from .messages import Assembler, Message

__all__ = ["Dissection", "Field", "FrameDissection", "Message", "dissect", "dissect_frame"]


@dataclass
class FrameDissection:
    """One frame, taken apart.

    Attributes:
        index: position in the dissection (0-based).
        offset: absolute offset of the frame's first byte.
        raw: the frame's bytes as on the wire.
        frame: the decoded :class:`~wslab.frames.Frame` (payload unmasked).
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

    def __str__(self) -> str:
        from .render import frame_dissection_text

        return frame_dissection_text(self)

    def _repr_html_(self) -> str:
        from .render import frame_dissection_html

        return frame_dissection_html(self)

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
class Dissection:
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

    def __str__(self) -> str:
        from .render import dissection_text

        return dissection_text(self)

    def _repr_html_(self) -> str:
        from .render import dissection_html

        return dissection_html(self)


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
    """The per-frame rules ``frame`` breaks (:func:`wslab.frames.frame_problems`)."""
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
