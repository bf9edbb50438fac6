"""The gala plan: peak-second load against capacity, prize pools against the budget, new users
per phase, post-gala retention, and the legal checks (docs/plan.md).

Peak-to-mean: a round's requests do not arrive evenly over its minutes; they surge in the
seconds after the hosts' cue. The plan takes the round's mean rate (participants ×
interactions per participant ÷ the round's seconds) and multiplies it by
``gala.assumptions.peak_to_mean`` (default 3: the busiest second carries three times the
round's average). Rounds that overlap in time add up.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from xhsgrow.planning.figures import amount, percents_apart
from xhsgrow.planning.result import Finding, GalaPlan, PhasePlan, RoundCheck
from xhsgrow.rendering.filters import money

if TYPE_CHECKING:
    from xhsgrow.specs.models import GalaCampaign, Round

#: Anti-Unfair Competition Law of the PRC, Art. 10: a prize-draw promotion's top prize may
#: not exceed ¥50,000.
PRIZE_DRAW_CAP_CNY = 50_000.0

#: Mechanics WeChat's external-link rules (in force 2019-10-28) forbid for links shared into
#: WeChat: inducing shares for cash, coupons or red envelopes, 助力, 砍价, 集赞 and 集卡.
WECHAT_FORBIDDEN: dict[str, tuple[str, str]] = {
    "share_assist": ("助力 (share-to-assist)", "助力"),
    "bargain": ("砍价 (share-to-bargain)", "砍价"),
    "collect_likes": ("集赞 (collect likes)", "集赞"),
    "card_collect": ("集卡 (card collecting)", "集卡"),
    "share_for_cash": ("share-for-cash", "分享得现金"),
}

#: Days after the night at which the assumed retention is reported.
RETENTION_DAYS = (1, 7, 30)


def gala_eve(campaign: GalaCampaign) -> dt.date:
    from xhsgrow.specs.lunar import lunar_new_years_eve

    g = campaign.gala
    return g.eve if g.eve is not None else lunar_new_years_eve(g.year)


def round_load(rd: Round, peak_to_mean: float) -> tuple[float, float, float]:
    """(interactions, mean requests/s, peak-second requests/s) of one round."""
    interactions = rd.expected_participants * rd.interactions_per_participant
    mean = interactions / (rd.duration_minutes * 60)
    return interactions, mean, mean * peak_to_mean


def headroom(capacity: float, peak: float) -> tuple[float, float]:
    """(capacity − peak, that as a share of capacity); negative means a shortfall."""
    margin = capacity - peak
    return margin, margin / capacity if capacity else float("-inf")


def retained(day: int, decay: float, floor: float) -> float:
    """Share of gala new users still active ``day`` days after the night."""
    return floor + (1 - floor) * (1 - decay) ** day


def plan_gala(campaign: GalaCampaign) -> tuple[GalaPlan, list[Finding]]:
    g = campaign.gala
    a = g.assumptions
    budget = campaign.budget.amount
    checks: list[RoundCheck] = []
    for rd in g.rounds:
        interactions, mean, peak = round_load(rd, a.peak_to_mean)
        margin, pct = headroom(g.capacity_rps, peak)
        checks.append(
            RoundCheck(
                name=rd.name,
                at=rd.at,
                duration_minutes=rd.duration_minutes,
                participants=rd.expected_participants,
                interactions_per_participant=rd.interactions_per_participant,
                interactions=interactions,
                mean_rps=mean,
                peak_rps=peak,
                capacity_rps=g.capacity_rps,
                headroom_rps=margin,
                headroom_pct=pct,
                prize_pool=rd.prize_pool,
                budget_share=rd.prize_pool / budget if budget else 0.0,
                top_prize=rd.top_prize,
                mechanic=rd.mechanic,
                shares_to_wechat=rd.shares_to_wechat,
            )
        )
    night_peak, peak_names = _night_peak(checks)
    margin, pct = headroom(g.capacity_rps, night_peak)
    pools = sum(rd.prize_pool for rd in g.rounds)
    phases = _phases(campaign)
    total_new = sum(p.expected_new_users for p in phases)
    plan = GalaPlan(
        eve=gala_eve(campaign),
        capacity_rps=g.capacity_rps,
        peak_to_mean=a.peak_to_mean,
        peak_rps=night_peak,
        peak_round=" + ".join(peak_names) if peak_names else None,
        headroom_rps=margin,
        headroom_pct=pct,
        rounds=checks,
        prize_pools=pools,
        budget=budget,
        budget_share=pools / budget if budget else 0.0,
        phases=phases,
        expected_new_users=total_new,
        retention_decay=a.retention_decay,
        retention_floor=a.retention_floor,
        retention={d: retained(d, a.retention_decay, a.retention_floor) for d in RETENTION_DAYS},
        days=_daily_new_users(campaign, phases),
    )
    return plan, _findings(campaign, plan)


def _night_peak(checks: list[RoundCheck]) -> tuple[float, list[str]]:
    """The busiest second: at each round's start, add every round running at that moment."""
    best, names = 0.0, []
    for c in checks:
        # c.at - o.at, not o.at + duration: a round at the end of year 9999 must not overflow
        running = [
            o
            for o in checks
            if o.at <= c.at and c.at - o.at < dt.timedelta(minutes=o.duration_minutes)
        ]
        total = sum(o.peak_rps for o in running)
        if total > best:
            best, names = total, [o.name for o in running]
    return best, names


