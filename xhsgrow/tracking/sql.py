"""Every SQL statement of tracking, in one place.

The statements read the ``ev`` view (xhsgrow.data.events: typed contract columns plus
``reason``) and a small ``camp`` table (one row per tracked campaign, see ``CAMP_COLUMNS``).
They are written once, in DuckDB's SQL: plain, portable SQL (CTEs, GROUP BY, CASE, window
functions, standard joins) with the few engine-specific spellings asked of a dialect ``d``
(xhsgrow.tracking.dialect: ``local_day``, ``first_of``, ``money_sum``, ``hash64``...). An
engine adapter (xhsgrow.engines) runs them after ``d.translate``. A statement that builds a
table is the SELECT only; the aggregation names the table (``engine.create_table``).

Performance rules (docs/metrics.md): events are aggregated before any join; the big reads are
a fixed handful of aggregations over ``ev``, each serving every campaign at once; every later
statement reads the small aggregated tables only. Exact duplicates are found once
(``duplicates``) and only matter to counts and sums: a MIN or a set of distinct users is the
same with or without them, so those aggregations read the raw rows. Nothing per event is
kept for the ~half of all rows that are interactions: they go straight to per-minute counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from xhsgrow.data.contract import COLUMNS, EVENTS
from xhsgrow.tracking.dialect import (
    EPOCH_DAY,
    MICROS_PER_MINUTE,
    Dialect,
    lit,
)
from xhsgrow.tracking.dialect import fixed_offset_us as fixed_offset_us

#: Events counted per occurrence (so an exact duplicate must not count twice).
COUNTED_EVENTS: tuple[str, ...] = ("invite", "reward", "interaction", "merchant_onboarded")
#: The counted events kept one row per distinct event (``cnt``): all but interactions.
KEPT_EVENTS: tuple[str, ...] = ("invite", "reward", "merchant_onboarded")
ACTIVITY_EVENTS: tuple[str, ...] = ("active", "activate")
#: The ``camp`` table: one row per tracked campaign (name, DuckDB type).
CAMP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("campaign", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("tz", "VARCHAR"),
    ("tzi", "INTEGER"),
    ("w_start", "DATE"),
    ("w_end", "DATE"),
    ("as_of", "DATE"),
    ("last_day", "DATE"),
    ("act_days", "INTEGER"),
    ("off_us", "BIGINT"),
    ("max_per_device", "INTEGER"),
    ("max_per_ip", "INTEGER"),
    ("ip_prefix", "INTEGER"),
    ("burst_max", "INTEGER"),
    ("burst_minutes", "INTEGER"),
)


def in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")" if values else "(NULL)"


#: The columns other than ts and user_id: duplicates agree on all of them.
OTHER_COLUMNS = tuple(c for c in COLUMNS if c not in ("event_time", "user_id"))


def row_key(d: Dialect) -> str:
    """The key that identifies a row for de-duplication: the instant, the user and a 64-bit
    hash of every other column. Two different rows would have to share user and microsecond
    and collide in 64 bits to be taken for one."""
    return f"ts, user_id, {d.hash64(*OTHER_COLUMNS)}"


# --- the plan: what one run needs to know ------------------------------------------------


@dataclass(frozen=True)
class Plan:
    campaigns: tuple[str, ...]  # tracked ids
    tz_of: dict[str, str]  # campaign -> timezone
    timezones: tuple[str, ...]  # distinct timezones, index = tzi
    cutoff: int  # end of the latest as-of day, microseconds since 1970 UTC (exclusive)
    #: campaign -> the window as instants: [start of its first day, end of its last day),
    #: microseconds since 1970 UTC (so that "outside the window" is two integer comparisons)
    window_us: dict[str, tuple[int, int]]
    #: campaign -> the end of its as-of day in its timezone (microseconds, exclusive); the
    #: latest of them is ``cutoff``
    cutoff_of: dict[str, int] = field(default_factory=dict)

    @property
    def cut(self) -> str:
        return str(int(self.cutoff))

    def row_cut(self) -> str:
        """The end of the as-of day of the row's campaign: a row of a tracked campaign after
        it is after as-of even when another campaign's day (in a later timezone) is not
        over; other rows (activity, untracked campaigns) end at the latest, ``cutoff``."""
        earlier = {c: t for c, t in self.cutoff_of.items() if t != self.cutoff}
        if not earlier:
            return self.cut
        whens = " ".join(f"WHEN {lit(c)} THEN {int(t)}" for c, t in earlier.items())
        return f"CASE campaign {whens} ELSE {self.cut} END"

    def campaign_day(self, d: Dialect, ts: str = "ts") -> str:
        """The day of ``ts`` in the timezone of the row's campaign."""
        if len(self.timezones) == 1:
            return d.local_day(ts, self.timezones[0])
        whens = " ".join(
            f"WHEN {lit(c)} THEN {d.local_day(ts, tz)}" for c, tz in self.tz_of.items()
        )
        return f"CASE campaign {whens} END"

    def outside_window_ts(self, d: Dialect, ts: str = "ts") -> str:
        """Whether the instant ``ts`` is outside the window of the row's campaign."""
        whens = " ".join(
            f"WHEN {lit(c)} THEN ({ts} < {a} OR {ts} >= {b})"
            for c, (a, b) in self.window_us.items()
        )
        return f"CASE campaign {whens} ELSE FALSE END"

    def instants(self) -> list[int]:
        """Every instant a row's time is compared with (``row_cut``, ``outside_window_ts``),
        in order: the ends of the as-of days and the windows' bounds."""
        bounds = {self.cutoff, *self.cutoff_of.values()}
        bounds.update(t for window in self.window_us.values() for t in window)
        return sorted(bounds)


