"""Workspace settings (``xhsgrow.toml``): defaults every campaign and command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xhsgrow.errors import SpecError
from xhsgrow.specs.models import Thresholds

#: The event columns of the data contract (docs/data.md); settings may map them to other names.
EVENT_COLUMNS: tuple[str, ...] = (
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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Settings(_Model):
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    thresholds: Thresholds = Thresholds()
    data: DataSettings = DataSettings()
    ledger: str = Field(".xhsgrow/ledger.sqlite", description="Outreach send ledger path.")
    quiet_hours: str = Field("21:00-08:00", description="No outreach sends in these hours.")


def load_settings_file(path: Path) -> Settings:
    from xhsgrow.specs.loader import _message, read_toml

    src = read_toml(path)
    try:
        settings = Settings.model_validate(src.data, strict=True)
    except ValidationError as exc:
        raise SpecError(
            [src.problem(tuple(e["loc"]), _message(Settings, e)) for e in exc.errors()]
        ) from None
    unknown = sorted(set(settings.data.columns) - set(EVENT_COLUMNS))
    if unknown:
        raise SpecError(
            [src.problem(("data", "columns", unknown[0]), f"'{unknown[0]}' is not an event column")]
        )
    return settings
