"""From the workspace to a TrackingResult: the one place reports and notify call tracking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from xhsgrow.errors import UsageError
from xhsgrow.tracking.result import TrackingResult


def parse_as_of(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of {value!r} is not a date (YYYY-MM-DD)") from None


def track_campaigns(
    ws: Any,
    ids: Sequence[str],
    *,
    data: str | None,
    as_of: dt.date | None,
    strict: bool = False,
) -> TrackingResult:
    """Load the named campaigns (all when none are named) and track them."""
    from xhsgrow.specs import load_campaigns

    campaigns = load_campaigns(ws, list(ids) or None)
    try:
        from xhsgrow.tracking.engine import track
    except ImportError:  # pragma: no cover - only while tracking is being written
        raise UsageError("tracking is not available in this build of xhsgrow") from None
    return track(ws, campaigns, data=data, as_of=as_of, strict=strict)  # type: ignore[no-any-return]
