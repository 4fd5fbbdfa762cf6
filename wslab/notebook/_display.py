"""Show wslab objects: HTML in a notebook, text in a terminal.

>>> from wslab.notebook import show, compare, hexdump
>>> show(b"\\x81\\x05Hello")            # bytes are dissected first
>>> compare(frame_a, frame_b)           # side by side (as the cell's last line)
>>> hexdump(data)                       # a styled hexdump

:func:`compare` and :func:`hexdump` return a :class:`Rendered`, which a notebook
shows as HTML and ``print`` shows as text; :func:`show` displays right away.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from ..codec import Dissection, Frame, FrameDissection, Sender, dissect, html_of
from ..view import (
    dissection_html,
    frame_dissection_html,
    frame_html,
    hexdump_html,
    hexdump_text,
)
from ..view.theme import card


@dataclass(frozen=True)
class Rendered:
    """Both renderings of something: ``html`` for notebooks, ``text`` for terminals."""

    html: str
    text: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def rendered(obj: Any, *, sender: Sender | None = None, deflate: bool = False,
             compact: bool = False) -> Rendered:
    """Render any wslab object (bytes are dissected first, with ``sender`` and ``deflate``).

    Args:
        compact: frames without their field tables and masking steps.
    """
    if isinstance(obj, Rendered):
        return obj
    if isinstance(obj, (bytes, bytearray, memoryview)):
        obj = dissect(bytes(obj), sender=sender, deflate=deflate)
    text = str(obj)
    if compact and isinstance(obj, (Frame, FrameDissection, Dissection)):
        compact_html = {Frame: frame_html, FrameDissection: frame_dissection_html,
                        Dissection: dissection_html}[type(obj)]
        return Rendered(compact_html(obj, compact=True), text)
    to_html = getattr(obj, "_repr_html_", None)
    shown = html_of(obj) or (to_html() if callable(to_html) else None)
    if shown is not None:
        return Rendered(shown, text)
    return Rendered(card(html.escape(text), "text", style="font-family:monospace;"
                         "white-space:pre-wrap"), text)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(obj: Any, *, sender: Sender | None = None, deflate: bool = False) -> None:
    """Display ``obj`` now: HTML in a notebook, text elsewhere.

    Args:
        obj: a Frame, Dissection, FrameDissection, bytes (dissected), or anything printable.
        sender, deflate: how to dissect bytes (see :func:`wslab.codec.dissect`).
    """
    r = rendered(obj, sender=sender, deflate=deflate)
    if _in_notebook():
        from IPython.display import display

        display({"text/html": r.html, "text/plain": r.text}, raw=True)
    else:
        print(r.text)


def compare(a: Any, b: Any, *, titles: tuple[str, str] = ("", "")) -> Rendered:
    """``a`` and ``b`` side by side (bytes are dissected), with optional titles.

    Frames are shown compact (bytes, bit diagram, payload, violations); the row scrolls
    sideways when the notebook is too narrow for both.
    """
    ra, rb = rendered(a, compact=True), rendered(b, compact=True)
    cols = "".join(
        '<div style="flex:1 1 0;min-width:500px">'
        + (f'<div style="font-weight:600">{html.escape(t)}</div>' if t else "") + r.html + "</div>"
        for t, r in zip(titles, (ra, rb), strict=True))
    left = ([titles[0]] if any(titles) else []) + ra.text.splitlines()
    right = ([titles[1]] if any(titles) else []) + rb.text.splitlines()
    width = min(max((len(x) for x in left), default=0), 100)
    lines = [f"{x[:width]:<{width}} | {y}".rstrip()
             for x, y in zip(left + [""] * (len(right) - len(left)),
                             right + [""] * (len(left) - len(right)), strict=True)]
    return Rendered(f'<div style="display:flex;gap:12px;align-items:flex-start;overflow-x:auto">'
                    f"{cols}</div>", "\n".join(lines))


def hexdump(data: bytes, width: int = 16) -> Rendered:
    """A hexdump of ``data``: offset, ``width`` bytes in hex, ASCII; long data elided."""
    return Rendered(hexdump_html(data, width), hexdump_text(data, width))
