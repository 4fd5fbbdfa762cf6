"""Transcripts of recorded bytes (built by hand here: no sockets), and their figures."""

from __future__ import annotations

import ssl
from itertools import accumulate, pairwise

import matplotlib
import pytest
from rfc_examples import FRAGMENTS, HELLO, MASKED_HELLO, MASKED_PONG, PING, REQUEST, RESPONSE

matplotlib.use("Agg")

from matplotlib.figure import Figure
from websockets.frames import Frame as WsFrame
from websockets.streams import StreamReader

from wslab.codec import TLS_NOTE, Chunk, TapEvent, Transcript
from wslab.notebook import rtt_figure, sequence_figure
from wslab.view import sequence_diagram

# RFC 6455 §1.3: the handshake example, and §5.7: the frame examples.
BIN_256 = bytes.fromhex("82 7e 01 00") + bytes(range(256))
BIN_64K = bytes.fromhex("82 7f 00 00 00 00 00 01 00 00") + bytes(65536)
CLOSE_1000_MASKED = bytes.fromhex("88 82 00 00 00 00 03 e8")
CLOSE_1000 = bytes.fromhex("88 02 03 e8")


def split(data: bytes, sizes: list[int], t0: float, step: float, conn: int = 1,
          direction: str = "c2s") -> list[Chunk]:
    """``data`` in chunks of the given sizes (the last takes the rest), ``step`` s apart."""
    bounds = [0, *accumulate(sizes), len(data)]
    return [Chunk(t0 + i * step, conn, direction, data[a:b])  # type: ignore[arg-type]
            for i, (a, b) in enumerate(pairwise(bounds)) if b > a]


def completion_times(chunks: list[Chunk], frame_ends: list[int]) -> list[float]:
    """Time of the chunk holding each frame's last byte (the expected frame times)."""
    ends = list(accumulate(len(c.data) for c in chunks))
    return [next(c.t for c, e in zip(chunks, ends, strict=True) if e >= end)
            for end in frame_ends]


