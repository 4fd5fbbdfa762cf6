"""Experiments on flow: a slow reader and the sender's buffers; keepalive against delay.

- :func:`backpressure`: the server floods a client whose path the tap stalls, then reads
  slowly. It shows where ``websockets`` makes the sender wait: ``await send()`` returns
  once the frame is in the transport's buffer, and waits (``drain``) while that buffer is
  above ``write_limit`` (the library's choice of flow control; RFC 6455 says nothing about
  it, TCP's window does the rest). The receiving client stops reading the socket once
  ``max_queue`` messages wait unread. So every buffer stays bounded: the server's by
  ``write_limit`` plus one message, the tap's by its ``max_buffer``, the kernel's by its
  socket buffers. With keepalive on, the stalled path also stalls the pings (§5.5.2): the
  server fails the connection with 1011 once ``ping_timeout`` passed without a pong.
- :func:`keepalive_sweep`: injected delay from 0 to beyond ``ping_timeout``, predicted and
  measured (1011 or not, and when), one keepalive experiment per delay.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..live import LabServer, Tap, connect
from ._calibration import TapOverhead, measure_tap_overhead
from ._measurement import Measurement
from ._progress import Progress, ProgressCallback
from ._stats import Summary
from ._timing import KeepaliveExperiment, keepalive_experiment

KIB = 1024
SAMPLE_EVERY = 0.005  # seconds between two samples of the buffers
KEEPALIVE_CODE = 1011


class BufferSample(NamedTuple):
    """The buffers at one moment (``t``: seconds since the flood began)."""

    t: float
    server_buffer: int  # bytes in the server's transport write buffer
    tap_held: int  # bytes the tap read from the server and did not pass on yet
    sent: int  # messages the server's send() had returned for
    received: int  # messages the client had read


class SendTiming(NamedTuple):
    """One ``await send()`` in the server: when it began and how long it waited."""

    t: float
    waited: float
    buffer_after: int


@dataclass
class Backpressure(Measurement):
    """What a flood into a stalled, then slow, reader did to each buffer.

    Attributes:
        samples: the buffers over time.
        sends: each ``send()`` in the server.
        messages, size, stall, read_delay, write_limit, max_queue, tap_buffer,
            keepalive: the parameters (``keepalive``: ``(ping_interval, ping_timeout)``).
        server_close: the close the server sent (``(1011, 'keepalive ping timeout')`` if
            keepalive ended it), ``None`` for a normal end.
        close_at: when the server sent it (seconds since the flood began).
        calibration: the tap's own round-trip cost, measured in the same run.
    """

    samples: list[BufferSample] = field(default_factory=list)
    sends: list[SendTiming] = field(default_factory=list)
    messages: int = 0
    size: int = 0
    stall: float = 0.0
    read_delay: float = 0.0
    write_limit: int = 0
    max_queue: int = 0
    tap_buffer: int = 0
    keepalive: tuple[float, float] | None = None
    server_close: tuple[int | None, str] | None = None
    close_at: float | None = None
    calibration: TapOverhead | None = None
    interrupted: bool = False
    title: str = "Backpressure: a flood into a stalled, then slow, reader"

    @property
    def peak_server_buffer(self) -> int:
        return max((s.server_buffer for s in self.samples), default=0)

    @property
    def peak_tap_held(self) -> int:
        return max((s.tap_held for s in self.samples), default=0)

    @property
    def predicted_1011(self) -> bool | None:
        """Keepalive on: a ping sent at ``ping_interval`` waits in the stall; 1011 if the
        stall outlasts ``ping_interval + ping_timeout`` (``None``: keepalive off)."""
        if self.keepalive is None:
            return None
        return self.stall > sum(self.keepalive)

    def table(self) -> tuple[list[str], list[list[str]]]:
        waits = Summary.of_seconds([s.waited for s in self.sends])
        heads = ["what", "value"]
        rows = [["messages sent by the server / read by the client",
                 f"{len(self.sends)} / {self.samples[-1].received if self.samples else 0}"],
                ["send() waits: count, p50, max (ms)",
                 f"{waits.count}, {waits.p50_ms or 0:.2f}, {waits.max_ms or 0:.1f}"],
                ["peak server write buffer (bytes)", f"{self.peak_server_buffer:,}"],
                ["bound: write_limit + one message (bytes)",
                 f"{self.write_limit + self.size + 14:,}"],
                ["peak held by the tap (bytes)", f"{self.peak_tap_held:,}"],
                ["tap bound: max_buffer + one read (bytes)", f"{self.tap_buffer + 65536:,}"]]
        if self.keepalive is not None:
            measured = ("1011 at " + f"{self.close_at:.3f} s") if self.server_close and \
                self.server_close[0] == KEEPALIVE_CODE else "no 1011"
            rows.append([f"keepalive {self.keepalive[0]:g}/{self.keepalive[1]:g} s: predicted"
                         f" / measured", f"{'1011' if self.predicted_1011 else 'no 1011'} / "
                         f"{measured}"])
        return heads, rows

    def notes(self) -> list[str]:
        notes = [f"The tap stalled server-to-client for {self.stall:g} s, then the client read "
                 f"a message every {self.read_delay * 1000:g} ms (max_queue={self.max_queue}). "
                 f"websockets waits in send() while its write buffer is above write_limit="
                 f"{self.write_limit:,} bytes: the library's choice of flow control."]
        if self.calibration is not None:
            notes.append(str(self.calibration))
        return notes + super().notes()

    def to_dict(self) -> dict[str, Any]:
        return {"samples": [s._asdict() for s in self.samples],
                "sends": [s._asdict() for s in self.sends], "messages": self.messages,
                "size": self.size, "stall": self.stall, "write_limit": self.write_limit,
                "max_queue": self.max_queue, "keepalive": self.keepalive,
                "server_close": self.server_close, "close_at": self.close_at,
                "interrupted": self.interrupted}


def backpressure(messages: int = 128, size: int = 64 * KIB, *, stall: float = 0.3,
                 read_delay: float = 0.002, write_limit: int = 32 * KIB, max_queue: int = 4,
                 tap_buffer: int = 256 * KIB, keepalive: tuple[float, float] | None = None,
                 timeout: float = 5.0, on_progress: ProgressCallback | None = None,
                 bar: bool = True) -> Backpressure:
    """The server sends ``messages`` of ``size`` bytes as fast as ``send()`` lets it.

    The tap stalls server-to-client for ``stall`` seconds from the first message on, then
    the client reads one message every ``read_delay`` seconds.

    Args:
        write_limit: the server's write buffer high-water mark (websockets' ``write_limit``).
        max_queue: the client's receive queue high-water mark (messages).
        tap_buffer: bytes the tap holds per direction before it stops reading.
        keepalive: ``(ping_interval, ping_timeout)`` for the server, or ``None`` (off).
        timeout: seconds any one wait may take.
    Raises:
        TimeoutError: a message did not arrive within ``timeout``.
    """
    state: dict[str, Any] = {"sends": [], "conn": None, "t0": None}
    payload = os.urandom(size)

    async def flood(conn: ServerConnection) -> None:
        state["conn"] = conn
        try:
            await conn.recv()  # "go"
            state["t0"] = t0 = time.monotonic()
            for _ in range(messages):
                start = time.monotonic()
                await conn.send(payload)
                state["sends"].append(SendTiming(start - t0, time.monotonic() - start,
                                                 conn.transport.get_write_buffer_size()))
            await conn.wait_closed()
        except ConnectionClosed:
            pass

    ping_interval, ping_timeout = keepalive if keepalive is not None else (None, None)
    result = Backpressure(messages=messages, size=size, stall=stall, read_delay=read_delay,
                          write_limit=write_limit, max_queue=max_queue, tap_buffer=tap_buffer,
                          keepalive=keepalive)
    progress = Progress(messages, "messages", on_progress=on_progress, bar=bar)
    with LabServer(routes={"/flood": flood}, write_limit=write_limit,
                   ping_interval=ping_interval, ping_timeout=ping_timeout,
                   max_size=size + 1) as srv, \
            Tap("127.0.0.1", srv.port, max_buffer=tap_buffer) as tap:
        result.calibration = measure_tap_overhead(srv, tap, timeout=timeout)
        with connect(tap.url_for("/flood"), max_queue=max_queue, max_size=size + 1,
                     open_timeout=timeout, close_timeout=1.0) as ws:
            conn_id = tap.conn_id_for(ws.local_address, timeout=timeout)
            tap.stall("s2c")
            ws.send("go")
            received = 0

            def sample() -> None:
                t0, conn = state["t0"], state["conn"]
                if t0 is None or conn is None:
                    return
                info = next(c for c in tap.connections if c.id == conn_id)
                result.samples.append(BufferSample(
                    time.monotonic() - t0, conn.transport.get_write_buffer_size(),
                    info.received["s2c"] - info.forwarded["s2c"], len(state["sends"]),
                    received))

            with progress.interruptible():
                stalled_until = time.monotonic() + stall
                while time.monotonic() < stalled_until:
                    sample()
                    time.sleep(SAMPLE_EVERY)
                tap.resume("s2c")
                while received < messages:
                    try:
                        ws.recv(timeout=timeout)
                    except ConnectionClosed:
                        break
                    received += 1
                    progress.step()
                    sample()
                    if read_delay:
                        time.sleep(read_delay)
                sample()
        flood_id = next((e.conn_id for e in srv.events if e.kind == "open"
                         and e.detail.get("path") == "/flood"), None)
        closes = [e for e in srv.events if e.kind == "close_sent" and e.conn_id == flood_id]
        if closes and closes[0].detail.get("code") != 1000 and state["t0"] is not None:
            result.server_close = (closes[0].detail.get("code"),
                                   closes[0].detail.get("reason") or "")
            result.close_at = closes[0].t - state["t0"]
    result.sends = list(state["sends"])
    result.interrupted = progress.interrupted
    return result


# -- 5. keepalive sweep -------------------------------------------------------------------------


@dataclass
class KeepaliveSweep(Measurement):
    """One keepalive experiment per injected delay: predicted against measured.

    Attributes:
        runs: the experiments, in order of delay.
        ping_interval, ping_timeout: the server's keepalive settings.
    """

    runs: list[KeepaliveExperiment] = field(default_factory=list)
    ping_interval: float = 0.0
    ping_timeout: float = 0.0
    interrupted: bool = False
    title: str = "Keepalive sweep: injected delay against ping_timeout"

    @property
    def threshold(self) -> float:
        """The delay beyond which 1011 is predicted (the round trip > ping_timeout)."""
        return self.ping_timeout

    def table(self) -> tuple[list[str], list[list[str]]]:
        heads = ["delay (ms)", "predicted", "measured", "1011 predicted at (ms)",
                 "1011 measured at (ms)", "agrees"]
        rows = []
        for run in self.runs:
            p, m = run.prediction, run.measurement
            rows.append([f"{p.delay * 1000:g}", "1011" if p.times_out else "open",
                         "1011" if m.timed_out else "open",
                         "—" if p.close_at is None else f"{p.close_at * 1000:.0f}",
                         "—" if m.timeout_at is None else f"{m.timeout_at * 1000:.0f}",
                         "yes" if all(c.agrees for c in run.comparison[:2]) else "NO"])
        return heads, rows

    def notes(self) -> list[str]:
        return [f"websockets' server pings every ping_interval={self.ping_interval:g} s and "
                f"fails the connection with 1011 'keepalive ping timeout' when a pong has not "
                f"come ping_timeout={self.ping_timeout:g} s after its ping (RFC 6455 §5.5.2, "
                f"§7.1.7; the timer is the library's choice). The tap delays server-to-client: "
                f"the round trip is the delay, so 1011 is predicted from "
                f"{self.threshold * 1000:g} ms on. Times are since the server opened the "
                f"connection.", *super().notes()]

    def to_dict(self) -> dict[str, Any]:
        return {"ping_interval": self.ping_interval, "ping_timeout": self.ping_timeout,
                "runs": [{"prediction": r.prediction.to_dict(),
                          "measurement": r.measurement.to_dict()} for r in self.runs],
                "interrupted": self.interrupted}


def keepalive_sweep(delays: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.4), *,
                    ping_interval: float = 0.2, ping_timeout: float = 0.25,
                    timeout: float = 5.0, on_progress: ProgressCallback | None = None,
                    bar: bool = True) -> KeepaliveSweep:
    """Run the keepalive experiment for each delay (one pong or a 1011 each).

    Raises:
        ValueError: a negative delay, settings that are not > 0.
        ScenarioError: a run could not finish.
    """
    result = KeepaliveSweep(ping_interval=ping_interval, ping_timeout=ping_timeout)
    progress = Progress(len(delays), "delays", on_progress=on_progress, bar=bar)
    with progress.interruptible():
        for delay in delays:
            result.runs.append(keepalive_experiment(delay, ping_interval, ping_timeout,
                                                    pings=1, timeout=timeout))
            progress.step()
    result.interrupted = progress.interrupted
    return result