VALID = "reason IS NULL"
#: Rows of an event the contract names (the others are counted as unknown_events).
KNOWN = "event IN (" + ", ".join(lit(e) for e in EVENTS) + ")"


# --- the reads of the events (each serves every campaign) --------------------------------


def first_signups(d: Dialect, plan: Plan) -> str:
    """Per user, the first signup over all data up to the cutoff, with its attributes.

    The earliest instant per user is a cheap integer MIN; the (rare) users with more than
    one signup then pick, among their rows at that instant, the smallest by campaign id and
    the other attributes (``first_of``): comparing whole rows for every user would cost an
    order of magnitude more. Duplicates do not matter: a minimum is the same without them.
    Referrer ids are compared as text, whether the data holds them as text or as integers
    (where 10 would come after 9), so that the same rows give the same pick in any format."""
    cols = [
        "ts",
        "campaign",
        "referrer_id",
        "channel",
        "region",
        "age_band",
        "device_id",
        "ip",
    ]
    signups = f"{VALID} AND event = 'signup' AND ts < {plan.cut}"
    signups_s = f"s.{VALID} AND s.event = 'signup' AND s.ts < {plan.cut}"
    flat = ", ".join(f"r.{c}" for c in cols)
    picked = ", ".join(f"t.f.{c} AS {c}" for c in cols)
    order = [(c, f"r.{c}") for c in cols]
    order.insert(cols.index("referrer_id"), ("referrer_text", "CAST(r.referrer_id AS VARCHAR)"))
    first = d.first_of(order)
    return f"""
WITH firsts AS (
    SELECT user_id, MIN(ts) AS ts, COUNT(*) AS n
    FROM ev
    WHERE {signups}
    GROUP BY user_id
),
at_first AS (
    SELECT s.user_id, s.{", s.".join(cols)}, f.n
    FROM ev AS s JOIN firsts AS f ON f.user_id = s.user_id AND f.ts = s.ts
    WHERE {signups_s}
)
SELECT r.user_id, {flat} FROM at_first AS r WHERE r.n = 1
UNION ALL
SELECT t.user_id, {picked} FROM (
    SELECT r.user_id, {first} AS f FROM at_first AS r WHERE r.n > 1 GROUP BY r.user_id
) AS t
"""


def acquired(d: Dialect) -> str:
    """Users whose first signup is attributed to a tracked campaign, inside its window and
    on or before its as-of day."""
    day = d.local_day_by_column("s.ts", "c.tz", "c.off_us")
    dayn = d.day_number_by_column("s.ts", "c.tz", "c.off_us")
    as_of_n = d.days_between(EPOCH_DAY, "c.as_of")
    return f"""
SELECT c.campaign, s.user_id, s.ts, {day} AS day, {dayn} AS dayn, c.tzi, c.tz, c.off_us,
    c.act_days, c.as_of, {as_of_n} AS as_of_n, s.referrer_id, s.channel, s.region,
    s.age_band, s.device_id, s.ip
FROM fs AS s
JOIN camp AS c ON s.campaign = c.campaign
WHERE {day} BETWEEN c.w_start AND c.last_day
"""


