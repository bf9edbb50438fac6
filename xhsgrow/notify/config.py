"""Where a named webhook's URL, kind and secret come from: environment first, then a file.

``XHSGROW_WEBHOOK_<NAME>_URL`` / ``_KIND`` / ``_SECRET`` (NAME upper-cased, ``-`` as ``_``),
or a TOML file outside ``campaigns/``::

    [webhooks.growth-team]
    kind = "feishu"
    url = "https://open.feishu.cn/open-apis/bot/v2/hook/…"
    secret = "…"

The file is ``--webhooks-file``, else ``$XHSGROW_WEBHOOKS_FILE``, else
``<workspace>/.xhsgrow/webhooks.toml`` (git-ignored), else ``~/.config/xhsgrow/webhooks.toml``.
A file named by the option or the variable must exist; the two default ones are optional.
Specs never hold webhooks: they live in git.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from xhsgrow.errors import XhsgrowError

KINDS: tuple[str, ...] = ("feishu", "wecom", "dingtalk", "slack")
ENV_FILE = "XHSGROW_WEBHOOKS_FILE"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class NotifyError(XhsgrowError):
    """A webhook is not configured, or configured wrongly (never shows its URL or secret)."""


@dataclass(frozen=True)
class Webhook:
    name: str
    kind: str
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    origin: str = "environment"  # or the config file's path

    @property
    def shown_url(self) -> str:
        from xhsgrow.net.http import mask_url

        return mask_url(self.url)


def env_prefix(name: str) -> str:
    return "XHSGROW_WEBHOOK_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_"


def named_file(config_file: Path | None = None) -> Path | None:
    """The webhooks file the user named (``config_file``, else ``$XHSGROW_WEBHOOKS_FILE``),
    or None. A named file that is missing or a folder is an error naming it: skipping it
    would end in a misleading "webhook NAME is not configured"."""
    if config_file is not None:
        path, label = config_file, str(config_file)
    elif os.environ.get(ENV_FILE):
        path = Path(os.environ[ENV_FILE]).expanduser()
        label = f"{ENV_FILE}={path}"
    else:
        return None
    if path.is_dir():
        raise NotifyError(f"{label}: is a folder, not a webhooks file")
    if not path.is_file():
        raise NotifyError(f"{label}: no such webhooks file")
    return path


def default_files(workspace_root: Path | None) -> list[Path]:
    """The webhooks files looked at when none is named; each one may be absent."""
    named = named_file()
    if named is not None:
        return [named]
    files = []
    if workspace_root is not None:
        files.append(workspace_root / ".xhsgrow" / "webhooks.toml")
    files.append(Path.home() / ".config" / "xhsgrow" / "webhooks.toml")
    return files


def resolve(
    name: str,
    *,
    workspace_root: Path | None = None,
    config_file: Path | None = None,
) -> Webhook:
    """The webhook called ``name``: environment variables win over the config file."""
    if not _NAME.match(name):
        raise NotifyError(f"webhook name {name!r} must be letters, digits, '-' or '_'")
    prefix = env_prefix(name)
    url = os.environ.get(prefix + "URL")
    kind = os.environ.get(prefix + "KIND")
    secret = os.environ.get(prefix + "SECRET")
    origin = "environment"
    named = named_file(config_file)  # checked even when the environment has the URL
    if not url:
        files = [named] if named else default_files(workspace_root)
        entry, path = _from_files(name, files, workspace_root)
        if entry is not None:
            url = url or _str(entry, "url", path, name)
            kind = kind or _str(entry, "kind", path, name)
            secret = secret or _str(entry, "secret", path, name)
            origin = str(path)
    if not url:
        raise NotifyError(
            f"webhook {name!r} is not configured",
            hint=f"set {prefix}URL and {prefix}KIND (feishu|wecom|dingtalk|slack), "
            f"or add [webhooks.{name}] to {named or '.xhsgrow/webhooks.toml'}; see docs/reports.md",
        )
    if not url.startswith(("https://", "http://")):
        raise NotifyError(f"webhook {name!r}: the URL must start with https:// (or http://)")
    from xhsgrow.net.http import url_problem

    problem = url_problem(url)
    if problem:  # (the URL itself is never shown: it carries the hook's token)
        where = f"{prefix}URL" if origin == "environment" else origin
        raise NotifyError(
            f"webhook {name!r}: the URL is not a valid http(s) URL ({problem})",
            hint=f"check the URL in {where}",
        )
    kind = (kind or _guess_kind(url) or "").lower()
    if kind not in KINDS:
        raise NotifyError(
            f"webhook {name!r}: kind must be one of {', '.join(KINDS)}"
            + (f", not {kind!r}" if kind else ""),
            hint=f"set {prefix}KIND",
        )
    return Webhook(name, kind, url, secret or None, origin)


def _guess_kind(url: str) -> str | None:
    for host, kind in (
        ("open.feishu.cn", "feishu"),
        ("open.larksuite.com", "feishu"),
        ("qyapi.weixin.qq.com", "wecom"),
        ("oapi.dingtalk.com", "dingtalk"),
        ("hooks.slack.com", "slack"),
    ):
        if f"://{host}/" in url:
            return kind
    return None


def _str(entry: dict[str, object], key: str, path: Path, name: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise NotifyError(f"{path}: webhooks.{name}.{key} must be a string")
    return value


def _from_files(
    name: str, files: list[Path], workspace_root: Path | None
) -> tuple[dict[str, object] | None, Path]:
    import tomllib

    for path in files:
        if not path.is_file():
            continue
        if workspace_root is not None and _inside(path, workspace_root / "campaigns"):
            raise NotifyError(
                f"{path}: webhook settings must not live in campaigns/ (specs go to git)",
                hint="move it to .xhsgrow/webhooks.toml",
            )
        try:
            raw = path.read_bytes()
            data = tomllib.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise NotifyError(f"{path}:{line}: not UTF-8 text; save it as UTF-8") from None
        except tomllib.TOMLDecodeError as exc:
            raise NotifyError(f"{path}: not valid TOML ({exc})") from None
        except OSError as exc:
            raise NotifyError(f"cannot read {path}: {exc.strerror}") from None
        hooks = data.get("webhooks", {})
        if not isinstance(hooks, dict):
            raise NotifyError(f"{path}: [webhooks] must be a table")
        entry = hooks.get(name)
        if entry is None:
            continue
        if not isinstance(entry, dict):
            raise NotifyError(f"{path}: webhooks.{name} must be a table")
        return entry, path
    return None, files[0] if files else Path(".")


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True
