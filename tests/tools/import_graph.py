"""The import graph of ``app/`` read from the source (``python -m tests.tools.import_graph``).

Edges are the imports a module runs when it is imported: module-level ``import`` / ``from …
import`` statements, including those inside ``try`` and plain ``if`` blocks, but not those under
``if TYPE_CHECKING:`` (annotations only) nor those inside functions (run when called). ``from
app.x import name`` counts as an edge to ``app.x.name`` when that is a module, else to ``app.x``.
Run as a module it prints every cycle and exits 1 when there is one.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_files(package: str = "app", root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name → source file, for every module of ``package``."""
    base = root / package.replace(".", "/")
    found: dict[str, Path] = {}
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(body: Iterable[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _module_level(block)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _everywhere(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, inside functions too, except under ``if TYPE_CHECKING:``."""
    hidden = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node.test)
        for stmt in node.body
        for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in hidden:
            yield node


def imports_of(module: str, path: Path, known: set[str], *, deferred: bool = False) -> set[str]:
    """The modules of ``known`` that importing ``module`` imports directly (``deferred``: also
    the imports inside its functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    targets: set[str] = set()
    for node in _everywhere(tree) if deferred else _module_level(tree.body):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            origin = _resolve(module, node, path.name == "__init__.py")
            names = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in known else origin for a in node.names]
        for name in names:
            # importing a.b.c runs a and a.b first
            parts = name.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                # a module's own packages are already being imported when it runs
                if prefix in known and not (module == prefix or module.startswith(prefix + ".")):
                    targets.add(prefix)
    return targets


def import_graph(package: str = "app", root: Path = ROOT, *, deferred: bool = False) -> dict[str, set[str]]:
    files = module_files(package, root)
    known = set(files)
    return {m: imports_of(m, p, known, deferred=deferred) for m, p in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def main() -> int:
    found = cycles(import_graph())
    for component in found:
        print("cycle:", " ↔ ".join(component))
    print(f"{len(found)} import cycle(s) in app/")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
