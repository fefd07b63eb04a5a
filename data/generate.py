"""Write the bundled synthetic CRS ward: every CSV in data/, deterministically.

Run ``.venv/bin/python data/generate.py``: it rewrites every CSV of this folder
byte-identically (one seeded random generator per patient, fixed number formats).

Each patient is a small declarative scenario (a list of clinical events: a fever
from one time to another, a fall in blood pressure, a norepinephrine rate change,
a tocilizumab dose, a laboratory course) that is turned into an export shaped like
a real electronic record:

- vital signs every 4 h on the ward and every 1-2 h under close monitoring, with
  realistic noise (always on the clinically intended side of each threshold, so a
  scenario grades as written);
- infusions recorded as RATE CHANGES (a row when a pump rate changes, a documented
  0 when it stops), plus the running rate re-documented at the 07:00 and 19:00 shift
  checks, as nursing flowsheets do (this also keeps each rate inside the 24 h
  carry-forward window of spec grading.md §2);
- laboratory values once daily at about 06:00, plus the occasional research draw;
- free-text symptoms on some vital-sign rows, doses at the instant they were given.

The paper's cases follow Lee et al., Blood 2014;124(2):188-195 ("Case 1", "Case 2",
"Case 3" and the hypothetical patient of Figure 3). Every other patient is invented.
The one-patient files of the paper's cases hold their whole course; the sample ward is
a snapshot at one ward round (``WARD_ROUND``, 08:00 on a Monday): every record there
stops at the round, the paper's cases re-dated so that the round falls on an
instructive day of their course.
Times are given as (calendar day after the infusion date, clock time): the paper
counts days that way ("on day 5 she developed hypotension").
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------
# Scenario vocabulary
# --------------------------------------------------------------------------------------

#: A moment of a scenario: (calendar day after the infusion date, "HH:MM").
When = tuple[int, str]


@dataclass(frozen=True)
class Fever:
    """Temperature ≥ 38.1 °C from ``start`` to ``end`` peaking at ``peak_c`` midway.

    A ``peak_c`` below 38 °C is a low-grade temperature that stays ≤ 37.9 °C.
    """

    start: When
    end: When
    peak_c: float


@dataclass(frozen=True)
class BloodPressure:
    """Systolic pressure around ``sbp`` (diastolic ``dbp``) from ``start`` to ``end``.

    Used for hypotension and for the lower pressure held on vasopressors; when two
    periods overlap, the one listed first in the scenario applies.
    """

    start: When
    end: When
    sbp: float
    dbp: float


@dataclass(frozen=True)
class Rate:
    """A pump rate change of ``column`` (0 = stopped) at ``at``."""

    column: str
    at: When
    rate: float


@dataclass(frozen=True)
class Given:
    """A dose, a bolus or a free-text entry recorded at the instant it was given."""

    column: str
    at: When
    value: float | str


@dataclass(frozen=True)
class Oxygen:
    """Supplemental oxygen from ``start`` to ``end`` (room air documented otherwise)."""

    start: When
    end: When
    device: str
    fio2: float | None = None
    flow: float | None = None
    ventilated: bool = False


@dataclass(frozen=True)
class Symptom:
    """Free text charted on the vital-sign row nearest to ``at``."""

    at: When
    text: str


@dataclass(frozen=True)
class Neuro:
    """A neurologic assessment (CTCAE neurotoxicity grade, ICE score) near ``at``."""

    at: When
    grade: int
    ice: int | None = None


@dataclass(frozen=True)
class Lab:
    """A daily (~06:00) laboratory course: exact values on the listed calendar days.

    Days between two listed ones are interpolated on a log scale with ``noise``
    (relative standard deviation); days outside the listed range hold the nearest value.
    """

    column: str
    days: tuple[tuple[int, float], ...]
    noise: float = 0.03


@dataclass(frozen=True)
class Draw:
    """An extra laboratory draw at ``at`` (e.g. research cytokines)."""

    column: str
    at: When
    value: float


@dataclass(frozen=True)
class Monitoring:
    """Vital signs every ``every_h`` hours between ``start`` and ``end`` (ICU, PICU)."""

    start: When
    end: When
    every_h: int


@dataclass(frozen=True)
class Entry:
    """Any other charted value (organ toxicity grade, ventilated, deceased) near ``at``."""

    column: str
    at: When
    value: float | str


@dataclass(frozen=True)
class RawCell:
    """A messy cell planted as typed (decimal comma, comparator, typo) near ``at``."""

    column: str
    at: When
    raw: str


@dataclass(frozen=True)
class ExtraRow:
    """A second row at an existing instant (a late charting), or a row whose time was
    typed wrong (``raw_time``): both make the data-quality report balance non-trivially."""

    at: When
    cells: tuple[tuple[str, str], ...]
    raw_time: str | None = None


Event = (
    Fever
    | BloodPressure
    | Rate
    | Given
    | Oxygen
    | Symptom
    | Neuro
    | Lab
    | Draw
    | Monitoring
    | Entry
    | RawCell
    | ExtraRow
)


@dataclass(frozen=True)
class Patient:
    """One patient: patient-level facts and the scenario's events."""

    patient_id: str
    age_years: float
    weight_kg: float
    therapy: str
    infusion: str  # ISO date-time of the infusion (day 0)
    baseline_sbp: float
    high_risk: bool | None
    first_day: int
    last: When  # last charted instant (discharge or death)
    events: tuple[Event, ...]
    arterial_line: bool = False  # MAP documented while under close monitoring
    baseline_dbp: float | None = None
    baseline_hr: float = 80.0
    scenario_file: str | None = None  # the one-patient wide file of a paper case
    sbp_floor: float | None = None  # lowest "normal" SBP noise may reach

    @property
    def infusion_time(self) -> datetime:
        return datetime.fromisoformat(self.infusion)

    def instant(self, when: When) -> datetime:
        day, clock = when
        hours, minutes = (int(x) for x in clock.split(":"))
        midnight = datetime.combine(self.infusion_time.date(), datetime.min.time())
        return midnight + timedelta(days=day, hours=hours, minutes=minutes)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


def daily(first: int, last: int, clock: str, every: int = 1) -> list[When]:
    """The same clock time on each calendar day from ``first`` to ``last``."""
    return [(d, clock) for d in range(first, last + 1, every)]


def neuro_course(points: Sequence[tuple[When, int, int | None]]) -> tuple[Neuro, ...]:
    """Assessments at the given moments (each is charted twice daily in practice)."""
    return tuple(Neuro(at, grade, ice) for at, grade, ice in points)


# --------------------------------------------------------------------------------------
# The paper's cases (Lee et al. 2014)
# --------------------------------------------------------------------------------------

# Case 1: grade 1 CRS after CAR T cells. Fever from day 1 peaking at 40.7 °C with rigors
# for 5 days, hemodynamically stable, no neurologic dysfunction, IL-6 peak 222 pg/mL
# (~30-fold over baseline).
CASE1 = Patient(
    patient_id="CASE1",
    age_years=11,
    weight_kg=35,
    therapy="CAR T",
    infusion="2024-03-04T10:00:00",
    baseline_sbp=108,
    high_risk=False,
    first_day=-1,
    last=(10, "12:00"),
    baseline_hr=92,
    scenario_file="case1.csv",
    events=(
        Fever((1, "14:00"), (6, "10:00"), 40.7),
        *(Symptom(at, "rigors") for at in daily(1, 5, "18:00")),
        *(Symptom(at, "rigors; myalgia") for at in daily(2, 4, "06:00")),
        Lab("il6_pg_ml", ((-1, 7.4), (1, 45), (3, 222), (5, 80), (7, 18), (10, 9)), 0.08),
        Lab("crp_mg_l", ((-1, 3), (1, 12), (3, 68), (4, 85), (6, 40), (10, 6))),
        Lab("ferritin_ng_ml", ((-1, 650), (3, 2100), (5, 3400), (10, 1200))),
        Lab("creatinine_mg_dl", ((-1, 0.45), (10, 0.45)), 0.02),
        Lab("ast_u_l", ((-1, 28), (10, 30)), 0.05),
        Lab("alt_u_l", ((-1, 22), (10, 24)), 0.05),
        *neuro_course([(at, 0, None) for at in daily(1, 9, "09:00")]),
    ),
)

