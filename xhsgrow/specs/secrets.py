"""Refuse secrets in specs: specs live in git, secrets live in environment variables."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from xhsgrow.specs.locate import Path

# Patterns as text: re compiles and caches each on first use, and the cheap checks in
# secret_reason mean most specs never need most of them (compiling all four at import cost
# about a millisecond of `xhsgrow validate`'s start-up).
_SECRET_KEY = (
    r"(^|_)(password|passwd|secret|token|api_?key|access_?key|private_?key|webhook_?url|"
    r"signing_?key|credentials?)($|_)"
)
# every word above contains one of these (checked on ASCII keys, lower-cased)
_SECRET_KEY_PARTS = ("pass", "secret", "token", "key", "url", "credential")
_WEBHOOK = (
    r"(open\.feishu\.cn/open-apis/bot/v2/hook/|open\.larksuite\.com/open-apis/bot/v2/hook/|"
    r"qyapi\.weixin\.qq\.com/cgi-bin/webhook/send|oapi\.dingtalk\.com/robot/send|"
    r"hooks\.slack\.com/services/)"
)
_URL_TOKEN = (
    # anywhere in the value: a note may paste a link with its token
    r"\b[a-z][a-z0-9+.-]*://([^\s]*[?&](key|token|access_token|secret|sig|signature|api_key|"
    r"apikey|password)=[^&\s]+|[^/\s:@]+:[^/\s@]+@)"
)
_API_KEY = (
    r"^(sk-[A-Za-z0-9_-]{16,}|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|ghp_[A-Za-z0-9]{30,}|"
    r"gh[ousr]_[A-Za-z0-9]{30,}|AIza[0-9A-Za-z_-]{30,})$"
)
_API_KEY_PREFIXES = ("sk-", "xox", "AKIA", "gh", "AIza")


def secret_reason(key: str, value: Any) -> str | None:
    """Why ``value`` under ``key`` looks like a secret, or None. Never includes the value."""
    if not isinstance(value, str) or not value.strip():
        return None
    # Each pattern runs only where its literal part occurs: "/" in every webhook, "://" in
    # every URL, a known prefix on every API key.
    if "/" in value and re.search(_WEBHOOK, value, re.IGNORECASE):
        return "looks like a chat webhook URL, which carries its token"
    if "://" in value and re.search(_URL_TOKEN, value, re.IGNORECASE):
        return "looks like a URL with a token or password in it"
    stripped = value.strip()
    if stripped.startswith(_API_KEY_PREFIXES) and re.match(_API_KEY, stripped):
        return "looks like an API key"
    if _may_name_secret(key) and re.search(_SECRET_KEY, key, re.IGNORECASE):
        return f"'{key}' holds a secret"
    return None


def _may_name_secret(key: str) -> bool:
    # a non-ASCII key always goes to the pattern: case-insensitive matching folds a few
    # non-ASCII letters (the Kelvin sign, a long s) onto ASCII ones
    if not key.isascii():
        return True
    lowered = key.lower()
    return any(part in lowered for part in _SECRET_KEY_PARTS)


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
