"""Dependencies point inward (STYLE.md, conventions 1, 5, 6): entrypoints reach adapters only through the
container, the web app never imports the CLI (click), and only the container names concrete adapters."""

import ast
from pathlib import Path

import digitrec

PACKAGE = Path(digitrec.__file__).parent
ENTRYPOINTS = PACKAGE / "entrypoints"
WEBAPP = ENTRYPOINTS / "webapp"


def imported_modules(source: str) -> set[str]:
    """Every module a source file imports, at the top or inside functions, as a dotted name."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def offenders(folder: Path, forbidden: tuple[str, ...]) -> dict[str, set[str]]:
    found = {}
    for path in sorted(folder.rglob("*.py")):
        bad = {m for m in imported_modules(path.read_text()) if m.startswith(forbidden)}
        if bad:
            found[str(path.relative_to(PACKAGE))] = bad
    return found


def test_entrypoints_import_no_adapter():
    assert len(list(ENTRYPOINTS.rglob("*.py"))) >= 8
    assert offenders(ENTRYPOINTS, ("digitrec.adapters",)) == {}


def test_the_web_app_imports_no_click_and_no_cli_module():
    assert offenders(WEBAPP, ("click", "digitrec.entrypoints.cli")) == {}


def test_only_the_container_names_concrete_adapters_outside_the_adapters():
    outside = [p for p in PACKAGE.rglob("*.py") if "adapters" not in p.parts and p.name != "containers.py"]
    found = {
        str(p.relative_to(PACKAGE))
        for p in outside
        if any(m.startswith("digitrec.adapters") for m in imported_modules(p.read_text()))
    }
    assert found == set()


def test_the_checks_see_imports_inside_functions():
    source = "import click\ndef f():\n    from digitrec.adapters.files.image_codec import read_image\n"
    assert imported_modules(source) == {"click", "digitrec.adapters.files.image_codec"}
