"""`xhsgrow plan` for referral campaigns: the generational viral model, worked out by hand."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.plan_helpers import K_HALF, START, referral_spec
from xhsgrow.planning import plan_campaign
from xhsgrow.planning.referral import capped_mean, referral_cap, tier_bonus_per_inviter
from xhsgrow.specs import load_spec
from xhsgrow.specs.scaffold import scaffold


def test_k_half_from_1000_seeds_converges_to_2000_users(workspace: Path) -> None:
    # K = 5 invites × 10% conversion × 100% eligible = 0.5; each generation is half the last:
    # 1,000 + 500 + 250 + … = 1,000 / (1 − 0.5) = 2,000 users in total, 1,000 of them acquired.
    path = referral_spec(workspace, assumptions=K_HALF)
    plan = plan_campaign(load_spec(path)).referral
    assert plan is not None
    assert plan.k_factor == pytest.approx(0.5)
    assert plan.total_users == pytest.approx(2000, abs=1)
    assert plan.acquired == pytest.approx(1000, abs=1)
    gens = {g.number: g.users for g in plan.generations}
    assert gens[0] == 1000 and gens[1] == pytest.approx(500) and gens[2] == pytest.approx(250)
    # day by day: generation g joins on day g when the cycle is one day
    assert plan.days[1].new_users == pytest.approx(500)
    assert plan.days[2].cumulative == pytest.approx(750)
    assert plan.pool_runs_out is None and plan.binds_first == "none"
    # rewards: ¥15 per pair, no tiers, so ¥15 per acquired user
    assert plan.rewards_paid == pytest.approx(15_000, rel=1e-6)
    assert plan.cost_per_acquired == pytest.approx(15.0)


def test_pool_of_a_million_at_15_per_pair_runs_out_after_66666_pairs(workspace: Path) -> None:
    # 100,000 seeds with K = 1 over a 3-day cycle bring 33,333⅓ a day; day 2 adds 11,111⅑ from
    # day 1's joiners: 33,333⅓ + 44,444⁴⁄₉ = 77,777 > 1,000,000 / 15 = 66,666⅔ pairs.
    path = referral_spec(
        workspace,
        assumptions={
            "seed_inviters": 100_000,
            "invites_per_user": 10,
            "invite_conversion": 0.1,
            "cycle_days": 3,
        },
        caps={"pool": 1_000_000.0},
    )
    plan = plan_campaign(load_spec(path))
    r = plan.referral
    assert r is not None
    assert r.pairs_paid == 66_666
    assert r.rewards_paid == pytest.approx(1_000_000)
    assert r.pool_runs_out == START + dt.timedelta(days=2)
    assert r.days[1].cumulative == pytest.approx(100_000 / 3)
    # nothing is acquired after the pool runs out
    assert all(d.new_users == 0 for d in r.days[3:])
    assert r.acquired == pytest.approx(1_000_000 / 15)
    assert r.binds_first == "pool"
    codes = {f.code for f in plan.findings}
    assert {"pool_runs_out", "k_at_least_one"} <= codes
    pool = next(f for f in plan.findings if f.code == "pool_runs_out")
    assert "66,666" in pool.message and "2027-03-03" in pool.message


def test_k_above_one_says_the_cap_binds_first_when_it_holds_k_below_one(workspace: Path) -> None:
    # K = 1.5; with a cap of 1 rewarded invite per referrer and N geometric with mean 1.5,
    # E[min(N, 1)] = P(N ≥ 1) = q = 1.5 / 2.5 = 0.6 < 1: the cap turns growth convergent.
    path = referral_spec(
        workspace,
        assumptions={
            "seed_inviters": 1000,
            "invites_per_user": 15,
            "invite_conversion": 0.1,
            "cycle_days": 1,
        },
        caps={"per_referrer": 1},
    )
    plan = plan_campaign(load_spec(path))
    r = plan.referral
    assert r is not None
    assert r.k_factor == pytest.approx(1.5)
    assert r.k_capped == pytest.approx(0.6)
    assert r.binds_first == "cap"
    assert r.total_users == pytest.approx(1000 / (1 - 0.6), rel=1e-6)
    warning = next(f for f in plan.findings if f.code == "k_at_least_one")
    assert (
        warning.severity == "warning"
        and "cap" in warning.message
        and "binds first" in warning.message
    )


def test_caps_and_tiers_by_hand(workspace: Path) -> None:
    # amount cap: ¥10 per invite plus a ¥20 bonus at 3 invites, ¥100 at most -> 10n + 20 <= 100
    # -> 8 invites; the daily cap 5 × a 2-day cycle = 10 is looser; per_referrer 12 looser still.
    path = referral_spec(
        workspace,
        assumptions={"cycle_days": 2},
        rewards={"tiers": [{"invites": 3, "bonus": 20.0}]},
        caps={"per_referrer_amount": 100.0, "per_referrer_daily": 5, "per_referrer": 12},
    )
    assert referral_cap(load_spec(path)) == 8
    # geometric with mean 1: q = 1/2, E[min(N, 2)] = 1 × (1 − ¼) = 0.75
    assert capped_mean(1.0, 2) == pytest.approx(0.75)
    assert capped_mean(1.0, None) == 1.0
    # a tier at 2 invites paying ¥20 is reached by q² = ¼ of inviters: ¥5 per inviter
    tier = load_spec(
        referral_spec(workspace, cid="t2", rewards={"tiers": [{"invites": 2, "bonus": 20.0}]})
    )
    tiers = list(tier.referral.rewards.tiers)
    assert tier_bonus_per_inviter(1.0, None, tiers) == pytest.approx(5.0)
    assert tier_bonus_per_inviter(1.0, 1, tiers) == 0.0  # the cap stops anyone reaching it


def test_decay_slows_later_generations(workspace: Path) -> None:
    # decay 50% per cycle: users joining on day 1 (one cycle in) share half as much
    path = referral_spec(
        workspace,
        assumptions={**K_HALF, "decay": 0.5},
    )
    r = plan_campaign(load_spec(path)).referral
    assert r is not None
    assert r.days[1].new_users == pytest.approx(500)  # seeds joined on day 0: no decay yet
    assert r.days[2].new_users == pytest.approx(500 * 0.25)  # day-1 joiners: K = 0.25
    assert r.acquired < 1000


def test_target_shortfall_is_a_warning(workspace: Path) -> None:
    path = referral_spec(
        workspace,
        acquired=4000,
        assumptions=K_HALF,
    )
    plan = plan_campaign(load_spec(path))
    short = next(f for f in plan.findings if f.code == "target_short")
    assert short.severity == "warning" and "25%" in short.message  # 1,000 of 4,000


def test_cli_table_and_json(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    referral_spec(workspace, assumptions=K_HALF)
    result = invoke("plan", "invite")
    assert result.exit_code == 0, result.output
    assert "0.50" in result.output and "2,000" in result.output and "Generations" in result.output
    result = invoke("plan", "invite", "--format", "json")
    doc = json.loads(result.output)
    assert doc["kind"] == "referral"
    assert doc["referral"]["total_users"] == pytest.approx(2000, abs=1)
    assert len(doc["projection"]) == 60 and doc["projection"][-1][1] == 1.0


def test_existing_specs_without_assumptions_still_load_and_plan(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    assert invoke("new", "referral", "plain").exit_code == 0
    path = workspace / "campaigns" / "plain.toml"
    spec = tomllib.loads(path.read_text("utf-8"))
    del spec["referral"]["assumptions"]  # a spec written before plan assumptions existed
    path.write_text(tomli_w.dumps(spec), "utf-8")
    assert "assumptions" not in path.read_text("utf-8")
    result = invoke("plan", "plain")
    assert result.exit_code == 0, result.output
    assert "K (invites × conversion × eligible)" in result.output


def test_an_infinite_assumption_is_a_spec_error_naming_the_key(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # `invites_per_user = inf` is valid TOML; the plan crashed on it (NaN to integer)
    path = referral_spec(workspace, assumptions={**K_HALF, "invites_per_user": math.inf})
    line = path.read_text("utf-8").splitlines().index("invites_per_user = inf") + 1
    result = invoke("plan", "invite")  # invoke re-raises any exception: no traceback here
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: campaigns/invite.toml:{line}:1: referral.assumptions.invites_per_user: "
        "should be a finite number (got inf)"
    ]


def test_growth_stops_at_more_users_than_live_on_earth(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    # K = 2 a day for 1,000 days, no rewards so the pool never binds: 1,000 × 2^1000 users is
    # past any float, and the plan used to die on floor(NaN). It stops at 10 billion instead.
    path = referral_spec(
        workspace,
        days=1000,
        assumptions={**K_HALF, "invites_per_user": 20},
        rewards={"referrer": 0.0, "referee": 0.0},
    )
    plan = plan_campaign(load_spec(path))
    r = plan.referral
    assert r is not None
    assert r.k_factor == pytest.approx(2.0)
    assert r.total_users == pytest.approx(10_000_000_000)
    assert r.pairs_paid == 10_000_000_000 - 1000
    assert all(math.isfinite(d.cumulative) for d in r.days) and len(r.days) == 1000
    ceiling = next(f for f in plan.findings if f.code == "users_ceiling")
    assert ceiling.severity == "warning" and "10,000,000,000" in ceiling.message
    k = next(f for f in plan.findings if f.code == "k_at_least_one")
    assert "model's ceiling" in k.message and "window closes" not in k.message
    result = invoke("plan", "invite", "--format", "json")
    assert result.exit_code == 0, result.output
    json.loads(result.stdout, parse_constant=pytest.fail)  # no Infinity, no NaN


@pytest.mark.parametrize("cap", ["per_referrer_daily_amount", "per_referrer_amount"])
def test_a_tiny_reward_under_a_large_amount_cap_never_binds(workspace: Path, cap: str) -> None:
    # 10^15 / 10^-300 invites is an infinite float: floor() of it raised OverflowError
    path = referral_spec(
        workspace, assumptions=K_HALF, rewards={"referrer": 1e-300}, caps={cap: 1e15}
    )
    campaign = load_spec(path)
    limit = referral_cap(campaign)
    assert limit is not None and limit >= 10**18
    r = plan_campaign(campaign).referral
    assert r is not None
    assert r.k_capped == pytest.approx(r.k_factor)  # a cap no one reaches
    assert r.total_users == pytest.approx(2000, rel=1e-6)


def test_unknown_campaign_is_a_usage_error(workspace: Path, invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("plan", "nope")
    assert result.exit_code == 2
    assert "no campaign 'nope'" in result.output


@settings(max_examples=60, deadline=None)
@given(
    seeds=st.integers(0, 200_000),
    invites=st.floats(0, 20),
    conversion=st.floats(0, 1),
    cycle=st.integers(1, 10),
    decay=st.floats(0, 1),
    pool=st.floats(0, 5_000_000),
    per_referrer=st.one_of(st.none(), st.integers(1, 50)),
)
def test_model_invariants(
    seeds: int,
    invites: float,
    conversion: float,
    cycle: int,
    decay: float,
    pool: float,
    per_referrer: int | None,
) -> None:
    from xhsgrow.specs.models import ReferralCampaign

    data = scaffold("referral", "prop", today=START - dt.timedelta(days=3))
    data["referral"]["assumptions"] = {
        "seed_inviters": seeds,
        "invites_per_user": invites,
        "invite_conversion": conversion,
        "cycle_days": cycle,
        "decay": decay,
        "eligible_share": 1.0,
    }
    caps: dict[str, Any] = {"pool": pool}
    if per_referrer is not None:
        caps["per_referrer"] = per_referrer
    data["referral"]["caps"] = caps
    data["referral"]["rewards"]["tiers"] = []
    plan = plan_campaign(ReferralCampaign.model_validate(data))
    r = plan.referral
    assert r is not None
    per_pair = 20.0  # the scaffold's ¥10 + ¥10
    # the pool is never overspent, and never pays more pairs than it can afford
    assert r.rewards_paid <= pool + 1e-6
    assert r.pairs_paid <= math.floor(pool / per_pair + 1e-9)
    assert r.rewards_paid == pytest.approx(r.pairs_paid * per_pair, abs=per_pair + 1e-6)
    # the cap and decay can only slow growth below the uncapped geometric series
    if r.k_factor < 1:
        assert r.acquired <= seeds * r.k_factor / (1 - r.k_factor) + 1e-6
    assert r.k_capped <= r.k_factor + 1e-12
    # the projection is a cumulative share: one per day, never falling, ending at 1
    shares = [s for _, s in plan.projection]
    assert len(shares) == len(r.days) and shares[-1] == 1.0
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(shares))
