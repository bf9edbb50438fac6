"""Facts for every tracked campaign from raw events, on any engine (the SQL is in sql.py).

``compute`` runs the statements of xhsgrow.tracking.sql through an engine adapter
(xhsgrow.engines: DuckDB, Spark): the events are aggregated where they are, into a handful
of temporary tables, and only aggregates (campaigns x days x segments) come back to Python,
where they are put into CampaignFacts and DataQuality.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from xhsgrow.errors import UsageError
from xhsgrow.tracking import sql
from xhsgrow.tracking.facts import RETENTION_DAYS, CampaignFacts
from xhsgrow.tracking.result import (
    DataQuality,
    FraudFlag,
    GalaView,
    PhaseStats,
    Referrer,
    RejectedRow,
    RoundStats,
)

#: A referrer is flagged for inactive referees when at least this many of its referees were
#: rewarded (a day or more before as-of) and none of them was active after the reward.
INACTIVE_MIN_REFEREES = 3
#: A red-envelope round's window: from this many minutes before its broadcast time to this
#: many minutes after its end (at + duration).
ROUND_GRACE_MINUTES = 5
TOP_REFERRERS = 10

Progress = Callable[[str, float], None]

if TYPE_CHECKING:
    from xhsgrow.engines import Engine


def end_of_day_utc(day: dt.date, tz: str) -> dt.datetime:
    """The instant the day after ``day`` starts in ``tz``, in UTC."""
    nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(tz))
    return nxt.astimezone(dt.UTC)


def local_to_utc(moment: dt.datetime, tz: str) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(dt.UTC)


def _micros(moment: dt.datetime) -> int:
    """Microseconds since 1970 UTC: the engine's integer time."""
    return round(moment.timestamp() * 1_000_000)


def compute(
    engine: Engine,
    campaigns: Sequence[Any],
    as_of: dict[str, dt.date],
    *,
    strict: bool = False,
    progress: Progress | None = None,
) -> tuple[dict[str, CampaignFacts], DataQuality]:
    """Run the aggregation over ``engine``'s ``ev`` view; return facts and data quality."""
    d = engine.dialect
    tick = progress or (lambda _label, _share: None)
    ids = tuple(c.id for c in campaigns)
    tz_of = {c.id: c.window.timezone for c in campaigns}
    timezones = tuple(sorted(set(tz_of.values())))
    cutoff_of = {c.id: _micros(end_of_day_utc(as_of[c.id], c.window.timezone)) for c in campaigns}
    plan = sql.Plan(
        campaigns=ids,
        tz_of=tz_of,
        timezones=timezones,
        cutoff=max(cutoff_of.values()),
        cutoff_of=cutoff_of,
        window_us={
            c.id: (
                _micros(end_of_day_utc(c.window.start - dt.timedelta(days=1), c.window.timezone)),
                _micros(end_of_day_utc(c.window.end, c.window.timezone)),
            )
            for c in campaigns
        },
    )
    _camp_table(engine, campaigns, as_of, timezones)
    # (label, table, statement): a statement with a table name builds that table; with
    # None, "quality" is queried; "drop" drops the table, "repeated" builds it with the
    # engine's repeated_keys and "keyed" with its keyed_rows (the rows of repeated keys).
    steps: list[tuple[str, str | None, str]] = [
        ("checking rows", None, "quality"),
        ("first signups", "fs", sql.first_signups(d, plan)),
        ("acquired users", "acq", sql.acquired(d)),
        ("activity and retention", "au", sql.acquired_users(d, plan, RETENTION_DAYS)),
        *(("activity and retention", name, "drop") for name in sql.DROP_USER_TABLES),
        ("duplicates", "dupk", "repeated"),
        ("duplicates", "dupc", "keyed"),
        ("duplicates", "dupx", sql.duplicates(d, plan)),
        ("duplicates", "dupc", "drop"),
        ("duplicates", "dupk", "drop"),
        ("invites, rewards", "cnt", sql.counted(d, plan)),
        ("interactions", "imin", sql.interactions_per_minute(d, plan)),
    ]
    counts: dict[str, int] = {}
    for i, (label, table, statement) in enumerate(steps):
        tick(label, i / len(steps))
        if statement == "quality":
            (row,) = engine.query(sql.quality(d, plan))
            counts = {k: int(v or 0) for k, v in zip(sql.QUALITY_COUNTS, row, strict=True)}
            if not counts["rejected"]:
                engine.well_formed()
        elif statement == "drop" and table:
            engine.drop(table)
        elif statement == "repeated" and table:
            engine.repeated_keys(table, sql.pair_key(d))
        elif statement == "keyed" and table:
            engine.keyed_rows(table, "dupk", functools.partial(sql.pair_key, d))
        elif table:
            engine.create_table(table, statement)
    tick("figures", 1.0)

    structural = engine.structural_reject_count
    rejected = counts["rejected"] + structural
    samples: tuple[RejectedRow, ...] = ()
    if rejected:
        samples = tuple(
            RejectedRow(line, file, why) for file, line, why in engine.rejected_samples()
        )
        if strict:
            first = samples[0] if samples else None
            where = f"{first.file}:{first.line}: {first.reason}" if first else ""
            raise UsageError(
                f"--strict: {rejected:,} malformed row(s) in {engine.shown}; first: {where}",
                hint="fix or drop those rows, or run without --strict to count and skip them",
            )
    dups = int(engine.query(sql.DUPLICATES)[0][0] or 0)
    (extra,) = engine.query(sql.duplicate_overlaps(d, plan))
    for name, copies in zip(sql.UNUSED_COUNTS, extra, strict=True):
        counts[name] -= int(copies or 0)  # (counted once, as the row; the rest are duplicates)
    reasons = _reasons(engine) if counts["rejected"] else {}
    if structural:
        reasons["structure"] = structural
    # (the engine's groups come back in any order: the JSON must not change from run to run)
    reasons = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    quality = DataQuality(
        rows_read=counts["rows_read"] + structural,
        rows_rejected=rejected,
        rejected_samples=samples,
        unknown_events=counts["unknown_events"],
        duplicates=dups,
        outside_windows=counts["outside_windows"],
        after_as_of=counts["after_as_of"],
        other_campaigns=counts["other_campaigns"],
        unattributed=counts["unattributed"],
        rejected_by_reason=reasons,
    )
    facts = _facts(engine, campaigns, plan, as_of)
    return facts, quality