def acquired_users(d: Dialect, plan: Plan, retention_days: Sequence[int]) -> str:
    """One row per acquired user with activation and day-n retention flags.

    The activity events are joined straight to the (small) acquired-user table and
    aggregated on the user alone (a user is acquired by one campaign at most, their first
    signup's): no per-user-day table is built, and
    duplicates need no collapsing here (a flag or a latest day is the same with or without
    an extra copy; they are counted by ``duplicates``). Days are day numbers (integers), and
    the flags of a user are the bits of one integer, OR-ed over its events.

    ``last_active_day`` (the last active day up to as-of) is only read for referred users
    (``fraud``'s inactive referees), so the other users' rows that set no flag (an
    ``active`` on a day other than a retention day) are dropped between the join and the
    GROUP BY: about half of them (4.86M of the 10M demo events' activity rows go in, 2.27M
    stay), 0.2 s of 2.7 s at 50M events.

    The join must hash the acquired users (one row each), never the activity events (several
    per user): DuckDB hashes the side it estimates smaller, and 2.0.1 estimated the filtered
    scan of the events below the whole ``acq`` table (10M events: 700 MB at the peak instead
    of 500 MB). ``acq`` is therefore read through the filter ``dayn <= as_of_n``: always true
    (a user acquired after as-of is not in ``acq``), but a filter, which every engine's
    estimate shrinks. tests/test_track_plans.py reads DuckDB's plan."""
    if len(plan.timezones) == 1:
        dn = d.day_number("x.ts", plan.timezones[0])
    else:
        dn = d.day_number_by_column("x.ts", "a.tz", "a.off_us")
    dd = "(x.dn - x.dayn)"
    activated = f"CASE WHEN x.activate = 1 AND {dd} BETWEEN 0 AND x.act_days - 1 THEN 1 ELSE 0 END"
    bits = " ".join(f"WHEN {n} THEN {1 << (i + 1)}" for i, n in enumerate(retention_days))
    flags = ", ".join(
        f"CASE WHEN {d.bit_and('f.bits', 1 << (i + 1))} <> 0 THEN 1 ELSE 0 END AS r{n}"
        for i, n in enumerate(retention_days)
    )
    return f"""
WITH hits AS (
    SELECT a.user_id, a.dayn, a.act_days, x.activate, {dn} AS dn, a.referrer_id
    FROM (SELECT * FROM acq WHERE dayn <= as_of_n) AS a
    JOIN (
        SELECT user_id, ts, CASE WHEN event = 'activate' THEN 1 ELSE 0 END AS activate
        FROM ev
        WHERE {VALID} AND event IN {in_list(ACTIVITY_EVENTS)} AND ts < {plan.cut}
    ) AS x ON x.user_id = a.user_id
    WHERE {dn} <= a.as_of_n
),
kept AS (
    SELECT * FROM hits AS x
    WHERE x.activate = 1 OR x.referrer_id IS NOT NULL
        OR {dd} IN ({", ".join(str(n) for n in retention_days)})
),
flags AS (
    SELECT x.user_id,
        {d.bit_or(f"{activated} + CASE {dd} {bits} ELSE 0 END")} AS bits,
        MAX(x.dn) AS last_active_dn
    FROM kept AS x
    GROUP BY x.user_id
)
SELECT a.campaign, a.user_id, a.ts, a.day, a.as_of, a.referrer_id, a.channel, a.region,
    a.age_band, a.device_id, a.ip,
    CASE WHEN {d.bit_and("f.bits", 1)} <> 0 THEN 1 ELSE 0 END AS activated, {flags},
    CASE WHEN a.referrer_id IS NOT NULL THEN {d.day_of_number("f.last_active_dn")} END
        AS last_active_day
FROM acq AS a
LEFT JOIN flags AS f ON f.user_id = a.user_id
"""


#: Once ``au`` is built, the per-user tables it came from are dropped: their memory then
#: serves the later aggregations (peak memory, not time).
DROP_USER_TABLES = ("fs", "acq")


