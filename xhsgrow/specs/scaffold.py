"""Complete, valid starting points for a new campaign of each kind (`xhsgrow new`)."""

from __future__ import annotations

import datetime as dt
from typing import Any


def schema_comment(kind: str) -> str:
    """The ``#:schema`` line that points editors (taplo, Even Better TOML) at the schema."""
    return f"#:schema ../schemas/{kind}.schema.json\n"


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


def scaffold(kind: str, campaign_id: str, today: dt.date | None = None) -> dict[str, Any]:
    """A spec dict, in canonical key order, that validates as written."""
    today = today or dt.date.today()
    return {"referral": _referral, "partnership": _partnership, "gala": _gala}[kind](
        campaign_id, today
    )


def _referral(cid: str, today: dt.date) -> dict[str, Any]:
    start = _next_monday(today)
    end = start + dt.timedelta(days=41)
    return {
        "id": cid,
        "name": "Invite friends, both get ¥10",
        "kind": "referral",
        "owner": "growth-team",
        "status": "draft",
        "tags": ["referral", "new-users"],
        "notes": "Double-sided bonus; the referee must activate within 7 days to qualify.",
        "window": {"start": start, "end": end, "timezone": "Asia/Shanghai", "activation_days": 7},
        "budget": {"amount": 6_000_000, "currency": "CNY"},
        "targets": {
            "acquired": 200_000,
            "activated": 120_000,
            "retention_d1": 0.45,
            "retention_d7": 0.25,
            "retention_d30": 0.12,
            "cost_per_activated": 20.0,
            "k_factor": 0.3,
            "segments": [
                {
                    "dimension": "channel",
                    "value": "wechat_share",
                    "metric": "acquired",
                    "target": 120_000,
                },
                {"dimension": "age_band", "value": "18-24", "metric": "acquired", "target": 80_000},
            ],
        },
        "pacing": {"curve": "front-loaded"},
        "thresholds": {"on_track": 0.95, "at_risk": 0.8},
        "referral": {
            "qualifying_action": "activation",
            "hold_days": 7,
            "channels": ["wechat_share", "qr_poster", "sms", "in_app"],
            "rewards": {
                "referrer": 10.0,
                "referee": 10.0,
                "currency": "CNY",
                "tiers": [{"invites": 3, "bonus": 20.0}, {"invites": 10, "bonus": 88.0}],
            },
            "caps": {
                "per_referrer_daily": 10,
                "per_referrer_daily_amount": 200.0,
                "per_referrer": 50,
                "per_referrer_amount": 1_000.0,
                "pool": 4_500_000.0,
            },
            "eligibility": {"new_device_only": True, "regions": [], "channels": []},
            "fraud": {
                "max_referees_per_device": 1,
                "max_referees_per_ip_cluster": 5,
                "ip_cluster_prefix": 24,
                "burst_max_referees": 10,
                "burst_window_minutes": 60,
            },
            # What `xhsgrow plan` models: enough seeds and sharing to reach the target within
            # the pool (4.5M at ¥20 a pair pays 225,000 pairs).
            "assumptions": {
                "seed_inviters": 450_000,
                "invites_per_user": 5.0,
                "invite_conversion": 0.08,
                "cycle_days": 3,
                "decay": 0.05,
                "eligible_share": 0.8,
            },
        },
    }


