"""Transcripts as text and HTML: one-line summaries, the sequence diagram, the table.

Pure string builders for :class:`~wslab.codec.Transcript` (which calls them from
``str()``, :meth:`~wslab.codec.Transcript.sequence_diagram` and ``_repr_html_()``):
no sockets, no IPython. The figures (matplotlib) are in :mod:`wslab.notebook`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ..codec import Transcript, TranscriptEntry
from ._frames import frame_dissection_html
from ._layout import frame_title
from .theme import KIND_COLOURS, MONO, MUTED, NUMBER, TD, TR, card, table

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


def entry_group(entry: TranscriptEntry) -> str:
    """What an entry is, for its colour: a key of :data:`wslab.view.theme.KIND_COLOURS`.

    The transcript table and the sequence figures colour entries by this group.
    """
    if entry.event is not None and entry.event.kind == "cut":
        return "cut"
    op = entry.opcode_name
    if op in ("ping", "pong"):
        return "ping/pong"
    if op == "close":
        return "close"
    if op is not None:
        return "data"
    return entry.kind if entry.kind in KIND_COLOURS else "bytes"


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
    group = entry_group(e)
    return (f"<tr data-kind='{group}' style='{TR}'>"
            f"<td style='{NUMBER}'>{(e.t - t0) * 1000:.1f}</td>"
            f"<td style='{TD}'>{e.conn_id}</td><td style='{TD}'>{arrow}</td>"
            f"<td style='{TD};border-left:4px solid {KIND_COLOURS[group]}'>{e.kind}</td>"
            f"<td style='{TD};font-family:{MONO}'>{summary}</td></tr>")


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
        rows.insert(head or 0, f"<tr style='{TR}'><td colspan='5' style='{TD};color:{MUTED};"
                    f"font-style:italic'>… {hidden} more entries (all of them: <code>{where}"
                    f".entries</code>, or <code>print({where})</code>)</td></tr>")
    return card(table(("t (ms)", "conn", "direction", "kind", "what"), rows,
                      note="times: when the tap saw the bytes"), "transcript")
