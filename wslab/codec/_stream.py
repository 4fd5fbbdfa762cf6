"""Streaming: feed bytes in any chunking, get frames and reassembled messages out.

:class:`Decoder` is the fast, strict, incremental frame decoder (sans-I/O, like
h11 and websockets). Its hot loop reads the two header bytes, checks them
against a precomputed table, unmasks small payloads of a whole chunk in one
vectorised XOR and large ones into place as they arrive, and builds each
:class:`~wslab.codec.Frame` without validation overhead; anything unusual falls
back to :func:`wslab.codec.parse_frame`, which names the exact offset and rule.
Message-level rules live in :class:`wslab.codec.Assembler`.
"""

from __future__ import annotations

import functools
from collections import deque
from typing import Any

from ._errors import FrameError, Incomplete
from ._frames import Frame, Opcode, Sender, parse_frame
from ._mask import apply_mask, mask_into, numpy
from ._messages import DEFAULT_MAX_SIZE, Assembler, Message

_OPCODES: tuple[Any, ...] = tuple(
    Opcode(i) if i in Opcode._value2member_map_ else i for i in range(16)
)
_new_frame = object.__new__
_TEMPLATES = tuple(  # a frame's fields as the first header byte sets them, one dict per value
    {
        "opcode": _OPCODES[b0 & 0b1111], "payload": b"", "fin": b0 >= 0b10000000,
        "rsv1": b0 & 0b01000000 != 0, "rsv2": b0 & 0b00100000 != 0,
        "rsv3": b0 & 0b00010000 != 0, "masking_key": None, "length_encoding": None,
    }
    for b0 in range(256)
)  # length_encoding None: the fast path only takes minimal encodings
_BATCH_MAX = 4096  # payloads up to this size are unmasked together in one XOR
_STREAM_MIN = 65536  # payloads this large are unmasked into place as they arrive...
_STREAM_MAX = 2**26  # ...up to this size; a larger declared length is not allocated up front
# (with max_size=None a 10-byte header may claim 2**63 bytes: it gets buffered as it arrives)
_ZEROS = bytes(4)


@functools.cache
def _fast_ok_table(deflate: bool) -> bytes:
    """First header bytes the fast path accepts without a closer look (1 = accept)."""
    table = bytearray(256)
    for b0 in range(256):
        fin, rsv, op = b0 >> 7, (b0 >> 4) & 0b111, b0 & 0b1111
        if op in (Opcode.CONT, Opcode.TEXT, Opcode.BINARY) and rsv == 0:
            table[b0] = 1
        elif op in (Opcode.TEXT, Opcode.BINARY) and deflate and rsv == 0b100:
            table[b0] = 1
        elif op in (Opcode.PING, Opcode.PONG) and rsv == 0 and fin:
            table[b0] = 1
    return bytes(table)


