"""The ASTCT and ICANS sentences of the explanation (astct.md §5).

"ASTCT grade N: ..." names each driver with the value behind it; "ICANS grade N (ICE):
..." names each domain at the grade with its value. On real charting nearly every row's
values differ, so nothing here is done per row in Python (issue #14, "Speed"): each
piece of a sentence is worded once per distinct value it shows, on the rows where it is
present only (``factorize_rows``); rows are then grouped by one packed integer key (the
small head codes, then each piece's code), each distinct sentence is assembled once with
Arrow element-wise joins, and the sentences are taken into every row with one take.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crs.findings.icans_findings import LEVEL_WORDS
from crs.findings.oxygen import DEVICE_LABELS, DEVICES, LOW_FLOW_MAX_L_MIN
from crs.findings.vasopressors import AGENTS
from crs.read.neuro_words import WORD_RULES
from crs.scales.explain import (
    _arrow,
    _join,
    _text,
    factorize_rows,
    lower_bound_clause,
    number,
)

#: astct.md §2.2 criteria in words, for "does not count without fever".
PENDING_WORDS: dict[str, str] = {
    "hypotension": "hypotension",
    "oxygen": "oxygen",
    "vasopressor": "a vasopressor",
    "ventilation": "positive-pressure ventilation",
}
#: The ICANS domains of an event column in words, by grade (astct.md §1.2 meanings).
EVENT_MEANING: dict[str, dict[int, str]] = {
    domain: {rule.grade: rule.meaning for rule in WORD_RULES[column] if rule.grade}
    for domain, column in (
        ("seizure", "seizure"),
        ("motor", "motor_weakness"),
        ("cerebral_edema", "cerebral_edema"),
    )
}
#: Driver codes of astct.md §2.6 and §3.3 in plain words (other codes: "_" as a space).
DRIVER_WORDS: dict[str, str] = {
    "masked_fever": "masked fever (after tocilizumab or a steroid)",
    "ice": "ICE score",
    "capd": "CAPD score",
    "consciousness": "level of consciousness",
    "motor": "motor weakness",
    "cerebral_edema": "cerebral oedema",
}


def driver_words(codes: str) -> str:
    """``;``-joined driver codes of any scale as plain words, comma-separated."""
    return ", ".join(DRIVER_WORDS.get(c, c.replace("_", " ")) for c in codes.split(";") if c)


def driver_words_column(values: pd.Series) -> pd.Series:
    """:func:`driver_words` of a whole column (worded once per distinct value)."""
    codes, distinct = pd.factorize(values.fillna("").astype("str"), use_na_sentinel=False)
    words = np.array([driver_words(v) for v in distinct], dtype=object)
    return pd.Series(words[codes], index=values.index, dtype="str")


_DEVICE_WORDS = np.array([DEVICE_LABELS.get(d, "") for d in (*DEVICES, "")], dtype=object)


def _where(mask: np.ndarray, text: np.ndarray | str) -> np.ndarray:
    return np.where(mask, text, "").astype(object)


def _iso_minutes(instants: np.ndarray, day_axis: np.ndarray) -> np.ndarray:
    """Instants as ``2026-03-02T20:00`` (time axis) or ``day 3.5`` (day axis)."""
    out = np.datetime_as_string(instants.astype("datetime64[m]"), unit="m").astype(object)
    if day_axis.any():  # days written only where the axis is days
        at = instants[day_axis].astype("datetime64[us]").view("int64")
        out[day_axis] = "day " + number((at / 86_400_000_000).round(2))
    return out


def _hypotension(ev: dict, r: np.ndarray) -> np.ndarray:
    sbp = "SBP " + number(ev["sbp_used"][r]) + " mmHg"
    mean = "MAP " + number(ev["map_used"][r]) + " mmHg"
    sbp_low, map_low = ev["sbp_low"][r], ev["map_low"][r]
    both = sbp + ", " + mean
    return np.select([sbp_low & map_low, sbp_low], [both, sbp], mean) + " without vasopressor"


def _vasopressor(ev: dict, r: np.ndarray) -> np.ndarray:
    code = ev["running_code"][r]
    names = _join(
        [_where((code >> bit) & 1 == 1, agent.name) for bit, agent in enumerate(AGENTS)], " + "
    )
    vasopressin = (code >> 4) & 1 == 1
    others = ev["n_vasopressors"][r] - vasopressin
    words = np.select(
        [others >= 2, vasopressin & (others == 1), vasopressin],
        [
            " (two or more vasopressors)",
            " (one vasopressor with vasopressin)",
            " (vasopressin alone: one vasopressor)",
        ],
        " (one vasopressor)",
    )
    return names + " running" + words.astype(object)


def _oxygen(ev: dict, r: np.ndarray) -> np.ndarray:
    basis, grade = ev["astct_oxygen_basis"][r], ev["astct_oxygen"][r]
    band = np.where(grade >= 3, "high-flow", "low-flow").astype(object)
    device = _DEVICE_WORDS[ev["o2_device_used"][r]]
    flow = number(ev["flow"][r])
    cannula = np.where(
        np.isnan(ev["flow"][r]),
        "nasal cannula without documented flow",
        "nasal cannula " + flow + " L/min",
    ).astype(object)
    limit = f" (≤ {LOW_FLOW_MAX_L_MIN:g} L/min: low-flow)"
    cannula_band = np.where(grade >= 3, f" (> {LOW_FLOW_MAX_L_MIN:g} L/min: high-flow)", limit)
    return np.select(
        [basis == 1, basis == 2, basis == 3],
        [
            device + " (" + band + ")",
            cannula + cannula_band.astype(object),
            "FiO2 " + number(ev["fio2"][r]) + "% (" + band + ")",
        ],
        "oxygen flow " + flow + " L/min (" + band + ")",
    )


def _oxygen_key(ev: dict, r: np.ndarray) -> list[np.ndarray]:
    """What :func:`_oxygen` shows: the basis and grade, and the device when the device
    decides (basis 1), the FiO2 when it does (3), else the flow (none shown: NaN)."""
    basis = ev["astct_oxygen_basis"][r]
    by_device, by_fio2 = basis == 1, basis == 3
    small = basis * 10 + ev["astct_oxygen"][r]
    small += np.where(by_device, ev["o2_device_used"][r] + 1, 0) * 100
    value = np.where(by_fio2, ev["fio2"][r], np.where(by_device, 0.0, ev["flow"][r]))
    return [small, _r(value)]


def _ventilation(ev: dict, r: np.ndarray) -> np.ndarray:
    device = _DEVICE_WORDS[ev["o2_device_used"][r]]
    label = np.where(ev["ventilated_used"][r], "mechanical ventilation", device).astype(object)
    return label + " (positive pressure)"


def _masked(ev: dict, r: np.ndarray) -> np.ndarray:
    dose, fever = ev["dose_row"][r], ev["fever_row"][r]
    at = ev["instant"]
    day_axis = ev["day_axis"][r]
    dose_at = _iso_minutes(at[dose], day_axis)
    fever_at = _iso_minutes(at[fever], day_axis)
    same_day = at[dose].astype("datetime64[D]") == at[fever].astype("datetime64[D]")
    fever_at = np.where(same_day & ~day_axis, [t[-5:] for t in fever_at], fever_at)
    agent = ev["agent_names"][ev["agent"][dose]]
    return (
        "fever masked by "
        + agent
        + " at "
        + dose_at
        + " (fever "
        + number(ev["temp_c"][fever])
        + " °C at "
        + fever_at.astype(object)
        + ")"
    )


#: Packed keys stay below this (int64); beyond it the key is renumbered first.
_KEY_SPAN = 1 << 62


def _piece(
    present: np.ndarray, keys: Callable, text: Callable
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One piece of a sentence: (its rows, each row's code, its texts by code). The text
    is built once per distinct value it shows, on the rows where it is present only."""
    rows = np.flatnonzero(present)
    if not len(rows):
        return rows, rows, np.zeros(0, dtype=object)
    codes, first = factorize_rows(keys(rows))
    return rows, codes, np.asarray(text(rows[first]), dtype=object)


