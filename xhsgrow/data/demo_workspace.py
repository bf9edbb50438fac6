"""A self-contained demo workspace: demo events plus the campaigns scaled to match them.

The bundled campaigns aim at millions of users; a demo of a few million events can only
hold a small share of them, and tracked against the real targets every campaign would read
"off track". The demo workspace therefore carries copies of the specs whose user-proportional
figures (user targets, budgets, pools, prize pools, expected participation, capacity) are
multiplied by the share of users the generator could afford for that campaign, and whose
merchant figures (merchant targets, merchant commitments) by the share of merchants it could
afford. Tracking stays exact; only the specs are scaled, and each copy says so in its notes.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xhsgrow.errors import SpecError, UsageError
from xhsgrow.planning.partnership import REGION_TOTALS
from xhsgrow.rendering.filters import share_percent

#: Target metrics that grow with the number of users (rates and ceilings do not).
_USER_TARGETS = ("acquired", "activated", "budget_spend", "peak_concurrent_users")
_USER_SEGMENT_METRICS = ("acquired", "activated", "cost")
#: Merchant figures are scaled on their own: the generator makes the merchants a partnership's
#: target calls for, capped at one per 200 events, whatever share of its users it could afford.
#: Commitments in these units count merchants.
_MERCHANT_UNITS = ("merchant", "merchants", "商家", "商户")


@dataclass(frozen=True)
class DemoWorkspace:
    root: Path
    events: Path
    rows: int
    scales: dict[str, float]
    as_of: dt.date
    merchant_scales: dict[str, float] = field(default_factory=dict)


def _scale_int(value: int, scale: float) -> int:
    return max(1, round(value * scale))


def _scale_num(value: float | int, scale: float) -> float | int:
    if isinstance(value, int) and not isinstance(value, bool):
        return _scale_int(value, scale)
    return round(float(value) * scale, 2)


def _scale_group(
    values: list[float | int],
    scale: float,
    total: float | int | None,
    scaled_total: float | int | None,
) -> list[float | int]:
    """``values`` (targets that add up to, or fall short of, ``total``) times ``scale``,
    rounded as a group: their sum is the scaled sum, rounded once, and stands to
    ``scaled_total`` as the real sum stands to ``total`` (equal, short or over), so a demo copy
    shows the plan's regional-sum findings exactly when the real spec does. Largest remainders
    get the spare units; counts stay integers of at least 1 where the sum allows it."""
    integral = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    unit = 1 if integral else 100  # counts in ones, money in cents
    exact = [float(v) * scale * unit for v in values]
    want = round(_scale_num(sum(values), scale) * unit)
    if total is not None and scaled_total is not None:
        cap, gap = round(scaled_total * unit), sum(values) - total
        want = cap if abs(gap) <= 1e-9 else min(want, cap - 1) if gap < 0 else max(want, cap + 1)
    want = max(want, 0)
    least = 1 if integral and want >= len(values) else 0
    out = [max(least, math.floor(x)) for x in exact]
    while (short := want - sum(out)) != 0:
        if short > 0:  # a unit to the largest remainder
            i = max(range(len(out)), key=lambda j: exact[j] - out[j])
        else:  # a unit back from the most rounded-up that can spare one
            i = max((j for j in range(len(out)) if out[j] > least), key=lambda j: out[j] - exact[j])
        out[i] += 1 if short > 0 else -1
    return list(out) if integral else [round(n / unit, 2) for n in out]


def scale_spec(data: dict[str, Any], scale: float, *, merchants: float = 1.0) -> dict[str, Any]:
    """A copy of a parsed spec with its user-proportional figures multiplied by ``scale`` and
    its merchant figures (the target, regional targets, commitments counted in merchants) by
    ``merchants``."""
    out = dict(data)  # nested tables are copied below where they change
    targets = dict(out.get("targets", {}))
    for key in _USER_TARGETS:
        if key in targets:
            targets[key] = _scale_num(targets[key], scale)
    merchant_figures = 0
    if "merchants_onboarded" in targets:
        targets["merchants_onboarded"] = _scale_num(targets["merchants_onboarded"], merchants)
        merchant_figures += 1
    budget = {**out["budget"], "amount": _scale_num(out["budget"]["amount"], scale)}
    segments = [dict(seg) for seg in targets.get("segments", [])]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for seg in segments:
        groups.setdefault((seg.get("dimension", ""), seg.get("metric", "acquired")), []).append(seg)
    for (_, metric), group in groups.items():
        if metric not in _USER_SEGMENT_METRICS and metric != "merchants_onboarded":
            continue
        # the total the plan check adds the group up to (budget_spend, else the budget, for cost)
        key = REGION_TOTALS[metric]
        if key in targets:
            total, scaled_total = data["targets"][key], targets[key]
        elif metric == "cost":
            total, scaled_total = data["budget"]["amount"], budget["amount"]
        else:
            total = scaled_total = None
        share = merchants if metric == "merchants_onboarded" else scale
        values = [seg["target"] for seg in group]
        for seg, value in zip(group, _scale_group(values, share, total, scaled_total), strict=True):
            seg["target"] = value
        merchant_figures += len(group) if metric == "merchants_onboarded" else 0
    if segments:
        targets["segments"] = segments
    else:
        targets.pop("segments", None)
    out["targets"] = targets
    out["budget"] = budget
    if "partnership" in out:
        part = dict(out["partnership"])
        commitments = []
        for c in part.get("commitments", []):
            if "quantity" in c and str(c.get("unit", "")).strip().lower() in _MERCHANT_UNITS:
                c = {**c, "quantity": _scale_num(c["quantity"], merchants)}
                merchant_figures += 1
            commitments.append(dict(c))
        if commitments:
            part["commitments"] = commitments
        out["partnership"] = part
    if "referral" in out:
        ref = dict(out["referral"])
        ref["caps"] = {**ref["caps"], "pool": _scale_num(ref["caps"]["pool"], scale)}
        if "assumptions" in ref and "seed_inviters" in ref["assumptions"]:
            a = ref["assumptions"]
            ref["assumptions"] = {**a, "seed_inviters": _scale_int(a["seed_inviters"], scale)}
        out["referral"] = ref
    if "gala" in out:
        gala = dict(out["gala"])
        gala["capacity_rps"] = _scale_int(gala["capacity_rps"], scale)
        rounds = []
        for rd in gala.get("rounds", []):
            copy = {
                **rd,
                "prize_pool": _scale_num(rd["prize_pool"], scale),
                "expected_participants": _scale_int(rd["expected_participants"], scale),
            }
            if "top_prize" in rd:  # a single prize is not scaled, but must fit the pool
                copy["top_prize"] = min(rd["top_prize"], copy["prize_pool"])
            rounds.append(copy)
        gala["rounds"] = rounds
        gala["phases"] = [
            {**ph, "expected_new_users": _scale_int(ph["expected_new_users"], scale)}
            if "expected_new_users" in ph
            else dict(ph)
            for ph in gala.get("phases", [])
        ]
        out["gala"] = gala
    scaled = f"user targets, budget and pools scaled to {share_percent(scale)}"
    if merchant_figures and merchants < 1:
        scaled += f", merchant targets to {share_percent(merchants)}"
    note = f"DEMO COPY: {scaled} of the real spec to match the demo events."
    out["notes"] = f"{note}\n{out['notes']}" if out.get("notes") else note
    return out


def write_demo_workspace(
    source: Any,
    campaigns: list[Any],
    out: Path,
    *,
    events: int,
    seed: int,
    as_of: dt.date,
    progress: Any = None,
) -> DemoWorkspace:
    """Write ``out``/campaigns (scaled copies), ``out``/events.parquet and ``out``/xhsgrow.toml.

    ``source`` is the workspace the campaigns come from. Refuses a non-empty ``out``.
    """
    import tomli_w

    from xhsgrow.data.demo import generate_demo_events
    from xhsgrow.fileio import nearest_existing
    from xhsgrow.specs.fmt import format_text
    from xhsgrow.specs.loader import check_file
    from xhsgrow.specs.scaffold import schema_comment
    from xhsgrow.specs.store import write_schemas

    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} exists and is not an empty folder", hint="pick a new folder")
    if not campaigns:
        raise UsageError(f"no campaigns in {source.campaigns_dir}")
    blocker = nearest_existing(out.parent)
    if not blocker.is_dir():
        raise UsageError(f"cannot create {out}: {blocker} is a file, not a folder")
    # Built in a hidden sibling folder and renamed into place when complete, so a failed or
    # killed run leaves nothing half-written behind.
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        (tmp / "campaigns").mkdir(parents=True)
        events_path = tmp / "events.parquet"
        summary = generate_demo_events(
            campaigns,
            events_path,
            events=events,
            seed=seed,
            fmt="parquet",
            as_of=as_of,
            timezone=source.settings.timezone,
            progress=progress,
        )
        for campaign in campaigns:
            raw = tomllib.loads(source.spec_path(campaign.id).read_text("utf-8"))
            scaled = scale_spec(
                raw,
                min(1.0, summary.scales.get(campaign.id, 1.0)),
                merchants=min(1.0, summary.merchant_scales.get(campaign.id, 1.0)),
            )
            text = format_text(schema_comment(campaign.kind) + tomli_w.dumps(scaled))
            path = tmp / "campaigns" / f"{campaign.id}.toml"
            path.write_text(text, "utf-8")
            _, problems = check_file(path)
            if problems:  # a scaling rule broke a spec rule: a bug here, never the user's
                raise SpecError(problems)
        write_schemas(tmp)
        (tmp / "xhsgrow.toml").write_text(
            "# A demo workspace written by `xhsgrow demo-workspace`: scaled copies of the\n"
            "# campaigns and the demo events they are tracked against.\n"
            f'timezone = "{source.settings.timezone}"\n\n[data]\nsource = "events.parquet"\n',
            "utf-8",
        )
        if out.exists():
            out.rmdir()  # checked empty above
        tmp.rename(out)
    except OSError as exc:  # a read-only folder, a full disk
        shutil.rmtree(tmp, ignore_errors=True)
        raise UsageError(f"cannot create {out}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return DemoWorkspace(
        out,
        out / "events.parquet",
        summary.rows,
        dict(summary.scales),
        as_of,
        dict(summary.merchant_scales),
    )
