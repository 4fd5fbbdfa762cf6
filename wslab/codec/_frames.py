"""WebSocket frames (RFC 6455 §5.2): build any bit pattern, parse strictly.

The base framing protocol::

      0                   1                   2                   3
      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
     +-+-+-+-+-------+-+-------------+-------------------------------+
     |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
     |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
     |N|V|V|V|       |S|             |   (if payload len==126/127)   |
     | |1|2|3|       |K|             |                               |
     +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
     |     Extended payload length continued, if payload len == 127  |
     + - - - - - - - - - - - - - - - +-------------------------------+
     |                               |Masking-key, if MASK set to 1  |
     +-------------------------------+-------------------------------+
     | Masking-key (continued)       |          Payload Data         |
     +-------------------------------- - - - - - - - - - - - - - - - +

A :class:`Frame` holds the *unmasked* payload. Building (:meth:`Frame.serialize`)
never refuses: reserved opcodes, RSV bits, oversized or fragmented control
frames and non-minimal length encodings are all allowed, because broken frames
are worth studying. Parsing (:func:`parse_frame`) is strict and raises
:class:`~wslab.codec.FrameError` naming the offset and the rule; for a
never-raising, field-by-field view use :func:`wslab.codec.dissect`.
"""

from __future__ import annotations

import enum
import os
import struct
from dataclasses import dataclass, replace
from typing import Literal

from ._close import ClosePayload, close_payload_problems, parse_close_payload
from ._errors import FrameError, Incomplete, Rules
from ._mask import apply_mask
from ._show import Shown

Sender = Literal["client", "server"]  # who sent a frame: clients mask, servers do not (§5.1)

# Bits of the first two header bytes.
FIN = 0b10000000
RSV1 = 0b01000000
RSV2 = 0b00100000
RSV3 = 0b00010000
OPCODE = 0b00001111
MASK = 0b10000000
LEN7 = 0b01111111

MAX_CONTROL_PAYLOAD = 125


class Opcode(enum.IntEnum):
    """Frame opcodes (RFC 6455 §5.2, §11.8). 0x3-0x7 and 0xB-0xF are reserved."""

    CONT = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


DATA_OPCODES = frozenset({Opcode.CONT, Opcode.TEXT, Opcode.BINARY})  # §5.6
CONTROL_OPCODES = frozenset({Opcode.CLOSE, Opcode.PING, Opcode.PONG})  # §5.5

_OPCODE_NAMES = {
    0x0: "continuation", 0x1: "text", 0x2: "binary",
    0x8: "close", 0x9: "ping", 0xA: "pong",
}


def opcode_name(opcode: int) -> str:
    """Return "continuation", "text", "binary", "close", "ping", "pong" or "reserved"."""
    return _OPCODE_NAMES.get(opcode, "reserved")


def is_control(opcode: int) -> bool:
    """Whether ``opcode`` is a control opcode (most significant opcode bit set, §5.5)."""
    return bool(opcode & 0b1000)


class LengthEncoding(enum.IntEnum):
    """How the payload length is written: in the 7-bit field, or 16 or 64 extra bits."""

    BITS_7 = 7
    BITS_16 = 16
    BITS_64 = 64

    @classmethod
    def minimal(cls, length: int) -> LengthEncoding:
        """The encoding RFC 6455 §5.2 requires for ``length`` (the shortest)."""
        if length <= 125:
            return cls.BITS_7
        if length <= 0xFFFF:
            return cls.BITS_16
        return cls.BITS_64

    @property
    def extra_bytes(self) -> int:
        return {7: 0, 16: 2, 64: 8}[self.value]


def encode_length(length: int, encoding: LengthEncoding | None = None) -> tuple[int, bytes]:
    """Return the 7-bit field value and the extended length bytes for ``length``.

    Args:
        length: the payload length to declare (any value 0..2**64-1).
        encoding: force an encoding (``None`` picks the minimal one).
    Raises:
        ValueError: if ``length`` does not fit the chosen encoding.
    """
    encoding = LengthEncoding.minimal(length) if encoding is None else LengthEncoding(encoding)
    if encoding is LengthEncoding.BITS_7:
        if not 0 <= length <= 125:
            raise ValueError(f"length {length} does not fit the 7-bit field (0-125)")
        return length, b""
    if encoding is LengthEncoding.BITS_16:
        if not 0 <= length <= 0xFFFF:
            raise ValueError(f"length {length} does not fit a 16-bit extended length")
        return 126, struct.pack("!H", length)
    if not 0 <= length <= 0xFFFFFFFFFFFFFFFF:
        raise ValueError(f"length {length} does not fit a 64-bit extended length")
    return 127, struct.pack("!Q", length)


