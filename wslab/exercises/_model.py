"""What an exercise is: an id, a prompt, hidden cases, hints, and what a check returns."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._display import result_html, result_text


class Kind(str, enum.Enum):
    """The three kinds of exercise."""

    CODE = "write code"  # the answer is a function, run on hidden cases
    BYTES = "read bytes"  # the answer is a value read off (or written as) bytes
    PREDICT = "predict, then measure"  # the answer is a prediction, checked by a live run


@dataclass(frozen=True)
class Case:
    """One hidden test case of a code exercise.

    Attributes:
        args: the positional arguments the student's function is called with.
        expected: what it must return.
        label: what the case is about, shown when it fails (e.g. "RFC 6455 §5.7").
    """

    args: tuple[Any, ...]
    expected: Any
    label: str = ""


@dataclass(frozen=True)
class Failure:
    """What went wrong on one case: the call, what was expected, what came back.

    Attributes:
        call: the input, as the student would write the call, e.g. ``unmask(b'...', b'...')``.
        expected: the expected value, shown (never the code that computes it).
        actual: what the answer gave, shown; for an exception, its type and message.
        message: one sentence saying what is wrong.
        label: the case's label.
    """

    call: str
    expected: str
    actual: str
    message: str
    label: str = ""


@dataclass
class CheckResult:
    """What :func:`~wslab.exercises.check` found: passed or not, and why.

    Shows itself as HTML in a notebook and as text in a terminal (``repr``), so that
    ``check(...)`` as the last line of a cell is all a student writes.

    Attributes:
        exercise_id: e.g. ``"02.unmask"``.
        passed: every case passed (``False`` for an answer not given yet).
        answered: ``False`` while the answer is still the placeholder.
        message: one sentence: what passed, or what to do.
        failures: the failed cases (the first few), each with input, expected and actual.
        details: further lines (e.g. what a live run measured).
        cases: how many cases were run; ``passed_cases``: how many passed.
    """

    exercise_id: str
    passed: bool
    answered: bool = True
    message: str = ""
    failures: list[Failure] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    cases: int = 0
    passed_cases: int = 0

    def assert_passed(self) -> CheckResult:
        """Return ``self`` if passed (for graders: ``check(...).assert_passed()``).

        Raises:
            AssertionError: not passed; its message is the text of the result.
        """
        if not self.passed:
            raise AssertionError(str(self))
        return self

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return result_text(self)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return result_html(self)


Checker = Callable[[Any], CheckResult]
"""Runs the hidden cases on an answer; see :attr:`Exercise.checker`."""


@dataclass(frozen=True)
class Exercise:
    """One checked exercise.

    Attributes:
        id: ``"NN.name"``: the notebook's number and a short name, e.g. ``"02.unmask"``.
        title: a few words.
        kind: a :class:`Kind`.
        prompt: the task, in Markdown, exact, citing the RFC sections it rests on.
        hints: unlocked one by one by :func:`~wslab.exercises.hint`; none gives the
            whole solution.
        answer_name: the name the student defines (``unmask``, ``prediction``...).
        placeholder: the code cell a student starts from (runs, answers nothing yet).
        checker: ``checker(answer) -> CheckResult`` (runs the hidden cases).
        slow: the check runs something live that takes more than a few seconds.
        points: what the exercise is worth in an nbgrader assignment.
        given: returns the data the exercise is about (e.g. the bytes to read), for
            ``wslab.exercises.given(id)``; ``None`` when the prompt holds all of it.
    """

    id: str
    title: str
    kind: Kind
    prompt: str
    hints: Sequence[str]
    answer_name: str
    placeholder: str
    checker: Checker = field(repr=False, compare=False)
    slow: bool = False
    points: int = 1
    given: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    @property
    def notebook(self) -> str:
        """The notebook's number, e.g. ``"02"``."""
        return self.id.split(".", 1)[0]
