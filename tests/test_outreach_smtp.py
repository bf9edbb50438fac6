"""outreach send over SMTP against a real aiosmtpd server on 127.0.0.1.

Each message must arrive exactly once, even when the sender (a real subprocess) is killed
part-way and run again; refused recipients end up in failed.csv and nowhere else.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from xhsgrow.specs import init_workspace

CAMPAIGN = "example-partnership"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    """An aiosmtpd handler that keeps every accepted message and can refuse or stall."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.reject: set[str] = set()
        self.drop_after_data: set[str] = set()
        self.hold_rcpt_at: int | None = None  # stall at the Nth RCPT (before DATA)
        self.hold_data_at: int | None = None  # stall after accepting the Nth message
        self.reached = threading.Event()
        self.release = threading.Event()
        self.rcpts = 0

    async def _hold(self) -> None:
        self.reached.set()
        while not self.release.is_set():
            await asyncio.sleep(0.02)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if address in self.reject:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        if self.hold_rcpt_at == self.rcpts:
            await self._hold()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        if set(envelope.rcpt_tos) & self.drop_after_data:
            server.transport.close()  # took the message, hung up before answering
            return "250 never heard"
        if self.hold_data_at == len(self.messages):
            await self._hold()  # delivered, but the client hears nothing until released
        return "250 2.0.0 queued"

    def delivered(self) -> list[str]:
        return [r for rcpts, _ in self.messages for r in rcpts]

    def parsed(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
            for _, raw in self.messages
        ]


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch):
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    port = _free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("XHSGROW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("XHSGROW_SMTP_PORT", str(port))
    monkeypatch.setenv("XHSGROW_SMTP_SECURITY", "none")
    monkeypatch.setenv("XHSGROW_SMTP_FROM", "小红书政府合作部 <gov-partners@xhs.example.com>")
    yield recorder
    recorder.release.set()
    controller.stop()


def _people(n: int) -> list[dict[str, str]]:
    surnames = "王李张刘陈杨黄赵吴周"
    return [
        {
            "name": f"{surnames[i % 10]}{'伟芳娜敏静丽强磊军洋'[i % 10]}",
            "shop": f"雷山特产店{i + 1}号",
            "email": f"merchant{i + 1}@leishan.example.cn",
            "phone": f"138{i + 1:08d}",
        }
        for i in range(n)
    ]


def _write_contacts(path: Path, people: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(people[0]))
        writer.writeheader()
        writer.writerows(people)
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    init_workspace(tmp_path)
    return tmp_path


def _send(
    invoke,
    *args: str,
    contacts: str = "contacts.csv",
    tpl: str = "merchant-invite.zh",
    quiet: str | None = "none",
):
    """`outreach send` via smtp; ``quiet`` is --quiet-hours (None: the settings' default)."""
    quiet_hours = ("--quiet-hours", quiet) if quiet is not None else ()
    return invoke(
        "outreach",
        "send",
        CAMPAIGN,
        "--contacts",
        contacts,
        "--template",
        tpl,
        "--via",
        "smtp",
        *quiet_hours,
        *args,
    )


# -- basics --------------------------------------------------------------------------------


def test_dry_run_is_the_default_and_sends_nothing(ws, invoke, smtp):
    _write_contacts(ws / "contacts.csv", _people(3))
    result = _send(invoke)
    assert result.exit_code == 0, result.output
    assert smtp.messages == []
    assert "Dry run, nothing sent: would send 1" in result.output  # --limit 1 by default
    assert "left for later runs 2" in result.output
    assert "To: m***@leishan.example.cn" in result.output  # the preview, masked
    assert "--no-dry-run" in result.output.splitlines()[-2]  # the hint of the next command
    assert not (ws / ".xhsgrow" / "ledger.sqlite").exists()


def test_every_message_arrives_once_with_the_right_headers_and_body(ws, invoke, smtp):
    people = _people(4)
    _write_contacts(ws / "contacts.csv", people)
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 0, result.output
    assert sorted(smtp.delivered()) == sorted(p["email"] for p in people)
    raw = smtp.messages[0][1]
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0].lower()  # RFC 2047 encoded headers
    for person, msg in zip(people, smtp.parsed(), strict=True):
        assert msg["Subject"] == f"诚邀「{person['shop']}」入驻小红书 · 雷山县好物计划"
        assert msg["To"].addresses[0].display_name == person["name"]
        assert msg["To"].addresses[0].addr_spec == person["email"]
        assert msg["From"].addresses[0].display_name == "小红书政府合作部"
        assert (
            msg["List-Unsubscribe"] == "<mailto:gov-partners@xhs.example.com?subject=unsubscribe>"
        )
        assert msg.get_content_type() == "multipart/alternative"
        plain = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert plain.startswith(f"{person['name']}您好：")
        assert f"<p>{person['name']}您好：</p>" in html
        assert "<strong>入驻即可获得：</strong>" in html
    # addresses never appear unmasked in the terminal
    assert "merchant1@leishan.example.cn" not in result.output
    assert "✓ sent    m***@leishan.example.cn" in result.output
    again = _send(invoke, "--no-dry-run", "--no-limit")
    assert again.exit_code == 0
    assert len(smtp.messages) == 4
    assert "already sent 4" in again.output


