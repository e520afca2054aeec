"""The error family and exit codes: one place decides how a failure looks to cron."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class CaseloadError(Exception):
    """An expected failure: shown as one line on stderr, exit code 2, no traceback.

    Messages must never carry client personal data (names, ID numbers, phones):
    cron mail is not a safe place for them. Name files, lines, columns and IDs only.
    """

    exit_code = EXIT_ERROR

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InputError(CaseloadError):
    """A whole input file cannot be used (missing, empty, not a table, no such column)."""

    def __init__(self, path: object, problem: str, details: list[str] | None = None) -> None:
        super().__init__(f"{path}: {problem}", details)
        self.path = str(path)
        self.problem = problem


class RowProblemsError(CaseloadError):
    """Rows that cannot be trusted; the grouped report is in ``details``."""


class PlanRefusedError(CaseloadError):
    """`apply` refuses a plan that does not fit the export."""


class StdoutError(CaseloadError):
    """Stdout could not be written (a full disk): said like a file's failure, exit 2."""
