"""The notebooks in a real JupyterLab, driven by headless Chromium.

Starts ``jupyter lab`` on a free loopback port with a fresh settings and workspaces
directory, opens notebooks/07-frame-workbench.ipynb, runs every cell, then clicks the
FrameBuilder's FIN switch and types a payload, and reads what the page shows; the same
for the explorers of 08 and the push race of 09; notebooks 10-13 run top to bottom. Needs the
``chromium`` program and the ``playwright`` module (never ``playwright install``: the
Debian chromium is used). Leaves no server, kernel or browser behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import requires

if TYPE_CHECKING:
    from playwright.sync_api import Locator

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "07-frame-workbench.ipynb"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START = 40.0  # seconds for jupyter lab to answer /api/status
STEP = 30_000  # milliseconds for any one thing to appear in the page
SCREENSHOTS = Path("/tmp")  # wslab-jupyterlab-{before,after}.png, to look at
RFC_HELLO = "81 05 48 65 6c 6c 6f"  # RFC 6455 §5.7
NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _processes() -> dict[int, tuple[int, str]]:
    """Every process: pid -> (parent pid, command line)."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        found[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    return found


def marked(marker: str) -> set[int]:
    """Processes whose command line mentions ``marker`` (this test's private directory):
    the server (its --ServerApp.root_dir) and its kernels (their connection file)."""
    return {pid for pid, (_, cmd) in _processes().items() if marker in cmd and pid != os.getpid()}


def descendants(pid: int) -> set[int]:
    """Children, grandchildren, ... of ``pid`` (e.g. the browser this test started)."""
    table = _processes()
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        kids = {p for p, (ppid, _) in table.items() if ppid == parent} - found
        found |= kids
        todo += kids
    return found


def wait_gone(pids: Callable[[], set[int]], seconds: float = 10.0) -> set[int]:
    """Wait (bounded) until ``pids()`` is empty; return what is left."""
    deadline = time.monotonic() + seconds
    while (left := pids()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def wait_until_serving(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"jupyter lab did not answer within {SERVER_START:.0f} s:\n"
                f"{log.read_text()[-3000:]}")


@dataclass
class Lab:
    url: str
    server: subprocess.Popen[bytes]
    marker: str
    left: set[int] = field(default_factory=set)  # processes still there after stopping


@contextmanager
def jupyter_lab(tmp: Path, notebook: Path | Sequence[Path] = NOTEBOOK) -> Iterator[Lab]:
    """A JupyterLab serving a copy of the notebook(s), with private config and runtime dirs.

    On exit: SIGTERM (the server shuts its kernels down), then ``lab.left`` lists any of its
    processes still alive after 10 s (they are killed, and the test fails on them).
    """
    root, settings = tmp / "root", tmp / "settings"
    root.mkdir()
    for path in [notebook] if isinstance(notebook, Path) else notebook:
        shutil.copy(path, root / path.name)
    news = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps(NO_NEWS))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_DATA_DIR=str(tmp / "data"),
               IPYTHONDIR=str(tmp / "ipython"), JUPYTER_PLATFORM_DIRS="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    port = free_port()
    log = tmp / "jupyter.log"
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=",
               "--PasswordIdentityProvider.hashed_password=", "--allow-root",
               f"--ServerApp.root_dir={root}", "--expose-app-in-browser",
               f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
               f"--LabApp.user_settings_dir={settings}"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                  cwd=tmp)
    lab = Lab(f"http://127.0.0.1:{port}", server, str(tmp))
    try:
        wait_until_serving(server, lab.url, log)
        yield lab
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)
        lab.left = wait_gone(lambda: marked(lab.marker))
        for pid in lab.left:  # ours: started by this test's server, named by our directory
            os.kill(pid, signal.SIGKILL)


