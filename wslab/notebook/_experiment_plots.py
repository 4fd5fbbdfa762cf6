"""Figures of the timing experiments: distributions, sweeps, timelines (matplotlib).

One function per experiment result of :mod:`wslab.scenarios`, and :func:`plot`, which
picks the right one. Every figure has a title, axis labels with units and the
colour-blind-safe palette of :mod:`wslab.view.theme`. Pass ``fig=`` to redraw into an
existing figure (it is cleared first): a widget keeps one figure and updates it in place.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..scenarios import (
    Backpressure,
    Compression,
    HeadOfLine,
    KeepaliveSweep,
    PingRtts,
    SizeSweep,
)
from ..view.theme import KIND_COLOURS, SERIES_COLOURS
from ._plots import LabFigure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PERCENTILE_STYLES = {50: "-", 90: "--", 99: ":"}  # how p50/p90/p99 are marked


def _figure(fig: Figure | None, size: tuple[float, float]) -> Figure:
    if fig is None:
        return LabFigure(figsize=size, layout="constrained")
    fig.clear()
    return fig


def _colour(k: int) -> str:
    return SERIES_COLOURS[k % len(SERIES_COLOURS)]


def distribution_figure(series: dict[str, Sequence[float]], *, title: str,
                        fig: Figure | None = None) -> Figure:
    """Histograms (log-spaced bins) and CDFs of durations in seconds, p50/p90/p99 marked.

    Args:
        series: ``{label: samples in seconds}``; empty series are left out.
        title: the figure's title.
        fig: redraw into this figure.
    """
    import numpy as np

    fig = _figure(fig, (10, 3.6))
    hist, cdf = fig.subplots(1, 2)
    shown = {k: np.asarray(v, dtype=float) * 1000 for k, v in series.items() if len(v)}
    every = np.concatenate(list(shown.values())) if shown else np.array([])
    if every.size:
        low, high = max(every.min(), 1e-3), max(every.max(), 2e-3)
        edges = np.geomspace(low, high * 1.0001, 40)
    for k, (label, ms) in enumerate(shown.items()):
        colour = _colour(k)
        hist.hist(ms, bins=edges, color=colour, alpha=0.55, label=label)
        xs = np.sort(ms)
        cdf.step(xs, np.arange(1, len(xs) + 1) / len(xs), where="post", color=colour,
                 label=label)
        for p, style in PERCENTILE_STYLES.items():
            value = float(np.percentile(ms, p))
            cdf.axvline(value, color=colour, ls=style, lw=1)
    if not shown:
        hist.text(0.5, 0.5, "no samples", ha="center", transform=hist.transAxes)
    for ax in (hist, cdf):
        ax.set_xscale("log")
        ax.set_xlabel("round trip (ms, log scale)")
    hist.set_ylabel("samples")
    cdf.set_ylabel("fraction of samples ≤ x")
    cdf.set_ylim(0, 1.02)
    hist.set_title("histogram", fontsize=10)
    cdf.set_title("CDF; lines: p50 (solid), p90 (dashed), p99 (dotted)", fontsize=10)
    if shown:
        hist.legend(fontsize=8)
    fig.suptitle(title)
    return fig


def ping_figure(result: PingRtts, *, fig: Figure | None = None) -> Figure:
    """Experiment 1: the ping round trips from each vantage point (histogram + CDF)."""
    return distribution_figure(dict(result.series), title=result.title + (
        f", tap delay {result.delay * 1000:g} ms" if result.delay else ""), fig=fig)


def sweep_figure(results: SizeSweep | Sequence[SizeSweep], *,
                 fig: Figure | None = None) -> Figure:
    """Experiment 2: median echo round trip and throughput by size, log–log, per configuration.

    The bars around each median span p10 to p90 of its samples.
    """
    import numpy as np

    runs = [results] if isinstance(results, SizeSweep) else list(results)
    fig = _figure(fig, (10, 3.6))
    rtt_ax, mb_ax = fig.subplots(1, 2)
    for k, run in enumerate(runs):
        sizes = [s for s in run.rtts if run.rtts[s]]
        if not sizes:
            continue
        ms = [np.asarray(run.rtts[s]) * 1000 for s in sizes]
        med = np.array([np.median(m) for m in ms])
        low = med - np.array([np.percentile(m, 10) for m in ms])
        high = np.array([np.percentile(m, 90) for m in ms]) - med
        rtt_ax.errorbar(sizes, med, yerr=[low, high], marker="o", ms=4, capsize=2,
                        color=_colour(k), label=run.label)
        mb_ax.plot(sizes, [s / (m / 1000) / 1e6 for s, m in zip(sizes, med, strict=True)],
                   marker="o", ms=4, color=_colour(k), label=run.label)
    for ax in (rtt_ax, mb_ax):
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("message size (bytes, log scale)")
        ax.grid(True, which="major", alpha=0.3)
        if runs:
            ax.legend(fontsize=8)
    rtt_ax.set_ylabel("echo round trip (ms, median)")
    mb_ax.set_ylabel("throughput (MB/s = size / round trip)")
    rtt_ax.set_title("latency", fontsize=10)
    mb_ax.set_title("throughput", fontsize=10)
    fig.suptitle("Echo round trip and throughput by message size (log–log)")
    return fig


def head_of_line_figure(result: HeadOfLine, *, fig: Figure | None = None) -> Figure:
    """Experiment 3: each ping's round trip by when it was sent, one frame vs fragments."""
    import numpy as np

    fig = _figure(fig, (10, 3.6))
    ax = fig.subplots()
    for k, (mode, pings) in enumerate(result.pings.items()):
        colour = _colour(k)
        if pings:
            sent, rtt = zip(*pings, strict=True)
            ax.plot(np.asarray(sent) * 1000, np.asarray(rtt) * 1000, marker="o", ms=4,
                    color=colour, label=f"{result.size:,} B as {mode}")
        end = result.send_seconds.get(mode)
        if end is not None:
            ax.axvline(end * 1000, color=colour, ls="--", lw=1,
                       label=f"{mode}: send() returned")
    if result.idle:
        ax.axhline(float(np.median(result.idle)) * 1000, color=KIND_COLOURS["http"], ls=":",
                   label="idle ping (median)")
    ax.set_yscale("log")
    ax.set_xlabel("ping sent at (ms since the large send began)")
    ax.set_ylabel("ping round trip (ms, log scale)")
    ax.legend(fontsize=8)
    fig.suptitle(result.title + " (RFC 6455 §5.4: control frames between frames only)")
    return fig


