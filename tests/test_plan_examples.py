"""The bundled campaigns and the scaffolds all plan cleanly; `curve = "plan"` projections."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.plan_helpers import K_HALF, referral_spec
from xhsgrow.planning.projection import expected_shares
from xhsgrow.specs import load_spec

BUNDLED = sorted((REPO / "campaigns").glob("*.toml"))


@pytest.mark.parametrize("spec", BUNDLED, ids=lambda p: p.stem)
def test_bundled_campaigns_plan_cleanly(workspace: Path, invoke, spec: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(spec, workspace / "campaigns" / spec.name)
    result = invoke("plan", spec.stem)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    doc = json.loads(invoke("plan", spec.stem, "--format", "json").output)
    assert doc["campaign_id"] == spec.stem
    if doc["kind"] == "gala":
        # the gala example shows its capacity check
        assert "Capacity check" in result.output
        assert "capacity" in result.output and (
            "headroom" in result.output or "SHORTFALL" in result.output
        )
        assert doc["gala"]["rounds"] and doc["gala"]["capacity_rps"] > 0


def test_there_is_a_bundled_gala_example() -> None:
    kinds = {load_spec(p).kind for p in BUNDLED}
    assert "gala" in kinds


@pytest.mark.parametrize("kind", ["referral", "partnership", "gala"])
def test_scaffolds_plan_cleanly(workspace: Path, invoke, kind: str) -> None:  # type: ignore[no-untyped-def]
    assert invoke("new", kind, f"new-{kind}").exit_code == 0
    result = invoke("plan", f"new-{kind}")
    assert result.exit_code == 0, result.output
    assert "Findings" in result.output or "no findings" in result.output


def test_expected_shares_for_every_kind(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    for kind in ("referral", "partnership", "gala"):
        assert invoke("new", kind, kind).exit_code == 0
        c = load_spec(workspace / "campaigns" / f"{kind}.toml")
        shares = expected_shares(c)
        days = (c.window.end - c.window.start).days + 1
        assert len(shares) == days
        assert shares[0][0] == c.window.start and shares[-1] == (c.window.end, 1.0)
        assert all(0 <= s <= 1 for _, s in shares)
        assert all(b[1] >= a[1] for a, b in itertools.pairwise(shares))


def test_referral_projection_is_the_viral_curve(workspace: Path) -> None:
    # K = 0.5, 1-day cycle: cumulative 0, 500, 750, 875 … of 1,000 -> shares 0, .5, .75, .875
    path = referral_spec(workspace, assumptions=K_HALF)
    shares = expected_shares(load_spec(path))
    assert [round(s, 4) for _, s in shares[:4]] == [0.0, 0.5, 0.75, 0.875]
    assert shares[0][0] == dt.date(2027, 3, 1)


def test_curve_plan_is_a_valid_spec_and_paces_on_the_projection(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    path = referral_spec(workspace)
    text = path.read_text("utf-8").replace('curve = "front-loaded"', 'curve = "plan"')
    assert 'curve = "plan"' in text
    path.write_text(text, "utf-8")
    assert invoke("validate", str(path)).exit_code == 0
    result = invoke("brief", "invite")
    assert result.exit_code == 0, result.output
    assert "(`plan`)" in result.output
