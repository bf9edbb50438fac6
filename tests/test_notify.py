"""Chat webhooks: signatures, payload limits, config, and a real local server per platform."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_results import gala, partnership, referral, tracking_result
from xhsgrow.errors import XhsgrowError
from xhsgrow.net.http import HttpError, RetryPolicy
from xhsgrow.notify import NotifyError, Webhook, platforms, prepare, resolve, send, summarize
from xhsgrow.report import run as report_run

FEISHU_SECRET = "fs-Secret-Val-9x2"
DING_SECRET = "SEC4f5d0c1e2b3a49687766554433221100ffeeddccbbaa99"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
TOKEN = "tok-3c9f1a7e55d2"
SIGN_FAIL = (
    '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}'
)
FAST = RetryPolicy(attempts=3, backoff=0.01, max_wait=0.05, timeout=5)
SECRETS = {"feishu": FEISHU_SECRET, "dingtalk": DING_SECRET}  # the platforms that sign


def no_secrets(text: str) -> None:
    for secret in (TOKEN, WECOM_KEY, FEISHU_SECRET, DING_SECRET):
        assert secret not in text


# ---- signatures against the platforms' documented examples -------------------------------------


def test_feishu_signature_matches_the_documented_algorithm() -> None:
    # Feishu's docs: timestamp in seconds (their example request uses 1599360473); the string
    # to sign is timestamp + "\n" + secret, used as the HMAC-SHA256 *key* over an empty message.
    ts, secret = 1599360473, "demo-secret"
    expected = base64.b64encode(
        hmac.new(f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert platforms.feishu_sign(ts, secret) == expected
    # the usual mistake (secret as key, string as message) is DingTalk's scheme, not Feishu's
    wrong = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert platforms.feishu_sign(ts, secret) != wrong


def test_dingtalk_signature_matches_the_documented_algorithm() -> None:
    # DingTalk's docs: timestamp in milliseconds (e.g. 1577262236757), secret starting "SEC",
    # HMAC-SHA256 keyed by the secret over timestamp + "\n" + secret, base64, URL-encoded.
    ts, secret = 1577262236757, "SECxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    raw = base64.b64encode(
        hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert platforms.dingtalk_sign(ts, secret) == raw
    url = platforms.dingtalk_url(
        "https://oapi.dingtalk.com/robot/send?access_token=abc", ts, secret
    )
    query = url.split("?", 1)[1]
    assert f"&timestamp={ts}&sign=" in url
    assert urllib.parse.quote_plus(raw) in query  # URL-encoded: + / = never appear raw
    assert urllib.parse.parse_qs(query)["sign"] == [raw]


def test_signed_feishu_body_carries_timestamp_and_sign() -> None:
    hook = Webhook("team", "feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/x", "s3cret")
    prepared = prepare(hook, summarize(tracking_result()), now=1_800_000_000.7)
    body = prepared.payload
    assert body["timestamp"] == "1800000000"  # seconds, as a string
    assert body["sign"] == platforms.feishu_sign(1_800_000_000, "s3cret")
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["template"] == "red"  # the worst campaign is off track


# ---- payloads within each platform's limits ----------------------------------------------------


def many_campaigns(n: int = 300) -> Any:
    base = [gala(), referral(), partnership()]
    out = []
    for i in range(n):
        c = base[i % 3]
        out.append(replace(c, id=f"{c.id}-{i:03d}", name=f"{c.name} — 第{i}期 " + "长" * 30))
    return tracking_result(*out)


def test_wecom_markdown_stays_within_4096_bytes_and_links_the_report() -> None:
    summary = summarize(many_campaigns(), report_url="https://ci.example/report.html")
    content = platforms.wecom(summary)["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert "more campaign(s) not shown" in content
    assert "(https://ci.example/report.html)" in content
    shown = content.count("> 🔴") + content.count("> 🟠") + content.count("> 🟢")
    assert 0 < shown < 300
    assert content.index("🔴") < content.index("🟢")  # worst first survives the cut


def test_slack_stays_within_50_blocks() -> None:
    body = platforms.slack(summarize(many_campaigns(), report_url="https://ci.example/r"))
    assert len(body["blocks"]) <= 50
    assert "<https://ci.example/r|Full report>" in json.dumps(body["blocks"][-1])
    assert body["text"]  # notification fallback


@pytest.mark.parametrize("kind", ["feishu", "dingtalk"])
def test_feishu_and_dingtalk_stay_within_20kb(kind: str) -> None:
    summary = summarize(many_campaigns(), report_url="https://ci.example/r")
    body = platforms.BUILDERS[kind](summary)
    size = len(json.dumps(body, ensure_ascii=False).encode())
    assert 15_000 < size <= 20_000
    assert "more campaign(s) not shown" in json.dumps(body, ensure_ascii=False)


def test_chinese_summary() -> None:
    content = platforms.wecom(summarize(tracking_result(), lang="zh"))["markdown"]["content"]
    assert (
        "活动进度报告" in content and "落后" in content and "新增用户 203万 / 500万" in content
    ), content


def test_only_an_http_report_url_becomes_a_link() -> None:
    # every platform turns it into a link (a Feishu button, Markdown, Slack's <url|text>)
    with pytest.raises(XhsgrowError, match=r"--report-url 'javascript:alert\(1\)' is not an http"):
        summarize(tracking_result(), report_url="javascript:alert(1)")
    assert summarize(tracking_result(), report_url="https://ci/r").report_url == "https://ci/r"


# ---- configuration -----------------------------------------------------------------------------


def test_env_configures_a_named_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "XHSGROW_WEBHOOK_GROWTH_TEAM_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
    )
    monkeypatch.setenv("XHSGROW_WEBHOOK_GROWTH_TEAM_KIND", "WeCom")
    hook = resolve("growth-team")
    assert (hook.kind, hook.url, hook.secret) == (
        "wecom",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K",
        None,
    )
    assert "key=K" not in repr(hook) and "key=***" in hook.shown_url


def test_config_file_outside_campaigns(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workspace / ".xhsgrow").mkdir()
    (workspace / ".xhsgrow" / "webhooks.toml").write_text(
        '[webhooks.ops]\nkind = "dingtalk"\n'
        f'url = "https://oapi.dingtalk.com/robot/send?access_token={TOKEN}"\n'
        f'secret = "{DING_SECRET}"\n'
    )
    hook = resolve("ops", workspace_root=workspace)
    assert (hook.kind, hook.secret) == ("dingtalk", DING_SECRET)
    # the environment wins over the file
    monkeypatch.setenv("XHSGROW_WEBHOOK_OPS_URL", "https://hooks.slack.com/services/T/B/X")
    monkeypatch.setenv("XHSGROW_WEBHOOK_OPS_KIND", "slack")
    assert resolve("ops", workspace_root=workspace).kind == "slack"


def test_config_file_inside_campaigns_is_refused(workspace: Path) -> None:
    bad = workspace / "campaigns" / "hooks.toml"
    bad.write_text(
        '[webhooks.ops]\nkind = "slack"\nurl = "https://hooks.slack.com/services/T/B/X"\n'
    )
    with pytest.raises(NotifyError, match="must not live in campaigns/"):
        resolve("ops", workspace_root=workspace, config_file=bad)


def test_missing_and_wrong_config_errors(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> None:
    with pytest.raises(NotifyError, match="'team' is not configured") as info:
        resolve("team", workspace_root=workspace)
    assert "XHSGROW_WEBHOOK_TEAM_URL" in (info.value.hint or "")
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_URL", f"https://example.com/hook/{TOKEN}")
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_KIND", "teams")
    with pytest.raises(NotifyError) as info:
        resolve("team")
    assert "kind must be one of feishu, wecom, dingtalk, slack" in str(info.value)
    assert TOKEN not in str(info.value)


# ---- a real local server that plays each platform ----------------------------------------------


class ChatServer:
    """Feishu, WeCom, DingTalk and Slack on 127.0.0.1: checks signatures and keys, and answers
    rate limits or 5xx when a test queues them in ``script[platform]``."""

    def __init__(self) -> None:
        self.script: dict[str, list[str]] = defaultdict(list)
        self.attempts: list[tuple[str, str]] = []  # (platform, verdict)
        self.delivered: dict[str, list[Any]] = defaultdict(list)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                url = urllib.parse.urlsplit(self.path)
                platform = url.path.split("/")[1]
                query = urllib.parse.parse_qs(url.query)
                status, body, headers = server.answer(platform, url.path, query, raw)
                server.attempts.append((platform, str(status) + " " + body[:40]))
                data = body.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> ChatServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def answer(self, platform: str, path: str, query: dict, raw: bytes) -> tuple[int, str, dict]:
        scripted = self.script[platform].pop(0) if self.script[platform] else None
        if scripted == "500":
            return 500, "internal error", {}
        if scripted == "429":
            return 429, "rate_limited", {"Retry-After": "0"}
        if scripted == "302":  # a login page in front of the hook
            return 302, "", {"Location": f"{self.base}/login?next={TOKEN}"}
        if scripted == "308":  # the hook moved: its token is in the new path
            return 308, "", {"Location": f"{self.base}/v3/moved/{TOKEN}"}
        ok = {"feishu": '{"code":0,"msg":"success","data":{}}', "slack": "ok"}.get(
            platform, '{"errcode":0,"errmsg":"ok"}'
        )
        body = json.loads(raw) if platform != "none" else None
        if platform == "feishu":
            if path != f"/feishu/open-apis/bot/v2/hook/{TOKEN}":
                return (
                    200,
                    '{"code":19001,"msg":"param invalid: incoming webhook access token invalid"}',
                    {},
                )
            ts = int(body["timestamp"])
            key = f"{ts}\n{FEISHU_SECRET}".encode()
            want = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if body.get("sign") != want or abs(time.time() - ts) > 3600:
                return 200, SIGN_FAIL, {}
            if scripted == "ratelimit":
                return (
                    200,
                    '{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]"}',
                    {},
                )
        elif platform == "wecom":
            if query.get("key") != [WECOM_KEY]:
                return 200, '{"errcode":93000,"errmsg":"invalid webhook url"}', {}
            if len(body["markdown"]["content"].encode()) > 4096:
                return (
                    200,
                    '{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}',
                    {},
                )
            if scripted == "ratelimit":
                return 200, '{"errcode":45009,"errmsg":"api freq out of limit"}', {}
        elif platform == "dingtalk":
            ts = int(query["timestamp"][0])
            msg = f"{ts}\n{DING_SECRET}".encode()
            want = base64.b64encode(
                hmac.new(DING_SECRET.encode(), msg, hashlib.sha256).digest()
            ).decode()
            if query.get("access_token") != [TOKEN]:
                return 200, '{"errcode":300001,"errmsg":"token is not exist"}', {}
            if query.get("sign") != [want] or abs(time.time() * 1000 - ts) > 3_600_000:
                return 200, '{"errcode":310000,"errmsg":"sign not match"}', {}
            if scripted == "ratelimit":
                return (
                    200,
                    '{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}',
                    {},
                )
        elif platform == "slack":
            if path != f"/slack/services/T0001/B0001/{TOKEN}":
                return 404, "no_service", {}
            if len(body["blocks"]) > 50:
                return 400, "invalid_blocks", {}
            if scripted == "ratelimit":
                return 429, "rate_limited", {"Retry-After": "0"}
        self.delivered[platform].append(body)
        return 200, ok, {"Content-Type": "application/json"}

    def url(self, platform: str, token: str = TOKEN) -> str:
        return {
            "feishu": f"{self.base}/feishu/open-apis/bot/v2/hook/{token}",
            "wecom": f"{self.base}/wecom/cgi-bin/webhook/send?key="
            + (WECOM_KEY if token == TOKEN else token),
            "dingtalk": f"{self.base}/dingtalk/robot/send?access_token={token}",
            "slack": f"{self.base}/slack/services/T0001/B0001/{token}",
        }[platform]

    def hook(self, platform: str, token: str = TOKEN, secret: str | None = "default") -> Webhook:
        if secret == "default":
            secret = SECRETS.get(platform)
        return Webhook("team", platform, self.url(platform, token), secret)


@pytest.fixture
def chat() -> Iterator[ChatServer]:
    with ChatServer() as server:
        yield server


PLATFORMS = ["feishu", "wecom", "dingtalk", "slack"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_platform_accepts_the_signed_message(chat: ChatServer, platform: str) -> None:
    hook = chat.hook(platform)
    send.post(prepare(hook, summarize(tracking_result(), report_url="https://ci/r")), policy=FAST)
    (body,) = chat.delivered[platform]
    assert "Spring Festival Gala 2027" in json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("trouble", ["ratelimit", "500", "429"])
def test_rate_limits_and_5xx_are_retried(chat: ChatServer, platform: str, trouble: str) -> None:
    chat.script[platform] = [trouble]
    send.post(prepare(chat.hook(platform), summarize(tracking_result())), policy=FAST)
    assert len(chat.delivered[platform]) == 1
    assert [p for p, _ in chat.attempts] == [platform, platform]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_gives_up_with_a_clear_error_and_no_secret(chat: ChatServer, platform: str) -> None:
    chat.script[platform] = ["ratelimit", "500", "ratelimit"]
    with pytest.raises(HttpError) as info:
        send.post(prepare(chat.hook(platform), summarize(tracking_result())), policy=FAST)
    message = str(info.value)
    assert "gave up after 3 tries" in message and f"{platform} webhook 'team'" in message
    no_secrets(message)
    assert not chat.delivered[platform]


@pytest.mark.parametrize(
    ("platform", "why"),
    [("feishu", "19021"), ("dingtalk", "310000"), ("wecom", "93000"), ("slack", "HTTP 404")],
)
def test_refusals_fail_at_once_without_leaking(chat: ChatServer, platform: str, why: str) -> None:
    # a wrong secret or token: the platform says so; we must not retry or show the secret
    signed = platform in ("feishu", "dingtalk")
    token = TOKEN if signed else "wrong-token-1234"
    hook = chat.hook(platform, token=token, secret="wrong-secret-5678" if signed else None)
    with pytest.raises(HttpError) as info:
        send.post(prepare(hook, summarize(tracking_result())), policy=FAST)
    assert why in str(info.value)
    assert "wrong-token-1234" not in str(info.value) and "wrong-secret-5678" not in str(info.value)
    assert len(chat.attempts) == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_redirected_webhook_is_a_failure_not_a_delivery(chat: ChatServer, platform: str) -> None:
    """A 302 to a POST is not followed (re-sending a message elsewhere is not ours to decide):
    it fails at once, naming the status and where it pointed, with no secret shown."""
    chat.script[platform] = ["302"]
    with pytest.raises(HttpError) as info:
        send.post(prepare(chat.hook(platform), summarize(tracking_result())), policy=FAST)
    message = str(info.value)
    assert message.endswith(f"HTTP 302 Found to {chat.base}/login (not followed)")
    no_secrets(message)
    assert not chat.delivered[platform] and len(chat.attempts) == 1


def test_a_moved_webhook_names_where_without_its_token(chat: ChatServer) -> None:
    """A 308 to a path that carries the hook's token: the token is masked in the message."""
    chat.script["feishu"] = ["308"]
    with pytest.raises(HttpError) as info:
        send.post(prepare(chat.hook("feishu"), summarize(tracking_result())), policy=FAST)
    message = str(info.value)
    moved = f"{chat.base}/v3/moved/***"
    assert message.endswith(f"HTTP 308 Permanent Redirect to {moved} (not followed)")
    no_secrets(message)
    assert not chat.delivered["feishu"] and len(chat.attempts) == 1


