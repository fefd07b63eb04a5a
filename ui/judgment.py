"""Clinical judgment in the ward store: attribution ("not CRS", grading.md §5), archiving,
and the audit log, as Streamlit forms (docs/architecture.md §7).

The paper grades findings, not their cause: a fever from line sepsis is not CRS, and only
a clinician can say so. Each form records who decided (and a reason where the store asks
for one), writes through the ward store in one transaction, and reruns the page so the
grade, the chart and the tables show the re-graded patient. Nothing is ever deleted: an
attribution is withdrawn (who, when, why) and the audit log keeps it.

Who decided: on the workstation the name typed into the form; with sign-in (ui.auth) the
signed-in person, with no name box, and a form their role does not allow is not shown.
The store itself refuses such a change (crs.store.access), whatever the page shows.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from crs.errors import UnusableExportError
from crs.read import instant_to_day
from crs.scales import ATTRIBUTION_CODES, criterion_label
from crs.store import ACTION_ROLES, Identity, StoreFailure
from ui.auth import current_identity
from ui.store import audit_table, flash, store_message, ward_store
from ui.tables import data_table
from ui.text import md, md_escape, plain

#: Default attribution span around the chosen time point: a shift either side, wide
#: enough to cover the finding's carry-forward window (6–48 h, grading.md §2) in most
#: cases; the clinician narrows or widens it.
DEFAULT_SPAN = timedelta(hours=12)
DEFAULT_SPAN_DAYS = 0.5


def _missing(fields: dict[str, str]) -> list[str]:
    return [name for name, value in fields.items() if not value.strip()]


def _required_message(missing: list[str]) -> str:
    return (
        " and ".join(missing).capitalize()
        + (" is" if len(missing) == 1 else " are")
        + " required: the audit log records who decided and why."
    )


def _actor(name: str) -> Identity | str:
    """Who makes a change: the signed-in person, else the name typed on the workstation."""
    identity = current_identity()
    return identity if identity is not None else name.strip()


def _who(actor: Identity | str) -> str:
    return actor.email or actor.subject if isinstance(actor, Identity) else actor


def _name_input(label: str, key: str) -> str:
    """The name box of the workstation; none when someone is signed in."""
    return "" if current_identity() is not None else st.text_input(md_escape(label), key=key)


def _role_note(action: str, what: str) -> bool:
    """True (after a one-line note) when the signed-in person's role does not allow it."""
    identity = current_identity()
    if identity is None or identity.may(action):
        return False
    st.caption(
        md(
            "{} needs the {} role; you are signed in as {}.",
            what,
            ACTION_ROLES[action],
            identity.role,
        )
    )
    return True


def archive_controls(patient_id: str, *, archived: bool, key: str) -> None:
    """Archive a discharged patient (or bring one back), recording who did it."""
    action = "restore" if archived else "archive"
    what = "Bringing an archived patient back" if archived else "Archiving a patient"
    if _role_note(action, what):
        return
    name = _name_input("Your name (recorded in the audit log)", key=f"archive_author_{key}")
    reason = st.text_input("Reason (optional, e.g. discharged home)", key=f"archive_reason_{key}")
    if not st.button(
        "Bring back to the ward round" if archived else "Archive (discharged)",
        key=f"archive_button_{key}",
    ):
        return
    try:
        actor = _actor(name)
        if not actor:
            st.error(md_escape(_required_message(["your name"])))
            return
        store = ward_store()
        if archived:
            store.restore(patient_id, actor, reason.strip())
        else:
            store.archive(patient_id, actor, reason.strip())
    except (UnusableExportError, StoreFailure) as error:
        st.error(md_escape(store_message(error)))
        return
    flash(
        f"Patient {patient_id} "
        + ("is back on the ward round" if archived else "archived (left out of the ward round)")
        + f", by {_who(actor)}."
    )
    st.rerun()


def when_text(instants: pd.Series, axis: str) -> pd.Series:
    """Attribution bounds as the clinician entered them: 'day 2.50' or a date-time."""
    if axis == "day":
        days = instant_to_day(instants.astype("datetime64[us]"))
        text = "day " + days.map("{:.2f}".format)
    else:
        text = instants.dt.strftime("%Y-%m-%d %H:%M")
    return text.where(instants.notna(), "open (still in effect)")


