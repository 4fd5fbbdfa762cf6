"""How frames and dissections look: plain text for a terminal, HTML for a notebook.

A frame is always shown through its dissection, so the picture and the checks agree byte
for byte; large payloads are elided in the middle, so a 1 MiB frame renders as fast and as
small as a 5-byte one. The layout and the words come from :mod:`wslab.view._layout`.

The HTML is self-contained: inline styles only (colours from :mod:`wslab.view.theme`),
no ``<script>``, nothing external; everything that comes from the bytes is escaped. Grids
are ``<div>`` elements with ``display:grid`` rather than ``<table>``, which JupyterLab
restyles. Each hex cell carries ``data-field`` (the names of the fields it belongs to,
joined by ", ") and ``data-offset`` (its absolute offset); each bit of the diagram carries
``data-field`` and ``data-bit`` (counted from the frame's first bit); blocks carry
``data-role`` ("hex", "bits", "fields", "masking", "violations", "truncated", ...), so
tests and curious students can find them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from ..codec import Dissection, Frame, FrameDissection, Violation
from ._layout import (
    FIELD_HEADS,
    MASK_HEADS,
    MAX_FRAMES,
    MAX_ROWS,
    BitSegment,
    bit_rows,
    byte_fields,
    dissection_summary,
    elide,
    field_cells,
    field_names,
    fmt_bits,
    fmt_offset,
    frame_dissection,
    frame_title,
    hexdump_rows,
    mask_rows,
    message_line,
    partial_frame,
    payload_lines,
    printable,
    shown_ranges,
    truncated_line,
    violated_fields,
    violation_offsets,
)
from .theme import (
    ALERT,
    BOX,
    CARD,
    FG,
    GREEN,
    LINE,
    MONO,
    MUTED,
    PAD,
    RED,
    RED_BG,
    SANS,
    TH,
    esc,
    field_colour,
)

# -- plain text ---------------------------------------------------------------------------

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
    """A :class:`~wslab.codec.Frame` for a terminal (through its dissection)."""
    fd, d, notes = frame_dissection(frame)
    if fd is None:
        return dissection_text(d)
    return frame_dissection_text(fd, notes)


def dissection_text(d: Dissection) -> str:
    """A whole :class:`~wslab.codec.Dissection` for a terminal."""
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


# -- HTML --------------------------------------------------------------------------------

def _grid(role: str, columns: str, cells: Iterable[str], style: str = "") -> str:
    return (f'<div data-role="{role}" style="display:grid;grid-template-columns:{columns};'
            f'margin:2px 0 6px 0;{style}">{"".join(cells)}</div>')


def _h(text: str) -> str:
    return (f'<div style="font-weight:600;color:{MUTED};font-size:11px;text-transform:uppercase;'
            f'letter-spacing:.04em;margin:10px 0 3px 0">{esc(text)}</div>')


def _mono(text: str) -> str:
    return f'<span style="font-family:{MONO}">{esc(text)}</span>'


def _violations(violations: Iterable[Violation], *, brief: bool = False) -> str:
    items = "".join(
        f'<div style="margin:2px 0">!! <b>byte {v.offset:,}</b>: {esc(v.message)} '
        f'<span style="font-family:{MONO};font-size:12px">[{esc(v.rule.id)}, {esc(v.rule.rfc)}]'
        f"</span>" + ("" if brief else f'<div style="color:{MUTED};font-size:12px;'
                      f'margin-left:1.5em">rule: {esc(v.rule.text)}</div>') + "</div>"
        for v in violations)
    if not items:
        return ""
    return f'<div data-role="violations" style="{ALERT};{BOX}">{items}</div>'


def _truncated(text: str) -> str:
    return f'<div data-role="truncated" style="{ALERT};{BOX};font-weight:600">!! {esc(text)}</div>'


def _note(text: str) -> str:
    return f'<div style="color:{MUTED};font-size:12px;margin:2px 0">note: {esc(text)}</div>'


def _rule() -> str:
    return f'<div style="border-top:1px solid {LINE};margin:10px 0"></div>'


# -- hex view -----------------------------------------------------------------------------


def _byte_cell(fd: Any, rel: int, marks: set[int]) -> str:
    parts = byte_fields(fd, rel)
    names = field_names(parts)
    if len(parts) > 1:  # bit fields: one colour stripe per bit range
        stops = ",".join(f"{field_colour(f.name)} {lo * 12.5:g}% {(hi + 1) * 12.5:g}%"
                         for f, lo, hi in parts)
        bg = f"background:linear-gradient(90deg,{stops})"
    else:
        bg = f"background:{field_colour(parts[0][0].name) if parts else field_colour('?')}"
    bad = rel in marks
    mark = f";outline:2px solid {RED};color:{RED};font-weight:700" if bad else ""
    title = f"byte {fd.offset + rel}: {names}" + (" (rule broken here)" if bad else "")
    return (f'<div data-field="{esc(names)}" data-offset="{fd.offset + rel}" title="{esc(title)}" '
            f'style="{bg}{mark}">{fd.raw[rel]:02x}</div>')


def _hex_view(fd: Any, missing: int = 0) -> str:
    """Each byte a cell coloured by its field(s); long payloads elided in the middle.

    Args:
        missing: bytes still needed after ``fd.raw`` (drawn as dashed cells, at most 16).
    """
    ranges, gap = shown_ranges(fd)
    end = len(fd.raw)
    ranges[-1] = (ranges[-1][0], end + min(missing, 16))
    marks = violation_offsets(fd)
    off = f'<div style="color:{MUTED};text-align:right;padding-right:6px">'
    gone = (f'<div data-field="missing" title="missing byte" style="outline:1px dashed {RED};'
            f'color:{RED}">··</div>')
    cells = ["<div></div>", *(f'<div style="color:{MUTED};font-size:10px">+{i}</div>'
                              for i in range(16))]
    for k, (lo, hi) in enumerate(ranges):
        if k:
            cells.append(f'<div style="grid-column:2/-1;color:{MUTED};font-style:italic;'
                         f'text-align:left">… {gap:,} bytes elided …</div>')
        for start in range(lo, hi, 16):
            stop = min(hi, start + 16)
            cells.append(f"{off}{fd.offset + start:,}</div>")
            cells += [_byte_cell(fd, i, marks) if i < end else gone for i in range(start, stop)]
            if stop - start < 16:
                cells.append(f'<div style="grid-column:span {16 - stop + start}"></div>')
    if missing > 16:
        cells.append(f'<div style="grid-column:2/-1;color:{RED};text-align:left">'
                     f"… and {missing - 16:,} more bytes needed</div>")
    return _grid("hex", "max-content repeat(16,2.1em)", cells,
                 f"gap:2px;text-align:center;font-family:{MONO};font-size:12px") + _legend(fd)


def _legend(fd: Any) -> str:
    items = []
    for f in fd.fields:
        where = (f"byte {f.offset}, bit {fmt_bits(f)}" if f.bits is not None else
                 f"byte{'s' if f.length > 1 else ''} {fmt_offset(f)}" if f.length else "empty")
        items.append(f'<span style="white-space:nowrap;margin-right:10px">'
                     f'<span style="display:inline-block;width:10px;height:10px;'
                     f'background:{field_colour(f.name)};border:1px solid {LINE};margin-right:3px">'
                     f'</span>{esc(f.name)} <span style="color:{MUTED}">{esc(where)}</span></span>')
    return f'<div data-role="legend" style="font-size:11px;margin:2px 0">{" ".join(items)}</div>'


# -- bit diagram ----------------------------------------------------------------------------


def _segment_label(s: BitSegment, bad: bool) -> str:
    style = f"grid-column:span {s.width}" + (f";outline:2px solid {RED};color:{RED}" if bad else "")
    if s.name == "payload":
        return (f'<div style="{style};outline:1px dashed {LINE};color:{MUTED};'
                f'font-style:italic">{esc(s.label)}</div>')
    if s.width == 1:
        text = "<br>".join(esc(c) for c in s.name)
    else:
        text = esc(s.label) + (f'<br><span style="font-family:{MONO}">{esc(s.note)}</span>'
                              if s.note else "")
    return f'<div style="{style};background:{field_colour(s.name)}">{text}</div>'


def _bit_diagram(fd: Any) -> str:
    """RFC 6455 §5.2's header diagram, 32 bits a row, with this frame's bits."""
    num = f'<div style="color:{MUTED}">'
    cells = ["<div></div>", *(f"{num}{i // 10 if i % 10 == 0 else ''}</div>" for i in range(32)),
             "<div></div>", *(f"{num}{i % 10}</div>" for i in range(32))]
    bits = f"font-family:{MONO};font-weight:700;font-size:12px;display:contents"
    violated = violated_fields(fd)
    for r, segs in enumerate(bit_rows(fd)):
        cells.append(f'{num}+{r * 4}</div><div style="{bits}">')
        for s in segs:
            if not s.bits:
                cells.append(f'<div style="grid-column:span {s.width};outline:1px dashed '
                             f'{LINE}"></div>')
                continue
            cells += [f'<div data-field="{esc(s.name)}" data-bit="{s.absbit + j}" '
                      f'style="background:{field_colour(s.name)}">{bit}</div>'
                      for j, bit in enumerate(s.bits)]
        cells.append("</div><div></div>")
        cells += [_segment_label(s, s.name in violated) for s in segs]
    return _grid("bits", "max-content repeat(32,1.3em)", cells,
                 "gap:1px;text-align:center;font-size:10px;line-height:1.2;align-items:stretch")


# -- field table, masking, payload -----------------------------------------------------------


def _fields(fd: Any) -> str:
    violated = violated_fields(fd)
    cells = [f'<div style="{TH}">{h}</div>' for h in FIELD_HEADS]
    for f in fd.fields:
        bad = f.name in violated
        tint = f";background:{RED_BG}" if bad else ""
        flag = f'<b style="color:{RED}">!! </b>' if bad else ""
        values = field_cells(fd, f)
        cells.append(f'<div data-field="{esc(f.name)}" style="{PAD}{tint};border-left:6px solid '
                     f'{field_colour(f.name)};white-space:nowrap;font-family:{SANS}">{flag}{esc(f.name)}'
                     f"</div>")
        cells += [f'<div style="{PAD}{tint};overflow-wrap:anywhere">{esc(v)}</div>'
                  for v in values]
        cells.append(f'<div style="{PAD}{tint};overflow-wrap:anywhere;font-family:{SANS}">'
                     f"{esc(f.meaning)}</div>")
    return _grid("fields", "repeat(4,max-content) repeat(2,minmax(5em,max-content)) "
                 "minmax(22em,1fr)", cells, f"font-size:12px;font-family:{MONO}")


def _masking(fd: FrameDissection) -> str:
    key = fd.frame.masking_key
    if key is None:
        return ""
    steps, more = mask_rows(fd)
    cells = [f'<div style="{TH}">{h}</div>' for h in MASK_HEADS]
    bits = f'<span style="color:{MUTED}">'
    for i, m, k, u, char in steps:
        cells += [f'<div style="text-align:right">{i}</div>',
                  f'<div data-step="{i}" style="background:{field_colour("payload")};{PAD}">'
                  f'{m:02x} '
                  f"{bits}{m:08b}</span></div><div>XOR</div>"
                  f'<div style="background:{field_colour("masking key")};{PAD}">{k:02x} '
                  f"{bits}{k:08b}</span></div><div>=</div>"
                  f"<div><b>{u:02x}</b> {bits}{u:08b}</span></div><div>{esc(char)}</div>"]
    tail = (f'<div style="color:{MUTED};font-size:12px">… {more:,} more</div>' if more > 0
            else "")
    return (_h("masking (RFC 6455 §5.3)")
            + f'<div style="font-size:12px">key {_mono(key.hex(" "))}: unmasked byte i = '
            f"masked byte i XOR key byte (i mod 4)</div>"
            + _grid("masking", "repeat(7,max-content)", cells,
                    f"gap:1px 6px;font-family:{MONO};font-size:12px") + tail)


def _text_of(fd: FrameDissection, label: str) -> str:
    if label == "reason":
        return fd.close_reason or ""
    if fd.text is not None:
        return fd.text
    return fd.frame.payload.decode("utf-8", errors="replace")


def _payload(fd: FrameDissection) -> str:
    block = (f"font-family:{MONO};white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0;"
             f"background:{field_colour('payload')};color:{FG};padding:4px 8px;border-radius:4px")
    out = []
    for label, text in payload_lines(fd):
        if label in ("text", "as UTF-8", "inflated text", "reason") and text.startswith(("'", '"')):
            head, gap, tail = elide(_text_of(fd, label))
            body = esc(printable(head, newlines=True))
            if gap:
                body += (f'<span style="color:{MUTED};font-style:italic"> … {gap:,} characters '
                         f"elided … </span>{esc(printable(tail, newlines=True))}")
            value = f'<div data-role="payload-text" style="{block}">{body}</div>'
        else:
            value = _mono(text)
        out.append(f'<div style="margin:2px 0"><b>{esc(label)}</b>: {value}</div>')
    if fd.message is not None:
        out.append(f'<div style="margin:2px 0;color:{GREEN}">completes a '
                   f"{esc(message_line(fd.message))}</div>")
    return _h("payload, unmasked") + "".join(out)


# -- cards -------------------------------------------------------------------------------------


def _badge(fd: FrameDissection) -> str:
    n = len(fd.violations)
    text, bg = (f"{n} rule{'s' if n > 1 else ''} broken", RED) if n else ("no rule broken", GREEN)
    return (f'<span style="background:{bg};color:#fff;border-radius:10px;padding:0 8px;'
            f'font-size:11px;white-space:nowrap">{text}</span>')


def frame_card(fd: FrameDissection, notes: Sequence[str] = (), *, compact: bool = False) -> str:
    """One frame: title, violations, hex view, bit diagram, fields, masking, payload.

    Args:
        compact: leave out the field table and the masking steps (for side by side views).
    """
    tables = "" if compact else f'{_h("fields")}{_fields(fd)}{_masking(fd)}'
    return (f'<div data-role="frame" data-index="{fd.index}">'
            f'<div style="font-weight:600;font-size:14px">{esc(frame_title(fd))} {_badge(fd)}'
            f'</div>{_violations(fd.violations)}{"".join(_note(n) for n in notes)}'
            f'{_h("bytes on the wire")}{_hex_view(fd)}'
            f'{_h("header, bit by bit (RFC 6455 §5.2)")}{_bit_diagram(fd)}'
            f"{tables}{_payload(fd)}</div>")


def _partial_card(d: Dissection, compact: bool) -> str:
    p = partial_frame(d)
    if p is None:
        return ""
    out = [f'<div data-role="partial"><div style="font-weight:600;font-size:14px">'
           f"incomplete frame at byte {p.offset:,}</div>{_truncated(truncated_line(d))}"
           f'{_violations(p.violations)}{_h("bytes so far")}{_hex_view(p, p.need)}']
    if p.raw:
        out.append(f'{_h("header so far (RFC 6455 §5.2)")}{_bit_diagram(p)}')
    if p.fields and not compact:
        out.append(f'{_h("fields")}{_fields(p)}')
    return "".join(out) + "</div>"


def _card(inner: str) -> str:
    return f'<div class="wslab" style="{CARD}">{inner}</div>'


def frame_dissection_html(fd: FrameDissection, notes: Sequence[str] = (), *,
                          compact: bool = False) -> str:
    """One dissected frame as a self-contained HTML card (see :func:`frame_card`)."""
    return _card(frame_card(fd, notes, compact=compact))


def frame_html(frame: Frame, *, compact: bool = False) -> str:
    """A :class:`~wslab.codec.Frame` as a self-contained HTML card (through its dissection)."""
    fd, d, notes = frame_dissection(frame)
    if fd is None:
        return dissection_html(d, compact=compact)
    return frame_dissection_html(fd, notes, compact=compact)


def _overview(d: Dissection) -> str:
    heads = ["#", "offset", "opcode", "FIN", "MASK", "length", "", "payload"]
    cells = [f'<div style="{TH}">{h}</div>' for h in heads]
    for fd in d.frames[:MAX_ROWS]:
        fr = fd.frame
        bad = f'<b style="color:{RED}">!! {len(fd.violations)}</b>' if fd.violations else ""
        label, text = payload_lines(fd)[0]
        values = [fd.index, f"{fd.offset:,}", fr.opcode_name, int(fr.fin), int(fr.masked),
                  f"{fd.payload_length:,}"]
        cells += [f'<div style="{PAD}">{esc(v)}</div>' for v in values]
        cells += [f'<div style="{PAD}">{bad}</div>',
                  f'<div style="{PAD};overflow-wrap:anywhere">{esc(label)}: {esc(text[:60])}</div>']
    more = (f'<div style="color:{MUTED}">… {len(d.frames) - MAX_ROWS:,} more frames</div>'
            if len(d.frames) > MAX_ROWS else "")
    return _grid("overview", "repeat(7,max-content) minmax(12em,1fr)", cells,
                 f"font-family:{MONO};font-size:12px") + more


def dissection_html(d: Dissection, *, compact: bool = False) -> str:
    """A whole :class:`~wslab.codec.Dissection` as a self-contained HTML card.

    Args:
        compact: leave out field tables and masking steps (see :func:`frame_card`).
    """
    n = len(d.frames)
    head = " · ".join(dissection_summary(d))
    out = [f'<div style="font-weight:700;font-size:15px;margin-bottom:4px">dissection '
           f'<span style="font-weight:400;color:{MUTED};font-size:13px">{esc(head)}</span></div>']
    if d.incomplete is not None and n:  # else the incomplete frame comes right below
        out.append(_truncated(truncated_line(d)))
    if n > 1:
        out += [_h("frames"), _overview(d), _violations(d.violations[:MAX_ROWS], brief=True)]
    out += [_rule() + frame_card(fd, compact=compact) for fd in d.frames[:MAX_FRAMES]]
    if n > MAX_FRAMES:
        out.append(f'<div style="color:{MUTED}">… {n - MAX_FRAMES:,} more frames not shown '
                   f"(look at one with {_mono('dissection.frames[i]')})</div>")
    if d.incomplete is not None:
        out.append(_rule() + _partial_card(d, compact))
    if d.messages:
        items = "".join(f'<div>{i}: {esc(message_line(msg))}</div>'
                        for i, msg in enumerate(d.messages[:MAX_ROWS]))
        out += [_h("messages"), f'<div style="font-family:{MONO};font-size:12px">{items}</div>']
    return _card("".join(out))


def hexdump_html(data: bytes, width: int = 16) -> str:
    """A styled hexdump (offset, hex, ASCII) in a card; long data elided in the middle."""
    data = bytes(data)
    head, gap, tail = hexdump_rows(data, width)
    cells = []
    for k, (offset, row, text) in enumerate(head + tail):
        if gap and k == len(head):
            cells.append(f'<div style="grid-column:2/-1;color:{MUTED};font-style:italic">'
                         f"… {gap:,} bytes elided …</div>")
        cells.append(f'<div style="color:{MUTED};padding-right:8px">{offset:08x}</div>')
        cells += [f'<div data-offset="{offset + j}">{b:02x}</div>' for j, b in enumerate(row)]
        if len(row) < width:
            cells.append(f'<div style="grid-column:span {width - len(row)}"></div>')
        cells.append(f'<div style="padding-left:10px;color:{MUTED};white-space:pre">{esc(text)}'
                     f"</div>")
    return _card(_grid("hexdump", f"max-content repeat({width},2.1em) max-content", cells,
                       f"font-family:{MONO};font-size:12px;text-align:center")
                 + f'<div style="color:{MUTED};font-size:11px">{len(data):,} bytes</div>')
