"""The event log a live server keeps: what happened on which connection, and when.

A :class:`~wslab.live.LabServer` appends one :class:`Event` per thing it sees (a TCP
connection accepted, the handshake, every frame in either direction, an exception, the
TCP connection gone) to an :class:`EventLog`. The log is thread-safe: the server's thread
writes, your thread (a notebook cell, a test) reads a snapshot or waits for an event
with :meth:`EventLog.wait_for`, which never waits without a timeout.

Kinds of event and their ``detail``:

=====================  ==================================================================
``connect``            TCP connection accepted: ``peer`` (host, port)
``open``               handshake done (101): ``path``, ``subprotocol``, ``extensions``
``handshake_rejected`` HTTP answer instead of 101: ``status``, ``reason``, ``path``, ``why``
                       (``status`` is ``None`` when the bytes were not HTTP at all)
``recv`` / ``send``    data frame: ``opcode``, ``fin``, ``rsv1``, ``length``, ``data``
``ping`` / ``pong``    ``direction`` ("in" or "out"), ``data``
``close_recv``         close frame received: ``code`` (``None`` if empty), ``reason``
``close_sent``         close frame sent: ``code``, ``reason``
``exception``          ``where``, ``type``, ``message``, ``traceback``
``closed``             TCP connection gone: ``opened``, ``code`` and ``reason`` (received, as
                       websockets says: 1006 if no close frame came), ``sent`` and ``rcvd``
                       (``(code, reason)`` or ``None``), ``clean`` (both close frames seen)
``server_started``     (conn_id ``None``) ``url``
``server_stopped``     (conn_id ``None``) ``code``, ``reason`` sent to open connections
=====================  ==================================================================

:func:`event_from_record` turns the debug log records of the ``websockets`` library (one
per frame sent or received, handshake answer and error; see its logging guide) into
events. This module does no I/O: it only holds and translates data.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.frames import Close, Opcode
from websockets.frames import Frame as WsFrame

KINDS = ("connect", "open", "handshake_rejected", "recv", "send", "ping", "pong",
         "close_recv", "close_sent", "exception", "closed", "server_started", "server_stopped")
EVENT_DATA_LIMIT = 4096  # payload bytes kept in a recv/send event (the rest is cut)
EVENT_LOG_MAXLEN = 100_000  # events an EventLog keeps (the oldest go first)
DETAIL_PREVIEW = 40  # characters or bytes of a detail value that Event.describe shows
SHOWN_ON_TIMEOUT = 15  # events listed in the message of a wait_for that timed out

Match = Mapping[str, Any] | Callable[["Event"], bool] | None


@dataclass(frozen=True)
class Event:
    """One thing that happened on a server.

    Attributes:
        t: ``time.monotonic()`` when it was seen.
        conn_id: the connection (numbered 1, 2, ... per server), ``None`` for the server.
        kind: one of :data:`KINDS`.
        detail: what happened (see the module docstring for each kind).
        seq: position in the log (0, 1, 2, ...; never reused, even after a clear).
    """

    t: float
    conn_id: int | None
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int = 0

    def matches(self, kind: str | None = None, conn_id: int | None = None,
                match: Match = None) -> bool:
        """Whether this event has ``kind``, ``conn_id`` and the ``match`` details.

        Args:
            match: a mapping of detail values that must be equal, or a predicate.
        """
        if kind is not None and self.kind != kind:
            return False
        if conn_id is not None and self.conn_id != conn_id:
            return False
        if match is None:
            return True
        if callable(match):
            return bool(match(self))
        return all(self.detail.get(k) == v for k, v in match.items())

    def describe(self) -> str:
        """The detail in a few words, e.g. ``"code=1011 reason='keepalive ping timeout'"``."""
        parts = []
        for key, value in self.detail.items():
            if key == "traceback":
                continue
            if isinstance(value, (bytes, str)) and len(value) > DETAIL_PREVIEW:
                value = value[:DETAIL_PREVIEW] + (b"..." if isinstance(value, bytes) else "...")
            parts.append(f"{key}={value!r}")
        return " ".join(parts)

    def __str__(self) -> str:
        who = "server" if self.conn_id is None else f"#{self.conn_id}"
        return f"{who} {self.kind} {self.describe()}".rstrip()


@dataclass
class ConnectionSummary:
    """What the log says about one connection.

    Attributes:
        conn_id: its number.
        peer: the client's (host, port).
        path: the request path once the handshake is done.
        state: "connecting", "open", "rejected" or "closed".
        status: HTTP status of a rejected handshake.
        close_code, close_reason: how it ended (1006 when TCP died with no close frame).
        started, ended: monotonic times of the first and "closed" events.
        events: how many events it has.
    """

    conn_id: int
    peer: tuple[Any, ...] | None = None
    path: str | None = None
    state: str = "connecting"
    status: int | None = None
    close_code: int | None = None
    close_reason: str | None = None
    started: float | None = None
    ended: float | None = None
    events: int = 0


def summarize(events: Iterable[Event]) -> list[ConnectionSummary]:
    """One :class:`ConnectionSummary` per connection in ``events``, by conn_id."""
    out: dict[int, ConnectionSummary] = {}
    for event in events:
        if event.conn_id is None:
            continue
        summary = out.setdefault(event.conn_id, ConnectionSummary(event.conn_id, started=event.t))
        summary.events += 1
        detail = event.detail
        if event.kind == "connect":
            summary.peer = detail.get("peer")
        elif event.kind == "open":
            summary.state, summary.path = "open", detail.get("path")
        elif event.kind == "handshake_rejected":
            summary.state, summary.status = "rejected", detail.get("status")
            summary.path = detail.get("path")
        elif event.kind == "closed":
            if summary.state != "rejected":
                summary.state = "closed"
            summary.close_code, summary.close_reason = detail.get("code"), detail.get("reason")
            summary.ended = event.t
    return [out[k] for k in sorted(out)]


def format_events(events: Iterable[Event], t0: float | None = None) -> str:
    """The events as text, one a line, with times in ms relative to ``t0`` (the first)."""
    lines = []
    for event in events:
        if t0 is None:
            t0 = event.t
        lines.append(f"{(event.t - t0) * 1000:9.1f} ms  {event}")
    return "\n".join(lines)


class EventLog:
    """A thread-safe, bounded list of :class:`Event`, with waiting.

    Args:
        maxlen: keep at most this many events (the oldest go first).
    """

    def __init__(self, maxlen: int = EVENT_LOG_MAXLEN) -> None:
        self._events: deque[Event] = deque(maxlen=maxlen)
        self._cond = threading.Condition()
        self._seq = itertools.count()

    def add(self, conn_id: int | None, kind: str, **detail: Any) -> Event:
        """Append an event stamped with ``time.monotonic()`` and wake up waiters."""
        with self._cond:
            event = Event(time.monotonic(), conn_id, kind, detail, next(self._seq))
            self._events.append(event)
            self._cond.notify_all()
        return event

    def mark(self) -> int:
        """The ``seq`` of the newest event (-1 if none): pass it as ``after=`` later on."""
        with self._cond:
            return self._events[-1].seq if self._events else -1

    def snapshot(self) -> list[Event]:
        """A copy of the events, oldest first."""
        with self._cond:
            return list(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def connections(self) -> list[ConnectionSummary]:
        """One :class:`ConnectionSummary` per connection in the log."""
        return summarize(self.snapshot())

    def clear(self) -> None:
        """Forget every event (sequence numbers go on)."""
        with self._cond:
            self._events.clear()

    def find(self, kind: str | None = None, conn_id: int | None = None, *,
             match: Match = None, after: int = -1) -> list[Event]:
        """Every event with ``kind``, ``conn_id``, ``match`` and ``seq > after``."""
        with self._cond:
            return [e for e in self._events
                    if e.seq > after and e.matches(kind, conn_id, match)]

    def wait_for(self, kind: str, conn_id: int | None = None, *, timeout: float = 5.0,
                 match: Match = None, after: int = -1) -> Event:
        """The first event (oldest) with ``kind``, ``conn_id`` and ``match``, waiting for it.

        Events already in the log count, so there is no race with a fast server; pass
        ``after=event.seq`` to look only at events after one you already have.

        Args:
            kind: one of :data:`KINDS`.
            conn_id: only this connection (``None``: any).
            timeout: seconds to wait at most.
            match: detail values that must be equal (a mapping), or a predicate.
            after: only events with a larger ``seq``.
        Raises:
            TimeoutError: no such event within ``timeout``; the message lists what was seen.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self._events:
                    if event.seq > after and event.matches(kind, conn_id, match):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            seen = [e for e in self._events if conn_id is None or e.conn_id == conn_id]
        what = f"{kind!r} event" + (f" on connection #{conn_id}" if conn_id is not None else "")
        if match is not None:
            what += f" matching {match!r}"
        shown = "\n".join(f"  {e}" for e in seen[-SHOWN_ON_TIMEOUT:]) or "  (none)"
        more = f" (last {SHOWN_ON_TIMEOUT} of {len(seen)})" if len(seen) > SHOWN_ON_TIMEOUT \
            else ""
        raise TimeoutError(f"no {what} within {timeout:g} s; events seen{more}:\n{shown}")


