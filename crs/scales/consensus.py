"""ASTCT 2019 CRS and ICANS beside Lee 2014 (astct.md): the five columns and their
sentences, from the physiology the Lee grader has already computed once.

``consensus_columns`` is called by ``crs.scales.grading.grade`` with the findings in effect
(temperature, hypotension, running vasopressors, oxygen values and device, ventilation,
attributions); it adds the masked-fever and neurological findings
(crs.findings.masking, crs.findings.icans_findings) and applies the two consensus
tables (crs.scales.astct, crs.scales.icans).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.findings.carry import Timeline
from crs.findings.masking import masked_fever, sparse_factorize
from crs.read.neuro_words import word_grade
from crs.scales import astct, icans
from crs.scales.explain import quote
from crs.scales.scale_explain import astct_sentences, icans_sentences

#: astct.md §4: the ICANS codes a clinician may attribute (besides grading.md §3's).
ICANS_CODES: tuple[str, ...] = (
    "ice",
    "capd",
    "consciousness",
    "seizure",
    "motor",
    "cerebral_edema",
)
#: Columns passed through as recorded (astct.md §1.1), beside grading's ROW_VALUES.
NEURO_ROW_VALUES: tuple[str, ...] = (
    "capd_score",
    "rass",
    "consciousness",
    "seizure",
    "motor_weakness",
    "cerebral_edema",
)
#: astct.md §5: the five columns written after ``alerts``.
CONSENSUS_COLUMNS: tuple[str, ...] = (
    "astct_grade",
    "astct_drivers",
    "icans_grade",
    "icans_drivers",
    "icans_unknown",
)


def _joined(bits: dict[str, np.ndarray], n: int) -> pd.Series:
    """``;``-joined sorted codes whose rows are set: a bit pattern per row, worded through
    a table of the 2**k patterns (k ≤ 7 codes), as a categorical of those texts."""
    names = sorted(bits)
    code = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(names):
        code |= bits[name].astype(np.int64) << bit
    table = [";".join(x for b, x in enumerate(names) if c >> b & 1) for c in range(2 ** len(names))]
    # A categorical of the same texts: each distinct text once, not a million strings.
    return pd.Series(pd.Categorical.from_codes(code, categories=pd.Index(table, dtype="str")))


def _word_column(rows: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A word column read once: (code per row, -1 where missing; its distinct texts
    quoted for a sentence, then ""; the grade of each row's word, astct.md §1.2).
    Sentences are keyed and built on the codes, not on the texts."""
    codes, texts = sparse_factorize(rows[column])
    quoted = quote(np.asarray(texts, dtype=object)) if texts else np.zeros(0, dtype=object)
    grades = np.array([word_grade(column, t) for t in texts] + [np.nan])
    return codes, np.append(np.asarray(quoted, dtype=object), ""), grades[codes]


def consensus_columns(
    rows: pd.DataFrame, timeline: Timeline, physiology: dict, covered: dict[str, np.ndarray]
) -> dict[str, object]:
    """The five astct.md §5 columns and the two sentences, per row of ``rows``.

    ``physiology`` holds the Lee grader's values in effect (see crs.scales.grading.grade).
    """
    p = physiology
    n = len(rows)
    masking = masked_fever(rows, timeline, covered["fever"])
    oxygen, basis = astct.oxygen_grade(
        p["fio2"], p["flow"], p["device"], p["fio2_source"], p["device_source"]
    )
    running_code = p["pressors"]["vasopressors"][0]
    n_running = p["pressors"]["n_vasopressors"]
    with np.errstate(invalid="ignore"):
        fever_now = p["temp"] >= astct.FEVER_C
    crs_result = astct.astct_grade(
        fever_now=fever_now,
        masked=masking["masked"],
        hypotension=p["hypotension"],
        oxygen=oxygen,
        vasopressor=astct.vasopressor_grade(n_running, running_code),
        ventilation=p["ventilation"],
        deceased=p["deceased"],
        covered=covered,
    )
    crs_bits = astct.driver_bits(crs_result)
    read = {c: _word_column(rows, c) for c in ("consciousness", *icans.EVENT_COLUMNS.values())}
    words = {c: grades for c, (_, _, grades) in read.items()}
    neuro = icans.icans_grade(rows, timeline, covered, words)
    neuro_bits = icans.driver_bits(neuro)
    unknown_code, unknown_table = p["unknown"]
    evidence = {
        **p,
        "astct_grade": crs_result["grade"],
        "astct_bits": crs_bits,
        "pending": crs_result["pending"],
        "unknown_code": unknown_code,
        "unknown_table": unknown_table,
        "running_code": running_code,
        "n_vasopressors": n_running,
        "astct_oxygen": oxygen,
        "astct_oxygen_basis": basis,
        "dose_row": masking["dose_row"],
        "fever_row": masking["fever_row"],
        "agent": masking["agent"],
        "agent_names": masking["agent_names"],
        "temp_c": rows["temp_c"].to_numpy(dtype="float64", na_value=np.nan),
        "instant": timeline.t.view("datetime64[us]"),
        "day_axis": np.isnat(rows["time"].to_numpy(dtype="datetime64[us]")),
        "icans": neuro,
        "icans_bits": neuro_bits,
        "consciousness_text": read["consciousness"][:2],
        "event_text": {d: read[c][:2] for d, c in icans.EVENT_COLUMNS.items()},
    }
    return {
        "astct_grade": crs_result["grade"].astype(np.int64),
        "astct_drivers": _joined(crs_bits, n),
        "icans_grade": neuro["grade"],
        "icans_drivers": _joined(neuro_bits, n),
        "icans_unknown": _joined(neuro["unknown"], n),
        "astct_explanation": astct_sentences(evidence),
        "icans_explanation": icans_sentences(evidence),
        # The neurological findings as recorded on the row (the timeline, the app).
        **{name: rows[name] for name in NEURO_ROW_VALUES},
    }
