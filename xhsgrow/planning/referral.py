"""The referral plan: a generational viral model run day by day over the window.

Formulas and assumptions are in docs/plan.md; in short:

* K = invites_per_user × invite_conversion × eligible_share, falling by ``decay`` per
  viral cycle as the campaign ages: K(d) = K × (1 − decay)^(d / cycle_days) for users who
  join on day d.
* Successful invites per inviter follow a geometric distribution with mean K(d) (most
  inviters bring nobody, a few bring many), so a per-referrer cap c trims the mean to
  E[min(N, c)] = K(d) × (1 − q^c) with q = K(d) / (1 + K(d)), and a tier of n invites is
  reached by a share q^n of inviters.
* A user who joins on day d brings their referrals evenly over days d+1 … d+cycle_days;
  the seed inviters (generation 0) start on the first day of the window.
* Rewards are committed on the day a referee qualifies; when the pool cannot pay a whole
  day, the day is cut at the exact amount left and the campaign stops acquiring.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from xhsgrow.planning.figures import percents_apart
from xhsgrow.planning.result import Finding, Generation, ReferralDay, ReferralPlan
from xhsgrow.rendering.filters import money
from xhsgrow.specs.models import MAX_PEOPLE

if TYPE_CHECKING:
    from xhsgrow.specs.models import ReferralCampaign, Tier

#: Fewer users than this born into a generation on a day are not followed further.
_NEGLIGIBLE = 1e-9
#: The model stops growth when seed inviters and acquired users reach this many: more people
#: than live on Earth. K ≥ 1 over a long window would otherwise grow past any float.
MAX_USERS = float(MAX_PEOPLE)
#: A number of invites no referrer reaches: an amount cap of more (a tiny reward under a large
#: cap) never binds. Keeps ``floor(amount / reward)`` finite.
_UNREACHABLE = 10**18


def _whole(x: float) -> int:
    """floor(x) for counts of invites and pairs, as ``_UNREACHABLE`` when it is huge or not a
    number (math.floor raises on inf and NaN)."""
    return math.floor(x) if x < _UNREACHABLE else _UNREACHABLE


def implied_k(campaign: ReferralCampaign) -> float:
    a = campaign.referral.assumptions
    return a.invites_per_user * a.invite_conversion * a.eligible_share


def _tier_bonus_upto(tiers: list[Tier], n: int) -> float:
    return sum(t.bonus for t in tiers if t.invites <= n)


def referral_cap(campaign: ReferralCampaign) -> float | None:
    """Rewarded invites one referrer can earn in the campaign under every cap (None: no cap).

    Daily caps are turned into a campaign cap over one viral cycle (a referrer invites for
    ``cycle_days`` days); amount caps count the referrer reward and the tier bonuses.
    """
    r = campaign.referral
    caps, rewards, cycle = r.caps, r.rewards, r.assumptions.cycle_days
    limits: list[float] = []
    if caps.per_referrer is not None:
        limits.append(caps.per_referrer)
    if caps.per_referrer_daily is not None:
        limits.append(caps.per_referrer_daily * cycle)
    if caps.per_referrer_daily_amount is not None and rewards.referrer > 0:
        limits.append(_whole(caps.per_referrer_daily_amount / rewards.referrer + 1e-9) * cycle)
    if caps.per_referrer_amount is not None:
        limit = _amount_cap(caps.per_referrer_amount, rewards.referrer, list(rewards.tiers))
        if limit is not None:
            limits.append(limit)
    return min(limits) if limits else None


def _amount_cap(amount: float, per_invite: float, tiers: list[Tier]) -> int | None:
    """The largest n with per_invite × n + tier bonuses reached by n ≤ amount."""

    def cost(n: int) -> float:
        return per_invite * n + _tier_bonus_upto(tiers, n)

    if per_invite <= 0:
        over = [t.invites for t in tiers if _tier_bonus_upto(tiers, t.invites) > amount + 1e-9]
        return min(over) - 1 if over else None
    lo, hi = 0, _whole(amount / per_invite + 1e-9)
    while lo < hi:  # cost is monotone in n: binary search for the last affordable n
        mid = (lo + hi + 1) // 2
        if cost(mid) <= amount + 1e-9:
            lo = mid
        else:
            hi = mid - 1
    return lo


def capped_mean(k: float, cap: float | None) -> float:
    """E[min(N, cap)] for N geometric on {0, 1, …} with mean k."""
    if k <= 0:
        return 0.0
    if cap is None:
        return k
    q = k / (1 + k)
    return k * (1 - q ** math.floor(cap))


def tier_bonus_per_inviter(k: float, cap: float | None, tiers: list[Tier]) -> float:
    """Expected tier bonus per inviter: each tier's bonus × P(min(N, cap) ≥ its invites)."""
    if k <= 0:
        return 0.0
    q = k / (1 + k)
    return sum(t.bonus * q**t.invites for t in tiers if cap is None or t.invites <= cap)


