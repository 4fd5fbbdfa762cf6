"""Shared by the notebook generators (tools/make_nbNN.py): a clean notebook, stable ids.

A generator lists its cells and calls :func:`write`; the notebook is stored without
outputs and with fixed cell ids, so running a generator again changes nothing, and editing
one cell changes only that cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat
from build_lite import NOTEBOOKS as LITE_NOTEBOOKS  # the notebooks JupyterLite runs
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                   "name": "python3"},
    "language_info": {"name": "python"},
}


# The first code cell of a live notebook (one that runs servers on 127.0.0.1): in JupyterLite
# (Pyodide) a thread cannot start and a socket cannot listen, so it stops at once, saying so.
_IN_LITE = ", ".join(n[:2] for n in LITE_NOTEBOOKS[:-1]) + f" and {LITE_NOTEBOOKS[-1][:2]}"
LIVE_GUARD = f"""# Live servers need a real Python kernel: in the browser (JupyterLite) stop here.
import sys

if sys.platform == "emscripten":  # JupyterLite (Pyodide): no threads, no listening sockets
    raise RuntimeError(
        "This notebook runs real servers on 127.0.0.1, which cannot run in the browser "
        "(JupyterLite). Open it in JupyterLab (make lab), on Binder or on a JupyterHub. "
        "Notebooks {_IN_LITE} run here.")"""


def live_guard_cell() -> tuple[str, str, str]:
    """The first code cell of a live notebook: :data:`LIVE_GUARD`, with the id ``guard``.

    In Jupyter it shows nothing; in JupyterLite it raises at once with a clear message, so
    "Run All" stops there instead of failing deep inside a server.
    """
    return ("code", "guard", LIVE_GUARD)


def notebook(cells: Iterable[Sequence[str] | nbformat.NotebookNode],
             tag: str) -> nbformat.NotebookNode:
    """A validated notebook from ``cells``.

    Args:
        cells: ``(kind, source)`` with kind "md" or "code"; ``(kind, id, source)`` to fix a
            cell's id by name; or ready nbformat cells (those of :func:`exercise_cells`
            keep their ids).
        tag: prefix of the cell ids, e.g. "nb03" (ids "nb03-00", "nb03-01", ... by position
            unless given).
    """
    nb = new_notebook(metadata=METADATA)
    for number, spec in enumerate(cells):
        if isinstance(spec, nbformat.NotebookNode):
            if str(spec.get("id", "")).startswith("ex-"):  # exercise_cells: ids of its own
                nb.cells.append(spec)
                continue
            cell, name = spec, f"{number:02d}"
        else:
            kind, *name_parts, source = spec
            cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
            name = name_parts[0] if name_parts else f"{number:02d}"
        cell["id"] = f"{tag}-{name}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def exercise_cells(exercise_id: str, *, imports: bool = True) -> list[nbformat.NotebookNode]:
    """The cells of one checked exercise, for a generator's ``CELLS``.

    Three cells: the prompt (markdown, from :mod:`wslab.exercises`), the placeholder a
    student replaces (a function whose body is ``...``, or ``name = None``), and the check,
    which with the placeholder says "not answered yet" and never raises. Their ids are
    fixed by the exercise (``ex-02-unmask-prompt`` ...), wherever the cells go.

    Args:
        exercise_id: e.g. ``"02.unmask"`` (``wslab.exercises.exercises()`` lists them).
        imports: the check cell imports ``check``, ``given`` and ``hint`` itself (``False``
            when one cell of the notebook imports them for every exercise).
    Raises:
        KeyError: no such exercise.
    """
    from wslab.exercises import exercise

    ex = exercise(exercise_id)
    slow = " It runs a live experiment on 127.0.0.1: a few seconds." if ex.slow else ""
    prompt = new_markdown_cell(
        f"### Exercise {ex.id} · {ex.title}\n\n{ex.prompt}\n\n"
        f"Write your answer in the next cell, then run the check below it.{slow} Stuck? "
        f'`hint("{ex.id}")` gives a hint, one more each time you run it.')
    answer = new_code_cell(ex.placeholder)
    head = "from wslab.exercises import check, given, hint\n\n" if imports else ""
    check = new_code_cell(f'{head}# hint("{ex.id}")  # uncomment for a hint, one more per run\n'
                          f'check("{ex.id}", {ex.answer_name})')
    name = ex.id.replace(".", "-").replace("_", "-")
    for cell, part in ((prompt, "prompt"), (answer, "answer"), (check, "check")):
        cell["id"] = f"ex-{name}-{part}"
    return [prompt, answer, check]


SUMMARY_HEADINGS = ("## What you saw", "## What you measured", "## Check yourself", "## Next",
                    "## Try it yourself")


def with_exercises(cells: Sequence[Sequence[str] | nbformat.NotebookNode],
                   number: str) -> list[Sequence[str] | nbformat.NotebookNode]:
    """``cells`` with notebook ``number``'s checked exercises, before the closing summary.

    The exercises (every one of :func:`wslab.exercises.exercises` whose id starts with
    ``number``, in catalogue order) go under an "Exercises" heading, just before the first
    cell that starts with one of :data:`SUMMARY_HEADINGS` (at the end if there is none).
    """
    from wslab.exercises import exercises

    ids = [ex.id for ex in exercises() if ex.id.startswith(f"{number}.")]
    if not ids:
        return list(cells)
    block: list[Sequence[str] | nbformat.NotebookNode] = [new_markdown_cell(
        "## Exercises\n\nEach exercise checks itself: write your answer, run its check. "
        "The check shows ✓ or what went wrong (an input, what was expected, what came back); "
        "`hint(...)` gives one more hint each time, never the answer.")]
    block.append(new_code_cell("from wslab.exercises import check, given, hint"))
    block[0]["id"], block[1]["id"] = f"ex-{number}-heading", f"ex-{number}-imports"
    for exercise_id in ids:
        block += exercise_cells(exercise_id, imports=False)

    def source(spec: Sequence[str] | nbformat.NotebookNode) -> str:
        return spec.source if isinstance(spec, nbformat.NotebookNode) else spec[-1]

    at = next((i for i, spec in enumerate(cells)
               if source(spec).lstrip().startswith(SUMMARY_HEADINGS)), len(cells))
    return [*cells[:at], *block, *cells[at:]]


def write(nb: nbformat.NotebookNode, filename: str) -> Path:
    """Write ``nb`` to ``notebooks/filename`` and say so."""
    path = NOTEBOOKS / filename
    nbformat.write(nb, path)
    print(f"wrote {path}")
    return path
