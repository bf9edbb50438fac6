"""Today's tracking figures for templates (``--data``): a thin bridge to tracking."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xhsgrow.errors import UsageError


def campaign_figures(result: Any, campaign_id: str) -> dict[str, Any]:
    """The tracking JSON of one campaign (``tracking.metrics.acquired``, ``tracking.status``,
    ``tracking.partnership.milestones`` ...) as plain data for a template."""
    doc = result.to_json()
    for campaign in doc.get("campaigns", []):
        if campaign.get("id") == campaign_id:
            return {"as_of": doc.get("as_of"), **campaign}
    raise UsageError(f"tracking has no figures for campaign '{campaign_id}'")


def tracking_figures(
    workspace: Any, campaign: Any, data: str | None, as_of: dt.date | None = None
) -> dict[str, Any]:
    """Track ``campaign`` from ``data`` and return its figures (see ``campaign_figures``)."""
    try:
        from xhsgrow.tracking.engine import track
    except ImportError:
        raise UsageError(
            "--data needs the tracking engine, which this build does not have"
        ) from None
    result = track(workspace, [campaign], data=data, as_of=as_of)
    return campaign_figures(result, campaign.id)
