"""The fuzzer (tools/fuzz.py, `make fuzz`) works: a small campaign; planted bugs are caught."""

from __future__ import annotations

import importlib.util
import json
import signal
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from wslab.codec import _stream as stream

ROOT = Path(__file__).resolve().parents[2]
SMOKE = 3000
SEED = 6455


def load_fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wslab_tools_fuzz", ROOT / "tools" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    return module


fuzz = load_fuzz()


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stream, "_fast_ok_table", stream._fast_ok_table)
        return fuzz.campaign(SMOKE, seed=SEED, workers=1, out=tmp_path_factory.mktemp("fuzz"))


def test_smoke_campaign_runs_every_target_and_configuration(smoke: Any) -> None:
    assert smoke.total == SMOKE
    assert set(smoke.counts) == set(fuzz.TARGETS)
    for target in ("dissect", "stream"):
        assert len(smoke.configs[target]) == 6, "3 senders x deflate on/off"
    assert set(smoke.configs["handshake"]) == {"request", "response"}
    assert smoke.elapsed < 60


def test_every_failure_found_is_saved_and_replays(smoke: Any) -> None:
    """Whatever the codec's state, each failure is saved, and replaying it fails again."""
    assert len(smoke.saved) == len(smoke.failures)
    for failure, path in zip(smoke.failures.values(), smoke.saved, strict=True):
        assert path.read_bytes() == failure.case.data
        again = fuzz.replay(path.with_suffix(".json"))
        assert again is not None and again.key == failure.key


def test_smoke_campaign_finds_no_failure(smoke: Any) -> None:
    assert not smoke.failures, "\n" + str(smoke)


def test_inputs_depend_on_seed_target_and_index_only() -> None:
    for target, make in fuzz.MAKERS.items():
        a = make(fuzz.rng_for(SEED, target, 17))
        b = make(fuzz.rng_for(SEED, target, 17))
        c = make(fuzz.rng_for(SEED + 1, target, 17))
        assert (a.data, a.params) == (b.data, b.params)
        assert (a.data, a.params) != (c.data, c.params)


def test_two_workers_run_the_same_inputs_as_one(tmp_path: Path) -> None:
    one = fuzz.campaign(400, seed=SEED, workers=1, out=tmp_path / "1")
    two = fuzz.campaign(400, seed=SEED, workers=2, out=tmp_path / "2")
    assert one.configs == two.configs and set(one.failures) == set(two.failures)


def planted(case: Any) -> None:
    """A check with a planted bug: an IndexError for inputs of 7k + 3 bytes."""
    if len(case.data) % 7 == 3:
        raise IndexError("planted bug")
    ORIGINAL_DISSECT(case)


ORIGINAL_DISSECT = fuzz.CHECKS["dissect"]


def test_a_planted_crash_is_caught_saved_and_replayed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(fuzz.CHECKS, "dissect", planted)
    code = fuzz.main(["--count", "300", "--seed", str(SEED), "--workers", "1",
                      "--targets", "dissect", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED dissect" in out and "IndexError: planted bug" in out
    saved = sorted(tmp_path.glob("crash-dissect-*.bin"))
    planted_ones = [p for p in saved
                    if "planted bug" in json.loads(p.with_suffix(".json").read_text())["error"]]
    assert len(planted_ones) == 1, "one file per kind of failure"
    path = planted_ones[0]
    meta = json.loads(path.with_suffix(".json").read_text())
    assert len(path.read_bytes()) % 7 == 3 and meta["input_hex"] == path.read_bytes().hex()
    assert meta["count"] >= 1 and "planted" in meta["where"]
    assert f"--replay {path.with_suffix('.json')}" in out
    assert fuzz.main(["--replay", str(path.with_suffix(".json"))]) == 1
    assert "IndexError: planted bug" in capsys.readouterr().out
    regenerated = fuzz.main(["--seed", str(SEED), "--index", f"dissect:{meta['index']}"])
    assert regenerated == 1, "the seed and index make the same input again"
    monkeypatch.setitem(fuzz.CHECKS, "dissect", ORIGINAL_DISSECT)
    fixed = fuzz.replay(path)
    assert fixed is None or "planted" not in fixed.error, "without the bug, no such failure"


def test_a_hanging_input_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(case: Any) -> None:
        while True:
            pass

    monkeypatch.setattr(fuzz, "HANG_SECONDS", 0.2)
    monkeypatch.setitem(fuzz.CHECKS, "dissect", hang)
    previous = signal.signal(signal.SIGALRM, fuzz._on_alarm)
    try:
        failure = fuzz.run_one(fuzz.Case("dissect", b"\x81\x00", {}), SEED, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert failure is not None and failure.error.startswith("Hang: one input ran over 0.2 s")


def test_a_broken_input_generator_is_reported_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(rng: Any) -> Any:
        raise ValueError("generator bug")

    monkeypatch.setitem(fuzz.MAKERS, "handshake", broken)
    _, configs, failures = fuzz.run_batch(("handshake", SEED, 0, 5))
    assert sum(configs.values()) == 0
    assert len(failures) == 1 and failures[0].count == 5 and "generator bug" in failures[0].error
