"""Typed, frozen models of a campaign spec: a common part and one section per kind.

The field names here are the TOML keys users write (see docs/specs.md). Structural checks
(types, ranges, unknown keys) live here; rules that relate several fields to each other live
in ``rules.py`` so that each can name the exact key it is about.
"""

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
    """What the campaign may spend in all (rewards, prizes, ads, events)."""

    amount: Money = Field(description="Total budget for the campaign.")
    currency: Currency = Field("CNY", description="ISO 4217 code.")


class Checkpoint(_Model):
    """A dated share of the targets, for `curve = "checkpoints"`."""

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

    on_track: Annotated[float, Field(gt=0)] = Field(
        0.95, description="Pace (actual / expected so far) at or above this is on track."
    )
    at_risk: Annotated[float, Field(gt=0)] = Field(
        0.8, description="Pace at or above this (and below on_track) is at risk."
    )


class SegmentTarget(_Model):
    """A target for one region, channel or age band."""

    dimension: Dimension = Field(description="region | channel | age_band.")
    value: Text = Field(description="Division code, channel name or age band.")
    metric: SegmentMetric = Field("acquired", description="The metric the target counts.")
    target: Annotated[float, Field(ge=0)] = Field(description="Value at the end of the window.")


class Targets(_Model):
    """Named metrics with a value. Counts are totals at the end of the window."""

    acquired: Count | None = Field(None, description="New users acquired by the campaign.")
    activated: Count | None = Field(None, description="Acquired users who activated in time.")
    retention_d1: Rate | None = Field(None, description="Share of new users active on day 1.")
    retention_d7: Rate | None = Field(None, description="Share of new users active on day 7.")
    retention_d30: Rate | None = Field(None, description="Share of new users active on day 30.")
    cost_per_activated: Money | None = Field(
        None, description="Ceiling on cost per activated user, in the budget currency."
    )
    budget_spend: Money | None = Field(
        None, description="Planned spend by the end of the window (defaults to the budget)."
    )
    segments: list[SegmentTarget] = Field(
        default_factory=list, description="Targets per region, channel or age band."
    )


class _Campaign(_Model):
    id: Slug = Field(description="Campaign id; must equal the file name without .toml.")
    name: Text = Field(description="Human-readable name, shown in lists and reports.")
    owner: Text = Field(description="Who answers for the campaign (name or team).")
    status: Status = Field("draft", description="draft | approved | live | paused | ended.")
    tags: list[Text] = Field(default_factory=list, description="Free labels for filtering.")
    notes: str = Field("", description="Free text: context, decisions, links.")
    window: Window = Field(description="When the campaign runs.")
    budget: Budget = Field(description="What the campaign may spend.")
    # default_factory, not an instance: building an instance here would build its validator
    # at import time (defer_build) and slow every command's start-up
    pacing: Pacing = Field(
        default_factory=Pacing, description="How targets accrue over the window."
    )
    thresholds: Thresholds | None = Field(
        None, description="Overrides the workspace's default thresholds."
    )


# --- referral ----------------------------------------------------------------------------


class Tier(_Model):
    """A milestone bonus: N successful invites earn the referrer a bonus."""

    invites: Positive = Field(description="Successful invites needed for the bonus.")
    bonus: Money = Field(description="Bonus paid to the referrer on reaching the tier.")


class Rewards(_Model):
    """What each side earns per qualifying referee, plus milestone bonuses."""

    referrer: Money = Field(description="Paid to the inviter per qualifying referee.")
    referee: Money = Field(description="Paid to the new user on qualifying.")
    currency: Currency = Field("CNY", description="ISO 4217 code; must match the budget.")
    tiers: list[Tier] = Field(
        default_factory=list, description="Milestone bonuses, by ascending invites."
    )


class Caps(_Model):
    """Limits on rewards, per referrer and in total."""

    per_referrer_daily: Positive | None = Field(None, description="Rewarded invites per day.")
    per_referrer_daily_amount: Money | None = Field(
        None, description="Reward money per referrer per day."
    )
    per_referrer: Positive | None = Field(None, description="Rewarded invites per campaign.")
    per_referrer_amount: Money | None = Field(
        None, description="Reward money per referrer over the campaign."
    )
    pool: Money = Field(description="Total reward pool for the campaign.")


class Eligibility(_Model):
    """Who can be a qualifying referee."""

    new_device_only: bool = Field(True, description="Only devices never seen before earn a reward.")
    regions: list[DivisionCode] = Field(default_factory=list, description="Empty: everywhere.")
    channels: list[Text] = Field(default_factory=list, description="Empty: every channel.")


class FraudRules(_Model):
    """Abuse rules; a referee breaking one is flagged for review, not paid."""

    max_referees_per_device: Positive = Field(1, description="Referees allowed per device.")
    max_referees_per_ip_cluster: Positive = Field(
        5, description="Referees allowed per IP cluster (see ip_cluster_prefix)."
    )
    ip_cluster_prefix: Annotated[int, Field(ge=8, le=32)] = Field(
        24, description="IPv4 prefix length that makes a cluster."
    )
    burst_max_referees: Positive = Field(10, description="Referees allowed in one burst window.")
    burst_window_minutes: Positive = Field(60, description="Length of a burst window.")