def _group(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows grouped by an integer ``key``: each row's group code (numbered in order of
    first appearance, as ``pd.factorize``) and each group's first row.

    Rows come sorted by patient and instant, so only the first row of each run of equal
    keys is hashed (Arrow's hash table, three times pandas' on int64 keys here)."""
    n = len(key)
    if not n:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
    heads = np.empty(n, dtype=bool)
    heads[0] = True
    np.not_equal(key[1:], key[:-1], out=heads[1:])
    starts = np.flatnonzero(heads)
    run_code = pc.dictionary_encode(pa.array(key[starts])).indices.to_numpy()
    # A code is new where it exceeds every code before it (first-appearance numbering).
    new = np.empty(len(run_code), dtype=bool)
    new[0] = True
    np.greater(run_code[1:], np.maximum.accumulate(run_code)[:-1], out=new[1:])
    codes = np.repeat(run_code, np.diff(np.append(starts, n)))  # Arrow's int32
    return codes, starts[new]


def _row_key(
    head: list[np.ndarray], widths: list[int], pieces: list[tuple[np.ndarray, ...]]
) -> np.ndarray:
    """One integer per row, equal exactly where the small codes of ``head`` (codes
    ``0 … width - 1``) and every piece's code (or its absence) are equal."""
    key, span = np.asarray(head[0], dtype=np.int64).copy(), widths[0]
    steps = [(w, None, h) for w, h in zip(widths[1:], head[1:], strict=True)]
    steps += [(len(table) + 1, rows, codes + 1) for rows, codes, table in pieces]
    for width, rows, values in steps:
        if span * width >= _KEY_SPAN:
            codes, first = _group(key)
            key = codes.astype(np.int64)
            span = max(len(first), 1)
        key *= width
        if rows is None:
            key += values
        else:
            key[rows] += values
        span *= width
    return key


