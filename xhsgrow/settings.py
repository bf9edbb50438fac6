"""Workspace settings (``xhsgrow.toml``): defaults every campaign and command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xhsgrow.data.contract import COLUMNS, column_key
from xhsgrow.errors import SpecError
from xhsgrow.specs.models import Thresholds


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class SparkSettings(_Model):
    """How ``engine = "spark"`` reaches Spark (see docs/engines.md)."""

    master: str | None = Field(
        None, description="spark.master: 'local[*]' (the default), 'yarn', 'spark://host:7077'…"
    )
    remote: str | None = Field(
        None,
        description="A Spark Connect URL, e.g. 'sc://spark.example.com:15002' (not with master).",
    )
    app_name: str = Field("xhsgrow", description="The application name Spark shows.")
    conf: dict[str, str] = Field(
        default_factory=dict, description="Any other Spark setting, e.g. spark.executor.memory."
    )


class DataSettings(_Model):
    """Where tracking reads events from (see docs/data.md)."""

    source: str | None = Field(None, description="File, glob or folder of events.")
    format: Literal["auto", "csv", "parquet", "jsonl"] = "auto"
    columns: dict[str, str] = Field(
        default_factory=dict, description="Contract column -> the name in your files."
    )
    engine: Literal["duckdb", "spark"] = "duckdb"
    memory_limit: str | None = Field(None, description="DuckDB memory limit, e.g. '1GB'.")
    temp_directory: str | None = Field(None, description="Where DuckDB spills beyond memory.")
    threads: Annotated[int, Field(gt=0)] | None = None
    staging: Literal["auto", "memory", "disk"] = Field(
        "auto", description="Where CSV and JSON Lines are typed for a run (docs/data.md)."
    )
    spark: SparkSettings = Field(default_factory=SparkSettings)


class Settings(_Model):
    """The workspace's xhsgrow.toml; every key is optional."""

    timezone: str = Field("Asia/Shanghai", description="IANA timezone for campaign days.")
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = Field(
        "CNY", description="ISO 4217 code for new campaigns."
    )
    thresholds: Thresholds = Field(default_factory=Thresholds)
    data: DataSettings = Field(default_factory=DataSettings)
    ledger: str = Field(".xhsgrow/ledger.sqlite", description="Outreach send ledger path.")
    quiet_hours: str = Field("21:00-08:00", description="No outreach sends in these hours.")


def load_settings_file(path: Path, *, display: str | None = None) -> Settings:
    """Read xhsgrow.toml; SpecError with every problem (line and column) when it is broken."""
    from xhsgrow.specs.loader import _message, read_toml

    src = read_toml(path, display=display, what="settings")
    try:
        settings = Settings.model_validate(src.data, strict=True)
    except ValidationError as exc:
        raise SpecError(
            [src.problem(tuple(e["loc"]), _message(Settings, e)) for e in exc.errors()]
        ) from None
    from xhsgrow.specs.rules import is_timezone, suggest

    problems = [
        src.problem(
            ("data", "columns", name),
            f"'{name}' is not an event column{suggest(name, COLUMNS)}",
        )
        for name in sorted(set(settings.data.columns) - set(COLUMNS))
    ]
    problems += [
        src.problem(("data", "columns", name), message)
        for name, message in _misread_columns(settings.data.columns)
    ]
    spark = settings.data.spark
    if spark.master is not None and spark.remote is not None:
        # Two exclusive ways to reach Spark (PySpark refuses both at once too): say so where the
        # settings are read, with the line, rather than when a run starts a session.
        problems.append(
            src.problem(
                ("data", "spark", "remote"),
                "set either master (a classic Spark session) or remote (a Spark Connect URL), "
                "not both",
            )
        )
    if not is_timezone(settings.timezone):
        problems.append(
            src.problem(("timezone",), f"unknown timezone '{settings.timezone}' (use an IANA name)")
        )
    if "quiet_hours" in src.data:
        # checked here, at its line, rather than when `outreach send` reads it as if it were
        # the --quiet-hours option; imported only when set: the outreach modules are heavy
        from xhsgrow.errors import UsageError
        from xhsgrow.outreach.send import parse_quiet_hours

        try:
            parse_quiet_hours(settings.quiet_hours)
        except UsageError as exc:
            message = exc.message.removeprefix("quiet hours ")  # the key says it already
            problems.append(src.problem(("quiet_hours",), message))
    if problems:
        raise SpecError(problems)
    return settings


def _misread_columns(columns: dict[str, str]) -> list[tuple[str, str]]:
    """(contract column, why) for each ``[data.columns]`` mapping the event readers would
    misread: an empty name, or a file column another contract column is read from too."""
    # The readers find a mapped name as headers are matched (contract.find_column): names
    # with one column_key are one file column. An unmapped contract column is read from its
    # own name, so `region = "channel"` with channel unmapped reads the file's channel column
    # twice, as both, and is refused; a swap (`channel = "region"`, `region = "channel"`)
    # reads two.
    owners = {column_key(col): col for col in COLUMNS if col not in columns}
    found: list[tuple[str, str]] = []
    for col, name in columns.items():
        if col not in COLUMNS:
            continue  # never read: reported as not an event column
        key = column_key(name)
        if not key:
            what = "blank" if name else "empty"  # (blanks echoed would not show)
            found.append(
                (col, f"the file column name is {what}; write the name {col} has in your files")
            )
            continue
        owner = owners.setdefault(key, col)
        if owner != col:
            unmapped = "" if owner in columns else ", which is not mapped and reads its own name"
            found.append((col, f"'{name}' is already the file column of {owner}{unmapped}"))
    return found
