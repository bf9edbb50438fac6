"""Report commands: report (Markdown, HTML, JSON, CSV) and notify (chat webhooks)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from xhsgrow.cli.console import plain
from xhsgrow.cli.options import EngineOpt, engine_name


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    json = "json"
    csv = "csv"


class Lang(StrEnum):
    en = "en"
    zh = "zh"


class FailOn(StrEnum):
    at_risk = "at-risk"
    off_track = "off-track"


IdsArg = Annotated[
    list[str] | None, typer.Argument(metavar="ID", help="Campaign ids (default: all).")
]
DataOpt = Annotated[
    str | None,
    typer.Option(
        "--data",
        help="Events: file, glob, folder or http(s) URL of daily aggregates; with --engine "
        "spark also table:NAME (a catalog table) or an object-store URI (s3a://…) "
        "(default: $XHSGROW_DATA, then \\[data] source in xhsgrow.toml).",
    ),
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", metavar="DATE", help="Report as of this day (YYYY-MM-DD).")
]
FailOnOpt = Annotated[
    FailOn | None,
    typer.Option("--fail-on", help="Exit 1 when a campaign is at or past this status."),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Treat rejected event rows as an error.")]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Language of the report.")]
ReportUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--report-url",
        metavar="URL",
        help="http(s) link to the full report, shown in chat messages and the report's footer.",
    ),
]
WebhooksOpt = Annotated[
    Path | None,
    typer.Option(
        "--webhooks-file",
        help="TOML file with \\[webhooks.NAME] (default: .xhsgrow/webhooks.toml, "
        "$XHSGROW_WEBHOOKS_FILE).",
    ),
]


def report(
    ctx: typer.Context,
    ids: IdsArg = None,
    data: DataOpt = None,
    as_of: AsOfOpt = None,
    format: Annotated[
        ReportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="md, html, json or csv (default: from --out's suffix, else md).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write to this file (default: stdout); .md, .html, .json or .csv sets the format.",
        ),
    ] = None,
    lang: LangOpt = Lang.en,
    fail_on: FailOnOpt = None,
    post: Annotated[
        str | None,
        typer.Option("--post", metavar="NAME", help="Also post a summary to webhook NAME."),
    ] = None,
    report_url: ReportUrlOpt = None,
    title: Annotated[str | None, typer.Option("--title", help="Report title.")] = None,
    strict: StrictOpt = False,
    webhooks_file: WebhooksOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Render a campaign report: portfolio summary (worst first) and a section per campaign.

    Markdown suits GitHub job summaries and chat (under GitHub Actions it is also appended
    to $GITHUB_STEP_SUMMARY); HTML is one self-contained page with burn-up, retention and
    segment charts; JSON is the tracking JSON plus a `report` block; CSV has one row per
    campaign × target. Templates in the workspace's templates/report/ override the
    built-in ones by name.

    Without --format, --out's suffix picks the format (.md/.markdown, .html/.htm, .json,
    .csv; any other suffix: md); a --format that contradicts the suffix is refused.

    Exit codes: 0 all good, 1 a campaign at or past --fail-on, 2 usage or input error.

    Example:

        xhsgrow report --data events/ --format html --out report.html --fail-on off-track
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.cli.options import parse_as_of
    from xhsgrow.fileio import check_writable, write_text_atomic
    from xhsgrow.rendering.formats import output_format
    from xhsgrow.report import FORMATS, ReportMeta, append_step_summary, check_report_url, render
    from xhsgrow.report.run import track_campaigns

    ws = workspace_from(ctx)
    day = parse_as_of(as_of)
    check_report_url(report_url)
    fmt = output_format(out, format.value if format else None, formats=FORMATS, default="md")
    webhook = _webhook(ws, post, webhooks_file) if post else None  # fail early on bad config
    if out is not None:  # a bad --out is found before the data is read, not after
        check_writable(out, make_parents=True)
    result = track_campaigns(
        ws, ids or [], data=data, as_of=day, strict=strict, engine=engine_name(engine)
    )
    meta = ReportMeta(
        format=fmt,
        lang=lang.value,
        fail_on=fail_on.value if fail_on else None,
        report_url=report_url,
        title=title,
    )
    text = render(result, meta, templates_dir=ws.templates_dir)
    if out is not None:
        write_text_atomic(out, text, make_parents=True)
        plain(f"wrote {out}", stderr=True)
    else:
        typer.echo(text, nl=False)
    if fmt == "md":
        append_step_summary(text)
    if webhook is not None:
        from xhsgrow.notify import notify as send

        plain(send(result, webhook, lang=lang.value, report_url=report_url), stderr=True)
    _finish(result, meta.fail_on)


def notify(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="Webhook name (see docs/reports.md).")
    ],
    ids: IdsArg = None,
    data: DataOpt = None,
    as_of: AsOfOpt = None,
    lang: LangOpt = Lang.en,
    report_url: ReportUrlOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the exact payload instead of sending it.")
    ] = False,
    fail_on: FailOnOpt = None,
    strict: StrictOpt = False,
    webhooks_file: WebhooksOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Post a compact campaign summary to a team chat: Feishu/Lark, WeCom, DingTalk or Slack.

    The webhook NAME is configured by XHSGROW_WEBHOOK_<NAME>_URL, _KIND
    (feishu|wecom|dingtalk|slack) and _SECRET (Feishu and DingTalk signing), or by
    \\[webhooks.NAME] in .xhsgrow/webhooks.toml. URLs and secrets are never printed.
    Retries on 5xx, 429 and the platforms' rate-limit codes.

    Example:

        XHSGROW_WEBHOOK_GROWTH_KIND=feishu xhsgrow notify growth --data events/ --dry-run
    """
    from xhsgrow.cli.app import workspace_from
    from xhsgrow.cli.options import parse_as_of
    from xhsgrow.notify import notify as send
    from xhsgrow.report import check_report_url
    from xhsgrow.report.run import track_campaigns

    ws = workspace_from(ctx)
    day = parse_as_of(as_of)
    check_report_url(report_url)
    webhook = _webhook(ws, name, webhooks_file)
    result = track_campaigns(
        ws, ids or [], data=data, as_of=day, strict=strict, engine=engine_name(engine)
    )
    message = send(result, webhook, lang=lang.value, report_url=report_url, dry_run=dry_run)
    plain(message, stderr=not dry_run)
    _finish(result, fail_on.value if fail_on else None)


def _webhook(ws: Any, name: str, config_file: Path | None) -> Any:
    from xhsgrow.notify import resolve

    return resolve(name, workspace_root=ws.root, config_file=config_file)


def _finish(result: Any, fail_on: str | None) -> None:
    """Warn of campaigns without figures; exit 1, naming them, when campaigns are at or
    past --fail-on."""
    from xhsgrow.cli.console import warn_no_figures
    from xhsgrow.report import exit_code, failing

    warn_no_figures(result)

    code = exit_code(result, fail_on)
    if code:
        bad = failing(result, fail_on)
        plain(f"✗ {len(bad)} campaign(s) at or past {fail_on}: {', '.join(bad)}", stderr=True)
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command()(report)
    app.command()(notify)
