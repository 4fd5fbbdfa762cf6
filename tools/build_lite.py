"""Build the JupyterLite site: wslab's codec notebooks in the browser, nothing to install.

``make lite`` runs this. It writes a static site to ``build/lite/`` (publish the folder as
is, on any static host) that loads nothing from outside its own origin:

- JupyterLite with the Pyodide kernel (``jupyterlite-core``, ``jupyterlite-pyodide-kernel``,
  pinned in ``lite/requirements-lite.txt``), built in a venv of its own on Python >= 3.12;
- the Pyodide runtime, vendored from the npm package ``pyodide`` (the kernel would load it
  from a CDN otherwise);
- wslab's wheel, ipywidgets and every pure-Python package the kernel needs, resolved by
  ``PyodideLockAddon`` (``lite/jupyter_lite_config.json``) from PyPI at build time;
- the notebooks that need no sockets (:data:`NOTEBOOKS`): in Pyodide a thread cannot start
  and a socket cannot listen, so the live notebooks stay on JupyterLab, Binder or a hub.

Needs: a Python >= 3.12 (``--python``, ``WSLAB_LITE_PYTHON``, ``python3.12`` on PATH or a
pyenv version), ``npm``, and PyPI and the npm registry at build time (not at run time).
Work files (venv, npm cache, the assembled lite dir) go to ``build/lite-work/``; a build
whose inputs have not changed is skipped (``--force`` rebuilds).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no lock (two builds at once are then the user's business)
    fcntl = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "lite"  # jupyter_lite_config.json, overrides.json, requirements-lite.txt
REQUIREMENTS = CONFIG / "requirements-lite.txt"
OUTPUT = ROOT / "build" / "lite"
WORK = ROOT / "build" / "lite-work"
MIN_PYTHON = (3, 12)
PYODIDE_VERSION = "314.0.6"  # the npm package `pyodide`: the runtime only, no package wheels
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json", "pyodide.js", "package.json")
# The notebooks that run on the codec alone; every other one needs sockets and threads and
# starts with tools/nbgen.py's live guard.
NOTEBOOKS = ("00-start-here.ipynb", "01-handshake.ipynb", "02-frame-anatomy.ipynb",
             "07-frame-workbench.ipynb", "11-permessage-deflate.ipynb")
SUBPROCESS_TIMEOUT = 900  # seconds for any one install or build step


class BuildError(RuntimeError):
    """The site cannot be built (a missing tool, a failed step); the message says why."""


def _version(python: str) -> tuple[int, int] | None:
    """``(major, minor)`` of the interpreter ``python``, or ``None`` if it does not run."""
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    major, minor = out.split()
    return int(major), int(minor)


def _pyenv_pythons() -> list[str]:
    """The interpreters of every pyenv version (``pyenv root``, else ``~/.pyenv``)."""
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    if pyenv := shutil.which("pyenv"):
        try:
            roots.insert(0, subprocess.run([pyenv, "root"], capture_output=True, text=True,
                                           timeout=30, check=True).stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    found: list[str] = []
    for root in filter(None, roots):
        found += sorted(str(p) for p in Path(root).glob("versions/3.*/bin/python3"))
    return found


def find_python(explicit: str | None = None) -> str | None:
    """An interpreter for the build venv: Python >= 3.12, 3.12 itself preferred (tried).

    Args:
        explicit: this one only (``--python``), else ``$WSLAB_LITE_PYTHON``, else
            ``python3.12``, ``python3.13``, ... on PATH, else pyenv's versions.
    Returns:
        its path, or ``None`` if there is none.
    """
    explicit = explicit or os.environ.get("WSLAB_LITE_PYTHON")
    if explicit:
        version = _version(explicit)
        return explicit if version and version >= MIN_PYTHON else None
    candidates = [p for n in range(MIN_PYTHON[1], 20) if (p := shutil.which(f"python3.{n}"))]
    candidates += _pyenv_pythons()
    versions = {c: v for c in dict.fromkeys(candidates) if (v := _version(c)) and v >= MIN_PYTHON}
    if not versions:
        return None
    return min(versions, key=lambda c: versions[c])  # the oldest that is new enough: 3.12


def _run(command: list[str], **kwargs: object) -> None:
    print("   ", " ".join(str(c) for c in command), flush=True)
    try:
        subprocess.run(command, check=True, timeout=SUBPROCESS_TIMEOUT, **kwargs)  # type: ignore[call-overload]
    except FileNotFoundError as exc:
        raise BuildError(f"{command[0]} is not installed") from exc
    except subprocess.CalledProcessError as exc:
        shown = " ".join(map(str, command[:4]))
        raise BuildError(f"{shown} ... failed ({exc.returncode})") from exc
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"{command[0]} took more than {SUBPROCESS_TIMEOUT} s") from exc


def build_venv(python: str) -> Path:
    """``build/lite-work/venv`` with ``lite/requirements-lite.txt``; its ``bin`` folder."""
    venv = WORK / "venv"
    stamp = venv / ".wslab-lite-installed"
    want = f"{Path(python).resolve()}\n{REQUIREMENTS.read_text()}"
    if stamp.is_file() and stamp.read_text() == want:
        return venv / "bin"
    print(f"==> build venv ({python}) with {REQUIREMENTS.relative_to(ROOT)}")
    shutil.rmtree(venv, ignore_errors=True)
    _run([python, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
          "--disable-pip-version-check", "-r", str(REQUIREMENTS)])
    stamp.write_text(want)
    return venv / "bin"


def pyodide_runtime() -> Path:
    """The npm package ``pyodide`` at :data:`PYODIDE_VERSION`, unpacked; its folder."""
    npm_dir = WORK / "npm"
    package = npm_dir / f"pyodide-{PYODIDE_VERSION}"
    if all((package / name).is_file() for name in PYODIDE_FILES):
        return package
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is not installed (apt-get install npm): it fetches the "
                         f"Pyodide runtime, the npm package pyodide@{PYODIDE_VERSION}")
    print(f"==> Pyodide runtime: npm pack pyodide@{PYODIDE_VERSION}")
    npm_dir.mkdir(parents=True, exist_ok=True)
    _run([npm, "pack", f"pyodide@{PYODIDE_VERSION}", "--silent",
          f"--pack-destination={npm_dir}"], cwd=npm_dir, stdout=subprocess.DEVNULL)
    shutil.rmtree(package, ignore_errors=True)
    package.mkdir()
    with tarfile.open(npm_dir / f"pyodide-{PYODIDE_VERSION}.tgz") as tar:
        for name in PYODIDE_FILES:
            member = tar.extractfile(f"package/{name}")
            if member is None:
                raise BuildError(f"pyodide@{PYODIDE_VERSION} has no {name}")
            (package / name).write_bytes(member.read())
    return package


def inputs_key(python: str) -> str:
    """A hash of everything the site is built from: unchanged inputs, unchanged site."""
    digest = hashlib.sha256()
    files = [Path(__file__), ROOT / "pyproject.toml", *sorted(CONFIG.iterdir()),
             *(ROOT / "notebooks" / n for n in NOTEBOOKS),
             *sorted((ROOT / "wslab").rglob("*.py"))]
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"{PYODIDE_VERSION}\0{Path(python).resolve()}".encode())
    return digest.hexdigest()


def assemble(bin_dir: Path, runtime: Path) -> Path:
    """The lite dir ``jupyter lite build`` reads: config, wheels, runtime and notebooks."""
    site = WORK / "site"
    for stale in ("files", "wheels", "static"):
        shutil.rmtree(site / stale, ignore_errors=True)
    for state in site.glob(".jupyterlite.doit.db*"):  # the output is rebuilt from nothing
        state.unlink()
    (site / "files").mkdir(parents=True)
    for name in ("jupyter_lite_config.json", "overrides.json"):
        shutil.copy(CONFIG / name, site / name)
    print("==> wslab's wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources, and an
    # editable install (make test) may be writing there at the same moment.
    source = WORK / "source"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "wslab", source / "wslab",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([str(bin_dir / "python"), "-m", "pip", "wheel", "-q", "--disable-pip-version-check",
          "--no-deps", "-w", str(site / "wheels"), str(source)])
    shutil.copytree(runtime, site / "static" / "pyodide")
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, site / "files" / name)
    return site


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    """One build at a time: a second one waits here, then finds the site up to date.

    (CI starts a build in the background while it installs the test venv; the test's own
    build then waits for it instead of racing it.)
    """
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / "lock").open("w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(python: str, *, force: bool = False) -> Path:
    """Build the site into :data:`OUTPUT` (skipped if its inputs have not changed).

    Raises:
        BuildError: a step failed; the message says which and why.
    """
    with _exclusive():
        return _build(python, force=force)


def _build(python: str, *, force: bool) -> Path:
    key = inputs_key(python)
    key_file = WORK / "built-key"
    if not force and key_file.is_file() and key_file.read_text() == key \
            and (OUTPUT / "index.html").is_file():
        print(f"==> {OUTPUT.relative_to(ROOT)} is up to date (--force rebuilds)")
        return OUTPUT
    WORK.mkdir(parents=True, exist_ok=True)
    key_file.unlink(missing_ok=True)
    bin_dir = build_venv(python)
    site = assemble(bin_dir, pyodide_runtime())
    print(f"==> jupyter lite build -> {OUTPUT.relative_to(ROOT)}")
    shutil.rmtree(OUTPUT, ignore_errors=True)
    env = dict(os.environ, UV_PYTHON_DOWNLOADS="never")  # uv uses the venv's interpreter
    log = WORK / "build.log"
    try:
        with log.open("w") as out:
            _run([str(bin_dir / "jupyter"), "lite", "build", f"--lite-dir={site}",
                  f"--output-dir={OUTPUT}"], cwd=site, env=env, stdout=out,
                 stderr=subprocess.STDOUT)
    except BuildError as exc:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-40:])
        raise BuildError(f"{exc}; the end of {log.relative_to(ROOT)}:\n{tail}") from None
    check_site(OUTPUT)
    key_file.write_text(key)
    return OUTPUT


def check_site(output: Path) -> None:
    """The site holds the runtime and notebooks, and loads its packages from itself.

    Raises:
        BuildError: something is missing, or the kernel would load the runtime or a package
            it preloads from another host.
    """
    config = json.loads((output / "jupyter-lite.json").read_text())
    options = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"]
    url = options.get("pyodideUrl")  # without it, the kernel loads Pyodide from a CDN
    if not url or "//" in url or not (output / url).with_name("pyodide.asm.wasm").is_file():
        raise BuildError(f"the Pyodide runtime is not served by the site: pyodideUrl={url}")
    lock = json.loads((output / options["loadPyodideOptions"]["lockFileURL"]).read_text())
    for name in ("wslab", "websockets", "ipywidgets", "ipykernel", "comm", "ipython"):
        entry = lock["packages"].get(name)
        if entry is None or "//" in entry["file_name"]:
            raise BuildError(f"{name} is not served by the site: {entry and entry['file_name']}")
    for name in NOTEBOOKS:
        if not (output / "files" / name).is_file():
            raise BuildError(f"{name} is missing from {output}/files")


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the JupyterLite site (wslab's codec notebooks, the Pyodide "
                    f"kernel, no CDN) into {OUTPUT.relative_to(ROOT)}/.")
    parser.add_argument("--python", help="the Python >= 3.12 for the build venv (default: "
                        "$WSLAB_LITE_PYTHON, python3.12 on PATH, or a pyenv version)")
    parser.add_argument("--force", action="store_true",
                        help="rebuild even if no input changed")
    parser.add_argument("--print-python", action="store_true",
                        help="print the interpreter that would be used, and exit")
    args = parser.parse_args(argv)
    python = find_python(args.python)
    if python is None:
        print(f"error: no Python >= {MIN_PYTHON[0]}.{MIN_PYTHON[1]} found (tried --python, "
              "$WSLAB_LITE_PYTHON, python3.12+ on PATH and pyenv's versions); install one, "
              "e.g. `pyenv install 3.12`, or pass --python", file=sys.stderr)
        return 2
    if args.print_python:
        print(python)
        return 0
    start = time.monotonic()
    try:
        output = build(python, force=args.force)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"==> {output.relative_to(ROOT)}: {_size(output) / 1e6:.1f} MB, "
          f"{time.monotonic() - start:.1f} s; serve it with "
          f"`python -m http.server -b 127.0.0.1 -d {output.relative_to(ROOT)}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
