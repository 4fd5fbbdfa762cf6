"""Test harness shared by the whole suite.

Outside programs and optional modules:
    ``from conftest import requires``, then call ``requires("tshark", "compare with Wireshark")``
    in a test, or mark it ``@pytest.mark.requires("chromium", reason="JupyterLab in a browser")``.
    When the program (on PATH) or module (importable) is missing, the test is skipped with
    that reason.

CI (``WSLAB_REQUIRE_ALL=1``, set by ``.ci/run``):
    nothing may skip silently. ``requires`` fails instead of skipping, and so does every
    other skip (``pytest.skip``, ``skipif``, ``importorskip``, empty parametrization).
    Expected failures (``xfail``) are left alone.

Threads:
    the suite fails if threads named ``wslab*`` are still alive 5 s after the last test.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import time
from collections.abc import Iterator

import pytest

REQUIRE_ALL = os.environ.get("WSLAB_REQUIRE_ALL", "") == "1"
THREAD_PREFIX = "wslab"
THREAD_GRACE_SECONDS = 5.0

__all__ = ["REQUIRE_ALL", "available", "missing", "requires"]


def available(tool_or_module: str) -> bool:
    """Whether ``tool_or_module`` is a program on PATH or an importable module."""
    if shutil.which(tool_or_module):
        return True
    try:
        return importlib.util.find_spec(tool_or_module) is not None
    except (ImportError, ValueError):
        return False


def missing(what: str, reason: str) -> None:
    """Skip the current test because ``what`` is missing (fail under WSLAB_REQUIRE_ALL=1).

    Raises:
        pytest.skip.Exception: normally.
        pytest.fail.Exception: when WSLAB_REQUIRE_ALL=1.
    """
    message = f"{what} is not available ({reason})"
    if REQUIRE_ALL:
        pytest.fail(f"{message} (WSLAB_REQUIRE_ALL=1: install it, skips are not allowed)",
                    pytrace=False)
    pytest.skip(message)


def requires(tool_or_module: str, reason: str) -> None:
    """Skip the calling test unless ``tool_or_module`` is on PATH or importable.

    Args:
        tool_or_module: a program name (``"tshark"``) or a module name (``"playwright"``).
        reason: what the test needs it for, shown in the skip message.
    Raises:
        pytest.skip.Exception: it is missing.
        pytest.fail.Exception: it is missing and WSLAB_REQUIRE_ALL=1.
    """
    if not available(tool_or_module):
        missing(repr(tool_or_module), reason)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requires(tool_or_module, reason=...): skip unless the program or module is there "
        "(fail under WSLAB_REQUIRE_ALL=1)",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers(name="requires"):
        if not mark.args:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.requires needs a name")
        requires(mark.args[0], mark.kwargs.get("reason", "run this test"))


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[None]:
    report: pytest.TestReport = yield
    if REQUIRE_ALL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = (f"skipped under WSLAB_REQUIRE_ALL=1, which allows no skips: "
                           f"{_skip_reason(report)}")
    return report


_collection_skips: list[str] = []


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Remember modules skipped at import time (``importorskip``, module-level skip)."""
    if REQUIRE_ALL and report.skipped:
        _collection_skips.append(f"{report.nodeid}: {_skip_reason(report)}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _collection_skips:
        terminalreporter.section("skipped at collection (not allowed: WSLAB_REQUIRE_ALL=1)",
                                 red=True)
        for line in _collection_skips:
            terminalreporter.line(line)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _collection_skips and exitstatus in (pytest.ExitCode.OK,
                                            pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _wslab_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t.name.startswith(THREAD_PREFIX) and t.is_alive()]


@pytest.fixture(scope="session", autouse=True)
def no_wslab_threads_left() -> Iterator[None]:
    """Fail the session if threads that wslab started outlive the tests (5 s grace)."""
    yield
    deadline = time.monotonic() + THREAD_GRACE_SECONDS
    for thread in _wslab_threads():
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    left = _wslab_threads()
    if left:
        names = ", ".join(f"{t.name} (daemon={t.daemon})" for t in left)
        pytest.fail(f"{len(left)} wslab thread(s) still alive {THREAD_GRACE_SECONDS:.0f} s "
                    f"after the last test: {names}", pytrace=False)
