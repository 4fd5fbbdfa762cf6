"""Where things go in a rendered frame: which bytes to show, the bit rows, what a rule is about.

Pure (no IPython). Shared by :mod:`wslab.render_text` and :mod:`wslab.render_html`, so a
terminal and a notebook show the same bytes, the same RFC 6455 §5.2 diagram rows and the
same fields flagged. The display limits (``HEX_HEAD``, ``MASK_STEPS``, ...) live here too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import Rules, Violation
from .frames import Opcode, opcode_name

if TYPE_CHECKING:
    from .dissect import Dissection, Field, FrameDissection
    from .frames import Frame

__all__ = [
    "HEX_HEAD",
    "HEX_TAIL",
    "MASK_STEPS",
    "MAX_FRAMES",
    "MAX_ROWS",
    "TEXT_HEAD",
    "TEXT_TAIL",
    "BitSegment",
    "PartialFrame",
    "bit_rows",
    "byte_fields",
    "field_bits",
    "field_names",
    "frame_dissection",
    "partial_frame",
    "payload_size",
    "shown_ranges",
    "violated_fields",
    "violation_offsets",
]

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
    from .dissect import dissect_frame

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
        offset, raw, fields, header_length: as in :class:`~wslab.dissect.FrameDissection`
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
