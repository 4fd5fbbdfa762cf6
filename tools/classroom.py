"""A classroom on JupyterHub, on this machine: the demo, and a check that a class works.

    python tools/classroom.py demo                     # `make classroom-demo`: 5 students
    python tools/classroom.py demo --students 8 --port 8001
    python tools/classroom.py check                    # 5 students, every notebook, figures
    python tools/classroom.py check --students 5 10 15 20 --max-seconds 300   # the largest N

``demo`` starts JupyterHub on 127.0.0.1 with classroom/jupyterhub_config.py in demo mode
(jupyterhub's DummyAuthenticator, one shared password, and SimpleLocalProcessSpawner: every
student's server runs as your own Unix user, so students are NOT isolated), prints the URL
and the students' names and password, and stops everything on Ctrl-C.

``check`` starts such a hub with a service token and drives it through its REST API, like
tests/test_classroom.py: it starts every student's server, runs every notebook of notebooks/
in all the servers at once over the kernel websocket (Jupyter's messaging protocol), watches
the processes (memory, listening sockets), stops everything and reports what it saw: wall
time, memory per student, errors, port clashes, leftovers. A kernel websocket that drops is
reconnected with its session, as JupyterLab does, and counted; after a drop or a failure the
hub's whole log (servers and proxy included) is kept in reports/classroom/.

configurable-http-proxy (JupyterHub's proxy, a Node.js program) is installed from npm into
build/classroom/node_modules the first time; jupyterhub comes from requirements-test.txt.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "classroom" / "jupyterhub_config.py"
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build" / "classroom"
REPORTS = ROOT / "reports" / "classroom"  # the hub's whole log, kept when a run went wrong
PROXY_PACKAGE = "configurable-http-proxy@5"
DEFAULT_STUDENTS = 5
DEFAULT_PORT = 8000
TEACHER = "teacher"
SERVICE = "wslab-classroom"
COURSE_FOLDER = "notebooks"  # where the demo config copies the notebooks in each home

NPM_TIMEOUT = 300.0  # seconds for `npm install configurable-http-proxy`
HUB_START_TIMEOUT = 60.0  # seconds for the hub to answer its REST API
SPAWN_TIMEOUT = 300.0  # seconds for every student's server to be ready
CELL_TIMEOUT = 180.0  # seconds per cell (N kernels share 2 cores)
STOP_TIMEOUT = 60.0  # seconds for a server, or the hub and all it started, to stop
POLL = 0.5  # seconds between two looks at a condition (server ready, process gone)
SAMPLE = 0.25  # seconds between two samples of the processes (memory, sockets)
KEEPALIVE = 2.0  # seconds an idle HTTP connection to the proxy is kept for reuse
MAX_MESSAGE = 2**26  # bytes: the largest kernel message accepted (figures are ~100 KiB)
RECONNECTS = 3  # times one notebook's kernel websocket may drop and be reconnected, as
# JupyterLab does: the server buffers the kernel's messages for the session and replays them
LOG_SIGNS = ("[W ", "[E ", "[C ", "Traceback", "error", "Error")  # log lines worth showing
MIB = 2**20


# ---- the pieces: proxy, ports, students ----------------------------------------------------

def proxy_command(build: Path = BUILD) -> Path:
    """configurable-http-proxy, installed from npm into ``build/node_modules`` if missing.

    Raises:
        FileNotFoundError: npm is not installed.
        subprocess.CalledProcessError: npm failed.
    """
    command = build / "node_modules" / ".bin" / "configurable-http-proxy"
    if not command.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise FileNotFoundError("npm is needed to install configurable-http-proxy "
                                    "(Debian: apt-get install npm)")
        build.mkdir(parents=True, exist_ok=True)
        print(f"==> npm install {PROXY_PACKAGE} into {build}", flush=True)
        subprocess.run([npm, "install", "--no-fund", "--no-audit", "--loglevel=error",
                        "--prefix", str(build), PROXY_PACKAGE],
                       check=True, timeout=NPM_TIMEOUT)
    return command


def free_port() -> int:
    """A port free on 127.0.0.1 now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def student_names(count: int) -> list[str]:
    """``student01``, ``student02``, ... (``count`` names)."""
    return [f"student{number:02d}" for number in range(1, count + 1)]


def course_notebooks() -> list[str]:
    """Every notebook of the course, by file name, in order."""
    return sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))


# ---- the hub ----------------------------------------------------------------------------------

