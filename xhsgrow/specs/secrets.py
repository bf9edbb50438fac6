"""Refuse secrets in specs: specs live in git, secrets live in environment variables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from xhsgrow.specs.locate import Path

_SECRET_KEY = re.compile(
    r"(^|_)(password|passwd|secret|token|api_?key|access_?key|private_?key|webhook_?url|"
    r"signing_?key|credentials?)($|_)",
    re.IGNORECASE,
)
_WEBHOOK = re.compile(
    r"(open\.feishu\.cn/open-apis/bot/v2/hook/|open\.larksuite\.com/open-apis/bot/v2/hook/|"
    r"qyapi\.weixin\.qq\.com/cgi-bin/webhook/send|oapi\.dingtalk\.com/robot/send|"
    r"hooks\.slack\.com/services/)",
    re.IGNORECASE,
)
_URL_TOKEN = re.compile(
    # anywhere in the value: a note may paste a link with its token
    r"\b[a-z][a-z0-9+.-]*://([^\s]*[?&](key|token|access_token|secret|sig|signature|api_key|"
    r"apikey|password)=[^&\s]+|[^/\s:@]+:[^/\s@]+@)",
    re.IGNORECASE,
)
_API_KEY = re.compile(
    r"^(sk-[A-Za-z0-9_-]{16,}|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{30,}|"
    r"gh[ousr]_[A-Za-z0-9]{30,}|AIza[0-9A-Za-z_-]{30,})$"
)


def secret_reason(key: str, value: Any) -> str | None:
    """Why ``value`` under ``key`` looks like a secret, or None. Never includes the value."""
    if not isinstance(value, str) or not value.strip():
        return None
    if _WEBHOOK.search(value):
        return "looks like a chat webhook URL, which carries its token"
    if _URL_TOKEN.search(value):
        return "looks like a URL with a token or password in it"
    if _API_KEY.match(value.strip()):
        return "looks like an API key"
    if _SECRET_KEY.search(key):
        return f"'{key}' holds a secret"
    return None


def find_secrets(data: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every (path, reason) in a parsed TOML document whose value looks like a secret."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from find_secrets(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from find_secrets(value, (*path, i))
    else:
        key = next((p for p in reversed(path) if isinstance(p, str)), "")
        reason = secret_reason(key, data)
        if reason:
            yield path, f"{reason}; put it in an environment variable, not in a spec"
