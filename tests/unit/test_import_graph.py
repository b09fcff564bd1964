"""No import cycle anywhere in src/digitrec: counting imports inside functions and under TYPE_CHECKING,
the modules import one another as a directed acyclic graph, so each can be read, and moved, on its own."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Each digitrec module and the digitrec modules it imports, wherever in the file the import is."""
    modules = {module_name(p): p for p in (SRC / "digitrec").rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                while target and target not in modules:  # `from a.b import c`: a.b.c if a module, else a.b
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
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
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_finder_finds_a_cycle_through_an_import_inside_a_function():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]] and cycles({"a": {"b"}, "b": set()}) == []


def test_no_module_of_digitrec_imports_itself_through_others():
    graph = import_graph()
    assert len(graph) > 50 and "digitrec.domain.ports" in graph["digitrec.containers"] | set().union(
        *graph.values()
    )
    assert cycles(graph) == []


def test_adapters_are_grouped_by_technology_with_few_modules_left_at_the_top():
    adapters = SRC / "digitrec" / "adapters"
    top = sorted(p.name for p in adapters.glob("*.py") if p.name != "__init__.py")
    groups = sorted(p.name for p in adapters.iterdir() if (p / "__init__.py").is_file())
    assert len(top) <= 10, top
    assert groups == ["drawing", "files", "memory", "onnx", "sql", "torch"]


def test_no_module_over_300_lines_and_no_function_over_50():
    too_long = []
    for path in (SRC / "digitrec").rglob("*.py"):
        text = path.read_text()
        if len(text.splitlines()) > 300:
            too_long.append(f"{path.relative_to(SRC)}: {len(text.splitlines())} lines")
        nodes = ast.walk(ast.parse(text))
        functions = [n for n in nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for node in functions:
            if (lines := node.end_lineno - node.lineno + 1) > 50:
                too_long.append(f"{path.relative_to(SRC)}: {node.name}, {lines} lines")
    assert too_long == []


def test_the_ports_import_types_only():
    graph = import_graph()
    domain = {m for m in graph["digitrec.domain.ports"] if m.startswith("digitrec.")}
    assert domain and all(m.startswith("digitrec.domain.types.") for m in domain), domain
    assert "digitrec.domain.types" not in {
        m.rpartition(".")[0] for m in graph if m.startswith("digitrec.adapters")
    }
