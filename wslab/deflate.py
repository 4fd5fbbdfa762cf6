"""permessage-deflate (RFC 7692): compression and decompression, step by step.

A message is compressed as a whole with raw DEFLATE (RFC 1951), flushed with
``Z_SYNC_FLUSH``, and the four bytes ``00 00 ff ff`` that the flush writes at the end
are removed (§7.2.1). The receiver puts them back before inflating (§7.2.2). RSV1 on
the first frame marks a compressed message (§6.1). Unless ``no_context_takeover`` was
agreed, both ends keep their LZ77 window from one message to the next (§7.1.1).

Negotiating the extension (the ``Sec-WebSocket-Extensions`` header, :class:`DeflateParams`,
:func:`negotiate`, ...) is in :mod:`wslab.extensions`; its names are re-exported here, so
``from wslab.deflate import DeflateParams, negotiate`` keeps working.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import FrameError, Rules
from .extensions import (
    DeflateParams,
    ExtensionOffer,
    NegotiationProblem,
    check_response_params,
    check_window_bits,
    explain_params,
    negotiate,
    negotiate_steps,
    parse_extensions,
)
from .frames import Frame, Opcode

__all__ = [
    "TAIL", "DeflateParams", "DeflateSteps", "Deflater", "ExtensionOffer", "Inflater",
    "NegotiationProblem", "check_response_params", "compress_steps", "compressed_frames",
    "explain_params", "inflate_frames", "negotiate", "negotiate_steps", "parse_extensions",
]

TAIL = b"\x00\x00\xff\xff"  # LEN=0, NLEN=0xffff of the empty stored block a sync flush ends with


# -- compression ----------------------------------------------------------------------------

class Deflater:
    """Compress messages for one direction of a connection (RFC 7692 §7.2.1).

    zlib refuses an 8-bit window for raw DEFLATE (madler/zlib#171), so
    ``max_window_bits=8`` compresses with 9, as zlib itself does for zlib streams:
    ``window_bits`` says what is really used. Back-references may then reach 512 bytes,
    more than a peer that agreed on 8 must keep; that is why websockets and
    :func:`negotiate` never agree to compress with 8.

    Args:
        no_context_takeover: start every message with an empty LZ77 window (§7.1.1).
        max_window_bits: LZ77 window of 2**bits bytes (8-15, §7.1.2).
        level: zlib compression level (-1 = default, 0-9).
    """

    def __init__(self, *, no_context_takeover: bool = False, max_window_bits: int = 15,
                 level: int = zlib.Z_DEFAULT_COMPRESSION) -> None:
        check_window_bits(max_window_bits)
        self.no_context_takeover = no_context_takeover
        self.max_window_bits = max_window_bits
        self.window_bits = max(9, max_window_bits)
        self.level = level
        self.messages = 0  # messages finished so far
        self._zobj: zlib._Compress | None = None
        self._in_message = False

    def compress_raw(self, data: bytes, *, fin: bool = True) -> bytes:
        """Compress (part of) a message as zlib writes it: sync flush, ``00 00 ff ff`` kept."""
        if not self._in_message and (self._zobj is None or self.no_context_takeover):
            self._zobj = zlib.compressobj(self.level, zlib.DEFLATED, -self.window_bits)
        assert self._zobj is not None
        raw = self._zobj.compress(data) + self._zobj.flush(zlib.Z_SYNC_FLUSH)
        self._in_message = not fin
        self.messages += fin
        return raw

    def compress(self, data: bytes, *, fin: bool = True) -> bytes:
        """The compressed payload of a whole message (or, with ``fin=False``, of its start).

        The final part has its ``00 00 ff ff`` tail removed (§7.2.1); an empty message
        gives ``00`` (§7.2.3.6). Earlier parts keep their tail, as websockets sends them.
        """
        raw = self.compress_raw(data, fin=fin)
        return raw[:-4] if fin and raw.endswith(TAIL) else raw


class Inflater:
    """Decompress the messages one peer sends, frame by frame (RFC 7692 §7.2.2).

    After an error the message is abandoned and the next one starts with an empty
    window (with context takeover, later messages may then fail too).

    Args:
        no_context_takeover: the peer resets its window per message, so can we.
        max_window_bits: the peer's LZ77 window (8-15).
        max_size: largest inflated message; zlib never produces more than one byte past
            it, so a deflate bomb cannot allocate unbounded memory. ``None``: no limit.
    """

    def __init__(self, *, no_context_takeover: bool = False, max_window_bits: int = 15,
                 max_size: int | None = None) -> None:
        check_window_bits(max_window_bits)
        self.no_context_takeover = no_context_takeover
        self.max_window_bits = max_window_bits
        self.max_size = max_size
        self.messages = 0  # messages finished so far
        self.message_size = 0  # bytes inflated so far in the current message
        self._fragments = 0
        self._zobj: zlib._Decompress | None = None
        self._in_message = False

    def decompress(self, fragment: bytes | bytearray | memoryview, *, fin: bool) -> bytes:
        """Inflate the payload of one frame of a compressed message.

        Args:
            fragment: the frame's (unmasked) payload.
            fin: it is the last frame of the message (``00 00 ff ff`` is appended).
        Raises:
            FrameError: ``Rules.DEFLATE_ERROR`` if the data does not inflate (zlib's
                complaint in the message), ``Rules.MESSAGE_TOO_BIG`` past ``max_size``.
        """
        if not self._in_message:
            zobj = self._zobj
            if zobj is None or zobj.eof or self.no_context_takeover:
                self._zobj = zlib.decompressobj(-self.max_window_bits)
            self._in_message, self.message_size, self._fragments = True, 0, 0
        assert self._zobj is not None
        self._fragments += 1
        data = bytes(fragment) + TAIL if fin else fragment
        room = None if self.max_size is None else self.max_size - self.message_size
        try:  # data after a final block (BFINAL=1, §7.2.3.4) lands in unused_data: ignored
            out = self._zobj.decompress(data, 0 if room is None else room + 1)
        except zlib.error as exc:
            self._abandon()
            raise FrameError(f"compressed data does not inflate in frame {self._fragments} of "
                             f"the message: zlib says {exc}", offset=None,
                             rule=Rules.DEFLATE_ERROR) from None
        self.message_size += len(out)
        if room is not None and len(out) > room:
            self._abandon()
            raise FrameError(f"message inflates to more than max_size={self.max_size} bytes "
                             "(refused, close code 1009)", offset=None,
                             rule=Rules.MESSAGE_TOO_BIG)
        if fin:
            self._in_message = False
            self.messages += 1
        return out

    def _abandon(self) -> None:
        self._zobj, self._in_message = None, False


def inflate_frames(frames: Sequence[Frame], inflater: Inflater | None = None) -> bytes:
    """Inflate the payloads of the frames of one compressed message (the last has FIN)."""
    inflater = Inflater() if inflater is None else inflater
    return b"".join(inflater.decompress(f.payload, fin=f.fin) for f in frames)


# -- teaching helpers ----------------------------------------------------------------------

def _message(data: str | bytes) -> tuple[Opcode, bytes]:
    if isinstance(data, str):
        return Opcode.TEXT, data.encode("utf-8")
    return Opcode.BINARY, bytes(data)


def _hex(data: bytes, limit: int) -> str:
    more = f" … ({len(data) - limit} more)" if len(data) > limit else ""
    return (data[:limit].hex(" ") or "(none)") + more


@dataclass(frozen=True)
class DeflateSteps:
    """How one message is compressed, step by step (RFC 7692 §7.2.1).

    Attributes:
        data: the message as bytes; ``opcode``: TEXT (from ``str``) or BINARY.
        raw: zlib's raw DEFLATE output after a sync flush, ``00 00 ff ff`` included.
        payload: ``raw`` without that tail: what the frame carries.
        frame: the single frame, RSV1 set (§6.1: RSV1 marks the first frame as compressed).
        window_bits, context_takeover: the deflater's settings; ``index``: 0 for its first
            message (later messages may refer back to earlier ones with context takeover).
    """

    data: bytes
    opcode: Opcode
    raw: bytes
    payload: bytes
    frame: Frame
    window_bits: int
    context_takeover: bool
    index: int = 0

    @property
    def tail(self) -> bytes:
        return self.raw[len(self.payload):]

    def to_text(self, limit: int = 32) -> str:
        """Terminal text, each byte string cut after ``limit`` bytes."""
        b0 = self.frame.serialize()[0]
        kept = ("kept for the next message (context takeover)" if self.context_takeover
                else "reset after this message (no_context_takeover)")
        ratio = f"{len(self.payload) / len(self.data):.0%}" if self.data else "-"
        return "\n".join([
            f"permessage-deflate, message {self.index + 1} (RFC 7692 §7.2.1)",
            f"  input    {len(self.data):>5} B  {_hex(self.data, limit)}",
            f"  zlib     {len(self.raw):>5} B  {_hex(self.raw, limit)}",
            f"           raw DEFLATE, window 2^{self.window_bits}, Z_SYNC_FLUSH",
            f"  tail         {len(self.tail)} B  {_hex(self.tail, limit)}  the empty stored block "
            "a sync flush ends with",
            "           (LEN 0000, NLEN ffff): removed (§7.2.1); the receiver adds it back "
            "(§7.2.2)",
            f"  payload  {len(self.payload):>5} B  {_hex(self.payload, limit)}  "
            f"({ratio} of the input)",
            f"  frame    {_hex(self.frame.serialize(), limit + 10)}",
            f"           first byte {b0:02x} = {b0:08b}: FIN=1, RSV1=1 (compressed), "
            f"opcode {int(self.opcode):#x} {self.frame.opcode_name}",
            "           RSV1 marks the first frame of a compressed message only (§6.1)",
            f"  window   {kept}",
        ])

    def __str__(self) -> str:
        return self.to_text()


def compress_steps(data: str | bytes, deflater: Deflater | None = None) -> DeflateSteps:
    """Compress one message with ``deflater`` (a fresh one if ``None``), keeping every step."""
    deflater = Deflater() if deflater is None else deflater
    opcode, raw_in = _message(data)
    index = deflater.messages
    raw = deflater.compress_raw(raw_in)
    payload = raw[:-4] if raw.endswith(TAIL) else raw
    return DeflateSteps(raw_in, opcode, raw, payload, Frame(opcode, payload, rsv1=True),
                        deflater.window_bits, not deflater.no_context_takeover, index)


def compressed_frames(text_or_bytes: str | bytes, *, fragment_sizes: Sequence[int] | None = None,
                      mask: bytes | Literal[True] | None = None,
                      deflater: Deflater | None = None) -> list[Frame]:
    """The frames of one compressed message (RSV1 and opcode on the first, CONT after).

    Args:
        text_or_bytes: ``str`` makes a text message, ``bytes`` a binary one.
        fragment_sizes: sizes of the first fragments of the *compressed* payload; the rest
            forms the last fragment (none if nothing is left). ``None``: one frame.
        mask: a 4-byte key for every frame, ``True`` for a fresh random key per frame
            (what a client must do, RFC 6455 §5.3), ``None`` for unmasked frames.
        deflater: carries the context between messages (a fresh one if ``None``).
    Raises:
        ValueError: the fragment sizes add up to more than the compressed payload.
    """
    deflater = Deflater() if deflater is None else deflater
    opcode, data = _message(text_or_bytes)
    payload = deflater.compress(data)
    sizes = list(fragment_sizes or [])
    if any(s < 0 for s in sizes) or sum(sizes) > len(payload):
        raise ValueError(f"fragment sizes {sizes} do not fit the {len(payload)}-byte "
                         "compressed payload")
    if sum(sizes) < len(payload) or not sizes:
        sizes.append(len(payload) - sum(sizes))
    frames, start = [], 0
    for i, size in enumerate(sizes):
        key = os.urandom(4) if mask is True else mask
        frames.append(Frame(opcode if i == 0 else Opcode.CONT, payload[start:start + size],
                            fin=i == len(sizes) - 1, rsv1=i == 0, masking_key=key))
        start += size
    return frames
