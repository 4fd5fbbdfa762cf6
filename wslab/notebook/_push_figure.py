"""Experiment 7's figure: delivery latency by transport, and bytes on the wire per event.

Two panels: the latency of every event (creation -> reception, ms, log scale) as a CDF per
transport, p50 and p99 marked; and bars of bytes on the wire per event, client to server
and server to client, next to the event's own JSON (the payload). Colours from
:mod:`wslab.view.theme` (Okabe–Ito: safe for the common colour blindnesses), one per
transport; the two directions differ by hatching as well as by shade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..scenarios import PushRaceResult
from ..view.theme import OKABE_ITO, SERIES_COLOURS
from ._plots import LabFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGSIZE = (10.5, 3.8)  # inches


def push_figure(result: PushRaceResult, *, fig: Figure | None = None) -> Figure:
    """Latency CDFs and bytes per event of each transport of ``result``.

    Args:
        result: what :func:`wslab.scenarios.push_race` returned.
        fig: redraw into this figure (cleared first): a widget keeps one figure.
    """
    import numpy as np

    if fig is None:
        fig = LabFigure(figsize=FIGSIZE, layout="constrained")
    else:
        fig.clear()
    cdf, bars = fig.subplots(1, 2, width_ratios=(1.25, 1))
    runs = list(result.runs.values())
    for k, run in enumerate(runs):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        ms = np.sort(np.asarray(run.latencies, dtype=float) * 1000)
        if not ms.size:
            continue
        ms = np.maximum(ms, 1e-3)
        cdf.step(ms, np.arange(1, ms.size + 1) / ms.size, where="post", color=colour,
                 label=f"{run.label} (p50 {np.percentile(ms, 50):.3g} ms)")
        for p, style in ((50, "-"), (99, ":")):
            cdf.axvline(float(np.percentile(ms, p)), color=colour, ls=style, lw=1)
    cdf.set_xscale("log")
    cdf.set_xlabel("delivery latency: event created → received (ms, log scale)")
    cdf.set_ylabel("fraction of events ≤ x")
    cdf.set_ylim(0, 1.02)
    cdf.set_title("latency CDF; lines: p50 (solid), p99 (dotted)", fontsize=10)
    if any(run.latencies for run in runs):
        cdf.legend(fontsize=8, loc="lower right")
    else:
        cdf.text(0.5, 0.5, "no events", ha="center", transform=cdf.transAxes)

    x = np.arange(len(runs))
    width = 0.38
    for k, run in enumerate(runs):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        c2s, s2c = run.per_event("c2s") or 0.0, run.per_event("s2c") or 0.0
        bars.bar(x[k] - width / 2, c2s, width, color=colour, alpha=0.45, hatch="//",
                 edgecolor=colour, label="client → server" if k == 0 else None)
        bars.bar(x[k] + width / 2, s2c, width, color=colour, edgecolor=colour,
                 label="server → client" if k == 0 else None)
        for dx, value in ((-width / 2, c2s), (width / 2, s2c)):
            bars.text(x[k] + dx, value, f"{value:.0f}", ha="center", va="bottom", fontsize=7)
    payloads = [run.payload_bytes / run.delivered for run in runs if run.delivered]
    if payloads:
        bars.axhline(float(np.mean(payloads)), color=OKABE_ITO["black"], ls="--", lw=1,
                     label="the event itself (JSON)")
    bars.set_xticks(x, [run.label.replace("HTTP ", "").replace("Server-Sent Events", "SSE")
                        for run in runs], fontsize=8)
    bars.set_ylabel("bytes on the wire per event (B)")
    bars.set_xlabel("transport (all connections, HTTP heads included)")
    bars.set_title("bytes per event, each direction", fontsize=10)
    if runs:
        bars.legend(fontsize=8)
    fig.suptitle(f"{result.title}: {result.count} events at {result.rate:g}/s, "
                 f"short polls every {result.poll_interval * 1000:g} ms")
    return fig
