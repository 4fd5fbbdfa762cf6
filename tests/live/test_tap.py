"""The tap: a recording, fault-injecting proxy between a real client and a real server.

The server is a tiny ``websockets`` echo server started here (fixture ``echo_server``);
it can later be switched to ``wslab.live.LabServer``. It reports how each connection
ended, as the server saw it, through ``echo_server.ends``.
"""

from __future__ import annotations

import queue
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from leaks import Snapshot, assert_nothing_leaked
from websockets.exceptions import ConnectionClosed, ConnectionClosedError, WebSocketException
from websockets.sync.client import connect
from websockets.sync.server import Server, ServerConnection, serve

from wslab.codec import TLS_NOTE, Frame, Opcode, Transcript
from wslab.live import Faults, Intercepted, LabServer, RawClient, Tap
from wslab.view import sequence_diagram

SCHEDULING_SLACK = 0.01  # seconds: a thread may wake this late after an event it waits for


@dataclass
class EchoServer:
    server: Server
    port: int
    ends: queue.Queue[Any] = field(default_factory=queue.Queue)

    def next_end(self, timeout: float = 5.0) -> Any:
        """How the next connection ended, server side: an exception or ``"ok"``."""
        return self.ends.get(timeout=timeout)


@pytest.fixture(scope="module")
def echo_server() -> Iterator[EchoServer]:
    ends: queue.Queue[Any] = queue.Queue()

    def echo(ws: ServerConnection) -> None:
        try:
            for message in ws:
                ws.send(message)
        except ConnectionClosed as exc:
            ends.put(exc)
        else:
            ends.put("ok")

    server = serve(echo, "127.0.0.1", 0, ping_interval=None)
    thread = threading.Thread(target=server.serve_forever, name="test-echo-server")
    thread.start()
    try:
        yield EchoServer(server, server.socket.getsockname()[1], ends)
    finally:
        server.shutdown()
        thread.join(5)


def client(tap: Tap, **kwargs: Any) -> Any:
    return connect(tap.url_for("/"), proxy=None, open_timeout=5, **kwargs)


def test_echo_is_recorded_and_dissected(echo_server: EchoServer) -> None:
    with Tap("127.0.0.1", echo_server.port) as tap:
        assert tap.url_for("/x") == f"ws://127.0.0.1:{tap.port}/x" == tap.url + "/x"
        with client(tap, compression=None) as ws:
            ws.send("hi there")
            assert ws.recv(timeout=5) == "hi there"
        tap.wait_for("closed")
        transcript = tap.transcript()
    assert echo_server.next_end() == "ok"
    assert transcript.http_status() == 101
    request, response = [e for e in transcript.entries if e.kind == "http"]
    assert request.direction == "c2s" and request.http.ok  # type: ignore[union-attr]
    assert response.direction == "s2c" and response.http.ok  # accept checked  # type: ignore[union-attr]
    (sent,) = transcript.frames("c2s", "text")
    (echo,) = transcript.frames("s2c", "text")
    assert sent.frame_dissection.frame.masked and sent.frame_dissection.text == "hi there"  # type: ignore[union-attr]
    assert not echo.frame_dissection.frame.masked and echo.frame_dissection.text == "hi there"  # type: ignore[union-attr]
    assert not sent.frame_dissection.violations and not echo.frame_dissection.violations  # type: ignore[union-attr]
    assert [(c.direction, c.code) for c in transcript.close_frames()] == [("c2s", 1000),
                                                                          ("s2c", 1000)]
    assert not transcript.tcp_closed_without_close_frame()
    assert sent.t < echo.t <= transcript.close_frames()[0].t
    (conn,) = tap.connections
    assert conn.id == 1 and not conn.open and conn.ending == "both sides closed"
    assert conn.received == conn.forwarded
    assert conn.received["c2s"] == sum(len(c.data) for c in tap.chunks() if c.direction == "c2s")


def test_compressed_echo_is_inflated(echo_server: EchoServer) -> None:
    with Tap("127.0.0.1", echo_server.port) as tap:
        with client(tap) as ws:  # websockets offers permessage-deflate by default
            ws.send("squeeze me " * 20)
            assert ws.recv(timeout=5) == "squeeze me " * 20
        tap.wait_for("closed")
        transcript = tap.transcript()
    echo_server.next_end()
    assert transcript.deflate == {1: True}
    (echo,) = transcript.frames("s2c", "text")
    assert echo.frame_dissection.frame.rsv1  # type: ignore[union-attr]
    assert echo.frame_dissection.text == "squeeze me " * 20  # type: ignore[union-attr]
    assert len(echo.frame_dissection.frame.payload) < 220  # type: ignore[union-attr]