def counted(d: Dialect, plan: Plan) -> str:
    """Invites, rewards and onboardings of tracked campaigns, one row per distinct event
    (exact duplicates collapsed, their extra copies in ``copies``). Region, channel and age
    band are kept for rewards and onboardings only (cost and merchant segments); minute and
    day are derived from the time. Interactions, by far the most numerous counted event, are
    never kept per event: see ``interactions_per_minute``."""
    attrs = [
        f"CASE WHEN event IN ('reward', 'merchant_onboarded') THEN {a} END"
        for a in ("region", "channel", "age_band")
    ]
    return f"""
SELECT event, campaign, user_id, minute, region, channel, age_band, amount,
    {plan.campaign_day(d, f"minute * {MICROS_PER_MINUTE}")} AS day, 1 AS n, copies
FROM (
    SELECT event, campaign, user_id, {d.minute_of("ts")} AS minute, {attrs[0]} AS region,
        {attrs[1]} AS channel, {attrs[2]} AS age_band, amount, COUNT(*) AS copies
    FROM ev
    WHERE {VALID} AND event IN {in_list(KEPT_EVENTS)} AND ts < {plan.cut}
        AND campaign IN {in_list(plan.campaigns)}
    GROUP BY {row_key(d)}, event, campaign, {", ".join(attrs)}, amount
) AS distinct_rows
"""


def pair_key(d: Dialect, ts: str = "ts", user: str = "user_id") -> str:
    """A 32-bit hash of (instant, user): equal for copies of a row, and only two integer
    columns to read. Its repeated values (``Engine.repeated_keys``, the ``dupk`` table) are
    the duplicated rows' keys plus a few hash collisions (about n²/2³³: ~12,000 pairs at
    10M rows). ``ts`` and ``user`` are the SQL of the two columns (``Engine.keyed_rows``
    applies the key to a source's columns before they are typed)."""
    return d.hash32(ts, user)


def duplicates(d: Dialect, plan: Plan) -> str:
    """The extra copies of exact duplicates among the well-formed rows up to the cutoff,
    one row per duplicated event (a small table: only rows that occur more than once).

    Copies share their instant and user, so only the rows whose ``pair_key`` is repeated
    (``dupk``) are candidates (``dupc``: ``Engine.keyed_rows``), and the exact comparison
    (``row_key``) runs on those alone. Copies of unknown events are kept too
    (``DUPLICATES`` leaves them out): tested here, the seven-name IN list would run on every
    row, before the candidates are picked (a hash join over 10M rows: 0.12 s of CPU over a
    staged CSV)."""
    return f"""
SELECT event, campaign, ts, {d.minute_of("ts")} AS minute, COUNT(*) - 1 AS extra
FROM dupc
WHERE {VALID} AND ts < {plan.row_cut()}
GROUP BY {row_key(d)}, event, campaign
HAVING COUNT(*) > 1
"""


def duplicate_overlaps(d: Dialect, plan: Plan) -> str:
    """The extra copies (``dupx``) among the rows ``quality`` counts as rows read but unused
    (``UNUSED_COUNTS``): duplicates are collapsed before anything is counted, so a row sent
    three times outside its window is 1 outside and 2 duplicates, not 3 and 2."""
    tests = unused(d, plan)
    sums = ",\n    ".join(
        f"SUM(CASE WHEN {tests[name]} THEN extra ELSE 0 END) AS {name}" for name in UNUSED_COUNTS
    )
    return f"""
SELECT
    {sums}
FROM dupx
WHERE {KNOWN}
"""


def interactions_per_minute(d: Dialect, plan: Plan) -> str:
    """Interactions of tracked campaigns per (campaign, minute), exact duplicates not
    counted (their extra copies, from ``dupx``, are subtracted)."""
    tracked = f"campaign IN {in_list(plan.campaigns)}"
    return f"""
SELECT campaign, minute, {plan.campaign_day(d, f"minute * {MICROS_PER_MINUTE}")} AS day,
    SUM(n) AS n
FROM (
    SELECT campaign, {d.minute_of("ts")} AS minute, COUNT(*) AS n
    FROM ev
    WHERE {VALID} AND event = 'interaction' AND ts < {plan.cut} AND {tracked}
    GROUP BY campaign, {d.minute_of("ts")}
    UNION ALL
    SELECT campaign, minute, -SUM(extra)
    FROM dupx
    WHERE event = 'interaction' AND {tracked}
    GROUP BY campaign, minute
) AS parts
GROUP BY campaign, minute
"""


