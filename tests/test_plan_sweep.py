"""`xhsgrow plan --sweep PARAM=LO:HI:STEPS`: one assumption varied, the outcome tabulated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tests.plan_helpers import K_HALF, START, gala_spec, referral_spec
from xhsgrow.errors import UsageError
from xhsgrow.planning import parse_sweep
from xhsgrow.planning.sweep import PARAMS, Param
from xhsgrow.specs.models import MODELS
from xhsgrow.specs.scaffold import scaffold


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
        # past the bounds `validate` applies: the model overflowed to NaN and crashed
        ("invites_per_user=1:1e308:3", "invites_per_user must be at least 0 and at most 1,000"),
        ("seed_inviters=-1e308:1e308:3", "at most 10,000,000,000 (got -1e+308)"),
        ("pool=0:1e300:2", "at most 1,000,000,000,000,000 (got 1e+300)"),
        ("cycle_days=1:1000:2", "at most 365"),
        ("per_referrer=1:1e9:2", "at most 1,000,000"),
    ],
)
def test_bad_sweeps_exit_2(workspace: Path, invoke, spec: str, message: str) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace)
    result = invoke("plan", "invite", "--sweep", spec)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("Error: --sweep")
    assert len([x for x in result.stderr.splitlines() if x.startswith("Error:")]) == 1


def test_a_gala_sweep_past_the_bounds_is_a_usage_error(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    gala_spec(workspace)
    for spec, message in [
        ("duration_minutes=1:99999999999:2", "at most 1,440"),
        ("expected_participants=0:1e300:2", "at most 10,000,000,000"),
        ("peak_to_mean=1:1e308:2", "at most 1,000"),
        ("capacity_rps=1:1e12:2", "at most 1,000,000,000"),
        ("interactions_per_participant=0:1e6:2", "at most 100,000"),
    ]:
        result = invoke("plan", "gala", "--sweep", spec)
        assert result.exit_code == 2, spec
        assert result.stderr.startswith(f"Error: --sweep {spec!r}: ") and message in result.stderr


def _set(data: dict[str, Any], param: Param, value: float) -> None:
    """Put a swept value where the spec holds it."""
    v: float | int = int(value) if param.integer else value
    if data["kind"] == "referral":
        data["referral"][param.section][param.name] = v
    elif param.section == "gala":
        data["gala"][param.name] = v
    elif param.section == "rounds":
        for rd in data["gala"]["rounds"]:
            rd[param.name] = v
    else:
        data["gala"][param.section][param.name] = v


def _refused(kind: str, param: Param, value: float) -> bool:
    """Whether `validate` refuses the value for the parameter's key (other rules aside)."""
    data = scaffold(kind, "x", today=START)
    _set(data, param, value)
    try:
        MODELS[kind].model_validate(data)
    except ValidationError as exc:
        return any(e["loc"][-1] == param.name for e in exc.errors())
    return False


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, params in PARAMS.items() for n in params])
def test_sweep_ranges_are_the_spec_bounds(kind: str, name: str) -> None:
    # a sweep plans only campaigns a spec could describe, and a spec holds only what a sweep
    # may reach: the two ranges are one
    param = PARAMS[kind][name]
    step = 1.0 if param.integer else max(1e-6, param.hi * 1e-6)
    assert not _refused(kind, param, param.lo) and not _refused(kind, param, param.hi)
    assert _refused(kind, param, param.lo - step) and _refused(kind, param, param.hi + step)


@pytest.mark.parametrize(("kind", "name"), [(k, n) for k, params in PARAMS.items() for n in params])
def test_sweeping_a_whole_range_plans_finite_numbers(  # type: ignore[no-untyped-def]
    workspace: Path, invoke, kind: str, name: str
) -> None:
    param = PARAMS[kind][name]
    lo = param.lo
    if kind == "referral":
        # the money keys' ranges meet the rules between them (rewards within the pool, the
        # pool within the budget): as wide as a spec can hold, the budget and pool at 10^15
        spec = referral_spec(workspace, cid="x", assumptions=K_HALF, caps={"pool": 1e15})
        text = spec.read_text("utf-8").replace("amount = 100000000\n", "amount = 1e15\n")
        spec.write_text(text, "utf-8")
        lo = 10.0 if name == "pool" else lo  # (the pool holds the ¥10 referrer reward)
    else:
        gala_spec(workspace, cid="x")
    result = invoke("plan", "x", "--sweep", f"{name}={lo:.17g}:{param.hi:.17g}:3", "-f", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout, parse_constant=pytest.fail)["rows"]  # no Infinity, NaN
    assert [r["value"] for r in rows][-1] == param.hi


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
