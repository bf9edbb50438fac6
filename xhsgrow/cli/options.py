"""Option parsing shared by several commands, so each option reads and fails the same way."""

from __future__ import annotations

import datetime as dt

from xhsgrow.errors import UsageError


def parse_as_of(value: str | None, option: str = "--as-of") -> dt.date | None:
    """A YYYY-MM-DD day, or None when the option was not given."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None