def plan_referral(campaign: ReferralCampaign) -> tuple[ReferralPlan, list[Finding]]:
    r = campaign.referral
    a = r.assumptions
    start, end = campaign.window.start, campaign.window.end
    n_days = (end - start).days + 1
    cycle = a.cycle_days
    k0 = implied_k(campaign)
    cap = referral_cap(campaign)
    tiers = list(r.rewards.tiers)
    per_pair = r.rewards.referrer + r.rewards.referee
    pool = r.caps.pool

    # per joining day d: referrals and tier bonus per member of that day's cohort
    k_by_day = [k0 * (1 - a.decay) ** (d / cycle) for d in range(n_days)]
    refs_by_day = [capped_mean(k, cap) for k in k_by_day]
    bonus_by_day = [tier_bonus_per_inviter(k, cap, tiers) for k in k_by_day]

    # arrivals[g][t]: users of generation g who join on day t
    arrivals: list[list[float]] = [[0.0] * n_days]
    arrivals[0][0] = float(a.seed_inviters)
    spent = 0.0
    referrer_paid = referee_paid = tier_paid = 0.0
    pool_day: int | None = None
    full = False  # MAX_USERS reached
    days: list[ReferralDay] = []
    cumulative = 0.0
    for t in range(n_days):
        new_today = 0.0
        bonus_today = 0.0
        lo = max(0, t - cycle)
        for g in range(len(arrivals)):
            parents = arrivals[g]
            born = sum(parents[d] * refs_by_day[d] for d in range(lo, t)) / cycle
            bonus_today += sum(parents[d] * bonus_by_day[d] for d in range(lo, t)) / cycle
            if born <= _NEGLIGIBLE:
                continue
            if g + 1 == len(arrivals):
                arrivals.append([0.0] * n_days)
            arrivals[g + 1][t] = born
            new_today += born
        room = MAX_USERS - a.seed_inviters - cumulative
        if new_today > room:
            # as many people as live on Earth: cut the day there and stop, as for the pool
            fraction = max(0.0, room) / new_today
            for gen in arrivals[1:]:
                gen[t] *= fraction
            new_today *= fraction
            bonus_today *= fraction
            full = True
        cost = new_today * per_pair + bonus_today
        if cost > 0 and spent + cost > pool + 1e-9:
            # the pool cannot pay the whole day: pay exactly what is left, then stop
            fraction = max(0.0, pool - spent) / cost
            for gen in arrivals[1:]:
                gen[t] *= fraction
            new_today *= fraction
            bonus_today *= fraction
            cost = new_today * per_pair + bonus_today
            pool_day = t
        spent += cost
        referrer_paid += new_today * r.rewards.referrer
        referee_paid += new_today * r.rewards.referee
        tier_paid += bonus_today
        cumulative += new_today
        days.append(ReferralDay(start + dt.timedelta(days=t), new_today, cumulative, cost, spent))
        if pool_day is not None or full:
            days.extend(
                ReferralDay(start + dt.timedelta(days=u), 0.0, cumulative, 0.0, spent)
                for u in range(t + 1, n_days)
            )
            break

    generations = []
    for g, gen in enumerate(arrivals):
        users = sum(gen)
        if g and users <= _NEGLIGIBLE:
            continue
        first = next((i for i, v in enumerate(gen) if v > 0), None)
        day = start + dt.timedelta(days=first) if first is not None else None
        generations.append(Generation(g, day, users))

    acquired = cumulative
    k_capped = capped_mean(k0, cap)
    target = campaign.targets.acquired
    if k0 >= 1 and k_capped < 1:
        binds = "cap"
    elif pool_day is not None:
        binds = "pool"
    elif k0 >= 1:
        binds = "window"
    else:
        binds = "none"
    plan = ReferralPlan(
        seed_inviters=a.seed_inviters,
        k_factor=k0,
        k_capped=k_capped,
        referral_cap=cap,
        capped_share=(1 - k_capped / k0) if k0 > 0 else 0.0,
        per_pair=per_pair,
        acquired=acquired,
        total_users=a.seed_inviters + acquired,
        pairs_paid=_whole(acquired + 1e-6),
        rewards_paid=spent,
        referrer_paid=referrer_paid,
        referee_paid=referee_paid,
        tier_bonus_paid=tier_paid,
        pool=pool,
        pool_runs_out=start + dt.timedelta(days=pool_day) if pool_day is not None else None,
        pool_day_index=pool_day,
        cost_per_acquired=spent / acquired if acquired > 0 else None,
        target_acquired=target,
        target_reached=acquired / target if target else None,
        binds_first=binds,  # type: ignore[arg-type]
        days=days,
        generations=generations,
    )
    return plan, _findings(campaign, plan)


