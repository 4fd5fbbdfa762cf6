"""The JupyterLite site in headless Chromium, with nothing allowed to leave 127.0.0.1.

Builds the site (``tools/build_lite.py``, which skips a build whose inputs did not change),
serves ``build/lite`` on a loopback port, and opens every notebook it holds in JupyterLite
with the Pyodide kernel. Every request to a host other than 127.0.0.1 is blocked and
counted (the browser's resolver also maps every other name to nothing, as a backstop).
Each notebook runs top to bottom (JupyterLab's run-all); the test fails on an error output,
a code cell left unexecuted, or any request that tried to leave loopback. In 07 the
FrameBuilder widget is clicked, and the kernel's answer read off the page. Then a live
notebook (03), saved into the site as a student might upload it, must stop at its first
cell with the message that it needs a real kernel. Screenshots go to ``reports/lite/``.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

import pytest
from conftest import missing, requires

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import build_lite  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPORTS = ROOT / "reports" / "lite"
LIVE = ROOT / "notebooks" / "03-ping-pong-keepalive.ipynb"  # a live notebook, not in the site
WORKBENCH = "07-frame-workbench.ipynb"  # its widgets are clicked
RFC_HELLO = "81 05 48 65 6c 6c 6f"  # RFC 6455 §5.7, what the FrameBuilder starts with
WIDGET_STEP = 30_000  # milliseconds for a widget to render or answer a click
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
KERNEL_READY = 120_000  # milliseconds for Pyodide to load and the kernel to be idle (2 cores)
RUN_ALL = 90_000  # milliseconds for one notebook to run top to bottom
BUILD_TIMEOUT = 600  # seconds for a build from nothing (venv, npm, PyPI, jupyter lite build)

# Run all, without waiting on the command's promise (the test polls the cells instead), once
# the kernel of the notebook's session exists and is idle.
KERNEL_IDLE_JS = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle';
}"""
RUN_ALL_JS = "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"

# Done: every code cell has an execution count, or one failed (run-all stops there).
# (The kernel's status, not the toolbar's indicator: after a failure, the indicator stays
# "busy" with the cells run-all had scheduled.)
RUN_ALL_DONE_JS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.model.toJSON().cells
        .filter(c => c.cell_type === 'code' && c.source.trim() !== '');
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const idle = !!kernel && kernel.status === 'idle';
    const failed = cells.some(c => (c.outputs || []).some(o => o.output_type === 'error'));
    return idle && (failed || cells.every(c => c.execution_count !== null));
}"""

# JupyterLite is up: its plugins are activated and the layout restored.
APP_READY_JS = """() => !!window.jupyterapp && !!window.jupyterapp.commands.hasCommand
    && window.jupyterapp.commands.hasCommand('docmanager:open')"""

# Shut down and close the open notebook, if any; save ``content`` (a live notebook) into the
# browser's JupyterLite storage first, as a student's upload would; open ``path``.
OPEN_JS = """async ({path, content}) => {
    const app = window.jupyterapp;
    await app.restored;
    const current = app.shell.currentWidget;
    if (current && current.sessionContext) {
        await current.sessionContext.shutdown();
        current.dispose();
    }
    if (content !== null) {
        await app.serviceManager.contents.save(path, {type: 'notebook', format: 'json', content});
    }
    await app.commands.execute('docmanager:open', {path});
}"""

# The notebook model as JSON, from the running JupyterLite (window.jupyterapp).
CELLS_JS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.model.toJSON().cells;
}"""


@pytest.fixture(scope="module")
def site() -> Path:
    """``build/lite``, built (or found up to date) once for this module."""
    requires("npm", "fetch the Pyodide runtime from the npm registry (apt-get install npm)")
    python = build_lite.find_python()
    if python is None:
        missing("Python >= 3.12", "the JupyterLite build venv (pyenv install 3.12)")
    start = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "build_lite.py"),
                           f"--python={python}"], capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT, check=False)
    assert done.returncode == 0, f"build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    size = sum(p.stat().st_size for p in build_lite.OUTPUT.rglob("*") if p.is_file())
    print(f"build: {time.monotonic() - start:.1f} s, {size / 1e6:.1f} MB")
    return build_lite.OUTPUT


