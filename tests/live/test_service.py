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

from wslab.live import LabServer, ScratchServer, Service, Tap, is_loopback
from wslab.live._service import LoopThread, tcp_listener  # private details, tested here

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


# -- one lifecycle for every service -----------------------------------------------------------


def _unused_port() -> int:
    with tcp_listener("127.0.0.1", 0) as sock:
        return int(sock.getsockname()[1])


SERVICES: dict[str, Callable[..., Service]] = {
    "LabServer": lambda **kw: LabServer(**kw),
    "ScratchServer": lambda **kw: ScratchServer(**kw),
    # a tap that no client uses never connects to its target: any port does
    "Tap": lambda host="127.0.0.1", **kw: Tap("127.0.0.1", _unused_port(), listen_host=host,
                                              **kw),
}
KINDS = {"LabServer": "server", "ScratchServer": "scratch", "Tap": "tap"}


@pytest.fixture(params=list(SERVICES))
def make(request: pytest.FixtureRequest) -> Iterator[Callable[..., Service]]:
    made: list[Service] = []

    def factory(**kw: Any) -> Service:
        made.append(SERVICES[request.param](**kw))
        return made[-1]

    yield factory
    for service in made:
        service.stop(TIMEOUT)


def test_start_returns_the_service_and_a_second_start_raises(
        make: Callable[..., Service]) -> None:
    service = make()
    assert service.start() is service
    try:
        assert service.running and service.address is not None
        assert service.address[:2] == ("127.0.0.1", service.port)
        kind = KINDS[type(service).__name__]
        assert f"wslab-{kind}-{service.port}" in [t.name for t in threading.enumerate()]
        with pytest.raises(RuntimeError, match="already running"):
            service.start()
        assert service.running  # the failed start changed nothing
    finally:
        service.stop()
    assert not service.running and service.address is None


def test_stop_when_stopped_is_a_no_op(make: Callable[..., Service]) -> None:
    service = make()
    service.stop()  # never started
    service.start().stop()
    service.stop()  # stopped already
    assert not service.running


def test_context_manager_starts_and_stops(make: Callable[..., Service]) -> None:
    service = make()
    with service as entered:
        assert entered is service and service.running
        assert "running" in repr(service) and type(service).__name__ in repr(service)
    assert not service.running and "stopped" in repr(service)


def test_url_host_port_and_restart_on_the_same_port(make: Callable[..., Service]) -> None:
    service = make()
    assert service.host == "127.0.0.1" and service.port == 0
    with pytest.raises(RuntimeError, match="no port yet"):
        service.url  # noqa: B018
    assert "no port yet" in repr(service)
    with service:
        port = service.port
        assert port > 0
        assert service.url == f"ws://127.0.0.1:{port}"
    assert service.url == f"ws://127.0.0.1:{port}"  # still known once stopped
    with service:
        assert service.port == port  # a restart keeps the port (and the URL)


def test_ipv6_loopback_url_has_brackets(make: Callable[..., Service]) -> None:
    try:
        tcp_listener("::1", 0).close()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with make(host="::1") as service:
        assert service.host == "::1" and is_loopback(service.host)
        assert service.url == f"ws://[::1]:{service.port}"
        assert service.address is not None and service.address[0] == "::1"
        if not isinstance(service, Tap):  # the two echo servers answer on the URL
            path = "/echo" if isinstance(service, LabServer) else "/"
            with connect(service.url + path, proxy=None, open_timeout=TIMEOUT) as ws:
                ws.send("over IPv6")
                assert ws.recv(timeout=TIMEOUT) == "over IPv6"


def test_tap_url_for_has_brackets_for_ipv6() -> None:
    tap = Tap("::1", 8765, listen_host="::1", listen_port=8123)  # not started: port asked
    assert tap.url_for("/echo") == "ws://[::1]:8123/echo"
    assert tap.url_for("echo", scheme="wss") == "wss://[::1]:8123/echo"
    assert repr(tap) == "<Tap ws://[::1]:8123 stopped, -> [::1]:8765, 0 connection(s)>"


def test_lab_server_url_is_wss_with_tls() -> None:
    pytest.importorskip("trustme")
    server = LabServer(tls=True, port=_unused_port())
    assert server.scheme == "wss" and server.url.startswith("wss://127.0.0.1:")


def test_stop_all_stops_that_class_and_its_subclasses_only() -> None:
    class EchoTap(Tap):
        pass

    lab, scratch = LabServer().start(), ScratchServer().start()
    taps = [Tap("127.0.0.1", lab.port).start(), EchoTap("127.0.0.1", lab.port).start()]
    try:
        EchoTap.stop_all()
        assert taps[0].running and not taps[1].running
        Tap.stop_all()  # Tap and its subclasses
        assert not taps[0].running and lab.running and scratch.running
        taps[0].start()
        Service.stop_all()  # every service
        assert not any(s.running for s in (lab, scratch, *taps))
    finally:
        for service in (lab, scratch, *taps):
            service.stop()
    Service.stop_all()  # nothing running: nothing to do


def test_non_loopback_host_warns_for_every_service() -> None:
    for make_one in SERVICES.values():
        with pytest.warns(UserWarning, match="beyond this machine"):
            make_one(host="0.0.0.0")


def test_stop_raises_when_the_loop_is_blocked_then_the_thread_ends() -> None:
    """The same bound for every service: stop() gives up after its timeout."""
    release = threading.Event()
    tap = Tap("127.0.0.1", _unused_port()).start()
    runner = tap._runner
    assert runner is not None and runner.call_soon(release.wait, TIMEOUT)  # block its loop
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="blocking the event loop"):
        tap.stop(0.3)
    assert time.monotonic() - started < 2
    assert not tap.running  # stopped as far as the caller is concerned
    release.set()
    assert runner.stop(TIMEOUT)
    tap.stop()  # a no-op now