def backpressure_figure(result: Backpressure, *, fig: Figure | None = None) -> Figure:
    """Experiment 4: the buffers over time, and messages sent and read."""
    import numpy as np

    fig = _figure(fig, (10, 4))
    buffers, counts = fig.subplots(1, 2)
    if result.samples:
        t = np.array([s.t for s in result.samples]) * 1000
        buffers.plot(t, [s.server_buffer / 1024 for s in result.samples], color=_colour(0),
                     label="server write buffer")
        buffers.plot(t, [s.tap_held / 1024 for s in result.samples], color=_colour(1),
                     label="held by the tap")
        counts.plot(t, [s.sent for s in result.samples], color=_colour(0),
                    label="send() returned (server)")
        counts.plot(t, [s.received for s in result.samples], color=_colour(2),
                    label="recv() returned (client)")
    buffers.axhline(result.write_limit / 1024, color=_colour(0), ls=":", lw=1,
                    label="write_limit")
    buffers.axhline(result.tap_buffer / 1024, color=_colour(1), ls=":", lw=1,
                    label="tap max_buffer")
    for ax in (buffers, counts):
        ax.axvspan(0, result.stall * 1000, color=KIND_COLOURS["http"], alpha=0.12,
                   label="tap stalled s2c")
        if result.close_at is not None:
            ax.axvline(result.close_at * 1000, color=KIND_COLOURS["close"], lw=1.5,
                       label=f"server sent {result.server_close[0] if result.server_close else ''}")
        ax.set_xlabel("time since the flood began (ms)")
        ax.legend(fontsize=7)
    buffers.set_ylabel("bytes buffered (KiB)")
    counts.set_ylabel("messages")
    fig.suptitle(result.title)
    return fig


