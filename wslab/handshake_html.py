"""How a handshake looks in a notebook: HTML lines and boxes (RFC 6455 §4).

Pure string building (no IPython), self-contained: inline styles, no scripts; everything
from the bytes is escaped. :func:`message_html` is the ``_repr_html_`` of
:class:`~wslab.headers.Request` and :class:`~wslab.headers.Response`;
:mod:`wslab.handshake_explain` builds its explanations from the same pieces and
re-exports :func:`message_html`.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .headers import Request, Response

__all__ = ["BLUE", "GREEN", "GREY", "OFFSET_STYLE", "RED", "esc", "html_box", "html_line",
           "message_html"]

BLUE, GREEN, GREY, RED = "#1f4e9c", "#17723a", "#555555", "#b3261e"
OFFSET_STYLE = "padding:1px 8px;color:#888;text-align:right"
_MONO = "font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_line(offset: int, line: str, colour: str, note: str = "", bg: str = "") -> str:
    """One wire line: its offset, its text with a visible CR LF, and an optional note."""
    back = f"background:{bg};" if bg else ""
    shown = esc(line) if line else "<i>(empty line: end of the head)</i>"
    extra = f'<td style="padding:1px 8px;color:#333">{note}</td>' if note else ""
    return (f'<tr style="vertical-align:top;{back}"><td style="{OFFSET_STYLE}">{offset}</td>'
            f'<td style="padding:1px 8px;color:{colour};white-space:pre">{shown}'
            f'<span style="color:#bbb">\\r\\n</span></td>{extra}</tr>')


def html_box(title: str, rows: str, after: str = "") -> str:
    """A titled box holding table rows, then more HTML."""
    return (f'<div style="border:1px solid #ccc;border-radius:4px;padding:6px 8px;margin:4px 0;'
            f'{_MONO}"><div style="font-weight:bold;margin-bottom:4px">{esc(title)}</div>'
            f'<table style="border-collapse:collapse">{rows}</table>{after}</div>')


_WS = ("sec-websocket-", "upgrade:", "connection:", "host:", "origin:")


def message_html(message: Request | Response) -> str:
    """A request or response as HTML, line by line with offsets (its ``_repr_html_``)."""
    rows, pos = [], 0
    for i, line in enumerate([message.start_line, *(f"{n}: {v}" for n, v in message.headers),
                              ""]):
        colour = BLUE if i == 0 else GREEN if line.lower().startswith(_WS) else GREY
        rows.append(html_line(pos, line, colour))
        pos += len(line.encode("latin-1", "replace")) + 2
    body = getattr(message, "body", b"")
    if body:
        rows.append(f'<tr><td style="{OFFSET_STYLE}">{pos}</td>'
                    f'<td style="padding:1px 8px;color:{GREY};white-space:pre-wrap">'
                    f'{esc(body[:500].decode("utf-8", "replace"))}</td></tr>')
    return html_box(f"{type(message).__name__} ({pos + len(body)} bytes)", "".join(rows))
