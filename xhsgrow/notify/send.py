"""Sign, post and check a chat message; a send counts only on HTTP 2xx and a zero body code."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from xhsgrow.net.http import HttpError, RetryPolicy, Verdict, mask_url
from xhsgrow.notify import platforms
from xhsgrow.notify.config import Webhook
from xhsgrow.notify.summary import Summary

SIGN_SHOWN = "<computed when sent>"


@dataclass(frozen=True)
class Prepared:
    webhook: Webhook
    url: str  # where to post: the DingTalk URL carries its signature
    payload: dict[str, Any]


def prepare(webhook: Webhook, summary: Summary, *, now: float | None = None) -> Prepared:
    """The exact request for ``webhook``: native payload, signed where the platform signs."""
    now = time.time() if now is None else now
    url = webhook.url
    if webhook.kind == "feishu":
        payload = platforms.feishu(summary, secret=webhook.secret, timestamp=int(now))
    elif webhook.kind == "dingtalk":
        payload = platforms.dingtalk(summary)
        if webhook.secret:
            url = platforms.dingtalk_url(url, int(now * 1000), webhook.secret)
    else:
        payload = platforms.BUILDERS[webhook.kind](summary)
    return Prepared(webhook, url, payload)


def dry_run_text(prepared: Prepared) -> str:
    """What --dry-run prints: the masked URL and the exact JSON body (a signature is only
    valid for a short time and is a credential while it is, so it is not shown)."""
    body = dict(prepared.payload)
    if "sign" in body:
        body["sign"] = SIGN_SHOWN
    wh = prepared.webhook
    head = f"POST {mask_url(prepared.url)}  ({wh.kind} webhook {wh.name!r})"
    return head + "\n" + json.dumps(body, indent=2, ensure_ascii=False)


def check_for(kind: str) -> Callable[[Any], Verdict]:
    """Read a 2xx answer: Feishu `code`, WeCom/DingTalk `errcode` must be 0; Slack says `ok`."""
    limited = platforms.RATE_LIMIT_CODES.get(kind, frozenset())

    def check(resp: Any) -> Verdict:
        if kind == "slack":
            text = resp.text.strip()
            return ("ok", "") if text == "ok" else ("fail", f"Slack answered {text[:100]!r}")
        try:
            body = resp.json()
        except ValueError:
            return ("fail", f"answer is not JSON: {resp.text.strip()[:100]!r}")
        if not isinstance(body, dict):
            return ("fail", "answer is not a JSON object")
        key = "code" if kind == "feishu" else "errcode"
        code = body.get(key, body.get("StatusCode") if kind == "feishu" else None)
        message = str(body.get("msg") or body.get("errmsg") or body.get("StatusMessage") or "")
        if code is None:
            return ("fail", f"answer has no {key}: {str(body)[:100]}")
        if code == 0:
            return ("ok", "")
        if code in limited:
            return ("retry", f"rate limited ({key} {code} {message})".strip())
        return ("fail", f"{key} {code} {message[:150]}".strip())

    return check


def post(
    prepared: Prepared,
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Send it, retrying 5xx, 429 (Retry-After) and platform rate limits; raises HttpError."""
    from xhsgrow.net.http import request

    wh = prepared.webhook
    try:
        request(
            "POST",
            prepared.url,
            json=prepared.payload,
            check=check_for(wh.kind),
            policy=policy,
            sleep=sleep,
        )
    except HttpError as exc:
        message = scrub(str(exc), wh, prepared.url)
        raise HttpError(
            f"{wh.kind} webhook {wh.name!r}: {message}", status=exc.status, unknown=exc.unknown
        ) from None


def scrub(text: str, webhook: Webhook, *urls: str) -> str:
    """Belt and braces over mask_url: no URL, token-like query value, hook path tail or
    secret survives in ``text``."""
    from urllib.parse import parse_qsl, urlsplit

    secrets = [webhook.url, *urls]
    if webhook.secret:
        secrets.append(webhook.secret)
    for url in [webhook.url, *urls]:
        parts = urlsplit(url)
        secrets += [v for _, v in parse_qsl(parts.query) if len(v) >= 6]
        tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
        if len(tail) >= 8:
            secrets.append(tail)
    for s in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(s, "***")
    return text
