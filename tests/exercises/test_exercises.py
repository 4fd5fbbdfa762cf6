"""The checked exercises: every reference solution passes, wrong answers fail usefully."""

from __future__ import annotations

import inspect
import re
import time
from collections import Counter

import pytest
from conftest import requires

import wslab.exercises._running as running
from wslab.codec import Frame, Opcode
from wslab.exercises import (
    CheckResult,
    Exercise,
    Kind,
    catalogue,
    check,
    exercise,
    exercises,
    given,
    hint,
    reset_hints,
)
from wslab.exercises._solutions import SOLUTIONS
from wslab.view import theme

ALL = exercises()
PROTOCOL_NOTEBOOKS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13"]


def by_id(selection: list[Exercise]) -> pytest.MarkDecorator:
    params = [pytest.param(ex, id=ex.id, marks=[pytest.mark.slow] if ex.slow else [])
              for ex in selection]
    return pytest.mark.parametrize("ex", params)


# -- the catalogue ----------------------------------------------------------------------------

def test_enough_exercises_in_every_protocol_notebook() -> None:
    assert len(ALL) >= 20
    per_notebook = Counter(ex.notebook for ex in ALL)
    thin = {nb: per_notebook[nb] for nb in PROTOCOL_NOTEBOOKS if per_notebook[nb] < 2}
    assert not thin, f"notebooks with fewer than 2 exercises: {thin}"
    assert {ex.kind for ex in ALL} == set(Kind)
    assert len({ex.id for ex in ALL}) == len(ALL)


def test_every_exercise_has_a_reference_solution_and_nothing_else() -> None:
    assert set(SOLUTIONS) == {ex.id for ex in ALL}


@by_id(ALL)
def test_exercise_is_well_formed(ex: Exercise) -> None:
    assert re.fullmatch(r"\d\d\.[a-z0-9_]+", ex.id)
    assert "§" in ex.prompt, f"{ex.id}: the prompt cites no RFC section"
    assert len(ex.hints) >= 2
    assert ex.answer_name in ex.placeholder
    if ex.kind is Kind.CODE:
        assert f"def {ex.answer_name}(" in ex.placeholder
        assert ex.answer_name in ex.prompt
    if ex.given is not None:
        assert given(ex.id) == ex.given()


def test_catalogue_lists_every_id() -> None:
    text, html = str(catalogue()), catalogue()._repr_html_()
    for ex in ALL:
        assert ex.id in text and ex.id in html
    assert len(catalogue("02")) == len(exercises(2)) >= 2


def test_unknown_id_suggests_the_closest() -> None:
    with pytest.raises(KeyError, match=r"02\.unmask"):
        exercise("02.unmsk")


# -- reference solutions pass; placeholders say what to do ------------------------------------

@by_id(ALL)
def test_reference_solution_passes(ex: Exercise) -> None:
    if ex.id == "06.echo_handler":
        requires("kosoku", "run Autobahn cases against the handler")
    result = check(ex.id, SOLUTIONS[ex.id])
    assert result.passed, str(result)
    assert result.answered and not result.failures
    assert str(result).startswith(f"{ex.id}: ✓")
    assert theme.GREEN in result._repr_html_()


@by_id(ALL)
def test_placeholder_says_what_to_do(ex: Exercise) -> None:
    namespace: dict[str, object] = {}
    exec(ex.placeholder, namespace)  # the cell a student starts from
    start = time.perf_counter()
    result = check(ex.id, namespace[ex.answer_name])
    assert time.perf_counter() - start < 1.0, "a placeholder runs nothing live"
    assert not result.passed and not result.answered
    assert "not answered yet" in str(result) and "run this cell again" in str(result)
    assert ex.answer_name in result.message


# -- wrong answers, of each kind ---------------------------------------------------------------

def test_wrong_code_names_input_expected_and_actual() -> None:
    result = check("02.unmask", lambda payload, key: payload)  # forgot to unmask
    assert not result.passed and result.answered
    first = result.failures[0]
    assert first.call == ("unmask(bytes.fromhex('7f 9f 4d 51 58') (5 bytes), "
                          "bytes.fromhex('37 fa 21 3d') (4 bytes))")
    assert first.expected == "bytes.fromhex('48 65 6c 6c 6f') (5 bytes)"  # b"Hello"
    assert first.actual == "bytes.fromhex('7f 9f 4d 51 58') (5 bytes)"
    text = str(result)
    assert "input:" in text and "expected:" in text and "got:" in text
    assert re.match(r"02\.unmask: ✗ \d of 7 cases failed", text)
    html = result._repr_html_()
    assert theme.RED in html and "48 65 6c 6c 6f" in html


def test_one_wrong_edge_case_is_found() -> None:
    def off_by_one(n: int) -> bytes:  # 126 should already take the 16-bit form
        if n <= 126:
            return bytes([n])
        return bytes([126]) + n.to_bytes(2, "big") if n <= 0xFFFF else \
            bytes([127]) + n.to_bytes(8, "big")

    result = check("02.length", off_by_one)
    assert [f.call for f in result.failures] == ["encode_length(126)"]
    assert result.failures[0].label == "smallest 16-bit length"
    assert result.passed_cases == result.cases - 1


def test_wrong_return_type_is_named() -> None:
    result = check("01.accept_key", lambda key: key.encode())
    assert "must return str, not bytes" in result.failures[0].message

    def accept_key(key: str) -> None:
        key.encode()  # forgot the return

    result = check("01.accept_key", accept_key)
    assert "must return str, not NoneType (no return statement?)" in result.failures[0].message


