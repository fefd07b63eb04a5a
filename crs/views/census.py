"""The ward round census: one row per patient, sickest first (docs/architecture.md §6).

A pure function of the graded frame (architecture §2, plus the treatment columns of §3
when present). It answers the questions of a ward round: how sick is each patient now
(the Lee 2014 grade, Table 2), how sick were they at worst and when, which way they went
over the last 24 hours, what drove the grade, what was given (tocilizumab and
corticosteroids, Figure 2), whether neurologic signs are present (Table 1, Figure 3) and
which domains were not documented, so that the grade is a lower bound (grading.md §4).

Issue #15 adds what a round reads at the bedside, from the same rows: the highest
temperature and the lowest SBP and MAP charted over the 24 h up to the latest row
(:data:`BEDSIDE_WINDOW`), the vasopressors running now as norepinephrine equivalent
(Table 3), the oxygen in effect (device and FiO2, grading.md §3.3), the neurotoxicity
grade and ICE score in effect, the hours since the last tocilizumab (crs.treatment.given) and,
when the export names them, the bed and the patient's name.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from crs.findings.neuro import neurotoxicity
from crs.treatment.given import doses_given
from crs.views.reference import WARNING_ALERTS

#: How far back the trend looks (issue "trend over the last 24 h").
TREND_WINDOW = pd.Timedelta(hours=24)

#: Columns of the census, in display order.
CENSUS_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "therapy",
    "day",
    "grade",
    "highest_grade",
    "highest_grade_when",
    "trend_24h",
    "drivers",
    "recommendation",
    "alerts",
    "tocilizumab",
    "corticosteroids",
    "neurotoxicity",
    "unknown",
    "last_recorded",
    "tocilizumab_doses",
    "corticosteroid_doses",
    "highest_grade_instant",
    "last_instant",
    "lower_bound",
    "tmax_24h",
    "sbp_min_24h",
    "map_min_24h",
    "ne_eq_now",
    "vasopressors_now",
    "oxygen_now",
    "neuro_now",
    "tocilizumab_hours_ago",
    "bed",
    "patient_name",
    # astct.md §5: ASTCT 2019 CRS and ICANS now and at their highest, with drivers.
    "astct_grade",
    "astct_highest",
    "astct_drivers",
    "icans_grade",
    "icans_highest",
    "icans_drivers",
    "icans_unknown",
)
#: The consensus grades the census reports beside Lee's: (grade now, highest, drivers).
CONSENSUS_SCALES: dict[str, tuple[str, str, str]] = {
    "astct": ("astct_grade", "astct_highest", "astct_drivers"),
    "icans": ("icans_grade", "icans_highest", "icans_drivers"),
}

#: Window of the bedside values (Tmax, lowest SBP and MAP): the 24 h up to the latest
#: row, inclusive (a ward round reads the last day's chart).
BEDSIDE_WINDOW = pd.Timedelta(hours=24)

#: Columns of an export naming the bed and the patient, shown when present (text).
IDENTITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "bed": ("bed", "bed_id", "location"),
    "patient_name": ("patient_name", "name"),
}

#: Oxygen devices (crs.findings.oxygen codes) as a ward round says them in a narrow column.
SHORT_DEVICES: dict[str, str] = {
    "hfnc": "HFNC",
    "non_rebreather": "non-rebreather",
    "venturi": "Venturi mask",
    "bipap": "BiPAP",
    "cpap": "CPAP",
    "niv": "NIV",
    "ventilator": "ventilator",
    "blow_by": "blow-by",
    "nasal_cannula": "nasal cannula",
    "face_mask": "face mask",
    "room_air": "room air",
    "other": "unrecognised device",
}

#: Corticosteroid columns of the frame and their display names (paper's text, Figure 2).
CORTICOSTEROIDS: dict[str, str] = {
    "methylprednisolone_mg": "methylprednisolone",
    "dexamethasone_mg": "dexamethasone",
}


def _when(day: pd.Series, time: pd.Series) -> pd.Series:
    """Clinicians count days since infusion; fall back to the clock time when unknown."""
    day_text = "day " + day.round(1).map("{:g}".format)
    time_text = time.dt.strftime("%Y-%m-%d %H:%M")
    return day_text.where(day.notna(), time_text).fillna("").astype("str")


def _dose_summary(count: pd.Series, total_mg: pd.Series, label: str = "") -> pd.Series:
    """'2 × (800 mg)' style text: how many doses and how much in total; '' when none."""
    prefix = f"{label} " if label else ""
    text = (
        prefix
        + count.astype("int64").astype("str")
        + " × ("
        + total_mg.round(1).map("{:g}".format)
        + " mg)"
    )
    return text.where(count > 0, "").astype("str")


def _text(graded: pd.DataFrame, column: str) -> pd.Series:
    if column not in graded.columns:
        return pd.Series("", index=graded.index, dtype="str")
    return graded[column].fillna("").astype("str")


def census(graded: pd.DataFrame) -> pd.DataFrame:
    """One row per patient, sickest first.

    Parameters
    ----------
    graded
        The graded frame of architecture §2 (optionally with ``recommendation`` and
        ``alerts`` from the treatment algorithm, §3), sorted by patient then instant.

    Returns
    -------
    DataFrame with :data:`CENSUS_COLUMNS`:

    - ``grade``, ``drivers``, ``unknown``, ``recommendation``, ``alerts``, ``day``: the
      patient's latest graded row ("current").
    - ``highest_grade`` and when it was first reached (``highest_grade_when`` as text,
      ``highest_grade_instant``).
    - ``trend_24h``: the current grade compared with the grade in effect 24 h before the
      latest row — ``worse``, ``same`` or ``better``; ``less than 24 h recorded`` when the
      patient has no row that old (a trend would then be a guess).
    - ``tocilizumab`` and ``corticosteroids``: doses given so far (count and total mg).
    - ``neurotoxicity``: ``current``, ``earlier`` (present before, not on the latest row)
      or ``none recorded`` (see :mod:`crs.findings.neuro`).

    Sorted sickest first: current grade, then highest grade, then patients with an alert
    asking for action (:data:`crs.views.reference.WARNING_ALERTS`), then the order of the file. The input frame is not modified.
    """
    if graded.empty:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in CENSUS_COLUMNS})
    graded = graded.reset_index(drop=True)  # row labels below are positions
    frame = _census_rows(graded).sort_values(["instant"], kind="stable")
    order = pd.unique(graded["patient_id"].astype("str"))
    by_patient = frame.groupby("patient_id", sort=False)

    latest = by_patient.tail(1).set_index("patient_id").reindex(order)
    out = pd.DataFrame(index=pd.Index(order, name="patient_id"))
    for column in ("therapy", "day", "grade", "drivers", "recommendation", "alerts", "unknown"):
        out[column] = latest[column]
    out["last_instant"] = latest["instant"]
    out["last_recorded"] = _when(latest["day"], latest["time"])
    out = out.join(_highest(frame, by_patient, order))
    out["trend_24h"] = _trend(frame, latest, out["grade"], order)
    out = out.join(_doses_so_far(frame, by_patient, order))

    # Neurotoxicity: on the latest row, earlier in the stay, or never recorded.
    ever = by_patient["neuro"].any().reindex(order)
    now = latest["neuro"].astype("bool")
    out["neurotoxicity"] = np.select([now, ever], ["current", "earlier"], "none recorded")

    out = out.join(_consensus(graded, order))
    out = out.join(_bedside(graded, frame, latest, order))
    out["tocilizumab_hours_ago"] = _hours_since_tocilizumab(graded).reindex(order)
    out["lower_bound"] = out["unknown"].fillna("").ne("")
    return _sickest_first(out)[list(CENSUS_COLUMNS)]


def _census_rows(graded: pd.DataFrame) -> pd.DataFrame:
    """The graded rows the census reads, typed, with each dose given on its row."""
    frame = pd.DataFrame(
        {
            "patient_id": graded["patient_id"].astype("str"),
            "instant": graded["instant"],
            "time": graded["time"] if "time" in graded.columns else pd.NaT,
            "day": pd.to_numeric(graded["day"], errors="coerce").astype("float64"),
            "grade": graded["grade"].astype("int64"),
            "therapy": _text(graded, "therapy"),
            "drivers": _text(graded, "drivers"),
            "unknown": _text(graded, "unknown"),
            "recommendation": _text(graded, "recommendation"),
            "alerts": _text(graded, "alerts"),
            "neuro": neurotoxicity(graded),
        }
    )
    # Doses are counted on the row they were given (grading.md §2: "the row itself only").
    dose_columns = {"tocilizumab_mg": "toci", **{c: c for c in CORTICOSTEROIDS}}
    for source in dose_columns:
        given = (
            pd.to_numeric(graded[source], errors="coerce").astype("float64")
            if source in graded.columns
            else pd.Series(np.nan, index=graded.index)
        )
        frame[f"{source}_given"] = (given > 0).astype("int64")
        frame[f"{source}_total"] = given.where(given > 0, 0.0)
    return frame


def _highest(frame: pd.DataFrame, by_patient, order: np.ndarray) -> pd.DataFrame:
    """Highest grade so far, and the first time it was reached."""
    highest = by_patient["grade"].transform("max")
    first_at_highest = (
        (frame[frame["grade"] == highest].groupby("patient_id", sort=False).head(1))
        .set_index("patient_id")
        .reindex(order)
    )
    out = pd.DataFrame(index=pd.Index(order, name="patient_id"))
    out["highest_grade"] = first_at_highest["grade"]
    out["highest_grade_instant"] = first_at_highest["instant"]
    # "Highest grade 0, first at day -1.3" reads as an event; with no CRS there is none.
    out["highest_grade_when"] = _when(first_at_highest["day"], first_at_highest["time"]).where(
        first_at_highest["grade"] > 0, "—"
    )
    return out


def _trend(
    frame: pd.DataFrame, latest: pd.DataFrame, grade: pd.Series, order: np.ndarray
) -> pd.Series:
    """The current grade against the grade in effect 24 h before the latest row (the
    last row at or before then): worse, same, better, or less than 24 h recorded."""
    reference = pd.DataFrame(
        {"patient_id": order, "at": (latest["instant"] - TREND_WINDOW).to_numpy()}
    ).sort_values("at", kind="stable")
    earlier = (
        pd.merge_asof(
            reference,
            frame[["patient_id", "instant", "grade"]].rename(columns={"grade": "grade_before"}),
            left_on="at",
            right_on="instant",
            by="patient_id",
            direction="backward",
        )
        .set_index("patient_id")
        .reindex(order)
    )
    change = np.sign(grade.to_numpy() - earlier["grade_before"].to_numpy())
    trend = pd.Series(
        np.select([change > 0, change < 0, change == 0], ["worse", "better", "same"], ""),
        index=grade.index,
    )
    return trend.where(earlier["grade_before"].notna(), "less than 24 h recorded")


def _doses_so_far(frame: pd.DataFrame, by_patient, order: np.ndarray) -> pd.DataFrame:
    """Tocilizumab and corticosteroid doses given so far: counts and summaries."""
    sums = by_patient[[c for c in frame.columns if c.endswith(("_given", "_total"))]].sum()
    sums = sums.reindex(order)
    out = pd.DataFrame(index=pd.Index(order, name="patient_id"))
    out["tocilizumab_doses"] = sums["tocilizumab_mg_given"].astype("int64")
    out["tocilizumab"] = _dose_summary(sums["tocilizumab_mg_given"], sums["tocilizumab_mg_total"])
    steroid_count = sum(sums[f"{c}_given"] for c in CORTICOSTEROIDS).astype("int64")
    out["corticosteroid_doses"] = steroid_count
    steroid_text = [
        _dose_summary(sums[f"{c}_given"], sums[f"{c}_total"], label)
        for c, label in CORTICOSTEROIDS.items()
    ]
    joined = steroid_text[0].str.cat(steroid_text[1:], sep="; ")
    out["corticosteroids"] = joined.str.replace(r"^(; )+|(; )+$", "", regex=True).str.replace(
        r"(; )+", "; ", regex=True
    )
    return out


def _sickest_first(out: pd.DataFrame) -> pd.DataFrame:
    """Current grade, then highest grade, then patients with an alert asking for action
    (:data:`crs.views.reference.WARNING_ALERTS`), then the order of the file."""
    codes = out["alerts"].str.split(";")
    out["has_alerts"] = codes.map(lambda listed: bool(WARNING_ALERTS.intersection(listed)))
    out["file_order"] = np.arange(len(out))
    out = out.sort_values(
        ["grade", "highest_grade", "has_alerts", "file_order"],
        ascending=[False, False, False, True],
        kind="stable",
    )
    out = out.reset_index()
    out["grade"] = out["grade"].astype("int64")
    out["highest_grade"] = out["highest_grade"].astype("int64")
    return out


def _consensus(graded: pd.DataFrame, order: np.ndarray) -> pd.DataFrame:
    """ASTCT CRS and ICANS on the latest row and at their highest, per patient."""
    frame = pd.DataFrame({"patient_id": graded["patient_id"].astype("str")})
    frame["instant"] = graded["instant"]
    for now, _, drivers in CONSENSUS_SCALES.values():
        frame[now] = (
            graded[now].astype("int64") if now in graded.columns else np.zeros(len(graded), "int64")
        )
        frame[drivers] = _text(graded, drivers)
    frame["icans_unknown"] = _text(graded, "icans_unknown")
    by_patient = frame.sort_values("instant", kind="stable").groupby("patient_id", sort=False)
    latest = by_patient.tail(1).set_index("patient_id").reindex(order)
    out = pd.DataFrame(index=pd.Index(order, name="patient_id"))
    for now, highest, drivers in CONSENSUS_SCALES.values():
        out[now] = latest[now].astype("int64")
        out[highest] = by_patient[now].max().reindex(order).astype("int64")
        out[drivers] = latest[drivers]
    out["icans_unknown"] = latest["icans_unknown"]
    return out


#: How the ward round may be sorted: the grade now of each scale (then its highest).
SORT_KEYS: dict[str, tuple[str, str]] = {
    "grade": ("grade", "highest_grade"),
    "astct": ("astct_grade", "astct_highest"),
    "icans": ("icans_grade", "icans_highest"),
}


def sort_census(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """The census sorted by one scale's grade now, then its highest, sickest first;
    ties keep the census order (Lee grade, alerts, file order)."""
    now, highest = SORT_KEYS[by]
    ordered = table.sort_values([now, highest], ascending=[False, False], kind="stable")
    return ordered.reset_index(drop=True)


def _float(graded: pd.DataFrame, column: str) -> pd.Series:
    if column not in graded.columns:
        return pd.Series(np.nan, index=graded.index, dtype="float64")
    return pd.to_numeric(graded[column], errors="coerce").astype("float64")


def _bedside(
    graded: pd.DataFrame, frame: pd.DataFrame, latest: pd.DataFrame, order: np.ndarray
) -> pd.DataFrame:
    """Tmax, lowest SBP and MAP over the last 24 h, and what is in effect on the latest
    row: pressors, oxygen, neurotoxicity grade and ICE; bed and name when exported."""
    pid = graded["patient_id"].astype("str")
    last = pid.map(latest["instant"])
    recent = graded["instant"] >= last - BEDSIDE_WINDOW
    # The MAP charted, else the MAP of an SBP/DBP pair charted on that very row.
    computed = graded["map_computed"].eq(True) if "map_computed" in graded else False
    map_row = _float(graded, "map_mmhg").fillna(
        _float(graded, "map_used").where(computed & _float(graded, "sbp_mmhg").notna())
    )
    window = pd.DataFrame(
        {
            "tmax_24h": _float(graded, "temp_c").where(recent),
            "sbp_min_24h": _float(graded, "sbp_mmhg").where(recent),
            "map_min_24h": map_row.where(recent),
        }
    ).groupby(pid, sort=False)
    out = pd.concat(
        [window["tmax_24h"].max(), window[["sbp_min_24h", "map_min_24h"]].min()], axis=1
    ).reindex(order)
    now = graded.loc[frame.groupby("patient_id", sort=False).tail(1).index]
    now = now.set_index(now["patient_id"].astype("str")).reindex(order)
    out["ne_eq_now"] = _float(now, "ne_eq_ug_min")
    out["vasopressors_now"] = _pressors_now(now)
    out["oxygen_now"] = _oxygen_now(now)
    out["neuro_now"] = _neuro_now(now)
    for column, names in IDENTITY_COLUMNS.items():
        found = next((n for n in names if n in now.columns), None)
        out[column] = now[found].fillna("").astype("str") if found else ""
    return out


def _pressors_now(now: pd.DataFrame) -> pd.Series:
    """NE-equivalent μg/min: '22', '4 · 2 agents', 'dose unknown (no weight)' or ''."""
    ne_eq = _float(now, "ne_eq_ug_min")
    agents = _text(now, "vasopressors")
    count = agents.str.count(";") + agents.ne("").astype("int64")
    dose = ne_eq.round(1).map("{:g}".format).where(ne_eq.notna(), "")
    many = count.gt(1)
    dose = dose.where(~many, dose + " · " + count.astype("str") + " agents")
    unknown = now["dose_unknown"].eq(True) if "dose_unknown" in now else False
    dose = dose.mask(unknown & count.gt(0), "dose unknown (no weight)")
    only_vasopressin = agents.eq("vasopressin")
    dose = dose.mask(only_vasopressin, "vasopressin")
    return dose.where(count.gt(0), "").astype("str")


def _oxygen_now(now: pd.DataFrame) -> pd.Series:
    """The device and FiO2 in effect (grading.md §3.3), as a round says it."""
    device = _text(now, "o2_device_used").map(SHORT_DEVICES).fillna("")
    basis = _text(now, "oxygen_basis")
    fio2 = _float(now, "fio2_used").round(0).map("{:g} %".format)
    ventilated = now["ventilated_used"].eq(True) if "ventilated_used" in now else False
    text = device.where(device.ne(""), "ventilator support").where(ventilated, device)
    with_fio2 = (text + " " + fio2).str.strip()
    text = text.mask(basis.eq("fio2"), with_fio2.str.replace(r"^(\d)", r"FiO2 \1", regex=True))
    text = text.mask(basis.eq("flow"), (text + " ≈ " + fio2).str.strip())
    unknown = _text(now, "unknown").str.contains("oxygen", regex=False)
    return text.mask(text.eq("") & unknown, "not charted").astype("str")


def _neuro_now(now: pd.DataFrame) -> pd.Series:
    """'grade 2 · ICE 6', 'ICE 9', 'grade 1' or '' (in effect on the latest row)."""
    grade = _float(now, "neurotox_used")
    ice = _float(now, "ice_used")
    grade_text = ("grade " + grade.map("{:g}".format)).where(grade.notna() & grade.ge(1), "")
    ice_text = ("ICE " + ice.map("{:g}".format)).where(ice.notna(), "")
    both = (grade_text + " · " + ice_text).str.strip(" ·")
    return both.astype("str")


def _hours_since_tocilizumab(graded: pd.DataFrame) -> pd.Series:
    """Hours from the last tocilizumab dose to the patient's latest row, per patient."""
    given = doses_given(graded)
    given = given[given["drug"].eq("tocilizumab")]
    return given.groupby("patient_id", sort=False)["hours_ago"].min().astype("float64")