def interactions(d: Dialect, plan: Plan, campaigns: Sequence[str]) -> str:
    """The raw interaction rows of ``campaigns`` (campaign, user, minute, day): a subquery
    for the distinct-user counts, where duplicates do not matter."""
    return f"""(
    SELECT campaign, user_id, {d.minute_of("ts")} AS minute,
        {plan.campaign_day(d, f"{d.minute_of('ts')} * {MICROS_PER_MINUTE}")} AS day
    FROM ev
    WHERE {VALID} AND event = 'interaction' AND ts < {plan.cut}
        AND campaign IN {in_list(campaigns)}
)"""


#: data_quality's counts of rows read, well-formed and up to as-of, that no figure uses
#: (the last in its order of precedence; each row is in one of them at most).
UNUSED_COUNTS: tuple[str, ...] = ("other_campaigns", "outside_windows", "unattributed")
#: The columns of ``quality``, in order.
QUALITY_COUNTS: tuple[str, ...] = (
    "rows_read",
    "rejected",
    "unknown_events",
    "after_as_of",
    *UNUSED_COUNTS,
)


def unused(d: Dialect, plan: Plan) -> dict[str, str]:
    """The test of each of ``UNUSED_COUNTS``, on a well-formed row up to as-of; read by
    ``quality`` on every row and by ``duplicate_overlaps`` on the extra copies:
    ``other_campaigns``, attributed to a campaign not tracked; ``outside_windows``,
    attributed to a tracked campaign, not a reward, outside its window; ``unattributed``, an
    event counted per campaign (``COUNTED_EVENTS``) that names none (a signup without one is
    still a user's first signup; activity needs none)."""
    attributed = f"COALESCE(campaign, '') <> '' AND event NOT IN {in_list(ACTIVITY_EVENTS)}"
    tracked = f"campaign IN {in_list(plan.campaigns)}"
    outside = f"{attributed} AND {tracked} AND event <> 'reward' AND {plan.outside_window_ts(d)}"
    return {
        "other_campaigns": f"{attributed} AND NOT {tracked}",
        "outside_windows": outside,
        "unattributed": f"COALESCE(campaign, '') = '' AND event IN {in_list(COUNTED_EVENTS)}",
    }


def quality(d: Dialect, plan: Plan) -> str:
    """Where every row read went (docs/metrics.md, data_quality): ``QUALITY_COUNTS``.

    The rows are first counted per (rejected or not, event, campaign, time bucket), the
    bucket being where the row's time lies among the instants the tests compare it with
    (``Plan.instants``): every row of a group answers each test alike, so the tests then run
    once per group (a few hundred), not once per row (0.17 s against 0.22 s over the 10M
    demo events, 0.77 s against 1.01 s over 50M)."""
    cut = plan.row_cut()
    instants = plan.instants()
    # (a NULL time is a bucket of its own: no WHEN holds for it)
    bucket = "CASE " + " ".join(f"WHEN ts < {t} THEN {i}" for i, t in enumerate(instants))
    bucket += f" WHEN ts >= {instants[-1]} THEN {len(instants)} END"
    bad = "CASE WHEN reason IS NULL THEN 0 ELSE 1 END"
    ok = f"bad = 0 AND {KNOWN} AND ts < {cut}"
    tests = unused(d, plan)
    sums = "".join(
        f",\n    SUM(CASE WHEN {ok} AND {tests[name]} THEN n ELSE 0 END) AS {name}"
        for name in UNUSED_COUNTS
    )
    return f"""
WITH grouped AS (
    SELECT {bad} AS bad, event, campaign, MIN(ts) AS ts, COUNT(*) AS n
    FROM ev
    GROUP BY {bad}, event, campaign, {bucket}
)
SELECT
    SUM(n) AS rows_read,
    SUM(CASE WHEN bad = 1 THEN n ELSE 0 END) AS rejected,
    SUM(CASE WHEN bad = 0 AND NOT {KNOWN} THEN n ELSE 0 END) AS unknown_events,
    SUM(CASE WHEN bad = 0 AND {KNOWN} AND ts >= {cut} THEN n ELSE 0 END) AS after_as_of{sums}
FROM grouped
"""


