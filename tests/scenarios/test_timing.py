"""wslab.scenarios' measurements: pure functions, fed with synthetic transcripts and event
logs (no sockets)."""

from __future__ import annotations

import json
import math

import pytest
from rfc_examples import KEY, MASKED_PONG, PING, REQUEST, RESPONSE

from wslab.codec import Chunk, Frame, Opcode, TapEvent, Transcript
from wslab.live import Event
from wslab.scenarios import (
    CloseTiming,
    KeepaliveMeasurement,
    RttSamples,
    TimelineEvent,
    compare_keepalive,
    format_timeline,
    keepalive_timeline,
    measure_keepalive,
    predict_keepalive,
    time_to_close,
)

# RFC 6455 §1.3: the opening handshake example; §5.7: ping "Hello" and the masked pong.
PING_HELLO = PING
PONG_HELLO_MASKED = MASKED_PONG
REASON = "keepalive ping timeout"


def close_bytes(code: int, reason: str, masked: bool) -> bytes:
    frame = Frame.close(code, reason)
    return (frame.masked_with(KEY) if masked else frame).serialize()


def ev(t: float, kind: str, **detail: object) -> Event:
    return Event(t, 1, kind, dict(detail))


# -- RttSamples ---------------------------------------------------------------------------


def test_rtt_samples_summary() -> None:
    samples = RttSamples((0.003, 0.001, 0.002, 0.010))
    assert len(samples) == 4 and list(samples) == [0.003, 0.001, 0.002, 0.010]
    assert (samples.min, samples.max) == (0.001, 0.010)
    assert samples.median == pytest.approx(0.0025)  # mean of the middle two
    assert samples.ms == pytest.approx((3, 1, 2, 10))
    assert str(samples) == "4 samples: min 1.00 ms, median 2.50 ms, max 10.00 ms"
    assert json.loads(json.dumps(samples.to_dict()))["count"] == 4


def test_rtt_samples_empty_and_invalid() -> None:
    empty = RttSamples()
    assert (empty.min, empty.median, empty.max) == (None, None, None)
    assert str(empty) == "no samples" and not empty
    assert RttSamples([0.5]).median == 0.5  # any iterable of numbers
    for bad in (-0.001, math.nan, math.inf):
        with pytest.raises(ValueError, match="finite number of seconds"):
            RttSamples((0.1, bad))


def test_rtt_samples_from_transcript() -> None:
    chunks = [Chunk(1.0, 1, "c2s", REQUEST), Chunk(1.1, 1, "s2c", RESPONSE),
              Chunk(2.0, 1, "s2c", PING_HELLO, 2.3),  # the tap held the ping 0.3 s
              Chunk(2.35, 1, "c2s", PONG_HELLO_MASKED, 2.36)]
    rtts = RttSamples.from_transcript(Transcript.from_chunks(chunks))
    assert rtts.values == pytest.approx((0.36,))  # ping in at the tap .. pong out of it


# -- predicting keepalive --------------------------------------------------------------------


def test_prediction_within_timeout() -> None:
    p = predict_keepalive(0.1, ping_interval=0.2, ping_timeout=0.3, pings=3)
    assert not p.times_out and p.close is None and p.close_at is None
    assert p.rtt == 0.1 and p.margin == pytest.approx(0.2)
    assert p.pings == pytest.approx((0.2, 0.4, 0.6))  # every ping_interval
    assert p.pongs == pytest.approx((0.3, 0.5, 0.7))  # a round trip later
    assert "within ping_timeout" in p.explanation
    assert json.loads(json.dumps(p.to_dict()))["times_out"] is False


def test_prediction_round_trip_longer_than_the_interval_stretches_the_period() -> None:
    p = predict_keepalive(0.5, ping_interval=0.2, ping_timeout=1.0, pings=3)
    assert not p.times_out
    assert p.pings == pytest.approx((0.2, 0.7, 1.2))  # the next ping waits for the pong


