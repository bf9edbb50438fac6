"""Spec commands: init, new, validate, fmt, list, show, schema."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from xhsgrow.cli.console import in_github_actions, plain
from xhsgrow.errors import EXIT_FAILED, SpecError, UsageError


class KindArg(StrEnum):
    referral = "referral"
    partnership = "partnership"
    gala = "gala"


class StatusArg(StrEnum):
    draft = "draft"
    approved = "approved"
    live = "live"
    paused = "paused"
    ended = "ended"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class CheckFormat(StrEnum):
    text = "text"
    json = "json"


def init(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Folder to create the workspace in.")
    ] = Path("."),
) -> None:
    """Create a workspace: xhsgrow.toml, templates/ and an example campaign of each kind.

    Never overwrites an existing file, and leaves nothing behind when it fails.

    Example:

        xhsgrow init growth-campaigns && cd growth-campaigns && xhsgrow list
    """
    from xhsgrow.specs import init_workspace

    written = init_workspace(directory)
    for path in written:
        plain(f"created {path}")
    plain(f"\nNext: cd {directory} && xhsgrow validate && xhsgrow list")


def new(
    ctx: typer.Context,
    kind: Annotated[KindArg, typer.Argument(metavar="KIND", help="Campaign kind.")],
    campaign_id: Annotated[str, typer.Argument(metavar="ID", help="Campaign id = file name.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing spec.")] = False,
) -> None:
    """Scaffold campaigns/ID.toml with realistic defaults that validate as written.

    Example:

        xhsgrow new referral cny-2027-invite
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.specs import new_spec
    from xhsgrow.specs.store import display_path

    shown = display_path(new_spec(workspace_from(ctx), kind.value, campaign_id, force=force))
    plain(f"created {shown}")
    plain(f"Next: edit it, then run `xhsgrow validate {shown}`")


def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH", help="Spec files or folders (default: the workspace's campaigns/)."
        ),
    ] = None,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="Output format.")] = (
        CheckFormat.text
    ),
) -> None:
    """Check specs and report every error as `file:line:col: key: message`.

    Exit code 0 when all are valid, 1 when any is not, 2 on a usage error. Under GitHub
    Actions each error is also written as an `::error` annotation on the file and line.

    Example:

        xhsgrow validate campaigns/ --format json
    """
    from xhsgrow.specs import validate_paths

    targets = _spec_paths(ctx, paths)
    report = validate_paths(targets)
    if format is CheckFormat.json:
        doc = {
            "ok": report.ok,
            "files": [
                {
                    "path": path,
                    "valid": not problems,
                    "errors": [
                        {"line": p.line, "col": p.col, "key": p.key, "message": p.message}
                        for p in problems
                    ],
                }
                for path, problems in report.results.items()
            ],
        }
        _print_json(doc)
    else:
        for problem in report.problems:
            plain(str(problem))
        bad = sum(1 for probs in report.results.values() if probs)
        total = len(report.results)
        if bad:
            n = len(report.problems)
            plain(f"✗ {bad} of {total} spec(s) invalid, {n} error(s)", stderr=True)
        else:
            plain(f"✓ {total} spec(s) valid", stderr=True)
    if in_github_actions():
        # with --format json, stdout is one JSON document for tools (`| jq`): the runner reads
        # workflow commands from stderr too
        to_stderr = format is CheckFormat.json
        for p in report.problems:
            message = f"{p.key}: {p.message}" if p.key else p.message
            where = f"file={_gha_property(p.path)},line={p.line},col={p.col}"
            plain(f"::error {where}::{_gha_escape(message)}", stderr=to_stderr)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _print_json(doc: Any) -> None:
    import json  # not at the top: the text output of `validate` never needs it

    plain(json.dumps(doc, indent=2, ensure_ascii=False))


def _gha_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gha_property(text: str) -> str:
    """A workflow command's property value: ',' and ':' end it unless escaped (as the
    runner's own toolkit does), so a folder named "2027,Q1" keeps its whole path."""
    return _gha_escape(text).replace(":", "%3A").replace(",", "%2C")