class Decoder:
    """Strict incremental decoder: bytes in, frames and messages out.

    Args:
        sender: who sends the bytes ("client": frames must be masked; "server": must not;
            ``None``: either).
        deflate: permessage-deflate was negotiated (RSV1 messages are inflated).
        max_size: largest message to accept, in bytes (``None`` for no limit). Default 1 MiB.
    Raises:
        FrameError: from :meth:`feed`, for the first broken rule; the decoder then stays
            failed (the connection must be closed with :func:`close_code_for`).
    """

    def __init__(self, *, sender: Sender | None = None, deflate: bool = False,
                 max_size: int | None = DEFAULT_MAX_SIZE) -> None:
        self.sender = sender
        self.deflate = deflate
        self.max_size = max_size
        self.assembler = Assembler(deflate=deflate, max_size=max_size)
        self.messages: deque[Message] = deque()
        self.error: FrameError | None = None
        self._buf = bytearray()
        self._base = 0  # absolute offset of the first byte not yet consumed
        self._big: Any = None  # a large frame whose payload is arriving (see _fill_big)
        self._partial: Any = None  # UTF-8 checked so far of an incomplete text frame
        self._ok = _fast_ok_table(deflate)
        self._mask_needed = {"client": 1, "server": 0}.get(sender or "", -1)

    @property
    def buffered(self) -> int:
        """Bytes received but not yet decoded (part of an incomplete frame)."""
        big = self._big
        return len(self._buf) + (big[5] + big[2] if big is not None else 0)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        """Add received bytes; return the frames they complete, in order.

        Complete messages are appended to :attr:`messages`. When a frame breaks a rule,
        the frames before it are still returned; the error is stored in :attr:`error`
        and raised by this call if no frame precedes it, else by the next call.

        Raises:
            FrameError: a frame breaks a rule (with absolute offset, rule and RFC section).
        """
        if self.error is not None:
            raise self.error
        done: list[Frame] = []
        if self._big is not None:
            data = self._fill_big(data, done)
            if self._big is not None or self.error is not None:
                return self._result(done)
        if self._buf:
            self._buf += data
            data = self._buf
        frames, marks, pos, unfinished = self._scan(data)
        frames = self._build(frames, marks)
        if unfinished is not None and self.error is None:
            # An incomplete text frame: check the UTF-8 received so far, now that the frames
            # before it have gone through the assembler.
            at, b0, hl, length, key, a, b = unfinished
            with memoryview(data) as view:
                part = view[a:b]
                self._check_text_prefix(at, b0, hl, length, key, part, 0)
                part.release()
        if data is self._buf:
            del self._buf[:pos]
        elif pos < len(data):  # the buffer was empty: keep only the unfinished tail
            self._buf = bytearray(data[pos:])
        self._base += pos
        return self._result(done + frames if done else frames)

    def _result(self, frames: list[Frame]) -> list[Frame]:
        if self.error is not None and not frames:
            raise self.error
        return frames

    def _fill_big(self, data: Any, done: list[Frame]) -> Any:
        """Unmask received bytes straight into the payload of the large frame in progress.

        Returns what is left of ``data`` after that frame's payload.
        """
        assert self._big is not None
        fields, out, filled, key, b0, hl = self._big
        take = min(len(out) - filled, len(data))
        if b0 & 0b1111 < 2 and take < len(out) - filled:
            self._check_text_prefix(self._base - hl - filled, b0, hl, len(out), key,
                                    memoryview(data)[:take], filled)
            if self.error is not None:
                return b""
        mask_into(out, filled, memoryview(data)[:take], key)
        filled += take
        self._base += take
        if filled < len(out):
            self._big = (fields, out, filled, key, b0, hl)
            return b""
        self._big = None
        fields["payload"] = out.tobytes()
        frame = _new_frame(Frame)
        object.__setattr__(frame, "__dict__", fields)
        start = -(hl + len(out))  # relative to self._base, now just past the payload
        done.extend(self._build([frame], [start << 12 | b0 << 4 | hl]))
        return memoryview(data)[take:]

    def _scan(self, buf: Any) -> tuple[list[Frame], list[int], int, Any]:
        """Decode the complete frames in ``buf``.

        Returns ``(frames, marks, stop, unfinished)``: the frames, for each a mark packing its
        offset, first header byte and header length (``pos << 12 | b0 << 4 | hl``), the offset
        where decoding stopped, and, when that is inside a text or continuation frame whose
        header is complete, what :meth:`_check_text_prefix` needs to check it (else ``None``).
        Small masked payloads are unmasked together with one vectorised XOR (RFC 6455 §5.3),
        so few objects are allocated per frame.
        """
        view = memoryview(buf)
        unfinished = None
        frames: list[Frame] = []
        marks: list[int] = []
        append = frames.append
        mark = marks.append
        batch: list[Any] = []  # payload views (padded to 4 bytes) of small masked frames
        keys: list[bytes] = []
        counts: list[int] = []
        pending: list[dict[str, Any]] = []  # fields of the frames whose payload is in the batch
        pos = 0
        end = len(buf)
        ok = self._ok
        mask_needed = self._mask_needed
        max_size = self.max_size
        _np = numpy()  # None without NumPy: no batching, no unmasking into place
        batching = _np is not None
        templates = _TEMPLATES
        new = _new_frame
        setattr_ = object.__setattr__
        try:
            while end - pos >= 2:
                b0 = buf[pos]
                b1 = buf[pos + 1]
                length = b1 & 0b01111111
                hl = 2
                minimal = True
                if length == 126:
                    if end - pos < 4:
                        break
                    length = (buf[pos + 2] << 8) | buf[pos + 3]
                    hl = 4
                    minimal = length > 125
                elif length == 127:
                    if end - pos < 10:
                        break
                    length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                    hl = 10
                    minimal = 0xFFFF < length < 1 << 63
                masked = b1 >> 7
                if masked:
                    hl += 4
                if (not ok[b0] or not minimal or (mask_needed >= 0 and masked != mask_needed)
                        or (b0 & 0b1000 and hl != 2 + 4 * masked)
                        or (max_size is not None and length > max_size and not b0 & 0b1000)):
                    try:
                        frame, stop = self._slow(buf, pos)
                    except FrameError as exc:
                        self.error = exc
                        break
                    if frame is None:
                        break
                    append(frame)
                    mark(pos << 12 | 0xFF0 | hl)  # b0 = 0xFF: "checked, use the assembler"
                    pos = stop
                    continue
                start = pos + hl
                stop = start + length
                fields = templates[b0].copy()
                if stop > end:
                    if start > end:  # the header itself is not complete
                        break
                    key = bytes(view[start - 4 : start]) if masked else None
                    if b0 & 0b1111 < 2:  # text or continuation: fail fast on bad UTF-8
                        unfinished = (self._base + pos, b0, start - pos, length, key,
                                      start, end)
                    if _STREAM_MIN <= length <= _STREAM_MAX and batching:
                        # A large payload: unmask it into place as it arrives (no buffering).
                        fields["masking_key"] = key
                        out = _np.empty(length, dtype=_np.uint8)
                        mask_into(out, 0, view[start:end], key)
                        self._big = (fields, out, end - start, key, b0, hl)
                        pos = end
                    break
                if not masked:
                    fields["payload"] = bytes(view[start:stop])
                elif batching and length < _BATCH_MAX:
                    key = bytes(view[start - 4 : start])
                    fields["masking_key"] = key
                    batch.append(view[start:stop])
                    pad = -length & 0b11
                    if pad:
                        batch.append(_ZEROS[:pad])
                    keys.append(key)
                    counts.append((length + pad) >> 2)
                    fields["payload"] = length  # replaced below, once the batch is unmasked
                    pending.append(fields)
                else:
                    key = bytes(view[start - 4 : start])
                    fields["masking_key"] = key
                    fields["payload"] = apply_mask(view[start:stop], key)
                frame = new(Frame)
                setattr_(frame, "__dict__", fields)
                append(frame)
                mark(pos << 12 | b0 << 4 | hl)
                pos = stop
            if counts:
                words = _np.frombuffer(b"".join(batch), dtype=_np.uint32)
                stream = _np.repeat(_np.frombuffer(b"".join(keys), dtype=_np.uint32), counts)
                out = _np.bitwise_xor(words, stream, out=stream).tobytes()
                at = 0
                for fields in pending:
                    n = fields["payload"]
                    fields["payload"] = out[at : at + n]
                    at += (n + 3) & ~0b11
        finally:
            del batch
            view.release()
        return frames, marks, pos, unfinished

    def _build(self, frames: list[Frame], marks: list[int]) -> list[Frame]:
        """Feed decoded frames to the assembler; return those before the first error."""
        base = self._base
        asm = self.assembler
        add = asm.add
        messages = self.messages
        for i, (frame, m) in enumerate(zip(frames, marks, strict=True)):
            pos = m >> 12  # may be negative: a large frame that started in an earlier feed
            b0 = m >> 4 & 0xFF
            # Fast path: a whole, uncompressed message with nothing open (the common case).
            # (FIN=1, no RSV bit, text or binary: b0 is 0x81 or 0x82).
            if 0b10000001 <= b0 <= 0b10000010 and not asm._open and not asm.closed:
                payload = frame.payload
                if b0 == 0b10000001:
                    try:
                        text = payload.decode("utf-8")
                    except UnicodeDecodeError:
                        text = None  # the assembler finds and reports the bad byte
                    else:
                        messages.append(Message(1, payload, [asm._count], False, text))
                        asm._count += 1
                        continue
                else:
                    messages.append(Message(2, payload, [asm._count], False, None))
                    asm._count += 1
                    continue
            message, violations = add(frame, offset=base + pos,
                                      payload_offset=base + pos + (m & 0b1111))
            if violations:
                v = violations[0]
                self.error = FrameError(v.message, offset=v.offset, rule=v.rule)
                del frames[i:]
                break
            if message is not None:
                messages.append(message)
        return frames

    def _check_text_prefix(self, at: int, b0: int, hl: int, length: int, key: bytes | None,
                           received: Any, first: int) -> None:
        """Check the UTF-8 of a text frame's payload before the frame is complete.

        Continues where the previous call for the same frame stopped (see
        :class:`wslab.codec.PrefixCheck`); sets :attr:`error` on invalid UTF-8.

        Args:
            at: absolute offset of the frame; hl: its header length.
            b0: its first byte; length: its declared payload length.
            key: its masking key (``None`` if unmasked).
            received: masked payload bytes, from payload index ``first`` on.
            first: index in the payload of ``received[0]``.
        """
        partial = self._partial
        if partial is not None and partial[0] == at:
            check = partial[1]
        else:
            check = self.assembler.prefix_check(b0, at + hl, length)
            if check is None:
                return
            self._partial = (at, check)
        done = check.done
        if done < first:  # a gap: the bytes before these were never checked
            return
        fresh = bytes(received[done - first :])
        if key is not None:
            phase = done % 4
            fresh = apply_mask(fresh, key[phase:] + key[:phase])
        violation = check.feed(fresh) if fresh else check.violation
        if violation is not None:
            self.error = FrameError(violation.message, offset=violation.offset,
                                    rule=violation.rule)

    def _slow(self, buf: Any, pos: int) -> tuple[Frame | None, int]:
        """Parse the frame at ``pos`` with every check (raises with offset and rule)."""
        try:
            frame, stop = parse_frame(buf, pos, sender=self.sender, deflate=self.deflate,
                                      max_size=self.max_size)
        except Incomplete:
            return None, pos
        except FrameError as exc:
            # Re-raise with offsets relative to the whole stream, not the buffer.
            offset = None if exc.offset is None else exc.offset + self._base
            raise FrameError(exc.message, offset=offset, rule=exc.rule) from None
        return frame, stop

    def pop_messages(self) -> list[Message]:
        """Return and forget the complete messages received so far."""
        out = list(self.messages)
        self.messages.clear()
        return out

    def eof(self) -> None:
        """Signal the end of the stream.

        Raises:
            Incomplete: bytes of an unfinished frame remain (says how many more were needed).
        """
        if self._big is not None:
            _, out, filled, _, _, hl = self._big
            raise Incomplete(offset=self._base - hl - filled, have=hl + filled,
                             need=len(out) - filled)
        if self._buf:
            try:
                parse_frame(self._buf, 0, deflate=True)
            except Incomplete as exc:
                raise Incomplete(offset=self._base, have=exc.have, need=exc.need) from None
