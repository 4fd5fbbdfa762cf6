"""A classroom on JupyterHub: the configs say what the docs say, and a class really runs.

The slow tests start JupyterHub on 127.0.0.1 with classroom/jupyterhub_config.py in demo
mode (tools/classroom.py): one drives it through its REST API with a service token (every
student's server, every notebook of notebooks/ in all servers at once over the kernel
websocket, then everything stopped), the other runs `make classroom-demo`'s script, logs in
with the password it printed and stops it as Ctrl-C does. They need node and npm
(configurable-http-proxy is installed from npm into build/classroom) and jupyterhub.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import requires
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "classroom"
STUDENTS = 5  # the N

_spec = importlib.util.spec_from_file_location("classroom", ROOT / "tools" / "classroom.py")
assert _spec and _spec.loader
classroom = importlib.util.module_from_spec(_spec)
sys.modules["classroom"] = classroom  # dataclasses look their module up by name
_spec.loader.exec_module(classroom)


@pytest.fixture
def sockets() -> Iterator[Path]:
    """A short folder, as tools/classroom.py makes for the kernels' Unix sockets."""
    folder = Path(tempfile.mkdtemp(prefix="wslab-kernels-"))
    yield folder
    shutil.rmtree(folder)


def hub_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, mode: str,
               sockets: Path | None = None) -> Any:
    """classroom/jupyterhub_config.py as JupyterHub loads it, in ``mode``."""
    monkeypatch.setenv("WSLAB_CLASSROOM_MODE", mode)
    for name, value in {"STATE": tmp_path / "state", "HOMES": tmp_path / "home",
                        "SOCKETS": sockets or tmp_path / "k",
                        "STUDENTS": "student01,student02", "PASSWORD": "pw",
                        "PROXY": "/bin/chp", "SERVICE_TOKEN": "t0ken"}.items():
        monkeypatch.setenv(f"WSLAB_CLASSROOM_{name}", str(value))
    return PyFileConfigLoader(CLASSROOM.name + "/jupyterhub_config.py",
                              path=str(ROOT)).load_config()


@pytest.mark.parametrize("mode", ["local", "demo"])
def test_hub_listens_on_loopback_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                      mode: str) -> None:
    config = hub_config(monkeypatch, tmp_path, mode)
    assert config.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert config.JupyterHub.hub_ip == "127.0.0.1"
    assert config.Spawner.ip == "127.0.0.1"
    assert config.Spawner.default_url.endswith("/00-start-here.ipynb")


