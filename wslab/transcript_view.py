"""Transcripts as text and HTML: one-line summaries, the sequence diagram, the table.

Pure string builders for :class:`~wslab.transcript.Transcript` (which calls them from
``str()``, :meth:`~wslab.transcript.Transcript.sequence_diagram` and ``_repr_html_()``):
no sockets, no IPython. The figures (matplotlib) are in :mod:`wslab.plots`.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING

from .frames import Opcode

if TYPE_CHECKING:
    from .dissect import FrameDissection
    from .transcript import Transcript, TranscriptEntry

__all__ = ["EVENT_TEXT", "PREVIEW", "clip", "entry_label", "event_summary", "frame_summary",
           "preview", "sequence_diagram", "transcript_html"]

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


_CELL = "padding:2px 8px;border-bottom:1px solid #eee;vertical-align:top;text-align:left"
_COLOURS = {"http": "#555", "frame": "#1f77b4", "tcp": "#8c564b", "tls": "#9467bd",
            "bytes": "#7f7f7f"}


def transcript_html(transcript: Transcript) -> str:
    """A transcript as a self-contained HTML table; each frame or HTTP message unfolds."""
    from .render import frame_dissection_html

    rows = []
    for e in transcript.entries:
        arrow = {"c2s": "client → server", "s2c": "client ← server"}.get(e.direction or "", "")
        summary = html.escape(entry_label(e))
        detail = ""
        if e.frame_dissection is not None:
            detail = frame_dissection_html(e.frame_dissection)
        elif e.http is not None:
            detail = e.http._repr_html_()
        if detail:
            summary = (f"<details><summary style='cursor:pointer'>{summary}</summary>"
                       f"{detail}</details>")
        colour = _COLOURS.get(e.kind, "#000")
        rows.append(f"<tr><td style='{_CELL};text-align:right'>"
                    f"{(e.t - transcript.t0) * 1000:.1f}</td>"
                    f"<td style='{_CELL}'>{e.conn_id}</td><td style='{_CELL}'>{arrow}</td>"
                    f"<td style='{_CELL};color:{colour}'>{e.kind}</td>"
                    f"<td style='{_CELL};font-family:monospace'>{summary}</td></tr>")
    head = "".join(f"<th style='{_CELL}'>{h}</th>"
                   for h in ("t (ms)", "conn", "direction", "kind", "what"))
    return ("<div class='wslab' style='font-family:sans-serif;font-size:13px'>"
            f"<table style='border-collapse:collapse'><tr>{head}</tr>{''.join(rows)}</table>"
            "<div style='color:#888;font-size:11px'>times: when the tap saw the bytes</div>"
            "</div>")
