"""Binder's files agree with the project and would build (checked offline: no Docker here)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import missing, requires
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
POST_BUILD = BINDER / "postBuild"
START_URLPATH = "urlpath=lab/tree/notebooks/00-start-here.ipynb"
# Output of pip when it cannot reach a package index at all.
NO_INDEX = re.compile(r"NewConnectionError|Failed to establish a new connection|"
                      r"Temporary failure in name resolution|Network is unreachable|"
                      r"Max retries exceeded|ConnectTimeout")


def requirements(path: Path) -> dict[str, Requirement]:
    """The requirements in ``path`` by canonical name (comments and blank lines ignored)."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert not line.startswith("-"), (
                f"{path.relative_to(ROOT)}: {line!r}: Binder installs binder/requirements.txt "
                "before copying the repository, so it must be a plain list")
            req = Requirement(line)
            out[canonicalize_name(req.name)] = req
    return out


def runtime_version() -> str:
    text = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(3\.\d+)", text)
    assert match, f"binder/runtime.txt should be 'python-3.X', not {text!r}"
    return match[1]


def test_binder_requirements_match_requirements_txt() -> None:
    binder = requirements(BINDER / "requirements.txt")
    runtime = requirements(ROOT / "requirements.txt")
    assert binder, "binder/requirements.txt lists no package"
    assert sorted(binder) == sorted(runtime), "binder and root requirements name other packages"
    differ = {name: (str(binder[name]), str(runtime[name]))
              for name in binder if str(binder[name]) != str(runtime[name])}
    assert not differ, f"binder and root requirements pin differently: {differ}"


def test_binder_requirements_cover_package_dependencies() -> None:
    # postBuild installs wslab with --no-deps: its dependencies must come from the list.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = {canonicalize_name(Requirement(d).name) for d in project["dependencies"]}
    absent = needed - set(requirements(BINDER / "requirements.txt"))
    assert not absent, f"binder/requirements.txt lacks wslab's dependencies {sorted(absent)}"


def test_runtime_txt_names_a_supported_python() -> None:
    version = runtime_version()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert SpecifierSet(project["requires-python"]).contains(version), (
        f"binder/runtime.txt asks for Python {version}, "
        f"pyproject.toml requires {project['requires-python']}")


def test_post_build_is_executable_bash() -> None:
    assert POST_BUILD.stat().st_mode & stat.S_IXUSR, "binder/postBuild is not executable"
    lines = POST_BUILD.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#!/bin/bash", f"binder/postBuild starts with {lines[0]!r}"
    assert "set -euo pipefail" in lines, "binder/postBuild should stop at the first error"
    result = subprocess.run(["bash", "-n", str(POST_BUILD)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, f"bash -n binder/postBuild:\n{result.stderr}"


def test_post_build_writes_settings_overrides(tmp_path: Path) -> None:
    """Run the settings part of postBuild against a scratch prefix (no pip install)."""
    script = POST_BUILD.read_text(encoding="utf-8")
    settings_part = script[script.index("prefix="):]
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", settings_part],
                            env=dict(os.environ, NB_PYTHON_PREFIX=str(tmp_path)),
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    overrides = json.loads(
        (tmp_path / "share/jupyter/lab/settings/overrides.json").read_text(encoding="utf-8"))
    assert overrides == {"@jupyterlab/apputils-extension:notification":
                         {"fetchNews": "false", "checkForUpdates": False}}


def test_readme_binder_link_opens_start_here() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"https://mybinder\.org/v2/gh/[^\s)\"']+", readme)
    assert links, "README.md has no mybinder.org link"
    for link in links:
        assert link.endswith("?" + START_URLPATH), f"Binder link does not open 00: {link}"
    assert (ROOT / START_URLPATH.split("lab/tree/", 1)[1]).exists()


@pytest.mark.slow
def test_binder_requirements_resolve() -> None:
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
               "--quiet", "--disable-pip-version-check", "--retries", "1", "--timeout", "20",
               "--python-version", runtime_version(), "--only-binary=:all:",
               "-r", str(BINDER / "requirements.txt")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    if result.returncode != 0 and NO_INDEX.search(result.stderr):
        missing("a package index", "resolve binder/requirements.txt with pip --dry-run")
    assert result.returncode == 0, (
        f"binder/requirements.txt does not resolve for Python {runtime_version()}:\n"
        + result.stderr[-3000:])


def test_repo2docker_would_use_binder_files() -> None:
    requires("repo2docker", "print the Dockerfile Binder would build")
    result = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", "--user-id", "1000",
         "--user-name", "jovyan", str(ROOT)],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert f"python={runtime_version()}" in out, "repo2docker did not pick runtime.txt's Python"
    assert '-r "binder/requirements.txt"' in out, "repo2docker would not install the list"
    assert "./binder/postBuild" in out, "repo2docker would not run postBuild"