def test_a_real_class_has_real_accounts(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    config = hub_config(monkeypatch, tmp_path, "local")
    assert config.JupyterHub.authenticator_class == "pam"
    assert config.JupyterHub.spawner_class in ("localprocess", "systemdspawner.SystemdSpawner")
    assert "services" not in config.JupyterHub, "no service token outside the demo"


def test_the_demo_is_dummy_and_simple(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = hub_config(monkeypatch, tmp_path, "demo")
    assert config.JupyterHub.authenticator_class == "dummy"
    assert config.JupyterHub.spawner_class == "simple"
    assert config.Authenticator.allowed_users == {"student01", "student02"}
    assert config.SimpleLocalProcessSpawner.home_dir_template == str(tmp_path / "home" /
                                                                    "{username}")
    [service] = config.JupyterHub.services
    [role] = config.JupyterHub.load_roles
    assert service["api_token"] == "t0ken" and role["services"] == [service["name"]]


def test_the_demo_gives_each_student_the_course(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path, sockets: Path) -> None:
    config = hub_config(monkeypatch, tmp_path, "demo", sockets)
    home = tmp_path / "home" / "student01"
    spawner = SimpleNamespace(home_dir=str(home), user=SimpleNamespace(name="student01"))
    config.Spawner.pre_spawn_hook(spawner)
    copied = sorted(path.name for path in (home / "notebooks").glob("*.ipynb"))
    assert copied == classroom.course_notebooks() and copied
    (home / "notebooks" / copied[0]).write_text("the student's own work")
    config.Spawner.pre_spawn_hook(spawner)  # a second start keeps the student's copy
    assert (home / "notebooks" / copied[0]).read_text() == "the student's own work"
    assert (sockets / "student01").is_dir()  # the kernels' sockets' folder, made too


@pytest.mark.parametrize("mode", ["local", "demo"])
def test_kernels_talk_over_private_unix_sockets(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path, mode: str) -> None:
    config = hub_config(monkeypatch, tmp_path, mode)
    assert "--KernelManager.transport=ipc" in config.Spawner.args
    spawner = SimpleNamespace(user=SimpleNamespace(name="student01"))
    runtime = Path(config.Spawner.environment["JUPYTER_RUNTIME_DIR"](spawner))
    assert runtime.name == "student01"
    assert runtime.parent == (tmp_path / "k" if mode == "demo" else Path("/run/wslab-kernels"))


def test_the_kernels_folder_is_private_and_short_enough(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path, sockets: Path) -> None:
    hub_config(monkeypatch, tmp_path, "demo", sockets)  # its environment
    config_file = CLASSROOM / "jupyterhub_config.py"
    namespace: dict[str, Any] = {"get_config": Config, "__file__": str(config_file)}
    exec(compile(config_file.read_text(), str(config_file), "exec"), namespace)
    kernel_sockets = namespace["kernel_sockets"]
    folder = kernel_sockets(sockets, "student01")
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700
    long = tmp_path / ("x" * (namespace["SUN_PATH_MAX"] - len(namespace["IPC_NAME"])))
    with pytest.raises(ValueError, match="too long for the kernels' Unix sockets"):
        kernel_sockets(long, "student01")


def test_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="WSLAB_CLASSROOM_MODE"):
        hub_config(monkeypatch, tmp_path, "open-to-the-world")


def test_nbgrader_exchange_and_course(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WSLAB_COURSE_ROOT", raising=False)
    monkeypatch.delenv("WSLAB_NBGRADER_EXCHANGE", raising=False)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(CLASSROOM)).load_config()
    assert config.CourseDirectory.course_id == "wslab"
    assert config.CourseDirectory.root == str(ROOT / "course")
    assert config.Exchange.root == "/srv/nbgrader/exchange"


def test_z2jh_values_use_the_repo2docker_image() -> None:
    yaml = pytest.importorskip("yaml")
    text = (CLASSROOM / "z2jh-values.yaml").read_text(encoding="utf-8")
    values = yaml.safe_load(text)
    image = values["singleuser"]["image"]
    command = re.search(r"jupyter-repo2docker .*?--image-name (\S+)", text, re.S)
    assert command, "the values file should say how repo2docker builds the image"
    assert command[1] == f"{image['name']}:{image['tag']}"
    assert values["singleuser"]["defaultUrl"].endswith("notebooks/00-start-here.ipynb")
    assert "--KernelManager.transport=ipc" in values["hub"]["config"]["Spawner"]["args"]
    mount = values["singleuser"]["storage"]["homeMountPath"]
    assert mount != "/home/jovyan", "a volume on /home/jovyan would hide the repository"


def test_the_readme_says_what_the_demo_does_not_give() -> None:
    readme = " ".join((CLASSROOM / "README.md").read_text(encoding="utf-8").split())
    assert "not isolated" in readme
    for name in ("LocalProcessSpawner", "SystemdSpawner", "Kubernetes",
                 "The Littlest JupyterHub", "make classroom-demo"):
        assert name in readme, name


def test_kernel_messages_with_buffers_are_read() -> None:
    message = b'{"header": {"msg_type": "comm_msg"}}'
    framed = (2).to_bytes(4, "big") + (12).to_bytes(4, "big") + (12 + len(message)).to_bytes(
        4, "big") + message + b"\x00\xffbuffer"
    assert classroom.decode(framed) == {"header": {"msg_type": "comm_msg"}}
    assert classroom.decode('{"a": 1}') == {"a": 1}
    with pytest.raises(ValueError, match="offsets"):
        classroom.decode((1).to_bytes(4, "big") + (99).to_bytes(4, "big"))


async def fake_kernel_server(drops: int) -> tuple[Any, list[str]]:
    """A kernel websocket that drops (no close frame) ``drops`` times after an
    execute_request; the next connection with that session id gets the replies, as
    jupyter_server replays what it buffered for the session."""
    from websockets.asyncio.server import serve

    paths: list[str] = []
    pending: list[dict[str, Any]] = []

    async def handler(websocket: Any) -> None:
        paths.append(websocket.request.path)
        if not pending:
            pending.append(classroom.decode(await websocket.recv()))
        if len(paths) <= drops:
            websocket.transport.abort()  # TCP gone, as when a proxy's upstream vanishes
            return
        parent = pending[0]["header"]
        for msg_type, content in (("execute_reply", {"status": "ok"}),
                                  ("status", {"execution_state": "idle"})):
            await websocket.send(json.dumps({
                "header": {"msg_type": msg_type}, "parent_header": parent,
                "content": content}))
        await websocket.wait_closed()

    return await serve(handler, "127.0.0.1", 0), paths


def fake_kernel(port: int) -> Any:
    hub = SimpleNamespace(url=f"http://127.0.0.1:{port}", token="t0ken")
    kernel = classroom.Kernel(None, hub, "student01", "00-start-here.ipynb")
    kernel.url = f"ws://127.0.0.1:{port}/api/kernels/k/channels?session_id={kernel.session}"
    return kernel


def test_a_dropped_kernel_websocket_is_reconnected_with_its_session() -> None:
    async def scenario() -> tuple[list[str], list[str], list[str]]:
        server, paths = await fake_kernel_server(drops=2)
        async with server:
            kernel = fake_kernel(server.sockets[0].getsockname()[1])
            await kernel._connect()
            errors = await kernel.execute("1 + 1")
            await kernel.websocket.close()
        return errors, kernel.drops, paths

    errors, drops, paths = asyncio.run(asyncio.wait_for(scenario(), 30))
    assert errors == []
    assert len(drops) == 2 and all("no close frame" in drop for drop in drops), drops
    assert len(paths) == 3 and len(set(paths)) == 1, paths  # the same session each time


def test_a_kernel_websocket_that_keeps_dropping_fails_the_run() -> None:
    from websockets.exceptions import ConnectionClosedError

    async def scenario() -> None:
        server, _paths = await fake_kernel_server(drops=classroom.RECONNECTS + 1)
        async with server:
            kernel = fake_kernel(server.sockets[0].getsockname()[1])
            await kernel._connect()
            await kernel.execute("1 + 1")

    with pytest.raises(ConnectionClosedError, match="no close frame"):
        asyncio.run(asyncio.wait_for(scenario(), 30))


def need_the_hub() -> None:
    requires("node", "configurable-http-proxy, JupyterHub's proxy, is a Node.js program")
    requires("npm", "install configurable-http-proxy into build/classroom")
    requires("jupyterhub", "run the hub (requirements-test.txt)")
    classroom.proxy_command()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_class_runs_every_notebook_at_once() -> None:
    need_the_hub()
    threads = {thread.name for thread in threading.enumerate()}
    notebooks = classroom.course_notebooks()  # every one there is, found, not listed here
    assert len(notebooks) >= 8, notebooks
    report = classroom.run_class(STUDENTS, notebooks)
    print(report.summary())  # the figures, with -s
    assert not report.error, report.error
    assert report.notebooks == notebooks
    assert report.students == classroom.student_names(STUDENTS)
    for student in report.students:
        assert set(notebooks) <= set(report.listed[student]), f"{student}'s server lacks some"
    # One server per student, each on its own loopback port behind the proxy.
    targets = report.targets
    assert sorted(targets) == report.students, targets
    assert all(t.startswith("http://127.0.0.1:") for t in targets.values()), targets
    assert len(set(targets.values())) == STUDENTS, targets

    # Every code cell of every notebook ran, in every server, without an error. A kernel
    # websocket may drop on a loaded machine (seen about once per 70 runs on 2 cores): the
    # driver reconnects, as JupyterLab does, and the server replays what it buffered; a drop
    # more often than once per 10 runs, or RECONNECTS times in one run, fails.
    assert len(report.runs) == STUDENTS * len(notebooks)
    assert len(report.drops) <= len(report.runs) // 10, report.drops
    assert not report.cell_errors, "\n".join(report.cell_errors)
    for run in report.runs:
        assert run.cells > 0 and run.finished >= run.started, run
    # The notebooks' servers (port 0) came up in the kernels, and none clashed.
    assert report.lab_servers, "no kernel started a server: the watch saw nothing to check"
    # Kernels talk to their server over Unix sockets: no kernel port for a cell to take.
    assert report.transports == {"ipc": len(report.runs)}, report.transports
    assert not report.clashes, report.clashes
    assert not report.non_loopback, report.non_loopback

    # Everything stopped: servers (as the hub sees it), processes, ports, threads.
    assert not report.servers_left, report.servers_left
    assert not report.sockets_left, report.sockets_left
    assert not report.killed, f"the hub left processes behind: {report.killed}"
    assert not report.alive, report.alive
    assert not report.ports_open, report.ports_open
    assert {thread.name for thread in threading.enumerate()} <= threads
    assert report.ok


def read_until(process: subprocess.Popen[bytes], pattern: str, timeout: float) -> str:
    """The process's output up to a match of ``pattern`` (read unbuffered from its pipe).

    Raises:
        AssertionError: the process ended, or ``timeout`` seconds passed, first.
    """
    assert process.stdout is not None
    fd, seen = process.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, seen.decode(errors="replace")):
        left = deadline - time.monotonic()
        assert left > 0, f"no {pattern!r} within {timeout:.0f} s:\n{seen.decode()}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 65536)
            assert chunk, f"the demo ended ({process.poll()}) before {pattern!r}:\n{seen}"
            seen += chunk
    return seen.decode()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_make_classroom_demo_prints_logins_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    need_the_hub()
    import httpx
    import psutil

    port = classroom.free_port()
    command = [sys.executable, str(ROOT / "tools" / "classroom.py"), "demo", "--students", "3",
               "--port", str(port), "--folder", str(tmp_path)]
    demo = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            bufsize=0, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        shown = read_until(demo, r"Ctrl-C stops everything", classroom.HUB_START_TIMEOUT + 30)
        started = psutil.Process(demo.pid).children(recursive=True)
        assert f"http://127.0.0.1:{port}/" in shown
        logins = dict(re.findall(r"^\s+(student\d+)\s+password: (\S+)$", shown, re.M))
        assert sorted(logins) == ["student01", "student02", "student03"], shown

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as browser:
            form = browser.get("/hub/login")
            xsrf = browser.cookies.get("_xsrf") or re.search(
                r'name="_xsrf" value="([^"]+)"', form.text)[1]
            wrong = browser.post("/hub/login", data={
                "username": "student02", "password": "not-it", "_xsrf": xsrf})
            assert wrong.status_code == 403
            right = browser.post("/hub/login", data={
                "username": "student02", "password": logins["student02"], "_xsrf": xsrf})
            assert right.status_code == 302, right.text[:300]
            assert "jupyterhub-hub-login" in browser.cookies, dict(browser.cookies)
    finally:
        demo.send_signal(signal.SIGINT)  # what Ctrl-C sends
        rest = demo.communicate(timeout=classroom.STOP_TIMEOUT + 30)[0].decode()
    assert demo.returncode == 0, rest
    assert "==> stopped" in rest and "killed" not in rest, rest
    gone, alive = psutil.wait_procs(started, timeout=5)
    assert not alive, alive
    assert len(gone) >= 2, "the demo should have run the hub and its proxy"
    assert not classroom.port_accepts(port)


