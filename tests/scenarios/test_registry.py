"""The scenarios' registry and public face: each scenario declared once, by its decorator."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import wslab.scenarios
from wslab.scenarios import SCENARIOS, Scenario, ScenarioResult, describe, names, run, scenario

PACKAGE = Path(wslab.scenarios.__file__).parent
SOURCES = {path.name: path.read_text(encoding="utf-8") for path in sorted(PACKAGE.glob("*.py"))}
EXPECTED = 30  # scenarios in the lab (see README.md)
PROTOCOL_WORDS = {"echo", "ping"}  # names that are also route or frame words in the code
NAMED_CALLS = {"run", "result", "Lab", "new_lab", "_violation", "_refused"}


def _trees() -> dict[str, ast.Module]:
    return {name: ast.parse(text, name) for name, text in SOURCES.items()}


def _decorated_names() -> list[str]:
    """The first argument of every ``@scenario(...)`` in the package's source."""
    found = []
    for tree in _trees().values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for deco in node.decorator_list:
                    if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "scenario":
                        first = deco.args[0]
                        assert isinstance(first, ast.Constant), ast.dump(deco)
                        found.append(first.value)
    return found


def _called_with(name: str) -> list[str]:
    """Calls that pass ``name`` as a literal to a function that would name a result."""
    calls = []
    for module, tree in _trees().items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            callee = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            literals = [a.value for a in [*node.args, *(k.value for k in node.keywords)]
                        if isinstance(a, ast.Constant)]
            if callee in NAMED_CALLS and name in literals:
                calls.append(f"{module}:{node.lineno} {callee}({name!r})")
    return calls


def test_the_registry_lists_every_scenario_once() -> None:
    assert len(SCENARIOS) == EXPECTED
    assert names() == list(SCENARIOS)
    assert len(describe().splitlines()) == EXPECTED
    assert sorted(_decorated_names()) == sorted(SCENARIOS)
    assert all(isinstance(s, Scenario) and s.name == n for n, s in SCENARIOS.items())


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_scenario_name_is_written_once(name: str) -> None:
    assert _decorated_names().count(name) == 1
    assert not _called_with(name), "the name reaches the result through the registry"
    if name not in PROTOCOL_WORDS:  # those also name routes ("/echo") and frames ("ping")
        where = [f for f, text in SOURCES.items() for _ in range(text.count(name))]
        assert len(where) == 1, f"{name!r} is written in {where}"


def test_the_result_is_named_by_the_registry() -> None:
    calls = []

    def fake(new_lab: object, *, timeout: float = 5.0, size: int = 1) -> ScenarioResult:
        """Shows: a fake (RFC 6455). websockets: not used."""
        calls.append(new_lab)
        return ScenarioResult("?", "t", "e", "r")

    declared = scenario("test-only-fake", summary="a fake")(fake)
    try:
        assert declared.params == {"timeout": 5.0, "size": 1}
        run("test-only-fake", size=2)
        assert calls[0].func is wslab.scenarios.Lab and calls[0].args == ("test-only-fake",)
        with pytest.raises(ValueError, match="already registered"):
            scenario("test-only-fake", summary="again")(fake)
        with pytest.raises(ValueError, match="one non-empty line"):
            scenario("test-only-other", summary="two\nlines")(fake)
    finally:
        SCENARIOS.pop("test-only-fake", None)
    assert "test-only-other" not in SCENARIOS


def test_unknown_scenarios_and_parameters_are_refused() -> None:
    with pytest.raises(KeyError, match="no scenario 'nope'; there are: "):
        run("nope")
    with pytest.raises(TypeError, match="colour"):
        run(names()[0], colour="red")


# -- the public face ------------------------------------------------------------------------


def _documented(module: ast.Module) -> set[str]:
    """Names a module defines with a docstring: classes, functions, or ``X = ...`` + string."""
    out = set()
    body = module.body
    for i, node in enumerate(body):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node):
            out.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and i + 1 < len(body):
            after = body[i + 1]
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and \
                    isinstance(after.value.value, str):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                out |= {t.id for t in targets if isinstance(t, ast.Name)}
    return out


def test_the_face_lists_documented_names_and_private_modules_have_no_all() -> None:
    public = wslab.scenarios.__all__
    assert sorted(public) == sorted(set(public))
    assert all(hasattr(wslab.scenarios, name) for name in public)
    documented = set().union(*(_documented(t) for t in _trees().values()))
    assert not set(public) - documented, "every public name has a docstring"
    for module, tree in _trees().items():
        if module != "__init__.py":
            assert not [n for n in ast.walk(tree) if isinstance(n, ast.Name)
                        and n.id == "__all__"], module


def test_imports_go_down_through_public_faces_only() -> None:
    for module, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                assert node.module in ("codec", "view", "live"), f"{module}: {node.module}"
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith("wslab"), f"{module}: {node.module}"
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("wslab") for a in node.names), module