def _findings(campaign: ReferralCampaign, p: ReferralPlan) -> list[Finding]:
    out: list[Finding] = []
    cur = campaign.budget.currency
    n_days = len(p.days)
    full = p.total_users >= MAX_USERS * (1 - 1e-9)
    if p.k_factor >= 1:
        if p.binds_first == "cap":
            en = (
                f"the per-referrer cap ({p.referral_cap:,.0f} rewarded invites) binds first: it "
                f"holds K at {p.k_capped:.2f}, so growth converges"
            )
            zh = (
                f"单个邀请人上限（{p.referral_cap:,.0f} 次奖励）先生效，"
                f"将 K 压到 {p.k_capped:.2f}，增长收敛"
            )
            if p.pool_runs_out:
                en += f"; the pool still runs out on {p.pool_runs_out}"
                zh += f"；奖池仍在 {p.pool_runs_out} 耗尽"
        elif p.binds_first == "pool":
            en = f"the reward pool binds first: it runs out on {p.pool_runs_out}"
            zh = f"奖池先耗尽：{p.pool_runs_out}"
        elif full:
            en = "neither the pool nor the cap binds: growth runs until the model's ceiling"
            zh = "奖池和上限都未生效：增长持续到模型上限"
        else:
            en = "neither the pool nor the cap binds: growth runs until the window closes"
            zh = "奖池和上限都未生效：增长持续到活动结束"
        out.append(
            Finding(
                "warning",
                "k_at_least_one",
                f"K = {p.k_factor:.2f} ≥ 1: every user brings more than one more; {en}",
                f"K = {p.k_factor:.2f} ≥ 1：每个用户带来超过一个新用户；{zh}",
                "referral.assumptions",
            )
        )
    if full:
        out.append(
            Finding(
                "warning",
                "users_ceiling",
                f"the plan reaches {MAX_USERS:,.0f} users, more than live on Earth, and stops "
                "growing there: check the assumptions",
                f"预计用户达到 {MAX_USERS:,.0f}，超过世界人口，模型在此停止增长：请检查假设",
                "referral.assumptions",
            )
        )
    if p.pool_runs_out is not None:
        day_no = (p.pool_day_index or 0) + 1
        out.append(
            Finding(
                "warning",
                "pool_runs_out",
                f"the reward pool of {money(p.pool, cur)} runs out on {p.pool_runs_out} "
                f"(day {day_no} of {n_days}) after {p.pairs_paid:,} rewarded pairs; "
                "the campaign stops acquiring then",
                f"奖池 {money(p.pool, cur)} 在 {p.pool_runs_out}（第 {day_no}/{n_days} 天）"
                f"耗尽，共奖励 {p.pairs_paid:,} 对邀请",
                "referral.caps.pool",
            )
        )
    if p.target_acquired and p.target_reached is not None and p.target_reached < 1:
        sev = "warning" if p.target_reached < 0.95 else "info"
        reached, _ = percents_apart(p.target_reached, 1.0)  # 99.6%, never "100%" when short
        out.append(
            Finding(
                sev,  # type: ignore[arg-type]
                "target_short",
                f"the plan acquires {p.acquired:,.0f} users, {reached} of the "
                f"acquired target {p.target_acquired:,}",
                f"预计获客 {p.acquired:,.0f}，为目标 {p.target_acquired:,} 的 {reached}",
                "targets.acquired",
            )
        )
    k_target = campaign.targets.k_factor
    if k_target is not None and abs(k_target - p.k_factor) > 0.25 * max(k_target, 0.01):
        out.append(
            Finding(
                "info",
                "k_target_mismatch",
                f"the target K is {k_target:g} but the assumptions imply K = {p.k_factor:.2f}",
                f"目标 K 为 {k_target:g}，但假设推算 K = {p.k_factor:.2f}",
                "targets.k_factor",
            )
        )
    return out
