"""Hypotension by age (spec grading.md §3.1; Lee et al. 2014 Table 2, grade 2).

Table 2 grades "hypotension" without numbers; the spec decides them **[decision]**:
adults (and unknown age, the safer reading for a ward of mostly adults) use SBP < 90
mmHg or MAP < 65 mmHg; children use the PALS systolic limits, because a normal SBP of
a toddler is far below an adult's and an adult limit would call every child hypotensive.
"""

from __future__ import annotations

import numpy as np

#: Adult limits (spec §3.1): SBP < 90 mmHg or MAP < 65 mmHg.
ADULT_SBP_BELOW = 90.0
ADULT_MAP_BELOW = 65.0
#: PALS systolic limits (spec §3.1): 10 ≤ age < 18 → 90; 1 ≤ age < 10 → 70 + 2·floor(age);
#: age < 1 → 70. Stated as data: (lowest age, SBP below, extra mmHg per whole year of age).
PALS_BANDS: tuple[tuple[float, float, float], ...] = (
    (18.0, 90.0, 0.0),  # adult, SBP criterion (MAP is added for adults only)
    (10.0, 90.0, 0.0),
    (1.0, 70.0, 2.0),
    (0.0, 70.0, 0.0),
)
#: "Relative hypotension" (shown, not graded): SBP more than 20% below the baseline.
RELATIVE_DROP = 0.20


def sbp_threshold(age_years: np.ndarray) -> np.ndarray:
    """SBP limit (hypotension when SBP is *below* it) for each age; unknown age → adult."""
    age = np.asarray(age_years, dtype="float64")
    oldest_band_from, oldest_band_limit, oldest_band_per_year = PALS_BANDS[0]
    with np.errstate(invalid="ignore"):
        any_younger = (age < oldest_band_from).any()
    if not any_younger and oldest_band_per_year == 0 and oldest_band_limit == ADULT_SBP_BELOW:
        # Only adults and unknown ages (the usual ward): one limit for every row.
        return np.full(len(age), ADULT_SBP_BELOW)
    whole_years = np.floor(np.nan_to_num(age))
    with np.errstate(invalid="ignore"):
        conditions = [age >= low for low, _, _ in PALS_BANDS]
    choices = [base + per_year * whole_years for _, base, per_year in PALS_BANDS]
    return np.select(conditions, choices, default=ADULT_SBP_BELOW)


def mean_arterial_pressure(
    map_documented: np.ndarray,
    sbp: np.ndarray,
    dbp: np.ndarray,
    map_at: np.ndarray,
    sbp_at: np.ndarray,
    dbp_at: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The MAP in use (spec §3.1, version 2) and whether it was computed.

    The newest of the carried documented MAP and the MAP computed as (SBP + 2·DBP)/3
    from the carried SBP/DBP pair, whose instant is the older of its two values; at the
    same instant the documented MAP wins. ``*_at`` are the instants (int64 μs) the
    carried values were charted at; they are read only where the value is known.
    So a MAP of 70 charted at 0 h does not hide a pressure of 95/40 at 2 h (MAP 58).
    """
    computed = (sbp + 2.0 * dbp) / 3.0
    pair_at = np.minimum(sbp_at, dbp_at)
    documented_newer = ~np.isnan(map_documented) & (map_at >= pair_at)
    use_computed = ~np.isnan(computed) & ~documented_newer
    return np.where(use_computed, computed, map_documented), use_computed


def hypotension(
    sbp: np.ndarray,
    map_used: np.ndarray,
    age_years: np.ndarray,
    baseline_sbp: np.ndarray,
) -> dict[str, np.ndarray]:
    """Spec §3.1 on carried values: met, the SBP threshold, which limit fired, relative flag."""
    threshold = sbp_threshold(age_years)
    age = np.asarray(age_years, dtype="float64")
    adult = ~(age < 18.0)  # NaN (unknown age) counts as adult
    with np.errstate(invalid="ignore"):
        sbp_low = sbp < threshold
        map_low = adult & (map_used < ADULT_MAP_BELOW)
        relative = sbp < (1.0 - RELATIVE_DROP) * baseline_sbp
    return {
        "met": sbp_low | map_low,
        "sbp_low": sbp_low,
        "map_low": map_low,
        "sbp_threshold": threshold,
        "relative_hypotension": relative,
    }
