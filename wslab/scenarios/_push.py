"""Experiment 7: WebSocket vs HTTP for server push, measured through the tap.

The same stream of ``count`` events, ``rate`` per second, from a
:class:`~wslab.live.PushServer` (aiohttp) to a real client
(:class:`~wslab.live.PushReceiver`: ``websockets`` or ``aiohttp``), four ways: WebSocket,
HTTP short polling every ``poll_interval`` seconds, HTTP long polling, Server-Sent Events.
Each transport gets a fresh server and a fresh :class:`~wslab.live.Tap`, so the tap's
recording holds every byte each way, HTTP heads included, and its connection list every
TCP connection. Latency is event created (server) -> event parsed (client), one clock
(``time.perf_counter()``), one process.

The figures people quote, for comparison: Peter Lubbers and Frank Greco (Kaazing), "HTML5
Web Sockets: A Quantum Leap in Scalability for the Web" (websocket.org, 2010) counted 871
bytes of HTTP request and response headers for one poll of their example application (a
desktop browser's request with its cookies, a Java application server's answer) against
2 bytes of framing per Web Socket message (the draft protocol of the time framed a text
as 0x00 ... 0xFF). In RFC 6455 (§5.2) a server's frame of up to 125 bytes has a 2-byte
header; a client's has 6, because client frames are masked (a 4-byte key, §5.3).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..codec import Chunk, Direction, Transcript
from ..live import TRANSPORTS, Delivery, LabServer, PushReceiver, PushServer, Tap
from ._calibration import TapOverhead, measure_tap_overhead
from ._measurement import Measurement
from ._progress import Progress, ProgressCallback
from ._stats import Summary

PUBLISHED_HEADER_BYTES = 871  # per poll, request + response headers (Lubbers & Greco, 2010)
PUBLISHED_FRAME_BYTES = 2  # per Web Socket message, the same article (draft-era framing)
RFC_SERVER_FRAME_HEADER = 2  # RFC 6455 §5.2: FIN/opcode byte + MASK/length byte (<= 125 B)
RFC_CLIENT_FRAME_HEADER = 6  # the same + the 4-byte masking key (§5.3)
LABELS = {"websocket": "WebSocket", "short-poll": "HTTP short polling",
          "long-poll": "HTTP long polling", "sse": "Server-Sent Events"}
_SCHEME = {"websocket": "ws"}
_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,12})[ \t]*\r\n", re.I)
_REQUEST_LINE = re.compile(rb"[A-Z]{3,8} [!-~]+ HTTP/1\.[01]\r\n")
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] \d{3}")
_UPGRADE = re.compile(rb"\r\nupgrade:", re.I)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[ \t]*chunked[ \t]*\r\n", re.I)


class WirePiece(NamedTuple):
    """A piece of what went over one connection, as the tap recorded it."""

    direction: Direction
    what: str  # "request head", "response head", "body", "chunk", "frame"...
    data: bytes


@dataclass(frozen=True)
class HttpTraffic:
    """HTTP messages found in one direction of one connection's bytes.

    Attributes:
        heads: the bytes of each head (start line to the empty line included).
        bodies: the bytes of each body as on the wire (chunk framing included).
        rest: bytes after the last message (WebSocket frames after a 101, or incomplete).
    """

    heads: tuple[bytes, ...] = ()
    bodies: tuple[bytes, ...] = ()
    rest: bytes = b""


def split_http(data: bytes, *, responses: bool) -> HttpTraffic:
    """Cut a byte stream into HTTP/1.1 messages (RFC 9112 §6.3: the body length rules).

    A body is delimited by ``Content-Length`` or by chunked coding (§7.1); a request
    without either has none; a ``101`` response ends the HTTP part (what follows is the
    upgraded protocol, RFC 9110 §15.2.2). A message cut short (a stream the client left)
    ends the list, its body what came; anything not HTTP ends it too (in ``rest``).
    """
    heads: list[bytes] = []
    bodies: list[bytes] = []
    pos = 0
    while pos < len(data):
        end = data.find(_HEAD_END, pos)
        start = _STATUS_LINE if responses else _REQUEST_LINE
        if end < 0 or not start.match(data, pos):
            break
        head = data[pos:end + 4]
        body_end = end + 4
        if _CHUNKED.search(head):
            body_end = _chunked_end(data, body_end)
        elif (match := _CONTENT_LENGTH.search(head)) is not None:
            body_end += int(match.group(1))
        if body_end > len(data) or body_end < 0:  # cut short: the head counts, the rest
            heads.append(head)                    # is its body so far
            bodies.append(data[end + 4:])
            return HttpTraffic(tuple(heads), tuple(bodies), b"")
        heads.append(head)
        bodies.append(data[end + 4:body_end])
        pos = body_end
        if (responses and head.startswith(b"HTTP/1.1 101")) or \
                (not responses and _UPGRADE.search(head)):
            break
    return HttpTraffic(tuple(heads), tuple(bodies), data[pos:])


def _chunked_end(data: bytes, pos: int) -> int:
    """Where a chunked body starting at ``pos`` ends, or ``-1`` if it is incomplete."""
    while True:
        line_end = data.find(b"\r\n", pos)
        if line_end < 0:
            return -1
        try:
            size = int(data[pos:line_end].split(b";")[0], 16)
        except ValueError:
            return -1
        pos = line_end + 2 + size + 2
        if size == 0:  # the last chunk (no trailer fields here)
            return pos if pos <= len(data) else -1
        if pos > len(data):
            return -1


@dataclass
class TransportRun:
    """One transport's run: what the client got, what the tap saw.

    Attributes:
        transport: "websocket", "short-poll", "long-poll" or "sse".
        deliveries: the events received, in order of arrival (seq, created, received).
        payload_bytes: bytes of the events' JSON texts, summed (what every transport carries).
        wire: bytes on the wire per direction, all connections (HTTP heads included).
        head_bytes: bytes of HTTP heads per direction (requests, responses, handshake).
        requests: HTTP requests the tap saw (the WebSocket handshake is one).
        connections: TCP connections the tap saw.
        empty_answers: poll answers without an event (the client's count).
        ws_header: bytes of a WebSocket frame header seen per direction (WebSocket only).
        chunks: the tap's recording (for the transcript and :meth:`exchange`).
        error: what ended the run early ("" if nothing did).
    """

    transport: str
    deliveries: tuple[Delivery, ...] = ()
    payload_bytes: int = 0
    wire: dict[str, int] = field(default_factory=lambda: {"c2s": 0, "s2c": 0})
    head_bytes: dict[str, int] = field(default_factory=lambda: {"c2s": 0, "s2c": 0})
    requests: int = 0
    connections: int = 0
    empty_answers: int = 0
    ws_header: dict[str, int] = field(default_factory=dict)
    chunks: tuple[Chunk, ...] = ()
    error: str = ""

    @property
    def label(self) -> str:
        return LABELS.get(self.transport, self.transport)

    @property
    def latencies(self) -> tuple[float, ...]:
        """Seconds from creation to reception, per event, in order of arrival."""
        return tuple(d.latency for d in self.deliveries)

    @property
    def summary(self) -> Summary:
        return Summary.of_seconds(self.latencies)

    @property
    def delivered(self) -> int:
        return len(self.deliveries)

    def per_event(self, direction: str) -> float | None:
        """Bytes on the wire in ``direction`` per event delivered (``None``: none came)."""
        return self.wire[direction] / self.delivered if self.delivered else None

    @property
    def overhead_per_event(self) -> float | None:
        """Bytes both ways per event, less the event's own JSON text (the payload)."""
        if not self.delivered:
            return None
        return (self.wire["c2s"] + self.wire["s2c"] - self.payload_bytes) / self.delivered

    @property
    def head_bytes_per_request(self) -> float | None:
        """HTTP head bytes (request + response) per request."""
        total = self.head_bytes["c2s"] + self.head_bytes["s2c"]
        return total / self.requests if self.requests else None

    def transcript(self) -> Transcript:
        """The tap's recording dissected (made for WebSocket: the handshake, then frames)."""
        return Transcript.from_chunks(self.chunks)

    def exchange(self) -> list[WirePiece]:
        """One exchange that carried an event, piece by piece, exactly as recorded.

        WebSocket: the handshake, the first event's frame, the client's close frame.
        Polling: the first request whose answer carried an event, and that answer.
        SSE: the request, the response head, the first event's chunk.
        """
        streams = _streams(self.chunks)
        if not streams:
            return []
        c2s, s2c = streams[min(streams)]
        requests = split_http(c2s, responses=False)
        answers = split_http(s2c, responses=True)
        if self.transport == "websocket":
            frames = self.transcript()
            pieces = [WirePiece("c2s", "request head", requests.heads[0]) if requests.heads
                      else None,
                      WirePiece("s2c", "response head", answers.heads[0]) if answers.heads
                      else None]
            first = frames.frames("s2c", "text")
            close = frames.frames("c2s", "close")
            pieces += [WirePiece("s2c", "frame", first[0].frame_dissection.raw)
                       if first and first[0].frame_dissection else None,
                       WirePiece("c2s", "frame", close[0].frame_dissection.raw)
                       if close and close[0].frame_dissection else None]
            return [p for p in pieces if p is not None]
        if self.transport == "sse":
            if not requests.heads or not answers.heads:
                return []
            head = answers.heads[0]
            body = s2c[len(head):]
            first_end = body.find(b"\r\n", body.find(b"\n\n")) + 2
            return [WirePiece("c2s", "request head", requests.heads[0]),
                    WirePiece("s2c", "response head", head),
                    WirePiece("s2c", "chunk", body[:first_end])]
        for i, (head, body) in enumerate(zip(answers.heads, answers.bodies, strict=False)):
            if body.strip() not in (b"", b"[]") and i < len(requests.heads):
                return [WirePiece("c2s", "request head", requests.heads[i]),
                        WirePiece("s2c", "response head", head),
                        WirePiece("s2c", "body", body)]
        return []


def _streams(chunks: Sequence[Chunk]) -> dict[int, tuple[bytes, bytes]]:
    """``{conn_id: (c2s bytes, s2c bytes)}`` from a recording."""
    parts: dict[int, dict[str, bytearray]] = {}
    for c in chunks:
        parts.setdefault(c.conn_id, {"c2s": bytearray(), "s2c": bytearray()})[c.direction] += \
            c.data
    return {k: (bytes(v["c2s"]), bytes(v["s2c"])) for k, v in parts.items()}


@dataclass
class PushRaceResult(Measurement):
    """Experiment 7: one event stream, four transports, latency and bytes of each.

    Attributes:
        runs: ``{transport: TransportRun}``, in the order run.
        count, rate, poll_interval: the stream (events, events per second) and the short
            polling interval (seconds).
        calibration: the tap's own round-trip cost, measured in the same run.
    """

    runs: dict[str, TransportRun] = field(default_factory=dict)
    count: int = 0
    rate: float = 0.0
    poll_interval: float = 0.0
    calibration: TapOverhead | None = None
    interrupted: bool = False
    title: str = "Server push: WebSocket vs HTTP polling, long polling and SSE"

    def summaries(self) -> dict[str, Summary]:
        return {t: r.summary for t, r in self.runs.items()}

    def table(self) -> tuple[list[str], list[list[str]]]:
        heads = ["transport", "events", "p50 (ms)", "p90 (ms)", "p99 (ms)", "max (ms)",
                 "c→s (B/event)", "s→c (B/event)", "overhead (B/event)", "HTTP requests",
                 "TCP connections", "empty polls"]
        rows = []
        for run in self.runs.values():
            s = run.summary.row()
            rows.append([run.label, f"{run.delivered}/{self.count}", s[2], s[3], s[4], s[5],
                         _num(run.per_event("c2s")), _num(run.per_event("s2c")),
                         _num(run.overhead_per_event), str(run.requests),
                         str(run.connections), str(run.empty_answers)])
        return heads, rows

    def comparison(self) -> list[tuple[str, str, str]]:
        """``(what, published, measured here)`` for the often-quoted overheads."""
        out = []
        poll = self.runs.get("short-poll") or self.runs.get("long-poll")
        if poll is not None and poll.head_bytes_per_request is not None:
            c2s = poll.head_bytes["c2s"] / poll.requests
            s2c = poll.head_bytes["s2c"] / poll.requests
            out.append(("HTTP headers per poll (request + response)",
                        f"{PUBLISHED_HEADER_BYTES} B",
                        f"{poll.head_bytes_per_request:.0f} B ({c2s:.0f} + {s2c:.0f})"))
        ws = self.runs.get("websocket")
        if ws is not None and ws.ws_header:
            out.append(("WebSocket frame header, server → client",
                        f"{PUBLISHED_FRAME_BYTES} B", f"{ws.ws_header.get('s2c', '—')} B"))
            out.append(("WebSocket frame header, client → server (masked)",
                        f"{RFC_CLIENT_FRAME_HEADER} B (RFC 6455 §5.2)",
                        f"{ws.ws_header.get('c2s', '—')} B"))
        return out

    def notes(self) -> list[str]:
        notes = [f"{self.count} events at {self.rate:g}/s; short polling every "
                 f"{self.poll_interval * 1000:g} ms. Bytes counted by the tap, both ways, "
                 f"every connection, HTTP heads included; overhead = all bytes less the "
                 f"events' JSON."]
        for what, published, measured in self.comparison():
            notes.append(f"{what}: published {published}, measured {measured}.")
        notes.append(
            "871 B is one example of Lubbers & Greco (Kaazing, websocket.org, 2010): a "
            "desktop browser's request with cookies and a Java server's answer. aiohttp's "
            "client sends 4 header fields, no cookie: fewer bytes, the same shape. Short "
            "polling pays a request per interval, with or without an event (empty polls); "
            "long polling pays one per answer (one per event unless they bunch); SSE keeps "
            "one response open (data: ...\\n\\n per event, plus chunked coding, RFC 9112 "
            "§7.1); WebSocket pays 2 B per server frame (RFC 6455 §5.2).")
        if self.calibration is not None:
            notes.append(str(self.calibration))
        errors = [f"{r.label}: {r.error}" for r in self.runs.values() if r.error]
        return notes + errors + super().notes()

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "rate": self.rate, "poll_interval": self.poll_interval,
                "interrupted": self.interrupted,
                "runs": {t: {"latencies": list(r.latencies), "wire": dict(r.wire),
                             "head_bytes": dict(r.head_bytes), "requests": r.requests,
                             "connections": r.connections, "empty_answers": r.empty_answers,
                             "payload_bytes": r.payload_bytes, "summary": r.summary.to_dict()}
                         for t, r in self.runs.items()}}


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


