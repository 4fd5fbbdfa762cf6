"""The cells tools/nbgen.py makes for an exercise run in a fresh kernel and say what to do."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from wslab.exercises import exercises

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import nbgen  # noqa: E402  (tools/ is not a package)

CELL_TIMEOUT = 60  # seconds


def test_cells_of_an_exercise() -> None:
    prompt, answer, check = nbgen.exercise_cells("02.unmask")
    assert prompt.cell_type == "markdown" and prompt.source.startswith(
        "### Exercise 02.unmask · Unmask a payload")
    assert 'hint("02.unmask")' in prompt.source and "§5.3" in prompt.source
    assert answer.source == "def unmask(payload, key):\n    ...  # your code here"
    assert check.source.endswith('check("02.unmask", unmask)')
    assert [c.id for c in (prompt, answer, check)] == [
        "ex-02-unmask-prompt", "ex-02-unmask-answer", "ex-02-unmask-check"]
    nb = nbgen.notebook([("md", "# Title"), *nbgen.exercise_cells("02.unmask")], "nb99")
    assert [c.id for c in nb.cells][1:] == ["ex-02-unmask-prompt", "ex-02-unmask-answer",
                                            "ex-02-unmask-check"]


@pytest.mark.notebook
@pytest.mark.slow
def test_every_exercise_runs_with_its_placeholder(tmp_path: Path) -> None:
    cells: list = [("md", "# Every exercise, unanswered")]
    for ex in exercises():
        cells += nbgen.exercise_cells(ex.id)
    cells.append(("code", "hint('02.unmask')"))
    nb = nbgen.notebook(cells, "scratch")
    path = tmp_path / "exercises.ipynb"
    nbformat.write(nb, path)
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(tmp_path)}})
    env = dict(os.environ, IPYTHONDIR=str(tmp_path / "ipython"), JUPYTER_PLATFORM_DIRS="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    start = time.perf_counter()
    client.execute(env=env)  # raises CellExecutionError if any cell fails
    elapsed = time.perf_counter() - start
    checks = [c for c in nb.cells if c.get("id", "").endswith("-check")]
    assert len(checks) == len(exercises())
    for cell in checks:
        html = "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)
        plain = "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
        assert "not answered yet" in html and "run this cell again" in plain, cell.id
        assert 'data-role="exercise-result"' in html
    last = nb.cells[-1].outputs[0]["data"]
    assert "hint 1 of 3" in last["text/plain"]
    print(f"\n{len(checks)} unanswered exercises ran in {elapsed:.1f} s")
    assert elapsed < 30, f"the unanswered exercises took {elapsed:.1f} s"


def test_course_source_is_in_sync() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_assignments_sync",
                                                  ROOT / "tools" / "make_assignments.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    assert len(module.ASSIGNMENTS) >= 3
    assert not module.out_of_date(), "course/source is stale: run python tools/make_assignments.py"
    for assignment in module.ASSIGNMENTS:
        nb = nbformat.read(ROOT / "course" / "source" / assignment.name / assignment.notebook, 4)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
        grades = [c for c in nb.cells if c.metadata["nbgrader"]["grade"]]
        assert len(grades) == len(assignment.exercise_ids)
        assert all(c.metadata["nbgrader"]["points"] >= 1 for c in grades)
