"""The ward-round report as PDF (issue #15): one section per patient, built on this
machine.

Each patient starts on a new A4 page: the grade summary (the grade now, a lower bound
said as such, highest and when, trend over 24 h, drivers and the explanation sentence,
the Figure 2 suggestion and branch), the alerts in full (treatment.md §2), the treatment
given (crs.treatment.given: every dose with its time, day and hours ago, tocilizumab counted
against the product label), the count of data problems, and the Figure 3 timeline
(crs.views.figures) at the full width of the page. Every page's header names the patient and
the time the report was printed; a patient's section takes one or two pages.

The timeline is drawn by Plotly's static export, kaleido 1.x, which drives the Chromium
installed on this machine (Debian's ``/usr/bin/chromium``, found through choreographer's
``BROWSER_PATH``) with plotly.js from the plotly package and MathJax turned off: no
outside service, no download. The PDF is written by fpdf2 with a Unicode TrueType font
of the system (DejaVu Sans, Debian's fonts-dejavu-core).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from crs.errors import UnusableExportError
from crs.read.identifiers import visible
from crs.scales.explain import CRITERION_WORDS, unknown_words
from crs.treatment import trends
from crs.treatment.given import doses_given, tocilizumab_summary
from crs.treatment.treatment import recommendation_table
from crs.views.census import census
from crs.views.figures import timeline_figure
from crs.views.reference import WARNING_ALERTS, alert_words

#: Debian's Chromium: kaleido (choreographer) uses the browser named here.
CHROMIUM = "/usr/bin/chromium"
#: Unicode fonts (≥, μ, ±, ⚠ …), first found wins: regular and bold.
FONTS: tuple[tuple[str, str], ...] = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
)
#: The timeline image, in pixels: drawn at this width, at most this tall.
IMAGE_WIDTH_PX = 1150
IMAGE_MAX_HEIGHT_PX = 1900
#: Every page's foot: what the report is not (crs.views.reference.DISCLAIMER, shortened).
FOOTER = (
    "Decision support, not orders: a grade summarises the findings recorded in the export; "
    "attribution to CRS needs clinical judgment."
)
#: A4 portrait, millimetres.
PAGE_MARGIN_MM = 10.0
HEADER_MM = 12.0
#: Room for the legend under the panels, pixels.
LEGEND_PX = 170


@dataclass
class PatientSection:
    """What the report prints for one patient."""

    patient_id: str
    rows: pd.DataFrame
    problems: pd.DataFrame = field(default_factory=pd.DataFrame)
    attributions: pd.DataFrame | None = None


def sections(
    graded: pd.DataFrame,
    patient_ids: Iterable[str] | None = None,
    *,
    problems_of: dict[str, pd.DataFrame] | None = None,
    attributions: pd.DataFrame | None = None,
) -> list[PatientSection]:
    """One section per patient asked for (all, sickest first, when None), in that order.
    An id that is not in ``graded`` is refused (UnusableExportError)."""
    order = census(graded)["patient_id"].astype("str").tolist()
    wanted = order if patient_ids is None else [str(p) for p in patient_ids]
    missing = [p for p in wanted if p not in order]
    if missing:
        raise UnusableExportError(
            "No graded rows for patient " + ", ".join(visible(p) for p in missing) + "."
        )
    by_patient = graded.groupby(graded["patient_id"].astype("str"), sort=False).indices
    out = []
    for pid in wanted:  # patients, not rows
        mine = None
        if attributions is not None and len(attributions):
            mine = attributions[attributions["patient_id"].astype("str") == pid]
        out.append(
            PatientSection(
                pid,
                graded.iloc[by_patient[pid]].reset_index(drop=True),
                (problems_of or {}).get(pid, pd.DataFrame()),
                mine,
            )
        )
    return out


def section_figure(section: PatientSection) -> go.Figure:
    """The patient's timeline for paper: the legend below the panels, so the panels take
    the page's full width."""
    rows = section.rows
    fig = timeline_figure(
        rows,
        crp_peaks=trends.crp_peaks(rows)["instant"],
        attributions=section.attributions,
        problems=section.problems if len(section.problems) else None,
    )
    height = int(fig.layout.height or 900)
    fig.update_layout(
        height=height + LEGEND_PX,
        margin={"l": 95, "r": 70, "t": 60, "b": LEGEND_PX + 40},
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -LEGEND_PX / 2 / height,
            "x": 0,
            "xanchor": "left",
            "font": {"size": 12},
        },
    )
    return fig


