"""House rules that a machine can check: lint, layering, the README's promise, loopback only."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from conftest import requires

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "wslab"
LINTED = ("wslab", "tests", "bench", "tools", "notebooks")  # same as `make lint`

# Layers, bottom (0) to top; imports inside wslab may only point down or sideways.
LIVE = {"server", "routes", "loopthread", "client", "rawclient", "events", "tap", "tap_link",
        "pcap", "scenarios", "scenarios_core", "scenarios_result", "scenarios_close",
        "scenarios_keepalive", "scenarios_handshake", "scratch", "scratch_faults"}
TIMING = {"timing"}
PRESENTATION = {"widgets", "plots", "display"}
ENTRY_POINTS = {"cli", "__main__"}  # command line: above every layer
LAYER_NAMES = ("codec", "live", "timing", "presentation", "entry point")
# What the codec (pure: no sockets, no I/O, no Jupyter) must never import.
IMPURE = {"socket", "ssl", "selectors", "asyncio", "IPython", "ipykernel", "ipywidgets",
          "matplotlib"}


def layer(module: str) -> int:
    """0 codec, 1 live, 2 timing, 3 presentation, 4 entry point."""
    for index, names in enumerate((LIVE, TIMING, PRESENTATION, ENTRY_POINTS), start=1):
        if module in names:
            return index
    return 0


def wslab_module(path: Path) -> str:
    """``wslab/frames.py`` -> ``"frames"``; ``wslab/sub/x.py`` -> ``"sub"``."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def package_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Every module ``path`` (or ``source`` placed there) imports, anywhere in it.

    Returns:
        ``(line, absolute dotted name)`` pairs; relative imports are resolved.
    """
    package = ["wslab", *path.relative_to(PACKAGE).parts[:-1]]
    if source is None:
        source = path.read_text(encoding="utf-8")
    out = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            out.append((node.lineno, module))
            # `from . import server` and `from wslab import server` import a module by name.
            if module == "wslab":
                out += [(node.lineno, f"wslab.{alias.name}") for alias in node.names]
    return out


def codec_modules() -> list[Path]:
    return [p for p in package_modules() if layer(wslab_module(p)) == 0]


def test_package_has_codec_modules() -> None:
    names = {wslab_module(p) for p in codec_modules()}
    assert {"errors", "frames", "mask", "close"} <= names


def test_codec_is_pure() -> None:
    offenders = [f"{p.relative_to(ROOT)}:{line} imports {name}"
                 for p in codec_modules() for line, name in imports(p)
                 if name.split(".")[0] in IMPURE]
    assert not offenders, ("codec modules must not use sockets, asyncio or Jupyter:\n"
                           + "\n".join(offenders))


def test_imports_point_down() -> None:
    offenders = []
    for path in package_modules():
        own = layer(wslab_module(path))
        for line, name in imports(path):
            parts = name.split(".")
            if parts[0] != "wslab" or len(parts) < 2:
                continue
            target = layer(parts[1])
            if target > own:
                offenders.append(f"{path.relative_to(ROOT)}:{line} ({LAYER_NAMES[own]}) "
                                 f"imports {name} ({LAYER_NAMES[target]})")
    assert not offenders, "imports must point down the layers:\n" + "\n".join(offenders)


def test_import_scanner_resolves_relative_imports() -> None:
    source = ("from . import server\nfrom .frames import Frame\nimport socket\n"
              "def f():\n    from wslab.widgets import x\n")
    found = sorted(name for _, name in imports(PACKAGE / "probe.py", source))
    assert found == ["socket", "wslab", "wslab.frames", "wslab.server", "wslab.widgets"]
    nested = imports(PACKAGE / "sub" / "probe.py", "from .. import tap\nfrom . import y\n")
    assert sorted(name for _, name in nested) == ["wslab", "wslab.sub", "wslab.tap"]


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
