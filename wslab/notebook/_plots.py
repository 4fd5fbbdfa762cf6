"""Figures (matplotlib): sequence diagrams of transcripts and scenarios, round-trip times.

Figures are built with :class:`matplotlib.figure.Figure`, not ``pyplot``: nothing is
registered globally, any backend works (Agg included), and Jupyter shows a returned
figure once. They are :class:`LabFigure` objects, which render themselves as PNG
(``_repr_png_``), so a notebook shows them as images without ``%matplotlib inline``.

NumPy and matplotlib are imported when a figure is drawn, not when this module is: the
notebook layer (display, the codec widgets) then imports where neither exists, as in
Pyodide (JupyterLite).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from ..codec import Transcript, TranscriptEntry
from ..view import clip, entry_group
from ..view.theme import KIND_COLOURS, SERIES_COLOURS

if TYPE_CHECKING:
    import numpy as np
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..scenarios import ScenarioResult

_X = {"c2s": (0.0, 1.0), "s2c": (1.0, 0.0)}
TIME_HEIGHT = 5.5  # inches of diagram for spacing="time" (more only if the rows need it)
MIN_GAP = 0.25  # inches between two rows at least, so that labels never overlap
GAP_SHARE = 0.6  # at most this share of the height goes to MIN_GAPs: the rest shows time
MIN_BINS, MAX_BINS = 5, 40  # histogram bins of rtt_figure


class LabFigure:
    """A matplotlib Figure that Jupyter shows as a PNG image, whatever the backend.

    IPython shows a plain ``Figure`` as an image only once ``pyplot`` (or
    ``%matplotlib inline``) has set up its formatters; otherwise it prints
    ``<Figure size ...>``. This one has ``_repr_png_``, which IPython always uses.

    ``LabFigure(...)`` takes :class:`matplotlib.figure.Figure`'s arguments and returns a
    figure that is both a ``LabFigure`` and a ``Figure``: the class that is both is made
    when the first figure is (so importing this module does not import matplotlib).
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return super().__new__(_figure_class() if cls is LabFigure else cls)

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")  # type: ignore[attr-defined]
        return buffer.getvalue()


@functools.cache
def _figure_class() -> type:
    """``LabFigure`` with matplotlib's ``Figure``: made once, on the first figure."""
    from matplotlib.figure import Figure

    return type("LabFigure", (LabFigure, Figure),
                {"__module__": __name__, "__qualname__": "LabFigure", "__doc__": LabFigure.__doc__})


class _TimeScale:
    """Times (ms) to heights (inches): in proportion to time, rows at least ``gap`` apart.

    The scale is chosen so that everything (rows and the later delivery times) fills
    ``height`` inches (more when there are so many rows that their gaps would take more
    than GAP_SHARE of it). Rows closer than ``gap`` are pushed apart, and what follows
    moves down with them (so the axis lists each row's real time).
    """

    def __init__(self, rows: Sequence[float], ends: Sequence[float], height: float,
                 gap: float) -> None:
        self.rows, self.gap = sorted(rows), gap
        first = self.rows[0] if self.rows else 0.0
        self.last = max([*self.rows, *ends], default=first)
        self.height = max(height, gap * max(len(self.rows) - 1, 0) / GAP_SHARE)
        span = self.last - first
        low, high = 0.0, (self.height / span if span > 0 else 0.0)
        for _ in range(60):  # bisect: the extent grows with the scale
            mid = (low + high) / 2
            low, high = (mid, high) if self._extent(mid) <= self.height else (low, mid)
        self.scale = low
        self.ys = self._layout(low)

    def _layout(self, scale: float) -> list[float]:
        ys: list[float] = []
        for i, t in enumerate(self.rows):
            ys.append(0.0 if i == 0 else ys[-1] + max((t - self.rows[i - 1]) * scale, self.gap))
        return ys

    def _extent(self, scale: float) -> float:
        ys = self._layout(scale)
        return ys[-1] + (self.last - self.rows[-1]) * scale if ys else 0.0

    def __call__(self, t: float) -> float:
        """The height of time ``t`` (ms): linear between rows, ``scale`` beyond them."""
        rows, ys = self.rows, self.ys
        if not rows:
            return 0.0
        if t <= rows[0]:
            return ys[0] - (rows[0] - t) * self.scale
        if t >= rows[-1]:
            return ys[-1] + (t - rows[-1]) * self.scale
        import numpy as np

        return float(np.interp(t, rows, ys))


