"""One way a file's text reaches the page (issue #18): a scan of pages/, ui/ and app.py.

Streamlit renders Markdown (and with it images, links and HTML elements) in
``st.markdown``, captions, ``st.write``, alert boxes, ``st.table`` cells, metric labels
and values, progress and status labels, expander and tab labels and the labels and help
texts of every widget. Text from a file must reach those only through ui.text (``md``,
``md_escape``, ``md_table``, ``plain``). This test reads the code (AST, not grep) and
fails on any rendering call given an f-string, a concatenation, a ``.format`` or any other
computed text that did not come through the helpers; and on any ``st.dataframe`` outside
ui.tables (whose grid has the app's own formula-safe download instead of Streamlit's).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCES = sorted([REPO / "app.py", *(REPO / "pages").glob("*.py"), *(REPO / "ui").glob("*.py")])

#: The helpers of ui.text whose result is safe Markdown (or plain text).
HELPERS = frozenset({"md", "md_escape", "md_table", "plain"})
#: Calls whose result is a number (a number carries no markup).
NUMBERS = frozenset({"int", "float", "len", "round"})
#: The app's own text, from crs tables (no file data): the Reference page's Markdown and
#: the plain names of the grading criteria.
OWN_TEXT = frozenset({"reference_markdown", "criterion_label"})
#: Objects with methods of these names that are not Streamlit's.
NOT_STREAMLIT = frozenset({"LOG", "log", "logger", "logging"})

LABEL = ((0,), ("label",))
#: Rendering method → (positional arguments, keyword arguments) that are Markdown.
RENDERING: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    **{
        name: ((0,), ("body",))
        for name in (
            "markdown",
            "caption",
            "error",
            "warning",
            "info",
            "success",
            "toast",
            "title",
            "header",
            "subheader",
        )
    },
    "write": ((0, 1, 2, 3, 4, 5), ()),
    "metric": ((0, 1, 2), ("label", "value", "delta")),
    "progress": ((1,), ("text",)),
    "status": ((0,), ("label",)),
    "update": ((), ("label",)),  # a status box's label
    "spinner": ((0,), ("text",)),
    "expander": LABEL,
    "popover": LABEL,
    "tabs": ((0,), ("tabs",)),
    "page_link": ((), ("label",)),
    "table": ((0,), ("data",)),
    **{
        name: LABEL
        for name in (
            "button",
            "download_button",
            "link_button",
            "form_submit_button",
            "checkbox",
            "toggle",
            "radio",
            "selectbox",
            "multiselect",
            "select_slider",
            "slider",
            "text_input",
            "text_area",
            "number_input",
            "date_input",
            "time_input",
            "datetime_input",
            "file_uploader",
            "color_picker",
            "pills",
            "segmented_control",
        )
    },
}
#: Widgets whose options are Markdown (radio buttons, pills); a select box's are plain
#: text, checked through its format_func.
MARKDOWN_OPTIONS = frozenset({"radio", "pills", "segmented_control"})
#: Keywords that are Markdown on any call (tooltips), including st.column_config.*.
EVERYWHERE = ("help", "captions")


def _string_constants(paths: list[Path]) -> set[str]:
    """Module-level names bound to a string literal in the scanned files."""
    names: set[str] = set()
    for path in paths:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def is_safe(node: ast.expr | None, constants: set[str]) -> bool:
    """True when ``node`` can only be the app's own text or a helper's output."""
    if node is None or isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in constants or node.id.isupper() or node.id in HELPERS | OWN_TEXT
    if isinstance(node, ast.Attribute):
        return node.attr.isupper()  # a module's constant (doses.SOURCE)
    if isinstance(node, ast.Call):
        return _called(node) in HELPERS | NUMBERS | OWN_TEXT
    if isinstance(node, ast.JoinedStr):  # only an f-string of helper results
        return all(
            is_safe(part.value, constants)
            for part in node.values
            if isinstance(part, ast.FormattedValue)
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return is_safe(node.left, constants) and is_safe(node.right, constants)
    if isinstance(node, ast.IfExp):
        return is_safe(node.body, constants) and is_safe(node.orelse, constants)
    if isinstance(node, ast.BoolOp):
        return all(is_safe(value, constants) for value in node.values)
    if isinstance(node, ast.List | ast.Tuple):
        return all(is_safe(element, constants) for element in node.elts)
    if isinstance(node, ast.Lambda):
        return is_safe(node.body, constants)
    return False


def _receiver(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.value.id
    return None


def _texts(node: ast.Call) -> Iterator[tuple[str, ast.expr]]:
    """(what, expression) of every argument of ``node`` that Streamlit renders."""
    method = _called(node)
    keywords = {k.arg: k.value for k in node.keywords if k.arg}
    for name in EVERYWHERE:
        if name in keywords:
            yield name, keywords[name]
    if method not in RENDERING or _receiver(node) in NOT_STREAMLIT:
        return
    positions, names = RENDERING[method]
    for position in positions:
        if position < len(node.args) and not isinstance(node.args[position], ast.Starred):
            yield f"argument {position + 1}", node.args[position]
    for name in names:
        if name in keywords:
            yield name, keywords[name]
    if "format_func" in keywords:
        yield "format_func", keywords["format_func"]
    elif method in MARKDOWN_OPTIONS:
        options = node.args[1] if len(node.args) > 1 else keywords.get("options")
        if options is not None:
            yield "options", options


def offenders(paths: list[Path]) -> list[str]:
    """'file:line call(what)' for every rendering call given unchecked text."""
    constants = _string_constants(paths)
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            method = _called(node)
            for what, expression in _texts(node):
                table = method == "table" and what != "help"
                ok = (
                    isinstance(expression, ast.Call) and _called(expression) == "md_table"
                    if table
                    else is_safe(expression, constants)
                )
                if not ok:
                    where = path.relative_to(REPO) if path.is_relative_to(REPO) else path.name
                    found.append(f"{where}:{node.lineno} {method}({what})")
    return found


def test_pages_and_ui_pass_a_files_text_to_rendering_calls_only_through_the_helpers() -> None:
    found = offenders(SOURCES)
    assert not found, (
        "text reaches Markdown without ui.text.md / md_escape / md_table / plain: "
        + "; ".join(found)
    )


def test_every_interactive_table_is_shown_through_ui_tables_with_the_safe_download() -> None:
    # The grid's own CSV download is off (client.disableDataExport); ui.tables.data_table
    # offers the formula-safe one instead. A bare st.dataframe would have neither.
    found = []
    for path in SOURCES:
        if path == REPO / "ui" / "tables.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _called(node) in ("dataframe", "data_editor"):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, f"tables shown without ui.tables.data_table: {found}"


@pytest.mark.parametrize(
    ("line", "caught"),
    [
        ('st.progress(0.5, text=f"Reading {upload.name} …")', True),
        ('bar.progress(0.5, text="Reading " + name)', True),
        ('st.caption("{} read".format(name))', True),
        ("st.error(str(error))", True),
        ("st.error(message)", True),
        ("st.radio(name, ROLES)", True),
        ("st.selectbox('Patient', ids, format_func=lambda p: f'{p} (archived)')", True),
        ("st.metric('Therapy', therapy)", True),
        ("st.table(frame)", True),
        ("st.expander(f'Report of {name}')", True),
        ("st.tabs([name, 'Other'])", True),
        ("status.update(label=f'Read {name}')", True),
        ("st.button('Go', help=f'Adds {name}')", True),
        ("st.column_config.NumberColumn(help=note)", True),
        ('st.progress(0.5, text=md("Reading {} …", upload.name))', False),
        ('st.caption("Counts: " + md_escape(name))', False),
        ("st.error(UNEXPECTED)", False),
        ("st.metric('Grade now', int(grade))", False),
        ("st.table(md_table(frame))", False),
        ("st.selectbox('Patient', ids, format_func=plain)", False),
        ("st.selectbox('Patient', ids, format_func=lambda p: plain(p) + ' (archived)')", False),
        ("st.markdown(f'**{md_escape(name)}**')", False),
        ("LOG.error('x %s', name)", False),
    ],
)
def test_the_scan_catches_text_that_bypasses_the_helpers(
    tmp_path: Path, line: str, caught: bool
) -> None:
    # The scan itself must be able to fail (and must not cry wolf).
    page = tmp_path / "page.py"
    page.write_text(f"import streamlit as st\nUNEXPECTED = 'x'\n{line}\n", encoding="utf-8")
    assert bool(offenders([page])) is caught, offenders([page])


# ----------------------------------------------------------------- the helpers themselves

WJ = "\u2060"  # the word joiner md_escape puts where Markdown would rewrite text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # autolinks: escaped text is still linked by GitHub's autolink rewriting
        ("see http://evil.example/x", f"see http\\:{WJ}//evil.example/x"),
        ("www.evil.example", f"www{WJ}.evil.example"),
        ("WWW.evil.example", f"WWW{WJ}.evil.example"),
        ("a@evil.example", f"a\\@{WJ}evil.example"),
        # Streamlit's directives and icons
        (":material/home:", f"\\:{WJ}material/home\\:"),
        (":red[x]", f"\\:{WJ}red\\[x\\]"),
        # plain colons (times, sentences) are only escaped
        ("14:00", "14\\:00"),
        ("case1.csv: the counts", "case1.csv\\: the counts"),
        # HTML entities would be decoded: the & is escaped
        ("&lt;b&gt;", "\\&lt;b\\&gt;"),
        # a rule, a list
        ("---", "\\---"),
        ("-1+2", "\\-1+2"),
        ("+1+2", "\\+1+2"),
        # hidden characters as code points (then the backslash escaped for Markdown)
        ("\u202e100P", "\\\\u202e100P"),
        ("P00\u200d1", "P00\\\\u200d1"),
    ],
)
def test_md_escape_leaves_nothing_markdown_or_the_browser_would_rewrite(
    text: str, shown: str
) -> None:
    from ui.text import md_escape

    assert md_escape(text) == shown


def test_md_fills_the_apps_template_with_escaped_text_and_formatted_numbers() -> None:
    from ui.text import md

    assert md("**{}** at {:g} y", "a_b", 64.5) == "**a\\_b** at 64.5 y"
    assert md("Loaded {} patients", 3) == "Loaded 3 patients"


def test_md_table_escapes_every_text_cell_and_label_of_a_static_table() -> None:
    import pandas as pd

    from ui.text import md_table

    frame = pd.DataFrame({"Marker (x)": ["![p](http://e.x/p.png)"], "n": [2.5]}, index=["<b>"])
    table = md_table(frame)
    assert table.columns.tolist() == ["Marker \\(x\\)", "n"]
    assert table.index.tolist() == ["\\<b\\>"]
    assert table.iloc[0, 0] == f"\\!\\[p\\]\\(http\\:{WJ}//e.x/p.png\\)"
    assert table.iloc[0, 1] == 2.5


def test_plain_shows_hidden_characters_as_code_points_and_nothing_else_changes() -> None:
    from ui.text import plain

    assert plain("\u202e100P") == "\\u202e100P"
    assert plain("Müller, A. [x]") == "Müller, A. [x]"