def test_prediction_beyond_timeout() -> None:
    p = predict_keepalive(0.5, ping_interval=0.2, ping_timeout=0.3)
    assert p.times_out and p.close == (1011, REASON)
    assert p.pings == (0.2,) and p.pongs == ()
    assert p.close_at == pytest.approx(0.5)  # ping at 0.2 + ping_timeout
    assert p.client_sees_close_at == pytest.approx(1.0)  # held by the tap like everything
    assert p.margin == pytest.approx(-0.2)
    assert "gives up at 0.5 s" in p.explanation


def test_prediction_directions_and_no_timeout() -> None:
    both = predict_keepalive(0.2, 0.2, 0.3, direction="both")
    assert both.rtt == pytest.approx(0.4) and both.times_out
    assert both.client_sees_close_at == pytest.approx(0.2 + 0.3 + 0.2)
    c2s = predict_keepalive(0.4, 0.2, 0.3, direction="c2s")
    assert c2s.times_out and c2s.client_sees_close_at == pytest.approx(c2s.close_at)  # type: ignore[arg-type]
    never = predict_keepalive(10, 0.2, None)
    assert not never.times_out and never.margin is None
    for args in ((-1, 0.2, 0.3), (0.1, 0, 0.3), (0.1, 0.2, 0)):
        with pytest.raises(ValueError):
            predict_keepalive(*args)
    with pytest.raises(ValueError, match="direction"):
        predict_keepalive(0.1, 0.2, 0.3, direction="up")


# -- timelines -----------------------------------------------------------------------------


def answered_keepalive() -> tuple[Transcript, list[Event]]:
    """Server opens at 10.0, pings at 10.2, the tap holds it to 10.3, the pong is back."""
    chunks = [Chunk(9.9, 1, "c2s", REQUEST, 9.9), Chunk(10.0, 1, "s2c", RESPONSE, 10.0),
              Chunk(10.2, 1, "s2c", PING_HELLO, 10.3),
              Chunk(10.31, 1, "c2s", PONG_HELLO_MASKED, 10.311)]
    events = [ev(9.95, "connect", peer=("127.0.0.1", 1)), ev(10.0, "open", path="/echo"),
              ev(10.2, "ping", direction="out", data=b"Hello"),
              ev(10.312, "pong", direction="in", data=b"Hello")]
    return Transcript.from_chunks(chunks), events


def test_keepalive_timeline_merges_server_log_and_tap() -> None:
    transcript, events = answered_keepalive()
    line = keepalive_timeline(transcript, events)
    assert [(te.side, te.event) for te in line] == [
        ("server", "open"), ("server", "ping sent"), ("client", "ping delivered"),
        ("client", "pong sent"), ("server", "pong received")]
    assert [te.t for te in line] == pytest.approx([0.0, 0.2, 0.3, 0.31, 0.312])
    assert line[1].detail == b"Hello".hex(" ") == line[-1].detail
    measured = measure_keepalive(line)
    assert measured.pings == pytest.approx((0.2,)) and measured.pongs == pytest.approx((0.312,))
    assert measured.rtts.values == pytest.approx((0.112,))
    assert not measured.timed_out and measured.close_at is None and measured.timeout_at is None
    text = format_timeline(line)
    assert len(text.splitlines()) == 5 and "ping delivered" in text.splitlines()[2]
    assert keepalive_timeline(transcript, []) == []