#: Browser tabs drawing timelines at once.
TABS = 1


def _opts(fig: go.Figure) -> dict[str, object]:
    height = min(int(fig.layout.height or 900), IMAGE_MAX_HEIGHT_PX)
    return {"format": "png", "width": IMAGE_WIDTH_PX, "height": height, "scale": 1}


def timeline_images(figures: Sequence[go.Figure]) -> list[bytes]:
    """PNG images of the figures, drawn by kaleido in the local Chromium (one browser for
    all of them); no network: plotly.js from the plotly package, MathJax off."""
    import kaleido
    import plotly

    os.environ.setdefault("BROWSER_PATH", CHROMIUM)
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

    async def draw() -> list[bytes]:
        tabs = max(1, min(TABS, len(figures)))
        async with kaleido.Kaleido(n=tabs, mathjax=False, plotlyjs=str(plotly_js)) as k:
            return list(
                await asyncio.gather(*(k.calc_fig(fig, opts=_opts(fig)) for fig in figures))
            )

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no event loop in this thread: the usual case
        return asyncio.run(draw())
    import concurrent.futures  # called inside a running event loop: a thread of its own

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(draw())).result()


def _font_files() -> tuple[str, str]:
    for regular, bold in FONTS:
        if Path(regular).exists() and Path(bold).exists():
            return regular, bold
    raise UnusableExportError(
        "No Unicode font for the PDF report: install Debian's fonts-dejavu-core "
        "(make test and make run do)."
    )


