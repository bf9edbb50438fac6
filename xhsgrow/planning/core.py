"""One entry point: a campaign in, its Plan out (findings sorted worst first)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xhsgrow.planning.result import SEVERITIES, Finding, Plan


def plan_campaign(campaign: Any) -> Plan:
    """Run the model of the campaign's kind and collect what a reviewer must know."""
    from xhsgrow.planning.projection import partnership_ramp, shares_of

    referral = gala = partnership = None
    findings: list[Finding]
    daily: list[tuple[dt.date, float]]
    if campaign.kind == "referral":
        from xhsgrow.planning.referral import plan_referral

        referral, findings = plan_referral(campaign)
        daily = [(d.day, d.new_users) for d in referral.days]
    elif campaign.kind == "gala":
        from xhsgrow.planning.gala import plan_gala

        gala, findings = plan_gala(campaign)
        daily = gala.days
    else:
        from xhsgrow.planning.partnership import plan_partnership

        partnership, findings = plan_partnership(campaign)
        daily = partnership_ramp(campaign)
    # the same curve as projection.expected_shares, from the models just run
    projection = shares_of(campaign, daily)
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    return Plan(
        campaign_id=campaign.id,
        kind=campaign.kind,
        name=campaign.name,
        window=(campaign.window.start, campaign.window.end),
        currency=campaign.budget.currency,
        budget=campaign.budget.amount,
        findings=findings,
        projection=projection,
        referral=referral,
        gala=gala,
        partnership=partnership,
    )
