"""The from-scratch server (wslab.live.ScratchServer): echo, handshake errors, close codes,
misbehaviours.

Clients: the ``websockets`` library (a real, strict client), and plain sockets that send exact
bytes built with wslab's codec (to break rules the library never breaks). Close codes for
broken frames are cross-checked with what a ``websockets`` server sends for the same bytes.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from leaks import PROC_FDS, Snapshot
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK, InvalidStatus
from websockets.sync.client import connect

from wslab.codec import Decoder, Frame, Opcode, Response, accept_key, build_request, parse_response
from wslab.live import (
    MISBEHAVIOURS,
    SCRATCH_SERVER_NAME,
    ScratchServer,
    parse_misbehave,
    serve_scratch,
)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3
MASK = bytes.fromhex("37fa213d")  # RFC 6455 §5.7
TIMEOUT = 5


@pytest.fixture(scope="module")
def server() -> Iterator[ScratchServer]:
    with ScratchServer() as srv:
        yield srv


# -- raw socket helpers ------------------------------------------------------------------------


def read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """Read an HTTP response head; return it and the bytes after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, sep, rest = data.partition(b"\r\n\r\n")
    return head + sep, rest


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes TCP (fails after TIMEOUT)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def open_raw(srv: ScratchServer | int, extensions: tuple[str, ...] = ()
             ) -> tuple[socket.socket, Response, bytes]:
    """Open a WebSocket connection on a plain socket; return it, the 101 and extra bytes."""
    port = srv if isinstance(srv, int) else srv.port
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    sock.sendall(build_request(f"ws://127.0.0.1:{port}/", key=KEY,
                               extensions=extensions).serialize())
    head, rest = read_head(sock)
    response = parse_response(head)
    assert response.status == 101, response
    return sock, response, rest


def frames_until_eof(sock: socket.socket, rest: bytes = b"", deflate: bool = False
                     ) -> list[Frame]:
    """Decode what the server sends until it closes TCP (as a client decodes it)."""
    decoder = Decoder(sender="server", deflate=deflate)
    return decoder.feed(rest + read_all(sock))