def test_delay_holds_every_chunk_in_order(echo_server: EchoServer) -> None:
    delay = 0.3
    with Tap("127.0.0.1", echo_server.port, delay={"s2c": delay}) as tap:
        assert tap.faults("s2c") == Faults(delay=delay) and tap.faults("c2s") == Faults()
        with client(tap) as ws:
            start = time.monotonic()
            ws.send("ping?")
            assert ws.recv(timeout=5) == "ping?"
            assert time.monotonic() - start >= 0.8 * delay
            for i in range(5):
                ws.send(str(i))
            assert [ws.recv(timeout=5) for _ in range(5)] == [str(i) for i in range(5)]
            start = time.monotonic()
            assert ws.ping(b"rtt?").wait(5)
            client_rtt = time.monotonic() - start
            tap.set_delay("s2c", 0)
            ws.send("fast")
            assert ws.recv(timeout=5) == "fast"
        tap.wait_for("closed")
        transcript = tap.transcript()
    echo_server.next_end()
    held = [e.held for e in transcript.frames("s2c", "text")]
    assert len(held) == 7 and all(h is not None and h >= 0.8 * delay for h in held[:6])
    assert held[6] is not None and held[6] < 0.8 * delay  # the delay was off again
    (tap_rtt,) = transcript.ping_rtts()  # ping in at the tap .. pong out of the tap
    # Both on the same monotonic clock. The tap stamps the pong after its write to the client
    # returns, so the client can wake a hair before that stamp: allow scheduling slack.
    assert 0.8 * delay <= tap_rtt <= client_rtt + SCHEDULING_SLACK
    assert any(e.event and e.event.detail == "s2c: delay 300 ms" for e in transcript.entries)


def test_stall_holds_everything_until_resume(echo_server: EchoServer) -> None:
    with Tap("127.0.0.1", echo_server.port) as tap, client(tap) as ws:
        tap.stall("s2c")
        ws.send("held")
        echo = tap.wait_for("text", direction="s2c")  # the server answered: the tap has it
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.3)  # ... and keeps it
        assert echo.t_forwarded is None
        tap.resume("s2c")
        assert ws.recv(timeout=5) == "held"
    echo_server.next_end()
    entry = tap.transcript().frames("s2c", "text")[0]
    assert entry.held is not None and entry.held >= 0.3
    assert [e.detail for e in tap.events() if e.kind == "fault"] == ["s2c stalled",
                                                                      "s2c resumed"]


def test_stall_after_a_number_of_bytes(echo_server: EchoServer) -> None:
    request = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               b"Sec-WebSocket-Version: 13\r\n\r\n")
    with Tap("127.0.0.1", echo_server.port, stall_after={"s2c": 10}) as tap, \
            socket.create_connection(("127.0.0.1", tap.port), timeout=5) as sock:
        sock.sendall(request)
        got = b""
        while len(got) < 10:
            got += sock.recv(100)
        assert got == b"HTTP/1.1 1"  # exactly 10 bytes, then nothing
        tap.wait_for("fault", direction="s2c")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(100)
        tap.resume("s2c")
        sock.settimeout(5)
        while b"\r\n\r\n" not in got:
            got += sock.recv(1000)
        assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in got  # RFC 6455 §1.3
    echo_server.next_end()


def test_cut_drops_the_connection_without_close_frame(echo_server: EchoServer) -> None:
    with Tap("127.0.0.1", echo_server.port) as tap:
        with client(tap) as ws:
            ws.send("before")
            assert ws.recv(timeout=5) == "before"
            assert tap.cut() == 1
            with pytest.raises(ConnectionClosedError) as info:
                ws.recv(timeout=5)
            assert info.value.rcvd is None and info.value.sent is None
            assert ws.close_code == 1006  # abnormal closure: never on the wire
        tap.wait_for("closed")
        transcript = tap.transcript()
    server_end = echo_server.next_end()
    assert isinstance(server_end, ConnectionClosedError) and server_end.rcvd is None
    assert not transcript.has_close_frame()
    assert transcript.tcp_closed_without_close_frame()
    assert "✂" in sequence_diagram(transcript)
    assert [e.kind for e in tap.events()][-2:] == ["cut", "closed"]
    assert tap.connections[0].ending == "cut by the tap"


