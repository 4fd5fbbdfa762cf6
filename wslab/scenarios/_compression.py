"""Experiment 6: permessage-deflate (RFC 7692) on the wire: bytes, ratio, CPU per message.

The same messages (English text, JSON, random bytes) go from a ``websockets`` client
through the tap to a LabServer's "/echo", under several settings: compression off,
websockets' defaults, no context takeover (RFC 7692 §7.1.1: each message compressed on
its own), and a small LZ77 window (``client_max_window_bits``, §7.1.2). The tap measures
each message's frame on the wire (header included); the client's CPU time for
``send()`` (compression happens there, in the sending thread) is the thread's CPU clock.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from ..live import LabServer, Tap, connect
from ._calibration import TapOverhead, measure_tap_overhead
from ._measurement import Measurement
from ._progress import Progress, ProgressCallback

KIB = 1024
SETTINGS: dict[str, dict[str, Any] | None] = {
    "off": None,
    "deflate (websockets' defaults)": {},
    "no context takeover": {"client_no_context_takeover": True,
                            "server_no_context_takeover": True},
    "window bits 9": {"client_max_window_bits": 9, "server_max_window_bits": 9},
}
PAYLOADS = ("text", "json", "random")
_WORDS = ("frame", "mask", "opcode", "payload", "ping", "pong", "close", "message",
          "server", "client", "handshake", "extension", "deflate", "window", "bits")


def make_payload(kind: str, size: int, seed: int) -> str | bytes:
    """A message of about ``size`` bytes: "text" (words), "json" (records) or "random".

    Raises:
        ValueError: an unknown kind.
    """
    rng = random.Random(seed)
    if kind == "text":
        words: list[str] = []
        while sum(map(len, words)) + len(words) < size:
            words.append(rng.choice(_WORDS))
        return " ".join(words)[:size]
    if kind == "json":
        records, text = [], "[]"
        while len(text) < size:
            records.append({"id": len(records), "kind": rng.choice(_WORDS),
                            "value": round(rng.random() * 1000, 3), "ok": rng.random() < 0.5})
            text = json.dumps(records)
        return text
    if kind == "random":
        return os.urandom(size)
    raise ValueError(f"payload kind is one of {PAYLOADS}, not {kind!r}")


class CompressionRow(NamedTuple):
    """One setting and one kind of payload, over ``count`` messages."""

    setting: str
    payload: str
    size: int  # bytes of each message (UTF-8 for text)
    wire: tuple[int, ...]  # bytes of each message's frame on the wire, header included
    cpu: tuple[float, ...]  # client CPU seconds per send()

    @property
    def first_wire(self) -> int:
        return self.wire[0] if self.wire else 0

    @property
    def later_wire(self) -> float:
        """Mean wire bytes of the messages after the first (context takeover shows here)."""
        rest = self.wire[1:]
        return sum(rest) / len(rest) if rest else float(self.first_wire)

    @property
    def ratio(self) -> float:
        """Mean wire bytes over message bytes (1.0: no gain; > 1: framing overhead)."""
        return (sum(self.wire) / len(self.wire)) / self.size if self.wire else 0.0

    @property
    def cpu_us(self) -> float:
        return sum(self.cpu) / len(self.cpu) * 1e6 if self.cpu else 0.0


@dataclass
class Compression(Measurement):
    """Bytes on the wire and CPU per message, by setting and payload.

    Attributes:
        rows: one per (setting, payload).
        negotiated: ``{setting: the Sec-WebSocket-Extensions the server answered}``.
        calibration: the tap's own round-trip cost, in the same run (the bytes it counts
            are exact; its time does not enter these numbers).
    """

    rows: list[CompressionRow] = field(default_factory=list)
    negotiated: dict[str, str] = field(default_factory=dict)
    calibration: TapOverhead | None = None
    interrupted: bool = False
    title: str = "permessage-deflate: bytes on the wire and CPU per message"

    def table(self) -> tuple[list[str], list[list[str]]]:
        heads = ["setting", "payload", "message (B)", "1st on wire (B)", "later (B, mean)",
                 "ratio", "CPU per send (µs)"]
        return heads, [[r.setting, r.payload, f"{r.size:,}", f"{r.first_wire:,}",
                        f"{r.later_wire:,.0f}", f"{r.ratio:.3f}", f"{r.cpu_us:.0f}"]
                       for r in self.rows]

    def notes(self) -> list[str]:
        notes = [f"{k}: {v or 'no extension'}" for k, v in self.negotiated.items()]
        notes.append("Context takeover (RFC 7692 §7.1.1) lets later messages refer to earlier "
                     "ones: 'later' shrinks; without it each message starts from scratch. "
                     "Random bytes do not compress: deflate adds a few bytes. Compression "
                     "runs in the sending thread (websockets), hence its CPU clock.")
        if self.calibration is not None:
            notes.append(str(self.calibration))
        return notes + super().notes()

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [r._asdict() for r in self.rows], "negotiated": self.negotiated,
                "interrupted": self.interrupted}


def compression(payloads: Sequence[str] = PAYLOADS, *, size: int = 8 * KIB, count: int = 8,
                settings: Sequence[str] = tuple(SETTINGS), timeout: float = 5.0,
                on_progress: ProgressCallback | None = None, bar: bool = True) -> Compression:
    """Send ``count`` messages of each payload under each setting; measure the wire.

    Args:
        payloads: kinds among "text", "json", "random".
        size: bytes per message (about, for text and JSON).
        count: messages per payload and setting (each different, same kind).
        settings: names from :data:`SETTINGS`.
        timeout: seconds any one wait may take.
    Raises:
        ValueError: an unknown setting or payload.
        TimeoutError: an echo did not come back within ``timeout``.
    """
    unknown = [s for s in settings if s not in SETTINGS]
    if unknown:
        raise ValueError(f"unknown setting {unknown[0]!r}; there are {list(SETTINGS)}")
    messages = {kind: [make_payload(kind, size, seed) for seed in range(count)]
                for kind in payloads}
    result = Compression()
    progress = Progress(len(settings) * len(payloads), "settings × payloads",
                        on_progress=on_progress, bar=bar)
    with LabServer(ping_interval=None, ping_timeout=None, compression="deflate",
                   max_size=4 * size + 1024) as srv, Tap("127.0.0.1", srv.port) as tap:
        result.calibration = measure_tap_overhead(srv, tap, timeout=timeout)
        with progress.interruptible():
            for setting in settings:
                params = SETTINGS[setting]
                options: dict[str, Any] = {"compression": None} if params is None else {
                    "compression": None,
                    "extensions": [ClientPerMessageDeflateFactory(**params)]}
                for kind in payloads:
                    result.rows.append(_one(srv, tap, setting, kind, messages[kind], options,
                                            result.negotiated, timeout))
                    progress.step()
    result.interrupted = progress.interrupted
    return result


def _one(srv: LabServer, tap: Tap, setting: str, kind: str, messages: list[Any],
         options: dict[str, Any], negotiated: dict[str, str], timeout: float
         ) -> CompressionRow:
    cpu = []
    with connect(tap.url_for("/echo"), open_timeout=timeout, max_size=None,
                 **options) as ws:
        conn_id = tap.conn_id_for(ws.local_address, timeout=timeout)
        negotiated[setting] = ws.response.headers.get("Sec-WebSocket-Extensions", "")
        for message in messages:
            start = time.thread_time()
            ws.send(message)
            cpu.append(time.thread_time() - start)
            ws.recv(timeout=timeout)
    frames: list[Any] = []

    def all_seen(t: Tap) -> bool:
        frames[:] = [e for e in t.transcript(conn_id).entries if e.direction == "c2s"
                     and e.opcode_name in ("text", "binary", "continuation")]
        return len(frames) >= len(messages)

    tap.wait_for(all_seen, timeout=timeout)
    size = len(messages[0].encode() if isinstance(messages[0], str) else messages[0])
    wire = tuple(len(e.frame_dissection.raw) for e in frames[:len(messages)])
    return CompressionRow(setting, kind, size, wire, tuple(cpu))