def test_limit_sends_in_batches_without_repeating(ws, invoke, smtp):
    people = _people(5)
    _write_contacts(ws / "contacts.csv", people)
    assert _send(invoke, "--no-dry-run").exit_code == 0
    assert len(smtp.messages) == 1
    assert _send(invoke, "--no-dry-run", "--limit", "3").exit_code == 0
    assert len(smtp.messages) == 4
    assert _send(invoke, "--no-dry-run", "--limit", "3").exit_code == 0
    assert sorted(smtp.delivered()) == sorted(p["email"] for p in people)


def test_refused_recipients_are_exactly_the_rows_of_failed_csv(ws, invoke, smtp):
    people = _people(6)
    people[4]["email"] = "not-an-address"
    _write_contacts(ws / "contacts.csv", people)
    smtp.reject = {people[1]["email"], people[3]["email"]}
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 1
    assert sorted(smtp.delivered()) == sorted(
        p["email"] for i, p in enumerate(people) if i in (0, 2, 5)
    )
    with (ws / "failed.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["email"] for r in rows] == [people[1]["email"], people[3]["email"], "not-an-address"]
    assert rows[0]["name"] == people[1]["name"]
    assert "550" in rows[0]["reason"] and "mailbox unavailable" in rows[0]["reason"]
    assert rows[2]["reason"] == "invalid email address"
    assert people[1]["email"] not in result.output  # the server quoted it: masked
    assert "sent 3, failed 3" in result.output
    # a rerun leaves failures alone; --resend-failed retries only them
    smtp.reject = set()
    assert _send(invoke, "--no-dry-run", "--no-limit").exit_code == 0
    assert len(smtp.messages) == 3
    result = _send(invoke, "--no-dry-run", "--no-limit", "--resend-failed")
    assert result.exit_code == 1  # the bad address still fails
    assert sorted(smtp.delivered()) == sorted(p["email"] for i, p in enumerate(people) if i != 4)
    status = invoke("outreach", "status", CAMPAIGN, "--format", "json")
    (row,) = __import__("json").loads(status.stdout)
    assert (row["sent"], row["failed"], row["unknown"], row["pending"]) == (5, 1, 0, 0)


def test_template_errors_and_bad_contacts_send_nothing(ws, invoke, smtp):
    people = _people(3)
    del people[2]["shop"]
    with (ws / "contacts.csv").open("w", encoding="utf-8") as fh:
        fh.write("name,shop,email,phone\n")
        for p in people[:2]:
            fh.write(f"{p['name']},{p['shop']},{p['email']},{p['phone']}\n")
        fh.write(f"{people[2]['name']},,{people[2]['email']},1\n")
    (ws / "templates" / "needs-city.md").write_text(
        "Subject: hi\n\n{{ contact.city }}\n", encoding="utf-8"
    )
    result = _send(invoke, "--no-dry-run", "--no-limit", tpl="needs-city")
    assert result.exit_code == 2
    assert "missing field 'city'" in result.output and "nothing was sent" in result.output
    no_email = ws / "no-email.csv"
    no_email.write_text("name,phone\n王伟,13800000001\n", encoding="utf-8")
    result = _send(invoke, "--no-dry-run", contacts=str(no_email))
    assert result.exit_code == 2
    assert "no 'email' column, needed to send via smtp" in result.output
    result = _send(invoke, "--no-dry-run", "--no-limit", contacts="injection.csv")
    assert result.exit_code == 2 and "no such contacts file" in result.output
    assert smtp.messages == []


def test_smtp_settings_come_from_the_environment_only(ws, invoke, smtp, monkeypatch):
    _write_contacts(ws / "contacts.csv", _people(1))
    monkeypatch.delenv("XHSGROW_SMTP_HOST")
    result = _send(invoke, "--no-dry-run")
    assert result.exit_code == 2
    assert "SMTP is not configured: XHSGROW_SMTP_HOST is not set" in result.output
    assert invoke("outreach", "send", "--help").output.count("--smtp") == 0
    # a config file is fine outside campaigns/, refused inside it
    port = os.environ["XHSGROW_SMTP_PORT"]
    cfg = ws / ".xhsgrow" / "outreach.toml"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n', encoding="utf-8"
    )
    assert _send(invoke, "--no-dry-run").exit_code == 0
    assert len(smtp.messages) == 1
    bad = ws / "campaigns" / "outreach.toml"
    bad.write_text(cfg.read_text(), encoding="utf-8")
    monkeypatch.setenv("XHSGROW_OUTREACH_CONFIG", str(bad))
    result = _send(invoke, "--no-dry-run")
    assert result.exit_code == 2 and "must not live in campaigns/" in result.output