def reasons() -> str:
    return "SELECT reason, COUNT(*) FROM ev WHERE reason IS NOT NULL GROUP BY reason"


# --- figures from the aggregated tables (small) ------------------------------------------

DUPLICATES = f"SELECT COALESCE(SUM(extra), 0) FROM dupx WHERE {KNOWN}"

DAILY_SIGNUPS = """
SELECT campaign, day, COUNT(*) AS acquired, SUM(activated) AS activated,
    SUM(CASE WHEN referrer_id IS NOT NULL THEN 1 ELSE 0 END) AS referred
FROM au GROUP BY campaign, day
"""


def retention(d: Dialect, retention_days: Sequence[int]) -> str:
    parts = []
    for n in retention_days:
        old = f"{d.days_between('day', 'as_of')} >= {n}"
        parts.append(f"SUM(CASE WHEN {old} THEN 1 ELSE 0 END) AS e{n}")
        parts.append(f"SUM(CASE WHEN {old} THEN r{n} ELSE 0 END) AS k{n}")
    return f"SELECT campaign, {', '.join(parts)} FROM au GROUP BY campaign"


REFERRED_BY_ACQUIRED = """
SELECT a.campaign, COUNT(*)
FROM au AS a JOIN au AS r ON r.campaign = a.campaign AND r.user_id = a.referrer_id
GROUP BY a.campaign
"""


def daily_counted(d: Dialect) -> str:
    """Counted events inside the window (rewards: any day up to as-of)."""
    return f"""
SELECT k.campaign, k.day, k.event, SUM(k.n) AS n, {d.money_sum("k.amount")} AS amount
FROM cnt AS k JOIN camp AS c ON c.campaign = k.campaign
WHERE k.event <> 'merchant_onboarded' AND k.day <= c.as_of
    AND (k.event = 'reward' OR k.day BETWEEN c.w_start AND c.last_day)
GROUP BY k.campaign, k.day, k.event
"""


def costs(d: Dialect) -> str:
    """The cost per campaign: every reward up to as-of, summed at once (not day by day, so
    that the total carries one rounding, not one per day)."""
    return f"""
SELECT k.campaign, {d.money_sum("k.amount")}
FROM cnt AS k JOIN camp AS c ON c.campaign = k.campaign
WHERE k.event = 'reward' AND k.day <= c.as_of
GROUP BY k.campaign
"""


# Interactions per day inside the window, up to as-of.
DAILY_INTERACTIONS = """
SELECT i.campaign, i.day, 'interaction', SUM(i.n), NULL
FROM imin AS i JOIN camp AS c ON c.campaign = i.campaign
WHERE i.day <= c.as_of AND i.day BETWEEN c.w_start AND c.last_day
GROUP BY i.campaign, i.day
"""

INVITERS = """
SELECT k.campaign, COUNT(DISTINCT k.user_id)
FROM cnt AS k JOIN camp AS c ON c.campaign = k.campaign
WHERE k.event = 'invite' AND k.day BETWEEN c.w_start AND c.last_day
GROUP BY k.campaign
"""


def merchants(d: Dialect) -> str:
    """Each merchant once per campaign: its first onboarding inside the window, with that
    row's region, channel and age band."""
    first = d.first_of(
        [
            ("minute", "k.minute"),
            ("day", "k.day"),
            ("region", "k.region"),
            ("channel", "k.channel"),
            ("age_band", "k.age_band"),
        ]
    )
    return f"""
SELECT campaign, m.day AS day, m.region AS region, m.channel AS channel,
    m.age_band AS age_band, COUNT(*) AS merchants
FROM (
    SELECT k.campaign, k.user_id,
        {first} AS m
    FROM cnt AS k JOIN camp AS c ON c.campaign = k.campaign
    WHERE k.event = 'merchant_onboarded' AND k.day BETWEEN c.w_start AND c.last_day
    GROUP BY k.campaign, k.user_id
) AS firsts
GROUP BY campaign, m.day, m.region, m.channel, m.age_band
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


def segments_cost(d: Dialect) -> str:
    return f"""
