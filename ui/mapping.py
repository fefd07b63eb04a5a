"""The column-mapping step of the Home page's upload (issue #12; crs.read.mapping).

After upload and before grading, every column (or long-layout variable) the reader does
not recognise but that holds numbers is shown with a few of its values and a select box
of the dashboard's variables and units (or "not used"); a mapping remembered in the ward
store for that name is offered first. Nothing is graded until the person confirms the
mapping: the "Read and grade" button waits for it. A mapping whose unit the column's own
name contradicts is refused with one line, and not confirmed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from crs.errors import UnusableExportError
from crs.read import (
    ColumnMapping,
    MappingError,
    Unrecognised,
    choice_code,
    choices,
    from_choice,
    unrecognised_columns,
)
from crs.store import StoreFailure
from ui.text import md, md_escape, plain

#: Session key of the confirmed mapping: (signature of the columns shown, mapping).
CONFIRMED_KEY = "crs_confirmed_mapping"
#: The choices of every select box: code → words.
CHOICES: dict[str, str] = dict(choices())


@st.cache_data(show_spinner=False, max_entries=16)
def inspect_upload(data: bytes, name: str) -> list[Unrecognised]:
    """The upload's unrecognised clinical columns (cached on the bytes); raises
    UnusableExportError at once for a file that is not a table (a picture, a web page)."""
    return unrecognised_columns(data, name)


@dataclass(frozen=True)
class MappingStep:
    """What the step decided: the columns shown, and the confirmed mapping (None while
    the person has not confirmed it)."""

    columns: list[Unrecognised]
    mapping: ColumnMapping | None

    @property
    def ready(self) -> bool:
        return not self.columns or self.mapping is not None


def _signature(columns: list[Unrecognised]) -> str:
    text = "\n".join(f"{c.key}\t{c.long}" for c in columns)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def remembered() -> ColumnMapping:
    """The ward store's remembered mappings (empty when the store cannot be read: the
    page says why elsewhere)."""
    from ui.store import ward_store

    try:
        return ward_store().column_mapping()
    except (UnusableExportError, StoreFailure):
        return ColumnMapping()


def mapping_step(columns: list[Unrecognised], saved: ColumnMapping) -> MappingStep:
    """Show the mapping table (a form) for ``columns``; returns the step's state."""
    if not columns:
        return MappingStep(columns, ColumnMapping())
    signature = _signature(columns)
    codes = list(CHOICES)
    st.subheader("Columns to map before grading")
    st.write(
        "These columns hold numbers but their names are not ones the dashboard knows. "
        "Say what each one holds (with its unit), or choose 'not used' to leave it out. "
        "Nothing is graded until you confirm; your choices are remembered for the next export."
    )
    with st.form("column_mapping"):
        header = st.columns([3, 3, 4])
        header[0].markdown("**Column in the export**")
        header[1].markdown("**Values (first few)**")
        header[2].markdown("**Holds**")
        chosen: dict[str, str] = {}
        for number, column in enumerate(columns):
            row = st.columns([3, 3, 4])
            row[0].markdown(
                md("{}", column.raw) + (" (a variable of the long layout)" if column.long else "")
            )
            row[1].markdown(md_escape(", ".join(column.samples)) or "—")
            default = choice_code(saved.get(column.key))
            chosen[column.raw] = row[2].selectbox(
                md("What {} holds", column.raw),
                codes,
                index=codes.index(default) if default in codes else 0,
                format_func=lambda code: plain(CHOICES[code]),
                key=f"mapping_{signature[:12]}_{number}",
                label_visibility="collapsed",
            )
        confirmed = st.form_submit_button("Confirm the mapping")
    if confirmed:
        try:
            mapping = ColumnMapping(from_choice(raw, code) for raw, code in chosen.items())
        except MappingError as error:
            st.session_state.pop(CONFIRMED_KEY, None)
            st.error(md_escape(str(error)) + " Choose another variable or unit and confirm again.")
            return MappingStep(columns, None)
        st.session_state[CONFIRMED_KEY] = (signature, mapping)
    stored = st.session_state.get(CONFIRMED_KEY)
    if isinstance(stored, tuple) and stored[0] == signature:
        mapping = stored[1]
        st.caption(
            "Mapping confirmed: " + md_escape("; ".join(m.sentence() for m in mapping)) + "."
        )
        return MappingStep(columns, mapping)
    st.info("Confirm the mapping to read and grade these files.")
    return MappingStep(columns, None)
