"""House rules that a machine can check: lint, layering, the README's promise, loopback only."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import requires

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "wslab"
LINTED = ("wslab", "tests", "bench", "tools", "notebooks", "classroom")  # same as `make lint`

def test_ruff_check_passes() -> None:
    requires("ruff", "lint the code")
    paths = [name for name in LINTED if (ROOT / name).exists()]
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format=concise"]
    result = subprocess.run([*command, *paths], capture_output=True, text=True, timeout=120,
                            cwd=ROOT)
    assert result.returncode == 0, f"ruff check {' '.join(paths)}:\n{result.stdout}"


def test_readme_quick_start_is_make_lab_then_make_test() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", readme, flags=re.M | re.S)
    assert blocks, "README.md has no code block"
    commands = [line.split("#", 1)[0].strip() for line in blocks[0].splitlines()]
    commands = [command for command in commands if command]
    assert commands[:2] == ["make lab", "make test"], (
        f"README's first code block should start with `make lab`, `make test`: {commands}")


def test_make_lab_listens_on_loopback_only() -> None:
    requires("make", "read the Makefile's recipes")
    result = subprocess.run(["make", "-n", "lab"], capture_output=True, text=True,
                            timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    recipe = result.stdout.replace("\\\n", " ")
    lab = [line for line in recipe.splitlines() if "jupyter lab" in line]
    assert len(lab) == 1, f"expected one `jupyter lab` command in:\n{result.stdout}"
    assert "--ip=127.0.0.1" in lab[0], lab[0]
    assert "notebooks/00-start-here.ipynb" in lab[0], lab[0]


def test_ci_script_parses() -> None:
    result = subprocess.run(["bash", "-n", ".ci/run"], capture_output=True, text=True,
                            timeout=30, cwd=ROOT)
    assert result.returncode == 0, f"bash -n .ci/run:\n{result.stderr}"
