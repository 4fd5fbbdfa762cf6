"""The result of a scenario: both sides' closes, the transcript, the log and timings.

Plain data with four faces: ``str()`` (a summary and the sequence diagram),
``_repr_html_()`` (a summary table and the transcript, compact, for Jupyter),
:meth:`ScenarioResult.summary_line` (one line) and ``to_dict()`` (JSON-friendly). Built
by :meth:`wslab.scenarios.Lab.result`. :func:`summary_table` puts several results
side by side.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..codec import Transcript
from ..live import Event
from ..view import sequence_diagram, transcript_html

_CELL = "padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top"

Closing = tuple[int | None, str]  # a close frame as seen: (code or None, reason)
"""A close as ``(code, reason)``; code ``None``: a close frame with no code."""


def format_close(close: Closing | None) -> str:
    """``1011 'keepalive ping timeout'``, ``1000``, or ``—`` for no close."""
    if close is None:
        return "—"
    code, reason = close
    text = "no status code" if code is None else str(code)
    return f"{text} {reason!r}" if reason else text


def _code(close: Closing | None) -> str:
    """Just the code: ``1011``, ``no status code``, ``—``."""
    return format_close(None if close is None else (close[0], ""))


def plain(value: Any) -> Any:
    """``value`` as JSON-friendly data: bytes as hex, tuples as lists, objects by to_dict()."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex(" ")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return plain(to_dict())
    return str(value)


