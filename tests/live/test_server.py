"""LabServer: a real websockets server in a background thread, with an event log."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from leaks import Snapshot, assert_nothing_leaked
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK, InvalidStatus

from wslab.live import EventLog, LabServer, connect, echo, format_events, ping_rtt


def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``predicate()`` until it holds or ``timeout`` passes; return the last answer."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture(scope="module")
def srv() -> Iterator[LabServer]:
    with LabServer(capacity=1, slow_seconds=0.3) as server:
        yield server


def test_echo_text_and_binary_through_connect(srv: LabServer) -> None:
    with connect(srv.url + "/echo") as ws:
        ws.send("hello")
        assert ws.recv(timeout=5) == "hello"
        ws.send(b"\x00\xff\x10")
        assert ws.recv(timeout=5) == b"\x00\xff\x10"
    assert echo(srv.url + "/echo", "once") == "once"


def test_ping_rtt_is_positive(srv: LabServer) -> None:
    rtt = ping_rtt(srv.url + "/echo")
    assert 0 < rtt < 5


def test_events_are_logged_in_order(srv: LabServer) -> None:
    with connect(srv.url + "/echo") as ws:
        cid = srv.conn_id_for(ws.local_address)
        ws.send("hi")
        assert ws.recv(timeout=5) == "hi"
    closed = srv.wait_for("closed", cid)
    events = srv.log.find(conn_id=cid)
    assert [e.kind for e in events] == ["connect", "open", "recv", "send", "close_recv",
                                        "close_sent", "closed"], format_events(events)
    assert [e.t for e in events] == sorted(e.t for e in events)
    assert events[1].detail["path"] == "/echo"
    assert events[2].detail["data"] == "hi" and events[2].detail["opcode"] == "text"
    assert closed.detail["code"] == 1000 and closed.detail["clean"]
    summary = next(c for c in srv.connections if c.conn_id == cid)
    assert (summary.state, summary.path, summary.close_code) == ("closed", "/echo", 1000)


def test_raise_route_closes_1011_after_logging_the_exception(srv: LabServer) -> None:
    mark = srv.log.mark()
    with connect(srv.url + "/raise") as ws:  # closes at once: too soon for ws.local_address
        with pytest.raises(ConnectionClosedError) as info:
            ws.recv(timeout=5)
    cid = srv.wait_for("open", after=mark, match={"path": "/raise"}).conn_id
    assert info.value.rcvd is not None and info.value.rcvd.code == 1011
    srv.wait_for("closed", cid)
    kinds = [e.kind for e in srv.log.find(conn_id=cid)]
    assert kinds.index("exception") < kinds.index("close_sent")
    exc = srv.wait_for("exception", cid)
    assert exc.detail["type"] == "RuntimeError" and "Traceback" in exc.detail["traceback"]
    assert srv.wait_for("close_sent", cid).detail["code"] == 1011


def test_a_thousand_failing_connections_leave_the_server_up_and_nothing_leaked(
        srv: LabServer) -> None:
    with connect(srv.url + "/echo") as ws:  # warm up
        cid = srv.conn_id_for(ws.local_address)
    mark = srv.wait_for("closed", cid).seq
    before = Snapshot.take()
    started = time.monotonic()
    codes = set()
    for _ in range(1000):
        with connect(srv.url + "/raise") as ws:
            with pytest.raises(ConnectionClosedError) as info:
                ws.recv(timeout=5)
            assert info.value.rcvd is not None
            codes.add(info.value.rcvd.code)
    elapsed = time.monotonic() - started
    assert codes == {1011}
    assert echo(srv.url + "/echo", "still here") == "still here"
    assert eventually(lambda: len(srv.log.find("closed", after=mark)) >= 1001)
    assert len(srv.log.find("exception", after=mark)) == 1000
    assert {e.detail["code"] for e in srv.log.find("close_sent", after=mark)} == {1011, 1000}
    assert_nothing_leaked(before)
    print(f"1000 connections to /raise in {elapsed:.1f} s")


def test_start_stop_a_hundred_times_leaks_nothing() -> None:
    before = Snapshot.take()
    again = LabServer()
    for i in range(100):
        if i % 2:
            again.start()
            server = again
        else:
            server = LabServer().start()
        assert server.running
        if i % 25 == 0:
            assert echo(server.url + "/echo", f"cycle {i}") == f"cycle {i}"
        server.stop()
        assert not server.running
    assert len(again.log.find("server_started")) == 50
    assert_nothing_leaked(before)


def test_restart_keeps_the_port_and_the_url() -> None:
    server = LabServer().start()
    url = server.url
    server.stop()
    server.start()
    try:
        assert server.url == url
        assert echo(url + "/echo", "back") == "back"
    finally:
        server.stop()


def test_two_servers_at_once() -> None:
    with LabServer() as one, LabServer() as two:
        assert one.port != two.port
        assert echo(one.url + "/echo", "one") == "one"
        assert echo(two.url + "/echo", "two") == "two"
        assert one.wait_for("open").detail["path"] == "/echo"
        assert two.wait_for("open").detail["path"] == "/echo"


def test_start_twice_raises_and_stop_twice_is_harmless() -> None:
    server = LabServer().start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
    finally:
        server.stop()
    server.stop()
    assert server.address is None


@pytest.mark.parametrize(("kwargs", "code", "closed"), [
    ({}, 1001, ConnectionClosedOK),
    ({"code": 1012, "reason": "service restart"}, 1012, ConnectionClosedError),
])
def test_stop_closes_open_connections_with_the_chosen_code(
        kwargs: dict[str, object], code: int, closed: type[Exception]) -> None:
    server = LabServer().start()
    ws = connect(server.url + "/echo")
    try:
        server.wait_for("open")
        server.stop(**kwargs)  # type: ignore[arg-type]
        with pytest.raises(closed) as info:
            ws.recv(timeout=5)
    finally:
        ws.close()
    rcvd = info.value.rcvd  # type: ignore[attr-defined]
    assert rcvd.code == code and rcvd.reason == kwargs.get("reason", "")
    assert server.wait_for("close_sent").detail["code"] == code


def test_stop_does_not_wait_for_a_half_open_handshake() -> None:
    import socket

    server = LabServer(open_timeout=30).start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /echo HTTP/1.1\r\n")
        server.wait_for("connect")
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 4
        try:
            assert sock.recv(100) == b""
        except ConnectionResetError:
            pass  # dropped with a reset: also no answer


def test_wss_echo_with_the_throwaway_ca() -> None:
    with LabServer(tls=True) as server:
        assert server.url.startswith("wss://127.0.0.1:")
        ctx = server.client_ssl_context()
        assert echo(server.url + "/echo", "secret", ssl=ctx) == "secret"
        with connect(server.url + "/echo", ssl=ctx) as ws:
            ws.send(b"bytes")
            assert ws.recv(timeout=5) == b"bytes"


def test_client_ssl_context_needs_tls(srv: LabServer) -> None:
    with pytest.raises(ValueError, match="tls=True"):
        srv.client_ssl_context()


def test_listens_on_loopback_only_by_default(srv: LabServer) -> None:
    assert srv.host == "127.0.0.1"
    assert srv.url.startswith("ws://127.0.0.1:")
    assert srv.address is not None and srv.address[0] == "127.0.0.1"
    assert srv.address[1] == srv.port


def test_other_hosts_must_be_asked_for_and_warn() -> None:
    with pytest.warns(UserWarning, match="beyond this machine"):
        LabServer(host="0.0.0.0")  # not started: nothing listens


def test_unknown_path_is_an_http_404(srv: LabServer) -> None:
    with pytest.raises(InvalidStatus) as info:
        connect(srv.url + "/nowhere")
    assert info.value.response.status_code == 404
    event = srv.wait_for("handshake_rejected", match={"path": "/nowhere"})
    assert event.detail["status"] == 404


@pytest.mark.parametrize(("code", "reason"), [(1008, "Policy Violation"), (1000, None),
                                              (4000, None)])
def test_close_route_closes_with_the_code_in_the_path(srv: LabServer, code: int,
                                                      reason: str | None) -> None:
    with connect(srv.url + f"/close/{code}") as ws:
        with pytest.raises((ConnectionClosedOK, ConnectionClosedError)) as info:
            ws.recv(timeout=5)
    rcvd = info.value.rcvd  # type: ignore[union-attr]
    assert rcvd is not None and rcvd.code == code
    assert rcvd.reason if reason is None else rcvd.reason == reason


@pytest.mark.parametrize("code", ["1005", "1006", "999", "2000", "abc"])
def test_close_route_refuses_codes_that_cannot_be_sent(srv: LabServer, code: str) -> None:
    with pytest.raises(InvalidStatus) as info:
        connect(srv.url + f"/close/{code}")
    assert info.value.response.status_code == 400


def test_policy_route(srv: LabServer) -> None:
    with connect(srv.url + "/policy") as ws:
        ws.send("token:wrong")
        with pytest.raises(ConnectionClosedError) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (1008, "bad token")
    with connect(srv.url + "/policy") as ws:
        ws.send("token:secret")
        assert ws.recv(timeout=5) == "welcome"
        ws.send("then echo")
        assert ws.recv(timeout=5) == "then echo"


def test_capacity_route_says_try_again_later(srv: LabServer) -> None:
    with connect(srv.url + "/capacity") as first:
        first.send("in")
        assert first.recv(timeout=5) == "in"  # its handler runs and holds the one place
        with connect(srv.url + "/capacity") as second:
            with pytest.raises(ConnectionClosedError) as info:
                second.recv(timeout=5)
        assert info.value.rcvd is not None
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (1013, "try again later")
    with connect(srv.url + "/capacity") as again:  # the place is free again
        again.send("room")
        assert again.recv(timeout=5) == "room"


def test_silent_route_reads_and_never_answers(srv: LabServer) -> None:
    """No "nothing came within 0.3 s" wait: event order proves the silence.

    The server logs what it received; then the client closes. Any message the server sent
    before its answering close frame would reach the client first (TCP keeps the order, and
    websockets' ``recv`` returns queued messages before raising), so ``recv`` raising
    ConnectionClosedOK at once shows nothing was sent, and the server's log agrees.
    """
    with connect(srv.url + "/silent") as ws:
        cid = srv.conn_id_for(ws.local_address)
        ws.send("anyone?")
        srv.wait_for("recv", cid, match={"data": "anyone?"})
        ws.close()
        with pytest.raises(ConnectionClosedOK):
            ws.recv(timeout=5)
    srv.wait_for("closed", cid)
    assert [e.kind for e in srv.log.find(conn_id=cid)] == [
        "connect", "open", "recv", "close_recv", "close_sent", "closed"]


def test_conn_id_for_takes_the_newest_connection_from_that_address() -> None:
    server = LabServer()  # not started: its log is enough
    for cid in (1, 2):  # a client port used again later
        server.log.add(cid, "connect", peer=("127.0.0.1", 50_000))
    server.log.add(3, "connect", peer=("127.0.0.1", 50_001))
    assert server.conn_id_for(("127.0.0.1", 50_000)) == 2
    with pytest.raises(TimeoutError, match="no 'connect' event"):
        server.conn_id_for(("127.0.0.1", 50_002), timeout=0.05)


def test_slow_route_blocks_the_whole_loop(srv: LabServer) -> None:
    with connect(srv.url + "/slow") as ws:
        started = time.monotonic()
        ws.send("tick")
        assert ws.recv(timeout=5) == "tick"
        assert time.monotonic() - started >= 0.3


def test_custom_routes_and_process_request_hook() -> None:
    async def hello(conn: object) -> None:
        await conn.send("hello from a custom route")  # type: ignore[attr-defined]

    seen: list[str] = []

    def hook(conn: object, request: object) -> None:
        seen.append(request.path)  # type: ignore[attr-defined]

    with LabServer(routes={"/hello": hello}, process_request=hook) as server:
        with connect(server.url + "/hello") as ws:
            assert ws.recv(timeout=5) == "hello from a custom route"
        assert seen == ["/hello"]


def test_permessage_deflate_when_asked(srv: LabServer) -> None:
    with LabServer(compression="deflate") as server:
        with connect(server.url + "/echo", compression="deflate") as ws:
            ws.send("squeeze me " * 20)
            assert ws.recv(timeout=5) == "squeeze me " * 20
        assert "permessage-deflate" in server.wait_for("open").detail["extensions"]
    with connect(srv.url + "/echo", compression="deflate") as ws:  # srv: no compression
        assert ws.response is not None
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None


def test_wait_for_times_out_with_what_it_saw(srv: LabServer) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="no 'open' event on connection #999999 within"):
        srv.wait_for("open", 999_999, timeout=0.2)
    assert time.monotonic() - started < 3


def test_clear_events(srv: LabServer) -> None:
    # The server is the module's: wait for this connection's own close, not an earlier one.
    events = srv.events
    mark = events[-1].seq if events else -1
    assert echo(srv.url + "/echo", "x") == "x"
    opened = srv.wait_for("open", match={"path": "/echo"}, after=mark)
    srv.wait_for("closed", opened.conn_id, after=mark)
    srv.clear_events()
    assert srv.events == [] and srv.connections == []


def test_stop_all_stops_every_running_server() -> None:
    servers = [LabServer().start(), LabServer().start()]
    LabServer.stop_all()
    assert not any(server.running for server in servers)


def test_event_log_waits_across_threads_and_filters() -> None:
    log = EventLog(maxlen=3)
    first = log.add(1, "open", path="/echo")
    timer = threading.Timer(0.1, log.add, (1, "recv"), {"data": "late"})
    timer.start()
    try:
        assert log.wait_for("recv", 1, match={"data": "late"}, timeout=5).seq == first.seq + 1
    finally:
        timer.join()
    assert log.wait_for("open") == first  # events already there count
    with pytest.raises(TimeoutError, match="no 'open' event"):
        log.wait_for("open", after=first.seq, timeout=0.05)
    for n in range(3):
        log.add(2, "send", n=n)
    assert [e.detail["n"] for e in log.snapshot()] == [0, 1, 2]  # maxlen: oldest dropped
    assert len(log.find("send", 2, match=lambda e: e.detail["n"] > 0)) == 2
    text = format_events(log.snapshot())
    assert text.splitlines()[0].endswith("#2 send n=0") and len(text.splitlines()) == 3


def test_stop_is_bounded_even_when_a_handler_blocks_the_loop() -> None:
    before = Snapshot.take()
    server = LabServer(slow_seconds=3).start()
    with connect(server.url + "/slow") as ws:
        ws.send("block the loop")
        server.wait_for("recv")
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="blocking the event loop"):
            server.stop(timeout=0.3)
        assert time.monotonic() - started < 2.5  # waited 0.3 s, joined 0.3 s: not 3 s
    assert_nothing_leaked(before)  # once the handler wakes up, the thread cleans up
