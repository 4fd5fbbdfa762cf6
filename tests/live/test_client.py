"""Clients: the websockets helpers, and RawClient sending exact bytes to a real server."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from wslab.codec import Frame, FrameError, Opcode, Rules, accept_key, build_request
from wslab.live import LabServer, RawClient, RawConnectionClosed, echo

GOOD_ORIGIN = "http://good.example"


@pytest.fixture(scope="module")
def srv() -> Iterator[LabServer]:
    def hook(conn: object, request: object) -> None:
        if request.path == "/echo?boom":  # type: ignore[attr-defined]
            raise RuntimeError("process_request fails on purpose")

    with LabServer(origins=[GOOD_ORIGIN, None], open_timeout=1, process_request=hook) as server:
        yield server


def still_up(server: LabServer) -> None:
    assert echo(server.url + "/echo", "still up") == "still up"


def opened(server: LabServer, path: str = "/echo", **kwargs: object) -> tuple[RawClient, int]:
    """A RawClient that has done the handshake on ``path``, and its server conn_id."""
    raw = RawClient(server.host, server.port, **kwargs).connect()  # type: ignore[arg-type]
    response = raw.send_handshake(path=path)
    assert response.status == 101, response
    assert raw.local_address is not None
    return raw, server.conn_id_for(raw.local_address)


def close_code(frames: list[Frame]) -> tuple[int | None, str]:
    """Code and reason of the last frame, which must be a close frame."""
    assert frames and frames[-1].opcode == Opcode.CLOSE, frames
    payload = frames[-1].close_payload
    assert payload is not None
    return payload.code, payload.reason


def http_answer_only(raw: RawClient) -> None:
    """The server sent exactly one HTTP response, then ended the stream: no close frame."""
    assert raw.recv_bytes(timeout=5) == b""
    data = raw.bytes_received()
    assert raw.response is not None
    head = data.index(b"\r\n\r\n") + 4
    assert len(data) == head + len(raw.response.body)


# -- the happy path ---------------------------------------------------------------------------


def test_handshake_echo_and_closing_handshake(srv: LabServer) -> None:
    key = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 §1.3
    with RawClient(srv.host, srv.port) as raw:
        response = raw.send_handshake(path="/echo", key=key)
        assert response.status == 101
        assert response.get("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        assert raw.local_address is not None
        cid = srv.conn_id_for(raw.local_address)
        sent = raw.send_frame(Frame.text("Hello"))
        assert sent.masked and sent.payload == b"Hello"
        frame = raw.recv_frame()
        assert (frame.opcode, frame.payload, frame.masked) == (Opcode.TEXT, b"Hello", False)
        close = raw.close(1000, "bye")
        assert close is not None and close_code([close]) == (1000, "bye")
        assert raw.sock is None
    closed = srv.wait_for("closed", cid)
    assert closed.detail["clean"] and closed.detail["rcvd"] == (1000, "bye")
    assert srv.wait_for("recv", cid).detail["data"] == "Hello"


def test_log_records_every_byte_in_order(srv: LabServer) -> None:
    raw, _ = opened(srv)
    with raw:
        raw.send_frame(Frame.binary(b"\x01\x02"))
        assert raw.recv_frame().payload == b"\x01\x02"
    ways = [way for _, way, _ in raw.log]
    assert ways[:2] == ["out", "in"]
    assert [t for t, _, _ in raw.log] == sorted(t for t, _, _ in raw.log)
    assert raw.bytes_sent().startswith(b"GET /echo HTTP/1.1\r\n")
    assert raw.bytes_sent()[-8:-6] == b"\x82\x82"  # FIN+binary, MASK+2, key, 2 bytes
    assert raw.bytes_received().startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert raw.bytes_received().endswith(b"\x82\x02\x01\x02")
    assert [f.opcode for f in raw.received] == [Opcode.BINARY]


def test_wss_raw_client() -> None:
    with LabServer(tls=True) as server:
        with RawClient(server.host, server.port, ssl=server.client_ssl_context()) as raw:
            assert raw.url.startswith("wss://")
            assert raw.send_handshake(path="/echo").status == 101
            raw.send_frame(Frame.text("over TLS"))
            assert raw.recv_frame().text_value == "over TLS"
            assert raw.close() is not None


def test_from_url(srv: LabServer) -> None:
    raw = RawClient.from_url(srv.url, timeout=2)
    assert (raw.host, raw.port, raw.timeout) == ("127.0.0.1", srv.port, 2)


# -- bad clients never take the server down ----------------------------------------------------


def test_garbage_bytes_get_no_answer_and_the_server_stays_up(srv: LabServer) -> None:
    with RawClient(srv.host, srv.port) as raw:
        assert raw.local_address is not None
        cid = srv.conn_id_for(raw.local_address)
        raw.send(b"\x16\x03\x01 not HTTP at all\r\n\r\n")
        assert raw.recv_bytes(timeout=5) == b""
    event = srv.wait_for("handshake_rejected", cid)
    assert event.detail["status"] is None and "valid HTTP" in event.detail["why"]
    still_up(srv)


def test_half_a_handshake_then_close(srv: LabServer) -> None:
    with RawClient(srv.host, srv.port) as raw:
        assert raw.local_address is not None
        cid = srv.conn_id_for(raw.local_address)
        raw.send(b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert srv.wait_for("closed", cid).detail["opened"] is False
    still_up(srv)


def test_half_a_handshake_is_dropped_after_open_timeout(srv: LabServer) -> None:
    with RawClient(srv.host, srv.port, timeout=10) as raw:
        raw.send(b"GET /echo HTTP/1.1\r\n")
        started = time.monotonic()
        assert raw.recv_bytes() == b""  # open_timeout=1: the server gives up, drops TCP
        assert time.monotonic() - started < 9
    still_up(srv)


def test_connection_dropped_mid_frame(srv: LabServer) -> None:
    raw, cid = opened(srv)
    raw.send(Frame.text("only half of me arrives").masked_with().serialize()[:9])
    raw.abort()
    closed = srv.wait_for("closed", cid)
    assert closed.detail["code"] == 1006 and not closed.detail["clean"]
    still_up(srv)


def test_two_gigabyte_length_header_gets_1009(srv: LabServer) -> None:
    raw, cid = opened(srv)
    with raw:
        header = Frame.binary(b"").masked_with(b"\x00\x00\x00\x00").header(
            declared_length=2**31)
        assert header[1] == 0b11111111  # MASK and 127: a 64-bit length follows
        raw.send(header + b"a few bytes of the two gigabytes")
        code, _ = close_code(raw.recv_frames())
    assert code == 1009
    assert srv.wait_for("close_sent", cid).detail["code"] == 1009
    still_up(srv)


@pytest.mark.parametrize(("name", "frame", "mask", "code"), [
    ("unmasked", Frame.text("no mask"), False, 1002),
    ("reserved opcode", Frame(0x3, b"?"), True, 1002),
    ("RSV1 without extension", Frame.text("rsv", rsv1=True), True, 1002),
    ("RSV3", Frame.binary(b"rsv", rsv3=True), True, 1002),
    ("invalid UTF-8", Frame(Opcode.TEXT, b"caf\xc3"), True, 1007),
])
def test_protocol_violations_get_the_right_close_code(srv: LabServer, name: str, frame: Frame,
                                                      mask: bool, code: int) -> None:
    raw, cid = opened(srv)
    with raw:
        raw.send_frame(frame, mask=mask)
        received, _ = close_code(raw.recv_frames())
    assert received == code, name
    assert srv.wait_for("close_sent", cid).detail["code"] == code
    still_up(srv)


# -- keepalive ----------------------------------------------------------------------------------


def test_no_pong_means_keepalive_timeout_1011() -> None:
    with LabServer(ping_interval=0.2, ping_timeout=0.2) as server:
        raw, cid = opened(server, auto_pong=False)
        with raw:
            frames = raw.recv_frames(timeout=10)
        assert frames[0].opcode == Opcode.PING
        assert close_code(frames) == (1011, "keepalive ping timeout")
        sent = server.wait_for("close_sent", cid)
        assert (sent.detail["code"], sent.detail["reason"]) == (1011, "keepalive ping timeout")
        assert not server.log.find("pong", cid)


def test_late_pong_is_too_late() -> None:
    with LabServer(ping_interval=0.2, ping_timeout=0.3) as server:
        raw, cid = opened(server, auto_pong=1.0)
        with raw:
            assert close_code(raw.recv_frames(timeout=10)) == (1011, "keepalive ping timeout")
        server.wait_for("closed", cid)
        assert not server.log.find("pong", cid, match={"direction": "in"})


def test_a_late_pong_goes_out_late() -> None:
    with LabServer(ping_interval=0.2, ping_timeout=5) as server:
        raw, cid = opened(server, auto_pong=0.5)
        with raw:
            while not any(way == "out" and data[0] == 0x8A for _, way, data in raw.log):
                assert raw.recv_frame(timeout=10).opcode == Opcode.PING
            server.wait_for("pong", cid, match={"direction": "in"})
    ping_in = next(t for t, way, data in raw.log if way == "in" and data[0] == 0x89)
    pong_out = next(t for t, way, data in raw.log if way == "out" and data[0] == 0x8A)
    assert pong_out - ping_in >= 0.5


@pytest.mark.parametrize("auto_pong", [True, 0.05])
def test_pongs_keep_the_connection_open(auto_pong: bool | float) -> None:
    with LabServer(ping_interval=0.2, ping_timeout=3) as server:
        raw, cid = opened(server, auto_pong=auto_pong)
        with raw:
            pings = 0
            while pings < 3:
                frame = raw.recv_frame(timeout=10)
                assert frame.opcode == Opcode.PING, frame
                pings += 1
            server.wait_for("pong", cid, match={"direction": "in"})
            raw.send_frame(Frame.text("alive"))
            while (frame := raw.recv_frame(timeout=10)).opcode == Opcode.PING:
                pass
            assert frame.text_value == "alive"
            assert close_code([raw.close()]) == (1000, "")  # type: ignore[list-item]


# -- handshake failures are HTTP answers, never close frames --------------------------------


@pytest.mark.parametrize(("build", "status"), [
    ({"version": 8}, 426),
    ({"key": "not a base64 key"}, 400),
    ({"key": base64.b64encode(b"eight by").decode()}, 400),  # 8 bytes, not 16
    ({"origin": "http://evil.example"}, 403),
])
def test_bad_handshakes_get_http_errors(srv: LabServer, build: dict[str, object],
                                        status: int) -> None:
    with RawClient(srv.host, srv.port) as raw:
        assert raw.local_address is not None
        cid = srv.conn_id_for(raw.local_address)
        response = raw.send_handshake(path="/echo", **build)  # type: ignore[arg-type]
        assert response.status == status, response
        http_answer_only(raw)
    if status == 426:
        assert response.get("Sec-WebSocket-Version") == "13"
    assert srv.wait_for("handshake_rejected", cid).detail["status"] == status
    srv.wait_for("closed", cid)
    assert not srv.log.find("close_sent", cid) and not srv.log.find("open", cid)


def test_good_origin_is_accepted(srv: LabServer) -> None:
    with RawClient(srv.host, srv.port) as raw:
        assert raw.send_handshake(path="/echo", origin=GOOD_ORIGIN).status == 101


def test_process_request_hook_raising_is_http_500(srv: LabServer) -> None:
    with RawClient(srv.host, srv.port) as raw:
        assert raw.local_address is not None
        cid = srv.conn_id_for(raw.local_address)
        response = raw.send_handshake(build_request(raw.url + "/echo?boom"))
        assert response.status == 500
        http_answer_only(raw)
    assert srv.wait_for("exception", cid).detail["type"] == "RuntimeError"
    assert srv.wait_for("handshake_rejected", cid).detail["status"] == 500


def test_unknown_path_is_404_with_raw_bytes(srv: LabServer) -> None:
    with RawClient(srv.host, srv.port) as raw:
        response = raw.send_handshake(path="/nowhere")
        assert response.status == 404 and b"/echo" in response.body
        http_answer_only(raw)


# -- RawClient never hangs ---------------------------------------------------------------------


def test_recv_frame_times_out_with_a_clear_message(srv: LabServer) -> None:
    raw, _ = opened(srv, path="/silent")
    with raw:
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=r"no frame from 127\.0\.0\.1:\d+ within"):
            raw.recv_frame(timeout=0.2)
        assert time.monotonic() - started < 3
        with pytest.raises(TimeoutError, match="frames before: none"):
            raw.recv_frames(timeout=0.2)
        assert raw.recv_frames(until_close=False, timeout=0.2) == []


def test_after_the_server_closes_reads_end(srv: LabServer) -> None:
    raw, _ = opened(srv, path="/close/1008")
    with raw:
        assert close_code(raw.recv_frames()) == (1008, "Policy Violation")
        started = time.monotonic()
        assert raw.close(1008) is raw.close_received  # answers; the server then ends TCP
        assert time.monotonic() - started < 1.5  # well before the server's close_timeout (2 s)
        assert raw.close_sent is not None and raw.close_sent.masked
        with pytest.raises(RawConnectionClosed, match="no frame left"):
            raw.recv_frame()


def test_handshake_to_a_server_that_says_nothing_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with RawClient("127.0.0.1", port, timeout=0.3) as raw:
            with pytest.raises(TimeoutError, match="no handshake response"):
                raw.send_handshake()


class FakeServer:
    """A one-connection server that answers 101 and then sends ``frames`` (bytes)."""

    def __init__(self, frames: bytes) -> None:
        self.frames = frames
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(5)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, name="wslab-test-fake-server")
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(4096)
            key = next(line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                       if line.lower().startswith(b"sec-websocket-key:"))
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
                         + accept_key(key).encode() + b"\r\n\r\n" + self.frames)
            conn.recv(4096)  # until the client goes

    def close(self) -> None:
        self.thread.join(10)
        self.listener.close()


@pytest.mark.parametrize(("data", "rule"), [
    (bytes.fromhex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), Rules.SERVER_MASKED),  # RFC §5.7
    (bytes.fromhex("82 7f 00 00 00 00 80 00 00 00"), Rules.MESSAGE_TOO_BIG),  # 2 GiB
])
def test_broken_server_frames_raise_frame_error(data: bytes, rule: object) -> None:
    fake = FakeServer(data)
    try:
        with RawClient("127.0.0.1", fake.port) as raw:
            assert raw.send_handshake().status == 101
            with pytest.raises(FrameError) as info:
                raw.recv_frame(timeout=5)
            assert info.value.rule is rule
    finally:
        fake.close()