SELECT k.campaign, 'region', k.region, {d.money_sum("k.amount")} {_REWARDS_TO_AS_OF}
    AND k.region IS NOT NULL
GROUP BY k.campaign, k.region
UNION ALL
SELECT k.campaign, 'channel', k.channel, {d.money_sum("k.amount")} {_REWARDS_TO_AS_OF}
    AND k.channel IS NOT NULL
GROUP BY k.campaign, k.channel
UNION ALL
SELECT k.campaign, 'age_band', k.age_band, {d.money_sum("k.amount")} {_REWARDS_TO_AS_OF}
    AND k.age_band IS NOT NULL
GROUP BY k.campaign, k.age_band
"""


def rewards_by_user(d: Dialect) -> str:
    """Rewards per recipient (referrers and referees), up to as-of; with the first reward's
    day (the ``rw`` table)."""
    return f"""
SELECT k.campaign, k.user_id, {d.money_sum("k.amount")} AS amount, MIN(k.day) AS first_day
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


_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#: A dotted-decimal IPv4 address, anchored with \A and \z (read alike by RE2 and Java).
IPV4_TEXT = "\\A" + _OCTET + "(?:\\." + _OCTET + "){3}\\z"


def fraud(d: Dialect, burst_minutes: Sequence[int], inactive_min: int) -> str:
    """Referrers whose referees share devices or IP clusters beyond the spec's limits, sign up
    in bursts, or were rewarded and never active after; with the reward money at risk."""
    ip_int = (
        "(TRY_CAST(SPLIT_PART(r.ip, '.', 1) AS BIGINT) * 16777216"
        " + TRY_CAST(SPLIT_PART(r.ip, '.', 2) AS BIGINT) * 65536"
        " + TRY_CAST(SPLIT_PART(r.ip, '.', 3) AS BIGINT) * 256"
        " + TRY_CAST(SPLIT_PART(r.ip, '.', 4) AS BIGINT))"
    )
    # Only a dotted-decimal IPv4 address (four numbers 0-255, no leading zeros, as Python's
    # ipaddress reads them) falls in a cluster; anything else (10.9.9.300, 10.8.8.1.5, an
    # IPv6 address) is its own cluster: the address itself. A cluster of addresses is named
    # '/' and its number, which no address is (the text '657673.0' is not 10.9.9.0/24).
    ipv4 = f"regexp_matches(r.ip, {lit(IPV4_TEXT)})"
    block = f"CAST(FLOOR({ip_int} / POWER(2, 32 - c.ip_prefix)) AS BIGINT)"
    cluster = f"CASE WHEN {ipv4} THEN '/' || CAST({block} AS VARCHAR) ELSE r.ip END"
    # A referrer naming itself is one of its referees: its rewards are the referrer's, added
    # once, below.
    referee_money = "CASE WHEN f.user_id = f.referrer_id THEN 0 ELSE COALESCE(w.amount, 0) END"
    # ts is in microseconds: the window is m minutes to the microsecond (signups exactly m
    # minutes apart are not within it)
    burst = " ".join(
        f"WHEN {m} THEN COUNT(*) OVER (PARTITION BY r.campaign, r.referrer_id ORDER BY r.ts "
        f"RANGE BETWEEN CURRENT ROW AND {m * 60_000_000 - 1} FOLLOWING)"
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
        {d.money_sum(referee_money)} AS referee_rewards
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

#: The gala periods: phases (days d0..d1), rounds (instants [t0, t1)) and the night phase
#: again as kind 'night' (for its cohort's retention).
PERIODS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("campaign", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("idx", "INTEGER"),
    ("d0", "DATE"),
    ("d1", "DATE"),
    ("t0", "BIGINT"),
    ("t1", "BIGINT"),
)
# Periods spelled out as days (phases, ``pday``) and minutes (rounds, ``pmin``: every whole
# minute that starts inside the round), up to the campaign's as-of day, so that the big
# tables and the raw rows are joined on equality only. Both are small and built from
# Python rows.
PDAY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("campaign", "VARCHAR"),
    ("idx", "INTEGER"),
    ("day", "DATE"),
    ("pid", "INTEGER"),
)
PMIN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("campaign", "VARCHAR"),
    ("idx", "INTEGER"),
    ("minute", "BIGINT"),
    ("pid", "INTEGER"),
)


