"""Checked exercises: a prompt, hidden test cases, hints that unlock one by one.

The top layer, above :mod:`wslab.notebook`: an exercise checks a student's answer against
the codec (:mod:`wslab.codec`), the live servers (:mod:`wslab.live`) or a scenario
(:mod:`wslab.scenarios`). In a notebook::

    from wslab.exercises import check, hint

    def unmask(payload, key):
        return bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    check("02.unmask", unmask)   # ✓, or the input, the expected and the actual output
    hint("02.unmask")            # the next hint; never the whole solution

- the exercises: :func:`exercises`, :func:`catalogue` (a table of ids, kinds and titles),
  :func:`exercise`, :class:`Exercise` and its :class:`Kind` (write code, read bytes,
  predict then measure), :func:`given` (the bytes an exercise is about);
- checking: :func:`check` returns a :class:`CheckResult` (``passed``, ``failures``, each a
  :class:`Failure`; ``assert_passed()`` for graders); a :class:`Case` is one hidden case;
- hints: :func:`hint` returns the next :class:`Hint`; :func:`reset_hints` locks them again;
- :data:`CALL_TIMEOUT`: seconds a student's function may run per case before it is stopped.

The reference solutions are not here: they live in a private module used by the tests and
by the teacher's tools (``tools/make_assignments.py``), never shown by a check.
"""

from ._catalogue import Catalogue, catalogue, exercise, exercises, given
from ._checking import check
from ._hints import Hint, hint, reset_hints
from ._model import Case, CheckResult, Exercise, Failure, Kind
from ._running import CALL_TIMEOUT

__all__ = [
    "CALL_TIMEOUT", "Case", "Catalogue", "CheckResult", "Exercise", "Failure", "Hint", "Kind",
    "catalogue", "check", "exercise", "exercises", "given", "hint", "reset_hints",
]
