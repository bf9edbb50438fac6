"""`xhsgrow track`: campaigns against their targets, from event data or a metrics endpoint."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from xhsgrow.cli.options import EngineOpt, engine_name, parse_as_of
from xhsgrow.errors import EXIT_FAILED


class TrackFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class FailOn(StrEnum):
    at_risk = "at-risk"
    off_track = "off-track"


class By(StrEnum):
    region = "region"
    channel = "channel"
    age_band = "age_band"


STATUS_STYLE = {
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "bold red",
    "not_started": "dim",
    "ended": "cyan",
    "no_data": "dim",
}


def track(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="ID", help="Campaign ids (default: every campaign)."),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            "-d",
            metavar="PATH|GLOB|URL",
            help="Event file, glob or folder (CSV, Parquet, JSON Lines), or the URL of a "
            "daily-aggregates endpoint; with --engine spark also table:NAME (a catalog table) "
            "or an object-store URI (s3a://…). "
            "Default: $XHSGROW_DATA, then data.source in xhsgrow.toml.",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="Track as of the end of this day (default: today)."
        ),
    ] = None,
    format: Annotated[TrackFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TrackFormat.table
    ),
    fail_on: Annotated[
        FailOn | None,
        typer.Option("--fail-on", help="Exit 1 when any campaign is at or below this status."),
    ] = None,
    by: Annotated[
        By | None, typer.Option("--by", help="Also break the figures down by this segment.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Any malformed row is an error (exit 2).")
    ] = False,
    engine: EngineOpt = None,
) -> None:
    """Track campaigns against their targets: actual, expected to date, pace, forecast, status.

    Reads the events once, with DuckDB or (--engine spark) Apache Spark, and computes every
    metric of docs/metrics.md for every campaign; only daily aggregates come back. Status is
    on track / at risk / off track from the pace against the spec's curve (or not started /
    ended / no data). Exit code 1 under --fail-on when a campaign is at or below that status, 2 on a
    usage or input error.

    Example:

        xhsgrow track --data events/*.parquet --as-of 2025-02-10 --by channel --fail-on off-track

        xhsgrow track --engine spark --data table:dw.app_events
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.cli.console import warn_no_figures
    from xhsgrow.tracking.engine import fail_statuses
    from xhsgrow.tracking.engine import track as run

    day = parse_as_of(as_of)
    ws = workspace_from(ctx)
    progress, stop = _progress()
    try:
        result = run(
            ws,
            ids or None,
            data=data,
            as_of=day,
            strict=strict,
            progress=progress,
            engine=engine_name(engine),
        )
    finally:
        stop()
    if format is TrackFormat.json:
        import json

        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    elif format is TrackFormat.csv:
        _csv(result, by.value if by else None)
    else:
        _table(result, by.value if by else None)
    warn_no_figures(result)
    if fail_on is not None:
        failing = fail_statuses(fail_on.value)
        bad = [c for c in result.campaigns if c.status in failing]
        if bad:
            from xhsgrow.cli.console import err

            names = ", ".join(f"{c.id} ({c.status.replace('_', ' ')})" for c in bad)
            err().print(f"[red]--fail-on {fail_on.value}:[/] {names}")
            raise typer.Exit(EXIT_FAILED)


def _progress() -> tuple[Any, Any]:
    """A spinner with the current step on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from xhsgrow.cli.console import err

    bar = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err(),
        transient=True,
    )
    task = bar.add_task("reading events", total=1.0)
    bar.start()

    def update(label: str, share: float) -> None:
        bar.update(task, description=label, completed=share)

    return update, bar.stop


def _fmt(value: Any, kind: str = "count") -> str:
    """Numbers a growth lead reads at a glance: 1,234 / 45.2K / 3.23M / 12.5%."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "pace":
        return f"{value:.0%}"
    if kind == "ratio":
        return f"{value:.2f}"
    v = float(value)
    if abs(v) >= 10_000_000:
        return f"{v / 1_000_000:.1f}M"
    if abs(v) >= 1_000_000:
        return f"{v / 1_000_000:.2f}M"
    if abs(v) >= 100_000:
        return f"{v / 1_000:.0f}K"
    if kind == "money" and abs(v) < 1_000:
        return f"{v:,.2f}"
    return f"{round(v):,}"


_SHORT = {"acquired": "acq.", "activated": "act.", "merchants_onboarded": "merch.", "cost": "cost"}
_RATE_METRICS = ("retention_d1", "retention_d7", "retention_d30", "k_factor")


def _value_kind(metric: str) -> str:
    if metric == "k_factor":
        return "ratio"
    if metric in _RATE_METRICS or metric.endswith("_rate"):
        return "rate"
    if metric in ("cost", "cost_per_activated", "budget_spend"):
        return "money"
    return "count"


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, '')}]{status.replace('_', ' ')}[/]"


def _table(result: Any, by: str | None) -> None:
    from rich.table import Table

    from xhsgrow.cli.console import out

    console = out()
    for c in result.campaigns:
        console.print()
        console.print(
            f"[bold]{c.name}[/] [dim]({c.id}, {c.kind})[/]  {_status(c.status)}\n"
            f"[dim]window {c.window_start} .. {c.window_end} · as of {c.as_of} · "
            f"{c.elapsed_share:.0%} of the curve elapsed · budget {c.budget:,.0f} {c.currency}[/]"
        )
        table = Table(show_edge=False, header_style="bold")
        for col in ("target", "goal", "actual", "expected", "pace", "forecast", "status"):
            left = col in ("target", "status")
            table.add_column(col, justify="left" if left else "right", no_wrap=True)
        for t in c.targets:
            kind = _value_kind(t.metric)
            table.add_row(
                t.metric.replace("_", " "),
                _fmt(t.target, kind),
                _fmt(t.actual, kind),
                _fmt(t.expected_to_date, kind) if t.kind == "cumulative" else "",
                # a ceiling's "pace" (how far under it we are) reads as nonsense: 2530%
                _fmt(t.pace, "pace") if t.kind != "ceiling" else "",
                _fmt(t.forecast, kind),
                _status(t.status),
            )
        if c.targets:
            console.print(table)
        m = c.metrics
        line = [
            f"acquired {_fmt(m.get('acquired'))}",
            f"activated {_fmt(m.get('activated'))}",
            f"D1 {_fmt(m.get('retention_d1'), 'rate')}",
            f"D7 {_fmt(m.get('retention_d7'), 'rate')}",
            f"D30 {_fmt(m.get('retention_d30'), 'rate')}",
            f"cost {_fmt(m.get('cost'), 'money')}",
            f"per activated {_fmt(m.get('cost_per_activated'), 'money')}",
            f"budget burn {_fmt(m.get('budget_burn'), 'rate')}",
        ]
        if c.referral:
            r = c.referral
            line += [
                f"invites {_fmt(r.invites)}",
                f"K {_fmt(r.k_factor, 'ratio')}",
                f"fraud flags {len(r.fraud_flags)} ({_fmt(r.money_at_risk, 'money')} at risk)",
            ]
        if c.partnership:
            p = c.partnership
            late = sum(1 for x in p.milestones if x.state == "overdue")
            line += [
                f"acquired in region {_fmt(p.acquired_in_region)}",
                f"merchants {_fmt(p.merchants_onboarded)}",
                f"milestones overdue {late}",
            ]
        if c.gala and c.gala.peak_minute:
            line += [
                f"peak minute {c.gala.peak_minute:%m-%d %H:%M} "
                f"({_fmt(c.gala.peak_minute_interactions)} interactions)"
            ]
        console.print("[dim]" + " · ".join(line) + "[/]")
        if by:
            seg = Table(title=f"by {by}", show_edge=False, header_style="bold")
            for col in (
                "segment",
                "acquired",
                "activated",
                "cost",
                "merchants",
                "target",
                "status",
            ):
                left = col in ("segment", "status")
                seg.add_column(col, justify="left" if left else "right", no_wrap=True)
            for s in c.segments:
                if s.dimension != by:
                    continue
                label = f"{s.label} ({s.value})" if s.label != s.value else s.value
                goals = s.targets  # (one line each in the cell)
                seg.add_row(
                    label,
                    _fmt(s.metrics.get("acquired")),
                    _fmt(s.metrics.get("activated")),
                    _fmt(s.metrics.get("cost"), "money"),
                    _fmt(s.metrics.get("merchants_onboarded")),
                    "\n".join(f"{_fmt(t.target)} {_SHORT.get(t.metric, t.metric)}" for t in goals),
                    "\n".join(_status(t.status) for t in goals),
                )
            console.print(seg)
    q = result.data_quality
    # (rows of untracked campaigns and unattributed rows are named only when there are some:
    # the first is routine when tracking one campaign of several)
    rare = "".join(
        f", {n:,} {what}"
        for n, what in ((q.other_campaigns, "of other campaigns"), (q.unattributed, "unattributed"))
        if n
    )
    console.print(
        f"\n[dim]{_count(q.rows_read, 'row')} read from {result.source}: "
        f"{q.rows_rejected:,} rejected, {_count(q.unknown_events, 'unknown event')}, "
        f"{_count(q.duplicates, 'duplicate')}, {q.outside_windows:,} outside windows, "
        f"{q.after_as_of:,} after as-of{rare}[/]"
    )
    for r in q.rejected_samples:
        console.print(f"[yellow]  rejected {r.file}:{r.line}: {r.reason}[/]")


def _count(n: int, noun: str) -> str:
    """``n`` with its noun: "1 row", "2,000 rows"."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _csv(result: Any, by: str | None) -> None:
    import csv

    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(
        [
            "campaign",
            "campaign_status",
            "as_of",
            "dimension",
            "value",
            "metric",
            "kind",
            "target",
            "actual",
            "expected_to_date",
            "pace",
            "forecast",
            "status",
        ]
    )

    def num(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return str(int(v)) if v.is_integer() else f"{v:.6f}".rstrip("0")
        return str(v)

    def target_row(c: Any, dim: str, value: str, t: Any) -> list[Any]:
        head = (c.id, c.status, c.as_of, dim, value, t.metric, t.kind)
        tail = (t.target, t.actual, t.expected_to_date, t.pace, t.forecast)
        return [*head, *(num(x) for x in tail), t.status]

    for c in result.campaigns:
        for t in c.targets:
            w.writerow(target_row(c, "", "", t))
        for s in c.segments:
            for t in s.targets:  # one line per segment target
                w.writerow(target_row(c, s.dimension, s.value, t))
            if not s.targets and s.dimension == by:
                for metric, v in s.metrics.items():
                    head = (c.id, c.status, c.as_of, s.dimension, s.value, metric, "segment")
                    w.writerow([*head, "", num(v), "", "", "", ""])


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(track)