class _Handler(http.server.SimpleHTTPRequestHandler):
    """The site's files, quietly; ``/jupyter-lite.json`` with ``exposeAppInBrowser`` set.

    That one setting (``window.jupyterapp``, to run and read cells) is the test's only
    change to the site as built.
    """

    extensions_map: ClassVar[dict[str, str]] = {
        **http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
        ".mjs": "text/javascript", ".js": "text/javascript", ".json": "application/json"}

    def do_GET(self) -> None:
        if urlsplit(self.path).path != "/jupyter-lite.json":
            super().do_GET()
            return
        config = json.loads((Path(self.directory) / "jupyter-lite.json").read_text())
        config["jupyter-config-data"]["exposeAppInBrowser"] = True
        body = json.dumps(config).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site on ``http://127.0.0.1:PORT`` (port 0: the system picks one)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(site)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="wslab-lite-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _problems(cells: list[dict]) -> list[str]:
    """Unexecuted code cells and error outputs of a notebook model, in words."""
    found = []
    for k, cell in enumerate(cells):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        first = "".join(cell["source"]).strip().splitlines()[0][:60]
        if cell.get("execution_count") is None:
            found.append(f"cell {k} ({first!r}) was not executed")
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                found.append(f"cell {k} ({first!r}): {out['ename']}: {out['evalue']}")
            elif out["output_type"] == "stream" and out.get("name") == "stderr" \
                    and "Traceback" in "".join(out["text"]):
                found.append(f"cell {k} ({first!r}) printed a traceback")
    return found



