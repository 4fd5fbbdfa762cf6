"""Show wslab objects: HTML in a notebook, text in a terminal.

>>> from wslab.display import show, compare, hexdump
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

from . import render, render_html
from .frames import Sender

__all__ = ["Rendered", "compare", "hexdump", "rendered", "show"]


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
    from .dissect import Dissection, FrameDissection, dissect
    from .frames import Frame

    if isinstance(obj, Rendered):
        return obj
    if isinstance(obj, (bytes, bytearray, memoryview)):
        obj = dissect(bytes(obj), sender=sender, deflate=deflate)
    if isinstance(obj, FrameDissection):
        return Rendered(render_html.frame_dissection_html(obj, compact=compact),
                        render.frame_dissection_text(obj))
    if isinstance(obj, Frame):
        return Rendered(render_html.frame_html(obj, compact=compact), render.frame_text(obj))
    if isinstance(obj, Dissection):
        return Rendered(render_html.dissection_html(obj, compact=compact),
                        render.dissection_text(obj))
    text = str(obj)
    to_html = getattr(obj, "_repr_html_", None)
    if callable(to_html):
        return Rendered(to_html(), text)
    return Rendered(f'<div style="{render_html.CARD};font-family:{render_html.MONO};'
                    f'white-space:pre-wrap">{html.escape(text)}</div>', text)


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
        sender, deflate: how to dissect bytes (see :func:`wslab.dissect.dissect`).
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
    return Rendered(render_html.hexdump_html(data, width), render.hexdump_text(data, width))
