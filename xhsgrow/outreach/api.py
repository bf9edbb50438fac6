"""The outreach operations the CLI calls: render, send, status. One function each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xhsgrow.outreach.compose import Composer, Message, TemplateRef, base_context, resolve_template
from xhsgrow.outreach.contacts import Contacts, load_contacts
from xhsgrow.outreach.ledger import Entry, Ledger, Run
from xhsgrow.outreach.send import (
    OPT_OUT_FILE,
    Progress,
    SendOptions,
    SendReport,
    load_opt_outs,
    send_messages,
)


@dataclass(frozen=True)
class Rendered:
    campaign: Any
    contacts: Contacts
    template: TemplateRef
    messages: list[Message]


def ledger_path(workspace: Any) -> Path:
    """The ledger file: settings ``ledger`` (default .xhsgrow/ledger.sqlite) in the workspace."""
    path = Path(workspace.settings.ledger).expanduser()
    return path if path.is_absolute() else workspace.root / path


def _composer(
    workspace: Any,
    campaign_id: str,
    contacts: str | Path,
    template: str,
    channel: str,
    data: str | None,
    as_of: dt.date | None,
    tracking: dict[str, Any] | None,
) -> tuple[Any, Contacts, Composer]:
    from xhsgrow.specs import load_campaigns

    (campaign,) = load_campaigns(workspace, [campaign_id])
    ref = resolve_template(template, workspace.templates_dir)
    book = load_contacts(contacts)
    if tracking is None and data is not None:
        from xhsgrow.outreach.figures import tracking_figures

        tracking = tracking_figures(workspace, campaign, data, as_of)
    composer = Composer(
        ref,
        workspace.templates_dir,
        channel=channel,
        context=base_context(campaign, tracking, as_of),
    )
    return campaign, book, composer


def render_messages(
    workspace: Any,
    campaign_id: str,
    *,
    contacts: str | Path,
    template: str,
    channel: str = "smtp",
    data: str | None = None,
    as_of: dt.date | None = None,
    tracking: dict[str, Any] | None = None,
    require_address: bool = True,
) -> Rendered:
    """Load the campaign, contacts and template and render every message (all or nothing)."""
    campaign, book, composer = _composer(
        workspace, campaign_id, contacts, template, channel, data, as_of, tracking
    )
    messages = composer.render_all(book, require_address=require_address)
    return Rendered(campaign, book, composer.ref, messages)


def render_files(
    workspace: Any,
    campaign_id: str,
    out: Path,
    *,
    contacts: str | Path,
    template: str,
    channel: str = "smtp",
    data: str | None = None,
    as_of: dt.date | None = None,
    tracking: dict[str, Any] | None = None,
    keep: int = 0,
    workers: int | None = None,
) -> tuple[int, list[Message]]:
    """Render every message into files in ``out`` (all or nothing); returns the count and
    the first ``keep`` messages (for a preview)."""
    from xhsgrow.outreach.compose import render_to_dir

    _, book, composer = _composer(
        workspace, campaign_id, contacts, template, channel, data, as_of, tracking
    )
    return render_to_dir(composer, book, out, keep=keep, workers=workers)


def send_campaign(
    workspace: Any,
    campaign_id: str,
    *,
    contacts: str | Path,
    template: str,
    options: SendOptions,
    extra_opt_outs: list[Path] | None = None,
    data: str | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    channel: Any = None,
) -> tuple[Rendered, SendReport]:
    """Render everything first (any template error stops the run before a single send),
    then plan against the ledger and send."""
    rendered = render_messages(
        workspace,
        campaign_id,
        contacts=contacts,
        template=template,
        channel=options.channel,
        data=data,
        as_of=as_of,
    )
    files = list(extra_opt_outs or [])
    default = workspace.root / OPT_OUT_FILE
    # optional, but one that is there must be read: a folder or a dangling link in its place
    # is an error, not a list of nobody
    if default.exists() or default.is_symlink():
        files.insert(0, default)
    options.opt_out |= load_opt_outs(files)
    if channel is None and not options.dry_run:
        channel = make_channel(workspace, options)
    report = send_messages(
        rendered.messages,
        contacts=rendered.contacts,
        template=rendered.template,
        campaign_id=rendered.campaign.id,
        ledger_path=ledger_path(workspace),
        options=options,
        channel=channel,
        progress=progress,
        should_stop=should_stop,
    )
    return rendered, report


def make_channel(workspace: Any, options: SendOptions) -> Any:
    """The configured channel; its config's daily cap applies unless the command gave one."""
    from xhsgrow.outreach.channels import HttpChannel, HttpConfig, SmtpChannel, SmtpConfig

    if options.channel == "smtp":
        smtp = SmtpConfig.load(workspace)
        if options.daily_cap is None:
            options.daily_cap = smtp.daily_cap
        return SmtpChannel(smtp)
    http = HttpConfig.load(workspace, options.channel)
    if options.daily_cap is None:
        options.daily_cap = http.daily_cap
    return HttpChannel(options.channel, http, policy=http.policy())


@dataclass(frozen=True)
class TemplateStatus:
    template: str
    counts: dict[str, int]  # sent / failed / unknown / pending
    last_run: Run | None
    problems: list[Entry]


def ledger_status(workspace: Any, campaign_id: str) -> list[TemplateStatus]:
    """Per template: sent, failed, unknown and pending (from the last run's contact count).

    A campaign with nothing in the ledger must have a spec: a mistyped id is an error, not
    "nothing sent yet" (records of a campaign whose spec was since removed still show)."""
    out = _ledger_status(workspace, campaign_id)
    if not out and not workspace.spec_path(campaign_id).exists():
        from xhsgrow.specs import load_campaigns

        load_campaigns(workspace, [campaign_id])  # raises "no campaign 'ID' (known: ...)"
    return out


def _ledger_status(workspace: Any, campaign_id: str) -> list[TemplateStatus]:
    path = ledger_path(workspace)
    if not path.exists():
        return []
    with Ledger(path) as ledger:
        counts = ledger.counts(campaign_id)
        runs = ledger.runs(campaign_id)
        out = []
        for tpl in sorted(set(counts) | set(runs)):
            c = counts.get(tpl, {})
            sent, failed = c.get("sent", 0), c.get("failed", 0)
            unknown = c.get("unknown", 0) + c.get("sending", 0)
            run = runs.get(tpl)
            pending = ledger.pending(run.id) if run else 0
            if pending is None:  # a run recorded before the ledger kept its keys: estimate
                pending = max(0, run.total - sent - failed - unknown)  # type: ignore[union-attr]
            out.append(
                TemplateStatus(
                    tpl,
                    {"sent": sent, "failed": failed, "unknown": unknown, "pending": pending},
                    run,
                    ledger.problems(campaign_id, tpl),
                )
            )
    return out


__all__ = [
    "Rendered",
    "SendOptions",
    "SendReport",
    "TemplateStatus",
    "ledger_path",
    "ledger_status",
    "make_channel",
    "render_files",
    "render_messages",
    "send_campaign",
]
