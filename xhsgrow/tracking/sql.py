"""Every SQL statement of tracking, in one place.

The statements read the ``ev`` view (xhsgrow.data.events: typed contract columns plus
``reason``) and a small ``camp`` table (one row per tracked campaign, see ``CAMP_COLUMNS``).
They are written in plain, portable SQL — CTEs, GROUP BY, CASE, window functions, standard
joins — so that a later engine can push the same aggregation to a warehouse (sqlglot can
transpile them). The few DuckDB-specific functions are confined to the dialect helpers at the
top of this module:

* ``local_day``: the calendar day of an instant in a timezone; plain arithmetic for zones
  with a fixed UTC offset, the timezone database otherwise (Spark: from_utc_timestamp)
* ``first_of``: the smallest struct of a group, used as "the row with the earliest time"
  (Spark: min(struct(...)); Trino: min_by over a row)
* ``days_between``: whole days from one date to another (DATE_DIFF)
* ``epoch_seconds``: seconds since 1970 of an instant (Spark: unix_timestamp)

Performance rules (docs/metrics.md): events are aggregated before any join; the big reads are
a fixed handful of aggregations over ``ev``, each serving every campaign at once; every later
statement reads the small aggregated tables only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

#: Events counted per occurrence (so an exact duplicate must not count twice).
COUNTED_EVENTS: tuple[str, ...] = ("invite", "reward", "interaction", "merchant_onboarded")
ACTIVITY_EVENTS: tuple[str, ...] = ("active", "activate")
ALL_COLUMNS = (
    "ts, event, user_id, campaign, channel, region, age_band, referrer_id, amount, device_id, ip"
)
CAMP_COLUMNS = (
    "campaign VARCHAR, kind VARCHAR, tz VARCHAR, tzi INTEGER, w_start DATE, w_end DATE, "
    "as_of DATE, last_day DATE, act_days INTEGER, off_us BIGINT, max_per_device INTEGER, "
    "max_per_ip INTEGER, ip_prefix INTEGER, burst_max INTEGER, burst_minutes INTEGER"
)

# --- dialect helpers (the only DuckDB-specific spellings) --------------------------------


def lit(value: object) -> str:
    """A SQL literal for a string, number, None or bool."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")" if values else "(NULL)"


MICROS_PER_MINUTE = 60_000_000


@cache
def fixed_offset_us(tz: str) -> int | None:
    """The UTC offset of ``tz`` in microseconds when it never changes from 2000 to 2100
    (Asia/Shanghai: +8 h), else None (a zone with daylight saving time)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    offsets = {
        dt.datetime(year, month, 15, tzinfo=zone).utcoffset()
        for year in range(2000, 2101)
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        return None
    delta = offsets.pop()
    return None if delta is None else int(delta.total_seconds()) * 1_000_000


def local_day(ts: str, tz: str) -> str:
    """The calendar day, in timezone ``tz`` (a name), of ``ts`` (microseconds since 1970 UTC).

    Instants are integers throughout: a fixed-offset zone needs only an addition, which is
    an order of magnitude cheaper per row than a timezone-database conversion."""
    off = fixed_offset_us(tz)
    if off is not None:
        return f"CAST(MAKE_TIMESTAMP({ts} + {off}) AS DATE)"
    return f"CAST(timezone({lit(tz)}, timezone('UTC', MAKE_TIMESTAMP({ts}))) AS DATE)"


def local_day_by_column(ts: str, tz_col: str, off_col: str) -> str:
    """``local_day`` with the zone (and its fixed offset, NULL if none) taken from columns."""
    return (
        f"CASE WHEN {off_col} IS NOT NULL THEN CAST(MAKE_TIMESTAMP({ts} + {off_col}) AS DATE) "
        f"ELSE CAST(timezone({tz_col}, timezone('UTC', MAKE_TIMESTAMP({ts}))) AS DATE) END"
    )


def minute_of(ts: str) -> str:
    """Whole minutes since 1970 UTC (an integer), the unit of gala peaks and rounds."""
    return f"({ts} // {MICROS_PER_MINUTE})"


def first_of(fields: Sequence[tuple[str, str]]) -> str:
    """The lexicographically smallest (field1, field2, ...) of a group, as a struct: with the
    time first, this is the group's earliest row, ties broken by the other fields."""
    return "MIN(STRUCT_PACK(" + ", ".join(f"{name} := {expr}" for name, expr in fields) + "))"


