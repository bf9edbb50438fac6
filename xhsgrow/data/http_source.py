"""Metrics from an HTTP endpoint serving daily aggregates as JSON (format: docs/metrics.md).

For teams whose events live in a warehouse: the warehouse computes per-campaign daily
aggregates, an endpoint serves them, and xhsgrow paces and forecasts them exactly as it does
raw events. ``GET <url>?as_of=YYYY-MM-DD&campaigns=a,b`` with ``Authorization: Bearer
$XHSGROW_DATA_TOKEN`` when that variable is set; timeouts and retries (5xx, 429 with
Retry-After, connection errors) come from xhsgrow.net.http. The token is never printed.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

from xhsgrow.errors import UsageError

ENV_TOKEN = "XHSGROW_DATA_TOKEN"
SCHEMA_VERSION = 1
COUNT_FIELDS = (
    "acquired",
    "activated",
    "invites",
    "referred_signups",
    "referred_by_acquired",
    "merchants_onboarded",
    "interactions",
    "retained_d1",
    "retained_d7",
    "retained_d30",
)
SEGMENT_FIELDS = ("acquired", "activated", "cost", "merchants_onboarded")
#: Fields counted by signup day (the cohort); the others by the day the events happened.
COHORT_FIELDS = ("acquired", "activated", "referred_signups", "referred_by_acquired")
#: Counts above this are refused: beyond 2^53 a JSON number is no longer a whole number.
MAX_COUNT = 2**53 - 1
#: Money above this is refused (the bound of a spec's budgets, docs/specs.md).
MAX_MONEY = 1e15
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_url(data: str) -> bool:
    return data.startswith(("http://", "https://"))


class _Bad(Exception):
    pass


def fetch_facts(
    url: str,
    campaigns: Sequence[Any],
    as_of: dict[str, dt.date],
    *,
    strict: bool = False,
    progress: Callable[[str, float], None] | None = None,
    policy: Any = None,
) -> tuple[dict[str, Any], Any]:
    """Fetch the daily aggregates and turn them into facts + data quality."""
    from xhsgrow.net.http import HttpError, RetryPolicy, mask_url, request

    shown = mask_url(url)
    headers = {"Accept": "application/json"}
    token = os.environ.get(ENV_TOKEN)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    params = {
        "as_of": max(as_of.values()).isoformat(),
        "campaigns": ",".join(c.id for c in campaigns),
    }
    if progress:
        progress(f"fetching {shown}", 0.0)
    try:
        resp = request(
            "GET",
            url,
            headers=headers,
            params=params,
            policy=policy or RetryPolicy(timeout=30.0),
            follow_redirects=True,
        )
    except HttpError as exc:
        # named like every other data-source error: "--data URL: what went wrong" (the
        # caller names $XHSGROW_DATA or xhsgrow.toml instead when the URL came from there)
        raise UsageError(f"--data {shown}: {exc.detail}") from None
    try:
        doc = resp.json()
    except ValueError:
        raise UsageError(f"--data {shown}: the answer is not JSON") from None
    if progress:
        progress("figures", 1.0)
    try:
        return _facts(doc, campaigns, as_of, strict=strict)
    except _Bad as exc:
        raise UsageError(f"--data {shown}: {exc}") from None


def _need(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise _Bad(f"{where}: {what}")


def _count(value: Any, where: str) -> int:
    """A whole number from 0 to MAX_COUNT (3.0 is one; 3.5, "3", true and NaN are not)."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    whole = number and (isinstance(value, int) or (math.isfinite(value) and value.is_integer()))
    _need(whole and value >= 0, where, f"expected a whole number >= 0, got {_shown(value)}")
    _need(value <= MAX_COUNT, where, f"expected a whole number below 2^53, got {_shown(value)}")
    return int(value)


