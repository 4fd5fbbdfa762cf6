"""Messages (RFC 6455 §5.4): reassembly, UTF-8 across fragments, inflation, limits.

:class:`Assembler` holds the message-level state of one direction of a
connection: whether a fragmented message is open, the incremental UTF-8 check
(§8.1; a code point may be split across fragments), inflation with
permessage-deflate (RFC 7692), a maximum message size, and "nothing after
close" (§5.5.1). It never raises: it returns :class:`~wslab.codec.Violation`
records, so the dissector can list them and the strict
:class:`~wslab.codec.Decoder` can raise the first.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import Any

from ._close import CloseCode
from ._deflate import Inflater
from ._errors import FrameError, Rules, Violation
from ._frames import Frame, Opcode, opcode_name

DEFAULT_MAX_SIZE = 2**20  # 1 MiB, as the websockets library


@dataclass(slots=True)
class Message:
    """A data message reassembled from one or more frames.

    Attributes:
        opcode: TEXT or BINARY (from the first frame).
        payload: the reassembled payload (inflated if it was compressed and inflation is on).
        frames: indices of the frames that carried it (as counted by the :class:`Assembler`).
        compressed: RSV1 was set on the first frame (permessage-deflate).
        text: the payload decoded as UTF-8 for a valid text message, else ``None``.
    """

    opcode: int
    payload: bytes
    frames: list[int] = field(default_factory=list)
    compressed: bool = False
    text: str | None = None

    @property
    def data(self) -> str | bytes:
        """``text`` for a text message, ``payload`` otherwise (like websockets' recv())."""
        return self.text if self.text is not None else self.payload

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: the payload as hex."""
        return {
            "opcode": int(self.opcode), "opcode_name": opcode_name(self.opcode),
            "frames": list(self.frames), "compressed": self.compressed,
            "length": len(self.payload), "payload": self.payload.hex(), "text": self.text,
        }


class _Utf8Tracker:
    """Incremental UTF-8 check that reports the absolute offset of a bad byte."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._pending: list[int] = []  # absolute offsets of bytes buffered by the decoder
        self.parts: list[str] = []

    def feed(self, data: bytes, offset: int | None, *, final: bool) -> tuple[int, str] | None:
        """Decode ``data`` (whose first byte is at ``offset``; ``None`` if unknown).

        Returns ``(relative index into pending + data, reason)`` on error, else ``None``.
        """
        before = list(self._pending)
        try:
            self.parts.append(self._decoder.decode(data, final))
        except UnicodeDecodeError as exc:
            return exc.start, exc.reason
        kept = len(self._decoder.getstate()[0])
        total = len(before) + len(data)
        self._pending = [
            (before[j] if j < len(before) else (offset or 0) + j - len(before))
            for j in range(total - kept, total)
        ]
        return None

    def absolute(self, index: int, offset: int) -> int:
        """Absolute offset of byte ``index`` of (pending bytes + data last fed at ``offset``)."""
        if index < len(self._pending):
            return self._pending[index]
        return offset + index - len(self._pending)

    def copy(self) -> _Utf8Tracker:
        """An independent tracker in the same state (decoded text is not copied)."""
        twin = _Utf8Tracker()
        twin._decoder.setstate(self._decoder.getstate())
        twin._pending = list(self._pending)
        return twin


class PrefixCheck:
    """The UTF-8 check of one text frame whose payload is still arriving.

    RFC 6455 §8.1 lets an endpoint fail the connection as soon as it sees invalid
    UTF-8, without waiting for the end of the frame. Feed the payload as it arrives;
    the first bad byte is reported at the same absolute offset as a complete check
    would report it, whatever the chunking.
    """

    def __init__(self, tracker: _Utf8Tracker, payload_offset: int) -> None:
        self._tracker = tracker
        self._payload_offset = payload_offset
        self.done = 0  # payload bytes checked so far
        self.violation: Violation | None = None

    def feed(self, unmasked: bytes) -> Violation | None:
        """Check the next ``unmasked`` payload bytes; return the violation, once found."""
        if self.violation is None and unmasked:
            at = self._payload_offset + self.done
            error = self._tracker.feed(unmasked, at, final=False)
            self.done += len(unmasked)
            if error is not None:
                index, reason = error
                self.violation = Violation(
                    self._tracker.absolute(index, at), Rules.TEXT_UTF8,
                    f"text message is not valid UTF-8 ({reason}), found before the frame "
                    f"was complete")
        return self.violation


class Assembler:
    """Message-level state of one direction of a connection. Never raises.

    Args:
        deflate: permessage-deflate was negotiated; RSV1 messages are inflated.
        max_size: largest message (after inflation) to accept; ``None`` for no limit.
        no_context_takeover: the sender resets its compression context per message.
        max_window_bits: the sender's LZ77 window (RFC 7692 §7.1.2).
    """

    def __init__(self, *, deflate: bool = False, max_size: int | None = None,
                 no_context_takeover: bool = False, max_window_bits: int = 15) -> None:
        self.deflate = deflate
        self.max_size = max_size
        self.closed = False
        self._inflater: Any = None
        self._inflater_args = (no_context_takeover, max_window_bits)
        self._count = 0
        self._reset()

    def _reset(self) -> None:
        self._open = False
        self._opcode = 0
        self._parts: list[bytes] = []
        self._size = 0
        self._frames: list[int] = []
        self._compressed = False
        self._utf8: _Utf8Tracker | None = None
        self._broken = False  # too big, or inflation failed: stop buffering

    @property
    def in_message(self) -> bool:
        """Whether a fragmented message is open (waiting for continuation frames)."""
        return self._open

    def prefix_check(self, b0: int, payload_offset: int, length: int) -> PrefixCheck | None:
        """A :class:`PrefixCheck` for the frame starting with ``b0``, if it carries text.

        ``None`` when there is nothing to check early: binary or control frames, compressed
        messages (only the inflated message can be checked), a continuation of no text
        message. A frame whose declared ``length`` takes its message over ``max_size``
        gets that violation at once, as :meth:`add` would report it first. Does not change
        the assembler's state.
        """
        op = b0 & 0b1111
        if b0 & 0b01000000 or self.closed:
            return None
        if op == Opcode.TEXT and not self._open:
            check = PrefixCheck(_Utf8Tracker(), payload_offset)
            size = length
        elif op == Opcode.CONT and self._open and self._utf8 is not None and not self._compressed:
            check = PrefixCheck(self._utf8.copy(), payload_offset)
            size = self._size + length
        else:
            return None
        if self.max_size is not None and size > self.max_size and length:
            check.violation = Violation(payload_offset, Rules.MESSAGE_TOO_BIG,
                                        f"message reaches {size} bytes, over the limit "
                                        f"of {self.max_size}")
        return check

    def _inflate(self, payload: bytes, fin: bool) -> bytes:
        if self._inflater is None:
            no_takeover, bits = self._inflater_args
            self._inflater = Inflater(no_context_takeover=no_takeover, max_window_bits=bits,
                                      max_size=self.max_size)
        return self._inflater.decompress(payload, fin=fin)

    def add(self, frame: Frame, *, offset: int = 0,
            payload_offset: int | None = None) -> tuple[Message | None, list[Violation]]:
        """Account for one frame.

        Args:
            frame: the frame (payload unmasked).
            offset: absolute offset of its first byte.
            payload_offset: absolute offset of its payload (default: after a minimal header).
        Returns:
            ``(message, violations)``: the message this frame completes, if any, and the
            message-level rules it breaks.
        """
        index = self._count
        self._count += 1
        if payload_offset is None:
            payload_offset = offset + len(frame.header())
        found: list[Violation] = []
        op = int(frame.opcode)
        if self.closed and op in (Opcode.CONT, Opcode.TEXT, Opcode.BINARY):
            found.append(Violation(offset, Rules.FRAME_AFTER_CLOSE,
                                   f"{frame.opcode_name} frame after a close frame"))
        if not frame.payload:  # point at the frame, not one past its end
            payload_offset = offset
        if op & 0b1000:
            if op == Opcode.CLOSE:
                self.closed = True
            return None, found
        if op == Opcode.CONT:
            if not self._open:
                found.append(Violation(offset, Rules.CONTINUATION_WITHOUT_START,
                                       "continuation frame but no fragmented message is open"))
                return None, found
        elif op in (Opcode.TEXT, Opcode.BINARY):
            if self._open:
                found.append(Violation(
                    offset, Rules.DATA_DURING_FRAGMENTED,
                    f"{frame.opcode_name} frame while a fragmented message is still open "
                    f"(started by frame {self._frames[0]}); that message is abandoned"))
                self._reset()
            self._open = True
            self._opcode = op
            self._compressed = self.deflate and frame.rsv1
            if op == Opcode.TEXT:
                self._utf8 = _Utf8Tracker()
        else:  # reserved data opcode: its own violation is reported per frame
            return None, found
        self._frames.append(index)
        data = frame.payload
        if not self._broken and self._compressed:
            try:
                data = self._inflate(data, frame.fin)
            except FrameError as exc:
                found.append(Violation(payload_offset, exc.rule, exc.message))
                self._broken = True
                self._utf8 = None
        if not self._broken:
            self._size += len(data)
            if self.max_size is not None and self._size > self.max_size:
                found.append(Violation(payload_offset, Rules.MESSAGE_TOO_BIG,
                                       f"message reaches {self._size} bytes, over the limit "
                                       f"of {self.max_size}"))
                self._broken = True
                self._utf8 = None
                self._parts = []
            else:
                self._parts.append(data)
                if self._utf8 is not None:
                    where = None if self._compressed else payload_offset
                    error = self._utf8.feed(data, where, final=frame.fin)
                    if error is not None:
                        index_, reason = error
                        bad = payload_offset if where is None else self._utf8.absolute(
                            index_, payload_offset)
                        found.append(Violation(
                            bad, Rules.TEXT_UTF8,
                            f"text message is not valid UTF-8 ({reason})"
                            + (" after inflation" if self._compressed else "")))
                        self._utf8 = None
        if not frame.fin:
            return None, found
        message = None
        if not self._broken:
            payload = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
            text = "".join(self._utf8.parts) if self._utf8 is not None else None
            message = Message(self._opcode, payload, self._frames, self._compressed, text)
        self._reset()
        return message, found


# Close code an endpoint sends when the peer breaks a rule (RFC 6455 §7.4.1).
CLOSE_CODE_FOR_RULE = {
    Rules.TEXT_UTF8.id: CloseCode.INVALID_FRAME_PAYLOAD_DATA,
    Rules.CLOSE_REASON_UTF8.id: CloseCode.INVALID_FRAME_PAYLOAD_DATA,
    Rules.DEFLATE_ERROR.id: CloseCode.INVALID_FRAME_PAYLOAD_DATA,
    Rules.MESSAGE_TOO_BIG.id: CloseCode.MESSAGE_TOO_BIG,
}


def close_code_for(error: FrameError | Violation) -> CloseCode:
    """The close code to answer a broken rule with: 1007 (bad data), 1009 (too big), else 1002.

    Args:
        error: the error raised, or the violation found, for the first rule broken.
    """
    return CLOSE_CODE_FOR_RULE.get(error.rule.id, CloseCode.PROTOCOL_ERROR)
