"""The aggregated figures of one campaign, as a data source delivers them.

Both sources fill the same shape: an engine (DuckDB, Spark) from raw events
(xhsgrow.tracking.aggregate), the HTTP source from a metrics endpoint's daily aggregates
(xhsgrow.data.http_source). xhsgrow.tracking.engine then turns facts + spec + as-of into a
CampaignResult, the same way for all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from xhsgrow.tracking.result import FraudFlag, GalaView, Referrer

#: Counts kept per day (the DailyRow fields).
DAILY_FIELDS: tuple[str, ...] = (
    "acquired",
    "activated",
    "cost",
    "invites",
    "referred_signups",
    "merchants_onboarded",
    "interactions",
)
#: Days after signup for which retention is measured (1, 7, 30 are targets; the others are
#: for the gala's post-night curve).
RETENTION_DAYS: tuple[int, ...] = (1, 3, 7, 14, 30)


@dataclass
class CampaignFacts:
    id: str
    #: day -> {field: value}; acquired/activated/referred_signups by signup day, the others by
    #: the day of the event
    daily: dict[dt.date, dict[str, float]] = field(default_factory=dict)
    acquired: int = 0
    activated: int = 0
    referred_signups: int = 0
    #: referred signups whose referrer is itself an acquired user of the campaign
    referred_by_acquired: int = 0
    invites: int = 0
    inviters: int | None = 0
    cost: float = 0.0
    merchants_onboarded: int = 0  # in the covered regions for a partnership
    interactions: int = 0
    peak_minute_users: int | None = None
    #: n -> (users old enough, users active on day n)
    retention: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: (dimension, raw value) -> {acquired, activated, cost, merchants_onboarded}
    segments: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)
    top_referrers: tuple[Referrer, ...] = ()
    fraud_flags: tuple[FraudFlag, ...] = ()
    gala: GalaView | None = None
    #: False when the source has no figures for the campaign at all (a metrics endpoint whose
    #: answer leaves it out): every metric is then null and every started target ``no_data``,
    #: not a zero that reads as off track
    served: bool = True
