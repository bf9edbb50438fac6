"""Plain result objects of `xhsgrow plan`: what the models computed, and what they found.

Data flows one way: spec -> model -> these objects -> table | JSON | brief template. Nothing
here prints or imports a terminal library.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from xhsgrow.errors import UsageError

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


def fail_severities(level: str) -> tuple[str, ...]:
    """The severities that fail `plan --fail-on LEVEL`, worst first (warning includes error).

    ``info`` is a note, never a reason to stop a launch, so it is not a level.
    """
    if level not in ("error", "warning"):
        raise UsageError(f"--fail-on {level}: expected error or warning")
    return SEVERITIES[: SEVERITIES.index(level) + 1]


@dataclass(frozen=True)
class Finding:
    """One thing the lead must know before approving: a broken rule, a risk or a gap.

    ``code`` is stable (tests and templates can branch on it); the messages are for people.
    """

    severity: Severity
    code: str
    message: str
    message_zh: str
    where: str = ""  # the spec key it is about, e.g. "gala.rounds[2].top_prize"


# --- referral ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralDay:
    day: dt.date
    new_users: float  # acquired this day (all generations)
    cumulative: float  # acquired so far
    rewards: float  # rewards committed this day (referrer + referee + tier bonuses)
    rewards_cumulative: float


@dataclass(frozen=True)
class Generation:
    number: int  # 0 = the seed inviters
    first_day: dt.date | None
    users: float


@dataclass(frozen=True)
class ReferralPlan:
    seed_inviters: int
    k_factor: float  # at launch, before caps: invites × conversion × eligible share
    k_capped: float  # at launch, after the per-referrer caps
    referral_cap: float | None  # rewarded invites per referrer the caps allow (None: no cap)
    capped_share: float  # share of referrals the caps cut at launch
    per_pair: float  # referrer + referee reward
    acquired: float  # referred users acquired within the window
    total_users: float  # seed inviters + acquired
    pairs_paid: int
    rewards_paid: float
    referrer_paid: float
    referee_paid: float
    tier_bonus_paid: float
    pool: float
    pool_runs_out: dt.date | None
    pool_day_index: int | None  # 0-based day of the window
    cost_per_acquired: float | None
    target_acquired: int | None
    target_reached: float | None  # acquired / target
    binds_first: Literal["pool", "cap", "window", "none"]
    days: list[ReferralDay] = field(default_factory=list)
    generations: list[Generation] = field(default_factory=list)


# --- gala --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundCheck:
    name: str
    at: dt.datetime
    duration_minutes: int
    participants: int
    interactions_per_participant: float
    interactions: float
    mean_rps: float
    peak_rps: float
    capacity_rps: int
    headroom_rps: float  # capacity - peak; negative is a shortfall
    headroom_pct: float  # headroom / capacity
    prize_pool: float
    budget_share: float  # prize_pool / budget
    top_prize: float | None
    mechanic: str
    shares_to_wechat: bool


@dataclass(frozen=True)
class PhasePlan:
    name: str
    start: dt.date
    end: dt.date
    share: float
    expected_new_users: float
    source: Literal["spec", "target × share", "none"]


@dataclass(frozen=True)
class GalaPlan:
    eve: dt.date
    capacity_rps: int
    peak_to_mean: float
    peak_rps: float  # the busiest second of the night (overlapping rounds add up)
    peak_round: str | None
    headroom_rps: float
    headroom_pct: float
    rounds: list[RoundCheck]
    prize_pools: float
    budget: float
    budget_share: float
    phases: list[PhasePlan]
    expected_new_users: float
    retention_decay: float
    retention_floor: float
    retention: dict[int, float]  # day after the night -> share of gala new users still active
    days: list[tuple[dt.date, float]] = field(default_factory=list)  # new users per day


# --- partnership -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    kind: Literal["agreement", "commitment", "milestone"]
    label: str
    start: dt.date
    end: dt.date
    party: str = ""  # platform | government (commitments), owner (milestones)
    done: bool = False
    late: bool = False  # due after the agreement ends


@dataclass(frozen=True)
class RegionSum:
    metric: str
    regional: float  # sum of region targets
    total: float | None  # the campaign's target for that metric
    regions: list[tuple[str, str, float]]  # (code, name, target)


@dataclass(frozen=True)
class PartnershipPlan:
    agreement: tuple[dt.date, dt.date]
    timeline: list[TimelineItem]
    region_sums: list[RegionSum]
    uncovered: list[tuple[str, str]]  # covered divisions with no region target: (code, name)


# --- the whole plan ----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    campaign_id: str
    kind: str
    name: str
    window: tuple[dt.date, dt.date]
    currency: str
    budget: float
    findings: list[Finding]
    projection: list[tuple[dt.date, float]]  # cumulative expected share 0..1 per day
    referral: ReferralPlan | None = None
    gala: GalaPlan | None = None
    partnership: PartnershipPlan | None = None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings)."""
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class SweepRow:
    value: float
    outcome: dict[str, Any]


@dataclass(frozen=True)
class Sweep:
    campaign_id: str
    kind: str
    param: str
    columns: list[tuple[str, str]]  # (key, header)
    rows: list[SweepRow]

    def to_json(self) -> dict[str, Any]:
        return _jsonable(
            {
                "campaign_id": self.campaign_id,
                "kind": self.kind,
                "param": self.param,
                "rows": [{"value": r.value, **r.outcome} for r in self.rows],
            }
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value
