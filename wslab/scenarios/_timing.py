"""Measurements as plain data: round-trip times, keepalive timelines, close timings.

Pure functions of what a scenario recorded (a :class:`~wslab.codec.Transcript`,
the server's :class:`~wslab.live.Event` list) or of a few numbers, returning plain
data (dataclasses, tuples, seconds) to print, tabulate or plot. The one exception,
:func:`keepalive_experiment`, runs the keepalive scenario through a delay: predict,
then measure::

    prediction = predict_keepalive(0.5, ping_interval=0.2, ping_timeout=0.3)
    run = keepalive_experiment(0.5, ping_interval=0.2, ping_timeout=0.3)
    for row in run.comparison: print(row)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from ..codec import CloseCode, Transcript
from ..live import Event
from ._keepalive import delayed_keepalive
from ._result import ScenarioResult, format_close

KEEPALIVE_REASON = "keepalive ping timeout"  # websockets' close reason
KEEPALIVE_CLOSE = (CloseCode.INTERNAL_ERROR, KEEPALIVE_REASON)  # what websockets sends


# -- round-trip times --------------------------------------------------------------------


@dataclass(frozen=True)
class RttSamples:
    """Round-trip times in seconds, with their summary.

    Args:
        values: the samples (seconds, each finite and >= 0), in the order measured.
    Raises:
        ValueError: a sample is negative or not a finite number.
    """

    values: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        values = tuple(float(v) for v in self.values)
        bad = [v for v in values if not math.isfinite(v) or v < 0]
        if bad:
            raise ValueError(f"a round-trip time is a finite number of seconds >= 0, "
                             f"not {bad[0]!r}")
        object.__setattr__(self, "values", values)

    @classmethod
    def from_transcript(cls, transcript: Transcript) -> RttSamples:
        """Every ping to its pong in ``transcript``, as the tap saw them."""
        return cls(tuple(transcript.ping_rtts()))

    def __len__(self) -> int:
        return len(self.values)

    def __iter__(self) -> Iterator[float]:
        return iter(self.values)

    @property
    def min(self) -> float | None:
        return min(self.values) if self.values else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def max(self) -> float | None:
        return max(self.values) if self.values else None

    @property
    def ms(self) -> tuple[float, ...]:
        """The samples in milliseconds."""
        return tuple(v * 1000 for v in self.values)

    def to_dict(self) -> dict[str, Any]:
        return {"count": len(self), "min": self.min, "median": self.median, "max": self.max,
                "values": list(self.values)}

    def __str__(self) -> str:
        if not self.values:
            return "no samples"
        return (f"{len(self)} sample{'s' if len(self) > 1 else ''}: min "
                f"{self.min * 1000:.2f} ms, median {self.median * 1000:.2f} ms, "  # type: ignore[operator]
                f"max {self.max * 1000:.2f} ms")  # type: ignore[operator]


# -- keepalive ---------------------------------------------------------------------------


class TimelineEvent(NamedTuple):
    """One moment of a keepalive timeline.

    Attributes:
        t: seconds since the server opened the connection.
        event: "open", "ping sent", "ping delivered", "pong sent", "pong received",
            "close sent", "close delivered", "close received", "close never delivered",
            "exception" or "tcp closed".
        side: who did it or got it: "server" (its log), "client" (the tap's view of the
            client: what it sent, what the tap delivered to it) or "tap".
        detail: e.g. the ping payload in hex, or ``1011 'keepalive ping timeout'``.
        close: for close events, ``(code, reason)`` (code ``None``: the frame had none).
    """

    t: float
    event: str
    side: str
    detail: str = ""
    close: tuple[int | None, str] | None = None


_SERVER_EVENTS = {("ping", "out"): "ping sent", ("ping", "in"): "ping received",
                  ("pong", "in"): "pong received", ("pong", "out"): "pong sent"}
_CLIENT_SENDS = {"ping": "ping sent", "pong": "pong sent", "close": "close sent"}
_CLIENT_GETS = {"ping": "ping delivered", "pong": "pong received", "close": "close delivered"}


def _server_event(e: Event, t0: float) -> TimelineEvent | None:
    d = e.detail
    if e.kind in ("ping", "pong"):
        name = _SERVER_EVENTS[(e.kind, d.get("direction"))]
        return TimelineEvent(e.t - t0, name, "server", bytes(d.get("data", b"")).hex(" "))
    if e.kind in ("close_sent", "close_recv"):
        close = (d.get("code"), d.get("reason") or "")
        return TimelineEvent(e.t - t0, "close sent" if e.kind == "close_sent" else
                             "close received", "server", format_close(close), close)
    simple = {"open": ("open", str(d.get("path", ""))),
              "exception": ("exception", f"{d.get('type')}: {d.get('message')}"),
              "closed": ("tcp closed", f"the server reports {d.get('code')}")}
    if e.kind in simple:
        name, detail = simple[e.kind]
        return TimelineEvent(e.t - t0, name, "server", detail)
    return None


def keepalive_timeline(transcript: Transcript, events: Sequence[Event], *,
                       conn_id: int | None = None) -> list[TimelineEvent]:
    """When pings went out, pongs came back, and the connection closed, in time order.

    Merges the server's log (what it sent and received, and when) with the tap's
    transcript (what the client sent, and when the tap delivered the server's frames
    to the client). All times are ``time.monotonic()`` readings in one process, so they
    compare; they are returned relative to the server's "open" event.

    Args:
        transcript: the tap's transcript.
        events: the server's event log.
        conn_id: the server's connection (default: the first one opened); the tap's
            connection is the one that arrived in the same position.
    """
    if conn_id is None:
        conn_id = next((e.conn_id for e in events if e.kind == "open"), None)
    mine = [e for e in events if e.conn_id == conn_id and conn_id is not None]
    if not mine:
        return []
    t0 = next((e.t for e in mine if e.kind == "open"), mine[0].t)
    out = [te for e in mine if (te := _server_event(e, t0)) is not None]
    arrivals = [e.conn_id for e in events if e.kind == "connect"]
    taps = transcript.connection_ids()
    position = arrivals.index(conn_id) if conn_id in arrivals else -1
    if 0 <= position < len(taps):
        for e in transcript.for_connection(taps[position]).entries:
            out += _tap_events(e, t0)
    return sorted(out, key=lambda te: te.t)


def _tap_events(e: Any, t0: float) -> list[TimelineEvent]:
    fd = e.frame_dissection
    if e.kind == "tcp" and e.event is not None and e.event.kind in ("cut", "reset"):
        return [TimelineEvent(e.t - t0, f"tcp {e.event.kind}", "tap", e.summary)]
    if fd is None or e.opcode_name not in _CLIENT_SENDS:
        return []
    op = e.opcode_name
    close = (fd.close_code, fd.close_reason or "") if op == "close" else None
    detail = format_close(close) if close is not None else fd.frame.payload.hex(" ")
    if e.direction == "c2s":
        return [TimelineEvent(e.t - t0, _CLIENT_SENDS[op], "client", detail, close)]
    if e.t_forwarded is not None:
        return [TimelineEvent(e.t_forwarded - t0, _CLIENT_GETS[op], "client", detail, close)]
    return [TimelineEvent(e.t - t0, f"{op} never delivered", "tap", detail, close)]


def format_timeline(timeline: Iterable[TimelineEvent]) -> str:
    """The timeline as text, one event a line, times in ms."""
    return "\n".join(f"{te.t * 1000:9.1f} ms  {te.side:<6}  {te.event:<22} {te.detail}".rstrip()
                     for te in timeline)


@dataclass(frozen=True)
class KeepalivePrediction:
    """What should happen to a connection whose keepalive round trip takes ``rtt``.

    Times are seconds since the server opened the connection. Attributes:
        rtt: the expected keepalive round trip (the tap's delay; twice for "both").
        times_out: whether the server closes with 1011 "keepalive ping timeout".
        pings, pongs: when the server sends pings and gets pongs (the first ``pings``).
        close_at: when the server sends its close frame (``None``: it does not).
        client_sees_close_at: when that frame reaches the client (after the delay).
        close: the close ``(code, reason)`` the server sends, if any.
        margin: ``ping_timeout - rtt``; near 0 it can go either way.
        explanation: the reasoning, in words.
    """

    delay: float
    ping_interval: float
    ping_timeout: float | None
    direction: str
    rtt: float
    times_out: bool
    pings: tuple[float, ...]
    pongs: tuple[float, ...]
    close_at: float | None
    client_sees_close_at: float | None
    close: tuple[int, str] | None
    margin: float | None
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def predict_keepalive(delay: float, ping_interval: float, ping_timeout: float | None, *,
                      direction: str = "s2c", pings: int = 3) -> KeepalivePrediction:
    """What websockets' server keepalive does when the tap delays ``direction`` by ``delay``.

    websockets sleeps ``ping_interval - latency`` after each pong, so a ping goes every
    ``max(ping_interval, rtt)`` seconds; if a pong has not come ``ping_timeout`` seconds
    after its ping, the server fails the connection with 1011 "keepalive ping timeout".

    Args:
        delay: seconds the tap holds each chunk.
        ping_interval, ping_timeout: the server's keepalive settings (``ping_timeout``
            ``None``: never times out).
        direction: "s2c", "c2s" or "both" (the round trip is then twice the delay).
        pings: how many pings to predict when nothing times out.
    Raises:
        ValueError: a negative delay, a ping_interval that is not > 0, an unknown direction.
    """
    if direction not in ("s2c", "c2s", "both"):
        raise ValueError(f"direction is 's2c', 'c2s' or 'both', not {direction!r}")
    if delay < 0 or ping_interval <= 0 or (ping_timeout is not None and ping_timeout <= 0):
        raise ValueError("delay must be >= 0, ping_interval and ping_timeout > 0")
    rtt = delay * (2 if direction == "both" else 1)
    times_out = ping_timeout is not None and rtt > ping_timeout
    first = ping_interval
    if times_out:
        assert ping_timeout is not None
        close_at = first + ping_timeout
        seen = close_at + (delay if direction in ("s2c", "both") else 0.0)
        return KeepalivePrediction(
            delay, ping_interval, ping_timeout, direction, rtt, True, (first,), (), close_at,
            seen, KEEPALIVE_CLOSE, ping_timeout - rtt,
            f"The round trip ({rtt:g} s) is longer than ping_timeout ({ping_timeout:g} s): "
            f"the first ping goes at {first:g} s, its pong would be back at "
            f"{first + rtt:g} s, but the server gives up at {close_at:g} s and closes with "
            f"1011 '{KEEPALIVE_REASON}'; the client gets that close frame at {seen:g} s.")
    period = max(ping_interval, rtt)
    times = tuple(first + k * period for k in range(pings))
    limit = "no ping_timeout" if ping_timeout is None else f"ping_timeout ({ping_timeout:g} s)"
    return KeepalivePrediction(
        delay, ping_interval, ping_timeout, direction, rtt, False, times,
        tuple(t + rtt for t in times), None, None, None,
        None if ping_timeout is None else ping_timeout - rtt,
        f"The round trip ({rtt:g} s) is within {limit}: every pong comes back in time and "
        f"the connection stays open; a ping goes every {period:g} s "
        f"(max of ping_interval and the round trip).")


@dataclass(frozen=True)
class KeepaliveMeasurement:
    """What a keepalive timeline shows (seconds since the server opened the connection).

    Attributes:
        pings, pongs: when the server sent pings and received pongs.
        rtts: each ping to its pong, the server's view.
        close_at: when the server sent its first close frame (``None``: it did not),
            whoever started the closing handshake.
        close: that frame's ``(code, reason)``.
        timed_out: it was websockets' 1011 "keepalive ping timeout".
    """

    pings: tuple[float, ...]
    pongs: tuple[float, ...]
    rtts: RttSamples
    close_at: float | None
    close: tuple[int | None, str] | None
    timed_out: bool

    @property
    def timeout_at(self) -> float | None:
        """When the server closed with 1011 "keepalive ping timeout" (``None``: it did not)."""
        return self.close_at if self.timed_out else None

    def to_dict(self) -> dict[str, Any]:
        return {"pings": list(self.pings), "pongs": list(self.pongs),
                "rtts": self.rtts.to_dict(), "close_at": self.close_at,
                "close": None if self.close is None else list(self.close),
                "timed_out": self.timed_out, "timeout_at": self.timeout_at}


def measure_keepalive(timeline: Sequence[TimelineEvent]) -> KeepaliveMeasurement:
    """The server's pings, pongs and close in ``timeline`` (see :func:`keepalive_timeline`)."""
    server = [te for te in timeline if te.side == "server"]
    pings = [te for te in server if te.event == "ping sent"]
    pongs = [te for te in server if te.event == "pong received"]
    rtts = []
    for ping_ in pings:
        pong = next((p for p in pongs if p.detail == ping_.detail and p.t >= ping_.t), None)
        if pong is not None:
            rtts.append(pong.t - ping_.t)
    close = next((te for te in server if te.event == "close sent"), None)
    sent = None if close is None else close.close
    return KeepaliveMeasurement(
        tuple(te.t for te in pings), tuple(te.t for te in pongs), RttSamples(tuple(rtts)),
        None if close is None else close.t, sent, sent == KEEPALIVE_CLOSE)


