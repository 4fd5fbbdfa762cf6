"""How frames and dissections look in a notebook: self-contained HTML.

Pure string building (no IPython). Inline styles only: no ``<script>``, no
``<style>`` block (it would leak into the notebook page), no external CSS, fonts
or images. Every card sets its own foreground and background colours, so it reads
the same in JupyterLab's light and dark themes; grids are ``<div>`` elements with
``display:grid`` rather than ``<table>``, which JupyterLab restyles (row stripes in
theme colours, right-aligned padded cells). Everything that comes from the bytes
is escaped.

Each hex cell carries ``data-field`` (the names of the fields it belongs to,
joined by ", ") and ``data-offset`` (its absolute offset); each bit of the
diagram carries ``data-field`` and ``data-bit`` (counted from the frame's first
bit); blocks carry ``data-role`` ("hex", "bits", "fields", "masking",
"violations", "truncated", ...), so tests and curious students can find them.
"""

from __future__ import annotations

import html
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
    elide,
    field_cells,
    fmt_bits,
    fmt_offset,
    frame_title,
    hexdump_rows,
    mask_rows,
    message_line,
    payload_lines,
    printable,
    truncated_line,
)

if TYPE_CHECKING:
    from .dissect import Dissection, FrameDissection
    from .frames import Frame

__all__ = ["colour", "dissection_html", "frame_dissection_html", "frame_html", "hexdump_html"]

FG = "#1f2328"
BG = "#ffffff"
MUTED = "#59636e"
LINE = "#d1d9e0"
RED = "#b42318"
RED_BG = "#fff0ee"
GREEN = "#1a7f37"
MONO = "ui-monospace,Menlo,Consolas,monospace"
SANS = "system-ui,'Segoe UI',Roboto,sans-serif"

# One colour per field, light enough for dark text; the same in hex view, diagram and table.
COLOURS = {
    "FIN": "#ffd8a8", "RSV1": "#e9ecef", "RSV2": "#dde1e5", "RSV3": "#e9ecef",
    "opcode": "#a5d8ff", "MASK": "#d0bfff", "payload length": "#b2f2bb",
    "extended payload length": "#96f2d7", "masking key": "#fcc2d7", "payload": "#fff3bf",
}
OTHER = ["#ffe8cc", "#d3f9d8", "#e5dbff", "#c5f6fa"]
UNKNOWN = "#ced4da"

CARD = (f"background:{BG};color:{FG};border:1px solid {LINE};border-radius:8px;"
        f"padding:10px 12px;margin:6px 0;font-family:{SANS};font-size:13px;line-height:1.4;"
        f"text-align:left;overflow-x:auto")
BOX = "border-radius:6px;padding:4px 10px;margin:6px 0"
ALERT = f"background:{RED_BG};color:{RED};border:1px solid {RED};border-left:5px solid {RED}"
HEAD = f"color:{MUTED};font-weight:600;font-size:11px;border-bottom:1px solid {LINE}"
PAD = "padding:1px 6px"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def colour(name: str) -> str:
    """The colour of the field called ``name`` (the same everywhere)."""
    if name == "?":
        return UNKNOWN
    return COLOURS.get(name, OTHER[sum(map(ord, name)) % len(OTHER)])


def _grid(role: str, columns: str, cells: Iterable[str], style: str = "") -> str:
    return (f'<div data-role="{role}" style="display:grid;grid-template-columns:{columns};'
            f'margin:2px 0 6px 0;{style}">{"".join(cells)}</div>')


def _h(text: str) -> str:
    return (f'<div style="font-weight:600;color:{MUTED};font-size:11px;text-transform:uppercase;'
            f'letter-spacing:.04em;margin:10px 0 3px 0">{_e(text)}</div>')


def _mono(text: str) -> str:
    return f'<span style="font-family:{MONO}">{_e(text)}</span>'


def _violations(violations: Iterable[Violation], *, brief: bool = False) -> str:
    items = "".join(
        f'<div style="margin:2px 0">!! <b>byte {v.offset:,}</b>: {_e(v.message)} '
        f'<span style="font-family:{MONO};font-size:12px">[{_e(v.rule.id)}, {_e(v.rule.rfc)}]'
        f"</span>" + ("" if brief else f'<div style="color:{MUTED};font-size:12px;'
                      f'margin-left:1.5em">rule: {_e(v.rule.text)}</div>') + "</div>"
        for v in violations)
    if not items:
        return ""
    return f'<div data-role="violations" style="{ALERT};{BOX}">{items}</div>'


