"""The widgets that run experiments, driven from Python as clicks drive them.

Each test sets the inputs, clicks the run button and reads what the widget shows: the
numbers, the figure (a PNG), the status line; errors must appear in the widget.
"""

from __future__ import annotations

import threading

import pytest

from wslab.notebook import KeepaliveExplorer, ScenarioRunner, TimingExplorer
from wslab.scenarios import SCENARIOS, PingRtts, SizeSweep

PNG = b"\x89PNG\r\n\x1a\n"


def no_wslab_threads() -> bool:
    return not [t for t in threading.enumerate() if t.name.startswith("wslab")
                and t.is_alive() and t.name != "wslab-hol-pinger"]


def test_scenario_runner_shows_only_the_parameters_a_scenario_takes() -> None:
    runner = ScenarioRunner("echo")
    assert set(runner.params) == {"text", "data", "timeout"}
    assert runner.params["data"].value == "00 01 fe ff"  # bytes as hex
    runner.scenario.value = "intercept-drop-pongs"
    assert set(runner.params) == set(SCENARIOS["intercept-drop-pongs"].params)
    assert "drops every pong" in runner.summary.value


def test_scenario_runner_runs_and_shows_both_closes_transcript_and_figure() -> None:
    runner = ScenarioRunner("intercept-unmask")
    states = []
    runner.observe(lambda c: states.append((c["new"], runner.run_button.disabled)), "running")
    runner.params["text"].value = "Hi"
    runner.run_button.click()
    assert states == [(True, True), (False, False)]  # disabled while running
    assert runner.error == ""
    assert "server sent 1002" in runner.value
    assert "client reports 1002" in runner.numbers.value
    assert "1002" in runner.transcript.value and "intercept" in runner.transcript.value
    assert runner.image.value.tobytes().startswith(PNG)
    assert "done in" in runner.status.value
    assert no_wslab_threads()


def test_scenario_runner_shows_errors_in_the_widget() -> None:
    runner = ScenarioRunner("echo")
    runner.params["data"].value = "not hex"
    runner.run_button.click()  # no exception escapes
    assert runner.error.startswith("ValueError")
    assert 'data-role="error"' in runner.status.value
    assert not runner.run_button.disabled


def test_timing_explorer_pings_then_sweeps_into_one_figure() -> None:
    explorer = TimingExplorer()
    figure = explorer.figure
    explorer.count.value = 20
    explorer.run_button.click()
    assert explorer.error == "" and isinstance(explorer.result, PingRtts)
    assert len(explorer.result.client) == 20
    assert "p99 (ms)" in explorer.numbers.value and explorer.image.value.tobytes().startswith(PNG)
    assert explorer.progress.value == explorer.progress.max == 20
    explorer.experiment.value = "size sweep"
    assert explorer.sweep_box.layout.display is None
    assert explorer.ping_box.layout.display == "none"
    explorer.sizes.value = (1, 4096)
    explorer.repeats.value = 2
    explorer.run_button.click()
    explorer.deflate.value = True
    explorer.run_button.click()
    assert isinstance(explorer.result, SizeSweep) and explorer.result.deflate
    assert [r.label for r in explorer.history] == ["ws", "ws + deflate, random"]
    assert explorer.figure is figure  # redrawn in place, not a new figure per run
    assert "throughput (MB/s)" in explorer.numbers.value


def test_timing_explorer_stops_a_run_past_its_budget() -> None:
    explorer = TimingExplorer(budget=0.0)  # every run is over budget at its first step
    explorer.count.value = 2000
    explorer.run_button.click()
    assert explorer.error == ""
    assert explorer.result.interrupted and len(explorer.result.client) == 1
    assert "budget" in explorer.status.value
    assert no_wslab_threads()


def test_keepalive_explorer_predicts_on_every_change_and_measures_on_click() -> None:
    explorer = KeepaliveExplorer(ping_interval=0.1, ping_timeout=0.2, delay=0.05)
    first = explorer.image.value
    assert bytes(first).startswith(PNG) and "within ping_timeout" in explorer.prediction_text.value
    explorer.delay.value = 0.3
    assert "longer than ping_timeout" in explorer.prediction_text.value
    assert bytes(explorer.image.value) != bytes(first)
    explorer.run_button.click()
    assert explorer.error == ""
    assert explorer.result.measurement.timed_out
    assert "times out (1011)" in explorer.numbers.value and "DIFFERS" not in \
        explorer.numbers.value.split("1011 sent at")[0]
    assert explorer.run_button.description == "measure" and not explorer.run_button.disabled


@pytest.mark.parametrize("interval, timeout", [(0.0, 0.2)])
def test_keepalive_explorer_shows_bad_settings_as_a_message(interval: float,
                                                            timeout: float) -> None:
    explorer = KeepaliveExplorer()
    explorer.ping_interval.min = 0.0
    explorer.ping_interval.value = interval
    assert 'data-role="error"' in explorer.prediction_text.value