def _codes_at(piece: tuple[np.ndarray, ...], at: np.ndarray) -> np.ndarray:
    """A piece's code at the rows ``at`` (-1: absent there)."""
    rows, codes, _ = piece
    if not len(rows):
        return np.full(len(at), -1, dtype=np.int64)
    i = np.minimum(np.searchsorted(rows, at), len(rows) - 1)
    return np.where(rows[i] == at, codes[i], -1)


def _joined_pieces(pieces: list[tuple[np.ndarray, ...]], first: np.ndarray) -> pa.Array:
    """The pieces present at the rows ``first``, joined with "; " (one element-wise join:
    each piece's table holds its texts with "; " before them, then as they are, then "";
    the first present piece of a row takes its text as it is)."""
    texts = []
    leading = np.ones(len(first), dtype=bool)  # no piece present before this one
    for piece in pieces:
        table = piece[2]
        if not len(table):
            continue  # present on no row
        # Code -1 reads the appended "": absent. An empty text, were there one, is
        # skipped the same way (judged once per text, not per row).
        code = _codes_at(piece, first)
        present = ~np.append(table == "", True)[code]
        m = len(table)
        index = np.where(present, np.where(leading, m + code, code), 2 * m)
        leading &= ~present
        both = _arrow(np.concatenate(["; " + table, table, [""]]).astype(object))
        texts.append(both.take(index))
    if not texts:
        return _arrow(np.full(len(first), "", dtype=object))
    return pc.binary_join_element_wise(*texts, _text(""))


def _sentences(
    head: list[np.ndarray],
    widths: list[int],
    builders: list[tuple[np.ndarray, Callable, Callable]],
    words: Callable[[np.ndarray, pa.Array], pa.Array],
) -> pd.Series:
    """Rows grouped by their small ``head`` codes (each below its ``widths``) and each
    piece's code, each distinct sentence built once: ``words(first rows, its pieces
    joined with "; ")``, then taken into every row (one Arrow take)."""
    pieces = [_piece(*builder) for builder in builders]
    row_code, first = _group(_row_key(head, widths, pieces))
    sentences = words(first, _joined_pieces(pieces, first))
    # Plain text, as the Lee sentence: a categorical's categories would depend on which
    # patients are graded together (architecture §2: a pure function of each patient).
    return pd.Series(pd.array(sentences.take(pa.array(row_code)), dtype="str"))


