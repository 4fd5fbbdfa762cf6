"""The package's architecture, checked: layers from the folder tree, imports only downward.

Every import of every module is read statically (``ast``): at the top, inside functions,
under ``if TYPE_CHECKING:``. From those imports:

- each module belongs to a layer, named by its folder (``wslab/codec/...`` is the codec);
  a module or folder that belongs to no layer fails;
- an import points down the layers, or stays inside its own subpackage; across
  subpackages it goes through the public face (``from ..codec import Frame``), never a
  private module (``from ..codec._frames import Frame``);
- the import graph has no cycle at all (Tarjan's strongly connected components);
- the codec and the view use no socket, thread, event loop or Jupyter;
- each subpackage states its public names in ``__init__.__all__``: they exist, they are
  documented, and no name is public in two places.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "wslab"
LAYERS = ("codec", "view", "live", "scenarios", "notebook", "exercises")  # bottom to top
TOP = len(LAYERS)  # wslab/__init__.py, __main__.py, cli.py: on top of every layer
TOP_MODULES = {"wslab", "wslab.__main__", "wslab.cli"}
PURE = {"codec", "view"}  # no I/O, no threads, no Jupyter
IMPURE = {"socket", "ssl", "selectors", "asyncio", "threading", "concurrent", "subprocess",
          "websockets", "IPython", "ipykernel", "ipywidgets", "matplotlib", "tqdm"}
Graph = Mapping[str, set[str]]


# -- reading the package ------------------------------------------------------------------

def module_name(path: Path, root: Path = PACKAGE) -> str:
    """``wslab/codec/_frames.py`` -> ``wslab.codec._frames``; ``__init__.py`` names the package."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))
            if "__pycache__" not in p.parts}


def imported(name: str, path: Path, known: Iterable[str], source: str | None = None
             ) -> list[tuple[int, str]]:
    """``(line, module)`` for every import in the module, resolved to absolute names.

    ``from package import name`` counts as importing the module ``package.name`` when
    there is one (``from . import _tap``), else the package itself.
    """
    known = set(known)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source, str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((node.lineno, sub if sub in known else target))
    return out


def graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (anywhere in it)."""
    found = modules(root)
    top = root.name
    edges: dict[str, set[str]] = {}
    for name, path in found.items():
        targets = set()
        for _, target in imported(name, path, found):
            while target and target not in found and target.startswith(top):
                target = target.rpartition(".")[0]
            if target in found and target != name:
                targets.add(target)
        edges[name] = targets
    return edges


def cycles(edges: Graph) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def layer_of(name: str) -> int | None:
    """The layer's rank (0 = codec) of a wslab module; ``None`` if it belongs to none."""
    if name in TOP_MODULES:
        return TOP
    parts = name.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def subpackage(name: str) -> str:
    return ".".join(name.split(".")[:2])


# -- the rules ----------------------------------------------------------------------------

def test_every_module_belongs_to_a_layer() -> None:
    homeless = [name for name in modules() if layer_of(name) is None]
    assert not homeless, (f"modules outside the layers {LAYERS} (or cli/__main__): {homeless}")
    assert {name.split(".")[1] for name in modules() if name.count(".") >= 1
            and name not in TOP_MODULES} == set(LAYERS)


def test_no_import_cycle_at_any_depth() -> None:
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_imports_point_down_through_public_faces() -> None:
    edges, offenders = graph(), []
    for name, targets in edges.items():
        for target in targets:
            if subpackage(target) == subpackage(name):
                continue  # inside one subpackage: its own private modules
            own, other = layer_of(name), layer_of(target)
            assert own is not None and other is not None
            if other > own:
                offenders.append(f"{name} ({own}) imports {target} ({other}): upward")
            elif target != subpackage(target) and target.rpartition(".")[2].startswith("_"):
                offenders.append(f"{name} imports the private module {target}: use "
                                 f"`from {subpackage(target)} import ...`")
    assert not offenders, "\n".join(sorted(offenders))


def test_codec_and_view_are_pure() -> None:
    found = modules()
    offenders = [f"{name}:{line} imports {target}"
                 for name, path in found.items() if name.split(".")[1:2] and
                 name.split(".")[1] in PURE
                 for line, target in imported(name, path, found)
                 if target.split(".")[0] in IMPURE]
    assert not offenders, "codec and view do no I/O and need no Jupyter:\n" + "\n".join(offenders)