def days_between(a: str, b: str) -> str:
    return f"DATE_DIFF('day', {a}, {b})"


#: The columns other than ts and user_id: duplicates agree on all of them.
OTHER_COLUMNS = (
    "event",
    "campaign",
    "channel",
    "region",
    "age_band",
    "referrer_id",
    "amount",
    "device_id",
    "ip",
)


def row_key() -> str:
    """The key that identifies a row for de-duplication: the instant, the user and a 64-bit
    hash of every other column. Two different rows would have to share user and microsecond
    and collide in 64 bits to be taken for one (Spark: xxhash64)."""
    return f"ts, user_id, HASH({', '.join(OTHER_COLUMNS)})"


def epoch_seconds(ts: str) -> str:
    return f"({ts} // 1000000)"


# --- the plan: what one run needs to know ------------------------------------------------


@dataclass(frozen=True)
class Plan:
    campaigns: tuple[str, ...]  # tracked ids
    tz_of: dict[str, str]  # campaign -> timezone
    timezones: tuple[str, ...]  # distinct timezones, index = tzi
    cutoff: int  # end of the latest as-of day, microseconds since 1970 UTC (exclusive)
    window_of: dict[str, tuple[str, str]]  # campaign -> (start, end) ISO dates

    @property
    def cut(self) -> str:
        return str(int(self.cutoff))

    def campaign_day(self, ts: str = "ts") -> str:
        """The day of ``ts`` in the timezone of the row's campaign."""
        if len(self.timezones) == 1:
            return local_day(ts, self.timezones[0])
        whens = " ".join(f"WHEN {lit(c)} THEN {local_day(ts, tz)}" for c, tz in self.tz_of.items())
        return f"CASE campaign {whens} END"

    def outside_window(self, day: str) -> str:
        whens = " ".join(
            f"WHEN {lit(c)} THEN ({day} < DATE {lit(s)} OR {day} > DATE {lit(e)})"
            for c, (s, e) in self.window_of.items()
        )
        return f"CASE campaign {whens} ELSE FALSE END"


VALID = "reason IS NULL"


# --- the reads of the events (each serves every campaign) --------------------------------


def first_signups(plan: Plan) -> str:
    """Per user, the first signup over all data up to the cutoff, with its attributes."""
    first = first_of(
        [
            ("ts", "ts"),
            ("campaign", "campaign"),
            ("referrer_id", "referrer_id"),
            ("channel", "channel"),
            ("region", "region"),
            ("age_band", "age_band"),
            ("device_id", "device_id"),
            ("ip", "ip"),
        ]
    )
    return f"""
CREATE TEMP TABLE fs AS
SELECT user_id, {first} AS f
FROM ev
WHERE {VALID} AND event = 'signup' AND ts < {plan.cut}
GROUP BY user_id
"""


def acquired() -> str:
    """Users whose first signup is attributed to a tracked campaign, inside its window and
    on or before its as-of day."""
    day = local_day_by_column("s.f.ts", "c.tz", "c.off_us")
    return f"""
CREATE TEMP TABLE acq AS
SELECT c.campaign, s.user_id, s.f.ts AS ts, {day} AS day, c.tzi, c.act_days, c.as_of,
    s.f.referrer_id AS referrer_id, s.f.channel AS channel, s.f.region AS region,
    s.f.age_band AS age_band, s.f.device_id AS device_id, s.f.ip AS ip
FROM fs AS s
JOIN camp AS c ON s.f.campaign = c.campaign
WHERE {day} BETWEEN c.w_start AND c.last_day
"""


