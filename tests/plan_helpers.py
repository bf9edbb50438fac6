"""Spec builders shared by the planning and brief tests (tests/test_plan_*.py, test_brief.py).

Each writes a valid campaign into a workspace's campaigns/ folder with exactly the
assumptions a test states, so the numbers in its comments can be worked out by hand.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import tomli_w

from xhsgrow.specs.scaffold import scaffold

START = dt.date(2027, 3, 1)  # first day of every referral_spec window
EVE = dt.date(2027, 2, 5)  # the 2027 gala night
NIGHT = dt.datetime(2027, 2, 5, 20, 30)

#: K = 5 invites × 10% conversion × 100% eligible = 0.5 over a 1-day cycle: from 1,000 seeds
#: each generation is half the last, 1,000 + 500 + 250 + … = 2,000 users, 1,000 acquired.
K_HALF: dict[str, Any] = {
    "seed_inviters": 1000,
    "invites_per_user": 5,
    "invite_conversion": 0.1,
    "cycle_days": 1,
}


def write_spec(ws: Path, cid: str, data: dict[str, Any]) -> Path:
    path = ws / "campaigns" / f"{cid}.toml"
    path.write_text(tomli_w.dumps(data), "utf-8")
    return path


def referral_spec(
    ws: Path,
    *,
    cid: str = "invite",
    days: int = 60,
    assumptions: dict[str, Any] | None = None,
    rewards: dict[str, Any] | None = None,
    caps: dict[str, Any] | None = None,
    acquired: int | None = None,
) -> Path:
    """A valid referral spec with exactly the assumptions, rewards and caps given."""
    data = scaffold("referral", cid, today=START - dt.timedelta(days=3))
    data["window"]["start"] = START
    data["window"]["end"] = START + dt.timedelta(days=days - 1)
    data["budget"]["amount"] = 100_000_000
    data["targets"] = {"acquired": acquired} if acquired else {}
    r = data["referral"]
    r["rewards"] = {"referrer": 10.0, "referee": 5.0, "currency": "CNY", "tiers": []}
    r["rewards"].update(rewards or {})
    r["caps"] = {"pool": 50_000_000.0, **(caps or {})}
    r["assumptions"] = {"decay": 0.0, "eligible_share": 1.0, **(assumptions or {})}
    return write_spec(ws, cid, data)


def round_(name: str = "R1", **over: Any) -> dict[str, Any]:
    """One gala round at 20:30 on the night: 1.2M participants × 10 taps over 10 minutes."""
    base = {
        "name": name,
        "at": NIGHT,
        "duration_minutes": 10,
        "prize_pool": 1_000_000.0,
        "top_prize": 888.0,
        "expected_participants": 1_200_000,
        "interactions_per_participant": 10.0,
        "mechanic": "shake",
        "shares_to_wechat": False,
    }
    return {**base, **over}


def gala_spec(
    ws: Path,
    *,
    cid: str = "gala",
    rounds: list[dict[str, Any]] | None = None,
    capacity: int = 80_000,
    warm_up: list[dict[str, Any]] | None = None,
    assumptions: dict[str, Any] | None = None,
    targets: dict[str, Any] | None = None,
    phases: list[dict[str, Any]] | None = None,
    budget: float = 10_000_000,
) -> Path:
    """A valid 2027 gala spec with the rounds, capacity and assumptions given."""
    data = scaffold("gala", cid, today=dt.date(2026, 12, 1))
    g = data["gala"]
    assert g["year"] == 2027
    g["capacity_rps"] = capacity
    g["rounds"] = rounds if rounds is not None else [round_()]
    if warm_up is not None:
        g["warm_up"] = warm_up
    if assumptions is not None:
        g["assumptions"] = assumptions
    if phases is not None:
        g["phases"] = phases
    data["budget"]["amount"] = budget
    data["targets"] = targets if targets is not None else {"acquired": 1_000_000}
    return write_spec(ws, cid, data)
