"""How a long experiment runs: a progress bar, a callback, and a clean stop on interrupt.

An experiment counts its steps through a :class:`Progress`: ``tqdm.auto`` draws a bar
(a widget in Jupyter, text elsewhere) once the run has lasted ``BAR_DELAY`` seconds, so
short runs stay quiet; ``on_progress(done, total)`` is called after each step (widgets
and tests use it). A KeyboardInterrupt (Jupyter's "interrupt the kernel") raised inside
``with progress.interruptible():`` ends the loop, not the experiment: what was measured
so far is kept, the servers are stopped as usual, and ``progress.interrupted`` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

BAR_DELAY = 1.0  # seconds before a progress bar appears (shorter runs show none)

ProgressCallback = Callable[[int, int], None]
"""``on_progress(done, total)``: called after each step of an experiment."""


class Progress:
    """Steps of one experiment: a ``tqdm.auto`` bar and an optional callback.

    Args:
        total: how many steps.
        description: the bar's label.
        on_progress: called with ``(done, total)`` after each step; it may raise
            KeyboardInterrupt to stop the run early (as an interrupted kernel does).
        bar: draw a bar (after ``BAR_DELAY`` seconds).
    """

    def __init__(self, total: int, description: str, *,
                 on_progress: ProgressCallback | None = None, bar: bool = True) -> None:
        self.total, self.done = total, 0
        self.on_progress = on_progress
        self.interrupted = False
        self._bar: Any = None
        if bar:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # the bar is a nicety: no tqdm, no bar
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, desc=description, delay=BAR_DELAY, leave=False)

    def step(self, n: int = 1) -> None:
        """``n`` more steps done."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    @contextmanager
    def interruptible(self) -> Iterator[Progress]:
        """Run the body; a KeyboardInterrupt ends it and sets :attr:`interrupted`."""
        try:
            yield self
        except KeyboardInterrupt:
            self.interrupted = True
        finally:
            self.close()

    @property
    def note(self) -> str:
        """A sentence for the result when the run was interrupted ("" otherwise)."""
        return (f"interrupted after {self.done} of {self.total} steps: the samples so far"
                if self.interrupted else "")
