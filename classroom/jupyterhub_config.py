"""JupyterHub configuration for a wslab class on one host.

Two modes, chosen by the environment variable WSLAB_CLASSROOM_MODE:

``local`` (the default): a real class.
    Students log in with their own Unix accounts (PAMAuthenticator, JupyterHub's default) and
    each server runs as that student (LocalProcessSpawner, or SystemdSpawner with memory and
    CPU limits: set SPAWNER below). The hub runs as root. Students get a copy of the course
    notebooks in ~/wslab-notebooks the first time their server starts, and a private folder
    for their kernels' sockets in /run/wslab-kernels.
    Start it with ``jupyterhub -f classroom/jupyterhub_config.py`` (see classroom/README.md).

``demo``: `make classroom-demo` (tools/classroom.py sets the variables below).
    jupyterhub's DummyAuthenticator (one shared password) and SimpleLocalProcessSpawner: every
    student's server runs as the same Unix user, so students are NOT isolated from each other
    (any student's code can read and change every other student's files and kernels). For a
    try-out on your own machine only; it listens on 127.0.0.1 only.

In both modes the hub listens on 127.0.0.1: put a TLS-terminating reverse proxy (nginx, Caddy)
in front of it to let students in, or use The Littlest JupyterHub, which does that for you.
"""

# ruff: noqa: F821  (`c` and `get_config` are provided by JupyterHub when it loads this file)

from __future__ import annotations

import os
import pwd
import shutil
import sys
from pathlib import Path

c = get_config()

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
START_NOTEBOOK = "00-start-here.ipynb"
MODE = os.environ.get("WSLAB_CLASSROOM_MODE", "local")
if MODE not in ("local", "demo"):
    raise ValueError(f"WSLAB_CLASSROOM_MODE must be 'local' or 'demo', not {MODE!r}")
SUN_PATH_MAX = 107  # bytes in a Unix socket's path (Linux's sun_path, less the final NUL)
IPC_NAME = "/kernel-00000000-0000-0000-0000-000000000000-ipc-5"  # what a kernel adds to it


def copy_course(home: Path, folder: str, owner: pwd.struct_passwd | None = None) -> None:
    """Copy the course notebooks into ``home/folder``, never over a student's own copy."""
    target = home / folder
    target.mkdir(parents=True, exist_ok=True)
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        copy = target / notebook.name
        if not copy.exists():
            shutil.copyfile(notebook, copy)
            if owner is not None:
                os.chown(copy, owner.pw_uid, owner.pw_gid)
    if owner is not None:
        os.chown(target, owner.pw_uid, owner.pw_gid)


def kernel_sockets(root: Path, name: str, owner: pwd.struct_passwd | None = None) -> Path:
    """The student's own folder for the kernels' Unix sockets (their server's runtime folder):
    ``root/name``, made private (0700, owned by the student).

    Raises:
        ValueError: a socket's path in it would be longer than a Unix socket allows.
    """
    folder = root / name
    if len(os.fsencode(folder)) + len(IPC_NAME) > SUN_PATH_MAX:
        raise ValueError(f"{folder} is too long for the kernels' Unix sockets "
                         f"({SUN_PATH_MAX} bytes with {IPC_NAME!r}): choose a shorter folder")
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    if owner is not None:
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    folder.chmod(0o700)
    return folder


# Both modes: the hub, its REST API and the proxy listen on loopback only.
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.hub_ip = "127.0.0.1"
c.Spawner.ip = "127.0.0.1"
# A class starts at 9:00: many servers start at once on a small machine.
c.Spawner.start_timeout = 120  # seconds for a server to start
c.Spawner.http_timeout = 120  # seconds for a started server to answer
c.JupyterHub.concurrent_spawn_limit = 50
# Kernels talk to their student's server over Unix sockets (ZeroMQ's ipc transport) in a
# folder only that student can open, not over TCP ports on 127.0.0.1. With TCP, each server
# picks its kernels' five ports by binding to port 0 and letting go, and the kernel binds
# them a moment later: with many servers on one host (and notebooks that start servers on
# port 0), another process can take a port in between, and that kernel dies ("Address already
# in use"; seen here in runs of 5 students on 2 cores). Sockets in a private folder also keep
# one student's kernels out of another's reach. The folder is the server's runtime folder.
KERNEL_ARGS = ["--KernelManager.transport=ipc"]