def sequence_figure(transcript: Transcript, *, ax: Axes | None = None,
                    conn_id: int | None = None, spacing: Literal["even", "time"] = "even",
                    max_entries: int = 60, window: tuple[float, float] | None = None,
                    title: str | None = None) -> Figure:
    """Client and server as two vertical lines, time running down, one arrow per message.

    Args:
        transcript: what to draw.
        ax: draw into these axes (a new figure otherwise).
        conn_id: one connection only (default: the first one recorded).
        spacing: ``"even"``: one row per entry, times written on the left; ``"time"``:
            rows placed by their time (a fixed height; rows closer than a label's height
            are pushed apart, so the axis lists each row's time), and an arrow held by the
            tap slants down to when the tap passed it on. An arrow the tap never
            delivered stops half way (at the tap) with a cross.
        max_entries: draw at most this many entries (the first ones).
        window: only entries seen between these times (ms since the transcript's first
            byte), e.g. ``(0, 50)``.
        title: the title (default: the connection's number).
    Returns:
        the figure.
    """
    from matplotlib.lines import Line2D

    ids = transcript.connection_ids()
    cid = conn_id if conn_id is not None else (ids[0] if ids else None)
    entries = [e for e in transcript.entries if e.conn_id == cid]
    if window is not None:
        entries = [e for e in entries if window[0] <= (e.t - transcript.t0) * 1000 <= window[1]]
    entries = sorted(entries, key=lambda e: e.t)[:max_entries]
    times = [(e.t - transcript.t0) * 1000 for e in entries]
    if spacing == "time":
        ends = [(e.t_forwarded - transcript.t0) * 1000 for e in entries
                if e.t_forwarded is not None]
        place = _TimeScale(times, ends, TIME_HEIGHT, MIN_GAP)
        size = place.height
    else:
        place = None
        size = 0.42 * max(len(entries), 3)
    if ax is None:
        fig: Figure = LabFigure(figsize=(8, 1.5 + size), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    t0 = transcript.t0
    ys = list(place.ys) if place else list(range(len(entries)))  # entries are in time order
    bottom = max(ys, default=0)
    if place is not None:
        bottom = max([bottom] + [place((e.t_forwarded - t0) * 1000) for e in entries
                                 if e.t_forwarded is not None])
    for x, name in ((0.0, "client"), (1.0, "server")):
        ax.plot([x, x], [-0.5 if place is None else 0, bottom + 0.5], color="black", lw=2)
        ax.text(x, 1.0, name, ha="center", va="bottom", fontsize=11, fontweight="bold",
                transform=ax.get_xaxis_transform())
    for e, y in zip(entries, ys, strict=True):
        y1 = place((e.t_forwarded - t0) * 1000) if place and e.t_forwarded is not None else y
        _draw(ax, e, y, y1, even=place is None)
    ax.set_xlim(-0.3, 1.3)
    ax.set_xticks([])
    if place is None:
        for y, ms in zip(ys, times, strict=True):
            ax.text(-0.04, y, f"{ms:.1f} ms", ha="right", va="center", fontsize=8,
                    color="gray")
        ax.set_ylim(bottom + 1, -0.6)
        ax.set_yticks([])
    else:
        ax.set_ylim(bottom + 0.4, -0.4)
        ax.set_yticks(ys, [f"{ms:.1f}" for ms in times], fontsize=8)
        ax.set_ylabel("time (ms, as the tap saw it)")
    for side in ("top", "right", "bottom") + (("left",) if place is None else ()):
        ax.spines[side].set_visible(False)
    used = dict.fromkeys(entry_group(e) for e in entries)
    ax.legend(handles=[Line2D([], [], color=KIND_COLOURS[k], lw=2, label=k) for k in used],
              loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=max(len(used), 1),
              fontsize=8, frameon=False)
    if title is None:
        title = f"connection {cid}" if cid is not None else "nothing recorded"
        title += " (permessage-deflate)" if transcript.deflate.get(cid or 0) else ""
    ax.set_title(title, fontsize=10, pad=20)
    return fig


def _draw(ax: Axes, e: TranscriptEntry, y: float, y1: float, even: bool) -> None:
    """One entry: an arrow from ``y`` (seen by the tap) to ``y1`` (passed on), or a note."""
    colour = KIND_COLOURS[entry_group(e)]
    kind = e.event.kind if e.event is not None else None
    if kind == "cut":
        ax.plot([0, 1], [y, y], color=colour, lw=2, ls=(0, (4, 3)))
        for x in (0, 1):
            ax.plot(x, y, marker="X", color=colour, markersize=10)
        ax.text(0.5, y, "cut: RST both ways, no close frame", ha="center", va="bottom",
                fontsize=8, color=colour)
        return
    if e.direction is None or kind not in (None, "eof", "reset"):
        ax.text(0.5, y, clip(e.summary, 60), ha="center", va="center", fontsize=7,
                color=colour, style="italic",
                bbox={"boxstyle": "round", "fc": "white", "ec": "lightgray"})
        return
    x0, x1 = _X[e.direction]
    lost = e.summary.endswith("(never delivered)")
    if lost:  # it stopped in the tap, half way
        x1, y1 = 0.5, y
        ax.plot(x1, y, marker="x", color=colour, markersize=9, mew=2)
    ax.annotate("", xy=(x1, y1), xytext=(x0, y),
                arrowprops={"arrowstyle": "-" if lost else "-|>", "color": colour, "lw": 1.5,
                            "linestyle": "--" if kind else "-"})
    label = clip(e.summary, 60)
    held = e.held
    if even and held is not None and held >= 0.005:
        label += f" (held {held * 1000:.0f} ms)"
    # at the row where the tap saw it: rows are MIN_GAP apart, so labels never overlap
    ax.text(0.5, y, label, ha="center", va="bottom", fontsize=8, color=colour)


def scenario_figure(result: ScenarioResult, *, spacing: Literal["even", "time"] = "even",
                    ax: Axes | None = None, **kwargs: Any) -> Figure:
    """The sequence figure of a scenario's connection (see :func:`sequence_figure`).

    Args:
        result: what :func:`wslab.scenarios.run` returned.
        spacing, ax, kwargs: as for :func:`sequence_figure` (``conn_id`` defaults to the
            connection the scenario is about).
    """
    kwargs.setdefault("conn_id", result.conn_id)
    kwargs.setdefault("title", f"{result.title}  [{result.name}]")
    return sequence_figure(result.transcript, spacing=spacing, ax=ax, **kwargs)


def _bins(ms: Sequence[float]) -> np.ndarray:
    """Histogram bin edges: numpy's "auto" choice, with MIN_BINS to MAX_BINS bins."""
    import numpy as np

    edges = np.histogram_bin_edges(ms, bins="auto")
    if len(edges) - 1 < MIN_BINS or len(edges) - 1 > MAX_BINS:
        edges = np.histogram_bin_edges(ms, bins=min(max(len(edges) - 1, MIN_BINS), MAX_BINS))
    return edges


Samples = Sequence[float] | Mapping[str, Sequence[float]]


def _series(samples: Samples) -> list[tuple[str | None, list[float]]]:
    """``(label, milliseconds)`` per series: one unlabelled, or one per mapping key."""
    if isinstance(samples, Mapping):
        return [(str(label), [s * 1000 for s in values]) for label, values in samples.items()]
    return [(None, [s * 1000 for s in samples])]


def rtt_figure(samples: Samples, *, ax: Axes | None = None,
               title: str = "round-trip time") -> Figure:
    """Round-trip times (seconds) as a line per series, and their histogram.

    Args:
        samples: RTTs in seconds, e.g. :meth:`Transcript.ping_rtts`; or
            ``{label: samples}`` to overlay labelled series (e.g. ``{"client": ...,
            "tap": ...}``), each with its median, on the same axes and histogram bins.
        ax: draw only the lines into these axes (a new figure with both plots otherwise).
        title: the figure's title.
    """
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    series = _series(samples)
    every = [v for _, ms in series for v in ms]
    hist: Any = None
    if ax is None:
        fig: Figure = LabFigure(figsize=(8, 3), layout="constrained")
        ax, hist = fig.subplots(1, 2, width_ratios=(2, 1))
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    if not every:
        ax.text(0.5, 0.5, "no samples", ha="center", va="center", transform=ax.transAxes)
    edges = _bins(every) if every else None
    for k, (label, ms) in enumerate(series):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        ax.plot(range(1, len(ms) + 1), ms, marker="o", ms=3, color=colour, label=label)
        if ms:
            median = float(np.median(ms))
            name = f"median {median:.2f} ms" if label is None else \
                f"{label}: median {median:.2f} ms"
            ax.axhline(median, color=colour if label is not None else "gray", ls=":",
                       label=name)
        if hist is not None and ms:
            hist.hist(ms, bins=edges, color=colour, edgecolor="white", linewidth=0.8,
                      alpha=0.6 if len(series) > 1 else 1.0, label=label)
    if every:
        handles, labels = ax.get_legend_handles_labels()
        shown = [(h, t) for h, t in zip(handles, labels, strict=True) if "median" in t]
        ax.legend(*zip(*shown, strict=True), fontsize=8)
    ax.set_xlabel("sample")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("RTT (ms)")
    ax.set_title(title, fontsize=10)
    if hist is not None:
        hist.set_xlabel("RTT (ms)")
        hist.set_ylabel("samples")
    return fig