def test_keepalive_timeout_when_the_server_seems_silent(echo_server: EchoServer) -> None:
    """Stall s2c: pings get through, pongs do not; the client gives up with 1011.

    Observed (websockets 17): the client sends close 1011 'keepalive ping timeout' (c2s is
    not stalled, so it reaches the server), then waits ``close_timeout`` for the server to
    close TCP and drops the connection: the client saw no close frame. The server got the
    client's 1011 and echoed it; the echo sits in the tap, never delivered.
    """
    with Tap("127.0.0.1", echo_server.port) as tap:
        with client(tap, ping_interval=0.2, ping_timeout=0.2, close_timeout=0.5) as ws:
            tap.stall("s2c")
            with pytest.raises(ConnectionClosedError) as info:
                ws.recv(timeout=5)
        assert info.value.rcvd is None
        assert (info.value.sent.code, info.value.sent.reason) == (  # type: ignore[union-attr]
            1011, "keepalive ping timeout")
        server_end = echo_server.next_end()
        assert isinstance(server_end, ConnectionClosed)
        assert (server_end.rcvd.code, server_end.rcvd.reason) == (  # type: ignore[union-attr]
            1011, "keepalive ping timeout")
        tap.wait_for("eof", direction="c2s")
    transcript = tap.transcript()  # after stop(): held bytes are reported dropped
    close = transcript.first_close("c2s")
    assert close is not None and (close.code, close.reason) == (1011, "keepalive ping timeout")
    assert transcript.pings("c2s") and transcript.pongs("s2c")  # the pong was there, held
    echoed = transcript.first_close("s2c")
    assert echoed is not None and echoed.code == 1011
    assert transcript.frames("s2c", "close")[0].summary.endswith("(never delivered)")
    assert transcript.tcp_closed_without_close_frame("s2c") is False  # sent, not delivered
    assert any(e.kind == "dropped" and e.direction == "s2c" for e in tap.events())
    assert "close 1011 'keepalive ping timeout'" in sequence_diagram(transcript)


def test_several_connections_and_wait_for(echo_server: EchoServer) -> None:
    with Tap("127.0.0.1", echo_server.port) as tap:
        with client(tap, compression=None) as one, client(tap, compression=None) as two:
            one.send("one")
            two.send("two")
            assert (one.recv(timeout=5), two.recv(timeout=5)) == ("one", "two")
            ids = (tap.conn_id_for(one.local_address), tap.conn_id_for(two.local_address))
            assert ids == (1, 2)
        first = tap.wait_for("close", 1, direction="s2c")
        assert first.conn_id == 1 and first.frame_dissection.close_code == 1000
        tap.wait_for(lambda t: sum(e.kind == "closed" for e in t.events()) == 2)
        with pytest.raises(TimeoutError, match=r"reset not seen within 0\.1 s"):
            tap.wait_for("reset", timeout=0.1)
        with pytest.raises(ValueError, match="cannot wait for 'nothing'"):
            tap.wait_for("nothing")
        assert [c.id for c in tap.connections] == [1, 2]
        with pytest.raises(TimeoutError, match=r"the tap saw no connection from 127\.0\.0\.1:1 "):
            tap.conn_id_for(("127.0.0.1", 1), timeout=0.05)
        texts = {cid: tap.transcript(cid).frames("c2s", "text")[0].frame_dissection.text  # type: ignore[union-attr]
                 for cid in (1, 2)}
    assert sorted(texts.values()) == ["one", "two"]
    echo_server.next_end()
    echo_server.next_end()


def test_unreachable_server_and_recording_cap(echo_server: EchoServer) -> None:
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    dead_port = spare.getsockname()[1]
    spare.close()  # nothing listens there now
    with Tap("127.0.0.1", dead_port) as tap:
        with pytest.raises((OSError, WebSocketException)):  # closed before any answer
            client(tap)
        failed = tap.wait_for("connect-failed")
        assert str(dead_port) in failed.detail
    with Tap("127.0.0.1", echo_server.port, max_record=300) as tap:
        with client(tap, compression=None) as ws:
            ws.send("x" * 1000)
            assert ws.recv(timeout=5) == "x" * 1000
        tap.wait_for("closed")
        (conn,) = tap.connections
        assert conn.recorded == 300 == sum(len(c.data) for c in tap.chunks())
        assert conn.received["c2s"] > 1000 and conn.forwarded == conn.received
        # the chunk that reached the cap was kept in part, and was the last one kept
        assert tap.wait_for("truncated").direction == tap.chunks()[-1].direction
        assert isinstance(tap.transcript(), Transcript)
    echo_server.next_end()