def _phases(campaign: GalaCampaign) -> list[PhasePlan]:
    target = campaign.targets.acquired
    out = []
    for ph in campaign.gala.phases:
        if ph.expected_new_users is not None:
            users, source = float(ph.expected_new_users), "spec"
        elif target is not None:
            users, source = target * ph.share, "target × share"
        else:
            users, source = 0.0, "none"
        out.append(PhasePlan(ph.name, ph.start, ph.end, ph.share, users, source))  # type: ignore[arg-type]
    return out


def _daily_new_users(
    campaign: GalaCampaign, phases: list[PhasePlan]
) -> list[tuple[dt.date, float]]:
    """New users per day of the window: even within warm-up and the night, falling by the
    retention decay through the retention phase, none outside the phases."""
    start, end = campaign.window.start, campaign.window.end
    per_day: dict[dt.date, float] = {}
    use_shares = all(p.expected_new_users == 0 for p in phases)
    decay = campaign.gala.assumptions.retention_decay
    for p in phases:
        amount = p.share if use_shares else p.expected_new_users
        days = [p.start + dt.timedelta(days=i) for i in range((p.end - p.start).days + 1)]
        if not days:
            continue
        if p.name == "retention":
            weights = [(1 - decay) ** i for i in range(len(days))]
        else:
            weights = [1.0] * len(days)
        total = sum(weights) or 1.0
        for day, w in zip(days, weights, strict=True):
            per_day[day] = per_day.get(day, 0.0) + amount * w / total
    n = (end - start).days + 1
    return [
        (start + dt.timedelta(days=i), per_day.get(start + dt.timedelta(days=i), 0.0))
        for i in range(n)
    ]


