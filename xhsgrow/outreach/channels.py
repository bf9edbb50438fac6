"""Delivery channels: SMTP, a webhook, and SMS over HTTP.

Configuration comes from environment variables or a config file outside ``campaigns/``, never
from a spec or the command line (specs live in git; command lines end up in shell history):

    XHSGROW_SMTP_HOST, _PORT, _SECURITY (starttls | ssl | none), _USER, _PASSWORD, _FROM,
    XHSGROW_SMTP_UNSUBSCRIBE (mailto: or https: URL for List-Unsubscribe)
    XHSGROW_OUTREACH_WEBHOOK_URL, XHSGROW_OUTREACH_WEBHOOK_TOKEN
    XHSGROW_SMS_URL, XHSGROW_SMS_TOKEN
    XHSGROW_OUTREACH_CONFIG: a TOML file with [smtp], [webhook], [sms] tables holding the same
    keys in lower case (default: <workspace>/.xhsgrow/outreach.toml); variables win over it.

Each channel's ``deliver`` calls ``handover()`` at the last moment before the message can no
longer be taken back (SMTP: after the server said 354 to DATA; HTTP: before the request), so
the ledger marks it "sending" exactly then.
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xhsgrow.outreach.compose import Message
from xhsgrow.outreach.errors import OutreachConfigError

ENV_CONFIG = "XHSGROW_OUTREACH_CONFIG"
# The local part is a dot-atom (RFC 5322): no leading, trailing or doubled dot. A looser
# pattern let "li..na@example.cn" through to the email package, which refuses it with an
# exception in the middle of a send run.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_EMAIL = re.compile(
    rf"^{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_PHONE = re.compile(r"^\+?[0-9][0-9 -]{5,18}[0-9]$")


@dataclass(frozen=True)
class Outcome:
    status: str  # "sent" | "failed" | "unknown"
    reason: str = ""


class ChannelDown(Exception):
    """The channel cannot take messages (server unreachable): the message was not sent."""


def valid_email(address: str) -> bool:
    return bool(_EMAIL.match(address))


def valid_phone(address: str) -> bool:
    return bool(_PHONE.match(address.strip()))


def address_problem(channel: str, recipient: str) -> str | None:
    """Why ``recipient`` cannot be sent to on ``channel``, known without asking a server
    (None when it can): a send fails the message with this reason, and a dry run reports
    it, so both count the same rows."""
    if channel == "smtp":
        return None if valid_email(recipient) else "invalid email address"
    if channel == "sms-http" and not valid_phone(recipient):
        return "invalid phone number"
    if not recipient:
        return "no address"
    return None


# -- configuration -------------------------------------------------------------------------


def config_path(workspace: Any) -> Path:
    """The config file: ``$XHSGROW_OUTREACH_CONFIG``, else .xhsgrow/outreach.toml."""
    explicit = os.environ.get(ENV_CONFIG)
    return Path(explicit) if explicit else workspace.root / ".xhsgrow" / "outreach.toml"


def load_config(workspace: Any) -> dict[str, dict[str, Any]]:
    """The config file's tables (empty when there is none); refuses one inside campaigns/."""
    explicit = os.environ.get(ENV_CONFIG)
    path = config_path(workspace)
    if not path.is_file():
        if explicit:
            raise OutreachConfigError(f"{ENV_CONFIG}={path}: no such file")
        return {}
    campaigns = workspace.campaigns_dir.resolve()
    if path.resolve().is_relative_to(campaigns):
        raise OutreachConfigError(
            f"{path}: outreach config must not live in campaigns/ (it holds credentials and "
            "campaigns/ is committed)",
            hint="move it to .xhsgrow/outreach.toml and keep .xhsgrow/ out of git",
        )
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise OutreachConfigError(f"{path}: {exc}") from None
    return {k: v for k, v in data.items() if isinstance(v, dict)}


def _setting(cfg: dict[str, Any], env: str, key: str, default: Any = None) -> Any:
    value = os.environ.get(env)
    if value not in (None, ""):
        return value
    return cfg.get(key, default)


