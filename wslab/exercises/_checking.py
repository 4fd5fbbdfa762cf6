"""``check(id, answer)``: run an exercise's hidden cases on a student's answer."""

from __future__ import annotations

from typing import Any

from ._catalogue import exercise
from ._model import CheckResult


def check(exercise_id: str, answer: Any) -> CheckResult:
    """Check ``answer`` against the hidden cases of ``exercise_id``.

    Never raises for a wrong answer, an answer that raises or hangs, or the placeholder:
    all of these come back as a :class:`CheckResult` saying what failed or what to do. It
    shows itself (HTML in a notebook, text in a terminal); ``result.passed`` tells a test.

    Args:
        exercise_id: e.g. ``"02.unmask"`` (see :func:`exercises`).
        answer: the function or value the exercise asks for.
    Raises:
        KeyError: no exercise has that id.
    """
    ex = exercise(exercise_id)
    try:
        return ex.checker(answer)
    except KeyboardInterrupt:
        return CheckResult(ex.id, False, message="interrupted: run the cell again to check")
    except Exception as exc:  # the checker's own fault: still no traceback for a student
        return CheckResult(ex.id, False, message=(
            f"the check itself failed ({type(exc).__name__}: {exc}); this is not your "
            f"answer's fault, please tell your teacher"))
