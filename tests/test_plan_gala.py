"""`xhsgrow plan` for gala campaigns: capacity at the peak second, prizes, legal checks."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.plan_helpers import EVE, NIGHT, gala_spec, round_
from xhsgrow.planning import plan_campaign
from xhsgrow.specs import load_spec
from xhsgrow.specs.scaffold import scaffold


def test_headroom_by_hand(workspace: Path) -> None:
    # 1,200,000 participants × 10 interactions over 10 minutes = 12,000,000 / 600 s = 20,000/s
    # mean; × peak-to-mean 3 = 60,000/s at the peak second; capacity 80,000 -> 20,000 (25%).
    plan = plan_campaign(load_spec(gala_spec(workspace)))
    g = plan.gala
    assert g is not None
    (rd,) = g.rounds
    assert rd.mean_rps == pytest.approx(20_000)
    assert rd.peak_rps == pytest.approx(60_000)
    assert rd.headroom_rps == pytest.approx(20_000)
    assert rd.headroom_pct == pytest.approx(0.25)
    assert not plan.errors
    ok = next(f for f in plan.findings if f.code == "capacity_headroom")
    assert "20,000" in ok.message and "25%" in ok.message


def test_shortfall_by_hand(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # same 60,000/s peak against 50,000/s: a shortfall of 10,000/s, 20% of capacity
    gala_spec(workspace, capacity=50_000)
    plan = plan_campaign(load_spec(workspace / "campaigns" / "gala.toml"))
    assert plan.gala is not None
    assert plan.gala.headroom_rps == pytest.approx(-10_000)
    assert plan.gala.headroom_pct == pytest.approx(-0.2)
    short = next(f for f in plan.errors if f.code == "capacity_shortfall")
    assert "10,000" in short.message and "20%" in short.message
    result = invoke("plan", "gala")
    assert result.exit_code == 0, result.output
    assert "SHORTFALL 10,000 rps (20% of capacity)" in result.output


def test_peak_to_mean_is_an_explicit_assumption(workspace: Path) -> None:
    # peak-to-mean 1.5: 20,000 × 1.5 = 30,000/s; capacity 80,000 -> 50,000 headroom (62.5%)
    plan = plan_campaign(load_spec(gala_spec(workspace, assumptions={"peak_to_mean": 1.5})))
    assert plan.gala is not None
    assert plan.gala.peak_rps == pytest.approx(30_000)
    assert plan.gala.headroom_pct == pytest.approx(0.625)


def test_overlapping_rounds_add_up(workspace: Path) -> None:
    # two 60,000/s rounds, the second starting 5 minutes into the first: 120,000/s together
    rounds = [round_("A"), round_("B", at=NIGHT + dt.timedelta(minutes=5))]
    plan = plan_campaign(load_spec(gala_spec(workspace, rounds=rounds, capacity=100_000)))
    assert plan.gala is not None
    assert plan.gala.peak_rps == pytest.approx(120_000)
    assert plan.gala.peak_round == "A + B"
    assert "capacity_shortfall_overlap" in {f.code for f in plan.errors}
    # each round alone fits
    assert all(r.headroom_rps > 0 for r in plan.gala.rounds)


def test_prize_draw_cap_is_50000_yuan(workspace: Path) -> None:
    rounds = [
        round_("at the cap", top_prize=50_000.0),
        round_("over the cap", top_prize=50_001.0, at=NIGHT + dt.timedelta(hours=1)),
        round_("unstated", top_prize=None, at=NIGHT + dt.timedelta(hours=2)),
    ]
    for r in rounds:
        if r["top_prize"] is None:
            del r["top_prize"]
    plan = plan_campaign(load_spec(gala_spec(workspace, rounds=rounds)))
    caps = [f for f in plan.findings if f.code == "prize_cap"]
    assert [f.where for f in caps] == ["gala.rounds[1].top_prize"]
    assert caps[0].severity == "error" and "Art. 10" in caps[0].message
    assert "第十条" in caps[0].message_zh
    unstated = next(f for f in plan.findings if f.code == "prize_not_stated")
    assert unstated.where == "gala.rounds[2].top_prize"


def test_wechat_mechanic_flags(workspace: Path) -> None:
    rounds = [
        round_("cards to wechat", mechanic="card_collect", shares_to_wechat=True),
        round_("shake to wechat", at=NIGHT + dt.timedelta(hours=1), shares_to_wechat=True),
        round_("cards in app", mechanic="card_collect", at=NIGHT + dt.timedelta(hours=2)),
    ]
    warm_up = [
        {"name": "assist", "mechanic": "share_assist", "shares_to_wechat": True},
        {"name": "bargain", "mechanic": "bargain", "shares_to_wechat": True},
        {
            "name": "cash note",
            "mechanic": "post_note",
            "shares_to_wechat": True,
            "cash_reward": True,
        },
        {"name": "plain note", "mechanic": "post_note", "shares_to_wechat": True},
        {"name": "cards in app", "mechanic": "card_collect", "shares_to_wechat": False},
    ]
    plan = plan_campaign(load_spec(gala_spec(workspace, rounds=rounds, warm_up=warm_up)))
    flags = {f.where: f for f in plan.findings if f.code == "wechat_forbidden"}
    assert set(flags) == {
        "gala.rounds[0].shares_to_wechat",
        "gala.rounds[1].shares_to_wechat",
        "gala.warm_up[0]",
        "gala.warm_up[1]",
        "gala.warm_up[2]",
    }
    assert "集卡" in flags["gala.rounds[0].shares_to_wechat"].message
    assert "share-for-cash" in flags["gala.rounds[1].shares_to_wechat"].message
    assert "助力" in flags["gala.warm_up[0]"].message
    assert "砍价" in flags["gala.warm_up[1]"].message
    assert "share-for-cash" in flags["gala.warm_up[2]"].message
    assert all(f.severity == "error" for f in flags.values())


def test_prizes_budget_phases_and_retention(workspace: Path) -> None:
    # pools ¥9.5M of a ¥10M budget = 95% -> warning; phases from target × share (20/60/20% of
    # 1,000,000); retention floor 5% + 95% × 0.9^7 on day 7.
    rounds = [round_(prize_pool=9_500_000.0)]
    targets = {"acquired": 1_000_000, "retention_d7": 0.6}
    path = gala_spec(
        workspace,
        rounds=rounds,
        targets=targets,
        assumptions={"retention_decay": 0.1, "retention_floor": 0.05},
    )
    plan = plan_campaign(load_spec(path))
    g = plan.gala
    assert g is not None
    assert g.budget_share == pytest.approx(0.95)
    assert "prizes_near_budget" in {f.code for f in plan.findings}
    assert [round(p.expected_new_users) for p in g.phases] == [200_000, 600_000, 200_000]
    assert g.retention[7] == pytest.approx(0.05 + 0.95 * 0.9**7)
    below = next(f for f in plan.findings if f.code == "retention_below_target")
    assert "day 7" in below.message


def test_expected_new_users_per_phase_from_the_spec(workspace: Path) -> None:
    data = scaffold("gala", "g", today=dt.date(2026, 12, 1))["gala"]["phases"]
    for ph, users in zip(data, (100_000, 300_000, 50_000), strict=True):
        ph["expected_new_users"] = users
    plan = plan_campaign(load_spec(gala_spec(workspace, phases=data)))
    g = plan.gala
    assert g is not None
    assert g.expected_new_users == 450_000
    short = next(f for f in plan.findings if f.code == "target_short")
    assert "45%" in short.message  # 450,000 of the 1,000,000 target
    # the projection follows the phases: nothing before the first phase ends... and 1 at the end
    assert plan.projection[-1][1] == 1.0
    assert all(b[1] >= a[1] for a, b in zip(plan.projection, plan.projection[1:], strict=False))


def test_json_output(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    gala_spec(workspace)
    result = invoke("plan", "gala", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["gala"]["peak_rps"] == 60_000
    assert doc["gala"]["rounds"][0]["headroom_pct"] == 0.25
    assert doc["gala"]["eve"] == EVE.isoformat()


def _line(path: Path, text: str) -> int:
    return path.read_text("utf-8").splitlines().index(text) + 1


def test_a_round_lasting_centuries_is_refused_at_its_key(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # validate accepted it; plan and brief died with OverflowError adding it to the round's time
    path = gala_spec(workspace, rounds=[round_(duration_minutes=99_999_999_999)])
    line = _line(path, "duration_minutes = 99999999999")
    for command in ("plan", "brief"):
        result = invoke(command, "gala")
        assert result.exit_code == 1, command
        assert result.stderr.splitlines() == [
            f"Error: campaigns/gala.toml:{line}:1: gala.rounds[0].duration_minutes: "
            "should be less than or equal to 1440 (got 99999999999)"
        ]


@pytest.mark.parametrize(
    ("at", "minutes", "refused"),
    [
        ("2027-03-07T23:50:00", 10, False),  # closes at midnight, as the window ends
        ("2027-03-07T23:55:00", 10, True),
        ("2027-03-07T00:00:00", 1440, False),
        ("2027-03-07T00:01:00", 1440, True),
    ],
)
def test_a_round_closes_inside_the_window(  # type: ignore[no-untyped-def]
    workspace: Path, invoke, at: str, minutes: int, refused: bool
) -> None:
    # the scaffold's window ends on 2027-03-07
    start = dt.datetime.fromisoformat(at)
    path = gala_spec(workspace, rounds=[round_(at=start, duration_minutes=minutes)])
    result = invoke("validate", "campaigns/gala.toml")
    if not refused:
        assert result.exit_code == 0, result.output
        return
    line = _line(path, f"duration_minutes = {minutes}")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"campaigns/gala.toml:{line}:1: gala.rounds[0].duration_minutes: the round opens at "
        f"{start:%Y-%m-%d %H:%M} and runs {minutes:,} minutes, past the end of the window on "
        "2027-03-07"
    ]


def test_a_round_in_the_last_minute_of_the_calendar_plans(workspace: Path) -> None:
    # at + duration is the year 10000, which datetime cannot hold: the night's peak computed it
    # (OverflowError). A spec can hold such a round (a window to 9999-12-31); one is built here
    # without the 8,000-year window, which only makes the plan slow.
    campaign = load_spec(gala_spec(workspace, rounds=[round_("R1"), round_("R2")]))
    last = dt.datetime(9999, 12, 31, 23, 59)
    rounds = [
        rd.model_copy(update={"at": last, "duration_minutes": 1440}) for rd in campaign.gala.rounds
    ]
    campaign = campaign.model_copy(
        update={"gala": campaign.gala.model_copy(update={"rounds": rounds})}
    )
    g = plan_campaign(campaign).gala
    assert g is not None
    assert g.peak_round == "R1 + R2"  # overlapping: both run at 23:59