def test_answer_that_raises_is_reported_not_propagated() -> None:
    def accept_key(key: str) -> str:
        return key[100]

    result = check("01.accept_key", accept_key)
    assert not result.passed
    actual = result.failures[0].actual
    assert actual.startswith("raised IndexError: string index out of range")
    assert "in accept_key, line" in actual and "return key[100]" in actual
    assert "Traceback" not in str(result)


def test_answer_that_hangs_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(running, "CALL_TIMEOUT", 0.2)

    def unmask(payload: bytes, key: bytes) -> bytes:
        while True:
            pass

    start = time.perf_counter()
    result = check("02.unmask", unmask)
    assert time.perf_counter() - start < 2.0  # stopped once, the other cases not run
    assert "did not return within 0.2 s" in result.failures[0].actual
    assert any("not run" in d for d in result.details)


def test_not_a_function() -> None:
    result = check("02.unmask", b"Hello")
    assert not result.passed and "the function unmask itself" in result.message


def test_wrong_bytes_answer_fails_without_giving_it_away() -> None:
    result = check("02.which_rule", ("reserved-opcode", 12))
    assert not result.passed
    assert "part 1 ('reserved-opcode') is wrong; part 2 (12) is right" in result.message
    assert "data-frame-during-fragmented-message" not in str(result) + result._repr_html_()
    assert check("02.which_rule", (1, 2, 3)).failures[0].message.startswith(
        "2 parts expected, not 3")
    badly_formed = check("04.code_for_bytes", "1002")
    assert "should look like a close code" in badly_formed.message
    assert check("07.build_close", "88 85 37 fa 21 3d 34 12 43 44 52").passed  # hex text too


def test_read_bytes_answers_follow_the_codec() -> None:
    from wslab.codec import Rules

    assert check("02.which_rule", (Rules.DATA_DURING_FRAGMENTED, 12)).passed  # a Rule object
    assert not check("04.code_for_bytes", 1005).passed  # the code in the frame, not the answer


def test_utf8_fragments_table_agrees_with_pythons_decoder() -> None:
    """06.utf8_fragments expects values worked out by hand; a decoder agrees with each (the
    reference solution is Python's incremental decoder)."""
    from wslab.exercises._server import _FRAGMENTS

    first_bad = SOLUTIONS["06.utf8_fragments"]
    assert {bad for _, bad, _ in _FRAGMENTS} >= {None, 0, 1, 3}
    for fragments, bad, label in _FRAGMENTS:
        assert first_bad(fragments) == bad, label
        whole = b"".join(fragments)
        valid = True
        try:
            whole.decode("utf-8")
        except UnicodeDecodeError:
            valid = False
        assert valid == (bad is None), label


@pytest.mark.slow
def test_wrong_prediction_fails_with_the_measurement() -> None:
    result = check("03.predict", "never")
    assert not result.passed
    assert result.failures[0].actual == "never"
    assert re.search(r"measured live: the server's 1011 went out at 0\.\d+ s", str(result))


@pytest.mark.slow
def test_wrong_echo_handler_fails_on_the_ping_cases() -> None:
    requires("kosoku", "run Autobahn cases against the handler")
    reference = SOLUTIONS["06.echo_handler"]

    def no_pong(event: Frame) -> list[Frame]:
        return [] if event.opcode == Opcode.PING else reference(event)

    result = check("06.echo_handler", no_pong)
    assert not result.passed
    assert {f.call.split()[-1].split(".")[0] for f in result.failures} == {"2"}

    def raising(event: Frame) -> list[Frame]:
        return 1 / 0 if event.opcode == Opcode.PING else reference(event)  # type: ignore

    result = check("06.echo_handler", raising)
    assert not result.passed
    assert any("raised ZeroDivisionError: division by zero" in d for d in result.details)


def test_assert_passed_for_graders() -> None:
    ok = check("04.close_payload", SOLUTIONS["04.close_payload"])
    assert ok.assert_passed() is ok
    with pytest.raises(AssertionError, match=r"04\.close_payload: ✗"):
        check("04.close_payload", lambda code, reason: b"").assert_passed()
    assert isinstance(ok, CheckResult) and bool(ok)


# -- hints -------------------------------------------------------------------------------------

def test_hints_unlock_one_by_one() -> None:
    reset_hints()
    ex = exercise("02.unmask")
    seen = [hint(ex.id) for _ in ex.hints]
    assert [h.number for h in seen] == list(range(1, len(ex.hints) + 1))
    assert [h.text for h in seen] == list(ex.hints)
    last = hint(ex.id)
    assert last.text is None and "no more hints" in str(last)
    reset_hints(ex.id)
    assert hint(ex.id).number == 1
    assert "hint 1 of 3" in hint("03.pong")._repr_html_()
    reset_hints()


def _body_lines(solution: object) -> list[str]:
    """The solution's lines of code (for a value: its repr), the signature left out."""
    if callable(solution):
        lines = inspect.getsource(solution).splitlines()[1:]
    else:
        lines = [repr(solution)]
    return [line.strip() for line in lines if len(line.strip()) > 12]


@by_id(ALL)
def test_no_hint_contains_the_solution(ex: Exercise) -> None:
    hints = "\n".join(ex.hints)
    solution = SOLUTIONS[ex.id]
    for line in _body_lines(solution):
        assert line not in hints, f"{ex.id}: a hint gives away {line!r}"
    if not callable(solution):  # the value itself, standing alone, is not in the prompt
        assert not re.search(rf"(?<![\w.]){re.escape(repr(solution))}(?![\w.])", ex.prompt)


def test_checks_never_print_the_solution(capsys: pytest.CaptureFixture[str]) -> None:
    for ex in ALL:
        if not ex.slow:
            check(ex.id, None)
            check(ex.id, 12345)
    assert capsys.readouterr().out == ""
