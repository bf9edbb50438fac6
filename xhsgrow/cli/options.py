"""Option parsing shared by several commands, so each option reads and fails the same way."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

import typer

from xhsgrow.errors import UsageError


class Engine(StrEnum):
    """Where the aggregation over the events runs (the values of `[data] engine`)."""

    duckdb = "duckdb"
    spark = "spark"


#: `--engine` on every command that tracks (track, report, notify): one definition, one help.
EngineOpt = Annotated[
    Engine | None,
    typer.Option(
        "--engine",
        help="Where the events are aggregated: duckdb (embedded, in this process) or spark "
        "(Apache Spark: local, a cluster or Spark Connect, as \\[data.spark] in xhsgrow.toml "
        "says; needs pip install 'xhsgrow\\[spark]' and Java 17+). "
        "Default: \\[data] engine in xhsgrow.toml, else duckdb. "
        "Not used with an http(s) --data URL, which serves aggregates.",
        show_default=False,
    ),
]


def engine_name(value: Engine | None) -> str | None:
    """The engine name for the library (None: the workspace's `[data] engine`)."""
    return value.value if value is not None else None


#: The days an --as-of may name: wide enough for any campaign, narrow enough that the day
#: after it, its end in any timezone and its microseconds since 1970 all exist.
AS_OF_MIN = dt.date(1900, 1, 1)
AS_OF_MAX = dt.date(2999, 12, 31)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_as_of(value: str | None, option: str = "--as-of") -> dt.date | None:
    """A YYYY-MM-DD day between AS_OF_MIN and AS_OF_MAX, or None when the option was not
    given. Only that spelling: fromisoformat alone would also take 20250101 and 2025-W01-3."""
    if value is None:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None
    if not AS_OF_MIN <= day <= AS_OF_MAX:
        raise UsageError(f"{option} {value} is out of range ({AS_OF_MIN} to {AS_OF_MAX})")
    return day
