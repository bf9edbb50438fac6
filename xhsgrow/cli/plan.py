"""Planning commands: plan (growth model, budget, capacity and legal checks) and brief."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from xhsgrow.cli.console import plain
from xhsgrow.errors import EXIT_FAILED
from xhsgrow.rendering.filters import money, thousands


class PlanFormat(StrEnum):
    table = "table"
    json = "json"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"


class BriefFormat(StrEnum):
    md = "md"
    html = "html"


class Lang(StrEnum):
    en = "en"
    zh = "zh"


def plan(
    ctx: typer.Context,
    campaign_id: Annotated[str, typer.Argument(metavar="ID", help="Campaign id.")],
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = (
        PlanFormat.table
    ),
    sweep: Annotated[
        str | None,
        typer.Option(
            "--sweep",
            metavar="PARAM=LO:HI:STEPS",
            help="Plan STEPS times with PARAM set to even values from LO to HI (both included) "
            "and tabulate the outcome, e.g. invite_conversion=0.05:0.25:5. "
            "referral PARAMs: seed_inviters, invites_per_user, invite_conversion, cycle_days, "
            "decay, eligible_share, pool, per_referrer, referrer, referee. "
            "gala PARAMs: peak_to_mean, retention_decay, retention_floor, capacity_rps, "
            "expected_participants, interactions_per_participant, duration_minutes "
            "(the last three set every round).",
        ),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on", help="Exit 1 when the plan has a finding at or above this severity."
        ),
    ] = None,
) -> None:
    """Plan a campaign before launch: growth model, budget, capacity, legal checks.

    referral: a day-by-day generational viral model (K, users per generation,
    rewards paid under the caps, the day the pool runs out, cost per user).
    gala: peak-second load per round against capacity_rps, prize pools against
    the budget, new users per phase, retention, the ¥50,000 prize-draw cap and
    WeChat's link-sharing rules. partnership: the timeline of commitments and
    milestones, regional targets against the total, and gaps.

    Assumptions live in the spec (referral.assumptions, gala.assumptions); the
    models are described in docs/plan.md. Findings are reported (error, warning,
    info); the exit code is 0 unless the spec or the options are wrong, or
    --fail-on is given and a finding is at or above it (exit 1, after the
    output; --fail-on warning fails on errors too, info never fails). With
    --sweep, --fail-on judges the findings of the spec as written, not of the
    swept values.

    Example:

        xhsgrow plan welcome-refugees-2025 --sweep invite_conversion=0.05:0.25:5

        xhsgrow plan gala-2027 --fail-on error
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.planning import plan_campaign, run_sweep
    from xhsgrow.specs import load_campaigns

    (campaign,) = load_campaigns(workspace_from(ctx), [campaign_id])
    if sweep is not None:
        result = run_sweep(campaign, sweep)
        if format is PlanFormat.json:
            plain(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        else:
            _print_sweep(result, campaign.budget.currency)
        if fail_on is not None:
            # a sweep explores what-ifs; what launches is the spec as written
            _fail_on(plan_campaign(campaign), fail_on)
        return
    planned = plan_campaign(campaign)
    if format is PlanFormat.json:
        plain(json.dumps(planned.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_plan(planned, campaign)
    if fail_on is not None:
        _fail_on(planned, fail_on)


def _fail_on(planned: Any, fail_on: FailOn) -> None:
    """Exit 1, with one line on stderr counting them, when findings are at or above fail_on."""
    from collections import Counter

    from xhsgrow.planning import fail_severities

    failing = fail_severities(fail_on.value)
    counts = Counter(f.severity for f in planned.findings)
    if not any(counts[s] for s in failing):
        return
    from xhsgrow.cli.console import err

    why = ", ".join(f"{counts[s]} {s}(s)" for s in failing)
    err().print(f"[red]--fail-on {fail_on.value}:[/] {planned.campaign_id} ({why})")
    raise typer.Exit(EXIT_FAILED)


def brief(
    ctx: typer.Context,
    campaign_id: Annotated[str, typer.Argument(metavar="ID", help="Campaign id.")],
    format: Annotated[
        BriefFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="md or html (default: from --out's suffix, else md).",
            show_default=False,
        ),
    ] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the brief.")] = Lang.en,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write to this file instead of stdout; .md or .html sets the format.",
        ),
    ] = None,
) -> None:
    """Render the one-to-two page approval brief of a campaign from templates.

    Objective, audience, mechanics, rewards and caps, targets with their pacing
    curve (a chart in HTML), budget and the plan's projection, risks (fraud
    rules, capacity headroom, legal checks), owners and milestones. Override it
    by copying brief/LANG/brief.FORMAT (wording) or brief/_body.FORMAT (layout)
    into the workspace's templates/ folder.

    Without --format, --out's suffix picks the format (.md/.markdown, .html/.htm;
    any other suffix: md); a --format that contradicts the suffix is refused.

    Example:

        xhsgrow brief gala-2027 --format html --lang zh --out gala-2027-brief.html
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.planning.brief import brief_format, render_brief, write_output
    from xhsgrow.specs import load_campaigns

    ws = workspace_from(ctx)
    fmt = brief_format(out, format.value if format else None)
    (campaign,) = load_campaigns(ws, [campaign_id])
    text = render_brief(campaign, fmt=fmt, lang=lang.value, templates=ws.templates_dir)
    if out is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return
    write_output(out, text)
    plain(f"wrote {out}", stderr=True)


# --- terminal rendering --------------------------------------------------------------------

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _short(value: float) -> str:
    from xhsgrow.rendering.charts import compact_number

    return compact_number(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}" if abs(value) >= 0.1 else f"{value:.1%}"


def _reached(value: float | None) -> str:
    """A share of a target: 99.6% short of it reads 99.6%, not 100%."""
    from xhsgrow.planning.figures import percents_apart

    if value is None or value >= 1:
        return _pct(value)
    return percents_apart(value, 1.0, 0 if value >= 0.1 else 1)[0]


def _table(title: str, columns: list[tuple[str, str]]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold")
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    return table


def _print_plan(p: Any, campaign: Any) -> None:
    from rich.markup import escape

    from xhsgrow.cli.console import out

    console = out()
    console.print(
        f"[bold]{escape(p.name)}[/]  ({p.campaign_id}, {p.kind})  "
        f"{p.window[0]} → {p.window[1]}  budget {money(p.budget, p.currency)}"
    )
    if p.referral is not None:
        _print_referral(p.referral, campaign, p.currency)
    if p.gala is not None:
        _print_gala(p.gala, p.currency)
    if p.partnership is not None:
        _print_partnership(p.partnership)
    _print_findings(p.findings)


def _print_referral(r: Any, campaign: Any, cur: str) -> None:
    from xhsgrow.cli.console import out

    a = campaign.referral.assumptions
    console = out()
    t = _table("Assumptions", [("", "left"), ("value", "right")])
    t.add_row("seed inviters", thousands(a.seed_inviters))
    t.add_row("invites per user (per cycle)", thousands(a.invites_per_user, 2))
    t.add_row("invite conversion", _pct(a.invite_conversion))
    t.add_row("eligible share", _pct(a.eligible_share))
    t.add_row("viral cycle", f"{a.cycle_days} day(s)")
    t.add_row("decay per cycle", _pct(a.decay))
    t.add_row("K (invites × conversion × eligible)", f"{r.k_factor:.2f}")
    cap = "none" if r.referral_cap is None else f"{r.referral_cap:,.0f} rewarded invites"
    t.add_row("per-referrer cap", cap)
    t.add_row("K after the cap", f"{r.k_capped:.2f}")
    console.print(t)

    t = _table("Outcome", [("", "left"), ("value", "right")])
    t.add_row("acquired (referred users)", thousands(r.acquired))
    t.add_row("total users (seeds + acquired)", thousands(r.total_users))
    if r.target_acquired:
        reached = _reached(r.target_reached)
        t.add_row("of the acquired target", f"{reached} of {r.target_acquired:,}")
    t.add_row("rewarded pairs", f"{r.pairs_paid:,}")
    t.add_row("referrer rewards", money(r.referrer_paid, cur))
    t.add_row("referee rewards", money(r.referee_paid, cur))
    t.add_row("tier bonuses", money(r.tier_bonus_paid, cur))
    t.add_row("rewards paid", f"{money(r.rewards_paid, cur)} of a {money(r.pool, cur)} pool")
    t.add_row("pool runs out", str(r.pool_runs_out) if r.pool_runs_out else "not in the window")
    t.add_row("reward cost per acquired user", money(r.cost_per_acquired, cur, 2))
    t.add_row("binds first", r.binds_first)
    console.print(t)

    t = _table("Generations", [("gen", "right"), ("first day", "left"), ("users", "right")])
    shown = r.generations[:12]
    for g in shown:
        label = "seeds" if g.number == 0 else str(g.number)
        t.add_row(label, str(g.first_day or "—"), thousands(g.users))
    if len(r.generations) > len(shown):
        rest = sum(g.users for g in r.generations[len(shown) :])
        t.add_row(f"{len(shown)}+", "…", thousands(rest))
    console.print(t)

    t = _table(
        "By day (weekly, and the day the pool runs out)",
        [("day", "left"), ("new users", "right"), ("cumulative", "right"), ("rewards", "right")],
    )
    last = len(r.days) - 1
    for i, d in enumerate(r.days):
        if i % 7 == 6 or i == last or i == r.pool_day_index:
            t.add_row(
                str(d.day),
                thousands(d.new_users),
                thousands(d.cumulative),
                money(d.rewards_cumulative, cur),
            )
    console.print(t)


def _print_gala(g: Any, cur: str) -> None:
    from rich.markup import escape

    from xhsgrow.cli.console import out
    from xhsgrow.planning.figures import amount

    console = out()
    t = _table(
        f"Capacity check: peak second = round mean × {g.peak_to_mean:g} (peak-to-mean)",
        [
            ("round", "left"),
            ("at", "left"),
            ("users × taps", "right"),
            ("mean rps", "right"),
            ("peak rps", "right"),
            ("headroom", "right"),
            ("%", "right"),
        ],
    )
    for c in g.rounds:
        style = "red" if c.headroom_rps < 0 else "green"
        t.add_row(
            escape(c.name),  # a round's name is text, not markup: "Countdown [final]"
            f"{c.at:%H:%M} {c.duration_minutes}m",
            f"{_short(c.participants)} × {c.interactions_per_participant:g}",
            _short(c.mean_rps),
            _short(c.peak_rps),
            f"[{style}]{_short(c.headroom_rps)}[/]",
            f"[{style}]{c.headroom_pct:.0%}[/]",
        )
    console.print(t)
    t = _table(
        "Prizes and mechanics",
        [
            ("round", "left"),
            ("prize pool", "right"),
            ("of budget", "right"),
            ("top prize", "right"),
            ("mechanic", "left"),
            ("to WeChat", "left"),
        ],
    )
    for c in g.rounds:
        t.add_row(
            escape(c.name),
            money(c.prize_pool, cur),
            _pct(c.budget_share),
            "—" if c.top_prize is None else amount(c.top_prize, cur),
            c.mechanic,
            "yes" if c.shares_to_wechat else "no",
        )
    console.print(t)
    if g.rounds:
        word = "headroom" if g.headroom_rps >= 0 else "SHORTFALL"
        style = "green" if g.headroom_rps >= 0 else "bold red"
        console.print(
            f"capacity {g.capacity_rps:,} rps; night peak {g.peak_rps:,.0f} rps "
            f"({escape(g.peak_round)}); [{style}]{word} {abs(g.headroom_rps):,.0f} rps "
            f"({abs(g.headroom_pct):.0%} of capacity)[/]"
        )
    else:
        console.print("no rounds: nothing to check against capacity")
    console.print(
        f"prize pools {money(g.prize_pools, cur)} = {_pct(g.budget_share)} of the budget "
        f"{money(g.budget, cur)}; gala night {g.eve}"
    )
    t = _table(
        "New users per phase",
        [
            ("phase", "left"),
            ("days", "left"),
            ("share", "right"),
            ("expected", "right"),
            ("from", "left"),
        ],
    )
    for ph in g.phases:
        t.add_row(
            ph.name,
            f"{ph.start} → {ph.end}",
            _pct(ph.share),
            thousands(ph.expected_new_users),
            ph.source,
        )
    t.add_row("total", "", "", thousands(g.expected_new_users), "")
    console.print(t)
    ret = ", ".join(f"d{d} {v:.1%}" for d, v in g.retention.items())
    console.print(
        f"retention assumed after the night: floor {g.retention_floor:.0%} + "
        f"(1 − floor) × (1 − {g.retention_decay:g})^day → {ret}"
    )


def _print_partnership(p: Any) -> None:
    from rich.markup import escape

    from xhsgrow.cli.console import out
    from xhsgrow.planning.gantt import span, text_rows

    console = out()
    rows, axis = text_rows(p.timeline)
    width = min(40, max(len(r.label) for r in rows))
    first, last = span(p.timeline)  # the axis's ends
    console.print(f"[bold]Timeline[/]  {first} → {last}")
    colours = {"platform": "blue", "government": "green", "both": "bright_black"}
    for r in rows:
        it = r.item
        colour = "red" if it.late else colours.get(it.party, "magenta")
        label = r.label if len(r.label) <= width else r.label[: width - 1] + "…"
        who = f" {it.party}" if it.party and it.kind != "agreement" else ""
        when = f"{it.end}" if it.kind == "milestone" else f"→ {it.end}"
        late = " [red]late[/]" if it.late else ""
        console.print(f"{escape(label):<{width}} [{colour}]{r.bar}[/] {when}{escape(who)}{late}")
    console.print(f"{'':<{width}} {axis}")
    if p.region_sums:
        t = _table(
            "Regional targets",
            [
                ("metric", "left"),
                ("regions", "left"),
                ("sum", "right"),
                ("total", "right"),
                ("gap", "right"),
            ],
        )
        for s in p.region_sums:
            regions = ", ".join(f"{name} {v:,.0f}" for _, name, v in s.regions)
            gap = "—" if s.total is None else f"{s.total - s.regional:,.0f}"
            t.add_row(s.metric, regions, thousands(s.regional), thousands(s.total), gap)
        console.print(t)


def _print_findings(findings: list[Any]) -> None:
    from rich.markup import escape

    from xhsgrow.cli.console import out

    console = out()
    if not findings:
        console.print("[green]✓ no findings[/]")
        return
    console.print("[bold]Findings[/]")
    for f in findings:
        style = _SEVERITY_STYLE[f.severity]
        where = f" [dim]({f.where})[/]" if f.where else ""
        console.print(f"  [{style}]{f.severity:<7}[/] {escape(f.message)}{where}")


def _print_sweep(s: Any, cur: str) -> None:
    from xhsgrow.cli.console import out
    from xhsgrow.planning.sweep import shown_value

    t = _table(
        f"{s.campaign_id}: sweep of {s.param}",
        [("value", "right"), *((header, "right") for _, header in s.columns)],
    )
    for column in t.columns:
        column.min_width = len(str(column.header))
    for row in s.rows:
        cells = [shown_value(row.value)]
        for key, _ in s.columns:
            v = row.outcome[key]
            if key == "rewards_paid":
                cells.append(_symbol(cur) + _short(v))
            elif key == "cost_per_acquired":
                cells.append(money(v, cur, 2))
            elif key == "target_reached":
                cells.append(_reached(v))
            elif key in ("headroom_pct", "retention_d7"):
                cells.append(_pct(v))
            elif key == "k_factor":
                cells.append(f"{v:.2f}")
            elif key == "pool_runs_out":
                cells.append(f"{v:%m-%d}" if v else "—")
            elif key in ("acquired", "total_users", "peak_rps", "headroom_rps"):
                cells.append(_short(v))
            else:
                cells.append(thousands(v))
        t.add_row(*cells)
    out().print(t)


def _symbol(currency: str) -> str:
    return money(0, currency).rstrip("0")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(plan)
    app.command()(brief)
