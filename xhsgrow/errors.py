"""The one family of errors the library raises; the CLI turns them into exit codes."""

from __future__ import annotations

from dataclasses import dataclass

#: Documented exit codes (README.md, "Exit codes").
EXIT_OK = 0
EXIT_FAILED = 1  # a check failed: invalid spec, campaign off track, ...
EXIT_USAGE = 2  # usage or input error


class XhsgrowError(Exception):
    """Base class: a user-facing error with a one-line message and an exit code."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(XhsgrowError):
    """Bad arguments, missing files, unreadable input."""


class WorkspaceError(XhsgrowError):
    """The workspace or its settings file is broken."""


@dataclass(frozen=True, order=True)
class Problem:
    """One error found in a file: where it is and what is wrong."""

    path: str
    line: int
    col: int
    key: str
    message: str

    def __str__(self) -> str:
        key = f"{self.key}: " if self.key else ""
        return f"{self.path}:{self.line}:{self.col}: {key}{self.message}"


class SpecError(XhsgrowError):
    """A spec (or settings file) is invalid; carries every problem found in it."""

    exit_code = EXIT_FAILED

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        first = str(self.problems[0]) if self.problems else "invalid spec"
        more = len(self.problems) - 1
        super().__init__(first + (f" (and {more} more)" if more > 0 else ""))
