"""Ledger semantics, quiet hours, masking: the rules that keep a send from going twice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from xhsgrow.errors import UsageError
from xhsgrow.outreach.channels import Outcome
from xhsgrow.outreach.compose import Composer, resolve_template
from xhsgrow.outreach.contacts import load_contacts
from xhsgrow.outreach.ledger import Ledger, message_key
from xhsgrow.outreach.mask import mask, mask_email, mask_phone, mask_text
from xhsgrow.outreach.send import (
    SendOptions,
    in_quiet_hours,
    parse_quiet_hours,
    parse_rate,
    send_messages,
)
from xhsgrow.specs import init_workspace

SH = dt.timezone(dt.timedelta(hours=8))


def test_masking():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_email("zhang.wei@example.com") == "z***@example.com"
    assert mask("wang@leishan.example.cn") == "w***@leishan.example.cn"
    assert mask_text("550 <li.na@example.cn> refused; call 13900001111") == (
        "550 <l***@example.cn> refused; call 139****1111"
    )


def test_quiet_hours_wrap_midnight():
    quiet = parse_quiet_hours("21:00-08:00")
    at = lambda h, m: dt.datetime(2027, 2, 5, h, m, tzinfo=SH)  # noqa: E731
    assert in_quiet_hours(at(21, 0), quiet) and in_quiet_hours(at(23, 30), quiet)
    assert in_quiet_hours(at(7, 59), quiet)
    assert not in_quiet_hours(at(8, 0), quiet) and not in_quiet_hours(at(20, 59), quiet)
    day = parse_quiet_hours("12:00-13:30")
    assert in_quiet_hours(at(12, 45), day) and not in_quiet_hours(at(13, 30), day)
    assert parse_quiet_hours("none") is None
    with pytest.raises(UsageError):
        parse_quiet_hours("25:00-08:00")


def test_rates():
    assert parse_rate("30/min") == 30
    assert parse_rate("2/s") == 120
    assert parse_rate("600/h") == 10
    with pytest.raises(UsageError):
        parse_rate("0/min")


class Recording:
    """A channel that records what it was asked to deliver, and when handover happened."""

    def __init__(self, ledger_path: Path, outcomes: dict[str, str] | None = None) -> None:
        self.calls: list[str] = []
        self.ledger_path = ledger_path
        self.outcomes = outcomes or {}

    def deliver(self, message, key, handover, **_):
        handover()
        with Ledger(self.ledger_path) as peek:  # the intent is committed before delivery
            assert peek.entries("example-partnership", "t.md")[key].status == "sending"
        self.calls.append(message.recipient)
        return Outcome(self.outcomes.get(message.recipient, "sent"), "")

    def close(self) -> None:
        pass


@pytest.fixture
def setup(tmp_path: Path):
    init_workspace(tmp_path)
    (tmp_path / "templates" / "t.md").write_text("Subject: hi\n\n{{ contact.name }}\n", "utf-8")
    contacts = tmp_path / "c.csv"
    contacts.write_text(
        "name,email\nA,a@example.cn\nB,b@example.cn\nB again,B@Example.cn\nC,c@example.cn\n",
        encoding="utf-8",
    )
    from xhsgrow.specs import load_campaigns
    from xhsgrow.workspace import open_workspace

    ws = open_workspace(tmp_path)
    (campaign,) = load_campaigns(ws, ["example-partnership"])
    ref = resolve_template("t.md", ws.templates_dir)
    book = load_contacts(contacts)
    composer = Composer(ref, ws.templates_dir, context={"campaign": campaign.model_dump()})
    return tmp_path / "ledger.sqlite", ref, book, composer.render_all(book)


def _run(setup, channel, now=None, **opts):
    ledger, ref, book, messages = setup
    options = SendOptions(channel="smtp", dry_run=False, limit=None, quiet_hours=None)
    for k, v in opts.items():
        setattr(options, k, v)
    return send_messages(
        messages,
        contacts=book,
        template=ref,
        campaign_id="example-partnership",
        ledger_path=ledger,
        options=options,
        channel=channel,
        now=now or (lambda: dt.datetime.now(dt.UTC)),
    )


def test_same_address_twice_in_the_contacts_is_sent_once(setup):
    channel = Recording(setup[0])
    report = _run(setup, channel)
    assert channel.calls == ["a@example.cn", "b@example.cn", "c@example.cn"]
    assert report.count("duplicate") == 1


def test_a_message_left_sending_by_a_dead_run_becomes_unknown(setup):
    ledger_path = setup[0]
    with Ledger(ledger_path) as ledger:
        key = message_key("example-partnership", "t.md", "b@example.cn")
        ledger.sending(key, "example-partnership", "t.md", "smtp", "b@example.cn", "h")
    channel = Recording(ledger_path)
    report = _run(setup, channel)
    assert report.interrupted_before == 1
    assert channel.calls == ["a@example.cn", "c@example.cn"]
    assert report.count("unknown") == 1 and report.count("duplicate") == 1
    channel = Recording(ledger_path)
    _run(setup, channel, resend_unknown=True)
    assert channel.calls == ["b@example.cn"]


def test_quiet_hours_use_an_injected_clock_and_the_daily_cap_counts_today(setup):
    channel = Recording(setup[0])
    night = lambda: dt.datetime(2027, 2, 5, 22, 0, tzinfo=SH)  # noqa: E731
    report = _run(setup, channel, now=night, quiet_hours=parse_quiet_hours("21:00-08:00"))
    assert channel.calls == [] and report.count("quiet") == 3
    morning = lambda: dt.datetime.now(SH).replace(hour=9)  # noqa: E731
    report = _run(
        setup, channel, now=morning, quiet_hours=parse_quiet_hours("21:00-08:00"), daily_cap=2
    )
    assert len(channel.calls) == 2 and report.count("capped") == 1


def _send(invoke, *more: str):
    """`outreach send example-partnership -c c.csv -t merchant-invite.zh --via smtp [more...]`."""
    return invoke(
        "outreach",
        "send",
        "example-partnership",
        "-c",
        "c.csv",
        "-t",
        "merchant-invite.zh",
        "--via",
        "smtp",
        *more,
    )


def test_settings_quiet_hours_apply_by_default(tmp_path: Path, invoke):
    init_workspace(tmp_path)
    (tmp_path / "xhsgrow.toml").write_text('quiet_hours = "00:00-23:59"\n', encoding="utf-8")
    (tmp_path / "c.csv").write_text("name,shop,email\nA,S,a@example.cn\n", encoding="utf-8")
    result = _send(invoke)
    assert "deferred (quiet hours) 1" in result.output
    result = _send(invoke, "--quiet-hours", "none")
    assert "would send 1" in result.output


def test_a_bad_timezone_in_any_row_stops_the_run_before_sending(tmp_path: Path, invoke):
    init_workspace(tmp_path)
    (tmp_path / "c.csv").write_text(
        "name,shop,email,timezone\nA,S,a@example.cn,Asia/Shanghai\nB,S,b@example.cn,Mars/Base\n",
        encoding="utf-8",
    )
    result = _send(invoke, "--quiet-hours", "none")
    assert result.exit_code == 2
    assert "c.csv:3: unknown timezone 'Mars/Base'" in result.output


def _error_lines(result) -> list[str]:
    return [x for x in result.stderr.splitlines() if x.startswith("Error:")]


@pytest.mark.parametrize(
    ("folder", "args", "error"),
    [
        ("lists", ("--opt-out", "lists"), "lists: is a folder, not an opt-out file"),
        ("do-not-contact.txt", (), "{ws}/do-not-contact.txt: is a folder, not an opt-out file"),
        ("people", ("-c", "people"), "people: is a folder, not a contacts file"),
    ],
    ids=["opt-out", "do-not-contact", "contacts"],
)
def test_a_folder_where_a_list_should_be_is_one_line(tmp_path: Path, invoke, folder, args, error):
    # --opt-out DIR was an IsADirectoryError, a do-not-contact.txt folder was silently ignored
    # (so everyone on the lists in it would be contacted), a contacts folder "no such file".
    init_workspace(tmp_path)
    (tmp_path / "c.csv").write_text("name,shop,email\nA,S,a@example.cn\n", encoding="utf-8")
    (tmp_path / folder).mkdir()
    result = _send(invoke, "--quiet-hours", "none", *args)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _error_lines(result) == ["Error: " + error.format(ws=tmp_path)]


@pytest.mark.parametrize("limit", ["1", "2"])  # 1 is the default: given, it still counts
def test_limit_and_no_limit_together_are_a_usage_error(tmp_path: Path, invoke, limit):
    # --no-limit used to win: with --no-dry-run, `--limit 1 --no-limit` sent to everyone
    init_workspace(tmp_path)
    (tmp_path / "c.csv").write_text(
        "name,shop,email\nA,S,a@example.cn\nB,S,b@example.cn\nC,S,c@example.cn\n",
        encoding="utf-8",
    )
    result = _send(invoke, "--quiet-hours", "none", "--limit", limit, "--no-limit")
    assert result.exit_code == 2
    assert _error_lines(result) == ["Error: use --limit N or --no-limit, not both"]
    assert "would send 3" in _send(invoke, "--quiet-hours", "none", "--no-limit").output
    assert "would send 2" in _send(invoke, "--quiet-hours", "none", "--limit", "2").output


@pytest.mark.parametrize(
    ("setting", "make", "reason", "command"),
    [
        (None, "not-sqlite", "file is not a database", "status"),
        (None, "not-sqlite", "file is not a database", "send"),
        ("ledgers", "folder", "is a folder, not a ledger file", "status"),
        ("ledgers", "folder", "is a folder, not a ledger file", "send"),
        # (status reads no ledger that is not there: "no messages recorded", as before)
        ("afile/ledger.sqlite", "file-on-the-way", "Not a directory", "send"),
    ],
    ids=["not-sqlite-status", "not-sqlite-send", "folder-status", "folder-send", "under-a-file"],
)
def test_a_ledger_that_cannot_be_used_is_one_line(
    tmp_path: Path, invoke, monkeypatch: pytest.MonkeyPatch, setting, make, reason, command
):
    # each was a sqlite3 (or FileExistsError) traceback
    init_workspace(tmp_path)
    (tmp_path / "c.csv").write_text("name,shop,email\nA,S,a@example.cn\n", encoding="utf-8")
    monkeypatch.setenv("XHSGROW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XHSGROW_SMTP_PORT", "1")  # nothing listens: nothing can go out
    monkeypatch.setenv("XHSGROW_SMTP_SECURITY", "none")
    monkeypatch.setenv("XHSGROW_SMTP_FROM", "bd@example.com")
    ledger = tmp_path / (setting or ".xhsgrow/ledger.sqlite")
    if setting:
        settings = tmp_path / "xhsgrow.toml"
        settings.write_text(f'ledger = "{setting}"\n' + settings.read_text("utf-8"), "utf-8")
    if make == "not-sqlite":
        ledger.parent.mkdir(exist_ok=True)
        ledger.write_text("not a database\n", encoding="utf-8")
    elif make == "folder":
        ledger.mkdir()
    else:
        (tmp_path / "afile").write_text("a file, not a folder", encoding="utf-8")
    if command == "status":
        result = invoke("outreach", "status", "example-partnership")
    else:
        result = _send(invoke, "--quiet-hours", "none", "--no-dry-run")
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _error_lines(result) == [f"Error: cannot use {ledger} as the send ledger: {reason}"]
    if make == "not-sqlite":
        assert ledger.read_text(encoding="utf-8") == "not a database\n"


def test_ledger_refuses_an_unusable_path_with_one_line(tmp_path: Path):
    (tmp_path / "junk.sqlite").write_bytes(b"\x00" * 10 + b"not sqlite" * 100)
    with pytest.raises(UsageError, match=r"junk.sqlite as the send ledger: file is not a database"):
        Ledger(tmp_path / "junk.sqlite")
    with pytest.raises(UsageError, match="is a folder, not a ledger file"):
        Ledger(tmp_path)
