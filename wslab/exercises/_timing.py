"""Exercises of notebook 08, the timing lab: keepalive schedules and round trips."""

from __future__ import annotations

from typing import Any

from ..scenarios import ScenarioError, predict_keepalive, run
from ._model import Case, CheckResult, Exercise, Failure, Kind
from ._rfc import s
from ._running import check_function, is_placeholder, not_answered, shown, summarise

TAP_DELAY = 0.05  # seconds the tap holds each chunk, each way, in 08.predict_rtt
RTT_SLACK = 0.04  # seconds a measured round trip may exceed the prediction (the tap's cost)
_SCHEDULES = [(0.0, 0.2, 3), (0.1, 0.2, 3), (0.5, 0.2, 4), (0.2, 0.2, 2), (3.0, 20.0, 3),
              (30.0, 20.0, 3), (0.25, 0.1, 1)]


def _check_schedule(answer: Any) -> CheckResult:
    cases = [Case(args, list(predict_keepalive(args[0], args[1], None, pings=args[2]).pings))
             for args in _SCHEDULES]
    return check_function("08.ping_times", "ping_times", answer, cases, returns=list,
                          tolerance=1e-6,
                          normalise=lambda v: list(v) if isinstance(v, tuple) else v)


PING_TIMES = Exercise(
    "08.ping_times", "When do keepalive pings go?", Kind.CODE,
    f"""`websockets` sends its first keepalive ping `ping_interval` seconds after the
connection opens. After each pong it sleeps `ping_interval` minus the round trip it just
measured, so the next ping goes `max(ping_interval, rtt)` seconds after the previous one
(the library's choice: RFC 6455 only says pings may be sent "at any time", {s("5.5.2")}).
A tap delays every pong by `rtt` seconds; nothing ever times out here.

Write `ping_times(rtt, ping_interval, count)`: the times, in seconds since the connection
opened, of the first `count` pings, as a `list` of numbers.""",
    ["The first ping is at ping_interval, whatever the round trip.",
     "The gap between two pings is the same every time; which is it when the round trip is "
     "longer than ping_interval? And when it is shorter?",
     "A list comprehension over range(count) builds the times from the first and the gap."],
    "ping_times", "def ping_times(rtt, ping_interval, count):\n    ...  # your code here",
    _check_schedule)


def _check_rtt(answer: Any) -> CheckResult:
    eid = "08.predict_rtt"
    if is_placeholder(answer):
        return not_answered(eid, "set rtt_prediction = your prediction, in seconds")
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return CheckResult(eid, False, cases=1, message=(
            f"rtt_prediction should be a number of seconds, not a {type(answer).__name__}: "
            f"{shown(answer)}"))
    try:
        result = run("ping", count=5, delay=TAP_DELAY, timeout=5.0)
    except ScenarioError as exc:
        return CheckResult(eid, False, cases=1, message=f"the live run did not finish: {exc}")
    measured = result.timings.get("rtt_client")
    if measured is None:
        return CheckResult(eid, False, cases=1, message="the live run measured no round trip")
    details = [f"measured live: median client round trip {measured * 1000:.1f} ms over 5 "
               f"pings (tap delay {TAP_DELAY * 1000:g} ms each way; the tap and loopback add "
               f"a fraction of a millisecond)"]
    if -RTT_SLACK / 4 <= measured - float(answer) <= RTT_SLACK:
        return summarise(eid, 1, 1, [], details)
    return summarise(eid, 1, 0, [Failure("rtt_prediction", f"{measured:.4f} s (measured)",
                                         f"{float(answer):.4f} s",
                                         "the measurement disagrees with your prediction")],
                     details)


PREDICT_RTT = Exercise(
    "08.predict_rtt", "Predict, then measure: a round trip through a slow tap", Kind.PREDICT,
    f"""Predict first. A client pings a `websockets` server ({s("5.5.2")}) through the tap,
which holds every chunk for `{TAP_DELAY}` s before passing it on, **in each direction**. The
server answers each ping with a pong at once ({s("5.5.3")}). What round trip, in seconds,
does the client measure (ping sent to pong received)? Set `rtt_prediction`. The check runs
`scenarios.run("ping", count=5, delay={TAP_DELAY})` on 127.0.0.1 and compares with the
median (loopback and the tap itself add well under a millisecond here; your prediction may
be up to {RTT_SLACK * 1000:g} ms below the measurement).""",
    ["Follow the ping: client -> tap (held) -> server; then the pong: server -> tap (held) "
     "-> client.",
     "How many times is a byte held by the tap on the way there and back?"],
    "rtt_prediction", "rtt_prediction = None  # seconds", _check_rtt, slow=True)

EXERCISES = (PING_TIMES, PREDICT_RTT)
