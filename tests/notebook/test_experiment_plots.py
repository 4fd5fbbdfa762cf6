"""The experiments' figures, drawn from hand-made results (no network): every figure has a
title, axis labels with units, the theme's colour-blind-safe palette, and redraws in place."""

from __future__ import annotations

import re

import pytest
from matplotlib.colors import to_hex

from wslab.notebook import LabFigure, keepalive_figure, plot
from wslab.scenarios import (
    Backpressure,
    Compression,
    HeadOfLine,
    KeepaliveSweep,
    PingRtts,
    SizeSweep,
    keepalive_experiment,
    predict_keepalive,
)
from wslab.scenarios._compression import CompressionRow
from wslab.scenarios._flow import BufferSample, SendTiming
from wslab.view.theme import KIND_COLOURS, SERIES_COLOURS

UNIT = re.compile(r"\((ms|bytes|KiB|MB/s|µs|s)\b|\bms\b|/ message bytes|messages|samples|"
                  r"fraction|no unit")
PALETTE = {c.lower() for c in (*SERIES_COLOURS, *KIND_COLOURS.values())}

RESULTS = {
    "ping": PingRtts(client=(0.0005, 0.0006, 0.0009), tap=(0.0003, 0.0004, 0.0005),
                     server=(1e-5, 2e-5, 3e-5), direct=(0.0002, 0.0003, 0.0004)),
    "sweep": [SizeSweep({1: (0.0004, 0.0005), 65536: (0.002, 0.003)}),
              SizeSweep({1: (0.0005,), 65536: (0.001,)}, deflate=True, payload="text")],
    "hol": HeadOfLine(16, 4, {"one frame": ((0.001, 0.1),), "fragments": ((0.001, 0.001),
                                                                         (0.01, 0.002))},
                      {"one frame": 0.1, "fragments": 0.12}, (0.0003,)),
    "backpressure": Backpressure(
        [BufferSample(0.0, 0, 0, 0, 0), BufferSample(0.1, 40000, 262144, 10, 0),
         BufferSample(0.4, 0, 0, 20, 20)], [SendTiming(0.0, 0.2, 0)], messages=20,
        size=65536, stall=0.3, write_limit=32768, tap_buffer=262144,
        server_close=(1011, "keepalive ping timeout"), close_at=0.35),
    "compression": Compression([CompressionRow("off", "text", 100, (108, 108), (1e-5,)),
                                CompressionRow("deflate", "text", 100, (40, 20), (3e-5,))]),
}


def texts(fig: LabFigure) -> tuple[str, list[str], list[str]]:
    title = fig._suptitle.get_text() if fig._suptitle else ""
    axes = [ax for ax in fig.axes if ax.get_xlabel() or ax.get_ylabel()]
    return title, [ax.get_xlabel() for ax in axes], [ax.get_ylabel() for ax in axes]


def colours(fig: LabFigure) -> set[str]:
    found = set()
    for ax in fig.axes:
        for line in ax.get_lines():
            found.add(to_hex(line.get_color()).lower())
        for patch in ax.patches:
            found.add(to_hex(patch.get_facecolor(), keep_alpha=False).lower())
    return found - {"#000000", "#ffffff"}


@pytest.mark.parametrize("name", list(RESULTS))
def test_every_figure_has_title_units_and_the_palette(name: str) -> None:
    fig = plot(RESULTS[name])
    title, xs, ys = texts(fig)
    assert title, name
    assert xs and all(UNIT.search(x) for x in xs), xs
    assert ys and all(UNIT.search(y) for y in ys), ys
    assert colours(fig) and colours(fig) <= PALETTE, colours(fig) - PALETTE
    assert fig._repr_png_().startswith(b"\x89PNG")


def test_redraw_into_the_same_figure() -> None:
    fig = plot(RESULTS["ping"])
    again = plot(RESULTS["ping"], fig=fig)
    assert again is fig and len(fig.axes) == 2  # cleared, not stacked


def test_the_cdf_marks_p50_p90_p99() -> None:
    fig = plot(RESULTS["ping"])
    cdf = fig.axes[1]
    styles = [line.get_linestyle() for line in cdf.get_lines() if line.get_xdata()[0] ==
              line.get_xdata()[-1]]  # vertical percentile lines
    assert styles.count("-") == 4 and styles.count("--") == 4 and styles.count(":") == 4


def test_keepalive_sweep_and_timeline_figures() -> None:
    prediction = predict_keepalive(0.5, 0.2, 0.3)
    fig = keepalive_figure(prediction)
    assert "ping_timeout 300 ms" in texts(fig)[0]
    assert "not measured yet" in " ".join(t.get_text() for t in fig.axes[1].texts)
    run = keepalive_experiment(0.0, 0.1, 0.2, pings=1)
    sweep = KeepaliveSweep([run], ping_interval=0.1, ping_timeout=0.2)
    title, xs, _ = texts(plot(sweep))
    assert "Keepalive sweep" in title and xs == ["injected delay, server to client (ms)"]
    with pytest.raises(TypeError, match="no figure"):
        plot(object())