def push_race(transports: Sequence[str] = TRANSPORTS, *, count: int = 40, rate: float = 20.0,
              poll_interval: float = 0.1, timeout: float = 5.0, calibrate: bool = True,
              on_progress: ProgressCallback | None = None, bar: bool = True) -> PushRaceResult:
    """Deliver the same ``count`` events at ``rate``/s by each transport; measure each.

    Args:
        transports: among "websocket", "short-poll", "long-poll", "sse", run in this order.
        count: events per transport.
        rate: events per second.
        poll_interval: seconds between short polls.
        timeout: seconds any one wait may take (and the grace, beyond ``count / rate``,
            for the last event to come).
        calibrate: also measure the tap's own round-trip cost (a LabServer, 20 pings).
        on_progress: ``(events received, all events)`` as they come (may raise
            KeyboardInterrupt to stop: the runs so far are kept).
        bar: show a progress bar on runs over a second.
    Raises:
        ValueError: an unknown transport, or bad numbers.
        TimeoutError: a client did not connect within ``timeout``.
    """
    unknown = [t for t in transports if t not in TRANSPORTS]
    if unknown:
        raise ValueError(f"transports are among {TRANSPORTS}, not {unknown[0]!r}")
    if count < 1 or rate <= 0 or poll_interval <= 0 or timeout <= 0:
        raise ValueError("count >= 1, rate > 0, poll_interval > 0 and timeout > 0, please")
    result = PushRaceResult(count=count, rate=rate, poll_interval=poll_interval)
    progress = Progress(count * len(transports), "events delivered", on_progress=on_progress,
                        bar=bar)
    with progress.interruptible():
        if calibrate:
            with LabServer(ping_interval=None, ping_timeout=None) as srv, \
                    Tap("127.0.0.1", srv.port) as tap:
                result.calibration = measure_tap_overhead(srv, tap, timeout=timeout)
        for transport in transports:
            run = TransportRun(transport)
            result.runs[transport] = run
            _run_one(run, count, rate, poll_interval, timeout, progress)
    result.interrupted = progress.interrupted
    return result


