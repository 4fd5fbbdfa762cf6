"""Exercises of notebook 03: ping, pong and keepalive (RFC 6455 §5.5.2, §5.5.3)."""

from __future__ import annotations

from typing import Any

from ..codec import Frame, Opcode
from ..scenarios import ScenarioError, keepalive_timeline, measure_keepalive, predict_keepalive, run
from ._frames import KEY
from ._model import Case, CheckResult, Exercise, Failure, Kind
from ._rfc import s
from ._running import check_function, is_placeholder, not_answered, shown, summarise

# The keepalive settings of the exercises (seconds), as in notebook 03.
PING_INTERVAL = 0.2
PING_TIMEOUT = 0.3
LIVE_DELAY = 0.6  # the delay of exercise 03.predict: over ping_timeout
LATE_SLACK = 0.15  # seconds a measured time may be later than the prediction


def _pong_cases() -> list[Case]:
    pings = [(Frame(Opcode.PING, b"Hello", masking_key=KEY), "RFC 6455 §5.7's 'Hello'"),
             (Frame(Opcode.PING, b"", masking_key=b"\x01\x02\x03\x04"), "empty ping"),
             (Frame(Opcode.PING, bytes(range(125)), masking_key=b"\xff\x00\xff\x00"),
              "125 bytes, the most a control frame carries")]
    return [Case((p.serialize(),), Frame(Opcode.PONG, p.payload).serialize(), label)
            for p, label in pings]


def _check_pong(answer: Any) -> CheckResult:
    return check_function("03.pong", "pong_for", answer, _pong_cases(), returns=bytes,
                          normalise=lambda v: bytes(v) if isinstance(v, bytearray) else v)


PONG = Exercise(
    "03.pong", "Answer a ping", Kind.CODE,
    f"""Write `pong_for(ping)`: `ping` is the bytes of one ping frame a *client* sent (so it is
masked, {s("5.1")}); return the bytes of the pong frame a *server* answers with. A pong
carries "the exact same Application data as found in the message body of the Ping frame"
({s("5.5.3")}); its opcode is 0xA ({s("5.5.3")}); a server never masks ({s("5.1")}); FIN is
1 (control frames are not fragmented, {s("5.5")}). Payloads here are at most 125 bytes, so
the 7-bit length is enough. You may use `wslab.codec.parse_frame` or do it by hand.""",
    ["The ping's payload is masked: unmask it first (exercise 02.unmask), with the 4-byte key "
     "that follows the two header bytes.",
     "The pong's first byte is FIN (0x80) plus opcode 0xA; its second is just the length, "
     "MASK bit 0.",
     "parse_frame(ping) returns (frame, bytes used); frame.payload is already unmasked, and "
     "Frame(Opcode.PONG, payload).serialize() builds an unmasked frame."],
    "pong_for", "def pong_for(ping):\n    ...  # your code here", _check_pong)


# (delay, ping_interval, ping_timeout): some over the limit, some under, some equal.
_KEEPALIVE_CASES = [(0.5, 0.2, 0.3), (0.1, 0.2, 0.3), (0.3, 0.2, 0.3), (0.31, 0.2, 0.3),
                    (2.0, 20.0, 20.0), (25.0, 20.0, 20.0), (0.0, 1.0, 0.5), (1.0, 0.5, 0.2)]


def _check_keepalive(answer: Any) -> CheckResult:
    cases = [Case(args, predict_keepalive(*args).close_at,
                  "just over ping_timeout" if args == (0.31, 0.2, 0.3) else
                  "delay equal to ping_timeout" if args == (0.3, 0.2, 0.3) else
                  "websockets' defaults" if args[1:] == (20.0, 20.0) else "")
             for args in _KEEPALIVE_CASES]
    return check_function("03.keepalive", "closes_at", answer, cases,
                          returns=(float, int, type(None)), tolerance=1e-6)


