"""Shared by the notebook generators (tools/make_nbNN.py): a clean notebook, stable ids.

A generator lists its cells and calls :func:`write`; the notebook is stored without
outputs and with fixed cell ids, so running a generator again changes nothing, and editing
one cell changes only that cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                   "name": "python3"},
    "language_info": {"name": "python"},
}


def notebook(cells: Iterable[Sequence[str] | nbformat.NotebookNode],
             tag: str) -> nbformat.NotebookNode:
    """A validated notebook from ``cells``.

    Args:
        cells: ``(kind, source)`` with kind "md" or "code"; ``(kind, id, source)`` to fix a
            cell's id by name; or ready nbformat cells.
        tag: prefix of the cell ids, e.g. "nb03" (ids "nb03-00", "nb03-01", ... by position
            unless given).
    """
    nb = new_notebook(metadata=METADATA)
    for number, spec in enumerate(cells):
        if isinstance(spec, nbformat.NotebookNode):
            cell, name = spec, f"{number:02d}"
        else:
            kind, *name_parts, source = spec
            cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
            name = name_parts[0] if name_parts else f"{number:02d}"
        cell["id"] = f"{tag}-{name}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def write(nb: nbformat.NotebookNode, filename: str) -> Path:
    """Write ``nb`` to ``notebooks/filename`` and say so."""
    path = NOTEBOOKS / filename
    nbformat.write(nb, path)
    print(f"wrote {path}")
    return path
