"""Exercises of notebook 12: what a page may close with, and reconnect backoff (§7.2.3)."""

from __future__ import annotations

from typing import Any

from ._model import Case, CheckResult, Exercise, Kind
from ._rfc import s
from ._running import check_function

WHATWG = "https://websockets.spec.whatwg.org/"

def _check_page_close(answer: Any) -> CheckResult:
    labels = {1000: "normal closure", 1001: "only the browser sends it, when leaving a page",
              1011: "a server's code", 2999: "", 3000: "first registered code",
              4999: "last private code", 5000: "beyond the ranges"}
    cases = [Case((code,), code == 1000 or 3000 <= code <= 4999, labels.get(code, ""))
             for code in (1000, 1001, 1005, 1011, 2999, 3000, 3500, 4000, 4999, 5000)]
    return check_function("12.page_close", "page_may_close", answer, cases, returns=bool)


PAGE_CLOSE = Exercise(
    "12.page_close", "What may a web page close with?", Kind.CODE,
    f"""In a browser, `ws.close(code)` throws unless `code` is allowed by the
[WHATWG WebSockets Standard]({WHATWG}) (the `close()` method): the application may close
normally, or with a code from the ranges left to applications ({s("7.4.2")}), nothing else.
Write `page_may_close(code)`: `True` if a page's script may pass `code` to `close()`.""",
    ["The normal closure code is allowed; every other code of 1000-2999 belongs to the "
     "protocol and the browser.",
     "3000-3999 are registered for libraries and applications, 4000-4999 are private: both are "
     "the application's."],
    "page_may_close", "def page_may_close(code):\n    ...  # your code here", _check_page_close)


def _check_backoff(answer: Any) -> CheckResult:
    cases = [Case((5, 1.0, 60.0), [1.0, 2.0, 4.0, 8.0, 16.0], "doubling"),
             Case((8, 1.0, 60.0), [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0], "truncated"),
             Case((3, 0.5, 1.0), [0.5, 1.0, 1.0], "a small cap"),
             Case((0, 1.0, 60.0), [], "no attempt")]
    return check_function("12.backoff", "backoff_delays", answer, cases, returns=list,
                          normalise=lambda v: [float(x) for x in v] if isinstance(v, list)
                          and all(isinstance(x, (int, float)) for x in v) else v)


BACKOFF = Exercise(
    "12.backoff", "Truncated binary exponential backoff", Kind.CODE,
    f"""{s("7.2.3")} asks a client that reconnects after an abnormal closure to wait
"increasingly longer amounts of time, using a method such as truncated binary exponential
backoff". Write `backoff_delays(attempts, base, cap)`: the list of `attempts` delays in
seconds, the first `base`, each next one twice the one before, none above `cap`. (The RFC
also asks for a random first delay; leave randomness out here: the `websockets` library adds
it in its own `backoff()`.)""",
    ["Binary exponential: base, 2 x base, 4 x base, ...",
     "Truncated: once doubling would pass the cap, every later delay is the cap.",
     "min() keeps a value under a cap."],
    "backoff_delays", "def backoff_delays(attempts, base, cap):\n    ...  # your code here",
    _check_backoff)

EXERCISES = (PAGE_CLOSE, BACKOFF)
