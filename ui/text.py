"""Show untrusted text as text in Streamlit's markdown (issue "Hostile and broken input").

Patient ids, file names, column names, free text (symptoms, other_immunosuppressant) and
any message that quotes a cell come from an uploaded export. Streamlit renders
``st.markdown``, ``st.caption`` and the alert boxes as markdown: a symptom written as
``![x](http://tracker/p.png)`` would make the ward PC's browser fetch an outside image
(nothing may leave the machine), and ``[click](javascript:…)`` would be a live link.
:func:`md_escape` backslash-escapes every markdown character so such text reads exactly
as recorded. HTML is never enabled for data (see tests/test_hostile_app.py).
"""

from __future__ import annotations

import re

# CommonMark: any ASCII punctuation may be backslash-escaped. These start markup anywhere
# (emphasis, links, images, code, tables, HTML, LaTeX, headings; ":" breaks an autolink).
_MARKDOWN_CHARS = re.compile(r"([\\`*_{}\[\]()<>#!|~$:])")
# List markers only count at the start of the (single) line: "- x", "+ x", "1. x", "1) x".
_LIST_START = re.compile(r"^([-+]|\d+[.)])(?=\s|$)")


def md_escape(text: object) -> str:
    """``text`` as a markdown string that renders literally (line breaks kept as spaces)."""
    plain = _MARKDOWN_CHARS.sub(r"\\\1", " ".join(str(text).split()))
    return _LIST_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], plain)
