"""Hints that unlock one by one: each call of :func:`hint` gives the next one."""

from __future__ import annotations

from dataclasses import dataclass

from ._catalogue import exercise
from ._display import hint_html, hint_text

_given: dict[str, int] = {}  # exercise id -> hints given so far, in this process


@dataclass(frozen=True)
class Hint:
    """One hint, or the news that there are no more.

    Attributes:
        exercise_id: the exercise.
        number: 1 for the first hint (0 when none is left).
        total: how many hints the exercise has.
        text: the hint (``None``: every hint has been given).
        note: what to do once the hints run out.
    """

    exercise_id: str
    number: int
    total: int
    text: str | None
    note: str = ""

    def __str__(self) -> str:
        return hint_text(self)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return hint_html(self)


def hint(exercise_id: str) -> Hint:
    """The next hint for ``exercise_id`` (the first, then the second...).

    Raises:
        KeyError: no exercise has that id (the message lists the ids).
    """
    ex = exercise(exercise_id)
    given = _given.get(ex.id, 0)
    if given >= len(ex.hints):
        return Hint(ex.id, 0, len(ex.hints), None,
                    "Re-read the prompt's RFC sections, or ask your teacher.")
    _given[ex.id] = given + 1
    return Hint(ex.id, given + 1, len(ex.hints), ex.hints[given])


def reset_hints(exercise_id: str | None = None) -> None:
    """Lock the hints again: of one exercise, or (``None``) of all."""
    if exercise_id is None:
        _given.clear()
    else:
        _given.pop(exercise(exercise_id).id, None)
