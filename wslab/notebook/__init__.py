"""The notebook layer: what a Jupyter notebook adds on top of everything else.

- display: :func:`show` (HTML in a notebook, text elsewhere), :func:`compare` (two
  things side by side), :func:`hexdump`;
- figures (matplotlib, shown as PNG without ``%matplotlib``): :func:`sequence_figure`,
  :func:`scenario_figure`, :func:`rtt_figure`; the timing experiments' figures, through
  :func:`plot` (any experiment result) or one by one: :func:`distribution_figure`,
  :func:`ping_figure`, :func:`sweep_figure`, :func:`head_of_line_figure`,
  :func:`backpressure_figure`, :func:`keepalive_sweep_figure`, :func:`compression_figure`,
  :func:`keepalive_figure` (a keepalive prediction beside its measurement);
- widgets (ipywidgets): :class:`FrameBuilder` (every bit a switch), :class:`HexDissector`
  (paste bytes, see them explained), :class:`AcceptKeyExplorer` (the §1.3 hash), and
  :func:`verdict` (which close code a strict receiver sends for these bytes); widgets that
  run experiments: :class:`ScenarioRunner` (any scenario), :class:`TimingExplorer`
  (experiments 1-2), :class:`KeepaliveExplorer` (predict, then measure), :class:`PushRace`
  (experiment 7: WebSocket vs HTTP for server push; its figure :func:`push_figure`).

Logic stays below (codec, scenarios); this layer only shows and lets students turn knobs.
"""

from ._display import Rendered, compare, hexdump, rendered, show
from ._experiment_plots import (
    backpressure_figure,
    compression_figure,
    distribution_figure,
    head_of_line_figure,
    keepalive_figure,
    keepalive_sweep_figure,
    ping_figure,
    plot,
    sweep_figure,
)
from ._explorers import KeepaliveExplorer, ScenarioRunner, TimingExplorer
from ._plots import LabFigure, rtt_figure, scenario_figure, sequence_figure
from ._push_figure import push_figure
from ._push_race import PushRace
from ._widgets import AcceptKeyExplorer, FrameBuilder, HexDissector, verdict

__all__ = [
    "AcceptKeyExplorer", "FrameBuilder", "HexDissector", "KeepaliveExplorer", "LabFigure",
    "PushRace", "Rendered", "ScenarioRunner", "TimingExplorer", "backpressure_figure", "compare",
    "compression_figure", "distribution_figure", "head_of_line_figure", "hexdump",
    "keepalive_figure", "keepalive_sweep_figure", "ping_figure", "plot", "push_figure", "rendered",
    "rtt_figure", "scenario_figure", "sequence_figure", "show", "sweep_figure", "verdict",
]