def _where(workspace: Any, env: str, table: str, key: str) -> str:
    """Where a setting came from, for an error about its value: the variable when it is set,
    else the key in the config file."""
    if os.environ.get(env) not in (None, ""):
        return env
    return f"{config_path(workspace)}: [{table}] {key}"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str
    unsubscribe: str | None
    daily_cap: int | None

    @classmethod
    def load(cls, workspace: Any) -> SmtpConfig:
        cfg = load_config(workspace).get("smtp", {})
        host = _setting(cfg, "XHSGROW_SMTP_HOST", "host")
        sender = _setting(cfg, "XHSGROW_SMTP_FROM", "from")
        if not host or not sender:
            missing = "XHSGROW_SMTP_HOST" if not host else "XHSGROW_SMTP_FROM"
            raise OutreachConfigError(
                f"SMTP is not configured: {missing} is not set",
                hint="set XHSGROW_SMTP_HOST, _PORT, _SECURITY, _USER, _PASSWORD and _FROM, or "
                "[smtp] in .xhsgrow/outreach.toml (see docs/outreach.md)",
            )
        security = str(_setting(cfg, "XHSGROW_SMTP_SECURITY", "security", "starttls")).lower()
        if security not in ("starttls", "ssl", "none"):
            raise OutreachConfigError(
                f"XHSGROW_SMTP_SECURITY must be starttls, ssl or none, not '{security}'"
            )
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
        port_raw = _setting(cfg, "XHSGROW_SMTP_PORT", "port", default_port)
        try:
            port = int(port_raw)
        except (TypeError, ValueError):
            port = 0
        if not 1 <= port <= 65535 or isinstance(port_raw, bool):
            where = _where(workspace, "XHSGROW_SMTP_PORT", "smtp", "port")
            raise OutreachConfigError(f"{where} must be a port number 1-65535, not '{port_raw}'")
        sender = str(sender)
        if not _sender_ok(sender):
            where = _where(workspace, "XHSGROW_SMTP_FROM", "smtp", "from")
            raise OutreachConfigError(
                f"{where} '{sender}' is not an email address",
                hint="e.g. bd@example.com or '小红书政府合作部 <bd@example.com>'",
            )
        user = _setting(cfg, "XHSGROW_SMTP_USER", "user")
        password = _setting(cfg, "XHSGROW_SMTP_PASSWORD", "password")
        if bool(user) != bool(password):
            # a login needs both: an empty password only gets the server's refusal (or,
            # from a server without AUTH, an error that reads like an outage) mid-run
            have, missing = (
                ("XHSGROW_SMTP_USER", "XHSGROW_SMTP_PASSWORD")
                if user
                else ("XHSGROW_SMTP_PASSWORD", "XHSGROW_SMTP_USER")
            )
            raise OutreachConfigError(
                f"SMTP is not configured: {missing} is not set ({have} is)",
                hint="a login needs both; unset both for a relay that needs no login",
            )
        return cls(
            host=str(host),
            port=port,
            security=security,
            user=user,
            password=password,
            sender=sender,
            unsubscribe=_setting(cfg, "XHSGROW_SMTP_UNSUBSCRIBE", "unsubscribe"),
            daily_cap=_cap(cfg, "smtp"),
        )


def _sender_ok(value: str) -> bool:
    """``value`` makes a From header and an envelope sender (checked when the configuration
    is loaded: build_email would fail on it after the ledger marked a message as sending)."""
    from email.utils import parseaddr

    if not valid_email(parseaddr(value)[1]):
        return False
    try:
        _address(value)
    except (ValueError, IndexError, TypeError):
        return False
    return True


def _cap(cfg: dict[str, Any], table: str) -> int | None:
    cap = cfg.get("daily_cap")
    if cap in (None, ""):
        return None
    try:
        return int(cap)
    except (TypeError, ValueError):
        raise OutreachConfigError(
            f"[{table}] daily_cap must be a whole number, not '{cap}'"
        ) from None


@dataclass(frozen=True)
class HttpConfig:
    url: str
    token: str | None
    daily_cap: int | None
    attempts: int = 4  # config file only: tries per message (transport errors, 5xx, 429)
    backoff: float = 0.5  # first wait in seconds, doubling

    def policy(self) -> Any:
        from xhsgrow.net.http import RetryPolicy

        return RetryPolicy(attempts=self.attempts, backoff=self.backoff)

    @classmethod
    def load(cls, workspace: Any, channel: str) -> HttpConfig:
        table, env = {
            "webhook": ("webhook", "XHSGROW_OUTREACH_WEBHOOK"),
            "sms-http": ("sms", "XHSGROW_SMS"),
        }[channel]
        cfg = load_config(workspace).get(table, {})
        url = _setting(cfg, f"{env}_URL", "url")
        if not url:
            raise OutreachConfigError(
                f"{channel} is not configured: {env}_URL is not set",
                hint=f"set {env}_URL (and {env}_TOKEN if it needs one), or [{table}] in "
                ".xhsgrow/outreach.toml",
            )
        try:
            attempts = max(1, int(cfg.get("attempts", 4)))
            backoff = max(0.0, float(cfg.get("backoff", 0.5)))
        except (TypeError, ValueError):
            raise OutreachConfigError(f"[{table}] attempts and backoff must be numbers") from None
        token = _setting(cfg, f"{env}_TOKEN", "token")
        return cls(str(url), token, _cap(cfg, table), attempts, backoff)


