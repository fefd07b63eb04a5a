"""One readable sentence per graded row (spec grading.md §4 `explanation`, §5).

The paper insists that a grade is only as good as the findings behind it, so each row
names its driving findings with their values and the Table 2 / Table 3 / CTCAE rule
they meet, e.g. "Grade 3: norepinephrine 22 μg/min for 3.5 h (high dose, Table 3)."

Cheap for a million rows: for each criterion, the rows it drives are grouped by the
values the sentence shows (``factorize_rows``); the text is built with vectorised
string operations once per distinct group, and the whole sentence once per distinct
combination of pieces, then taken back to every row. No Python loop visits a row.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crs.findings.hypotension import ADULT_MAP_BELOW
from crs.findings.oxygen import BASES, DEVICE_LABELS, DEVICES, FIO2_GRADE3, LOW_FLOW_MAX_L_MIN
from crs.findings.vasopressors import AGENTS, agent_values

#: Organ values named in explanations: label and unit.
ORGAN_LABELS: dict[str, tuple[str, str]] = {
    "creatinine": ("creatinine", "mg/dL"),
    "ast": ("AST", "U/L"),
    "alt": ("ALT", "U/L"),
    "bilirubin": ("bilirubin", "mg/dL"),
    "fibrinogen": ("fibrinogen", "mg/dL"),
    "inr": ("INR", ""),
    "lvef": ("LVEF", "%"),
}
#: How the unknown domains of spec §4 are named in a sentence and on every page.
DOMAIN_LABELS: dict[str, str] = {
    "blood_pressure": "blood pressure",
    "oxygen": "oxygen",
    "temperature": "temperature",
    "vasopressor_dose": "vasopressor dose (μg/kg/min without a weight)",
    # astct.md §3.3 icans_unknown.
    "ice": "ICE score",
    "capd": "CAPD score",
    "consciousness": "level of consciousness",
}
#: How a criterion code of spec §3 is named inside a sentence (attributed findings).
CRITERION_WORDS: dict[str, str] = {
    "fever": "fever",
    "symptoms": "constitutional symptoms",
    "hypotension": "hypotension",
    "vasopressor": "vasopressor requirement",
    "oxygen": "oxygen requirement",
    "ventilation": "ventilator support",
    "organ_toxicity": "organ toxicity",
    "neurotoxicity": "neurotoxicity",
    "death": "death",
}
#: Unknown domains that were documented, but not so that a value is known (spec §4,
#: version 2): a running weight-based pressor without a weight. The others were not
#: documented within their carry-forward window.
NOT_KNOWN_DOMAINS: frozenset[str] = frozenset({"vasopressor_dose"})


def unknown_words(codes: object) -> str:
    """Plain words for a ``;``-joined ``unknown`` value ("" when none).

    >>> unknown_words("blood_pressure;vasopressor_dose")
    'blood pressure, vasopressor dose (μg/kg/min without a weight)'
    """
    text = "" if codes is None or codes is pd.NA or codes != codes else str(codes)
    return ", ".join(DOMAIN_LABELS.get(code, code) for code in text.split(";") if code)


def unknown_words_column(values: pd.Series) -> pd.Series:
    """:func:`unknown_words` of a whole ``unknown`` column (worded once per distinct value)."""
    codes, distinct = pd.factorize(values.fillna("").astype("str"), use_na_sentinel=False)
    words = np.array([unknown_words(value) for value in distinct], dtype=object)
    return pd.Series(words[codes], index=values.index, dtype="str")


def lower_bound_clause(codes: str) -> str:
    """The explanation's clause for a ``;``-joined ``unknown`` value ("" when none)."""
    listed = [code for code in codes.split(";") if code]
    window = [DOMAIN_LABELS.get(c, c) for c in listed if c not in NOT_KNOWN_DOMAINS]
    dose = [DOMAIN_LABELS.get(c, c) for c in listed if c in NOT_KNOWN_DOMAINS]
    parts = []
    if window:
        parts.append("not documented within the carry-forward window: " + ", ".join(window))
    if dose:
        parts.append("not known: " + ", ".join(dose))
    return "; " + "; ".join(parts) + ", so the grade is a lower bound" if parts else ""


