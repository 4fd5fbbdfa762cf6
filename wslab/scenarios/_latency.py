"""Experiments on round trips: ping RTTs seen from three places, size sweeps, head-of-line.

Each is one call against real servers on 127.0.0.1 with small defaults (a few seconds at
most), returns its raw samples (seconds) with a :class:`~wslab.scenarios.Summary`, shows
a progress bar on long runs and keeps what it measured when interrupted:

- :func:`ping_rtts`: N pings (RFC 6455 §5.5.2, §5.5.3) through the tap: the round trip as
  the client sees it (``ping().wait()``), as the tap sees it, and the server's turnaround;
  a client pinging the server directly alongside calibrates the tap.
- :func:`size_sweep`: echo round trip and throughput from 1 B up in log steps, with or
  without permessage-deflate (RFC 7692) and TLS, straight to the server.
- :func:`head_of_line`: pings while one large message is being sent, as one frame and as
  fragments (§5.4: control frames go *between* frames, never inside one).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..codec import DEFAULT_MAX_SIZE
from ..live import Event, LabServer, Tap, connect
from ._calibration import TapOverhead
from ._measurement import Measurement
from ._progress import Progress, ProgressCallback
from ._stats import Summary

KIB, MIB = 1024, 1024 * 1024
DEFAULT_SIZES = (1, 16, 256, 4 * KIB, 64 * KIB, MIB)
"""Message sizes :func:`size_sweep` tries by default: 1 B to 1 MiB in ×16 steps (a log scale)."""
FULL_SIZES = (*DEFAULT_SIZES, 16 * MIB)
"""The sizes up to 16 MiB (a few seconds): what the TimingExplorer offers."""
PINGER_START = 0.002  # seconds the pinging thread lets the large send start first
SETTLE = 2.0  # at most seconds to wait for the tap to have seen the last pong


# -- 1. ping round trips ---------------------------------------------------------------------


@dataclass
class PingRtts(Measurement):
    """Ping round trips, seconds, from each vantage point (one entry per ping).

    Attributes:
        client: ``ping()`` to ``wait()`` returning, in the client (through the tap).
        tap: the tap got the ping -> it passed the pong on (``Transcript.ping_rtts``).
        server: the server's turnaround: ping received -> pong sent (its event log).
        direct: a second client pinging the server directly, interleaved: the same round
            trip without the tap (the calibration).
        delay: seconds the tap held each chunk, each way.
    """

    client: tuple[float, ...] = ()
    tap: tuple[float, ...] = ()
    server: tuple[float, ...] = ()
    direct: tuple[float, ...] = ()
    delay: float = 0.0
    interrupted: bool = False
    title: str = "Ping round trips"

    @property
    def series(self) -> dict[str, tuple[float, ...]]:
        """``{vantage: samples}``, outermost first."""
        return {"client (through the tap)": self.client, "tap": self.tap,
                "server (turnaround)": self.server, "client (direct, no tap)": self.direct}

    def summaries(self) -> dict[str, Summary]:
        return {k: Summary.of_seconds(v) for k, v in self.series.items()}

    @property
    def calibration(self) -> TapOverhead:
        """What the tap itself adds (the two clients' medians)."""
        return TapOverhead(self.direct, self.client)

    def table(self) -> tuple[list[str], list[list[str]]]:
        heads = ["vantage point", "count", "min (ms)", "p50 (ms)", "p90 (ms)", "p99 (ms)",
                 "max (ms)"]
        return heads, [[k, *s.row()] for k, s in self.summaries().items()]

    def notes(self) -> list[str]:
        notes = [f"The tap delayed each chunk by {self.delay * 1000:g} ms each way."
                 if self.delay else "No delay injected: loopback, two threads, one process.",
                 str(self.calibration)]
        return notes + super().notes()

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) for k, v in self.series.items()} | {
            "delay": self.delay, "interrupted": self.interrupted,
            "summaries": {k: s.to_dict() for k, s in self.summaries().items()}}


def _server_turnarounds(events: Sequence[Event]) -> list[float]:
    """Each ping the server got to the pong it sent back with the same payload."""
    out = []
    pongs = [e for e in events if e.kind == "pong" and e.detail.get("direction") == "out"]
    for ping in (e for e in events if e.kind == "ping" and e.detail.get("direction") == "in"):
        pong = next((p for p in pongs if p.conn_id == ping.conn_id and p.t >= ping.t
                     and p.detail.get("data") == ping.detail.get("data")), None)
        if pong is not None:
            out.append(pong.t - ping.t)
    return out


