"""PushRace: experiment 7 with knobs (rate, polling interval, events) and one figure.

>>> from wslab.notebook import PushRace
>>> race = PushRace()                 # knobs, a run button, the table and the figure
>>> race.rate.value = 50; race.run_button.click()

The run happens in the kernel (:func:`wslab.scenarios.push_race`), with the button
disabled and a progress bar; every wait is bounded. Errors appear in the widget, never
as a traceback. After a run, ``value`` holds the table as text, ``error`` what went
wrong ("" if nothing), ``result`` the :class:`~wslab.scenarios.PushRaceResult` and
``image`` the figure as PNG (one figure, redrawn in place on every run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w

from ..scenarios import PushRaceResult, push_race
from ._explorers import BUDGET, _Runner
from ._push_figure import FIGSIZE, push_figure

MAX_EVENTS = 1_000  # events per transport the widget allows
MAX_RATE = 1_000.0  # events per second the widget allows


class PushRace(_Runner):
    """WebSocket vs HTTP polling, long polling and SSE, with knobs.

    Inputs: ``rate`` (events per second), ``poll_interval_ms`` (short polling), ``count``
    (events per transport), ``transports`` (which to run), ``run_button``. Outputs:
    ``status``, ``numbers`` (the result's table), ``image`` (latency CDFs and bytes per
    event), redrawn in place on each run.

    Args:
        count, rate, poll_interval: the starting values (events, events/s, seconds).
        budget: seconds a run may last before it is stopped with what came so far.
    """

    def __init__(self, *, count: int = 40, rate: float = 20.0, poll_interval: float = 0.1,
                 budget: float = BUDGET) -> None:
        super().__init__(budget=budget, run_label="race")
        self.add_class("wslab-push-race")
        self.figure.set_size_inches(*FIGSIZE)
        style = {"description_width": "initial"}
        self.rate = w.BoundedFloatText(rate, min=0.1, max=MAX_RATE, step=1,
                                       description="rate (events/s)", style=style,
                                       layout=w.Layout(width="200px"))
        self.poll_interval_ms = w.BoundedFloatText(poll_interval * 1000, min=1, max=10_000,
                                                   step=10, description="poll every (ms)",
                                                   style=style, layout=w.Layout(width="200px"))
        self.count = w.BoundedIntText(count, min=1, max=MAX_EVENTS, description="events",
                                      style=style, layout=w.Layout(width="160px"))
        self.transports = w.SelectMultiple(
            options=[("WebSocket", "websocket"), ("short polling", "short-poll"),
                     ("long polling", "long-poll"), ("SSE", "sse")],
            value=("websocket", "short-poll", "long-poll", "sse"), rows=4,
            description="transports", style=style)
        self._layout()

    def _controls(self) -> list[w.Widget]:
        return [w.HBox([self.rate, self.poll_interval_ms, self.count, self.transports])]

    def _execute(self, on_progress: Callable[[int, int], None]) -> PushRaceResult:
        transports = list(self.transports.value)
        if not transports:
            raise ValueError("pick at least one transport")
        on_progress(0, self.count.value * len(transports))
        return push_race(transports, count=self.count.value, rate=float(self.rate.value),
                         poll_interval=float(self.poll_interval_ms.value) / 1000,
                         on_progress=on_progress, bar=False)

    def _show(self, result: Any) -> None:
        self.value = str(result)
        self.numbers.value = result._repr_html_()
        self._draw(push_figure, result)
