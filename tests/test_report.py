"""The ward-round report as PDF (crs.views.report, `crs report`; issue #15), read back with pypdf.

The sample ward's report is drawn once for the module (kaleido drives Debian's chromium
on this machine; a few seconds per patient on the reference machine).
"""

from __future__ import annotations

import io
import re
import sys
from datetime import datetime
from pathlib import Path

import pypdf
import pytest

from crs.views.census import census
from crs.views.report import sections, ward_report
from tests.cli_run import run_cli
from ui.session import load_sample

REPO = Path(__file__).resolve().parents[1]
FILES = REPO / "tests" / "files"
PRINTED = datetime(2024, 9, 16, 8, 30)
HEADER = r"CRS ward round · Patient (\S+) · printed {}"


@pytest.fixture(scope="module")
def sample_pdf() -> tuple[list[str], pypdf.PdfReader]:
    ward = load_sample()
    chosen = sections(
        ward.graded,
        None,
        problems_of={pid: ward.patient_problems(pid) for pid in ward.patient_ids()},
    )
    data = ward_report(chosen, graded=ward.graded, printed=PRINTED)
    return [s.patient_id for s in chosen], pypdf.PdfReader(io.BytesIO(data))


def _page_patients(reader: pypdf.PdfReader, printed: str = "2024-09-16 08:30") -> list[str]:
    header = re.compile(HEADER.format(printed))
    patients = []
    for number, page in enumerate(reader.pages, start=1):
        match = header.search(page.extract_text() or "")
        assert match, f"page {number} has no header with the patient and the print date"
        patients.append(match.group(1))
    return patients


def test_every_page_names_its_patient_and_the_print_date(sample_pdf):
    order, reader = sample_pdf
    on_pages = _page_patients(reader)
    # Sections in the ward round's order (sickest first), each patient once.
    assert list(dict.fromkeys(on_pages)) == order
    assert order == census(load_sample().graded)["patient_id"].tolist()


def test_each_patient_takes_one_or_two_pages(sample_pdf):
    order, reader = sample_pdf
    on_pages = _page_patients(reader)
    counts = {pid: on_pages.count(pid) for pid in order}
    assert set(counts.values()) <= {1, 2}, counts


def test_each_section_has_its_timeline_image_at_the_full_page_width(sample_pdf):
    order, reader = sample_pdf
    on_pages = _page_patients(reader)
    width = float(reader.pages[0].mediabox.width)
    for pid in order:
        pages = [reader.pages[i] for i, p in enumerate(on_pages) if p == pid]
        images = [image for page in pages for image in page.images]
        assert len(images) == 1, pid
        assert images[0].image.width >= 1000
    # 190 mm of the 210 mm page: the drawing's width in the page's content stream.
    content = reader.pages[1].get_contents().get_data().decode("latin-1")
    scale = re.search(r"([\d.]+) 0 0 ([\d.]+) [\d.]+ [\d.]+ cm\s*/I", content)
    assert scale and float(scale.group(1)) >= 0.88 * width


def test_the_section_says_the_grade_alerts_and_treatment_given(sample_pdf):
    order, reader = sample_pdf
    on_pages = _page_patients(reader)
    case3 = "\n".join(
        reader.pages[i].extract_text() for i, p in enumerate(on_pages) if p == "CASE3"
    )
    assert "Grade now: 3" in case3
    assert "No improvement 24–72 h after tocilizumab" in case3
    assert "tocilizumab 240 mg" in case3
    assert "Sat 14 Sep 2024 15:30 · day 5.2" in case3
    assert "40.5 h" in case3
    assert "1 of 4" in case3


def test_crs_report_writes_the_chosen_patients_and_says_a_lower_bound(tmp_path):
    out = tmp_path / "round.pdf"
    done = run_cli(
        sys.executable,
        REPO,
        "report",
        FILES / "lower_bound_ward.csv",
        "--patients",
        FILES / "lower_bound_patients.csv",
        "--patient",
        "NOO2",
        "-o",
        out,
    )
    assert done.returncode == 0, done.stderr
    reader = pypdf.PdfReader(out)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert set(_page_patients(reader, r"\d{4}-\d\d-\d\d \d\d:\d\d")) == {"NOO2"}
    assert "Grade now: ≥ 0 (a lower bound — not known: oxygen)" in text
    assert "Data problems on this patient's rows: 2" in text


def test_crs_report_refuses_an_unknown_patient_and_an_empty_store_in_one_line(tmp_path):
    unknown = run_cli(
        sys.executable,
        REPO,
        "report",
        FILES / "lower_bound_ward.csv",
        "--patient",
        "NOBODY",
        "-o",
        tmp_path / "x.pdf",
    )
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines()[-1] == "error: No graded rows for patient NOBODY."
    empty = run_cli(
        sys.executable,
        REPO,
        "report",
        "--store",
        "--database",
        f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "-o",
        tmp_path / "y.pdf",
    )
    assert empty.returncode == 2
    assert "no patients" in empty.stderr
    assert not (tmp_path / "y.pdf").exists()
