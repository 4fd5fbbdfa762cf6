"""LoopThread (one event loop in one thread), is_loopback, and listeners without Nagle stalls."""

from __future__ import annotations

import asyncio
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection
from websockets.sync.client import connect

from wslab.loopthread import LoopThread, is_loopback, tcp_listener
from wslab.scratch import ScratchServer
from wslab.server import LabServer
from wslab.tap import Tap

TIMEOUT = 5.0


@pytest.fixture
def runner() -> Iterator[LoopThread]:
    lt = LoopThread("wslab-test-loop").start()
    try:
        yield lt
    finally:
        assert lt.stop(TIMEOUT)


def test_call_runs_on_the_loop_thread_and_returns(runner: LoopThread) -> None:
    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    assert runner.running and runner.loop is not None
    assert runner.call(where(), TIMEOUT) == "wslab-test-loop"
    assert any(t.name == "wslab-test-loop" for t in threading.enumerate())


def test_call_passes_exceptions_on(runner: LoopThread) -> None:
    async def boom() -> None:
        raise ValueError("from the loop")

    with pytest.raises(ValueError, match="from the loop"):
        runner.call(boom(), TIMEOUT)


def test_call_times_out_and_cancels_the_coroutine(runner: LoopThread) -> None:
    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError, match=r"not done within 0\.1 s"):
        runner.call(forever(), 0.1)
    assert cancelled.wait(TIMEOUT)


def test_stop_cancels_leftover_tasks_runs_on_exit_and_closes_the_loop() -> None:
    seen: list[str] = []
    cancelled = threading.Event()
    lt = LoopThread("wslab-test-stop", on_exit=lambda: seen.append(
        threading.current_thread().name))

    async def leftover() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def spawn() -> asyncio.Task[None]:
        return asyncio.ensure_future(leftover())

    lt.start()
    task = lt.call(spawn(), TIMEOUT)
    loop = lt.loop
    assert loop is not None
    assert lt.stop(TIMEOUT)
    assert cancelled.is_set() and task.cancelled()
    assert seen == ["wslab-test-stop"]  # in the loop's thread, before the cancelling
    assert loop.is_closed() and not lt.running
    assert lt.stop(TIMEOUT)  # twice is fine
    with pytest.raises(RuntimeError, match="not running"):
        lt.call(asyncio.sleep(0), TIMEOUT)
    with pytest.raises(RuntimeError, match="already started"):
        lt.start()
    assert LoopThread("wslab-never-started").stop(TIMEOUT)


def test_stop_reports_a_blocked_loop_then_the_thread_ends_on_its_own() -> None:
    lt = LoopThread("wslab-test-blocked").start()
    release = threading.Event()
    assert lt.call_soon(release.wait, TIMEOUT)  # blocks the loop until released
    started = time.monotonic()
    assert lt.stop(0.2) is False
    assert time.monotonic() - started < 2
    release.set()
    assert lt.stop(TIMEOUT) and lt.loop is not None and lt.loop.is_closed()


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.5.6.7", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("192.168.1.10", False), ("::", False), ("example.org", False),
])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_tcp_listener_is_tcp_and_loopback() -> None:
    with tcp_listener("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP and sock.type == socket.SOCK_STREAM
        host, port = sock.getsockname()
        assert host == "127.0.0.1" and port > 0
        with pytest.raises(OSError):
            tcp_listener("127.0.0.1", port)  # taken


# -- every lab listener turns Nagle's algorithm off on the connections it accepts ------------


def nodelay(sock: Any) -> bool:
    return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))


def echo_gaps(url: str, rounds: int = 20) -> list[float]:
    """Send two small messages back to back, ``rounds`` times; return the ms between the two
    answers. With Nagle's algorithm on at the server, the second waits for the client's
    delayed ACK (~40 ms on Linux)."""
    gaps = []
    with connect(url, proxy=None, open_timeout=TIMEOUT, compression=None) as ws:
        for _ in range(rounds):
            ws.send("a")
            ws.send(b"b")
            assert ws.recv(timeout=TIMEOUT) == "a"
            first = time.perf_counter()
            assert ws.recv(timeout=TIMEOUT) == b"b"
            gaps.append((time.perf_counter() - first) * 1000)
    return gaps


def check_nodelay_and_gaps(url: str, accepted: Callable[[], list[Any]], count: int) -> None:
    """The sockets the listener accepted for one client have TCP_NODELAY; echoes do not stall."""
    with connect(url, proxy=None, open_timeout=TIMEOUT) as ws:
        ws.send("x")
        assert ws.recv(timeout=TIMEOUT) == "x"
        sockets = accepted()
        assert len(sockets) == count and all(nodelay(s) for s in sockets), sockets
    gaps = echo_gaps(url)
    assert statistics.median(gaps) < 20, f"gaps (ms): {[round(g, 1) for g in gaps]}"


async def report_nodelay(conn: ServerConnection) -> None:
    await conn.send(str(nodelay(conn.transport.get_extra_info("socket"))))


def test_lab_server_accepts_without_nagle() -> None:
    with LabServer(routes={"/nodelay": report_nodelay}) as srv:
        with connect(srv.url + "/nodelay", proxy=None, open_timeout=TIMEOUT) as ws:
            assert ws.recv(timeout=TIMEOUT) == "True"  # seen by a route: public API
        srv.wait_for("closed")
        check_nodelay_and_gaps(srv.url + "/echo", lambda: [
            c.transport.get_extra_info("socket") for c in list(srv._live)], 1)


def test_scratch_server_accepts_without_nagle() -> None:
    with ScratchServer() as srv:
        check_nodelay_and_gaps(srv.url + "/", lambda: [
            c.writer.get_extra_info("socket") for c in list(srv._live.values())], 1)


def test_tap_accepts_and_connects_without_nagle() -> None:
    """Both of the tap's sockets: the one it accepted, the one it opened to the server."""
    with LabServer() as srv, Tap("127.0.0.1", srv.port) as tap:
        check_nodelay_and_gaps(tap.url_for("/echo"), lambda: [
            w.get_extra_info("socket") for link in list(tap._links.values())
            for w in link.writers], 2)
