"""Every notebook runs top to bottom in a fresh kernel, fast, and is stored clean."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
START = NOTEBOOK_DIR / "00-start-here.ipynb"

CELL_TIMEOUT = 60  # seconds, per cell
NOTEBOOK_BUDGET = 60  # seconds, whole notebook (the goal is < 20 s; CI machines are slow)

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Markdown links and HTML hrefs to a relative path (not http:, mailto:, #anchor).
RELATIVE_LINK = re.compile(r"""(?:\]\(|href=["'])(?![a-z][a-z0-9+.-]*:|#)([^)"'\s#?]+)""")

_spec = importlib.util.spec_from_file_location("clean_notebooks",
                                               ROOT / "tools" / "clean_notebooks.py")
assert _spec and _spec.loader
clean_notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(clean_notebooks)

by_name = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=nbformat.NO_CONVERT)


def failed_cell(nb: nbformat.NotebookNode) -> str:
    """The first cell with an error output: its number, source and traceback."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                trace = ANSI.sub("", "\n".join(output.traceback))
                return f"cell {index} failed:\n{cell.source}\n{'-' * 40}\n{trace}"
    return "no cell has an error output"


def test_start_here_exists() -> None:
    assert START in NOTEBOOKS, f"missing {START.relative_to(ROOT)} (the README and Binder open it)"


@by_name
@pytest.mark.notebook
@pytest.mark.slow
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    # A fresh IPython profile: no startup files or history from the user's home.
    env = dict(os.environ, IPYTHONDIR=str(tmp_path / "ipython"),
               PYDEVD_DISABLE_FILE_VALIDATION="1", JUPYTER_PLATFORM_DIRS="1")
    start = time.perf_counter()
    problem = None
    try:
        client.execute(env=env)
    except CellExecutionError:
        problem = failed_cell(nb)
    except (CellTimeoutError, DeadKernelError) as exc:
        problem = ANSI.sub("", str(exc))
    if problem:  # failed outside `except`, so pytest does not print the chained exception
        pytest.fail(f"{path.name}: {problem}", pytrace=False)
    elapsed = time.perf_counter() - start
    assert elapsed <= NOTEBOOK_BUDGET, (
        f"{path.name} took {elapsed:.1f} s to run (budget {NOTEBOOK_BUDGET} s, goal < 20 s)")


@by_name
def test_notebook_is_valid_v4(path: Path) -> None:
    nb = read(path)
    assert nb.nbformat == 4, f"{path.name} is nbformat v{nb.nbformat}, not v4"
    nbformat.validate(nb)


@by_name
def test_notebook_is_stored_clean(path: Path) -> None:
    dirty = clean_notebooks.dirty_cells(json.loads(path.read_text(encoding="utf-8")))
    assert not dirty, (f"{path.name} is stored with outputs (run `make clean-notebooks`):\n"
                       + "\n".join(dirty))


def test_clean_notebooks_strips_a_run(tmp_path: Path) -> None:
    stored = START.read_text(encoding="utf-8")
    nb = json.loads(stored)
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    for count, cell in enumerate(code, start=1):
        cell["execution_count"] = count
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x\n"}]
        cell["metadata"]["execution"] = {"iopub.status.idle": "2024-01-01T00:00:00Z"}
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    run = tmp_path / START.name
    run.write_text(json.dumps(nb), encoding="utf-8")
    assert len(clean_notebooks.dirty_cells(nb)) == len(code) + 1
    assert clean_notebooks.main([str(run)]) == 0
    assert run.read_text(encoding="utf-8") == stored


@by_name
def test_notebook_starts_with_title(path: Path) -> None:
    nb = read(path)
    assert nb.cells, f"{path.name} has no cells"
    first = nb.cells[0]
    assert first.cell_type == "markdown", f"{path.name}: first cell is {first.cell_type}"
    title = first.source.lstrip().splitlines()[0] if first.source.strip() else ""
    assert re.fullmatch(r"# \S.*", title), (
        f"{path.name}: first cell should start with a '# Title' line, not {title!r}")


def relative_links(text: str) -> list[str]:
    return RELATIVE_LINK.findall(text)


@pytest.mark.parametrize("path", [ROOT / "README.md", *NOTEBOOKS],
                         ids=["README.md", *(p.name for p in NOTEBOOKS)])
def test_relative_links_resolve(path: Path) -> None:
    if path.suffix == ".ipynb":
        text = "\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    links = relative_links(text)
    broken = sorted({link for link in links if not (path.parent / link).exists()})
    assert not broken, f"{path.name} links to files that do not exist: {broken}"


def test_relative_link_pattern() -> None:
    text = ("[a](01-handshake.ipynb) [b](https://x.org/y) [c](#top) "
            '<a href="02-frame-anatomy.ipynb#bits">d</a> [e](mailto:a@b)')
    assert relative_links(text) == ["01-handshake.ipynb", "02-frame-anatomy.ipynb"]