@dataclass
class Hub:
    """A running JupyterHub: its process, its URLs, the token of the driving service."""

    process: subprocess.Popen[bytes]
    url: str  # the public URL (the proxy), e.g. http://127.0.0.1:8000
    students: list[str]
    password: str
    token: str
    state: Path
    ports: dict[str, int]  # public, hub (REST API), proxy-api
    sockets: Path  # the students' folders for their kernels' Unix sockets (short, in /tmp)
    sockets_left: list[str] = field(default_factory=list)  # kernels' files there after stop

    @property
    def log(self) -> Path:
        return self.state / "jupyterhub.log"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_signs(self) -> list[str]:
        """The log's warnings, errors and tracebacks (the proxy's and the servers' too)."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if any(sign in line for sign in LOG_SIGNS)]


def keep_log(hub: Hub, folder: Path = REPORTS) -> Path:
    """Copy the hub's whole log to ``folder`` (the run's own folder is removed) and say where."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"jupyterhub-{datetime.now():%Y%m%d-%H%M%S}.log"
    shutil.copyfile(hub.log, kept)
    return kept


def start_hub(students: list[str], state: Path, homes: Path, *, port: int | None = None,
              password: str | None = None, proxy: Path | None = None) -> Hub:
    """Start JupyterHub (demo mode of classroom/jupyterhub_config.py) and wait for its API.

    Args:
        students: the students' user names (they may log in; the hub creates them).
        state: the hub's folder (database, cookie secret, log); created.
        homes: one folder per student is made in it.
        port: the public port on 127.0.0.1 (default: a free one).
        password: the shared password (default: a random one).
        proxy: configurable-http-proxy (default: installed into build/classroom).
    Raises:
        RuntimeError: the hub exited or did not answer within HUB_START_TIMEOUT.
    """
    state.mkdir(parents=True, exist_ok=True)
    homes.mkdir(parents=True, exist_ok=True)
    (state / "jupyterhub.sqlite").unlink(missing_ok=True)  # a fresh class every time
    ports = {"public": port or free_port(), "hub": free_port(), "proxy-api": free_port()}
    token = secrets.token_hex(32)
    password = password or secrets.token_urlsafe(9)
    # A Unix socket's path is short (107 bytes): the kernels' sockets go in /tmp, not in state.
    sockets = Path(tempfile.mkdtemp(prefix="wslab-kernels-"))
    env = dict(
        os.environ,
        WSLAB_CLASSROOM_MODE="demo",
        WSLAB_CLASSROOM_STATE=str(state),
        WSLAB_CLASSROOM_HOMES=str(homes),
        WSLAB_CLASSROOM_SOCKETS=str(sockets),
        WSLAB_CLASSROOM_STUDENTS=",".join([*students, TEACHER]),
        WSLAB_CLASSROOM_PASSWORD=password,
        WSLAB_CLASSROOM_PROXY=str(proxy or proxy_command()),
        WSLAB_CLASSROOM_SERVICE_TOKEN=token,
        CONFIGPROXY_AUTH_TOKEN=secrets.token_hex(32),
    )
    command = [
        sys.executable, "-m", "jupyterhub", "-f", str(CONFIG),
        f"--JupyterHub.bind_url=http://127.0.0.1:{ports['public']}",
        f"--JupyterHub.hub_bind_url=http://127.0.0.1:{ports['hub']}",
        f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{ports['proxy-api']}",
    ]
    with open(state / "jupyterhub.log", "wb") as log:
        # A session of its own: Ctrl-C in the terminal reaches this script, which stops the
        # hub in order (SIGTERM), instead of reaching every process at once.
        process = subprocess.Popen(command, cwd=state, env=env, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    hub = Hub(process, f"http://127.0.0.1:{ports['public']}", students, password, token,
              state, ports, sockets)
    try:
        _wait_for_api(hub)
    except BaseException:
        stop_hub(hub)
        raise
    return hub


def _wait_for_api(hub: Hub) -> None:
    import httpx

    deadline = time.monotonic() + HUB_START_TIMEOUT
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"jupyterhub exited with status {hub.process.returncode}:\n"
                               f"{hub.log_tail()}")
        try:
            if httpx.get(f"{hub.url}/hub/api/", timeout=POLL * 4).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(POLL)
    raise RuntimeError(f"jupyterhub did not answer within {HUB_START_TIMEOUT:.0f} s:\n"
                       f"{hub.log_tail()}")


def stop_hub(hub: Hub) -> list[str]:
    """Stop the hub (SIGTERM: it stops the proxy and the students' servers) and wait.

    Returns:
        the processes the hub started that were still alive after STOP_TIMEOUT (then killed),
        empty when the hub cleaned up after itself.
    """
    import psutil

    try:
        started = psutil.Process(hub.process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        started = []
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            hub.process.kill()
            hub.process.wait(timeout=STOP_TIMEOUT)
    _gone, alive = psutil.wait_procs(started, timeout=STOP_TIMEOUT / 4)
    left = []
    for process in alive:
        try:
            left.append(f"{process.pid} {' '.join(process.cmdline())[:120]}")
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=STOP_TIMEOUT / 4)
    # Each kernel removes its sockets and connection file when it is shut down.
    hub.sockets_left = sorted(str(path.relative_to(hub.sockets))
                              for path in hub.sockets.glob("*/kernel-*"))
    shutil.rmtree(hub.sockets, ignore_errors=True)
    return left


