"""The data-quality reports of a file's chunks made into the whole file's (issue #17).

Counts add up; a cell's problems come from the one chunk that holds its row, and the
report lists problems by line (:meth:`QualityReport.to_frame`), so the chunks' problems
together are the whole file's. Sentences about a column or the file (conversions, notes
without a line) are said by every chunk that met them: they are kept once, in the order
the reader says them, and the few that count rows have their counts added.
"""

from __future__ import annotations

import re

import pandas as pd

from crs.read.quality import QualityReport, empty_problems

_COUNT = "\x00count\x00"
#: Sentences that count rows or cells: the chunks' counts are added up.
_COUNTED = (
    re.compile(r"^(?P<head>.* with the patient's weight on )(?P<count>\d+)(?P<tail> rows)$"),
    re.compile(r"^(?P<head>.*: )(?P<count>\d+)(?P<tail> NUL character\(s\) in cells.*)$"),
)


def merge_reports(parts: list[QualityReport]) -> QualityReport:
    """One report for the whole file from the reports of its chunks, in file order."""
    first = parts[0]
    merged = QualityReport(
        source=first.source,
        rows_read=sum(p.rows_read for p in parts),
        rows_graded=sum(p.rows_graded for p in parts),
        rows_merged=sum(p.rows_merged for p in parts),
        rows_not_graded=sum(p.rows_not_graded for p in parts),
        unknown_columns=ordered_union([p.unknown_columns for p in parts]),
        conversions=_counted(ordered_union([_uncounted(p.conversions) for p in parts]), parts),
        mapping=ordered_union([p.mapping for p in parts]),
        not_graded_columns=ordered_union([p.not_graded_columns for p in parts]),
    )
    merged.problems = _problems([p.problems for p in parts])
    return merged


def ordered_union(lists: list[list[str]]) -> list[str]:
    """Every sentence once, each after the sentences it follows in any list (the reader
    says them in a fixed order; a chunk says only those it met)."""
    out: list[str] = []
    for sentences in lists:
        at = 0
        for sentence in sentences:
            if sentence in out:
                at = out.index(sentence) + 1
            else:
                out.insert(at, sentence)
                at += 1
    return out


def _uncounted(sentences: list[str]) -> list[str]:
    out = []
    for sentence in sentences:
        for pattern in _COUNTED:
            match = pattern.match(sentence)
            if match:
                sentence = match["head"] + _COUNT + match["tail"]
                break
        out.append(sentence)
    return out


def _counted(sentences: list[str], parts: list[QualityReport]) -> list[str]:
    totals: dict[str, int] = {}
    for part in parts:
        for sentence in part.conversions:
            for pattern in _COUNTED:
                match = pattern.match(sentence)
                if match:
                    key = match["head"] + _COUNT + match["tail"]
                    totals[key] = totals.get(key, 0) + int(match["count"])
    return [s.replace(_COUNT, str(totals[s]), 1) if s in totals else s for s in sentences]


def _problems(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Problems of every chunk; those without a line (about a column) once each."""
    tables = [t for t in tables if len(t)]
    if not tables:
        return empty_problems()
    problems = pd.concat(tables, ignore_index=True)
    lineless = problems["line"].isna()
    if lineless.any():
        again = lineless & problems.duplicated(keep="first")
        problems = problems[~again.to_numpy()].reset_index(drop=True)
    return problems