def _spec_paths(ctx: typer.Context, paths: list[Path] | None) -> list[Path]:
    from xhsgrow.cli.app import workspace_from

    if not paths:
        from xhsgrow.specs.store import check_campaigns_dir

        ws = workspace_from(ctx)
        check_campaigns_dir(ws)  # a file in its place: the same error as `list` gives
        if not ws.campaigns_dir.is_dir():
            raise UsageError(
                f"no campaigns/ folder in {ws.root}",
                hint="run `xhsgrow init` to create a workspace, or name spec files",
            )
        paths = [ws.campaigns_dir]
    from xhsgrow.specs.store import spec_files_in

    for p in paths:
        try:
            exists, is_dir = p.exists(), p.is_dir()
        except OSError as exc:  # a name too long for the file system, say
            raise UsageError(f"{p}: {exc.strerror or exc}") from None
        if not exists:
            raise UsageError(f"{p}: no such file or folder")
        if is_dir and not spec_files_in(p):
            raise UsageError(f"{p}: no .toml spec files in this folder")
    return paths


def fmt(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="PATH", help="Spec files or folders (default: the workspace's campaigns/)."
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 and list files to reformat.")
    ] = False,
) -> None:
    """Rewrite specs in canonical key order and layout, keeping every comment and value.

    Idempotent: formatting a formatted file changes nothing. A file that cannot be read, or
    that fmt cannot format without changing a value or a comment, or that cannot be written,
    is named and left as it is; the other files are still formatted (exit 1 after a syntax
    error, 2 after the others).

    Example:

        xhsgrow fmt --check campaigns/
    """
    from xhsgrow.cli.console import report_error
    from xhsgrow.specs.fmt import FormatError, format_file
    from xhsgrow.specs.store import display_path, expand_paths

    files = expand_paths(_spec_paths(ctx, paths))
    changed: list[Path] = []
    broken = 0
    refused: list[FormatError] = []
    unwritten = 0
    for path in files:
        try:
            if format_file(path, write=not check):
                changed.append(path)
        except SpecError as exc:  # unreadable or not TOML: say where, format the others
            broken += 1
            for problem in exc.problems:
                plain(str(problem), stderr=True)
        except FormatError as exc:  # the safety net kept it as it was: say so, go on
            broken += 1
            refused.append(exc)
            report_error(FormatError(exc.message))  # its hint once, after the summary
        except UsageError as exc:  # not written (a full disk, a read-only file): left as it was
            broken += 1
            unwritten += 1
            report_error(exc)
    verb = "would reformat" if check else "reformatted"
    for path in changed:
        plain(f"{verb} {display_path(path)}")
    unchanged = len(files) - len(changed) - broken
    summary = f"{len(changed)} {verb}, {unchanged} unchanged"
    if check and not changed and not broken:
        summary = f"{len(files)} file(s) already formatted"
    if broken:
        summary += f", {broken} not formatted (see the errors above)"
    plain(summary, stderr=True)
    for hint in dict.fromkeys(exc.hint for exc in refused if exc.hint):
        plain(f"Hint: {hint}", stderr=True)
    if check and changed:
        plain("run `xhsgrow fmt` to reformat", stderr=True)
    if refused or unwritten:
        raise typer.Exit(FormatError.exit_code)
    if broken or (check and changed):
        raise typer.Exit(EXIT_FAILED)