@contextmanager
def running_hub(students: list[str], **kwargs: Any) -> Iterator[Hub]:
    """``start_hub`` in a private temporary folder, stopped and removed on exit."""
    with tempfile.TemporaryDirectory(prefix="wslab-classroom-") as folder:
        hub = start_hub(students, Path(folder) / "state", Path(folder) / "home", **kwargs)
        try:
            yield hub
        finally:
            stop_hub(hub)


# ---- watching the processes: memory and listening sockets -----------------------------------

@dataclass
class Watch:
    """What the hub's process tree did, sampled every SAMPLE seconds."""

    seen: dict[int, tuple[float, str]] = field(default_factory=dict)  # pid -> (start, name)
    owner: dict[int, str] = field(default_factory=dict)  # server pid -> student
    peak_mib: dict[str, float] = field(default_factory=dict)  # student -> server + kernels
    kernel_mib: dict[int, float] = field(default_factory=dict)  # kernel pid -> its peak RSS
    listening: set[tuple[str, int, int]] = field(default_factory=set)  # (ip, port, pid)
    own: set[tuple[str, int, int]] = field(default_factory=set)  # kernels' own (ZeroMQ)
    running: set[int] = field(default_factory=set)  # pids of the kernels running cells now
    lab_servers: set[tuple[str, int, int]] = field(default_factory=set)  # started by cells
    clashes: list[str] = field(default_factory=list)  # one port held by two processes at once
    most_kernels_listening: int = 0  # kernels holding a cell's server in one sample
    transports: dict[int, str] = field(default_factory=dict)  # kernel pid -> tcp or ipc
    lowest_available_mib: float = float("inf")  # the machine's available memory

    def sample(self, hub_pid: int) -> None:
        import psutil

        try:
            tree = psutil.Process(hub_pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return
        totals: dict[str, float] = {}
        held: dict[tuple[str, int], int] = {}
        kernels_listening = set()
        for process in tree:
            try:
                with process.oneshot():
                    if process.pid not in self.seen:
                        self.seen[process.pid] = (process.create_time(), process.name())
                    student = self._student_of(process)
                    rss = process.memory_info().rss / MIB
                    sockets = process.net_connections(kind="inet")
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if student:
                totals[student] = totals.get(student, 0.0) + rss
                if process.pid not in self.owner:  # a kernel (or what a kernel started)
                    self.kernel_mib[process.pid] = max(self.kernel_mib.get(process.pid, 0.0),
                                                       rss)
            for sock in sockets:
                if sock.status != psutil.CONN_LISTEN:
                    continue
                ip, port = sock.laddr.ip, sock.laddr.port
                self.listening.add((ip, port, process.pid))
                if process.pid in self.running and (ip, port, process.pid) not in self.own:
                    self.lab_servers.add((ip, port, process.pid))
                    kernels_listening.add(process.pid)
                if (ip, port) in held and held[(ip, port)] != process.pid:
                    self.clashes.append(f"{ip}:{port} held by {held[(ip, port)]} and "
                                        f"{process.pid}")
                held[(ip, port)] = process.pid
        for student, total in totals.items():
            self.peak_mib[student] = max(self.peak_mib.get(student, 0.0), total)
        self.most_kernels_listening = max(self.most_kernels_listening, len(kernels_listening))
        self.lowest_available_mib = min(self.lowest_available_mib,
                                        psutil.virtual_memory().available / MIB)

    def arm(self, hub_pid: int, kernel_ids: list[str]) -> None:
        """Watch these kernels: what they listen on from now on was started by a cell.

        Called when the kernels are up (their ZeroMQ sockets bound: they answered on the
        websocket) and before their first cell runs: the sockets they hold now are their own.
        """
        import psutil

        self.sample(hub_pid)
        marks = [f"kernel-{kernel_id}.json" for kernel_id in kernel_ids]
        self.running = set()
        for process in psutil.Process(hub_pid).children(recursive=True):
            try:
                command = process.cmdline()
            except psutil.NoSuchProcess:
                continue
            found = [part for part in command if any(part.endswith(m) for m in marks)]
            if found:
                self.running.add(process.pid)
                self.transports[process.pid] = _transport(Path(found[0]))
        self.own |= {entry for entry in self.listening if entry[2] in self.running}

    def _student_of(self, process: Any) -> str | None:
        """The student whose server is ``process`` or one of its ancestors, if any."""
        for candidate in [process, *process.parents()]:
            if candidate.pid in self.owner:
                return self.owner[candidate.pid]
        try:
            student = process.environ().get("JUPYTERHUB_USER")
        except Exception:  # psutil.AccessDenied, NoSuchProcess
            return None
        if student and "jupyterhub.singleuser" in " ".join(process.cmdline()):
            self.owner[process.pid] = student
            return student
        return None

    def server_mib(self, student: str) -> tuple[float, float]:
        """(RSS, USS) in MiB of ``student``'s server process alone, now."""
        import psutil

        for pid, name in self.owner.items():
            if name == student:
                try:
                    info = psutil.Process(pid).memory_full_info()
                except psutil.NoSuchProcess:
                    break
                return info.rss / MIB, info.uss / MIB
        return float("nan"), float("nan")

    def still_alive(self) -> list[str]:
        """Processes seen in the tree that are still running (same pid, same start time)."""
        import psutil

        alive = []
        for pid, (started, name) in self.seen.items():
            try:
                process = psutil.Process(pid)
                if (process.create_time() == started
                        and process.status() != psutil.STATUS_ZOMBIE):
                    alive.append(f"{pid} {name}")
            except psutil.NoSuchProcess:
                pass
        return alive


def _transport(connection_file: Path) -> str:
    """How a kernel talks to its server: its connection file's transport (tcp or ipc)."""
    try:
        return str(json.loads(connection_file.read_text())["transport"])
    except (OSError, ValueError, KeyError) as exc:
        return f"unknown ({exc})"


async def _watch(watch: Watch, hub_pid: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        watch.sample(hub_pid)
        try:
            await asyncio.wait_for(stop.wait(), SAMPLE)
        except asyncio.TimeoutError:
            pass


# ---- running a notebook over the kernel websocket --------------------------------------------

@dataclass
class NotebookRun:
    """One notebook run by one student's kernel."""

    student: str
    notebook: str
    started: float = 0.0  # seconds since the class started: first cell sent (every
    # student's kernel for this notebook is up by then)
    finished: float = 0.0
    cells: int = 0  # code cells executed
    errors: list[str] = field(default_factory=list)
    drops: list[str] = field(default_factory=list)  # the kernel websocket dropped (reconnected)


def _message(session: str, channel: str, msg_type: str, content: dict[str, Any]
             ) -> dict[str, Any]:
    """A message of Jupyter's messaging protocol (v5.3), as JSON on the kernel websocket."""
    return {
        "header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": session,
                   "username": SERVICE, "version": "5.3",
                   "date": datetime.now(timezone.utc).isoformat()},
        "parent_header": {}, "metadata": {}, "content": content, "channel": channel,
        "buffers": [],
    }


def decode(data: str | bytes) -> dict[str, Any]:
    """A kernel websocket message: JSON in a text frame, or, in a binary frame, jupyter_server's
    layout for a message with binary buffers (widgets): a big-endian uint32 count N, N uint32
    offsets, the JSON message at the first offset, then the buffers (left out here).

    Raises:
        ValueError: a binary message shorter than its own offsets say.
    """
    if isinstance(data, str):
        return json.loads(data)
    count = int.from_bytes(data[:4], "big")
    offsets = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(count)]
    if not offsets or len(data) < 4 + 4 * count or max(offsets) > len(data):
        raise ValueError(f"a binary kernel message of {len(data)} bytes with offsets {offsets}")
    end = offsets[1] if count > 1 else len(data)
    return json.loads(data[offsets[0]:end].decode("utf-8"))


