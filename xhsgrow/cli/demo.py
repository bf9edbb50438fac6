"""The demo-data command: seeded, realistic events for the workspace's campaigns."""

from __future__ import annotations

import os
import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from xhsgrow.cli.console import plain
from xhsgrow.cli.options import parse_as_of
from xhsgrow.errors import UsageError
from xhsgrow.rendering.filters import share_percent


class DataFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


_EXT = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}
_BIG = 2_000_000  # show a progress bar from this many events on


def demo_data(
    ctx: typer.Context,
    ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="ID", help="Campaign ids (default: every campaign)."),
    ] = None,
    events: Annotated[
        int,
        typer.Option(
            "--events", "-n", help="Number of rows to write, exactly (1,000 to 2,000,000,000)."
        ),
    ] = 1_000_000,
    seed: Annotated[
        int, typer.Option("--seed", help="Same seed, same file (0 to 2147483647).")
    ] = 2025,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write, named .parquet, .csv or .jsonl (track tells the format by it; "
            "default: demo-data/events.FORMAT in the workspace). Missing folders are made; an "
            "existing file is replaced once the new one is complete.",
        ),
    ] = None,
    format: Annotated[
        DataFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="parquet | csv | jsonl (default: from --out's suffix; parquet without --out).",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Stop the data at the end of this day (campaigns mid-flight). Default: the "
            "windows run to their end, with activity for 35 days after.",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Generate seeded, realistic demo events for the workspace's campaigns.

    Writes exactly --events rows in the event data contract (docs/data.md),
    read from each spec: signups along its pacing curve with regional skew,
    channels and age bands; activation and retention decay; referral chains;
    a fraud ring (shared devices, one /24, bursts, never active after the
    reward); rewards with the spec's amounts, caps and tiers; merchants in the
    partner's counties; the gala night's spike at each red-envelope round.

    A few dirty rows (re-sent duplicates, unknown event names, test signups
    before the window, malformed times in CSV / JSON Lines) give data quality
    something to count. Same seed, same file; it appears only when complete.

    Example:

        xhsgrow demo-data --events 10000000 --seed 7 --out events.parquet
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.data.demo import format_for, generate_demo_events
    from xhsgrow.specs import load_campaigns

    ws = workspace_from(ctx)
    day = parse_as_of(as_of)
    if out is None:
        fmt = format.value if format else "parquet"
        out = ws.root / "demo-data" / f"events.{_EXT[fmt]}"
    else:
        fmt = format_for(out, format.value if format else None)
    if not ws.campaigns_dir.is_dir() or not ws.spec_files():
        raise UsageError(
            f"no campaigns in {ws.campaigns_dir}",
            hint="run `xhsgrow init` to create a workspace with example campaigns",
        )
    campaigns = load_campaigns(ws, ids or None)
    progress, stop = _progress(events, quiet)
    try:
        summary = generate_demo_events(
            campaigns,
            out,
            events=events,
            seed=seed,
            fmt=fmt,
            as_of=day,
            timezone=ws.settings.timezone,
            progress=progress,
        )
    finally:
        stop()
    shown = _shown(summary.path)
    plain(
        f"wrote {summary.rows:,} events to {shown} ({fmt}, seed {seed}) in {summary.seconds:.1f}s"
    )
    for event, n in summary.by_event.items():
        plain(f"  {event:<20} {n:>14,}")
    for cid, users in summary.users.items():
        scale = summary.scales[cid]
        share = share_percent(scale, 1)
        note = "" if scale >= 0.999 else f"  ({share} of the users its targets call for)"
        plain(f"  {cid}: {users:,} users acquired{note}")
    if summary.scale < 0.999:
        plain(
            "note: too few --events for every campaign at the size its targets call for: "
            "small campaigns come first, the rest are scaled down (expect them off track). "
            f"Full size needs about --events {_round_up(summary.full_size_events):,}."
        )
    until = summary.as_of or summary.horizon
    # the step must run as printed: from here, on the same workspace, for the same campaigns
    step = ["xhsgrow", *_workspace_args(ctx, ws.root), "track"]
    step += [c.id for c in campaigns] if ids else []
    step += ["--data", shown, "--as-of", until.isoformat()]
    plain(f"\nNext: {shlex.join(step)}")


def _workspace_args(ctx: typer.Context, root: Path) -> list[str]:
    """``-w ROOT`` when the workspace was named (-w or XHSGROW_WORKSPACE), else nothing: a
    workspace found from the current folder is found again by the next command."""
    obj = ctx.find_root().obj or {}
    return ["-w", _shown(root)] if obj.get("workspace") else []


def _round_up(n: int) -> int:
    """``n`` rounded up to two significant digits (a hint, not a promise)."""
    step = 10 ** max(len(str(n)) - 2, 0)
    return -(-n // step) * step


def _shown(path: Path) -> str:
    """``path`` as the user can find it from here: relative inside the current folder,
    absolute elsewhere (not ``../../tmp/demo/events.parquet`` for /tmp/demo)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(Path(path).absolute()) if rel == ".." or rel.startswith(".." + os.sep) else rel


def _progress(events: int, quiet: bool) -> tuple[Any, Any]:
    """A rich progress bar on stderr for big runs, only when stderr is a terminal (in a pipe
    or a CI log it would leave a blank line); (callback, stop)."""
    if quiet or events < _BIG or not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from xhsgrow.cli.console import err

    bar = Progress(
        TextColumn(f"generating {events:,} events"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err(),
        transient=True,
    )
    task = bar.add_task("events", total=1.0)
    bar.start()

    def update(done: float) -> None:
        bar.update(task, completed=done)

    return update, bar.stop


def demo_workspace(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Argument(metavar="DIR", help="New folder for the demo workspace (missing or empty)."),
    ],
    ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="ID", help="Campaigns to include (default: all)."),
    ] = None,
    events: Annotated[
        int,
        typer.Option(
            "--events",
            "-n",
            help="Number of event rows to generate, exactly (1,000 to 2,000,000,000).",
        ),
    ] = 2_000_000,
    seed: Annotated[
        int, typer.Option("--seed", help="Same seed, same workspace (0 to 2147483647).")
    ] = 2025,
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of",
            metavar="DATE",
            help="Stop the events at the end of this day, as if the campaigns were mid-flight "
            "(YYYY-MM-DD; the default is a week after the 2027 gala's eve, as in `make demo`).",
        ),
    ] = "2027-02-12",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Build a self-contained demo workspace: demo events and the campaigns scaled to them.

    A few million demo events can hold only a small share of the users real campaigns aim
    for, so the campaigns are copied with their user targets, budgets and pools scaled by
    the same share (and merchant targets by the share of merchants generated); tracking
    against the copies stays exact and the statuses mean something.
    The folder gets campaigns/, events.parquet and an xhsgrow.toml pointing at the events.

    Example:

        xhsgrow demo-workspace demo/ --events 2000000 && xhsgrow -w demo/ track --as-of 2027-02-12
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.data.demo_workspace import write_demo_workspace
    from xhsgrow.specs import load_campaigns

    day = parse_as_of(as_of)
    if out.resolve() == Path.cwd().resolve():
        # it is built beside and renamed into place: the folder you are in cannot be replaced
        raise UsageError(
            f"DIR {out} is the current folder; demo-workspace makes a new folder",
            hint="name a new folder, e.g. `xhsgrow demo-workspace demo`",
        )
    ws = workspace_from(ctx)
    campaigns = load_campaigns(ws, ids or None)
    progress, stop = _progress(events, quiet)
    try:
        demo = write_demo_workspace(
            ws, campaigns, out, events=events, seed=seed, as_of=day, progress=progress
        )
    finally:
        stop()
    plain(f"wrote {demo.rows:,} events to {_shown(demo.events)}")
    for cid, scale in sorted(demo.scales.items()):
        merchants = min(demo.merchant_scales.get(cid, 1.0), 1.0)
        also = f", merchants to {share_percent(merchants)}" if merchants < 1 else ""
        plain(f"  {cid}: targets scaled to {share_percent(min(scale, 1.0))}{also}")
    plain(f"\nNext: {shlex.join(['xhsgrow', '-w', str(out), 'track', '--as-of', str(day)])}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("demo-data")(demo_data)
    app.command("demo-workspace")(demo_workspace)