def _truncated(text: str) -> str:
    return f'<div data-role="truncated" style="{ALERT};{BOX};font-weight:600">!! {_e(text)}</div>'


def _note(text: str) -> str:
    return f'<div style="color:{MUTED};font-size:12px;margin:2px 0">note: {_e(text)}</div>'


def _rule() -> str:
    return f'<div style="border-top:1px solid {LINE};margin:10px 0"></div>'


# -- hex view -----------------------------------------------------------------------------


def _byte_cell(fd: Any, rel: int, marks: set[int]) -> str:
    parts = byte_fields(fd, rel)
    names = field_names(parts)
    if len(parts) > 1:  # bit fields: one colour stripe per bit range
        stops = ",".join(f"{colour(f.name)} {lo * 12.5:g}% {(hi + 1) * 12.5:g}%"
                         for f, lo, hi in parts)
        bg = f"background:linear-gradient(90deg,{stops})"
    else:
        bg = f"background:{colour(parts[0][0].name) if parts else UNKNOWN}"
    bad = rel in marks
    mark = f";outline:2px solid {RED};color:{RED};font-weight:700" if bad else ""
    title = f"byte {fd.offset + rel}: {names}" + (" (rule broken here)" if bad else "")
    return (f'<div data-field="{_e(names)}" data-offset="{fd.offset + rel}" title="{_e(title)}" '
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
                     f'background:{colour(f.name)};border:1px solid {LINE};margin-right:3px">'
                     f'</span>{_e(f.name)} <span style="color:{MUTED}">{_e(where)}</span></span>')
    return f'<div data-role="legend" style="font-size:11px;margin:2px 0">{" ".join(items)}</div>'


# -- bit diagram ----------------------------------------------------------------------------


def _segment_label(s: BitSegment, bad: bool) -> str:
    style = f"grid-column:span {s.width}" + (f";outline:2px solid {RED};color:{RED}" if bad else "")
    if s.name == "payload":
        return (f'<div style="{style};outline:1px dashed {LINE};color:{MUTED};'
                f'font-style:italic">{_e(s.label)}</div>')
    if s.width == 1:
        text = "<br>".join(_e(c) for c in s.name)
    else:
        text = _e(s.label) + (f'<br><span style="font-family:{MONO}">{_e(s.note)}</span>'
                              if s.note else "")
    return f'<div style="{style};background:{colour(s.name)}">{text}</div>'


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
            cells += [f'<div data-field="{_e(s.name)}" data-bit="{s.absbit + j}" '
                      f'style="background:{colour(s.name)}">{bit}</div>'
                      for j, bit in enumerate(s.bits)]
        cells.append("</div><div></div>")
        cells += [_segment_label(s, s.name in violated) for s in segs]
    return _grid("bits", "max-content repeat(32,1.3em)", cells,
                 "gap:1px;text-align:center;font-size:10px;line-height:1.2;align-items:stretch")


# -- field table, masking, payload -----------------------------------------------------------


def _fields(fd: Any) -> str:
    violated = violated_fields(fd)
    cells = [f'<div style="{HEAD};{PAD}">{h}</div>' for h in FIELD_HEADS]
    for f in fd.fields:
        bad = f.name in violated
        tint = f";background:{RED_BG}" if bad else ""
        flag = f'<b style="color:{RED}">!! </b>' if bad else ""
        values = field_cells(fd, f)
        cells.append(f'<div data-field="{_e(f.name)}" style="{PAD}{tint};border-left:6px solid '
                     f'{colour(f.name)};white-space:nowrap;font-family:{SANS}">{flag}{_e(f.name)}'
                     f"</div>")
        cells += [f'<div style="{PAD}{tint};overflow-wrap:anywhere">{_e(v)}</div>'
                  for v in values]
        cells.append(f'<div style="{PAD}{tint};overflow-wrap:anywhere;font-family:{SANS}">'
                     f"{_e(f.meaning)}</div>")
    return _grid("fields", "repeat(4,max-content) repeat(2,minmax(5em,max-content)) "
                 "minmax(22em,1fr)", cells, f"font-size:12px;font-family:{MONO}")


