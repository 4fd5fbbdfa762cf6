"""The README's examples work as written: its Python snippet and its command lines."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from wslab.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def code_block(after_heading: str, language: str) -> str:
    section = README.split(after_heading, 1)[1]
    match = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert match, f"no {language} block after {after_heading!r}"
    return match.group(1)


def test_python_snippet_runs_and_says_what_it_claims() -> None:
    namespace: dict[str, object] = {}
    exec(code_block("## From Python", "python"), namespace)  # our own README
    result = namespace["result"]
    assert result.server_sent_close == (1011, "keepalive ping timeout")  # type: ignore[attr-defined]
    assert result.client_received_close == result.server_sent_close  # type: ignore[attr-defined]


COMMANDS = [
    line.split("#")[0].strip()
    for line in code_block("## Command line", "sh").splitlines()
    if line.startswith("python -m wslab") and " serve" not in line and " handshake " not in line
    and "|" not in line
]


@pytest.mark.parametrize("command", COMMANDS)
def test_command_line_examples_exit_0(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(shlex.split(command)[3:]) == 0
    assert capsys.readouterr().out.strip()


def test_the_examples_were_found() -> None:
    assert len(COMMANDS) >= 5, COMMANDS
