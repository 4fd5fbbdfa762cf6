"""The nbgrader flow, offline, in a copy of course/: generate, submit, autograde, grades.

Three students hand in the "frames" assignment: Alice answers everything right, Bob gets
one exercise wrong, Carol's answers raise, hang and leave a name undefined. nbgrader's
autograde must grade all three (no crash), with Alice at full marks and Bob and Carol losing
exactly the points of the cells they got wrong, read back from the gradebook.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import requires

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "frames"
TIMEOUT = 300  # seconds for one nbgrader command at most

_spec = importlib.util.spec_from_file_location("make_assignments",
                                               ROOT / "tools" / "make_assignments.py")
assert _spec and _spec.loader
make_assignments = importlib.util.module_from_spec(_spec)
sys.modules["make_assignments"] = make_assignments  # dataclasses look their module up there
_spec.loader.exec_module(make_assignments)

WRONG = {  # grade id of an answer cell -> what a student wrote there
    "bob": {"02-length-answer": (
        "def encode_length(n):\n"
        "    if n <= 126:  # off by one: 126 already needs the 16-bit form\n"
        "        return bytes([n])\n"
        "    if n <= 0xFFFF:\n"
        "        return bytes([126]) + n.to_bytes(2, 'big')\n"
        "    return bytes([127]) + n.to_bytes(8, 'big')")},
    "carol": {
        "02-unmask-answer": "def unmask(payload, key):\n    return payload[len(payload) + 1]",
        "02-parse_header-answer": "def parse_header(two_bytes):\n    while True:\n        pass",
        "02-which_rule-answer": "rule_and_offset = (rule_id, 12)  # NameError: rule_id",
    },
}


def nbgrader(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).with_name("nbgrader")
    env = dict(os.environ, PATH=f"{binary.parent}{os.pathsep}{os.environ.get('PATH', '')}",
               JUPYTER_PLATFORM_DIRS="1")  # nbgrader runs `alembic` from PATH
    done = subprocess.run([str(binary), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def answered(release: nbformat.NotebookNode, student: str) -> nbformat.NotebookNode:
    """The released notebook with ``student``'s answers in the answer cells."""
    nb = nbformat.from_dict(release)
    wrong = WRONG.get(student, {})
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if not grade_id.endswith("-answer"):
            continue
        ex_id = grade_id.removesuffix("-answer").replace("-", ".", 1)
        right = make_assignments.solution_cell_source(
            make_assignments.exercise(ex_id))
        right = "\n".join(line for line in right.splitlines()
                          if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
        cell.source = wrong.get(grade_id, right)
    return nb


@pytest.mark.slow
def test_nbgrader_flow(tmp_path: Path) -> None:
    requires("nbgrader", "grade the course's assignments (pip install -r requirements-test.txt)")
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "course" / "nbgrader_config.py", course)
    make_assignments.write_all(course / "source")
    assert not make_assignments.out_of_date(), "course/source is stale: run make assignments"
    timings = {}

    # 1. generate: the student version has no solution left, and its checks run unanswered
    start = time.perf_counter()
    for assignment in make_assignments.ASSIGNMENTS:
        nbgrader("generate_assignment", assignment.name, "--force", cwd=course)
        release = course / "release" / assignment.name / assignment.notebook
        text = release.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "...  # your code here" in text
        source = nbformat.read(course / "source" / assignment.name / assignment.notebook, 4)
        for cell in source.cells:
            if cell.metadata["nbgrader"]["solution"]:
                body = [ln.strip() for ln in cell.source.split("### BEGIN SOLUTION")[1]
                        .split("### END SOLUTION")[0].splitlines() if ln.strip()]
                assert not [ln for ln in body if ln in text], f"{release.name} leaks {body}"
    timings["generate (3 assignments)"] = time.perf_counter() - start

    # 2. three submissions of "frames"
    plan = next(a for a in make_assignments.ASSIGNMENTS if a.name == ASSIGNMENT)
    release = nbformat.read(course / "release" / ASSIGNMENT / plan.notebook, as_version=4)
    for student in ("alice", "bob", "carol"):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(answered(release, student), folder / plan.notebook)

    # 3. autograde all three
    start = time.perf_counter()
    nbgrader("autograde", ASSIGNMENT, "--force", cwd=course)
    timings["autograde (3 submissions)"] = time.perf_counter() - start
    print("\n" + "\n".join(f"{what}: {seconds:.1f} s" for what, seconds in timings.items()))

    # 4. the gradebook
    points = {f"{e.replace('.', '-')}-test":
              make_assignments.exercise(e).points for e in plan.exercise_ids}
    full = sum(points.values())
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        def cell_scores(student: str) -> dict[str, float]:
            return {gid: gb.find_grade(gid, plan.name, ASSIGNMENT, student).score
                    for gid in points}

        def total(student: str) -> float:
            return gb.find_submission(ASSIGNMENT, student).score

        assert gb.find_submission(ASSIGNMENT, "alice").max_score == full
        assert total("alice") == full, cell_scores("alice")
        lost = {gid: points[gid] - score for gid, score in cell_scores("bob").items() if
                score != points[gid]}
        assert lost == {"02-length-test": points["02-length-test"]}
        assert total("bob") == full - points["02-length-test"]
        carol = cell_scores("carol")
        assert {gid for gid, score in carol.items() if score == 0} == {
            "02-unmask-test", "02-parse_header-test", "02-which_rule-test"}
        assert total("carol") == points["02-length-test"]

    # 5. what Carol sees: the checks' messages, not tracebacks from deep inside wslab
    graded = nbformat.read(course / "autograded" / "carol" / ASSIGNMENT / plan.notebook, 4)
    errors = {c.metadata["nbgrader"]["grade_id"]: "\n".join(o.get("evalue", "") for o in
                                                            c.outputs if o.output_type == "error")
              for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert "raised IndexError" in errors["02-unmask-test"]
    assert "did not return within" in errors["02-parse_header-test"]
    assert re.search(r"NameError|not defined", errors["02-which_rule-test"])
