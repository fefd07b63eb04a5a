"""Home: add exports to the ward store, see each import's data-quality report, or open
the sample ward.

The ward store (docs/architecture.md §7) keeps every upload, merged by patient and time
point; the ward round shows every patient in it. Everything runs on this machine;
nothing is sent anywhere.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from crs.errors import UnusableExportError
from crs.read import (
    READING_VERSION,
    ColumnMapping,
    classify_upload,
    missing_domains,
    missing_warning,
)
from crs.store import Identity, StoreFailure
from crs.views import with_patients
from ui.auth import current_identity
from ui.guard import page_guard
from ui.mapping import inspect_upload, mapping_step, remembered
from ui.session import Upload, Ward, problems_of, set_ward
from ui.setup import open_sample_ward, setup_page
from ui.store import ImportShown, reading_marks_warning, store_message, upload_key, ward_store
from ui.tables import data_table
from ui.text import md, md_escape, plain

ROLE_TIMESERIES = "Time series (one row per patient and time)"
ROLE_PATIENTS = "Patients table (one row per patient)"
LAST_IMPORT_KEY = "crs_last_import"

#: The data model in one sentence (the issue asks the home page to say it).
WARD_MODEL = (
    "Every export you upload is merged into the ward store and kept there (a blank cell "
    "never erases a stored value, the same file twice changes nothing); the ward round "
    "shows every patient in the store. The sample ward is made-up data shown only in "
    "your browser session, never saved in the store."
)


def record_refusal(names: list[str], reason: str, author: str | None) -> None:
    """The audit log records every import attempt, a file refused at reading included
    (issue #18); a store that cannot record it does not hide the reason shown."""
    try:
        store = ward_store()
        for name in names:
            store.refused_import(name, reason, author=author)
    except (UnusableExportError, StoreFailure):
        pass


def read_uploads(
    files: list[Upload],
    roles: dict[str, str],
    patient_id: str | None,
    author: str | None,
    mapping: ColumnMapping | None = None,
) -> tuple[list[tuple[Upload, object]], Upload | None] | None:
    """Read every time-series upload (crs.read.reader.read_export) before storing anything,
    with the confirmed column mapping.

    Returns the (upload, Export) pairs and the patients table, or None after showing
    one clear message (st.error): nothing is imported when any file is unusable.
    """
    from crs.read import read_export

    limit_mb = int(st.get_option("server.maxUploadSize"))
    too_big = [f for f in files if len(f.data) > limit_mb * 1024 * 1024]
    if too_big:
        # The browser refuses bigger files; this also covers any other way bytes arrive.
        message = "; ".join(
            f"{f.name} is {len(f.data) / 1024 / 1024:.1f} MB, more than the "
            f"{limit_mb} MB this dashboard accepts (server.maxUploadSize)"
            for f in too_big
        )
        st.error(md_escape(message) + ". Split the export, or ask the team to raise the limit.")
        record_refusal([f.name for f in too_big], message, author)
        return None
    exports = [f for f in files if roles.get(f.name) != ROLE_PATIENTS]
    patients = [f for f in files if roles.get(f.name) == ROLE_PATIENTS]
    if len(patients) > 1:
        st.error("Mark only one file as the patients table.")
        return None
    if not exports:
        st.error("Every file is marked as a patients table; a time-series export is needed too.")
        return None
    table = patients[0] if patients else None
    problem: str | None = None
    read: list[tuple[Upload, object]] = []
    with st.status("Reading …", expanded=False) as status:
        bar = st.progress(0.0)
        try:
            for number, upload in enumerate(exports):
                bar.progress(number / len(exports), text=md("Reading {} …", upload.name))
                export = read_export(
                    upload.data,
                    patients=table.data if table is not None else None,
                    patient_id=patient_id,
                    name=upload.name,
                    mapping=mapping,
                )
                read.append((upload, export))
        except UnusableExportError as error:
            problem = str(error)
            status.update(label="The upload could not be used", state="error")
        else:
            status.update(label="Read", state="complete")
    if problem is not None:
        # Outside the (collapsed) status box, so the message is seen at once.
        st.error(md_escape(problem))
        record_refusal([upload.name], problem, author)
        return None
    return read, table


def import_uploads(
    files: list[Upload],
    roles: dict[str, str],
    patient_id: str | None,
    author: Identity | str | None,
    mapping: ColumnMapping | None = None,
) -> ImportShown | None:
    """The upload handler: read every file, then merge each into the ward store.

    Each file is one import (one transaction): a file the store refuses (e.g. a patient
    recorded on another time axis) changes nothing, and the message says which. The
    author is the signed-in person (the store checks the admin role) or the typed name.
    The confirmed column mapping is remembered in the store once the files are in.
    """
    read = read_uploads(files, roles, patient_id, author, mapping)
    if read is None:
        return None
    exports, table = read
    store = ward_store()
    summaries, reports, patients, points, names = [], [], set(), 0, []
    with st.status("Adding to the ward store …", expanded=False) as status:
        try:
            for upload, export in exports:
                result = store.import_export(
                    export,
                    file_name=upload.name,
                    sha256=upload_key(upload.data, patient_id, mapping),
                    patients_sha256=upload_key(table.data) if table is not None else None,
                    author=author,
                )
                summaries.append(result.summary())
                reports.append(export.report)
                patients.update(export.frame["patient_id"].astype("str").unique().tolist())
                points += len(export.frame)
                names.append(upload.name)
        except (UnusableExportError, StoreFailure) as error:
            problem = store_message(error)
            status.update(label="Not all files were added", state="error")
        else:
            problem = None
            status.update(label="Read, graded and stored", state="complete")
    if problem is not None:
        done = f" Already added: {', '.join(names)}." if names else " Nothing was added."
        st.error(md_escape(problem + done))
        if names:
            set_ward(None)  # what was added is in the store: show the store's ward
        return None
    if mapping:
        try:
            store.save_column_mapping(mapping, author=author)
        except (UnusableExportError, StoreFailure) as error:
            st.warning(md_escape("The column mapping was not remembered: " + store_message(error)))
    if table is not None:
        names.append(f"{table.name} (patients table)")
    warning = missing_warning(missing_domains(export.frame for _, export in exports))
    shown = ImportShown(summaries, reports, len(patients), points, names, warning)
    st.session_state[LAST_IMPORT_KEY] = shown
    # The ward shown from now on is the store's (not the sample ward of this session).
    set_ward(None)
    return shown


def show_reports(reports: list, problems: pd.DataFrame, *, key: str) -> None:
    """Data-quality reports: balanced counts per file, sortable problems, CSV download."""
    for report in reports:
        columns = st.columns(4)
        columns[0].metric("Rows read", int(report.rows_read))
        columns[1].metric("Rows graded", int(report.rows_graded))
        columns[2].metric("Rows merged (same instant)", int(report.rows_merged))
        columns[3].metric("Rows not graded", int(report.rows_not_graded))
        balance = (
            f"{report.rows_read} read = {report.rows_graded} graded + {report.rows_merged} "
            f"merged + {report.rows_not_graded} not graded"
        )
        if report.balanced:
            st.caption(md_escape(f"{report.source}: the counts balance ({balance})."))
        else:
            st.warning(md_escape(f"{report.source}: the counts do not balance ({balance})."))
        if getattr(report, "mapping", None):
            st.caption("Column mapping used: " + md_escape("; ".join(report.mapping)) + ".")
        if getattr(report, "not_graded_columns", None):
            st.caption(
                "Recognised, not used by the grade: "
                + md_escape("; ".join(report.not_graded_columns))
            )
        if report.unknown_columns:
            st.caption(
                "Columns not used for grading (not recognised): "
                + md_escape(", ".join(str(c) for c in report.unknown_columns))
            )
        if report.conversions:
            st.caption("Conversions: " + md_escape("; ".join(report.conversions)))
    if problems.empty:
        st.success("No problems found in the data.")
        return
    st.write(f"{len(problems)} problems (click a column header to sort):")
    data_table(
        problems,
        key=f"problems_{key}",
        file_name="crs_data_quality.csv",
        download_label="Download the problems as CSV",
        hide_index=True,
    )


def show_imports() -> None:
    """Every import with its counts; pick one to see its stored data-quality report."""
    store = ward_store()
    imports = store.imports()
    st.subheader("Imports in the ward store")
    if imports.empty:
        st.write("Nothing imported yet.")
        return
    table = pd.DataFrame(
        {
            "Import": imports["id"],
            "File": imports["file_name"].astype("str"),
            "Imported (UTC)": imports["imported_at"].dt.strftime("%Y-%m-%d %H:%M"),
            "By": imports["author"].fillna("").astype("str"),
            # Which reading of units and limits read the file (crs.store.marks).
            "Reading rules": imports["reading_version"].map(
                lambda v: f"{'today' if v == READING_VERSION else 'earlier'} (version {v})"
            ),
            "Rows read": imports["rows_read"],
            "Rows graded": imports["rows_graded"],
            "New patients": imports["patients_added"],
            "New time points": imports["points_added"],
            "New values": imports["values_added"],
            "Changed values": imports["values_changed"],
        }
    ).iloc[::-1]
    data_table(
        table,
        key="imports_table",
        file_name="crs_imports.csv",
        download_label="Download the list of imports as CSV",
        hide_index=True,
    )
    labels = dict(zip(table["Import"], table["File"], strict=True))
    chosen = st.selectbox(
        "Data-quality report of import",
        list(labels),
        format_func=lambda i: plain(f"{i} — {labels[i]}"),
        # A new import opens on its own report (the key follows the latest import).
        key=f"import_report_choice_{table['Import'].iloc[0]}",
    )
    report = store.import_report(int(chosen)) if chosen is not None else None
    if report is None:
        st.write("No report was stored with this import.")
        return
    # Not the upload's "<file>: the counts balance" sentence: this is the stored copy.
    state = "balance" if report.balanced else "do NOT balance"
    st.caption(
        md_escape(
            f"Import {chosen} ({report.source}): {report.rows_read} read = "
            f"{report.rows_graded} graded + {report.rows_merged} merged + "
            f"{report.rows_not_graded} not graded; the counts {state}."
        )
    )
    problems = problems_of([report])
    if problems.empty:
        st.write("No problems were found in this file.")
        return
    data_table(
        problems,
        key="import_problems",
        file_name=f"crs_data_quality_import_{chosen}.csv",
        download_label=f"Download the problems of import {chosen} as CSV",
        hide_index=True,
    )


def upload_step(files: list[Upload], signed_in: Identity | None) -> None:
    """What each file is, the patient of a one-patient file, the column mapping, the
    author, then "Read and grade" (enabled once the mapping is confirmed).

    A file that is not a table (a picture saved as .csv, a web page) is said at once,
    before anything is asked about it; "Read and grade" then records the refused
    attempt in the audit log under the person's name, as for any refused file.
    """
    unusable: list[str] = []
    columns = []
    for upload in files:
        try:
            columns.extend(inspect_upload(upload.data, upload.name))
        except UnusableExportError as error:
            unusable.append(str(error))
    notice = st.empty()
    if unusable:
        with notice.container():
            for reason in unusable:
                st.error(md_escape(reason))
    roles: dict[str, str] = {}
    patient_id: str | None = None
    if not unusable:
        st.write("What is each file?")
        for number, upload in enumerate(files):
            kind = classify_upload(upload.data)
            roles[upload.name] = st.radio(
                md_escape(upload.name),  # a file name is untrusted text, not markup
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
                        f"{md_escape(upload.name)} has no patient column. If it holds one "
                        "patient, name the patient to grade it:",
                        key=f"patient_name_{number}",
                    ).strip()
                    or None
                )
    step = mapping_step([] if unusable else columns, remembered())
    # Signed in: the import is recorded under that identity, no name box.
    author = signed_in or (
        st.text_input(
            "Your name (optional; recorded with the import in the audit log)",
            key="import_author",
        ).strip()
        or None
    )
    if st.button(
        "Read and grade",
        type="primary",
        help="Adds the files to the ward store",
        disabled=not step.ready,
    ):
        notice.empty()  # the reader says it again, once, and the attempt is audited
        st.session_state.pop(LAST_IMPORT_KEY, None)
        if import_uploads(files, roles, patient_id, author, step.mapping) is not None:
            # Run the page again on the store's ward (the banner, the counts).
            st.rerun()