# ---- the CLI end to end ------------------------------------------------------------------------


@pytest.fixture
def tracked(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> None:
    monkeypatch.setattr(report_run, "track_campaigns", lambda *a, **k: tracking_result())


def configure(monkeypatch: pytest.MonkeyPatch, chat: ChatServer, platform: str) -> None:
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_URL", chat.url(platform))
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_KIND", platform)
    if platform in SECRETS:
        monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_SECRET", SECRETS[platform])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_notify_cli_posts(
    invoke: Any, tracked: None, chat: ChatServer, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    configure(monkeypatch, chat, platform)
    chat.script[platform] = ["429"]  # Retry-After: 0, so no waiting
    res = invoke("notify", "team", "--data", "events/", "--report-url", "https://ci/r.html")
    assert res.exit_code == 0, res.output
    assert f"posted 3 campaign(s) to {platform} webhook 'team'" in res.stderr
    assert len(chat.delivered[platform]) == 1
    no_secrets(res.output)


def test_notify_dry_run_prints_the_payload_and_sends_nothing(
    invoke: Any, tracked: None, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, chat, "feishu")
    res = invoke("notify", "team", "--dry-run", "--lang", "zh")
    assert res.exit_code == 0
    head, body = res.stdout.split("\n", 1)
    assert head.startswith("POST ") and "/hook/***" in head
    payload = json.loads(body)
    assert payload["msg_type"] == "interactive" and payload["sign"] == send.SIGN_SHOWN
    assert "活动进度报告" in payload["card"]["header"]["title"]["content"]
    assert not chat.attempts
    no_secrets(res.output)


def test_notify_cli_failure_is_one_clear_line(
    invoke: Any, tracked: None, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, chat, "dingtalk")
    monkeypatch.setenv("XHSGROW_WEBHOOK_TEAM_SECRET", "SECwrong")
    res = invoke("notify", "team")
    assert res.exit_code == 2
    assert "Error: dingtalk webhook 'team'" in res.stderr and "sign not match" in res.stderr
    assert "Traceback" not in res.output
    no_secrets(res.output)


def test_notify_unconfigured_is_a_usage_error(invoke: Any, tracked: None) -> None:
    res = invoke("notify", "nobody")
    assert res.exit_code == 2 and "'nobody' is not configured" in res.stderr
    assert "XHSGROW_WEBHOOK_NOBODY_URL" in res.stderr


def _error_lines(res: Any) -> list[str]:
    return [x for x in res.stderr.splitlines() if x.startswith("Error:")]


@pytest.mark.parametrize("shape", ["missing", "folder"])
def test_a_named_webhooks_file_that_is_not_a_file_is_named(
    invoke: Any, tracked: None, monkeypatch: pytest.MonkeyPatch, workspace: Path, shape: str
) -> None:
    # Skipping it would say "webhook 'team' is not configured" and hint at another file.
    if shape == "folder":
        (workspace / "hooks.toml").mkdir()
    what = "is a folder, not a webhooks file" if shape == "folder" else "no such webhooks file"
    res = invoke("notify", "team", "--dry-run", "--webhooks-file", "hooks.toml")
    assert res.exit_code == 2
    assert _error_lines(res) == [f"Error: hooks.toml: {what}"]
    monkeypatch.setenv("XHSGROW_WEBHOOKS_FILE", "hooks.toml")
    res = invoke("report", "--post", "team")
    assert res.exit_code == 2
    assert _error_lines(res) == [f"Error: XHSGROW_WEBHOOKS_FILE=hooks.toml: {what}"]
    # the default .xhsgrow/webhooks.toml stays optional
    monkeypatch.delenv("XHSGROW_WEBHOOKS_FILE")
    res = invoke("notify", "team", "--dry-run")
    assert res.exit_code == 2 and "'team' is not configured" in res.stderr


def test_a_webhooks_file_that_is_not_utf8_is_one_line(
    invoke: Any, tracked: None, workspace: Path
) -> None:
    (workspace / "hooks.toml").write_bytes(
        b'[webhooks.team]\nkind = "slack"\nurl = "https://hooks.slack.com/x"\n# \xb2\xe2\xca\xd4\n'
    )
    res = invoke("notify", "team", "--dry-run", "--webhooks-file", "hooks.toml")
    assert res.exit_code == 2
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert _error_lines(res) == ["Error: hooks.toml:4: not UTF-8 text; save it as UTF-8"]


def test_report_post_sends_and_keeps_the_exit_code(
    invoke: Any, tracked: None, chat: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, chat, "slack")
    res = invoke("report", "--post", "team", "--fail-on", "off-track", "--format", "json")
    assert res.exit_code == 1  # the gala is off track; the post still went out
    assert json.loads(res.stdout)["report"]["failing"] == ["gala-2027"]
    assert len(chat.delivered["slack"]) == 1
    no_secrets(res.output)