def send_raw(srv: ScratchServer, data: bytes) -> Response:
    """Send ``data`` as the handshake; return the parsed answer (the server then closes)."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        answer = read_all(sock)
    return parse_response(answer)


def request(**changes: str | None) -> bytes:
    """A valid handshake request with some headers changed (``None`` removes one)."""
    req = build_request("ws://127.0.0.1/", key=KEY)
    for name, value in changes.items():
        req = req.with_header(name.replace("_", "-"), value)
    return req.serialize()


# -- echo with a real client -------------------------------------------------------------------


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_echo_text_binary_fragmented(server: ScratchServer, compression: str | None) -> None:
    with connect(server.url, compression=compression, open_timeout=TIMEOUT) as ws:
        for message in ["hello", "héllo wörld ✓ 🎉", "", b"\x00\x01\xfe\xff", b"", "x" * 70000]:
            ws.send(message)
            assert ws.recv(timeout=TIMEOUT) == message
        ws.send(["frag", "men", "ted ✓"])  # one text message in three frames
        assert ws.recv(timeout=TIMEOUT) == "fragmented ✓"
        ws.send([b"\x01", b"\x02\x03"])
        assert ws.recv(timeout=TIMEOUT) == b"\x01\x02\x03"
        assert ws.response.headers["Server"] == SCRATCH_SERVER_NAME


def test_ping_gets_pong(server: ScratchServer) -> None:
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        assert ws.ping(b"are you there?").wait(TIMEOUT)


def test_raw_ping_pong_and_close_echo(server: ScratchServer) -> None:
    sock, response, rest = open_raw(server)
    with sock:
        assert response.get("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        assert response.get("Server") == SCRATCH_SERVER_NAME
        # RFC 6455 §5.7: masked text "Hello", then a ping "Hello" and a close 1000 "bye".
        sock.sendall(bytes.fromhex("818537fa213d7f9f4d5158")
                     + Frame(Opcode.PING, b"Hello").masked_with(MASK).serialize()
                     + Frame.close(1000, "bye").masked_with(MASK).serialize())
        data = rest + read_all(sock)  # the server closes TCP first (§7.1.1)
    # Server frames are never masked (§5.1): the RFC's unmasked examples, byte for byte.
    assert data == bytes.fromhex("810548656c6c6f" "8a0548656c6c6f" "880203e8")


def test_close_without_code_is_echoed_empty(server: ScratchServer) -> None:
    sock, _, rest = open_raw(server)
    with sock:
        sock.sendall(Frame(Opcode.CLOSE).masked_with(MASK).serialize())
        assert rest + read_all(sock) == b"\x88\x00"


@pytest.mark.parametrize("code", [1000, 1001, 3000, 4999])
def test_close_code_echoed_to_websockets_client(server: ScratchServer, code: int) -> None:
    with connect(server.url, open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        ws.close(code, "see you")
    assert ws.protocol.close_rcvd is not None
    assert ws.protocol.close_rcvd.code == code
    assert ws.protocol.close_rcvd_then_sent is False  # the client closed first


def test_pong_then_echo_keep_frame_order(server: ScratchServer) -> None:
    """A ping between two fragments is answered at once, before the message ends (§5.4)."""
    sock, _, rest = open_raw(server)
    with sock:
        sock.sendall(Frame(Opcode.TEXT, b"Hel", fin=False).masked_with(MASK).serialize()
                     + Frame(Opcode.PING, b"p").masked_with(MASK).serialize()
                     + Frame(Opcode.CONT, b"lo").masked_with(MASK).serialize()
                     + Frame.close(1000).masked_with(MASK).serialize())
        frames = frames_until_eof(sock, rest)
    assert [(f.opcode, f.payload) for f in frames] == [
        (Opcode.PONG, b"p"), (Opcode.TEXT, b"Hello"), (Opcode.CLOSE, b"\x03\xe8")]


# -- the opening handshake: HTTP errors --------------------------------------------------------


@pytest.mark.parametrize(("data", "status", "header"), [
    (request().replace(b"GET", b"POST", 1), 405, ("Allow", "GET")),
    (request(Sec_WebSocket_Key="not base64!"), 400, None),
    (request(Sec_WebSocket_Key="AAAA"), 400, None),  # base64 of 3 bytes, not 16
    (request(Sec_WebSocket_Key=None), 400, None),
    (request(Sec_WebSocket_Version="8"), 426, ("Sec-WebSocket-Version", "13")),
    (request(Upgrade=None), 400, None),
    (request(Connection="keep-alive"), 400, None),
    (request(Host=None), 400, None),
    (request().replace(b"HTTP/1.1", b"HTTP/1.0", 1), 400, None),
    (b"GET / HTTP/1.1\nHost: x\n\r\n\r\n", 400, None),  # bare LF line ends
    (request(X_Filler="a" * 17000), 431, None),  # longer than the 16 KiB head limit
], ids=["POST", "key-not-base64", "key-3-bytes", "no-key", "version-8", "no-upgrade",
        "no-connection-upgrade", "no-host", "http-1.0", "bare-lf", "too-long"])
def test_handshake_errors_get_http_status(server: ScratchServer, data: bytes, status: int,
                                          header: tuple[str, str] | None) -> None:
    answer = send_raw(server, data)  # read_all: the server closes the connection after it
    assert answer.status == status, answer
    assert answer.get("Server") == SCRATCH_SERVER_NAME
    assert answer.body.startswith(b"Failed to open a WebSocket connection")
    if header is not None:
        assert answer.get(header[0]) == header[1]


def test_handshake_error_seen_by_http_client(server: ScratchServer) -> None:
    """The standard library's HTTP parser reads the refusal as a normal HTTP response."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.request("GET", "/", headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                          "Sec-WebSocket-Key": KEY,
                                          "Sec-WebSocket-Version": "12"})
        response = conn.getresponse()
        assert response.status == 426
        assert response.getheader("Sec-WebSocket-Version") == "13"
        assert b"Sec-WebSocket-Version" in response.read()
    finally:
        conn.close()


def test_websockets_client_sees_the_status(server: ScratchServer) -> None:
    # websockets adds its own key: two Sec-WebSocket-Key lines get 400 (§4.2.1 item 5).
    with pytest.raises(InvalidStatus) as info:
        connect(server.url, open_timeout=TIMEOUT,
                additional_headers={"Sec-WebSocket-Key": "short"})
    assert info.value.response.status_code == 400


def test_client_that_leaves_early_does_not_disturb(server: ScratchServer) -> None:
    for data in [b"", b"GET / HTTP/1.1\r\nHost: x\r\n"]:  # nothing, or half a request
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
            sock.sendall(data)
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        ws.send("still here")
        assert ws.recv(timeout=TIMEOUT) == "still here"


# -- protocol errors: the close code ----------------------------------------------------------


def masked(frame: Frame) -> bytes:
    return frame.masked_with(MASK).serialize()


