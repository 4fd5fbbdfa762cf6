"""The generic measurement card and its text twin."""

from __future__ import annotations

from wslab.view import measurement_html, measurement_text
from wslab.view.theme import NUMBER


def test_measurement_card_aligns_numbers_and_escapes() -> None:
    page = measurement_html("RTT <x>", ["what", "p50 (ms)"], [["a&b", "0.250"], ["c", "—"]],
                            ["note <1>"], role="measurement-test")
    assert 'data-role="measurement-test"' in page
    assert "RTT &lt;x&gt;" in page and "a&amp;b" in page and "note &lt;1&gt;" in page
    assert f"<td style='{NUMBER}'>0.250</td>" in page
    assert f"<td style='{NUMBER}'>a&amp;b</td>" not in page


def test_measurement_text_is_a_table() -> None:
    text = measurement_text("T", ["name", "value (ms)"], [["x", "1.5"], ["longer", "10.25"]],
                            ["a note"])
    lines = text.splitlines()
    assert lines[0] == "T" and lines[-1] == "a note"
    assert lines[2].endswith("  1.5") and lines[3].endswith("10.25")
    assert len({len(line) for line in lines[1:4]}) == 1
