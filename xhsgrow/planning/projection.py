"""The plan's day-by-day projection as a pacing curve: tracking uses it for
``[pacing] curve = "plan"``.

    expected_shares(campaign) -> [(day, cumulative share 0..1), ...]  # every day of the window
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def expected_shares(campaign: Any) -> list[tuple[dt.date, float]]:
    """Cumulative expected share (0..1, non-decreasing, 1 on the last day) for every day of
    the window, from the plan's model of the campaign's kind:

    * referral: cumulative acquired users of the viral model;
    * gala: cumulative new users per phase (even within warm-up and the night, decaying
      through the retention phase);
    * partnership: no growth model, so an even ramp from the later of the window's and the
      agreement's start to the end of the window.

    When the model projects nothing at all (e.g. no seed inviters) the curve is linear.
    """
    return shares_of(campaign, _daily(campaign))


def shares_of(campaign: Any, daily: list[tuple[dt.date, float]]) -> list[tuple[dt.date, float]]:
    """Daily amounts -> cumulative shares; linear over the window when they add up to nothing."""
    return normalise(daily) or _linear(campaign.window.start, campaign.window.end)


def normalise(daily: list[tuple[dt.date, float]]) -> list[tuple[dt.date, float]]:
    """Daily amounts -> cumulative shares; [] when they add up to nothing."""
    total = sum(max(0.0, v) for _, v in daily)
    if total <= 0:
        return []
    out, running = [], 0.0
    for day, v in daily:
        running += max(0.0, v)
        out.append((day, min(1.0, running / total)))
    out[-1] = (out[-1][0], 1.0)
    return out


def _daily(campaign: Any) -> list[tuple[dt.date, float]]:
    if campaign.kind == "referral":
        from xhsgrow.planning.referral import plan_referral

        plan, _ = plan_referral(campaign)
        return [(d.day, d.new_users) for d in plan.days]
    if campaign.kind == "gala":
        from xhsgrow.planning.gala import plan_gala

        plan, _ = plan_gala(campaign)
        return plan.days
    return partnership_ramp(campaign)


def partnership_ramp(campaign: Any) -> list[tuple[dt.date, float]]:
    """No growth model: one unit a day from the later of the window's and the agreement's
    start to the end of the window."""
    start, end = campaign.window.start, campaign.window.end
    ramp_from = max(start, campaign.partnership.agreement.start)
    n = (end - start).days + 1
    days = [start + dt.timedelta(days=i) for i in range(n)]
    return [(d, 1.0 if d >= ramp_from else 0.0) for d in days]


def _linear(start: dt.date, end: dt.date) -> list[tuple[dt.date, float]]:
    n = (end - start).days + 1
    return [(start + dt.timedelta(days=i), (i + 1) / n) for i in range(n)]
