"""`plan --sweep PARAM=LO:HI:STEPS`: vary one assumption, tabulate the outcome."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from xhsgrow.errors import UsageError
from xhsgrow.planning.result import Sweep, SweepRow
from xhsgrow.specs.models import MAX_INVITES, MAX_MONEY, MAX_PEOPLE, MAX_ROUND_MINUTES

MAX_STEPS = 200


@dataclass(frozen=True)
class Param:
    """A sweepable key and its range: the bounds `validate` applies to the same key in a spec
    (tests/test_plan_sweep.py checks they agree), so no swept value is one a spec could not
    hold, and none makes the model overflow."""

    name: str
    section: str  # where it lives: "assumptions", "caps", "rewards", "gala", "rounds"
    lo: float
    hi: float
    integer: bool = False


PARAMS: dict[str, dict[str, Param]] = {
    "referral": {
        p.name: p
        for p in (
            Param("seed_inviters", "assumptions", 0, MAX_PEOPLE, integer=True),
            Param("invites_per_user", "assumptions", 0, 1000),
            Param("invite_conversion", "assumptions", 0, 1),
            Param("cycle_days", "assumptions", 1, 365, integer=True),
            Param("decay", "assumptions", 0, 1),
            Param("eligible_share", "assumptions", 0, 1),
            Param("pool", "caps", 0, MAX_MONEY),
            Param("per_referrer", "caps", 1, MAX_INVITES, integer=True),
            Param("referrer", "rewards", 0, MAX_MONEY),
            Param("referee", "rewards", 0, MAX_MONEY),
        )
    },
    "gala": {
        p.name: p
        for p in (
            Param("peak_to_mean", "assumptions", 1, 1000),
            Param("retention_decay", "assumptions", 0, 1),
            Param("retention_floor", "assumptions", 0, 1),
            Param("capacity_rps", "gala", 1, 1_000_000_000, integer=True),
            Param("expected_participants", "rounds", 0, MAX_PEOPLE, integer=True),
            Param("interactions_per_participant", "rounds", 0, 100_000),
            Param("duration_minutes", "rounds", 1, MAX_ROUND_MINUTES, integer=True),
        )
    },
    "partnership": {},
}


def parse_sweep(text: str, kind: str) -> tuple[Param, list[float]]:
    """``PARAM=LO:HI:STEPS`` -> (the parameter, STEPS evenly spaced values from LO to HI)."""
    from xhsgrow.specs.rules import suggest

    params = PARAMS[kind]
    if not params:
        raise UsageError(f"--sweep: a {kind} plan has no assumption to sweep")
    known = ", ".join(params)
    name, eq, spec = text.partition("=")
    name = name.strip()
    if not eq or not name:
        raise UsageError(
            f"--sweep {text!r}: expected PARAM=LO:HI:STEPS, e.g. invite_conversion=0.05:0.25:5"
        )
    if name not in params:
        raise UsageError(
            f"--sweep: unknown parameter {name!r} for a {kind} plan{suggest(name, list(params))}",
            hint=f"one of: {known}",
        )
    param = params[name]
    parts = spec.split(":")
    if len(parts) != 3:
        raise UsageError(f"--sweep {text!r}: the range must be LO:HI:STEPS, e.g. 0.05:0.25:5")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise UsageError(f"--sweep {text!r}: LO and HI must be numbers") from None
    try:
        steps = int(parts[2])
    except ValueError:
        raise UsageError(f"--sweep {text!r}: STEPS must be a whole number") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise UsageError(f"--sweep {text!r}: LO and HI must be finite numbers")
    if hi < lo:
        raise UsageError(f"--sweep {text!r}: LO {parts[0]} is above HI {parts[1]}")
    if not 1 <= steps <= MAX_STEPS:
        raise UsageError(f"--sweep {text!r}: STEPS must be between 1 and {MAX_STEPS}")
    if steps == 1 and hi != lo:
        raise UsageError(f"--sweep {text!r}: one step needs LO = HI; use 2 or more steps")
    # the ends first: between the bounds, no step overflows (hi - lo) or rounds an infinity
    for given in (lo, hi):
        v = float(round(given)) if param.integer else given
        if not param.lo <= v <= param.hi:
            # a whole-number parameter's 0.4 is planned as 0: say both
            got = f"{given:g}" + (f", which rounds to {v:g}" if v != given else "")
            raise UsageError(
                f"--sweep {text!r}: {name} must be at least {shown_value(param.lo)} and at most "
                f"{shown_value(param.hi)} (got {got})"
            )
    values = [lo + (hi - lo) * i / (steps - 1) for i in range(steps)] if steps > 1 else [lo]
    if param.integer:
        values = list(dict.fromkeys(float(round(v)) for v in values))
    return param, values


def shown_value(x: float) -> str:
    """A bound or a swept value as read, never in exponents: 1,000,000,000 (not 1e+09),
    1,333,333.33 (not 1.33333e+06), 0.05."""
    if float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.2f}" if abs(x) >= 1000 else f"{x:g}"


def with_value(campaign: Any, param: Param, value: float) -> Any:
    """A copy of the campaign with one assumption changed (validated by parse_sweep)."""
    v: float | int = int(value) if param.integer else float(value)
    if campaign.kind == "referral":
        r = campaign.referral
        inner = getattr(r, param.section)
        r = r.model_copy(update={param.section: inner.model_copy(update={param.name: v})})
        return campaign.model_copy(update={"referral": r})
    g = campaign.gala
    if param.section == "assumptions":
        g = g.model_copy(update={"assumptions": g.assumptions.model_copy(update={param.name: v})})
    elif param.section == "gala":
        g = g.model_copy(update={param.name: v})
    else:
        rounds = [rd.model_copy(update={param.name: v}) for rd in g.rounds]
        g = g.model_copy(update={"rounds": rounds})
    return campaign.model_copy(update={"gala": g})


COLUMNS: dict[str, list[tuple[str, str]]] = {
    "referral": [
        ("k_factor", "K"),
        ("acquired", "acquired"),
        ("total_users", "total"),
        ("rewards_paid", "rewards"),
        ("pool_runs_out", "pool out"),
        ("cost_per_acquired", "per user"),
        ("target_reached", "target"),
    ],
    "gala": [
        ("peak_rps", "peak rps"),
        ("headroom_rps", "headroom rps"),
        ("headroom_pct", "headroom %"),
        ("retention_d7", "d7 retention"),
        ("errors", "errors"),
    ],
}


def _refuse_invalid(spec: str, param: Param, value: float, swept: Any) -> None:
    """Refuse a value that makes a spec `validate` would refuse: each key's own range is
    parse_sweep's, but the rules between keys (a pool over the budget, a round running past
    the window) are checked on the campaign as swept, before anything is planned."""
    from xhsgrow.specs.locate import dotted
    from xhsgrow.specs.rules import check

    problems = check(swept)
    if problems:
        key, message = problems[0]
        raise UsageError(
            f"--sweep {spec!r}: {param.name} = {shown_value(value)} makes an invalid spec "
            f"({dotted(key)}: {message})",
            hint="narrow the range to values a spec could hold",
        )


def run_sweep(campaign: Any, spec: str) -> Sweep:
    """Plan the campaign once per value of the swept assumption."""
    from xhsgrow.planning.core import plan_campaign

    param, values = parse_sweep(spec, campaign.kind)
    campaigns = [with_value(campaign, param, value) for value in values]
    for value, swept in zip(values, campaigns, strict=True):
        _refuse_invalid(spec, param, value, swept)
    rows = []
    for value, swept in zip(values, campaigns, strict=True):
        plan = plan_campaign(swept)
        if plan.referral is not None:
            r = plan.referral
            outcome: dict[str, Any] = {
                "k_factor": r.k_factor,
                "acquired": r.acquired,
                "total_users": r.total_users,
                "rewards_paid": r.rewards_paid,
                "pool_runs_out": r.pool_runs_out,
                "cost_per_acquired": r.cost_per_acquired,
                "target_reached": r.target_reached,
            }
        else:
            assert plan.gala is not None
            gp = plan.gala
            outcome = {
                "peak_rps": gp.peak_rps,
                "headroom_rps": gp.headroom_rps,
                "headroom_pct": gp.headroom_pct,
                "retention_d7": gp.retention[7],
                "errors": len(plan.errors),
            }
        rows.append(SweepRow(value, outcome))
    return Sweep(campaign.id, campaign.kind, param.name, COLUMNS[campaign.kind], rows)
