"""Figures: images in Jupyter without magic, readable time spacing, histogram bins, scenarios."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest
from rfc_examples import HELLO, MASKED_HELLO, REQUEST, RESPONSE

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from nbclient import NotebookClient

from wslab.codec import Chunk, Transcript
from wslab.notebook._plots import (
    MAX_BINS,
    MIN_BINS,
    MIN_GAP,
    TIME_HEIGHT,
    LabFigure,
    rtt_figure,
    scenario_figure,
    sequence_figure,
)
from wslab.scenarios._result import ScenarioResult

PNG = b"\x89PNG\r\n\x1a\n"
# RFC 6455 §1.3 (handshake) and §5.7 (frames).


def arrows(ax: Axes) -> list[object]:
    return [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]


def echoes(times: list[float], conn: int = 1, held: float = 0.0) -> list[Chunk]:
    """A handshake at 0 and 1 ms, then "Hello" there and back at each time (seconds)."""
    chunks = [Chunk(0.0, conn, "c2s", REQUEST), Chunk(0.001, conn, "s2c", RESPONSE)]
    for t in times:
        chunks += [Chunk(t, conn, "c2s", MASKED_HELLO),
                   Chunk(t + 0.0001, conn, "s2c", HELLO, t + 0.0001 + held or None)]
    return chunks


def test_figures_render_themselves_as_png() -> None:
    fig = rtt_figure([0.010, 0.012, 0.011])
    assert isinstance(fig, LabFigure) and isinstance(fig, Figure)
    png = fig._repr_png_()
    assert png.startswith(PNG) and len(png) > 1000
    assert sequence_figure(Transcript.from_chunks(echoes([0.01])))._repr_png_().startswith(PNG)


@pytest.mark.notebook
def test_a_fresh_kernel_shows_figures_as_images_without_magic(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "from wslab.notebook._plots import rtt_figure\nrtt_figure([0.010, 0.012, 0.011])",
        "import sys\nprint('matplotlib.pyplot' in sys.modules)",
        "%matplotlib inline\nrtt_figure([0.010])",
    )]
    env = dict(os.environ, IPYTHONDIR=str(tmp_path / "ipython"), JUPYTER_PLATFORM_DIRS="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("MPLBACKEND", None)
    NotebookClient(nb, kernel_name="python3", timeout=60,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    plain, _, inline = ([o for o in cell.outputs if "data" in o] for cell in nb.cells)
    assert [o.output_type for o in plain] == ["execute_result"]
    assert "image/png" in plain[0].data, plain[0].data.keys()  # not just "<Figure ...>"
    assert nb.cells[1].outputs[0].text.strip() == "False"  # plots never touches pyplot
    assert sum("image/png" in o.data for o in inline) == 1  # with the magic: still once


def test_time_spacing_has_a_fixed_height_and_rows_never_crowd() -> None:
    times = [0.010 + 0.0005 * i for i in range(5)] + [1.0]  # five within 2 ms, one later
    transcript = Transcript.from_chunks(echoes(times))
    fig = sequence_figure(transcript, spacing="time")
    assert fig.get_size_inches()[1] == pytest.approx(1.5 + TIME_HEIGHT)
    (ax,) = fig.axes
    ys = np.asarray(ax.get_yticks())
    labels = [float(t.get_text()) for t in ax.get_yticklabels()]
    assert labels == [round((e.t - transcript.t0) * 1000, 1) for e in transcript.entries]
    gaps = np.diff(ys)
    assert gaps.min() >= MIN_GAP - 1e-9  # entries 0.1 ms apart still get a label's room
    assert gaps[labels.index(1000.0) - 1] > 5 * MIN_GAP  # the long pause still looks long
    assert ys[-1] == pytest.approx(TIME_HEIGHT, rel=0.05)  # time fills the fixed height
    assert len(arrows(ax)) == 2 + 2 * len(times)
    many = Transcript.from_chunks(echoes([0.010 + 0.0001 * i for i in range(40)]))
    (ax,) = sequence_figure(many, spacing="time", max_entries=100).axes
    assert np.diff(ax.get_yticks()).min() >= MIN_GAP - 1e-9  # more rows: a taller figure
    assert ax.get_figure().get_size_inches()[1] > 1.5 + TIME_HEIGHT


def test_time_spacing_slants_held_arrows_down_to_their_delivery() -> None:
    transcript = Transcript.from_chunks(echoes([0.010, 0.500], held=0.3))
    (ax,) = sequence_figure(transcript, spacing="time").axes
    held = [a for a in arrows(ax) if a.xy[0] == 0.0]  # type: ignore[attr-defined]
    slants = [a.xy[1] - a.xyann[1] for a in held[1:]]  # type: ignore[attr-defined]
    assert len(slants) == 2 and all(s > MIN_GAP for s in slants)
    assert ax.get_ylim()[0] >= max(a.xy[1] for a in held)  # type: ignore[attr-defined]


def test_window_keeps_the_entries_in_it() -> None:
    transcript = Transcript.from_chunks(echoes([0.010, 0.020, 0.500]))
    (ax,) = sequence_figure(transcript, window=(5, 25)).axes
    assert len(arrows(ax)) == 4  # two echoes there and back; not the handshake, not 500 ms
    (ax,) = sequence_figure(transcript, spacing="time", window=(400, 600)).axes
    assert len(arrows(ax)) == 2


@pytest.mark.parametrize("samples", [[0.010, 0.012, 0.011], [0.01] * 4, [0.003],
                                     list(np.linspace(0.001, 0.5, 2000))])
def test_rtt_histogram_bins(samples: list[float]) -> None:
    fig = rtt_figure(samples)
    line, hist = fig.axes
    bars = hist.patches
    assert MIN_BINS <= len(bars) <= MAX_BINS
    assert sum(bar.get_height() for bar in bars) == len(samples)
    assert all(bar.get_edgecolor() == (1.0, 1.0, 1.0, 1.0) for bar in bars)  # bars apart
    assert len(line.lines[0].get_ydata()) == len(samples)
    median = line.get_legend().get_texts()[0].get_text()
    assert median == f"median {np.median(samples) * 1000:.2f} ms"


def test_rtt_figure_without_samples_and_into_given_axes() -> None:
    empty = rtt_figure([])
    assert [t.get_text() for t in empty.axes[0].texts] == ["no samples"]
    assert not empty.axes[1].patches
    fig = Figure()
    ax = fig.add_subplot()
    assert rtt_figure([0.01, 0.02], ax=ax) is fig and len(fig.axes) == 1


def test_scenario_figure_draws_the_scenarios_connection() -> None:
    transcript = Transcript.from_chunks(echoes([0.01], conn=1) + echoes([0.02, 0.03], conn=2))
    result = ScenarioResult("echo", "Echo: there and back", "...", "RFC 6455 §5.6",
                            transcript=transcript, conn_id=2)
    for spacing in ("even", "time"):
        fig = scenario_figure(result, spacing=spacing)  # type: ignore[arg-type]
        (ax,) = fig.axes
        assert ax.get_title() == "Echo: there and back  [echo]"
        assert len(arrows(ax)) == len(transcript.for_connection(2).entries) == 6
    (ax,) = scenario_figure(result, conn_id=1, title="first").axes
    assert ax.get_title() == "first" and len(arrows(ax)) == 4


def test_rtt_figure_overlays_labelled_series() -> None:
    client, tap = [0.0012, 0.0015, 0.0011, 0.0020], [0.0008, 0.0009, 0.0010]
    fig = rtt_figure({"client": client, "tap": tap}, title="client vs tap")
    line, hist = fig.axes
    assert line.get_title() == "client vs tap"
    data = [ln for ln in line.lines if ln.get_linestyle() == "-"]  # not the dotted medians
    assert [list(ln.get_ydata()) for ln in data] == [
        pytest.approx([v * 1000 for v in client]), pytest.approx([v * 1000 for v in tap])]
    assert data[0].get_color() != data[1].get_color()
    legend = [t.get_text() for t in line.get_legend().get_texts()]
    assert legend == [f"client: median {np.median(client) * 1000:.2f} ms",
                      f"tap: median {np.median(tap) * 1000:.2f} ms"]
    # one histogram per series, on the same bins, counting every sample once
    heights = [bar.get_height() for bar in hist.patches]
    assert sum(heights) == len(client) + len(tap)
    lefts = [bar.get_x() for bar in hist.patches]
    half = len(lefts) // 2
    assert len(lefts) % 2 == 0 and lefts[:half] == pytest.approx(lefts[half:])
    assert MIN_BINS <= half <= MAX_BINS


def test_rtt_figure_series_may_be_empty() -> None:
    fig = rtt_figure({"client": [], "tap": [0.001, 0.002]})
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["tap: median 1.50 ms"]
    assert sum(bar.get_height() for bar in fig.axes[1].patches) == 2
    nothing = rtt_figure({"client": [], "tap": []})
    assert [t.get_text() for t in nothing.axes[0].texts] == ["no samples"]
    assert nothing._repr_png_().startswith(PNG)