# -- ledger: changes, lock, opt-out, quiet hours, caps, rate --------------------------------


def test_changed_template_or_contacts_asks_for_force(ws, invoke, smtp):
    people = _people(3)
    _write_contacts(ws / "contacts.csv", people)
    tpl = ws / "templates" / "note.md"
    tpl.write_text("Subject: 通知\n\n{{ contact.name }}，您好\n", encoding="utf-8")
    assert _send(invoke, "--no-dry-run", tpl="note").exit_code == 0
    tpl.write_text("Subject: 通知（更正）\n\n{{ contact.name }}，您好\n", encoding="utf-8")
    result = _send(invoke, "--no-dry-run", "--no-limit", tpl="note")
    assert result.exit_code == 2
    assert "the template changed since the run of" in result.output
    assert "--force" in result.output
    assert len(smtp.messages) == 1
    result = _send(invoke, "--no-dry-run", "--no-limit", "--force", tpl="note")
    assert result.exit_code == 0, result.output
    assert sorted(smtp.delivered()) == sorted(p["email"] for p in people)  # none twice
    _write_contacts(ws / "contacts.csv", [*people, *_people(5)[3:]])
    result = _send(invoke, "--no-dry-run", "--no-limit", tpl="note")
    assert result.exit_code == 2 and "the contacts changed" in result.output


def test_a_second_run_while_one_holds_the_lock_is_refused(ws, invoke, smtp):
    from xhsgrow.outreach.ledger import Ledger

    _write_contacts(ws / "contacts.csv", _people(2))
    with Ledger(ws / ".xhsgrow" / "ledger.sqlite") as held:
        held.lock()
        result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 2
    assert "another `outreach send` is running" in result.output
    assert f"(pid {os.getpid()})" in result.output
    assert smtp.messages == []
    assert _send(invoke, "--no-dry-run", "--no-limit").exit_code == 0  # lock released
    assert len(smtp.messages) == 2


def test_opt_out_list_is_honoured_on_every_run(ws, invoke, smtp):
    people = _people(4)
    _write_contacts(ws / "contacts.csv", people)
    (ws / "do-not-contact.txt").write_text(
        f"# 退订名单\n{people[1]['email'].upper()}\n", encoding="utf-8"
    )
    extra = ws / "complaints.txt"
    extra.write_text(f"{people[2]['email']}\n", encoding="utf-8")
    result = _send(invoke, "--no-dry-run", "--no-limit", "--opt-out", str(extra))
    assert result.exit_code == 0
    assert sorted(smtp.delivered()) == [people[0]["email"], people[3]["email"]]
    assert "opted out 2" in result.output
    result = _send(invoke, "--no-dry-run", "--no-limit")  # the workspace list still applies
    assert people[1]["email"] not in smtp.delivered()


