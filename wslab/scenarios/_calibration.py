"""The instrument measured: what the tap itself adds to a round trip, in the same run.

The tap is a Python proxy: each chunk costs it a read, a record and a write, and a
round trip crosses it twice (bench/bench_harness.py: about 1.8× a direct ping on
loopback). Every experiment that times something through the tap measures that cost
next to its result, so that the instrument is never mistaken for the network:
interleaved pings from one client straight to the server and one through the tap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ..live import LabServer, Tap, connect
from ._stats import Summary

CALIBRATION_PINGS = 20  # pings per path


@dataclass(frozen=True)
class TapOverhead:
    """Ping round trips straight to the server and through the tap, in one run.

    Attributes:
        direct, through_tap: the samples (seconds).
    """

    direct: tuple[float, ...]
    through_tap: tuple[float, ...]

    @property
    def direct_summary(self) -> Summary:
        return Summary.of_seconds(self.direct)

    @property
    def tap_summary(self) -> Summary:
        return Summary.of_seconds(self.through_tap)

    @property
    def added_ms(self) -> float | None:
        """The median round trip through the tap less the median direct one (ms)."""
        a, b = self.tap_summary.p50_ms, self.direct_summary.p50_ms
        return None if a is None or b is None else a - b

    @property
    def ratio(self) -> float | None:
        """The median through the tap over the median direct."""
        a, b = self.tap_summary.p50_ms, self.direct_summary.p50_ms
        return None if not a or not b else a / b

    def __str__(self) -> str:
        if self.added_ms is None:
            return "tap overhead: not measured"
        return (f"the tap itself adds {self.added_ms:.3f} ms to a round trip (median "
                f"{self.tap_summary.p50_ms:.3f} ms through it, {self.direct_summary.p50_ms:.3f}"
                f" ms direct, ×{self.ratio:.2f}; {len(self.direct)} pings each)")

    def to_dict(self) -> dict[str, Any]:
        return {"direct": list(self.direct), "through_tap": list(self.through_tap),
                "added_ms": self.added_ms, "ratio": self.ratio}


def measure_tap_overhead(server: LabServer, tap: Tap, *, count: int = CALIBRATION_PINGS,
                         timeout: float = 5.0) -> TapOverhead:
    """Interleaved pings to ``server`` directly and through ``tap`` (no delay on the tap).

    Raises:
        TimeoutError: a pong did not come within ``timeout``.
    """
    direct: list[float] = []
    through: list[float] = []
    with connect(server.url + "/echo", open_timeout=timeout) as a, \
            connect(tap.url_for("/echo"), open_timeout=timeout) as b:
        for _ in range(count):
            for ws, into in ((a, direct), (b, through)):
                start = time.perf_counter()
                if not ws.ping().wait(timeout):
                    raise TimeoutError(f"no pong within {timeout:g} s")
                into.append(time.perf_counter() - start)
    return TapOverhead(tuple(direct), tuple(through))