def activity(plan: Plan) -> str:
    """Days with an active/activate event, per user, in every campaign timezone; exact
    duplicates collapsed first so that their extra copies are counted (``dups``)."""
    days = [local_day("ts", tz) for tz in plan.timezones]
    cols = ", ".join(f"{d} AS d{i}" for i, d in enumerate(days))
    keys = ", ".join(days)
    return f"""
CREATE TEMP TABLE act AS
SELECT user_id, {cols}, MAX(CASE WHEN event = 'activate' THEN 1 ELSE 0 END) AS activate,
    SUM(copies - 1) AS dups
FROM (
    SELECT ts, user_id, MAX(event) AS event, COUNT(*) AS copies
    FROM ev
    WHERE {VALID} AND event IN {in_list(ACTIVITY_EVENTS)} AND ts < {plan.cut}
    GROUP BY {row_key()}
) AS distinct_rows
GROUP BY user_id, {keys}
"""


def acquired_users(plan: Plan, retention_days: Sequence[int]) -> str:
    """One row per acquired user with activation and day-n retention flags (the flags are
    aggregated on the narrow (campaign, user) key, then joined to the user's attributes)."""
    pick = (
        "x.d0"
        if len(plan.timezones) == 1
        else "CASE a.tzi "
        + " ".join(f"WHEN {i} THEN x.d{i}" for i in range(len(plan.timezones)))
        + " END"
    )
    dd = days_between("a.day", pick)
    flags = ",\n        ".join(
        f"MAX(CASE WHEN {dd} = {n} THEN 1 ELSE 0 END) AS r{n}" for n in retention_days
    )
    outer = ", ".join(f"COALESCE(f.r{n}, 0) AS r{n}" for n in retention_days)
    return f"""
CREATE TEMP TABLE au AS
WITH flags AS (
    SELECT a.campaign, a.user_id,
        MAX(CASE WHEN x.activate = 1 AND {dd} BETWEEN 0 AND a.act_days - 1
            AND {pick} <= a.as_of THEN 1 ELSE 0 END) AS activated,
        {flags},
        MAX(CASE WHEN {pick} <= a.as_of THEN {pick} END) AS last_active_day
    FROM acq AS a
    JOIN act AS x ON x.user_id = a.user_id
    GROUP BY a.campaign, a.user_id
)
SELECT a.campaign, a.user_id, a.ts, a.day, a.as_of, a.referrer_id, a.channel, a.region,
    a.age_band, a.device_id, a.ip, COALESCE(f.activated, 0) AS activated, {outer},
    f.last_active_day
FROM acq AS a
LEFT JOIN flags AS f ON f.campaign = a.campaign AND f.user_id = a.user_id
"""


def counted(plan: Plan) -> str:
    """Invites, rewards, interactions and onboardings of tracked campaigns, one row per
    distinct event (exact duplicates collapsed, their extra copies in ``copies``). Region,
    channel and age band are kept for rewards and onboardings only (cost and merchant
    segments); minute and day are derived from the time."""
    attrs = [
        f"CASE WHEN event IN ('reward', 'merchant_onboarded') THEN {a} END"
        for a in ("region", "channel", "age_band")
    ]
    return f"""
CREATE TEMP TABLE cnt AS
SELECT event, campaign, user_id, minute, region, channel, age_band, amount,
    {plan.campaign_day(f"minute * {MICROS_PER_MINUTE}")} AS day, 1 AS n, copies
FROM (
    SELECT event, campaign, user_id, {minute_of("ts")} AS minute, {attrs[0]} AS region,
        {attrs[1]} AS channel, {attrs[2]} AS age_band, amount, COUNT(*) AS copies
    FROM ev
    WHERE {VALID} AND event IN {in_list(COUNTED_EVENTS)} AND ts < {plan.cut}
        AND campaign IN {in_list(plan.campaigns)}
    GROUP BY {row_key()}, event, campaign, {", ".join(attrs)}, amount
) AS distinct_rows
"""