# Case 2: grade 3 CRS after cytotoxic T cells (CTL). About two weeks after infusion:
# fever, rash, tachycardia and hypotension with 5- to 69-fold cytokine rises; treated
# with dopamine AND norepinephrine (multiple vasopressors: grade 3), etanercept and
# methylprednisolone 1 mg/kg/day for 2 days; symptoms resolved within hours.
CASE2 = Patient(
    patient_id="CASE2",
    age_years=19,
    weight_kg=58,
    therapy="CTL",
    infusion="2024-02-05T11:00:00",
    baseline_sbp=112,
    high_risk=False,
    first_day=8,
    last=(20, "12:00"),
    arterial_line=True,
    baseline_hr=78,
    scenario_file="case2.csv",
    events=(
        Fever((13, "16:00"), (15, "02:00"), 39.8),
        Symptom((13, "18:00"), "rash"),
        Symptom((14, "06:00"), "rash; malaise"),
        Symptom((14, "18:00"), "rash"),
        Monitoring((14, "06:00"), (15, "08:00"), 1),
        BloodPressure((14, "08:00"), (14, "14:00"), 78, 42),
        Given("fluid_bolus_ml", (14, "08:30"), 1000),
        Rate("dopamine_ug_kg_min", (14, "09:00"), 5),
        Rate("norepinephrine_ug_min", (14, "10:00"), 4),
        Given("other_immunosuppressant", (14, "11:00"), "etanercept 25 mg SC"),
        Given("methylprednisolone_mg", (14, "11:30"), 58),
        Rate("norepinephrine_ug_min", (14, "20:00"), 0),
        Rate("dopamine_ug_kg_min", (14, "22:00"), 0),
        BloodPressure((14, "14:00"), (14, "22:00"), 100, 60),
        Given("methylprednisolone_mg", (15, "11:30"), 58),
        Lab("il6_pg_ml", ((8, 3.1), (13, 25), (14, 185), (15, 60), (17, 12), (20, 4)), 0.08),
        Lab("ifng_pg_ml", ((8, 4.2), (13, 30), (14, 120), (15, 35), (17, 8), (20, 5)), 0.08),
        Lab("crp_mg_l", ((8, 4), (13, 30), (14, 95), (15, 130), (16, 90), (20, 15))),
        Lab("ferritin_ng_ml", ((8, 900), (14, 2600), (16, 3100), (20, 1500))),
        Lab("creatinine_mg_dl", ((8, 0.7), (20, 0.7)), 0.02),
        Lab("ast_u_l", ((8, 30), (20, 34)), 0.05),
        Lab("alt_u_l", ((8, 26), (20, 30)), 0.05),
    ),
)

# Case 3: grade 3 CRS after CAR T cells. Day 1 fever from Streptococcus mitis
# bacteraemia (not CRS: see case3_attributions.csv); day 4 new fever with headache and
# nausea; day 5 tachycardia, hypotension 70/40, a new oxygen requirement, 2 fluid
# boluses, PICU, dopamine and norepinephrine, tocilizumab 8 mg/kg; afebrile and off
# oxygen within hours, pressors weaned to minimal levels; day 7 febrile again with
# intermittent hypotension needing pressors; ferritin 130 000 ng/mL and CRP 21.5 mg/L
# (unit as printed) peak on day 7; day 9 encephalopathy improving over 2 days;
# pressors off day 10; encephalopathy resolved by day 13; discharged day 15.
CASE3 = Patient(
    patient_id="CASE3",
    age_years=11,
    weight_kg=30,
    therapy="CAR T",
    infusion="2024-05-06T10:00:00",
    baseline_sbp=106,
    high_risk=False,
    first_day=-1,
    last=(15, "12:00"),
    baseline_hr=95,
    scenario_file="case3.csv",
    sbp_floor=95,
    events=(
        Fever((1, "13:00"), (2, "08:00"), 39.4),
        Fever((4, "12:00"), (5, "19:00"), 39.8),
        Symptom((4, "14:00"), "headache; nausea"),
        Symptom((4, "22:00"), "headache"),
        Symptom((5, "10:00"), "headache; nausea"),
        Monitoring((5, "12:00"), (8, "12:00"), 1),
        Monitoring((8, "12:00"), (11, "00:00"), 2),
        BloodPressure((5, "12:00"), (5, "16:00"), 70, 40),
        Oxygen((5, "12:00"), (5, "22:00"), "nasal cannula", flow=2),
        Given("fluid_bolus_ml", (5, "12:20"), 600),
        Given("fluid_bolus_ml", (5, "13:00"), 600),
        Rate("dopamine_ug_kg_min", (5, "14:00"), 5),
        Rate("norepinephrine_ug_min", (5, "14:30"), 3),
        Given("tocilizumab_mg", (5, "15:30"), 240),
        Rate("dopamine_ug_kg_min", (5, "22:00"), 3),
        Rate("norepinephrine_ug_min", (6, "02:00"), 1),
        Rate("dopamine_ug_kg_min", (6, "10:00"), 2),
        Fever((7, "06:00"), (8, "12:00"), 39.5),
        BloodPressure((7, "10:00"), (7, "11:00"), 82, 46),
        Rate("norepinephrine_ug_min", (7, "10:30"), 2),
        BloodPressure((7, "18:00"), (7, "19:00"), 84, 48),
        Rate("dopamine_ug_kg_min", (7, "18:30"), 5),
        BloodPressure((8, "02:00"), (8, "03:00"), 83, 45),
        BloodPressure((5, "16:00"), (10, "14:00"), 98, 58),
        Rate("dopamine_ug_kg_min", (8, "12:00"), 3),
        Rate("norepinephrine_ug_min", (9, "00:00"), 1),
        Rate("dopamine_ug_kg_min", (10, "10:00"), 0),
        Rate("norepinephrine_ug_min", (10, "14:00"), 0),
        Symptom((9, "10:00"), "near aphasia; disorientation; lethargy"),
        *neuro_course(
            [(at, 0, None) for at in daily(1, 8, "08:00") + daily(1, 8, "20:00")]
            + [
                ((9, "10:00"), 3, None),
                ((9, "20:00"), 3, None),
                ((10, "08:00"), 2, None),
                ((10, "20:00"), 2, None),
                ((11, "08:00"), 1, None),
                ((11, "20:00"), 1, None),
                ((12, "08:00"), 1, None),
                ((12, "20:00"), 1, None),
                ((13, "08:00"), 0, None),
                ((14, "08:00"), 0, None),
                ((15, "08:00"), 0, None),
            ]
        ),
        Lab(
            "crp_mg_l",
            ((-1, 1.8), (1, 7.5), (2, 9.8), (4, 8.6), (5, 13.9), (6, 18.2), (7, 21.5), (8, 17.0))
            + ((10, 9.1), (13, 4.2), (15, 2.6)),
        ),
        Lab(
            "ferritin_ng_ml",
            ((-1, 820), (4, 2500), (5, 15000), (6, 62000), (7, 130000), (8, 91000))
            + ((10, 30000), (13, 8100), (15, 4300)),
        ),
        Lab("creatinine_mg_dl", ((-1, 0.4), (15, 0.4)), 0.02),
        Lab("ast_u_l", ((-1, 32), (15, 36)), 0.05),
        Lab("alt_u_l", ((-1, 26), (15, 30)), 0.05),
    ),
)

# Figure 3: the hypothetical patient with grade 3 CRS. Fever on day 3; hypotension on
# day 5 managed with a low-dose vasopressor; cardiovascular decompensation on day 6
# (norepinephrine ≥ 20 µg/min for ≥ 3 h, Table 3) and tocilizumab; IL-6 and IFN-γ peak
# at decompensation; IFN-γ falls quickly after tocilizumab while IL-6 rises
# transiently; CRP rises and lags; neurologic symptoms around and after tocilizumab.
FIG3 = Patient(
    patient_id="FIG3",
    age_years=45,
    weight_kg=80,
    therapy="CAR T",
    infusion="2024-06-17T09:00:00",
    baseline_sbp=126,
    high_risk=False,
    first_day=-1,
    last=(14, "12:00"),
    arterial_line=True,
    scenario_file="figure3.csv",
    sbp_floor=100,
    events=(
        Fever((3, "14:00"), (6, "20:00"), 40.0),
        Symptom((3, "18:00"), "malaise; myalgia"),
        Monitoring((5, "16:00"), (8, "12:00"), 1),
        BloodPressure((5, "16:00"), (5, "20:00"), 86, 48),
        Given("fluid_bolus_ml", (5, "16:30"), 1000),
        Rate("norepinephrine_ug_min", (5, "17:30"), 5),
        BloodPressure((6, "12:00"), (6, "17:00"), 80, 44),
        Rate("norepinephrine_ug_min", (6, "12:00"), 12),
        Rate("norepinephrine_ug_min", (6, "13:00"), 22),
        Given("tocilizumab_mg", (6, "16:00"), 320),
        Rate("norepinephrine_ug_min", (6, "21:00"), 15),
        Rate("norepinephrine_ug_min", (7, "06:00"), 8),
        Rate("norepinephrine_ug_min", (7, "14:00"), 3),
        Rate("norepinephrine_ug_min", (8, "08:00"), 0),
        BloodPressure((6, "17:00"), (8, "08:00"), 104, 60),
        Symptom((6, "20:00"), "headache"),
        *neuro_course(
            [(at, 0, 10) for at in daily(1, 5, "08:00") + daily(1, 5, "20:00")]
            + [
                ((6, "08:00"), 1, 9),
                ((6, "20:00"), 1, 8),
                ((7, "08:00"), 2, 6),
                ((7, "20:00"), 2, 6),
                ((8, "08:00"), 2, 7),
                ((8, "20:00"), 1, 8),
                ((9, "08:00"), 1, 9),
                ((10, "08:00"), 0, 10),
                ((11, "08:00"), 0, 10),
                ((12, "08:00"), 0, 10),
            ]
        ),
        Lab(
            "il6_pg_ml",
            ((-1, 4), (2, 6), (3, 30), (4, 90), (5, 250), (6, 600), (7, 1500), (8, 400))
            + ((9, 120), (10, 40), (12, 12), (14, 6)),
            0.08,
        ),
        Draw("il6_pg_ml", (6, "14:00"), 1200),
        Draw("il6_pg_ml", (6, "22:00"), 2100),
        Lab(
            "ifng_pg_ml",
            ((-1, 3), (2, 4), (3, 8), (4, 20), (5, 60), (6, 90), (7, 15), (8, 5), (14, 3)),
            0.08,
        ),
        Draw("ifng_pg_ml", (6, "14:00"), 160),
        Draw("ifng_pg_ml", (6, "22:00"), 40),
        Lab(
            "crp_mg_l",
            ((-1, 2), (2, 3), (3, 8), (4, 35), (5, 90), (6, 150), (7, 240), (8, 280))
            + ((9, 190), (10, 110), (11, 60), (12, 35), (14, 12)),
        ),
        Lab("ferritin_ng_ml", ((-1, 700), (4, 1800), (6, 5200), (8, 7400), (14, 2100))),
        Lab("creatinine_mg_dl", ((-1, 0.9), (14, 0.9)), 0.02),
        Lab("ast_u_l", ((-1, 25), (14, 28)), 0.05),
        Lab("alt_u_l", ((-1, 30), (14, 33)), 0.05),
    ),
)

