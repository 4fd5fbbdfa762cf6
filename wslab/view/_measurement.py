"""A measurement as a card: a title, a table of numbers, notes; and the same as text.

Generic: the timing experiments of :mod:`wslab.scenarios` (and anything else that has
rows of numbers) hand over a title, column heads, rows of cells (already formatted) and
notes. Cells that read as numbers are right-aligned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .theme import MUTED, NUMBER, TD, TR, card, esc, table

_NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+(?:[eE][-+]?\d+)?(?:\s?(?:%|×|x))?|—")


def _cell(value: object) -> str:
    text = str(value)
    style = NUMBER if _NUMBER.fullmatch(text) else TD
    return f"<td style='{style}'>{esc(text)}</td>"


def measurement_html(title: str, heads: Sequence[str], rows: Sequence[Sequence[object]],
                     notes: Sequence[str] = (), *, role: str = "measurement") -> str:
    """A card: ``title``, a table (``heads``, ``rows`` of cells), then each note.

    Args:
        title: one line, e.g. ``"Ping round trips (200 pings)"``.
        heads: the column heads, units in them (``"p50 (ms)"``).
        rows: the cells, formatted; numbers are right-aligned.
        notes: sentences shown under the table.
        role: the card's ``data-role`` (tests and the browser find it by that).
    """
    body = [f"<tr style='{TR}'>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows]
    notes_html = "".join(f"<div style='color:{MUTED};font-size:12px;margin-top:4px'>"
                         f"{esc(n)}</div>" for n in notes)
    return card(f"<div style='font-weight:600;margin-bottom:4px'>{esc(title)}</div>"
                f"{table(heads, body)}{notes_html}", role)


def measurement_text(title: str, heads: Sequence[str], rows: Sequence[Sequence[object]],
                     notes: Sequence[str] = ()) -> str:
    """The same as :func:`measurement_html`, as aligned plain text."""
    cells = [list(map(str, heads))] + [list(map(str, row)) for row in rows]
    widths = [max(len(r[i]) for r in cells if i < len(r)) for i in range(len(heads))]
    lines = [title] + ["  ".join(c.rjust(w) if _NUMBER.fullmatch(c) else c.ljust(w)
                                 for c, w in zip(r, widths, strict=False)).rstrip()
                       for r in cells]
    return "\n".join(lines + list(notes))