class Comparison(NamedTuple):
    """One quantity, predicted and measured (seconds, or a yes/no)."""

    what: str
    predicted: Any
    measured: Any
    agrees: bool


def compare_keepalive(prediction: KeepalivePrediction, measurement: KeepaliveMeasurement, *,
                      slack: float = 0.1) -> list[Comparison]:
    """Prediction against measurement, quantity by quantity.

    Args:
        slack: seconds a measured time may be later than predicted (scheduling, the
            tap's own hops) and still agree; earlier by at most a tenth of it.
    """
    def near(p: float | None, m: float | None) -> bool:
        if p is None or m is None:
            return p is m
        return -slack / 10 <= m - p <= slack

    rows = [Comparison("times out (1011)", prediction.times_out, measurement.timed_out,
                       prediction.times_out == measurement.timed_out),
            Comparison("1011 sent at (s)", prediction.close_at, measurement.timeout_at,
                       near(prediction.close_at, measurement.timeout_at))]
    for k, (p, m) in enumerate(zip(prediction.pings, measurement.pings, strict=False)):
        rows.append(Comparison(f"ping {k + 1} at (s)", p, m, near(p, m)))
    median = measurement.rtts.median
    if median is not None:
        rows.append(Comparison("round trip (s)", prediction.rtt, median,
                               near(prediction.rtt, median)))
    return rows