# -- from the websockets log ---------------------------------------------------------------

_REJECTED = ("connection rejected (%d %s)", "HTTP response sent (%d %s)")


def frame_event(frame: WsFrame, incoming: bool) -> tuple[str, dict[str, Any]]:
    """The event of one frame received (``incoming``) or sent, as ``(kind, detail)``."""
    data = bytes(frame.data)
    if frame.opcode is Opcode.CLOSE:
        close = Close.parse(data) if data else None
        return ("close_recv" if incoming else "close_sent",
                {"code": int(close.code) if close else None,
                 "reason": close.reason if close else ""})
    if frame.opcode in (Opcode.PING, Opcode.PONG):
        return frame.opcode.name.lower(), {"direction": "in" if incoming else "out",
                                           "data": data}
    cut = data[:EVENT_DATA_LIMIT]
    detail: dict[str, Any] = {
        "opcode": {Opcode.TEXT: "text", Opcode.BINARY: "binary"}.get(frame.opcode,
                                                                     "continuation"),
        "fin": frame.fin, "rsv1": frame.rsv1, "length": len(data),
        "data": cut.decode("utf-8", "replace") if frame.opcode is Opcode.TEXT else cut}
    if len(data) > EVENT_DATA_LIMIT:
        detail["truncated"] = True
    return "recv" if incoming else "send", detail


