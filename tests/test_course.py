"""Claims the course once got wrong, checked so that they stay right.

Each test names the mistake a reviewer found (read against RFC 6455, RFC 7692 and the
`websockets` library) and checks the notebooks and the package no longer make it: the
words in the notebooks, and where possible the fact itself, live.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from websockets.frames import OK_CLOSE_CODES

from wslab.codec import (
    CloseCode,
    Rules,
    build_request,
    check_request,
    describe,
    parse_request,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def prose(name: str) -> str:
    """The markdown of notebook ``name`` (e.g. ``"01"``), joined, whitespace collapsed."""
    [path] = NOTEBOOKS.glob(f"{name}-*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return " ".join(text.split())


def every_text() -> str:
    """All notebooks' markdown, the README and the package's source, whitespace collapsed."""
    parts = [prose(p.name[:2]) for p in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))]
    parts.append((ROOT / "README.md").read_text(encoding="utf-8"))
    parts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "wslab").rglob("*.py"))]
    return " ".join(" ".join(parts).split())


def test_not_every_websocket_starts_as_http11() -> None:
    text = prose("01")
    assert "Every WebSocket connection starts as plain HTTP/1.1" not in text
    assert "RFC 8441" in text and "RFC 9220" in text and ":protocol: websocket" in text
    assert "no `Sec-WebSocket-Key`" in text  # what differs: no key, no accept, a 200


def test_clean_close_codes_are_the_librarys_own() -> None:
    # websockets reports 1000, 1001 and an empty close frame (1005) as clean.
    assert set(OK_CLOSE_CODES) == {1000, 1001, 1005}
    text = prose("06")
    assert "Any code other than 1000 or 1001 raises" not in text
    assert "1005" in text and "ConnectionClosedOK" in text


def test_no_exercise_asks_to_fix_what_is_fixed() -> None:
    text = prose("06")
    assert not re.search(r"two `?NON-STRICT`? cases", text)


def test_1001_is_the_browser_navigating_away() -> None:
    assert not any("leaving a page" in cause for cause in describe(1000).causes)
    assert any("navigating away" in cause for cause in describe(1001).causes)


def test_405_is_https_rule_not_rfc6455s() -> None:
    request = parse_request(build_request("ws://example.com/").serialize()
                            .replace(b"GET ", b"POST ", 1))
    [problem] = [p for p in check_request(request) if p.status == 405]
    assert "RFC 9110" in problem.rfc
    text = prose("01")
    assert "RFC 9110 §15.5.6" in text and "426" in text and "400 (not 426)" in text


def test_rsv1_rules_cite_rfc7692_section_6() -> None:
    assert Rules.RSV1_ON_CONTINUATION.rfc == Rules.RSV1_ON_CONTROL.rfc == "RFC 7692 §6"
    assert not re.search(r"RSV1[^.]{0,80}§6\.1", every_text())


def test_never_on_the_wire_is_three_codes_and_one_reserved() -> None:
    text = prose("04")
    assert "Four codes never go on the wire" not in text
    assert "MUST NOT" in text and "1004" in text
    assert [c for c in CloseCode if not describe(c).on_wire] == [1004, 1005, 1006, 1015]


@pytest.mark.parametrize("notebook", ["02", "03"])
def test_a_ping_waits_behind_a_long_frame(notebook: str) -> None:
    text = prose(notebook)
    assert "never waits behind" not in text
    assert "does not hold up a ping" not in text
    assert "websockets" in text and "one frame" in text


def test_a_failing_client_reports_1006_because_it_failed() -> None:
    text = prose("04")
    assert "so the client never receives a close frame" not in text
    assert re.search(r"client has \*failed\* the connection", text)


def test_the_key_is_decoded_to_be_checked() -> None:
    assert "never base64-decoded" not in every_text()
    assert "decodes it only to check" in prose("01")


def test_close_codes_are_claimed_exactly() -> None:
    text = every_text()
    assert "1011 three ways" not in text and "every close code on demand" not in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "1011 four ways" in readme


# -- the course's shape: every notebook the same way in, the same way out ------------------

COURSE = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
OBJECTIVES = re.compile(r"(In this notebook you will|\*\*You will\*\*)[^\n]*(\n[^\n]+)*\n\n1\. ")
QUESTION = re.compile(r"^\d+\. ", re.MULTILINE)


def markdown_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def section(text: str, heading: str) -> str | None:
    """The text under ``## heading`` up to the next ``## `` heading, or ``None``."""
    found = re.search(rf"^## {heading}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    return None if found is None else found.group(1)


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name[:2])
def test_every_notebook_starts_with_objectives_and_prerequisites(path: Path) -> None:
    first = markdown_cells(path)[0]
    assert first.startswith("# "), "the first cell is the title"
    assert OBJECTIVES.search(first), "learning objectives, as a numbered list, in the first cell"
    assert "**Before you start:**" in first, "prerequisites in the first cell"
    assert re.search(r"About \d+\s+minutes", first), "the time it takes, in the first cell"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name[:2])
def test_every_notebook_ends_with_a_summary_questions_and_the_next_step(path: Path) -> None:
    text = "\n\n".join(markdown_cells(path))
    assert section(text, "What you saw") or section(text, "What you measured"), "a summary"
    questions = section(text, "Check yourself")
    assert questions is not None, "self-check questions"
    assert 3 <= len(QUESTION.findall(questions)) <= 5
    after = section(text, "Next")
    assert after is not None, "a link to what comes next"
    links = re.findall(r"\]\(([0-9][0-9]-[^)#]+\.ipynb)", after)
    assert links and all((NOTEBOOKS / link).is_file() for link in links), links
    assert text.index("## Check yourself\n") < text.index("## Next\n")


def test_course_map_readme_and_teaching_guide_list_every_notebook() -> None:
    start = "\n".join(markdown_cells(NOTEBOOKS / "00-start-here.ipynb"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
    for path in COURSE:
        number = path.name[:2]
        if number != "00":
            assert f"]({path.name})" in start, f"{path.name} in 00's course map"
            assert re.search(rf"^\| {number} \|.*\| \d+ min \|", start, re.MULTILINE), number
        assert f"](notebooks/{path.name})" in readme, f"{path.name} in the README's table"
        assert re.search(rf"^\| {number} \|", guide, re.MULTILINE), f"{number} in the guide"


@pytest.mark.parametrize("path", [p for p in COURSE if p.name[:2] != "00"],
                         ids=lambda p: p.name[:2])
def test_the_teaching_guide_answers_every_notebooks_questions(path: Path) -> None:
    """docs/teaching.md: expected answers, one per self-check question, per notebook."""
    guide = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
    questions = section("\n\n".join(markdown_cells(path)), "Check yourself") or ""
    found = re.search(rf"^\*\*{path.name[:2]} · [^*]+\*\*\n\n(.*?)(?=^\*\*\d\d · |^## |\Z)",
                      guide, re.MULTILINE | re.DOTALL)
    assert found, f"no expected answers for {path.name} in docs/teaching.md"
    assert len(QUESTION.findall(found.group(1))) == len(QUESTION.findall(questions))


def test_readme_and_guide_count_the_exercises_exactly() -> None:
    from wslab.exercises import exercises

    count = len(exercises())
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    guide = " ".join((ROOT / "docs" / "teaching.md").read_text(encoding="utf-8").split())
    assert f"`wslab.exercises`: {count} of them" in readme
    assert f"`wslab.exercises` holds {count} checked exercises" in guide