PAPER_CASES = (CASE1, CASE2, CASE3, FIG3)

# --------------------------------------------------------------------------------------
# The ward round: one common "now" for the sample ward
# --------------------------------------------------------------------------------------

#: The sample ward is a snapshot at a Monday-morning ward round: every record stops here
#: (the one patient who died overnight stops at her death). Only what has happened by
#: then is charted, so the Ward round page shows each patient's grade *now*, its trend
#: over the night and the Figure 2 step still to take, not a finished course.
WARD_ROUND = datetime(2024, 9, 16, 8, 0)

#: Point events of a scenario (charted at one instant); the others are periods, which are
#: sampled only at charted instants and so need no truncation.
POINT_EVENTS = (Rate, Given, Symptom, Neuro, Draw, Entry, RawCell, ExtraRow)


def infused(day_of_round: int, clock: str) -> str:
    """The ISO infusion time, at ``clock``, that makes the ward round fall on calendar day
    ``day_of_round`` after the infusion date (the paper's way of counting days)."""
    date = WARD_ROUND.date() - timedelta(days=day_of_round)
    return f"{date.isoformat()}T{clock}:00"


def at_ward_round(patient: Patient, day_of_round: int) -> Patient:
    """A paper case as the ward sees it at :data:`WARD_ROUND`: re-dated so that the ward
    round is calendar day ``day_of_round`` of its course, and charted up to then only
    (what happens later in the paper has not happened yet on this ward)."""
    clock = patient.infusion_time.strftime("%H:%M")
    dated = replace(patient, infusion=infused(day_of_round, clock), scenario_file=None)
    last: When = (day_of_round, WARD_ROUND.strftime("%H:%M"))
    end = dated.instant(last)
    events = tuple(
        e for e in dated.events if not isinstance(e, POINT_EVENTS) or dated.instant(e.at) <= end
    )
    return replace(dated, last=last, events=events)


# --------------------------------------------------------------------------------------
# Synthetic patients (invented; see data/README.md for each one's story). Each is written
# as far as the ward round of WARD_ROUND: ``last`` is the round (or the death before it).
# --------------------------------------------------------------------------------------

ROUND = WARD_ROUND.strftime("%H:%M")

_STANDARD_LABS = (
    Lab("creatinine_mg_dl", ((-1, 0.8), (21, 0.8)), 0.02),
    Lab("ast_u_l", ((-1, 24), (21, 26)), 0.05),
    Lab("alt_u_l", ((-1, 21), (21, 23)), 0.05),
)

# P001: day 3, no CRS so far. A low-grade temperature (37.8 °C) overnight on day 2 never
# reached the 38.0 °C threshold: still grade 0 at the ward round, to be watched.
P001 = Patient(
    patient_id="P001",
    age_years=58,
    weight_kg=68,
    therapy="CAR T",
    infusion=infused(3, "09:00"),
    baseline_sbp=124,
    high_risk=False,
    first_day=-1,
    last=(3, ROUND),
    events=(
        Fever((2, "10:00"), (3, "02:00"), 37.8),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 3), (2, 14), (3, 18))),
        Lab("ferritin_ng_ml", ((-1, 400), (3, 700))),
        *neuro_course([(at, 0, 10) for at in daily(0, 3, "08:00")]),
    ),
)

# P002: older adult (71), bispecific antibody, high_risk left unrecorded (age ≥ 65 counts
# as older age). Febrile since day 1; overnight hypotension (86/52, MAP below 65) after one
# 1 L bolus and 2 L/min of oxygen: grade 2 at the ward round, where Figure 2 says to
# consider tocilizumab ± corticosteroids for older age. Nothing given yet.
P002 = Patient(
    patient_id="P002",
    age_years=71,
    weight_kg=82,
    therapy="bispecific antibody",
    infusion=infused(2, "08:00"),
    baseline_sbp=138,
    high_risk=None,
    first_day=-1,
    last=(2, ROUND),
    baseline_dbp=78,
    events=(
        Fever((1, "14:00"), (3, "06:00"), 39.2),
        Symptom((1, "18:00"), "fatigue; myalgia"),
        Monitoring((2, "02:00"), (2, ROUND), 2),
        BloodPressure((2, "04:00"), (2, "12:00"), 86, 52),
        Given("fluid_bolus_ml", (2, "04:30"), 1000),
        Oxygen((2, "04:00"), (3, "12:00"), "nasal cannula", flow=2),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 6), (1, 20), (2, 75))),
        Lab("ferritin_ng_ml", ((-1, 500), (2, 1100))),
        *neuro_course([(at, 0, 10) for at in daily(0, 2, "08:00")]),
    ),
)

# P003: toddler (2 years 6 months). PALS lower limit of systolic pressure is
# 70 + 2 × age = 74 mmHg: her usual 84-108 mmHg is normal for her age although below
# the adult 90. Fever since day 2; yesterday afternoon SBP 68 responsive to a 20 mL/kg
# bolus (grade 2); at the ward round still febrile with normal pressures: grade 1.
P003 = Patient(
    patient_id="P003",
    age_years=2.5,
    weight_kg=13,
    therapy="CAR T",
    infusion=infused(4, "10:00"),
    baseline_sbp=92,
    high_risk=False,
    first_day=-1,
    last=(4, ROUND),
    baseline_dbp=55,
    baseline_hr=120,
    sbp_floor=84,
    events=(
        Fever((2, "12:00"), (4, "18:00"), 40.1),
        Symptom((2, "14:00"), "vomiting"),
        Monitoring((3, "14:00"), (4, ROUND), 2),
        BloodPressure((3, "16:00"), (3, "20:00"), 68, 38),
        Given("fluid_bolus_ml", (3, "16:30"), 260),
        Lab("creatinine_mg_dl", ((-1, 0.3), (12, 0.3)), 0.02),
        Lab("ast_u_l", ((-1, 35), (12, 38)), 0.05),
        Lab("alt_u_l", ((-1, 20), (12, 22)), 0.05),
        Lab("crp_mg_l", ((-1, 2), (2, 25), (3, 60), (4, 88))),
        Lab("ferritin_ng_ml", ((-1, 300), (4, 2300))),
    ),
)

# P004: infant (9 months). Below 1 year the lower limit of systolic pressure is 70 mmHg.
# Fever; yesterday SBP 64, a 20 mL/kg bolus and a low dose of dopamine, still running at
# the ward round with 0.5 L/min of oxygen by nasal cannula: grade 2 (one low-dose
# vasopressor, low-flow oxygen).
P004 = Patient(
    patient_id="P004",
    age_years=0.75,
    weight_kg=8.6,
    therapy="CAR T",
    infusion=infused(3, "09:00"),
    baseline_sbp=84,
    high_risk=False,
    first_day=-1,
    last=(3, ROUND),
    baseline_dbp=48,
    baseline_hr=135,
    sbp_floor=76,
    events=(
        Fever((1, "20:00"), (3, "10:00"), 39.6),
        Monitoring((2, "12:00"), (3, ROUND), 1),
        BloodPressure((2, "14:00"), (2, "18:00"), 64, 34),
        Given("fluid_bolus_ml", (2, "14:30"), 170),
        Rate("dopamine_ug_kg_min", (2, "15:00"), 5),
        BloodPressure((2, "18:00"), (3, "12:00"), 78, 42),
        Oxygen((2, "12:00"), (3, "12:00"), "nasal cannula", flow=0.5),
        Lab("creatinine_mg_dl", ((-1, 0.25), (10, 0.25)), 0.02),
        Lab("ast_u_l", ((-1, 38), (10, 36)), 0.04),
        Lab("alt_u_l", ((-1, 22), (10, 24)), 0.05),
        Lab("crp_mg_l", ((-1, 2), (1, 15), (2, 70), (3, 95))),
    ),
)