def _run_all(page: Page) -> tuple[list[dict], float, float]:
    """Wait for the open notebook's kernel, run all, wait until done (or a cell failed).

    Returns:
        the notebook's cells, seconds until the kernel was idle, seconds to run all.
    """
    from playwright.sync_api import expect

    start = time.monotonic()
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    expect(panel.locator(".jp-Toolbar-kernelName")).to_have_text(
        re.compile("Python"), timeout=KERNEL_READY)
    expect(panel.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute(
        "data-status", "idle", timeout=KERNEL_READY)
    page.wait_for_function(KERNEL_IDLE_JS, timeout=KERNEL_READY, polling=250)
    ready = time.monotonic()
    page.evaluate(RUN_ALL_JS)
    page.wait_for_function(RUN_ALL_DONE_JS, timeout=RUN_ALL, polling=250)
    return page.evaluate(CELLS_JS), ready - start, time.monotonic() - ready


def _click_the_frame_builder(page: Page) -> None:
    """Notebook 07's FrameBuilder rendered (ipywidgets' front end is in the site), and a click
    on its FIN switch comes back from the Pyodide kernel as new bytes."""
    from playwright.sync_api import expect

    builder = page.locator(".jp-OutputArea-output .wslab-frame-builder")
    hex_string = builder.locator(".wslab-hex [data-role=hex-string]")
    expect(hex_string).to_have_text(RFC_HELLO, timeout=WIDGET_STEP)
    builder.locator(".wslab-fin").click(timeout=WIDGET_STEP)  # FIN 1 -> 0: 0x81 -> 0x01
    expect(hex_string).to_have_text("01" + RFC_HELLO[2:], timeout=WIDGET_STEP)
    expect(page.locator(".wslab-hex-dissector")).to_have_count(3, timeout=WIDGET_STEP)
    builder.scroll_into_view_if_needed()
    builder.screenshot(path=str(REPORTS / "07-frame-builder-clicked.png"))


def _stopped_at_the_guard(cells: list[dict]) -> None:
    """A live notebook in JupyterLite: its first cell raised, saying why; nothing else ran."""
    code = [c for c in cells if c["cell_type"] == "code"]
    errors = [o for o in code[0].get("outputs", []) if o["output_type"] == "error"]
    # (the Pyodide kernel names it "<class 'RuntimeError'>", ipykernel "RuntimeError")
    assert len(errors) == 1 and "RuntimeError" in errors[0]["ename"], code[0].get("outputs")
    assert "cannot run in the browser (JupyterLite)" in errors[0]["evalue"]
    assert all(c.get("execution_count") is None for c in code[1:]), "run-all went on"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_lite_notebooks_run_in_chromium_offline(served: str) -> None:
    requires("chromium", "run JupyterLite in a real browser (apt-get install chromium)")
    requires("playwright", "drive Chromium from Python (pip install playwright)")
    from playwright.sync_api import Route, sync_playwright

    REPORTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []

    def route(r: Route) -> None:
        url = r.request.url
        if urlsplit(url).hostname != "127.0.0.1":
            outside.append(url)
            r.abort("blockedbyclient")
        else:
            r.continue_()

    timings: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.route("**/*", route)
            # Requests the route does not see (none expected) are counted too.
            context.on("request", lambda req: urlsplit(req.url).scheme in ("http", "https")
                       and urlsplit(req.url).hostname != "127.0.0.1"
                       and req.url not in outside and outside.append(req.url))
            # One page, one JupyterLite: each notebook opens in it with a kernel of its own,
            # and the one before is shut down and closed first (the runtime stays cached).
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{served}/lab/index.html", timeout=KERNEL_READY)
            page.wait_for_function(APP_READY_JS, timeout=KERNEL_READY, polling=250)
            for name in (*build_lite.NOTEBOOKS, LIVE.name):
                errors.clear()
                try:
                    page.evaluate(OPEN_JS, {"path": name, "content": json.loads(
                        LIVE.read_text()) if name == LIVE.name else None})
                    cells, ready, took = _run_all(page)
                    if name == LIVE.name:  # show its first cell: the guard's message
                        page.locator(".jp-CodeCell").first.scroll_into_view_if_needed()
                    page.screenshot(path=str(REPORTS / f"{Path(name).stem}.png"), full_page=True)
                except Exception:
                    page.screenshot(path=str(REPORTS / f"{Path(name).stem}-failed.png"))
                    raise
                assert not errors, f"{name}: errors in the page: {errors}"
                if name == LIVE.name:
                    _stopped_at_the_guard(cells)
                    continue
                problems = _problems(cells)
                assert not problems, f"{name}: " + "; ".join(problems)
                if name == WORKBENCH:
                    _click_the_frame_builder(page)
                timings[name] = took
                print(f"{name}: kernel ready in {ready:.1f} s, run all in {took:.1f} s")
            page.close()
        finally:
            browser.close()
    (REPORTS / "summary.json").write_text(json.dumps(
        {"run_all_seconds": timings, "outside_requests": outside}, indent=2))
    assert not outside, f"{len(outside)} request(s) tried to leave 127.0.0.1: {outside[:10]}"
    assert set(timings) == set(build_lite.NOTEBOOKS)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")),
                         ids=lambda p: p.name[:2])
def test_live_notebooks_start_with_the_guard_and_lite_ones_need_no_socket(path: Path) -> None:
    """A notebook is in the site (and needs no server) or starts with the live guard."""
    import nbgen

    cells = json.loads(path.read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    if path.name in build_lite.NOTEBOOKS:
        assert not any(nbgen.LIVE_GUARD in c for c in code)
        used = "\n".join(code)
        assert not re.search(r"\b(scenarios|LabServer|Tap|RawClient|threading)\b", used), \
            f"{path.name} is in the JupyterLite site but uses the live layer"
    else:
        assert code[0] == nbgen.LIVE_GUARD, f"{path.name}: the first code cell is not the guard"