def test_stop_leaves_no_threads_or_sockets_and_restarts(echo_server: EchoServer) -> None:
    before = Snapshot.take()
    tap = Tap("127.0.0.1", echo_server.port)
    with pytest.raises(RuntimeError):
        tap.url_for("/")
    tap.start()
    port = tap.port
    assert any(t.name == f"wslab-tap-{port}" for t in threading.enumerate())
    with client(tap) as ws:
        ws.send("a")
        assert ws.recv(timeout=5) == "a"
        tap.stop()  # with a connection still open
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    tap.stop()  # twice is fine
    tap.start()  # restart: same port, recordings kept
    assert tap.port == port and tap.running
    with client(tap) as ws:
        ws.send("b")
        assert ws.recv(timeout=5) == "b"
    tap.stop()
    assert not tap.running and [c.id for c in tap.connections] == [1, 2]
    echo_server.next_end()
    echo_server.next_end()
    assert_nothing_leaked(before)  # the server's handler threads finish on their own


def test_wss_through_the_tap_is_opaque() -> None:
    """TLS end to end: the tap passes the records on and can only count them."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ssl)
    client_ssl = ssl.create_default_context()
    ca.configure_trust(client_ssl)

    def echo(ws: ServerConnection) -> None:
        for message in ws:
            ws.send(message)

    server = serve(echo, "127.0.0.1", 0, ssl=server_ssl, ping_interval=None)
    thread = threading.Thread(target=server.serve_forever, name="test-wss-server")
    thread.start()
    try:
        with Tap("127.0.0.1", server.socket.getsockname()[1]) as tap:
            with connect(tap.url_for("/", scheme="wss"), ssl=client_ssl, proxy=None,
                         open_timeout=5) as ws:
                ws.send("secret")
                assert ws.recv(timeout=5) == "secret"
            tap.wait_for("closed")
            transcript = tap.transcript()
    finally:
        server.shutdown()
        thread.join(5)
    assert b"secret" not in b"".join(c.data for c in tap.chunks())
    assert not transcript.frames() and transcript.http_status() is None
    assert {e.kind for e in transcript.entries} == {"tls", "tcp"}
    assert transcript.entries[1].summary == TLS_NOTE  # after "TCP open"
    assert transcript.entries[2].summary.startswith("TLS handshake (ClientHello)")
    assert any("application data" in e.summary for e in transcript.entries)


# -- the frame hook: drop, inject, rewrite ------------------------------------------------------


def test_a_hook_that_changes_nothing_passes_every_byte_on_as_it_came(
        echo_server: EchoServer) -> None:
    seen: list[Intercepted] = []
    with Tap("127.0.0.1", echo_server.port, intercept=seen.append) as tap:
        with client(tap, compression=None) as ws:
            for message in ("hello", b"\x00" * 70_000, "x" * 200):
                ws.send(message)
                assert ws.recv(timeout=5) == message
        tap.wait_for("closed")
        [info] = tap.connections
    assert info.received == info.forwarded  # byte for byte, both ways
    c2s = [s for s in seen if s.direction == "c2s"]
    assert [s.frame.opcode for s in c2s] == [Opcode.TEXT, Opcode.BINARY, Opcode.TEXT,
                                            Opcode.CLOSE]
    assert [s.index for s in c2s] == [0, 1, 2, 3]
    assert all(s.frame.masked for s in c2s) and not any(
        s.frame.masked for s in seen if s.direction == "s2c")
    assert c2s[1].frame.payload == b"\x00" * 70_000 and len(c2s[1].data) == 70_000 + 14
    assert not [e for e in tap.events() if e.kind == "intercept"]


def test_frames_split_across_reads_reach_the_hook_whole() -> None:
    """A raw client sends two frames one byte per TCP segment: the hook sees two frames."""
    frames = [Frame.text("Hello", masking_key=bytes.fromhex("37fa213d")),
              Frame(Opcode.PING, b"hi", masking_key=b"\x01\x02\x03\x04")]
    wire = b"".join(f.serialize() for f in frames)
    seen: list[Intercepted] = []
    with LabServer(ping_interval=None) as srv, \
            Tap("127.0.0.1", srv.port, intercept=seen.append) as tap:
        with RawClient("127.0.0.1", tap.port, timeout=5) as raw:
            raw.send_handshake(path="/echo")
            for i in range(len(wire)):
                raw.send(wire[i:i + 1])
            assert tap.wait_for("pong", direction="s2c")
            reads = [c for c in tap.chunks() if c.direction == "c2s"]
        got = [s for s in seen if s.direction == "c2s"]
    assert [s.frame for s in got] == frames
    assert b"".join(s.data for s in got) == wire
    assert len(reads) == 2  # recorded as passed on: a whole frame per chunk


def test_a_rewrite_keeps_the_rest_of_the_stream_in_step(echo_server: EchoServer) -> None:
    def longer(seen: Intercepted) -> Frame | None:
        if seen.direction == "c2s" and seen.frame.payload == b"a":
            return Frame(Opcode.TEXT, b"rewritten by the tap", masking_key=seen.frame.masking_key)
        return None

    with Tap("127.0.0.1", echo_server.port, intercept=longer) as tap:
        with client(tap, compression=None) as ws:
            ws.send("a")
            ws.send("second")
            assert [ws.recv(timeout=5), ws.recv(timeout=5)] == ["rewritten by the tap",
                                                                  "second"]
        tap.wait_for("closed")
        [note] = [e.detail for e in tap.events() if e.kind == "intercept"]
        texts = [e.frame_dissection.text for e in tap.transcript().frames("c2s")]
    assert "frame 0 (text, 7 bytes)" in note and "rewritten as" in note
    assert texts[:2] == ["rewritten by the tap", "second"]  # the recording: what went on


def test_drop_and_inject(echo_server: EchoServer) -> None:
    def hook(seen: Intercepted) -> list[Frame] | None:
        if seen.direction != "c2s" or seen.frame.opcode != Opcode.TEXT:
            return None
        if seen.frame.payload == b"drop me":
            return []
        return [seen.frame, Frame.text("injected", masking_key=b"abcd")]

    with Tap("127.0.0.1", echo_server.port, intercept=hook) as tap:
        with client(tap, compression=None) as ws:
            ws.send("drop me")
            ws.send("kept")
            assert [ws.recv(timeout=5), ws.recv(timeout=5)] == ["kept", "injected"]
        tap.wait_for("closed")
        notes = [e.detail for e in tap.events() if e.kind == "intercept"]
    assert notes[0].endswith("dropped") and "1 frame(s) injected" in notes[1]


def test_a_failing_hook_passes_the_frame_on_and_says_so(echo_server: EchoServer) -> None:
    def broken(seen: Intercepted) -> None:
        raise RuntimeError("oops")

    with Tap("127.0.0.1", echo_server.port, intercept=broken) as tap:
        with client(tap, compression=None) as ws:
            ws.send("still fine")
            assert ws.recv(timeout=5) == "still fine"
        assert tap.wait_for(lambda t: [e for e in t.events() if "oops" in e.detail])


def test_set_intercept_applies_to_new_connections(echo_server: EchoServer) -> None:
    seen: list[Intercepted] = []
    with Tap("127.0.0.1", echo_server.port) as tap:
        assert tap.intercept is None
        with client(tap, compression=None) as ws:
            tap.set_intercept(seen.append)
            ws.send("before the hook's connection")
            ws.recv(timeout=5)
        assert seen == [] and tap.intercept is not None
        with client(tap, compression=None) as ws:
            ws.send("hooked")
            ws.recv(timeout=5)
        tap.set_intercept(None)
    assert [s.frame.payload for s in seen if s.direction == "c2s"][:1] == [b"hooked"]


def test_tls_cannot_be_intercepted() -> None:
    """Over wss:// the tap sees TLS records, never frames: the hook is not called."""
    seen: list[Intercepted] = []
    with LabServer(tls=True, ping_interval=None) as srv, \
            Tap("127.0.0.1", srv.port, intercept=seen.append) as tap:
        with connect(tap.url_for("/echo", scheme="wss"), ssl=srv.client_ssl_context(),
                     proxy=None, open_timeout=5) as ws:
            ws.send("secret")
            assert ws.recv(timeout=5) == "secret"
        tap.wait_for("closed")
        notes = [e.detail for e in tap.events() if e.kind == "intercept"]
    assert seen == []
    assert notes and all("TLS" in n and "encrypted" in n for n in notes)