# P005: grade 3 through oxygen (FiO2 45 % by high-flow nasal cannula since last night)
# with new encephalopathy (neurotox grade 2, ICE 5) and NO vasopressor or hypotension:
# the Figure 2 branch where corticosteroids are the preferred first-line
# immunosuppression. The night team gave dexamethasone 10 mg at 07:00.
P005 = Patient(
    patient_id="P005",
    age_years=34,
    weight_kg=61,
    therapy="CAR T",
    infusion=infused(5, "09:00"),
    baseline_sbp=116,
    high_risk=False,
    first_day=-1,
    last=(5, ROUND),
    baseline_dbp=72,
    sbp_floor=104,
    events=(
        Fever((1, "16:00"), (3, "12:00"), 39.4),
        Symptom((1, "20:00"), "myalgia"),
        Monitoring((4, "08:00"), (5, ROUND), 2),
        Oxygen((4, "08:00"), (4, "20:00"), "nasal cannula", flow=3),
        Oxygen((4, "20:00"), (6, "10:00"), "HFNC", fio2=45, flow=40),
        Symptom((5, "06:00"), "headache"),
        Given("dexamethasone_mg", (5, "07:00"), 10),
        *neuro_course(
            [(at, 0, 10) for at in daily(0, 4, "08:00") + daily(0, 4, "20:00")]
            + [((5, "00:00"), 1, 8), ((5, "06:00"), 2, 5), ((5, ROUND), 2, 5)]
        ),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 4), (1, 30), (2, 90), (3, 150), (4, 170), (5, 160))),
        Lab("ferritin_ng_ml", ((-1, 600), (4, 4100), (5, 4600))),
    ),
)

# P006: weight-based norepinephrine (µg/kg/min). Fever, hypotension since last evening,
# norepinephrine 0.05 → 0.15 → 0.25 µg/kg/min (= 23 µg/min at 92 kg) from 04:00: high dose
# for ≥ 3 h by 07:00 (Table 3), grade 3 — and no tocilizumab or corticosteroid given yet
# (untreated severe CRS, the alert the ward round must act on). Without his weight the
# dose is unknown and he stays grade 2 (one vasopressor of unknown dose).
P006 = Patient(
    patient_id="P006",
    age_years=52,
    weight_kg=92,
    therapy="CAR T",
    infusion=infused(3, "08:00"),
    baseline_sbp=132,
    high_risk=False,
    first_day=-1,
    last=(3, ROUND),
    arterial_line=True,
    baseline_dbp=80,
    sbp_floor=100,
    events=(
        Fever((1, "10:00"), (4, "06:00"), 40.2),
        Symptom((1, "14:00"), "rigors"),
        Monitoring((2, "16:00"), (3, ROUND), 1),
        BloodPressure((2, "18:00"), (3, "12:00"), 84, 50),
        Given("fluid_bolus_ml", (2, "18:15"), 1000),
        Rate("norepinephrine_ug_kg_min", (2, "19:00"), 0.05),
        Rate("norepinephrine_ug_kg_min", (2, "23:00"), 0.15),
        Rate("norepinephrine_ug_kg_min", (3, "04:00"), 0.25),
        Oxygen((2, "20:00"), (4, "00:00"), "nasal cannula", flow=2),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 5), (1, 40), (2, 120), (3, 210))),
        Lab("ferritin_ng_ml", ((-1, 900), (3, 6800))),
        Lab("il6_pg_ml", ((-1, 5), (2, 400), (3, 900)), 0.08),
    ),
)

# P007: tocilizumab followed by neurotoxicity, then grade 4. Fever and hypotension on a
# low dose of norepinephrine (grade 2) resolved after tocilizumab on day 2, but the ICE
# score fell from 10 to 0 over two days (neurotox grade 1 → 4, a seizure at 02:00
# today) despite dexamethasone, and he was intubated for airway protection at 03:00:
# mechanical ventilation is grade 4 (Table 2). CRP has been falling since day 3.
P007 = Patient(
    patient_id="P007",
    age_years=28,
    weight_kg=74,
    therapy="CAR T",
    infusion=infused(5, "10:00"),
    baseline_sbp=122,
    high_risk=False,
    first_day=-1,
    last=(5, ROUND),
    arterial_line=True,
    baseline_dbp=74,
    sbp_floor=102,
    events=(
        Fever((1, "14:00"), (3, "14:00"), 40.4),
        Symptom((1, "18:00"), "rigors; headache"),
        Monitoring((2, "06:00"), (5, ROUND), 1),
        BloodPressure((2, "08:00"), (2, "14:00"), 82, 48),
        Given("fluid_bolus_ml", (2, "08:15"), 1000),
        Rate("norepinephrine_ug_min", (2, "09:00"), 8),
        Given("tocilizumab_mg", (2, "10:00"), 296),
        Rate("norepinephrine_ug_min", (2, "16:00"), 4),
        Rate("norepinephrine_ug_min", (3, "02:00"), 0),
        BloodPressure((2, "14:00"), (3, "02:00"), 106, 64),
        Symptom((3, "20:00"), "headache; tremor"),
        Symptom((4, "08:00"), "word-finding difficulty; dysgraphia"),
        Given("dexamethasone_mg", (4, "09:00"), 10),
        Given("dexamethasone_mg", (4, "15:00"), 10),
        Given("dexamethasone_mg", (4, "21:00"), 10),
        Given("dexamethasone_mg", (5, "03:00"), 10),
        Symptom((5, "02:00"), "seizure"),
        Entry("seizure", (5, "02:00"), "generalised tonic-clonic seizure"),
        Entry("seizure", (5, ROUND), "none"),
        # Level of consciousness charted with each neurologic assessment (ICANS).
        *(Entry("consciousness", at, "alert") for at in daily(0, 4, "08:00")),
        *(Entry("consciousness", at, "alert") for at in daily(0, 3, "20:00")),
        Entry("consciousness", (4, "20:00"), "drowsy"),
        Entry("consciousness", (5, "02:00"), "awakens to voice"),
        Oxygen((5, "03:00"), (7, "10:00"), "ventilator", fio2=40, ventilated=True),
        *neuro_course(
            [(at, 0, 10) for at in daily(0, 2, "08:00") + daily(0, 2, "20:00")]
            + [
                ((3, "08:00"), 0, 10),
                ((3, "20:00"), 1, 7),
                ((4, "08:00"), 2, 4),
                ((4, "20:00"), 3, 1),
                ((5, "02:00"), 4, 0),
                ((5, ROUND), 4, None),  # sedated and ventilated: no ICE score possible
            ]
        ),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 3), (1, 50), (2, 160), (3, 190), (4, 120), (5, 90))),
        Lab("ferritin_ng_ml", ((-1, 450), (3, 5200), (5, 4300))),
        Lab("il6_pg_ml", ((-1, 3), (2, 350), (3, 1600), (4, 900), (5, 600)), 0.08),
    ),
)

# P008: fatal CRS in an older high-risk woman. Hypotension needing norepinephrine then
# vasopressin and epinephrine, hypoxaemia needing ventilation (grade 4), acute kidney
# injury and cardiac dysfunction (LVEF 25 %); she died at 04:00 this morning, day 6:
# grade 5. She is still on the ward list at the round.
P008 = Patient(
    patient_id="P008",
    age_years=67,
    weight_kg=64,
    therapy="CAR T",
    infusion=infused(6, "09:00"),
    baseline_sbp=128,
    high_risk=True,
    first_day=-1,
    last=(6, "04:00"),
    arterial_line=True,
    baseline_dbp=76,
    sbp_floor=95,
    events=(
        Fever((0, "20:00"), (7, "00:00"), 40.6),
        Symptom((1, "08:00"), "rigors; malaise"),
        Monitoring((1, "12:00"), (7, "00:00"), 1),
        BloodPressure((1, "14:00"), (1, "20:00"), 80, 46),
        Given("fluid_bolus_ml", (1, "14:30"), 1000),
        Rate("norepinephrine_ug_min", (1, "15:00"), 10),
        Given("tocilizumab_mg", (1, "16:00"), 256),
        BloodPressure((2, "00:00"), (2, "08:00"), 78, 42),
        Rate("norepinephrine_ug_min", (2, "02:00"), 24),
        Rate("vasopressin_u_min", (2, "04:00"), 0.03),
        Given("methylprednisolone_mg", (2, "06:00"), 128),
        Given("tocilizumab_mg", (2, "18:00"), 256),
        Given("methylprednisolone_mg", (3, "06:00"), 1000),
        BloodPressure((3, "02:00"), (7, "00:00"), 76, 40),
        Rate("epinephrine_ug_min", (3, "04:00"), 8),
        Rate("epinephrine_ug_min", (4, "10:00"), 15),
        Oxygen((2, "08:00"), (2, "20:00"), "HFNC", fio2=60, flow=50),
        Oxygen((2, "20:00"), (7, "00:00"), "ventilator", fio2=70, ventilated=True),
        Given("other_immunosuppressant", (4, "12:00"), "anakinra 100 mg"),
        Entry("organ_tox_grade", (5, "08:00"), 4),
        Entry("deceased", (6, "04:00"), "yes"),
        Lab("creatinine_mg_dl", ((-1, 0.8), (1, 0.9), (2, 1.5), (3, 2.6), (4, 4.1), (5, 5.2))),
        Lab("ast_u_l", ((-1, 30), (2, 90), (3, 240), (4, 420), (5, 650)), 0.05),
        Lab("alt_u_l", ((-1, 28), (2, 70), (3, 180), (4, 310), (5, 480)), 0.05),
        Lab("bilirubin_mg_dl", ((-1, 0.6), (3, 1.4), (5, 3.2)), 0.04),
        Lab("fibrinogen_mg_dl", ((-1, 320), (2, 210), (3, 140), (5, 90)), 0.04),
        Lab("inr", ((-1, 1.0), (3, 1.4), (5, 2.1)), 0.02),
        Draw("lvef_pct", (3, "14:00"), 25),
        Lab("crp_mg_l", ((-1, 8), (1, 90), (2, 220), (3, 310), (4, 295), (5, 280))),
        Lab("ferritin_ng_ml", ((-1, 1200), (2, 18000), (4, 64000), (5, 88000))),
        Lab("il6_pg_ml", ((-1, 6), (1, 800), (2, 5200), (3, 9800), (5, 7200)), 0.08),
    ),
)

