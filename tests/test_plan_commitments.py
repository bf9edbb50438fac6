"""`xhsgrow plan` for a partnership: commitments and milestones due before the agreement starts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.test_plan_partnership import START, partnership_spec

AGREED = dt.date(2027, 2, 1)  # the agreement is in force a month after the window opens

COMMITMENT = (
    "commitment 'venues' (government) is due 2027-01-20, before the agreement starts on 2027-02-01"
)
MILESTONE = "milestone 'kick-off' is due 2027-01-22, before the agreement starts on 2027-02-01"


def early_deal(ws: Path) -> Path:
    return partnership_spec(
        ws,
        agreement={"signed": dt.date(2026, 12, 18), "start": AGREED, "end": dt.date(2027, 6, 28)},
        commitments=[
            {"party": "government", "what": "venues", "due": dt.date(2027, 1, 20)},
            {"party": "platform", "what": "traffic support", "due": AGREED},  # on the day: fine
        ],
        milestones=[
            {"name": "kick-off", "due": dt.date(2027, 1, 22), "owner": "partner-relations"},
            {"name": "livestream", "due": dt.date(2027, 3, 2), "owner": "live-ops"},
        ],
    )


def test_plan_warns_in_text(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    early_deal(workspace)  # the milestone is inside the window, only not inside the agreement
    assert START < dt.date(2027, 1, 22) < AGREED
    assert invoke("validate").exit_code == 0  # so it is plan's to find
    result = invoke("plan", "deal")
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert f"warning {COMMITMENT} (partnership.commitments[0].due)" in lines
    assert f"warning {MILESTONE} (partnership.milestones[0].due)" in lines
    assert not any("traffic support" in line and "before" in line for line in lines)
    # the early commitment still has its bar on the timeline, on the day it is due
    venues = next(line for line in lines if line.startswith("venues "))
    assert "█" in venues and venues.endswith("→ 2027-01-20 government")
    assert "Timeline 2027-01-20 → 2027-06-28" in lines  # the axis reaches back to it


def test_plan_warns_in_json_and_fails_on_warning(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    early_deal(workspace)
    result = invoke("plan", "deal", "--format", "json")
    assert result.exit_code == 0, result.output
    early = [
        (f["severity"], f["code"], f["message"], f["message_zh"], f["where"])
        for f in json.loads(result.stdout)["findings"]
        if "before" in f["code"]
    ]
    assert early == [
        (
            "warning",
            "commitment_before_agreement",
            COMMITMENT,
            "承诺「venues」截止 2027-01-20，早于协议开始日 2027-02-01",
            "partnership.commitments[0].due",
        ),
        (
            "warning",
            "milestone_before_agreement",
            MILESTONE,
            "里程碑「kick-off」截止 2027-01-22，早于协议开始日 2027-02-01",
            "partnership.milestones[0].due",
        ),
    ]
    assert invoke("plan", "deal", "--fail-on", "warning").exit_code == 1
