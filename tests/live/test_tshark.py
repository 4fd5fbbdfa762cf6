"""Wireshark's dissector as a second opinion on real traffic.

A ``websockets`` client talks to a ``websockets`` server through :class:`wslab.live.Tap`;
:func:`wslab.live.write_pcap` turns the recorded chunks into a capture file (Wireshark's
``text2pcap``), ``tshark`` dissects it, and every frame tshark finds must agree, field by
field, with what :func:`wslab.codec.dissect` finds in the same bytes: FIN, RSV, opcode,
MASK, masking key, the 7-bit length and the extended length, masked and unmasked payload,
text, ping/pong data, close code and reason. Both sides must count the same frames.

tshark (4.0) quirks handled here: ``-T json`` repeats keys for several frames in one packet
(``--no-duplicate-keys`` makes lists); ``-x`` adds ``<field>_raw`` = [hex, offset, length,
bitmask, type], the only place the unmasked payload of *every* frame shows (``data.data``
holds only complete binary messages); booleans are "1"/"0"; the masking key has colons;
``websocket.payload_length`` is the 7-bit field; an empty payload has no payload field.
Messages are compared frame by frame, not reassembled: tshark 4.0 does not reassemble
fragments that share a packet, and the empty final fragment that websockets sends after
``send(iterable)`` does not end its reassembly (the next fragmented message is appended).
tshark finds the WebSocket frames itself: it reads the HTTP upgrade (``-d tcp.port==P,http``).
"""

from __future__ import annotations

import json
import logging
import random
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import requires
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.server import ServerConnection, serve

from wslab.codec import Chunk, Dissection, FrameDissection, dissect, parse_request, parse_response
from wslab.live import Tap, pcap_hexdump, pcap_segments, write_pcap

TIMEOUT = 10.0
SIZES = (0, 1, 125, 126, 127, 65535, 65536)  # binary payloads: each length encoding's edges
RNG = random.Random(6455)
BINARIES = [RNG.randbytes(n) for n in SIZES]
TEXTS = ["Hello", "héllo ✓ ünïcödé 🎉", "x" * 126 + "ü"]
FRAGMENTS = [b"frag", b"mented \xe2\x9c", b"\x93 text"]  # ✓ split across two frames
REASON = "bye ✓"
_quiet = logging.getLogger("wslab-test-tshark")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False
_quiet.setLevel(logging.CRITICAL)


def handler(ws: ServerConnection) -> None:
    """Echo; "raise" makes the handler fail (websockets closes 1011); "bye" closes 4000."""
    for message in ws:
        if message == "raise":
            raise RuntimeError("deliberate: websockets answers with close code 1011")
        if message == "bye":
            ws.close(4000, REASON)
            return
        if message == "ping me":
            ws.ping(b"from the server").wait(TIMEOUT)
        ws.send(message)


