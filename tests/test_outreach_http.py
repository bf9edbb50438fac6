"""outreach send via webhook and SMS-over-HTTP against a real local HTTP server."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from xhsgrow.specs import init_workspace

TOKEN = "sms-token-3f9a7c"


class Gateway:
    """Plays an SMS gateway / webhook receiver; some numbers get special treatment."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict, dict]] = []  # path, json, headers
        self.behaviour: dict[str, str] = {}  # phone -> "refuse" | "flaky" | "drop"
        self.calls: dict[str, int] = {}
        self.on_post = lambda to: None  # run as each message arrives

    def handler(self) -> type[BaseHTTPRequestHandler]:
        gw = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                to = body.get("to", "")
                gw.calls[to] = gw.calls.get(to, 0) + 1
                gw.on_post(to)
                mode = gw.behaviour.get(to)
                if mode == "drop":  # took the message, died before answering
                    gw.received.append((self.path, body, dict(self.headers)))
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if mode == "flaky" and gw.calls[to] == 1:
                    self._answer(503, {"code": 503, "msg": "busy"})
                    return
                if mode == "refuse":
                    self._answer(200, {"code": 40001, "msg": f"number {to} is on a blocklist"})
                    return
                gw.received.append((self.path, body, dict(self.headers)))
                self._answer(200, {"code": 0, "msg": "ok"})

            def _answer(self, status: int, doc: dict) -> None:
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return H


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch):
    gw = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), gw.handler())
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("XHSGROW_SMS_URL", f"{base}/sms/send")
    monkeypatch.setenv("XHSGROW_SMS_TOKEN", TOKEN)
    monkeypatch.setenv("XHSGROW_OUTREACH_WEBHOOK_URL", f"{base}/hook")
    yield gw
    server.shutdown()
    server.server_close()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    init_workspace(tmp_path)
    lines = [
        json.dumps(
            {"name": name, "phone": f"1380000000{i}", "invite_code": f"XHS{i:03d}"},
            ensure_ascii=False,
        )
        for i, name in enumerate(["小雨", "阿杰", "美美", "老周", "小林", "王姐"], 1)
    ]
    (tmp_path / "friends.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def _send(invoke, via, *args, tpl="referral-invite.zh", campaign="example-referral"):
    limit = () if "--limit" in args else ("--no-limit",)
    return invoke(
        "outreach",
        "send",
        campaign,
        "-c",
        "friends.jsonl",
        "-t",
        tpl,
        "--via",
        via,
        "--quiet-hours",
        "none",
        "--no-dry-run",
        *limit,
        *args,
    )


def test_sms_over_http_sends_the_body_alone_with_the_token(ws, invoke, gateway):
    result = _send(invoke, "sms-http")
    assert result.exit_code == 0, result.output
    assert [b["to"] for _, b, _ in gateway.received] == [f"1380000000{i}" for i in range(1, 7)]
    path, body, headers = gateway.received[0]
    assert path == "/sms/send"
    assert body["text"].startswith("【小红书】小雨，")
    assert "XHS001" in body["text"] and "subject" not in body
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Idempotency-Key"] == body["key"]
    assert len({b["key"] for _, b, _ in gateway.received}) == 6
    assert TOKEN not in result.output
    assert "13800000001" not in result.output and "138****0001" in result.output
    again = _send(invoke, "sms-http")
    assert len(gateway.received) == 6 and "already sent 6" in again.output


@pytest.mark.parametrize(
    ("failed_csv", "reason"),
    [("reports/failed.csv", "Not a directory"), ("out", "Is a directory")],
    ids=["under-a-file", "a-folder"],
)
def test_an_unwritable_failed_csv_stops_the_run_before_a_send(
    ws, invoke, gateway, failed_csv, reason
):
    gateway.behaviour = {"13800000002": "refuse"}
    (ws / "reports").write_text("a file, not a folder", encoding="utf-8")
    (ws / "out").mkdir()
    ledger = sorted(p.name for p in ws.rglob("*") if "ledger" in p.name)
    result = _send(invoke, "sms-http", "--failed-csv", failed_csv)
    assert result.exit_code == 2
    assert result.stderr == f"Error: cannot write {failed_csv}: {reason}\n"  # the first line
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert gateway.calls == {} and gateway.received == []  # found before anything went out
    assert sorted(p.name for p in ws.rglob("*") if "ledger" in p.name) == ledger
    assert not list(ws.glob(".*.tmp"))
    dry = invoke(
        "outreach", "send", "example-referral", "-c", "friends.jsonl", "-t", "referral-invite.zh",
        "--via", "sms-http", "--failed-csv", failed_csv,
    )  # fmt: skip
    assert dry.exit_code == 2 and dry.stderr == result.stderr  # the rehearsal finds it too
    result = _send(invoke, "sms-http", "--failed-csv", "failed-again.csv")
    assert result.exit_code == 1
    assert len(gateway.received) == 5
    rows = (ws / "failed-again.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and rows[1].startswith("阿杰,13800000002,XHS002,")
    result = _send(invoke, "sms-http", "--failed-csv", "failed-again.csv")
    assert len(gateway.received) == 5  # nothing sent twice


def test_failed_csv_that_cannot_be_written_after_sending_still_shows_the_summary(
    ws, invoke, gateway
):
    """The path passed the check before sending, then a folder took its place meanwhile:
    the summary and next steps still show (the messages went out), then the one-line
    error; the ledger kept the failure, so a rerun writes failed.csv and sends nothing."""
    gateway.behaviour = {"13800000002": "refuse"}
    gateway.on_post = lambda to: (ws / "failed.csv").mkdir(exist_ok=True)
    result = _send(invoke, "sms-http")
    assert result.exit_code == 2
    assert "sent 5, failed 1, unknown 0 (of 6 via sms-http)" in result.stderr
    assert "Next: " in result.stderr
    assert "Error: cannot write failed.csv: Is a directory\n" in result.stderr
    assert result.stderr.index("sent 5, failed 1") < result.stderr.index("Error: ")
    assert "another --failed-csv" in result.stderr and "Traceback" not in result.output
    assert not list(ws.glob(".*.tmp"))
    gateway.on_post = lambda to: None
    again = _send(invoke, "sms-http", "--failed-csv", "failed-again.csv")
    assert again.exit_code == 0 and len(gateway.received) == 5  # nothing sent twice
    rows = (ws / "failed-again.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and rows[1].startswith("阿杰,13800000002,XHS002,")


def test_refusal_in_the_body_fails_retryable_errors_retry_and_a_dropped_reply_is_unknown(
    ws, invoke, gateway
):
    gateway.behaviour = {"13800000002": "refuse", "13800000003": "flaky", "13800000004": "drop"}
    result = _send(invoke, "sms-http")
    assert result.exit_code == 1
    assert "sent 4, failed 1, unknown 1" in result.output
    assert gateway.calls["13800000003"] == 2  # 503 then retried: delivered once
    assert [b["to"] for _, b, _ in gateway.received].count("13800000004") == 1
    rows = (ws / "failed.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 2 and rows[1].startswith("阿杰,13800000002,XHS002,")
    assert "code 40001" in rows[1]
    # the unknown one is not resent by a plain rerun, only by --resend-unknown
    gateway.behaviour = {}
    result = _send(invoke, "sms-http")
    assert gateway.calls["13800000004"] == 1
    assert "unknown fate 1" in result.output
    _send(invoke, "sms-http", "--resend-unknown")
    assert gateway.calls["13800000004"] == 2


def test_unreachable_gateway_stops_the_run_and_loses_nothing(ws, invoke, gateway, monkeypatch):
    live = __import__("os").environ["XHSGROW_SMS_URL"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    monkeypatch.setenv("XHSGROW_SMS_URL", f"http://127.0.0.1:{dead}/sms/send?token=abc123")
    cfg = ws / ".xhsgrow" / "outreach.toml"
    cfg.parent.mkdir()
    cfg.write_text("[sms]\nattempts = 2\nbackoff = 0.01\n", encoding="utf-8")
    result = _send(invoke, "sms-http", "--limit", "2")
    assert result.exit_code == 1
    assert "stopped: gave up after 2 tries: cannot connect" in result.output
    assert "abc123" not in result.output and "token=***" in result.output
    doc = json.loads(invoke("outreach", "status", "example-referral", "-f", "json").stdout)
    assert (doc[0]["sent"], doc[0]["failed"], doc[0]["unknown"]) == (0, 0, 0)
    monkeypatch.setenv("XHSGROW_SMS_URL", live)
    result = _send(invoke, "sms-http", "--limit", "2")
    assert result.exit_code == 0
    assert [b["to"] for _, b, _ in gateway.received] == ["13800000001", "13800000002"]


def test_webhook_gets_subject_and_text(ws, invoke, gateway):
    (ws / "templates" / "chat.md").write_text(
        "Subject: 春晚提醒\n\n{{ contact.name }}，除夕 20:00 见！\n", encoding="utf-8"
    )
    result = _send(invoke, "webhook", tpl="chat", campaign="example-gala")
    assert result.exit_code == 0, result.output
    path, body, headers = gateway.received[0]
    assert path == "/hook"
    assert body["subject"] == "春晚提醒" and body["text"] == "小雨，除夕 20:00 见！\n"
    assert body["campaign"] == "example-gala" and body["template"] == "chat.md"
    assert "Authorization" not in headers


def test_unconfigured_channel_is_a_usage_error(ws, invoke, gateway, monkeypatch):
    monkeypatch.delenv("XHSGROW_SMS_URL")
    result = _send(invoke, "sms-http")
    assert result.exit_code == 2
    assert "sms-http is not configured: XHSGROW_SMS_URL is not set" in result.output
    assert gateway.received == []
