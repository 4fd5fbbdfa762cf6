"""What a rendered frame shows, and in which words: shared by its text and its HTML.

Which bytes to show (long payloads are elided in the middle), the rows of the RFC 6455
§5.2 bit diagram, the fields a violation is about, the display limits (``HEX_HEAD``,
``MASK_STEPS``, ...), and how field values, payloads, close codes and messages read. A
terminal and a notebook therefore show the same bytes, the same rows, the same fields
flagged, in the same words.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..codec import (
    Dissection,
    Field,
    Frame,
    FrameDissection,
    Opcode,
    Rules,
    Violation,
    describe,
    dissect_frame,
    opcode_name,
)

HEX_HEAD = 32  # payload bytes shown before the elision
HEX_TAIL = 16  # payload bytes shown after it
TEXT_HEAD = 240  # characters of payload text shown before the elision
TEXT_TAIL = 60
MASK_STEPS = 16  # masking steps shown byte by byte
MAX_FRAMES = 20  # frames shown in full in a dissection
MAX_ROWS = 200  # frames listed in a dissection's overview

# Rules about the order of frames: meaningless for a frame shown on its own.
SEQUENCE_RULES = frozenset({
    Rules.CONTINUATION_WITHOUT_START.id,
    Rules.DATA_DURING_FRAGMENTED.id,
    Rules.FRAME_AFTER_CLOSE.id,
})


def frame_dissection(frame: Frame) -> tuple[FrameDissection | None, Dissection, list[str]]:
    """Dissect one :class:`Frame` on its own; return it, the dissection and notes to show."""
    d = dissect_frame(frame)
    notes: list[str] = []
    if not d.frames:
        return None, d, notes
    fd = d.frames[0]
    kept = [v for v in fd.violations if v.rule.id not in SEQUENCE_RULES]
    if int(frame.opcode) == Opcode.CONT:
        notes.append("a continuation frame continues a message started by an earlier "
                     "text or binary frame with FIN=0 (RFC 6455 §5.4)")
    if len(kept) != len(fd.violations):
        fd = dataclasses.replace(fd, violations=kept)
    return fd, d, notes


@dataclass
class PartialFrame:
    """The bytes of an incomplete trailing frame, shaped like a FrameDissection for display.

    Attributes:
        offset, raw, fields, header_length: as in :class:`~wslab.codec.FrameDissection`
            (``fields`` are the dissection's ``partial_fields``).
        have, need: bytes present, and how many more are needed.
    """

    offset: int
    raw: bytes
    fields: list[Field]
    header_length: int
    have: int
    need: int
    index: int = -1
    violations: list[Violation] = dataclasses.field(default_factory=list)


def partial_frame(d: Dissection) -> PartialFrame | None:
    """The incomplete trailing frame of ``d``, or ``None``."""
    inc = d.incomplete
    if inc is None or inc.offset is None:
        return None
    raw = d.data[inc.offset :]
    fields = list(getattr(d, "partial_fields", []))
    starts = [f.offset - inc.offset for f in fields if f.name == "payload"]
    return PartialFrame(inc.offset, raw, fields, starts[0] if starts else len(raw),
                        inc.have, inc.need, violations=list(getattr(d, "partial_violations", [])))


def field_bits(fd: Any, f: Field) -> tuple[int, int]:
    """First and last bit of ``f``, counted from the first bit of the frame."""
    start = (f.offset - fd.offset) * 8
    if f.bits is not None:
        return start + f.bits[0], start + f.bits[1]
    return start, start + f.length * 8 - 1


def payload_size(fd: Any) -> int:
    """Payload bytes present in the frame."""
    return max(len(fd.raw) - fd.header_length, 0)


def shown_ranges(fd: Any) -> tuple[list[tuple[int, int]], int]:
    """Which bytes of the frame to show (relative ``[start, end)`` ranges) and how many are elided.

    The header is always shown; a payload longer than ``HEX_HEAD + HEX_TAIL + 16`` bytes
    is shown as its first ``HEX_HEAD`` and last ``HEX_TAIL`` bytes.
    """
    n = len(fd.raw)
    if payload_size(fd) <= HEX_HEAD + HEX_TAIL + 16:
        return [(0, n)], 0
    cut = -(-(fd.header_length + HEX_HEAD) // 16) * 16  # end a row of 16
    return [(0, cut), (n - HEX_TAIL, n)], n - HEX_TAIL - cut


def byte_fields(fd: Any, rel: int) -> list[tuple[Field, int, int]]:
    """The fields covering byte ``rel`` of the frame, with the bits (0-7) each covers there."""
    out = []
    for f in fd.fields:
        first, last = field_bits(fd, f)
        lo, hi = max(first, rel * 8), min(last, rel * 8 + 7)
        if lo <= hi:
            out.append((f, lo - rel * 8, hi - rel * 8))
    return out


def field_names(parts: Iterable[tuple[Field, int, int]]) -> str:
    """The names in ``parts`` (from :func:`byte_fields`) joined by ", "; "?" for none."""
    return ", ".join(dict.fromkeys(f.name for f, _, _ in parts)) or "?"


def violation_offsets(fd: Any) -> set[int]:
    """Relative offsets of the bytes a violation points at."""
    return {v.offset - fd.offset for v in fd.violations}


# The fields that break each header rule; other rules point at the field holding their byte.
_RULE_FIELDS = {
    Rules.RESERVED_OPCODE.id: ("opcode",), Rules.CONTROL_FRAGMENTED.id: ("FIN",),
    Rules.CLIENT_UNMASKED.id: ("MASK",), Rules.SERVER_MASKED.id: ("MASK",),
    Rules.RSV1_ON_CONTINUATION.id: ("RSV1",), Rules.RSV1_ON_CONTROL.id: ("RSV1",),
    Rules.CONTROL_TOO_LONG.id: ("payload length", "extended payload length"),
    Rules.NON_MINIMAL_LENGTH.id: ("payload length", "extended payload length"),
    Rules.LENGTH_TOP_BIT.id: ("extended payload length",),
    Rules.CONTINUATION_WITHOUT_START.id: ("opcode",), Rules.DATA_DURING_FRAGMENTED.id: ("opcode",),
    Rules.FRAME_AFTER_CLOSE.id: ("opcode",),
    Rules.RSV_WITHOUT_EXTENSION.id: ("RSV1", "RSV2", "RSV3"),
}


def violated_fields(fd: Any) -> set[str]:
    """Names of the fields that the frame's violations are about."""
    present = {f.name for f in fd.fields}
    out: set[str] = set()
    for v in fd.violations:
        names = [n for n in _RULE_FIELDS.get(v.rule.id, ()) if n in present]
        if v.rule.id == Rules.RSV_WITHOUT_EXTENSION.id:
            names = [n for n in names if n in v.message] or names
        if not names:  # the innermost field holding the byte
            rel = v.offset - fd.offset
            names = [f.name for f in fd.fields
                     if f.bits is None and f.offset - fd.offset <= rel < f.offset - fd.offset
                     + f.length][-1:]
        out.update(names)
    return out


@dataclass(frozen=True)
class BitSegment:
    """A piece of a header field inside one 32-bit row of the RFC 6455 §5.2 diagram.

    Attributes:
        name: the field's name ("payload" for the filler after the header).
        start: first bit inside the row (0-31).
        bits: the bits as found on the wire ("" for the filler).
        width: how many bit columns it spans.
        absbit: its first bit counted from the start of the frame.
        label: the name to show (with "(cont.)" on later pieces).
        note: the value, e.g. "0x1 text", "= 5", "37 fa".
    """

    name: str
    start: int
    bits: str
    width: int
    absbit: int
    label: str
    note: str


def _bit_note(fd: Any, f: Field | None, lo: int, hi: int) -> str:
    """The value shown under a piece of a field in the bit diagram."""
    if f is None or f.value is None:
        return ""
    first = field_bits(fd, f)[0] == lo
    if f.name == "opcode" and isinstance(f.raw, int):
        return f"0x{f.raw:X} {opcode_name(f.raw)}".replace("continuation", "cont.")
    if f.name == "payload length" and isinstance(f.raw, int):
        return f"{f.raw}" + {126: ": 16-bit follows", 127: ": 64-bit follows"}.get(f.raw, "")
    if f.name == "extended payload length" and isinstance(f.value, int):
        return f"= {f.value:,}" if first else ""
    if f.name == "masking key":
        return fd.raw[lo // 8 : hi // 8 + 1].hex(" ")
    return ""


def bit_rows(fd: Any) -> list[list[BitSegment]]:
    """The header as rows of 32 bits, like the diagram of RFC 6455 §5.2, with this frame's bits."""
    header_bits = fd.header_length * 8
    spans: list[tuple[int, int, Field | None]] = []
    for f in fd.fields:
        first, last = field_bits(fd, f)
        if first < header_bits and f.name != "payload" and last >= first:
            spans.append((first, min(last, header_bits - 1), f))
    spans.sort(key=lambda s: s[:2])
    filled: list[tuple[int, int, Field | None]] = []
    pos = 0
    for first, last, f in spans:
        if first < pos:
            continue
        if first > pos:
            filled.append((pos, first - 1, None))
        filled.append((first, last, f))
        pos = last + 1
    if pos < header_bits:
        filled.append((pos, header_bits - 1, None))
    bits = "".join(f"{b:08b}" for b in fd.raw[: fd.header_length])
    rows: list[list[BitSegment]] = [[] for _ in range((header_bits + 31) // 32)]
    for first, last, f in filled:
        lo = first
        name = f.name if f is not None else "?"
        while lo <= last:
            hi = min(last, lo // 32 * 32 + 31)
            label = name if lo == first else f"{name} (cont.)"
            note = _bit_note(fd, f, lo, hi)
            rows[lo // 32].append(BitSegment(name, lo % 32, bits[lo : hi + 1], hi - lo + 1, lo,
                                             label, note))
            lo = hi + 1
    if header_bits % 32 and payload_size(fd):
        start = header_bits % 32
        rows[-1].append(BitSegment("payload", start, "", 32 - start, header_bits,
                                   "payload data ...", ""))
    return rows


# -- how values read ----------------------------------------------------------------------

FIELD_HEADS = ("field", "offset", "len", "bits", "raw", "value", "meaning")
MASK_HEADS = ("i", "masked", "", "key[i mod 4]", "", "unmasked", "char")
HexRow = tuple[int, bytes, str]  # offset, bytes, ASCII ("." for the unprintable)


def hex_bytes(data: bytes, limit: int = 8) -> str:
    """Hex of ``data`` if at most ``limit`` bytes, else its first 4 bytes and its length."""
    if len(data) <= limit:
        return data.hex(" ")
    return f"{data[:4].hex(' ')} ... ({len(data):,} bytes)"


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with control and invisible format characters shown as escapes.

    Args:
        newlines: keep line feeds as they are (for HTML shown with ``pre-wrap``).
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or ch == " " or (newlines and ch == "\n")
        or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
        else repr(ch)[1:-1] for ch in text)


def elide(text: str, head: int = TEXT_HEAD, tail: int = TEXT_TAIL) -> tuple[str, int, str]:
    """Split a long ``text`` into (first part, characters elided, last part)."""
    if len(text) <= head + tail + 20:
        return text, 0, ""
    return text[:head], len(text) - head - tail, text[-tail:]


def elided_text(text: str) -> str:
    """``text`` shortened in the middle, with the number of characters left out."""
    head, gap, tail = elide(text)
    if not gap:
        return printable(head)
    return f"{printable(head)} ... {gap:,} characters elided ... {printable(tail)}"


def fmt_value(f: Field) -> str:
    """A field's decoded value, short."""
    v: Any = f.value
    if v is None:
        return ""
    if f.name == "opcode" and isinstance(v, int):
        return f"0x{int(v):X} {opcode_name(int(v))}"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (bytes, bytearray, memoryview)):
        return hex_bytes(bytes(v))
    if isinstance(v, str):
        return repr(elided_text(v)) if len(v) < 40 else repr(v[:32]) + f" ... ({len(v):,} chars)"
    text = str(v)
    return text if len(text) <= 40 else text[:37] + "..."


def fmt_raw(fd: Any, f: Field) -> str:
    """A field as on the wire: its bits for a bit field, else its bytes in hex."""
    if f.bits is not None:
        first, last = field_bits(fd, f)
        return "".join(f"{b:08b}" for b in fd.raw[first // 8 : last // 8 + 1])[
            first % 8 : first % 8 + last - first + 1]
    rel = f.offset - fd.offset
    return hex_bytes(fd.raw[rel : rel + f.length])


def fmt_bits(f: Field) -> str:
    if f.bits is None:
        return ""
    a, b = f.bits
    return str(a) if a == b else f"{a}-{b}"


def fmt_offset(f: Field) -> str:
    if f.length <= 1:
        return str(f.offset)
    return f"{f.offset}-{f.offset + f.length - 1}"


def field_cells(fd: Any, f: Field) -> list[str]:
    """The field table's cells between name and meaning: offset, len, bits, raw, value."""
    return [fmt_offset(f), str(f.length), fmt_bits(f), fmt_raw(fd, f), fmt_value(f)]


def frame_title(fd: FrameDissection) -> str:
    """One line: what the frame is."""
    fr = fd.frame
    parts = [f"frame {fd.index}", f"{opcode_name(int(fr.opcode))} (0x{int(fr.opcode):X})",
             f"FIN={int(fr.fin)}", "masked" if fr.masked else "unmasked",
             f"{fd.payload_length:,}-byte payload",
             f"bytes {fd.offset:,}-{fd.offset + len(fd.raw) - 1:,}"]
    if fr.rsv1 or fr.rsv2 or fr.rsv3:
        parts.insert(3, f"RSV={int(fr.rsv1)}{int(fr.rsv2)}{int(fr.rsv3)}")
    return " | ".join(parts)


def payload_lines(fd: FrameDissection) -> list[tuple[str, str]]:
    """What the unmasked payload says, as (label, text) pairs."""
    fr = fd.frame
    op = int(fr.opcode)
    payload = fr.payload
    out: list[tuple[str, str]] = []
    if op == Opcode.CLOSE:
        if len(payload) < 2:
            out.append(("close", "no status code (the receiver reports 1005 No Status Rcvd)"
                        if not payload else "1 byte: too short for a status code"))
        else:
            code = fd.close_code if fd.close_code is not None else int.from_bytes(
                payload[:2], "big")
            info = describe(code)
            out.append(("close code", f"{code} {info.name}: {info.meaning} "
                        f"({'may' if info.on_wire else 'must not'} be sent; {info.rfc})"))
            reason = fd.close_reason if fd.close_reason is not None else payload[2:].decode(
                "utf-8", errors="replace")
            out.append(("reason", repr(elided_text(reason)) if reason else "(none)"))
        return out
    if not payload:
        out.append(("payload", "(empty)"))
        return out
    text = fd.text
    if text is None and op != Opcode.BINARY:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if fr.rsv1 and fd.text is not None:
        out.append(("inflated text", repr(elided_text(text or ""))))
    elif text is not None:
        out.append(("text" if op in (Opcode.TEXT, Opcode.CONT) else "as UTF-8",
                    repr(elided_text(text))))
    else:
        head, gap, tail = elide_bytes(payload)
        shown = head.hex(" ") + (f" ... {gap:,} bytes elided ... {tail.hex(' ')}" if gap else "")
        out.append(("bytes", shown))
    return out


def elide_bytes(data: bytes) -> tuple[bytes, int, bytes]:
    """(first ``HEX_HEAD`` bytes, bytes elided, last ``HEX_TAIL`` bytes) of a long ``data``."""
    if len(data) <= HEX_HEAD + HEX_TAIL + 16:
        return data, 0, b""
    return data[:HEX_HEAD], len(data) - HEX_HEAD - HEX_TAIL, data[-HEX_TAIL:]


def mask_rows(fd: FrameDissection) -> tuple[list[tuple[int, int, int, int, str]], int]:
    """The first ``MASK_STEPS`` unmasking steps (RFC 6455 §5.3) and how many bytes follow.

    Returns:
        ``([(i, masked, key byte, unmasked, char), ...], more)``; ``char`` is the unmasked
        byte's ``repr`` if it is printable ASCII, else "".
    """
    steps = fd.mask_steps(MASK_STEPS)
    rows = [(i, m, k, u, repr(chr(u)) if 32 <= u < 127 else "") for i, m, k, u in steps]
    return rows, payload_size(fd) - len(steps)


def message_line(m: Any) -> str:
    """One line about a reassembled message."""
    kind = opcode_name(int(m.opcode))
    frames = ", ".join(str(i) for i in m.frames)
    what = f"{kind} message, {len(m.payload):,} bytes, from frame(s) {frames}"
    if getattr(m, "compressed", False):
        what += ", compressed (permessage-deflate)"
    if m.text is not None:
        return f"{what}: {elided_text(m.text)!r}"
    head, gap, _ = elide_bytes(m.payload)
    return f"{what}: {head.hex(' ')}" + (f" ... {gap:,} bytes elided ..." if gap else "")


def truncated_line(d: Dissection) -> str:
    inc = d.incomplete
    assert inc is not None
    return (f"truncated: {inc.need:,} more byte{'s' if inc.need != 1 else ''} needed "
            f"(the frame starting at byte {inc.offset:,} has {inc.have:,} byte"
            f"{'s' if inc.have != 1 else ''}) [{inc.rule.id}, {inc.rule.rfc}]")


def dissection_summary(d: Dissection) -> list[str]:
    """What a dissection holds, in short parts: size, frames, messages, sender, extension."""
    n, m = len(d.frames), len(d.messages)
    return [f"{len(d.data):,} bytes", f"{n} frame{'s' if n != 1 else ''}",
            f"{m} message{'s' if m != 1 else ''}", f"sender {d.sender or 'unknown'}",
            *(["permessage-deflate"] if d.deflate else [])]


def hexdump_rows(data: bytes, width: int = 16) -> tuple[list[HexRow], int, list[HexRow]]:
    """A hexdump's rows of ``width`` bytes: those before the elision, bytes elided, those after."""
    data = bytes(data)
    head, gap, tail = elide_bytes(data)

    def rows(base: int, chunk: bytes) -> list[HexRow]:
        return [(base + i, chunk[i : i + width],
                 "".join(chr(b) if 32 <= b < 127 else "." for b in chunk[i : i + width]))
                for i in range(0, len(chunk), width)]

    return rows(0, head), gap, rows(len(data) - len(tail), tail)
