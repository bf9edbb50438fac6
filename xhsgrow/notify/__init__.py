"""Chat webhooks: post a campaign summary to Feishu/Lark, WeCom, DingTalk or Slack.

Public API::

    from xhsgrow.notify import resolve, summarize, prepare, post, notify
"""

from __future__ import annotations

from typing import Any

from xhsgrow.notify.config import KINDS, NotifyError, Webhook, resolve
from xhsgrow.notify.send import Prepared, dry_run_text, post, prepare
from xhsgrow.notify.summary import Summary, summarize

__all__ = [
    "KINDS",
    "NotifyError",
    "Prepared",
    "Summary",
    "Webhook",
    "dry_run_text",
    "notify",
    "post",
    "prepare",
    "resolve",
    "summarize",
]


def notify(
    result: Any,
    webhook: Webhook,
    *,
    lang: str = "en",
    report_url: str | None = None,
    dry_run: bool = False,
    policy: Any = None,
) -> str:
    """Post ``result``'s summary to ``webhook`` (or only describe it when ``dry_run``).

    Returns a one-line confirmation, or the dry-run text; never the URL or a secret."""
    prepared = prepare(webhook, summarize(result, lang=lang, report_url=report_url))
    if dry_run:
        return dry_run_text(prepared)
    post(prepared, policy=policy)
    n = len(result.campaigns)
    return f"posted {n} campaign(s) to {webhook.kind} webhook {webhook.name!r}"
