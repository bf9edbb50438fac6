"""The plain result objects tracking produces and every renderer consumes.

Data flows one way: spec + events -> metrics -> these objects -> table | JSON | templates.
Renderers never query data; metric code never prints. ``to_json`` is the documented,
versioned JSON schema (docs/metrics.md); bump ``SCHEMA_VERSION`` on any breaking change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

SCHEMA_VERSION = 1

#: Status of a target or campaign, worst last. JSON uses these snake_case values; the CLI's
#: --fail-on takes the hyphenated spelling (at-risk, off-track).
TargetStatus = Literal["on_track", "at_risk", "off_track", "not_started", "ended", "no_data"]
STATUS_ORDER: tuple[str, ...] = (
    "on_track",
    "not_started",
    "ended",
    "no_data",
    "at_risk",
    "off_track",
)

#: How a target is compared: cumulative counts pace against the curve; rates are compared
#: directly (actual >= target); ceilings must stay at or below the target.
TargetKind = Literal["cumulative", "rate", "ceiling"]


@dataclass(frozen=True)
class TargetResult:
    metric: str
    kind: TargetKind
    target: float
    actual: float | None
    expected_to_date: float | None
    pace: float | None
    forecast: float | None
    status: TargetStatus


@dataclass(frozen=True)
class SegmentResult:
    dimension: str  # region (rolled up to province) | channel | age_band
    value: str
    label: str  # e.g. the province name for a region code
    metrics: dict[str, float | int | None]  # acquired, activated, cost, merchants_onboarded
    target: TargetResult | None = None  # the spec's (first) segment target on this row
    #: every spec segment target on this row, in spec order (one per metric: a row may carry
    #: an acquired and an activated target); ``target`` is the first, kept for old readers
    targets: tuple[TargetResult, ...] = ()

    def __post_init__(self) -> None:
        if self.target is not None and not self.targets:
            object.__setattr__(self, "targets", (self.target,))


@dataclass(frozen=True)
class DailyRow:
    """One campaign-day of daily aggregates (the shape the HTTP metrics source also serves)."""

    day: dt.date
    acquired: int = 0
    activated: int = 0  # by signup day
    cost: float = 0.0
    invites: int = 0
    referred_signups: int = 0
    merchants_onboarded: int = 0
    interactions: int = 0


@dataclass(frozen=True)
class RejectedRow:
    line: int | None  # 1-based line (CSV/JSONL) or row number (Parquet), None when unknown
    file: str | None
    reason: str


@dataclass(frozen=True)
class DataQuality:
    rows_read: int = 0
    rows_rejected: int = 0
    rejected_samples: tuple[RejectedRow, ...] = ()
    unknown_events: int = 0
    duplicates: int = 0
    outside_windows: int = 0
    after_as_of: int = 0
    #: rows attributed to a campaign that is not being tracked (not an error; just not counted)
    other_campaigns: int = 0
    #: invites, rewards, onboardings and interactions naming no campaign (no figure reads them)
    unattributed: int = 0
    #: rejected rows by reason code (docs/metrics.md lists the codes)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)


#: The counts of DataQuality (every field that is a number of rows), in order.
QUALITY_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(DataQuality) if f.type in ("int", int)
)


@dataclass(frozen=True)
class Referrer:
    referrer_id: str
    referred_signups: int
    activated: int
    rewards: float


@dataclass(frozen=True)
class FraudFlag:
    referrer_id: str
    reasons: tuple[str, ...]  # e.g. "device_shared", "ip_cluster", "burst", "inactive_referees"
    referees: int
    money_at_risk: float


@dataclass(frozen=True)
class ReferralView:
    inviters: int
    invites: int
    referred_signups: int
    invite_conversion: float | None
    k_factor: float | None
    top_referrers: tuple[Referrer, ...]
    fraud_flags: tuple[FraudFlag, ...]
    money_at_risk: float


@dataclass(frozen=True)
class RegionScore:
    code: str
    name: str
    acquired: int
    merchants_onboarded: int
    target_acquired: float | None = None
    target_merchants: float | None = None


@dataclass(frozen=True)
class MilestoneState:
    name: str
    due: dt.date
    owner: str
    state: Literal["done", "due", "overdue", "upcoming"]


@dataclass(frozen=True)
class PartnershipView:
    regions: tuple[RegionScore, ...]
    acquired_in_region: int
    merchants_onboarded: int
    milestones: tuple[MilestoneState, ...]


@dataclass(frozen=True)
class PhaseStats:
    name: str
    start: dt.date
    end: dt.date
    interactions: int
    participants: int
    new_users: int
    expected_share: float


@dataclass(frozen=True)
class RoundStats:
    name: str
    at: dt.datetime
    interactions: int
    participants: int
    new_users: int


@dataclass(frozen=True)
class GalaView:
    phases: tuple[PhaseStats, ...]
    rounds: tuple[RoundStats, ...]
    peak_minute: dt.datetime | None
    peak_minute_interactions: int
    retention_curve: tuple[tuple[int, float | None], ...]  # (day n after the gala, rate)


@dataclass(frozen=True)
class CampaignResult:
    id: str
    kind: str
    name: str
    status: TargetStatus  # the worst of its targets' statuses
    spec_status: str  # draft / approved / live / paused / ended, from the spec
    as_of: dt.date
    window_start: dt.date
    window_end: dt.date
    timezone: str
    elapsed_share: float  # share of the expected curve elapsed by the end of as_of
    budget: float
    currency: str
    metrics: dict[str, float | int | None]  # acquired, activated, retention_d1, ... (snake_case)
    targets: tuple[TargetResult, ...]
    segments: tuple[SegmentResult, ...] = ()
    daily: tuple[DailyRow, ...] = ()  # window start .. min(as_of, window end), every day present
    expected_curve: tuple[tuple[dt.date, float], ...] = ()  # cumulative share, whole window
    data_quality: DataQuality = field(default_factory=DataQuality)
    referral: ReferralView | None = None
    partnership: PartnershipView | None = None
    gala: GalaView | None = None


@dataclass(frozen=True)
class TrackingResult:
    as_of: dt.date
    generated_at: dt.datetime
    source: str  # what was read: a path, glob, or URL (with any secret masked)
    campaigns: tuple[CampaignResult, ...]
    data_quality: DataQuality

    def to_json(self) -> dict[str, Any]:
        """The versioned JSON document (`track --format json`, and the base of reports)."""
        doc = {"schema_version": SCHEMA_VERSION, **asdict(self)}
        return _jsonable(doc)  # type: ignore[no-any-return]


def worst(statuses: list[str]) -> TargetStatus:
    """The worst status of a list (an empty list is 'no_data')."""
    if not statuses:
        return "no_data"
    return max(statuses, key=STATUS_ORDER.index)  # type: ignore[return-value]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN never reaches JSON
        return None
    return value
