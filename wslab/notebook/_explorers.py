"""Widgets that run experiments: pick, set the knobs, run, watch the result appear.

>>> from wslab.notebook import KeepaliveExplorer, ScenarioRunner, TimingExplorer
>>> ScenarioRunner()      # any registered scenario, its parameters, its result
>>> TimingExplorer()      # experiments 1-2: ping round trips, size sweep; one figure
>>> KeepaliveExplorer()   # ping_interval, ping_timeout, delay: predicted, then measured

Each is an ``ipywidgets.VBox``. Its inputs are attributes, so code drives it as clicks do
(``runner.scenario.value = "ping"; runner.run_button.click()``). A run happens in the
kernel, with the run button disabled and a progress bar; it is bounded (every wait has a
timeout, and a run that goes on longer than ``budget`` seconds is stopped with the
samples so far and a message). Errors appear in the widget, never as a traceback. After
a run, ``value`` holds the summary as text, ``error`` what went wrong ("" if nothing),
``result`` the result object, and ``image`` the figure as PNG (one figure, redrawn in
place on every run).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import traitlets

from ..scenarios import (
    FULL_SIZES,
    SCENARIOS,
    ScenarioError,
    ScenarioResult,
    format_close,
    keepalive_experiment,
    ping_rtts,
    predict_keepalive,
    size_sweep,
)
from ..view.theme import MUTED, RED, RED_BG
from ._experiment_plots import keepalive_figure, ping_figure, sweep_figure
from ._plots import LabFigure, scenario_figure

BUDGET = 60.0  # seconds a widget's run may last before it is stopped (samples kept)
SWEEP_HISTORY = 4  # size sweeps overlaid in the TimingExplorer's figure


class _BudgetSpent(KeyboardInterrupt):
    """Raised from a progress callback when a run went past its budget (stops it cleanly)."""


def _message(text: str, *, role: str, colour: str = MUTED, bg: str = "#f6f8fa") -> str:
    return (f'<div data-role="{role}" style="background:{bg};color:{colour};border:1px solid '
            f'{colour};border-left:5px solid {colour};border-radius:6px;padding:4px 10px;'
            f'margin:4px 0;font-weight:600">{html.escape(text)}</div>')


def _size_label(size: int) -> str:
    for unit, factor in (("MiB", 2**20), ("KiB", 2**10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


class _Runner(w.VBox):
    """A run button, a progress bar, a status line, the numbers and one figure."""

    value = traitlets.Unicode("", help="the last run's summary as text")
    error = traitlets.Unicode("", help="what went wrong in the last run ('' if nothing)")
    running = traitlets.Bool(False, help="a run is going on")

    def __init__(self, *, budget: float = BUDGET, run_label: str = "run") -> None:
        super().__init__(layout=w.Layout(width="100%"))
        self.budget = budget
        self.result: Any = None
        self.run_label = run_label
        self.run_button = w.Button(description=run_label, button_style="primary",
                                   icon="play", tooltip="run it on this machine")
        self.run_button.add_class("wslab-run")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="",
                                      layout=w.Layout(width="240px"))
        self.status = w.HTML()
        self.status.add_class("wslab-status")
        self.numbers = w.HTML()
        self.numbers.add_class("wslab-numbers")
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.image.add_class("wslab-figure")
        self.figure = LabFigure(figsize=(10, 3.6), layout="constrained")
        self.run_button.on_click(lambda _b: self.run())

    def _controls(self) -> list[w.Widget]:
        raise NotImplementedError

    def _execute(self, on_progress: Callable[[int, int], None]) -> Any:
        raise NotImplementedError

    def _show(self, result: Any) -> None:
        raise NotImplementedError

    def _layout(self, *extra: w.Widget) -> None:
        self.children = [*self._controls(), w.HBox([self.run_button, self.progress]),
                         self.status, self.numbers, *extra, self.image]

    def _on_progress(self, started: float) -> Callable[[int, int], None]:
        def update(done: int, total: int) -> None:
            self.progress.max, self.progress.value = max(total, 1), done
            self.status.value = _message(f"running… {done}/{total}", role="running")
            if time.monotonic() - started > self.budget:
                raise _BudgetSpent
        return update

    def run(self) -> None:
        """Run with the current settings; show the result, or the error, in the widget."""
        if self.running:
            return
        self.run_button.disabled, self.run_button.description = True, "running…"
        self.running, self.error = True, ""
        self.progress.value = 0
        self.status.value = _message("running…", role="running")
        started = time.monotonic()
        try:
            result = self._execute(self._on_progress(started))
        except Exception as exc:  # never into the kernel: the student sees it here
            self.error = f"{type(exc).__name__}: {exc}"
            self.status.value = _message(self.error, role="error", colour=RED, bg=RED_BG)
        else:
            self.result = result
            self._show(result)
            seconds = time.monotonic() - started
            spent = seconds > self.budget
            note = (f"stopped after {seconds:.1f} s (the widget's budget is {self.budget:g} s):"
                    f" the samples so far" if spent else f"done in {seconds:.1f} s")
            if getattr(result, "interrupted", False) and not spent:
                note = "interrupted: the samples so far"
            self.status.value = _message(note, role="done")
            self.progress.value = self.progress.max
        finally:
            self.run_button.disabled, self.run_button.description = False, self.run_label
            self.running = False

    def _draw(self, draw: Callable[..., Any], *args: Any) -> None:
        draw(*args, fig=self.figure)
        self.image.value = self.figure._repr_png_()


def _param_widget(name: str, default: Any) -> w.Widget | None:
    style = {"description_width": "initial"}
    if isinstance(default, bool):
        return w.Checkbox(default, description=name, indent=False)
    if isinstance(default, int):
        return w.IntText(default, description=name, style=style, layout=w.Layout(width="220px"))
    if isinstance(default, float):
        return w.FloatText(default, description=name, style=style,
                           layout=w.Layout(width="220px"))
    if isinstance(default, str):
        return w.Text(default, description=name, style=style)
    if isinstance(default, bytes):
        return w.Text(default.hex(" "), description=f"{name} (hex)", style=style)
    return None


class ScenarioRunner(_Runner):
    """Pick any registered scenario, set the parameters it takes, run it.

    Inputs: ``scenario`` (dropdown of :data:`wslab.scenarios.SCENARIOS`), ``params``
    (``{name: widget}``, rebuilt for each scenario from ``SCENARIOS[name].params``),
    ``run_button``. Outputs: ``status``, ``numbers`` (the summary line and both sides'
    close codes), ``transcript`` (the result's HTML), ``image`` (the sequence figure).

    Args:
        name: the scenario to start with.
        budget: not used to stop a scenario (each bounds its waits with ``timeout``).
    """

    def __init__(self, name: str = "echo", *, budget: float = BUDGET) -> None:
        super().__init__(budget=budget)
        self.add_class("wslab-scenario-runner")
        self.scenario = w.Dropdown(options=list(SCENARIOS), value=name, description="scenario")
        self.summary = w.HTML()
        self.params: dict[str, w.Widget] = {}
        self.params_box = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.transcript = w.HTML()
        self.transcript.add_class("wslab-transcript")
        self.scenario.observe(lambda _c: self._rebuild(), names="value")
        self._rebuild()
        self._layout(self.transcript)

    def _controls(self) -> list[w.Widget]:
        return [w.HBox([self.scenario]), self.summary, self.params_box]

    def _rebuild(self) -> None:
        found = SCENARIOS[self.scenario.value]
        self.summary.value = (f"<span style='color:{MUTED}'>{html.escape(found.summary)}"
                              f"</span>")
        self.params = {}
        for name, default in found.params.items():
            made = _param_widget(name, default)
            if made is not None:
                self.params[name] = made
        self.params_box.children = list(self.params.values())

    def param_values(self) -> dict[str, Any]:
        """The parameters as the scenario takes them (hex text back to bytes).

        Raises:
            ValueError: a bytes parameter that is not hex.
        """
        defaults = SCENARIOS[self.scenario.value].params
        values = {}
        for name, widget in self.params.items():
            value = widget.value
            if isinstance(defaults[name], bytes):
                value = bytes.fromhex(value)
            values[name] = value
        return values

    def _execute(self, on_progress: Callable[[int, int], None]) -> ScenarioResult:
        on_progress(0, 1)
        try:
            return SCENARIOS[self.scenario.value](**self.param_values())
        except ScenarioError as exc:
            raise RuntimeError(f"the scenario could not finish: {exc}") from None

    def _show(self, result: ScenarioResult) -> None:
        self.value = result.summary_line()
        self.numbers.value = (
            f"<div data-role='summary-line' style='font-weight:600'>"
            f"{html.escape(result.summary_line())}</div>"
            f"<div data-role='closes'>client reports "
            f"{html.escape(format_close(result.client_close))}; server reports "
            f"{html.escape(format_close(result.server_close))}</div>")
        self.transcript.value = result._repr_html_()
        self._draw(scenario_figure, result)

    def _draw(self, draw: Callable[..., Any], *args: Any) -> None:
        figure = draw(*args)  # a sequence figure sizes itself to its rows: a new one each run
        self.figure = figure
        self.image.value = figure._repr_png_()


class TimingExplorer(_Runner):
    """Experiments 1-2 with knobs: ping round trips, or echo round trip by message size.

    Inputs: ``experiment`` ("ping round trips" or "size sweep"), ``count`` (pings),
    ``delay_ms`` (the tap's delay each way), ``sizes`` (a range of sizes), ``repeats``,
    ``deflate``, ``tls``, ``payload``; ``run_button``. Output: one figure (``image``),
    redrawn on each run; size sweeps of different settings are overlaid (the last
    :data:`SWEEP_HISTORY`). ``numbers`` shows the summary table.
    """

    def __init__(self, *, budget: float = BUDGET) -> None:
        super().__init__(budget=budget)
        self.add_class("wslab-timing-explorer")
        style = {"description_width": "initial"}
        self.experiment = w.ToggleButtons(options=["ping round trips", "size sweep"])
        self.count = w.IntSlider(200, min=10, max=2000, step=10, description="pings",
                                 style=style)
        self.delay_ms = w.FloatSlider(0.0, min=0.0, max=50.0, step=1.0,
                                      description="tap delay each way (ms)", style=style)
        self.sizes = w.SelectionRangeSlider(options=[(_size_label(s), s) for s in FULL_SIZES],
                                            index=(0, len(FULL_SIZES) - 2),
                                            description="sizes", style=style,
                                            layout=w.Layout(width="420px"))
        self.repeats = w.IntSlider(5, min=1, max=50, description="repeats", style=style)
        self.deflate = w.Checkbox(False, description="permessage-deflate", indent=False)
        self.tls = w.Checkbox(False, description="TLS (wss://)", indent=False)
        self.payload = w.Dropdown(options=["random", "text"], description="payload")
        self.history: list[Any] = []
        self.ping_box = w.HBox([self.count, self.delay_ms])
        self.sweep_box = w.VBox([self.sizes, w.HBox([self.repeats, self.deflate, self.tls,
                                                     self.payload])])
        self.experiment.observe(lambda _c: self._switch(), names="value")
        self._layout()
        self._switch()

    def _controls(self) -> list[w.Widget]:
        return [self.experiment, self.ping_box, self.sweep_box]

    def _switch(self) -> None:
        ping = self.experiment.value == "ping round trips"
        self.ping_box.layout.display = None if ping else "none"
        self.sweep_box.layout.display = "none" if ping else None

    def selected_sizes(self) -> list[int]:
        low, high = self.sizes.value
        return [s for s in FULL_SIZES if low <= s <= high]

    def _execute(self, on_progress: Callable[[int, int], None]) -> Any:
        if self.experiment.value == "ping round trips":
            return ping_rtts(self.count.value, delay=self.delay_ms.value / 1000,
                             on_progress=on_progress, bar=False)
        return size_sweep(self.selected_sizes(), repeats=self.repeats.value,
                          deflate=self.deflate.value, tls=self.tls.value,
                          payload=self.payload.value, on_progress=on_progress, bar=False)

    def _show(self, result: Any) -> None:
        self.value = str(result)
        self.numbers.value = result._repr_html_()
        if self.experiment.value == "ping round trips":
            self._draw(ping_figure, result)
            return
        kept = [r for r in self.history if r.label != result.label]
        self.history = [*kept[-(SWEEP_HISTORY - 1):], result]
        self._draw(sweep_figure, self.history)


class KeepaliveExplorer(_Runner):
    """ping_interval, ping_timeout and a delay: the predicted timeline, then the measured.

    Inputs: ``ping_interval``, ``ping_timeout``, ``delay`` (seconds; sliders),
    ``direction``; ``run_button``. Every change redraws the prediction (left, with its
    explanation in ``prediction_text``); a run measures (right) and lists predicted
    against measured in ``numbers``.
    """

    def __init__(self, *, ping_interval: float = 0.2, ping_timeout: float = 0.3,
                 delay: float = 0.1, budget: float = BUDGET) -> None:
        super().__init__(budget=budget, run_label="measure")
        self.add_class("wslab-keepalive-explorer")
        style = {"description_width": "initial"}
        self.ping_interval = w.FloatSlider(ping_interval, min=0.05, max=1.0, step=0.05,
                                           description="ping_interval (s)", style=style)
        self.ping_timeout = w.FloatSlider(ping_timeout, min=0.05, max=1.0, step=0.05,
                                          description="ping_timeout (s)", style=style)
        self.delay = w.FloatSlider(delay, min=0.0, max=1.0, step=0.05,
                                   description="tap delay (s)", style=style)
        self.direction = w.Dropdown(options=["s2c", "c2s", "both"], description="delayed")
        self.prediction_text = w.HTML()
        self.prediction_text.add_class("wslab-prediction")
        for knob in (self.ping_interval, self.ping_timeout, self.delay, self.direction):
            knob.observe(lambda _c: self.predict(), names="value")
        self._layout()
        self.predict()

    def _controls(self) -> list[w.Widget]:
        return [w.HBox([self.ping_interval, self.ping_timeout]),
                w.HBox([self.delay, self.direction]), self.prediction_text]

    def _prediction(self) -> Any:
        return predict_keepalive(self.delay.value, self.ping_interval.value,
                                 self.ping_timeout.value, direction=self.direction.value)

    def predict(self) -> None:
        """Redraw the prediction (left) for the current knobs; the right side is cleared."""
        try:
            prediction = self._prediction()
        except ValueError as exc:
            self.prediction_text.value = _message(str(exc), role="error", colour=RED, bg=RED_BG)
            return
        self.result = None
        self.numbers.value = ""
        self.prediction_text.value = (f"<div data-role='prediction'>"
                                      f"{html.escape(prediction.explanation)}</div>")
        self._draw(keepalive_figure, prediction, None)

    def _execute(self, on_progress: Callable[[int, int], None]) -> Any:
        on_progress(0, 1)
        return keepalive_experiment(self.delay.value, self.ping_interval.value,
                                    self.ping_timeout.value, direction=self.direction.value,
                                    pings=2)

    def _show(self, result: Any) -> None:
        self.value = str(result)
        rows = "".join(
            f"<tr><td>{html.escape(c.what)}</td><td>{html.escape(_fmt(c.predicted))}</td>"
            f"<td>{html.escape(_fmt(c.measured))}</td><td>{'ok' if c.agrees else 'DIFFERS'}"
            f"</td></tr>" for c in result.comparison)
        self.numbers.value = (f"<table data-role='comparison'><tr><th>quantity</th>"
                              f"<th>predicted</th><th>measured</th><th></th></tr>{rows}</table>")
        self._draw(keepalive_figure, result.prediction, result.timeline)


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