def keepalive_sweep_figure(result: KeepaliveSweep, *, fig: Figure | None = None) -> Figure:
    """Experiment 5: when the server sent 1011, predicted and measured, by injected delay."""
    import numpy as np

    fig = _figure(fig, (8, 3.8))
    ax = fig.subplots()
    delays = [r.prediction.delay * 1000 for r in result.runs]
    predicted = [np.nan if r.prediction.close_at is None else r.prediction.close_at * 1000
                 for r in result.runs]
    measured = [np.nan if r.measurement.timeout_at is None else r.measurement.timeout_at * 1000
                for r in result.runs]
    ax.plot(delays, predicted, marker="o", ms=7, mfc="none", color=_colour(0),
            label="1011 predicted at")
    ax.plot(delays, measured, marker="x", ms=7, ls="", color=_colour(4),
            label="1011 measured at")
    stayed = [d for d, r in zip(delays, result.runs, strict=True) if not r.measurement.timed_out]
    if stayed:
        ax.plot(stayed, [0] * len(stayed), marker="s", ls="", color=_colour(2),
                label="stayed open (measured)")
    ax.axvline(result.threshold * 1000, color=KIND_COLOURS["close"], ls="--", lw=1,
               label=f"ping_timeout = {result.ping_timeout * 1000:g} ms")
    ax.set_xlabel("injected delay, server to client (ms)")
    ax.set_ylabel("time of the 1011 (ms since open)")
    ax.legend(fontsize=8)
    fig.suptitle(f"{result.title} (ping_interval {result.ping_interval * 1000:g} ms)")
    return fig


def compression_figure(result: Compression, *, fig: Figure | None = None) -> Figure:
    """Experiment 6: bytes on the wire over message bytes, and CPU per send, by setting."""
    import numpy as np

    fig = _figure(fig, (10, 3.8))
    ratio_ax, cpu_ax = fig.subplots(1, 2)
    settings = list(dict.fromkeys(r.setting for r in result.rows))
    payloads = list(dict.fromkeys(r.payload for r in result.rows))
    width = 0.8 / max(len(payloads), 1)
    for k, payload in enumerate(payloads):
        rows = {r.setting: r for r in result.rows if r.payload == payload}
        xs = np.arange(len(settings)) + k * width
        ratio_ax.bar(xs, [rows[s].ratio if s in rows else 0 for s in settings], width,
                     color=_colour(k), label=payload)
        cpu_ax.bar(xs, [rows[s].cpu_us if s in rows else 0 for s in settings], width,
                   color=_colour(k), label=payload)
    for ax in (ratio_ax, cpu_ax):
        ax.set_xticks(np.arange(len(settings)) + width * (len(payloads) - 1) / 2,
                      [s.replace(" (", "\n(") for s in settings], fontsize=7)
        ax.legend(fontsize=8)
        ax.set_xlabel("setting (categories: no unit)")
    ratio_ax.axhline(1.0, color=KIND_COLOURS["http"], ls=":", lw=1)
    ratio_ax.set_ylabel("bytes on the wire / message bytes")
    cpu_ax.set_ylabel("client CPU per send() (µs)")
    ratio_ax.set_title("size on the wire (the tap's count)", fontsize=10)
    cpu_ax.set_title("cost of compressing", fontsize=10)
    fig.suptitle(result.title + " (RFC 7692)")
    return fig


@functools.singledispatch
def plot(result: Any, *, fig: Figure | None = None) -> Figure:
    """The figure of an experiment's result (any of :mod:`wslab.scenarios`' experiments).

    Raises:
        TypeError: not an experiment result.
    """
    raise TypeError(f"no figure for {type(result).__name__}")