def _masking(fd: FrameDissection) -> str:
    key = fd.frame.masking_key
    if key is None:
        return ""
    steps, more = mask_rows(fd)
    cells = [f'<div style="{HEAD};{PAD}">{h}</div>' for h in MASK_HEADS]
    bits = f'<span style="color:{MUTED}">'
    for i, m, k, u, char in steps:
        cells += [f'<div style="text-align:right">{i}</div>',
                  f'<div data-step="{i}" style="background:{colour("payload")};{PAD}">{m:02x} '
                  f"{bits}{m:08b}</span></div><div>XOR</div>"
                  f'<div style="background:{colour("masking key")};{PAD}">{k:02x} '
                  f"{bits}{k:08b}</span></div><div>=</div>"
                  f"<div><b>{u:02x}</b> {bits}{u:08b}</span></div><div>{_e(char)}</div>"]
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
             f"background:{colour('payload')};color:{FG};padding:4px 8px;border-radius:4px")
    out = []
    for label, text in payload_lines(fd):
        if label in ("text", "as UTF-8", "inflated text", "reason") and text.startswith(("'", '"')):
            head, gap, tail = elide(_text_of(fd, label))
            body = _e(printable(head, newlines=True))
            if gap:
                body += (f'<span style="color:{MUTED};font-style:italic"> … {gap:,} characters '
                         f"elided … </span>{_e(printable(tail, newlines=True))}")
            value = f'<div data-role="payload-text" style="{block}">{body}</div>'
        else:
            value = _mono(text)
        out.append(f'<div style="margin:2px 0"><b>{_e(label)}</b>: {value}</div>')
    if fd.message is not None:
        out.append(f'<div style="margin:2px 0;color:{GREEN}">completes a '
                   f"{_e(message_line(fd.message))}</div>")
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
            f'<div style="font-weight:600;font-size:14px">{_e(frame_title(fd))} {_badge(fd)}'
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
    """A :class:`~wslab.frames.Frame` as a self-contained HTML card (through its dissection)."""
    fd, d, notes = frame_dissection(frame)
    if fd is None:
        return dissection_html(d, compact=compact)
    return frame_dissection_html(fd, notes, compact=compact)


def _overview(d: Dissection) -> str:
    heads = ["#", "offset", "opcode", "FIN", "MASK", "length", "", "payload"]
    cells = [f'<div style="{HEAD};{PAD}">{h}</div>' for h in heads]
    for fd in d.frames[:MAX_ROWS]:
        fr = fd.frame
        bad = f'<b style="color:{RED}">!! {len(fd.violations)}</b>' if fd.violations else ""
        label, text = payload_lines(fd)[0]
        values = [fd.index, f"{fd.offset:,}", fr.opcode_name, int(fr.fin), int(fr.masked),
                  f"{fd.payload_length:,}"]
        cells += [f'<div style="{PAD}">{_e(v)}</div>' for v in values]
        cells += [f'<div style="{PAD}">{bad}</div>',
                  f'<div style="{PAD};overflow-wrap:anywhere">{_e(label)}: {_e(text[:60])}</div>']
    more = (f'<div style="color:{MUTED}">… {len(d.frames) - MAX_ROWS:,} more frames</div>'
            if len(d.frames) > MAX_ROWS else "")
    return _grid("overview", "repeat(7,max-content) minmax(12em,1fr)", cells,
                 f"font-family:{MONO};font-size:12px") + more


def dissection_html(d: Dissection, *, compact: bool = False) -> str:
    """A whole :class:`~wslab.dissect.Dissection` as a self-contained HTML card.

    Args:
        compact: leave out field tables and masking steps (see :func:`frame_card`).
    """
    n = len(d.frames)
    head = " · ".join(dissection_summary(d))
    out = [f'<div style="font-weight:700;font-size:15px;margin-bottom:4px">dissection '
           f'<span style="font-weight:400;color:{MUTED};font-size:13px">{_e(head)}</span></div>']
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
        items = "".join(f'<div>{i}: {_e(message_line(msg))}</div>'
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
        cells.append(f'<div style="padding-left:10px;color:{MUTED};white-space:pre">{_e(text)}'
                     f"</div>")
    return _card(_grid("hexdump", f"max-content repeat({width},2.1em) max-content", cells,
                       f"font-family:{MONO};font-size:12px;text-align:center")
                 + f'<div style="color:{MUTED};font-size:11px">{len(data):,} bytes</div>')