def list_(
    ctx: typer.Context,
    kind: Annotated[KindArg | None, typer.Option("--kind", help="Only this kind.")] = None,
    status: Annotated[StatusArg | None, typer.Option("--status", help="Only this status.")] = None,
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ListFormat.table
    ),
) -> None:
    """List the workspace's campaigns: id, kind, status, window, main target, budget.

    Example:

        xhsgrow list --kind referral --status live
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.specs import load_campaigns

    campaigns = load_campaigns(workspace_from(ctx))
    if kind:
        campaigns = [c for c in campaigns if c.kind == kind.value]
    if status:
        campaigns = [c for c in campaigns if c.status == status.value]
    if format is ListFormat.json:
        rows = [
            {
                "id": c.id,
                "kind": c.kind,
                "status": c.status,
                "name": c.name,
                "start": c.window.start.isoformat(),
                "end": c.window.end.isoformat(),
                "timezone": c.window.timezone,
                "main_target": _main_target(c),
                "budget": c.budget.amount,
                "currency": c.budget.currency,
            }
            for c in campaigns
        ]
        _print_json(rows)
        return
    from rich import box
    from rich.table import Table

    from xhsgrow.cli.console import out

    table = Table(title=f"{len(campaigns)} campaign(s)", title_justify="left", box=box.SIMPLE_HEAD)
    # ids and money are never cut; on a narrow terminal the window and target wrap instead
    widest_id = max((len(c.id) for c in campaigns), default=2)
    table.add_column("id", no_wrap=True, min_width=widest_id)
    table.add_column("kind", overflow="fold")
    table.add_column("status", overflow="fold")
    table.add_column("window", min_width=10)
    table.add_column("main target", justify="right", min_width=10)
    table.add_column("budget", justify="right", no_wrap=True)
    for c in campaigns:
        target = _main_target(c)
        table.add_row(
            c.id,
            c.kind,
            _status_markup(c.status),
            _window(c.window.start, c.window.end),
            f"{target['value']:,} {target['metric']}" if target else "—",
            _money(c.budget.amount, c.budget.currency),
        )
    out().print(table)


def _window(start: Any, end: Any) -> str:
    """2025-01-13 → 02-28 within a year; both dates in full across years."""
    return f"{start} → {end:%m-%d}" if start.year == end.year else f"{start} → {end}"


def _main_target(c: Any) -> dict[str, Any] | None:
    for metric in ("acquired", "merchants_onboarded", "activated"):
        value = getattr(c.targets, metric, None)
        if value is not None:
            return {"metric": metric, "value": value}
    return None


def _money(amount: float, currency: str) -> str:
    symbol = "¥" if currency == "CNY" else f"{currency} "
    return f"{symbol}{amount:,.0f}"


_STATUS_COLOURS = {
    "draft": "dim",
    "approved": "cyan",
    "live": "green",
    "paused": "yellow",
    "ended": "blue",
}


def _status_markup(status: str) -> str:
    return f"[{_STATUS_COLOURS.get(status, 'white')}]{status}[/]"


def show(
    ctx: typer.Context,
    campaign_id: Annotated[str, typer.Argument(metavar="ID", help="Campaign id.")],
    format: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ListFormat.table
    ),
) -> None:
    """Show one campaign's whole spec as a readable panel (or JSON).

    Example:

        xhsgrow show gala-2027 --format json
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.specs import load_campaigns

    (campaign,) = load_campaigns(workspace_from(ctx), [campaign_id])
    data = campaign.model_dump(mode="json")
    if format is ListFormat.json:
        _print_json(data)
        return
    from rich.markup import escape
    from rich.panel import Panel
    from rich.tree import Tree

    from xhsgrow.cli.console import out

    # the name is the user's text: "[/]" or "[bold]" in it is shown, not read as markup
    name = escape(campaign.name)
    tree = Tree(f"[bold]{name}[/]  ({campaign.kind}, {_status_markup(campaign.status)})")
    _add_tree(tree, {k: v for k, v in data.items() if k not in ("name", "kind", "status")})
    # soft_wrap off for the panel: long values (notes) wrap inside it instead of being cut
    out().print(Panel(tree, title=campaign.id, title_align="left"), soft_wrap=False)


def _add_tree(node: Any, value: Any) -> None:
    from rich.markup import escape

    if isinstance(value, dict):
        for key, item in value.items():
            if item in (None, [], "", {}):
                continue
            if isinstance(item, dict | list):
                _add_tree(node.add(f"[bold cyan]{key}[/]"), item)
            else:
                node.add(f"[cyan]{key}[/] = {escape(_scalar(item))}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict | list):
                label = item.get("name") if isinstance(item, dict) else None
                _add_tree(node.add(f"[dim]{i + 1}.[/] {escape(str(label or ''))}"), item)
            else:
                node.add(escape(_scalar(item)))


def _scalar(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def schema(
    kind: Annotated[KindArg, typer.Argument(metavar="KIND", help="Campaign kind.")],
) -> None:
    """Print the JSON Schema of a kind, for editors (taplo / Even Better TOML).

    Specs start with `#:schema ../schemas/KIND.schema.json`, which `new` and `init` write.

    Example:

        xhsgrow schema gala > schemas/gala.schema.json
    """
    from xhsgrow.specs import json_schema

    _print_json(json_schema(kind.value))


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(new)
    app.command()(validate)
    app.command()(fmt)
    app.command("list")(list_)
    app.command()(show)
    app.command()(schema)
