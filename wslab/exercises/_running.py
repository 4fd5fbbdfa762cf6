"""Running a student's answer on hidden cases: timeouts, exceptions, comparison, wording.

A student's function is called in the main thread under an interval timer (``SIGALRM``),
so one that loops forever is interrupted after :data:`CALL_TIMEOUT` seconds; where there is
no such timer (Windows, a thread other than the main one) it runs without one. Whatever it
raises is caught and reported in one line, with the line of the student's code it came
from, never as a traceback from deep inside.
"""

from __future__ import annotations

import math
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._model import Case, CheckResult, Failure

CALL_TIMEOUT = 2.0  # seconds one call of a student's function may take
MAX_FAILURES = 3  # failed cases shown at most
SHOWN_BYTES = 24  # bytes shown in hex before "..."
_PACKAGE = str(Path(__file__).resolve().parents[1])


class TookTooLong(Exception):
    """A student's function did not return within :data:`CALL_TIMEOUT` seconds."""


def _placeholder() -> None: ...


def is_placeholder(answer: object) -> bool:
    """Whether ``answer`` is still the placeholder: ``None``, or a function with body ``...``.

    A function whose body does nothing but return ``None`` compiles to the same code, and
    counts as not answered too.
    """
    if answer is None or answer is Ellipsis:
        return True
    code = getattr(answer, "__code__", None)
    return code is not None and code.co_code == _placeholder.__code__.co_code


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TookTooLong` in the block after ``seconds`` (main thread, Unix only)."""
    usable = (hasattr(signal, "setitimer") and seconds > 0
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise TookTooLong(f"did not return within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def shown(value: object) -> str:
    """``value`` as a student reads it: bytes in hex (long ones cut), the rest as ``repr``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if not data:
            return "b'' (empty)"
        text = data[:SHOWN_BYTES].hex(" ")
        more = f" ... ({len(data)} bytes)" if len(data) > SHOWN_BYTES else \
            f" ({len(data)} byte{'s' if len(data) > 1 else ''})"
        return f"bytes.fromhex('{text}'){more}" if len(data) <= SHOWN_BYTES else \
            f"bytes {text}{more}"
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:60]) + f" ... ({len(value)} characters)"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return repr(type(value)(value[:6]))[:-1] + f", ... ({len(value)} items)" + \
            repr(type(value)())[-1]
    return repr(value)


def call_text(name: str, args: Sequence[Any]) -> str:
    return f"{name}({', '.join(shown(a) for a in args)})"


def where(exc: BaseException) -> str:
    """The line of the student's code an exception came from (not wslab's, not Python's)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not f.filename.startswith(_PACKAGE) and "/lib/python" not in f.filename]
    if not frames:
        return ""
    last = frames[-1]
    code = f": {last.line.strip()}" if last.line else ""
    return f" (in {last.name}, line {last.lineno}{code})"


def describe_exception(exc: BaseException) -> str:
    if isinstance(exc, TookTooLong):
        return f"stopped: it {exc} (an endless loop?)"
    message = str(exc) or "(no message)"
    return f"raised {type(exc).__name__}: {message}{where(exc)}"


def same(expected: Any, actual: Any, tolerance: float = 0.0) -> bool:
    """Equal; floats within ``tolerance``; bytearray equals bytes; sequences item by item."""
    if isinstance(expected, float) or (isinstance(actual, float) and
                                       isinstance(expected, int) and tolerance):
        return (isinstance(actual, (int, float)) and not isinstance(actual, bool)
                and math.isclose(actual, expected, rel_tol=0, abs_tol=tolerance or 1e-9))
    if isinstance(expected, (tuple, list)) and isinstance(actual, (tuple, list)):
        return len(expected) == len(actual) and all(
            same(e, a, tolerance) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            same(expected[k], actual[k], tolerance) for k in expected)
    return bool(expected == actual)


def type_name(t: type | tuple[type, ...]) -> str:
    types = t if isinstance(t, tuple) else (t,)
    return " or ".join("None" if x is type(None) else x.__name__ for x in types)


def not_answered(exercise_id: str, what: str) -> CheckResult:
    return CheckResult(exercise_id, passed=False, answered=False,
                       message=f"not answered yet: {what}, then run this cell again.")


def check_function(exercise_id: str, name: str, answer: Any, cases: Sequence[Case], *,
                   returns: type | tuple[type, ...], tolerance: float = 0.0,
                   normalise: Callable[[Any], Any] | None = None) -> CheckResult:
    """Call ``answer`` on every case and compare what it returns with the expected value.

    Args:
        name: the function's name in the prompt (used in messages).
        returns: the type(s) a correct answer returns.
        tolerance: for floats, how far from the expected value is still right.
        normalise: applied to what the answer returns before comparing (e.g. bytearray
            to bytes); not applied to the expected value.
    """
    if is_placeholder(answer):
        return not_answered(exercise_id, f"write the body of {name}(...) in the cell above")
    if not callable(answer):
        return CheckResult(exercise_id, False, message=(
            f"check expects the function {name} itself (check({exercise_id!r}, {name})), "
            f"not a {type(answer).__name__}: {shown(answer)}"))
    failures: list[Failure] = []
    passed = 0
    for case in cases:
        call = call_text(name, case.args)
        args = [bytes(a) if isinstance(a, bytearray) else a for a in case.args]
        try:
            with time_limit(CALL_TIMEOUT):
                actual = answer(*args)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # the student's code: anything it raises is reported
            if isinstance(exc, SystemExit | GeneratorExit):
                exc = RuntimeError(f"{type(exc).__name__} {exc}")
            failures.append(Failure(call, shown(case.expected), describe_exception(exc), "",
                                    case.label))
            if isinstance(exc, TookTooLong):  # the other cases would hang as well
                return summarise(exercise_id, len(cases), passed, failures, [
                    f"the remaining cases were not run: {name} takes too long"])
            continue
        if normalise is not None:
            try:
                actual = normalise(actual)
            except (TypeError, ValueError):
                pass
        if not isinstance(actual, returns):
            hint = " (no return statement?)" if actual is None else ""
            failures.append(Failure(call, shown(case.expected), shown(actual),
                                    f"{name} must return {type_name(returns)}, not "
                                    f"{type(actual).__name__}{hint}", case.label))
        elif not same(case.expected, actual, tolerance):
            failures.append(Failure(call, shown(case.expected), shown(actual),
                                    "wrong value", case.label))
        else:
            passed += 1
    return summarise(exercise_id, len(cases), passed, failures)


def summarise(exercise_id: str, total: int, passed: int, failures: list[Failure],
              details: Sequence[str] = ()) -> CheckResult:
    if not failures:
        what = f"all {total} cases pass" if total > 1 else "right"
        return CheckResult(exercise_id, True, message=f"✓ {what}", cases=total,
                           passed_cases=passed, details=list(details))
    return CheckResult(exercise_id, False,
                       message=f"{len(failures)} of {total} case{'s' if total > 1 else ''} "
                               f"failed" if total > 1 else (failures[0].message or "failed"),
                       failures=failures[:MAX_FAILURES], cases=total, passed_cases=passed,
                       details=list(details))


def check_value(exercise_id: str, name: str, answer: Any, expected: Any, *,
                accepts: type | tuple[type, ...], form: str, tolerance: float = 0.0,
                normalise: Callable[[Any], Any] | None = None,
                why: str = "") -> CheckResult:
    """Compare a value the student wrote with the expected one.

    Args:
        name: the variable's name in the placeholder.
        accepts: the type(s) of a well-formed answer.
        form: what a well-formed answer looks like, e.g. ``("rule-id", offset)``.
        why: a sentence shown when the answer is wrong (no answer in it).
    """
    if is_placeholder(answer):
        return not_answered(exercise_id, f"set {name} = {form} in the cell above")
    if normalise is not None:
        try:
            answer = normalise(answer)
        except (TypeError, ValueError, AttributeError):
            pass
    if not isinstance(answer, accepts):
        return CheckResult(exercise_id, False, message=(
            f"{name} should look like {form}, not a {type(answer).__name__}: {shown(answer)}"),
            cases=1)
    if same(expected, answer, tolerance):
        return summarise(exercise_id, 1, 1, [])
    verdict = "not quite"
    if isinstance(expected, tuple) and isinstance(answer, tuple) and len(answer) == len(expected):
        right = [same(e, a, tolerance) for e, a in zip(expected, answer, strict=True)]
        verdict = "; ".join(f"part {i + 1} ({shown(a)}) is {'right' if ok else 'wrong'}"
                            for i, (a, ok) in enumerate(zip(answer, right, strict=True)))
    elif isinstance(expected, tuple) and isinstance(answer, tuple):
        verdict = f"{len(expected)} parts expected, not {len(answer)}"
    return summarise(exercise_id, 1, 0, [Failure(
        name, f"hidden (this is the question; hint({exercise_id!r}) helps)", shown(answer),
        f"{verdict}{'. ' + why[:1].upper() + why[1:] if why else ''}")])
