"""Transcripts: what went over recorded connections, dissected (drawn by transcript_view).

Pure: no sockets. The input is what :class:`wslab.live.Tap` records (chunks of bytes per
direction, with the time the tap saw them, and TCP events) or chunks built by hand. Per
connection and direction: the HTTP handshake (split at the first CR LF CR LF, explained by
:func:`wslab.codec.explain`), then the frames (:func:`wslab.codec.dissect`), each
stamped with the time of the chunk that completed it. TLS (``wss://``) is recognised and
left alone: its records can be counted, not read.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from ._dissect import FrameDissection, dissect
from ._explain import HandshakeExplanation, explain
from ._frames import Opcode
from ._http11 import Request, Response
from ._show import Shown

Direction = Literal["c2s", "s2c"]  # client to server, server to client
Kind = Literal["http", "frame", "tcp", "tls", "bytes"]
DIRECTIONS: tuple[Direction, Direction] = ("c2s", "s2c")  # both, in this order
SENDER = {"c2s": "client", "s2c": "server"}  # who sends in each direction
# What the transcript says of a TLS record: its bytes are encrypted.
TLS_NOTE = "encrypted (TLS) — cannot be dissected; that's the point of wss://"
_TLS_TYPES = {20: "change cipher spec", 21: "alert", 22: "handshake", 23: "application data"}
_MAX_TLS_ENTRIES = 50
_HTTP_REQUEST = re.compile(rb"[A-Z]{3,8} ")


# -- one line per entry ------------------------------------------------------------

PREVIEW = 40  # characters of a payload shown in a summary


# -- one line per entry ---------------------------------------------------------------------


def _quote(text: str) -> str:
    cut = text if len(text) <= PREVIEW else text[:PREVIEW] + "…"
    return json.dumps(cut, ensure_ascii=False)


def preview(data: bytes) -> str:
    """A few bytes shown: as text if printable ASCII, else their count and first bytes in hex."""
    if data and all(0x20 <= b < 0x7F for b in data):
        return repr(data.decode("ascii")) if len(data) <= PREVIEW else \
            repr(data[:PREVIEW].decode("ascii")) + "…"
    shown = data[:12].hex(" ")
    return f"{len(data)} bytes {shown}" + (" …" if len(data) > 12 else "")


def frame_summary(fd: FrameDissection) -> str:
    """One line for a frame, e.g. ``close 1011 'keepalive ping timeout'``."""
    f = fd.frame
    op, name = int(f.opcode), f.opcode_name
    if op == Opcode.CLOSE:
        if fd.close_code is None:
            text = "close (no status code)" if not f.payload else "close (1-byte payload)"
        else:
            text = f"close {fd.close_code}" + (f" {fd.close_reason!r}" if fd.close_reason else "")
    elif op in (Opcode.PING, Opcode.PONG):
        text = f"{name} {preview(f.payload)}" if f.payload else f"{name} (empty)"
    elif fd.text is not None:
        text = f"{name} {_quote(fd.text)}"
    elif op == Opcode.BINARY or (op == Opcode.CONT and f.payload):
        text = f"{name} {preview(f.payload)}"
    else:
        text = f"{name} {len(f.payload)} bytes"
    if f.rsv1 and op in (Opcode.TEXT, Opcode.BINARY):
        text += " (compressed)"
    if not f.fin:
        text += " [FIN=0, more follows]"
    if fd.violations:
        text += " !! " + ", ".join(dict.fromkeys(v.rule.id for v in fd.violations))
    return text


EVENT_TEXT = {
    "eof": "FIN: the {who} is done sending",
    "reset": "RST from the {who}: connection reset",
    "cut": "✂ cut by the tap: RST both ways, no close frame",
    "truncated": "recording truncated (traffic went on): {detail}",
    "open": "TCP open: {detail}",
    "closed": "TCP closed: {detail}",
    "fault": "tap: {detail}",
    "dropped": "{detail}",
    "connect-failed": "the tap could not reach the server: {detail}",
}


def event_summary(kind: str, who: str, detail: str) -> str:
    """One line for a TCP event of the tap; ``who`` is the sender concerned ("client"...)."""
    return EVENT_TEXT.get(kind, kind + ": {detail}").format(who=who, detail=detail)


@dataclass(slots=True)
class Chunk:
    """Bytes one side sent, as the tap read them in one piece.

    Attributes:
        t: when the tap read them (``time.monotonic()`` seconds).
        conn_id: the connection (numbered by the tap from 1).
        direction: ``"c2s"`` (client to server) or ``"s2c"``.
        data: the bytes.
        t_forwarded: when the tap had passed all of them on (``None``: not known, or never).
    """

    t: float
    conn_id: int
    direction: Direction
    data: bytes
    t_forwarded: float | None = None


@dataclass(frozen=True, slots=True)
class TapEvent:
    """Something that happened to a TCP connection (or was done to it by the tap).

    Attributes:
        t: when (``time.monotonic()`` seconds).
        conn_id: the connection.
        kind: ``"open"``, ``"connect-failed"``, ``"eof"`` (FIN: the sender of ``direction``
            closed its side), ``"reset"`` (RST from the sender of ``direction``), ``"cut"``
            (the tap reset both sides), ``"dropped"`` (bytes held by the tap never
            delivered), ``"truncated"`` (recording cap reached), ``"fault"`` (a fault set),
            ``"intercept"`` (the tap's frame hook dropped, injected or rewrote frames),
            ``"closed"`` (the tap is done with the connection).
        detail: one human sentence.
        direction: the direction concerned, if any.
    """

    t: float
    conn_id: int
    kind: str
    detail: str = ""
    direction: Direction | None = None


class CloseFrameSeen(NamedTuple):
    direction: Direction
    code: int | None
    reason: str | None
    t: float


class ControlFrameSeen(NamedTuple):
    direction: Direction
    payload: bytes
    t: float


@dataclass
class TranscriptEntry:
    """One line of a transcript.

    Attributes:
        t: when the tap saw it complete (monotonic seconds).
        conn_id: the connection.
        direction: ``"c2s"``, ``"s2c"`` or ``None`` (an event of the whole connection).
        kind: ``"http"``, ``"frame"``, ``"tcp"``, ``"tls"`` or ``"bytes"``.
        summary: one line, e.g. ``close 1011 'keepalive ping timeout'``.
        frame_dissection: the dissected frame (kind ``"frame"``).
        http: the explained handshake message (kind ``"http"``).
        event: the TCP event (kind ``"tcp"``).
        t_forwarded: when the tap passed the last byte on, if known.
        offset: where it starts in its direction's byte stream.
    """

    t: float
    conn_id: int
    direction: Direction | None
    kind: Kind
    summary: str
    frame_dissection: FrameDissection | None = None
    http: HandshakeExplanation | None = None
    event: TapEvent | None = None
    t_forwarded: float | None = None
    offset: int | None = None

    @property
    def opcode_name(self) -> str | None:
        """``"text"``, ``"close"``, ... for a frame, else ``None``."""
        fd = self.frame_dissection
        return None if fd is None else fd.frame.opcode_name

    @property
    def held(self) -> float | None:
        """Seconds the tap held it before passing it on (``None``: not known)."""
        return None if self.t_forwarded is None else max(0.0, self.t_forwarded - self.t)


# -- building ------------------------------------------------------------------------------


@dataclass
class _Stream:
    """One direction of one connection: the bytes, and where each chunk ends."""

    data: bytes = b""
    ends: list[int] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)

    @classmethod
    def of(cls, chunks: Sequence[Chunk]) -> _Stream:
        ends, pos = [], 0
        for c in chunks:
            pos += len(c.data)
            ends.append(pos)
        return cls(b"".join(c.data for c in chunks), ends, list(chunks))

    def at(self, end: int) -> Chunk:
        """The chunk that brought byte ``end - 1``."""
        return self.chunks[min(bisect_left(self.ends, end), len(self.chunks) - 1)]


def _is_tls(data: bytes) -> bool:
    return len(data) >= 2 and data[0] in _TLS_TYPES and data[1] == 0x03


def _tls_entries(stream: _Stream, conn_id: int, d: Direction, start: int, note: bool = True
                 ) -> list[TranscriptEntry]:
    """One entry per TLS record (the first says why nothing more can be shown)."""
    out: list[TranscriptEntry] = []
    pos, data, rest = start, stream.data, 0
    while pos + 5 <= len(data) and _is_tls(data[pos:]):
        end = pos + 5 + int.from_bytes(data[pos + 3 : pos + 5], "big")
        if end > len(data):
            break
        kind = _TLS_TYPES[data[pos]]
        if kind == "handshake" and pos == start and len(data) > pos + 5:
            kind += {1: " (ClientHello)", 2: " (ServerHello)"}.get(data[pos + 5], "")
        if len(out) < _MAX_TLS_ENTRIES:
            chunk = stream.at(end)
            if not out and note:
                out.append(TranscriptEntry(chunk.t, conn_id, None, "tls", TLS_NOTE, offset=0))
            out.append(TranscriptEntry(chunk.t, conn_id, d, "tls", f"TLS {kind}, {end - pos} bytes",
                                       t_forwarded=chunk.t_forwarded, offset=pos))
        else:
            rest += 1
        pos = end
    if rest:
        out.append(TranscriptEntry(stream.at(pos).t, conn_id, d, "tls",
                                   f"… and {rest} more TLS records", offset=pos))
    if pos < len(data):
        out.append(_bytes_entry(stream, conn_id, d, pos, "incomplete TLS record"))
    return out


def _bytes_entry(stream: _Stream, conn_id: int, d: Direction, start: int, what: str
                 ) -> TranscriptEntry:
    chunk = stream.at(len(stream.data))
    return TranscriptEntry(chunk.t, conn_id, d, "bytes",
                           f"{what}: {preview(stream.data[start:])}",
                           t_forwarded=chunk.t_forwarded, offset=start)


def _head_end(data: bytes, d: Direction) -> int | None:
    """Where an HTTP head ends (after CR LF CR LF): len(data) if unfinished, None if no HTTP."""
    looks = data.startswith(b"HTTP/") if d == "s2c" else bool(_HTTP_REQUEST.match(data))
    if not looks:
        return None
    end = data.find(b"\r\n\r\n")
    return len(data) if end < 0 else end + 4


def _http_entry(stream: _Stream, conn_id: int, d: Direction, end: int,
                request: Request | None) -> TranscriptEntry:
    explanation = explain(stream.data[:end], request=request)
    message = explanation.message
    if message is None:
        summary = f"HTTP {explanation.kind}, {end} bytes, not understood: " + \
            (str(explanation.problems[0].message) if explanation.problems else "?")
    else:
        summary = message.start_line
        if isinstance(message, Request) and message.get("Upgrade"):
            summary += f" (Upgrade: {message.get('Upgrade')})"
        if explanation.problems:
            summary += f" !! {len(explanation.problems)} problem(s)"
    chunk = stream.at(end)
    return TranscriptEntry(chunk.t, conn_id, d, "http", summary, http=explanation,
                           t_forwarded=chunk.t_forwarded, offset=0)


def _frame_entries(stream: _Stream, conn_id: int, d: Direction, start: int, deflate: bool,
                   truncated: bool) -> list[TranscriptEntry]:
    out = []
    dissection = dissect(stream.data[start:], sender=SENDER[d], deflate=deflate)  # type: ignore[arg-type]
    for fd in dissection.frames:
        chunk = stream.at(start + fd.offset + len(fd.raw))
        out.append(TranscriptEntry(chunk.t, conn_id, d, "frame", frame_summary(fd),
                                   frame_dissection=fd, t_forwarded=chunk.t_forwarded,
                                   offset=start + fd.offset))
    inc = dissection.incomplete
    if inc is not None:
        what = ("recording truncated inside a frame" if truncated else
                f"incomplete frame ({inc.need} more bytes needed)")
        out.append(_bytes_entry(stream, conn_id, d, start + inc.offset, what))
    return out


def _message(entry: TranscriptEntry | None) -> Request | Response | None:
    return None if entry is None or entry.http is None else entry.http.message


def _connection(conn_id: int, streams: dict[Direction, _Stream], truncated: set[Direction],
                deflate: bool | None) -> tuple[list[TranscriptEntry], bool]:
    """Entries for the bytes of one connection, and whether deflate was used."""
    c2s, s2c = streams["c2s"], streams["s2c"]
    if _is_tls(c2s.data) or _is_tls(s2c.data):
        first = _tls_entries(c2s, conn_id, "c2s", 0)
        return first + _tls_entries(s2c, conn_id, "s2c", 0, note=not first), False
    out: list[TranscriptEntry] = []
    starts: dict[Direction, int] = {"c2s": 0, "s2c": 0}
    request = response = None
    req_end = _head_end(c2s.data, "c2s")
    if req_end is not None:
        out.append(_http_entry(c2s, conn_id, "c2s", req_end, None))
        starts["c2s"] = req_end
        request = _message(out[-1])
    resp_end = _head_end(s2c.data, "s2c")
    if resp_end is not None:
        req = request if isinstance(request, Request) else None
        head = _http_entry(s2c, conn_id, "s2c", resp_end, req)
        response = _message(head)
        if isinstance(response, Response) and response.status != 101:  # a body follows
            head = _http_entry(s2c, conn_id, "s2c", len(s2c.data), req)
            resp_end = len(s2c.data) - (head.http.trailing if head.http else 0)
        out.append(head)
        starts["s2c"] = resp_end
    status = response.status if isinstance(response, Response) else None
    if deflate is None:
        deflate = isinstance(response, Response) and any(
            t.split(";")[0].strip().lower() == "permessage-deflate"
            for t in response.tokens("Sec-WebSocket-Extensions"))
    for d in DIRECTIONS:
        stream, start = streams[d], starts[d]
        if start >= len(stream.data):
            continue
        if status not in (None, 101):
            out.append(_bytes_entry(stream, conn_id, d, start,
                                    f"bytes after the {status} answer, not WebSocket"))
        elif _is_tls(stream.data[start:]):
            out += _tls_entries(stream, conn_id, d, start)
        else:
            out += _frame_entries(stream, conn_id, d, start, deflate, d in truncated)
    return out, deflate


def _event_entry(e: TapEvent) -> TranscriptEntry:
    who = SENDER.get(e.direction or "", "?")
    return TranscriptEntry(e.t, e.conn_id, e.direction, "tcp",
                           event_summary(e.kind, who, e.detail), event=e)


# -- the transcript ------------------------------------------------------------------------


@dataclass(repr=False)
class Transcript(Shown):
    """Everything recorded, connection by connection, in time order.

    Attributes:
        entries: sorted by connection, then time.
        t0: the time of the first chunk or event (diagram times are relative to it).
        deflate: per connection, whether permessage-deflate was negotiated.
    """

    entries: list[TranscriptEntry]
    t0: float = 0.0
    deflate: dict[int, bool] = field(default_factory=dict)

    @classmethod
    def from_chunks(cls, chunks: Iterable[Chunk], events: Iterable[TapEvent] | None = None,
                    *, deflate: bool | None = None) -> Transcript:
        """Dissect recorded chunks (and TCP events) into a transcript.

        Args:
            chunks: in the order they were read (per connection and direction).
            events: TCP events, as :class:`wslab.live.Tap` records them.
            deflate: force permessage-deflate on or off; ``None``: as the handshake says.
        """
        chunks, events = list(chunks), list(events or ())
        ids = sorted({c.conn_id for c in chunks} | {e.conn_id for e in events})
        entries: list[TranscriptEntry] = []
        used: dict[int, bool] = {}
        for cid in ids:
            streams = {d: _Stream.of([c for c in chunks if c.conn_id == cid and c.direction == d])
                       for d in DIRECTIONS}
            truncated = {e.direction for e in events
                         if e.conn_id == cid and e.kind == "truncated" and e.direction}
            found, used[cid] = _connection(cid, streams, truncated, deflate)  # type: ignore[arg-type]
            lost = {e.direction for e in events if e.conn_id == cid and e.kind == "dropped"}
            for e in found:
                if e.direction in lost and e.t_forwarded is None and e.kind != "tcp":
                    e.summary += " (never delivered)"
            found += [_event_entry(e) for e in events if e.conn_id == cid]
            entries += sorted(found, key=lambda e: e.t)
        t0 = min([c.t for c in chunks] + [e.t for e in events], default=0.0)
        return cls(entries, t0, used)

    # -- questions scenarios ask -----------------------------------------------------------

    def connection_ids(self) -> list[int]:
        return list(dict.fromkeys(e.conn_id for e in self.entries))

    def for_connection(self, conn_id: int) -> Transcript:
        """The transcript of one connection."""
        return Transcript([e for e in self.entries if e.conn_id == conn_id], self.t0,
                          {conn_id: self.deflate.get(conn_id, False)})

    def _select(self, kind: str, direction: Direction | None, conn_id: int | None
                ) -> list[TranscriptEntry]:
        return [e for e in self.entries if e.kind == kind
                and (direction is None or e.direction == direction)
                and (conn_id is None or e.conn_id == conn_id)]

    def frames(self, direction: Direction | None = None, opcode: str | None = None, *,
               conn_id: int | None = None) -> list[TranscriptEntry]:
        """Frame entries, optionally of one direction and one opcode name (``"text"``...)."""
        return [e for e in self._select("frame", direction, conn_id)
                if opcode is None or e.opcode_name == opcode]

    def close_frames(self, conn_id: int | None = None) -> list[CloseFrameSeen]:
        """Every close frame: ``(direction, code, reason, t)`` (by connection, then time)."""
        return [CloseFrameSeen(e.direction, e.frame_dissection.close_code,  # type: ignore[arg-type,union-attr]
                               e.frame_dissection.close_reason, e.t)  # type: ignore[union-attr]
                for e in self.frames(opcode="close", conn_id=conn_id)]

    def first_close(self, direction: Direction, conn_id: int | None = None
                    ) -> CloseFrameSeen | None:
        """The first close frame sent in ``direction``, or ``None``."""
        return next((c for c in self.close_frames(conn_id) if c.direction == direction), None)

    def has_close_frame(self, direction: Direction | None = None,
                        conn_id: int | None = None) -> bool:
        return bool(self.frames(direction, "close", conn_id=conn_id))

    def http_status(self, conn_id: int | None = None) -> int | None:
        """The status of the first handshake response (``None``: no response seen)."""
        for e in self._select("http", "s2c", conn_id):
            if e.http is not None and isinstance(e.http.message, Response):
                return e.http.message.status
        return None

    def pings(self, direction: Direction | None = None) -> list[ControlFrameSeen]:
        return [ControlFrameSeen(e.direction, e.frame_dissection.frame.payload, e.t)  # type: ignore[arg-type,union-attr]
                for e in self.frames(direction, "ping")]

    def pongs(self, direction: Direction | None = None) -> list[ControlFrameSeen]:
        return [ControlFrameSeen(e.direction, e.frame_dissection.frame.payload, e.t)  # type: ignore[arg-type,union-attr]
                for e in self.frames(direction, "pong")]

    def ping_rtts(self) -> list[float]:
        """Round trips, in seconds: each ping to the first later pong with its payload.

        Measured from when the tap got the ping to when it delivered the pong (when it
        got it, if delivery is unknown): the round trip the pinging side sees, delays
        added by the tap included, less the two short hops between that side and the tap.
        """
        out = []
        pongs = self.frames(opcode="pong")
        for ping in self.frames(opcode="ping"):
            payload = ping.frame_dissection.frame.payload  # type: ignore[union-attr]
            back = next((p for p in pongs if p.direction != ping.direction and p.t >= ping.t
                         and p.conn_id == ping.conn_id
                         and p.frame_dissection.frame.payload == payload), None)  # type: ignore[union-attr]
            if back is not None:
                out.append((back.t_forwarded or back.t) - ping.t)
        return out

    def tcp_closed_without_close_frame(self, direction: Direction | None = None,
                                       conn_id: int | None = None) -> bool:
        """Whether TCP ended before a close frame went in ``direction`` (any if ``None``).

        Only connections where WebSocket was open count (101 answered, or frames seen):
        before the handshake there is no close frame to miss.
        """
        for cid in ([conn_id] if conn_id is not None else self.connection_ids()):
            status = self.http_status(cid)
            if status not in (None, 101) or not (status == 101 or self.frames(conn_id=cid)):
                continue
            for d in [direction] if direction else DIRECTIONS:
                ends = [e.t for e in self._select("tcp", None, cid) if e.event is not None
                        and (e.event.kind in ("reset", "cut", "closed")
                             or (e.event.kind == "eof" and e.direction == d))]
                if ends and not any(c.t <= min(ends) for c in self.close_frames(cid)
                                    if c.direction == d):
                    return True
        return False

    # -- showing it ----------------------------------------------------------------------

    def __repr__(self) -> str:
        n = len(self.connection_ids())
        return f"<Transcript: {len(self.entries)} entries, {n} connection(s)>"
