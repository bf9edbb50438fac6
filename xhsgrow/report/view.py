"""What a report shows, worked out once from a TrackingResult for every output format.

Renderers never query data: this module only rearranges the tracking result (worst first,
the headline target, budget burn) and draws the charts from it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from typing import Any

from xhsgrow.report import format as fmt
from xhsgrow.tracking.result import (
    STATUS_ORDER,
    CampaignResult,
    DailyRow,
    TargetResult,
    TrackingResult,
)

#: Metrics the burn-up chart can draw: the cumulative columns of a daily row.
DAILY_METRICS = tuple(f.name for f in fields(DailyRow) if f.name != "day")
_RETENTION = re.compile(r"^retention_d(\d+)$")


@dataclass(frozen=True)
class CampaignView:
    c: CampaignResult
    headline: TargetResult | None  # the target the campaign is judged by first
    spent: float | None
    budget_burn: float | None  # spent / budget
    forecast_share: float | None  # headline forecast / target
    severity: int  # index in STATUS_ORDER: higher is worse

    @property
    def status(self) -> str:
        return self.c.status

    @property
    def pace(self) -> float | None:
        """The headline's pace, as the targets table shows it: none for a ceiling (its
        ``pace`` is target ÷ actual, a margin, not progress along the plan)."""
        h = self.headline
        return None if h is None or h.kind == "ceiling" else h.pace


@dataclass(frozen=True)
class PortfolioView:
    result: TrackingResult
    campaigns: tuple[CampaignView, ...]  # worst first
    counts: dict[str, int]  # status -> number of campaigns, worst first
    worst: str


def headline_target(c: CampaignResult) -> TargetResult | None:
    """The first cumulative target with daily data (what the burn-up draws), else the first."""
    for t in c.targets:
        if t.kind == "cumulative" and t.metric in DAILY_METRICS:
            return t
    for t in c.targets:
        if t.kind == "cumulative":
            return t
    return c.targets[0] if c.targets else None


def campaign_view(c: CampaignResult) -> CampaignView:
    head = headline_target(c)
    spent_raw = c.metrics.get("cost")
    spent = float(spent_raw) if spent_raw is not None else None
    if spent is None and c.daily:
        spent = sum(r.cost for r in c.daily)
    burn = spent / c.budget if spent is not None and c.budget else None
    fshare = None  # (of a ceiling it would read as progress: 83% of a cost cap is not behind)
    if head is not None and head.kind != "ceiling" and head.forecast is not None and head.target:
        fshare = head.forecast / head.target
    sev = STATUS_ORDER.index(c.status) if c.status in STATUS_ORDER else len(STATUS_ORDER)
    return CampaignView(c, head, spent, burn, fshare, sev)


def portfolio(result: TrackingResult) -> PortfolioView:
    """Every campaign, worst first (then the lowest pace first, then by id)."""
    views = [campaign_view(c) for c in result.campaigns]

    def key(v: CampaignView) -> tuple[int, float, str]:
        pace = v.headline.pace if v.headline and v.headline.pace is not None else float("inf")
        return (-v.severity, pace, v.c.id)

    views.sort(key=key)
    counts: dict[str, int] = {}
    for status in reversed(STATUS_ORDER):
        n = sum(1 for v in views if v.status == status)
        if n:
            counts[status] = n
    worst = views[0].status if views else "no_data"
    return PortfolioView(result, tuple(views), counts, worst)


def cumulative(c: CampaignResult, metric: str) -> list[tuple[dt.date, float]]:
    total = 0.0
    out = []
    for row in c.daily:
        total += float(getattr(row, metric, 0) or 0)
        out.append((row.day, total))
    return out


def retention_points(c: CampaignResult) -> list[tuple[int, float | None]]:
    """The gala's post-gala curve, else the campaign's retention_dN metrics."""
    if c.gala is not None and c.gala.retention_curve:
        return [(int(n), r) for n, r in c.gala.retention_curve]
    points = []
    for key, value in c.metrics.items():
        m = _RETENTION.match(key)
        if m:
            points.append((int(m.group(1)), None if value is None else float(value)))
    return sorted(points)


# ---- charts (HTML) -----------------------------------------------------------------------


def _labels(labels: Any, key: str, default: str) -> str:
    if isinstance(labels, dict):
        return str(labels.get(key, default))
    return default


def burnup_svg(view: CampaignView, labels: Any, lang: str) -> str:
    """The burn-up chart of the headline target, or '' when there is nothing to draw."""
    from xhsgrow.rendering.charts import BurnupLabels, burnup_chart

    c, head = view.c, view.headline
    metric = head.metric if head is not None and head.metric in DAILY_METRICS else "acquired"
    actual = cumulative(c, metric)
    if not actual and not c.expected_curve:
        return ""
    target = head.target if head is not None and head.metric == metric else None
    expected = [(d, s * target) for d, s in c.expected_curve] if target else []
    forecast = head.forecast if head is not None and head.metric == metric else None
    title = f"{fmt.metric_label(metric, lang)} — {c.name}"
    return burnup_chart(
        title=title,
        cumulative=actual,
        expected=expected,
        target=target,
        forecast=forecast,
        window=(c.window_start, c.window_end),
        as_of=c.as_of,
        labels=BurnupLabels(
            actual=_labels(labels, "actual", "actual"),
            expected=_labels(labels, "expected", "expected"),
            forecast=_labels(labels, "forecast", "forecast"),
            target=_labels(labels, "target", "target"),
            today=_labels(labels, "as_of", "as of"),
        ),
        y_format=lambda v: fmt.axis_number(v, lang),
        x_label=lambda d: fmt.short_day(d, lang),
    )


def retention_svg(view: CampaignView, labels: Any, lang: str) -> str:
    from xhsgrow.rendering.charts import retention_chart

    points = retention_points(view.c)
    if not any(r is not None for _, r in points):
        return ""
    prefix = _labels(labels, "day_prefix", "D")
    suffix = _labels(labels, "day_suffix", "")
    return retention_chart(
        title=f"{_labels(labels, 'retention', 'retention')} — {view.c.name}",
        points=points,
        name=_labels(labels, "retention", "retention"),
        x_label=lambda n: f"{prefix}{n}{suffix}",
    )


_STATUS_COLOUR = {"on_track": "good", "at_risk": "warn", "off_track": "bad"}


def segment_svgs(view: CampaignView, labels: Any, lang: str) -> list[str]:
    """One bar chart per segment dimension (region, channel, age band)."""
    from xhsgrow.rendering.charts import PALETTE, Bar, bar_chart

    c = view.c
    by_dim: dict[str, list[Any]] = {}
    for s in c.segments:
        by_dim.setdefault(s.dimension, []).append(s)
    charts = []
    of_target = _labels(labels, "of_target", "of target")
    for dim, segs in by_dim.items():
        metric = next((s.target.metric for s in segs if s.target is not None), "acquired")
        # A cumulative segment target is judged against what was expected by now, so the tick
        # marks that; the note says how far along the whole target is.
        by_now = any(s.target is not None and s.target.expected_to_date is not None for s in segs)
        bars = []
        for s in sorted(segs, key=lambda s: -(s.metrics.get(metric) or 0))[:12]:
            value = float(s.metrics.get(metric) or 0)
            tick = None
            colour = PALETTE["actual"]
            note = ""
            if s.target is not None:
                tick = s.target.expected_to_date if by_now else s.target.target
                colour = PALETTE[_STATUS_COLOUR.get(s.target.status, "muted")]
                if s.target.target:
                    note = f"{fmt.pct(value / s.target.target)} {of_target}"
            bars.append(Bar(s.label or s.value, value, tick, colour, note))
        dim_label = _labels(labels, dim, dim.replace("_", " "))
        tick_label = (
            _labels(labels, "expected_now", "expected by now")
            if by_now
            else _labels(labels, "target", "target")
        )
        charts.append(
            bar_chart(
                bars,
                title=f"{fmt.metric_label(metric, lang)} · {dim_label} — {c.name}",
                value_format=lambda v: fmt.num(v, lang),
                target_label=tick_label,
            )
        )
    if c.partnership is not None and c.partnership.regions and "region" not in by_dim:
        bars = []
        for r in c.partnership.regions[:12]:
            note = (
                f"{fmt.pct(r.acquired / r.target_acquired)} {of_target}"
                if r.target_acquired
                else ""
            )
            bars.append(Bar(r.name, float(r.acquired), r.target_acquired, note=note))
        charts.append(
            bar_chart(
                bars,
                title=f"{fmt.metric_label('acquired', lang)} · "
                f"{_labels(labels, 'region', 'region')} — {c.name}",
                value_format=lambda v: fmt.num(v, lang),
                target_label=_labels(labels, "target", "target"),
            )
        )
    return charts
