"""What every scenario runs in: a server, a tap in front of it, clients, and teardown.

A scenario runs its own :class:`~wslab.live.LabServer` (a free port) behind its own
:class:`~wslab.live.Tap`, so the transcript shows every byte. :class:`Lab` starts both,
hands out clients that go through the tap, and tears everything down in any case;
:meth:`Lab.result` waits (bounded) for the connections to end and turns what was seen
into a :class:`~wslab.scenarios.ScenarioResult` named after the scenario: each side's
close as it reports it, the close frames the tap saw and delivered, the server's log, the
transcript, timings. The registry's runner creates the lab knowing the scenario's name
(see :class:`LabFactory`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from websockets.sync.client import ClientConnection

from ..codec import CloseCode, Transcript, TranscriptEntry
from ..live import (
    Event,
    EventLog,
    FrameHook,
    LabServer,
    RawClient,
    Tap,
    connect,
    event_from_record,
)
from ._result import Closing, ScenarioError, ScenarioResult
from ._result import format_close as _fmt

LOOPBACK = "127.0.0.1"
CLOSE_TIMEOUT = 2.0  # seconds a closing handshake may take, at most (less if ``timeout`` is)

LabFactory = Callable[..., "Lab"]  # what a scenario is handed: makes its Lab, named after it
"""What a scenario function gets first: ``new_lab(timeout=..., **server)`` makes a
:class:`Lab` that already knows the scenario's name."""


def _closing(value: Any) -> Closing | None:
    return None if value is None else (value[0], value[1])


class _ClientRecorder(logging.Handler):
    """Turns a websockets client's log records into events (and keeps them off stderr)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.log = EventLog()
        self.ids: dict[int, int] = {}
        self.logger = logging.Logger("wslab.scenarios.client", logging.DEBUG)  # unregistered
        self.logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # recording must never break the client
            conn = getattr(record, "websocket", None)
            cid = None if conn is None else self.ids.setdefault(id(conn), len(self.ids) + 1)
            found = event_from_record(record, conn)
            if found is not None:
                self.log.add(cid, found[0], **found[1])


def raw_close(raw: RawClient) -> Closing:
    """A raw client's close code as RFC 6455 §7.1.5 defines it (1005: no code, 1006: none)."""
    frame = raw.close_received
    payload = frame.close_payload if frame is not None else None
    if frame is None or payload is None:
        return (CloseCode.ABNORMAL_CLOSURE, "")
    return (CloseCode.NO_STATUS_RCVD if payload.code is None else payload.code, payload.reason)


def _delivered_close(entries: list[TranscriptEntry], direction: str) -> Closing | None:
    for e in entries:
        if e.direction == direction and e.opcode_name == "close" and e.t_forwarded is not None:
            fd = e.frame_dissection
            assert fd is not None
            return (fd.close_code, fd.close_reason or "")
    return None


def _reported(frame: Closing | None) -> Closing:
    """The §7.1.5 close code a side reports after receiving ``frame``."""
    if frame is None:
        return (CloseCode.ABNORMAL_CLOSURE, "")
    return (CloseCode.NO_STATUS_RCVD if frame[0] is None else frame[0], frame[1])