def quality(plan: Plan) -> str:
    """Where every row read went (docs/metrics.md, data_quality)."""
    known = "event IN (" + ", ".join(lit(e) for e in _known()) + ")"
    ok = f"{VALID} AND {known} AND ts < {plan.cut}"
    attributed = f"COALESCE(campaign, '') <> '' AND event NOT IN {in_list(ACTIVITY_EVENTS)}"
    tracked = f"campaign IN {in_list(plan.campaigns)}"
    outside = plan.outside_window(plan.campaign_day("ts"))
    return f"""
SELECT
    COUNT(*) AS rows_read,
    SUM(CASE WHEN reason IS NOT NULL THEN 1 ELSE 0 END) AS rejected,
    SUM(CASE WHEN {VALID} AND NOT {known} THEN 1 ELSE 0 END) AS unknown_events,
    SUM(CASE WHEN {VALID} AND {known} AND ts >= {plan.cut} THEN 1 ELSE 0 END) AS after_as_of,
    SUM(CASE WHEN {ok} AND {attributed} AND NOT {tracked} THEN 1 ELSE 0 END)
        AS other_campaigns,
    SUM(CASE WHEN {ok} AND {attributed} AND {tracked} AND event <> 'reward' AND {outside}
        THEN 1 ELSE 0 END) AS outside_windows
FROM ev
"""


def reasons() -> str:
    return "SELECT reason, COUNT(*) FROM ev WHERE reason IS NOT NULL GROUP BY reason"


def other_duplicates(plan: Plan) -> str:
    """Extra copies of rows not already collapsed by ``counted`` or ``activity``."""
    known = "event IN (" + ", ".join(lit(e) for e in _known()) + ")"
    in_cnt = (
        f"(event IN {in_list(COUNTED_EVENTS)} AND campaign IS NOT NULL "
        f"AND campaign IN {in_list(plan.campaigns)})"
    )
    return f"""
SELECT COALESCE(SUM(copies - 1), 0) FROM (
    SELECT COUNT(*) AS copies
    FROM ev
    WHERE {VALID} AND {known} AND ts < {plan.cut} AND NOT {in_cnt}
        AND event NOT IN {in_list(ACTIVITY_EVENTS)}
    GROUP BY {row_key()}
    HAVING COUNT(*) > 1
) AS dups
"""


def _known() -> tuple[str, ...]:
    from xhsgrow.data.events import KNOWN_EVENTS

    return KNOWN_EVENTS


# --- figures from the aggregated tables (small) ------------------------------------------

COUNTED_DUPLICATES = (
    "SELECT (SELECT COALESCE(SUM(copies - n), 0) FROM cnt) "
    "+ (SELECT COALESCE(SUM(dups), 0) FROM act)"
)

DAILY_SIGNUPS = """
SELECT campaign, day, COUNT(*) AS acquired, SUM(activated) AS activated,
    SUM(CASE WHEN referrer_id IS NOT NULL THEN 1 ELSE 0 END) AS referred
FROM au GROUP BY campaign, day
"""


def retention(retention_days: Sequence[int]) -> str:
    parts = []
    for n in retention_days:
        old = f"{days_between('day', 'as_of')} >= {n}"
        parts.append(f"SUM(CASE WHEN {old} THEN 1 ELSE 0 END) AS e{n}")
        parts.append(f"SUM(CASE WHEN {old} THEN r{n} ELSE 0 END) AS k{n}")
    return f"SELECT campaign, {', '.join(parts)} FROM au GROUP BY campaign"


REFERRED_BY_ACQUIRED = """
SELECT a.campaign, COUNT(*)
FROM au AS a JOIN au AS r ON r.campaign = a.campaign AND r.user_id = a.referrer_id
GROUP BY a.campaign
"""

# Counted events inside the window (rewards: any day up to as-of).
DAILY_COUNTED = """
SELECT k.campaign, k.day, k.event, SUM(k.n) AS n, SUM(k.amount) AS amount
FROM cnt AS k JOIN camp AS c ON c.campaign = k.campaign
WHERE k.event <> 'merchant_onboarded' AND k.day <= c.as_of
    AND (k.event = 'reward' OR k.day BETWEEN c.w_start AND c.last_day)
GROUP BY k.campaign, k.day, k.event
"""

INVITERS = """
SELECT k.campaign, COUNT(DISTINCT k.user_id)
FROM cnt AS k JOIN camp AS c ON c.campaign = k.campaign
WHERE k.event = 'invite' AND k.day BETWEEN c.w_start AND c.last_day
GROUP BY k.campaign
"""