for _type, _draw in ((PingRtts, ping_figure), (SizeSweep, sweep_figure),
                     (HeadOfLine, head_of_line_figure), (Backpressure, backpressure_figure),
                     (KeepaliveSweep, keepalive_sweep_figure),
                     (Compression, compression_figure)):
    plot.register(_type, _draw)
del _type, _draw


@plot.register(list)
def _plot_list(result: list, *, fig: Figure | None = None) -> Figure:  # type: ignore[type-arg]
    if result and all(isinstance(r, SizeSweep) for r in result):
        return sweep_figure(result, fig=fig)
    raise TypeError("a list of results plots only when all are SizeSweep")


_LANES = {"server": 1.0, "client": 0.0, "tap": 0.5}
_MARKS = {"ping": ("o", 2), "pong": ("s", 1), "close": ("X", 4)}  # marker, colour index


def _lane_events(ax: Any, events: list[tuple[float, str, str]], title: str) -> None:
    """Draw ``(t seconds, side, event)`` as markers on a server and a client lane."""
    for y in (1.0, 0.0):
        ax.axhline(y, color=KIND_COLOURS["http"], lw=0.8)
    seen = set()
    for t, side, event in events:
        word = next((w for w in _MARKS if event.startswith(w + " ")), None)
        if word is None:
            continue
        marker, k = _MARKS[word]
        label = event if event not in seen else None
        seen.add(event)
        ax.plot(t * 1000, _LANES.get(side, 0.5), marker=marker, ms=9, ls="",
                color=_colour(k) if word != "close" else KIND_COLOURS["close"],
                mfc="none" if "received" in event or "delivered" in event else None,
                label=label)
    ax.set_yticks([0.0, 1.0], ["client", "server"])
    ax.set_ylim(-0.5, 1.5)
    ax.set_xlabel("time since the connection opened (ms)")
    ax.set_title(title, fontsize=10)
    if seen:
        ax.legend(fontsize=7, loc="center right")


def keepalive_figure(prediction: Any, timeline: Sequence[Any] | None = None, *,
                     fig: Figure | None = None) -> Figure:
    """A keepalive prediction's timeline, and the measured one beside it (same time axis).

    Args:
        prediction: a :class:`~wslab.scenarios.KeepalivePrediction`.
        timeline: the measured :class:`~wslab.scenarios.TimelineEvent` list (``None``: not
            measured yet; the right panel says so).
        fig: redraw into this figure.
    """
    fig = _figure(fig, (10, 3))
    left, right = fig.subplots(1, 2, sharex=True)
    p = prediction
    predicted = [(t, "server", "ping sent") for t in p.pings] + \
                [(t, "server", "pong received") for t in p.pongs]
    if p.close_at is not None:
        predicted.append((p.close_at, "server", "close sent"))
    if p.client_sees_close_at is not None:
        predicted.append((p.client_sees_close_at, "client", "close delivered"))
    _lane_events(left, predicted, f"predicted: {'1011' if p.times_out else 'stays open'}")
    if timeline is None:
        right.text(0.5, 0.5, "not measured yet: press run", ha="center", va="center",
                   transform=right.transAxes)
        right.set_xlabel("time since the connection opened (ms)")
        right.set_yticks([])
        right.set_title("measured", fontsize=10)
    else:
        measured = [(te.t, te.side, te.event) for te in timeline
                    if te.side in ("server", "client")]
        timed_out = any(te.close and te.close[0] == 1011 and te.side == "server"
                        for te in timeline)
        _lane_events(right, measured, f"measured: {'1011' if timed_out else 'stayed open'}")
    fig.suptitle(f"Keepalive: ping_interval {p.ping_interval * 1000:g} ms, ping_timeout "
                 f"{'none' if p.ping_timeout is None else f'{p.ping_timeout * 1000:g} ms'}, "
                 f"delay {p.delay * 1000:g} ms ({p.direction})")
    return fig