# P009: adolescent on a bispecific antibody, infused yesterday morning: fever to 38.9 °C
# since yesterday afternoon with rigors and myalgia, nothing more: grade 1.
P009 = Patient(
    patient_id="P009",
    age_years=15,
    weight_kg=56,
    therapy="bispecific antibody",
    infusion=infused(1, "08:00"),
    baseline_sbp=118,
    high_risk=False,
    first_day=-1,
    last=(1, ROUND),
    baseline_hr=84,
    events=(
        Fever((0, "14:00"), (1, "20:00"), 38.9),
        Symptom((0, "18:00"), "rigors; myalgia"),
        Symptom((1, "06:00"), "myalgia"),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 2), (1, 35))),
    ),
)

# P010: messy export. Fever since day 2 and 2 L/min of oxygen since yesterday: grade 2.
# Planted cells: a decimal comma (38,4), a comparator (<5), an impossible temperature
# (85), an unparseable systolic pressure (1O8, letter O), a thousands separator (1,480),
# a row charted twice at one instant, and a row whose time was not recorded.
P010 = Patient(
    patient_id="P010",
    age_years=45,
    weight_kg=70,
    therapy="CAR T",
    infusion=infused(4, "10:00"),
    baseline_sbp=120,
    high_risk=False,
    first_day=-1,
    last=(4, ROUND),
    baseline_dbp=74,
    events=(
        Fever((2, "08:00"), (4, "10:00"), 39.0),
        Oxygen((3, "10:00"), (4, "16:00"), "nasal cannula", flow=2),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 3), (1, 12), (2, 60), (3, 110), (4, 95))),
        Lab("ferritin_ng_ml", ((-1, 520), (3, 1480), (4, 1300))),
        RawCell("crp_mg_l", (-1, "06:00"), "<5"),
        RawCell("temp_c", (2, "14:00"), "38,4"),
        RawCell("temp_c", (3, "18:00"), "85"),
        RawCell("sbp_mmhg", (3, "02:00"), "1O8"),
        RawCell("ferritin_ng_ml", (3, "06:00"), "1,480"),
        ExtraRow((3, "22:00"), (("symptoms", "headache"),)),
        ExtraRow((3, "14:00"), (("temp_c", "37.1"),), raw_time="time not recorded"),
    ),
)

# P011: a fresh infusion. 63-year-old man with recorded high risk (extensive
# comorbidities), CAR T infused yesterday at 14:00: no CRS yet (grade 0) at the ward
# round, 18 hours later — the patient to watch most closely over the next days.
P011 = Patient(
    patient_id="P011",
    age_years=63,
    weight_kg=88,
    therapy="CAR T",
    infusion=infused(1, "14:00"),
    baseline_sbp=134,
    high_risk=True,
    first_day=-1,
    last=(1, ROUND),
    baseline_dbp=82,
    events=(
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 4), (0, 5), (1, 9))),
        Lab("ferritin_ng_ml", ((-1, 700), (1, 760))),
        *neuro_course([(at, 0, 10) for at in daily(0, 1, "08:00")]),
    ),
)

# P012: oxygen by nasal-cannula flow, read as grading.md §3.3 (version 2) reads it. Febrile
# since day 2; yesterday afternoon 4 L/min by nasal cannula (low-flow oxygen, grade 2);
# from 22:00 she needed 8 L/min (more than 6 L/min is high flow: grade 3) and had
# tocilizumab at 23:00; weaned to 5 L/min at 04:00: low-flow oxygen, grade 2 at the
# ward round (version 1 read 21 + 4 × 5 = 41 % as an oxygen requirement ≥ 40 %: grade 3).
P012 = Patient(
    patient_id="P012",
    age_years=47,
    weight_kg=66,
    therapy="CAR T",
    infusion=infused(4, "09:00"),
    baseline_sbp=118,
    high_risk=False,
    first_day=-1,
    last=(4, ROUND),
    baseline_dbp=72,
    sbp_floor=104,
    events=(
        Fever((2, "10:00"), (4, "20:00"), 39.3),
        Symptom((2, "14:00"), "malaise"),
        Monitoring((3, "12:00"), (4, ROUND), 2),
        Oxygen((3, "14:00"), (3, "22:00"), "nasal cannula", flow=4),
        Oxygen((3, "22:00"), (4, "04:00"), "nasal cannula", flow=8),
        Oxygen((4, "04:00"), (5, "12:00"), "nasal cannula", flow=5),
        Given("tocilizumab_mg", (3, "23:00"), 528),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 3), (2, 40), (3, 110), (4, 150))),
        Lab("ferritin_ng_ml", ((-1, 480), (3, 2600), (4, 3100))),
        *neuro_course([(at, 0, 10) for at in daily(0, 4, "08:00")]),
    ),
)

# P013: an acute kidney injury that is not CRS beside an encephalopathy that is.
# Vancomycin since day 2 for a central-line infection; creatinine 0.9 → 3.0 mg/dL
# (> 3 × baseline: CTCAE grade 3) from day 4; CRS fever since day 1; encephalopathy from
# last evening (neurotox grade 2, then 3 with ICE 3 since 02:00), dexamethasone at 06:00.
# Grade 3 at the ward round, by both findings. The nephrologist attributes the kidney
# injury to vancomycin (sample_ward_attributions.csv): the encephalopathy, a criterion of
# its own since version 2, keeps the grade at 3 (version 1 erased it with the kidney).
P013 = Patient(
    patient_id="P013",
    age_years=39,
    weight_kg=78,
    therapy="CAR T",
    infusion=infused(6, "09:00"),
    baseline_sbp=124,
    high_risk=False,
    first_day=-1,
    last=(6, ROUND),
    baseline_dbp=76,
    sbp_floor=108,
    events=(
        Fever((1, "12:00"), (6, "20:00"), 39.5),
        Symptom((1, "16:00"), "rigors"),
        Monitoring((5, "18:00"), (6, ROUND), 2),
        Symptom((6, "02:00"), "confusion; word-finding difficulty"),
        Given("dexamethasone_mg", (6, "06:00"), 10),
        *neuro_course(
            [(at, 0, 10) for at in daily(0, 5, "08:00")]
            + [((5, "20:00"), 2, 6), ((6, "02:00"), 3, 3), ((6, ROUND), 3, 3)]
        ),
        Lab(
            "creatinine_mg_dl",
            ((-1, 0.9), (2, 0.9), (3, 1.1), (4, 1.9), (5, 2.8), (6, 3.0)),
            0.02,
        ),
        Lab("ast_u_l", ((-1, 26), (6, 30)), 0.05),
        Lab("alt_u_l", ((-1, 22), (6, 25)), 0.05),
        Lab("crp_mg_l", ((-1, 4), (1, 35), (3, 90), (5, 140), (6, 150))),
        Lab("ferritin_ng_ml", ((-1, 600), (3, 3300), (6, 5100))),
    ),
)

# The ASTCT 2019 consensus beside Lee 2014 (issue #14): the textbook reasons the two CRS
# grades differ, and ICANS documented in its own columns.

