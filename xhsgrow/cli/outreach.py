"""Outreach commands: `outreach render | send | status`, and `templates`."""

from __future__ import annotations

import json
import shlex
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from xhsgrow.cli.console import plain
from xhsgrow.cli.options import parse_as_of
from xhsgrow.errors import UsageError


class Via(StrEnum):
    smtp = "smtp"
    webhook = "webhook"
    sms_http = "sms-http"


class Format(StrEnum):
    table = "table"
    json = "json"


outreach_app = typer.Typer(
    name="outreach",
    help="Personalised messages from templates: render, send (dry run by default), status.",
    no_args_is_help=True,
)

CampaignArg = Annotated[str, typer.Argument(metavar="ID", help="Campaign id.")]
ContactsOpt = Annotated[
    Path,
    typer.Option("--contacts", "-c", help="Contacts: CSV (UTF-8, any common delimiter) or JSONL."),
]
TemplateOpt = Annotated[
    str,
    typer.Option(
        "--template",
        "-t",
        help="Template name (workspace templates/ first, then built-in) or path.",
    ),
]
DataOpt = Annotated[
    str | None,
    typer.Option("--data", help="Event data for today's tracking figures in the template."),
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", metavar="DATE", help="Track as of this day (YYYY-MM-DD).")
]


def _show(message: Any) -> None:
    from xhsgrow.outreach.send import masked

    plain(f"To: {masked(message)}")
    plain(message.as_text().rstrip("\n"))
    plain("-" * 60)


def _send_command(campaign_id: str, contacts: Path, template: str, via: Via) -> str:
    """The `outreach send` command line for these inputs, for the Next: hints."""
    return (
        f"xhsgrow outreach send {campaign_id} --contacts {shlex.quote(str(contacts))} "
        f"--template {shlex.quote(template)} --via {via.value}"
    )


def _render_problems(exc: Any) -> None:
    for problem in exc.problems[:50]:
        plain(f"  {problem}", stderr=True)
    if len(exc.problems) > 50:
        plain(f"  ... and {len(exc.problems) - 50} more", stderr=True)


def render(
    ctx: typer.Context,
    campaign_id: CampaignArg,
    contacts: ContactsOpt,
    template: TemplateOpt,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Folder: one file per message (NNNNNN.eml for email, .txt otherwise); "
            "or FILE.jsonl / FILE.mbox: every message in one file.",
        ),
    ] = None,
    preview: Annotated[
        int, typer.Option("--preview", "-p", min=0, help="Show the first N messages.")
    ] = 1,
    via: Annotated[Via, typer.Option("--via", help="Channel the messages are for.")] = Via.smtp,
    data: DataOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Render one message per contact; any error in any row stops it before a file is written.

    Templates render to header lines (Subject:, optional From: and Reply-To:), a blank
    line, and a Markdown body (email: plain text + HTML; SMS and chat: the body alone). The
    template sees `campaign` (the spec), `contact` (the row), `tracking` (with --data) and
    `today`.

    Example:

        xhsgrow outreach render leishan-2027 -c merchants.csv -t merchant-invite.zh --preview 2
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.outreach.api import render_files, render_messages
    from xhsgrow.outreach.compose import RenderErrors

    ws = workspace_from(ctx)
    common: dict[str, Any] = {
        "contacts": contacts,
        "template": template,
        "channel": via.value,
        "data": data,
        "as_of": parse_as_of(as_of),
    }
    try:
        if out is not None:
            n, first = render_files(ws, campaign_id, out, keep=preview, **common)
        else:
            rendered = render_messages(ws, campaign_id, require_address=False, **common)
            n, first = len(rendered.messages), rendered.messages[:preview]
    except RenderErrors as exc:
        _render_problems(exc)
        raise
    for message in first:
        _show(message)
    if out is not None:
        plain(
            f"wrote {n} message(s) to {out}{'' if out.suffix in ('.jsonl', '.mbox') else '/'}",
            stderr=True,
        )
    else:
        plain(f"rendered {n} message(s)", stderr=True)
    plain(f"Next: {_send_command(campaign_id, contacts, template, via)}", stderr=True)