ward: Ward | None = setup_page("CRS ward dashboard", needs_data=False)

with page_guard("Home"):
    try:
        st.markdown("**Ward store:** " + md_escape(ward_store().describe()))
        # Values imported under an older reading of units are named, never graded silently.
        reading_marks_warning(ward_store())
    except (UnusableExportError, StoreFailure) as error:
        st.error(md_escape(store_message(error)))
    st.caption(WARD_MODEL)
    signed_in = current_identity()
    may_import = signed_in is None or signed_in.may("import")
    if may_import:
        st.markdown(
            "Upload one or more CSV (or Excel .xlsx) exports of the electronic record (one row per patient and "
            "time point), optionally with a patients table (one row per patient: age, weight, "
            "infusion time, baseline blood pressure, therapy). Files stay on this machine."
        )
    else:
        st.caption(
            md("Importing exports needs the admin role; you are signed in as {}.", signed_in.role)
        )
    uploaded = (
        st.file_uploader(
            "CSV exports",
            type=["csv", "tsv", "txt", "xlsx"],
            accept_multiple_files=True,
            key="uploads",
        )
        if may_import
        else None
    )
    files = [Upload(f.name, f.getvalue()) for f in uploaded or []]
    if files:
        upload_step(files, signed_in)

    shown = st.session_state.get(LAST_IMPORT_KEY)
    if isinstance(shown, ImportShown):
        if shown.warning:
            # Above the success message: a grading variable missing from the whole upload
            # is the first thing to read (issue #12).
            st.warning(md_escape(shown.warning))
        st.success(
            md_escape(
                f"Loaded {shown.patients} patients, {shown.points} graded time points from "
                + ", ".join(shown.files)
                + " into the ward store."
            )
        )
        st.caption("Read and graded; what each import changed in the ward store:")
        for summary in shown.summaries:
            st.caption(md_escape(summary))
        st.page_link("pages/1_Ward_round.py", label="Open the ward round", icon=":material/groups:")
        st.subheader("Data quality of this upload")
        show_reports(shown.reports, problems_of(shown.reports), key="upload")

    st.write("Or try the dashboard on made-up patients (not saved in the ward store):")
    if st.button("Open the sample ward"):
        st.session_state.pop(LAST_IMPORT_KEY, None)
        if open_sample_ward() is not None:
            st.rerun()  # every part of the page, banner first, now shows the sample ward

if ward is not None and ward.kind != "store":
    with page_guard("the loaded ward"):
        st.divider()
        n_patients = ward.graded["patient_id"].nunique()
        st.success(
            md_escape(
                f"Loaded {n_patients} patients, {len(ward.graded)} graded time points from "
                + ", ".join(ward.sources)
                + "."
            )
        )
        st.page_link("pages/1_Ward_round.py", label="Open the ward round", icon=":material/groups:")
        st.subheader("Data quality")
        # Each problem with the patient of its line (issue #15), where the line is a
        # graded row.
        show_reports(ward.reports, with_patients(ward.problems(), ward.graded), key="session")
elif ward is not None and not isinstance(st.session_state.get(LAST_IMPORT_KEY), ImportShown):
    with page_guard("the ward store"):
        st.divider()
        on_ward = ward.graded["patient_id"].nunique()
        st.success(md("The ward store holds {} patients on the ward.", on_ward))
        st.page_link("pages/1_Ward_round.py", label="Open the ward round", icon=":material/groups:")

with page_guard("the imports"):
    st.divider()
    show_imports()