def _partnership(cid: str, today: dt.date) -> dict[str, Any]:
    start = today.replace(day=1) + dt.timedelta(days=32)
    start = start.replace(day=1)
    end = dt.date(start.year + (start.month + 5 > 12), (start.month + 5 - 1) % 12 + 1, 28)
    return {
        "id": cid,
        "name": "Leishan county specialty e-commerce",
        "kind": "partnership",
        "owner": "partner-relations",
        "status": "draft",
        "tags": ["rural-revitalisation", "guizhou"],
        "notes": "Silver jewellery and Leishan tea; county head livestreams monthly.",
        "window": {"start": start, "end": end, "timezone": "Asia/Shanghai", "activation_days": 7},
        "budget": {"amount": 1_200_000, "currency": "CNY"},
        "targets": {
            "acquired": 50_000,
            "activated": 30_000,
            "retention_d30": 0.15,
            "merchants_onboarded": 300,
            "segments": [
                {
                    "dimension": "region",
                    "value": "522634",
                    "metric": "merchants_onboarded",
                    "target": 300,
                },
            ],
        },
        "pacing": {"curve": "back-loaded"},
        "partnership": {
            "programme": "specialty_ecommerce",
            "partner": {"name": "雷山县人民政府", "level": "county", "divisions": ["522634"]},
            "agreement": {"signed": start - dt.timedelta(days=14), "start": start, "end": end},
            "commitments": [
                {
                    "party": "platform",
                    "what": "traffic support",
                    "quantity": 100_000_000,
                    "unit": "impressions",
                    "due": end,
                },
                {
                    "party": "platform",
                    "what": "merchant training sessions",
                    "quantity": 6,
                    "unit": "sessions",
                    "due": end,
                },
                {
                    "party": "government",
                    "what": "merchant recruitment",
                    "quantity": 300,
                    "unit": "merchants",
                    "due": end,
                },
            ],
            "milestones": [
                {
                    "name": "First merchant training",
                    "due": start + dt.timedelta(days=21),
                    "owner": "partner-relations",
                    "done": False,
                },
                {
                    "name": "County head livestream",
                    "due": start + dt.timedelta(days=60),
                    "owner": "live-ops",
                    "done": False,
                },
            ],
            "contacts": [
                {
                    "name": "王主任",
                    "role": "商务局",
                    "organisation": "雷山县商务局",
                    "email": "commerce@leishan.example.cn",
                    "phone": "",
                    "lang": "zh",
                },
            ],
        },
    }


def _gala(cid: str, today: dt.date) -> dict[str, Any]:
    from xhsgrow.specs.lunar import lunar_new_years_eve

    # the next gala whose three-week warm-up still lies ahead
    year = today.year
    while lunar_new_years_eve(year) - dt.timedelta(days=21) <= today:
        year += 1
    eve = lunar_new_years_eve(year)
    start, end = eve - dt.timedelta(days=21), eve + dt.timedelta(days=30)
    night = dt.datetime.combine(eve, dt.time(20, 0))
    return {
        "id": cid,
        "name": f"Spring Festival Gala {year}",
        "kind": "gala",
        "owner": "gala-war-room",
        "status": "draft",
        "tags": ["gala", "spring-festival"],
        "notes": "Notes-sharing partner with red-envelope rounds on the night.",
        "window": {"start": start, "end": end, "timezone": "Asia/Shanghai", "activation_days": 7},
        "budget": {"amount": 300_000_000, "currency": "CNY"},
        "targets": {
            "acquired": 5_000_000,
            "activated": 3_000_000,
            "retention_d7": 0.2,
            "retention_d30": 0.08,
            "peak_concurrent_users": 20_000_000,
        },
        "pacing": {"curve": "phases"},
        "gala": {
            "year": year,
            "capacity_rps": 5_000_000,  # 20% headroom over the 4M rps peak `plan` expects
            "phases": [
                {
                    "name": "warm_up",
                    "start": start,
                    "end": eve - dt.timedelta(days=1),
                    "share": 0.2,
                },
                {
                    "name": "gala_night",
                    "start": eve,
                    "end": eve + dt.timedelta(days=1),
                    "share": 0.6,
                },
                {
                    "name": "retention",
                    "start": eve + dt.timedelta(days=2),
                    "end": end,
                    "share": 0.2,
                },
            ],
            "rounds": [
                {
                    "name": f"Round {i + 1}",
                    "at": night + dt.timedelta(minutes=45 * i + 30),
                    "duration_minutes": 10,
                    "prize_pool": 50_000_000.0,
                    "top_prize": 8_888.0,
                    "expected_participants": 40_000_000,
                    "interactions_per_participant": 20.0,
                    "mechanic": "shake",
                    "shares_to_wechat": False,
                }
                for i in range(4)
            ],
            "assumptions": {"peak_to_mean": 3.0, "retention_decay": 0.2, "retention_floor": 0.08},
        },
    }
