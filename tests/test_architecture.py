"""The package's structure, enforced: no import cycles, commands only in runner/cli.

import-linter (`lint-imports` in .ci/run, contracts in pyproject.toml) checks the layers; it
ignores cycles inside a layer and cannot see why a module prints. These tests walk every module's
AST, imports inside functions and under ``TYPE_CHECKING`` included, so a deferred import cannot
hide a cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

RUNNER = Path(__file__).resolve().parent.parent / "runner"


def _module_name(path: Path) -> str:
    parts = path.relative_to(RUNNER.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(RUNNER.rglob("*.py"))}


def _imports(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """Every runner module that ``name`` imports, with the line; ``from pkg import mod`` counts as
    importing ``pkg.mod`` when that is a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            targets = [f"{module}.{alias.name}" for alias in node.names]
            targets = [t for t in targets if t in MODULES] or [module]
        else:
            continue
        for target in targets:
            if target in MODULES and target != name:
                yield target, node.lineno


GRAPH: dict[str, set[str]] = {
    name: {target for target, _ in _imports(name, path)} for name, path in MODULES.items()
}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_imports_inside_functions() -> None:
    assert "runner.cli.main" in GRAPH["runner.__main__"]
    assert len(MODULES) > 60


def test_no_import_cycles() -> None:
    # The root package re-exports the public API lazily: leave it out (nothing below imports it).
    graph = {name: targets - {"runner"} for name, targets in GRAPH.items() if name != "runner"}
    assert _cycles(graph) == []


def test_nothing_below_the_cli_imports_it() -> None:
    upward = [
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        if not name.startswith(("runner.cli", "runner.__main__"))
        for target in targets
        if target.startswith("runner.cli")
    ]
    assert upward == []


def test_library_modules_do_not_import_the_package_root() -> None:
    """``runner/__init__.py`` is the public API: importing it from inside loads the engine."""
    offenders = [
        name for name, targets in GRAPH.items() if "runner" in targets and name != "runner"
    ]
    assert offenders == []


def test_no_subpackage_shadows_a_public_name() -> None:
    """``import runner.x.y`` sets the attribute ``runner.x`` to the package: a folder named
    like a function of the public API (``runner.load``) would replace it."""
    import runner

    subpackages = {name.split(".")[1] for name in MODULES if name.count(".") >= 1}
    assert subpackages & set(runner.__all__) == set()


# Python entry points of their own, which may speak to their host's interfaces: pytest parses
# its options with argparse types.
_OUTSIDE_CLI_ALLOWED = {("runner.pytest_plugin", "argparse")}


def _console_uses(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """argparse imports, print() and exit calls, sys.stdout/stderr/exit/argv reads."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [module] if module else [alias.name for alias in node.names]
            if "argparse" in names:
                yield "argparse", node.lineno
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in ("print", "exit", "quit", "input"):
                yield f"{node.func.id}()", node.lineno
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "sys" and node.attr in ("stdout", "stderr", "exit", "argv"):
                yield f"sys.{node.attr}", node.lineno


def test_only_the_cli_parses_arguments_prints_and_exits() -> None:
    offenders = [
        f"{name}:{line}: {what}"
        for name, path in MODULES.items()
        if not name.startswith(("runner.cli", "runner.__main__"))
        for what, line in _console_uses(name, path)
        if (name, what) not in _OUTSIDE_CLI_ALLOWED
    ]
    assert offenders == []


def test_the_console_finder_sees_the_cli_s_own_uses() -> None:
    found = {what for what, _ in _console_uses("runner.cli.main", MODULES["runner.cli.main"])}
    assert "argparse" in found
    assert {w for w, _ in _console_uses("runner.__main__", MODULES["runner.__main__"])} >= {
        "sys.exit"
    }


def test_no_module_reaches_into_another_s_private_names() -> None:
    """``from runner.x import _name`` and ``x._name`` on an imported runner module: a private
    name is free to change with its module, so nothing outside may depend on it."""
    offenders = []
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: set[str] = set()  # local names bound to runner modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("runner"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offenders.append(f"{name}:{node.lineno}: imports {alias.name}")
                    if f"{node.module}.{alias.name}" in MODULES:
                        modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                modules.update(a.asname for a in node.names if a.asname and a.name in MODULES)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                offenders.append(f"{name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert offenders == []


def test_foreign_formats_convert_and_never_write_files() -> None:
    """Importers and exporters give data and notes back; the command writes them (through
    runner.core.files or runner.authoring.place)."""
    writers = {"write_atomic", "write_text", "write_all", "place_step", "save_collection"}
    found = []
    for name, path in MODULES.items():
        if not name.startswith("runner.formats"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("runner"):
                found += [f"{name}: {a.name}" for a in node.names if a.name in writers]
    assert found == []
