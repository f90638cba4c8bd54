"""The pure core stays pure and the layers point inwards, checked from the import graph
(``tests/tools/import_graph.py``) and in fresh interpreters. Each check also runs once on a planted
package that breaks it, so a checker that sees nothing fails here."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.tools.import_graph import ROOT, cycles, import_graph

# The pure core: value grammar, table readers, scoring engine, input kinds, chart geometry, demo
# generators. No database, no web, no templates — in the module or in anything it imports, at
# import time or inside its functions.
PURE = (
    "app",
    "app.core",
    "app.targets",
    "app.scoring",
    "app.demo",
    "app.targets.types",
    "app.targets.grammar",
    "app.targets.levels",
    "app.targets.labels",
    "app.targets.html_cells",
    "app.targets.text_layout",
    "app.targets.grid",
    "app.targets.grid_labels",
    "app.targets.grid_values",
    "app.targets.readers",
    "app.targets.formats",
    "app.targets.checks",
    "app.scoring.policy",
    "app.scoring.units",
    "app.scoring.actuals",
    "app.scoring.engine",
    "app.scoring.explain",
    "app.scoring.case",
    "app.scoring.input_kinds",
    "app.scoring.input_shapes",
    "app.submissions.fields",
    "app.reports.charts",
    "app.demo.vocab",
    "app.demo.values",
    "app.demo.tables",
    "app.demo.render",
    "app.demo.actuals",
    "app.core.errors",
)
FORBIDDEN = ("sqlalchemy", "alembic", "fastapi", "starlette", "jinja2", "uvicorn", "app.db", "app.web")

# Modules that translate between HTTP / the command line and the services.
FACING_NAMES = frozenset({"web", "api", "views", "schemas", "middleware", "deps"})
FACING_PACKAGES = ("app.web", "app.cli", "app.main", "app.__main__")

# Import-time cycles that remain between areas' deferred imports (inside functions); the list may
# only shrink.
KNOWN_DEFERRED_CYCLES = [
    ["app.targets.formats", "app.targets.readers"],
]


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def _facing(module: str) -> bool:
    return module.startswith(FACING_PACKAGES) or module.rsplit(".", 1)[-1] in FACING_NAMES


def imported_in_fresh_interpreter(module: str, path: Path = ROOT) -> list[str]:
    """The forbidden modules that ``import module`` loads in a new interpreter."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(path)!r})
        import {module}
        print("\\n".join(sorted(sys.modules)))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return [m for m in out.split() if _forbidden(m)]


def impure_imports(pure: tuple[str, ...], package: str = "app", root: Path = ROOT) -> dict[str, list[str]]:
    """For each pure module, what it imports (inside functions too) that is neither pure nor allowed:
    an app module outside ``pure``, or a forbidden library."""
    import ast

    graph = import_graph(package, root, deferred=True)
    bad: dict[str, list[str]] = {}
    for module in pure:
        path = root / (module.replace(".", "/") + ".py")
        if not path.exists():
            path = root / module.replace(".", "/") / "__init__.py"
        external = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                external |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                external.add(node.module)
        found = sorted(t for t in graph.get(module, ()) if t not in pure)
        found += sorted(n for n in external if _forbidden(n))
        if found:
            bad[module] = found
    return bad


def layer_violations(package: str = "app", root: Path = ROOT) -> dict[str, list[str]]:
    """Services, models and the pure core that import a web/API/CLI module."""
    graph = import_graph(package, root, deferred=True)
    return {
        m: sorted(t for t in targets if _facing(t))
        for m, targets in sorted(graph.items())
        if not _facing(m) and any(_facing(t) for t in targets)
    }


@pytest.mark.parametrize("module", PURE)
def test_pure_module_loads_no_database_or_web_code(module):
    assert imported_in_fresh_interpreter(module) == []


def test_pure_modules_import_only_pure_modules_even_inside_functions():
    assert impure_imports(PURE) == {}


def test_only_web_api_and_cli_modules_import_web_api_and_cli_modules():
    assert layer_violations() == {}


def test_no_import_cycle_when_modules_load():
    assert cycles(import_graph()) == []


def test_deferred_import_cycles_only_shrink():
    found = cycles(import_graph(deferred=True))
    assert [c for c in found if c not in KNOWN_DEFERRED_CYCLES] == []
    assert [c for c in KNOWN_DEFERRED_CYCLES if c not in found] == [], (
        "a cycle is gone: drop it from the list"
    )


@pytest.fixture
def planted(tmp_path):
    """A package ``planted`` breaking each rule once."""
    pkg = tmp_path / "planted"
    (pkg / "core").mkdir(parents=True)
    for init in (pkg, pkg / "core"):
        (init / "__init__.py").write_text("")
    (pkg / "core" / "pure.py").write_text("import sqlalchemy\n")
    (pkg / "core" / "lazy.py").write_text("def f():\n    from planted import service\n    import fastapi\n")
    (pkg / "service.py").write_text("from planted import web\n")
    (pkg / "web.py").write_text("import planted.loop_a\n")
    (pkg / "loop_a.py").write_text("import planted.loop_b\n")
    (pkg / "loop_b.py").write_text("import planted.loop_a\n")
    return tmp_path


def test_the_checkers_see_what_is_planted(planted):
    assert "sqlalchemy" in imported_in_fresh_interpreter("planted.core.pure", planted)
    bad = impure_imports(
        ("planted", "planted.core", "planted.core.pure", "planted.core.lazy"), "planted", planted
    )
    assert bad == {
        "planted.core.pure": ["sqlalchemy"],
        "planted.core.lazy": ["planted.service", "fastapi"],
    }
    assert layer_violations("planted", planted) == {"planted.service": ["planted.web"]}
    assert cycles(import_graph("planted", planted)) == [["planted.loop_a", "planted.loop_b"]]