def test_quiet_hours_in_the_recipients_timezone(ws, invoke, smtp):
    people = _people(2)
    people[0]["timezone"] = "Asia/Shanghai"
    people[1]["timezone"] = "America/New_York"  # 12-13 hours behind Shanghai
    _write_contacts(ws / "contacts.csv", people)
    now = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    quiet = f"{(now - dt.timedelta(hours=1)):%H:%M}-{(now + dt.timedelta(hours=1)):%H:%M}"
    result = _send(invoke, "--no-dry-run", "--no-limit", quiet=quiet)
    assert result.exit_code == 0, result.output
    assert smtp.delivered() == [people[1]["email"]]
    assert "deferred (quiet hours) 1" in result.output
    result = _send(invoke, "--no-dry-run", "--no-limit")  # quiet hours over: the rest goes
    assert sorted(smtp.delivered()) == sorted(p["email"] for p in people)


def test_bad_quiet_hours_and_rate_are_usage_errors(ws, invoke, smtp):
    _write_contacts(ws / "contacts.csv", _people(1))
    for args, text in [
        (("--quiet-hours", "9pm-8am"), "expected HH:MM-HH:MM"),
        (("--rate", "fast"), "expected N/min"),
    ]:
        result = _send(invoke, *args, quiet=None)
        assert result.exit_code == 2 and text in result.output


def test_daily_cap_per_channel(ws, invoke, smtp):
    _write_contacts(ws / "contacts.csv", _people(5))
    result = _send(invoke, "--no-dry-run", "--no-limit", "--daily-cap", "2")
    assert result.exit_code == 0
    assert len(smtp.messages) == 2 and "over daily cap 3" in result.output
    result = _send(invoke, "--no-dry-run", "--no-limit", "--daily-cap", "2")
    assert len(smtp.messages) == 2 and "over daily cap 3" in result.output
    _send(invoke, "--no-dry-run", "--no-limit", "--daily-cap", "4")
    assert len(smtp.messages) == 4


def test_rate_spaces_the_sends(ws, invoke, smtp):
    _write_contacts(ws / "contacts.csv", _people(4))
    start = time.monotonic()
    assert _send(invoke, "--no-dry-run", "--no-limit", "--rate", "600/min").exit_code == 0
    elapsed = time.monotonic() - start
    assert len(smtp.messages) == 4
    assert elapsed >= 0.3  # 600/min = one per 0.1 s: three gaps between four sends


# -- killed mid-way: a real subprocess and a signal -------------------------------------------


def _spawn(ws: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xhsgrow",
            "outreach",
            "send",
            CAMPAIGN,
            "-c",
            "contacts.csv",
            "-t",
            "merchant-invite.zh",
            "--via",
            "smtp",
            "--quiet-hours",
            "none",
            "--no-dry-run",
            "--no-limit",
            *args,
        ],
        cwd=ws,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _kill_when_reached(proc: subprocess.Popen[bytes], smtp: Recorder, sig: int) -> None:
    assert smtp.reached.wait(20), proc.communicate(timeout=5)[0].decode()
    proc.send_signal(sig)
    proc.wait(10)
    smtp.release.set()


