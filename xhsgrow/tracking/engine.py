"""Track campaigns: facts from a data source, then metrics, pacing, forecasts and status.

The one entry point for every command (track, report, notify)::

    from xhsgrow.tracking.engine import track
    result = track(ws, campaigns, data="events/*.parquet", as_of=date(2025, 2, 1))
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from xhsgrow.errors import UsageError
from xhsgrow.tracking import pacing
from xhsgrow.tracking.facts import DAILY_FIELDS, CampaignFacts
from xhsgrow.tracking.result import (
    CampaignResult,
    DailyRow,
    DataQuality,
    GalaView,
    MilestoneState,
    PartnershipView,
    ReferralView,
    RegionScore,
    SegmentResult,
    TargetKind,
    TargetResult,
    TrackingResult,
    worst,
)

ENV_DATA = "XHSGROW_DATA"
SETTING_DATA = "xhsgrow.toml [data] source"
#: A data source that is not a local path: any scheme:// URI, or a catalog table.
_NOT_A_PATH = re.compile(r"^(table:|[A-Za-z][A-Za-z0-9+.-]*://)")
#: A milestone not done and due within this many days of as-of is "due" (later: "upcoming").
MILESTONE_DUE_DAYS = 14
CUMULATIVE = ("acquired", "activated", "merchants_onboarded", "budget_spend")
RATES = ("retention_d1", "retention_d7", "retention_d30", "k_factor", "peak_concurrent_users")
CEILINGS = ("cost_per_activated",)
#: Which metric a target is measured by, when the names differ.
MEASURED_BY = {"budget_spend": "cost", "peak_concurrent_users": "peak_minute_users"}

Progress = Callable[[str, float], None]


def data_source(ws: Any, data: str | None) -> tuple[str, str]:
    """--data, else $XHSGROW_DATA, else [data] source (a relative path is relative to the
    workspace; a URL, an object-store URI such as s3a://... and ``table:NAME`` are kept); and
    where it was set, which an error about it names: ``--data``, ``$XHSGROW_DATA`` or
    ``xhsgrow.toml [data] source``."""
    if data:
        return data, "--data"
    if os.environ.get(ENV_DATA):
        return os.environ[ENV_DATA], f"${ENV_DATA}"
    source = getattr(getattr(ws.settings, "data", None), "source", None)
    if source:
        if _NOT_A_PATH.match(source) or os.path.isabs(source):
            return str(source), SETTING_DATA
        return str(ws.root / source), SETTING_DATA
    raise UsageError(
        "no event data: pass --data PATH|GLOB|URL",
        hint=f"or set {ENV_DATA}, or `source` under [data] in xhsgrow.toml",
    )


def today_in(tz: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(tz)).date()


def track(
    ws: Any,
    campaigns: Sequence[Any] | None,
    *,
    data: str | None,
    as_of: dt.date | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    engine: str | None = None,
) -> TrackingResult:
    """Track ``campaigns`` (models, ids, or None for all of the workspace's) against ``data``,
    aggregated by ``engine`` ("duckdb", "spark"; default: ``[data] engine`` of the settings).
    A metrics URL is its own engine: ``engine`` does not apply to it."""
    camps = _campaigns(ws, campaigns)
    if not camps:
        raise UsageError(f"no campaigns to track in {ws.campaigns_dir}")
    source, origin = data_source(ws, data)
    as_of_of = {c.id: as_of or today_in(c.window.timezone) for c in camps}
    overall = as_of or today_in(getattr(ws.settings, "timezone", "Asia/Shanghai"))
    try:
        facts, quality, shown = _facts(camps, source, as_of_of, ws, strict, progress, engine)
    except UsageError as exc:
        # The readers name the source as --data; it may have come from elsewhere.
        if origin != "--data" and exc.message.startswith("--data "):
            exc.message = origin + exc.message[len("--data") :]
        raise
    thresholds = getattr(ws.settings, "thresholds", None)
    results = tuple(
        build_result(c, facts[c.id], as_of_of[c.id], thresholds, quality) for c in camps
    )
    return TrackingResult(
        as_of=overall,
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        source=shown,
        campaigns=results,
        data_quality=quality,
    )


def _facts(
    camps: list[Any],
    source: str,
    as_of_of: dict[str, dt.date],
    ws: Any,
    strict: bool,
    progress: Progress | None,
    engine: str | None,
) -> tuple[dict[str, CampaignFacts], DataQuality, str]:
    """Facts per campaign and data quality from ``source``, and the source as shown."""
    from xhsgrow.data.http_source import is_url

    if is_url(source):
        from xhsgrow.data.http_source import fetch_facts
        from xhsgrow.net.http import mask_url

        facts, quality = fetch_facts(source, camps, as_of_of, strict=strict, progress=progress)
        shown = mask_url(source)
    else:
        from xhsgrow.engines import open_engine
        from xhsgrow.tracking.aggregate import compute

        name = engine or getattr(getattr(ws.settings, "data", None), "engine", None) or "duckdb"
        opened = open_engine(name, source, ws.settings)
        try:
            facts, quality = compute(opened, camps, as_of_of, strict=strict, progress=progress)
        finally:
            opened.close()
        shown = source
    return facts, quality, shown


def _campaigns(ws: Any, campaigns: Sequence[Any] | None) -> list[Any]:
    """The campaigns to track, each once (``track ID ID`` is one campaign, not two rows of
    it in every output), in the order first named."""
    if campaigns is None:
        from xhsgrow.specs import load_campaigns

        return list(load_campaigns(ws))
    ids = [c for c in campaigns if isinstance(c, str)]
    chosen = list(campaigns)
    if ids:
        from xhsgrow.specs import load_campaigns

        loaded = {c.id: c for c in load_campaigns(ws, list(dict.fromkeys(ids)))}
        chosen = [loaded[c] if isinstance(c, str) else c for c in campaigns]
    once: dict[str, Any] = {}
    for c in chosen:
        once.setdefault(c.id, c)
    return list(once.values())


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def metrics_of(c: Any, f: CampaignFacts) -> dict[str, float | int | None]:
    """Every metric of docs/metrics.md, by its snake_case name."""
    m: dict[str, float | int | None] = {
        "acquired": f.acquired,
        "activated": f.activated,
        "activation_rate": _ratio(f.activated, f.acquired),
    }
    for n in (1, 7, 30):
        old, kept = f.retention.get(n, (0, 0))
        m[f"retention_d{n}"] = _ratio(kept, old)
    # Money is summed in parallel, exact only to the cent: ratios use the cent-rounded cost so
    # that the same data always gives the same figures to the last bit.
    cost = round(f.cost, 2)
    m.update(
        {
            "invites": f.invites,
            "inviters": f.inviters,
            "referred_signups": f.referred_signups,
            "invite_conversion": _ratio(f.referred_signups, f.invites),
            "k_factor": _ratio(f.referred_by_acquired, f.acquired),
            "cost": cost,
            "cost_per_activated": _ratio(cost, f.activated),
            "budget_burn": _ratio(cost, c.budget.amount),
            "merchants_onboarded": f.merchants_onboarded,
            "interactions": f.interactions,
        }
    )
    if c.kind == "referral":
        m["money_at_risk"] = round(sum(x.money_at_risk for x in f.fraud_flags), 2)
        m["flagged_referrers"] = len(f.fraud_flags)
    if c.kind == "partnership":
        m["acquired_in_region"] = _in_region(c, f)[0]
    if c.kind == "gala":
        m["peak_minute_interactions"] = f.gala.peak_minute_interactions if f.gala else 0
        m["peak_minute_users"] = f.peak_minute_users
    return m


def build_result(
    c: Any,
    f: CampaignFacts,
    as_of: dt.date,
    workspace_thresholds: Any,
    quality: DataQuality,
) -> CampaignResult:
    """Metrics, targets with pace/forecast/status, segments, daily rows and views."""
    from xhsgrow.specs.models import Thresholds

    thresholds = c.thresholds or workspace_thresholds or Thresholds()
    points = pacing.curve(c)
    started = as_of >= c.window.start
    share = pacing.share_at(points, as_of)
    if not f.served:
        return _unserved(c, as_of, share, points, started, quality)
    metrics = metrics_of(c, f)
    targets: list[TargetResult] = []
    for name in (*CUMULATIVE, *RATES, *CEILINGS):
        target = getattr(c.targets, name, None)
        if target is None:
            continue
        actual = metrics.get(MEASURED_BY.get(name, name))
        if name in CUMULATIVE:
            targets.append(
                pacing.cumulative(
                    name, float(target), float(actual or 0), share, thresholds, started=started
                )
            )
        elif name in RATES:
            targets.append(pacing.rate(name, float(target), actual, thresholds, started=started))
        else:
            targets.append(pacing.ceiling(name, float(target), actual, thresholds, started=started))
    segments = _segments(c, f, share, thresholds, started)
    if not started:
        status = "not_started"
    elif as_of > c.window.end:
        status = "ended"
    else:
        statuses = [t.status for t in targets] + [t.status for s in segments for t in s.targets]
        status = worst(statuses)
    last = min(as_of, c.window.end)
    daily = tuple(
        DailyRow(
            c.window.start + dt.timedelta(days=i),
            **_daily_fields(f.daily.get(c.window.start + dt.timedelta(days=i), {})),
        )
        for i in range(max(0, (last - c.window.start).days + 1))
    )
    return CampaignResult(
        **_spec_fields(c, as_of, share, points, quality),
        status=status,
        metrics=metrics,
        targets=tuple(targets),
        segments=segments,
        daily=daily,
        referral=_referral_view(f, metrics) if c.kind == "referral" else None,
        partnership=_partnership_view(c, f, as_of) if c.kind == "partnership" else None,
        gala=(f.gala or GalaView((), (), None, 0, ())) if c.kind == "gala" else None,
    )


def _kind_of(name: str) -> TargetKind:
    """How the target ``name`` is compared (a segment target is always a count)."""
    if name in RATES:
        return "rate"
    return "ceiling" if name in CEILINGS else "cumulative"


def _unserved(
    c: Any,
    as_of: dt.date,
    share: float,
    points: list[tuple[dt.date, float]],
    started: bool,
    quality: DataQuality,
) -> CampaignResult:
    """A campaign the source has no figures for (a metrics endpoint's answer leaves it out):
    every metric null, every target and segment target ``no_data`` once started (expected to
    date still shown), no daily rows and no kind view; status ``no_data`` (``not_started``
    before the window). A zero would read as off track."""
    metrics = dict.fromkeys(metrics_of(c, CampaignFacts(c.id)))

    def target(name: str, value: float) -> TargetResult:
        return pacing.no_figures(name, _kind_of(name), float(value), share, started=started)

    targets = tuple(
        target(name, getattr(c.targets, name))
        for name in (*CUMULATIVE, *RATES, *CEILINGS)
        if getattr(c.targets, name, None) is not None
    )
    segments = []
    for (dim, value), specs in _targets_by_row(c).items():
        results = tuple(target(t.metric, t.target) for t in specs)
        blank = dict.fromkeys(("acquired", "activated", "cost", "merchants_onboarded"))
        label = _segment_label(dim, value)
        segments.append(SegmentResult(dim, value, label, blank, results[0], results))
    return CampaignResult(
        **_spec_fields(c, as_of, share, points, quality),
        status="no_data" if started else "not_started",
        metrics=metrics,
        targets=targets,
        segments=tuple(segments),
    )


def _targets_by_row(c: Any) -> dict[tuple[str, str], list[Any]]:
    """The spec's segment targets by (dimension, value), in spec order: a row may carry one
    per metric."""
    rows: dict[tuple[str, str], list[Any]] = {}
    for t in c.targets.segments:
        rows.setdefault((t.dimension, t.value), []).append(t)
    return rows


def _spec_fields(
    c: Any,
    as_of: dt.date,
    share: float,
    points: list[tuple[dt.date, float]],
    quality: DataQuality,
) -> dict[str, Any]:
    """The fields of a CampaignResult that come from the spec and the run, not the data."""
    return {
        "id": c.id,
        "kind": c.kind,
        "name": c.name,
        "spec_status": c.status,
        "as_of": as_of,
        "window_start": c.window.start,
        "window_end": c.window.end,
        "timezone": c.window.timezone,
        "elapsed_share": share,
        "budget": float(c.budget.amount),
        "currency": c.budget.currency,
        "expected_curve": tuple(points),
        "data_quality": quality,
    }


def _segment_label(dim: str, value: str) -> str:
    from xhsgrow.specs import divisions

    return divisions.name(value) if dim == "region" else value


def _daily_fields(row: dict[str, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in DAILY_FIELDS:
        value = row.get(name, 0)
        out[name] = round(float(value), 2) if name == "cost" else int(value)
    return out


def _segments(
    c: Any, f: CampaignFacts, share: float, thresholds: Any, started: bool
) -> tuple[SegmentResult, ...]:
    """Per region (rolled up to the province), channel and age band; spec segment targets
    attached to their row (a region target below province level gets a row of its own)."""
    from xhsgrow.specs import divisions

    rows: dict[tuple[str, str], dict[str, float]] = {}
    for (dim, value), figures in f.segments.items():
        key = (dim, divisions.province_of(value) if dim == "region" else value)
        acc = rows.setdefault(key, {})
        for metric, v in figures.items():
            acc[metric] = acc.get(metric, 0) + v
    targets = _targets_by_row(c)
    for dim, value in targets:
        if (dim, value) not in rows:
            if dim == "region":
                figures = {}
                for (d, code), vals in f.segments.items():
                    if d == "region" and divisions.covers(value, code):
                        for metric, v in vals.items():
                            figures[metric] = figures.get(metric, 0) + v
                rows[(dim, value)] = figures
            else:
                rows[(dim, value)] = {}
    out = []
    order = {"region": 0, "channel": 1, "age_band": 2}
    for (dim, value), figures in sorted(
        rows.items(), key=lambda kv: (order.get(kv[0][0], 9), -kv[1].get("acquired", 0), kv[0][1])
    ):
        metrics: dict[str, float | int | None] = {
            "acquired": int(figures.get("acquired", 0)),
            "activated": int(figures.get("activated", 0)),
            "cost": round(float(figures.get("cost", 0)), 2),
            "merchants_onboarded": int(figures.get("merchants_onboarded", 0)),
        }
        results = tuple(
            pacing.cumulative(
                spec.metric,
                float(spec.target),
                float(metrics.get(spec.metric) or 0),
                share,
                thresholds,
                started=started,
            )
            for spec in targets.get((dim, value), [])
        )
        first = results[0] if results else None
        out.append(SegmentResult(dim, value, _segment_label(dim, value), metrics, first, results))
    return tuple(out)


def _referral_view(f: CampaignFacts, m: dict[str, Any]) -> ReferralView:
    return ReferralView(
        inviters=int(f.inviters or 0),
        invites=f.invites,
        referred_signups=f.referred_signups,
        invite_conversion=m["invite_conversion"],
        k_factor=m["k_factor"],
        top_referrers=f.top_referrers,
        fraud_flags=f.fraud_flags,
        money_at_risk=m["money_at_risk"],
    )


def _in_region(c: Any, f: CampaignFacts) -> tuple[int, int]:
    return _in_areas(c.partnership.partner.divisions, f)


def _in_areas(areas: Sequence[str], f: CampaignFacts) -> tuple[int, int]:
    """(acquired, merchants onboarded) in the region segments that ``areas`` cover."""
    from xhsgrow.specs.divisions import covers

    acquired = merchants = 0
    for (dim, code), figures in f.segments.items():
        if dim == "region" and any(covers(a, code) for a in areas):
            acquired += int(figures.get("acquired", 0))
            merchants += int(figures.get("merchants_onboarded", 0))
    return acquired, merchants


def _partnership_view(c: Any, f: CampaignFacts, as_of: dt.date) -> PartnershipView:
    from xhsgrow.specs import divisions

    seg_targets = {
        (t.value, t.metric): t.target for t in c.targets.segments if t.dimension == "region"
    }
    regions = []
    for area in c.partnership.partner.divisions:
        acquired, merchants = _in_areas([area], f)
        regions.append(
            RegionScore(
                code=area,
                name=divisions.name(area),
                acquired=acquired,
                merchants_onboarded=merchants,
                target_acquired=seg_targets.get((area, "acquired")),
                target_merchants=seg_targets.get((area, "merchants_onboarded")),
            )
        )
    acquired_in, _ = _in_region(c, f)
    milestones = []
    for ms in c.partnership.milestones:
        if ms.done:
            state = "done"
        elif ms.due < as_of:
            state = "overdue"
        elif (ms.due - as_of).days <= MILESTONE_DUE_DAYS:
            state = "due"
        else:
            state = "upcoming"
        milestones.append(MilestoneState(ms.name, ms.due, ms.owner, state))  # type: ignore[arg-type]
    return PartnershipView(
        regions=tuple(regions),
        acquired_in_region=acquired_in,
        merchants_onboarded=f.merchants_onboarded,
        milestones=tuple(milestones),
    )


def fail_statuses(level: str) -> set[str]:
    """The campaign statuses that fail `--fail-on LEVEL` (at-risk includes off-track)."""
    level = level.replace("-", "_")
    if level == "at_risk":
        return {"at_risk", "off_track"}
    if level == "off_track":
        return {"off_track"}
    raise UsageError(f"--fail-on {level}: expected at-risk or off-track")
