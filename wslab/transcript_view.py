"""Transcripts as text and HTML: one-line summaries, the sequence diagram, the table.

Pure string builders for :class:`~wslab.transcript.Transcript` (which calls them from
``str()``, :meth:`~wslab.transcript.Transcript.sequence_diagram` and ``_repr_html_()``):
no sockets, no IPython. The figures (matplotlib) are in :mod:`wslab.plots`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .frames import Opcode
from .render_values import frame_title

if TYPE_CHECKING:
    from .dissect import FrameDissection
    from .transcript import Transcript, TranscriptEntry

__all__ = ["DETAIL_BUDGET", "EVENT_TEXT", "HEAD_ROWS", "PREVIEW", "TAIL_ROWS", "clip",
           "entry_label", "event_summary", "frame_summary", "preview", "sequence_diagram",
           "transcript_html"]

PREVIEW = 40  # characters of a payload shown in a summary


# -- one line per entry ---------------------------------------------------------------------


def _quote(text: str) -> str:
    cut = text if len(text) <= PREVIEW else text[:PREVIEW] + "…"
    return json.dumps(cut, ensure_ascii=False)


def preview(data: bytes) -> str:
    """A few bytes shown: as text if printable ASCII, else their count and first bytes in hex."""
    if data and all(0x20 <= b < 0x7F for b in data):
        return repr(data.decode("ascii")) if len(data) <= PREVIEW else \
            repr(data[:PREVIEW].decode("ascii")) + "…"
    shown = data[:12].hex(" ")
    return f"{len(data)} bytes {shown}" + (" …" if len(data) > 12 else "")


def frame_summary(fd: FrameDissection) -> str:
    """One line for a frame, e.g. ``close 1011 'keepalive ping timeout'``."""
    f = fd.frame
    op, name = int(f.opcode), f.opcode_name
    if op == Opcode.CLOSE:
        if fd.close_code is None:
            text = "close (no status code)" if not f.payload else "close (1-byte payload)"
        else:
            text = f"close {fd.close_code}" + (f" {fd.close_reason!r}" if fd.close_reason else "")
    elif op in (Opcode.PING, Opcode.PONG):
        text = f"{name} {preview(f.payload)}" if f.payload else f"{name} (empty)"
    elif fd.text is not None:
        text = f"{name} {_quote(fd.text)}"
    elif op == Opcode.BINARY or (op == Opcode.CONT and f.payload):
        text = f"{name} {preview(f.payload)}"
    else:
        text = f"{name} {len(f.payload)} bytes"
    if f.rsv1 and op in (Opcode.TEXT, Opcode.BINARY):
        text += " (compressed)"
    if not f.fin:
        text += " [FIN=0, more follows]"
    if fd.violations:
        text += " !! " + ", ".join(dict.fromkeys(v.rule.id for v in fd.violations))
    return text


EVENT_TEXT = {
    "eof": "FIN: the {who} is done sending",
    "reset": "RST from the {who}: connection reset",
    "cut": "✂ cut by the tap: RST both ways, no close frame",
    "truncated": "recording truncated (traffic went on): {detail}",
    "open": "TCP open: {detail}",
    "closed": "TCP closed: {detail}",
    "fault": "tap: {detail}",
    "dropped": "{detail}",
    "connect-failed": "the tap could not reach the server: {detail}",
}


def event_summary(kind: str, who: str, detail: str) -> str:
    """One line for a TCP event of the tap; ``who`` is the sender concerned ("client"...)."""
    return EVENT_TEXT.get(kind, kind + ": {detail}").format(who=who, detail=detail)


# -- the sequence diagram and the table ------------------------------------------------------




def sequence_diagram(transcript: Transcript, width: int = 80) -> str:
    """Client and server as two columns, time running down (ms since the first byte).

    Args:
        transcript: what to draw.
        width: characters per row (at least 48).
    """
    width = max(width, 48)
    inner = width - 12
    out: list[str] = []
    for cid in transcript.connection_ids():
        if out:
            out.append("")
        out.append(f"connection {cid}" + (" (permessage-deflate)"
                                          if transcript.deflate.get(cid) else ""))
        out.append(f"{'t (ms)':>9}  client" + " " * max(1, inner - 10) + "server")
        for e in transcript.entries:
            if e.conn_id == cid:
                out.append(f"{(e.t - transcript.t0) * 1000:>9.1f} │{_row(e, inner)}│")
    return "\n".join(out) if out else "(nothing recorded)"


def clip(text: str, room: int) -> str:
    """``text`` cut to ``room`` characters, ending in "…" if it was cut."""
    return text if len(text) <= room else text[: max(room - 1, 0)] + "…"


def entry_label(e: TranscriptEntry) -> str:
    """The entry's summary, with how long the tap held it (if 5 ms or more)."""
    held = e.held
    return e.summary + (f" (held {held * 1000:.0f} ms)" if held is not None and held >= 0.005
                        else "")


