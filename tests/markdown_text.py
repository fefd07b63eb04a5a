"""What a reader sees of the app's Markdown: for tests that look for a sentence.

The pages pass every file-derived value through ``ui.text`` (backslash escapes, a word
joiner after ``:`` and ``@`` that keeps autolinks from forming): the source of an
``st.markdown`` element is therefore not the sentence a clinician reads. This turns
it back into that sentence (escapes and word joiners dropped).
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def seen(markdown: object) -> str:
    """The text a reader sees of one Markdown source (escapes and word joiners removed)."""
    return _ESCAPE.sub(r"\1", str(markdown)).replace("\u2060", "")


def seen_all(elements) -> str:
    """:func:`seen` of every element's value, one per line."""
    return "\n".join(seen(e.value) for e in elements)
