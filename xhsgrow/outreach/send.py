"""A send run: plan from the ledger, then deliver with opt-outs, quiet hours, rate and caps.

``send_messages`` is the whole run; the CLI only parses options and prints. The plan is made
from the ledger before anything is sent, and every message is recorded as it goes (see
``ledger.py`` for the states), so a run can be killed at any moment and started again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from xhsgrow.errors import UsageError
from xhsgrow.outreach.compose import Message, TemplateRef
from xhsgrow.outreach.contacts import Contacts
from xhsgrow.outreach.errors import InputsChanged
from xhsgrow.outreach.ledger import Ledger, message_key
from xhsgrow.outreach.mask import mask, mask_text, normalise

QuietHours = tuple[dt.time, dt.time] | None
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
OPT_OUT_FILE = "do-not-contact.txt"


def parse_quiet_hours(value: str) -> QuietHours:
    """``HH:MM-HH:MM`` (may wrap midnight) or ``none``."""
    if value.strip().lower() in ("none", "off", ""):
        return None
    start, sep, end = value.partition("-")
    ms, me = _HHMM.match(start.strip()), _HHMM.match(end.strip())
    if not sep or not ms or not me:
        raise UsageError(f"quiet hours '{value}': expected HH:MM-HH:MM (e.g. 21:00-08:00) or none")
    a = dt.time(int(ms[1]), int(ms[2]))
    b = dt.time(int(me[1]), int(me[2]))
    return None if a == b else (a, b)


def in_quiet_hours(moment: dt.datetime, quiet: QuietHours) -> bool:
    if quiet is None:
        return False
    t = moment.time().replace(second=0, microsecond=0)
    start, end = quiet
    return start <= t < end if start < end else t >= start or t < end


def parse_rate(value: str) -> float:
    """``N/min``, ``N/s`` or ``N/h`` as messages per minute."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*/\s*(s|sec|min|m|h|hour)\s*", value)
    if not m or float(m[1]) <= 0:
        raise UsageError(f"rate '{value}': expected N/min (e.g. 30/min), N/s or N/h")
    per = {"s": 60.0, "sec": 60.0, "min": 1.0, "m": 1.0, "h": 1 / 60, "hour": 1 / 60}[m[2]]
    return float(m[1]) * per


def load_opt_outs(paths: list[Path]) -> set[str]:
    """Addresses (emails or phones, one a line, ``#`` comments) never to contact."""
    out: set[str] = set()
    for path in paths:
        if path.is_dir():  # skipping it would contact everyone on the lists inside
            raise UsageError(f"{path}: is a folder, not an opt-out file")
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise UsageError(f"{path}: no such opt-out file") from None
        except UnicodeDecodeError:
            raise UsageError(f"{path}: opt-out list is not UTF-8") from None
        except OSError as exc:
            raise UsageError(f"cannot read opt-out file {path}: {exc.strerror or exc}") from None
        for line in text.splitlines():
            entry = line.split("#", 1)[0].strip().strip(",")
            if entry:
                out.add(normalise(entry))
    return out


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown timezone '{name}'") from None


@dataclass
class SendOptions:
    channel: str
    dry_run: bool = True
    limit: int | None = 1
    force: bool = False
    resend_failed: bool = False
    resend_unknown: bool = False
    rate_per_min: float | None = None
    quiet_hours: QuietHours = (dt.time(21, 0), dt.time(8, 0))
    timezone: str = "Asia/Shanghai"
    daily_cap: int | None = None
    opt_out: set[str] = field(default_factory=set)
    failed_csv: Path | None = None


@dataclass
class Planned:
    message: Message
    key: str
    #: plan: send | sent | failed | unknown | opted_out | duplicate | quiet | capped | limit |
    #: pending; after delivery in this run: sent_now | failed_now | unknown_now; in a dry
    #: run: would_fail (an address the channel refuses before asking a server)
    state: str
    reason: str = ""


@dataclass
class SendReport:
    campaign: str
    template: str
    channel: str
    dry_run: bool
    total: int
    plan: list[Planned]
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    interrupted_before: int = 0  # rows an earlier run left "sending", now "unknown"
    aborted: str | None = None
    stopped: bool = False
    failed_csv: Path | None = None
    #: failed.csv could not be written after sending (a full disk, a folder made there
    #: meanwhile): raised by the caller once the run's summary is shown
    failed_csv_error: UsageError | None = None
    changed: list[str] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for p in self.plan if p.state == state)


Progress = Callable[[Planned, str, str], None]


