"""No SQL is built by string formatting: every statement digitrec sends is a constant or SQLAlchemy's
expression language, so values always travel as bound parameters."""

import ast
from pathlib import Path

import digitrec

SOURCE = Path(digitrec.__file__).parent
EXECUTING = {"text", "execute", "exec_driver_sql", "executescript", "executemany"}


def formatted_sql_calls(source: str) -> list[int]:
    """Lines where a statement-executing call gets an f-string, a `%` or `+` expression or a `.format()`."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        statement = node.args[0]
        formatted = isinstance(statement, ast.JoinedStr | ast.BinOp) or (
            isinstance(statement, ast.Call)
            and isinstance(statement.func, ast.Attribute)
            and statement.func.attr == "format"
        )
        if name in EXECUTING and formatted:
            lines.append(node.lineno)
    return lines


def test_no_statement_in_digitrec_is_built_by_formatting():
    files = sorted(SOURCE.rglob("*.py"))
    assert any(f.parts[-2:] == ("sql", "repository.py") for f in files)
    offenders = {str(f.relative_to(SOURCE)): formatted_sql_calls(f.read_text()) for f in files}
    assert {name: lines for name, lines in offenders.items() if lines} == {}


def test_the_check_catches_formatting():
    source = (
        'c.execute(f"SELECT * FROM t WHERE id = {i}")\n'
        'c.exec_driver_sql("DELETE FROM t WHERE id = %s" % i)\n'
        'text("SELECT {}".format(column))\n'
        "c.execute(select(t).where(t.c.id == i))\n"
        'c.exec_driver_sql("PRAGMA journal_mode=WAL")\n'
    )
    assert formatted_sql_calls(source) == [1, 2, 3]
