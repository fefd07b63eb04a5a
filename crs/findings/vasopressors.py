"""Vasopressors: running agents, VASST equivalent and the high-dose rule (spec grading.md §3.2).

Lee et al. 2014 Table 2 puts "low dose of one vasopressor" in grade 2 and "high dose or
multiple vasopressors" in grade 3; Table 3 defines high dose, "all doses required for
≥ 3 hours", and its footnote gives the VASST norepinephrine equivalent
``NE + dopamine/2 + epinephrine + phenylephrine/10`` (μg/min; dopamine in μg/kg/min).

The 3-hour rule is prospective **[decision]**: the high-dose state must have held without
a break from ``instant − 3 h`` to the instant. The state only changes where a rate is
documented or where a carried rate runs out of its 24 h window, so those expiry instants
are added as events even when no row sits there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from crs.findings.carry import _PATIENT_GAP, WINDOWS, Timeline, take


@dataclass(frozen=True)
class Agent:
    """One vasopressor of Table 3 and how its rate is recorded (architecture §1.1)."""

    name: str
    rate_column: str  # canonical unit column
    weight_based_column: str | None  # μg/kg/min column, converted with weight_kg
    unit: str
    vasst_weight: float  # Table 3 footnote (VASST); vasopressin is not part of ne_eq
    in_ne_equivalent: bool


#: The five agents of spec §3.2, with the VASST weights of Table 3's footnote.
AGENTS: tuple[Agent, ...] = (
    Agent(
        "norepinephrine", "norepinephrine_ug_min", "norepinephrine_ug_kg_min", "μg/min", 1.0, True
    ),
    Agent("epinephrine", "epinephrine_ug_min", "epinephrine_ug_kg_min", "μg/min", 1.0, True),
    Agent("phenylephrine", "phenylephrine_ug_min", "phenylephrine_ug_kg_min", "μg/min", 0.1, True),
    Agent("dopamine", "dopamine_ug_kg_min", None, "μg/kg/min", 0.5, True),
    Agent("vasopressin", "vasopressin_u_min", None, "U/min", 0.0, False),
)

#: Table 3 (Lee et al. 2014) as data: thresholds are inclusive (≥).
TABLE3: pd.DataFrame = pd.read_csv(Path(__file__).parents[1] / "tables" / "table3_high_dose.csv")
_MONOTHERAPY: dict[str, float] = dict(
    TABLE3.loc[TABLE3["rule"] == "monotherapy", ["agent", "threshold"]].itertuples(index=False)
)
_RULE: dict[str, float] = dict(TABLE3[["rule", "threshold"]].itertuples(index=False))
WITH_VASOPRESSIN_NE_EQ: float = _RULE["with_vasopressin"]
COMBINATION_NE_EQ: float = _RULE["combination_without_vasopressin"]
SUSTAINED: pd.Timedelta = pd.Timedelta(hours=_RULE["sustained"])

_US_HOUR = 3_600_000_000


def _column(frame: pd.DataFrame, name: str | None) -> np.ndarray:
    if name is None or name not in frame.columns:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def _recorded_rates(
    frame: pd.DataFrame,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per agent: documented?, running if carried from here?, dose (NaN = unknown)."""
    weight = _column(frame, "weight_kg")
    documented, positive, dose = {}, {}, {}
    for agent in AGENTS:
        rate = _column(frame, agent.rate_column)
        per_kg = _column(frame, agent.weight_based_column)
        documented[agent.name] = ~np.isnan(rate)
        with np.errstate(invalid="ignore"):
            positive[agent.name] = rate > 0
        per_kg_documented = ~np.isnan(per_kg)
        if not per_kg_documented.any():
            # No μg/kg/min rate (the usual case): the rate column alone says it all.
            dose[agent.name] = rate
            continue
        documented[agent.name] |= per_kg_documented
        with np.errstate(invalid="ignore"):
            positive[agent.name] |= per_kg > 0
        # The reader converts weight-based rates when it knows the weight; converting here
        # too keeps hand-built frames honest. Without a weight the dose stays unknown.
        dose[agent.name] = np.where(np.isnan(rate), per_kg * weight, rate)
    return documented, positive, dose


