"""How a handshake looks: HTTP messages, their explanation, the Accept derivation (RFC 6455 §4).

Text for ``str()`` and self-contained HTML for a notebook. Every wire line shows its byte
offset and a visible CR LF; WebSocket headers are coloured apart from the rest; everything
from the bytes is escaped.
"""

from __future__ import annotations

from ..codec import AcceptSteps, HandshakeExplanation, Request, Response
from .theme import BLUE, GREEN, LINE, MONO, MUTED, RED, RED_BG, card, esc

_OFFSET = f"padding:1px 8px;color:{MUTED};text-align:right;font-family:{MONO}"
_WS_HEADERS = ("sec-websocket-", "upgrade", "connection", "host", "origin")


def _line(offset: int, line: str, colour: str, note: str = "", bg: str = "") -> str:
    """One wire line: its offset, its text with a visible CR LF, and an optional note."""
    back = f"background:{bg};" if bg else ""
    shown = esc(line) if line else "<i>(empty line: end of the head)</i>"
    extra = f'<td style="padding:1px 8px">{note}</td>' if note else ""
    return (f'<tr style="vertical-align:top;{back}"><td style="{_OFFSET}">{offset}</td>'
            f'<td style="padding:1px 8px;color:{colour};white-space:pre;font-family:{MONO}">'
            f'{shown}<span style="color:{LINE}">\\r\\n</span></td>{extra}</tr>')


def _box(role: str, title: str, rows: str, after: str = "") -> str:
    """A titled card holding table rows, then more HTML."""
    return card(f'<div style="font-weight:600;margin-bottom:4px">{esc(title)}</div>'
                f'<table style="border-collapse:collapse">{rows}</table>{after}', role)


def _colour(name: str | None) -> str:
    if name is None:
        return BLUE  # the start line
    return GREEN if name.lower().startswith(_WS_HEADERS) else MUTED


def message_html(message: Request | Response) -> str:
    """A request or response, line by line with byte offsets."""
    rows, pos = [], 0
    lines = [(message.start_line, None), *((f"{n}: {v}", n) for n, v in message.headers),
             ("", "")]
    for line, name in lines:
        rows.append(_line(pos, line, _colour(name)))
        pos += len(line.encode("latin-1", "replace")) + 2
    body = getattr(message, "body", b"")
    if body:
        rows.append(f'<tr><td style="{_OFFSET}">{pos}</td>'
                    f'<td style="padding:1px 8px;color:{MUTED};white-space:pre-wrap">'
                    f'{esc(body[:500].decode("utf-8", "replace"))}</td></tr>')
    return _box("http", f"{type(message).__name__} ({pos + len(body)} bytes)", "".join(rows))


def accept_steps_text(steps: AcceptSteps) -> str:
    """Sec-WebSocket-Accept derived step by step, as aligned text."""
    lines = ["Sec-WebSocket-Accept, step by step (RFC 6455 §1.3, §4.2.2 item 5.4)"]
    lines += [f"{label:<42} {value}" for label, value in steps.steps()]
    lines.append(f"-> Sec-WebSocket-Accept: {steps.accept}")
    return "\n".join(lines)


def accept_steps_html(steps: AcceptSteps) -> str:
    """Sec-WebSocket-Accept derived step by step: computed values in blue, the answer green."""
    colours = [BLUE, MUTED, MUTED, GREEN, GREEN]
    rows = "".join(
        f'<tr><td style="padding:2px 8px">{esc(label.strip())}</td>'
        f'<td style="padding:2px 8px;color:{c};white-space:pre;font-family:{MONO}">'
        f'{esc(value)}</td></tr>'
        for (label, value), c in zip(steps.steps(), colours, strict=True))
    return _box("accept-steps", "Sec-WebSocket-Accept, step by step (RFC 6455 §1.3, §4.2.2)",
                rows, f'<div style="margin-top:4px">Sec-WebSocket-Accept: '
                f'<b style="color:{GREEN};font-family:{MONO}">{esc(steps.accept)}</b></div>')


def explanation_text(x: HandshakeExplanation) -> str:
    """Every line with its offset and meaning, the problems, and the server's answer."""
    out = [f"Handshake {x.kind}, {len(x.data)} bytes"]
    for n in x.lines:
        mark = "!!" if n.problem else "  "
        out.append(f"{mark}{n.offset:>5}  {n.text or '(empty line: end of the head)'}")
        if n.meaning:
            out.append(f"{'':>9}{n.meaning} [{n.rfc}]")
    if x.trailing:
        out.append(f"{'':>9}+ {x.trailing} byte(s) after the head ({x.trailing_note()})")
    out.append("Problems:" if x.problems else "No problems found.")
    out += [f"  - {p}" for p in x.problems]
    if x.answer is not None:
        out.append("A server answers:")
        out += ["  " + line for line in str(x.answer).splitlines()]
    return "\n".join(out)


def explanation_html(x: HandshakeExplanation) -> str:
    """The explanation as a card: problem lines in red, WebSocket headers in green."""
    rows = "".join(
        _line(n.offset, n.text, RED if n.problem else _colour(n.name),
              f"{esc(n.meaning)} <i style='color:{MUTED}'>{esc(n.rfc)}</i>",
              RED_BG if n.problem else "") for n in x.lines)
    items = "".join(f'<li style="color:{RED}">{esc(p)}</li>' for p in x.problems)
    after = (f"<ul data-role='violations' style='margin:4px 0'>{items}</ul>" if items else
             f'<div style="color:{GREEN};margin-top:4px">No problems found.</div>')
    if x.trailing:
        after += f"<div>+ {x.trailing} byte(s) after the head: {esc(x.trailing_note())}</div>"
    if x.answer is not None:
        after += "<div style='margin-top:6px'>A server answers:</div>" + message_html(x.answer)
    return _box("handshake", f"Handshake {x.kind}, {len(x.data)} bytes", rows, after)