@dataclass
class KeepaliveExperiment:
    """A prediction, the scenario run to test it, and what it measured."""

    prediction: KeepalivePrediction
    result: ScenarioResult
    timeline: list[TimelineEvent]
    measurement: KeepaliveMeasurement

    @property
    def comparison(self) -> list[Comparison]:
        return compare_keepalive(self.prediction, self.measurement)

    def __str__(self) -> str:
        def shown(value: Any) -> str:
            return f"{value:.3f}" if isinstance(value, float) else str(value)

        rows = "\n".join(f"  {c.what:<22} predicted {shown(c.predicted):<8} measured "
                         f"{shown(c.measured):<8} {'ok' if c.agrees else 'DIFFERS'}"
                         for c in self.comparison)
        return f"{self.prediction.explanation}\n\n{format_timeline(self.timeline)}\n\n{rows}"


def keepalive_experiment(delay: float, ping_interval: float, ping_timeout: float, *,
                         direction: str = "s2c", pings: int = 3,
                         timeout: float = 5.0) -> KeepaliveExperiment:
    """Predict, then run the keepalive scenario through a delay, and measure.

    Raises:
        ValueError: as :func:`predict_keepalive`.
        ScenarioError: the scenario could not run to its end.
    """
    prediction = predict_keepalive(delay, ping_interval, ping_timeout, direction=direction,
                                   pings=pings)
    result = delayed_keepalive(delay=delay, ping_interval=ping_interval,
                 ping_timeout=ping_timeout, direction=direction, pings=pings, timeout=timeout)
    timeline = keepalive_timeline(result.transcript, result.events)
    return KeepaliveExperiment(prediction, result, timeline, measure_keepalive(timeline))