def test_no_module_getattr_and_no_all_in_private_modules() -> None:
    offenders = []
    for name, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
                offenders.append(f"{name}: module __getattr__ (aliases are not a public face)")
            if (isinstance(node, ast.Assign) and name.rpartition(".")[2].startswith("_")
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)):
                offenders.append(f"{name}: __all__ in a private module (the package's "
                                 f"__init__ states the public names)")
    assert not offenders, "\n".join(offenders)


def _documented(package: object, name: str, value: object) -> bool:
    if inspect.isclass(value) or inspect.isroutine(value):
        return bool(inspect.getdoc(value)) and value.__doc__ not in (
            object.__doc__, type.__doc__, str.__doc__, int.__doc__, dict.__doc__)
    if inspect.ismodule(value):
        return bool(value.__doc__)
    # A constant: a comment on its definition line, or named in a docstring nearby.
    source = inspect.getsource(package)  # type: ignore[arg-type]
    for module in {inspect.getmodule(package), *_defining_modules(package, name)}:
        if module is None:
            continue
        text = inspect.getsource(module)
        if re.search(rf"^{name}\b[^\n]*#", text, re.M) or re.search(
                rf"#[^\n]*\n{name}\b", text) or f"``{name}``" in text or f":data:`{name}`" in text:
            return True
        if _attribute_docstring(text, name):
            return True
    return f"``{name}``" in source


def _attribute_docstring(source: str, name: str) -> bool:
    """Whether ``name = ...`` is followed by a string (an attribute docstring, PEP 257)."""
    body = ast.parse(source).body
    for node, after in itertools.pairwise(body):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return (isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str))
    return False


def _defining_modules(package: object, name: str) -> list[object]:
    out = []
    for module_name_ in sorted(modules()):
        if module_name_.startswith(getattr(package, "__name__", "") + "."):
            module = importlib.import_module(module_name_)
            if re.search(rf"^{name}\s*[:=]", inspect.getsource(module), re.M):
                out.append(module)
    return out


@pytest.mark.parametrize("layer", LAYERS)
def test_public_face_exists_and_is_documented(layer: str) -> None:
    package = importlib.import_module(f"wslab.{layer}")
    assert package.__doc__, f"wslab.{layer} has no docstring"
    names = getattr(package, "__all__", None)
    assert names, f"wslab.{layer}.__init__ states no public names (__all__)"
    assert len(names) == len(set(names)), f"wslab.{layer}.__all__ lists a name twice"
    missing = [n for n in names if not hasattr(package, n)]
    assert not missing, f"wslab.{layer}.__all__ lists names it does not have: {missing}"
    undocumented = [n for n in names if not _documented(package, n, getattr(package, n))]
    assert not undocumented, f"wslab.{layer}: public names without documentation: {undocumented}"


def test_each_public_object_has_one_home() -> None:
    homes: dict[int, list[str]] = {}
    for layer in LAYERS:
        package = importlib.import_module(f"wslab.{layer}")
        for name in package.__all__:
            value = getattr(package, name)
            if inspect.isclass(value) or inspect.isroutine(value) or inspect.ismodule(value):
                homes.setdefault(id(value), []).append(f"wslab.{layer}.{name}")
    twice = [where for where in homes.values() if len(where) > 1]
    assert not twice, f"one object, several public names (a re-export): {twice}"
    import wslab
    import wslab.codec

    front = set(wslab.__all__) - {"__version__"}
    assert front <= set(wslab.codec.__all__), "wslab's front door only shows codec names"
    assert all(getattr(wslab, n) is getattr(wslab.codec, n) for n in front)


def test_tests_mirror_the_layers() -> None:
    assert all((ROOT / "tests" / layer).is_dir() for layer in LAYERS)


# -- the checker itself -------------------------------------------------------------------

def test_the_checker_finds_cycles_inside_functions_and_type_checking(tmp_path: Path) -> None:
    pkg = tmp_path / "wslab"
    (pkg / "codec").mkdir(parents=True)
    (pkg / "view").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "codec" / "__init__.py").write_text("from ._a import A\n")
    (pkg / "codec" / "_a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ._b import B\nA = 1\n")
    (pkg / "codec" / "_b.py").write_text("def f():\n    from . import _a\n")
    (pkg / "view" / "__init__.py").write_text("from ..codec import A\n")
    edges = graph(pkg)
    assert edges["wslab.codec._a"] == {"wslab.codec._b"}
    assert edges["wslab.codec._b"] == {"wslab.codec._a"}
    assert edges["wslab.view"] == {"wslab.codec"}
    assert cycles(edges) == [["wslab.codec._a", "wslab.codec._b"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert layer_of("wslab.view._x") == 1 and layer_of("wslab.cli") == TOP
    assert layer_of("wslab.misc") is None