# -- SMTP ----------------------------------------------------------------------------------


def build_email(
    message: Message, *, sender: str, to_name: str | None, unsubscribe: str | None, key: str
) -> Any:
    """An EmailMessage: plain text + HTML alternative, RFC 2047 headers for Chinese names and
    subjects, UTF-8 bodies, List-Unsubscribe and a stable key header."""
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import formatdate, make_msgid, parseaddr

    policy = SMTP.clone(cte_type="7bit")  # base64/QP bodies: safe through any relay
    msg = EmailMessage(policy=policy)
    header_from = message.sender or sender
    msg["From"] = _address(header_from)
    msg["To"] = Address(display_name=to_name or "", addr_spec=message.recipient)
    if message.reply_to:
        msg["Reply-To"] = _address(message.reply_to)
    msg["Subject"] = message.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "xhsgrow.local"
    msg["Message-ID"] = make_msgid(idstring=key[:16], domain=domain)
    from_addr = parseaddr(sender)[1]
    if unsubscribe and unsubscribe.startswith("https://"):
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    elif unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    else:
        msg["List-Unsubscribe"] = f"<mailto:{from_addr}?subject=unsubscribe>"
    msg["X-Xhsgrow-Key"] = key
    msg.set_content(message.text, charset="utf-8")
    if message.html:
        msg.add_alternative(message.html, subtype="html", charset="utf-8")
    return msg


def _address(value: str) -> Any:
    from email.headerregistry import Address
    from email.utils import parseaddr

    name, addr = parseaddr(value)
    return Address(display_name=name, addr_spec=addr)