def attributions_table(frame: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Every attribution of a patient, active or withdrawn, in plain words."""
    withdrawn = frame["withdrawn_at"].notna()
    withdrawn_at = pd.to_datetime(frame["withdrawn_at"], utc=True).dt.strftime("%Y-%m-%d %H:%M")
    status = (
        "withdrawn "
        + withdrawn_at.fillna("")
        + " by "
        + frame["withdrawn_by"].fillna("").astype("str")
        + ": "
        + frame["withdraw_reason"].fillna("").astype("str")
    )
    return pd.DataFrame(
        {
            "No.": frame["attribution_id"].astype("int64"),
            "Finding not CRS": frame["criterion"].map(criterion_label),
            "From": when_text(frame["start"], axis),
            "To": when_text(frame["end"], axis),
            "Other cause (reason)": frame["reason"].astype("str"),
            "By": frame["author"].astype("str"),
            "Recorded (UTC)": pd.to_datetime(frame["created_at"], utc=True).dt.strftime(
                "%Y-%m-%d %H:%M"
            ),
            "Status": status.where(withdrawn, "in effect"),
        }
    )


def _bounds_inputs(row: pd.Series, axis: str, key: str) -> tuple[object, object]:
    """From/To inputs on the patient's own axis, defaulting to the chosen time point ± span."""
    left, right = st.columns(2)
    if axis == "day":
        day = float(row["day"]) if pd.notna(row.get("day")) else 0.0
        start = left.number_input(
            "From day (since infusion)",
            value=round(day - DEFAULT_SPAN_DAYS, 2),
            step=0.25,
            format="%.2f",
            key=f"attr_start_{key}",
        )
        end = right.number_input(
            "To day (since infusion)",
            value=round(day + DEFAULT_SPAN_DAYS, 2),
            step=0.25,
            format="%.2f",
            key=f"attr_end_{key}",
        )
        return float(start), float(end)
    at = row.get("time")
    if at is None or pd.isna(at):
        at = row["instant"]
    at = pd.Timestamp(at).to_pydatetime().replace(second=0, microsecond=0)
    start = left.datetime_input("From", value=at - DEFAULT_SPAN, key=f"attr_start_{key}")
    end = right.datetime_input("To", value=at + DEFAULT_SPAN, key=f"attr_end_{key}")
    return start, end


def record_attribution(
    patient_id: str, criterion: str, start: object, end: object, reason: str, name: str = ""
) -> tuple[int, str]:
    """Store an attribution by the signed-in person (or ``name`` on the workstation).

    Returns (attribution id, who). Raises crs.store.access.AccessDenied when the signed-in
    role may not attribute, StoreError for a request the store refuses.
    """
    actor = _actor(name)
    number = ward_store().attribute(patient_id, criterion, start, end, reason.strip(), actor)
    return number, _who(actor)


def attribution_form(patient_id: str, row: pd.Series, axis: str, key: str) -> None:
    """Mark a finding as not CRS for this patient over a time range (grading.md §5)."""
    if _role_note("attribute", "Marking a finding as not CRS"):
        return
    # The Lee drivers first, then the ICANS domains (astct.md §4: attributable too).
    found = f"{row.get('drivers') or ''};{row.get('icans_drivers') or ''}"
    drivers = [code for code in found.split(";") if code in ATTRIBUTION_CODES]
    with st.form(key=f"attribute_{key}", border=True):
        st.markdown(
            "**Mark a finding as not CRS** (another cause, by clinical judgment). Grading "
            "then ignores that finding in the time range; nothing is deleted."
        )
        criterion = st.selectbox(
            "Finding",
            ATTRIBUTION_CODES,
            index=ATTRIBUTION_CODES.index(drivers[0]) if drivers else 0,
            format_func=criterion_label,
            key=f"attr_criterion_{key}",
        )
        start, end = _bounds_inputs(row, axis, key)
        reason = st.text_area(
            "Other cause (reason)",
            placeholder="e.g. central line infection, blood cultures positive",
            key=f"attr_reason_{key}",
        )
        author = _name_input("Your name", key=f"attr_author_{key}")
        submitted = st.form_submit_button("Mark as not CRS")
    if not submitted:
        return
    required = {"a reason": reason}
    if current_identity() is None:
        required["your name"] = author
    missing = _missing(required)
    if missing:
        st.error(md_escape(_required_message(missing)))
        return
    if start is None or end is None:
        st.error("Enter both ends of the time range.")
        return
    try:
        number, who = record_attribution(patient_id, criterion, start, end, reason, author)
    except (UnusableExportError, StoreFailure) as error:
        st.error(md_escape(store_message(error)))
        return
    flash(
        f"Attribution {number}: {criterion_label(criterion).lower()} marked as not CRS for "
        f"{patient_id} by {who}. The grade below is recomputed without it."
    )
    st.rerun()


def withdraw_form(active: pd.DataFrame, axis: str) -> None:
    """Withdraw an attribution in effect: the finding counts as CRS again (audited).

    A signed-in clinician is offered only their own attributions, an admin everyone's.
    """
    if _role_note("withdraw_own", "Withdrawing an attribution"):
        return
    identity = current_identity()
    if identity is not None and not identity.may("withdraw_any"):
        active = active[active["author"] == identity.author]
        if active.empty:
            st.caption("You have no attribution in effect here to withdraw.")
            return
    table = attributions_table(active, axis)
    labels = {
        int(number): f"No. {number}: {finding}, {start} to {end} (by {by})"
        for number, finding, start, end, by in zip(
            table["No."],
            table["Finding not CRS"],
            table["From"],
            table["To"],
            table["By"],
            strict=True,
        )
    }
    with st.form(key="withdraw_attribution", border=True):
        st.markdown("**Withdraw an attribution** (the finding counts as CRS again)")
        number = st.selectbox(
            "Attribution",
            list(labels),
            format_func=lambda choice: plain(labels[choice]),
            key="withdraw_choice",
        )
        reason = st.text_input("Why it is withdrawn", key="withdraw_reason")
        author = _name_input("Your name", key="withdraw_author")
        submitted = st.form_submit_button("Withdraw attribution")
    if not submitted:
        return
    required = {"a reason": reason}
    if identity is None:
        required["your name"] = author
    missing = _missing(required)
    if missing:
        st.error(md_escape(_required_message(missing)))
        return
    try:
        actor = _actor(author)
        ward_store().withdraw(int(number), actor, reason.strip())
    except (UnusableExportError, StoreFailure) as error:
        st.error(md_escape(store_message(error)))
        return
    flash(f"Attribution {number} withdrawn by {_who(actor)}; the grade is recomputed.")
    st.rerun()


def audit_panel(patient_id: str) -> None:
    """The patient's audit log (who, when, what, why) and its formula-safe CSV."""
    audit = ward_store().audit_log(patient_id)
    if audit.empty:
        st.write("Nothing recorded for this patient yet.")
        return
    data_table(
        audit_table(audit),
        key="audit_log",
        csv_frame=audit,
        file_name="crs_audit_log.csv",
        download_label="Download the audit log as CSV",
        hide_index=True,
    )
