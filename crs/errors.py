"""Domain errors (spec grading.md §1.1): one clear sentence for the user."""


class UnusableExportError(Exception):
    """The file cannot be used at all; the message says what is missing and what is accepted."""
