"""How frames and dissections look: plain text for a terminal, HTML for a notebook.

Pure string building (no IPython): :class:`~wslab.frames.Frame` and
:class:`~wslab.dissect.Dissection` call these from ``__str__`` and ``_repr_html_``.
A frame is always shown through its dissection, so the picture and the checks
agree byte for byte. Large payloads are elided in the middle, so a 1 MiB frame
renders as fast and as small as a 5-byte one.

This module is the public face; the work is done in

- :mod:`wslab.render_layout`: which bytes to show, the rows of the RFC 6455 §5.2 bit
  diagram, the fields a violation is about, the display limits;
- :mod:`wslab.render_values`: how field values, payloads, close codes and messages read;
- :mod:`wslab.render_text`: the terminal text;
- :mod:`wslab.render_html`: the self-contained HTML.
"""

from __future__ import annotations

from .render_html import dissection_html, frame_dissection_html, frame_html
from .render_layout import (
    HEX_HEAD,
    HEX_TAIL,
    MASK_STEPS,
    MAX_FRAMES,
    BitSegment,
    PartialFrame,
    bit_rows,
    partial_frame,
    shown_ranges,
    violated_fields,
)
from .render_text import dissection_text, frame_dissection_text, frame_text, hexdump_text

__all__ = [
    "HEX_HEAD",
    "HEX_TAIL",
    "MASK_STEPS",
    "MAX_FRAMES",
    "BitSegment",
    "PartialFrame",
    "bit_rows",
    "dissection_html",
    "dissection_text",
    "frame_dissection_html",
    "frame_dissection_text",
    "frame_html",
    "frame_text",
    "hexdump_text",
    "partial_frame",
    "shown_ranges",
    "violated_fields",
]