# P014: high-flow nasal cannula at FiO2 35 % after tocilizumab. Febrile days 1-2, nasal
# cannula 3 L/min from day 2 evening, tocilizumab 8 mg/kg at 22:00, afebrile since; from
# yesterday evening HFNC at FiO2 35 %. Lee: oxygen < 40 % is grade 2. ASTCT: HFNC is
# high-flow (grade 3), and the fever is masked by the tocilizumab given after it.
P014 = Patient(
    patient_id="P014",
    age_years=61,
    weight_kg=84,
    therapy="CAR T",
    infusion=infused(4, "11:00"),
    baseline_sbp=126,
    high_risk=False,
    first_day=-1,
    last=(4, ROUND),
    baseline_dbp=78,
    sbp_floor=110,
    events=(
        Fever((1, "16:00"), (3, "01:00"), 39.4),
        Symptom((1, "20:00"), "rigors; myalgia"),
        Monitoring((2, "18:00"), (4, ROUND), 2),
        Oxygen((2, "20:00"), (3, "18:00"), "nasal cannula", flow=3),
        Oxygen((3, "18:00"), (5, "12:00"), "HFNC", fio2=35, flow=40),
        Given("tocilizumab_mg", (2, "22:00"), 672),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 4), (1, 60), (2, 170), (3, 150), (4, 110))),
        Lab("ferritin_ng_ml", ((-1, 520), (3, 4100), (4, 3900))),
        *neuro_course([(at, 0, 10) for at in daily(0, 4, "08:00") + daily(0, 3, "20:00")]),
    ),
)

# P015: a child with ICANS graded by CAPD. 7 years, 23 kg. Fever days 1-3 (CRS grade 1,
# supportive care), afebrile since. CAPD twice daily: 0 until day 4, then 3, 6 and 10
# (grade 3: CAPD 9 or more) with drowsiness, and 12 this morning, awakening to voice.
# Lee: grade 0 now (no CRS finding; no CTCAE neurotoxicity grade entered). ICANS: 3.
P015 = Patient(
    patient_id="P015",
    age_years=7,
    weight_kg=23,
    therapy="CAR T",
    infusion=infused(6, "10:00"),
    baseline_sbp=104,
    high_risk=False,
    first_day=-1,
    last=(6, ROUND),
    baseline_dbp=64,
    sbp_floor=96,
    events=(
        Fever((1, "12:00"), (3, "22:00"), 39.0),
        Symptom((2, "08:00"), "irritable"),
        *(Entry("capd_score", at, 0) for at in daily(0, 4, "08:00")),
        Entry("consciousness", (4, "08:00"), "alert"),
        Entry("capd_score", (4, "20:00"), 3),
        Entry("capd_score", (5, "08:00"), 6),
        Entry("capd_score", (5, "20:00"), 10),
        Entry("consciousness", (5, "20:00"), "drowsy"),
        Entry("capd_score", (6, ROUND), 12),
        Entry("consciousness", (6, ROUND), "awakens to voice"),
        *_STANDARD_LABS,
        Lab("crp_mg_l", ((-1, 3), (1, 30), (2, 80), (3, 95), (6, 40))),
        Lab("ferritin_ng_ml", ((-1, 300), (3, 1900), (6, 1500))),
    ),
)

# P016: organ toxicity without fever. Fever on day 1 only, gone without treatment; a
# transaminitis since day 3 (AST 160 U/L, 4 × the upper limit of 40: CTCAE grade 2).
# Lee: grade 2 by organ toxicity. ASTCT: grade 0 (organ toxicity never grades ASTCT CRS,
# and there is no fever).
P016 = Patient(
    patient_id="P016",
    age_years=55,
    weight_kg=71,
    therapy="bispecific antibody",
    infusion=infused(4, "09:00"),
    baseline_sbp=122,
    high_risk=False,
    first_day=-1,
    last=(4, ROUND),
    baseline_dbp=76,
    sbp_floor=108,
    events=(
        Fever((1, "10:00"), (1, "23:00"), 38.6),
        Lab("creatinine_mg_dl", ((-1, 0.8), (21, 0.8)), 0.02),
        Lab("ast_u_l", ((-1, 24), (2, 60), (3, 130), (4, 160)), 0.02),
        Lab("alt_u_l", ((-1, 21), (2, 50), (3, 100), (4, 110)), 0.02),
        Lab("crp_mg_l", ((-1, 3), (1, 40), (2, 35), (4, 20))),
        *neuro_course([(at, 0, 10) for at in daily(0, 4, "08:00")]),
    ),
)

SYNTHETIC = (P001, P002, P003, P004, P005, P006, P007, P008, P009, P010, P011, P012, P013)
#: Added for the ASTCT 2019 and ICANS grades (issue #14), after the others.
CONSENSUS_PATIENTS = (P014, P015, P016)

#: The paper's cases on the sample ward, each at an instructive moment of its course on
#: the ward-round morning (the one-patient files keep the whole course).
WARD_PAPER_CASES = (
    # Case 1 on day 3: febrile with rigors, stable — grade 1, supportive care.
    at_ward_round(CASE1, 3),
    # Case 2 on day 15: the grade-3 night of day 14 is over (pressors off, afebrile).
    at_ward_round(CASE2, 15),
    # Case 3 on day 7: fever back, both pressors still running 40 h after tocilizumab —
    # grade 3 without improvement, the situation the paper's text asks to reconsider.
    at_ward_round(CASE3, 7),
    # Figure 3 on day 10: recovered; CRP has fallen twice since its day-8 peak.
    at_ward_round(FIG3, 10),
)
WARD = WARD_PAPER_CASES + SYNTHETIC + CONSENSUS_PATIENTS

# --------------------------------------------------------------------------------------
# Columns and formats of the export
# --------------------------------------------------------------------------------------

#: Time-series columns of the wide export, in order (canonical names of spec §1, plus
#: heart rate, which the grader does not use and reports as an unknown column).
WIDE_COLUMNS = (
    "temp_c",
    "heart_rate_bpm",
    "sbp_mmhg",
    "dbp_mmhg",
    "map_mmhg",
    "o2_device",
    "o2_flow_l_min",
    "fio2",
    "ventilated",
    "norepinephrine_ug_min",
    "norepinephrine_ug_kg_min",
    "epinephrine_ug_min",
    "dopamine_ug_kg_min",
    "vasopressin_u_min",
    "fluid_bolus_ml",
    "tocilizumab_mg",
    "methylprednisolone_mg",
    "dexamethasone_mg",
    "other_immunosuppressant",
    "symptoms",
    "neurotox_grade",
    "ice_score",
    "capd_score",
    "consciousness",
    "seizure",
    "organ_tox_grade",
    "crp_mg_l",
    "ferritin_ng_ml",
    "il6_pg_ml",
    "ifng_pg_ml",
    "creatinine_mg_dl",
    "ast_u_l",
    "alt_u_l",
    "bilirubin_mg_dl",
    "fibrinogen_mg_dl",
    "inr",
    "lvef_pct",
    "deceased",
)

PATIENT_COLUMNS = (
    "age_years",
    "weight_kg",
    "infusion_time",
    "baseline_sbp_mmhg",
    "high_risk",
    "therapy",
)

#: Long (flowsheet) layout: wide column → (variable, unit). Units are those printed on
#: a flowsheet; the reader converts the ones that differ from the canonical unit. The
#: flowsheet files are exported for the CRS variables only: heart rate is charted in the
#: wide files but not here (tests/test_paper_cases.py adds it back to check that an
#: unrecognised flowsheet variable is left out without disturbing the others).
LONG_NAMES: dict[str, tuple[str, str]] = {
    "temp_c": ("temperature", "°C"),
    "sbp_mmhg": ("sbp", "mmHg"),
    "dbp_mmhg": ("dbp", "mmHg"),
    "map_mmhg": ("map", "mmHg"),
    "o2_device": ("o2_device", ""),
    "o2_flow_l_min": ("o2_flow", "L/min"),
    "fio2": ("fio2", "%"),
    "ventilated": ("ventilated", ""),
    "norepinephrine_ug_min": ("norepinephrine_ug_min", "µg/min"),
    "norepinephrine_ug_kg_min": ("norepinephrine_ug_kg_min", "µg/kg/min"),
    "epinephrine_ug_min": ("epinephrine_ug_min", "µg/min"),
    "dopamine_ug_kg_min": ("dopamine", "µg/kg/min"),
    "vasopressin_u_min": ("vasopressin", "U/min"),
    "fluid_bolus_ml": ("fluid_bolus_ml", "mL"),
    "tocilizumab_mg": ("tocilizumab", "mg"),
    "methylprednisolone_mg": ("methylprednisolone", "mg"),
    "dexamethasone_mg": ("dexamethasone", "mg"),
    "other_immunosuppressant": ("other_immunosuppressant", ""),
    "symptoms": ("symptoms", ""),
    "neurotox_grade": ("neurotox_grade", ""),
    "ice_score": ("ice_score", ""),
    "capd_score": ("capd_score", ""),
    "consciousness": ("consciousness", ""),
    "seizure": ("seizure", ""),
    "organ_tox_grade": ("organ_tox_grade", ""),
    "crp_mg_l": ("crp", "mg/L"),
    "ferritin_ng_ml": ("ferritin", "ng/mL"),
    "il6_pg_ml": ("il6", "pg/mL"),
    "ifng_pg_ml": ("ifng", "pg/mL"),
    "creatinine_mg_dl": ("creatinine", "mg/dL"),
    "ast_u_l": ("ast", "U/L"),
    "alt_u_l": ("alt", "U/L"),
    "bilirubin_mg_dl": ("bilirubin", "mg/dL"),
    "fibrinogen_mg_dl": ("fibrinogen", "mg/dL"),
    "inr": ("inr", ""),
    "lvef_pct": ("lvef", "%"),
    "deceased": ("deceased", ""),
}