def command_of(process: Any) -> str:
    """A process's command line, or "" if it is gone (or not ours to read)."""
    import psutil

    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_check_stops_the_class_on_sigterm() -> None:
    """`tools/classroom.py check`, stopped while students' servers run (a teacher's Ctrl-C,
    a service manager's SIGTERM), stops the hub and every server, and says so."""
    need_the_hub()
    import psutil

    command = [sys.executable, str(ROOT / "tools" / "classroom.py"), "check", "--students", "2"]
    check = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             bufsize=0, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        read_until(check, r"==> 2 students", 30)
        deadline = time.monotonic() + classroom.HUB_START_TIMEOUT + classroom.SPAWN_TIMEOUT
        servers: list[Any] = []
        while len(servers) < 2:  # both students' servers started
            assert time.monotonic() < deadline, "no students' servers"
            started = psutil.Process(check.pid).children(recursive=True)
            servers = [p for p in started if "jupyterhub.singleuser" in command_of(p)]
            time.sleep(classroom.POLL)
    finally:
        check.send_signal(signal.SIGTERM)
        rest = check.communicate(timeout=classroom.STOP_TIMEOUT + 60)[0].decode()
    assert check.returncode == 130, rest
    assert "interrupted: the hub, the proxy and the students' servers are stopped" in rest
    _gone, alive = psutil.wait_procs(started, timeout=5)
    assert not alive, alive