def _findings(campaign: GalaCampaign, p: GalaPlan) -> list[Finding]:
    out: list[Finding] = []
    g = campaign.gala
    cur = campaign.budget.currency
    for i, c in enumerate(p.rounds):
        if c.headroom_rps < 0:
            out.append(
                Finding(
                    "error",
                    "capacity_shortfall",
                    f"{c.name} peaks at {c.peak_rps:,.0f} requests/s (mean {c.mean_rps:,.0f} × "
                    f"peak-to-mean {p.peak_to_mean:g}) against a capacity of "
                    f"{c.capacity_rps:,}: a shortfall of {-c.headroom_rps:,.0f} requests/s "
                    f"({-c.headroom_pct:.0%} of capacity)",
                    f"{c.name} 峰值 {c.peak_rps:,.0f} 次/秒（均值 {c.mean_rps:,.0f} × 峰均比 "
                    f"{p.peak_to_mean:g}），容量 {c.capacity_rps:,}：缺口 "
                    f"{-c.headroom_rps:,.0f} 次/秒（容量的 {-c.headroom_pct:.0%}）",
                    f"gala.rounds[{i}]",
                )
            )
    # from the rounds, not from peak_round's text: a round may be named "Shake + Quiz"
    overlapping = len(_night_peak(p.rounds)[1]) > 1
    if overlapping and p.headroom_rps < 0:
        out.append(
            Finding(
                "error",
                "capacity_shortfall_overlap",
                f"overlapping rounds {p.peak_round} together peak at {p.peak_rps:,.0f} "
                f"requests/s against a capacity of {p.capacity_rps:,}",
                f"重叠轮次 {p.peak_round} 合计峰值 {p.peak_rps:,.0f} 次/秒，容量 "
                f"{p.capacity_rps:,}",
                "gala.rounds",
            )
        )
    if p.rounds and p.headroom_rps >= 0:
        sev = "warning" if p.headroom_pct < 0.2 else "info"
        # a warning's 19.96% must not read "20%", the level it is under
        share = percents_apart(p.headroom_pct, 0.2)[0] if sev == "warning" else None
        share = share or f"{p.headroom_pct:.0%}"
        out.append(
            Finding(
                sev,  # type: ignore[arg-type]
                "capacity_headroom",
                f"the night peaks at {p.peak_rps:,.0f} requests/s ({p.peak_round}); capacity "
                f"{p.capacity_rps:,} leaves {p.headroom_rps:,.0f} requests/s of headroom "
                f"({share})",
                f"当晚峰值 {p.peak_rps:,.0f} 次/秒（{p.peak_round}）；容量 {p.capacity_rps:,}，"
                f"余量 {p.headroom_rps:,.0f} 次/秒（{share}）",
                "gala.capacity_rps",
            )
        )
    for i, rd in enumerate(g.rounds):
        where = f"gala.rounds[{i}]"
        if rd.top_prize is None:
            out.append(
                Finding(
                    "warning",
                    "prize_not_stated",
                    f"{rd.name}: no top_prize; Art. 10 of the Anti-Unfair Competition Law "
                    "requires prize type, conditions and amounts to be stated",
                    f"{rd.name}：未写明最高奖金；《反不正当竞争法》第十条要求明示奖项种类、"
                    "兑奖条件和金额",
                    f"{where}.top_prize",
                )
            )
        elif cur != "CNY":
            out.append(
                Finding(
                    "info",
                    "prize_cap_unchecked",
                    f"{rd.name}: the ¥50,000 prize-draw cap is in CNY; the budget is in {cur}",
                    f"{rd.name}：抽奖上限以人民币计，预算币种为 {cur}，未检查",
                    f"{where}.top_prize",
                )
            )
        elif rd.top_prize > PRIZE_DRAW_CAP_CNY:
            out.append(
                Finding(
                    "error",
                    "prize_cap",
                    f"{rd.name}: top prize {amount(rd.top_prize, cur)} is over the ¥50,000 cap "
                    "on prize-draw promotions (Anti-Unfair Competition Law, Art. 10)",
                    f"{rd.name}：最高奖 {amount(rd.top_prize, cur)} 超过抽奖式有奖销售 ¥50,000 上限"
                    "（《反不正当竞争法》第十条）",
                    f"{where}.top_prize",
                )
            )
        if rd.shares_to_wechat:
            what_en, what_zh = "share-for-cash (its red envelopes reward the share)", "分享得红包"
            if rd.mechanic in WECHAT_FORBIDDEN:
                en, zh = WECHAT_FORBIDDEN[rd.mechanic]
                what_en, what_zh = f"{en} and share-for-cash", f"{zh}、分享得红包"
            out.append(_wechat(rd.name, what_en, what_zh, f"{where}.shares_to_wechat"))
    for i, task in enumerate(g.warm_up):
        if not task.shares_to_wechat:
            continue
        parts = []
        if task.mechanic in WECHAT_FORBIDDEN:
            parts.append(WECHAT_FORBIDDEN[task.mechanic])
        if task.cash_reward and task.mechanic != "share_for_cash":
            parts.append(WECHAT_FORBIDDEN["share_for_cash"])
        if parts:
            out.append(
                _wechat(
                    f"warm-up task {task.name!r}",
                    " and ".join(en for en, _ in parts),
                    "、".join(zh for _, zh in parts),
                    f"gala.warm_up[{i}]",
                )
            )
    if p.budget and p.prize_pools > p.budget:
        out.append(
            Finding(
                "error",
                "prizes_over_budget",
                f"prize pools {money(p.prize_pools, cur)} exceed the budget {money(p.budget, cur)}",
                f"奖池合计 {money(p.prize_pools, cur)} 超出预算 {money(p.budget, cur)}",
                "gala.rounds",
            )
        )
    elif p.budget and p.budget_share > 0.9:
        share = percents_apart(0.9, p.budget_share)[1]  # above 90%: never "90%"
        out.append(
            Finding(
                "warning",
                "prizes_near_budget",
                f"prize pools take {share} of the budget, leaving "
                f"{money(p.budget - p.prize_pools, cur)} for everything else",
                f"奖池占预算 {share}，其余仅剩 {money(p.budget - p.prize_pools, cur)}",
                "gala.rounds",
            )
        )
    unstated = [(i, ph.name) for i, ph in enumerate(p.phases) if ph.source == "none"]
    if unstated:
        # without a figure the phase counts 0 new users: say so rather than print 0 as a plan
        names = ", ".join(name for _, name in unstated)
        out.append(
            Finding(
                "warning",
                "new_users_not_stated",
                f"{names}: no expected_new_users and no targets.acquired to share out, so the "
                "plan expects no new users there",
                f"{names}：未设 expected_new_users，也没有 targets.acquired 可按比例分配，"
                "预计新增按 0 计",
                f"gala.phases[{unstated[0][0]}].expected_new_users",
            )
        )
    target = campaign.targets.acquired
    if target and any(ph.source == "spec" for ph in p.phases) and p.expected_new_users < target:
        reached = percents_apart(p.expected_new_users / target, 1.0)[0]
        out.append(
            Finding(
                "warning",
                "target_short",
                f"the phases expect {p.expected_new_users:,.0f} new users, "
                f"{reached} of the acquired target {target:,}",
                f"各阶段预计新增 {p.expected_new_users:,.0f}，为目标 {target:,} 的 {reached}",
                "gala.phases",
            )
        )
    for day in RETENTION_DAYS:
        want = getattr(campaign.targets, f"retention_d{day}", None)
        have = p.retention[day]
        if want is not None and have < want:
            shown, wanted = percents_apart(have, want, 1)  # never "23.3% is below 23%"
            out.append(
                Finding(
                    "warning",
                    "retention_below_target",
                    f"the assumed retention decay leaves {shown} active on day {day}, below "
                    f"the retention_d{day} target {wanted}",
                    f"按假设的留存衰减，第 {day} 天留存 {shown}，低于目标 {wanted}",
                    f"targets.retention_d{day}",
                )
            )
    return out


def _wechat(what: str, mechanic_en: str, mechanic_zh: str, where: str) -> Finding:
    return Finding(
        "error",
        "wechat_forbidden",
        f"{what} shares links into WeChat with {mechanic_en}: WeChat's external-link rules "
        "forbid it and block the link and domain",
        f"{what} 向微信分享链接并使用{mechanic_zh}：违反微信外链规则，链接和域名会被封禁",
        where,
    )