def gala_periods(d: Dialect, plan: Plan, campaigns: Sequence[str]) -> str:
    """Interactions (from ``imin``) and participants (distinct users of the raw rows) per
    phase (by day) and round (by minute), up to as-of: ``pday`` and ``pmin`` hold no day
    after as-of, so that the raw rows are joined to them alone, on equality (joined to
    ``camp`` for its as-of, 2.9M rows went through a hash join on the campaign's text
    first: 0.4 s instead of 0.2 s over the 10M demo events staged from CSV). Users are told
    apart per period by ``pid``, an integer unique per phase (per round): integer group keys
    are cheaper than (campaign, index)."""
    raw = interactions(d, plan, campaigns)
    return f"""
WITH counts AS (
    SELECT 'phase' AS kind, p.campaign, p.idx, p.pid, SUM(i.n) AS n
    FROM pday AS p
    JOIN imin AS i ON i.campaign = p.campaign AND i.day = p.day
    GROUP BY p.campaign, p.idx, p.pid
    UNION ALL
    SELECT 'round', p.campaign, p.idx, p.pid, SUM(i.n)
    FROM pmin AS p
    JOIN imin AS i ON i.campaign = p.campaign AND i.minute = p.minute
    GROUP BY p.campaign, p.idx, p.pid
),
users AS (
    SELECT kind, pid, COUNT(*) AS users FROM (
        SELECT 'phase' AS kind, p.pid, x.user_id
        FROM pday AS p
        JOIN {raw} AS x ON x.campaign = p.campaign AND x.day = p.day
        GROUP BY p.pid, x.user_id
        UNION ALL
        SELECT 'round', p.pid, x.user_id
        FROM pmin AS p
        JOIN {raw} AS x ON x.campaign = p.campaign AND x.minute = p.minute
        GROUP BY p.pid, x.user_id
    ) AS distinct_users
    GROUP BY kind, pid
)
SELECT k.kind, k.campaign, k.idx, k.n, COALESCE(u.users, 0)
FROM counts AS k
LEFT JOIN users AS u ON u.kind = k.kind AND u.pid = k.pid
"""


GALA_NEW_USERS = """
SELECT p.kind, p.campaign, p.idx, COUNT(a.user_id)
FROM periods AS p
LEFT JOIN au AS a ON a.campaign = p.campaign
    AND ((p.kind = 'phase' AND a.day BETWEEN p.d0 AND p.d1)
      OR (p.kind = 'round' AND a.ts >= p.t0 AND a.ts < p.t1))
GROUP BY p.kind, p.campaign, p.idx
"""


def gala_minutes(d: Dialect, plan: Plan, campaigns: Sequence[str]) -> str:
    """Per gala campaign, its busiest minute (ties: the earliest) with its interactions and
    the distinct users interacting in it, within the window up to as-of."""
    return f"""
WITH per_minute AS (
    SELECT i.campaign, i.minute, i.n
    FROM imin AS i JOIN camp AS c ON c.campaign = i.campaign
    WHERE i.day BETWEEN c.w_start AND c.last_day AND i.campaign IN {in_list(campaigns)}
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
JOIN {interactions(d, plan, campaigns)} AS k ON k.campaign = p.campaign AND k.minute = p.minute
GROUP BY p.campaign, p.minute, p.n
"""


def gala_retention(d: Dialect, retention_days: Sequence[int]) -> str:
    """Day-n retention of the users acquired on the gala night phase (``periods`` idx of the
    night is passed as kind 'night')."""
    parts = []
    for n in retention_days:
        old = f"{d.days_between('a.day', 'a.as_of')} >= {n}"
        parts.append(f"SUM(CASE WHEN {old} THEN 1 ELSE 0 END) AS e{n}")
        parts.append(f"SUM(CASE WHEN {old} THEN a.r{n} ELSE 0 END) AS k{n}")
    return f"""
SELECT p.campaign, {", ".join(parts)}
FROM periods AS p JOIN au AS a ON a.campaign = p.campaign AND a.day BETWEEN p.d0 AND p.d1
WHERE p.kind = 'night'
GROUP BY p.campaign
"""
