"""`xhsgrow demo-workspace`: demo events plus campaign copies scaled to match them."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from xhsgrow.data.demo_workspace import scale_spec

from .conftest import REPO


def _spec(name: str) -> dict:  # type: ignore[type-arg]
    return tomllib.loads((REPO / "campaigns" / f"{name}.toml").read_text("utf-8"))


def test_scaling_multiplies_user_figures_and_keeps_rates_and_merchants() -> None:
    raw = _spec("qiandongnan-counties-2025")
    scaled = scale_spec(raw, 0.1)
    t, s = raw["targets"], scaled["targets"]
    assert s["acquired"] == round(t["acquired"] * 0.1)
    assert s["activated"] == round(t["activated"] * 0.1)
    assert s["merchants_onboarded"] == t["merchants_onboarded"]  # generated at full size
    assert s.get("retention_d30") == t.get("retention_d30")
    assert scaled["budget"]["amount"] == pytest.approx(raw["budget"]["amount"] * 0.1, abs=0.01)
    assert scaled["notes"].startswith("DEMO COPY: user targets, budget and pools scaled to 10.00%")
    assert raw["targets"]["acquired"] == t["acquired"]  # the original is not modified


def test_scaling_a_gala_scales_rounds_and_capacity() -> None:
    raw = _spec("gala-2027")
    scaled = scale_spec(raw, 0.01)
    first, copy = raw["gala"]["rounds"][0], scaled["gala"]["rounds"][0]
    assert copy["expected_participants"] == round(first["expected_participants"] * 0.01)
    assert copy["at"] == first["at"] and copy["top_prize"] == first["top_prize"]
    assert scaled["gala"]["capacity_rps"] == round(raw["gala"]["capacity_rps"] * 0.01)


def test_demo_workspace_end_to_end(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "src"
    shutil.copytree(REPO / "campaigns", source / "campaigns")
    out = tmp_path / "demo"
    result = invoke(
        "-w", str(source), "demo-workspace", str(out), "--events", "60000", "--seed", "7", "-q"
    )
    assert result.exit_code == 0, result.output
    assert "Next: xhsgrow -w" in result.stdout
    assert sorted(p.name for p in (out / "campaigns").iterdir()) == sorted(
        p.name for p in (source / "campaigns").iterdir()
    )
    assert invoke("validate", str(out / "campaigns")).exit_code == 0
    assert invoke("fmt", "--check", str(out / "campaigns")).exit_code == 0
    # the settings point at the events, so track needs no --data
    tracked = invoke("-w", str(out), "track", "--as-of", "2027-02-12", "--format", "json")
    assert tracked.exit_code == 0, tracked.output
    doc = json.loads(tracked.stdout)
    assert doc["data_quality"]["rows_read"] == 60000
    partnership = next(c for c in doc["campaigns"] if c["kind"] == "partnership")
    acquired = next(t for t in partnership["targets"] if t["metric"] == "acquired")
    # scaled to the users generated, the target is of the same order as the actual figure
    assert 0.5 < acquired["actual"] / acquired["target"] < 2


def test_demo_workspace_refuses_a_non_empty_folder(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "src"
    shutil.copytree(REPO / "campaigns", source / "campaigns")
    out = tmp_path / "demo"
    out.mkdir()
    (out / "keep.txt").write_text("mine", "utf-8")
    result = invoke("-w", str(source), "demo-workspace", str(out), "--events", "1000")
    assert result.exit_code == 2
    assert "is not an empty folder" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_a_failed_run_leaves_nothing_behind(invoke, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "src"
    shutil.copytree(REPO / "campaigns", source / "campaigns")
    out = tmp_path / "demo"
    # every bundled window starts after this day: nothing to generate, an input error
    result = invoke("-w", str(source), "demo-workspace", str(out), "--as-of", "2020-01-01")
    assert result.exit_code == 2
    assert "before the start of every campaign's window" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]  # no demo/, no partial folder


@pytest.mark.parametrize("where", ["afile/demo", "afile/deeper/demo"])
def test_a_file_on_the_way_is_one_line_and_leaves_nothing(
    invoke, tmp_path: Path, where: str
) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "src"
    shutil.copytree(REPO / "campaigns", source / "campaigns")
    (tmp_path / "afile").write_text("a file, not a folder", "utf-8")
    result = invoke("-w", str(source), "demo-workspace", str(tmp_path / where), "--events", "3000")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: cannot create {tmp_path / where}: {tmp_path / 'afile'} is a file, not a folder\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "src"]