# Each merchant once per campaign: its first onboarding inside the window, with that region.
MERCHANTS = f"""
SELECT campaign, m.day AS day, m.region AS region, COUNT(*) AS merchants
FROM (
    SELECT k.campaign, k.user_id,
        {first_of([("minute", "k.minute"), ("day", "k.day"), ("region", "k.region")])} AS m
    FROM cnt AS k JOIN camp AS c ON c.campaign = k.campaign
    WHERE k.event = 'merchant_onboarded' AND k.day BETWEEN c.w_start AND c.last_day
    GROUP BY k.campaign, k.user_id
) AS firsts
GROUP BY campaign, m.day, m.region
"""

SEGMENTS_ACQUIRED = """
SELECT campaign, 'region' AS dimension, region AS value, COUNT(*), SUM(activated)
FROM au WHERE region IS NOT NULL GROUP BY campaign, region
UNION ALL
SELECT campaign, 'channel', channel, COUNT(*), SUM(activated)
FROM au WHERE channel IS NOT NULL GROUP BY campaign, channel
UNION ALL
SELECT campaign, 'age_band', age_band, COUNT(*), SUM(activated)
FROM au WHERE age_band IS NOT NULL GROUP BY campaign, age_band
"""

_REWARDS_TO_AS_OF = """
    FROM cnt AS k JOIN camp AS c ON c.campaign = k.campaign
    WHERE k.event = 'reward' AND k.day <= c.as_of"""

SEGMENTS_COST = f"""
SELECT k.campaign, 'region', k.region, SUM(k.amount) {_REWARDS_TO_AS_OF} AND k.region IS NOT NULL
GROUP BY k.campaign, k.region
UNION ALL
SELECT k.campaign, 'channel', k.channel, SUM(k.amount) {_REWARDS_TO_AS_OF}
    AND k.channel IS NOT NULL
GROUP BY k.campaign, k.channel
UNION ALL
SELECT k.campaign, 'age_band', k.age_band, SUM(k.amount) {_REWARDS_TO_AS_OF}
    AND k.age_band IS NOT NULL
GROUP BY k.campaign, k.age_band
"""

# Rewards per recipient (referrers and referees), up to as-of; with the first reward's day.
REWARDS_BY_USER = f"""
CREATE TEMP TABLE rw AS
SELECT k.campaign, k.user_id, SUM(k.amount) AS amount, MIN(k.day) AS first_day
{_REWARDS_TO_AS_OF}
GROUP BY k.campaign, k.user_id
"""

TOP_REFERRERS = """
SELECT campaign, referrer_id, referred, activated, rewards FROM (
    SELECT a.campaign, a.referrer_id, COUNT(*) AS referred, SUM(a.activated) AS activated,
        COALESCE(MAX(w.amount), 0) AS rewards,
        ROW_NUMBER() OVER (
            PARTITION BY a.campaign ORDER BY COUNT(*) DESC, CAST(a.referrer_id AS VARCHAR)
        ) AS place
    FROM au AS a
    LEFT JOIN rw AS w ON w.campaign = a.campaign AND w.user_id = a.referrer_id
    WHERE a.referrer_id IS NOT NULL
    GROUP BY a.campaign, a.referrer_id
) AS ranked
WHERE place <= {limit}
ORDER BY campaign, place
"""