def send(
    ctx: typer.Context,
    campaign_id: CampaignArg,
    contacts: ContactsOpt,
    template: TemplateOpt,
    via: Annotated[Via, typer.Option("--via", help="smtp, webhook or sms-http.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run/--no-dry-run", help="Dry run (default) or really send.")
    ] = True,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Send at most N messages this run.")
    ] = 1,
    no_limit: Annotated[bool, typer.Option("--no-limit", help="Send every message.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Go on although template or contacts changed.")
    ] = False,
    resend_failed: Annotated[
        bool, typer.Option("--resend-failed", help="Retry only the messages that failed.")
    ] = False,
    resend_unknown: Annotated[
        bool,
        typer.Option("--resend-unknown", help="Send again messages whose fate is unknown."),
    ] = False,
    rate: Annotated[
        str | None, typer.Option("--rate", metavar="N/min", help="Throttle, e.g. 30/min.")
    ] = None,
    quiet_hours: Annotated[
        str | None,
        typer.Option(
            "--quiet-hours",
            metavar="HH:MM-HH:MM|none",
            help="No sends in these hours, recipient's timezone (default: settings, 21:00-08:00).",
        ),
    ] = None,
    daily_cap: Annotated[
        int | None, typer.Option("--daily-cap", min=1, help="At most N sends a day on the channel.")
    ] = None,
    opt_out: Annotated[
        list[Path] | None,
        typer.Option("--opt-out", help="More do-not-contact files (do-not-contact.txt is read)."),
    ] = None,
    failed_csv: Annotated[
        Path, typer.Option("--failed-csv", help="Where the failed rows are written.")
    ] = Path("failed.csv"),
    preview: Annotated[
        int, typer.Option("--preview", "-p", min=0, help="Dry run: show the first N messages.")
    ] = 1,
    data: DataOpt = None,
    as_of: AsOfOpt = None,
) -> None:
    """Send each contact its message at most once; a dry run unless --no-dry-run.

    Renders every message first (a template error stops everything), then checks the send
    ledger: sent messages are never sent again, a rerun after a crash sends only what was
    not sent, and a message whose fate is unknown waits for --resend-unknown. Sends one
    message unless --limit N or --no-limit. Exit 0 when all went out, 1 when any failed or
    is unknown, 2 on a usage or input error.

    Example:

        xhsgrow outreach send gala-2027 -c fans.csv -t gala-reminder.zh --via smtp
            --no-dry-run --limit 50 --rate 30/min
    """
    import signal

    from xhsgrow.cli.app import workspace_from
    from xhsgrow.outreach.api import send_campaign
    from xhsgrow.outreach.compose import RenderErrors
    from xhsgrow.outreach.errors import SendFailed
    from xhsgrow.outreach.send import SendOptions, masked, parse_quiet_hours, parse_rate

    if resend_failed and resend_unknown:
        raise UsageError("use --resend-failed or --resend-unknown, not both in one run")
    # by name: ParameterSource is click's, which newer Typer versions vendor privately
    limit_source = getattr(ctx.get_parameter_source("limit"), "name", "DEFAULT")
    if no_limit and limit_source not in ("DEFAULT", "DEFAULT_MAP"):
        # either one could be the typo; with --no-dry-run the wrong guess sends to everyone
        raise UsageError("use --limit N or --no-limit, not both")
    ws = workspace_from(ctx)
    options = SendOptions(
        channel=via.value,
        dry_run=dry_run,
        limit=None if no_limit else limit,
        force=force,
        resend_failed=resend_failed,
        resend_unknown=resend_unknown,
        rate_per_min=parse_rate(rate) if rate else None,
        quiet_hours=parse_quiet_hours(quiet_hours or ws.settings.quiet_hours),
        timezone=ws.settings.timezone,
        daily_cap=daily_cap,
        failed_csv=failed_csv,
    )
    stop: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        stop.append(signum)

    def progress(item: Any, state: str, reason: str) -> None:
        # "send": the channel went down before it took the message, which stays pending
        mark = {
            "sent": "✓ sent   ",
            "failed": "✗ failed ",
            "unknown": "? unknown",
            "send": "· pending",
        }.get(state, state)
        tail = f"  {reason}" if reason and state != "sent" else ""
        plain(f"{mark} {masked(item.message)}{tail}")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        _, report = send_campaign(
            ws,
            campaign_id,
            contacts=contacts,
            template=template,
            options=options,
            extra_opt_outs=opt_out,
            data=data,
            as_of=parse_as_of(as_of),
            progress=progress,
            should_stop=lambda: bool(stop),
        )
    except RenderErrors as exc:
        _render_problems(exc)
        raise
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)

    if report.dry_run:
        to_send = [p for p in report.plan if p.state == "send"]
        for item in to_send[:preview]:
            _show(item.message)
        failing = [p for p in report.plan if p.state == "would_fail"]
        for item in failing[:50]:
            plain(f"✗ would fail {masked(item.message)}  {item.reason}")
        if len(failing) > 50:
            plain(f"  ... and {len(failing) - 50} more")
    _summary(report)
    _hint(report, _send_command(campaign_id, contacts, template, via), options)
    if report.failed_csv_error is not None:
        raise report.failed_csv_error
    if report.aborted:
        raise SendFailed(
            f"stopped: {report.aborted}; {report.sent} sent this run",
            hint="nothing unsent is lost: rerun the same command when the channel is back",
        )
    if report.failed or report.unknown:
        raise SendFailed(f"{report.failed} failed, {report.unknown} unknown in this run")


