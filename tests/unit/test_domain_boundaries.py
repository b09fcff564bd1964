"""The domain depends on the standard library and numpy only (STYLE.md, convention 1)."""

import ast
from pathlib import Path

import digitrec.domain

FORBIDDEN = {
    "torch",
    "torchvision",
    "sqlalchemy",
    "streamlit",
    "click",
    "matplotlib",
    "dependency_injector",
    "PIL",
    "alembic",
    "psycopg",
    "tqdm",
}
DOMAIN = Path(digitrec.domain.__file__).parent


def imported_top_level_modules(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_domain_modules_import_no_framework():
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) >= 3
    offenders = {f.name: imported_top_level_modules(f.read_text()) & FORBIDDEN for f in files}
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_the_check_catches_a_framework_import():
    assert imported_top_level_modules("import torch.nn as nn\nfrom sqlalchemy import select\n") == {
        "torch",
        "sqlalchemy",
    }
