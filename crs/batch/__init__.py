"""Registry scale (issue #17): grading exports larger than memory, on one machine or many.

The grader is a pure function of complete patients' rows (docs/architecture.md §4), so
a large export is read twice: a first pass (:mod:`crs.batch.survey`) takes every
decision the reader takes on the whole file (column types, decimal comma, units read
from a column's median, the time axis; spec grading.md §1), and a second pass
(:mod:`crs.batch.chunked`) reads and grades patient-complete chunks with those
decisions fixed (:mod:`crs.read.decided`), so that no output cell and no line of the
data-quality report differs from reading the file whole.

May import: ``crs.treatment``, ``crs.scales``, ``crs.findings``, ``crs.read``.
"""

from crs.batch.engine import Graded, Request, grade_file
from crs.batch.progress import Progress, progress_for

__all__ = ["Graded", "Progress", "Request", "grade_file", "progress_for"]
