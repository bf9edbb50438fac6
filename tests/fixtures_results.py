"""Hand-built TrackingResult objects for report and notify tests.

Three realistic campaigns as of 2027-02-10 (Beijing time): a referral push that is behind
plan (at risk), a Guizhou county partnership on track, and the 2027 Spring Festival Gala
(eve 2027-02-05) whose acquisition is off track. Figures are worked out here from simple
daily series, so tests can check the report against arithmetic of their own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from xhsgrow.tracking.result import (
    CampaignResult,
    DailyRow,
    DataQuality,
    FraudFlag,
    GalaView,
    MilestoneState,
    PartnershipView,
    PhaseStats,
    ReferralView,
    Referrer,
    RegionScore,
    RejectedRow,
    RoundStats,
    SegmentResult,
    TargetResult,
    TrackingResult,
)

AS_OF = dt.date(2027, 2, 10)
UTC = dt.UTC
BJ = dt.timezone(dt.timedelta(hours=8))


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def linear_curve(start: dt.date, end: dt.date) -> tuple[tuple[dt.date, float], ...]:
    ds = days(start, end)
    return tuple((d, (i + 1) / len(ds)) for i, d in enumerate(ds))


def status_for(pace: float) -> str:
    return "on_track" if pace >= 0.95 else "at_risk" if pace >= 0.8 else "off_track"


def cumulative_target(
    metric: str, target: float, actual: float, share: float, elapsed_days: int, total_days: int
) -> TargetResult:
    expected = target * share
    pace = actual / expected
    forecast = actual / elapsed_days * total_days
    return TargetResult(metric, "cumulative", target, actual, expected, pace, forecast,
                        status_for(pace))  # fmt: skip


def campaign(
    id: str,
    kind: str,
    name: str,
    status: str,
    *,
    daily: tuple[DailyRow, ...],
    curve: tuple[tuple[dt.date, float], ...],
    budget: float,
    metrics: dict[str, float | int | None],
    **rest: Any,
) -> CampaignResult:
    """A live campaign in Beijing time as of AS_OF; the window and the elapsed share come from
    ``curve``, and acquired, activated and cost (first in ``metrics``) are the daily totals."""
    return CampaignResult(
        id=id,
        kind=kind,
        name=name,
        status=status,
        spec_status="live",
        as_of=AS_OF,
        window_start=curve[0][0],
        window_end=curve[-1][0],
        timezone="Asia/Shanghai",
        elapsed_share=dict(curve)[AS_OF],
        budget=budget,
        currency="CNY",
        metrics={
            "acquired": sum(r.acquired for r in daily),
            "activated": sum(r.activated for r in daily),
            "cost": sum(r.cost for r in daily),
            **metrics,
        },
        daily=daily,
        expected_curve=curve,
        **rest,
    )


# ---- referral: 40-day window, linear plan, 22 days elapsed ------------------------------------

REF_START, REF_END = dt.date(2027, 1, 20), dt.date(2027, 2, 28)
REF_TARGET = 200_000.0


def referral() -> CampaignResult:
    window = days(REF_START, AS_OF)
    daily = tuple(
        DailyRow(
            day=d,
            acquired=4000 + 50 * i,
            activated=2400 + 30 * i,
            cost=36_000.0 + 400 * i,
            invites=15_000 + 100 * i,
            referred_signups=3600 + 45 * i,
        )
        for i, d in enumerate(window)
    )
    acquired = sum(r.acquired for r in daily)  # 99,550
    activated = sum(r.activated for r in daily)
    cost = sum(r.cost for r in daily)
    curve = linear_curve(REF_START, REF_END)
    share = dict(curve)[AS_OF]  # 22/40
    head = cumulative_target("acquired", REF_TARGET, acquired, share, len(window), len(curve))
    act = cumulative_target("activated", 120_000, activated, share, len(window), len(curve))
    k = TargetResult("k_factor", "rate", 0.35, 0.31, None, 0.31 / 0.35, None, "at_risk")
    cpa = TargetResult(
        "cost_per_activated", "ceiling", 18.0, cost / activated, None, None, None, "on_track"
    )
    return campaign(
        "cny-2027-invite",
        "referral",
        "CNY 2027 invite-a-friend",
        "at_risk",
        daily=daily,
        curve=curve,
        budget=1_800_000.0,
        metrics={
            "activation_rate": activated / acquired,
            "retention_d1": 0.46,
            "retention_d7": 0.27,
            "retention_d30": None,
        },
        targets=(head, act, k, cpa),
        segments=(
            SegmentResult("channel", "wechat_share", "WeChat share", {"acquired": 61_200}),
            SegmentResult("channel", "in_app", "In-app", {"acquired": 31_400}),
            SegmentResult("channel", "sms", "SMS", {"acquired": 6_950}),
        ),
        data_quality=DataQuality(rows_read=1_204_332, rows_rejected=12, duplicates=40),
        referral=ReferralView(
            inviters=21_480,
            invites=sum(r.invites for r in daily),
            referred_signups=sum(r.referred_signups for r in daily),
            invite_conversion=0.24,
            k_factor=0.31,
            top_referrers=(
                Referrer("u_8f3a", 212, 180, 2_160.0),
                Referrer("u_02bc", 175, 160, 1_920.0),
                Referrer("u_77d1", 160, 98, 1_176.0),
            ),
            fraud_flags=(
                FraudFlag("u_9e10", ("device_shared", "burst"), 48, 576.0),
                FraudFlag("u_4a5c", ("ip_cluster",), 31, 372.0),
            ),
            money_at_risk=948.0,
        ),
    )


# ---- partnership: Qiandongnan (Guizhou), half a year, on track ----------------------------------

PART_START, PART_END = dt.date(2027, 1, 1), dt.date(2027, 6, 30)


def partnership() -> CampaignResult:
    window = days(PART_START, AS_OF)
    daily = tuple(
        DailyRow(day=d, acquired=1900 + 10 * i, activated=1200, cost=9_000.0, merchants_onboarded=8)
        for i, d in enumerate(window)
    )
    curve = linear_curve(PART_START, PART_END)
    share = dict(curve)[AS_OF]  # 41/181
    acquired = sum(r.acquired for r in daily)  # 86,100
    merchants = sum(r.merchants_onboarded for r in daily)  # 328
    n, total = len(window), len(curve)
    head = cumulative_target("acquired", 330_000, acquired, share, n, total)
    mer = cumulative_target("merchants_onboarded", 1_300, merchants, share, n, total)
    regions = (
        RegionScore("522601", "凯里市", 38_200, 140, 140_000, 500),
        RegionScore("522634", "雷山县", 24_500, 96, 90_000, 400),
        RegionScore("522622", "黄平县", 13_900, 52, 60_000, 250),
        RegionScore("522633", "从江县", 9_500, 40, 40_000, 150),
    )
    return campaign(
        "qiandongnan-2027",
        "partnership",
        "黔东南 county name-card programme",
        "on_track",
        daily=daily,
        curve=curve,
        budget=2_500_000.0,
        metrics={
            "merchants_onboarded": merchants,
            "retention_d1": 0.52,
            "retention_d7": 0.38,
            "retention_d30": 0.21,
        },
        targets=(head, mer),
        segments=tuple(
            SegmentResult(
                "region",
                r.code,
                r.name,
                {"acquired": r.acquired, "merchants_onboarded": r.merchants_onboarded},
                TargetResult(
                    "acquired",
                    "cumulative",
                    r.target_acquired or 0,
                    r.acquired,
                    (r.target_acquired or 0) * share,
                    r.acquired / ((r.target_acquired or 1) * share),
                    None,
                    status_for(r.acquired / ((r.target_acquired or 1) * share)),
                ),
            )
            for r in regions
        ),
        partnership=PartnershipView(
            regions=regions,
            acquired_in_region=acquired,
            merchants_onboarded=merchants,
            milestones=(
                MilestoneState("Creator training, Kaili", dt.date(2027, 1, 25), "Li Na", "done"),
                MilestoneState(
                    "Merchant onboarding report", dt.date(2027, 2, 8), "Wang Lei", "overdue"
                ),
                MilestoneState("County-head livestream", dt.date(2027, 2, 10), "Zhang Wei", "due"),
                MilestoneState("Name-card content launch", dt.date(2027, 3, 15), "", "upcoming"),
            ),
        ),
    )


# ---- gala: eve 2027-02-05, warm-up, night, retention weeks --------------------------------------

GALA_START, GALA_END, EVE = dt.date(2027, 1, 20), dt.date(2027, 3, 7), dt.date(2027, 2, 5)


def gala_curve() -> tuple[tuple[dt.date, float], ...]:
    """20% over the warm-up, 50% on the night, 30% over the retention weeks."""
    ds = days(GALA_START, GALA_END)
    warm = [d for d in ds if d < EVE]
    after = [d for d in ds if d > EVE]
    out, total = [], 0.0
    for d in ds:
        total += 0.5 if d == EVE else (0.2 / len(warm) if d < EVE else 0.3 / len(after))
        out.append((d, min(total, 1.0)))
    return tuple(out)


def gala() -> CampaignResult:
    window = days(GALA_START, AS_OF)
    daily = tuple(
        DailyRow(
            day=d,
            acquired=1_400_000 if d == EVE else 30_000,
            activated=600_000 if d == EVE else 15_000,
            cost=40_000_000.0 if d == EVE else 500_000.0,
            interactions=900_000_000 if d == EVE else 6_000_000,
        )
        for d in window
    )
    curve = gala_curve()
    share = dict(curve)[AS_OF]
    acquired = sum(r.acquired for r in daily)  # 1,400,000 + 21 * 30,000
    inter = sum(r.interactions for r in daily)
    head_expected = 5_000_000 * share
    pace = acquired / head_expected
    head = TargetResult(
        "acquired", "cumulative", 5_000_000, acquired, head_expected, pace, 2_900_000,
        status_for(pace),
    )  # fmt: skip
    inter_expected = 1.5e9 * share
    ipace = inter / inter_expected
    it = TargetResult(
        "interactions", "cumulative", 1.5e9, inter, inter_expected, ipace, 1.22e9,
        status_for(ipace),
    )  # fmt: skip
    ret = TargetResult("retention_d7", "rate", 0.25, None, None, None, None, "no_data")
    rounds = tuple(
        RoundStats(f"Round {i + 1}", dt.datetime(2027, 2, 5, h, m, tzinfo=BJ), n, p, u)
        for i, (h, m, n, p, u) in enumerate(
            [
                (20, 30, 120_000_000, 38_000_000, 210_000),
                (21, 40, 180_000_000, 46_000_000, 320_000),
                (22, 50, 210_000_000, 51_000_000, 380_000),
                (23, 58, 260_000_000, 60_000_000, 410_000),
            ]
        )
    )
    return campaign(
        "gala-2027",
        "gala",
        "Spring Festival Gala 2027",
        "off_track",
        daily=daily,
        curve=curve,
        budget=120_000_000.0,
        metrics={"interactions": inter},
        targets=(head, it, ret),
        segments=(
            SegmentResult("age_band", "18-24", "18-24", {"acquired": 560_000}),
            SegmentResult("age_band", "25-34", "25-34", {"acquired": 720_000}),
            SegmentResult("age_band", "35-49", "35-49", {"acquired": 480_000}),
            SegmentResult("age_band", "50+", "50+", {"acquired": 270_000}),
        ),
        data_quality=DataQuality(
            rows_read=48_000_000,
            rows_rejected=3,
            rejected_samples=(RejectedRow(1042, "events-0205.csv", "event_time not a time"),),
        ),
        gala=GalaView(
            phases=(
                PhaseStats(
                    "warm-up", GALA_START, dt.date(2027, 2, 4), 96_000_000, 9_100_000, 480_000, 0.2
                ),
                PhaseStats("night", EVE, EVE, 900_000_000, 74_000_000, 1_400_000, 0.5),
                PhaseStats(
                    "retention", dt.date(2027, 2, 6), GALA_END, 30_000_000, 3_900_000, 150_000, 0.3
                ),
            ),
            rounds=rounds,
            peak_minute=dt.datetime(2027, 2, 5, 15, 59, tzinfo=UTC),  # 23:59 in Beijing
            peak_minute_interactions=31_500_000,
            retention_curve=((1, 0.41), (2, 0.33), (3, 0.29), (5, 0.24), (7, None), (14, None)),
        ),
    )


def tracking_result(*campaigns: CampaignResult) -> TrackingResult:
    chosen = campaigns or (partnership(), referral(), gala())
    return TrackingResult(
        as_of=AS_OF,
        generated_at=dt.datetime(2027, 2, 11, 1, 5, tzinfo=UTC),
        source="data/events-*.parquet",
        campaigns=tuple(chosen),
        data_quality=DataQuality(rows_read=49_204_332, rows_rejected=15, duplicates=40),
    )