def _reasons(engine: Engine) -> dict[str, int]:
    return {str(r): int(n) for r, n in engine.query(sql.reasons())}


def _camp_table(
    engine: Engine,
    campaigns: Sequence[Any],
    as_of: dict[str, dt.date],
    timezones: tuple[str, ...],
) -> None:
    rows = []
    for c in campaigns:
        fr = c.referral.fraud if c.kind == "referral" else None
        a = as_of[c.id]
        rows.append(
            (
                c.id,
                c.kind,
                c.window.timezone,
                timezones.index(c.window.timezone),
                c.window.start,
                c.window.end,
                a,
                min(a, c.window.end),
                c.window.activation_days,
                sql.fixed_offset_us(c.window.timezone),
                fr.max_referees_per_device if fr else 1_000_000_000,
                fr.max_referees_per_ip_cluster if fr else 1_000_000_000,
                fr.ip_cluster_prefix if fr else 24,
                fr.burst_max_referees if fr else 1_000_000_000,
                fr.burst_window_minutes if fr else 60,
            )
        )
    engine.create_rows("camp", sql.CAMP_COLUMNS, rows)


def _facts(
    engine: Engine, campaigns: Sequence[Any], plan: sql.Plan, as_of: dict[str, dt.date]
) -> dict[str, CampaignFacts]:
    d = engine.dialect
    facts = {c.id: CampaignFacts(c.id) for c in campaigns}
    by_id = {c.id: c for c in campaigns}

    def day_row(cid: str, day: dt.date) -> dict[str, float]:
        return facts[cid].daily.setdefault(day, {})

    for cid, day, acquired, activated, referred in engine.query(sql.DAILY_SIGNUPS):
        row = day_row(cid, day)
        row["acquired"] = int(acquired)
        row["activated"] = int(activated or 0)
        row["referred_signups"] = int(referred or 0)
        f = facts[cid]
        f.acquired += int(acquired)
        f.activated += int(activated or 0)
        f.referred_signups += int(referred or 0)

    for cid, *vals in engine.query(sql.retention(d, RETENTION_DAYS)):
        for i, n in enumerate(RETENTION_DAYS):
            facts[cid].retention[n] = (int(vals[2 * i] or 0), int(vals[2 * i + 1] or 0))

    for cid, k in engine.query(sql.REFERRED_BY_ACQUIRED):
        facts[cid].referred_by_acquired = int(k)

    field_of = {"invite": "invites", "reward": "cost", "interaction": "interactions"}
    counted_rows = engine.query(sql.daily_counted(d))
    counted_rows += engine.query(sql.DAILY_INTERACTIONS)
    for cid, day, event, n, amount in counted_rows:
        f = facts[cid]
        c = by_id[cid]
        value: float = float(amount or 0) if event == "reward" else int(n)
        # The cost total is summed in one go (sql.costs), not from the daily rows.
        if event == "invite":
            f.invites += int(value)
        elif event == "interaction":
            f.interactions += int(value)
        if c.window.start <= day <= c.window.end:
            row = day_row(cid, day)
            row[field_of[event]] = row.get(field_of[event], 0) + value

    for cid, amount in engine.query(sql.costs(d)):
        facts[cid].cost = float(amount or 0)

    for cid, k in engine.query(sql.INVITERS):
        facts[cid].inviters = int(k)

    from xhsgrow.specs.divisions import covers

    for cid, day, region, channel, age_band, merchants in engine.query(sql.merchants(d)):
        f = facts[cid]
        c = by_id[cid]
        if c.kind == "partnership" and not (
            region is not None
            and any(covers(area, str(region)) for area in c.partnership.partner.divisions)
        ):
            continue  # not a merchant of the partnership: in no figure, segments included
        f.merchants_onboarded += int(merchants)
        row = day_row(cid, day)
        row["merchants_onboarded"] = row.get("merchants_onboarded", 0) + int(merchants)
        # segments: the attributes of the merchant's first onboarding row
        for dim, value in (("region", region), ("channel", channel), ("age_band", age_band)):
            if value is not None:
                seg = f.segments.setdefault((dim, str(value)), {})
                seg["merchants_onboarded"] = seg.get("merchants_onboarded", 0) + int(merchants)

    for cid, dim, value, acquired, activated in engine.query(sql.SEGMENTS_ACQUIRED):
        seg = facts[cid].segments.setdefault((str(dim), str(value)), {})
        seg["acquired"] = int(acquired)
        seg["activated"] = int(activated or 0)
    for cid, dim, value, amount in engine.query(sql.segments_cost(d)):
        seg = facts[cid].segments.setdefault((str(dim), str(value)), {})
        seg["cost"] = float(amount or 0)

    engine.create_table("rw", sql.rewards_by_user(d))
    if any(c.kind == "referral" for c in campaigns):
        _referral(engine, campaigns, facts)
    gala = [c for c in campaigns if c.kind == "gala"]
    if gala:
        _gala(engine, gala, facts, plan, as_of)
    return facts