def fraud(burst_minutes: Sequence[int], inactive_min: int) -> str:
    """Referrers whose referees share devices or IP clusters beyond the spec's limits, sign up
    in bursts, or were rewarded and never active after; with the reward money at risk."""
    ip_int = (
        "(TRY_CAST(SPLIT_PART(r.ip, '.', 1) AS BIGINT) * 16777216"
        " + TRY_CAST(SPLIT_PART(r.ip, '.', 2) AS BIGINT) * 65536"
        " + TRY_CAST(SPLIT_PART(r.ip, '.', 3) AS BIGINT) * 256"
        " + TRY_CAST(SPLIT_PART(r.ip, '.', 4) AS BIGINT))"
    )
    cluster = f"COALESCE(CAST(FLOOR({ip_int} / POWER(2, 32 - c.ip_prefix)) AS VARCHAR), r.ip)"
    secs = epoch_seconds("r.ts")
    burst = " ".join(
        f"WHEN {m} THEN COUNT(*) OVER (PARTITION BY r.campaign, r.referrer_id ORDER BY {secs} "
        f"RANGE BETWEEN CURRENT ROW AND {m * 60 - 1} FOLLOWING)"
        for m in sorted(set(burst_minutes))
    )
    return f"""
WITH referees AS (
    SELECT r.campaign, r.referrer_id, r.user_id, r.device_id, r.day, r.last_active_day,
        c.as_of, c.max_per_device, c.max_per_ip, c.burst_max,
        CASE WHEN r.ip IS NULL THEN NULL ELSE {cluster} END AS ip_cluster,
        CASE c.burst_minutes {burst} END AS in_burst
    FROM au AS r JOIN camp AS c ON c.campaign = r.campaign
    WHERE r.referrer_id IS NOT NULL
),
by_device AS (
    SELECT campaign, referrer_id, MAX(max_per_device) AS lim, MAX(k) AS worst FROM (
        SELECT campaign, referrer_id, device_id, MAX(max_per_device) AS max_per_device,
            COUNT(*) AS k
        FROM referees WHERE device_id IS NOT NULL
        GROUP BY campaign, referrer_id, device_id
    ) AS d GROUP BY campaign, referrer_id
),
by_ip AS (
    SELECT campaign, referrer_id, MAX(max_per_ip) AS lim, MAX(k) AS worst FROM (
        SELECT campaign, referrer_id, ip_cluster, MAX(max_per_ip) AS max_per_ip, COUNT(*) AS k
        FROM referees WHERE ip_cluster IS NOT NULL
        GROUP BY campaign, referrer_id, ip_cluster
    ) AS i GROUP BY campaign, referrer_id
),
per_referrer AS (
    SELECT f.campaign, f.referrer_id, COUNT(*) AS referees,
        MAX(f.in_burst) AS burst, MAX(f.burst_max) AS burst_max,
        SUM(CASE WHEN w.user_id IS NOT NULL AND w.first_day < f.as_of THEN 1 ELSE 0 END)
            AS rewarded,
        SUM(CASE WHEN w.user_id IS NOT NULL AND w.first_day < f.as_of
            AND (f.last_active_day IS NULL OR f.last_active_day <= w.first_day)
            THEN 1 ELSE 0 END) AS rewarded_inactive,
        SUM(COALESCE(w.amount, 0)) AS referee_rewards
    FROM referees AS f
    LEFT JOIN rw AS w ON w.campaign = f.campaign AND w.user_id = f.user_id
    GROUP BY f.campaign, f.referrer_id
)
SELECT p.campaign, p.referrer_id, p.referees,
    CASE WHEN d.worst > d.lim THEN 1 ELSE 0 END AS device_shared,
    CASE WHEN i.worst > i.lim THEN 1 ELSE 0 END AS ip_cluster,
    CASE WHEN p.burst > p.burst_max THEN 1 ELSE 0 END AS burst,
    CASE WHEN p.rewarded >= {inactive_min} AND p.rewarded_inactive = p.rewarded
        THEN 1 ELSE 0 END AS inactive_referees,
    p.referee_rewards + COALESCE(w.amount, 0) AS money_at_risk
FROM per_referrer AS p
LEFT JOIN by_device AS d ON d.campaign = p.campaign AND d.referrer_id = p.referrer_id
LEFT JOIN by_ip AS i ON i.campaign = p.campaign AND i.referrer_id = p.referrer_id
LEFT JOIN rw AS w ON w.campaign = p.campaign AND w.user_id = p.referrer_id
WHERE d.worst > d.lim OR i.worst > i.lim OR p.burst > p.burst_max
    OR (p.rewarded >= {inactive_min} AND p.rewarded_inactive = p.rewarded)
ORDER BY p.campaign, money_at_risk DESC, CAST(p.referrer_id AS VARCHAR)
"""