class Lab:
    """A LabServer with a Tap in front of it, and the clients of one scenario.

    Use it as a context manager: whatever happens inside, clients, tap and server are
    closed and stopped on the way out, every step bounded by ``timeout``.

    Args:
        name: the scenario's name, given to the result (the registry's runner passes it).
        timeout: seconds any single wait may last.
        delay: the tap's delay per direction (``{"s2c": 0.3}``), see :class:`Tap`.
        intercept: the tap's frame hook (drop, inject or rewrite frames in flight).
        server: keyword arguments for :class:`LabServer` (``ping_interval``...).
    """

    def __init__(self, name: str, *, timeout: float = 5.0,
                 delay: dict[str, float] | None = None, intercept: FrameHook | None = None,
                 **server: Any) -> None:
        self.name = name
        self.timeout = timeout
        server.setdefault("close_timeout", min(CLOSE_TIMEOUT, timeout))
        server.setdefault("open_timeout", timeout)
        self.server = LabServer(start_timeout=timeout, **server)
        self._delay = delay
        self._intercept = intercept
        self.tap: Tap | None = None
        self.started = time.monotonic()
        self._closers: list[Callable[[], Any]] = []
        self._recorder = _ClientRecorder()

    def __enter__(self) -> Lab:
        try:
            self.server.start()
            self.tap = Tap(LOOPBACK, self.server.port, delay=self._delay,
                           connect_timeout=self.timeout,
                           intercept=self._intercept).start(self.timeout)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Tear down; an unexpected error becomes a :class:`ScenarioError` with the record."""
        if exc is None or isinstance(exc, ScenarioError) or not isinstance(exc, Exception):
            self.close(raise_errors=exc is None)
            return
        try:
            recorded = self.snapshot()
        except Exception:
            recorded = (None, [])
        self.close()
        raise ScenarioError(f"{type(exc).__name__}: {exc}", *recorded) from exc

    def close(self, raise_errors: bool = False) -> None:
        """Close the clients, stop the tap and the server (each step bounded)."""
        errors: list[BaseException] = []
        steps = [*reversed(self._closers)]
        if self.tap is not None:
            steps.append(lambda: self.tap.stop(self.timeout))  # type: ignore[union-attr]
        steps.append(lambda: self.server.stop(self.timeout))
        self._closers = []
        for step in steps:
            try:
                step()
            except Exception as exc:
                errors.append(exc)
        if errors and raise_errors:
            raise errors[0]

    # -- clients -----------------------------------------------------------------------

    def url(self, path: str) -> str:
        """The URL of ``path`` through the tap."""
        assert self.tap is not None, "the lab is not started"
        return self.tap.url_for(path)

    def connect(self, path: str, **kwargs: Any) -> ClientConnection:
        """A websockets client through the tap (keepalive off unless asked), closed at exit.

        Raises:
            websockets.exceptions.InvalidHandshake, OSError, TimeoutError: as ``connect``.
        """
        kwargs.setdefault("open_timeout", self.timeout)
        kwargs.setdefault("close_timeout", min(CLOSE_TIMEOUT, self.timeout))
        ws = connect(self.url(path), logger=self._recorder.logger, **kwargs)
        self._closers.append(ws.close)
        return ws

    def raw(self, **kwargs: Any) -> RawClient:
        """A connected :class:`RawClient` through the tap, dropped at exit."""
        assert self.tap is not None, "the lab is not started"
        raw = RawClient(LOOPBACK, self.tap.port, timeout=self.timeout, **kwargs)
        self._closers.append(raw.abort)
        return raw.connect()

    @staticmethod
    def ws_close(ws: ClientConnection) -> Closing | None:
        """Close ``ws`` (bounded by its close_timeout) and return its §7.1.5 close code."""
        ws.close()
        if ws.close_code is None:
            return None
        return (int(ws.close_code), ws.close_reason or "")

    # -- the result --------------------------------------------------------------------

    def wait_closed(self, timeout: float | None = None) -> list[str]:
        """Wait until the server saw every connection end; return what did not in time."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        late = []
        for event in self.server.log.find("connect"):
            try:
                self.server.wait_for("closed", event.conn_id,
                                     timeout=max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                late.append(f"server connection #{event.conn_id} had not ended after "
                            f"{self.timeout:g} s")
        return late

    def snapshot(self) -> tuple[Transcript | None, list[Event]]:
        """What was recorded so far (for a :class:`ScenarioError`)."""
        return (self.tap.transcript() if self.tap is not None else None), self.server.events

    def fail(self, message: str) -> ScenarioError:
        """A :class:`ScenarioError` carrying what was recorded so far (to raise)."""
        return ScenarioError(message, *self.snapshot())

    def result(self, title: str, explanation: str, rfc: str, *,
               client_close: Closing | None = None, conn_id: int = 1, settle: bool = True,
               timings: dict[str, float] | None = None,
               extra: dict[str, Any] | None = None) -> ScenarioResult:
        """Wait for the connections to end, stop the tap, and build the result.

        Args:
            title, explanation, rfc: see :class:`ScenarioResult` (its name is the lab's).
            client_close: the client's close as its library (or raw bytes) reports it.
            conn_id: the connection (tap numbering, from 1) the closes are about.
            settle: wait (bounded) for every connection to end first; ``False`` when the
                tap holds bytes on purpose (they are then reported as never delivered).
        """
        notes = self.wait_closed() if settle else []
        assert self.tap is not None
        if settle:
            with contextlib.suppress(TimeoutError):
                self.tap.wait_for(lambda t: all(not c.open for c in t.connections),
                                  timeout=self.timeout)
        self.tap.stop(self.timeout)
        transcript, events = self.tap.transcript(), self.server.events
        result = ScenarioResult(self.name, title, explanation, rfc, client_close=client_close,
                                transcript=transcript, events=events,
                                client_events=self._recorder.log.snapshot(),
                                timings=dict(timings or {}), extra=dict(extra or {}),
                                conn_id=conn_id, notes=notes)
        _fill_from_wire(result, conn_id)
        _cross_check(result, _server_conn(events, transcript, conn_id))
        _check_client(result)
        result.timings["total"] = time.monotonic() - self.started
        return result


def _server_conn(events: list[Event], transcript: Transcript, conn_id: int) -> int | None:
    """The server's number for the tap's connection ``conn_id`` (same order of arrival)."""
    ours = [e.conn_id for e in events if e.kind == "connect"]
    taps = transcript.connection_ids()
    if conn_id not in taps or taps.index(conn_id) >= len(ours):
        return None
    return ours[taps.index(conn_id)]


def _fill_from_wire(result: ScenarioResult, conn_id: int) -> None:
    """Close frames, HTTP status and timings of one connection, from the transcript."""
    tr = result.transcript.for_connection(conn_id)
    entries = tr.entries
    sent = {d: tr.first_close(d) for d in ("c2s", "s2c")}  # type: ignore[arg-type]
    result.client_sent_close = None if sent["c2s"] is None else (
        sent["c2s"].code, sent["c2s"].reason or "")
    result.server_sent_close = None if sent["s2c"] is None else (
        sent["s2c"].code, sent["s2c"].reason or "")
    result.client_received_close = _delivered_close(entries, "s2c")
    result.server_received_close = _delivered_close(entries, "c2s")
    result.http_status = tr.http_status()
    http = {e.direction: e for e in entries if e.kind == "http"}
    closes = sorted((c for c in sent.values() if c is not None), key=lambda c: c.t)
    ended = [e.t for e in entries if e.event is not None and e.event.kind == "closed"]
    if "c2s" in http and "s2c" in http:
        result.timings["handshake"] = http["s2c"].t - http["c2s"].t
    if closes:
        first = closes[0]
        result.extra.setdefault("first_close_by",
                                "client" if first.direction == "c2s" else "server")
        if "s2c" in http:
            result.timings["time_to_close"] = first.t - http["s2c"].t
        if len(closes) == 2:
            result.timings["closing_handshake"] = closes[1].t - first.t
        if ended:
            result.timings["close_to_tcp_end"] = ended[0] - first.t


def _cross_check(result: ScenarioResult, server_id: int | None) -> None:
    """Set ``server_close`` from the server's log and check it against the transcript."""
    problems, notes = result.discrepancies, result.notes
    closed = next((e for e in result.events if e.kind == "closed"
                   and e.conn_id == server_id), None) if server_id is not None else None
    if closed is None:
        if server_id is not None:
            problems.append(f"the server logged no end for its connection #{server_id}")
        return
    d = closed.detail
    if d.get("opened"):
        result.server_close = (d["code"], d["reason"] or "")
    log_sent, log_rcvd = _closing(d.get("sent")), _closing(d.get("rcvd"))
    if log_sent != result.server_sent_close:
        problems.append(f"the server's log says it sent close {_fmt(log_sent)}; the tap saw "
                        f"{_fmt(result.server_sent_close)}")
    wire = result.server_received_close
    if log_rcvd is not None and log_rcvd != wire:
        problems.append(f"the server's log says it received close {_fmt(log_rcvd)}; the tap "
                        f"delivered {_fmt(wire)}")
    if log_rcvd is None and wire is not None:
        notes.append(f"the client's close frame {_fmt(wire)} reached the server, which did "
                     f"not process it: it had already failed the connection (RFC 6455 "
                     f"§7.1.7: no further data is processed) or closed it")


def _check_client(result: ScenarioResult) -> None:
    """Check the client's reported close against the close frame delivered to it."""
    if result.client_close is None:
        return
    got = result.client_received_close
    if result.client_close[0] == CloseCode.ABNORMAL_CLOSURE and got is not None:
        result.notes.append(f"the server's close frame {_fmt(got)} reached the client, which "
                            f"did not process it and reports 1006")
    elif result.client_close != _reported(got):
        result.discrepancies.append(f"the client reports {_fmt(result.client_close)}; the "
                                    f"tap delivered {_fmt(got)} to it")