def _document(printed: str):
    from fpdf import FPDF

    class WardReport(FPDF):
        """A4 pages whose header names the patient of the section and the print time."""

        patient = ""

        def header(self) -> None:
            self.set_font("Report", "B", 9)
            self.set_text_color(33, 33, 33)
            self.cell(
                0,
                6,
                f"CRS ward round · Patient {self.patient} · printed {printed}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            self.set_draw_color(158, 158, 158)
            self.line(PAGE_MARGIN_MM, self.get_y(), 210 - PAGE_MARGIN_MM, self.get_y())
            self.ln(3)

        def footer(self) -> None:
            self.set_y(-10)
            self.set_font("Report", "", 7)
            self.set_text_color(117, 117, 117)
            self.cell(0, 5, f"{FOOTER}  Page {self.page_no()} of {{nb}}", align="L")

    regular, bold = _font_files()
    pdf = WardReport(format="A4", unit="mm")
    pdf.add_font("Report", "", regular)
    pdf.add_font("Report", "B", bold)
    pdf.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_title("CRS ward round")
    pdf.set_creator("CRS ward dashboard")
    return pdf


def _heading(pdf, text: str, size: float = 11) -> None:
    pdf.set_font("Report", "B", size)
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _para(pdf, text: str, size: float = 9) -> None:
    pdf.set_font("Report", "", size)
    pdf.multi_cell(0, size * 0.48, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


_WORDING = recommendation_table().set_index("code")


def _summary_lines(section: PatientSection, row: pd.Series) -> list[str]:
    rows = section.rows
    latest = rows.iloc[-1]
    unknown = unknown_words(latest.get("unknown", ""))
    grade = int(latest["grade"])
    shown = f"≥ {grade} (a lower bound — not known: {unknown})" if unknown else str(grade)
    drivers = ", ".join(
        CRITERION_WORDS.get(c, c) for c in str(latest.get("drivers", "")).split(";") if c
    )
    lines = [
        f"Grade now: {shown} · highest {int(row['highest_grade'])}"
        + (f" (first at {row['highest_grade_when']})" if row["highest_grade"] > 0 else "")
        + f" · trend over 24 h: {row['trend_24h']} · latest time point: {row['last_recorded']}",
        f"Drivers: {drivers or 'none'}. {visible(latest.get('explanation', ''))}",
    ]
    code = str(latest.get("recommendation", "") or "")
    if code in _WORDING.index:
        lines.append(f"Figure 2: {_WORDING.loc[code, 'wording']}")
    branch = str(latest.get("branch", "") or "")
    if branch and branch != "nan":
        lines.append(f"Branch taken: {branch}")
    age, weight, therapy = latest.get("age_years"), latest.get("weight_kg"), row["therapy"]
    facts = [
        f"therapy {visible(therapy)}" if therapy else "therapy not recorded",
        f"age {age:g} y" if pd.notna(age) else "age not recorded",
        f"weight {weight:g} kg" if pd.notna(weight) else "weight not recorded",
    ]
    lines.append(
        "; ".join(facts) + f"; Tmax 24 h {_number(row['tmax_24h'], '°C')}; lowest SBP/MAP 24 h "
        f"{_number(row['sbp_min_24h'], '')}/{_number(row['map_min_24h'], 'mmHg')}; "
        f"vasopressors now {row['vasopressors_now'] or 'none'}; oxygen now "
        f"{row['oxygen_now'] or '—'}; neurotoxicity now {row['neuro_now'] or '—'}."
    )
    return lines


def _number(value: object, unit: str, digits: int = 1) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{float(value):.{digits}f}".removesuffix(".0") + (f" {unit}" if unit else "")


def _alerts(latest: pd.Series) -> list[str]:
    codes = [c for c in str(latest.get("alerts", "") or "").split(";") if c]
    after = bool(latest.get("after_tocilizumab", False) == True)  # noqa: E712 (NA-safe)
    words = alert_words(";".join(codes), after)
    return [("⚠ " if c in WARNING_ALERTS else "") + w for c, w in zip(codes, words, strict=True)]


def _treatment(pdf, section: PatientSection) -> None:
    given = doses_given(section.rows)
    _heading(pdf, "Treatment given", 10)
    if given.empty:
        _para(pdf, "No tocilizumab, corticosteroid or other immunosuppressant recorded.")
        return
    _para(pdf, tocilizumab_summary(given, section.patient_id))
    from crs.views.figures import when_labels

    when = when_labels(given.assign(grade=0))
    pdf.set_font("Report", "", 8)
    widths = (48, 52, 22, 22, 46)
    with pdf.table(col_widths=widths, line_height=4.2, text_align="LEFT") as table:
        table.row(["Given", "At", "Hours ago", "Dose (label)", "Note"])
        for dose, at, ago, number, of, note in zip(
            given["dose"],
            when,
            given["hours_ago"],
            given["number"],
            given["of"],
            given["note"],
            strict=True,
        ):
            count = f"{number} of {of}" if of else str(number)
            table.row([visible(dose), at, f"{ago:.1f} h", count, note])
    pdf.ln(2)


def _write_section(pdf, section: PatientSection, row: pd.Series, image: bytes) -> None:
    pdf.patient = visible(section.patient_id)
    pdf.add_page()
    _heading(pdf, f"Patient {visible(section.patient_id)}", 13)
    for line in _summary_lines(section, row):
        _para(pdf, line)
    alerts = _alerts(section.rows.iloc[-1])
    _heading(pdf, "Alerts", 10)
    _para(pdf, "\n".join(alerts) if alerts else "None at the latest time point.")
    _treatment(pdf, section)
    if len(section.problems):
        _para(
            pdf,
            f"Data problems on this patient's rows: {len(section.problems)} (values left out "
            "are marked × on the timeline; the dashboard lists them).",
        )
    width = 210 - 2 * PAGE_MARGIN_MM
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(image)) as picture:
        ratio = picture.height / picture.width
    height = width * ratio
    room = pdf.h - pdf.b_margin - pdf.get_y()
    if height > room:
        pdf.add_page()
        room = pdf.h - pdf.b_margin - pdf.get_y()
    if height > room:  # taller than a page: scaled to fit, still centred
        height = room
        width = height / ratio
    x = (210 - width) / 2
    pdf.image(BytesIO(image), x=x, y=pdf.get_y(), w=width, h=height)


def ward_report(
    chosen: list[PatientSection],
    *,
    graded: pd.DataFrame,
    printed: datetime | None = None,
    images: Sequence[bytes] | None = None,
) -> bytes:
    """The PDF of the chosen patients' sections (``sections``), as bytes.

    ``graded`` is the ward's graded frame (for the census line of each patient);
    ``images`` the timeline PNGs, drawn by :func:`timeline_images` when not given.
    """
    stamp = (printed or datetime.now()).strftime("%Y-%m-%d %H:%M")
    table = census(graded).set_index("patient_id")
    if images is None:
        images = timeline_images([section_figure(s) for s in chosen])
    pdf = _document(stamp)
    for section, image in zip(chosen, images, strict=True):
        _write_section(pdf, section, table.loc[section.patient_id], image)
    return bytes(pdf.output())
