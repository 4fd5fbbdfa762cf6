"""How frames and dissections look in a terminal: plain text, no colours.

Pure string building (no IPython). The layout and the words come from
:mod:`wslab.render_layout` and :mod:`wslab.render_values`, shared with
:mod:`wslab.render_html`; this module only lays them out in lines and columns.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import Violation
from .render_layout import (
    MAX_FRAMES,
    MAX_ROWS,
    BitSegment,
    bit_rows,
    byte_fields,
    field_names,
    frame_dissection,
    partial_frame,
    shown_ranges,
    violated_fields,
    violation_offsets,
)
from .render_values import (
    FIELD_HEADS,
    MASK_HEADS,
    dissection_summary,
    field_cells,
    frame_title,
    hexdump_rows,
    mask_rows,
    message_line,
    payload_lines,
    truncated_line,
)

if TYPE_CHECKING:
    from .dissect import Dissection, FrameDissection
    from .frames import Frame

__all__ = [
    "bit_diagram_text",
    "dissection_text",
    "fields_text",
    "frame_dissection_text",
    "frame_text",
    "hexdump_text",
    "mask_text",
    "partial_text",
]

# Names shortened where the text bit diagram has no room for them.
_SHORT_NAMES = {"payload length": "payload len", "extended payload length": "extended payload len",
                "continuation": "cont.", "reserved": "rsvd"}


def _table(rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> list[str]:
    """Align ``rows`` (the first is the heading) in columns; the last column is free."""
    right = set(right)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append(("  " + "  ".join(cells)).rstrip())
    return out


def _violation_lines(violations: Iterable[Violation]) -> list[str]:
    return [f"!! byte {v.offset:,}: {v.message} [{v.rule.id}, {v.rule.rfc}]" for v in violations]


def _hex_text(fd: Any) -> list[str]:
    """Bytes grouped by field: one line per field (16 bytes a line for long ones)."""
    ranges, gap = shown_ranges(fd)
    marks = violation_offsets(fd)
    out: list[str] = []

    def flush(start: int, group: list[int], names: str) -> None:
        out.append(f"  {fd.offset + start:>8}  {bytes(group).hex(' '):<47}  {names}")

    for k, (lo, hi) in enumerate(ranges):
        if k:
            out.append(f"  {'':>8}  ... {gap:,} bytes elided ...")
        start, group, prev = lo, [], ""
        for i in range(lo, hi):
            names = field_names(byte_fields(fd, i))
            if i in marks:
                names += "  !!"
            if group and (names != prev or len(group) == 16):
                flush(start, group, prev)
                start, group = i, []
            group.append(fd.raw[i])
            prev = names
        if group:
            flush(start, group, prev)
    return out


def _fit(text: str, width: int) -> list[str]:
    """``text`` wrapped into lines of ``width`` characters, centred."""
    lines = textwrap.wrap(text, width, break_long_words=False) or [""]
    return [_SHORT_NAMES.get(line, line)[:width].center(width) for line in lines]


def _border(segs: Sequence[BitSegment], above: set[int]) -> tuple[str, set[int]]:
    cuts = {s.start for s in segs} | {s.start + s.width for s in segs}
    line = "".join("+" if c % 2 == 0 and c // 2 in cuts | above else "-" for c in range(65))
    return "  " + line.rstrip("-"), cuts


def bit_diagram_text(fd: Any) -> list[str]:
    """The RFC 6455 §5.2 diagram drawn with this frame's bits."""
    out = ["   " + " ".join(str(i // 10) if i % 10 == 0 else " " for i in range(32)).rstrip(),
           "   " + " ".join(str(i % 10) for i in range(32))]
    above: set[int] = set()
    for r, segs in enumerate(bit_rows(fd)):
        line, above = _border(segs, above)
        out.append(line)
        close = "|" if segs[-1].name != "payload" else ""
        out.append(f"{r * 4:>2}" + "".join(
            f"|{' '.join(s.bits) or ' ' * (2 * s.width - 1)}" for s in segs) + close)
        labels = []
        for s in segs:
            width = 2 * s.width - 1
            if s.width == 1:
                labels.append(list(s.name))
            else:
                label = s.label if len(s.label) <= width else _SHORT_NAMES.get(s.name, s.label)
                labels.append(_fit(label, width) + (_fit(s.note, width) if s.note else []))
        for k in range(max(len(x) for x in labels)):
            out.append("  " + "".join("|" + (x[k] if k < len(x) else "").center(2 * s.width - 1)
                                      for x, s in zip(labels, segs, strict=True)) + close)
    out.append(_border([], above)[0])
    return [line.rstrip() for line in out]


def mask_text(fd: FrameDissection) -> list[str]:
    """The unmasking byte by byte (RFC 6455 §5.3)."""
    key = fd.frame.masking_key
    if key is None:
        return []
    steps, more = mask_rows(fd)
    out = [f"masking (RFC 6455 §5.3): key {key.hex(' ')}; "
           f"unmasked[i] = masked[i] XOR key[i mod 4]"]
    rows = [list(MASK_HEADS)]
    for i, m, k, u, char in steps:
        rows.append([str(i), f"{m:02x} {m:08b}", "XOR", f"{k:02x} {k:08b}", "=",
                     f"{u:02x} {u:08b}", char])
    out += _table(rows, right=[0])
    if more > 0:
        out.append(f"  ... {more:,} more")
    return out


def fields_text(fd: Any) -> list[str]:
    """The field table: name, offset, length, bits, raw, value, meaning."""
    bad = violated_fields(fd)
    rows = [list(FIELD_HEADS)]
    for f in fd.fields:
        flag = "!! " if f.name in bad else ""
        rows.append([flag + f.name, *field_cells(fd, f), f.meaning])
    return _table(rows, right=[2])


def frame_dissection_text(fd: FrameDissection, notes: Sequence[str] = ()) -> str:
    """One dissected frame for a terminal: violations, bytes, bit diagram, fields, payload."""
    out = [frame_title(fd), *_violation_lines(fd.violations), *(f"note: {n}" for n in notes)]
    out += ["", "bytes", *_hex_text(fd), "", "header (RFC 6455 §5.2)", *bit_diagram_text(fd)]
    out += ["", "fields", *fields_text(fd)]
    if fd.frame.masked:
        out += ["", *mask_text(fd)]
    out += ["", *(f"{label}: {text}" for label, text in payload_lines(fd))]
    if fd.message is not None:
        out.append(f"completes a {message_line(fd.message)}")
    return "\n".join(out)


def partial_text(d: Dissection) -> list[str]:
    """The incomplete trailing frame: what is there, and how much is missing."""
    p = partial_frame(d)
    if p is None:
        return []
    out = [f"incomplete frame at byte {p.offset:,}", f"!! {truncated_line(d)}",
           *_violation_lines(p.violations), "", "bytes", *_hex_text(p)]
    if p.raw:
        out += ["", "header so far (RFC 6455 §5.2)", *bit_diagram_text(p)]
    if p.fields:
        out += ["", "fields", *fields_text(p)]
    return out


def frame_text(frame: Frame) -> str:
    """A :class:`~wslab.frames.Frame` for a terminal (through its dissection)."""
    fd, d, notes = frame_dissection(frame)
    if fd is None:
        return dissection_text(d)
    return frame_dissection_text(fd, notes)


def dissection_text(d: Dissection) -> str:
    """A whole :class:`~wslab.dissect.Dissection` for a terminal."""
    n = len(d.frames)
    out = ["dissection: " + ", ".join(dissection_summary(d))]
    violations = d.violations
    if violations:
        out.append(f"!! {len(violations)} violation{'s' if len(violations) != 1 else ''}")
        out += _violation_lines(violations[:MAX_ROWS])
    if d.incomplete is not None:
        out.append(f"!! {truncated_line(d)}")
    for fd in d.frames[:MAX_FRAMES]:
        out += ["", "=" * 72, frame_dissection_text(fd)]
    if n > MAX_FRAMES:
        out += ["", f"... {n - MAX_FRAMES:,} more frames not shown"]
    if d.incomplete is not None:
        out += ["", "=" * 72, *partial_text(d)]
    if d.messages:
        out += ["", "messages"]
        out += [f"  {i}: {message_line(m)}" for i, m in enumerate(d.messages[:MAX_ROWS])]
    return "\n".join(out)


def hexdump_text(data: bytes, width: int = 16) -> str:
    """A classic hexdump: offset, hex bytes, ASCII (long data elided in the middle)."""
    head, gap, tail = hexdump_rows(data, width)
    out = [f"{offset:08x}  {row.hex(' '):<{width * 3 - 1}}  {ascii_}"
           for offset, row, ascii_ in head + tail]
    if gap:
        out.insert(len(head), f"... {gap:,} bytes elided ...")
    return "\n".join(out)