def filter_census(
    table: pd.DataFrame, grades: Iterable[int] | None = None, with_alerts: bool = False
) -> pd.DataFrame:
    """The census rows whose current grade is in ``grades`` (all when None) and, when
    ``with_alerts``, that carry at least one alert (treatment.md §2)."""
    keep = pd.Series(True, index=table.index)
    if grades is not None:
        keep &= table["grade"].isin(list(grades))
    if with_alerts:
        keep &= table["alerts"].fillna("") != ""
    return table[keep].reset_index(drop=True)


#: The census columns a ward round reads, in order, as clinicians name them (issue #15).
ROUND_HEADERS: dict[str, str] = {
    "bed": "Bed",
    "patient_name": "Name",
    "patient_id": "Patient",
    "grade": "Grade now",
    "highest_grade": "Highest",
    # astct.md §5: ASTCT 2019 CRS and ICANS now; their highest and drivers under "more".
    "astct_grade": "ASTCT",
    "icans_grade": "ICANS",
    "trend_24h": "Trend 24 h",
    "drivers": "Drivers now",
    "recommendation": "Figure 2 suggestion",
    "alerts": "Alerts",
    "tmax_24h": "Tmax 24 h",
    "sbp_map_24h": "Low SBP/MAP",
    "vasopressors_now": "NE-eq μg/min",
    "oxygen_now": "Oxygen now",
    "neuro_now": "Neuro now",
    "tocilizumab_hours_ago": "Last toci",
}
#: Behind the "more columns" choice.
MORE_HEADERS: dict[str, str] = {
    "astct_highest": "ASTCT highest",
    "astct_drivers": "ASTCT drivers",
    "icans_highest": "ICANS highest",
    "icans_drivers": "ICANS drivers",
    "unknown": "Lower bound — not known",
    "highest_grade_when": "Highest first at",
    "day": "Day since infusion",
    "last_recorded": "Latest time point",
    "therapy": "Therapy",
    "tocilizumab": "Tocilizumab given",
    "corticosteroids": "Corticosteroids given",
    "neurotoxicity": "Neurotoxicity",
    "icans_unknown": "ICANS lower bound — not charted",
}