def _expiry_events(
    timeline: Timeline, codes: np.ndarray, documented: dict, positive: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Instants where a carried positive rate runs out of its window with no newer rate.

    A rate is in effect while at most 24 h old, so it is gone one microsecond later.
    Returns the events' patient codes, instants and the rows whose rates run out.
    """
    window = int(WINDOWS["vasopressor"] / pd.Timedelta(microseconds=1))
    event_codes, event_t, event_rows = [], [], []
    for agent in AGENTS:
        starts = np.flatnonzero(documented[agent.name] & positive[agent.name])
        if not len(starts):
            continue
        nxt = timeline.next_documented(documented[agent.name])
        expires = timeline.t[starts] + window
        following = nxt[starts]
        lapses = (following < 0) | (timeline.t[np.maximum(following, 0)] > expires)
        event_codes.append(codes[starts[lapses]])
        event_t.append(expires[lapses] + 1)
        event_rows.append(starts[lapses])
    if not event_t:
        return codes[:0], timeline.t[:0], timeline.positions[:0]
    return np.concatenate(event_codes), np.concatenate(event_t), np.concatenate(event_rows)


def _merge_order(
    timeline: Timeline, codes: np.ndarray, event_t: np.ndarray, event_rows: np.ndarray
) -> np.ndarray | None:
    """``np.lexsort((is_event, t, codes))`` of rows then events, by merging (no sort).

    Rows are already in (patient, instant) order, so each row keeps its place and only
    the (few) events are sorted, stably, by ``Timeline._key`` (the row's key moved by
    the same microseconds); rows come first at equal instants, as in the lexsort.
    ``None`` when the merge cannot stand for the lexsort (no keys, an event beyond the
    keys' gap between patients, codes not ascending): callers sort.
    """
    key = timeline._key()
    if key is None or not len(codes) or (codes[1:] < codes[:-1]).any():
        return None
    ahead = event_t - timeline.t[event_rows]
    if ahead.min() < 0 or ahead.max() >= _PATIENT_GAP:
        return None
    event_key = key[event_rows] + ahead
    by_key = np.argsort(event_key, kind="stable")
    event_key = event_key[by_key]
    n = timeline.n
    order = np.empty(n + len(event_key), dtype=np.int64)
    order[timeline.positions + np.searchsorted(event_key, key, side="left")] = timeline.positions
    events_at = np.arange(len(event_key)) + np.searchsorted(key, event_key, side="right")
    order[events_at] = n + by_key
    return order


def _state(
    timeline: Timeline, documented: dict, positive: dict, dose: dict
) -> dict[str, np.ndarray]:
    """Running agents, ne_eq and the high-dose state at each event of ``timeline``."""
    window = WINDOWS["vasopressor"]
    n = timeline.n
    running: dict[str, np.ndarray] = {}
    used: dict[str, np.ndarray] = {}
    for agent in AGENTS:
        source = timeline.last_documented(documented[agent.name], window)
        on = (source >= 0) & (
            take(positive[agent.name].astype("float64", copy=False), source) == 1.0
        )
        running[agent.name] = on
        used[agent.name] = np.where(on, take(dose[agent.name], source), np.nan)
    n_running = np.zeros(n, dtype=np.int64)
    ne_eq = np.zeros(n)
    for agent in AGENTS:
        n_running += running[agent.name]
        if agent.in_ne_equivalent:
            # An unknown dose of a running agent makes the sum unknown (NaN propagates).
            ne_eq = ne_eq + np.where(
                running[agent.name], agent.vasst_weight * used[agent.name], 0.0
            )
    # Rounded so that sums landing on a Table 3 threshold compare as exactly equal.
    ne_eq = np.where(n_running > 0, np.round(ne_eq, 9), np.nan)
    on_vasopressin = running["vasopressin"]
    with np.errstate(invalid="ignore"):
        monotherapy = np.zeros(n, dtype=bool)
        for agent_name, threshold in _MONOTHERAPY.items():
            monotherapy |= running[agent_name] & (used[agent_name] >= threshold)
        monotherapy &= n_running == 1
        combination = n_running >= 2
        high = (
            monotherapy
            | (combination & on_vasopressin & (ne_eq >= WITH_VASOPRESSIN_NE_EQ))
            | (combination & ~on_vasopressin & (ne_eq >= COMBINATION_NE_EQ))
        )
    dose_unknown = np.zeros(n, dtype=bool)
    for agent in AGENTS:
        dose_unknown |= running[agent.name] & np.isnan(used[agent.name])
    # Start of the current continuous high-dose run: the latest event that is high dose
    # and follows a non-high-dose event (or is the patient's first event).
    begins = high & (timeline.first | ~np.concatenate(([False], high[:-1])))
    run_start = (
        np.maximum.accumulate(np.where(begins, timeline.positions, -1)) if n else timeline.positions
    )
    held_us = np.where(high, timeline.t - timeline.t[np.maximum(run_start, 0)], 0)
    return {
        "running": running,
        "dose": used,
        "n_vasopressors": n_running,
        "ne_eq_ug_min": ne_eq,
        "dose_unknown": dose_unknown,
        "high_dose_now": high,
        "held_us": held_us,
    }


def _events_state(
    timeline: Timeline, codes: np.ndarray, documented: dict, positive: dict, dose: dict
) -> dict:
    """``_state`` at the rows of ``timeline``, with carried-rate expiries as extra events."""
    event_codes, event_t, event_rows = _expiry_events(timeline, codes, documented, positive)
    if not len(event_t):
        return _state(timeline, documented, positive, dose)
    # Rows first at equal instants, so each row keeps its place among the events.
    all_codes = np.concatenate((codes, event_codes))
    all_t = np.concatenate((timeline.t, event_t))
    is_event = np.concatenate((np.zeros(timeline.n, bool), np.ones(len(event_t), bool)))
    order = _merge_order(timeline, codes, event_t, event_rows)
    if order is None:
        order = np.lexsort((is_event, all_t, all_codes))
    events = Timeline(all_codes[order], all_t[order].view("datetime64[us]"))
    pad = np.zeros(len(event_t), dtype=bool)
    nan = np.full(len(event_t), np.nan)
    state = _state(
        events,
        {k: np.concatenate((v, pad))[order] for k, v in documented.items()},
        {k: np.concatenate((v, pad))[order] for k, v in positive.items()},
        {k: np.concatenate((v, nan))[order] for k, v in dose.items()},
    )
    rows = np.flatnonzero(~is_event[order])
    return {
        k: ({a: x[rows] for a, x in v.items()} if isinstance(v, dict) else v[rows])
        for k, v in state.items()
    }


def _subset(values: dict, rows: np.ndarray) -> dict:
    return {k: v[rows] for k, v in values.items()}


def _scatter(state: dict, rows: np.ndarray, n: int) -> dict:
    """Spread a subset's state back to all ``n`` rows; other rows run no vasopressor."""
    full: dict = {}
    for key, value in state.items():
        if isinstance(value, dict):
            full[key] = {a: _scatter_one(x, rows, n) for a, x in value.items()}
        else:
            full[key] = _scatter_one(value, rows, n)
    return full


def _scatter_one(values: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.nan) if values.dtype.kind == "f" else np.zeros(n, dtype=values.dtype)
    out[rows] = values
    return out


def vasopressor_state(frame: pd.DataFrame, timeline: Timeline, codes: np.ndarray) -> dict:
    """Spec §3.2 at each row of ``frame`` (sorted by patient, instant, as ``timeline``).

    Returns ``n_vasopressors``, ``ne_eq_ug_min``, ``dose_unknown``, ``high_dose_now``,
    ``high_dose_hours``, ``vasopressors`` (running agents, ``;``, as codes into a table
    of the 32 possible texts: ``(codes, table)``) and ``grade`` (0, 2 or 3) at every
    row; per-agent ``running`` and ``dose`` (dicts of arrays) only at the rows
    ``agent_rows`` (ascending; ``None`` = every row): the others run no vasopressor.
    Read them at given rows with :func:`agent_values`.
    """
    documented, positive, dose = _recorded_rates(frame)
    n = timeline.n
    # Only patients with a documented rate above 0 can have a vasopressor running; the
    # others (most of a ward) skip the event arithmetic.
    any_rate = np.zeros(n, dtype=bool)
    for agent in AGENTS:
        any_rate |= documented[agent.name] & positive[agent.name]
    last = np.maximum.accumulate(np.where(any_rate, timeline.positions, -1)) if n else any_rate
    treated = np.flatnonzero(last[timeline.end] >= timeline.start) if n else timeline.positions
    if len(treated) == n:
        state = _events_state(timeline, codes, documented, positive, dose)
        state["vasopressors"] = (running_code(state["running"]), _RUNNING_NAMES)
        state["agent_rows"] = None
    else:
        sub = Timeline(codes[treated], timeline.t[treated].view("datetime64[us]"))
        state = _events_state(
            sub,
            codes[treated],
            _subset(documented, treated),
            _subset(positive, treated),
            _subset(dose, treated),
        )
        # Per-agent values stay at the treated rows (explanations read a few of them).
        per_agent = {key: state.pop(key) for key in ("running", "dose")}
        state["vasopressors"] = running_code(per_agent["running"])
        state = _scatter(state, treated, n)
        state["vasopressors"] = (state["vasopressors"], _RUNNING_NAMES)
        state |= per_agent
        state["agent_rows"] = treated
    held_us = state.pop("held_us")
    state["high_dose_hours"] = held_us / _US_HOUR
    sustained = state["high_dose_now"] & (held_us >= SUSTAINED / pd.Timedelta(microseconds=1))
    state["high_dose_sustained"] = sustained
    n_running = state["n_vasopressors"]
    state["grade"] = np.select([(n_running >= 2) | sustained, n_running == 1], [3, 2], 0)
    return state


def agent_values(state: dict, kind: str, agent: str, rows: np.ndarray) -> np.ndarray:
    """``running`` or ``dose`` of one agent at ``rows`` of ``vasopressor_state``'s frame.

    Rows outside ``agent_rows`` run no vasopressor: not running, dose NaN.
    """
    values = state[kind][agent]
    kept = state["agent_rows"]
    if kept is None:
        return values[rows]
    out = np.full(len(rows), np.nan) if values.dtype.kind == "f" else np.zeros(len(rows), bool)
    if len(kept):
        at = np.minimum(np.searchsorted(kept, rows), len(kept) - 1)
        found = kept[at] == rows
        out[found] = values[at[found]]
    return out


def running_code(running: dict[str, np.ndarray]) -> np.ndarray:
    """Bit pattern of the running agents (bit ``i`` = ``AGENTS[i]``), 0 … 31."""
    code = np.zeros(len(next(iter(running.values()))), dtype=np.int64)
    for bit, agent in enumerate(AGENTS):
        code |= running[agent.name].astype(np.int64, copy=False) << bit
    return code


def running_names(running: dict[str, np.ndarray]) -> np.ndarray:
    """``;``-joined names of running agents, via a lookup of the 32 possible combinations."""
    return _RUNNING_NAMES[running_code(running)]


_RUNNING_NAMES = np.array(
    [";".join(a.name for b, a in enumerate(AGENTS) if combo >> b & 1) for combo in range(32)],
    dtype=object,
)
