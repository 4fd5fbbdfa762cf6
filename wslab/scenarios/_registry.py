"""The registry: every scenario, declared once with :func:`scenario`, run by name.

A scenario is a function that takes a lab factory (``new_lab``) and keyword parameters,
and returns :class:`~wslab.scenarios.ScenarioResult`. The decorator records it
under its name; the runner builds every :class:`~wslab.scenarios.Lab` knowing that
name, so the name is written in one place only::

    @scenario("my-experiment", summary="one line for describe()")
    def my_experiment(new_lab: LabFactory, *, timeout: float = 5.0) -> ScenarioResult:
        with new_lab(timeout=timeout) as lab:
            ...
            return lab.result(title, explanation, rfc, client_close=...)
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from ._lab import Lab
from ._result import ScenarioResult

ScenarioFunction = Callable[..., ScenarioResult]  # (new_lab, **params) -> ScenarioResult


class Scenario:
    """One registered scenario: its name, its one-line summary, and the function.

    Calling it (``scenario(**params)``) runs the function with a lab factory bound to
    the scenario's name; :func:`run` does that by name.

    Attributes:
        name: the name it is run by (``"echo"``).
        summary: one line, what it shows.
        function: ``function(new_lab, **params)``.
    """

    def __init__(self, name: str, summary: str, function: ScenarioFunction) -> None:
        if not summary or "\n" in summary:
            raise ValueError(f"scenario {name!r}: the summary is one non-empty line")
        self.name, self.summary, self.function = name, summary, function
        self.__doc__ = function.__doc__

    @property
    def params(self) -> dict[str, Any]:
        """The keyword parameters and their defaults (``{"timeout": 5.0, ...}``)."""
        return {p.name: p.default for p in inspect.signature(self.function).parameters.values()
                if p.kind is inspect.Parameter.KEYWORD_ONLY}

    def __call__(self, **params: Any) -> ScenarioResult:
        """Run it: a fresh server, tap and clients, torn down at the end.

        Raises:
            TypeError: an unknown parameter.
            ScenarioError: the scenario could not run to its end.
        """
        return self.function(functools.partial(Lab, self.name), **params)

    def __repr__(self) -> str:
        return f"<Scenario {self.name}: {self.summary}>"


SCENARIOS: dict[str, Scenario] = {}
"""Every scenario by name, in the order they were declared."""


def scenario(name: str, *, summary: str) -> Callable[[ScenarioFunction], Scenario]:
    """Declare a scenario: record the decorated function under ``name`` in :data:`SCENARIOS`.

    Args:
        name: the name :func:`run` knows it by; it reaches the result through the lab.
        summary: one line for :func:`describe`.
    Raises:
        ValueError: the name is taken, or the summary is not one line.
    """

    def register(function: ScenarioFunction) -> Scenario:
        if name in SCENARIOS:
            raise ValueError(f"a scenario named {name!r} is already registered")
        SCENARIOS[name] = declared = Scenario(name, summary, function)
        return declared

    return register


def names() -> list[str]:
    """The scenario names, in the order of :data:`SCENARIOS`."""
    return list(SCENARIOS)


def describe() -> str:
    """One line per scenario: its name and what it shows."""
    width = max(len(name) for name in SCENARIOS)
    return "\n".join(f"{name:<{width}}  {s.summary}" for name, s in SCENARIOS.items())


def run(name: str, **params: Any) -> ScenarioResult:
    """Run the scenario ``name`` with its keyword parameters (``timeout=``...).

    Raises:
        KeyError: no scenario has that name (the message lists them).
        ScenarioError: the scenario could not run to its end.
    """
    try:
        found = SCENARIOS[name]
    except KeyError:
        raise KeyError(f"no scenario {name!r}; there are: {', '.join(SCENARIOS)}") from None
    return found(**params)