# --- gala --------------------------------------------------------------------------------

GALA_PERIODS_TABLE = (
    "CREATE TEMP TABLE periods (campaign VARCHAR, kind VARCHAR, idx INTEGER, "
    "d0 DATE, d1 DATE, t0 BIGINT, t1 BIGINT)"
)

# Periods spelled out as days (phases) and minutes (rounds), so that the big ``cnt`` table
# is joined on equality only.
GALA_PERIOD_UNITS_TABLES = (
    "CREATE TEMP TABLE pday (campaign VARCHAR, idx INTEGER, day DATE)",
    "CREATE TEMP TABLE pmin (campaign VARCHAR, idx INTEGER, minute BIGINT)",
)

# Interactions and participants per phase (by day) and round (by minute), up to as-of.
GALA_PERIODS = """
SELECT 'phase' AS kind, p.campaign, p.idx, SUM(k.n), COUNT(DISTINCT k.user_id)
FROM pday AS p
JOIN camp AS c ON c.campaign = p.campaign
JOIN cnt AS k ON k.campaign = p.campaign AND k.day = p.day AND k.event = 'interaction'
WHERE p.day <= c.as_of
GROUP BY p.campaign, p.idx
UNION ALL
SELECT 'round', p.campaign, p.idx, SUM(k.n), COUNT(DISTINCT k.user_id)
FROM pmin AS p
JOIN camp AS c ON c.campaign = p.campaign
JOIN cnt AS k ON k.campaign = p.campaign AND k.minute = p.minute AND k.event = 'interaction'
WHERE k.day <= c.as_of
GROUP BY p.campaign, p.idx
"""

GALA_NEW_USERS = """
SELECT p.kind, p.campaign, p.idx, COUNT(a.user_id)
FROM periods AS p
LEFT JOIN au AS a ON a.campaign = p.campaign
    AND ((p.kind = 'phase' AND a.day BETWEEN p.d0 AND p.d1)
      OR (p.kind = 'round' AND a.ts >= p.t0 AND a.ts < p.t1))
GROUP BY p.kind, p.campaign, p.idx
"""


def gala_minutes(campaigns: Sequence[str]) -> str:
    """Per gala campaign, its busiest minute (ties: the earliest) with its interactions and
    the distinct users interacting in it, within the window up to as-of."""
    return f"""
WITH per_minute AS (
    SELECT k.campaign, k.minute, SUM(k.n) AS n
    FROM cnt AS k JOIN camp AS c ON c.campaign = k.campaign
    WHERE k.event = 'interaction' AND k.day BETWEEN c.w_start AND c.last_day
        AND k.campaign IN {in_list(campaigns)}
    GROUP BY k.campaign, k.minute
),
peak AS (
    SELECT campaign, minute, n FROM (
        SELECT campaign, minute, n,
            ROW_NUMBER() OVER (PARTITION BY campaign ORDER BY n DESC, minute) AS place
        FROM per_minute
    ) AS ranked
    WHERE place = 1
)
SELECT p.campaign, p.minute, p.n, COUNT(DISTINCT k.user_id)
FROM peak AS p
JOIN cnt AS k ON k.campaign = p.campaign AND k.minute = p.minute AND k.event = 'interaction'
GROUP BY p.campaign, p.minute, p.n
"""


def gala_retention(retention_days: Sequence[int]) -> str:
    """Day-n retention of the users acquired on the gala night phase (``periods`` idx of the
    night is passed as kind 'night')."""
    parts = []
    for n in retention_days:
        old = f"{days_between('a.day', 'a.as_of')} >= {n}"
        parts.append(f"SUM(CASE WHEN {old} THEN 1 ELSE 0 END) AS e{n}")
        parts.append(f"SUM(CASE WHEN {old} THEN a.r{n} ELSE 0 END) AS k{n}")
    return f"""
SELECT p.campaign, {", ".join(parts)}
FROM periods AS p JOIN au AS a ON a.campaign = p.campaign AND a.day BETWEEN p.d0 AND p.d1
WHERE p.kind = 'night'
GROUP BY p.campaign
"""
