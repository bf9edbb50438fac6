"""How `xhsgrow demo-workspace` scales the campaigns: merchant targets and the scale it shows."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

from xhsgrow.data.demo_workspace import scale_spec

from .conftest import REPO

PARTNERSHIP = "qiandongnan-counties-2025"


def _demo(invoke: Any, tmp_path: Path, cid: str, events: int) -> tuple[Path, str]:
    """A demo workspace of one bundled campaign; (its folder, the command's output)."""
    source = tmp_path / "src"
    shutil.copytree(REPO / "campaigns", source / "campaigns")
    out = tmp_path / "demo"
    r = invoke("-w", str(source), "demo-workspace", str(out), cid, "-q", "-n", str(events))
    assert r.exit_code == 0, r.output
    return out, r.stdout


def _spec(out: Path, cid: str) -> dict[str, Any]:
    return tomllib.loads((out / "campaigns" / f"{cid}.toml").read_text("utf-8"))


def test_merchant_target_is_scaled_to_the_merchants_generated(invoke: Any, tmp_path: Path) -> None:
    """1,000 events hold 5 merchants (the generator caps them at one per 200 events), but the
    copy kept the real 1,500 merchants: "merchants onboarded 1,500 / 5, off track"."""
    out, stdout = _demo(invoke, tmp_path, PARTNERSHIP, 1000)
    tracked = invoke("-w", str(out), "track", "--as-of", "2027-02-12", "--format", "json")
    assert tracked.exit_code == 0, tracked.output
    (campaign,) = json.loads(tracked.stdout)["campaigns"]
    merchants = next(t for t in campaign["targets"] if t["metric"] == "merchants_onboarded")
    assert merchants["actual"] == 5
    assert merchants["status"] == "on_track", merchants
    # the regional merchant targets and the partner's merchant commitment shrink alike
    spec = _spec(out, PARTNERSHIP)
    regional = [s for s in spec["targets"]["segments"] if s["metric"] == "merchants_onboarded"]
    assert sum(s["target"] for s in regional) < 20
    commitment = next(c for c in spec["partnership"]["commitments"] if c["unit"] == "merchants")
    assert commitment["quantity"] == spec["targets"]["merchants_onboarded"]
    # and the copy and the command both say so
    assert "merchant targets to " in spec["notes"].splitlines()[0]
    assert re.search(rf"{PARTNERSHIP}: targets scaled to \S+%, merchants to \S+%", stdout)


def test_a_full_size_merchant_count_keeps_the_merchant_target() -> None:
    raw = tomllib.loads((REPO / "campaigns" / f"{PARTNERSHIP}.toml").read_text("utf-8"))
    scaled = scale_spec(raw, 0.1, merchants=1.0)
    assert scaled["targets"]["merchants_onboarded"] == raw["targets"]["merchants_onboarded"]
    assert scaled["partnership"]["commitments"] == raw["partnership"]["commitments"]
    assert "merchant" not in scaled["notes"].splitlines()[0]


def test_a_small_share_in_the_notes_is_not_zero() -> None:
    raw = tomllib.loads((REPO / "campaigns" / "gala-2027.toml").read_text("utf-8"))
    note = scale_spec(raw, 0.000_123)["notes"].splitlines()[0]
    assert note == (  # two significant digits, as the command prints it; not "0.01%"
        "DEMO COPY: user targets, budget and pools scaled to 0.012% of the real spec "
        "to match the demo events."
    )


def test_the_notes_and_the_output_show_the_same_small_share(invoke: Any, tmp_path: Path) -> None:
    """1,000 events give the gala ~0.001% of its users: the command said "0.00092%", the
    copy's notes "scaled to 0.00%", as if the targets were scaled to nothing."""
    out, stdout = _demo(invoke, tmp_path, "gala-2027", 1000)
    shown = re.search(r"gala-2027: targets scaled to (\S+%)$", stdout, re.M)
    assert shown, stdout
    note = _spec(out, "gala-2027")["notes"].splitlines()[0]
    noted = re.search(r"scaled to (\S+%) of the real spec", note)
    assert noted, note
    assert noted[1] == shown[1]
    assert re.fullmatch(r"0\.000\d\d%", shown[1])  # two significant digits, not 0.00%
