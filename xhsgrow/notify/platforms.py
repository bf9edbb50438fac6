"""Each chat platform's native message, its size limit, signing and answer codes.

| platform | message | limit | rate-limit answer | signing |
|---|---|---|---|---|
| Feishu/Lark | interactive card | body ≤ 20 KB | code 11232 | HMAC in the body (ts in s) |
| WeCom | markdown | content ≤ 4,096 bytes | errcode 45009 | none (key in URL) |
| DingTalk | markdown | body ≤ 20,000 bytes | errcode 90030 / 130101 | HMAC on the URL (ts in ms) |
| Slack | blocks | ≤ 50 blocks, 3,000 chars a section | HTTP 429 | none (URL is the secret) |

Messages that would not fit drop campaigns from the end (the best-off ones: lines are worst
first) and say how many were left out, with a link to the full report.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import Callable
from typing import Any

from xhsgrow.notify.summary import Line, Summary

FEISHU_MAX_BODY = 20_000
WECOM_MAX_CONTENT = 4_096
DINGTALK_MAX_BODY = 20_000
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3_000

#: Body codes that mean "slow down, try again later".
RATE_LIMIT_CODES: dict[str, frozenset[int]] = {
    "feishu": frozenset({11232}),
    "wecom": frozenset({45009}),
    # 90030 is the code our notes give (unverified); 130101 is DingTalk's documented
    # "send too fast" for custom robots. Both are retried.
    "dingtalk": frozenset({90030, 130101}),
    "slack": frozenset(),
}


def feishu_sign(timestamp: int, secret: str) -> str:
    """Feishu/Lark: base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")), ts in seconds."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk: base64(HMAC-SHA256(key=secret, msg=f"{ts}\\n{secret}")), ts in milliseconds.

    Returned *un*-encoded; :func:`dingtalk_url` URL-encodes it onto the webhook URL."""
    msg = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), msg, hashlib.sha256).digest()).decode()


def dingtalk_url(url: str, timestamp_ms: int, secret: str) -> str:
    sign = urllib.parse.quote_plus(dingtalk_sign(timestamp_ms, secret))
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}timestamp={timestamp_ms}&sign={sign}"


def _size(payload: Any) -> int:
    return len(json.dumps(payload, ensure_ascii=False).encode())


def _fit(
    summary: Summary, build: Callable[[list[Line], int], Any], fits: Callable[[Any], bool]
) -> Any:
    """The payload with as many campaign lines as fit (worst first), saying how many were cut."""
    lines = list(summary.lines)
    for keep in range(len(lines), -1, -1):
        payload = build(lines[:keep], len(lines) - keep)
        if fits(payload):
            return payload
    return build([], len(lines))


def _more(summary: Summary, omitted: int) -> str:
    return summary.word("more", n=omitted) if omitted else ""


# ---- Feishu / Lark ---------------------------------------------------------------------------

_FEISHU_TEMPLATE = {"off_track": "red", "at_risk": "orange", "on_track": "green"}


def feishu(summary: Summary, *, secret: str | None = None, timestamp: int | None = None) -> Any:
    def build(lines: list[Line], omitted: int) -> dict[str, Any]:
        elements: list[dict[str, Any]] = [
            {"tag": "div", "text": {"tag": "lark_md", "content": summary.counts}},
            {"tag": "hr"},
        ]
        for ln in lines:
            elements.append(
                {
                    "tag": "div",
                    "text": {
                        "tag": "lark_md",
                        "content": f"{ln.emoji} **{_lark(ln.name)}** — {ln.status_text}\n"
                        f"{_lark(ln.detail)}",
                    },
                }
            )
        if omitted:
            elements.append(
                {
                    "tag": "note",
                    "elements": [{"tag": "plain_text", "content": _more(summary, omitted)}],
                }
            )
        if summary.report_url:
            elements.append(
                {
                    "tag": "action",
                    "actions": [
                        {
                            "tag": "button",
                            "text": {"tag": "plain_text", "content": summary.word("full")},
                            "url": summary.report_url,
                            "type": "primary",
                        }
                    ],
                }
            )
        body: dict[str, Any] = {
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": True},
                "header": {
                    "title": {"tag": "plain_text", "content": summary.title},
                    "template": _FEISHU_TEMPLATE.get(summary.worst, "grey"),
                },
                "elements": elements,
            },
        }
        if secret:
            if timestamp is None:
                raise ValueError("a signed Feishu message needs a timestamp")
            body = {"timestamp": str(timestamp), "sign": feishu_sign(timestamp, secret), **body}
        return body

    return _fit(summary, build, lambda p: _size(p) <= FEISHU_MAX_BODY)


def _lark(text: str) -> str:
    return text.replace("*", "\\*")


# ---- WeCom -----------------------------------------------------------------------------------

_WECOM_COLOUR = {"off_track": "warning", "at_risk": "warning", "on_track": "info"}


def wecom(summary: Summary) -> Any:
    def build(lines: list[Line], omitted: int) -> dict[str, Any]:
        out = [f"### {summary.title}", summary.counts, ""]
        for ln in lines:
            colour = _WECOM_COLOUR.get(ln.status, "comment")
            out.append(
                f'> {ln.emoji} **{ln.name}** <font color="{colour}">{ln.status_text}</font>\n'
                f'> <font color="comment">{ln.detail}</font>'
            )
        if omitted:
            out.append(f'<font color="comment">{_more(summary, omitted)}</font>')
        if summary.report_url:
            out.append(f"[{summary.word('full')}]({summary.report_url})")
        return {"msgtype": "markdown", "markdown": {"content": "\n".join(out)}}

    return _fit(
        summary, build, lambda p: len(p["markdown"]["content"].encode()) <= WECOM_MAX_CONTENT
    )


# ---- DingTalk --------------------------------------------------------------------------------


def dingtalk(summary: Summary) -> Any:
    def build(lines: list[Line], omitted: int) -> dict[str, Any]:
        out = [f"### {summary.title}", "", summary.counts, ""]
        for ln in lines:
            out.append(f"- {ln.emoji} **{ln.name}** — {ln.status_text}  \n  {ln.detail}")
        if omitted:
            out += ["", f"_{_more(summary, omitted)}_"]
        if summary.report_url:
            out += ["", f"[{summary.word('full')}]({summary.report_url})"]
        return {"msgtype": "markdown", "markdown": {"title": summary.title, "text": "\n".join(out)}}

    return _fit(summary, build, lambda p: _size(p) <= DINGTALK_MAX_BODY)


# ---- Slack -----------------------------------------------------------------------------------


def slack(summary: Summary) -> Any:
    def build(lines: list[Line], omitted: int) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": summary.title[:150]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": summary.counts}]},
            {"type": "divider"},
        ]
        for ln in lines:
            text = f"{ln.emoji} *{_slack(ln.name)}* — {ln.status_text}\n{_slack(ln.detail)}"
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": text[:SLACK_MAX_SECTION]}}
            )
        tail = []
        if omitted:
            tail.append(_more(summary, omitted))
        if summary.report_url:
            tail.append(f"<{summary.report_url}|{summary.word('full')}>")
        if tail:
            blocks.append(
                {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(tail)}]}
            )
        return {"text": f"{summary.title} — {summary.counts}", "blocks": blocks}

    return _fit(summary, build, lambda p: len(p["blocks"]) <= SLACK_MAX_BLOCKS)


def _slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


BUILDERS: dict[str, Callable[..., Any]] = {
    "feishu": feishu,
    "wecom": wecom,
    "dingtalk": dingtalk,
    "slack": slack,
}
