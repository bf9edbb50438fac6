"""Typed, frozen models of a campaign spec: a common part and one section per kind.

The field names here are the TOML keys users write (see docs/specs.md). Structural checks
(types, ranges, unknown keys) live here; rules that relate several fields to each other live
in ``rules.py`` so that each can name the exact key it is about.

Each field is described by the docstring under it, which the JSON Schema (and so the editor
hints and docs/specs.md) shows, rather than by ``Field(description=...)``: a ``Field()`` per
field costs about 3 ms on every command's start-up (137 fields), and only the JSON Schema
needs the descriptions. (pydantic's ``use_attribute_docstrings`` would read this file when the
classes are created, which is the cost avoided; ``DescribedSchema`` reads it for the schema.)
"""

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from annotated_types import Ge, Gt, Le, MinLen
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

Kind = Literal["referral", "partnership", "gala"]
KINDS: tuple[str, ...] = ("referral", "partnership", "gala")
Status = Literal["draft", "approved", "live", "paused", "ended"]
STATUSES: tuple[str, ...] = ("draft", "approved", "live", "paused", "ended")
Curve = Literal["linear", "front-loaded", "back-loaded", "checkpoints", "phases", "plan"]
Dimension = Literal["region", "channel", "age_band"]
SegmentMetric = Literal["acquired", "activated", "merchants_onboarded", "cost"]

#: Upper bounds that keep the plan's arithmetic finite; each is far above any real campaign
#: (docs/specs.md, "Conventions"). `plan --sweep` applies the same bounds.
MAX_MONEY = 10**15  # a thousand trillion, in any currency
MAX_PEOPLE = 10_000_000_000  # more people than live on Earth
MAX_INVITES = 1_000_000  # rewarded invites of one referrer
MAX_ROUND_MINUTES = 24 * 60  # a red-envelope round is one moment of the night, not days

Rate = Annotated[float, Ge(0), Le(1)]
Money = Annotated[float, Ge(0), Le(MAX_MONEY)]
Count = Annotated[int, Ge(0)]
People = Annotated[int, Ge(0), Le(MAX_PEOPLE)]
Positive = Annotated[int, Gt(0)]
Invites = Annotated[int, Gt(0), Le(MAX_INVITES)]
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


def _empty() -> list[Any]:
    """A new empty list. The default factory of list fields instead of ``list`` itself: pydantic
    inspects each factory's signature, and a builtin's costs parsing its text signature with
    the tokenizer (about 3 ms at start-up for the 15 list fields)."""
    return []


class _Model(BaseModel):
    # allow_inf_nan=False: TOML has `inf` and `nan`, but no amount, rate or assumption is
    # infinite, and one would print as ¥inf, as `Infinity` (not JSON) or crash the plan
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, allow_inf_nan=False)


# --- common part -------------------------------------------------------------------------


class Window(_Model):
    """When the campaign runs; both days count."""

    start: dt.date
    """First day of the campaign (included)."""
    end: dt.date
    """Last day of the campaign (included)."""
    timezone: str = "Asia/Shanghai"
    """IANA timezone the days are counted in."""
    activation_days: Positive = 7
    """Activation window N: an activate event on day 0..N-1 after signup counts."""


class Budget(_Model):
    """What the campaign may spend in all (rewards, prizes, ads, events)."""

    amount: Money
    """Total budget for the campaign."""
    currency: Currency = "CNY"
    """ISO 4217 code."""


class Checkpoint(_Model):
    """A dated share of the targets, for `curve = "checkpoints"`."""

    date: dt.date
    """Day the checkpoint applies to (end of day)."""
    share: Rate
    """Share of each cumulative target expected by that day."""


class Pacing(_Model):
    """How cumulative targets are expected to accrue over the window."""

    curve: Curve = "linear"
    """linear | front-loaded | back-loaded | checkpoints | phases (gala) | plan."""
    checkpoints: list[Checkpoint] = Field(default_factory=_empty)
    """Dated shares, for curve = 'checkpoints'."""


class Thresholds(_Model):
    """pace >= on_track is on track; >= at_risk is at risk; below is off track."""

    on_track: Annotated[float, Gt(0)] = 0.95
    """Pace (actual / expected so far) at or above this is on track."""
    at_risk: Annotated[float, Gt(0)] = 0.8
    """Pace at or above this (and below on_track) is at risk."""


class SegmentTarget(_Model):
    """A target for one region, channel or age band."""

    dimension: Dimension
    """region | channel | age_band."""
    value: Text
    """Division code, channel name or age band."""
    metric: SegmentMetric = "acquired"
    """The metric the target counts."""
    target: Annotated[float, Ge(0)]
    """Value at the end of the window."""