@dataclass(repr=False)
class ScenarioResult:
    """What one scenario showed, from both sides and from the wire.

    Closes are ``(code, reason)``. ``client_close`` and ``server_close`` are *The WebSocket
    Connection Close Code* (RFC 6455 §7.1.5) as each side reports it: the code of the
    close frame it received, 1005 if that frame had none, 1006 if none arrived (``None``:
    no WebSocket connection, e.g. a refused handshake). The ``*_sent_close`` and
    ``*_received_close`` fields come from the tap's transcript: the first close frame each
    side sent, and the first one the tap delivered to it (``None``: none, i.e. 1006).

    Attributes:
        name, title: the scenario's name (as in ``SCENARIOS``) and a heading.
        explanation: what it shows, citing RFC 6455 and what websockets does.
        rfc: the sections it is about.
        client_close, server_close: each side's close code and reason, as it reports it
            (the server's from its event log, the client's from its library or raw bytes).
        client_received_close, server_received_close: the close frame delivered to it.
        client_sent_close, server_sent_close: the close frame it sent (delivered or not).
        http_status: the handshake response status (101, or the refusal's).
        transcript: every byte both ways, dissected (all connections of the scenario).
        events: the server's event log.
        client_events: the websockets client's own log (frames, errors), if one was used.
        timings: named durations in seconds (``time_to_close``: 101 to the first close
            frame; ``closing_handshake``: first close frame to the answer; ...).
        extra: what is particular to the scenario (RTT samples, the HTTP answer...).
        conn_id: the connection (tap numbering) the closes are about.
        discrepancies: where the server's log and the transcript disagree (should be none).
        notes: observations from that cross-check (e.g. a close frame that arrived after
            the server had failed the connection, and was ignored).
    """

    name: str
    title: str
    explanation: str
    rfc: str
    client_close: Closing | None = None
    server_close: Closing | None = None
    client_received_close: Closing | None = None
    server_received_close: Closing | None = None
    client_sent_close: Closing | None = None
    server_sent_close: Closing | None = None
    http_status: int | None = None
    transcript: Transcript = field(default_factory=lambda: Transcript([]))
    events: list[Event] = field(default_factory=list)
    client_events: list[Event] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    conn_id: int | None = None
    discrepancies: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    HEAD_ROWS: ClassVar[int] = 40  # transcript rows shown in a notebook: the first ones...
    TAIL_ROWS: ClassVar[int] = 10  # ... and the last ones
    DETAIL_BUDGET: ClassVar[int] = 50_000  # characters of unfolding dissections shown

    def summary_rows(self) -> list[tuple[str, str]]:
        """``(label, value)`` rows of the summary (text and HTML)."""
        rows = [("RFC", self.rfc)]
        if self.http_status is not None:
            rows.append(("HTTP status", str(self.http_status)))
        for side, other in (("client", "server"), ("server", "client")):
            close, sent, got = (getattr(self, f"{side}_{what}close")
                                for what in ("", "sent_", "received_"))
            rows += [(f"{side} reports", format_close(close)),
                     (f"{side} sent close frame", format_close(sent)),
                     (f"{side} received close frame (from the {other})", format_close(got))]
        rows += [(name, f"{value * 1000:.1f} ms") for name, value in self.timings.items()]
        rows += [("note", note) for note in self.notes]
        rows += [("DISCREPANCY", d) for d in self.discrepancies]
        return rows

    def __str__(self) -> str:
        width = max(len(label) for label, _ in self.summary_rows())
        lines = [f"{self.name}: {self.title}", textwrap.fill(self.explanation, 90), ""]
        lines += [f"{label:<{width}}  {value}" for label, value in self.summary_rows()]
        return "\n".join([*lines, "", sequence_diagram(self.transcript)])

    def __repr__(self) -> str:
        return (f"<ScenarioResult {self.name}: client {format_close(self.client_close)}, "
                f"server {format_close(self.server_close)}, http {self.http_status}>")

    def summary_line(self) -> str:
        """One line: who sent which close frame, what the other side did, what each reports.

        e.g. ``<name>: server sent 1011 'keepalive ping timeout', client
        received it and echoed it; client reports 1011, server reports 1006``.
        """
        if self.client_close is None and self.server_close is None and \
                self.client_sent_close is None and self.server_sent_close is None:
            status = "no HTTP response" if self.http_status is None else \
                f"HTTP {self.http_status}"
            return f"{self.name}: {status}, no WebSocket connection, no close frame"
        by = self.extra.get("first_close_by")
        if by not in ("client", "server"):
            story = "no close frame either way"
        else:
            other = "server" if by == "client" else "client"
            sent = getattr(self, f"{by}_sent_close")
            got = getattr(self, f"{other}_received_close")
            answer = getattr(self, f"{other}_sent_close")
            story = f"{by} sent {format_close(sent)}, {other} "
            story += "received it" if got == sent else "never received it"
            if answer is not None:
                story += " and echoed it" if answer == sent else \
                    f" and answered {format_close(answer)}"
                if getattr(self, f"{by}_received_close") is None:
                    story += " (never delivered)"
        client, server = _code(self.client_close), _code(self.server_close)
        reports = f"both report {client}" if client == server else \
            f"client reports {client}, server reports {server}"
        return f"{self.name}: {story}; {reports}"

    def _repr_html_(self) -> str:
        """Summary table, then the transcript: compact, capped, every row unfolds."""
        rows = "".join(f"<tr><th style='{_CELL}'>{html.escape(label)}</th>"
                       f"<td style='{_CELL}'>{html.escape(value)}</td></tr>"
                       for label, value in self.summary_rows())
        transcript = transcript_html(self.transcript, compact=True, head=self.HEAD_ROWS,
                                     tail=self.TAIL_ROWS, budget=self.DETAIL_BUDGET,
                                     name="result.transcript")
        return (f"<div class='wslab'><h4>{html.escape(self.name)}: {html.escape(self.title)}"
                f"</h4><p>{html.escape(self.explanation)}</p>"
                f"<p style='font-family:monospace'>{html.escape(self.summary_line())}</p>"
                f"<table style='border-collapse:collapse'>{rows}</table>{transcript}</div>")

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-friendly data (the transcript as one dict per entry)."""
        t0 = self.transcript.t0 or (self.events[0].t if self.events else 0.0)
        return plain({
            "name": self.name, "title": self.title, "explanation": self.explanation,
            "rfc": self.rfc, "conn_id": self.conn_id,
            **{f: getattr(self, f) for f in (
                "client_close", "server_close", "client_received_close",
                "server_received_close", "client_sent_close", "server_sent_close",
                "http_status", "timings", "extra", "discrepancies", "notes")},
            "transcript": [{"t": e.t - t0, "conn_id": e.conn_id, "direction": e.direction,
                            "kind": e.kind, "summary": e.summary}
                           for e in self.transcript.entries],
            "events": [_event_dict(e, t0) for e in self.events],
            "client_events": [_event_dict(e, t0) for e in self.client_events],
        })


def _event_dict(event: Event, t0: float) -> dict[str, Any]:
    detail = {k: v for k, v in event.detail.items() if k != "traceback"}
    return {"t": event.t - t0, "conn_id": event.conn_id, "kind": event.kind, "detail": detail}


SUMMARY_COLUMNS = ("scenario", "HTTP", "first close frame", "answer", "client reports",
                   "server reports")
"""The column headings of a :class:`SummaryTable`."""


def _summary_row(r: ScenarioResult) -> tuple[str, ...]:
    by = r.extra.get("first_close_by")
    first = answer = "—"
    if by in ("client", "server"):
        other = "server" if by == "client" else "client"
        first = f"{by}: {format_close(getattr(r, f'{by}_sent_close'))}"
        sent = getattr(r, f"{other}_sent_close")
        if sent is not None:
            answer = f"{other}: {format_close(sent)}"
            if getattr(r, f"{by}_received_close") is None:
                answer += " (never delivered)"
    return (r.name, "—" if r.http_status is None else str(r.http_status), first, answer,
            _code(r.client_close), _code(r.server_close))


@dataclass
class SummaryTable:
    """Scenario results side by side, one row each (see :func:`summary_table`).

    Attributes:
        results: the results, in the order given.
        columns: the column headings.
        rows: one tuple of strings per result.
    """

    results: list[ScenarioResult]
    columns: tuple[str, ...] = SUMMARY_COLUMNS
    rows: list[tuple[str, ...]] = field(default_factory=list)

    def __str__(self) -> str:
        table = [self.columns, *self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(self.columns))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                         .rstrip() for row in table)

    def __repr__(self) -> str:
        return f"<SummaryTable: {len(self.rows)} scenarios>"

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='{_CELL}'>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(
            f"<td style='{_CELL}{';font-family:monospace' if i else ''}'>{html.escape(cell)}"
            f"</td>" for i, cell in enumerate(row)) + "</tr>" for row in self.rows)
        return (f"<div class='wslab' style='font-family:sans-serif;font-size:13px'>"
                f"<table style='border-collapse:collapse'><tr>{head}</tr>{body}</table></div>")

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": [list(row) for row in self.rows]}


def summary_table(results: Iterable[ScenarioResult] | Mapping[Any, ScenarioResult]
                  ) -> SummaryTable:
    """Results side by side: the first close frame, its answer, what each side reports.

    Args:
        results: scenario results, or a dict of them (its values are used).
    """
    items = list(results.values() if isinstance(results, Mapping) else results)
    return SummaryTable(items, SUMMARY_COLUMNS, [_summary_row(r) for r in items])


class ScenarioError(RuntimeError):
    """A scenario could not run to its end; what was recorded so far is attached.

    Attributes:
        transcript: the tap's transcript up to the failure (``None`` if there was no tap).
        events: the server's event log up to the failure.
    """

    def __init__(self, message: str, transcript: Transcript | None = None,
                 events: list[Event] | None = None) -> None:
        super().__init__(message)
        self.transcript, self.events = transcript, events or []
