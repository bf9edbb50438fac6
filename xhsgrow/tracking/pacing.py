"""Where a campaign should stand: the expected curve, pace, forecast and status.

Curves give the cumulative share (0..1) of every cumulative target expected by the *end* of a
day of the window; the as-of day counts as elapsed. Definitions (also in docs/metrics.md), with
``x = elapsed days / window days``:

* ``linear``: ``x``
* ``front-loaded``: ``1 - (1 - x)^2`` (half the target by about 29 % of the window)
* ``back-loaded``: ``x^2`` (half the target by about 71 % of the window)
* ``checkpoints``: the spec's dated shares, joined by straight lines from 0 the day before the
  start, and on to 1 at the end of the window after the last checkpoint
* ``phases`` (gala): each phase's share spread evenly over its days; nothing accrues between
  phases
* ``plan``: the planner's projection, ``xhsgrow.planning.projection.expected_shares``
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from xhsgrow.errors import UsageError
from xhsgrow.tracking.result import TargetKind, TargetResult, TargetStatus


def window_days(campaign: Any) -> list[dt.date]:
    w = campaign.window
    return [w.start + dt.timedelta(days=i) for i in range((w.end - w.start).days + 1)]


def curve(campaign: Any) -> list[tuple[dt.date, float]]:
    """The cumulative expected share at the end of every day of the window."""
    days = window_days(campaign)
    n = len(days)
    kind = campaign.pacing.curve
    if kind == "plan":
        return _plan_curve(campaign, days)
    if kind == "phases" and getattr(campaign, "gala", None) is not None:
        shares = _phase_curve(campaign, days)
    elif kind == "checkpoints" and campaign.pacing.checkpoints:
        shares = _checkpoint_curve(campaign, days)
    else:
        fn = {
            "front-loaded": lambda x: 1 - (1 - x) ** 2,
            "back-loaded": lambda x: x * x,
        }.get(kind, lambda x: x)
        shares = [fn((i + 1) / n) for i in range(n)]
    return [(d, min(1.0, max(0.0, s))) for d, s in zip(days, shares, strict=True)]


def _checkpoint_curve(campaign: Any, days: list[dt.date]) -> list[float]:
    start, end = campaign.window.start, campaign.window.end
    points = [(-1, 0.0)]  # the end of the day before the start
    points += [((cp.date - start).days, float(cp.share)) for cp in campaign.pacing.checkpoints]
    last = (end - start).days
    if points[-1][0] < last:
        points.append((last, 1.0))
    out = []
    for i in range(len(days)):
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if x0 <= i <= x1:
                out.append(y0 + (y1 - y0) * (i - x0) / (x1 - x0) if x1 != x0 else y1)
                break
        else:
            out.append(points[-1][1])
    return out


def _phase_curve(campaign: Any, days: list[dt.date]) -> list[float]:
    out = []
    for day in days:
        total = 0.0
        for ph in campaign.gala.phases:
            length = (ph.end - ph.start).days + 1
            done = min(max((day - ph.start).days + 1, 0), length)
            total += ph.share * done / length
        out.append(total)
    return out


def _plan_curve(campaign: Any, days: list[dt.date]) -> list[tuple[dt.date, float]]:
    try:
        from xhsgrow.planning.projection import expected_shares
    except ImportError:
        raise UsageError(
            f"campaign {campaign.id}: pacing curve 'plan' needs the planning module "
            "(xhsgrow.planning.projection), which is not available",
            hint="use curve = 'linear', 'front-loaded', 'back-loaded' or 'checkpoints'",
        ) from None
    shares = dict(expected_shares(campaign))
    out, last = [], 0.0
    for day in days:
        last = float(shares.get(day, last))
        out.append((day, min(1.0, max(0.0, last))))
    return out


def share_at(points: list[tuple[dt.date, float]], as_of: dt.date) -> float:
    """The expected share at the end of ``as_of`` (0 before the window, 1 after it)."""
    if not points or as_of < points[0][0]:
        return 0.0
    if as_of >= points[-1][0]:
        return 1.0 if as_of > points[-1][0] else points[-1][1]
    return dict(points)[as_of]


#: A pace this close below a threshold is on it: 11 / (25 × 11/20) is 0.8 by hand but
#: 0.7999999999999999 in floating point, and a user checking the figure would call it at risk.
PACE_TOLERANCE = 1e-9


def status_of(pace: float | None, on_track: float, at_risk: float) -> TargetStatus:
    """on_track when pace >= on_track, at_risk when pace >= at_risk (each to within
    PACE_TOLERANCE), off_track below; no_data without a pace."""
    if pace is None:
        return "no_data"
    if pace >= on_track - PACE_TOLERANCE:
        return "on_track"
    if pace >= at_risk - PACE_TOLERANCE:
        return "at_risk"
    return "off_track"


def cumulative(
    metric: str,
    target: float,
    actual: float,
    share: float,
    thresholds: Any,
    *,
    started: bool,
) -> TargetResult:
    """A count that accrues over the window, paced against the curve."""
    if not started:
        return TargetResult(metric, "cumulative", target, actual, 0.0, None, None, "not_started")
    expected = target * share
    pace = actual / expected if expected > 0 else None
    forecast = actual / share if share > 0 else None
    if expected > 0:
        status = status_of(pace, thresholds.on_track, thresholds.at_risk)
    else:  # nothing expected yet (a curve that starts flat): on track by definition
        status = "on_track"
    return TargetResult(metric, "cumulative", target, actual, expected, pace, forecast, status)


def no_figures(
    metric: str, kind: TargetKind, target: float, share: float, *, started: bool
) -> TargetResult:
    """A target the data source has no figures for: actual, pace and forecast null, status
    ``no_data`` (``not_started`` before the window); what is expected to date is still the
    curve's (the target itself for a rate or a ceiling, as above)."""
    expected = target * (share if started else 0.0) if kind == "cumulative" else target
    status: TargetStatus = "no_data" if started else "not_started"
    return TargetResult(metric, kind, target, None, expected, None, None, status)


def rate(
    metric: str, target: float, actual: float | None, thresholds: Any, *, started: bool
) -> TargetResult:
    """A rate (retention, K-factor, a peak) compared directly: actual against target."""
    if not started:
        return TargetResult(metric, "rate", target, actual, target, None, None, "not_started")
    if actual is None:
        return TargetResult(metric, "rate", target, None, target, None, None, "no_data")
    pace = actual / target if target > 0 else (1.0 if actual >= 0 else 0.0)
    status = status_of(pace, thresholds.on_track, thresholds.at_risk)
    if actual >= target:
        status = "on_track"
    return TargetResult(metric, "rate", target, actual, target, pace, actual, status)


def ceiling(
    metric: str, target: float, actual: float | None, thresholds: Any, *, started: bool
) -> TargetResult:
    """A ceiling (cost per activated user): on track while at or below the target."""
    if not started:
        return TargetResult(metric, "ceiling", target, actual, target, None, None, "not_started")
    if actual is None:
        return TargetResult(metric, "ceiling", target, None, target, None, None, "no_data")
    pace = target / actual if actual > 0 else None
    if actual <= target:
        status: TargetStatus = "on_track"
    elif pace is not None and pace >= thresholds.at_risk - PACE_TOLERANCE:
        status = "at_risk"
    else:
        status = "off_track"
    return TargetResult(metric, "ceiling", target, actual, target, pace, actual, status)
