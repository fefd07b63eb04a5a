"""Patient ids and column names checked at the door (issue #18; grading.md §1.1).

A patient id decides whose grade a clinician reads at the ward round. Characters that do
not show as themselves can make one id display as another: a right-to-left override
turns ``\\u202e100P`` into "P001" next to the real P001, a zero-width space makes
``P001\\u200b`` look exactly like ``P001``. One set of rules, here, serves the reader
(so ``python -m crs grade``, the app and ``crs import`` all apply it) and the ward
store's own entry points that take an id (attribute, archive, restore, a frame built
in code).

=================================================  ======================  ================
characters                                         in a patient id         in a column name
=================================================  ======================  ================
bidirectional controls (U+202A–202E, U+2066–2069,  refused                 removed, noted
U+200E, U+200F, U+061C)
zero-width (U+200B–200D, U+2060, U+FEFF)           refused                 removed, noted
other control and format characters (Unicode Cc,   refused                 removed, noted
Cf; line and paragraph separators Zl, Zp)
spaces (and line breaks) before or after           removed, noted          removed
more than :data:`MAX_LENGTH` characters            refused                 —
equal to another id of the file once hidden        conflict: the first     —
characters are set aside and NFKC applied          spelling keeps its
                                                   rows, the others are
                                                   refused
=================================================  ======================  ================

Why a patient id is refused rather than cleaned: removing the hidden characters would
silently merge the rows into another patient's record, keeping them would show the id as
another patient's; either is a wrong-patient risk. A refused id's rows are not graded and
the report says why, once per id, with the id's first line and its hidden characters
written as code points (``\\u202e100P``). A column name only picks one of a fixed list of
variables, so there the hidden characters are removed and the column read (noted).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crs.errors import UnusableExportError
from crs.read.quality import problems_frame

#: The longest patient id accepted anywhere (reader, command line, ward store columns).
MAX_LENGTH = 200

#: Characters that reorder text on screen (Unicode bidirectional formatting characters).
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
#: Characters that take no room on screen.
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
#: Unicode categories that do not show as themselves: control, format, line and
#: paragraph separators (the two sets above are all format characters).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})

#: Printable ASCII: nothing hidden, already in NFKC.
_PLAIN = r"[ -~]*"
#: How many characters of an id a sentence quotes.
_QUOTED = 40
#: How many lines a sentence lists.
_LINES_LISTED = 5


def is_hidden(char: str) -> bool:
    """True for a character that does not show as itself (see the module's table)."""
    return unicodedata.category(char) in HIDDEN_CATEGORIES


def code_point(char: str) -> str:
    """``\\u202e`` (``\\U0001d173`` beyond the basic plane): how a hidden character is shown."""
    number = ord(char)
    return f"\\u{number:04x}" if number <= 0xFFFF else f"\\U{number:08x}"


def visible(text: object) -> str:
    """``text`` with every hidden character written as its code point, e.g. ``\\u202e100P``.

    Used wherever a file's text is shown (report, pages, chart), so a hidden character
    can neither reorder nor hide what a clinician reads.
    """
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    return "".join(code_point(c) if is_hidden(c) else c for c in text)


def skeleton(text: str) -> str:
    """What ``text`` reads as: hidden characters set aside, Unicode NFKC applied
    (``ＰＯＯ１`` and ``P001\\u200b`` read as ``POO1`` and ``P001``)."""
    shown = "".join(c for c in text if not is_hidden(c))
    return unicodedata.normalize("NFKC", shown)


def quoted(text: str) -> str:
    """An id in a sentence: visible, cut after 40 characters."""
    cut = text if len(text) <= _QUOTED else text[:_QUOTED] + "…"
    return "'" + visible(cut) + "'"


def _describe(char: str) -> str:
    name = unicodedata.name(char, "").lower() or "control character"
    return f"{name} (U+{ord(char):04X})"


def id_refusal(patient_id: str) -> str | None:
    """Why a patient id is refused, as one clause naming it; None when it is accepted.

    The same clause is the data-quality report's reason (reader: app, ``crs grade``,
    ``crs import``) and the ward store's message, so every door says the same.
    """
    if len(patient_id) > MAX_LENGTH:
        return (
            f"patient id {quoted(patient_id)} is {len(patient_id):,} characters long; "
            f"at most {MAX_LENGTH} are accepted"
        )
    if patient_id.isascii() and patient_id.isprintable():
        return None
    hidden = [c for c in dict.fromkeys(patient_id) if is_hidden(c)]
    if not hidden:
        return None
    if any(c in BIDI_CONTROLS for c in hidden):
        effect = "which reorders the text on screen, so the id can display as another patient's"
    elif any(c in ZERO_WIDTH for c in hidden):
        effect = "which is invisible, so the id can look exactly like another patient's"
    else:
        effect = "which does not show on screen"
    listed = ", ".join(_describe(c) for c in hidden)
    return f"patient id {quoted(patient_id)} holds {listed}, {effect}"


def as_sentence(clause: str) -> str:
    """A clause of :func:`id_refusal` as a message on its own."""
    return clause[:1].upper() + clause[1:] + "."


def check_patient_id(patient_id: object) -> str:
    """An id given to the ward store or the command line: surrounding spaces removed,
    refused with :func:`id_refusal`'s sentence (``UnusableExportError``)."""
    text = str(patient_id).strip()
    why = id_refusal(text)
    if why is not None:
        raise UnusableExportError(as_sentence(why))
    return text


@dataclass(frozen=True)
class Screened:
    """The rows whose patient id is refused (bool per row); their report lines are added."""

    refused: np.ndarray


@dataclass(frozen=True)
class _Ids:
    """The distinct ids of a patient column, found from its distinct raw cells."""

    texts: pd.Index  # distinct ids (surrounding spaces removed), in order of appearance
    raw: pd.Series  # distinct raw cells, as written
    raw_codes: np.ndarray  # per row: its raw cell (-1: missing)
    id_of_raw: np.ndarray  # per raw cell: its id (-1: blank)
    first: np.ndarray  # per id: its first row


def screen_patient_ids(
    ids: pd.Series, source: object, work: object, *, named: str | None
) -> Screened:
    """Check the patient id of every row (the module's rules); report each refused id once.

    ``ids``: the ids as read (one per row); ``source``: the reader's patient column
    (``.raw`` cells as written, ``.label``), or None when the patient was named when
    reading (``named``, refused whole: UnusableExportError); ``work``: the reader's
    ``ReadWork`` (``.label``, ``.lines``, ``.problems``). One pass over the rows (the
    distinct raw cells); then one Python step per distinct id that is not printable ASCII.
    """
    n = len(ids)
    none = Screened(np.zeros(n, dtype=bool))
    if source is None:
        if named is not None and (why := id_refusal(str(named).strip())) is not None:
            raise UnusableExportError(f"{work.label}: {why} (the patient named when reading).")
        return none
    found = _distinct_ids(source.raw)
    if len(found.texts) == 0:
        return none
    texts = pd.Series(found.texts, dtype="str")
    odd = np.flatnonzero(
        ~texts.str.fullmatch(_PLAIN).to_numpy() | (texts.str.len() > MAX_LENGTH).to_numpy()
    )
    reasons: dict[int, tuple[str, str]] = {}
    for i in odd:
        why = id_refusal(str(found.texts[i]))
        if why is not None:
            reasons[int(i)] = (why, "not_graded")
    if len(odd):
        _conflicts(found.texts, odd, found.first, work.lines, reasons)
    _note_spaces(found, source.label, work, reasons)
    if not reasons:
        return none
    refused_id = np.zeros(len(found.texts), dtype=bool)
    refused_id[list(reasons)] = True
    per_row = _id_codes(found)
    refused = np.zeros(n, dtype=bool)
    refused[per_row >= 0] = refused_id[per_row[per_row >= 0]]
    _report(reasons, per_row, found, source.label, work)
    return Screened(refused)


def _distinct_ids(raw: pd.Series) -> _Ids:
    """The distinct ids of a column of raw cells (as the reader reads them: surrounding
    spaces removed, blank = missing), each with its first row."""
    raw = raw.reset_index(drop=True)
    if not pd.api.types.is_string_dtype(raw.dtype):
        raw = raw.astype("str")
    raw_codes, raw_uniques = pd.factorize(raw)
    spelled = pd.Series(raw_uniques, dtype="str")
    stripped = spelled.str.strip()
    id_of_raw, texts = pd.factorize(stripped.mask(stripped == ""))
    listed = np.flatnonzero(raw_codes >= 0)
    first_raw = np.full(len(spelled), len(raw), dtype="int64")
    first_raw[raw_codes[listed][::-1]] = listed[::-1]
    first = np.full(len(texts), len(raw), dtype="int64")
    known = id_of_raw >= 0
    np.minimum.at(first, id_of_raw[known], first_raw[known])
    return _Ids(texts, spelled, raw_codes, id_of_raw, first)


def _id_codes(found: _Ids) -> np.ndarray:
    """Per row: its id (-1 when blank or missing)."""
    codes = found.raw_codes
    return np.where(codes >= 0, found.id_of_raw[np.maximum(codes, 0)], -1)


def _conflicts(
    uniques: pd.Index,
    odd: np.ndarray,
    first: np.ndarray,
    lines: np.ndarray,
    reasons: dict[int, tuple[str, str]],
) -> None:
    """Ids that read the same as another id of the file (hidden characters set aside,
    NFKC): the first spelling in the file keeps its rows, the others are refused.

    Printable ASCII ids are their own skeletons, so only groups holding another id can
    conflict: one step per such id.
    """
    skeletons = {int(i): skeleton(str(uniques[i])) for i in odd}
    groups: dict[str, list[int]] = {}
    for i, read_as in skeletons.items():
        if i not in reasons:
            groups.setdefault(read_as, []).append(i)
    for read_as, members in groups.items():
        same = uniques.get_indexer([read_as])[0]
        if same >= 0 and same not in reasons and same not in members:
            members.append(int(same))
        members.sort(key=lambda k: first[k])
        for i in members[1:]:
            kept = members[0]
            reasons[i] = (
                _conflict(str(uniques[i]), str(uniques[kept]), lines[first[kept]]),
                "conflict",
            )
    for i, (why, kind) in list(reasons.items()):
        read_as = skeletons.get(i)
        if kind != "not_graded" or read_as is None or read_as == uniques[i]:
            continue
        same = uniques.get_indexer([read_as])[0]
        if read_as in groups or (same >= 0 and same not in reasons):
            reasons[i] = (f"{why}; it reads as patient id {quoted(read_as)}", kind)


def _conflict(patient_id: str, kept: str, line: int | None) -> str:
    where = f" on line {int(line)}" if line is not None else ""
    return (
        f"patient id {_spelled(patient_id)} reads the same as patient id {_spelled(kept)}"
        f"{where} but is written with other characters, so it could be the same patient "
        "or another"
    )


def _spelled(text: str) -> str:
    """An id quoted, followed by its characters as code points when it is not plain
    ASCII: two spellings that look alike on screen differ in the report."""
    if text.isascii() and text.isprintable():
        return quoted(text)
    codes = "".join(c if c.isascii() and c.isprintable() else code_point(c) for c in text[:_QUOTED])
    return f"{quoted(text)} (written {codes}{'…' if len(text) > _QUOTED else ''})"


def _note_spaces(found: _Ids, column: str, work: object, refused: dict) -> None:
    """One note per distinct raw cell written with spaces before or after (removed)."""
    spelled = found.raw
    padded = (spelled.str.len() != spelled.str.strip().str.len()).to_numpy() & (
        found.id_of_raw >= 0
    )
    padded &= ~np.isin(found.id_of_raw, list(refused))
    if not padded.any():
        return
    cells = np.flatnonzero(padded)
    first_raw = np.full(len(spelled), -1, dtype="int64")
    listed = np.flatnonzero(found.raw_codes >= 0)
    first_raw[found.raw_codes[listed][::-1]] = listed[::-1]
    rows = first_raw[cells]
    order = np.argsort(rows, kind="stable")
    cells, rows = cells[order], rows[order]
    work.problems.append(
        problems_frame(
            pd.Series(work.lines[rows]),
            column,
            [visible(spelled.iloc[c]) for c in cells],
            [
                "spaces before or after the patient id were removed: read as "
                + quoted(str(found.texts[found.id_of_raw[c]]))
                for c in cells
            ],
            "note",
        )
    )


def _report(
    reasons: dict[int, tuple[str, str]],
    per_row: np.ndarray,
    found: _Ids,
    column: str,
    work: object,
) -> None:
    """One report line per refused id: its first line, the raw cell made visible, why."""
    order = sorted(reasons, key=lambda i: found.first[i])
    counts = np.bincount(per_row[per_row >= 0], minlength=len(found.texts))
    first_rows = found.first[order]
    raw_cells = found.raw.to_numpy()[found.raw_codes[first_rows]]
    sentences = []
    for i in order:
        rows = np.flatnonzero(per_row == i)[: _LINES_LISTED + 1] if counts[i] > 1 else []
        sentences.append(f"{reasons[i][0]}; {_rows_not_graded(int(counts[i]), work.lines[rows])}")
    work.problems.append(
        problems_frame(
            pd.Series(work.lines[first_rows]),
            column,
            [visible(cell) for cell in raw_cells],
            sentences,
            [reasons[i][1] for i in order],
        )
    )


def _rows_not_graded(count: int, lines: Iterable[int]) -> str:
    if count == 1:
        return "its row is not graded"
    shown = [str(int(line)) for line in lines]
    more = ", …" if len(shown) > _LINES_LISTED else ""
    return f"its {count:,} rows (lines {', '.join(shown[:_LINES_LISTED])}{more}) are not graded"


# --- column names ---------------------------------------------------------------------


def clean_column_names(frame: pd.DataFrame, work: object) -> pd.DataFrame:
    """The table with hidden characters removed from its column names, each noted
    (line 1, the name made visible); a name that would then repeat another is left as
    written (it matches nothing and is listed as not used)."""
    renames: dict[str, str] = {}
    taken = {str(c) for c in frame.columns}
    notes = []
    for written in frame.columns:
        name = str(written)
        if name.isascii() and name.isprintable():
            continue
        hidden = [c for c in dict.fromkeys(name) if is_hidden(c)]
        if not hidden:
            continue
        cleaned = "".join(c for c in name if not is_hidden(c))
        listed = ", ".join(_describe(c) for c in hidden)
        if cleaned in taken or not isinstance(written, str):
            reason = f"column name holds {listed}; not read (another column has that name)"
        else:
            renames[written] = cleaned
            taken.add(cleaned)
            reason = f"column name holds {listed}; removed, read as '{visible(cleaned)}'"
        notes.append((visible(name), reason))
    if notes:
        work.problems.append(
            problems_frame(
                pd.array([1] * len(notes), dtype="Int64"),
                [n for n, _ in notes],
                [n for n, _ in notes],
                [r for _, r in notes],
                "note",
            )
        )
    return frame.rename(columns=renames) if renames else frame


# --- the ward store -------------------------------------------------------------------


def lookalikes(new_ids: Iterable[str], stored_ids: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(id, earlier id) pairs that read the same (:func:`skeleton`) but are written
    differently — one patient under two spellings, or two patients one could take for
    the other: each of ``new_ids`` against the ``stored_ids`` and the new ids before it."""
    new = list(dict.fromkeys(str(i) for i in new_ids))
    stored = [str(i) for i in stored_ids]
    if all(i.isascii() and i.isprintable() for i in (*new, *stored)):
        return []  # printable ASCII ids are their own skeletons
    reads: dict[str, str] = {}
    for patient_id in stored:
        reads.setdefault(skeleton(patient_id), patient_id)
    known = set(stored)
    pairs = []
    for patient_id in new:
        if patient_id in known:
            continue
        earlier = reads.setdefault(skeleton(patient_id), patient_id)
        if earlier != patient_id:
            pairs.append((patient_id, earlier))
    return pairs


def lookalike_message(patient_id: str, earlier: str) -> str:
    """The sentence for :func:`lookalikes` (the ward store's refusal)."""
    return as_sentence(_conflict(patient_id, earlier, None))
