"""How close codes look: a card per code, the registry as a table (RFC 6455 §7.4).

A code that may go on the wire is marked green, one that never does (1005, 1006, 1015,
and the reserved 1004 and 0–999) red; the words say it too, so colour is never the
only sign.
"""

from __future__ import annotations

from ..codec import CloseCodeInfo, RegistryTable
from .theme import GREEN, MONO, MUTED, RED, TD, TR, card, esc, table


def _wire(info: CloseCodeInfo) -> tuple[str, str]:
    return (GREEN, "may be sent in a close frame") if info.on_wire else \
        (RED, "never sent on the wire")


def close_code_html(info: CloseCodeInfo) -> str:
    """A card: code, name, meaning, who sends it, whether it goes on the wire, causes."""
    colour, wire = _wire(info)
    causes = "".join(f"<li>{esc(c)}</li>" for c in info.causes)
    return card(
        f"<div style='font-size:15px'><b style='font-family:{MONO}'>{info.code}</b> "
        f"{esc(info.name)}</div><div>{esc(info.meaning)}</div>"
        f"<div style='color:{MUTED};margin-top:2px'>sent by {esc(info.who_sends)} · "
        f"<span style='color:{colour}'>{wire}</span> · {esc(info.rfc)}</div>"
        + (f"<ul style='margin:4px 0 0 0;padding-left:18px'>{causes}</ul>" if causes else ""),
        "close-code", style=f"border-left:4px solid {colour};max-width:42em")


def registry_text(registry: RegistryTable) -> str:
    """The registry as aligned text columns."""
    rows = [registry.columns, *(registry.cells(code, info) for code, info in registry.rows)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(registry.columns) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)),
                                row[-1]]).rstrip() for row in rows)


def registry_html(registry: RegistryTable) -> str:
    """The registry as a table; codes never sent on the wire are marked red."""
    body = []
    for code, info in registry.rows:
        colour, _ = _wire(info)
        code_, name, meaning, sender, wire, _ = registry.cells(code, info)
        causes = "<br>".join(esc(c) for c in info.causes)
        body.append(
            f"<tr style='{TR}'><td style='{TD};font-family:{MONO};white-space:nowrap;"
            f"border-left:4px solid {colour}'><b>{esc(code_)}</b></td>"
            f"<td style='{TD}'>{esc(name)}</td><td style='{TD}'>{esc(meaning)}</td>"
            f"<td style='{TD}'>{esc(sender)}</td>"
            f"<td style='{TD};color:{colour}'>{esc(wire)}</td>"
            f"<td style='{TD}'>{causes}</td></tr>")
    return card(table(registry.columns, body, note="RFC 6455 §7.4.1 (codes), §7.4.2 (ranges), "
                      "and the IANA registry (1012–1014)"), "close-registry")