def test_killed_between_messages_then_rerun_delivers_each_exactly_once(ws, invoke, smtp):
    people = _people(6)
    _write_contacts(ws / "contacts.csv", people)
    smtp.hold_rcpt_at = 3  # the 3rd message is stuck before DATA when the kill comes
    proc = _spawn(ws)
    _kill_when_reached(proc, smtp, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert len(smtp.messages) == 2
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 0, result.output
    assert "sent 4" in result.output and "already sent 2" in result.output
    delivered = smtp.delivered()
    assert sorted(delivered) == sorted(p["email"] for p in people)  # each exactly once


def test_killed_after_the_server_took_a_message_it_is_unknown_not_resent(ws, invoke, smtp):
    people = _people(6)
    _write_contacts(ws / "contacts.csv", people)
    smtp.hold_data_at = 3  # the server has the 3rd message; the sender dies before the reply
    proc = _spawn(ws)
    _kill_when_reached(proc, smtp, signal.SIGKILL)
    assert len(smtp.messages) == 3
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 0, result.output
    assert "1 message(s) were being sent when an earlier run stopped" in result.output
    assert "--resend-unknown" in result.output
    assert sorted(smtp.delivered()) == sorted(p["email"] for p in people)  # each exactly once
    status = invoke("outreach", "status", CAMPAIGN)
    assert "unknown  m***@leishan.example.cn" in status.output
    doc = __import__("json").loads(invoke("outreach", "status", CAMPAIGN, "-f", "json").stdout)
    assert (doc[0]["sent"], doc[0]["unknown"], doc[0]["pending"]) == (5, 1, 0)
    # resending the unknown one is an explicit choice, and it does what it says
    result = _send(invoke, "--no-dry-run", "--no-limit", "--resend-unknown")
    assert result.exit_code == 0
    assert smtp.delivered().count(people[2]["email"]) == 2
    assert len(smtp.messages) == 7


def test_sigterm_finishes_the_message_in_flight_and_stops(ws, invoke, smtp):
    people = _people(6)
    _write_contacts(ws / "contacts.csv", people)
    smtp.hold_data_at = 2
    proc = _spawn(ws)
    assert smtp.reached.wait(20)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    smtp.release.set()  # the server answers 250 to the message in flight
    out = proc.communicate(timeout=20)[0].decode()
    assert proc.returncode == 0, out
    assert "sent 2" in out and "left for later runs 4" in out
    assert "stopped by a signal" in out
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert "sent 4, failed 0, unknown 0, already sent 2" in result.output
    assert "earlier run stopped" not in result.output
    assert sorted(smtp.delivered()) == sorted(p["email"] for p in people)


def test_connection_lost_after_data_is_unknown_and_not_resent(ws, invoke, smtp):
    people = _people(4)
    _write_contacts(ws / "contacts.csv", people)
    smtp.drop_after_data = {people[1]["email"]}
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 1
    assert "sent 3, failed 0, unknown 1" in result.output
    assert "? unknown m***@leishan.example.cn  connection lost after the message was sent" in (
        result.output
    )
    assert "--resend-unknown" in result.output
    assert not (ws / "failed.csv").exists()
    smtp.drop_after_data = set()
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 0 and "unknown fate 1" in result.output
    assert sorted(smtp.delivered()) == sorted(p["email"] for p in people)


def test_status_before_any_send(ws, invoke, smtp):
    result = invoke("outreach", "status", CAMPAIGN)
    assert result.exit_code == 0
    assert "no messages recorded for 'example-partnership' yet" in result.output


def test_status_of_an_unknown_campaign_is_a_usage_error(ws, invoke):
    result = invoke("outreach", "status", "nope")
    assert result.exit_code == 2 and "no campaign 'nope'" in result.output


def test_unknown_campaign_is_a_usage_error(ws, invoke, smtp):
    _write_contacts(ws / "contacts.csv", _people(1))
    result = invoke(
        "outreach",
        "send",
        "nope",
        "-c",
        "contacts.csv",
        "-t",
        "merchant-invite.zh",
        "--via",
        "smtp",
    )
    assert result.exit_code == 2 and "no campaign 'nope'" in result.output


@pytest.mark.parametrize("command", ["render", "send", "status"])
def test_commands_are_documented_with_an_example(invoke, command):
    assert "Example:" in invoke("outreach", command, "--help").output


def test_injection_attempts_in_contacts_stay_inside_their_fields(ws, invoke, smtp):
    data = Path(__file__).parent / "data" / "contacts" / "injection.csv"
    (ws / "inj.csv").write_bytes(data.read_bytes())
    (ws / "templates" / "inj.md").write_text(
        "Subject: 你好 {{ contact.name }}\n\nDear {{ contact.name }} of {{ contact.shop }}\n",
        encoding="utf-8",
    )
    result = _send(invoke, "--no-dry-run", "--no-limit", contacts="inj.csv", tpl="inj")
    assert result.exit_code == 0, result.output
    assert smtp.delivered() == ["a@example.cn", "b@example.cn", "c@example.cn"]  # no victim
    first, second, third = smtp.parsed()
    assert first.get_body(("plain",)).get_content().splitlines() == [
        "Dear {{ 7*7 }} of {{ ''.__class__.__mro__ }}"
    ]
    assert "<script>" not in second.get_body(("html",)).get_content()
    assert third["Subject"] == "你好 Eve Bcc: victim@example.com"
    assert third["Bcc"] is None
    assert third["To"].addresses[0].display_name == "Eve Bcc: victim@example.com"


def test_bad_from_header_in_a_template_is_caught_before_sending(ws, invoke, smtp):
    _write_contacts(ws / "contacts.csv", _people(2))
    (ws / "templates" / "from.md").write_text(
        "Subject: hi\nFrom: 小红书 <not an address>\n\nHello\n", encoding="utf-8"
    )
    result = _send(invoke, "--no-dry-run", "--no-limit", tpl="from")
    assert result.exit_code == 2
    assert "From: header '小红书 <not an address>' is not an email address" in result.output
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("variable", "value", "error"),
    [
        ("XHSGROW_SMTP_FROM", "not an address", "XHSGROW_SMTP_FROM 'not an address' is not an "
         "email address"),
        ("XHSGROW_SMTP_FROM", "小红书 <bd@>", "XHSGROW_SMTP_FROM '小红书 <bd@>' is not an email "
         "address"),
        ("XHSGROW_SMTP_PORT", "70000", "XHSGROW_SMTP_PORT must be a port number 1-65535, not "
         "'70000'"),
        ("XHSGROW_SMTP_PORT", "smtp", "XHSGROW_SMTP_PORT must be a port number 1-65535, not "
         "'smtp'"),
    ],
)  # fmt: skip
def test_a_configured_sender_or_port_that_cannot_work_is_one_line(
    ws, invoke, smtp, monkeypatch, variable, value, error
):
    # a From that is not an address was an email header traceback, after the ledger was opened
    _write_contacts(ws / "contacts.csv", _people(2))
    monkeypatch.setenv(variable, value)
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert [x for x in result.stderr.splitlines() if x.startswith("Error:")] == [f"Error: {error}"]
    assert smtp.messages == []
    assert not (ws / ".xhsgrow" / "ledger.sqlite").exists()
    # the dry run needs no channel configuration, so it does not read it
    assert _send(invoke).exit_code == 0


