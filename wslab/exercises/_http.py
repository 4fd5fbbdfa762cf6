"""Exercises of notebook 09: WebSocket against HTTP, in bytes on the wire."""

from __future__ import annotations

from typing import Any

from ..codec import Frame, Opcode
from ..scenarios import ScenarioError, run
from ._model import Case, CheckResult, Exercise, Failure, Kind
from ._rfc import s
from ._running import check_function, is_placeholder, not_answered, shown, summarise

HANDSHAKE_SLACK = 0.25  # a prediction within 25 % of the measured handshake is right


def _ws_bytes(k: int, size: int, handshake: int) -> int:
    return handshake + k * (len(Frame(Opcode.TEXT, b"").header(declared_length=size)) + size)


def _break_even(size: int, handshake: int, http_overhead: int) -> int | None:
    per_ws = len(Frame(Opcode.TEXT, b"").header(declared_length=size))
    if per_ws >= http_overhead:
        return None
    k = 1
    while _ws_bytes(k, size, handshake) >= k * (http_overhead + size):
        k += 1
    return k


_CASES = [(10, 400, 300), (100, 400, 300), (200, 400, 300), (1000, 500, 250),
          (100_000, 400, 300), (10, 300, 2), (10, 300, 1000), (5, 0, 400)]


def _check_break_even(answer: Any) -> CheckResult:
    cases = [Case(args, _break_even(*args)) for args in _CASES]
    return check_function("09.break_even", "break_even", answer, cases,
                          returns=(int, type(None)))


BREAK_EVEN = Exercise(
    "09.break_even", "When does WebSocket cost fewer bytes?", Kind.CODE,
    f"""A server pushes `k` text messages of `size` bytes each to a browser.
- Over **WebSocket**: the opening handshake costs `handshake` bytes once (request and
  response, {s("4")}); then each message is one unmasked server frame: its header
  ({s("5.2")}: 2, 4 or 10 bytes depending on `size`) plus `size` bytes.
- Over **HTTP** (long polling): each message costs `http_overhead` bytes of request and
  response heads, plus `size` bytes of body.

Write `break_even(size, handshake, http_overhead)`: the smallest number of messages `k ≥ 1`
for which WebSocket takes **strictly fewer** bytes than HTTP, or `None` if it never does.""",
    ["Write the two totals as functions of k: WebSocket is handshake + k × (header + size), "
     "HTTP is k × (http_overhead + size).",
     "The size cancels out of the comparison, except through the header's length.",
     "If the frame header is not smaller than http_overhead, WebSocket never catches up; "
     "otherwise try k = 1, 2, ... (or solve the inequality and round up carefully)."],
    "break_even", "def break_even(size, handshake, http_overhead):\n    ...  # your code here",
    _check_break_even)


def measure_handshake(timeout: float = 5.0) -> tuple[int, int]:
    """The bytes of the opening handshake, ``(request, response)``, through the tap."""
    result = run("echo", timeout=timeout)
    first = {}
    for entry in result.transcript.entries:
        if entry.kind == "frame" and entry.direction not in first and entry.offset is not None:
            first[entry.direction] = entry.offset
    return first.get("c2s", 0), first.get("s2c", 0)


def _check_handshake(answer: Any) -> CheckResult:
    eid = "09.predict_handshake"
    if is_placeholder(answer):
        return not_answered(eid, "set handshake_prediction = a number of bytes")
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        return CheckResult(eid, False, cases=1, message=(
            f"handshake_prediction should be a number of bytes, not a "
            f"{type(answer).__name__}: {shown(answer)}"))
    try:
        request, response = measure_handshake()
    except ScenarioError as exc:
        return CheckResult(eid, False, cases=1, message=f"the live run did not finish: {exc}")
    total = request + response
    details = [f"measured live by the tap: request {request} bytes + response {response} "
               f"bytes = {total} bytes (the websockets client and server, on 127.0.0.1); a "
               f"text frame of 5 bytes from the server is 7 bytes"]
    if abs(float(answer) - total) <= HANDSHAKE_SLACK * total:
        return summarise(eid, 1, 1, [], details)
    return summarise(eid, 1, 0, [Failure("handshake_prediction", f"{total} bytes (measured)",
                                         f"{answer} bytes",
                                         f"more than {HANDSHAKE_SLACK:.0%} away from the "
                                         f"measurement")], details)


PREDICT_HANDSHAKE = Exercise(
    "09.predict_handshake", "Predict, then measure: the price of the handshake", Kind.PREDICT,
    f"""Predict first. A WebSocket connection starts with an HTTP/1.1 request and a
`101 Switching Protocols` response ({s("1.3")}, {s("4.1")}, {s("4.2.2")}). How many bytes do
the two take together on the wire, for the `websockets` client and server of the lab? Both
send what §4.1 and §4.2.2 require (no extension is offered here), and the library adds a
`User-Agent` to the request and `Date` and `Server` to the response. Set
`handshake_prediction` to a number of bytes. The check runs
`scenarios.run("echo")` through the tap and counts; within {HANDSHAKE_SLACK:.0%} is right.""",
    ["Write the request of RFC 6455 §1.3 out and count: every header line ends with CR LF "
     "(2 bytes), and an empty line ends the head.",
     "The key is 24 characters, the accept value 28; the extension headers are the longest "
     "lines.",
     "User-Agent and Server read like 'Python/3.11 websockets/17.4'; a Date header looks like "
     "'Date: Thu, 03 Dec 2026 09:27:25 GMT'."],
    "handshake_prediction", "handshake_prediction = None  # bytes: request + response",
    _check_handshake, slow=True)

EXERCISES = (BREAK_EVEN, PREDICT_HANDSHAKE)
