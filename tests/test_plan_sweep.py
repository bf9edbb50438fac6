"""`xhsgrow plan --sweep PARAM=LO:HI:STEPS`: one assumption varied, the outcome tabulated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plan_helpers import K_HALF, gala_spec, referral_spec
from xhsgrow.errors import UsageError
from xhsgrow.planning import parse_sweep


def test_referral_sweep_table_and_json(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace, assumptions=K_HALF)
    result = invoke("plan", "invite", "--sweep", "invite_conversion=0.02:0.1:5", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["param"] == "invite_conversion"
    # K = 5 invites × conversion × 100% eligible; total users = 1,000 / (1 − K)
    values = [0.02, 0.04, 0.06, 0.08, 0.10]
    assert [r["value"] for r in doc["rows"]] == pytest.approx(values)
    assert [r["k_factor"] for r in doc["rows"]] == pytest.approx([5 * v for v in values])
    for row, v in zip(doc["rows"], values, strict=True):
        assert row["total_users"] == pytest.approx(1000 / (1 - 5 * v), rel=1e-4)
    result = invoke("plan", "invite", "--sweep", "invite_conversion=0.02:0.1:5")
    assert result.exit_code == 0, result.output
    assert "sweep of invite_conversion" in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("│")]
    assert len(lines) == 5
    assert "0.10" in lines[0] and "2k" in lines[-1]  # K 0.1 first; 2,000 users at K = 0.5


def test_gala_sweep_of_capacity(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    gala_spec(workspace)  # 60,000 rps at the peak second
    result = invoke("plan", "gala", "--sweep", "capacity_rps=40000:80000:3", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["rows"]
    assert [r["headroom_rps"] for r in rows] == [-20_000, 0, 20_000]
    assert [r["errors"] for r in rows] == [1, 0, 0]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("conversion=0.1:0.2:3", "unknown parameter 'conversion'"),
        ("invite_conversion", "expected PARAM=LO:HI:STEPS"),
        ("invite_conversion=0.1:0.2", "LO:HI:STEPS"),
        ("invite_conversion=a:0.2:3", "must be numbers"),
        ("invite_conversion=0.1:0.2:x", "whole number"),
        ("invite_conversion=0.3:0.2:3", "is above HI"),
        ("invite_conversion=0.1:0.2:0", "STEPS must be between 1 and 200"),
        ("invite_conversion=0.5:1.5:3", "at most 1"),
        ("cycle_days=0:3:4", "at least 1"),
    ],
)
def test_bad_sweeps_exit_2(workspace: Path, invoke, spec: str, message: str) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace)
    result = invoke("plan", "invite", "--sweep", spec)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_suggestion_and_partnership_has_nothing_to_sweep(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="did you mean 'invite_conversion'"):
        parse_sweep("invite_convrsion=0.1:0.2:2", "referral")
    assert invoke("new", "partnership", "deal").exit_code == 0
    result = invoke("plan", "deal", "--sweep", "x=1:2:2")
    assert result.exit_code == 2 and "no assumption to sweep" in result.output


def test_integer_parameters_are_rounded() -> None:
    param, values = parse_sweep("seed_inviters=1000:2000:3", "referral")
    assert param.integer and values == [1000, 1500, 2000]
    _, values = parse_sweep("cycle_days=1:2:4", "referral")
    assert values == [1, 2]  # 1, 1.33, 1.67, 2 rounded, duplicates dropped