def _run_one(run: TransportRun, count: int, rate: float, poll_interval: float,
             timeout: float, progress: Progress) -> None:
    """Fill ``run``; what was measured stays in it even if this is interrupted."""
    transport = run.transport
    with PushServer(hold=timeout) as srv, Tap("127.0.0.1", srv.port) as tap:
        url = tap.url_for(srv.url_for(transport).split(str(srv.port), 1)[1],
                          scheme=_SCHEME.get(transport, "http"))
        receiver = PushReceiver(url, transport, count=count, poll_interval=poll_interval,
                                hold=timeout, timeout=timeout)
        try:
            with receiver:
                if not receiver.ready.wait(timeout):
                    raise TimeoutError(f"{transport}: the client did not connect within "
                                       f"{timeout:g} s")
                if transport != "short-poll":
                    srv.wait_subscribed(timeout=timeout)
                srv.publish(count, rate)
                deadline = time.monotonic() + count / rate + timeout
                seen = 0
                while seen < count and not receiver.done and time.monotonic() < deadline:
                    now = receiver.wait(seen + 1, timeout=min(0.2, deadline - time.monotonic()))
                    if now > seen:
                        progress.step(now - seen)
                        seen = now
                if receiver.error is not None:
                    run.error = f"{type(receiver.error).__name__}: {receiver.error}"
                elif seen < count:
                    run.error = f"{seen} of {count} events within {count / rate + timeout:g} s"
        finally:
            run.deliveries = tuple(receiver.deliveries)
            run.empty_answers = receiver.empty_answers
            texts = {e.seq: len(e.text.encode()) for e in srv.events()}
            run.payload_bytes = sum(texts.get(d.seq, 0) for d in run.deliveries)
            with contextlib.suppress(TimeoutError):  # the client's close, as far as it came
                tap.wait_for(lambda t: all(not c.open for c in t.connections), timeout=1.0)
            _count_wire(run, tap)


def _count_wire(run: TransportRun, tap: Tap) -> None:
    run.chunks = tuple(tap.chunks())
    run.connections = len(tap.connections)
    for conn in tap.connections:
        for d in ("c2s", "s2c"):
            run.wire[d] += conn.received[d]
    for c2s, s2c in _streams(run.chunks).values():
        requests = split_http(c2s, responses=False)
        answers = split_http(s2c, responses=True)
        run.requests += len(requests.heads)
        run.head_bytes["c2s"] += sum(map(len, requests.heads))
        run.head_bytes["s2c"] += sum(map(len, answers.heads))
    if run.transport == "websocket":
        frames = run.transcript()
        for d in ("c2s", "s2c"):
            entry = next((e for e in frames.frames(d) if e.frame_dissection is not None), None)
            if entry is not None and entry.frame_dissection is not None:
                fd = entry.frame_dissection
                run.ws_header[d] = len(fd.raw) - len(fd.frame.payload)