def _r(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype="float64"), 2)


def _astct_builders(ev: dict, d: dict[str, np.ndarray]) -> list:
    """Per ASTCT driver: (its rows, the values that key its clause, the clause)."""
    return [
        (
            d["fever"],
            lambda r: [_r(ev["temp"][r])],
            lambda r: "temperature " + number(ev["temp"][r]) + " °C (fever)",
        ),
        (
            d["hypotension"],
            lambda r: [
                np.where(ev["sbp_low"][r], _r(ev["sbp_used"][r]), np.nan),
                np.where(ev["map_low"][r], _r(ev["map_used"][r]), np.nan),
            ],
            lambda r: _hypotension(ev, r),
        ),
        (
            d["vasopressor"],
            lambda r: [ev["running_code"][r], ev["n_vasopressors"][r]],
            lambda r: _vasopressor(ev, r),
        ),
        (
            d["oxygen"],
            lambda r: _oxygen_key(ev, r),
            lambda r: _oxygen(ev, r),
        ),
        (
            d["ventilation"],
            lambda r: [ev["ventilated_used"][r], ev["o2_device_used"][r]],
            lambda r: _ventilation(ev, r),
        ),
        (
            d["death"],
            lambda r: [np.zeros(len(r))],
            lambda r: np.full(
                len(r), "death recorded (grade 5 requires no other principal cause)", object
            ),
        ),
        (d["masked_fever"], lambda r: [ev["dose_row"][r]], lambda r: _masked(ev, r)),
    ]


def astct_sentences(ev: dict) -> pd.Series:
    """``ASTCT grade N: ...`` per row (astct.md §5)."""
    grade, d = ev["astct_grade"], ev["astct_bits"]
    n = len(grade)
    # The criteria met without fever (one bit each), on the rows of grade 0 only.
    pend_code = np.zeros(n, dtype=np.uint8)
    for bit, met in enumerate(ev["pending"].values()):
        pend_code |= (met > 0).view(np.uint8) << np.uint8(bit)
    pend_code = np.where(grade == 0, pend_code, 0).astype(np.int64)
    builders = _astct_builders(ev, d)
    unknown_code, unknown_table = ev["unknown_code"], ev["unknown_table"]
    lower_table = [
        lower_bound_clause(";".join(c for c in u.split(";") if c != "vasopressor_dose"))
        for u in unknown_table
    ] + [""]  # the last: no clause (grade 5)
    pending_table = [
        ", ".join(w for bit, w in enumerate(PENDING_WORDS.values()) if combo >> bit & 1)
        for combo in range(2 ** len(PENDING_WORDS))
    ]

    zero_table = _arrow(
        [
            f"{p} without fever does not count (ASTCT requires fever)"
            if p
            else "no CRS finding recorded"
            for p in pending_table
        ]
    )
    prefixes = _arrow([f"ASTCT grade {v}: " for v in range(6)])

    def words(first: np.ndarray, body: pa.Array) -> pa.Array:
        # Small tables taken by code: no per-row Python text.
        g = grade[first]
        body = pc.if_else(pa.array(g == 0), zero_table.take(pend_code[first]), body)
        lower = _arrow(lower_table).take(
            np.where(g == 5, len(lower_table) - 1, unknown_code[first])
        )
        return pc.binary_join_element_wise(
            prefixes.take(g.astype(np.int64)), body, lower, _text("."), _text("")
        )

    widths = [6, len(unknown_table), 2 ** len(PENDING_WORDS)]  # grades 0-5
    return _sentences([grade, unknown_code, pend_code], widths, builders, words)


def _charted(text: tuple[np.ndarray, np.ndarray], source: np.ndarray) -> np.ndarray:
    """The code of the text charted at each ``source`` row (-1: none)."""
    codes, _ = text
    return np.where(source >= 0, codes[np.maximum(source, 0)], -1)


