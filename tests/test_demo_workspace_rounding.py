"""How `xhsgrow demo-workspace` rounds scaled regional targets: as a group, so they still add up
to the scaled total and the demo plan finds no gap the real spec does not have."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from xhsgrow.data.demo_workspace import scale_spec

from .conftest import REPO

PARTNERSHIP = "qiandongnan-counties-2025"
_REGIONAL_SUMS = ("regions_below_total", "regions_above_total")


def _regional_sum_findings(invoke: Any, workspace: Path) -> list[str]:
    r = invoke("-w", str(workspace), "plan", PARTNERSHIP, "--format", "json")
    assert r.exit_code == 0, r.output
    findings = json.loads(r.stdout)["findings"]
    return [f["message"] for f in findings if f["code"] in _REGIONAL_SUMS]


@pytest.mark.parametrize(
    "events",
    [
        1170,  # regional acquired targets rounded one by one: 49 against a total of 48
        1400,  # regional merchant targets rounded one by one: 7 against a total of 6
    ],
)
def test_demo_regional_targets_add_up_like_the_real_ones(
    invoke: Any, tmp_path: Path, events: int
) -> None:
    source = tmp_path / "src"
    shutil.copytree(REPO / "campaigns", source / "campaigns")
    assert _regional_sum_findings(invoke, source) == []  # the real spec adds up
    out = tmp_path / "demo"
    r = invoke("-w", str(source), "demo-workspace", str(out), PARTNERSHIP, "-q", "-n", str(events))
    assert r.exit_code == 0, r.output
    assert _regional_sum_findings(invoke, out) == []


def _spec(targets: dict[str, Any], segments: list[tuple[str, str, float]]) -> dict[str, Any]:
    return {
        "id": "three-regions",
        "budget": {"amount": 10_000, "currency": "CNY"},
        "targets": {
            **targets,
            "segments": [
                {"dimension": "region", "value": v, "metric": m, "target": t}
                for v, m, t in segments
            ],
        },
    }


def _regional(spec: dict[str, Any], metric: str) -> list[float]:
    return [s["target"] for s in spec["targets"]["segments"] if s["metric"] == metric]


def test_scale_spec_rounds_three_regional_targets_to_the_scaled_total() -> None:
    """1% of 333 + 333 + 334 = 1,000 rounded one by one is 3 + 3 + 3 = 9, not the total's 10;
    half of 0.33 + 0.33 + 0.34 = 1.00 yuan rounded one by one is 0.17 + 0.17 + 0.17."""
    regions = ("522634", "522632", "522630")
    raw = _spec(
        {"acquired": 1_000, "merchants_onboarded": 1_000, "budget_spend": 1.0},
        [(v, "acquired", t) for v, t in zip(regions, (333, 333, 334), strict=True)]
        + [(v, "merchants_onboarded", t) for v, t in zip(regions, (333, 333, 334), strict=True)]
        + [(v, "cost", t) for v, t in zip(regions, (0.33, 0.33, 0.34), strict=True)],
    )
    scaled = scale_spec(raw, 0.01, merchants=0.01)
    assert _regional(scaled, "acquired") == [3, 3, 4]  # the largest remainder gets the unit
    assert _regional(scaled, "merchants_onboarded") == [3, 3, 4]
    assert scaled["targets"]["acquired"] == scaled["targets"]["merchants_onboarded"] == 10
    assert all(isinstance(t, int) for t in _regional(scaled, "acquired"))
    money = scale_spec(raw, 0.5)
    cost = _regional(money, "cost")
    assert sum(cost) == pytest.approx(money["targets"]["budget_spend"], abs=1e-9)
    assert all(round(t, 2) == t for t in cost)  # money keeps two decimals


def test_scale_spec_keeps_a_short_regional_sum_short() -> None:
    """333 x 3 is 1 short of 1,000: at 1% the sum (9.99) would round to the total's 10."""
    raw = _spec({"acquired": 1_000}, [(v, "acquired", 333) for v in ("a", "b", "c")])
    scaled = scale_spec(raw, 0.01)
    assert sum(_regional(scaled, "acquired")) < scaled["targets"]["acquired"] == 10