def ping_rtts(count: int = 200, *, delay: float = 0.0, timeout: float = 5.0,
              on_progress: ProgressCallback | None = None, bar: bool = True) -> PingRtts:
    """Send ``count`` pings through a tap to a LabServer; time each from three places.

    websockets answers a ping with a pong carrying the same data (RFC 6455 §5.5.3);
    ``ping()`` returns an event set when that pong arrives (the library's API; it also
    stores the last round trip as ``connection.latency``).

    Args:
        count: pings (each also sent by the direct client, interleaved).
        delay: seconds the tap holds each chunk, each way (the round trip grows by 2×).
        timeout: seconds any one pong may take.
        on_progress: ``(done, count)`` after each ping (may raise KeyboardInterrupt).
        bar: show a progress bar on runs over a second.
    Raises:
        TimeoutError: a pong did not come within ``timeout``.
    """
    client: list[float] = []
    direct: list[float] = []
    progress = Progress(count, "pings", on_progress=on_progress, bar=bar)
    with LabServer(ping_interval=None, ping_timeout=None) as srv, \
            Tap("127.0.0.1", srv.port, delay=delay) as tap, \
            connect(tap.url_for("/echo"), open_timeout=timeout) as ws, \
            connect(srv.url + "/echo", open_timeout=timeout) as ws_direct:
        with progress.interruptible():
            for i in range(count):
                for conn, into in ((ws, client), (ws_direct, direct)):
                    start = time.perf_counter()
                    if not conn.ping(i.to_bytes(4, "big")).wait(timeout):
                        raise TimeoutError(f"ping {i}: no pong within {timeout:g} s")
                    into.append(time.perf_counter() - start)
                progress.step()
        # the tap records the pong as it passes it on: wait for the last one (bounded)
        n = len(client)
        conn_id = tap.conn_id_for(ws.local_address, timeout=timeout)
        try:
            tap.wait_for(lambda t: len(t.transcript(conn_id).ping_rtts()) >= n,
                         timeout=SETTLE + delay * 2)
        except TimeoutError:
            pass  # reported as fewer tap samples
        tap_rtts = tap.transcript(conn_id).ping_rtts()
        direct_id = srv.conn_id_for(ws_direct.local_address, timeout=timeout)
        server = _server_turnarounds([e for e in srv.events
                                      if e.conn_id is not None and e.conn_id != direct_id])
    return PingRtts(tuple(client), tuple(tap_rtts), tuple(server[:n]), tuple(direct),
                    delay, progress.interrupted,
                    f"Ping round trips ({len(client)} pings)")


# -- 2. latency and throughput vs message size --------------------------------------------