class Kernel:
    """A notebook opened in a student's server: a session (kernel) and its websocket."""

    def __init__(self, client: Any, hub: Hub, student: str, notebook: str) -> None:
        self.client, self.hub, self.student, self.notebook = client, hub, student, notebook
        self.path = f"{COURSE_FOLDER}/{notebook}"
        self.session_id = self.kernel_id = self.url = ""
        self.websocket: Any = None
        self.session = uuid.uuid4().hex
        self.drops: list[str] = []  # why the websocket dropped, each time it did
        self.closing = False  # closed by us: not a drop

    async def open(self, stack: AsyncExitStack) -> list[str]:
        """Start the kernel (as JupyterLab does: a session for the notebook) and connect;
        the websocket closes with ``stack`` (the kernel does not: see ``close``).

        Returns:
            the code cells of the notebook, as the student's server has it.
        """
        base = f"/user/{self.student}/api"
        reply = await self.client.get(f"{base}/contents/{self.path}", params={"content": 1})
        reply.raise_for_status()
        cells = [cell["source"] for cell in reply.json()["content"]["cells"]
                 if cell["cell_type"] == "code"]
        reply = await self.client.post(f"{base}/sessions", json={
            "path": self.path, "name": self.notebook, "type": "notebook",
            "kernel": {"name": "python3"}})
        reply.raise_for_status()
        self.session_id = reply.json()["id"]
        self.kernel_id = reply.json()["kernel"]["id"]
        self.url = (self.hub.url.replace("http", "ws", 1)
                    + f"{base}/kernels/{self.kernel_id}/channels?session_id={self.session}")
        await self._connect()
        stack.push_async_callback(self._disconnect)
        return cells

    async def _disconnect(self) -> None:
        self.closing = True
        await self.websocket.close()

    async def _connect(self) -> None:
        from websockets.asyncio.client import connect

        self.websocket = await connect(
            self.url, additional_headers={"Authorization": f"token {self.hub.token}"},
            max_size=MAX_MESSAGE, open_timeout=CELL_TIMEOUT)

    async def _reconnect(self, closed: Exception) -> None:
        """After a drop, connect again with the same session id, as JupyterLab does: the
        server has buffered the kernel's messages for this session and replays them.

        Raises:
            the ``closed`` exception: we closed it, or it has dropped RECONNECTS times already.
        """
        if self.closing:
            raise closed
        self.drops.append(f"{self.student} {self.notebook}: {closed}")
        if len(self.drops) > RECONNECTS:
            raise closed
        await self._connect()

    async def _send(self, message: dict[str, Any]) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            await self.websocket.send(json.dumps(message))
        except ConnectionClosed as exc:  # closed before this send: nothing of it went out
            await self._reconnect(exc)
            await self.websocket.send(json.dumps(message))

    async def _receive(self, deadline: float, what: str) -> dict[str, Any]:
        """The next message on the websocket, reconnecting after a drop.

        Raises:
            TimeoutError: none came before ``deadline`` (``time.monotonic()``).
        """
        from websockets.exceptions import ConnectionClosed

        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{what} ran over {CELL_TIMEOUT:.0f} s")
            try:
                return decode(await asyncio.wait_for(self.websocket.recv(), left))
            except ConnectionClosed as exc:
                await self._reconnect(exc)

    async def execute(self, code: str) -> list[str]:
        """Run one cell; return its errors (an ``error`` output, an ``error`` reply).

        Raises:
            TimeoutError: the cell did not finish within CELL_TIMEOUT.
        """
        request = _message(self.session, "shell", "execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        msg_id = request["header"]["msg_id"]
        await self._send(request)
        errors: list[str] = []
        replied = idle = False
        deadline = time.monotonic() + CELL_TIMEOUT
        while not (replied and idle):
            message = await self._receive(deadline, f"a cell of {self.notebook}")
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["header"]["msg_type"], message["content"]
            if kind == "error":
                errors.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "execute_reply":
                replied = True
                if content["status"] != "ok" and not errors:
                    errors.append(f"execute_reply status {content['status']}: "
                                  f"{content.get('ename', '')} {content.get('evalue', '')}")
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
        return errors

    async def close(self) -> None:
        """Shut the kernel down (delete the session), as closing the notebook does."""
        if self.session_id:
            await self.client.delete(f"/user/{self.student}/api/sessions/{self.session_id}")


# ---- a class, from start to end ---------------------------------------------------------------

@dataclass
class ClassReport:
    """What happened when N students ran every notebook at once."""

    students: list[str]
    notebooks: list[str]
    seconds: dict[str, float] = field(default_factory=dict)  # hub, spawn, notebooks, stop, total
    listed: dict[str, list[str]] = field(default_factory=dict)  # student -> notebooks served
    targets: dict[str, str] = field(default_factory=dict)  # student -> proxy target
    idle_mib: dict[str, tuple[float, float]] = field(default_factory=dict)  # (RSS, USS)
    after_mib: dict[str, tuple[float, float]] = field(default_factory=dict)
    peak_mib: dict[str, float] = field(default_factory=dict)  # server + kernels, RSS
    kernel_mib: list[float] = field(default_factory=list)  # each kernel's peak RSS
    lowest_available_mib: float = 0.0
    runs: list[NotebookRun] = field(default_factory=list)
    listening: list[tuple[str, int, int]] = field(default_factory=list)  # (ip, port, pid)
    lab_servers: list[tuple[str, int, int]] = field(default_factory=list)  # cells' servers
    transports: dict[str, int] = field(default_factory=dict)  # kernels per transport
    most_kernels_listening: int = 0
    clashes: list[str] = field(default_factory=list)
    servers_left: list[str] = field(default_factory=list)  # users with a server after stop
    sockets_left: list[str] = field(default_factory=list)  # kernels' sockets after stop
    killed: list[str] = field(default_factory=list)  # processes the hub left (then killed)
    alive: list[str] = field(default_factory=list)  # processes seen, still alive at the end
    ports_open: list[int] = field(default_factory=list)  # ports still accepting at the end
    error: str = ""  # why the run stopped early, if it did
    log_signs: list[str] = field(default_factory=list)  # the hub log's warnings and errors
    log_kept: str = ""  # where the hub's whole log was kept (after a drop or a failure)

    @property
    def cell_errors(self) -> list[str]:
        return [f"{run.student} {run.notebook}: {error}" for run in self.runs
                for error in run.errors]

    @property
    def drops(self) -> list[str]:
        """Each time a kernel websocket dropped (and was reconnected, as JupyterLab does)."""
        return [drop for run in self.runs for drop in run.drops]

    @property
    def non_loopback(self) -> list[str]:
        return [f"{ip}:{port} (pid {pid})" for ip, port, pid in self.listening
                if ip != "127.0.0.1"]

    @property
    def ok(self) -> bool:
        return not (self.error or self.cell_errors or self.clashes or self.non_loopback
                    or self.servers_left or self.sockets_left or self.killed or self.alive
                    or self.ports_open)

    def summary(self) -> str:
        """The figures, as a few lines of text."""
        def mean(values: list[float]) -> float:
            return sum(values) / len(values) if values else float("nan")

        s = self.seconds
        lines = [
            f"{len(self.students)} students x {len(self.notebooks)} notebooks: "
            f"{'OK' if self.ok else 'FAILED'} in {s.get('total', 0):.1f} s (hub "
            f"{s.get('hub', 0):.1f} s, servers {s.get('spawn', 0):.1f} s, notebooks "
            f"{s.get('notebooks', 0):.1f} s, stop {s.get('stop', 0):.1f} s)",
            f"per student, MiB: server idle RSS {mean([v[0] for v in self.idle_mib.values()]):.0f}"
            f" (USS {mean([v[1] for v in self.idle_mib.values()]):.0f}), after the notebooks "
            f"RSS {mean([v[0] for v in self.after_mib.values()]):.0f} "
            f"(USS {mean([v[1] for v in self.after_mib.values()]):.0f}); a kernel's peak RSS "
            f"{mean(self.kernel_mib):.0f} (max {max(self.kernel_mib, default=float('nan')):.0f}"
            f"); server + kernels at once, peak RSS {mean(list(self.peak_mib.values())):.0f} "
            f"(max {max(self.peak_mib.values(), default=float('nan')):.0f})",
            f"machine: lowest available memory {self.lowest_available_mib:.0f} MiB; "
            f"listening sockets seen {len(self.listening)} ({len(self.non_loopback)} beyond "
            f"127.0.0.1), {len(self.lab_servers)} of them servers started by cells, at most "
            f"{self.most_kernels_listening} kernels serving at once; kernel to server: "
            + (", ".join(f"{count} over {name}" for name, count in self.transports.items())
               or "none seen"),
        ]
        by_notebook: dict[str, list[NotebookRun]] = {}
        for run in self.runs:
            by_notebook.setdefault(run.notebook, []).append(run)
        for notebook, runs in by_notebook.items():
            if all(r.finished for r in runs):
                spent = f"{max(r.finished for r in runs) - min(r.started for r in runs):6.1f} s"
            else:
                spent = "stopped "
            lines.append(f"  {notebook:36s} {spent}  {sum(len(r.errors) for r in runs)} errors"
                         + (f", {len(drops)} websocket drops (reconnected)"
                            if (drops := [d for r in runs for d in r.drops]) else ""))
        problems = [("error", [self.error] if self.error else []),
                    ("websocket drops, reconnected as JupyterLab does", self.drops),
                    ("cell errors", self.cell_errors), ("port clashes", self.clashes),
                    ("beyond loopback", self.non_loopback),
                    ("servers left", self.servers_left),
                    ("kernels' sockets left", self.sockets_left), ("killed", self.killed),
                    ("still alive", self.alive), ("ports open", [str(p) for p in self.ports_open])]
        lines += [f"{name}: {'; '.join(items)[:2000]}" for name, items in problems if items]
        if self.log_kept:
            lines.append(f"the hub's log: {self.log_kept}; its warnings and errors:")
            lines += [f"  {line[:300]}" for line in self.log_signs[-30:]]
        return "\n".join(lines)


async def _wait_until(condition: Any, what: str, timeout: float) -> None:
    """Poll ``await condition()`` every POLL seconds until true.

    Raises:
        TimeoutError: still false after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(POLL)


async def _drive(hub: Hub, report: ClassReport, watch: Watch, clock: float) -> None:
    import httpx

    # configurable-http-proxy (Node.js) closes idle connections after 5 s: reuse one for
    # less than that, or a request may go out on a connection the proxy is closing.
    limits = httpx.Limits(keepalive_expiry=KEEPALIVE)
    async with httpx.AsyncClient(base_url=hub.url, timeout=CELL_TIMEOUT, limits=limits,
                                 headers={"Authorization": f"token {hub.token}"}) as client:
        api = "/hub/api"

        async def server_of(student: str) -> dict[str, Any] | None:
            reply = await client.get(f"{api}/users/{student}")
            reply.raise_for_status()
            return reply.json().get("servers", {}).get("")

        # Every student exists (the hub created them from its allowed users).
        reply = await client.get(f"{api}/users")
        reply.raise_for_status()
        missing = set(hub.students) - {user["name"] for user in reply.json()}
        if missing:
            raise RuntimeError(f"the hub has no user {sorted(missing)}")

        # Every student's server starts, all at once (9:00).
        start = time.monotonic()
        for reply in await asyncio.gather(*(client.post(f"{api}/users/{student}/server")
                                            for student in hub.students)):
            if reply.status_code not in (201, 202):
                raise RuntimeError(f"starting a server: {reply.status_code} {reply.text}")

        async def ready(student: str) -> bool:
            server = await server_of(student)
            return bool(server and server.get("ready"))

        await asyncio.gather(*(_wait_until(lambda s=s: ready(s), f"{s}'s server",
                                           SPAWN_TIMEOUT) for s in hub.students))
        report.seconds["spawn"] = time.monotonic() - start
        watch.sample(hub.process.pid)
        report.idle_mib = {s: watch.server_mib(s) for s in hub.students}

        reply = await client.get(f"{api}/proxy")
        reply.raise_for_status()
        report.targets = {route["data"]["user"]: route["target"]
                          for route in reply.json().values() if route["data"].get("user")}
        for student in hub.students:
            reply = await client.get(f"/user/{student}/api/contents/{COURSE_FOLDER}")
            reply.raise_for_status()
            report.listed[student] = sorted(item["name"] for item in reply.json()["content"])

        # Every notebook, in every server at once: all kernels up, then all run. The kernels
        # of the next notebook start while this one runs, as the next lesson's would.
        async def open_all(notebook: str) -> tuple[AsyncExitStack, list[Kernel], list[Any]]:
            stack = AsyncExitStack()
            kernels = [Kernel(client, hub, student, notebook) for student in hub.students]
            # Last out: every kernel shut down at once (one by one costs ~0.7 s each).
            stack.push_async_callback(lambda: asyncio.gather(*(k.close() for k in kernels)))
            try:
                sources = await asyncio.gather(*(kernel.open(stack) for kernel in kernels))
            except BaseException:
                await stack.aclose()
                raise
            return stack, kernels, sources

        start = time.monotonic()
        upcoming: asyncio.Task[Any] | None = asyncio.create_task(open_all(report.notebooks[0]))
        try:
            for index, notebook in enumerate(report.notebooks):
                assert upcoming is not None
                stack, kernels, sources = await upcoming
                upcoming = None
                if index + 1 < len(report.notebooks):
                    upcoming = asyncio.create_task(open_all(report.notebooks[index + 1]))
                async with stack:
                    watch.arm(hub.process.pid, [kernel.kernel_id for kernel in kernels])
                    runs = [NotebookRun(kernel.student, notebook) for kernel in kernels]
                    report.runs += runs
                    work = zip(kernels, sources, runs, strict=True)
                    await asyncio.gather(*(_run(kernel, cells, run, clock)
                                           for kernel, cells, run in work))
                    watch.running = set()
        finally:
            if upcoming is not None:  # a failure: shut the next notebook's kernels down too
                upcoming.cancel()
                with contextlib.suppress(BaseException):
                    await (await upcoming)[0].aclose()
        report.seconds["notebooks"] = time.monotonic() - start
        watch.sample(hub.process.pid)
        report.after_mib = {s: watch.server_mib(s) for s in hub.students}

        # Every server stops, and the hub says so.
        for student in hub.students:
            reply = await client.delete(f"{api}/users/{student}/server")
            if reply.status_code not in (202, 204):
                raise RuntimeError(f"stopping a server: {reply.status_code} {reply.text}")

        async def stopped(student: str) -> bool:
            return await server_of(student) is None

        try:
            await asyncio.gather(*(_wait_until(lambda s=s: stopped(s), f"{s}'s server stop",
                                               STOP_TIMEOUT) for s in hub.students))
        except TimeoutError:
            pass
        report.servers_left = [s for s in hub.students if await server_of(s) is not None]


async def _run(kernel: Kernel, cells: list[str], run: NotebookRun, clock: float) -> None:
    run.started = time.monotonic() - clock
    try:
        for index, code in enumerate(cells):
            errors = await kernel.execute(code)
            run.cells += 1
            if errors:
                run.errors += [f"code cell {index}: {error}" for error in errors]
                break
        run.finished = time.monotonic() - clock
    finally:
        run.drops = kernel.drops


async def _class(hub: Hub, report: ClassReport, watch: Watch, clock: float) -> None:
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch(watch, hub.process.pid, stop))
    try:
        await _drive(hub, report, watch, clock)
    finally:
        stop.set()
        await watcher


def run_class(count: int = DEFAULT_STUDENTS, notebooks: list[str] | None = None) -> ClassReport:
    """Start a hub with ``count`` students, run every notebook in every server, stop, report.

    Never raises for what it observes: a failure is in ``report.error`` and the lists.
    """
    report = ClassReport(student_names(count), notebooks or course_notebooks())
    watch = Watch()
    clock = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="wslab-classroom-") as folder:
        try:
            hub = start_hub(report.students, Path(folder) / "state", Path(folder) / "home")
        except RuntimeError as exc:
            report.error = str(exc)
            return report
        report.seconds["hub"] = time.monotonic() - clock
        try:
            asyncio.run(_class(hub, report, watch, clock))
        except Exception as exc:  # reported, then everything is stopped all the same
            request = getattr(exc, "_request", None)  # httpx's, when there was one
            where = f" ({request.method} {request.url})" if request is not None else ""
            report.error = f"{type(exc).__name__}{where}: {exc}\n{hub.log_tail(20)}"
        finally:
            start = time.monotonic()
            report.killed = stop_hub(hub)
            report.seconds["stop"] = time.monotonic() - start
            report.sockets_left = hub.sockets_left
            report.log_signs = hub.log_signs()
            if report.error or report.drops or report.cell_errors:
                report.log_kept = str(keep_log(hub))
    report.seconds["total"] = time.monotonic() - clock
    report.peak_mib = dict(watch.peak_mib)
    report.kernel_mib = sorted(watch.kernel_mib.values())
    report.lowest_available_mib = watch.lowest_available_mib
    report.listening = sorted(watch.listening)
    report.lab_servers = sorted(watch.lab_servers)
    report.transports = dict(collections.Counter(watch.transports.values()))
    report.most_kernels_listening = watch.most_kernels_listening
    report.clashes = watch.clashes
    report.alive = watch.still_alive()
    targets = [int(target.rsplit(":", 1)[1].rstrip("/")) for target in report.targets.values()]
    report.ports_open = [port for port in [*hub.ports.values(), *targets] if port_accepts(port)]
    return report


def port_accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(POLL)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# ---- the command line -------------------------------------------------------------------------

def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM raise KeyboardInterrupt, so the hub and all it started are
    stopped on the way out: even where SIGINT was ignored (a shell's background job), and
    when a service manager or a test sends SIGTERM."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def demo(count: int, port: int, password: str | None, folder: Path = BUILD) -> int:
    """Run the demo hub until Ctrl-C (SIGINT) or SIGTERM; its files go in ``folder``."""
    if not port_is_free(port):
        print(f"port {port} on 127.0.0.1 is taken: `make classroom-demo CLASSROOM_PORT=8001`",
              file=sys.stderr)
        return 1
    students = student_names(count)
    print(f"==> starting JupyterHub on 127.0.0.1:{port} for {count} students "
          "(demo: one Unix user, students are NOT isolated)", flush=True)
    stop_on_signals()
    hub = start_hub(students, folder / "state", folder / "home", port=port, password=password)
    try:
        print(f"\nOpen {hub.url}/ and log in as one of:\n")
        for name in [TEACHER + " (admin)", *students]:
            print(f"    {name:20s} password: {hub.password}")
        print(f"\nLog: {hub.log}. Students' files: {folder / 'home'}/<name>/. "
              "Ctrl-C stops everything.", flush=True)
        while True:
            try:
                hub.process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                continue
            print(f"jupyterhub exited ({hub.process.returncode}):\n{hub.log_tail()}",
                  file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("\n==> stopping the hub, the proxy and the students' servers", flush=True)
        return 0
    finally:
        left = stop_hub(hub)
        print("==> stopped" + (f"; killed what was left: {left}" if left else ""), flush=True)


def check(counts: list[int], max_seconds: float, as_json: bool) -> int:
    """Run a class for each count, smallest first; stop at a failure, a slow run, Ctrl-C."""
    stop_on_signals()
    status = 0
    try:
        for count in counts:
            print(f"==> {count} students, every notebook", flush=True)
            report = run_class(count)
            print(json.dumps(asdict(report), indent=1) if as_json else report.summary(),
                  flush=True)
            if not report.ok:
                status = 1
                break
            if report.seconds["total"] > max_seconds:
                print(f"==> {report.seconds['total']:.0f} s > {max_seconds:.0f} s: stopping here")
                break
    except KeyboardInterrupt:  # run_class has stopped the hub and all it started
        print("\n==> interrupted: the hub, the proxy and the students' servers are stopped",
              flush=True)
        return 130
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("demo", help="a demo hub on 127.0.0.1 until Ctrl-C")
    run.add_argument("--students", type=int, default=DEFAULT_STUDENTS)
    run.add_argument("--port", type=int, default=DEFAULT_PORT)
    run.add_argument("--password", help="the shared password (default: a random one)")
    run.add_argument("--folder", type=Path, default=BUILD,
                     help="the hub's state and the students' homes (default: %(default)s)")
    measure = commands.add_parser("check", help="run every notebook for N students, report")
    measure.add_argument("--students", type=int, nargs="+", default=[DEFAULT_STUDENTS])
    measure.add_argument("--max-seconds", type=float, default=300.0,
                         help="stop trying larger classes after a run this long")
    measure.add_argument("--json", action="store_true", help="the whole report as JSON")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.students, args.port, args.password, args.folder)
    return check(args.students, args.max_seconds, args.json)


if __name__ == "__main__":
    sys.exit(main())