def converse(url: str) -> None:
    """Connection 1: texts, binaries, fragmented messages, pings both ways, then 1011."""
    with connect(url, compression=None, max_size=None, ping_interval=None, proxy=None,
                 open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        for message in [*TEXTS, *BINARIES]:
            ws.send(message)
            assert ws.recv(TIMEOUT) == message
        ws.send(FRAGMENTS, text=True)  # websockets ends it with an empty FIN continuation
        assert ws.recv(TIMEOUT) == b"".join(FRAGMENTS).decode()
        ws.send([b"\x00" * 200, b"\xff" * 3])
        assert ws.recv(TIMEOUT) == b"\x00" * 200 + b"\xff" * 3
        assert ws.ping(b"from the client").wait(TIMEOUT)
        ws.send("ping me")
        assert ws.recv(TIMEOUT) == "ping me"
        ws.send("raise")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(TIMEOUT)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011


def say_goodbye(url: str) -> None:
    """Connection 2: the server closes with 4000 and a non-ASCII reason."""
    with connect(url, compression=None, proxy=None, ping_interval=None,
                 open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        ws.send("bye")
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(TIMEOUT)
    assert closed.value.rcvd is not None and closed.value.rcvd.reason == REASON


@dataclass
class Capture:
    """One recorded connection: its chunks, the capture file, and both opinions on it."""

    chunks: list[Chunk]
    port: int
    packets: list[dict[str, Any]]  # tshark's layers, one dict per packet
    streams: dict[str, bytes]  # all bytes per direction ("c2s", "s2c")
    heads: dict[str, int]  # length of the HTTP head per direction
    dissections: dict[str, Dissection]  # wslab's view of the bytes after the head


def tshark_json(path: Path, port: int) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["tshark", "-r", str(path), "-d", f"tcp.port=={port},http", "-T", "json", "-x",
         "--no-duplicate-keys"], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return [p["_source"]["layers"] for p in json.loads(done.stdout)]


def capture(chunks: list[Chunk], port: int, path: Path) -> Capture:
    write_pcap(chunks, path, server_port=port)
    streams = {d: b"".join(c.data for c in chunks if c.direction == d) for d in ("c2s", "s2c")}
    heads = {d: s.index(b"\r\n\r\n") + 4 for d, s in streams.items()}
    dissections = {d: dissect(streams[d][heads[d]:], sender="client" if d == "c2s" else "server")
                   for d in streams}
    return Capture(chunks, port, tshark_json(path, port), streams, heads, dissections)


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Capture]]:
    requires("tshark", "compare wslab's dissector with Wireshark's")
    requires("text2pcap", "turn recorded chunks into a capture file (comes with tshark)")
    tmp = tmp_path_factory.mktemp("tshark")
    server = serve(handler, "127.0.0.1", 0, compression=None, max_size=None,
                   ping_interval=None, logger=_quiet)
    thread = threading.Thread(target=server.serve_forever, name="tshark-test-server")
    thread.start()
    try:
        port = server.socket.getsockname()[1]
        with Tap("127.0.0.1", port) as tap:
            converse(tap.url_for("/"))
            tap.wait_for("closed", conn_id=1, timeout=TIMEOUT)
            say_goodbye(tap.url_for("/bye"))
            tap.wait_for("closed", conn_id=2, timeout=TIMEOUT)
            recorded = [tap.chunks(1), tap.chunks(2)]
    finally:
        server.shutdown()
        thread.join(TIMEOUT)
    yield [capture(chunks, port, tmp / f"conn{i}.pcapng")
           for i, chunks in enumerate(recorded, start=1)]


# -- reading tshark's JSON ------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """A field tshark printed once (a value) or several times (a list), as a list."""
    return value if isinstance(value, list) else [] if value is None else [value]


def flag(value: str) -> bool:
    assert value in ("0", "1", "False", "True"), value
    return value in ("1", "True")


def raw(layer: dict[str, Any], name: str) -> bytes | None:
    """The bytes of field ``name`` from its ``_raw`` twin (tshark -x), or ``None``."""
    entry = layer.get(f"{name}_raw")
    return None if entry is None else bytes.fromhex(entry[0])


def direction(packet: dict[str, Any], port: int) -> str:
    return "s2c" if int(packet["tcp"]["tcp.srcport"]) == port else "c2s"


