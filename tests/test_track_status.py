"""Pace and status at their edges, in `xhsgrow track --format json`, against docs/metrics.md
("Targets, pacing, forecast and status") and docs/specs.md: a pace exactly on a threshold, and
several segment targets on one row. The figures are worked out by hand in the comments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.test_track_edges import csv_file
from tests.test_track_metrics import make_workspace

SPEC = """
id = "c"
name = "Audit"
kind = "referral"
owner = "growth"
status = "live"

[window]
start = {start}
end = {end}

[budget]
amount = 1000

[targets]
{targets}

[referral]

[referral.rewards]
referrer = 1.0
referee = 1.0

[referral.caps]
pool = 1000.0
"""


def track_json(invoke: Any, tmp_path: Path, spec: str, rows: list[str], as_of: str) -> dict:  # type: ignore[type-arg]
    make_workspace(tmp_path, spec)
    data = csv_file(tmp_path / "e.csv", rows)
    r = invoke("track", "--data", str(data), "--as-of", as_of, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["campaigns"][0]  # type: ignore[no-any-return]


def test_cumulative_pace_exactly_at_the_at_risk_threshold_is_at_risk(  # type: ignore[no-untyped-def]
    invoke, tmp_path: Path
) -> None:
    # docs/metrics.md: "Status from the pace: on_track when pace >= on_track, at_risk when
    # pace >= at_risk, off_track below" (defaults on_track = 0.95, at_risk = 0.8).
    # Window 2025-01-01..2025-01-20 (20 days), linear; as-of 2025-01-11: 11 days elapsed,
    # s = 11/20 = 0.55. Target acquired = 25: expected = 25 x 11/20 = 13.75.
    # 11 users acquired: pace = 11 / 13.75 = 0.8 exactly -> at_risk (not off_track).
    # forecast = 11 / 0.55 = 20.
    spec = SPEC.format(start="2025-01-01", end="2025-01-20", targets="acquired = 25")
    rows = [f"2025-01-01 10:00:00,signup,u{i},c,,,,,,," for i in range(11)]
    c = track_json(invoke, tmp_path, spec, rows, "2025-01-11")
    (t,) = c["targets"]
    assert t["actual"] == 11
    assert abs(t["expected_to_date"] - 13.75) < 1e-9
    assert abs(t["forecast"] - 20) < 1e-9
    assert t["status"] == "at_risk"  # actual: off_track (pace computed as 0.7999999999999999)
    assert c["status"] == "at_risk"


def test_rate_pace_exactly_at_the_at_risk_threshold_is_at_risk(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # docs/metrics.md, rate: "pace = actual / target ... on_track when actual >= target,
    # otherwise by the pace and the thresholds as above" (at_risk when pace >= 0.8).
    # 5 users sign up on 01-01; 3 of them are active on 01-02 (day 1). As of 01-03 the
    # cohort is old enough: retention_d1 = 3/5 = 0.6. Target 0.75: pace = 0.6/0.75 = 0.8
    # exactly -> at_risk.
    spec = SPEC.format(start="2025-01-01", end="2025-01-10", targets="retention_d1 = 0.75")
    rows = [f"2025-01-01 10:00:00,signup,u{i},c,,,,,,," for i in range(5)]
    rows += [f"2025-01-02 10:00:00,active,u{i},,,,,,,," for i in range(3)]
    c = track_json(invoke, tmp_path, spec, rows, "2025-01-03")
    (t,) = c["targets"]
    assert abs(t["actual"] - 0.6) < 1e-12
    assert t["status"] == "at_risk"  # actual: off_track (pace computed as 0.7999999999999999)
    assert c["status"] == "at_risk"


def test_every_segment_target_counts_towards_the_campaign_status(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # docs/specs.md allows two segment targets on one value when their metrics differ ("no two
    # segments target the same metric for the same value"); docs/metrics.md: the campaign
    # status is "the worst status of its targets and segment targets".
    # Window 01-01..01-10, linear; as-of 01-05: s = 5/10 = 0.5.
    # in_app / activated, target 10: expected 5, actual 0 -> pace 0 -> off_track.
    # in_app / acquired, target 10: expected 5, actual 5 -> pace 1 -> on_track.
    # acquired (campaign), target 10: expected 5, actual 5 -> on_track.
    # Worst: off_track. Both targets are in the row's `targets` (`target` is the first) and
    # in the CSV, one line each.
    targets = """acquired = 10

[[targets.segments]]
dimension = "channel"
value = "in_app"
metric = "activated"
target = 10

[[targets.segments]]
dimension = "channel"
value = "in_app"
metric = "acquired"
target = 10"""
    spec = SPEC.format(start="2025-01-01", end="2025-01-10", targets=targets)
    rows = [f"2025-01-01 10:00:00,signup,u{i},c,in_app,,,,,," for i in range(5)]
    c = track_json(invoke, tmp_path, spec, rows, "2025-01-05")
    (t,) = c["targets"]
    assert t["status"] == "on_track"
    assert c["status"] == "off_track"
    (row,) = [s for s in c["segments"] if s["value"] == "in_app"]
    assert [(x["metric"], x["status"]) for x in row["targets"]] == [
        ("activated", "off_track"),
        ("acquired", "on_track"),
    ]
    assert row["target"] == row["targets"][0]
    r = invoke("track", "--data", str(tmp_path / "e.csv"), "--as-of", "2025-01-05", "-f", "csv")
    lines = [x for x in r.stdout.splitlines() if ",channel,in_app," in x]
    assert len(lines) == 2 and "activated" in lines[0] and "acquired" in lines[1]