class SmtpChannel:
    name = "smtp"

    def __init__(self, config: SmtpConfig, *, timeout: float = 30.0) -> None:
        from email.utils import parseaddr

        self.config = config
        self.timeout = timeout
        self.envelope_from = parseaddr(config.sender)[1]
        self._conn: Any = None

    def _connect(self) -> Any:
        import smtplib
        import ssl

        c = self.config
        try:
            if c.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(c.host, c.port, timeout=self.timeout)
                if c.security == "starttls":
                    self._starttls(conn)
            conn.ehlo_or_helo_if_needed()
            if c.user:
                conn.login(c.user, c.password or "")
        except smtplib.SMTPAuthenticationError:
            raise OutreachConfigError(
                f"SMTP login to {c.host}:{c.port} refused for the configured user"
            ) from None
        except smtplib.SMTPNotSupportedError:  # reachable, but it offers no login
            raise OutreachConfigError(
                f"SMTP server {c.host}:{c.port} offers no login (AUTH), but a user is configured",
                hint="unset XHSGROW_SMTP_USER and _PASSWORD for a relay that needs no login",
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelDown(f"cannot reach SMTP server {c.host}:{c.port}: {exc}") from None
        return conn

    def _starttls(self, conn: Any) -> None:
        """Upgrade to TLS; a server that offers no STARTTLS is a configuration error, never
        a silent fall back to plain text (the login and the messages would go in clear)."""
        import smtplib
        import ssl

        try:
            conn.starttls(context=ssl.create_default_context())
        except smtplib.SMTPNotSupportedError:
            with contextlib.suppress(Exception):
                conn.close()
            c = self.config
            raise OutreachConfigError(
                f"SMTP server {c.host}:{c.port} offers no STARTTLS, but the SMTP security is "
                "starttls (the default)",
                hint="for a plain local relay set XHSGROW_SMTP_SECURITY=none; otherwise use a "
                "server (or port) with TLS: XHSGROW_SMTP_SECURITY=ssl for port 465",
            ) from None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # the server may already be gone
                self._conn.quit()
            self._conn = None

    def deliver(
        self,
        message: Message,
        key: str,
        handover: Callable[[], None],
        *,
        to_name: str | None = None,
    ) -> Outcome:
        import smtplib

        problem = address_problem(self.name, message.recipient)
        if problem:
            return Outcome("failed", problem)
        try:
            email = build_email(
                message,
                sender=self.config.sender,
                to_name=to_name,
                unsubscribe=self.config.unsubscribe,
                key=key,
            )
        except (ValueError, TypeError, IndexError) as exc:  # (email.errors' defects too)
            # one contact's message cannot be built: it fails, the run goes on
            return Outcome("failed", f"cannot build the email: {exc}")
        data = email.as_bytes()
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                code, resp = conn.mail(self.envelope_from)
                if code != 250:
                    conn.rset()
                    return Outcome("failed", f"sender refused: {code} {_text(resp)}")
                code, resp = conn.rcpt(message.recipient)
                if code not in (250, 251):
                    conn.rset()
                    return Outcome("failed", f"recipient refused: {code} {_text(resp)}")
                conn.putcmd("data")
                code, resp = conn.getreply()
                if code != 354:
                    conn.rset()
                    return Outcome("failed", f"DATA refused: {code} {_text(resp)}")
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                # Nothing was handed over yet: reconnect once, then give up on the channel.
                self._conn = None
                if attempt == 2:
                    raise ChannelDown(f"SMTP connection lost before sending: {exc}") from None
                continue
            handover()
            try:
                conn.send(_dot_stuff(data))
                code, resp = conn.getreply()
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._conn = None
                return Outcome("unknown", f"connection lost after the message was sent: {exc}")
            if code == 250:
                return Outcome("sent", "")
            return Outcome("failed", f"message refused: {code} {_text(resp)}")
        raise AssertionError("unreachable")  # pragma: no cover


def _dot_stuff(data: bytes) -> bytes:
    data = re.sub(rb"(?:\r\n|\n|\r(?!\n))", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _text(resp: bytes | str) -> str:
    return resp.decode(errors="replace") if isinstance(resp, bytes) else str(resp)


# -- HTTP ----------------------------------------------------------------------------------


def _check(resp: Any) -> tuple[str, str]:
    """2xx is a send only when the body's code (if any) is zero."""
    try:
        body = resp.json()
    except ValueError:
        return "ok", ""
    if isinstance(body, dict):
        for field in ("code", "errcode", "error_code"):
            if field in body and str(body[field]) not in ("0", "OK", "ok", "200"):
                msg = body.get("msg") or body.get("errmsg") or body.get("message") or ""
                return "fail", f"{field} {body[field]} {msg}".strip()
    return "ok", ""


class HttpChannel:
    """POSTs JSON per message: the webhook gets subject and body, SMS gets the body alone."""

    def __init__(
        self,
        name: str,
        config: HttpConfig,
        *,
        policy: Any = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.policy = policy
        self.sleep = sleep
        self._client: Any = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def payload(self, message: Message, key: str, campaign: str, template: str) -> dict[str, Any]:
        if self.name == "sms-http":
            return {"to": message.recipient, "text": message.text, "key": key}
        return {
            "campaign": campaign,
            "template": template,
            "key": key,
            "to": message.recipient,
            "subject": message.subject,
            "text": message.text,
        }

    def deliver(
        self,
        message: Message,
        key: str,
        handover: Callable[[], None],
        *,
        campaign: str = "",
        template: str = "",
    ) -> Outcome:
        import time

        import httpx

        from xhsgrow.net.http import HttpError, RetryPolicy, request

        problem = address_problem(self.name, message.recipient)
        if problem:
            return Outcome("failed", problem)
        if self._client is None:
            self._client = httpx.Client(timeout=(self.policy or RetryPolicy()).timeout)
        headers = {"Idempotency-Key": key}
        if self.config.token:
            headers["Authorization"] = f"Bearer {self.config.token}"
        handover()
        try:
            request(
                "POST",
                self.config.url,
                json=self.payload(message, key, campaign, template),
                headers=headers,
                check=_check,
                policy=self.policy,
                sleep=self.sleep or time.sleep,
                client=self._client,
            )
        except HttpError as exc:
            if exc.unknown:
                return Outcome("unknown", str(exc))
            if exc.status is None:  # unreachable or 5xx after every retry: not taken
                raise ChannelDown(str(exc)) from None
            return Outcome("failed", str(exc))
        return Outcome("sent", "")
