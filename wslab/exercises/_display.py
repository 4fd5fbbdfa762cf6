"""How a check result and a hint look: text for a terminal, HTML in wslab's theme."""

from __future__ import annotations

from typing import Any

from ..view import theme

# The results and hints are passed in as they are (a CheckResult, a Hint); this module does
# not import their modules, which import it.
CheckResult = Hint = Any


def result_text(result: CheckResult) -> str:
    """The result as plain text: a first line with ✓ or ✗, then each failed case."""
    mark = "✓" if result.passed else ("…" if not result.answered else "✗")
    head = result.message if result.message.startswith("✓") else f"{mark} {result.message}"
    lines = [f"{result.exercise_id}: {head}"]
    for f in result.failures:
        lines.append(f"  input:    {f.call}" + (f"   [{f.label}]" if f.label else ""))
        lines.append(f"  expected: {f.expected}")
        lines.append(f"  got:      {f.actual}")
        if f.message and f.message not in ("wrong value", result.message):
            lines.append(f"  -> {f.message}")
    lines += [f"  {d}" for d in result.details]
    return "\n".join(lines)


def result_html(result: CheckResult) -> str:
    """The result as a card: green for passed, the alert colours for a failure."""
    esc = theme.esc
    if result.passed:
        colour, style = theme.GREEN, f"border-left:5px solid {theme.GREEN}"
        mark = ""
    elif not result.answered:
        colour, style, mark = theme.BLUE, f"border-left:5px solid {theme.BLUE}", "… "
    else:
        colour, style, mark = theme.RED, theme.ALERT, "✗ "
    inner = (f"<div style='color:{colour};font-weight:600'>{esc(result.exercise_id)}: "
             f"{esc(mark + result.message)}</div>")
    if result.failures:
        rows = []
        for f in result.failures:
            note = "" if f.message in ("", "wrong value", result.message) else esc(f.message)
            label = f"<div style='color:{theme.MUTED}'>{esc(f.label)}</div>" if f.label else ""
            rows.append(
                f"<tr style='{theme.TR}'><td style='{theme.TD};font-family:{theme.MONO}'>"
                f"{esc(f.call)}{label}</td><td style='{theme.TD};font-family:{theme.MONO}'>"
                f"{esc(f.expected)}</td><td style='{theme.TD};font-family:{theme.MONO};"
                f"color:{theme.RED}'>{esc(f.actual)}</td><td style='{theme.TD}'>{note}</td></tr>")
        inner += theme.table(["input", "expected", "got", ""], rows)
    if result.details:
        inner += "".join(f"<div style='color:{theme.MUTED}'>{esc(d)}</div>"
                         for d in result.details)
    return theme.card(inner, "exercise-result", style=f"{style};color:{theme.FG}")


def hint_text(h: Hint) -> str:
    if h.text is None:
        return f"{h.exercise_id}: no more hints ({h.total} given). {h.note}".rstrip()
    return f"{h.exercise_id}: hint {h.number} of {h.total}: {h.text}"


def hint_html(h: Hint) -> str:
    esc = theme.esc
    if h.text is None:
        inner = f"<b>{esc(h.exercise_id)}</b>: no more hints ({h.total} given). {esc(h.note)}"
    else:
        inner = (f"<span style='color:{theme.MUTED}'>{esc(h.exercise_id)} · hint {h.number} "
                 f"of {h.total}</span><div>{esc(h.text)}</div>")
    return theme.card(inner, "exercise-hint", style=f"border-left:5px solid {theme.BLUE}")


def catalogue_text(items: Any) -> str:
    lines = [f"{'id':<22} {'kind':<22} title"]
    lines += [f"{ex.id:<22} {ex.kind.value:<22} {ex.title}" + ("  (live, slow)" if ex.slow
                                                               else "") for ex in items]
    return "\n".join(lines)


def catalogue_html(items: Any) -> str:
    esc = theme.esc
    rows = [f"<tr style='{theme.TR}'><td style='{theme.TD};font-family:{theme.MONO}'>"
            f"{esc(ex.id)}</td><td style='{theme.TD}'>{esc(ex.kind.value)}</td>"
            f"<td style='{theme.TD}'>{esc(ex.title)}</td><td style='{theme.NUMBER}'>"
            f"{len(ex.hints)}</td><td style='{theme.TD}'>{'live' if ex.slow else ''}</td></tr>"
            for ex in items]
    return theme.card(theme.table(["id", "kind", "title", "hints", ""], rows), "exercises")