def _summary(report: Any) -> None:
    c = report.count
    verb = "would send" if report.dry_run else "sent"
    n = sum(1 for p in report.plan if p.state == "send") if report.dry_run else report.sent
    parts = [f"{verb} {n}"]
    if report.dry_run and c("would_fail"):  # what the send will record as failed
        parts.append(f"would fail {c('would_fail')}")
    if not report.dry_run:
        parts += [f"failed {report.failed}", f"unknown {report.unknown}"]
        if c("send"):  # the message the channel did not take when it went down
            parts.append(f"not sent (channel down) {c('send')}")
    for state, label in [
        ("sent", "already sent"),
        ("failed", "failed earlier"),
        ("unknown", "unknown fate"),
        ("opted_out", "opted out"),
        ("duplicate", "duplicate address"),
        ("quiet", "deferred (quiet hours)"),
        ("capped", "over daily cap"),
        ("limit", "left for later runs"),
        ("pending", "not yet sent (skipped by --resend-failed)"),
    ]:
        if c(state):
            parts.append(f"{label} {c(state)}")
    prefix = "Dry run, nothing sent: " if report.dry_run else ""
    plain(f"{prefix}{', '.join(parts)} (of {report.total} via {report.channel})", stderr=True)
    if report.stopped:
        plain("stopped by a signal once the message in flight was settled", stderr=True)
    if report.interrupted_before:
        plain(
            f"{report.interrupted_before} message(s) were being sent when an earlier run "
            "stopped: their fate is unknown",
            stderr=True,
        )
    if report.changed:
        plain(
            f"note: {' and '.join(report.changed)} changed since the last run (--force)",
            stderr=True,
        )
    if report.failed_csv:
        plain(f"failed rows written to {report.failed_csv}", stderr=True)


def _hint(report: Any, base: str, options: Any) -> None:
    c = report.count
    hints: list[str] = []
    limit = "--no-limit" if options.limit is None else f"--limit {options.limit}"
    if report.dry_run:
        if c("send") or c("would_fail"):
            hints.append(f"{base} --no-dry-run {limit}")
    else:
        if c("limit") or c("capped") or c("quiet") or c("send"):
            hints.append(f"{base} --no-dry-run {limit}   # sends the rest")
        if c("pending"):  # skipped by --resend-failed: new rows, corrected addresses too
            hints.append(f"{base} --no-dry-run {limit}   # sends the rows not yet sent")
        if c("failed") or report.failed:
            hints.append(f"{base} --no-dry-run --resend-failed --no-limit   # after fixing")
        if c("unknown") or report.unknown:
            hints.append(f"{base} --no-dry-run --resend-unknown   # only if they did not arrive")
    hints.append(f"xhsgrow outreach status {report.campaign}")
    plain("Next: " + hints[0], stderr=True)
    for h in hints[1:]:
        plain("      " + h, stderr=True)


def status(
    ctx: typer.Context,
    campaign_id: CampaignArg,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = (
        Format.table
    ),
) -> None:
    """Show sent / failed / unknown / pending counts per template from the send ledger.

    Pending counts the last run's contacts not yet sent, failed or unknown. Failed and
    unknown messages are listed with their reason (addresses masked).

    Example:

        xhsgrow outreach status leishan-2027
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.outreach.api import ledger_status

    rows = ledger_status(workspace_from(ctx), campaign_id)
    if format is Format.json:
        doc = [
            {
                "template": r.template,
                **r.counts,
                "last_run": r.last_run.started_at if r.last_run else None,
                "problems": [
                    {"recipient": e.recipient, "status": e.status, "reason": e.reason}
                    for e in r.problems
                ],
            }
            for r in rows
        ]
        plain(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    if not rows:
        plain(f"no messages recorded for '{campaign_id}' yet")
        return
    from rich.table import Table

    from xhsgrow.cli.console import out

    table = Table(title=f"outreach for {campaign_id}", title_justify="left")
    for col in ("template", "sent", "failed", "unknown", "pending", "last run"):
        table.add_column(col, justify="left" if col in ("template", "last run") else "right")
    for r in rows:
        table.add_row(
            r.template,
            *(str(r.counts[k]) for k in ("sent", "failed", "unknown", "pending")),
            r.last_run.started_at[:16].replace("T", " ") if r.last_run else "—",
        )
    out().print(table)
    for r in rows:
        for e in r.problems[:20]:
            state = "unknown" if e.status == "sending" else e.status
            plain(f"{state:8} {e.recipient}  {e.reason}  ({r.template})")


def templates(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = (
        Format.table
    ),
) -> None:
    """List every template, built-in or the workspace's, and which copy wins.

    A file in the workspace's templates/ with the same name as a built-in one overrides it.

    Example:

        xhsgrow templates
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.rendering.env import builtin_dir, list_templates

    ws = workspace_from(ctx)
    found = list_templates(ws.templates_dir)
    if format is Format.json:
        doc = [
            {
                "name": t.name,
                "used": t.origin,
                "path": str(t.path),
                "overrides_builtin": t.shadows_builtin,
            }
            for t in found
        ]
        plain(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    width = max((len(t.name) for t in found), default=10)
    plain(f"{'name':{width}}  used        note")
    for t in found:
        note = f"overrides built-in {builtin_dir() / t.name}" if t.shadows_builtin else ""
        plain(f"{t.name:{width}}  {t.origin:10}  {note}".rstrip())
    plain(f"{len(found)} template(s); workspace folder: {ws.templates_dir}", stderr=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    outreach_app.command()(render)
    outreach_app.command()(send)
    outreach_app.command()(status)
    app.add_typer(outreach_app)
    app.command()(templates)
