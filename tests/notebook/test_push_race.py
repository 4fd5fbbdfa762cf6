"""The PushRace widget (experiment 7), driven from Python as a student's clicks drive it."""

from __future__ import annotations

import threading

from wslab.notebook import PushRace, push_figure
from wslab.scenarios import PushRaceResult

PNG = b"\x89PNG\r\n\x1a\n"


def test_knobs_click_table_and_one_figure_redrawn_in_place() -> None:
    race = PushRace(count=8, rate=100.0)
    race.poll_interval_ms.value = 20
    race.transports.value = ("websocket", "long-poll")
    figure = race.figure
    race.run_button.click()
    assert race.error == "" and not race.running and not race.run_button.disabled
    assert isinstance(race.result, PushRaceResult)
    assert list(race.result.runs) == ["websocket", "long-poll"]
    assert race.result.count == 8 and race.result.poll_interval == 0.02
    assert "WebSocket" in race.value and "HTTP long polling" in race.value
    assert "measurement-pushraceresult" in race.numbers.value
    assert 'data-role="done"' in race.status.value
    first = bytes(race.image.value)
    assert first.startswith(PNG)
    race.count.value = 4
    race.transports.value = ("sse",)
    race.run_button.click()
    assert race.figure is figure  # the same figure, redrawn
    assert bytes(race.image.value).startswith(PNG) and bytes(race.image.value) != first
    assert list(race.result.runs) == ["sse"] and race.result.count == 4
    assert not [t.name for t in threading.enumerate() if t.name.startswith("wslab-push")]


def test_errors_show_in_the_widget_not_as_tracebacks() -> None:
    race = PushRace()
    race.transports.value = ()
    race.run_button.click()  # does not raise
    assert race.error.startswith("ValueError") and "transport" in race.error
    assert 'data-role="error"' in race.status.value and race.result is None


def test_figure_has_title_axis_labels_with_units() -> None:
    race = PushRace(count=4, rate=200.0)
    race.transports.value = ("websocket", "short-poll")
    race.run_button.click()
    fig = push_figure(race.result)
    cdf, bars = fig.axes
    assert "WebSocket vs HTTP" in fig._suptitle.get_text()
    assert "(ms" in cdf.get_xlabel() and "(B)" in bars.get_ylabel()
    assert cdf.get_legend() is not None and bars.get_legend() is not None