def factorize_rows(
    columns: list[np.ndarray], widths: list[int | None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by the tuple of their values in ``columns``.

    Returns each row's group code (numbered in order of first appearance) and the
    position of each group's first row. A column with a known ``width`` already holds
    integer codes in ``-1 … width - 2`` and is packed as is; an integer or boolean
    column of small range is packed as its offset from its minimum; others are
    factorized. Column codes are packed into one integer, re-numbered only before an
    overflow. The result depends only on which rows share all values, not on how
    each column was coded.

    Rows come sorted by patient and instant, so neighbours often share every value:
    only the first row of each such run is grouped, and its code repeated over the run.
    """
    columns = [np.asarray(column) for column in columns]
    n = len(columns[0])
    heads = _run_heads(columns) if n >= _RUNS_FROM else None
    if heads is not None:
        starts = np.flatnonzero(heads)
        if len(starts) * 2 <= n:
            codes, first = _factorize_rows([c[starts] for c in columns], widths)
            return np.repeat(codes, np.diff(np.append(starts, n))), starts[first]
    return _factorize_rows(columns, widths)


#: Fewer rows than this are grouped directly (finding runs would not pay).
_RUNS_FROM = 1024


def _run_heads(columns: list[np.ndarray]) -> np.ndarray | None:
    """True where a row differs from the row before in some column (bit for bit).

    Rows of one run have identical bits in every column, hence equal values: a run
    never spans two groups. ``None`` when a column is not numeric or boolean.
    """
    n = len(columns[0])
    heads = np.zeros(n, dtype=bool)
    heads[0] = True
    for column in columns:
        if column.dtype.kind == "f":
            column = column.view(f"i{column.dtype.itemsize}")  # -0.0 ≠ 0.0, NaN = NaN
        elif column.dtype.kind not in "biu":
            return None
        heads[1:] |= column[1:] != column[:-1]
    return heads


def _factorize_rows(
    columns: list[np.ndarray], widths: list[int | None] | None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`factorize_rows` on every row."""
    n = len(columns[0])
    widths = widths or [None] * len(columns)
    codes = np.zeros(n, dtype=np.int64)
    span = 1
    for column, known in zip(columns, widths, strict=True):
        if known is None:
            (values, width), shift = _column_codes(column), 0
        else:
            values, width, shift = column, known, 1
            if values.dtype.kind not in "iu" or values.dtype == np.uint64:
                values = values.astype(np.int64)  # added in place to int64 codes below
        if span * width >= 2**62:
            codes, distinct = _factorize_runs(codes)
            span = max(distinct, 1)
        # codes = codes * width + values + shift, in place (no temporaries of n rows).
        codes *= width
        codes += values
        if shift:
            codes += shift
        span *= width
    codes, _ = _factorize_runs(codes)
    if not n:
        return codes, codes
    seen_before = np.concatenate(([-1], np.maximum.accumulate(codes)[:-1]))
    return codes, np.flatnonzero(codes > seen_before)


def _factorize_runs(codes: np.ndarray) -> tuple[np.ndarray, int]:
    """``pd.factorize(codes)`` codes (int64) and their number, hashing one row per run.

    Rows come sorted by patient and instant, so neighbours often share their key: only
    the first row of each run of equal values is hashed and its code repeated over the
    run. First appearances are run heads, so the numbering is ``pd.factorize``'s. With
    few repeats (runs over 3/4 of the rows) every row is hashed as before.
    """
    n = len(codes)
    heads = np.ones(n, dtype=bool)
    if n > 1:
        np.not_equal(codes[1:], codes[:-1], out=heads[1:])
    starts = np.flatnonzero(heads)
    if len(starts) * 4 > n * 3:
        values, uniques = pd.factorize(codes)
        return values.astype(np.int64, copy=False), len(uniques)
    values, uniques = pd.factorize(codes[starts])
    lengths = np.diff(np.append(starts, n))
    return np.repeat(values.astype(np.int64, copy=False), lengths), len(uniques)


def _column_codes(column: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes ``0 … width - 1`` of a column's distinct values, and ``width``."""
    small_unsigned = column.dtype.kind == "u" and column.dtype.itemsize < 8
    if (column.dtype.kind in "bi" or small_unsigned) and len(column):
        low, high = int(column.min()), int(column.max())
        if high - low < _DIRECT_RANGE:
            return column.astype(np.int64) - low, high - low + 1
    if column.dtype.kind == "f" and len(column):
        missing = np.isnan(column)
        if missing.mean() > 0.5:
            # Mostly NaN (a value shown on few rows): NaN is code 0, the rest hashed.
            known = ~missing
            values = np.zeros(len(column), dtype=np.int64)
            codes, uniques = pd.factorize(column[known])
            values[known] = codes + 1
            return values, len(uniques) + 1
    values, uniques = pd.factorize(column, use_na_sentinel=False)
    return values, max(len(uniques), 1)


#: Integer columns spanning fewer values than this are packed without a hash table.
_DIRECT_RANGE = 1 << 16


def number(values: np.ndarray) -> np.ndarray:
    """Numbers as short text: at most two decimals, no trailing zeros (22, 38.4, 0.03)."""
    rounded = np.round(np.asarray(values, dtype="float64"), 2)
    codes, uniques = pd.factorize(rounded, use_na_sentinel=False)
    return np.array([f"{u:g}" for u in uniques], dtype=object)[codes]


def _labels(devices: np.ndarray) -> np.ndarray:
    """Device codes (architecture ``o2_device_used`` codes) → words for a sentence."""
    table = np.array([DEVICE_LABELS.get(d, "") for d in (*DEVICES, "")], dtype=object)
    return table[devices]


def _join(parts: list[np.ndarray], sep: str) -> np.ndarray:
    """Join object arrays of text element-wise with ``sep``, skipping empty parts."""
    out = np.full(len(parts[0]), "", dtype=object)
    for part in parts:
        glue = np.where((out != "") & (part != ""), sep, "").astype(object)
        out = out + glue + part
    return out


def _r(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype="float64"), 2)


# ---- one builder per criterion: (values that determine the text, text at given rows) ----


def _fever(ev: dict) -> tuple[Callable, Callable]:
    return (
        lambda r: [_r(ev["temp_c_used"][r])],
        lambda r: "temperature " + number(ev["temp_c_used"][r]) + " °C (≥ 38.0, fever)",
    )


#: Longest free text quoted in an explanation: the sentence must stay readable even when
#: a whole clinical note was pasted into the symptoms cell (hostile-input tests: 10 MB).
QUOTE_MAX_CHARS = 120


def quote(text: np.ndarray) -> np.ndarray:
    """Free text as one line of at most ``QUOTE_MAX_CHARS`` characters (… when cut)."""
    one_line = pd.Series(text, dtype=object).astype("str").str.replace(r"\s+", " ", regex=True)
    cut = one_line.str.len() > QUOTE_MAX_CHARS
    shown = one_line.where(~cut, one_line.str.slice(0, QUOTE_MAX_CHARS - 1) + "…")
    return shown.to_numpy(dtype=object)


def _symptoms(ev: dict) -> tuple[Callable, Callable]:
    def recorded(r: np.ndarray) -> np.ndarray:
        return ev["symptoms"].iloc[r].to_numpy(dtype=object, na_value="")

    return (lambda r: [recorded(r)]), (lambda r: 'symptoms recorded: "' + quote(recorded(r)) + '"')


def _hypotension(ev: dict) -> tuple[Callable, Callable]:
    def keys(r: np.ndarray) -> list[np.ndarray]:
        sbp_low, map_low = ev["sbp_low"][r], ev["map_low"][r]
        computed = map_low & ev["map_computed"][r]
        return [
            np.where(sbp_low, _r(ev["sbp_used"][r]), np.nan),
            np.where(sbp_low, ev["sbp_threshold"][r], np.nan),
            np.where(map_low, _r(ev["map_used"][r]), np.nan),
            computed,
            np.where(computed, _r(ev["sbp_used"][r]), np.nan),
            np.where(computed, _r(ev["dbp_used"][r]), np.nan),
            np.where(computed, _r(ev["map_documented"][r]), np.nan),
        ]

    def text(r: np.ndarray) -> np.ndarray:
        sbp = "SBP " + number(ev["sbp_used"][r]) + " mmHg (< "
        sbp = sbp + number(ev["sbp_threshold"][r]) + ", hypotension)"
        # Spec §3.1 (version 2): the newest of the documented and the computed MAP.
        documented = ev["map_documented"][r]
        older = np.where(
            np.isnan(documented),
            "",
            ", newer than the documented MAP of " + number(documented) + " mmHg",
        ).astype(object)
        pair = number(ev["sbp_used"][r]) + "/" + number(ev["dbp_used"][r])
        source = np.where(
            ev["map_computed"][r],
            " computed from SBP/DBP " + pair + older,
            " as documented",
        ).astype(object)
        map_text = "MAP " + number(ev["map_used"][r]) + " mmHg" + source
        map_text = map_text + f" (< {ADULT_MAP_BELOW:g}, hypotension)"
        sbp_low, map_low = ev["sbp_low"][r], ev["map_low"][r]
        return np.select([sbp_low & map_low, sbp_low], [sbp + ", " + map_text, sbp], map_text)

    return keys, text


def _vasopressor(ev: dict) -> tuple[Callable, Callable]:
    pressors = ev["pressors"]

    def keys(r: np.ndarray) -> list[np.ndarray]:
        return [
            *(agent_values(pressors, "running", a.name, r) for a in AGENTS),
            *(_r(agent_values(pressors, "dose", a.name, r)) for a in AGENTS),
            _r(pressors["high_dose_hours"][r]),
            pressors["high_dose_now"][r],
            pressors["high_dose_sustained"][r],
            np.where(pressors["n_vasopressors"][r] >= 2, _r(pressors["ne_eq_ug_min"][r]), 0),
        ]

    def text(r: np.ndarray) -> np.ndarray:
        parts = []
        for agent in AGENTS:
            dose = agent_values(pressors, "dose", agent.name, r)
            piece = np.where(
                np.isnan(dose),
                agent.name + " (dose unknown: μg/kg/min without a weight)",
                agent.name + " " + number(dose) + f" {agent.unit}",
            ).astype(object)
            running = agent_values(pressors, "running", agent.name, r)
            parts.append(np.where(running, piece, "").astype(object))
        agents = _join(parts, " + ")
        hours = number(pressors["high_dose_hours"][r])
        several = pressors["n_vasopressors"][r] >= 2
        ne_eq = pressors["ne_eq_ug_min"][r]
        ne_text = np.where(
            several & ~np.isnan(ne_eq),
            ", norepinephrine equivalent " + number(ne_eq) + " μg/min",
            "",
        ).astype(object)
        suffix = np.select(
            [pressors["high_dose_sustained"][r], several, pressors["high_dose_now"][r]],
            [
                " for " + hours + " h (high dose, Table 3)",
                np.full(len(r), " (multiple vasopressors)", dtype=object),
                " (one vasopressor; high dose for " + hours + " h, under the 3 h of Table 3)",
            ],
            " (one vasopressor, not high dose)",
        ).astype(object)
        return agents + ne_text + suffix

    return keys, text


def _oxygen(ev: dict) -> tuple[Callable, Callable]:
    keys = ("oxygen_basis", "fio2_used", "o2_device_used", "flow")

    def text(r: np.ndarray) -> np.ndarray:
        basis = ev["oxygen_basis"][r]
        fio2 = ev["fio2_used"][r]
        device = ev["o2_device_used"][r]
        band = np.where(fio2 >= FIO2_GRADE3, f"≥ {FIO2_GRADE3:g}%", f"< {FIO2_GRADE3:g}%")
        band = band.astype(object)
        flow = ev["flow"][r]
        # Rule 2: the flow decides; the 21 + 4 × flow estimate is shown, not graded.
        on_cannula = device == DEVICES.index("nasal_cannula")
        source = np.where(on_cannula, "nasal cannula ", "oxygen flow ").astype(object)
        flow_band = np.where(
            flow > LOW_FLOW_MAX_L_MIN,
            f"more than {LOW_FLOW_MAX_L_MIN:g} L/min: high-flow oxygen, grade 3",
            "low-flow oxygen, grade 2",
        ).astype(object)
        by_flow = source + number(flow) + " L/min (" + flow_band + "; FiO2 ≈ "
        by_flow = by_flow + number(fio2) + " %)"
        without = np.where(
            device == DEVICES.index("blow_by"), "", " without documented flow"
        ).astype(object)
        return np.select(
            [basis == BASES.index(b) for b in ("fio2", "flow", "device_more_than_low_flow")],
            [
                "FiO2 " + number(fio2) + "% (" + band + ", oxygen)",
                by_flow,
                _labels(device) + " without documented FiO2 (more than low-flow oxygen)",
            ],
            _labels(device) + without + " (low-flow oxygen)",
        )

    return (lambda r: [ev[k][r] if k != "flow" else _r(ev[k][r]) for k in keys]), text


def _ventilation(ev: dict) -> tuple[Callable, Callable]:
    def text(r: np.ndarray) -> np.ndarray:
        device = _labels(ev["o2_device_used"][r])
        label = np.where(ev["ventilated_used"][r], "mechanical ventilation", device)
        return label.astype(object) + " (ventilator support)"

    return (lambda r: [ev["ventilated_used"][r], ev["o2_device_used"][r]]), text


def _organ_toxicity(ev: dict) -> tuple[Callable, Callable]:
    organs = ev["organs"]
    entered = (("organ_tox_used", "organ toxicity"),)

    def rounded(where: np.ndarray, values: np.ndarray) -> np.ndarray:
        # ``values`` rounded as shown (2 decimals) where ``where``, else NaN; in place.
        out = np.where(where, values, np.nan)
        return np.round(out, 2, out=out)

    def keys(r: np.ndarray) -> list[np.ndarray]:
        target = ev["g_organ_toxicity"][r]
        grades, values = [], []
        for organ in ORGAN_LABELS:
            # Only organs at the row's organ-toxicity grade appear in the sentence.
            ctcae = organs[f"organ_{organ}"][r]
            counts = np.minimum(ctcae, 3) if organ in ("ast", "alt") else ctcae
            shown = (counts == target) & (ctcae >= 2)
            grades.append(np.where(shown, ctcae, -1))
            values.append(rounded(shown, organs[f"{organ}_value"][r]))
            if organ == "creatinine":
                by_baseline = shown & organs["creatinine_by_baseline"][r]
                ratio = rounded(by_baseline, organs["creatinine_x_baseline"][r])
        return [
            target,
            *grades,
            *values,
            ratio,
            *(np.floor(np.nan_to_num(organs[k][r])) == target for k, _ in entered),
        ]

    def text(r: np.ndarray) -> np.ndarray:
        target = ev["g_organ_toxicity"][r]
        parts = []
        for organ, (label, unit) in ORGAN_LABELS.items():
            ctcae = organs[f"organ_{organ}"][r]
            transaminase = organ in ("ast", "alt")
            counts = np.minimum(ctcae, 3) if transaminase else ctcae
            value = label + " " + number(organs[f"{organ}_value"][r]) + (f" {unit}" if unit else "")
            if organ == "creatinine":
                value = value + np.where(
                    organs["creatinine_by_baseline"][r],
                    " (" + number(organs["creatinine_x_baseline"][r]) + " × baseline)",
                    "",
                ).astype(object)
            note = np.where(
                transaminase & (ctcae == 4),
                " (CTCAE grade 4 transaminitis, CRS grade 3 by Table 2)",
                " (CTCAE grade " + number(ctcae) + " organ toxicity)",
            ).astype(object)
            parts.append(
                np.where((counts == target) & (ctcae >= 2), value + note, "").astype(object)
            )
        for key, label in entered:
            grade = np.floor(np.nan_to_num(organs[key][r]))
            piece = f"{label} CTCAE grade " + number(grade) + " (entered by a clinician)"
            parts.append(np.where((grade == target) & (grade >= 2), piece, "").astype(object))
        return _join(parts, ", ")

    return keys, text


def _neurotoxicity(ev: dict) -> tuple[Callable, Callable]:
    # Spec §3.4 (version 2): the entered grade, as entered (2–4).
    def grade(r: np.ndarray) -> np.ndarray:
        return ev["g_neurotoxicity"][r]

    def text(r: np.ndarray) -> np.ndarray:
        return "neurotoxicity CTCAE grade " + number(grade(r)) + " (entered by a clinician)"

    return (lambda r: [grade(r)]), text


def _death(ev: dict) -> tuple[Callable, Callable]:
    return (lambda r: [np.zeros(len(r))]), (lambda r: np.full(len(r), "death recorded", object))


#: Sentence order of the criteria (Table 2 order).
BUILDERS: dict[str, Callable[[dict], tuple[Callable, Callable]]] = {
    "fever": _fever,
    "symptoms": _symptoms,
    "hypotension": _hypotension,
    "vasopressor": _vasopressor,
    "oxygen": _oxygen,
    "ventilation": _ventilation,
    "organ_toxicity": _organ_toxicity,
    "neurotoxicity": _neurotoxicity,
    "death": _death,
}


def explain(evidence: dict, driving: dict[str, np.ndarray]) -> pd.Series:
    """The explanation column: "Grade g: finding (rule); finding (rule)." per row.

    ``evidence`` holds the graded columns as numpy arrays (``grade``, ``unknown``,
    ``attributed``, the ``*_used`` values …) plus the ``pressors`` and ``organs`` dicts.
    """
    grade = evidence["grade"]
    n = len(grade)
    key_columns: list[np.ndarray] = [grade]
    tables: list[np.ndarray] = []
    for criterion, builder in BUILDERS.items():
        keys, text = builder(evidence)
        rows = np.flatnonzero(driving[criterion])
        code = np.full(n, -1, dtype=np.int32 if n < 2**31 else np.int64)
        table = np.zeros(0, dtype=object)
        if len(rows):
            sub, first = factorize_rows(keys(rows))
            code[rows] = sub
            table = np.asarray(text(rows[first]), dtype=object)
        key_columns.append(code)
        tables.append(np.append(table, ""))  # code -1 → no piece
    # Unknown domains and attributed criteria come as codes into small tables of text.
    unknown_code, unknown_table = evidence["unknown"]
    attributed_code, attributed_table = evidence["attributed"]
    key_columns += [unknown_code, attributed_code]
    # Every key column is a small integer code of known range: packed, not factorized.
    widths = [7, *(len(t) + 1 for t in tables), len(unknown_table) + 1]
    widths.append(len(attributed_table) + 1)
    codes, first = factorize_rows(key_columns, widths)

    # Build each distinct sentence once, with Arrow string kernels on the distinct rows
    # (one piece per criterion: its text, "" when it does not drive the grade).
    pieces = [
        _arrow(table).take(column[first] % len(table))  # code -1 → the last entry, ""
        for table, column in zip(tables, key_columns[1:-2], strict=True)
    ]
    body = _arrow_join(pieces, "; ")
    body = pc.if_else(pa.array(grade[first] == 0), _text("no CRS finding recorded"), body)
    prefix = _arrow([f"Grade {g}: " for g in range(6)]).take(grade[first])
    # Wording of the small tables first, then one lookup per distinct sentence.
    lower = _arrow([lower_bound_clause(u) for u in unknown_table]).take(unknown_code[first])
    removed = (
        ", ".join(CRITERION_WORDS.get(c, c) for c in a.split(";") if c) for a in attributed_table
    )
    not_crs = _arrow(
        [f"; attributed to another cause by a clinician: {r}" if r else "" for r in removed]
    ).take(attributed_code[first])
    sentences = pc.binary_join_element_wise(prefix, body, lower, not_crs, _text("."), _text(""))
    return pd.Series(pd.array(sentences.take(codes), dtype="str"), dtype="str")


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, type=pa.large_string())


def _arrow(values: np.ndarray | list[str]) -> pa.Array:
    """Python text values as an Arrow ``large_string`` array (the ``str`` dtype's storage)."""
    return pa.array(np.asarray(values, dtype=object), type=pa.large_string())


def _arrow_join(parts: list[pa.Array], sep: str) -> pa.Array:
    """:func:`_join` on Arrow text: join element-wise with ``sep``, skipping empty parts."""
    empty, glue = _text(""), _text(sep)
    out = parts[0]
    for part in parts[1:]:
        both = pc.and_(pc.not_equal(out, empty), pc.not_equal(part, empty))
        out = pc.binary_join_element_wise(out, pc.if_else(both, glue, empty), part, empty)
    return out