def send_messages(
    messages: list[Message],
    *,
    contacts: Contacts,
    template: TemplateRef,
    campaign_id: str,
    ledger_path: Path,
    options: SendOptions,
    channel: Any = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Plan and (unless dry run) send ``messages``; every outcome lands in the ledger.

    A ``failed_csv`` that could not be written is refused before the ledger is opened, in a
    dry run too: the rows are written after sending, too late for a usage error."""
    from xhsgrow.fileio import check_writable

    ledger: Ledger | None = None
    try:
        if options.failed_csv is not None:
            check_writable(options.failed_csv, make_parents=True)
        if not options.dry_run or ledger_path.exists():
            ledger = Ledger(ledger_path)
        return _run(
            messages,
            contacts,
            template,
            campaign_id,
            ledger,
            options,
            channel,
            progress,
            should_stop,
            now,
            sleep,
        )
    finally:
        if channel is not None:
            channel.close()
        if ledger is not None:
            ledger.close()


def _run(
    messages: list[Message],
    contacts: Contacts,
    template: TemplateRef,
    campaign_id: str,
    ledger: Ledger | None,
    options: SendOptions,
    channel: Any,
    progress: Progress | None,
    should_stop: Callable[[], bool],
    now: Callable[[], dt.datetime],
    sleep: Callable[[float], None],
) -> SendReport:
    from xhsgrow.outreach.channels import address_problem

    tpl = template.label
    report = SendReport(campaign_id, tpl, options.channel, options.dry_run, len(messages), [])
    if ledger is not None and not options.dry_run:
        ledger.lock()
        report.interrupted_before = ledger.settle_interrupted(campaign_id, tpl)
    if ledger is not None:
        last = ledger.last_run(campaign_id, tpl)
        if last is not None:
            if last.template_hash != template.sha256:
                report.changed.append("template")
            if last.contacts_hash != contacts.sha256:
                report.changed.append("contacts")
        if report.changed and not options.force:
            what = " and ".join(report.changed)
            raise InputsChanged(
                f"the {what} changed since the run of {last.started_at[:16]} "  # type: ignore[union-attr]
                f"({last.contacts_path}, {last.total} contacts)",  # type: ignore[union-attr]
                hint="check the change, then rerun with --force; messages already sent are "
                "never sent again",
            )
    entries = ledger.entries(campaign_id, tpl) if ledger is not None else {}
    seen: set[str] = set()
    for message in messages:
        address = message.recipient or f"#line{message.row.line}"
        key = message_key(campaign_id, tpl, address)
        entry = entries.get(key)
        if key in seen:
            state = "duplicate"
        elif message.recipient and normalise(message.recipient) in options.opt_out:
            state = "opted_out"
        elif entry is not None and entry.status == "sent":
            state = "sent"
        elif entry is not None and entry.status == "failed":
            state = "send" if options.resend_failed else "failed"
        elif entry is not None:  # unknown, or sending left by a dead run
            state = "send" if options.resend_unknown else "unknown"
        else:
            state = (
                "failed_only" if options.resend_failed and not options.resend_unknown else "send"
            )
        seen.add(key)
        tz = message.row.data.get("timezone")
        if state == "send" and tz:
            try:
                ZoneInfo(str(tz))
            except (ZoneInfoNotFoundError, ValueError):
                raise UsageError(
                    f"{contacts.path}:{message.row.line}: unknown timezone '{tz}' "
                    "(expected an IANA name such as Asia/Shanghai)"
                ) from None
        report.plan.append(
            Planned(
                message,
                key,
                "pending" if state == "failed_only" else state,
                entry.reason if entry else "",
            )
        )

    remaining_cap: int | None = None
    if options.daily_cap is not None:
        zone = _zone(options.timezone)
        midnight = now().astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        used = ledger.sent_since(options.channel, midnight) if ledger is not None else 0
        remaining_cap = max(0, options.daily_cap - used)

    run_id = None
    if ledger is not None and not options.dry_run:
        run_id = ledger.start_run(
            campaign_id,
            tpl,
            options.channel,
            template_hash=template.sha256,
            contacts_hash=contacts.sha256,
            contacts_path=str(contacts.path),
            total=sum(1 for p in report.plan if p.state not in ("opted_out", "duplicate")),
            keys=[p.key for p in report.plan if p.state not in ("opted_out", "duplicate")],
        )
    interval = 60.0 / options.rate_per_min if options.rate_per_min else 0.0
    attempts = 0
    next_at = time.monotonic()
    for item in report.plan:
        if item.state != "send":
            continue
        if report.aborted or report.stopped:
            item.state = "limit"
            continue
        if options.limit is not None and attempts >= options.limit:
            item.state = "limit"
            continue
        tz = str(item.message.row.data.get("timezone") or options.timezone)
        if in_quiet_hours(now().astimezone(_zone(tz)), options.quiet_hours):
            item.state = "quiet"
            continue
        if remaining_cap is not None and attempts >= remaining_cap:
            item.state = "capped"
            continue
        attempts += 1
        if options.dry_run:
            # the checks a send makes before it asks the server: the same rows fail here
            problem = address_problem(options.channel, item.message.recipient)
            if problem:
                item.state, item.reason = "would_fail", problem
            continue
        if should_stop():
            report.stopped = True
            item.state = "limit"
            continue
        if interval:
            wait = next_at - time.monotonic()
            if wait > 0:
                sleep(wait)
            next_at = max(next_at, time.monotonic()) + interval
        _deliver(item, ledger, channel, campaign_id, tpl, options, report)  # type: ignore[arg-type]
        if progress is not None:
            progress(item, item.state.removesuffix("_now"), item.reason)
    if ledger is not None and not options.dry_run:
        if run_id is not None:
            ledger.finish_run(run_id)
        try:
            report.failed_csv = _write_failed(report, ledger, contacts, options, campaign_id, tpl)
        except UsageError as exc:  # the ledger has every outcome: the summary must still show
            exc.hint = (
                "every failure is in the ledger: rerun with --no-dry-run and another "
                "--failed-csv to write them (nothing is sent twice)"
            )
            report.failed_csv_error = exc
    return report


def _deliver(
    item: Planned,
    ledger: Ledger,
    channel: Any,
    campaign_id: str,
    tpl: str,
    options: SendOptions,
    report: SendReport,
) -> None:
    from xhsgrow.outreach.channels import ChannelDown

    message = item.message
    handed: list[bool] = []

    def handover() -> None:
        ledger.sending(
            item.key,
            campaign_id,
            tpl,
            options.channel,
            message.recipient or "",
            message.content_hash,
        )
        handed.append(True)

    try:
        if options.channel == "smtp":
            name = " ".join(str(message.row.data.get("name") or "").split())
            outcome = channel.deliver(message, item.key, handover, to_name=name or None)
        else:
            outcome = channel.deliver(
                message, item.key, handover, campaign=campaign_id, template=tpl
            )
    except ChannelDown as exc:
        if handed:
            ledger.forget(item.key)
        report.aborted = mask_text(str(exc))
        item.state, item.reason = "send", report.aborted
        return
    reason = mask_text(outcome.reason)  # servers quote the address back: mask it
    if not handed:
        ledger.fail(
            item.key,
            campaign_id,
            tpl,
            options.channel,
            message.recipient or "",
            message.content_hash,
            reason,
        )
    else:
        ledger.settle(item.key, outcome.status, reason)
    # "<status>_now": settled in this run (plain "sent"/"failed" mean an earlier run)
    item.state, item.reason = f"{outcome.status}_now", reason
    if outcome.status == "sent":
        report.sent += 1
    elif outcome.status == "failed":
        report.failed += 1
    else:
        report.unknown += 1


def _write_failed(
    report: SendReport,
    ledger: Ledger,
    contacts: Contacts,
    options: SendOptions,
    campaign_id: str,
    tpl: str,
) -> Path | None:
    """failed.csv: the contact rows whose message is failed in the ledger, with the reason."""
    from xhsgrow.fileio import write_text_atomic

    if options.failed_csv is None:
        return None
    entries = ledger.entries(campaign_id, tpl)
    rows = [
        (p.message.row.data, entries[p.key].reason)
        for p in report.plan
        if p.key in entries and entries[p.key].status == "failed"
    ]
    if not rows:
        return None
    columns = [c for c in contacts.columns if c != "reason"] + ["reason"]
    buffer = io.StringIO()  # only the failed rows: small enough to hand over as one text
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for data, reason in rows:
        writer.writerow({**{k: _cell(v) for k, v in data.items()}, "reason": reason})
    write_text_atomic(options.failed_csv, buffer.getvalue(), make_parents=True)
    return options.failed_csv


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def masked(message: Message) -> str:
    """The recipient for the terminal: masked, with the contact's line when the value is
    empty or not one address."""
    return mask(message.recipient, message.row.line)