class Targets(_Model):
    """Named metrics with a value. Counts are totals at the end of the window."""

    acquired: Count | None = None
    """New users acquired by the campaign."""
    activated: Count | None = None
    """Acquired users who activated in time."""
    retention_d1: Rate | None = None
    """Share of new users active on day 1."""
    retention_d7: Rate | None = None
    """Share of new users active on day 7."""
    retention_d30: Rate | None = None
    """Share of new users active on day 30."""
    cost_per_activated: Money | None = None
    """Ceiling on cost per activated user, in the budget currency."""
    budget_spend: Money | None = None
    """Planned spend by the end of the window (defaults to the budget)."""
    segments: list[SegmentTarget] = Field(default_factory=_empty)
    """Targets per region, channel or age band."""


class _Campaign(_Model):
    id: Slug
    """Campaign id; must equal the file name without .toml."""
    name: Text
    """Human-readable name, shown in lists and reports."""
    owner: Text
    """Who answers for the campaign (name or team)."""
    status: Status = "draft"
    """draft | approved | live | paused | ended."""
    tags: list[Text] = Field(default_factory=_empty)
    """Free labels for filtering."""
    notes: str = ""
    """Free text: context, decisions, links."""
    window: Window
    """When the campaign runs."""
    budget: Budget
    """What the campaign may spend."""
    # default_factory, not an instance: building an instance here would build its validator
    # at import time (defer_build) and slow every command's start-up
    pacing: Pacing = Field(default_factory=Pacing)
    """How targets accrue over the window."""
    thresholds: Thresholds | None = None
    """Overrides the workspace's default thresholds."""


# --- referral ----------------------------------------------------------------------------


class Tier(_Model):
    """A milestone bonus: N successful invites earn the referrer a bonus."""

    invites: Positive
    """Successful invites needed for the bonus."""
    bonus: Money
    """Bonus paid to the referrer on reaching the tier."""


class Rewards(_Model):
    """What each side earns per qualifying referee, plus milestone bonuses."""

    referrer: Money
    """Paid to the inviter per qualifying referee."""
    referee: Money
    """Paid to the new user on qualifying."""
    currency: Currency = "CNY"
    """ISO 4217 code; must match the budget."""
    tiers: list[Tier] = Field(default_factory=_empty)
    """Milestone bonuses, by ascending invites."""


class Caps(_Model):
    """Limits on rewards, per referrer and in total."""

    per_referrer_daily: Invites | None = None
    """Rewarded invites per day."""
    per_referrer_daily_amount: Money | None = None
    """Reward money per referrer per day."""
    per_referrer: Invites | None = None
    """Rewarded invites per campaign."""
    per_referrer_amount: Money | None = None
    """Reward money per referrer over the campaign."""
    pool: Money
    """Total reward pool for the campaign."""


class Eligibility(_Model):
    """Who can be a qualifying referee."""

    new_device_only: bool = True
    """Only devices never seen before earn a reward."""
    regions: list[DivisionCode] = Field(default_factory=_empty)
    """Empty: everywhere."""
    channels: list[Text] = Field(default_factory=_empty)
    """Empty: every channel."""


class FraudRules(_Model):
    """Abuse rules; a referee breaking one is flagged for review, not paid."""

    max_referees_per_device: Positive = 1
    """Referees allowed per device."""
    max_referees_per_ip_cluster: Positive = 5
    """Referees allowed per IP cluster (see ip_cluster_prefix)."""
    ip_cluster_prefix: Annotated[int, Ge(8), Le(32)] = 24
    """IPv4 prefix length that makes a cluster."""
    burst_max_referees: Positive = 10
    """Referees allowed in one burst window."""
    burst_window_minutes: Positive = 60
    """Length of a burst window."""


class ReferralAssumptions(_Model):
    """What `xhsgrow plan` assumes about sharing (docs/plan.md). K = invites_per_user ×
    invite_conversion × eligible_share."""

    seed_inviters: People = 100_000
    """Existing users who start inviting on the first day (generation 0)."""
    invites_per_user: Annotated[float, Ge(0), Le(1000)] = 5.0
    """Invites an inviter sends over one viral cycle."""
    invite_conversion: Rate = 0.08
    """Share of invites that become qualifying referees."""
    cycle_days: Annotated[int, Gt(0), Le(365)] = 3
    """Viral cycle time: days over which a new user's invites convert."""
    decay: Rate = 0.05
    """Share by which sharing falls per cycle as the campaign ages."""
    eligible_share: Rate = 0.8
    """Share of converted referees who pass eligibility (new device, region)."""


