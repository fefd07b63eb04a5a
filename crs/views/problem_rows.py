"""Data-quality problems where they matter (issue #15): on the patient they belong to and
on the chart at the values left out.

A problem of the data-quality report (crs.read.quality, docs/architecture.md §1.2) names the
file's line, the column as written, the raw cell and the reason. These helpers, pure
functions over frames, tie a problem to a patient (through the graded rows' ``line``)
and to a variable (the column as written, read as the reader reads column names:
crs.read.names, crs.read.units.match_name).
"""

from __future__ import annotations

import re

import pandas as pd

from crs.read.names import normalise_name
from crs.read.units import match_name

#: Problem kinds whose cell was left out of grading (crs.read.quality kinds): unreadable,
#: impossible, or the later of two columns of one variable that disagree.
LEFT_OUT_KINDS: frozenset[str] = frozenset({"unparseable", "impossible", "conflict"})

#: A column as written in a long-layout report ("unit (variable)", crs.read.flowsheet).
_LONG_UNIT = re.compile(r"^unit \((.*)\)$")


def canonical_column(written: object) -> str:
    """The canonical column a column name as written reads as ("" when none)."""
    text = "" if written is None or written != written else str(written)
    inner = _LONG_UNIT.match(text)
    match = match_name(normalise_name(inner.group(1) if inner else text))
    return match.canonical if match is not None else ""


def left_out(problems: pd.DataFrame) -> pd.DataFrame:
    """The problems whose value was left out, with the ``canonical`` column they belong
    to (one lookup per distinct column name)."""
    kinds = problems["kind"].astype("str") if "kind" in problems else pd.Series("", dtype="str")
    out = problems[kinds.isin(LEFT_OUT_KINDS) & problems["line"].notna()]
    names = out["column"].astype("str")
    mapping = {name: canonical_column(name) for name in pd.unique(names)}
    return out.assign(canonical=names.map(mapping).astype("str"))


#: The reader's sentence for a merged row names the row it was merged into
#: (crs.read.merging: "same patient and instant as line 876; merged into that row").
_MERGED_INTO = re.compile(r"as line (\d+)")


def with_patients(problems: pd.DataFrame, graded: pd.DataFrame) -> pd.DataFrame:
    """``problems`` with a ``patient`` column after ``file`` (or first): the patient of
    the graded row read from the problem's line of that file — for a merged row, of the
    row it was merged into — and "" when the line is not a graded row (a row not graded,
    a file-level note).

    ``graded`` has ``patient_id`` and ``line`` (and ``source``, the file name, when the
    ward has several files; problems then need their ``file`` column)."""
    keys = ["line"]
    rows = graded[["patient_id", "line"]].copy()
    if "source" in graded.columns and "file" in problems.columns:
        rows["file"] = graded["source"].astype("str")
        keys = ["file", "line"]
    rows = rows.drop_duplicates(keys)
    rows["line"] = rows["line"].astype("Int64")
    into = problems["reason"].astype("str").str.extract(_MERGED_INTO)[0]
    line = problems["line"].astype("Int64")
    merged = problems["kind"].astype("str").eq("merged") & into.notna()
    line = line.where(~merged, pd.to_numeric(into, errors="coerce").astype("Int64"))
    found = problems[keys].assign(line=line).merge(rows, on=keys, how="left")
    patient = found["patient_id"].fillna("").astype("str").to_numpy()
    out = problems.copy()
    out.insert(1 if "file" in out.columns else 0, "patient", patient)
    if "raw" in out.columns:  # a row-level note has no cell: a blank, not "None"
        out["raw"] = out["raw"].astype("object").where(out["raw"].notna(), "")
    return out
