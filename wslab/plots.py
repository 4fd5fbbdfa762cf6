"""Figures (matplotlib): sequence diagrams of transcripts, round-trip times.

Figures are built with :class:`matplotlib.figure.Figure`, not ``pyplot``: nothing is
registered globally, any backend works (Agg included), and Jupyter shows a returned
figure once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .transcript import Transcript, TranscriptEntry

__all__ = ["COLOURS", "entry_colour", "rtt_figure", "sequence_figure"]

COLOURS = {
    "data": "tab:blue",  # text, binary, continuation
    "ping/pong": "tab:green",
    "close": "tab:red",
    "http": "dimgray",
    "tls": "tab:purple",
    "tcp": "tab:brown",
    "cut": "crimson",
    "bytes": "tab:olive",
}
_X = {"c2s": (0.0, 1.0), "s2c": (1.0, 0.0)}


def entry_colour(entry: TranscriptEntry) -> str:
    """The legend group of ``entry``'s colour (a key of :data:`COLOURS`)."""
    if entry.event is not None and entry.event.kind == "cut":
        return "cut"
    op = entry.opcode_name
    if op in ("ping", "pong"):
        return "ping/pong"
    if op == "close":
        return "close"
    if op is not None:
        return "data"
    return entry.kind if entry.kind in COLOURS else "bytes"


def _clip(text: str, room: int) -> str:
    return text if len(text) <= room else text[: room - 1] + "…"


def sequence_figure(transcript: Transcript, *, ax: Axes | None = None,
                    conn_id: int | None = None, spacing: Literal["even", "time"] = "even",
                    max_entries: int = 60) -> Figure:
    """Client and server as two vertical lines, time running down, one arrow per message.

    Args:
        transcript: what to draw.
        ax: draw into these axes (a new figure otherwise).
        conn_id: one connection only (default: the first one recorded).
        spacing: ``"even"``: one row per entry, times written on the left; ``"time"``:
            rows placed at their time (ms), and an arrow held by the tap slants down to
            when the tap passed it on. An arrow the tap never delivered stops half way
            (at the tap) with a cross.
        max_entries: draw at most this many entries (the first ones).
    Returns:
        the figure.
    """
    ids = transcript.connection_ids()
    cid = conn_id if conn_id is not None else (ids[0] if ids else None)
    entries = [e for e in transcript.entries if e.conn_id == cid][:max_entries]
    if ax is None:
        fig = Figure(figsize=(8, 1.5 + 0.42 * max(len(entries), 3)), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    times = [(e.t - transcript.t0) * 1000 for e in entries]
    ys = times if spacing == "time" else list(range(len(entries)))
    bottom = max(ys, default=0)
    for e in entries:
        if spacing == "time" and e.t_forwarded is not None:
            bottom = max(bottom, (e.t_forwarded - transcript.t0) * 1000)
    for x, name in ((0.0, "client"), (1.0, "server")):
        ax.plot([x, x], [-0.5 if spacing == "even" else 0, bottom + 0.5], color="black", lw=2)
        ax.text(x, 1.0, name, ha="center", va="bottom", fontsize=11, fontweight="bold",
                transform=ax.get_xaxis_transform())
    for e, y, ms in zip(entries, ys, times, strict=True):
        _draw(ax, e, y, transcript.t0, spacing)
        if spacing == "even":
            ax.text(-0.04, y, f"{ms:.1f} ms", ha="right", va="center", fontsize=8,
                    color="gray")
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylim(bottom + 1 if spacing == "even" else bottom * 1.05 + 1, -0.6 if
                spacing == "even" else -bottom * 0.05 - 1)
    ax.set_xticks([])
    if spacing == "even":
        ax.set_yticks([])
    else:
        ax.set_ylabel("time (ms, as the tap saw it)")
    for side in ("top", "right", "bottom") + (("left",) if spacing == "even" else ()):
        ax.spines[side].set_visible(False)
    used = dict.fromkeys(entry_colour(e) for e in entries)
    ax.legend(handles=[Line2D([], [], color=COLOURS[k], lw=2, label=k) for k in used],
              loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=max(len(used), 1),
              fontsize=8, frameon=False)
    title = f"connection {cid}" if cid is not None else "nothing recorded"
    ax.set_title(title + (" (permessage-deflate)" if transcript.deflate.get(cid or 0) else ""),
                 fontsize=10, pad=20)
    return fig


def _draw(ax: Axes, e: TranscriptEntry, y: float, t0: float, spacing: str) -> None:
    colour = COLOURS[entry_colour(e)]
    kind = e.event.kind if e.event is not None else None
    if kind == "cut":
        ax.plot([0, 1], [y, y], color=colour, lw=2, ls=(0, (4, 3)))
        for x in (0, 1):
            ax.plot(x, y, marker="X", color=colour, markersize=10)
        ax.text(0.5, y, "cut: RST both ways, no close frame", ha="center", va="bottom",
                fontsize=8, color=colour)
        return
    if e.direction is None or kind not in (None, "eof", "reset"):
        ax.text(0.5, y, _clip(e.summary, 60), ha="center", va="center", fontsize=7,
                color=colour, style="italic",
                bbox={"boxstyle": "round", "fc": "white", "ec": "lightgray"})
        return
    x0, x1 = _X[e.direction]
    y1 = y
    if spacing == "time" and e.t_forwarded is not None:
        y1 = (e.t_forwarded - t0) * 1000
    lost = e.summary.endswith("(never delivered)")
    if lost:  # it stopped in the tap, half way
        x1 = 0.5
        ax.plot(x1, y, marker="x", color=colour, markersize=9, mew=2)
    ax.annotate("", xy=(x1, y1), xytext=(x0, y),
                arrowprops={"arrowstyle": "-" if lost else "-|>", "color": colour, "lw": 1.5,
                            "linestyle": "--" if kind else "-"})
    label = _clip(e.summary, 60)
    held = e.held
    if spacing == "even" and held is not None and held >= 0.005:
        label += f" (held {held * 1000:.0f} ms)"
    ax.text(0.5, (y + y1) / 2, label, ha="center", va="bottom", fontsize=8, color=colour)


def rtt_figure(samples: Sequence[float], *, ax: Axes | None = None,
               title: str = "round-trip time") -> Figure:
    """Round-trip times (seconds) as a line per sample, and their histogram.

    Args:
        samples: RTTs in seconds, e.g. :meth:`Transcript.ping_rtts`.
        ax: draw only the line into these axes (a new figure with both plots otherwise).
        title: the figure's title.
    """
    ms = [s * 1000 for s in samples]
    hist: Any = None
    if ax is None:
        fig = Figure(figsize=(8, 3), layout="constrained")
        ax, hist = fig.subplots(1, 2, width_ratios=(2, 1))
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    if not ms:
        ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
    ax.plot(range(1, len(ms) + 1), ms, marker="o", ms=3, color="tab:blue")
    if ms:
        median = sorted(ms)[len(ms) // 2]
        ax.axhline(median, color="gray", ls=":", label=f"median {median:.2f} ms")
        ax.legend(fontsize=8)
    ax.set_xlabel("sample")
    ax.set_ylabel("RTT (ms)")
    ax.set_title(title, fontsize=10)
    if hist is not None:
        hist.hist(ms, bins=min(max(len(ms) // 3, 1), 30), color="tab:blue")
        hist.set_xlabel("RTT (ms)")
        hist.set_ylabel("samples")
    return fig