def _consciousness(ev: dict, r: np.ndarray) -> np.ndarray:
    conscious = ev["icans"]["consciousness"]
    grade = np.nan_to_num(conscious["grade"][r]).astype(np.int64)
    level = np.array([LEVEL_WORDS[g] for g in range(5)], dtype=object)[grade]
    rass = conscious["rass"][r]
    rass_text = np.array([f"{v:+g}".replace("-", "−") for v in np.nan_to_num(rass)], dtype=object)
    charted = ev["consciousness_text"][1][
        _charted(ev["consciousness_text"], conscious["source"][r])
    ]
    return np.where(
        conscious["by_rass"][r],
        level + " (RASS " + rass_text + ")",
        level + ' ("' + charted + '")',
    ).astype(object)


def _consciousness_key(ev: dict, r: np.ndarray) -> list[np.ndarray]:
    """What :func:`_consciousness` shows: the level, and the RASS (as RASS − 100, below
    every code) or the code of the charted words (-1: none)."""
    conscious = ev["icans"]["consciousness"]
    by_rass = conscious["by_rass"][r]
    charted = _charted(ev["consciousness_text"], conscious["source"][r])
    return [conscious["grade"][r], np.where(by_rass, conscious["rass"][r] - 100, charted)]


def _event(ev: dict, domain: str, r: np.ndarray) -> np.ndarray:
    grade = ev["icans"][f"g_{domain}"][r]
    meaning = np.array([EVENT_MEANING[domain].get(g, "") for g in range(5)], dtype=object)[grade]
    text = ev["event_text"][domain]
    charted = text[1][_charted(text, ev["icans"]["sources"][domain][r])]
    return meaning + ' ("' + charted + '")'


def icans_sentences(ev: dict) -> pd.Series:
    """``ICANS grade N (ICE|CAPD): ...`` per row (astct.md §5)."""
    icans = ev["icans"]
    grade, child = icans["grade"], icans["child"]
    bits, unknown = ev["icans_bits"], icans["unknown"]
    builders = [
        (
            bits["ice"],
            lambda r: [icans["ice"][r]],
            lambda r: "ICE " + number(icans["ice"][r]) + "/10",
        ),
        (bits["capd"], lambda r: [icans["capd"][r]], lambda r: "CAPD " + number(icans["capd"][r])),
        (
            bits["consciousness"],
            lambda r: _consciousness_key(ev, r),
            lambda r: _consciousness(ev, r),
        ),
        *(
            (
                bits[domain],
                lambda r, domain=domain: [
                    icans[f"g_{domain}"][r],
                    _charted(ev["event_text"][domain], icans["sources"][domain][r]),
                ],
                lambda r, domain=domain: _event(ev, domain, r),
            )
            for domain in ("seizure", "motor", "cerebral_edema")
        ),
    ]
    no_score = (unknown["ice"] | unknown["capd"]).astype(np.int64)
    no_level = unknown["consciousness"].astype(np.int64)

    def words(first: np.ndarray, body: pa.Array) -> pa.Array:
        g, young = grade[first], child[first]
        body = pc.if_else(pa.array(g == 0), _text("no ICANS finding recorded"), body)
        score = np.where(young, "CAPD", "ICE score").astype(object)
        missing = np.select(
            [
                (no_score[first] == 1) & (no_level[first] == 1),
                no_score[first] == 1,
                no_level[first] == 1,
            ],
            [
                "no " + score + " and no level of consciousness",
                "no " + score,
                np.full(len(first), "no level of consciousness", dtype=object),
            ],
            "",
        ).astype(object)
        lower = np.where(missing != "", "; lower bound: " + missing + " in the last 12 h", "")
        tool = np.where(young, "CAPD", "ICE")
        prefix = _arrow([f"ICANS grade {v} ({t}): " for v, t in zip(g, tool, strict=True)])
        return pc.binary_join_element_wise(prefix, body, _arrow(lower), _text("."), _text(""))

    # Grades 0-5 (5 is not computed for ICANS), then three yes/no codes.
    return _sentences([grade, child, no_score, no_level], [6, 2, 2, 2], builders, words)