#: Case 3 in the long layout as a US flowsheet would give it: temperature in °F and CRP
#: in mg/dL for the whole file (one unit per variable), converted back by the reader.
CASE3_LONG_UNITS: dict[str, tuple[str, str, float, float, int]] = {
    # wide column: (variable, unit, factor, offset, decimals) — value × factor + offset
    "temp_c": ("temp", "°F", 9 / 5, 32.0, 1),
    "crp_mg_l": ("crp", "mg/dL", 0.1, 0.0, 3),
}

#: Decimals written per column (values are rounded as a monitor or a laboratory would).
DECIMALS: dict[str, int] = {
    "temp_c": 1,
    "o2_flow_l_min": 1,
    "norepinephrine_ug_min": 1,
    "norepinephrine_ug_kg_min": 2,
    "epinephrine_ug_min": 1,
    "dopamine_ug_kg_min": 1,
    "vasopressin_u_min": 2,
    "crp_mg_l": 1,
    "il6_pg_ml": 1,
    "ifng_pg_ml": 1,
    "creatinine_mg_dl": 2,
    "bilirubin_mg_dl": 1,
    "inr": 2,
}


def fmt(column: str, value: float | str | None) -> str:
    """A cell as the record prints it: fixed decimals, no trailing ``.0`` on integers."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    decimals = DECIMALS.get(column, 0)
    text = f"{value:.{decimals}f}"
    # A thermometer always shows its decimal (37.0); other values drop trailing zeros.
    if "." in text and column != "temp_c":
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


# --------------------------------------------------------------------------------------
# Scenario → rows
# --------------------------------------------------------------------------------------


@dataclass
class Chart:
    """The charted rows of one patient: instant → {column: cell text}."""

    patient: Patient
    rows: dict[datetime, dict[str, str]] = field(default_factory=dict)
    extra: list[tuple[datetime, str | None, dict[str, str]]] = field(default_factory=list)

    def put(self, moment: datetime, column: str, text: str) -> None:
        cells = self.rows.setdefault(moment, {})
        if cells.get(column, text) != text:
            raise ValueError(f"{self.patient.patient_id} {moment} {column}: two values")
        cells[column] = text


def _seed(patient_id: str) -> int:
    return zlib.crc32(patient_id.encode("utf-8"))


def _inside(moment: datetime, patient: Patient, start: When, end: When) -> bool:
    return patient.instant(start) <= moment < patient.instant(end)


def vital_times(patient: Patient) -> list[datetime]:
    """Vital-sign instants: 4-hourly (02:00, 06:00, …) plus each monitoring period."""
    start = patient.instant((patient.first_day, "00:00"))
    end = patient.instant(patient.last)
    times = set()
    moment = start + timedelta(hours=2)
    while moment <= end:
        times.add(moment)
        moment += timedelta(hours=4)
    for period in patient.of(Monitoring):
        moment = patient.instant(period.start)
        while moment < patient.instant(period.end) and moment <= end:
            times.add(moment)
            moment += timedelta(hours=period.every_h)
    times.add(end)
    return sorted(times)


def _nearest(times: Sequence[datetime], moment: datetime) -> datetime:
    return min(times, key=lambda t: (abs(t - moment), t))


def temperature(patient: Patient, moment: datetime, rng: np.random.Generator) -> float:
    """°C at ``moment``: a fever bump inside each Fever event, afebrile otherwise.

    Noise is clipped so that a febrile reading is ≥ 38.1 °C and an afebrile one
    ≤ 37.6 °C: the 38.0 °C threshold (spec §3) is never crossed by noise alone.
    """
    for fever in patient.of(Fever):
        start, end = patient.instant(fever.start), patient.instant(fever.end)
        if start <= moment < end:
            # The fever climbs to its peak over the first 30 % of its course, then eases.
            phase = (moment - start) / (end - start)
            shape = phase / 0.3 if phase < 0.3 else 1.0 - 0.7 * (phase - 0.3) / 0.7
            if fever.peak_c >= 38.0:
                value = 38.3 + (fever.peak_c - 38.3) * shape + rng.normal(0, 0.15)
                return float(np.clip(value, 38.1, fever.peak_c))
            value = 37.4 + (fever.peak_c - 37.4) * shape + rng.normal(0, 0.1)
            return float(np.clip(value, 37.0, fever.peak_c))
    return float(np.clip(36.9 + rng.normal(0, 0.2), 36.2, 37.6))


def blood_pressure(
    patient: Patient, moment: datetime, rng: np.random.Generator
) -> tuple[float, float]:
    """(SBP, DBP) at ``moment``: inside a BloodPressure period around its values, else around
    the patient's baseline, never below ``sbp_floor`` (so noise never fakes hypotension)."""
    for period in patient.of(BloodPressure):
        if _inside(moment, patient, period.start, period.end):
            sbp = np.clip(period.sbp + rng.normal(0, 2.5), period.sbp - 5, period.sbp + 3)
            dbp = np.clip(period.dbp + rng.normal(0, 2.0), period.dbp - 4, period.dbp + 2)
            return float(round(sbp)), float(round(dbp))
    floor = patient.sbp_floor if patient.sbp_floor is not None else patient.baseline_sbp - 14
    sbp = float(np.clip(patient.baseline_sbp + rng.normal(0, 6), floor, patient.baseline_sbp + 16))
    base_dbp = patient.baseline_dbp or patient.baseline_sbp * 0.6
    dbp = float(np.clip(base_dbp * sbp / patient.baseline_sbp + rng.normal(0, 3), 30, 110))
    return float(round(sbp)), float(round(dbp))


def _under_monitoring(patient: Patient, moment: datetime) -> bool:
    return any(_inside(moment, patient, m.start, m.end) for m in patient.of(Monitoring))


def chart_vitals(chart: Chart, times: Sequence[datetime], rng: np.random.Generator) -> None:
    patient = chart.patient
    for moment in times:
        temp = temperature(patient, moment, rng)
        sbp, dbp = blood_pressure(patient, moment, rng)
        febrile = temp >= 38.0
        low = sbp < patient.baseline_sbp - 20
        hr = patient.baseline_hr * (1.0 + 0.12 * febrile + 0.15 * low) + rng.normal(0, 4)
        chart.put(moment, "temp_c", fmt("temp_c", temp))
        chart.put(moment, "heart_rate_bpm", fmt("heart_rate_bpm", hr))
        chart.put(moment, "sbp_mmhg", fmt("sbp_mmhg", sbp))
        chart.put(moment, "dbp_mmhg", fmt("dbp_mmhg", dbp))
        if patient.arterial_line and _under_monitoring(patient, moment):
            chart.put(moment, "map_mmhg", fmt("map_mmhg", round((sbp + 2 * dbp) / 3)))
        chart_oxygen(chart, moment)


def chart_oxygen(chart: Chart, moment: datetime) -> None:
    """The oxygen documented with each set of vital signs ("room air" when none)."""
    patient = chart.patient
    for o2 in patient.of(Oxygen):
        if _inside(moment, patient, o2.start, o2.end):
            chart.put(moment, "o2_device", o2.device)
            if o2.flow is not None:
                chart.put(moment, "o2_flow_l_min", fmt("o2_flow_l_min", o2.flow))
            if o2.fio2 is not None:
                chart.put(moment, "fio2", fmt("fio2", o2.fio2))
            if o2.ventilated:
                chart.put(moment, "ventilated", "yes")
            return
    chart.put(moment, "o2_device", "room air")


def chart_infusions(chart: Chart) -> None:
    """Rate changes, and the running rate re-documented at the 07:00 and 19:00 checks."""
    patient = chart.patient
    end = patient.instant(patient.last)
    by_column: dict[str, list[Rate]] = {}
    for change in patient.of(Rate):
        by_column.setdefault(change.column, []).append(change)
    for column, changes in by_column.items():
        changes = sorted(changes, key=lambda c: patient.instant(c.at))
        for i, change in enumerate(changes):
            start = patient.instant(change.at)
            chart.put(start, column, fmt(column, change.rate))
            if change.rate == 0:
                continue
            stop = patient.instant(changes[i + 1].at) if i + 1 < len(changes) else end
            check = start.replace(hour=7, minute=0)
            while check < stop:
                if check > start and check.hour in (7, 19):
                    chart.put(check, column, fmt(column, change.rate))
                check += timedelta(hours=12)


def lab_value(lab: Lab, day: int, rng: np.random.Generator) -> float:
    """The listed value on a listed day; log-linear interpolation with noise between."""
    days = [d for d, _ in lab.days]
    values = [v for _, v in lab.days]
    if day in days:
        return values[days.index(day)]
    if day < days[0]:
        return values[0]
    if day > days[-1]:
        return values[-1]
    value = float(np.exp(np.interp(day, days, np.log(values))))
    return value * float(np.exp(rng.normal(0, lab.noise)))


