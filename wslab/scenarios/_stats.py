"""A distribution of durations summed up: count, min, p50, p90, p99, max, in milliseconds.

Every timing experiment keeps its raw samples (seconds, as measured) and shows this
summary of them. Percentiles are NumPy's default (linear interpolation between the two
nearest ranks), so ``p50_ms`` is the median.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

PERCENTILES = (50, 90, 99)  # the percentiles every summary reports
SUMMARY_FIELDS = ("count", "min_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms")


@dataclass(frozen=True)
class Summary:
    """How a set of durations is spread, in milliseconds (``None``: no sample).

    Attributes:
        count: how many samples.
        min_ms, p50_ms, p90_ms, p99_ms, max_ms: the smallest, the 50th, 90th and 99th
            percentiles, the largest.
    """

    count: int = 0
    min_ms: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None

    @classmethod
    def of_seconds(cls, values: Iterable[float]) -> Summary:
        """The summary of ``values``, durations in seconds.

        Raises:
            ValueError: a value is negative or not finite.
        """
        ms = [float(v) * 1000 for v in values]
        bad = [v for v in ms if not math.isfinite(v) or v < 0]
        if bad:
            raise ValueError(f"a duration is a finite number of seconds >= 0, not {bad[0]!r}")
        if not ms:
            return cls()
        import numpy as np  # here, not at the top: the notebook layer imports without NumPy

        p50, p90, p99 = (float(p) for p in np.percentile(ms, PERCENTILES))
        return cls(len(ms), min(ms), p50, p90, p99, max(ms))

    def row(self) -> list[str]:
        """The summary as table cells: count, then each time with 3 significant decimals."""
        return [str(self.count)] + [_ms(getattr(self, f)) for f in SUMMARY_FIELDS[1:]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if not self.count:
            return "no samples"
        return (f"n={self.count} min {_ms(self.min_ms)} p50 {_ms(self.p50_ms)} "
                f"p90 {_ms(self.p90_ms)} p99 {_ms(self.p99_ms)} max {_ms(self.max_ms)} ms")


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def summarize(values: Sequence[float]) -> Summary:
    """:meth:`Summary.of_seconds` (durations in seconds -> the summary in ms)."""
    return Summary.of_seconds(values)