def hex_line(builder: Locator) -> str:
    return builder.locator(".wslab-hex [data-role=hex-string]").inner_text()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_frame_builder_in_jupyterlab(tmp_path: Path) -> None:
    requires("chromium", "run JupyterLab in a real browser (apt-get install chromium)")
    requires("playwright", "drive Chromium from Python (pip install playwright)")
    from playwright.sync_api import expect, sync_playwright

    start = time.monotonic()
    before = descendants(os.getpid())
    with jupyter_lab(tmp_path) as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?reset", timeout=STEP)
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            # Both, or "Run All" can land before the kernel exists.
            expect(panel.locator(".jp-Toolbar-kernelName")).to_have_text(re.compile("Python 3"),
                                                                          timeout=STEP)
            expect(panel.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
                "data-status", "idle", timeout=STEP)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            # The builder's output: hex line, verdict and the dissection's hex cells.
            builder = panel.locator(".jp-OutputArea-output .wslab-frame-builder")
            expect(builder.locator(".wslab-hex [data-role=hex-string]")).to_have_text(
                RFC_HELLO, timeout=STEP)
            first_cell = builder.locator('.wslab-view [data-offset="0"]')
            expect(first_cell).to_have_text("81")
            expect(builder.locator(".wslab-view [data-role=bits]")).to_be_visible()
            assert marked(lab.marker) - {lab.server.pid}, "no kernel process found to watch"

            fin = builder.locator(".wslab-fin")
            expect(fin).to_have_text("FIN=1")
            builder.screenshot(path=str(SCREENSHOTS / "wslab-jupyterlab-before.png"))
            fin.click()  # FIN 1 -> 0: 0x81 -> 0x01, decided by the kernel
            expect(first_cell).to_have_text("01", timeout=STEP)
            expect(fin).to_have_text("FIN=0")
            assert hex_line(builder) == "01 05 48 65 6c 6c 6f"
            expect(builder.locator('[data-field="FIN"][data-bit="0"]')).to_have_text("0")

            payload = builder.locator(".wslab-payload textarea")
            payload.fill("")
            payload.press_sequentially("Hi, lab", delay=20)  # one kernel round trip per key
            expect(builder.locator(".wslab-hex [data-role=hex-string]")).to_have_text(
                "01 07 " + b"Hi, lab".hex(" "), timeout=STEP)
            expect(builder.locator(".wslab-view [data-role=payload-text]")).to_have_text(
                "Hi, lab")

            # Every widget of the notebook rendered (three dissectors, one explorer).
            expect(panel.locator(".wslab-hex-dissector")).to_have_count(3, timeout=STEP)
            expect(panel.locator(".wslab-accept-explorer")).to_contain_text(
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", timeout=STEP)
            builder.scroll_into_view_if_needed()
            builder.screenshot(path=str(SCREENSHOTS / "wslab-jupyterlab-after.png"))
            assert not errors, f"errors in the page: {errors}"
        finally:
            browser.close()
    assert not lab.left, f"server or kernel processes left after SIGTERM (killed): {lab.left}"
    browsers = wait_gone(lambda: descendants(os.getpid()) - before)
    assert not browsers, f"browser processes left behind: {browsers}"
    elapsed = time.monotonic() - start
    assert elapsed < 90, f"took {elapsed:.0f} s (goal: under 60 s)"


EXPLORERS = [
    "from wslab.notebook import ScenarioRunner, TimingExplorer\n"
    "explorer = TimingExplorer()\nexplorer.count.value = 30\nexplorer",
    'ScenarioRunner("intercept-unmask")',
    "from wslab.notebook import KeepaliveExplorer\n"
    "KeepaliveExplorer(ping_interval=0.2, ping_timeout=0.2, delay=0.3)",
]


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_explorers_run_in_jupyterlab(tmp_path: Path) -> None:
    """Click the run buttons of a TimingExplorer, a ScenarioRunner and a KeepaliveExplorer."""
    requires("chromium", "run JupyterLab in a real browser (apt-get install chromium)")
    requires("playwright", "drive Chromium from Python (pip install playwright)")
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook
    from playwright.sync_api import expect, sync_playwright

    notebook = tmp_path / "explorers.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(c) for c in EXPLORERS],
                                metadata={"kernelspec": {"name": "python3",
                                                         "display_name": "Python 3",
                                                         "language": "python"}}), notebook)
    before = descendants(os.getpid())
    lab_dir = tmp_path / "lab"
    lab_dir.mkdir()
    with jupyter_lab(lab_dir, notebook) as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{lab.url}/lab/tree/{notebook.name}?reset", timeout=STEP)
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            expect(panel.locator(".jp-Toolbar-kernelName")).to_have_text(re.compile("Python 3"),
                                                                          timeout=STEP)
            expect(panel.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
                "data-status", "idle", timeout=STEP)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            explorer = panel.locator(".jp-OutputArea-output .wslab-timing-explorer")
            explorer.locator(".wslab-run").click(timeout=STEP)
            expect(explorer.locator(".wslab-numbers")).to_contain_text("p50 (ms)", timeout=STEP)
            expect(explorer.locator("img.wslab-figure")).to_have_attribute(
                "src", re.compile(r"^(blob|data):"), timeout=STEP)
            expect(explorer.locator(".wslab-status")).to_contain_text("done in", timeout=STEP)
            expect(explorer.locator(".wslab-run")).to_be_enabled()

            runner = panel.locator(".jp-OutputArea-output .wslab-scenario-runner")
            runner.locator(".wslab-run").click(timeout=STEP)
            expect(runner.locator("[data-role=closes]")).to_contain_text(
                "client reports 1002", timeout=STEP)
            expect(runner.locator("img.wslab-figure")).to_have_attribute(
                "src", re.compile(r"^(blob|data):"), timeout=STEP)

            keepalive = panel.locator(".jp-OutputArea-output .wslab-keepalive-explorer")
            expect(keepalive.locator(".wslab-prediction")).to_contain_text("1011", timeout=STEP)
            keepalive.locator(".wslab-run").click(timeout=STEP)
            expect(keepalive.locator("[data-role=comparison]")).to_be_visible(timeout=STEP)
            expect(keepalive.locator("img.wslab-figure")).to_have_attribute(
                "src", re.compile(r"^(blob|data):"), timeout=STEP)
            explorer.screenshot(path=str(SCREENSHOTS / "wslab-jupyterlab-explorer.png"))
            assert "Traceback" not in panel.inner_text()
            assert not errors, f"errors in the page: {errors}"
        finally:
            browser.close()
    assert not lab.left, f"server or kernel processes left after SIGTERM (killed): {lab.left}"
    browsers = wait_gone(lambda: descendants(os.getpid()) - before)
    assert not browsers, f"browser processes left behind: {browsers}"


