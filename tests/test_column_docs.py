"""The column reference lives in the repository and says things in words (issue #12).

docs/columns.md is generated from the alias and units tables (crs.cli.column_docs): it must
be exactly what the generator writes today. And no text a user reads — pages, messages,
help texts, report sentences — sends them to specification files they do not have
(``grading.md §5``): every string of crs/, ui/, pages/ and app.py that is not a docstring
is checked for a section sign and for a Markdown file other than docs/columns.md.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from crs.cli.column_docs import columns_markdown

REPO = Path(__file__).resolve().parents[1]
COLUMNS_DOC = REPO / "docs" / "columns.md"


def test_docs_columns_md_is_what_the_generator_writes() -> None:
    assert COLUMNS_DOC.read_text(encoding="utf-8") == columns_markdown(), (
        "docs/columns.md is out of date: run `crs columns -o docs/columns.md`"
    )


def test_every_alias_and_unit_of_the_tables_is_in_the_column_reference() -> None:
    import csv

    text = COLUMNS_DOC.read_text(encoding="utf-8")
    with (REPO / "crs" / "tables" / "aliases.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            assert f"`{row['alias']}`" in text, row
    with (REPO / "crs" / "tables" / "units.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            assert f"`{row['unit']}`" in text, row


def test_the_readme_and_grade_help_point_to_the_column_reference_not_outside() -> None:
    from crs.cli.commands.grade import DESCRIPTION

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/columns.md" in readme and "docs/columns.md" in DESCRIPTION
    assert "../shared" not in readme


def _user_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


_MARKDOWN_FILE = re.compile(r"[\w./-]+\.md\b")


def cites_a_spec(text: str) -> bool:
    """A section sign, or a Markdown file other than the column reference."""
    return "§" in text or any(
        not name.endswith("docs/columns.md") for name in _MARKDOWN_FILE.findall(text)
    )


def test_no_user_facing_string_cites_a_specification_file_or_section() -> None:
    files = [REPO / "app.py", *sorted((REPO / "pages").glob("*.py"))]
    files += sorted((REPO / "ui").glob("*.py")) + sorted((REPO / "crs").rglob("*.py"))
    found = [
        f"{path.relative_to(REPO)}:{line}: {text[:80]!r}"
        for path in files
        if "migrations" not in path.parts
        for line, text in _user_strings(path)
        if cites_a_spec(text)
    ]
    assert not found, found


def test_the_scan_finds_a_section_sign_and_a_spec_file() -> None:
    assert cites_a_spec("not CRS (grading.md §5)")
    assert cites_a_spec("see ../shared/spec/grading.md")
    assert not cites_a_spec("every name is in docs/columns.md")