#: Short Figure 2 wording for the table (the patient page gives the full text).
SHORT_SUGGESTION: dict[str, str] = {
    "none": "—",
    "supportive_care": "Supportive care",
    "consider_immunosuppression": "Consider tocilizumab",
    "immunosuppression": "Tocilizumab ± steroids",
    "corticosteroids_preferred": "Consider steroids first",
}
TREND_WORDS: dict[str, str] = {
    "worse": "▲ worse",
    "better": "▼ better",
    "same": "= same",
    "less than 24 h recorded": "< 24 h",
}
#: Criterion codes (grading.md §3) as a narrow column says them.
DRIVER_WORDS: dict[str, str] = {
    "fever": "fever",
    "symptoms": "symptoms",
    "hypotension": "hypotension",
    "vasopressor": "vasopressor",
    "oxygen": "oxygen",
    "ventilation": "ventilation",
    "organ_toxicity": "organ toxicity",
    "neurotoxicity": "neurotoxicity",
    "death": "death",
}
#: ASTCT and ICANS driver codes (astct.md §2.6, §3.3) as a narrow column says them.
SCALE_DRIVER_WORDS: dict[str, str] = {
    **DRIVER_WORDS,
    "masked_fever": "masked fever",
    "ice": "ICE",
    "capd": "CAPD",
    "consciousness": "consciousness",
    "motor": "motor weakness",
    "cerebral_edema": "cerebral oedema",
}
#: Alerts (treatment.md §2) in a few complete words; the full sentence is listed below
#: the table. ⚠ marks the alerts asking for action (crs.views.reference.WARNING_ALERTS).
SHORT_ALERTS: dict[str, str] = {
    "untreated_severe": "⚠ Untreated grade ≥ 3",
    "no_improvement_after_tocilizumab": "⚠ No improvement after tocilizumab",
    "crp_past_peak": "CRP past peak",
}