NOTEBOOK_09 = ROOT / "notebooks" / "09-websocket-vs-http.ipynb"


@pytest.mark.slow
@pytest.mark.timeout(150)
def test_push_race_in_notebook_09_in_jupyterlab(tmp_path: Path) -> None:
    """Run notebook 09, then set the PushRace's rate and click its race button."""
    requires("chromium", "run JupyterLab in a real browser (apt-get install chromium)")
    requires("playwright", "drive Chromium from Python (pip install playwright)")
    from playwright.sync_api import expect, sync_playwright

    before = descendants(os.getpid())
    with jupyter_lab(tmp_path, NOTEBOOK_09) as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{lab.url}/lab/tree/{NOTEBOOK_09.name}?reset", timeout=STEP)
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            expect(panel.locator(".jp-Toolbar-kernelName")).to_have_text(re.compile("Python 3"),
                                                                          timeout=STEP)
            expect(panel.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
                "data-status", "idle", timeout=STEP)
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

            # The notebook's own race (its table), then the widget at the end.
            table = panel.locator(".jp-OutputArea-output [data-role=measurement-pushraceresult]")
            expect(table.first).to_contain_text("Server-Sent Events", timeout=STEP)
            race = panel.locator(".jp-OutputArea-output .wslab-push-race")
            rate = race.locator("input").first  # rate (events/s)
            rate.fill("100", timeout=STEP)
            rate.press("Enter")
            race.locator(".wslab-run").click(timeout=STEP)
            expect(race.locator(".wslab-status")).to_contain_text("done in", timeout=STEP)
            expect(race.locator(".wslab-numbers")).to_contain_text("100/s", timeout=STEP)
            expect(race.locator(".wslab-numbers")).to_contain_text("40/40")
            expect(race.locator("img.wslab-figure")).to_have_attribute(
                "src", re.compile(r"^(blob|data):"), timeout=STEP)
            expect(race.locator(".wslab-run")).to_be_enabled()
            race.scroll_into_view_if_needed()
            race.screenshot(path=str(SCREENSHOTS / "wslab-jupyterlab-push-race.png"))
            assert "Traceback" not in panel.inner_text()
            assert not errors, f"errors in the page: {errors}"
        finally:
            browser.close()
    assert not lab.left, f"server or kernel processes left after SIGTERM (killed): {lab.left}"
    browsers = wait_gone(lambda: descendants(os.getpid()) - before)
    assert not browsers, f"browser processes left behind: {browsers}"