def test_a_sender_in_the_config_file_is_checked_and_named_there(ws, invoke, smtp, monkeypatch):
    _write_contacts(ws / "contacts.csv", _people(1))
    monkeypatch.delenv("XHSGROW_SMTP_FROM")
    cfg = ws / ".xhsgrow" / "outreach.toml"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text('[smtp]\nfrom = "bd at example.com"\n', encoding="utf-8")
    result = _send(invoke, "--no-dry-run")
    assert result.exit_code == 2
    assert f"Error: {cfg}: [smtp] from 'bd at example.com' is not an email address" in (
        result.stderr
    )
    assert smtp.messages == []


# -- TLS and login ---------------------------------------------------------------------------


@pytest.fixture
def tls_cert(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    import shutil

    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(folder / "cert.pem"))  # trust it, as a CA would
    return folder


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login(ws, invoke, tls_cert, monkeypatch, security):
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tls_cert / "cert.pem", tls_cert / "key.pem")
    logins: list[tuple[str, bool]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"bd@xhs.example.com" and auth_data.password == b"s3cret"
        logins.append((auth_data.login.decode(), session.ssl is not None))
        return AuthResult(success=ok)

    recorder = Recorder()
    port = _free_port()
    tls = (
        {"tls_context": ctx, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": ctx}
    )
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        # aiosmtpd only counts STARTTLS as TLS; an implicit-TLS socket is TLS from byte one
        auth_require_tls=security == "starttls",
        **tls,
    )
    controller.start()
    try:
        for name, value in [
            ("HOST", "127.0.0.1"),
            ("PORT", str(port)),
            ("SECURITY", security),
            ("USER", "bd@xhs.example.com"),
            ("PASSWORD", "s3cret"),
            ("FROM", "小红书 <bd@xhs.example.com>"),
        ]:
            monkeypatch.setenv(f"XHSGROW_SMTP_{name}", value)
        _write_contacts(ws / "contacts.csv", _people(2))
        result = _send(invoke, "--no-dry-run", "--no-limit")
        assert result.exit_code == 0, result.output
        assert len(recorder.messages) == 2
        assert logins[0][0] == "bd@xhs.example.com"
        assert logins[0][1] or security == "ssl"  # STARTTLS: logged in after the upgrade
    finally:
        controller.stop()