class ReferralAssumptions(_Model):
    """What `xhsgrow plan` assumes about sharing (docs/plan.md). K = invites_per_user ×
    invite_conversion × eligible_share."""

    seed_inviters: Count = Field(
        100_000, description="Existing users who start inviting on the first day (generation 0)."
    )
    invites_per_user: Annotated[float, Field(ge=0)] = Field(
        5.0, description="Invites an inviter sends over one viral cycle."
    )
    invite_conversion: Rate = Field(
        0.08, description="Share of invites that become qualifying referees."
    )
    cycle_days: Positive = Field(
        3, description="Viral cycle time: days over which a new user's invites convert."
    )
    decay: Rate = Field(
        0.05, description="Share by which sharing falls per cycle as the campaign ages."
    )
    eligible_share: Rate = Field(
        0.8, description="Share of converted referees who pass eligibility (new device, region)."
    )


class ReferralSection(_Model):
    """The referral mechanics: what earns a reward, how much, and the limits."""

    qualifying_action: Literal["signup", "activation", "active_days"] = Field(
        "activation", description="What a referee must do for the rewards to be earned."
    )
    active_days: Positive | None = Field(
        None, description="Days of activity needed, for qualifying_action = 'active_days'."
    )
    hold_days: Count = Field(7, description="Days a reward is held before it is paid.")
    channels: list[Text] = Field(
        ["wechat_share", "in_app"],  # a plain default (copied per instance) shows in the schema
        description="Channels invites are sent through.",
    )
    rewards: Rewards = Field(description="Rewards for referrer and referee.")
    caps: Caps = Field(description="Reward caps and the total pool.")
    eligibility: Eligibility = Field(
        default_factory=Eligibility, description="Who qualifies as a referee."
    )
    fraud: FraudRules = Field(
        default_factory=FraudRules, description="Abuse rules (flag for review)."
    )
    assumptions: ReferralAssumptions = Field(
        default_factory=ReferralAssumptions,
        description="Planning assumptions for `xhsgrow plan`.",
    )


class ReferralTargets(Targets):
    """The common targets plus the K-factor."""

    k_factor: Annotated[float, Field(ge=0)] | None = Field(
        None, description="Referred signups by acquired referrers per acquired user."
    )


class ReferralCampaign(_Campaign):
    """A referral campaign: existing users invite new ones for a reward on both sides."""

    kind: Literal["referral"] = Field(description="The campaign kind.")
    targets: ReferralTargets = Field(description="What the campaign must reach.")
    referral: ReferralSection = Field(description="Rewards, caps, eligibility and fraud rules.")


# --- partnership -------------------------------------------------------------------------

Programme = Literal[
    "rural_revitalisation",
    "specialty_ecommerce",
    "cultural_tourism",
    "intangible_heritage",
    "city_name_card",
]


class Partner(_Model):
    """The government body the agreement is with."""

    name: Text = Field(description="The government body, e.g. 黔东南州人民政府.")
    level: Literal["province", "prefecture", "county"] = Field(
        description="Administrative level of the body; its division codes must match it."
    )
    divisions: Annotated[list[DivisionCode], Field(min_length=1)] = Field(
        description="GB/T 2260 codes covered; a province or prefecture covers what is under it."
    )


class Agreement(_Model):
    """The signed agreement; it may run longer than the campaign window."""

    signed: dt.date = Field(description="Day the agreement was signed.")
    start: dt.date = Field(description="First day the agreement is in force.")
    end: dt.date = Field(description="Last day the agreement is in force.")


class Commitment(_Model):
    """Something one side promised to deliver."""

    party: Literal["platform", "government"] = Field(description="Who promised it.")
    what: Text = Field(description="e.g. traffic support, merchant training, livestream events.")
    quantity: Annotated[float, Field(ge=0)] | None = Field(None, description="How much, in unit.")
    unit: str = Field("", description="e.g. impressions, sessions, merchants.")
    due: dt.date | None = Field(None, description="Day it is due.")


class Milestone(_Model):
    """A dated deliverable with an owner; due inside the campaign window."""

    name: Text = Field(description="What is delivered.")
    due: dt.date = Field(description="Due day, inside the window.")
    owner: str = Field("", description="Who delivers it; empty is flagged by `plan`.")
    done: bool = Field(False, description="Delivered.")
    done_on: dt.date | None = Field(None, description="Day it was delivered (needs done).")


class Contact(_Model):
    """A person on the partner's side, for outreach; needs an email or a phone."""

    name: Text = Field(description="Name as used in greetings, e.g. 王主任.")
    role: str = Field("", description="Job title.")
    organisation: str = Field("", description="Bureau or office.")
    email: str = Field("", description="Work email.")
    phone: str = Field("", description="Phone, e.g. +86 138 0000 0000.")
    lang: Literal["en", "zh"] = Field("zh", description="Language for outreach messages.")


