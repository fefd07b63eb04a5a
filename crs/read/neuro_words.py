"""Reading the neurological findings ASTCT 2019 adds (astct.md §1.2–§1.3): consciousness,
seizure, motor weakness and cerebral oedema written in words, matched to the rules of
§1.2 (their ICANS domain grades), and the whole-number rule of the ICE, CAPD and RASS
scores. The reader reports what matches no rule; crs.findings.icans_findings carries
the findings.

Lee DW, Santomasso BD et al., Biol Blood Marrow Transplant 2019;25:625-638, the ICANS
tables for adults and for children < 12 years. Everything here is a table (astct.md
§1.2), read by one matcher: a cell is normalised (lower case, every character other
than a-z and 0-9 a space, spaces collapsed), a number equal to 1 or 0 reads as ``1`` or
``0``, and each column's rules are tried in order, the first match deciding. A rule
matches a *whole cell* (the normalised cell equals it) or a *keyword* (its words appear
in the cell as whole, consecutive words). Each distinct cell is matched once and the
result taken back to its rows: no Python loop visits a row.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_NONE_WORDS = ("none", "no", "n", "0", "false", "absent", "nil", "negative")
_YES_WORDS = ("yes", "y", "1", "true")


@dataclass(frozen=True)
class WordRule:
    """One row of an astct.md §1.2 table: cells that match it get ``grade``."""

    whole: tuple[str, ...]
    keywords: tuple[str, ...]
    grade: int
    meaning: str


#: astct.md §1.2 tables, rules in order (the first match decides). The single letters of
#: consciousness are AVPU (A alert, V voice, P pain, U unresponsive) [decision].
WORD_RULES: dict[str, tuple[WordRule, ...]] = {
    "consciousness": (
        WordRule(
            ("u",),
            (
                "unarousable",
                "unrousable",
                "not arousable",
                "unresponsive",
                "vigorous",
                "repetitive",
                "stupor",
                "stuporous",
                "coma",
                "comatose",
            ),
            4,
            "unarousable",
        ),
        WordRule(
            ("p",),
            ("tactile", "touch", "pain", "painful", "physical"),
            3,
            "awakens only to tactile stimulus",
        ),
        WordRule(("v",), ("voice", "verbal"), 2, "awakens to voice"),
        WordRule(
            (),
            ("spontaneous", "spontaneously", "drowsy", "sleepy", "somnolent"),
            1,
            "awakens spontaneously",
        ),
        WordRule(("a",), ("alert", "awake", "normal", "oriented"), 0, "alert"),
    ),
    "seizure": (
        WordRule((*_NONE_WORDS, "no seizure", "no seizures", "no seizure activity"), (), 0, "none"),
        WordRule(
            (),
            ("prolonged", "status", "epilepticus", "repetitive", "recurrent", "ncse", "cluster"),
            4,
            "prolonged or repetitive seizures",
        ),
        WordRule(
            _YES_WORDS,
            (
                "seizure",
                "seizures",
                "focal",
                "generalised",
                "generalized",
                "tonic",
                "clonic",
                "gtc",
                "convulsion",
                "convulsive",
                "nonconvulsive",
                "electrographic",
                "eeg",
            ),
            3,
            "a seizure that resolved",
        ),
    ),
    "motor_weakness": (
        WordRule((*_NONE_WORDS, "normal", "no weakness"), (), 0, "none"),
        WordRule(
            _YES_WORDS,
            (
                "hemiparesis",
                "paraparesis",
                "hemiplegia",
                "paraplegia",
                "monoparesis",
                "focal weakness",
                "motor weakness",
            ),
            4,
            "deep focal motor weakness",
        ),
        # ASTCT grades tremor and myoclonus by CTCAE: read, but no ICANS finding.
        WordRule((), ("tremor", "tremors", "myoclonus", "myoclonic"), 0, "tremor or myoclonus"),
    ),
    "cerebral_edema": (
        WordRule((*_NONE_WORDS, "normal", "no edema", "no oedema"), (), 0, "none"),
        WordRule(
            (),
            (
                "diffuse",
                "generalised",
                "generalized",
                "posturing",
                "decerebrate",
                "decorticate",
                "cn vi",
                "cn 6",
                "cn6",
                "cnvi",
                "cranial nerve vi",
                "cranial nerve 6",
                "sixth nerve",
                "6th nerve",
                "abducens",
                "papilledema",
                "papilloedema",
                "cushing",
                "cushings",
            ),
            4,
            "diffuse oedema or signs of raised intracranial pressure",
        ),
        # Oedema of unstated extent is read as focal [decision].
        WordRule(
            _YES_WORDS,
            ("focal", "local", "localised", "localized", "edema", "oedema"),
            3,
            "focal or local oedema",
        ),
    ),
}
#: The word columns of astct.md §1.1 and the plain words naming each in messages.
WORD_COLUMNS: dict[str, str] = {
    "consciousness": "level of consciousness",
    "seizure": "seizure",
    "motor_weakness": "motor weakness",
    "cerebral_edema": "cerebral oedema",
}

#: astct.md §1.3: whole-number scores and their ranges (7.0 is 7; 7.5 is impossible).
WHOLE_NUMBER_COLUMNS: frozenset[str] = frozenset({"ice_score", "capd_score", "rass"})


_NOT_WORD = re.compile(r"[^a-z0-9]+")


def normalise_word(cell: str) -> str:
    """astct.md §1.2 normalisation of one cell: lower case, a-z0-9 words, 1 and 0."""
    try:
        number = float(cell.strip())
    except ValueError:
        number = None
    if number == 1.0:
        return "1"
    if number == 0.0:
        return "0"
    return _NOT_WORD.sub(" ", cell.lower()).strip()


def _rule_pattern(rule: WordRule) -> str:
    whole = [f"^{re.escape(w)}$" for w in rule.whole]
    keys = [rf"(?:^| ){re.escape(k)}(?: |$)" for k in rule.keywords]
    return "|".join(whole + keys)


@functools.cache
def _compiled(column: str) -> tuple[tuple[re.Pattern[str], int], ...]:
    """Each rule of a column as one regular expression, in the table's order."""
    return tuple((re.compile(_rule_pattern(rule)), rule.grade) for rule in WORD_RULES[column])


@functools.lru_cache(maxsize=4096)
def word_grade(column: str, cell: str) -> float:
    """The grade of the first rule of ``column`` a cell matches (NaN: none matches)."""
    words = normalise_word(cell)
    for pattern, grade in _compiled(column):
        if pattern.search(words):
            return float(grade)
    return float("nan")


def word_grades(column: str, cells: pd.Series) -> np.ndarray:
    """The ICANS domain grade of every cell of a word column (NaN: missing or unreadable).

    Each distinct cell is matched once (a ward writes few distinct words).
    """
    codes, distinct = pd.factorize(cells, use_na_sentinel=True)
    if not len(distinct):
        return np.full(len(cells), np.nan)
    grades = np.array([word_grade(column, str(cell)) for cell in distinct] + [np.nan])
    return grades[codes]


def unreadable(column: str, cells: pd.Series) -> np.ndarray:
    """Cells holding words that match no rule of astct.md §1.2 (§1.3: unreadable)."""
    present = cells.notna().to_numpy()
    return present & np.isnan(word_grades(column, cells))


def not_whole(values: np.ndarray) -> np.ndarray:
    """Numbers that are not whole (astct.md §1.3: ``7.5`` is impossible, ``7.0`` is 7)."""
    with np.errstate(invalid="ignore"):
        return ~np.isnan(values) & (np.floor(values) != values)