class ReferralSection(_Model):
    """The referral mechanics: what earns a reward, how much, and the limits."""

    qualifying_action: Literal["signup", "activation", "active_days"] = "activation"
    """What a referee must do for the rewards to be earned."""
    active_days: Positive | None = None
    """Days of activity needed, for qualifying_action = 'active_days'."""
    hold_days: Count = 7
    """Days a reward is held before it is paid."""
    # a plain default (copied per instance), not a factory: it shows in the schema
    channels: list[Text] = ["wechat_share", "in_app"]
    """Channels invites are sent through."""
    rewards: Rewards
    """Rewards for referrer and referee."""
    caps: Caps
    """Reward caps and the total pool."""
    eligibility: Eligibility = Field(default_factory=Eligibility)
    """Who qualifies as a referee."""
    fraud: FraudRules = Field(default_factory=FraudRules)
    """Abuse rules (flag for review)."""
    assumptions: ReferralAssumptions = Field(default_factory=ReferralAssumptions)
    """Planning assumptions for `xhsgrow plan`."""


class ReferralTargets(Targets):
    """The common targets plus the K-factor."""

    k_factor: Annotated[float, Ge(0)] | None = None
    """Referred signups by acquired referrers per acquired user."""


class ReferralCampaign(_Campaign):
    """A referral campaign: existing users invite new ones for a reward on both sides."""

    kind: Literal["referral"]
    """The campaign kind."""
    targets: ReferralTargets
    """What the campaign must reach."""
    referral: ReferralSection
    """Rewards, caps, eligibility and fraud rules."""


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

    name: Text
    """The government body, e.g. 黔东南州人民政府."""
    level: Literal["province", "prefecture", "county"]
    """Administrative level of the body; its division codes must match it."""
    divisions: Annotated[list[DivisionCode], MinLen(1)]
    """GB/T 2260 codes covered; a province or prefecture covers what is under it."""


class Agreement(_Model):
    """The signed agreement; it may run longer than the campaign window."""

    signed: dt.date
    """Day the agreement was signed."""
    start: dt.date
    """First day the agreement is in force."""
    end: dt.date
    """Last day the agreement is in force."""


class Commitment(_Model):
    """Something one side promised to deliver."""

    party: Literal["platform", "government"]
    """Who promised it."""
    what: Text
    """e.g. traffic support, merchant training, livestream events."""
    quantity: Annotated[float, Ge(0)] | None = None
    """How much, in unit."""
    unit: str = ""
    """e.g. impressions, sessions, merchants."""
    due: dt.date | None = None
    """Day it is due."""


class Milestone(_Model):
    """A dated deliverable with an owner; due inside the campaign window."""

    name: Text
    """What is delivered."""
    due: dt.date
    """Due day, inside the window."""
    owner: str = ""
    """Who delivers it; empty is flagged by `plan`."""
    done: bool = False
    """Delivered."""
    done_on: dt.date | None = None
    """Day it was delivered (needs done)."""


class Contact(_Model):
    """A person on the partner's side, for outreach; needs an email or a phone."""

    name: Text
    """Name as used in greetings, e.g. 王主任."""
    role: str = ""
    """Job title."""
    organisation: str = ""
    """Bureau or office."""
    email: str = ""
    """Work email."""
    phone: str = ""
    """Phone, e.g. +86 138 0000 0000."""
    lang: Literal["en", "zh"] = "zh"
    """Language for outreach messages."""


class PartnershipSection(_Model):
    """A local-government partnership: who, what was agreed, and who does what by when."""

    programme: Programme
    """The kind of programme."""
    partner: Partner
    """The government body."""
    agreement: Agreement
    """Agreement dates."""
    commitments: list[Commitment] = Field(default_factory=_empty)
    """What each side promised."""
    milestones: list[Milestone] = Field(default_factory=_empty)
    """Deliverables with due dates and owners."""
    contacts: list[Contact] = Field(default_factory=_empty)
    """Partner contacts used for outreach."""


class PartnershipTargets(Targets):
    """The common targets plus merchants onboarded."""

    merchants_onboarded: Count | None = None
    """Merchants onboarded in the covered regions."""


class PartnershipCampaign(_Campaign):
    """A partnership with a local government (province, prefecture or county)."""

    kind: Literal["partnership"]
    """The campaign kind."""
    targets: PartnershipTargets
    """What the campaign must reach."""
    partnership: PartnershipSection
    """Partner, agreement, commitments, milestones and contacts."""


# --- gala --------------------------------------------------------------------------------


class Phase(_Model):
    """A stretch of the push with its share of the targets."""

    name: Literal["warm_up", "gala_night", "retention"]
    """Which phase."""
    start: dt.date
    """First day of the phase."""
    end: dt.date
    """Last day of the phase."""
    share: Rate
    """Share of each cumulative target expected in this phase."""
    expected_new_users: Count | None = None
    """New users the plan expects in this phase (default: acquired × share)."""


