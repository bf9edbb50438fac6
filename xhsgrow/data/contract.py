"""The event data contract (docs/data.md): column and event names, defined once.

Column names are what users' files provide (or map to, in ``[data.columns]`` of
xhsgrow.toml); the event names are the only ones tracking counts — any other is reported
as an unknown event.
"""

from __future__ import annotations

from collections.abc import Iterable

#: The columns of an event row, in order.
COLUMNS: tuple[str, ...] = (
    "event_time",
    "event",
    "user_id",
    "campaign",
    "channel",
    "region",
    "age_band",
    "referrer_id",
    "amount",
    "device_id",
    "ip",
)
#: Columns every source must have; the others are optional.
REQUIRED: tuple[str, ...] = ("event_time", "event", "user_id")
#: The event names of the contract.
EVENTS: tuple[str, ...] = (
    "signup",
    "activate",
    "active",
    "invite",
    "reward",
    "merchant_onboarded",
    "interaction",
)


def column_key(name: str) -> str:
    """A column name as headers are matched: in any case, and trimmed (DuckDB trims CSV
    header names). Names with one key are one file column (``[data.columns]`` checks)."""
    return name.strip().lower()


def find_column(wanted: str, names: Iterable[str]) -> str | None:
    """The name among ``names`` that ``wanted`` (a contract column or its mapped name) reads:
    spelt alike, else alike in any case, else alike once trimmed too (``column_key``)."""
    names = list(names)
    if wanted in names:
        return wanted
    for fold in (str.lower, column_key):
        found = {fold(n): n for n in names}.get(fold(wanted))
        if found is not None:
            return found
    return None


def key_spellings(wanted: str, found: str, names: Iterable[str]) -> list[str]:
    """Every spelling of a JSON Lines key that reads column ``wanted``: ``found`` (the one
    ``find_column`` picked among the keys seen), then ``wanted`` itself (a key first seen
    later, spelt as the contract or the mapping names it), then the other keys seen alike
    in any case. Objects may spell a key differently from line to line (a logger changed);
    each object's value is the first of these it holds."""
    out = [found, wanted]
    out += [n for n in names if column_key(n) == column_key(wanted)]
    return list(dict.fromkeys(out))
