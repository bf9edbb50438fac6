"""The event data contract (docs/data.md): column and event names, defined once.

Column names are what users' files provide (or map to, in ``[data.columns]`` of
xhsgrow.toml); the event names are the only ones tracking counts — any other is reported
as an unknown event.
"""

from __future__ import annotations

#: The columns of an event row, in order.
COLUMNS: tuple[str, ...] = (
    "event_time",
    "event",
    "user_id",
    "campaign",
    "channel",
    "region",
    "age_band",
    "referrer_id",
    "amount",
    "device_id",
    "ip",
)
#: Columns every source must have; the others are optional.
REQUIRED: tuple[str, ...] = ("event_time", "event", "user_id")
#: The event names of the contract.
EVENTS: tuple[str, ...] = (
    "signup",
    "activate",
    "active",
    "invite",
    "reward",
    "merchant_onboarded",
    "interaction",
)
