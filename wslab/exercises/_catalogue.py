"""The one catalogue of exercises: every id once, in notebook order."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import (
    _close,
    _closing,
    _deflate,
    _frames,
    _handshake,
    _http,
    _keepalive,
    _myths,
    _security,
    _server,
    _timing,
    _wire,
    _workbench,
)
from ._display import catalogue_html, catalogue_text
from ._model import Exercise

_ALL: tuple[Exercise, ...] = (*_handshake.EXERCISES, *_frames.EXERCISES, *_keepalive.EXERCISES,
                              *_close.EXERCISES, *_wire.EXERCISES, *_server.EXERCISES,
                              *_workbench.EXERCISES, *_timing.EXERCISES, *_http.EXERCISES,
                              *_security.EXERCISES, *_deflate.EXERCISES,
                              *_closing.EXERCISES, *_myths.EXERCISES)
EXERCISES: dict[str, Exercise] = {ex.id: ex for ex in _ALL}
assert len(EXERCISES) == len(_ALL), "two exercises share an id"


def exercise(exercise_id: str) -> Exercise:
    """The exercise called ``exercise_id``.

    Raises:
        KeyError: no such exercise; the message suggests the closest ids.
    """
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        close = difflib.get_close_matches(str(exercise_id), EXERCISES, n=3)
        raise KeyError(f"no exercise {exercise_id!r}" + (
            f"; did you mean {', '.join(close)}?" if close else
            "; exercises() lists them")) from None


def exercises(notebook: str | int | None = None) -> list[Exercise]:
    """Every exercise, or those of one notebook (``"02"`` or ``2``), in order."""
    if notebook is None:
        return list(_ALL)
    number = f"{int(notebook):02d}"
    return [ex for ex in _ALL if ex.notebook == number]


@dataclass(frozen=True)
class Catalogue:
    """The exercises as a table (id, kind, title); text in a terminal, HTML in a notebook.

    Attributes:
        items: the exercises listed.
    """

    items: tuple[Exercise, ...]

    def __iter__(self) -> Iterator[Exercise]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __str__(self) -> str:
        return catalogue_text(self.items)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return catalogue_html(self.items)


def catalogue(notebook: str | int | None = None) -> Catalogue:
    """A table of the exercises (of one notebook, or all): id, kind, title, hints."""
    return Catalogue(tuple(exercises(notebook)))


def given(exercise_id: str) -> Any:
    """The data an exercise is about (the bytes to read...), or ``None`` if the prompt has it all.

    Raises:
        KeyError: no such exercise.
    """
    ex = exercise(exercise_id)
    return None if ex.given is None else ex.given()
