"""From the workspace to a TrackingResult: the one place reports and notify call tracking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from xhsgrow.tracking.result import TrackingResult


def track_campaigns(
    ws: Any,
    ids: Sequence[str],
    *,
    data: str | None,
    as_of: dt.date | None,
    strict: bool = False,
    engine: str | None = None,
) -> TrackingResult:
    """Load the named campaigns (all when none are named) and track them on ``engine``
    (None: ``[data] engine`` in xhsgrow.toml)."""
    from xhsgrow.specs import load_campaigns
    from xhsgrow.tracking.engine import track

    campaigns = load_campaigns(ws, list(ids) or None)
    return track(ws, campaigns, data=data, as_of=as_of, strict=strict, engine=engine)  # type: ignore[no-any-return]
