"""ASTCT 2019 CRS and ICANS beside Lee 2014 (astct.md): the five columns and their
sentences, from the findings every scale reads (crs.findings.row_findings, computed once).

``consensus_columns`` is called by ``crs.scales.grading.grade`` with the findings and the
attributions; it decides the masked fever (crs.findings.masking: the fever that counts
depends on the attributions) and applies the two consensus tables (crs.scales.astct,
crs.scales.icans) to the findings in effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.findings.masking import masked_fever
from crs.findings.row_findings import Findings
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
    dtype = np.uint8 if len(names) <= 8 else np.uint16  # one byte per row for k ≤ 8
    code = np.zeros(n, dtype=dtype)
    for bit, name in enumerate(names):
        code |= np.asarray(bits[name], dtype=bool).view(np.uint8).astype(dtype) << dtype(bit)
    table = [";".join(x for b, x in enumerate(names) if c >> b & 1) for c in range(2 ** len(names))]
    # A categorical of the same texts: each distinct text once, not a million strings.
    return pd.Series(pd.Categorical.from_codes(code, categories=pd.Index(table, dtype="str")))


def _quoted(read: tuple[np.ndarray, list[str], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A word column's findings for a sentence: (code per row, -1 where missing; its
    distinct texts quoted, then ""). Sentences are keyed and built on the codes."""
    codes, texts, _ = read
    quoted = quote(np.asarray(texts, dtype=object)) if texts else np.zeros(0, dtype=object)
    return codes, np.append(np.asarray(quoted, dtype=object), "")


def consensus_columns(
    found: Findings, unknown: tuple[np.ndarray, np.ndarray], covered: dict[str, np.ndarray]
) -> dict[str, object]:
    """The five astct.md §5 columns and the two sentences, per row of ``found.rows``.

    ``found``: the findings every scale reads (crs.findings.row_findings);
    ``unknown``: Lee's unknown domains (code, table); ``covered``: the rows each attribution covers.
    """
    rows = found.rows
    n = len(rows)
    masking = masked_fever(rows, found.timeline, covered["fever"], found.masking_agent)
    oxygen, basis = astct.oxygen_grade(
        found.fio2, found.flow, found.device, found.fio2_source, found.device_source
    )
    running_code = found.pressors["vasopressors"][0]
    n_running = found.pressors["n_vasopressors"]
    crs_result = astct.astct_grade(
        fever_now=found.fever,
        masked=masking["masked"],
        hypotension=found.low_bp["met"],
        oxygen=oxygen,
        vasopressor=astct.vasopressor_grade(n_running, running_code),
        ventilation=found.oxygen["grade_ventilation"] > 0,
        deceased=found.deceased,
        covered=covered,
    )
    crs_bits = astct.driver_bits(crs_result)
    read = {c: _quoted(w) for c, w in found.words.items()}
    neuro = icans.icans_grade(found.neuro, covered)
    neuro_bits = icans.driver_bits(neuro)
    unknown_code, unknown_table = unknown
    evidence = {
        "temp": found.temp,
        "sbp_used": found.sbp,
        "map_used": found.map_used,
        "sbp_low": found.low_bp["sbp_low"],
        "map_low": found.low_bp["map_low"],
        "fio2": found.fio2,
        "flow": found.flow,
        "o2_device_used": found.oxygen["o2_device_used"][0],
        "ventilated_used": found.oxygen["ventilated_used"],
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
        "instant": found.timeline.t.view("datetime64[us]"),
        "day_axis": np.isnat(rows["time"].to_numpy(dtype="datetime64[us]")),
        "icans": neuro,
        "icans_bits": neuro_bits,
        "consciousness_text": read["consciousness"],
        "event_text": {d: read[c] for d, c in icans.EVENT_COLUMNS.items()},
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
