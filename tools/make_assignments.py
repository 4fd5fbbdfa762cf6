"""Write the nbgrader source notebooks of the course from the exercise catalogue.

    python tools/make_assignments.py              # write course/source/<assignment>/*.ipynb
    python tools/make_assignments.py --generate   # ... then `nbgrader generate_assignment`
    python tools/make_assignments.py --check      # exit 1 if course/source is out of date

Each assignment is one notebook: a locked introduction and set-up cell, then per exercise its
prompt (locked), an answer cell with the reference solution between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` (nbgrader replaces it with ``...  # your code here``), and a locked
autograder cell worth the exercise's points: ``check(id, answer).assert_passed()``. The
solutions come from the package's private reference module, the prompts and checks from
``wslab.exercises``, so the course stays in sync with the notebooks' exercises. Notebooks are
stored without outputs.
"""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from wslab.exercises import Exercise, Kind, exercise
from wslab.exercises import _solutions as solutions  # the teacher's side: solutions allowed

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
SOURCE = COURSE / "source"
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                   "name": "python3"},
    "language_info": {"name": "python"},
}
SETUP = """import base64
import codecs
import hashlib

from wslab.codec import Frame, Opcode
from wslab.exercises import check, given, hint"""


@dataclass(frozen=True)
class Assignment:
    """One nbgrader assignment: a name (its folder), a title, the exercises it grades."""

    name: str
    title: str
    intro: str
    exercise_ids: tuple[str, ...]

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"


ASSIGNMENTS = (
    Assignment("handshake", "The opening handshake",
               "Notebook 01: the key, the accept value, and the answers a server gives "
               "(RFC 6455 §1.3, §4).",
               ("01.accept_key", "01.key_valid", "01.status")),
    Assignment("frames", "Frame anatomy",
               "Notebook 02: masking, the three length encodings, the header bits, and "
               "fragmentation (RFC 6455 §5.2–§5.4).",
               ("02.unmask", "02.length", "02.parse_header", "02.which_rule")),
    Assignment("close-keepalive", "Close codes and keepalive",
               "Notebooks 03 and 04: pongs, when keepalive sends 1011, close payloads and "
               "close codes (RFC 6455 §5.5, §7.4).",
               ("03.pong", "03.keepalive", "04.close_payload", "04.valid_code",
                "04.code_for_bytes")),
)


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False,
          locked: bool = False, points: int | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def solution_cell_source(ex: Exercise) -> str:
    """The answer cell of the source notebook: the reference solution, marked for nbgrader."""
    value = solutions.SOLUTIONS[ex.id]
    if ex.kind is Kind.CODE:
        lines = inspect.getsource(value).splitlines()
        head, body = lines[0], textwrap.dedent("\n".join(lines[1:]))
        assert head.startswith(f"def {ex.answer_name}("), f"{ex.id}: {head}"
        marked = f"### BEGIN SOLUTION\n{body}\n### END SOLUTION"
        return f"{head}\n{textwrap.indent(marked, '    ')}"
    source = inspect.getsource(solutions)
    line = next(ln for ln in source.splitlines() if ln.startswith(f"{ex.answer_name} = "))
    placeholder = ex.placeholder
    return f"{placeholder}\n### BEGIN SOLUTION\n{line}\n### END SOLUTION"


def build(assignment: Assignment) -> nbformat.NotebookNode:
    """The source notebook of ``assignment`` (with solutions, without outputs)."""
    nb = new_notebook(metadata=METADATA)
    total = sum(exercise(i).points for i in assignment.exercise_ids)
    cells = [new_markdown_cell(
        f"# {assignment.title}\n\n{assignment.intro}\n\nWrite each answer in the cell "
        f"under its exercise, replacing `...  # your code here`, and run the check under it. "
        f"`hint(\"<id>\")` gives a hint, one more each time. Then save and submit: the grader "
        f"runs the same checks, {total} points in all.",
        metadata=_meta("intro", locked=True)),
        new_code_cell(SETUP, metadata=_meta("setup", locked=True))]
    for ex_id in assignment.exercise_ids:
        ex = exercise(ex_id)
        name = ex.id.replace(".", "-")
        cells += [
            new_markdown_cell(f"## Exercise {ex.id} · {ex.title} ({ex.points} "
                              f"point{'s' if ex.points > 1 else ''})\n\n{ex.prompt}",
                              metadata=_meta(f"{name}-prompt", locked=True)),
            new_code_cell(solution_cell_source(ex),
                          metadata=_meta(f"{name}-answer", solution=True)),
            new_code_cell(f'check("{ex.id}", {ex.answer_name}).assert_passed()',
                          metadata=_meta(f"{name}-test", grade=True, locked=True,
                                         points=ex.points)),
        ]
    for number, cell in enumerate(cells):
        cell["id"] = f"{assignment.name}-{number:02d}"
    nb.cells = cells
    nbformat.validate(nb)
    return nb


def write_all(source: Path = SOURCE) -> list[Path]:
    """Write every assignment's source notebook under ``source``; return the paths."""
    paths = []
    for assignment in ASSIGNMENTS:
        path = source / assignment.name / assignment.notebook
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(build(assignment), path)
        paths.append(path)
    return paths


def out_of_date(source: Path = SOURCE) -> list[str]:
    """The source notebooks that differ from what :func:`build` makes now."""
    stale = []
    for assignment in ASSIGNMENTS:
        path = source / assignment.name / assignment.notebook
        if not path.exists() or nbformat.read(path, as_version=4) != build(assignment):
            stale.append(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))
    return stale


def generate(course: Path = COURSE, nbgrader: str | None = None) -> None:
    """Run ``nbgrader generate_assignment NAME --force`` in ``course`` for each assignment."""
    command = nbgrader or str(Path(sys.executable).with_name("nbgrader"))
    for assignment in ASSIGNMENTS:
        print(f"==> nbgrader generate_assignment {assignment.name}")
        subprocess.run([command, "generate_assignment", assignment.name, "--force"],
                       cwd=course, check=True, timeout=300)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if course/source is stale")
    parser.add_argument("--generate", action="store_true",
                        help="then run nbgrader generate_assignment (into course/release)")
    args = parser.parse_args(argv)
    if args.check:
        stale = out_of_date()
        for path in stale:
            print(f"out of date: {path} (run python tools/make_assignments.py)")
        return 1 if stale else 0
    for path in write_all():
        print(f"wrote {path.relative_to(ROOT)}")
    if args.generate:
        generate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