#: Numbers shown as text with their unit, blank when not recorded (a grid shows "None").
NUMBER_TEXT: dict[str, str] = {"tmax_24h": "°C", "tocilizumab_hours_ago": "h"}


def words(codes: pd.Series, labels: dict[str, str], sep: str = ", ") -> pd.Series:
    """';'-joined codes in words (worded once per distinct value); unknown codes as they
    are, with '_' as a space."""
    values = codes.fillna("").astype("str")
    distinct = pd.unique(values)
    worded = {
        value: sep.join(
            labels.get(code, code.replace("_", " ")) for code in value.split(";") if code
        )
        for value in distinct
    }
    return values.map(worded).astype("str")


def round_table(table: pd.DataFrame, more: bool = False) -> pd.DataFrame:
    """The census as the ward round page shows it: words for every code, blanks for
    nothing recorded, the round's columns (:data:`ROUND_HEADERS`, without bed and name
    when the export has none) and, with ``more``, :data:`MORE_HEADERS`."""
    from crs.scales.explain import unknown_words_column

    out = pd.DataFrame(index=table.index)
    for column in ROUND_HEADERS:
        if column in ("bed", "patient_name") and not table[column].fillna("").ne("").any():
            continue
        if column == "sbp_map_24h":
            sbp = (
                table["sbp_min_24h"]
                .round(0)
                .map("{:g}".format)
                .where(table["sbp_min_24h"].notna(), "—")
            )
            mean = (
                table["map_min_24h"]
                .round(0)
                .map("{:g}".format)
                .where(table["map_min_24h"].notna(), "—")
            )
            out[column] = (sbp + " / " + mean).replace("— / —", "")
        elif column in NUMBER_TEXT:
            unit = NUMBER_TEXT[column]
            values = pd.to_numeric(table[column], errors="coerce")
            out[column] = values.round(1).map(("{:.1f} " + unit).format).where(values.notna(), "")
        else:
            out[column] = table[column]
    out["trend_24h"] = out["trend_24h"].map(lambda t: TREND_WORDS.get(t, t))
    out["drivers"] = words(out["drivers"], DRIVER_WORDS)
    out["recommendation"] = out["recommendation"].map(lambda c: SHORT_SUGGESTION.get(c, c))
    out["alerts"] = words(out["alerts"], SHORT_ALERTS, sep="; ")
    if more:
        for column in MORE_HEADERS:
            out[column] = table[column]
        out["unknown"] = unknown_words_column(out["unknown"])
        out["icans_unknown"] = unknown_words_column(out["icans_unknown"])
        for column in ("astct_drivers", "icans_drivers"):
            out[column] = words(out[column], SCALE_DRIVER_WORDS)
    headers = ROUND_HEADERS | MORE_HEADERS
    return out.rename(columns=headers)
