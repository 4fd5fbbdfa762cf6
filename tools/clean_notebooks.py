"""Store notebooks clean: no outputs, no execution counts, no saved widget state.

Usage:
    python tools/clean_notebooks.py notebooks/*.ipynb          # clean in place
    python tools/clean_notebooks.py --check notebooks/*.ipynb  # list what is dirty, exit 1 if any

Standard library only (runs before any install). Files are written the way nbformat
writes them (sorted keys, one-space indent), so cleaning a clean notebook changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# Cell metadata that records a run rather than content.
RUN_METADATA = ("execution", "ExecuteTime")


def dirty_cells(nb: dict[str, Any]) -> list[str]:
    """What would be removed from ``nb``, one line per cell (or notebook) concerned."""
    found = []
    if "widgets" in nb.get("metadata", {}):
        found.append("notebook metadata: saved widget state")
    for index, cell in enumerate(nb.get("cells", [])):
        what = []
        if cell.get("outputs"):
            what.append(f"{len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            what.append(f"execution_count {cell['execution_count']}")
        what += [f"metadata {key!r}" for key in RUN_METADATA if key in cell.get("metadata", {})]
        if what:
            first = "".join(cell.get("source", "")).strip().splitlines()[:1]
            found.append(f"cell {index} ({first[0][:50] if first else 'empty'!r}): "
                         + ", ".join(what))
    return found


def clean(nb: dict[str, Any]) -> dict[str, Any]:
    """Strip outputs, execution counts and run metadata from ``nb`` (in place); return it."""
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in RUN_METADATA:
            cell.get("metadata", {}).pop(key, None)
    return nb


def dumps(nb: dict[str, Any]) -> str:
    """``nb`` as JSON text, formatted like ``nbformat.write``."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="notebooks (.ipynb)")
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if dirty")
    args = parser.parse_args(argv)
    dirty = False
    for path in args.paths:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"{path}: cannot read notebook: {exc}", file=sys.stderr)
            return 2
        problems = dirty_cells(nb)
        if args.check:
            dirty = dirty or bool(problems)
            for line in problems:
                print(f"{path}: {line}")
            continue
        text = dumps(clean(nb))
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
            print(f"{path}: cleaned ({len(problems)} item(s))")
    return 1 if dirty else 0


if __name__ == "__main__":
    sys.exit(main())
