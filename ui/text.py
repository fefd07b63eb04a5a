"""The one way a file's text reaches the page (issue #18, "Hostile content in the browser").

Patient ids, file names, column names, cell values (symptoms, therapy …) and every
message that quotes them come from an uploaded export: untrusted. Streamlit renders
Markdown — and so HTML elements — in ``st.markdown``, ``st.caption``, ``st.write``, the
alert boxes, ``st.table`` cells, metric labels and values, and the labels and help texts
of widgets, progress bars, status boxes, expanders and tabs. A file named
``ward![i](http://evil.example/i.png).csv`` in a progress label made the ward PC's
browser fetch that image (nothing may leave the machine); ``[x](javascript:…)`` or
``http://…`` would be a live link; a right-to-left override (U+202E) makes ``\\u202e100P``
read "P001".

So pages and ``ui/`` never format a file's text into Markdown themselves. They use:

- :func:`md` — the app's own Markdown template (constant) with each value shown as text;
- :func:`md_escape` — one piece of text as Markdown that renders literally;
- :func:`md_table` — a frame for ``st.table``, every cell and label escaped;
- :func:`plain` — text for widgets that show plain text (select box options): hidden
  characters written as code points (``\\u202e``).

tests/test_page_text.py scans pages/, ui/ and app.py and fails on any rendering call
given text that did not come through these helpers. HTML is never enabled for data.
"""

from __future__ import annotations

import numbers
import re

import pandas as pd

from crs.read import visible

# CommonMark: any ASCII punctuation may be backslash-escaped. These start markup anywhere:
# emphasis, links, images, code, tables, HTML and entities (< > &), LaTeX ($), headings,
# Streamlit's :colour[…], :material/…: and :emoji: directives, e-mail addresses.
_MARKDOWN_CHARS = re.compile(r"([\\`*_{}\[\]()<>#!|~$:&@])")
# Some rewriting happens on the text AFTER escapes are read: GitHub's autolinks
# ("http://x", "www.x", "a@x.org") and Streamlit's ":material/home:" icons turn escaped
# text into links and icons all the same (tried in chromium). An invisible word joiner
# (U+2060) after such a ":" or "@", and inside "www.", breaks them; nothing else shows.
_JOINER = "\u2060"
_REWRITTEN = re.compile(r"(?<=:)(?=[A-Za-z/])|(?<=@)(?=\S)|(?i:(?<=\bwww)(?=\.))")
# At the start of the (single) line: "-", "+" (lists, "---" rules), "1." / "1)" lists.
_LINE_START = re.compile(r"^([-+]|\d+[.)](?=\s|$))")


def plain(text: object) -> str:
    """Text for a widget that shows plain text: hidden characters as code points."""
    return visible(text)


def md_escape(text: object) -> str:
    """``text`` as Markdown that renders exactly as written, on one line.

    Hidden characters (bidirectional controls, zero-width and control characters) are
    written as code points first, so they can neither reorder nor hide what is shown.
    """
    shown = _MARKDOWN_CHARS.sub(r"\\\1", visible(" ".join(str(text).split())))
    shown = _REWRITTEN.sub(_JOINER, shown)
    return _LINE_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], shown)


def _field(value: object) -> object:
    # Numbers cannot carry markup and keep their format specs ({:g}, {:.1f}).
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return value
    return md_escape(value)


def md(template: str, /, *values: object) -> str:
    """The app's own Markdown ``template`` (``{}`` fields, constant text) with every value
    shown as text: ``md("**{}**: the counts balance", report.source)``."""
    return template.format(*(_field(v) for v in values))


def md_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for ``st.table`` (whose cells are Markdown): every text cell,
    column label and index label escaped; numbers untouched."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if not pd.api.types.is_numeric_dtype(column):
            text = column.map(lambda v: v if pd.isna(v) else md_escape(v), na_action=None)
            out.isetitem(position, text.astype("object"))
    out.columns = [md_escape(c) for c in out.columns]
    if not pd.api.types.is_numeric_dtype(out.index):
        name = out.index.name
        out.index = pd.Index(
            [md_escape(v) for v in out.index], name=None if name is None else md_escape(name)
        )
    return out
