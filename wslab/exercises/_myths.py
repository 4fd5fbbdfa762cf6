"""Exercises of notebook 13, myths checked: what a client learns, and what a pong proves."""

from __future__ import annotations

from typing import Any

from ..codec import CloseCode, Frame, parse_close_payload, parse_frame
from ..scenarios import ScenarioError, run
from ._model import CheckResult, Exercise, Failure, Kind
from ._rfc import s
from ._running import check_value, is_placeholder, not_answered, shown, summarise

# The four endings of exercise 13.endings, as the client received them.
_BODY = b"Failed to open a WebSocket connection.\nSee server log for more information.\n"
REFUSED = (b"HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n"
           b"Content-Length: %d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           % len(_BODY)) + _BODY  # websockets' answer when a hook raises, less Date and Server
ENDINGS = {
    "a": REFUSED,
    "b": Frame.close(CloseCode.INTERNAL_ERROR, "boom").serialize(),
    "c": Frame.close(None).serialize(),  # a close frame with no payload at all
    "d": b"",  # nothing: the TCP connection was reset
}
PREDICT_PINGS = 3  # pings of exercise 13.predict_pongs


def endings() -> dict[str, bytes]:
    """The last bytes each of four clients received (``given("13.endings")``)."""
    return dict(ENDINGS)


def _expected_ending(data: bytes) -> int:
    """What the client's program learns from ``data``: an HTTP status or a close code."""
    if data.startswith(b"HTTP/1.1 "):
        return int(data.split(b" ", 2)[1])
    if not data:
        return int(CloseCode.ABNORMAL_CLOSURE)  # §7.1.5: no close frame received
    code = parse_close_payload(parse_frame(data)[0].payload).code
    return int(CloseCode.NO_STATUS_RCVD) if code is None else code  # §7.1.5


def _check_endings(answer: Any) -> CheckResult:
    expected = tuple(_expected_ending(ENDINGS[k]) for k in sorted(ENDINGS))
    return check_value(
        "13.endings", "endings_seen", answer, expected, accepts=tuple,
        form="a tuple of 4 integers, for a, b, c and d",
        normalise=lambda v: tuple(v) if isinstance(v, list) else v,
        why="an HTTP status is all a refused handshake gives; after the 101, §7.1.5 says what "
            "a close code is when a frame has none, or when no frame came")


ENDINGS_EXERCISE = Exercise(
    "13.endings", "What does the client learn?", Kind.BYTES,
    f"""Four connections ended. `given("13.endings")` holds the last bytes each client read:

- **a** the answer to its opening handshake (no `101` came before it);
- **b**, **c** the last frame of a connection that was open (from the server, unmasked);
- **d** nothing at all: the TCP connection was reset.

For each, which number does the client's program learn: the HTTP status code of a refused
handshake ({s("4.1")}: "If the status code received from the server is not 101, the client
handles the response per HTTP procedures"), or *The WebSocket Connection Close Code*
({s("7.1.5")})? Set `endings_seen` to a tuple of four integers.""",
    ["Before the 101 there are no frames, so there is no close code: read the status line.",
     "A close frame's payload starts with a 2-byte code in network byte order (§5.5.1); "
     "0x03f3 is which number?",
     "§7.1.5: a close frame with no code gives 1005; no close frame at all gives 1006. "
     "Neither number is ever sent (§7.4.1)."],
    "endings_seen", "endings_seen = None  # (a, b, c, d): four integers",
    _check_endings, given=endings)


def _check_predict_pongs(answer: Any) -> CheckResult:
    eid = "13.predict_pongs"
    if is_placeholder(answer):
        return not_answered(eid, f"set unanswered_prediction = how many of the {PREDICT_PINGS} "
                                 "pings get no pong (an integer)")
    if isinstance(answer, bool) or not isinstance(answer, int):
        return CheckResult(eid, False, cases=1, message=(
            f"unanswered_prediction should be an integer, not a {type(answer).__name__}: "
            f"{shown(answer)}"))
    try:
        result = run("pong-stuck-app", pings=PREDICT_PINGS, answer_wait=0.2)
    except ScenarioError as exc:
        # the scenario fails when a ping goes unanswered: count what the tap saw
        if exc.transcript is None:
            return CheckResult(eid, False, cases=1, message=f"the live run failed: {exc}")
        pongs = len(exc.transcript.pongs("s2c"))
    else:
        pongs = len(result.transcript.pongs("s2c"))
    unanswered = PREDICT_PINGS - pongs
    details = [f"measured live: {pongs} of {PREDICT_PINGS} pings got a pong from the server "
               f"whose application never answered the request"]
    if answer == unanswered:
        return summarise(eid, 1, 1, [], details)
    return summarise(eid, 1, 0, [Failure("unanswered_prediction", f"{unanswered} (measured)",
                                         shown(answer),
                                         "the live run disagrees with your prediction")],
                     details)


PREDICT_PONGS = Exercise(
    "13.predict_pongs", "Predict, then measure: pongs from a stuck application", Kind.PREDICT,
    f"""Predict first. The lab's `"/silent"` route reads every message and never answers, like
an application stuck on a dead database. A `websockets` client sends it a request, then
sends {PREDICT_PINGS} pings ({s("5.5.2")}), waiting up to 5 s for each pong. How many of the pings
go unanswered? Set `unanswered_prediction` to an integer. The check runs
`scenarios.run("pong-stuck-app", pings={PREDICT_PINGS})` on 127.0.0.1 and counts the pongs
the tap saw.""",
    ["Who answers a ping in a websockets server: the handler you wrote, or the library?",
     "The handler is stuck in its own coroutine; the code that reads frames is not.",
     "§5.5.2: the endpoint answers a ping 'as soon as is practical'; what stops it here?"],
    "unanswered_prediction", "unanswered_prediction = None  # how many pings get no pong",
    _check_predict_pongs, slow=True)

EXERCISES = (ENDINGS_EXERCISE, PREDICT_PONGS)
