"""Typed, frozen models of a campaign spec: a common part and one section per kind.

The field names here are the TOML keys users write (see docs/specs.md). Structural checks
(types, ranges, unknown keys) live here; rules that relate several fields to each other live
in ``rules.py`` so that each can name the exact key it is about.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Kind = Literal["referral", "partnership", "gala"]
KINDS: tuple[str, ...] = ("referral", "partnership", "gala")
Status = Literal["draft", "approved", "live", "paused", "ended"]
STATUSES: tuple[str, ...] = ("draft", "approved", "live", "paused", "ended")
Curve = Literal["linear", "front-loaded", "back-loaded", "checkpoints", "phases", "plan"]
Dimension = Literal["region", "channel", "age_band"]
SegmentMetric = Literal["acquired", "activated", "merchants_onboarded", "cost"]

Rate = Annotated[float, Field(ge=0, le=1)]
Money = Annotated[float, Field(ge=0)]
Count = Annotated[int, Field(ge=0)]
Positive = Annotated[int, Field(gt=0)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
DivisionCode = Annotated[str, StringConstraints(pattern=r"^[1-8][0-9]{5}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]

AGE_BANDS: tuple[str, ...] = ("under-18", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
CHANNELS: tuple[str, ...] = (
    "wechat_share",
    "qr_poster",
    "sms",
    "in_app",
    "douyin_ad",
    "app_store",
    "offline",
    "livestream",
    "tv_gala",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --- common part -------------------------------------------------------------------------


class Window(_Model):
    """When the campaign runs; both days count."""

    start: dt.date = Field(description="First day of the campaign (included).")
    end: dt.date = Field(description="Last day of the campaign (included).")
    timezone: str = Field("Asia/Shanghai", description="IANA timezone the days are counted in.")
    activation_days: Positive = Field(
        7, description="Activation window N: an activate event on day 0..N-1 after signup counts."
    )


class Budget(_Model):
    amount: Money = Field(description="Total budget for the campaign.")
    currency: Currency = Field("CNY", description="ISO 4217 code.")


class Checkpoint(_Model):
    date: dt.date = Field(description="Day the checkpoint applies to (end of day).")
    share: Rate = Field(description="Share of each cumulative target expected by that day.")


class Pacing(_Model):
    """How cumulative targets are expected to accrue over the window."""

    curve: Curve = Field(
        "linear",
        description="linear | front-loaded | back-loaded | checkpoints | phases (gala) | plan.",
    )
    checkpoints: list[Checkpoint] = Field(
        default_factory=list, description="Dated shares, for curve = 'checkpoints'."
    )


class Thresholds(_Model):
    """pace >= on_track is on track; >= at_risk is at risk; below is off track."""

    on_track: Annotated[float, Field(gt=0)] = 0.95
    at_risk: Annotated[float, Field(gt=0)] = 0.8


class SegmentTarget(_Model):
    dimension: Dimension = Field(description="region | channel | age_band.")
    value: Text = Field(description="Division code, channel name or age band.")
    metric: SegmentMetric = "acquired"
    target: Annotated[float, Field(ge=0)]


class Targets(_Model):
    """Named metrics with a value. Counts are totals at the end of the window."""

    acquired: Count | None = Field(None, description="New users acquired by the campaign.")
    activated: Count | None = Field(None, description="Acquired users who activated in time.")
    retention_d1: Rate | None = None
    retention_d7: Rate | None = None
    retention_d30: Rate | None = None
    cost_per_activated: Money | None = Field(
        None, description="Ceiling on cost per activated user, in the budget currency."
    )
    budget_spend: Money | None = Field(
        None, description="Planned spend by the end of the window (defaults to the budget)."
    )
    segments: list[SegmentTarget] = Field(default_factory=list)


class _Campaign(_Model):
    id: Slug = Field(description="Campaign id; must equal the file name without .toml.")
    name: Text
    owner: Text = Field(description="Who answers for the campaign (name or team).")
    status: Status = "draft"
    tags: list[Text] = Field(default_factory=list)
    notes: str = ""
    window: Window
    budget: Budget
    pacing: Pacing = Pacing()
    thresholds: Thresholds | None = Field(
        None, description="Overrides the workspace's default thresholds."
    )


# --- referral ----------------------------------------------------------------------------


class Tier(_Model):
    invites: Positive = Field(description="Successful invites needed for the bonus.")
    bonus: Money = Field(description="Bonus paid to the referrer on reaching the tier.")


class Rewards(_Model):
    referrer: Money = Field(description="Paid to the inviter per qualifying referee.")
    referee: Money = Field(description="Paid to the new user on qualifying.")
    currency: Currency = "CNY"
    tiers: list[Tier] = Field(default_factory=list)


class Caps(_Model):
    per_referrer_daily: Positive | None = Field(None, description="Rewarded invites per day.")
    per_referrer_daily_amount: Money | None = None
    per_referrer: Positive | None = Field(None, description="Rewarded invites per campaign.")
    per_referrer_amount: Money | None = None
    pool: Money = Field(description="Total reward pool for the campaign.")


class Eligibility(_Model):
    new_device_only: bool = True
    regions: list[DivisionCode] = Field(default_factory=list, description="Empty: everywhere.")
    channels: list[Text] = Field(default_factory=list, description="Empty: every channel.")


class FraudRules(_Model):
    max_referees_per_device: Positive = 1
    max_referees_per_ip_cluster: Positive = 5
    ip_cluster_prefix: Annotated[int, Field(ge=8, le=32)] = Field(
        24, description="IPv4 prefix length that makes a cluster."
    )
    burst_max_referees: Positive = Field(10, description="Referees allowed in one burst window.")
    burst_window_minutes: Positive = 60


class ReferralSection(_Model):
    qualifying_action: Literal["signup", "activation", "active_days"] = "activation"
    active_days: Positive | None = Field(
        None, description="Days of activity needed, for qualifying_action = 'active_days'."
    )
    hold_days: Count = Field(7, description="Days a reward is held before it is paid.")
    channels: list[Text] = Field(default_factory=lambda: ["wechat_share", "in_app"])
    rewards: Rewards
    caps: Caps
    eligibility: Eligibility = Eligibility()
    fraud: FraudRules = FraudRules()


class ReferralTargets(Targets):
    k_factor: Annotated[float, Field(ge=0)] | None = Field(
        None, description="Referred signups by acquired referrers per acquired user."
    )


class ReferralCampaign(_Campaign):
    kind: Literal["referral"]
    targets: ReferralTargets
    referral: ReferralSection


# --- partnership -------------------------------------------------------------------------

Programme = Literal[
    "rural_revitalisation",
    "specialty_ecommerce",
    "cultural_tourism",
    "intangible_heritage",
    "city_name_card",
]


class Partner(_Model):
    name: Text = Field(description="The government body, e.g. 黔东南州人民政府.")
    level: Literal["province", "prefecture", "county"]
    divisions: Annotated[list[DivisionCode], Field(min_length=1)] = Field(
        description="GB/T 2260 codes covered; a province or prefecture covers what is under it."
    )


class Agreement(_Model):
    signed: dt.date
    start: dt.date
    end: dt.date


class Commitment(_Model):
    party: Literal["platform", "government"]
    what: Text = Field(description="e.g. traffic support, merchant training, livestream events.")
    quantity: Annotated[float, Field(ge=0)] | None = None
    unit: str = ""
    due: dt.date | None = None


class Milestone(_Model):
    name: Text
    due: dt.date
    owner: str = Field("", description="Who delivers it; empty is flagged by `plan`.")
    done: bool = False
    done_on: dt.date | None = None


class Contact(_Model):
    name: Text
    role: str = ""
    organisation: str = ""
    email: str = ""
    phone: str = ""
    lang: Literal["en", "zh"] = "zh"


class PartnershipSection(_Model):
    programme: Programme
    partner: Partner
    agreement: Agreement
    commitments: list[Commitment] = Field(default_factory=list)
    milestones: list[Milestone] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)


class PartnershipTargets(Targets):
    merchants_onboarded: Count | None = Field(
        None, description="Merchants onboarded in the covered regions."
    )


class PartnershipCampaign(_Campaign):
    kind: Literal["partnership"]
    targets: PartnershipTargets
    partnership: PartnershipSection


# --- gala --------------------------------------------------------------------------------


class Phase(_Model):
    name: Literal["warm_up", "gala_night", "retention"]
    start: dt.date
    end: dt.date
    share: Rate = Field(description="Share of each cumulative target expected in this phase.")


class Round(_Model):
    name: Text
    at: dt.datetime = Field(description="Broadcast time (local time in the window's timezone).")
    duration_minutes: Positive = 10
    prize_pool: Money
    top_prize: Money | None = Field(None, description="Largest single prize in the round.")
    expected_participants: Count
    interactions_per_participant: Annotated[float, Field(ge=0)] = 20.0
    mechanic: Literal["shake", "tap", "lottery", "card_collect", "share_assist", "quiz"] = "shake"
    shares_to_wechat: bool = False


class GalaSection(_Model):
    year: Annotated[int, Field(ge=1983, le=2100)]
    eve: dt.date | None = Field(None, description="Gala date; derived from the lunar calendar.")
    eve_override: bool = Field(False, description="Allow an eve that is not Lunar New Year's Eve.")
    capacity_rps: Positive = Field(description="Provisioned peak requests per second.")
    phases: Annotated[list[Phase], Field(min_length=1)]
    rounds: list[Round] = Field(default_factory=list)


class GalaTargets(Targets):
    peak_concurrent_users: Count | None = None


class GalaCampaign(_Campaign):
    kind: Literal["gala"]
    targets: GalaTargets
    gala: GalaSection


Campaign = ReferralCampaign | PartnershipCampaign | GalaCampaign

MODELS: dict[str, type[_Campaign]] = {
    "referral": ReferralCampaign,
    "partnership": PartnershipCampaign,
    "gala": GalaCampaign,
}

# Canonical order of the top-level keys: `fmt` writes them in this order.
TOP_LEVEL_ORDER: tuple[str, ...] = (
    "id",
    "name",
    "kind",
    "owner",
    "status",
    "tags",
    "notes",
    "window",
    "budget",
    "targets",
    "pacing",
    "thresholds",
    "referral",
    "partnership",
    "gala",
)
