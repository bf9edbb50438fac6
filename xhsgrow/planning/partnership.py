"""The partnership plan: the timeline of commitments and milestones, regional targets summed
against the total, and the gaps a reviewer would find (docs/plan.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xhsgrow.planning.result import Finding, PartnershipPlan, RegionSum, TimelineItem

if TYPE_CHECKING:
    from xhsgrow.specs.models import PartnershipCampaign

#: Which campaign target a regional target of each metric adds up to.
REGION_TOTALS = {
    "acquired": "acquired",
    "activated": "activated",
    "merchants_onboarded": "merchants_onboarded",
    "cost": "budget_spend",
}


def plan_partnership(campaign: PartnershipCampaign) -> tuple[PartnershipPlan, list[Finding]]:
    from xhsgrow.specs import divisions

    p = campaign.partnership
    ag = p.agreement
    out: list[Finding] = []
    timeline = [TimelineItem("agreement", "agreement", ag.start, ag.end, "both")]
    for i, c in enumerate(p.commitments):
        due = c.due or ag.end
        qty = f" ({c.quantity:,.0f} {c.unit})".replace(" )", ")") if c.quantity is not None else ""
        late = c.due is not None and c.due > ag.end
        early = c.due is not None and c.due < ag.start
        # a bar from the agreement's start to the due day; one day long when due before it
        timeline.append(
            TimelineItem(
                "commitment", f"{c.what}{qty}", min(ag.start, due), due, c.party, late=late
            )
        )
        if early:
            out.append(
                Finding(
                    "warning",
                    "commitment_before_agreement",
                    f"commitment '{c.what}' ({c.party}) is due {c.due}, before the agreement "
                    f"starts on {ag.start}",
                    f"承诺「{c.what}」截止 {c.due}，早于协议开始日 {ag.start}",
                    f"partnership.commitments[{i}].due",
                )
            )
        if late:
            out.append(
                Finding(
                    "warning",
                    "commitment_after_agreement",
                    f"commitment '{c.what}' ({c.party}) is due {c.due}, after the agreement "
                    f"ends on {ag.end}",
                    f"承诺「{c.what}」截止 {c.due}，晚于协议结束日 {ag.end}",
                    f"partnership.commitments[{i}].due",
                )
            )
        if c.due is None:
            out.append(
                Finding(
                    "info",
                    "commitment_no_due",
                    f"commitment '{c.what}' ({c.party}) has no due date; the plan assumes the "
                    "end of the agreement",
                    f"承诺「{c.what}」没有截止日期，按协议结束日计",
                    f"partnership.commitments[{i}].due",
                )
            )
    for i, m in enumerate(p.milestones):
        late = m.due > ag.end
        timeline.append(
            TimelineItem("milestone", m.name, m.due, m.due, m.owner, done=m.done, late=late)
        )
        if not m.owner.strip():
            out.append(
                Finding(
                    "warning",
                    "milestone_no_owner",
                    f"milestone '{m.name}' (due {m.due}) has no owner",
                    f"里程碑「{m.name}」（{m.due}）没有负责人",
                    f"partnership.milestones[{i}].owner",
                )
            )
        if m.due < ag.start:
            out.append(
                Finding(
                    "warning",
                    "milestone_before_agreement",
                    f"milestone '{m.name}' is due {m.due}, before the agreement starts on "
                    f"{ag.start}",
                    f"里程碑「{m.name}」截止 {m.due}，早于协议开始日 {ag.start}",
                    f"partnership.milestones[{i}].due",
                )
            )
        if late:
            out.append(
                Finding(
                    "warning",
                    "milestone_after_agreement",
                    f"milestone '{m.name}' is due {m.due}, after the agreement ends on {ag.end}",
                    f"里程碑「{m.name}」截止 {m.due}，晚于协议结束日 {ag.end}",
                    f"partnership.milestones[{i}].due",
                )
            )

    regional = [s for s in campaign.targets.segments if s.dimension == "region"]
    sums: list[RegionSum] = []
    for metric in dict.fromkeys(s.metric for s in regional):
        rows = [
            (s.value, divisions.name(s.value), s.target) for s in regional if s.metric == metric
        ]
        regional_sum = sum(t for _, _, t in rows)
        total = getattr(campaign.targets, REGION_TOTALS[metric], None)
        if total is None and metric == "cost":
            total = campaign.budget.amount
        sums.append(RegionSum(metric, regional_sum, total, rows))
        if total is None:
            continue
        if regional_sum < total - 1e-9:
            out.append(
                Finding(
                    "warning",
                    "regions_below_total",
                    f"regional {metric} targets add up to {regional_sum:,.0f}, "
                    f"{total - regional_sum:,.0f} short of the partnership total {total:,.0f}",
                    f"各地区 {metric} 目标合计 {regional_sum:,.0f}，比总目标 {total:,.0f} "
                    f"少 {total - regional_sum:,.0f}",
                    "targets.segments",
                )
            )
        elif regional_sum > total + 1e-9:
            out.append(
                Finding(
                    "warning",
                    "regions_above_total",
                    f"regional {metric} targets add up to {regional_sum:,.0f}, "
                    f"{regional_sum - total:,.0f} more than the partnership total {total:,.0f}",
                    f"各地区 {metric} 目标合计 {regional_sum:,.0f}，超出总目标 {total:,.0f} "
                    f"{regional_sum - total:,.0f}",
                    "targets.segments",
                )
            )
    uncovered: list[tuple[str, str]] = []
    for i, code in enumerate(p.partner.divisions):
        has_target = any(
            divisions.covers(code, s.value) or divisions.covers(s.value, code) for s in regional
        )
        if not has_target:
            uncovered.append((code, divisions.name(code)))
            out.append(
                Finding(
                    "warning",
                    "region_no_target",
                    f"covered region {code} ({divisions.name(code)}) has no regional target",
                    f"覆盖地区 {code}（{divisions.name(code)}）没有地区目标",
                    f"partnership.partner.divisions[{i}]",
                )
            )
    plan = PartnershipPlan((ag.start, ag.end), timeline, sums, uncovered)
    return plan, out