def _referral(engine: Engine, campaigns: Sequence[Any], facts: dict[str, CampaignFacts]) -> None:
    tops: dict[str, list[Referrer]] = {}
    for cid, ref, referred, activated, rewards in engine.query(
        sql.TOP_REFERRERS.format(limit=TOP_REFERRERS)
    ):
        tops.setdefault(cid, []).append(
            # (money to the cent, as cost and money at risk: 0.1 + 0.2 is 0.3)
            Referrer(str(ref), int(referred), int(activated or 0), round(float(rewards or 0), 2))
        )
    minutes = [c.referral.fraud.burst_window_minutes for c in campaigns if c.kind == "referral"]
    flags: dict[str, list[FraudFlag]] = {}
    rows = engine.query(sql.fraud(engine.dialect, minutes or [60], INACTIVE_MIN_REFEREES))
    names = ("device_shared", "ip_cluster", "burst", "inactive_referees")
    for cid, ref, referees, *marks, money in rows:
        reasons = tuple(n for n, m in zip(names, marks, strict=True) if m)
        flags.setdefault(cid, []).append(
            FraudFlag(str(ref), reasons, int(referees), round(float(money or 0), 2))
        )
    for c in campaigns:
        if c.kind == "referral":
            facts[c.id].top_referrers = tuple(tops.get(c.id, []))
            facts[c.id].fraud_flags = tuple(flags.get(c.id, []))


