"""The import rules of docs/architecture.md, read from the source (AST; nothing is imported).

(a) no cycle among module-level imports of app, models, views, cabinet and reports;
(b) every function-level import says why it is deferred (`# deferred: ...` on its line or
    the line above; one comment may head a block of consecutive imports);
(c) the layers: models imports none of app/views/cabinet/reports, app imports neither views
    nor cabinet (except create_app in app/__init__.py, which wires the surfaces), reports
    imports neither views nor cabinet.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "models", "views", "cabinet", "reports")
REASON = re.compile(r"#\s*deferred\s*:\s*\S")
FORBIDDEN = {"models": ("app", "views", "cabinet", "reports"), "app": ("views", "cabinet"),
             "reports": ("views", "cabinet")}
COMPOSITION_ROOT = "app"  # app/__init__.py: create_app registers views and the cabinet


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module of our packages
    path: Path
    line: int  # first line of the statement
    end: int  # last line of the statement
    deferred: bool  # inside a function


def module_files() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = module_files()


def _ours(name: str) -> str | None:
    """The module of our packages that importing `name` runs, if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node, module: str, path: Path) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the package of this module
            package = module.split(".") if path.name == "__init__.py" else \
                module.split(".")[:-1]
            package = package[:len(package) - node.level + 1]
            base = ".".join(package + ([base] if base else []))
        # `from package import submodule` imports the submodule
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                 for alias in node.names]
    return sorted({t for t in map(_ours, names) if t and t != module})


def _is_type_checking(node) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _walk(node, deferred: bool):
    """(import node, deferred) for every import, skipping `if TYPE_CHECKING:` blocks."""
    for child in ast.iter_child_nodes(node):
        if _is_type_checking(child):
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, deferred
        inner = deferred or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                               ast.Lambda))
        yield from _walk(child, inner)


def all_imports() -> list[Import]:
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, deferred in _walk(tree, False):
            for target in _targets(node, module, path) or [None]:
                found.append(Import(module, target, path, node.lineno, node.end_lineno,
                                    deferred))
    return found


IMPORTS = all_imports()


def module_graph() -> dict[str, set[str]]:
    graph = {module: set() for module in MODULES}
    for imp in IMPORTS:
        if not imp.deferred and imp.target:
            graph[imp.module].add(imp.target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path back to its start) per strongly connected group of modules."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def connect(node):  # Tarjan, iterative enough for a few hundred modules
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_in(graph, group) for group in groups]


def _cycle_in(graph, group: set[str]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    start = min(group)
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for nxt in sorted(graph[path[-1]] & group):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                paths.append(path + [nxt])
    return sorted(group)


def _comment_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def unexplained_deferred_imports() -> list[str]:
    """file:line of function-level imports without a `# deferred: why` comment."""
    deferred = sorted({(imp.path, imp.line, imp.end) for imp in IMPORTS if imp.deferred})
    spans = {}
    for path, line, end in deferred:
        spans.setdefault(path, {})[line] = end
    offenders = []
    for path, line, end in deferred:
        lines = _comment_lines(path)
        top = line
        while True:  # climb to the head of a block of consecutive imports
            above = next((start for start, stop in spans[path].items() if stop == top - 1),
                         None)
            if above is None:
                break
            top = above
        block = lines[top - 2:end] if top >= 2 else lines[:end]
        if not any(REASON.search(text) for text in block):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    return offenders


def _layer(module: str) -> str:
    return module.split(".")[0]


def test_module_level_imports_have_no_cycle():
    cycles = find_cycles(module_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_every_function_level_import_says_why():
    offenders = unexplained_deferred_imports()
    assert not offenders, (
        f"{len(offenders)} function-level import(s) without a `# deferred: why` comment on "
        "the line or the line above (or move them to the top):\n" + "\n".join(offenders))


def test_layers_import_only_downwards():
    wrong = sorted({f"{imp.path.relative_to(ROOT)}:{imp.line} {imp.module} -> {imp.target}"
                    for imp in IMPORTS if imp.target
                    and _layer(imp.target) in FORBIDDEN.get(_layer(imp.module), ())
                    and imp.module != COMPOSITION_ROOT})
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_the_checker_sees_cycles_deferred_imports_and_type_checking(tmp_path):
    """The checker itself: a planted cycle is named, TYPE_CHECKING imports are no edges."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\n"
                     "def f():\n    import y\n")
    found = [(getattr(node, "module", None) or node.names[0].name, deferred)
             for node, deferred in _walk(tree, False)]
    assert found == [("typing", False), ("y", True)]
    assert REASON.search("    # deferred: app.workflow imports this module (cycle)")
    assert not REASON.search("    # deferred")
