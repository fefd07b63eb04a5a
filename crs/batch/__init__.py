"""Registry scale (issue #17): grading exports larger than memory, one machine or many.

The grader is a pure function of complete patients' rows (docs/architecture.md §4), so
a large export is read twice: a first pass (:mod:`crs.batch.survey`) takes every
decision the reader takes on the whole file (column types, decimal comma, units read
from a column's median, the time axis; spec grading.md §1), and a second pass
(:mod:`crs.batch.chunked`) reads and grades patient-complete chunks with those
decisions fixed (:mod:`crs.batch.decided`), so that no output cell and no line of the
data-quality report differs from reading the file whole.

This package's ``__init__`` imports nothing: the reader imports :mod:`crs.batch.decided`.
"""