@dataclass(frozen=True)
class Frame(Shown):
    """One WebSocket frame, with its payload unmasked.

    Attributes:
        opcode: 0-15 (an :class:`Opcode` or a reserved value).
        payload: application data, *unmasked*.
        fin: final fragment of a message.
        rsv1, rsv2, rsv3: reserved bits (RSV1 marks compression with permessage-deflate).
        masking_key: 4 bytes when the frame is masked (MASK=1), else ``None``.
        length_encoding: force 7-, 16- or 64-bit length encoding (``None`` = minimal).
    """

    opcode: int
    payload: bytes = b""
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
    masking_key: bytes | None = None
    length_encoding: LengthEncoding | None = None

    def __post_init__(self) -> None:
        if not 0 <= int(self.opcode) <= 15:
            raise ValueError(f"an opcode is 4 bits (0-15), not {self.opcode}")
        if self.masking_key is not None and len(self.masking_key) != 4:
            raise ValueError(f"a masking key is 4 bytes, not {len(self.masking_key)}")
        if not isinstance(self.payload, bytes):
            object.__setattr__(self, "payload", bytes(self.payload))
        if int(self.opcode) in _OPCODE_NAMES:
            object.__setattr__(self, "opcode", Opcode(self.opcode))

    # -- convenient constructors ------------------------------------------------

    @classmethod
    def text(cls, text: str, **kwargs: object) -> Frame:
        """A text frame carrying ``text`` as UTF-8."""
        return cls(Opcode.TEXT, text.encode("utf-8"), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def binary(cls, data: bytes, **kwargs: object) -> Frame:
        """A binary frame."""
        return cls(Opcode.BINARY, bytes(data), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def close(cls, code: int | None = 1000, reason: str | bytes = "", *, check: bool = True,
              **kwargs: object) -> Frame:
        """A close frame (see :func:`wslab.codec.build_close_payload`)."""
        from ._close import build_close_payload

        payload = build_close_payload(code, reason, check=check)
        return cls(Opcode.CLOSE, payload, **kwargs)  # type: ignore[arg-type]

    def masked_with(self, key: bytes | None = None) -> Frame:
        """This frame masked with ``key`` (a fresh random key if ``None``, as §5.3 asks)."""
        return replace(self, masking_key=os.urandom(4) if key is None else bytes(key))

    def unmasked(self) -> Frame:
        """This frame without a mask (as a server sends it)."""
        return replace(self, masking_key=None)

    # -- properties --------------------------------------------------------------

    @property
    def masked(self) -> bool:
        return self.masking_key is not None

    @property
    def opcode_name(self) -> str:
        return opcode_name(self.opcode)

    @property
    def is_control(self) -> bool:
        return is_control(self.opcode)

    @property
    def close_payload(self) -> ClosePayload | None:
        """Code and reason of a close frame (lenient), ``None`` for other frames."""
        if self.opcode != Opcode.CLOSE:
            return None
        return parse_close_payload(self.payload, strict=False)

    @property
    def text_value(self) -> str | None:
        """The payload as text if it is valid UTF-8 and this is a text frame, else ``None``."""
        if self.opcode != Opcode.TEXT:
            return None
        try:
            return self.payload.decode("utf-8")
        except UnicodeDecodeError:
            return None

    # -- bytes -------------------------------------------------------------------

    def header(self, *, declared_length: int | None = None) -> bytes:
        """The frame header: two bytes, extended length, masking key.

        Args:
            declared_length: write this length instead of ``len(payload)`` (to build
                truncated or lying frames).
        """
        length = len(self.payload) if declared_length is None else declared_length
        len7, extended = encode_length(length, self.length_encoding)
        b0 = (
            (FIN if self.fin else 0)
            | (RSV1 if self.rsv1 else 0)
            | (RSV2 if self.rsv2 else 0)
            | (RSV3 if self.rsv3 else 0)
            | int(self.opcode)
        )
        b1 = (MASK if self.masking_key is not None else 0) | len7
        return bytes((b0, b1)) + extended + (self.masking_key or b"")

    def serialize(self, *, declared_length: int | None = None) -> bytes:
        """The frame on the wire: header then (masked) payload.

        Args:
            declared_length: see :meth:`header`.
        """
        data = self.payload
        if self.masking_key is not None:
            data = apply_mask(data, self.masking_key)
        return self.header(declared_length=declared_length) + data

    __bytes__ = serialize

    def hex(self, sep: str = " ") -> str:
        """The serialized frame as hex, e.g. ``"81 05 48 65 6c 6c 6f"``."""
        return self.serialize().hex(sep) if sep else self.serialize().hex()

    # -- display -----------------------------------------------------------------

    def __repr__(self) -> str:
        """Short and evaluable; long payloads are elided (a 1 MiB repr helps nobody)."""
        if len(self.payload) <= 48:
            payload = repr(self.payload)
        else:
            payload = f"<{len(self.payload)} bytes: {self.payload[:16]!r}...>"
        op = self.opcode
        op = f"Opcode.{op.name}" if isinstance(op, Opcode) else f"{op:#x}"
        extra = "".join(
            f", {name}={value!r}" for name, value, default in (
                ("fin", self.fin, True), ("rsv1", self.rsv1, False), ("rsv2", self.rsv2, False),
                ("rsv3", self.rsv3, False), ("masking_key", self.masking_key, None),
                ("length_encoding", self.length_encoding, None))
            if value != default)
        return f"Frame({op}, {payload}{extra})"


def frame_problems(frame: Frame, offset: int = 0, *, sender: Sender | None = None,
                   deflate: bool = False, raw_len7: int | None = None,
                   declared_length: int | None = None,
                   payload_offset: int | None = None) -> list[tuple[int, object, str]]:
    """Check one frame against the per-frame rules, in byte order.

    Args:
        frame: the frame (payload unmasked).
        offset: absolute offset of its first byte.
        sender: who sent it ("client" must mask, "server" must not); ``None`` skips the check.
        deflate: permessage-deflate was negotiated (RSV1 allowed on data frames).
        raw_len7, declared_length: the length fields as found on the wire (defaults to
            what :meth:`Frame.header` writes), to judge the encoding.
        payload_offset: absolute offset of the payload (defaults to after the header).
    Returns:
        ``(offset, rule, message)`` triples; empty if the frame is valid.
    """
    out: list[tuple[int, object, str]] = []
    op = int(frame.opcode)
    length = len(frame.payload) if declared_length is None else declared_length
    if raw_len7 is None:
        raw_len7, _ = encode_length(length, frame.length_encoding)
    if payload_offset is None:
        payload_offset = offset + len(frame.header(declared_length=declared_length))
    rsv1_ok = deflate and op in (Opcode.TEXT, Opcode.BINARY)
    if frame.rsv1 and not rsv1_ok:
        if deflate and op == Opcode.CONT:
            out.append((offset, Rules.RSV1_ON_CONTINUATION,
                        "RSV1 is set on a continuation frame"))
        elif deflate and is_control(op):
            out.append((offset, Rules.RSV1_ON_CONTROL, "RSV1 is set on a control frame"))
        else:
            out.append((offset, Rules.RSV_WITHOUT_EXTENSION,
                        "RSV1 is set but no extension was negotiated"))
    for bit, flag in ((2, frame.rsv2), (3, frame.rsv3)):
        if flag:
            out.append((offset, Rules.RSV_WITHOUT_EXTENSION,
                        f"RSV{bit} is set but no extension was negotiated"))
    if op not in _OPCODE_NAMES:
        out.append((offset, Rules.RESERVED_OPCODE, f"opcode 0x{op:X} is reserved"))
    if is_control(op) and not frame.fin:
        out.append((offset, Rules.CONTROL_FRAGMENTED,
                    f"{opcode_name(op)} frame has FIN=0 (control frames cannot be fragmented)"))
    if sender == "client" and frame.masking_key is None:
        out.append((offset + 1, Rules.CLIENT_UNMASKED, "frame from a client is not masked"))
    if sender == "server" and frame.masking_key is not None:
        out.append((offset + 1, Rules.SERVER_MASKED, "frame from a server is masked"))
    if raw_len7 == 127 and length >= 1 << 63:
        out.append((offset + 2, Rules.LENGTH_TOP_BIT,
                    "64-bit payload length has its most significant bit set"))
    elif raw_len7 == 126 and length <= 125:
        out.append((offset + 2, Rules.NON_MINIMAL_LENGTH,
                    f"length {length} is written in 16 bits; it fits the 7-bit field"))
    elif raw_len7 == 127 and length <= 0xFFFF:
        out.append((offset + 2, Rules.NON_MINIMAL_LENGTH,
                    f"length {length} is written in 64 bits; it fits "
                    f"{'the 7-bit field' if length <= 125 else '16 bits'}"))
    if is_control(op) and length > MAX_CONTROL_PAYLOAD:
        out.append((offset + 1, Rules.CONTROL_TOO_LONG,
                    f"{opcode_name(op)} frame carries {length} bytes of payload (at most 125)"))
    if op == Opcode.CLOSE and len(frame.payload) == length:
        out.extend(close_payload_problems(frame.payload, payload_offset))
    return out


def parse_frame(data: bytes | bytearray | memoryview, offset: int = 0, *,
                sender: Sender | None = None, deflate: bool = False,
                max_size: int | None = None) -> tuple[Frame, int]:
    """Parse one frame strictly, starting at ``data[offset]``.

    A single unfragmented text frame is also checked for UTF-8 (§8.1); text split
    across fragments is checked by :class:`wslab.codec.Decoder`.

    Args:
        data: the bytes.
        offset: where the frame starts.
        sender: who sent the bytes ("client" frames must be masked, "server" frames not).
        deflate: permessage-deflate was negotiated (RSV1 allowed on the first data frame).
        max_size: refuse a data frame's payload longer than this (``None``: no limit);
            control frames are bounded by 125 bytes anyway.
    Returns:
        ``(frame, end)`` where ``end`` is the offset just past the frame.
    Raises:
        Incomplete: the bytes end before the frame does (says how many more are needed).
        FrameError: the frame breaks a rule (names the offset, rule and RFC section).
    """
    with memoryview(data) as view:  # released on return and on raise (buffers can resize)
        return _parse_frame(view, offset, sender, deflate, max_size)


def _parse_frame(view: memoryview, offset: int, sender: Sender | None, deflate: bool,
                 max_size: int | None) -> tuple[Frame, int]:
    have = len(view) - offset
    if have < 2:
        raise Incomplete(offset=offset, have=max(have, 0), need=2 - max(have, 0),
                         what="frame header")
    b0, b1 = view[offset], view[offset + 1]
    len7 = b1 & LEN7
    masked = bool(b1 & MASK)
    ext = 2 if len7 == 126 else 8 if len7 == 127 else 0
    header_len = 2 + ext + (4 if masked else 0)
    if have < header_len:
        raise Incomplete(offset=offset, have=have, need=header_len - have, what="frame header")
    if len7 == 126:
        length = int.from_bytes(view[offset + 2 : offset + 4], "big")
    elif len7 == 127:
        length = int.from_bytes(view[offset + 2 : offset + 10], "big")
    else:
        length = len7
    key = bytes(view[offset + 2 + ext : offset + header_len]) if masked else None
    # Rules that the header alone decides come first, before waiting for the payload. Strict
    # parsing only accepts minimal encodings, and a minimal encoding is spelled None.
    head = Frame(b0 & OPCODE, b"", fin=bool(b0 & FIN), rsv1=bool(b0 & RSV1),
                 rsv2=bool(b0 & RSV2), rsv3=bool(b0 & RSV3), masking_key=key)
    problems = frame_problems(head, offset, sender=sender, deflate=deflate, raw_len7=len7,
                              declared_length=length, payload_offset=offset + header_len)
    if problems:
        where, rule, message = problems[0]
        raise FrameError(message, offset=where, rule=rule)  # type: ignore[arg-type]
    if max_size is not None and length > max_size and not is_control(b0 & OPCODE):
        raise FrameError(f"payload of {length} bytes is over the limit of {max_size}",
                         offset=offset + 1, rule=Rules.MESSAGE_TOO_BIG)
    end = offset + header_len + length
    if len(view) < end:
        raise Incomplete(offset=offset, have=have, need=end - len(view))
    payload = bytes(view[offset + header_len : end])
    if key is not None:
        payload = apply_mask(payload, key)
    frame = replace(head, payload=payload)
    if frame.opcode == Opcode.CLOSE:
        parse_close_payload(payload, offset + header_len, strict=True)
    elif frame.opcode == Opcode.TEXT and frame.fin and not frame.rsv1:
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FrameError(f"text payload is not valid UTF-8 at payload byte {exc.start} "
                             f"({exc.reason})", offset=offset + header_len + exc.start,
                             rule=Rules.TEXT_UTF8) from None
    return frame, end