def _row(e: TranscriptEntry, width: int) -> str:
    """The inside of one diagram row: an arrow, a cut, or a note."""
    kind = e.event.kind if e.event is not None else None
    if kind == "cut":
        text = f" {clip(e.summary.removeprefix('✂ '), width - 8)} "
        fill = width - 2 - len(text)
        return "✂" + "┄" * (fill // 2) + text + "┄" * (fill - fill // 2) + "✂"
    if e.direction is None or kind not in (None, "eof", "reset"):
        return f"[{clip(e.summary, width - 2)}]".center(width)
    line = "╌" if kind else "─"
    text = f" {clip(entry_label(e), width - 6)} "
    fill = width - 1 - len(text)
    body = line * (fill // 2) + text + line * (fill - fill // 2)
    return body + "▶" if e.direction == "c2s" else "◀" + body


_CELL = "padding:1px 6px;vertical-align:top;text-align:left"
_NUMBER = "padding:1px 6px;vertical-align:top;text-align:right"
_ROW = "<tr style='border-bottom:1px solid #eee'>"
_COLOURS = {"http": "#555", "frame": "#1f77b4", "tcp": "#8c564b", "tls": "#9467bd",
            "bytes": "#7f7f7f"}
HEAD_ROWS, TAIL_ROWS = 40, 10  # rows a compact transcript shows: the first and the last ones
DETAIL_BUDGET = 50_000  # characters of unfolding dissections in a compact transcript
_LIGHT_HEX = 48  # bytes of a frame shown in hex when its dissection is left out


def _detail_order(entries: Sequence[TranscriptEntry]) -> list[int]:
    """Indexes of ``entries`` by how much their dissection teaches, most first.

    Frames breaking a rule, then close frames, then the first frame of each opcode and
    direction, then HTTP messages; the rest (the 2nd to 10th ping...) last, in time order.
    """
    seen: set[tuple[str | None, str | None]] = set()
    ranks = []
    for i, e in enumerate(entries):
        fd = e.frame_dissection
        if fd is not None and fd.violations:
            rank = 0
        elif e.opcode_name == "close":
            rank = 1
        elif fd is not None and (e.direction, e.opcode_name) not in seen:
            rank = 2
        elif e.http is not None:
            rank = 3
        else:
            rank = 4
        if fd is not None:
            seen.add((e.direction, e.opcode_name))
        ranks.append((rank, i))
    return [i for _, i in sorted(ranks)]


def _light_detail(e: TranscriptEntry, index: int, name: str) -> str:
    """What unfolds when the full dissection was left out: the bytes, and how to see more."""
    fd = e.frame_dissection
    if fd is not None:
        raw = bytes(fd.raw)
        shown = raw[:_LIGHT_HEX].hex(" ") + (f" … ({len(raw):,} bytes)" if len(raw) > _LIGHT_HEX
                                              else "")
        head = f"{frame_title(fd)}\n{shown}"
    elif e.http is not None:
        head = clip(bytes(e.http.data).decode("latin-1"), 600)
    else:
        return ""
    note = f"(full dissection, left out here: {name}.entries[{index}])"
    return f"<pre style='margin:2px 0'>{html.escape(head)}\n{html.escape(note)}</pre>"


def _full_detail(e: TranscriptEntry, compact: bool) -> str:
    from .render import frame_dissection_html

    if e.frame_dissection is not None:
        return frame_dissection_html(e.frame_dissection, compact=compact)
    if e.http is not None:
        return e.http._repr_html_()
    return ""


def _details(entries: Sequence[TranscriptEntry], shown: Sequence[int], compact: bool,
             budget: int | None, name: str) -> dict[int, str]:
    """The HTML each shown entry unfolds to: full dissections while ``budget`` lasts."""
    out: dict[int, str] = {}
    left = budget
    for i in _detail_order([entries[i] for i in shown]):
        index = shown[i]
        full = _full_detail(entries[index], compact)
        if left is None or len(full) <= left:
            out[index] = full
            left = None if left is None else left - len(full)
        else:
            out[index] = _light_detail(entries[index], index, name)
    return out


def _html_row(e: TranscriptEntry, t0: float, detail: str) -> str:
    arrow = {"c2s": "client → server", "s2c": "client ← server"}.get(e.direction or "", "")
    summary = html.escape(entry_label(e))
    if detail:
        summary = (f"<details><summary style='cursor:pointer'>{summary}</summary>"
                   f"{detail}</details>")
    colour = _COLOURS.get(e.kind, "#000")
    return (f"{_ROW}<td style='{_NUMBER}'>{(e.t - t0) * 1000:.1f}</td>"
            f"<td style='{_CELL}'>{e.conn_id}</td><td style='{_CELL}'>{arrow}</td>"
            f"<td style='{_CELL};color:{colour}'>{e.kind}</td>"
            f"<td style='{_CELL};font-family:monospace'>{summary}</td></tr>")


def transcript_html(transcript: Transcript, *, compact: bool = False, head: int | None = None,
                    tail: int = 0, budget: int | None = None,
                    name: str = "transcript") -> str:
    """A transcript as a self-contained HTML table; each frame or HTTP message unfolds.

    Args:
        transcript: what to show.
        compact: frames unfold to the compact dissection card (no field table, no
            masking steps) instead of the full one.
        head, tail: show only the first ``head`` and the last ``tail`` entries, with a row
            saying how many are left out between them (``head`` ``None``: every entry).
        budget: at most this many characters of unfolding dissections (``None``: no
            limit). The most telling entries get theirs first (broken frames, close
            frames, the first frame of each kind, the handshake); the others unfold to
            their bytes in hex, and say where the full dissection is.
        name: how the notes refer to the transcript (``"result.transcript"``).
    """
    entries = transcript.entries
    shown = list(range(len(entries)))
    hidden = 0
    if head is not None and len(entries) > head + tail:
        hidden = len(entries) - head - tail
        shown = shown[:head] + (shown[len(entries) - tail:] if tail else [])
    details = _details(entries, shown, compact, budget, name)
    rows = [_html_row(entries[i], transcript.t0, details[i]) for i in shown]
    if hidden:
        where = html.escape(name)
        rows.insert(head or 0, f"{_ROW}<td colspan='5' style='{_CELL};color:#888;"
                    f"font-style:italic'>… {hidden} more entries (all of them: <code>{where}"
                    f".entries</code>, or <code>print({where})</code>)</td></tr>")
    heads = "".join(f"<th style='{_CELL}'>{h}</th>"
                    for h in ("t (ms)", "conn", "direction", "kind", "what"))
    return ("<div class='wslab' style='font-family:sans-serif;font-size:13px'>"
            f"<table style='border-collapse:collapse'><tr>{heads}</tr>{''.join(rows)}</table>"
            "<div style='color:#888;font-size:11px'>times: when the tap saw the bytes</div>"
            "</div>")
