"""One look for everything wslab draws: the palette, the fonts, cards and tables.

Every HTML rendering (frames, handshakes, close codes, transcripts) and every figure
(:mod:`wslab.notebook`) takes its colours from here, so a close frame is the same colour
in a transcript table and in a sequence diagram. Categorical colours are the Okabe–Ito
palette, which reads the same for the common kinds of colour blindness; text colours have
at least 4.5:1 contrast on the white card. Cards set their own foreground and background,
so they read the same in JupyterLab's light and dark themes. Inline styles only: no
``<style>`` block (it would leak into the notebook page), no script, nothing external.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

__all__ = [
    "ALERT", "BG", "BLUE", "BOX", "CARD", "FG", "GREEN", "KIND_COLOURS", "LINE", "MONO", "MUTED",
    "NUMBER", "OKABE_ITO", "PAD", "RED", "RED_BG", "SANS", "SERIES_COLOURS", "TD", "TH", "TR",
    "card", "esc", "field_colour", "table",
]

# -- text and lines (on the white card) -----------------------------------------------------
FG = "#1f2328"
BG = "#ffffff"
MUTED = "#59636e"
LINE = "#d1d9e0"
RED = "#b42318"  # a problem: a broken rule, a code never sent on the wire
RED_BG = "#fff0ee"
GREEN = "#1a7f37"  # fine: a valid value, a code that may go on the wire
BLUE = "#0550ae"  # a start line, a computed value
MONO = "ui-monospace,Menlo,Consolas,monospace"
SANS = "system-ui,'Segoe UI',Roboto,sans-serif"

# -- categories (Okabe & Ito, "Color Universal Design") -------------------------------------
OKABE_ITO = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "purple": "#CC79A7",
    "vermillion": "#D55E00", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000",
    "grey": "#6e6e6e",
}
KIND_COLOURS = {  # what goes over a connection: the transcript table and the sequence figures
    "data": OKABE_ITO["blue"],  # text, binary, continuation frames
    "ping/pong": OKABE_ITO["green"],
    "close": OKABE_ITO["vermillion"],
    "http": OKABE_ITO["grey"],
    "tls": OKABE_ITO["purple"],
    "tcp": OKABE_ITO["orange"],
    "cut": OKABE_ITO["black"],
    "bytes": OKABE_ITO["sky"],
}
SERIES_COLOURS = tuple(OKABE_ITO[k] for k in (  # one per series of a plot, in this order
    "blue", "orange", "green", "purple", "vermillion", "sky", "black"))

# One light background per frame field, for dark text; the same in the hex view, the bit
# diagram and the field table.
_FIELD_COLOURS = {
    "FIN": "#ffd8a8", "RSV1": "#e9ecef", "RSV2": "#dde1e5", "RSV3": "#e9ecef",
    "opcode": "#a5d8ff", "MASK": "#d0bfff", "payload length": "#b2f2bb",
    "extended payload length": "#96f2d7", "masking key": "#fcc2d7", "payload": "#fff3bf",
}
_OTHER_FIELDS = ("#ffe8cc", "#d3f9d8", "#e5dbff", "#c5f6fa")
_UNKNOWN_FIELD = "#ced4da"

# -- blocks -----------------------------------------------------------------------------------
CARD = (f"background:{BG};color:{FG};border:1px solid {LINE};border-radius:8px;"
        f"padding:10px 12px;margin:6px 0;font-family:{SANS};font-size:13px;line-height:1.4;"
        f"text-align:left;overflow-x:auto")
BOX = "border-radius:6px;padding:4px 10px;margin:6px 0"
ALERT = f"background:{RED_BG};color:{RED};border:1px solid {RED};border-left:5px solid {RED}"
PAD = "padding:1px 6px"
# Rows carry the background (JupyterLab stripes table rows in its own theme's colours).
TR = f"background:{BG};border-bottom:1px solid {LINE}"
TH = f"{PAD};text-align:left;color:{MUTED};font-weight:600;font-size:11px"
TD = f"{PAD};text-align:left;vertical-align:top"
NUMBER = f"{PAD};vertical-align:top;text-align:right"


def esc(value: object) -> str:
    """``value`` as HTML text: everything that comes from the bytes goes through here."""
    return html.escape(str(value), quote=True)


def field_colour(name: str) -> str:
    """The background colour of the frame field called ``name`` (the same everywhere)."""
    if name == "?":
        return _UNKNOWN_FIELD
    return _FIELD_COLOURS.get(name, _OTHER_FIELDS[sum(map(ord, name)) % len(_OTHER_FIELDS)])


def card(inner: str, role: str, *, style: str = "") -> str:
    """A self-contained block: wslab's colours and fonts, ``data-role`` for tests."""
    return f'<div class="wslab" data-role="{esc(role)}" style="{CARD};{style}">{inner}</div>'


def table(heads: Sequence[str], rows: Iterable[str], *, note: str = "") -> str:
    """A table in the one table style: ``rows`` are ``<tr style=TR>`` strings, cells ``TD``."""
    head = f"<tr style='{TR}'>" + "".join(f"<th style='{TH}'>{esc(h)}</th>" for h in heads)
    after = f"<div style='color:{MUTED};font-size:11px;margin-top:2px'>{note}</div>" if note \
        else ""
    return (f"<table style='border-collapse:collapse'>{head}</tr>{''.join(rows)}</table>"
            f"{after}")