KEEPALIVE = Exercise(
    "03.keepalive", "When does keepalive send 1011?", Kind.CODE,
    f"""A `websockets` server pings every `ping_interval` seconds and, if the pong has not come
back `ping_timeout` seconds after its ping, closes with **1011** "keepalive ping timeout"
(that is the library's choice: RFC 6455 only says a pong answers a ping, {s("5.5.2")}, and
that 1011 means the server hit an unexpected condition, {s("7.4.1")}). A tap delays every
chunk from the server to the client by `delay` seconds, so each pong comes back `delay`
seconds after its ping (nothing else is slow). The first ping goes `ping_interval` seconds
after the connection opens.

Write `closes_at(delay, ping_interval, ping_timeout)`: the time, in seconds since the
connection opened, at which the server sends its 1011 close frame, or `None` if it never
does. A pong that arrives exactly at the deadline is in time.""",
    ["The first ping is the one that matters: if its pong is in time, every later one is too "
     "(the delay is the same each time).",
     "The pong is in time when the round trip (here: delay) is not longer than ping_timeout.",
     "The server does not wait for the pong to arrive to give up: it gives up ping_timeout "
     "seconds after sending the ping."],
    "closes_at", "def closes_at(delay, ping_interval, ping_timeout):\n    ...  # your code here",
    _check_keepalive)


def _check_predict(answer: Any) -> CheckResult:
    eid = "03.predict"
    if is_placeholder(answer):
        return not_answered(eid, "set prediction = the time in seconds (a number), or "
                                 "prediction = 'never'")
    never = isinstance(answer, str) and answer.strip().lower() in ("never", "none")
    if not never and (isinstance(answer, bool) or not isinstance(answer, (int, float))):
        return CheckResult(eid, False, message=(
            f"prediction should be a number of seconds or 'never', not a "
            f"{type(answer).__name__}: {shown(answer)}"), cases=1)
    try:
        result = run("keepalive-timeline", delay=LIVE_DELAY, ping_interval=PING_INTERVAL,
                     ping_timeout=PING_TIMEOUT, timeout=5.0)
    except ScenarioError as exc:
        return CheckResult(eid, False, message=f"the live run did not finish: {exc}", cases=1)
    measured = measure_keepalive(keepalive_timeline(result.transcript, result.events))
    at = measured.timeout_at
    seen = "never" if at is None else f"{at:.3f} s"
    details = [f"measured live: the server's 1011 went out at {seen} "
               f"(tap delay {LIVE_DELAY:g} s, ping_interval {PING_INTERVAL:g} s, "
               f"ping_timeout {PING_TIMEOUT:g} s)"]
    if never or at is None:
        right = never and at is None
    else:
        right = -LATE_SLACK / 10 <= at - float(answer) <= LATE_SLACK
    if right:
        return summarise(eid, 1, 1, [], details)
    mine = "never" if never else f"{float(answer):.3f} s"
    return summarise(eid, 1, 0, [Failure("prediction", seen + " (measured)", mine,
                                         "the measurement disagrees with your prediction "
                                         f"(more than {LATE_SLACK:g} s apart)")], details)


PREDICT = Exercise(
    "03.predict", "Predict, then measure: 1011", Kind.PREDICT,
    f"""Predict first, then let the check measure. A `websockets` server with
`ping_interval={PING_INTERVAL}` and `ping_timeout={PING_TIMEOUT}` (seconds) talks to a client
through a tap that delays everything the server sends by `delay={LIVE_DELAY}` s.
When, in seconds after the connection opens, does the server send its 1011 "keepalive ping
timeout" close frame ({s("7.4.1")}; the timeout is the library's choice)? Set `prediction`
to that number, or to `"never"`. The check runs
`scenarios.run("keepalive-timeline", delay={LIVE_DELAY}, ...)` on 127.0.0.1 and compares
(your prediction may be up to {LATE_SLACK} s early of what is measured: a real run is a
little late).""",
    ["When does the first ping leave? When would its pong be back, given the delay?",
     "Compare the pong's round trip with ping_timeout: is it in time?",
     "If not, the server gives up ping_timeout seconds after that first ping."],
    "prediction", "prediction = None  # seconds after the connection opens, or 'never'",
    _check_predict, slow=True)

EXERCISES = (PONG, KEEPALIVE, PREDICT)