def _money(value: Any, where: str) -> float:
    """A finite number from 0 to MAX_MONEY."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    ok = number and math.isfinite(value) and value >= 0
    _need(ok, where, f"expected a number >= 0, got {_shown(value)}")
    _need(value <= MAX_MONEY, where, f"expected a number up to 10^15, got {_shown(value)}")
    return float(value)


#: Per day, (field, the field it is part of): the cohort's activated, referred and retained
#: users are among its acquired users, and the referred users whose referrer was acquired too
#: are among the referred ones.
COHORT_PARTS: tuple[tuple[str, str], ...] = (
    ("activated", "acquired"),
    ("referred_signups", "acquired"),
    ("retained_d1", "acquired"),
    ("retained_d7", "acquired"),
    ("retained_d30", "acquired"),
    ("referred_by_acquired", "referred_signups"),
)


def _within_cohort(values: dict[str, int], where: str) -> None:
    """A part of a cohort larger than the cohort (activated 120 of 100 acquired) is a broken
    answer: it would give rates above 100%."""
    for part, whole in COHORT_PARTS:
        if part in values and whole in values:
            _need(
                values[part] <= values[whole],
                f"{where}.{part}",
                f"{values[part]} is more than {whole} ({values[whole]})",
            )


def _day(text: str) -> dt.date | None:
    """The date a "YYYY-MM-DD" text names, or None (2025-02-30)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _shown(value: Any) -> str:
    """A served value in a message, cut short (a 400-digit number is not a line)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _facts(
    doc: Any, campaigns: Sequence[Any], as_of: dict[str, dt.date], *, strict: bool
) -> tuple[dict[str, Any], Any]:
    from xhsgrow.tracking.facts import CampaignFacts
    from xhsgrow.tracking.result import QUALITY_FIELDS, DataQuality

    _need(isinstance(doc, dict), "document", "expected a JSON object")
    version = doc.get("schema_version")
    _need(
        version == SCHEMA_VERSION,
        "schema_version",
        f"expected {SCHEMA_VERSION}, got {version!r}",
    )
    items = doc.get("campaigns")
    _need(isinstance(items, list), "campaigns", "expected a list")
    served: dict[str, Any] = {}
    for i, item in enumerate(items):
        _need(isinstance(item, dict), f"campaigns[{i}]", "expected an object")
        _need(isinstance(item.get("id"), str), f"campaigns[{i}].id", "expected a campaign id")
        first = served.get(item["id"], (None,))[0]
        _need(first is None, f"campaigns[{i}].id", f"{item['id']!r} again (campaigns[{first}])")
        served[item["id"]] = (i, item)
    facts: dict[str, Any] = {}
    missing = [c.id for c in campaigns if c.id not in served]
    if missing and strict:
        raise _Bad(f"campaigns: no figures for {', '.join(missing)} (--strict)")
    for c in campaigns:
        f = CampaignFacts(c.id)
        f.inviters = None
        facts[c.id] = f
        if c.id not in served:
            f.served = False  # no figures: null metrics, no_data targets (not zeros)
            continue
        i, item = served[c.id]
        _campaign(f, c, item, as_of[c.id], f"campaigns[{i}]")
    quality = DataQuality()
    dq = doc.get("data_quality")
    if dq is not None:
        _need(isinstance(dq, dict), "data_quality", "expected an object")
        quality = DataQuality(
            **{k: _count(dq[k], f"data_quality.{k}") for k in QUALITY_FIELDS if k in dq}
        )
        if strict and quality.rows_rejected:
            raise _Bad(f"data_quality: {quality.rows_rejected:,} rejected rows (--strict)")
    return facts, quality


def _campaign(f: Any, c: Any, item: dict[str, Any], as_of: dt.date, where: str) -> None:
    from xhsgrow.tracking.facts import DAILY_FIELDS

    days = item.get("days", [])
    _need(isinstance(days, list), f"{where}.days", "expected a list")
    last = min(as_of, c.window.end)
    retention = {n: [0, 0] for n in (1, 7, 30)}
    for j, row in enumerate(days):
        at = f"{where}.days[{j}]"
        _need(isinstance(row, dict), at, "expected an object")
        text = row.get("day")
        day = _day(text) if isinstance(text, str) and _DAY.fullmatch(text) else None
        _need(day is not None, f"{at}.day", f"expected YYYY-MM-DD, got {_shown(text)}")
        values = {k: _count(row.get(k, 0), f"{at}.{k}") for k in COUNT_FIELDS}
        _within_cohort(values, at)
        cost = _money(row.get("cost", 0), f"{at}.cost")
        if day > as_of:
            continue  # nothing after the as-of day counts (checked all the same)
        f.cost += cost  # money spent counts up to as-of, inside the window or not
        inside = c.window.start <= day <= last
        if inside:
            daily = f.daily.setdefault(day, {})
            for k in DAILY_FIELDS:
                daily[k] = daily.get(k, 0) + (cost if k == "cost" else values[k])
            f.acquired += values["acquired"]
            f.activated += values["activated"]
            f.referred_signups += values["referred_signups"]
            f.referred_by_acquired += values["referred_by_acquired"]
            f.invites += values["invites"]
            f.merchants_onboarded += values["merchants_onboarded"]
            f.interactions += values["interactions"]
            for n, acc in retention.items():
                if (as_of - day).days >= n:
                    acc[0] += values["acquired"]
                    acc[1] += values[f"retained_d{n}"]
    f.retention = {n: (old, kept) for n, (old, kept) in retention.items()}
    if "inviters" in item:
        f.inviters = _count(item["inviters"], f"{where}.inviters")
    segments = item.get("segments", [])
    _need(isinstance(segments, list), f"{where}.segments", "expected a list")
    for j, seg in enumerate(segments):
        at = f"{where}.segments[{j}]"
        _need(isinstance(seg, dict), at, "expected an object")
        dim, value = seg.get("dimension"), seg.get("value")
        _need(dim in ("region", "channel", "age_band"), f"{at}.dimension", f"got {dim!r}")
        _need(isinstance(value, str) and bool(value), f"{at}.value", "expected a string")
        figures = {
            k: (_money if k == "cost" else _count)(seg.get(k, 0), f"{at}.{k}")
            for k in SEGMENT_FIELDS
        }
        _within_cohort({k: int(v) for k, v in figures.items() if k != "cost"}, at)
        # (a segment listed twice is added up, as a day listed twice is: written in parts)
        key = (str(dim), str(value))
        before = f.segments.get(key, {})
        f.segments[key] = {k: before.get(k, 0) + v for k, v in figures.items()}