# -- closing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseTiming:
    """When one connection's closing happened, as the tap saw it.

    Attributes:
        first_close_by: "client" or "server" (``None``: no close frame at all).
        time_to_close: seconds from the 101 to the first close frame.
        closing_handshake: seconds from the first close frame to its answer.
        close_to_tcp_end: seconds from the first close frame to the end of TCP.
        opened, first_close, answer, tcp_end: the ``time.monotonic()`` readings.
    """

    first_close_by: str | None = None
    time_to_close: float | None = None
    closing_handshake: float | None = None
    close_to_tcp_end: float | None = None
    opened: float | None = None
    first_close: float | None = None
    answer: float | None = None
    tcp_end: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _between(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def time_to_close(transcript: Transcript, conn_id: int | None = None) -> CloseTiming:
    """When the closing handshake of one connection (default: the first) happened."""
    ids = transcript.connection_ids()
    if conn_id is None and not ids:
        return CloseTiming()
    entries = transcript.for_connection(ids[0] if conn_id is None else conn_id).entries
    opened = next((e.t for e in entries if e.kind == "http" and e.direction == "s2c"), None)
    closes = [e for e in entries if e.opcode_name == "close"]
    if not closes:
        return CloseTiming(opened=opened)
    first = closes[0]
    answer = next((e.t for e in closes if e.direction != first.direction), None)
    end = next((e.t for e in entries if e.event is not None and e.event.kind == "closed"), None)
    return CloseTiming("client" if first.direction == "c2s" else "server",
                       _between(opened, first.t), _between(first.t, answer),
                       _between(first.t, end), opened, first.t, answer, end)