def test_keepalive_timeline_of_a_timeout() -> None:
    held_close = close_bytes(1011, REASON, masked=False)
    chunks = [Chunk(9.9, 1, "c2s", REQUEST, 9.9), Chunk(10.0, 1, "s2c", RESPONSE, 10.0),
              Chunk(10.2, 1, "s2c", PING_HELLO, 10.8),
              Chunk(10.5, 1, "s2c", held_close)]  # never passed on
    tap_events = [TapEvent(10.9, 1, "dropped", "held", "s2c")]
    events = [ev(9.95, "connect"), ev(10.0, "open", path="/echo"),
              ev(10.2, "ping", direction="out", data=b"Hello"),
              ev(10.5, "close_sent", code=1011, reason=REASON),
              ev(10.6, "closed", opened=True, code=1006, reason="")]
    line = keepalive_timeline(Transcript.from_chunks(chunks, tap_events), events)
    assert [(te.side, te.event) for te in line] == [
        ("server", "open"), ("server", "ping sent"), ("server", "close sent"),
        ("tap", "close never delivered"), ("server", "tcp closed"),
        ("client", "ping delivered")]
    closes = [te for te in line if te.close is not None]
    assert [te.close for te in closes] == [(1011, REASON)] * 2
    measured = measure_keepalive(line)
    assert measured.timed_out and measured.close == (1011, REASON)
    assert measured.timeout_at == pytest.approx(0.5) and len(measured.rtts) == 0
    assert json.loads(json.dumps(measured.to_dict()))["timed_out"] is True


def test_compare_prediction_and_measurement() -> None:
    prediction = predict_keepalive(0.5, 0.2, 0.3)
    good = KeepaliveMeasurement((0.21,), (), RttSamples(), 0.52, (1011, REASON), True)
    rows = compare_keepalive(prediction, good)
    assert [r.what for r in rows] == ["times out (1011)", "1011 sent at (s)", "ping 1 at (s)"]
    assert all(r.agrees for r in rows)
    bad = KeepaliveMeasurement((0.21, 0.41), (0.31,), RttSamples((0.1,)), 0.6,
                               (1000, ""), False)  # the client closed: no timeout
    rows = {r.what: r for r in compare_keepalive(prediction, bad)}
    assert not rows["times out (1011)"].agrees
    assert rows["1011 sent at (s)"].measured is None and not rows["1011 sent at (s)"].agrees
    assert not rows["round trip (s)"].agrees  # 0.1 s measured, 0.5 s expected
    early = KeepaliveMeasurement((0.1,), (), RttSamples(), 0.52, (1011, REASON), True)
    assert not {r.what: r for r in compare_keepalive(prediction, early)}[
        "ping 1 at (s)"].agrees  # 0.1 s before the prediction: earlier than possible


def test_timeline_event_is_plain_data() -> None:
    te = TimelineEvent(0.5, "close sent", "server", "1011", (1011, REASON))
    assert json.loads(json.dumps(te)) == [0.5, "close sent", "server", "1011", [1011, REASON]]
    t, event, *_ = te
    assert (t, event) == (0.5, "close sent")


# -- closing ---------------------------------------------------------------------------------


def test_time_to_close() -> None:
    chunks = [Chunk(1.0, 1, "c2s", REQUEST), Chunk(1.1, 1, "s2c", RESPONSE),
              Chunk(1.6, 1, "c2s", close_bytes(1000, "bye", masked=True)),
              Chunk(1.65, 1, "s2c", close_bytes(1000, "bye", masked=False))]
    transcript = Transcript.from_chunks(chunks, [TapEvent(1.7, 1, "closed", "both")])
    timing = time_to_close(transcript)
    assert timing.first_close_by == "client"
    assert timing.time_to_close == pytest.approx(0.5)
    assert timing.closing_handshake == pytest.approx(0.05)
    assert timing.close_to_tcp_end == pytest.approx(0.1)
    assert json.loads(json.dumps(timing.to_dict()))["first_close_by"] == "client"
    cut = Transcript.from_chunks(chunks[:2], [TapEvent(1.3, 1, "cut", "rst")])
    nothing = time_to_close(cut)
    assert nothing.first_close is None and nothing.time_to_close is None
    assert time_to_close(Transcript([])) == CloseTiming()


def test_ping_frame_helpers_agree_with_the_rfc_bytes() -> None:
    """The synthetic frames above are the RFC's: check them with the codec."""
    assert Frame(Opcode.PING, b"Hello").serialize() == PING_HELLO
    assert Frame(Opcode.PONG, b"Hello").masked_with(KEY).serialize() == PONG_HELLO_MASKED