def exception_detail(where: str, exc: BaseException | None) -> dict[str, Any]:
    """The detail of an "exception" event: where, type, message and traceback text."""
    if exc is None:
        return {"where": where, "type": None, "message": "", "traceback": ""}
    return {"where": where, "type": type(exc).__name__, "message": str(exc),
            "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}


def event_from_record(record: logging.LogRecord, conn: Any = None
                      ) -> tuple[str, dict[str, Any]] | None:
    """The event a ``websockets`` log record stands for, as ``(kind, detail)``, or ``None``.

    Args:
        record: a record from the logger given to ``websockets.asyncio.server.serve``.
        conn: the connection it is about (``record.websocket``), if any.
    """
    msg, args = record.msg, record.args
    if msg in ("< %s", "> %s") and isinstance(args, tuple) and args and isinstance(
            args[0], WsFrame):
        return frame_event(args[0], incoming=msg[0] == "<")
    request = getattr(conn, "request", None)
    path = request.path if request is not None else None
    if msg == "connection open" and conn is not None:
        response = conn.response
        return "open", {"path": path, "subprotocol": conn.subprotocol, "extensions":
                        response.headers.get("Sec-WebSocket-Extensions") if response else None}
    if msg in _REJECTED and isinstance(args, tuple):
        exc = conn.protocol.handshake_exc if conn is not None else None
        return "handshake_rejected", {"status": args[0], "reason": args[1], "path": path,
                                      "why": str(exc) if exc else None}
    if msg == "! no valid HTTP request":
        cause = record.exc_info[1] if record.exc_info else None
        return "handshake_rejected", {"status": None, "reason": None, "path": None,
                                      "why": f"did not receive a valid HTTP request: {cause}"}
    # The server logs a failed handler itself, before the close frame (see LabServer).
    if record.levelno >= logging.ERROR and msg != "connection handler failed":
        return "exception", exception_detail(str(msg), record.exc_info[1]
                                             if record.exc_info else None)
    return None
