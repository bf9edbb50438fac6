"""The shape of DuckDB's plan where it decides peak memory: which side of a join is hashed.

A hash join keeps its build side (the second child in DuckDB's plan) in memory. In the
activity-and-retention step (``au``), that must be the acquired users, one row each, and
never the activity events, several per user: DuckDB 2.0.1 estimated the filtered Parquet
scan of the activity events below the acquired users' table and hashed the events instead,
which took the 10M-event benchmark from about 500 MB to about 700 MB at its peak (and 50M
from 1.8 GB to 2.7 GB). The statement is written so that both estimates agree with the
real sizes' order; this test reads the plan DuckDB would run.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from xhsgrow.data.demo import write_demo_events
from xhsgrow.specs import load_campaigns
from xhsgrow.tracking import aggregate
from xhsgrow.workspace import open_workspace

ROOT = Path(__file__).resolve().parent.parent


def _scans(node: dict[str, Any]) -> list[str]:
    """What the scans under ``node`` read: a table's name, or the scan function's."""
    info = node.get("extra_info", {})
    source = info.get("Table") or info.get("Function")
    found = [str(source)] if source else []
    for child in node.get("children", []):
        found += _scans(child)
    return found


def _inner_joins(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    if node["name"] == "HASH_JOIN" and node.get("extra_info", {}).get("Join Type") == "INNER":
        found.append(node)
    for child in node.get("children", []):
        found += _inner_joins(child)
    return found


@pytest.fixture(scope="module")
def au_plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """DuckDB's plan for the ``au`` statement over 60,000 demo events of the bundled
    campaigns, as of a day after every window (every event counts)."""
    from xhsgrow.engines import open_engine

    ws = open_workspace(ROOT)
    campaigns = load_campaigns(ws)
    data = write_demo_events(
        campaigns, tmp_path_factory.mktemp("plans") / "e.parquet", events=60_000, seed=7
    )
    day = max(c.window.end for c in campaigns) + dt.timedelta(days=40)
    engine = open_engine("duckdb", str(data), ws.settings)
    plans: dict[str, Any] = {}
    create = engine.create_table

    def explaining(name: str, select: str) -> None:
        if name == "au":
            ((_kind, text),) = engine.query(f"EXPLAIN (FORMAT json) {select}")
            plans[name] = json.loads(text)[0]
        create(name, select)

    engine.create_table = explaining  # type: ignore[method-assign]
    try:
        aggregate.compute(engine, campaigns, {c.id: day for c in campaigns})
    finally:
        engine.close()
    return plans["au"]


def test_activity_join_hashes_the_acquired_users_not_the_events(au_plan: dict[str, Any]) -> None:
    (join,) = _inner_joins(au_plan)  # (the acquired users' flags are LEFT-joined at the end)
    probe, build = join["children"]
    assert any("acq" in scan for scan in _scans(build)), _scans(build)
    assert not any("acq" in scan for scan in _scans(probe)), _scans(probe)
    assert any("PARQUET" in scan.upper() for scan in _scans(probe)), _scans(probe)
