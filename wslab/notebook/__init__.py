"""The notebook layer: what a Jupyter notebook adds on top of everything else.

- display: :func:`show` (HTML in a notebook, text elsewhere), :func:`compare` (two
  things side by side), :func:`hexdump`;
- figures (matplotlib, shown as PNG without ``%matplotlib``): :func:`sequence_figure`,
  :func:`scenario_figure`, :func:`rtt_figure`;
- widgets (ipywidgets): :class:`FrameBuilder` (every bit a switch), :class:`HexDissector`
  (paste bytes, see them explained), :class:`AcceptKeyExplorer` (the §1.3 hash), and
  :func:`verdict` (which close code a strict receiver sends for these bytes).

Logic stays below (codec, scenarios); this layer only shows and lets students turn knobs.
"""

from ._display import Rendered, compare, hexdump, rendered, show
from ._plots import LabFigure, rtt_figure, scenario_figure, sequence_figure
from ._widgets import AcceptKeyExplorer, FrameBuilder, HexDissector, verdict

__all__ = [
    "AcceptKeyExplorer", "FrameBuilder", "HexDissector", "LabFigure", "Rendered", "compare",
    "hexdump", "rendered", "rtt_figure", "scenario_figure", "sequence_figure",
    "show", "verdict",
]