def chart_labs(chart: Chart, rng: np.random.Generator) -> None:
    """Morning laboratory draws (~06:00, a few minutes either side) and extra draws."""
    patient = chart.patient
    labs = patient.of(Lab)
    if labs:
        end = patient.instant(patient.last)
        for day in range(patient.first_day, patient.last[0] + 1):
            minutes = int(rng.integers(-25, 26))
            moment = patient.instant((day, "06:00")) + timedelta(minutes=minutes)
            if moment > end:
                break
            for lab in labs:
                chart.put(moment, lab.column, fmt(lab.column, lab_value(lab, day, rng)))
    for draw in patient.of(Draw):
        chart.put(patient.instant(draw.at), draw.column, fmt(draw.column, draw.value))


def check_record_ends_at_last(patient: Patient) -> None:
    """A record holds nothing after its last charted instant (the ward round, a death, a
    discharge): an event written later is a mistake in the scenario, not data to drop."""
    end = patient.instant(patient.last)
    late = [
        e for e in patient.events if isinstance(e, POINT_EVENTS) and patient.instant(e.at) > end
    ]
    if late:
        raise ValueError(f"{patient.patient_id}: events after the last instant: {late}")


def build_chart(patient: Patient) -> Chart:
    """Turn one scenario into its charted rows (deterministic: one seed per patient)."""
    check_record_ends_at_last(patient)
    rng = np.random.default_rng(_seed(patient.patient_id))
    chart = Chart(patient)
    times = vital_times(patient)
    chart_vitals(chart, times, rng)
    chart_infusions(chart)
    chart_labs(chart, rng)
    for given in patient.of(Given):
        chart.put(patient.instant(given.at), given.column, fmt(given.column, given.value))
    for symptom in patient.of(Symptom):
        chart.put(_nearest(times, patient.instant(symptom.at)), "symptoms", symptom.text)
    for assessment in patient.of(Neuro):
        moment = _nearest(times, patient.instant(assessment.at))
        chart.put(moment, "neurotox_grade", fmt("neurotox_grade", assessment.grade))
        if assessment.ice is not None:
            chart.put(moment, "ice_score", fmt("ice_score", assessment.ice))
    for entry in patient.of(Entry):
        moment = _nearest(times, patient.instant(entry.at))
        chart.put(moment, entry.column, fmt(entry.column, entry.value))
    for fever in patient.of(Fever):
        # The documented maximum is the scenario's peak (e.g. case 1's 40.7 °C).
        # A fever still climbing at the ward round has not reached its peak yet.
        start, end = patient.instant(fever.start), patient.instant(fever.end)
        peak_at = start + 0.3 * (end - start)
        if fever.peak_c >= 38.0 and peak_at <= times[-1]:
            chart.rows[_nearest(times, peak_at)]["temp_c"] = fmt("temp_c", fever.peak_c)
    for cell in patient.of(RawCell):
        having = sorted(m for m, cells in chart.rows.items() if cell.column in cells)
        moment = _nearest(having, patient.instant(cell.at))
        chart.rows[moment][cell.column] = cell.raw
    for extra in patient.of(ExtraRow):
        chart.extra.append((patient.instant(extra.at), extra.raw_time, dict(extra.cells)))
    return chart


def chart_rows(chart: Chart) -> list[tuple[str, dict[str, str]]]:
    """(time text, cells) in time order; extra rows follow the row of their instant."""
    rows = [(moment, 0, iso(moment), cells) for moment, cells in chart.rows.items()]
    for moment, raw_time, cells in chart.extra:
        rows.append((moment, 1, raw_time or iso(moment), cells))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(time_text, cells) for _, _, time_text, cells in rows]


# --------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------


def patient_cells(patient: Patient) -> dict[str, str]:
    risk = {True: "yes", False: "no", None: ""}[patient.high_risk]
    return {
        "age_years": f"{patient.age_years:g}",
        "weight_kg": f"{patient.weight_kg:g}",
        "infusion_time": iso(patient.infusion_time),
        "baseline_sbp_mmhg": fmt("baseline_sbp_mmhg", patient.baseline_sbp),
        "high_risk": risk,
        "therapy": patient.therapy,
    }


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def used_columns(charts: Sequence[Chart]) -> list[str]:
    present = set()
    for chart in charts:
        for cells in chart.rows.values():
            present.update(cells)
        for _, _, cells in chart.extra:
            present.update(cells)
    unknown = present - set(WIDE_COLUMNS)
    if unknown:
        raise ValueError(f"columns missing from WIDE_COLUMNS: {sorted(unknown)}")
    return [c for c in WIDE_COLUMNS if c in present]


def write_wide(path: Path, charts: Sequence[Chart], *, patient_level: bool) -> None:
    """Wide layout: one row per patient and instant (patient-level columns optional)."""
    columns = used_columns(charts)
    level = list(PATIENT_COLUMNS) if patient_level else []
    header = ["patient_id", "time", *level, *columns]
    rows = []
    for chart in charts:
        facts = patient_cells(chart.patient)
        for time_text, cells in chart_rows(chart):
            rows.append(
                [
                    chart.patient.patient_id,
                    time_text,
                    *(facts[c] for c in level),
                    *(cells.get(c, "") for c in columns),
                ]
            )
    write_csv(path, header, rows)


def long_cell(column: str, text: str, units: dict[str, tuple[str, str, float, float, int]]):
    """(variable, value, unit) of one wide cell in the long layout."""
    if column in units:
        variable, unit, factor, offset, decimals = units[column]
        try:
            number = float(text)
        except ValueError:
            return variable, text, unit
        value = f"{number * factor + offset:.{decimals}f}".rstrip("0").rstrip(".")
        return variable, value, unit
    variable, unit = LONG_NAMES[column]
    return variable, text, unit


def write_long(
    path: Path,
    charts: Sequence[Chart],
    units: dict[str, tuple[str, str, float, float, int]] | None = None,
) -> None:
    """Long (flowsheet) layout: one row per patient, instant and variable."""
    units = units or {}
    rows = []
    for chart in charts:
        for time_text, cells in chart_rows(chart):
            for column in WIDE_COLUMNS:
                if column in cells and (column in LONG_NAMES or column in units):
                    variable, value, unit = long_cell(column, cells[column], units)
                    rows.append([chart.patient.patient_id, time_text, variable, value, unit])
    write_csv(path, ["patient_id", "time", "variable", "value", "unit"], rows)


def write_patients(path: Path, patients: Sequence[Patient]) -> None:
    rows = [[p.patient_id, *(patient_cells(p)[c] for c in PATIENT_COLUMNS)] for p in patients]
    write_csv(path, ["patient_id", *PATIENT_COLUMNS], rows)


def write_attributions(path: Path) -> None:
    """Case 3's day-1 fever was Streptococcus mitis bacteraemia, not CRS (spec §5)."""
    start = CASE3.instant((1, "10:00"))
    end = CASE3.instant((2, "12:00"))
    reason = "Streptococcus mitis bacteraemia (blood cultures); afebrile on vancomycin"
    write_csv(
        path,
        ["patient_id", "criterion", "start", "end", "reason", "author"],
        [["CASE3", "fever", iso(start), iso(end), reason, "Dr A. Example (attending)"]],
    )


def write_ward_attributions(path: Path) -> None:
    """P013's acute kidney injury is vancomycin nephrotoxicity, not CRS (spec §5): only
    ``organ_toxicity`` is attributed, so his CRS encephalopathy still counts."""
    start = P013.instant((3, "00:00"))
    end = P013.instant((6, ROUND))
    reason = "vancomycin nephrotoxicity (trough 28 mg/L since day 3)"
    write_csv(
        path,
        ["patient_id", "criterion", "start", "end", "reason", "author"],
        [["P013", "organ_toxicity", iso(start), iso(end), reason, "Dr B. Example (nephrology)"]],
    )


def main() -> None:
    # The paper's cases, whole courses, one file each (the paper-case tests grade them).
    cases = {p.patient_id: build_chart(p) for p in PAPER_CASES}
    for patient in PAPER_CASES:
        write_wide(
            DATA_DIR / patient.scenario_file, [cases[patient.patient_id]], patient_level=True
        )
    write_long(DATA_DIR / "case3_long.csv", [cases["CASE3"]], CASE3_LONG_UNITS)
    write_patients(DATA_DIR / "paper_cases_patients.csv", PAPER_CASES)
    write_attributions(DATA_DIR / "case3_attributions.csv")
    # The sample ward at the ward round of WARD_ROUND (paper cases re-dated and cut there).
    ward = [build_chart(p) for p in WARD]
    write_wide(DATA_DIR / "sample_ward.csv", ward, patient_level=False)
    write_long(DATA_DIR / "sample_ward_long.csv", ward)
    write_patients(DATA_DIR / "sample_ward_patients.csv", WARD)
    write_ward_attributions(DATA_DIR / "sample_ward_attributions.csv")


if __name__ == "__main__":
    main()