def ws_parse(data: bytes, mask: bool) -> list[WsFrame]:
    """Parse with the websockets library, for a cross-check."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    out = []
    while reader.buffer:
        gen = WsFrame.parse(reader.read_exact, mask=mask, extensions=[])
        try:
            next(gen)
        except StopIteration as done:
            out.append(done.value)
    return out


def test_rfc_examples_in_odd_chunks_give_frames_and_times() -> None:
    c2s_frames = [MASKED_HELLO, MASKED_PONG, CLOSE_1000_MASKED]
    s2c_frames = [HELLO, FRAGMENTS[:5], FRAGMENTS[5:], PING, BIN_256, BIN_64K, CLOSE_1000]
    c2s, s2c = b"".join(c2s_frames), b"".join(s2c_frames)
    c2s_chunks = split(c2s, [1, 3, 9, 2], 10.0, 0.01)
    s2c_chunks = split(s2c, [2, 7, 5, 1, 300, 17, 40000], 10.005, 0.01, direction="s2c")
    transcript = Transcript.from_chunks(c2s_chunks + s2c_chunks)

    for direction, frames, chunks, raw in (("c2s", c2s_frames, c2s_chunks, c2s),
                                           ("s2c", s2c_frames, s2c_chunks, s2c)):
        entries = transcript.frames(direction)  # type: ignore[arg-type]
        assert [e.frame_dissection.raw for e in entries] == frames  # type: ignore[union-attr]
        ends = list(accumulate(len(f) for f in frames))
        assert [e.t for e in entries] == completion_times(chunks, ends)
        assert [e.offset for e in entries] == [0, *ends[:-1]]
        theirs = ws_parse(raw, mask=direction == "c2s")
        assert [(e.frame_dissection.frame.opcode, e.frame_dissection.frame.payload)  # type: ignore[union-attr]
                for e in entries] == [(int(f.opcode), f.data) for f in theirs]
        assert all(not e.frame_dissection.violations for e in entries)  # type: ignore[union-attr]
    assert [e.opcode_name for e in transcript.frames("s2c")] == [
        "text", "text", "continuation", "ping", "binary", "binary", "close"]
    assert transcript.frames("s2c")[0].summary == 'text "Hello"'
    assert transcript.frames("s2c")[1].summary == 'text "Hel" [FIN=0, more follows]'
    assert [(c.direction, c.code, c.reason) for c in transcript.close_frames()] == [
        ("c2s", 1000, ""), ("s2c", 1000, "")]
    assert transcript.pings() == [("s2c", b"Hello", transcript.frames("s2c", "ping")[0].t)]
    assert [p.direction for p in transcript.pongs()] == ["c2s"]


def test_handshake_then_frames() -> None:
    chunks = [Chunk(1.0, 1, "c2s", REQUEST[:20]), Chunk(1.1, 1, "c2s", REQUEST[20:]),
              Chunk(1.2, 1, "s2c", RESPONSE + HELLO[:3]), Chunk(1.3, 1, "s2c", HELLO[3:]),
              Chunk(1.4, 1, "c2s", MASKED_HELLO)]
    transcript = Transcript.from_chunks(chunks)
    kinds = [(e.kind, e.direction, e.t) for e in transcript.entries]
    assert kinds == [("http", "c2s", 1.1), ("http", "s2c", 1.2), ("frame", "s2c", 1.3),
                     ("frame", "c2s", 1.4)]
    request, response = transcript.entries[0].http, transcript.entries[1].http
    assert request is not None and request.ok and request.kind == "request"
    assert response is not None and response.ok, response.problems  # the accept is checked
    assert transcript.entries[1].summary == "HTTP/1.1 101 Switching Protocols"
    assert transcript.http_status() == 101
    assert transcript.frames("s2c")[0].frame_dissection.text == "Hello"  # type: ignore[union-attr]
    assert transcript.frames("c2s")[0].frame_dissection.frame.masked  # type: ignore[union-attr]
    assert transcript.deflate == {1: False}


def test_permessage_deflate_is_taken_from_the_response() -> None:
    response = RESPONSE.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate"
                                b"\r\n\r\n")
    compressed = bytes.fromhex("c1 07 f2 48 cd c9 c9 07 00")  # RFC 7692 §7.2.3.1
    with_ext = Transcript.from_chunks([Chunk(0.0, 1, "c2s", REQUEST),
                                       Chunk(0.1, 1, "s2c", response + compressed)])
    assert with_ext.deflate == {1: True}
    (entry,) = with_ext.frames("s2c")
    assert entry.frame_dissection.text == "Hello"  # type: ignore[union-attr]
    assert entry.summary == 'text "Hello" (compressed)'
    without = Transcript.from_chunks([Chunk(0.0, 1, "c2s", REQUEST),
                                      Chunk(0.1, 1, "s2c", RESPONSE + compressed)])
    assert "rsv-without-extension" in without.frames("s2c")[0].summary


def test_tls_is_reported_as_encrypted() -> None:
    context = ssl.create_default_context()
    tls = context.wrap_bio(ssl.MemoryBIO(), outgoing := ssl.MemoryBIO(),
                           server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    assert hello[:2] == b"\x16\x03"
    alert = bytes.fromhex("15 03 03 00 02 02 28")
    transcript = Transcript.from_chunks([Chunk(0.0, 1, "c2s", hello[:100]),
                                         Chunk(0.1, 1, "c2s", hello[100:]),
                                         Chunk(0.2, 1, "s2c", alert)])
    assert not transcript.frames() and transcript.http_status() is None
    assert [e.kind for e in transcript.entries] == ["tls"] * 3
    assert transcript.entries[0].summary == TLS_NOTE
    assert transcript.entries[1].summary == f"TLS handshake (ClientHello), {len(hello)} bytes"
    assert transcript.entries[1].t == 0.1
    assert transcript.entries[2].summary == "TLS alert, 7 bytes"
    assert "that's the point of wss://" in str(transcript)


def test_handshake_refused_with_426_has_no_close_frame() -> None:
    answer = (b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n"
              b"Content-Length: 16\r\n\r\nUpgrade Required")
    events = [TapEvent(0.3, 1, "eof", "", "s2c"), TapEvent(0.4, 1, "closed", "both")]
    transcript = Transcript.from_chunks([Chunk(0.0, 1, "c2s", REQUEST),
                                         Chunk(0.2, 1, "s2c", answer)], events)
    assert transcript.http_status() == 426
    assert not transcript.has_close_frame() and not transcript.frames()
    assert not transcript.tcp_closed_without_close_frame()  # WebSocket never opened
    assert [e.kind for e in transcript.entries] == ["http", "http", "tcp", "tcp"]
    assert transcript.entries[1].summary.startswith("HTTP/1.1 426 Upgrade Required")


def test_cut_and_incomplete_frame() -> None:
    events = [TapEvent(0.0, 1, "open", "client"), TapEvent(0.5, 1, "cut", "RST"),
              TapEvent(0.6, 1, "closed", "cut by the tap")]
    chunks = [Chunk(0.1, 1, "c2s", REQUEST), Chunk(0.2, 1, "s2c", RESPONSE),
              Chunk(0.3, 1, "c2s", CLOSE_1000_MASKED), Chunk(0.4, 1, "s2c", HELLO[:4])]
    transcript = Transcript.from_chunks(chunks, events)
    assert transcript.has_close_frame("c2s") and not transcript.has_close_frame("s2c")
    assert transcript.tcp_closed_without_close_frame("s2c")
    assert not transcript.tcp_closed_without_close_frame("c2s")
    (partial,) = [e for e in transcript.entries if e.kind == "bytes"]
    assert partial.summary.startswith("incomplete frame (3 more bytes needed)")
    diagram = sequence_diagram(transcript, width=80)
    rows = diagram.splitlines()
    assert all(len(row) == 80 for row in rows[2:]), diagram
    assert any("close 1000" in row and row.endswith("▶│") for row in rows), diagram
    assert any("101 Switching Protocols" in row and "│◀" in row for row in rows), diagram
    assert any(row.count("✂") == 2 and "no close frame" in row for row in rows), diagram
    assert str(transcript) == diagram


def test_truncated_recording_and_dropped_bytes_are_said() -> None:
    events = [TapEvent(0.25, 1, "truncated", "cap", "s2c"), TapEvent(0.5, 1, "dropped",
                                                                      "9 bytes held", "s2c")]
    chunks = [Chunk(0.1, 1, "c2s", REQUEST), Chunk(0.2, 1, "s2c", RESPONSE),
              Chunk(0.3, 1, "s2c", HELLO + BIN_256[:10])]
    transcript = Transcript.from_chunks(chunks, events)
    assert transcript.frames("s2c")[0].summary == 'text "Hello" (never delivered)'
    assert any(e.kind == "bytes" and "recording truncated" in e.summary
               for e in transcript.entries)


def test_rows_keep_the_held_time_and_html_unfolds_frames() -> None:
    chunks = [Chunk(0.0, 1, "c2s", MASKED_HELLO, 0.001), Chunk(0.1, 1, "s2c", HELLO, 0.4),
              Chunk(0.0, 2, "c2s", MASKED_HELLO)]
    transcript = Transcript.from_chunks(chunks)
    assert transcript.connection_ids() == [1, 2]
    entry = transcript.frames("s2c")[0]
    assert entry.held == pytest.approx(0.3)
    assert "(held 300 ms)" in str(transcript)
    assert "connection 2" in str(transcript)
    page = transcript._repr_html_()
    assert page.count("<details>") == 3 and "<table" in page and "<script" not in page
    assert 'data-role="frame"' in page  # the frame's own dissection card
    assert transcript.for_connection(2).connection_ids() == [2]


def test_sequence_figure_and_rtt_figure_with_agg() -> None:
    chunks = [Chunk(0.0, 1, "c2s", REQUEST), Chunk(0.01, 1, "s2c", RESPONSE),
              Chunk(0.02, 1, "c2s", MASKED_HELLO, 0.021), Chunk(0.03, 1, "s2c", PING, 0.33),
              Chunk(0.04, 1, "c2s", MASKED_PONG), Chunk(0.05, 1, "c2s", CLOSE_1000_MASKED)]
    transcript = Transcript.from_chunks(chunks, [TapEvent(0.06, 1, "cut", "")])
    assert transcript.ping_rtts() == [pytest.approx(0.01)]  # s2c ping at 0.03, pong at 0.04
    chunks[4].t_forwarded = 0.25  # the tap delivered the pong at 0.25: the server waited
    assert Transcript.from_chunks(chunks).ping_rtts() == [pytest.approx(0.22)]
    for spacing in ("even", "time"):
        fig = sequence_figure(transcript, spacing=spacing)  # type: ignore[arg-type]
        assert isinstance(fig, Figure)
        (ax,) = fig.axes
        labels = [t.get_text() for t in ax.texts]
        arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
        assert len(arrows) == len(transcript.frames()) + 2  # frames + 2 HTTP messages
        assert "close 1000" in labels and "cut: RST both ways, no close frame" in labels
        fig.canvas.draw()
    lost = Transcript.from_chunks(chunks, [TapEvent(0.06, 1, "dropped", "held", "s2c")])
    (ax,) = sequence_figure(lost).axes
    stopped = [line for line in ax.lines if list(line.get_xdata()) == [0.5]]
    assert len(stopped) == 1  # the 101 (never delivered); the ping was, at 0.33
    fig = rtt_figure([0.010, 0.012, 0.011])
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].lines[0].get_ydata()) == 3
    assert isinstance(rtt_figure([]), Figure)