BROKEN = {
    # name: (bytes a client sends after the handshake, close code RFC 6455 §7.4.1 asks for)
    "unmasked": (Frame.text("Hello").serialize(), 1002),  # §5.1
    "rsv2": (masked(Frame.text("Hello", rsv2=True)), 1002),  # §5.2
    "rsv1-without-deflate": (masked(Frame.text("Hello", rsv1=True)), 1002),  # §5.2
    "reserved-opcode": (masked(Frame(0x3, b"x")), 1002),  # §5.2
    "ping-126-bytes": (masked(Frame(Opcode.PING, bytes(126))), 1002),  # §5.5
    "fragmented-ping": (masked(Frame(Opcode.PING, b"x", fin=False)), 1002),  # §5.5
    "continuation-first": (masked(Frame(Opcode.CONT, b"x")), 1002),  # §5.4
    "text-during-fragmented": (masked(Frame.text("a", fin=False)) + masked(Frame.text("b")),
                               1002),  # §5.4
    "non-minimal-length": (masked(Frame.text("Hi", length_encoding=16)), 1002),  # §5.2
    "close-one-byte": (masked(Frame(Opcode.CLOSE, b"\x03")), 1002),  # §5.5.1
    "close-code-1005": (masked(Frame.close(1005, check=False)), 1002),  # §7.4.1
    "close-code-999": (masked(Frame.close(999, check=False)), 1002),  # §7.4.2
    "text-bad-utf8": (masked(Frame(Opcode.TEXT, b"\xce\xba\xff")), 1007),  # §8.1
    "close-reason-bad-utf8": (masked(Frame.close(1000, b"\xff", check=False)), 1007),
    "too-big": (masked(Frame.binary(bytes(2000))), 1009),  # over max_size=1000, §10.4
}


# Where the websockets library (17.x) answers differently, and why.
WEBSOCKETS_DIFFERS = {
    "non-minimal-length": "websockets does not check that a length is minimally encoded, "
                          "which RFC 6455 §5.2 requires: it echoes the message",
}


@pytest.fixture(scope="module")
def websockets_server() -> Iterator[int]:
    """A plain websockets echo server (max_size=1000) in a thread; yields its port."""
    from websockets.sync.server import ServerConnection, serve

    def echo(ws: ServerConnection) -> None:
        for message in ws:
            ws.send(message)

    with serve(echo, "127.0.0.1", 0, max_size=1000, compression=None) as ws_server:
        thread = threading.Thread(target=ws_server.serve_forever, name="websockets-echo")
        thread.start()
        try:
            yield ws_server.socket.getsockname()[1]
        finally:
            ws_server.shutdown()
            thread.join(TIMEOUT)


@pytest.fixture(scope="module")
def small_server() -> Iterator[ScratchServer]:
    with ScratchServer(max_size=1000) as srv:
        yield srv


@pytest.mark.parametrize("name", list(BROKEN))
def test_protocol_error_close_code(small_server: ScratchServer, websockets_server: int,
                                   name: str) -> None:
    data, code = BROKEN[name]
    sock, _, rest = open_raw(small_server.port)
    with sock:
        sock.sendall(data)
        started = time.monotonic()
        frames = frames_until_eof(sock, rest)  # the server closes TCP first (§7.1.1, §7.1.7)
    assert time.monotonic() - started < 3  # at once, not after a timeout
    assert [f.opcode for f in frames] == [Opcode.CLOSE]
    close = frames[0].close_payload
    assert close is not None
    assert close.code == code, close
    assert 0 < len(close.reason.encode()) <= 123  # says what was wrong, fits §5.5.1
    if name not in WEBSOCKETS_DIFFERS:  # the websockets library agrees, byte for byte
        sock, _, rest = open_raw(websockets_server)
        with sock:
            sock.sendall(data)
            theirs = frames_until_eof(sock, rest)
        assert [f.opcode for f in theirs] == [Opcode.CLOSE]
        assert theirs[0].close_payload is not None
        assert theirs[0].close_payload.code == code


def test_bad_utf8_fails_before_the_message_ends(server: ScratchServer) -> None:
    """The first fragment is already invalid: no need to wait for the rest (Autobahn 6.4.1)."""
    sock, _, rest = open_raw(server)
    with sock:
        sock.sendall(masked(Frame(Opcode.TEXT, b"ok \xf4\x90\x80\x80", fin=False)))
        frames = frames_until_eof(sock, rest)  # no continuation is ever sent
    assert frames[0].close_payload is not None
    assert frames[0].close_payload.code == 1007