def _gala(
    engine: Engine,
    campaigns: Sequence[Any],
    facts: dict[str, CampaignFacts],
    plan: sql.Plan,
    as_of: dict[str, dt.date],
) -> None:
    """Gala phases and rounds. Their days (``pday``) and minutes (``pmin``) stay inside the
    campaign's window and stop at its as-of day, so that the big reads join them on equality
    alone. A round's window is whole minutes: those that start inside [at - 5 min, at +
    duration + 5 min); its new users are the first signups inside the same minutes."""
    d = engine.dialect
    rows: list[tuple[Any, ...]] = []
    days: list[tuple[str, int, dt.date, int]] = []
    minutes: list[tuple[str, int, int, int]] = []
    phase_id = -1
    rounds = 0
    for c in campaigns:
        tz = c.window.timezone
        last_day = as_of[c.id]
        per_minute = sql.MICROS_PER_MINUTE
        # the first minute that starts after the as-of day (a minute's start gives its day)
        after = -(-_micros(end_of_day_utc(last_day, tz)) // per_minute)
        # the minutes of the window: a round's grace minutes beyond it are another's time
        opens = -(-_micros(end_of_day_utc(c.window.start - dt.timedelta(days=1), tz)) // per_minute)
        closes = -(-_micros(end_of_day_utc(c.window.end, tz)) // per_minute)
        for i, ph in enumerate(c.gala.phases):
            phase_id += 1
            rows.append((c.id, "phase", i, ph.start, ph.end, None, None))
            if ph.name == "gala_night":
                rows.append((c.id, "night", i, ph.start, ph.end, None, None))
            for k in range((min(ph.end, last_day) - ph.start).days + 1):
                days.append((c.id, i, ph.start + dt.timedelta(days=k), phase_id))
        for i, rd in enumerate(c.gala.rounds):
            at = local_to_utc(rd.at, tz)
            t0 = at - dt.timedelta(minutes=ROUND_GRACE_MINUTES)
            t1 = at + dt.timedelta(minutes=rd.duration_minutes + ROUND_GRACE_MINUTES)
            # every whole minute that starts inside [t0, t1) and inside the window
            first = max(-(-_micros(t0) // per_minute), opens)
            last = min(-(-_micros(t1) // per_minute), closes)
            rows.append(
                (c.id, "round", i, None, None, first * per_minute, max(first, last) * per_minute)
            )
            pid = rounds  # (numbers the rounds)
            rounds += 1
            minutes += [(c.id, i, minute, pid) for minute in range(first, min(last, after))]
    engine.create_rows("periods", sql.PERIODS_COLUMNS, rows)
    engine.create_rows("pday", sql.PDAY_COLUMNS, days)
    engine.create_rows("pmin", sql.PMIN_COLUMNS, minutes)
    ids = [c.id for c in campaigns]
    stats: dict[tuple[str, str, int], list[int]] = {}
    for kind, cid, idx, inter, parts in engine.query(sql.gala_periods(d, plan, ids)):
        stats[(kind, cid, idx)] = [int(inter), int(parts), 0]
    for kind, cid, idx, new in engine.query(sql.GALA_NEW_USERS):
        stats.setdefault((kind, cid, idx), [0, 0, 0])[2] = int(new)
    peaks = {
        cid: (minute, int(n), int(users))
        for cid, minute, n, users in engine.query(sql.gala_minutes(d, plan, ids))
    }
    curves: dict[str, list[tuple[int, float | None]]] = {}
    for cid, *vals in engine.query(sql.gala_retention(d, RETENTION_DAYS)):
        curve = []
        for i, n in enumerate(RETENTION_DAYS):
            old, kept = int(vals[2 * i] or 0), int(vals[2 * i + 1] or 0)
            curve.append((n, kept / old if old else None))
        curves[cid] = curve
    for c in campaigns:
        tz = ZoneInfo(c.window.timezone)
        phases = tuple(
            PhaseStats(
                ph.name,
                ph.start,
                ph.end,
                *stats.get(("phase", c.id, i), [0, 0, 0]),
                expected_share=ph.share,
            )
            for i, ph in enumerate(c.gala.phases)
        )
        rounds = tuple(
            RoundStats(rd.name, rd.at, *stats.get(("round", c.id, i), [0, 0, 0]))
            for i, rd in enumerate(c.gala.rounds)
        )
        peak = peaks.get(c.id)
        peak_at = None
        if peak:
            utc = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=int(peak[0]))
            peak_at = utc.astimezone(tz).replace(tzinfo=None)
        facts[c.id].peak_minute_users = peak[2] if peak else None
        facts[c.id].gala = GalaView(
            phases=phases,
            rounds=rounds,
            peak_minute=peak_at,
            peak_minute_interactions=peak[1] if peak else 0,
            retention_curve=tuple(curves.get(c.id, [(n, None) for n in RETENTION_DAYS])),
        )