class Round(_Model):
    """A red-envelope round on the night, triggered by the hosts' cue."""

    name: Text
    """Name of the round."""
    at: dt.datetime
    """Broadcast time (local time in the window's timezone)."""
    duration_minutes: Annotated[int, Gt(0), Le(MAX_ROUND_MINUTES)] = 10
    """How long the round stays open (at most a day); it closes inside the window."""
    prize_pool: Money
    """Money given away in the round."""
    top_prize: Money | None = None
    """Largest single prize in the round."""
    expected_participants: People
    """People expected to take part."""
    interactions_per_participant: Annotated[float, Ge(0), Le(100_000)] = 20.0
    """Requests (shakes, taps) per participant during the round."""
    mechanic: Literal["shake", "tap", "lottery", "card_collect", "share_assist", "quiz"] = "shake"
    """How people take part."""
    shares_to_wechat: bool = False
    """The round relies on sharing to WeChat."""


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
    name: Text
    """Name of the task."""
    mechanic: WarmUpMechanic = "post_note"
    """e.g. card_collect (集卡), share_assist (助力), bargain (砍价)."""
    shares_to_wechat: bool = False
    """The task relies on sharing links to WeChat."""
    cash_reward: bool = False
    """Sharing earns cash, coupons or red envelopes (share-for-cash)."""


class GalaAssumptions(_Model):
    """What `xhsgrow plan` assumes for the night and after it (docs/plan.md)."""

    peak_to_mean: Annotated[float, Ge(1), Le(1000)] = 3.0
    """Peak-second request rate over a round's mean rate."""
    retention_decay: Rate = 0.2
    """Daily decay of gala new users' activity after the night."""
    retention_floor: Rate = 0.03
    """Share of gala new users who stay active for good."""


class GalaSection(_Model):
    """The gala push: the night, its phases, its rounds and the capacity behind them."""

    # the first gala was in 1983; the lunar calendar (lunardate) ends with 2099
    year: Annotated[int, Ge(1983), Le(2099)]
    """Gregorian year of the Lunar New Year the gala welcomes."""
    eve: dt.date | None = None
    """Gala date; derived from the lunar calendar."""
    eve_override: bool = False
    """Allow an eve that is not Lunar New Year's Eve."""
    capacity_rps: Annotated[int, Gt(0), Le(1_000_000_000)]
    """Provisioned peak requests per second."""
    phases: Annotated[list[Phase], MinLen(1)]
    """warm_up, gala_night, retention: in order, shares summing to 1."""
    rounds: list[Round] = Field(default_factory=_empty)
    """Red-envelope rounds."""
    warm_up: list[WarmUpTask] = Field(default_factory=_empty)
    """Warm-up tasks before the night (checked by `plan`)."""
    assumptions: GalaAssumptions = Field(default_factory=GalaAssumptions)
    """Planning assumptions for `xhsgrow plan`."""


class GalaTargets(Targets):
    """The common targets plus peak concurrent users."""

    peak_concurrent_users: Count | None = None
    """Users online at the same moment at the peak of the night."""


class GalaCampaign(_Campaign):
    """A Spring Festival Gala push: warm-up, red-envelope rounds on the night, retention."""

    kind: Literal["gala"]
    """The campaign kind."""
    targets: GalaTargets
    """What the campaign must reach."""
    gala: GalaSection
    """The night, phases, rounds and capacity."""


Campaign = ReferralCampaign | PartnershipCampaign | GalaCampaign

MODELS: dict[str, type[_Campaign]] = {
    "referral": ReferralCampaign,
    "partnership": PartnershipCampaign,
    "gala": GalaCampaign,
}

# --- descriptions ------------------------------------------------------------------------


@cache
def _docstrings() -> dict[str, dict[str, str]]:
    """The docstring under each field, by class and field name, read from this file."""
    import ast
    import inspect

    tree = ast.parse(Path(__file__).read_text("utf-8"))
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs = found.setdefault(node.name, {})
        for field, doc in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)
            ):
                docs[field.target.id] = inspect.cleandoc(doc.value.value)
    return found


def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """The description of every field of ``model``, inherited ones included."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if cls.__module__ == __name__:
            docs.update(_docstrings().get(cls.__name__, {}))
    return docs


class DescribedSchema(GenerateJsonSchema):
    """pydantic's JSON Schema, with each field described by its docstring."""

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        docs = field_docs(schema["cls"])
        for name, prop in json_schema.get("properties", {}).items():
            if name in docs:
                prop["description"] = docs[name]
        return json_schema


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