LATE_NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("1[0-3]-*.ipynb"))
RUN_ALL = 90_000  # milliseconds for one notebook to run top to bottom in the browser

# Done: the kernel is idle and every code cell ran, or one failed (run-all stops there).
RUN_ALL_DONE_JS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.model.toJSON().cells
        .filter(c => c.cell_type === 'code' && c.source.trim() !== '');
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const failed = cells.some(c => (c.outputs || []).some(o => o.output_type === 'error'));
    return !!kernel && kernel.status === 'idle'
        && (failed || cells.every(c => c.execution_count !== null));
}"""


SHUTDOWN_JS = "() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()"


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_notebooks_10_to_13_run_top_to_bottom_in_jupyterlab(tmp_path: Path) -> None:
    """Security, permessage-deflate, closing and the myths: Run All, in a real JupyterLab."""
    requires("chromium", "run JupyterLab in a real browser (apt-get install chromium)")
    requires("playwright", "drive Chromium from Python (pip install playwright)")
    from playwright.sync_api import expect, sync_playwright

    assert [p.name[:2] for p in LATE_NOTEBOOKS] == ["10", "11", "12", "13"]
    before = descendants(os.getpid())
    with jupyter_lab(tmp_path, LATE_NOTEBOOKS) as lab, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            for notebook in LATE_NOTEBOOKS:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                page.goto(f"{lab.url}/lab/tree/{notebook.name}?reset", timeout=STEP)
                panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
                expect(panel.locator(".jp-Toolbar-kernelName")).to_have_text(
                    re.compile("Python 3"), timeout=STEP)
                expect(panel.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
                    "data-status", "idle", timeout=STEP)
                page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
                page.wait_for_function(RUN_ALL_DONE_JS, timeout=RUN_ALL, polling=250)
                cells = page.evaluate(
                    "() => window.jupyterapp.shell.currentWidget.content.model.toJSON().cells")
                failed = [f"{o['ename']}: {o['evalue']}" for c in cells
                          for o in c.get("outputs", []) if o["output_type"] == "error"]
                assert not failed, f"{notebook.name}: {failed}"
                assert "Traceback" not in panel.inner_text(), notebook.name
                assert not errors, f"{notebook.name}: errors in the page: {errors}"
                page.evaluate(SHUTDOWN_JS)
                page.close()
        finally:
            browser.close()
    assert not lab.left, f"server or kernel processes left after SIGTERM (killed): {lab.left}"
    browsers = wait_gone(lambda: descendants(os.getpid()) - before)
    assert not browsers, f"browser processes left behind: {browsers}"