def _payload(kind: str, size: int) -> bytes:
    if kind == "random":
        return os.urandom(size)
    if kind == "text":
        unit = b"WebSocket frames carry messages; pings carry nothing much. "
        return (unit * (size // len(unit) + 1))[:size]
    raise ValueError(f"payload is 'random' or 'text', not {kind!r}")


@dataclass
class SizeSweep(Measurement):
    """Echo round trips by message size (seconds), one configuration.

    Attributes:
        rtts: ``{size in bytes: samples}``.
        deflate, tls, payload: the configuration.
    """

    rtts: dict[int, tuple[float, ...]] = field(default_factory=dict)
    deflate: bool = False
    tls: bool = False
    payload: str = "random"
    interrupted: bool = False
    title: str = "Echo round trip by message size"

    @property
    def label(self) -> str:
        """``"ws"``, ``"wss + deflate"``...: the configuration in a few words."""
        return ("wss" if self.tls else "ws") + (" + deflate" if self.deflate else "") + (
            f", {self.payload}" if self.deflate else "")

    def median_ms(self, size: int) -> float | None:
        values = self.rtts.get(size, ())
        return statistics.median(values) * 1000 if values else None

    def throughput_mb_s(self, size: int) -> float | None:
        """Message bytes per second of round trip, in MB/s (10⁶ bytes): size / median RTT."""
        ms = self.median_ms(size)
        return None if not ms else size / (ms / 1000) / 1e6

    def table(self) -> tuple[list[str], list[list[str]]]:
        heads = ["size (bytes)", "count", "min (ms)", "p50 (ms)", "p90 (ms)", "p99 (ms)",
                 "max (ms)", "throughput (MB/s)"]
        rows = []
        for size, values in self.rtts.items():
            mb = self.throughput_mb_s(size)
            rows.append([f"{size:,}", *Summary.of_seconds(values).row(),
                         "—" if mb is None else f"{mb:.2f}"])
        return heads, rows

    def notes(self) -> list[str]:
        return [f"{self.label}: a websockets client sends a message to /echo and waits for it "
                f"back, straight to the server (no tap). Throughput = size / median round "
                f"trip.", *super().notes()]

    def to_dict(self) -> dict[str, Any]:
        return {"rtts": {str(k): list(v) for k, v in self.rtts.items()},
                "deflate": self.deflate, "tls": self.tls, "payload": self.payload,
                "interrupted": self.interrupted}


def size_sweep(sizes: Sequence[int] = DEFAULT_SIZES, *, repeats: int = 5,
               deflate: bool = False, tls: bool = False, payload: str = "random",
               timeout: float = 10.0, on_progress: ProgressCallback | None = None,
               bar: bool = True) -> SizeSweep:
    """Echo one message of each size ``repeats`` times; time each round trip.

    A websockets message is sent as one frame (the library fragments only when given an
    iterable), so the server reads all of it before echoing (§5.4 allows either).

    Args:
        sizes: message sizes in bytes (each ≥ 1, at most 64 MiB).
        repeats: round trips per size.
        deflate: negotiate permessage-deflate (RFC 7692; websockets' default parameters).
        tls: wss:// with a throwaway CA (``trustme``).
        payload: "random" (incompressible) or "text" (compresses well).
        timeout: seconds any one round trip may take.
    Raises:
        ValueError: a size out of range, an unknown payload.
        TimeoutError: an echo did not come back within ``timeout``.
    """
    if any(not 1 <= s <= 64 * MIB for s in sizes):
        raise ValueError("sizes are from 1 byte to 64 MiB")
    largest = max(sizes)
    data = {s: _payload(payload, s) for s in sizes}
    rtts: dict[int, list[float]] = {s: [] for s in sizes}
    progress = Progress(len(sizes) * repeats, "sizes", on_progress=on_progress, bar=bar)
    limit = max(largest, DEFAULT_MAX_SIZE)
    with LabServer(ping_interval=None, ping_timeout=None, tls=tls, max_size=limit,
                   compression="deflate" if deflate else None) as srv, \
            connect(srv.url + "/echo", ssl=srv.client_ssl_context() if tls else None,
                    compression="deflate" if deflate else None, max_size=limit,
                    open_timeout=timeout) as ws:
        ws.send(b"warm up")
        ws.recv(timeout=timeout)
        with progress.interruptible():
            for size in sizes:
                for _ in range(repeats):
                    start = time.perf_counter()
                    ws.send(data[size])
                    back = ws.recv(timeout=timeout)
                    rtts[size].append(time.perf_counter() - start)
                    if len(back) != size:
                        raise RuntimeError(f"sent {size} bytes, got {len(back)} back")
                    progress.step()
    return SizeSweep({s: tuple(v) for s, v in rtts.items() if v}, deflate, tls, payload,
                     progress.interrupted)


# -- 3. head-of-line blocking ---------------------------------------------------------------


@dataclass
class HeadOfLine(Measurement):
    """Pings sent while one large message goes out, as one frame and as fragments.

    Attributes:
        size, fragment: the message's size and the fragment size (bytes).
        pings: ``{mode: ((sent at, rtt), ...)}``, seconds; "sent at" counts from the start
            of the large send; mode "one frame" or "fragments".
        send_seconds: ``{mode: how long the large send took}``.
        idle: ping round trips with nothing else on the wire (the baseline).
    """

    size: int = 0
    fragment: int = 0
    pings: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    send_seconds: dict[str, float] = field(default_factory=dict)
    idle: tuple[float, ...] = ()
    interrupted: bool = False
    title: str = "Head-of-line blocking: pings during a large message"

    def during(self, mode: str) -> list[float]:
        """Round trips of pings sent while the large message was going out."""
        end = self.send_seconds.get(mode, 0.0)
        return [rtt for sent, rtt in self.pings.get(mode, ()) if sent < end]

    def table(self) -> tuple[list[str], list[list[str]]]:
        heads = ["while sending", "send (ms)", "count", "min (ms)", "p50 (ms)", "p90 (ms)",
                 "p99 (ms)", "max (ms)"]
        rows = [["nothing (idle)", "—", *Summary.of_seconds(self.idle).row()]]
        for mode in self.pings:
            rows.append([f"{self.size:,} B as {mode}",
                         f"{self.send_seconds.get(mode, 0) * 1000:.1f}",
                         *Summary.of_seconds(self.during(mode)).row()])
        return heads, rows

    def notes(self) -> list[str]:
        return [f"A websockets message is one frame unless sent as an iterable of fragments "
                f"(here {self.fragment:,} B each). A ping is a control frame: it may go between "
                f"the fragments of a message but never inside a frame (RFC 6455 §5.4, §5.5). "
                f"websockets (sync client) writes a whole frame before any other, so a ping "
                f"waits for the frame on the wire to end: the library's choice, forced by the "
                f"RFC's framing. (websockets also counts a ping that arrives mid-message "
                f"against max_size: its choice.)", *super().notes()]

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "fragment": self.fragment,
                "pings": {k: [list(p) for p in v] for k, v in self.pings.items()},
                "send_seconds": dict(self.send_seconds), "idle": list(self.idle),
                "interrupted": self.interrupted}


def _fragments(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` in ``size``-byte fragments; between two, other threads get a turn (a
    lock is not fair: without ``sleep(0)`` the sending thread takes it straight back)."""
    view = memoryview(data)
    for i in range(0, len(data), size):
        yield bytes(view[i:i + size])
        time.sleep(0)


def head_of_line(size: int = 16 * MIB, *, fragment: int = 64 * KIB, interval: float = 0.002,
                 idle_pings: int = 20, timeout: float = 10.0,
                 on_progress: ProgressCallback | None = None,
                 bar: bool = True) -> HeadOfLine:
    """Ping every ``interval`` s while sending ``size`` bytes to "/silent", both ways.

    Args:
        size: the large message (bytes, ≤ 64 MiB).
        fragment: fragment size for the second run (bytes).
        interval: seconds between pings (from a second thread).
        idle_pings: baseline pings before.
        timeout: seconds any one wait may take.
    Raises:
        ValueError: sizes out of range.
        TimeoutError: a pong or the send took longer than ``timeout``.
    """
    if not 1 <= size <= 64 * MIB or not 1 <= fragment <= size:
        raise ValueError("size is 1 B to 64 MiB, fragment 1 B to size")
    data = os.urandom(size)
    result = HeadOfLine(size, fragment)
    progress = Progress(2, "modes", on_progress=on_progress, bar=bar)
    # websockets counts a control frame that arrives in the middle of a fragmented message
    # against max_size (its choice; RFC 6455 §5.4 keeps control frames out of messages):
    # leave room for the pings
    limit = size + 64 * 1024
    with LabServer(ping_interval=None, ping_timeout=None, max_size=limit) as srv, \
            connect(srv.url + "/silent", open_timeout=timeout, close_timeout=timeout) as ws:
        idle = []
        for _ in range(idle_pings):
            start = time.perf_counter()
            if not ws.ping().wait(timeout):
                raise TimeoutError(f"no pong within {timeout:g} s")
            idle.append(time.perf_counter() - start)
        result.idle = tuple(idle)
        with progress.interruptible():
            for mode in ("one frame", "fragments"):
                message = data if mode == "one frame" else _fragments(data, fragment)
                pings, seconds = _pings_during(ws, message, interval, timeout)
                result.pings[mode], result.send_seconds[mode] = pings, seconds
                progress.step()
    result.interrupted = progress.interrupted
    return result


def _pings_during(ws: Any, message: Any, interval: float, timeout: float
                  ) -> tuple[tuple[tuple[float, float], ...], float]:
    """Send ``message`` here while a thread pings; ((sent at, rtt), ...) and send time."""
    found: list[tuple[float, float]] = []
    done = threading.Event()
    failure: list[BaseException] = []
    t0 = time.perf_counter()

    def pinger() -> None:
        try:
            done.wait(PINGER_START)  # let the large send begin first
            while not done.is_set():
                sent = time.perf_counter()
                if not ws.ping().wait(timeout):
                    raise TimeoutError(f"no pong within {timeout:g} s")
                found.append((sent - t0, time.perf_counter() - sent))
                done.wait(interval)
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)

    thread = threading.Thread(target=pinger, name="wslab-hol-pinger", daemon=True)
    thread.start()
    try:
        ws.send(message)
        seconds = time.perf_counter() - t0
        time.sleep(min(0.02, interval * 5))  # a few pings after the send, for contrast
    finally:
        done.set()
        thread.join(timeout)
    if failure:
        raise failure[0]
    return tuple(found), seconds