class PartnershipSection(_Model):
    """A local-government partnership: who, what was agreed, and who does what by when."""

    programme: Programme = Field(description="The kind of programme.")
    partner: Partner = Field(description="The government body.")
    agreement: Agreement = Field(description="Agreement dates.")
    commitments: list[Commitment] = Field(
        default_factory=list, description="What each side promised."
    )
    milestones: list[Milestone] = Field(
        default_factory=list, description="Deliverables with due dates and owners."
    )
    contacts: list[Contact] = Field(
        default_factory=list, description="Partner contacts used for outreach."
    )


class PartnershipTargets(Targets):
    """The common targets plus merchants onboarded."""

    merchants_onboarded: Count | None = Field(
        None, description="Merchants onboarded in the covered regions."
    )


class PartnershipCampaign(_Campaign):
    """A partnership with a local government (province, prefecture or county)."""

    kind: Literal["partnership"] = Field(description="The campaign kind.")
    targets: PartnershipTargets = Field(description="What the campaign must reach.")
    partnership: PartnershipSection = Field(
        description="Partner, agreement, commitments, milestones and contacts."
    )


# --- gala --------------------------------------------------------------------------------


class Phase(_Model):
    """A stretch of the push with its share of the targets."""

    name: Literal["warm_up", "gala_night", "retention"] = Field(description="Which phase.")
    start: dt.date = Field(description="First day of the phase.")
    end: dt.date = Field(description="Last day of the phase.")
    share: Rate = Field(description="Share of each cumulative target expected in this phase.")
    expected_new_users: Count | None = Field(
        None, description="New users the plan expects in this phase (default: acquired × share)."
    )


class Round(_Model):
    """A red-envelope round on the night, triggered by the hosts' cue."""

    name: Text = Field(description="Name of the round.")
    at: dt.datetime = Field(description="Broadcast time (local time in the window's timezone).")
    duration_minutes: Positive = Field(10, description="How long the round stays open.")
    prize_pool: Money = Field(description="Money given away in the round.")
    top_prize: Money | None = Field(None, description="Largest single prize in the round.")
    expected_participants: Count = Field(description="People expected to take part.")
    interactions_per_participant: Annotated[float, Field(ge=0)] = Field(
        20.0, description="Requests (shakes, taps) per participant during the round."
    )
    mechanic: Literal["shake", "tap", "lottery", "card_collect", "share_assist", "quiz"] = Field(
        "shake", description="How people take part."
    )
    shares_to_wechat: bool = Field(False, description="The round relies on sharing to WeChat.")


WarmUpMechanic = Literal[
    "post_note",
    "check_in",
    "quiz",
    "team_game",
    "card_collect",
    "share_assist",
    "bargain",
    "collect_likes",
    "share_for_cash",
]


class WarmUpTask(_Model):
    name: Text = Field(description="Name of the task.")
    mechanic: WarmUpMechanic = Field(
        "post_note",
        description="e.g. card_collect (集卡), share_assist (助力), bargain (砍价).",
    )
    shares_to_wechat: bool = Field(False, description="The task relies on sharing links to WeChat.")
    cash_reward: bool = Field(
        False, description="Sharing earns cash, coupons or red envelopes (share-for-cash)."
    )


class GalaAssumptions(_Model):
    """What `xhsgrow plan` assumes for the night and after it (docs/plan.md)."""

    peak_to_mean: Annotated[float, Field(ge=1)] = Field(
        3.0, description="Peak-second request rate over a round's mean rate."
    )
    retention_decay: Rate = Field(
        0.2, description="Daily decay of gala new users' activity after the night."
    )
    retention_floor: Rate = Field(
        0.03, description="Share of gala new users who stay active for good."
    )


class GalaSection(_Model):
    """The gala push: the night, its phases, its rounds and the capacity behind them."""

    year: Annotated[int, Field(ge=1983, le=2100)] = Field(
        description="Gregorian year of the Lunar New Year the gala welcomes."
    )
    eve: dt.date | None = Field(None, description="Gala date; derived from the lunar calendar.")
    eve_override: bool = Field(False, description="Allow an eve that is not Lunar New Year's Eve.")
    capacity_rps: Positive = Field(description="Provisioned peak requests per second.")
    phases: Annotated[list[Phase], Field(min_length=1)] = Field(
        description="warm_up, gala_night, retention: in order, shares summing to 1."
    )
    rounds: list[Round] = Field(default_factory=list, description="Red-envelope rounds.")
    warm_up: list[WarmUpTask] = Field(
        default_factory=list, description="Warm-up tasks before the night (checked by `plan`)."
    )
    assumptions: GalaAssumptions = Field(
        default_factory=GalaAssumptions,
        description="Planning assumptions for `xhsgrow plan`.",
    )


class GalaTargets(Targets):
    """The common targets plus peak concurrent users."""

    peak_concurrent_users: Count | None = Field(
        None, description="Users online at the same moment at the peak of the night."
    )


class GalaCampaign(_Campaign):
    """A Spring Festival Gala push: warm-up, red-envelope rounds on the night, retention."""

    kind: Literal["gala"] = Field(description="The campaign kind.")
    targets: GalaTargets = Field(description="What the campaign must reach.")
    gala: GalaSection = Field(description="The night, phases, rounds and capacity.")


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