def tshark_frames(cap: Capture, d: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``(websocket layer, tcp layer)`` for each frame tshark found going ``d``, in order."""
    return [(ws, p["tcp"]) for p in cap.packets if direction(p, cap.port) == d
            for ws in as_list(p.get("websocket"))]


# -- the comparison --------------------------------------------------------------------------


def field_value(fd: FrameDissection, name: str) -> Any:
    found = [f.raw for f in fd.fields if f.name == name]
    return found[0] if found else None


def compare(ws: dict[str, Any], tcp: dict[str, Any], fd: FrameDissection, end: int) -> None:
    """Assert that tshark's ``ws`` and wslab's ``fd`` agree on every field of one frame.

    ``end`` is where the frame ends in its direction's stream: tshark shows a frame in the
    packet that completes it, so that packet's TCP payload must hold the frame's last byte.
    """
    f = fd.frame
    seq, length = int(tcp["tcp.seq_raw"]), int(tcp["tcp.len"])
    assert seq < end <= seq + length, "tshark shows the frame in the packet that completes it"
    assert flag(ws["websocket.fin"]) == f.fin
    assert int(ws["websocket.rsv"], 16) == f.rsv1 << 2 | f.rsv2 << 1 | f.rsv3
    assert int(ws["websocket.opcode"]) == int(f.opcode)
    assert flag(ws["websocket.mask"]) == f.masked
    assert int(ws["websocket.payload_length"]) == field_value(fd, "payload length")
    ext16 = ws.get("websocket.payload_length_ext_16")
    ext64 = ws.get("websocket.payload_length_ext_64")
    extended = field_value(fd, "extended payload length")
    width = fd.header_length - 2 - 4 * f.masked
    assert (None if ext16 is None else int(ext16)) == (extended if width == 2 else None)
    assert (None if ext64 is None else int(ext64)) == (extended if width == 8 else None)
    assert fd.payload_length == len(f.payload)
    key = ws.get("websocket.masking_key")
    assert (None if key is None else bytes.fromhex(key.replace(":", ""))) == f.masking_key
    if f.masked and f.payload:
        assert raw(ws, "websocket.masked_payload") == field_value(fd, "payload")
    assert (raw(ws, "websocket.payload") or b"") == f.payload  # unmasked
    shown = ws.get("websocket.payload")
    shown = shown if isinstance(shown, dict) else {}
    text = shown.get("websocket.payload.text")
    if f.opcode == 1 and f.fin:
        assert text == fd.text, "a whole text message: same text"
    else:
        assert text is None, "tshark shows text only for whole messages (frame 1 of 1)"
    for kind in ("ping", "pong"):
        value = shown.get(f"websocket.payload.{kind}")
        if f.opcode_name == kind and f.payload:
            assert value is not None and bytes.fromhex(value.replace(":", "")) == f.payload
        else:
            assert value is None
    close = shown.get("websocket.payload.close", {})
    code = close.get("websocket.payload.close.status_code") if close else None
    assert (None if code is None else int(code)) == fd.close_code
    if fd.close_code is not None:
        assert close.get("websocket.payload.close.reason", "") == fd.close_reason


def test_both_dissectors_agree_frame_by_frame(captures: list[Capture]) -> None:
    compared = 0
    for cap in captures:
        for d, dis in cap.dissections.items():
            assert dis.incomplete is None and dis.violations == [], "websockets sends valid frames"
            theirs = tshark_frames(cap, d)
            assert len(theirs) == len(dis.frames), f"{d}: same number of frames"
            for (ws, tcp), fd in zip(theirs, dis.frames, strict=True):
                compare(ws, tcp, fd, cap.heads[d] + fd.offset + fd.length)
                compared += 1
    assert compared >= 40


def test_the_conversation_covers_every_case(captures: list[Capture]) -> None:
    """The frames compared include each length encoding's edges, fragments, pings, closes."""
    frames = [fd for cap in captures for dis in cap.dissections.values() for fd in dis.frames]
    lengths = {fd.payload_length for fd in frames if fd.frame.opcode == 2}
    assert set(SIZES) <= lengths
    assert {fd.header_length for fd in frames} >= {2, 4, 10, 6, 8, 14}  # 7/16/64 bits x mask
    names = [fd.frame.opcode_name for fd in frames]
    assert {"text", "binary", "continuation", "ping", "pong", "close"} <= set(names)
    pieces = [fd.text for fd in frames if fd.frame.payload in FRAGMENTS]
    assert pieces == ["frag", None, None], "a character split across frames: no text alone"
    closes = {(fd.close_code, fd.close_reason) for fd in frames if fd.close_code}
    assert {(1011, ""), (4000, REASON)} <= closes
    messages = [m for cap in captures for m in cap.dissections["c2s"].messages]
    assert b"".join(FRAGMENTS).decode() in [m.text for m in messages]


def test_tshark_reassembles_the_tcp_streams(captures: list[Capture]) -> None:
    """One packet per chunk (or 16 KiB of it), sequence numbers running on per direction."""
    spanning = 0
    for cap in captures:
        assert [int(p["tcp"]["tcp.len"]) for p in cap.packets] == \
            [len(piece) for _, piece in pcap_segments(cap.chunks)]
        sizes = {"c2s": 0, "s2c": 0}
        for p in cap.packets:
            d = direction(p, cap.port)
            assert int(p["tcp"]["tcp.seq_raw"]) == sizes[d]
            sizes[d] += int(p["tcp"]["tcp.len"])
            assert int(p["ip"]["ip.len"]) == 40 + int(p["tcp"]["tcp.len"])
            assert "_ws.malformed" not in p, "tshark finds nothing malformed"
        assert sizes == {d: len(s) for d, s in cap.streams.items()}
        spanning += sum(len(as_list(p.get("tcp.segments", {}).get("tcp.segment")))
                        for p in cap.packets)
    assert spanning >= 2, "frames longer than a packet are reassembled by tshark"


def test_the_handshake_agrees(captures: list[Capture]) -> None:
    for cap in captures:
        http = [p["http"] for p in cap.packets if "http" in p]
        assert len(http) == 2, "tshark finds the request and the response, then WebSocket"
        request = parse_request(cap.streams["c2s"])
        response = parse_response(cap.streams["s2c"])
        assert http[0]["http.sec_websocket_key"] == request.get("Sec-WebSocket-Key")
        assert http[0]["http.upgrade"] == request.get("Upgrade")
        line = next(v for k, v in http[1].items() if k.startswith("HTTP/1.1 101"))
        assert int(line["http.response.code"]) == response.status == 101
        assert http[1]["http.sec_websocket_accept"] == response.get("Sec-WebSocket-Accept")


# -- the capture file on its own (no tshark needed) ---------------------------------------


def chunk(direction: str, data: bytes, t: float = 100.0, conn_id: int = 1) -> Chunk:
    return Chunk(t, conn_id, direction, data)  # type: ignore[arg-type]


def test_hexdump_is_what_text2pcap_reads() -> None:
    chunks = [chunk("c2s", bytes(range(18)), 1.5), chunk("s2c", b"\x81\x02hi", 2.25),
              chunk("c2s", b"", 3.0)]
    assert pcap_hexdump(chunks, clock_offset=1_700_000_000) == (
        "I 2023-11-14T22:13:21.500000Z\n"
        "000000 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n"
        "000010 10 11\n"
        "\n"
        "O 2023-11-14T22:13:22.250000Z\n"
        "000000 81 02 68 69\n"
        "\n")


def test_long_chunks_are_cut_into_segments() -> None:
    data = RNG.randbytes(40000)
    cut = [piece for _, piece in pcap_segments([chunk("s2c", data)])]
    assert [len(p) for p in cut] == [16384, 16384, 7232] and b"".join(cut) == data
    assert [len(p) for _, p in pcap_segments([chunk("s2c", data)], segment_size=65495)] == [40000]
    for bad in (0, 65496):
        with pytest.raises(ValueError, match="65535"):
            list(pcap_segments([chunk("s2c", data)], segment_size=bad))


def test_a_capture_file_holds_one_connection(tmp_path: Path) -> None:
    chunks = [chunk("c2s", b"a", conn_id=1), chunk("c2s", b"b", conn_id=2)]
    with pytest.raises(ValueError, match=r"2 connections \[1, 2\]: pick one with conn_id="):
        pcap_hexdump(chunks)
    assert [p for _, p in pcap_segments(chunks, conn_id=2)] == [b"b"]
    with pytest.raises(FileNotFoundError, match="comes with Wireshark"):
        write_pcap(chunks, tmp_path / "x.pcapng", conn_id=1, text2pcap="no-such-text2pcap")
    with pytest.raises(ValueError, match="server_port is a TCP port"):
        write_pcap(chunks, tmp_path / "x.pcapng", conn_id=1, server_port=70000)


def test_on_port_80_wireshark_finds_websocket_unaided(captures: list[Capture],
                                                      tmp_path: Path) -> None:
    """The default server port (80) needs no decode-as: tshark reads the upgrade itself."""
    cap = captures[1]
    path = write_pcap(cap.chunks, tmp_path / "port80.pcapng")
    done = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "websocket.opcode",
                           "-e", "websocket.payload.close.reason"],
                          capture_output=True, text=True, timeout=60, check=True)
    rows = [line.split("\t") for line in done.stdout.splitlines() if line.strip("\t")]
    assert rows == [["1", ""], ["8", REASON], ["8", REASON]]