def test_handshake_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wslab.live._scratch.HANDSHAKE_TIMEOUT", 0.2)
    with ScratchServer() as srv, socket.create_connection(("127.0.0.1", srv.port),
                                                          timeout=TIMEOUT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")  # ... and nothing more
        assert sock.recv(100) == b""  # the server hangs up (before our 5 s timeout)


def test_close_timeout_when_client_never_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wslab.live._scratch.CLOSE_TIMEOUT", 0.2)
    with ScratchServer(misbehave=["close-code=4000"]) as srv:
        sock, _, rest = open_raw(srv)
        with sock:  # we never send our close frame: the server gives up and closes TCP
            frames = frames_until_eof(sock, rest)
    assert [f.opcode for f in frames] == [Opcode.CLOSE]
    assert frames[0].close_payload is not None
    assert frames[0].close_payload.code == 4000


def test_eof_without_close_is_tolerated(server: ScratchServer) -> None:
    sock, _, _ = open_raw(server)
    sock.sendall(masked(Frame.text("Hel", fin=False))[:4])  # half a frame, then goodbye
    sock.close()
    with connect(server.url, open_timeout=TIMEOUT) as ws:
        ws.send("fine")
        assert ws.recv(timeout=TIMEOUT) == "fine"


# -- permessage-deflate (RFC 7692) -------------------------------------------------------------


def test_deflate_exact_bytes_of_rfc_7692(server: ScratchServer) -> None:
    """The server's compressed echoes of "Hello" are RFC 7692 §7.2.3.1 and §7.2.3.2."""
    sock, response, rest = open_raw(server, extensions=("permessage-deflate",))
    with sock:
        assert response.get("Sec-WebSocket-Extensions") == "permessage-deflate"
        hello = bytes.fromhex("f248cdc9c90700")  # "Hello" compressed (§7.2.3.1)
        sock.sendall(masked(Frame(Opcode.TEXT, hello, rsv1=True)) * 2
                     + masked(Frame.close(1000)))
        data = rest + read_all(sock)
    assert data == bytes.fromhex("c107f248cdc9c90700" "c105f200110000" "880203e8")


@pytest.mark.parametrize("offer", ["permessage-deflate; client_max_window_bits",
                                   "permessage-deflate; server_no_context_takeover",
                                   "permessage-deflate; server_max_window_bits=10"])
def test_deflate_round_trip_with_websockets(offer: str) -> None:
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

    factory = {"permessage-deflate; client_max_window_bits": ClientPerMessageDeflateFactory(
                   client_max_window_bits=True),
               "permessage-deflate; server_no_context_takeover": ClientPerMessageDeflateFactory(
                   server_no_context_takeover=True),
               "permessage-deflate; server_max_window_bits=10": ClientPerMessageDeflateFactory(
                   server_max_window_bits=10)}[offer]
    with ScratchServer() as srv, connect(srv.url, extensions=[factory], compression=None,
                                         open_timeout=TIMEOUT) as ws:
        assert ws.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
        for message in ["Hello", "Hello", "abc" * 5000, b"\x00" * 100000, os.urandom(3000)]:
            ws.send(message)
            assert ws.recv(timeout=TIMEOUT) == message


def test_deflate_off_is_not_negotiated() -> None:
    with ScratchServer(deflate=False) as srv, connect(srv.url, compression="deflate",
                                                       open_timeout=TIMEOUT) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send("plain")
        assert ws.recv(timeout=TIMEOUT) == "plain"


# -- misbehaving on purpose ---------------------------------------------------------------------


@pytest.mark.parametrize(("switch", "code"), [
    ("masked-frames", 1002), ("fragmented-ping", 1002), ("invalid-utf8", 1007)])
def test_misbehaviour_makes_websockets_fail(switch: str, code: int) -> None:
    with ScratchServer(misbehave=[switch]) as srv, connect(
            srv.url, open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        ws.send("hi")
        with pytest.raises(ConnectionClosedError) as info:
            ws.recv(timeout=TIMEOUT)
    assert info.value.sent is not None
    assert info.value.sent.code == code  # the client failed the connection (§7.1.7)
    assert info.value.rcvd is None  # the server's close never reached its close handler


def test_no_pong() -> None:
    with ScratchServer(misbehave=["no-pong"]) as srv, connect(srv.url,
                                                              open_timeout=TIMEOUT) as ws:
        pong = ws.ping(b"hello?")
        ws.send("after the ping")
        # The server answers frames in order: a pong would have come before this echo.
        assert ws.recv(timeout=TIMEOUT) == "after the ping"
        assert not pong.is_set()
    with ScratchServer() as srv, connect(srv.url, open_timeout=TIMEOUT) as ws:
        pong = ws.ping(b"hello?")  # the same steps, well behaved: the pong comes first
        ws.send("after the ping")
        assert ws.recv(timeout=TIMEOUT) == "after the ping"
        assert pong.is_set()


@pytest.mark.parametrize(("code", "error", "client_sends"), [
    (4000, ConnectionClosedError, 4000),  # a valid code: the client echoes it
    (1000, ConnectionClosedOK, 1000),
    (1005, ConnectionClosedError, 1002),  # may never be sent (§7.4.1): protocol error
    (999, ConnectionClosedError, 1002),
])
def test_close_code_misbehaviour(code: int, error: type[Exception], client_sends: int) -> None:
    with ScratchServer(misbehave=[f"close-code={code}"]) as srv, connect(
            srv.url, open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        with pytest.raises(error) as info:
            ws.recv(timeout=TIMEOUT)
    closed = info.value
    assert isinstance(closed, (ConnectionClosedOK, ConnectionClosedError))
    assert closed.sent is not None
    assert closed.sent.code == client_sends
    if client_sends == code:
        assert closed.rcvd is not None
        assert closed.rcvd.code == code


def test_parse_misbehave() -> None:
    assert parse_misbehave(["no-pong", "close-code=4000"]) == (frozenset({"no-pong"}), 4000)
    assert parse_misbehave([]) == (frozenset(), None)
    with pytest.raises(ValueError, match="unknown misbehaviour 'nope'; known: masked-frames"):
        ScratchServer(misbehave=["nope"])
    with pytest.raises(ValueError, match="0-65535"):
        parse_misbehave(["close-code=70000"])
    with pytest.raises(ValueError, match="0-65535"):
        parse_misbehave(["close-code=abc"])
    assert {n.split("=")[0] for n in MISBEHAVIOURS} == {
        "masked-frames", "fragmented-ping", "invalid-utf8", "no-pong", "close-code"}


# -- lifecycle -----------------------------------------------------------------------------------


def scratch_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("wslab-scratch")]


@pytest.mark.skipif(not os.path.isdir(PROC_FDS), reason="needs /proc to count sockets")
def test_stop_closes_connections_and_leaks_nothing() -> None:
    before, threads = Snapshot.take(), scratch_threads()  # other tests' servers may run
    srv = ScratchServer().start()
    try:
        assert scratch_threads() == [*threads, f"wslab-scratch-{srv.port}"]
        assert srv.url == f"ws://127.0.0.1:{srv.port}"
        with connect(srv.url, open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
            ws.send("x")
            assert ws.recv(timeout=TIMEOUT) == "x"
            srv.stop()  # closes the open connection with 1001 going away
            with pytest.raises(ConnectionClosedOK) as info:
                ws.recv(timeout=TIMEOUT)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == 1001
        assert not srv.running
        assert scratch_threads() == threads
        srv.stop()  # a second stop does nothing
        assert before.new_descriptors() == []  # closed by stop(), not later
        with srv:  # it starts again
            with connect(srv.url, open_timeout=TIMEOUT) as ws2:
                ws2.send("again")
                assert ws2.recv(timeout=TIMEOUT) == "again"
        assert before.new_descriptors() == []  # closed by stop(), not later
        assert scratch_threads() == threads
    finally:
        srv.stop()


def test_start_twice_and_repr() -> None:
    with ScratchServer(misbehave=["no-pong"]) as srv:
        assert "running" in repr(srv) and "no-pong" in repr(srv)
        with pytest.raises(RuntimeError, match="already running"):
            srv.start()
    assert "stopped" in repr(srv)


def test_non_loopback_warns() -> None:
    with pytest.warns(UserWarning, match="beyond this machine"):
        ScratchServer(host="0.0.0.0")


# -- the command line ------------------------------------------------------------------------------


def test_serve_scratch_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_scratch(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--misbehave NAME" in out
    for name in MISBEHAVIOURS:
        assert name in out


def test_serve_scratch_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_scratch(["--misbehave", "nope"]) == 2
    assert "unknown misbehaviour 'nope'" in capsys.readouterr().err
    assert serve_scratch(["--port", "x"]) == 2


def test_serve_scratch_runs_until_ctrl_c() -> None:
    code = ("import sys; from wslab.live import serve_scratch; "
            "sys.exit(serve_scratch(['--scratch', '--port', '0', '--misbehave', 'no-pong']))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once it listens
        match = re.search(r"listening on (ws://127\.0\.0\.1:\d+)", line)
        assert match, line
        with connect(match[1], open_timeout=TIMEOUT) as ws:
            ws.send("over the command line")
            assert ws.recv(timeout=TIMEOUT) == "over the command line"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_accept_header_matches_the_key(server: ScratchServer) -> None:
    sock, response, _ = open_raw(server)
    sock.close()
    assert response.get("Sec-WebSocket-Accept") == accept_key(KEY)
