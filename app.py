"""Home: load the ward (uploaded exports or the sample ward) and its data-quality report.

Start with ``streamlit run app.py`` (``make run`` adds ``-- --sample`` to open on the
bundled sample ward). Everything runs on this machine; nothing is sent anywhere.
"""

from __future__ import annotations

import streamlit as st

from crs.errors import UnusableExportError
from crs.safe_csv import to_csv_bytes
from crs.upload_kind import classify_upload
from ui.guard import page_guard
from ui.session import Upload, Ward, load_ward, set_ward
from ui.setup import open_sample_ward, setup_page

ROLE_TIMESERIES = "Time series (one row per patient and time)"
ROLE_PATIENTS = "Patients table (one row per patient)"


def grade_uploads(
    files: list[Upload], roles: dict[str, str], patient_id: str | None
) -> Ward | None:
    """The upload handler: read and grade the uploaded files with a progress indicator.

    ``roles`` maps a file name to ROLE_TIMESERIES or ROLE_PATIENTS. Shows the reader's
    one clear message (st.error) for an unusable file and returns None; the session's
    previous ward is then left as it was.
    """
    limit_mb = int(st.get_option("server.maxUploadSize"))
    too_big = [f for f in files if len(f.data) > limit_mb * 1024 * 1024]
    if too_big:
        # The browser refuses bigger files; this also covers any other way bytes arrive.
        st.error(
            "; ".join(
                f"{f.name} is {len(f.data) / 1024 / 1024:.1f} MB, more than the {limit_mb} MB "
                "this dashboard accepts (server.maxUploadSize)"
                for f in too_big
            )
            + ". Split the export, or ask the team to raise the limit."
        )
        return None
    exports = [f for f in files if roles.get(f.name) != ROLE_PATIENTS]
    patients = [f for f in files if roles.get(f.name) == ROLE_PATIENTS]
    if len(patients) > 1:
        st.error("Mark only one file as the patients table.")
        return None
    if not exports:
        st.error("Every file is marked as a patients table; a time-series export is needed too.")
        return None
    problem: str | None = None
    with st.status("Reading and grading …", expanded=False) as status:
        bar = st.progress(0.0)
        try:
            ward = load_ward(
                exports,
                patients[0] if patients else None,
                patient_id=patient_id,
                progress=lambda fraction, text: bar.progress(fraction, text=text),
            )
        except UnusableExportError as error:
            problem = str(error)
            status.update(label="The upload could not be used", state="error")
        else:
            status.update(label="Read and graded", state="complete")
    if problem is not None:
        # Outside the (collapsed) status box, so the message is seen at once.
        st.error(problem)
        return None
    set_ward(ward)
    return ward


def show_quality(ward: Ward) -> None:
    """Data-quality report: balanced counts per file, sortable problems, CSV download."""
    st.subheader("Data quality")
    for report in ward.reports:
        summary = report.summary()
        columns = st.columns(4)
        columns[0].metric("Rows read", summary.get("rows_read", report.rows_read))
        columns[1].metric("Rows graded", report.rows_graded)
        columns[2].metric("Rows merged (same instant)", report.rows_merged)
        columns[3].metric("Rows not graded", report.rows_not_graded)
        balance = (
            f"{report.rows_read} read = {report.rows_graded} graded + {report.rows_merged} "
            f"merged + {report.rows_not_graded} not graded"
        )
        if report.balanced:
            st.caption(f"{report.source}: the counts balance ({balance}).")
        else:
            st.warning(f"{report.source}: the counts do not balance ({balance}).")
        if report.unknown_columns:
            st.caption(
                "Columns not used for grading (not recognised): "
                + ", ".join(str(c) for c in report.unknown_columns)
            )
        if report.conversions:
            st.caption("Conversions: " + "; ".join(report.conversions))
    problems = ward.problems()
    if problems.empty:
        st.success("No problems found in the uploaded data.")
        return
    st.write(f"{len(problems)} problems (click a column header to sort):")
    st.dataframe(problems, hide_index=True, key="problems_table")
    st.download_button(
        "Download the problems as CSV",
        data=to_csv_bytes(problems),
        file_name="crs_data_quality.csv",
        mime="text/csv",
    )


ward = setup_page("CRS ward dashboard", needs_data=False)

with page_guard("Home"):
    st.markdown(
        "Upload one or more CSV exports of the electronic record (one row per patient and "
        "time point), optionally with a patients table (one row per patient: age, weight, "
        "infusion time, baseline blood pressure, therapy). Files stay on this machine."
    )
    uploaded = st.file_uploader(
        "CSV exports", type=["csv", "tsv", "txt"], accept_multiple_files=True, key="uploads"
    )
    files = [Upload(f.name, f.getvalue()) for f in uploaded or []]
    roles: dict[str, str] = {}
    patient_id: str | None = None
    if files:
        st.write("What is each file?")
        for number, upload in enumerate(files):
            kind = classify_upload(upload.data)
            roles[upload.name] = st.radio(
                upload.name,
                [ROLE_TIMESERIES, ROLE_PATIENTS],
                index=1 if kind.kind == "patients" else 0,
                horizontal=True,
                key=f"role_{number}_{upload.name}",
            )
            if roles[upload.name] == ROLE_TIMESERIES and not kind.has_patient_column:
                # grading.md §1: a one-patient file without a patient column is accepted
                # only if the user names the patient.
                patient_id = (
                    st.text_input(
                        f"{upload.name} has no patient column. If it holds one patient, "
                        "name the patient to grade it:",
                        key=f"patient_name_{number}",
                    ).strip()
                    or None
                )
        if st.button("Read and grade", type="primary"):
            new_ward = grade_uploads(files, roles, patient_id)
            if new_ward is not None:
                ward = new_ward

    st.write("Or try the dashboard on made-up patients:")
    if st.button("Open the sample ward"):
        ward = open_sample_ward() or ward

if ward is not None:
    with page_guard("the loaded ward"):
        st.divider()
        n_patients = ward.graded["patient_id"].nunique()
        st.success(
            f"Loaded {n_patients} patients, {len(ward.graded)} graded time points from "
            + ", ".join(ward.sources)
            + "."
        )
        st.page_link("pages/1_Ward_round.py", label="Open the ward round", icon="📋")
        show_quality(ward)
