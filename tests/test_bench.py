"""The benchmark script runs and reports the contract's figures (speed is not asserted here)."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_codec.py"


def test_bench_quick_run_prints_every_case(capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(BENCH), "--quick"])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(BENCH), run_name="__main__")
    assert done.value.code == 0
    out = capsys.readouterr().out
    lines = re.findall(r"wslab=([\d,]+) frames/s websockets=([\d,]+) frames/s ratio=([\d.]+)", out)
    assert len(lines) == 3, out
    for ours, theirs, _ in lines:
        assert int(ours.replace(",", "")) > 0 and int(theirs.replace(",", "")) > 0


HARNESS = BENCH.parent / "bench_harness.py"


def test_harness_bench_quick_run_prints_medians_and_ratios(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", [str(HARNESS), "--quick"])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(HARNESS), run_name="__main__")
    assert done.value.code == 0
    out = capsys.readouterr().out
    medians = dict(re.findall(r"(\w+): median\s+([\d.]+) us", out))
    assert set(medians) == {"tcp", "bare", "lab", "tap"}
    assert all(float(v) > 0 for v in medians.values())
    ratios = dict(re.findall(r"([\w/]+)=([\d.]+)", out.splitlines()[-2]))
    assert set(ratios) == {"lab/bare", "tap/lab", "tap/bare", "bare/tcp"}
