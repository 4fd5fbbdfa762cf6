"""The timing experiments, run for real with small parameters: samples, summaries, views.

Speeds are not asserted (that is bench/'s business); what is asserted is the shape of
what was measured, its consistency (summaries from the raw samples, vantage points
nested), bounded memory, the predicted outcomes, and that an interrupt keeps the samples
so far and leaves no thread or socket behind.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from leaks import Snapshot, assert_nothing_leaked

from wslab.scenarios import (
    Backpressure,
    Compression,
    HeadOfLine,
    KeepaliveSweep,
    PingRtts,
    Progress,
    SizeSweep,
    Summary,
    TapOverhead,
    backpressure,
    compression,
    head_of_line,
    keepalive_sweep,
    ping_rtts,
    size_sweep,
    summarize,
)

KIB = 1024


# -- the summary ---------------------------------------------------------------------------


def test_summary_matches_numpy_and_names_its_units() -> None:
    values = [0.001, 0.002, 0.003, 0.010, 0.100]
    s = Summary.of_seconds(values)
    assert s.count == 5 and s.min_ms == pytest.approx(1.0) and s.max_ms == pytest.approx(100.0)
    for p, got in ((50, s.p50_ms), (90, s.p90_ms), (99, s.p99_ms)):
        assert got == pytest.approx(float(np.percentile(np.array(values) * 1000, p)))
    assert summarize(values) == s
    assert set(s.to_dict()) == {"count", "min_ms", "p50_ms", "p90_ms", "p99_ms", "max_ms"}
    assert "p99" in str(s) and str(s).endswith("ms")
    assert Summary.of_seconds([]) == Summary() and str(Summary()) == "no samples"
    with pytest.raises(ValueError, match="finite"):
        Summary.of_seconds([-1.0])


def test_progress_calls_back_and_stops_cleanly_on_interrupt() -> None:
    seen = []

    def stop_at_three(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 3:
            raise KeyboardInterrupt

    progress = Progress(10, "steps", on_progress=stop_at_three, bar=False)
    with progress.interruptible():
        for _ in range(10):
            progress.step()
    assert progress.interrupted and progress.done == 3
    assert seen == [(1, 10), (2, 10), (3, 10)]
    assert "3 of 10" in progress.note


# -- 1. ping round trips -------------------------------------------------------------------


def test_ping_rtts_from_three_vantage_points_are_nested() -> None:
    result = ping_rtts(30, bar=False)
    assert isinstance(result, PingRtts) and not result.interrupted
    assert len(result.client) == len(result.direct) == 30
    assert len(result.tap) == 30 and len(result.server) == 30
    # the client's round trip contains the tap's, which contains the server's turnaround
    assert np.median(result.client) > np.median(result.tap) > np.median(result.server)
    summaries = result.summaries()
    assert summaries["tap"].count == 30
    assert summaries["tap"].p50_ms == pytest.approx(float(np.median(result.tap)) * 1000)
    calibration = result.calibration
    assert isinstance(calibration, TapOverhead) and calibration.added_ms is not None
    assert "the tap itself adds" in str(result) and "p99 (ms)" in str(result)
    page = result._repr_html_()
    assert 'data-role="measurement-pingrtts"' in page and "server (turnaround)" in page


def test_ping_rtts_with_a_delay_grow_by_twice_the_delay() -> None:
    result = ping_rtts(5, delay=0.02, bar=False)
    assert min(result.client) >= 0.04  # held 20 ms each way by the tap
    assert max(result.direct) < 0.04 or np.median(result.direct) < 0.02  # the direct path


def test_an_interrupt_keeps_the_samples_so_far_and_leaves_nothing_running() -> None:
    before = Snapshot.take()

    def interrupt(done: int, total: int) -> None:
        if done == 7:
            raise KeyboardInterrupt

    result = ping_rtts(1000, on_progress=interrupt, bar=False)
    assert result.interrupted
    assert len(result.client) == len(result.direct) == 7
    assert "interrupted" in str(result)
    assert_nothing_leaked(before)


def test_an_interrupt_signal_to_the_main_thread_stops_a_sweep_cleanly() -> None:
    before = Snapshot.take()
    timer = threading.Timer(0.3, lambda: _thread_interrupt())
    timer.start()
    try:
        result = size_sweep((1, 16), repeats=100_000, bar=False)
    finally:
        timer.cancel()
    assert result.interrupted and sum(len(v) for v in result.rtts.values()) > 0
    assert_nothing_leaked(before)


def _thread_interrupt() -> None:
    import _thread

    _thread.interrupt_main()


# -- 2. size sweep -------------------------------------------------------------------------


@pytest.mark.parametrize("deflate, tls", [(False, False), (True, True)])
def test_size_sweep_times_every_size(deflate: bool, tls: bool) -> None:
    sizes = (1, 4 * KIB, 64 * KIB)
    result = size_sweep(sizes, repeats=2, deflate=deflate, tls=tls, payload="text",
                        bar=False)
    assert isinstance(result, SizeSweep) and list(result.rtts) == list(sizes)
    assert all(len(v) == 2 for v in result.rtts.values())
    assert result.label == ("wss + deflate, text" if tls else "ws")
    assert result.throughput_mb_s(64 * KIB) > 0
    heads, rows = result.table()
    assert heads[-1] == "throughput (MB/s)" and [r[0] for r in rows] == ["1", "4,096", "65,536"]
    with pytest.raises(ValueError, match="sizes"):
        size_sweep((0,), bar=False)


# -- 3. head-of-line blocking -----------------------------------------------------------------


@pytest.mark.slow
def test_a_ping_waits_behind_one_large_frame_not_behind_fragments() -> None:
    result = head_of_line(4 * 2**20, fragment=64 * KIB, bar=False)
    assert isinstance(result, HeadOfLine) and set(result.pings) == {"one frame", "fragments"}
    one, fragments = result.during("one frame"), result.during("fragments")
    assert one and fragments
    # a ping sent while the single frame goes out waits for the rest of it; between
    # fragments pings get through (RFC 6455 §5.4)
    assert np.median(fragments) < max(one)
    assert len(fragments) > len(one)


# -- 4. backpressure -----------------------------------------------------------------------


def test_backpressure_keeps_every_buffer_bounded() -> None:
    result = backpressure(messages=256, size=64 * KIB, stall=0.2, read_delay=0.0,
                          bar=False)
    assert isinstance(result, Backpressure)
    assert len(result.sends) == 256 and result.samples[-1].received == 256
    assert result.peak_server_buffer <= result.write_limit + result.size + 14
    assert result.peak_tap_held <= result.tap_buffer + 65536
    assert result.peak_tap_held > 0  # the stall held bytes in the tap
    # 16 MiB is more than the tap and the kernel buffers hold: send() waited for the stall
    assert max(s.waited for s in result.sends) > 0.05
    assert result.server_close is None and result.calibration is not None


@pytest.mark.slow
def test_a_stalled_path_with_keepalive_ends_in_1011() -> None:
    result = backpressure(messages=16, stall=0.6, keepalive=(0.1, 0.1), bar=False)
    assert result.predicted_1011 is True
    assert result.server_close == (1011, "keepalive ping timeout")
    assert result.close_at is not None and result.close_at >= 0.1
    assert "1011 at" in str(result)


# -- 5. keepalive sweep --------------------------------------------------------------------


def test_keepalive_sweep_finds_the_threshold() -> None:
    result = keepalive_sweep((0.0, 0.4), ping_interval=0.1, ping_timeout=0.2, bar=False)
    assert isinstance(result, KeepaliveSweep) and len(result.runs) == 2
    stays, breaks = result.runs
    assert not stays.prediction.times_out and not stays.measurement.timed_out
    assert breaks.prediction.times_out and breaks.measurement.timed_out
    assert [row[-1] for row in result.table()[1]] == ["yes", "yes"]


# -- 6. compression ------------------------------------------------------------------------


def test_compression_bytes_on_the_wire() -> None:
    result = compression(("text", "random"), size=4 * KIB, count=3,
                         settings=("off", "deflate (websockets' defaults)",
                                   "no context takeover"), bar=False)
    assert isinstance(result, Compression) and len(result.rows) == 6
    rows = {(r.setting, r.payload): r for r in result.rows}
    off = rows["off", "text"]
    assert off.wire == (4 * KIB + 8,) * 3  # 2-byte header, 2-byte length, 4-byte mask
    assert rows["deflate (websockets' defaults)", "text"].ratio < 0.5
    assert rows["deflate (websockets' defaults)", "random"].ratio > 1.0  # no gain
    # context takeover: later messages refer to the earlier ones and shrink
    taken = rows["deflate (websockets' defaults)", "text"]
    assert taken.later_wire < rows["no context takeover", "text"].later_wire
    assert "no_context_takeover" in result.negotiated["no context takeover"]
    assert result.negotiated["off"] == ""
    with pytest.raises(ValueError, match="unknown setting"):
        compression(settings=("zip",), bar=False)
