"""Audit of `xhsgrow outreach` against docs/outreach.md, run as staff and CI run it.

Each test states a documented behaviour worked out by hand. The loopback SMTP server and
HTTP gateway are the ones of test_outreach_smtp.py and test_outreach_http.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import threading
import types
from http.server import ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import test_outreach_smtp as _smtp_tests
from tests.conftest import REPO
from tests.test_outreach_http import Gateway
from tests.test_outreach_smtp import CAMPAIGN, _people, _send, _write_contacts

SH = ZoneInfo("Asia/Shanghai")
# the loopback SMTP server and the workspace of test_outreach_smtp.py, as fixtures here too
smtp = _smtp_tests.smtp
ws = _smtp_tests.ws


def _errors(result) -> list[str]:
    return [x for x in result.stderr.splitlines() if x.startswith("Error:")]


def _status(invoke, campaign: str = CAMPAIGN) -> dict:
    (row,) = json.loads(invoke("outreach", "status", campaign, "--format", "json").stdout)
    return row


# -- "Continue on error: a bad address ... is recorded with its reason and the run goes on" ---


def test_an_address_the_email_package_refuses_fails_alone_and_the_run_goes_on(ws, invoke, smtp):
    # "li..na@" passed the address check, then email.headerregistry raised in the middle of
    # the run: a traceback, the summary and failed.csv lost
    people = _people(3)
    people[1]["email"] = "li..na@example.cn"
    _write_contacts(ws / "contacts.csv", people)
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 1
    assert smtp.delivered() == [people[0]["email"], people[2]["email"]]
    assert "sent 2, failed 1, unknown 0 (of 3 via smtp)" in result.stderr
    assert _errors(result) == ["Error: 1 failed, 0 unknown in this run"]
    with (ws / "failed.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["email"], r["reason"]) for r in rows] == [
        ("li..na@example.cn", "invalid email address")
    ]


# -- status: "pending (the last run's contacts, not counting opt-outs and duplicates, that are
#    not yet sent, failed or unknown)" ------------------------------------------------------


def test_pending_counts_the_last_runs_contacts_after_an_opt_out(ws, invoke, smtp):
    people = _people(4)
    _write_contacts(ws / "contacts.csv", people)
    assert _send(invoke, "--no-dry-run", "--limit", "2").exit_code == 0  # people 0 and 1
    (ws / "do-not-contact.txt").write_text(people[0]["email"] + "\n", encoding="utf-8")
    assert _send(invoke, "--no-dry-run", "--limit", "1").exit_code == 0  # person 2
    row = _status(invoke)
    # last run's contacts without the opt-out: 1, 2, 3; 1 and 2 sent -> 3 is pending
    assert (row["sent"], row["failed"], row["unknown"], row["pending"]) == (3, 0, 0, 1)


def test_pending_counts_the_last_runs_contacts_after_a_changed_list(ws, invoke, smtp):
    people = _people(5)
    _write_contacts(ws / "contacts.csv", people[:2])
    assert _send(invoke, "--no-dry-run", "--no-limit").exit_code == 0
    _write_contacts(ws / "contacts.csv", people[2:])  # three new merchants
    assert _send(invoke, "--no-dry-run", "--force").exit_code == 0  # one of them
    row = _status(invoke)
    assert (row["sent"], row["pending"]) == (3, 2)


# -- credentials: "missing or invalid configuration" is one line, exit 2, nothing sent --------


def test_an_smtp_user_without_a_password_is_one_line_before_the_ledger(
    ws, invoke, smtp, monkeypatch
):
    monkeypatch.setenv("XHSGROW_SMTP_USER", "bd@example.com")
    _write_contacts(ws / "contacts.csv", _people(2))
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 2
    assert _errors(result) == [
        "Error: SMTP is not configured: XHSGROW_SMTP_PASSWORD is not set (XHSGROW_SMTP_USER is)"
    ]
    assert smtp.messages == []
    assert not (ws / ".xhsgrow" / "ledger.sqlite").exists()


def test_a_login_to_a_server_without_auth_is_a_configuration_error(ws, invoke, smtp, monkeypatch):
    # was "stopped: cannot reach SMTP server ...: SMTP AUTH extension not supported", exit 1
    import os

    monkeypatch.setenv("XHSGROW_SMTP_USER", "bd@example.com")
    monkeypatch.setenv("XHSGROW_SMTP_PASSWORD", "s3cret-pw")
    _write_contacts(ws / "contacts.csv", _people(2))
    result = _send(invoke, "--no-dry-run", "--no-limit")
    assert result.exit_code == 2
    port = os.environ["XHSGROW_SMTP_PORT"]
    assert _errors(result) == [
        f"Error: SMTP server 127.0.0.1:{port} offers no login (AUTH), but a user is configured"
    ]
    assert smtp.messages == [] and "s3cret-pw" not in result.output
    assert _status(invoke)["pending"] == 2


# -- a fixed failed.csv: nobody skipped silently ----------------------------------------------


def test_a_corrected_address_skipped_by_resend_failed_gets_a_hint_that_sends_it(ws, invoke, smtp):
    people = _people(3)
    people[1]["email"] = "not-an-address"
    _write_contacts(ws / "contacts.csv", people)
    assert _send(invoke, "--no-dry-run", "--no-limit").exit_code == 1
    fixed = (ws / "failed.csv").read_text(encoding="utf-8")
    (ws / "fixed.csv").write_text(fixed.replace("not-an-address", "li.na@example.cn"), "utf-8")
    result = _send(
        invoke, "--no-dry-run", "--no-limit", "--resend-failed", "--force", contacts="fixed.csv"
    )
    assert result.exit_code == 0
    assert "not yet sent (skipped by --resend-failed) 1" in result.stderr
    hint = (
        "xhsgrow outreach send example-partnership --contacts fixed.csv --template "
        "merchant-invite.zh --via smtp --no-dry-run --no-limit   # sends the rows not yet sent"
    )
    assert hint in [x.removeprefix("Next: ").strip() for x in result.stderr.splitlines()]
    assert _send(invoke, "--no-dry-run", "--no-limit", contacts="fixed.csv").exit_code == 0
    assert sorted(smtp.delivered()) == sorted(
        [people[0]["email"], people[2]["email"], "li.na@example.cn"]
    )


# -- Chinese and English renders differ only in language ---------------------------------------


@pytest.fixture
def qdn(ws: Path) -> Path:
    shutil.copy(REPO / "campaigns" / "qiandongnan-counties-2025.toml", ws / "campaigns")
    return ws


def test_english_merchant_invite_keeps_the_commitments_as_written(qdn, invoke):
    # `capitalize` lower-cased the rest: "Traffic support for qiandongnan notes ..."
    (qdn / "m.csv").write_text("name,shop,email\n王建国,雷山银饰坊,w@example.cn\n", "utf-8")
    en = invoke("outreach", "render", "qiandongnan-counties-2025", "-c", "m.csv",
                "-t", "merchant-invite.en")  # fmt: skip
    zh = invoke("outreach", "render", "qiandongnan-counties-2025", "-c", "m.csv",
                "-t", "merchant-invite.zh")  # fmt: skip
    assert en.exit_code == zh.exit_code == 0
    bullets = [x for x in en.stdout.splitlines() if x.startswith("- ")][:3]
    assert bullets == [
        "- Traffic support for Qiandongnan notes and livestreams (500,000,000 impressions)",
        "- Merchant and creator training sessions (24 sessions)",
        "- County-head livestream events (8 livestreams)",
    ]
    assert "- traffic support for Qiandongnan notes and livestreams（5亿 impressions）" in zh.stdout


# -- "a missing field is an error naming the template line and the contact's line" -----------


def test_a_missing_field_reads_as_documented(ws, invoke):
    (ws / "noshop.csv").write_text("name,email\nA,a@example.cn\n", encoding="utf-8")
    result = invoke("outreach", "render", CAMPAIGN, "-c", "noshop.csv", "-t", "merchant-invite.zh")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "  outreach/merchant-invite.zh.md:2: missing field 'shop' (contact on noshop.csv line 2)"
    )


# -- HTTP: 429 / 500 then OK are retried; a channel that stays down leaves the message pending --


class ScriptedGateway(Gateway):
    """The test gateway, with a scripted list of answers per phone before the normal OK."""

    def __init__(self) -> None:
        super().__init__()
        self.script: dict[str, list[tuple[int, dict[str, str]]]] = {}

    def handler(self):  # type: ignore[no-untyped-def]
        base, gw = super().handler(), self

        class H(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                to = body["to"]
                gw.calls[to] = gw.calls.get(to, 0) + 1
                if gw.script.get(to):
                    status, headers = gw.script[to].pop(0)
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                gw.received.append((self.path, body, dict(self.headers)))
                self._answer(200, {"code": 0, "msg": "ok"})

        return H


@pytest.fixture
def sms(ws: Path, monkeypatch: pytest.MonkeyPatch):
    gw = ScriptedGateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), gw.handler())
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("XHSGROW_SMS_URL", f"http://127.0.0.1:{server.server_address[1]}/sms")
    (ws / ".xhsgrow").mkdir(exist_ok=True)
    (ws / ".xhsgrow" / "outreach.toml").write_text("[sms]\nattempts = 3\nbackoff = 0.01\n")
    lines = [
        json.dumps({"name": n, "phone": f"1380000000{i}", "invite_code": f"XHS{i}"})
        for i, n in enumerate(["Amy", "Bo", "Cai", "Dee"], 1)
    ]
    (ws / "f.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    yield gw
    server.shutdown()
    server.server_close()


def _sms(invoke):
    return invoke("outreach", "send", "example-referral", "-c", "f.jsonl",
                  "-t", "referral-invite.en", "--via", "sms-http", "--quiet-hours", "none",
                  "--no-dry-run", "--no-limit")  # fmt: skip


def test_429_and_500_then_ok_are_sent_once_and_a_dead_gateway_leaves_one_pending(invoke, sms):
    sms.script = {
        "13800000001": [(429, {"Retry-After": "0"})],
        "13800000002": [(500, {})],
        "13800000003": [(500, {})] * 3,  # every try: the channel is down
    }
    result = _sms(invoke)
    assert result.exit_code == 1
    assert [b["to"] for _, b, _ in sms.received] == ["13800000001", "13800000002"]
    assert sms.calls == {"13800000001": 2, "13800000002": 2, "13800000003": 3}
    # every contact accounted for: 2 sent + 1 not taken + 1 left = 4
    assert (
        "sent 2, failed 0, unknown 0, not sent (channel down) 1, left for later runs 1 "
        "(of 4 via sms-http)"
    ) in result.stderr
    assert "· pending 138****0003" in result.stdout
    row = _status(invoke, "example-referral")
    assert (row["sent"], row["failed"], row["unknown"], row["pending"]) == (2, 0, 0, 2)
    again = _sms(invoke)
    assert again.exit_code == 0
    assert [b["to"] for _, b, _ in sms.received] == [f"1380000000{i}" for i in range(1, 5)]


# -- quiet hours at their edges, across midnight, in each recipient's timezone ----------------


def _clock(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> None:
    """Make the send run (and the ledger) see ``moment`` as now."""
    import xhsgrow.outreach.ledger as ledger_mod
    import xhsgrow.outreach.send as send_mod

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    fake = types.SimpleNamespace(**{k: getattr(dt, k) for k in dir(dt) if k[:2] != "__"})
    fake.datetime = Frozen
    monkeypatch.setattr(send_mod, "dt", fake)
    monkeypatch.setattr(ledger_mod, "dt", fake)


@pytest.mark.parametrize(
    ("shanghai", "deferred"),
    [
        # Feb 2027: New York UTC-5, London UTC+0, Shanghai (and the blank row) UTC+8
        ((20, 59, 59), ["new_york"]),  # NY 07:59:59
        ((21, 0, 0), ["shanghai"]),  # NY 08:00 free, Shanghai's quiet starts
        ((7, 59, 59), ["shanghai", "london"]),  # London 23:59:59
        ((8, 0, 0), ["london"]),  # London 00:00, Shanghai free again
        ((0, 30, 0), ["shanghai"]),  # across midnight
    ],
)
def test_default_quiet_hours_at_their_edges_in_each_recipients_timezone(
    ws, invoke, smtp, monkeypatch, shanghai, deferred
):
    people = _people(3)
    for person, tz in zip(people, ["", "America/New_York", "Europe/London"], strict=True):
        person["timezone"] = tz
    _write_contacts(ws / "contacts.csv", people)
    _clock(monkeypatch, dt.datetime(2027, 2, 5, *shanghai, tzinfo=SH))
    result = _send(invoke, "--no-dry-run", "--no-limit", quiet=None)  # settings: 21:00-08:00
    assert result.exit_code == 0
    names = {"shanghai": 0, "new_york": 1, "london": 2}
    expected = [p["email"] for i, p in enumerate(people) if i not in {names[d] for d in deferred}]
    assert smtp.delivered() == expected
    assert f"deferred (quiet hours) {len(deferred)}" in result.stderr


def test_daily_cap_starts_again_at_midnight_in_the_workspace_timezone(
    ws, invoke, smtp, monkeypatch
):
    _write_contacts(ws / "contacts.csv", _people(3))
    for moment, total in [
        (dt.datetime(2027, 2, 5, 0, 10, tzinfo=SH), 1),  # 2027-02-04 16:10 UTC
        (dt.datetime(2027, 2, 5, 23, 50, tzinfo=SH), 1),  # same Shanghai day: capped
        (dt.datetime(2027, 2, 6, 0, 10, tzinfo=SH), 2),  # a new Shanghai day
    ]:
        _clock(monkeypatch, moment)
        assert _send(invoke, "--no-dry-run", "--no-limit", "--daily-cap", "1").exit_code == 0
        assert len(smtp.messages) == total
