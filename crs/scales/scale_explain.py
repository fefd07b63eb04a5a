"""The ASTCT and ICANS sentences of the explanation (astct.md §5).

"ASTCT grade N: ..." names each driver with the value behind it; "ICANS grade N (ICE):
..." names each domain at the grade with its value. As in crs.scales.explain, rows are grouped
by the values the sentence shows (``factorize_rows``) and each distinct sentence is
built once, with vectorised string operations over the distinct rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crs.findings.icans_findings import LEVEL_WORDS
from crs.findings.oxygen import DEVICE_LABELS, DEVICES, LOW_FLOW_MAX_L_MIN
from crs.findings.vasopressors import AGENTS
from crs.read.neuro_words import WORD_RULES
from crs.scales.explain import _join, factorize_rows, lower_bound_clause, number, quote

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
    clock = np.datetime_as_string(instants.astype("datetime64[m]"), unit="m").astype(object)
    days = (instants.astype("datetime64[us]").view("int64") / 86_400_000_000).round(2)
    return np.where(day_axis, "day " + number(days), clock).astype(object)


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
    agent = ev["agent"][dose]
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


def astct_sentences(ev: dict) -> pd.Series:
    """``ASTCT grade N: ...`` per row (astct.md §5)."""
    grade, bits = ev["astct_grade"], ev["astct_bits"]
    d = bits
    pend = {c: (g > 0) & (grade == 0) for c, g in ev["pending"].items()}
    pend_code = sum(p.astype(np.int64) << i for i, p in enumerate(pend.values()))
    keys = [
        grade,
        ev["unknown_code"],
        pend_code,
        np.where(d["fever"], np.round(ev["temp"], 2), np.nan),
        np.where(d["hypotension"], np.round(ev["sbp_used"], 2), np.nan),
        np.where(d["hypotension"], np.round(ev["map_used"], 2), np.nan),
        d["hypotension"] & ev["sbp_low"],
        d["hypotension"] & ev["map_low"],
        np.where(d["vasopressor"], ev["running_code"], -1),
        np.where(d["vasopressor"], ev["n_vasopressors"], -1),
        np.where(d["oxygen"], ev["astct_oxygen_basis"] * 10 + ev["astct_oxygen"], -1),
        np.where(d["oxygen"] | d["ventilation"], ev["o2_device_used"], -1),
        np.where(d["oxygen"], np.round(ev["flow"], 2), np.nan),
        np.where(d["oxygen"], np.round(ev["fio2"], 2), np.nan),
        d["ventilation"] & ev["ventilated_used"],
        np.where(d["masked_fever"], ev["dose_row"], -1),
        d["death"],
    ]
    codes, first = factorize_rows(keys)
    r = first
    pieces = [
        _where(d["fever"][r], "temperature " + number(ev["temp"][r]) + " °C (fever)"),
        _where(d["hypotension"][r], _hypotension(ev, r)),
        _where(d["vasopressor"][r], _vasopressor(ev, r)),
        _where(d["oxygen"][r], _oxygen(ev, r)),
        _where(d["ventilation"][r], _ventilation(ev, r)),
        _where(d["death"][r], "death recorded (grade 5 requires no other principal cause)"),
        _where(d["masked_fever"][r], _masked(ev, r)),
    ]
    body = _join(pieces, "; ")
    pending = _join([_where(p[r], PENDING_WORDS[c]) for c, p in pend.items()], ", ")
    zero = np.where(
        pending != "",
        pending + " without fever does not count (ASTCT requires fever)",
        "no CRS finding recorded",
    ).astype(object)
    body = np.where(grade[r] == 0, zero, body).astype(object)
    unknown_table = ev["unknown_table"]
    lower = np.array(
        [
            lower_bound_clause(";".join(c for c in u.split(";") if c != "vasopressor_dose"))
            for u in unknown_table
        ],
        dtype=object,
    )[ev["unknown_code"][r]]
    lower = np.where(grade[r] == 5, "", lower).astype(object)
    text = "ASTCT grade " + number(grade[r]) + ": " + body + lower + "."
    return pd.Series(pd.array(text[codes], dtype="str"))


def _consciousness(ev: dict, r: np.ndarray) -> np.ndarray:
    conscious = ev["icans"]["consciousness"]
    grade = np.nan_to_num(conscious["grade"][r]).astype(np.int64)
    level = np.array([LEVEL_WORDS[g] for g in range(5)], dtype=object)[grade]
    rass = conscious["rass"][r]
    rass_text = np.array([f"{v:+g}".replace("-", "−") for v in np.nan_to_num(rass)], dtype=object)
    charted = ev["consciousness_text"][np.maximum(conscious["source"][r], 0)]
    return np.where(
        conscious["by_rass"][r],
        level + " (RASS " + rass_text + ")",
        level + ' ("' + quote(charted) + '")',
    ).astype(object)


def _event(ev: dict, domain: str, r: np.ndarray) -> np.ndarray:
    grade = ev["icans"][f"g_{domain}"][r]
    meaning = np.array([EVENT_MEANING[domain].get(g, "") for g in range(5)], dtype=object)[grade]
    source = ev["icans"]["sources"][domain][r]
    charted = ev["event_text"][domain][np.maximum(source, 0)]
    return meaning + ' ("' + quote(charted) + '")'


def icans_sentences(ev: dict) -> pd.Series:
    """``ICANS grade N (ICE|CAPD): ...`` per row (astct.md §5)."""
    icans = ev["icans"]
    grade, child = icans["grade"], icans["child"]
    bits = ev["icans_bits"]
    unknown = icans["unknown"]
    conscious = icans["consciousness"]
    keys = [
        grade,
        child,
        unknown["ice"] | unknown["capd"],
        unknown["consciousness"],
        np.where(bits["ice"], icans["ice"], np.nan),
        np.where(bits["capd"], icans["capd"], np.nan),
        np.where(bits["consciousness"], conscious["source"], -1),
        bits["consciousness"] & conscious["by_rass"],
        *(np.where(bits[d], icans["sources"][d], -1) for d in icans["sources"]),
    ]
    codes, first = factorize_rows(keys)
    r = first
    pieces = [
        _where(bits["ice"][r], "ICE " + number(icans["ice"][r]) + "/10"),
        _where(bits["capd"][r], "CAPD " + number(icans["capd"][r])),
        _where(bits["consciousness"][r], _consciousness(ev, r)),
        *(_where(bits[d][r], _event(ev, d, r)) for d in ("seizure", "motor", "cerebral_edema")),
    ]
    body = _join(pieces, "; ")
    body = np.where(grade[r] == 0, "no ICANS finding recorded", body).astype(object)
    tool = np.where(child[r], "CAPD", "ICE").astype(object)
    score = np.where(child[r], "CAPD", "ICE score").astype(object)
    no_score = unknown["ice"][r] | unknown["capd"][r]
    no_level = unknown["consciousness"][r]
    missing = np.select(
        [no_score & no_level, no_score, no_level],
        [
            "no " + score + " and no level of consciousness",
            "no " + score,
            "no level of consciousness",
        ],
        "",
    ).astype(object)
    lower = np.where(missing != "", "; lower bound: " + missing + " in the last 12 h", "")
    text = (
        "ICANS grade " + number(grade[r]) + " (" + tool + "): " + body + lower.astype(object) + "."
    )
    return pd.Series(pd.array(text[codes], dtype="str"))