if MODE == "local":
    # ---- A real class: one Unix account per student -------------------------------------
    SPAWNER = "local"  # or "systemd": pip install jupyterhub-systemdspawner (limits per student)
    STATE = Path("/srv/jupyterhub")  # the hub's database and cookie secret (root only)
    FOLDER = "wslab-notebooks"
    SOCKETS = Path("/run/wslab-kernels")  # one private folder per student (tmpfs, root's)

    c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
    c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
    # PAM: students log in with their Unix password. Let in the members of one group:
    #   groupadd wslab-students; useradd -m -G wslab-students alice; passwd alice
    c.JupyterHub.authenticator_class = "pam"
    c.PAMAuthenticator.allowed_groups = {"wslab-students"}
    c.Authenticator.admin_users = {"teacher"}  # a Unix account that may manage the hub
    # Each server runs as its student, started from this same environment.
    c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
    c.Spawner.args = KERNEL_ARGS
    c.Spawner.default_url = f"/lab/tree/{FOLDER}/{START_NOTEBOOK}"
    if SPAWNER == "systemd":
        c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
        c.SystemdSpawner.mem_limit = "1G"  # per student: ~150 MiB idle, ~300 MiB at work
        c.SystemdSpawner.cpu_limit = 1.0
        c.SystemdSpawner.isolate_tmp = True
        c.SystemdSpawner.isolate_devices = True
    else:
        c.JupyterHub.spawner_class = "localprocess"

    def give_course(spawner) -> None:  # a jupyterhub Spawner
        """Before each start: the course notebooks in ~/wslab-notebooks (the first time),
        the folder for the kernels' sockets (/run is emptied at boot)."""
        owner = pwd.getpwnam(spawner.user.name)
        copy_course(Path(owner.pw_dir), FOLDER, owner)
        kernel_sockets(SOCKETS, spawner.user.name, owner)

    c.Spawner.pre_spawn_hook = give_course

else:
    # ---- Demo: one Unix user for everyone, NO isolation between students -----------------
    STATE = Path(os.environ["WSLAB_CLASSROOM_STATE"])  # build/classroom/state (or a test's)
    HOMES = Path(os.environ["WSLAB_CLASSROOM_HOMES"])  # one folder per student
    SOCKETS = Path(os.environ["WSLAB_CLASSROOM_SOCKETS"])  # a short folder, as in /tmp
    FOLDER = "notebooks"
    students = [name for name in os.environ["WSLAB_CLASSROOM_STUDENTS"].split(",") if name]

    c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
    c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
    c.ConfigurableHTTPProxy.command = [os.environ["WSLAB_CLASSROOM_PROXY"]]
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = os.environ["WSLAB_CLASSROOM_PASSWORD"]
    c.Authenticator.allowed_users = set(students)
    c.Authenticator.admin_users = {"teacher"}
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(HOMES / "{username}")
    c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
    c.Spawner.default_url = f"/lab/tree/{FOLDER}/{START_NOTEBOOK}"
    c.Spawner.args = KERNEL_ARGS
    if os.geteuid() == 0:  # containers often run as root; jupyter-server refuses without this
        c.Spawner.args = [*KERNEL_ARGS, "--allow-root"]

    def give_course(spawner) -> None:  # a jupyterhub Spawner
        """Before each start: the course notebooks in HOME/notebooks (the first time), the
        folder for the kernels' sockets."""
        copy_course(Path(spawner.home_dir), FOLDER)
        kernel_sockets(SOCKETS, spawner.user.name)

    c.Spawner.pre_spawn_hook = give_course

    # A service that drives the hub over its REST API (tools/classroom.py, the test).
    token = os.environ.get("WSLAB_CLASSROOM_SERVICE_TOKEN")
    if token:
        c.JupyterHub.services = [{"name": "wslab-classroom", "api_token": token}]
        c.JupyterHub.load_roles = [{
            "name": "wslab-classroom",
            "scopes": ["admin:users", "admin:servers", "access:servers", "list:users",
                       "read:users", "proxy"],
            "services": ["wslab-classroom"],
        }]

# Both modes: each server's runtime folder, which holds its kernels' sockets (made private by
# the pre-spawn hook, kernel_sockets).
c.Spawner.environment = {"JUPYTER_RUNTIME_DIR": lambda spawner: str(SOCKETS / spawner.user.name)}
