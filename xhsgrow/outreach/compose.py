"""Render one message per contact from a Jinja2 template: headers, plain text and HTML.

A template renders to an email-like text: header lines (``Subject:``, optional ``From:`` and
``Reply-To:``), a blank line, then a Markdown body. Email sends the body as plain text plus
HTML; SMS and chat send the body alone.

Contact data is data: every ``{{ expression }}`` value is swapped for a placeholder before the
Markdown parser runs and put back afterwards (HTML-escaped), so a contact named ``**VIP**`` or
``<script>`` cannot add formatting, markup or headers, and a name like ``{{ 7*7 }}`` is printed
as written. A side effect worth having: Markdown is parsed once per distinct template shape, not
once per contact, which keeps 100,000 messages fast.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html as html_lib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from xhsgrow.errors import UsageError
from xhsgrow.outreach.contacts import ContactRow, Contacts
from xhsgrow.outreach.errors import ContactsError, TemplateError

CHANNELS = ("smtp", "webhook", "sms-http")
#: The address column of each channel; the first one a contacts file has is used.
ADDRESS_COLUMNS: dict[str, tuple[str, ...]] = {
    "smtp": ("email",),
    "sms-http": ("phone",),
    "webhook": ("recipient", "phone", "email"),
}
HEADERS = {"subject": "Subject", "from": "From", "reply-to": "Reply-To"}
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z-]*):[ \t]?(.*)$")
_TOKEN = re.compile(r"XHSV(\d+)VSHX")
_HREF = re.compile(r'(href|src)="([^"]*XHSV\d+VSHX[^"]*)"')
_SUFFIXES = ("", ".md", ".txt")


@dataclass(frozen=True)
class TemplateRef:
    """A resolved template: its lookup name (None for a path), where it came from, its text."""

    label: str  # what messages call it: the name, or the path
    name: str | None
    origin: str  # "workspace", "built-in" or "path"
    path: Path
    source: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()


def resolve_template(value: str, workspace_templates: Path | None) -> TemplateRef:
    """``value`` as a path to a file, else as a name: the workspace's templates/ first, then
    the built-in ones; ``referral-invite.zh`` finds ``outreach/referral-invite.zh.txt``."""
    from xhsgrow.rendering.env import builtin_dir

    as_path = Path(value)
    if as_path.is_file():
        return TemplateRef(str(as_path), None, "path", as_path, _read(as_path))
    bases: list[tuple[str, Path]] = []
    if workspace_templates is not None and workspace_templates.is_dir():
        bases.append(("workspace", workspace_templates))
    bases.append(("built-in", builtin_dir()))
    stem = value.strip("/")
    candidates = [c + s for c in (stem, f"outreach/{stem}") for s in _SUFFIXES]
    for origin, base in bases:
        for name in candidates:
            path = base / name
            if path.is_file():
                return TemplateRef(name, name, origin, path, _read(path))
    raise TemplateError(
        f"no template '{value}' (not a file, nor a name in templates/ or the built-in ones)",
        hint="`xhsgrow templates` lists every template name",
    )


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        from xhsgrow.rendering.env import not_utf8

        raise TemplateError(not_utf8(path)) from None


def _rfc2047(text: str) -> str:
    """``text`` as RFC 2047 UTF-8 encoded words (base64), folded, when it is not ASCII.
    Hand-rolled because email.header costs more than rendering a whole message."""
    import base64

    if text.isascii():
        return text
    words, chunk, size = [], [], 0
    for ch in text:
        n = len(ch.encode())
        if size + n > 45:  # 45 bytes -> 60 base64 chars: each word stays under 76
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    words.append("".join(chunk))
    return "\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words)


def _mailbox(name: str, address: str) -> str:
    from email.utils import formataddr

    if name and not name.isascii():
        return f"{_rfc2047(name)} <{address}>"
    return formataddr((name, address))


@dataclass(frozen=True)
class Message:
    """One rendered message for one contact."""

    row: ContactRow
    recipient: str  # the raw address ('' when the row has none)
    subject: str
    sender: str | None
    reply_to: str | None
    text: str
    html: str | None

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for part in (self.subject, self.sender or "", self.reply_to or "", self.text):
            h.update(part.encode())
            h.update(b"\x00")
        return h.hexdigest()

    def as_text(self) -> str:
        """The message as header lines, a blank line and the body (for files and previews)."""
        lines = [f"Subject: {self.subject}"] if self.subject else []
        if self.sender:
            lines.append(f"From: {self.sender}")
        if self.reply_to:
            lines.append(f"Reply-To: {self.reply_to}")
        head = "\n".join(lines)
        return f"{head}\n\n{self.text}" if head else self.text

    def as_eml(self) -> str:
        """The message as a MIME file (plain text + HTML alternative) that any mail client
        opens: the closest thing to what will be sent, in one file. Non-ASCII headers are
        RFC 2047 encoded; bodies are 8-bit UTF-8."""
        from email.utils import parseaddr

        name = " ".join(str(self.row.data.get("name") or "").split())
        lines = []
        if self.sender:
            lines.append(f"From: {_mailbox(*parseaddr(self.sender))}")
        if self.recipient:
            lines.append(f"To: {_mailbox(name, self.recipient)}")
        if self.reply_to:
            lines.append(f"Reply-To: {_mailbox(*parseaddr(self.reply_to))}")
        lines += [f"Subject: {_rfc2047(self.subject)}", "MIME-Version: 1.0"]
        if self.html is None:
            lines.append('Content-Type: text/plain; charset="utf-8"')
            lines.append("Content-Transfer-Encoding: 8bit")
            return "\n".join(lines) + "\n\n" + self.text
        boundary = "=_xhsgrow_" + self.content_hash[:24]
        part = 'Content-Type: text/{}; charset="utf-8"\nContent-Transfer-Encoding: 8bit\n\n'
        lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        return (
            "\n".join(lines)
            + f"\n\n--{boundary}\n"
            + part.format("plain")
            + self.text.rstrip("\n")
            + f"\n--{boundary}\n"
            + part.format("html")
            + self.html.rstrip("\n")
            + f"\n--{boundary}--\n"
        )


@dataclass(frozen=True)
class RenderProblem:
    template: str
    template_line: int | None
    contacts: str
    contact_line: int
    message: str
    #: not the contact's fault (a field missing from the campaign, an unknown header): listed
    #: once for all the contacts it stops, not once per contact
    general: bool = False

    def __str__(self) -> str:
        where = f"{self.template}:{self.template_line}" if self.template_line else self.template
        if self.general:
            return f"{where}: {self.message}"
        return f"{where}: {self.message} (contact on {self.contacts} line {self.contact_line})"


class RenderErrors(TemplateError):
    """Some contacts fail to render; ``problems`` lists every one of them: first the general
    ones, each once (saying how many contacts it stops when not all), then the contacts'."""

    def __init__(self, problems: list[RenderProblem], total: int) -> None:
        groups: dict[tuple[str, int | None, str], list[RenderProblem]] = {}
        for p in problems:
            if p.general:
                groups.setdefault((p.template, p.template_line, p.message), []).append(p)
        general = []
        for (template, line, message), hits in groups.items():
            first = min(hits, key=lambda p: p.contact_line)
            if len(hits) < total:  # in a branch some contacts take: say where it starts
                message += (
                    f" (for {len(hits)} of {total} contacts, first on {first.contacts} "
                    f"line {first.contact_line})"
                )
            general.append(
                RenderProblem(template, line, first.contacts, first.contact_line, message, True)
            )
        own = [p for p in problems if not p.general]
        self.problems = general + own
        if general:
            more = len(self.problems) - 1
            text = f"{general[0]}" + (f" (and {more} more problem(s))" if more else "")
        else:
            failing = len({p.contact_line for p in own})
            text = f"{failing} of {total} contact(s) fail to render; first: {own[0]}"
        super().__init__(text, hint="fix the template or the contacts; nothing was sent")


def _markdown() -> Any:
    from markdown_it import MarkdownIt

    # CommonMark with raw HTML off: markup in a template's Markdown is shown, never executed.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


class Composer:
    """Renders a template for contacts; build one per run (it caches parsed Markdown)."""

    def __init__(
        self,
        ref: TemplateRef,
        workspace_templates: Path | None,
        *,
        channel: str = "smtp",
        context: dict[str, Any] | None = None,
    ) -> None:
        from jinja2 import TemplateSyntaxError, pass_context

        from xhsgrow.rendering.env import make_env

        if channel not in CHANNELS:
            raise TemplateError(f"unknown channel '{channel}'; expected {', '.join(CHANNELS)}")
        self.ref = ref
        self.channel = channel
        self.context = context or {}
        self._values: list[Any] = []

        @pass_context  # context-dependent, so Jinja never folds constants through it
        def capture(_ctx: Any, value: Any) -> str:
            # str() here, inside the template's frame: a StrictUndefined fails on this line,
            # so the error names the template line.
            self._values.append(str(value))
            return f"XHSV{len(self._values) - 1}VSHX"

        self._env = make_env(workspace_templates, finalize=capture)
        self._env.undefined = _traced_undefined()  # tells whose field is missing
        self._campaign_ids: set[int] | None = None
        try:
            if ref.name is not None:
                self.template = self._env.get_template(ref.name)
            else:
                self.template = self._env.from_string(ref.source)
        except TemplateSyntaxError as exc:
            raise TemplateError(
                f"{ref.label}:{exc.lineno}: template syntax error: {exc.message}"
            ) from None
        self._md = _markdown() if channel == "smtp" else None
        self._shapes: dict[str, _Shape] = {}

    # -- one contact ------------------------------------------------------------------------

    def render(self, row: ContactRow, address: str = "") -> Message:
        """Render for one contact; raises jinja2 errors (``render_all`` turns them into
        RenderProblems)."""
        self._values = []
        skeleton = self.template.render(**self.context, contact=row.data)
        values = self._values
        shape = self._shapes.get(skeleton)
        if shape is None:
            shape = _Shape(skeleton, self._md)
            if len(self._shapes) < 512:  # one per distinct {% if %} path, in practice a few
                self._shapes[skeleton] = shape
        return Message(
            row=row,
            recipient=address,
            subject=shape.header("subject", values) or "",
            sender=shape.header("from", values),
            reply_to=shape.header("reply-to", values),
            text=_join(shape.text, values),
            html=shape.html(values, self._md) if self._md is not None else None,
        )

    # -- all contacts -----------------------------------------------------------------------

    def render_all(self, contacts: Contacts, *, require_address: bool = True) -> list[Message]:
        """Every contact's message; if any fails, RenderErrors lists all failures (nothing is
        returned, so nothing can be sent)."""
        return list(self.iter_render(contacts, require_address=require_address))

    def iter_render(self, contacts: Contacts, *, require_address: bool = True) -> Iterator[Message]:
        """Messages as they render; after the last row, RenderErrors if any row failed.
        Consumers must finish the iteration before acting on what they got."""
        from jinja2 import TemplateError as JinjaError
        from jinja2.exceptions import SecurityError

        column = (
            address_column(contacts, self.channel)
            if require_address
            else next((c for c in ADDRESS_COLUMNS[self.channel] if c in contacts.columns), None)
        )
        problems: list[RenderProblem] = []
        for row in contacts.rows:
            address = str(row.data.get(column, "") or "").strip() if column else ""
            try:
                message = self.render(row, address)
            except SecurityError as exc:
                problems.append(self._problem(contacts, row, f"unsafe template code: {exc}"))
                continue
            except HeaderError as exc:  # (a ValueError: before the clause below)
                # header names come from the template, never from data: listed once
                problems.append(
                    self._problem(contacts, row, str(exc), in_template=False, general=True)
                )
                continue
            except (JinjaError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
                general = self._not_the_contacts(exc, row)
                if general:  # listed once by RenderErrors, not once per contact
                    problems.append(self._problem(contacts, row, general, general=True))
                    continue
                explained = _explain(exc)
                field = _MISSING_FIELD.match(explained)
                if field and field[1] in row.nulls:
                    explained += ": it is null"
                problems.append(self._problem(contacts, row, explained))
                continue
            bad = _bad_address_header(message) if self.channel == "smtp" else None
            if bad is None and self.channel == "smtp" and not message.subject.strip():
                bad = "no Subject: header (email needs one)"
                head = _HEADER_LINE.match(message.text.partition("\n")[0])
                if head and not message.subject and head[1].lower() not in HEADERS:
                    # "X-Foo: bar" then a blank line: headers start on line 1 or not at all
                    bad += f"; line 1 of the message: unknown header '{head[1]}' " + (
                        f"(allowed: {', '.join(HEADERS.values())})"
                    )
            if bad:
                problems.append(self._problem(contacts, row, bad, in_template=False))
                continue
            if not problems:
                yield message  # streamed; the caller must not act before the end
        if problems:
            raise RenderErrors(problems, len(contacts.rows))

    def _not_the_contacts(self, exc: BaseException, row: ContactRow) -> str | None:
        """What is wrong when a missing field is not the contact's: one missing from the
        campaign, or from the tracking figures (or tracking without --data). None when the
        contact's data may be at fault (a name the template never had stays per contact:
        which contacts reach it can be what matters)."""
        obj = getattr(exc, "undefined_obj", _UNSET)
        name = getattr(exc, "undefined_name", None)
        if obj is _UNSET or name is None or id(obj) in _reachable(row.data):
            return None
        campaign = self.context.get("campaign")
        cid = campaign.get("id", "") if isinstance(campaign, dict) else ""
        tracking = self.context.get("tracking")
        if obj is None and tracking is None and self._tracking_is_missing(row):
            return f"missing field '{name}': `tracking` is empty without --data (and --as-of)"
        if tracking is not None and id(obj) in _reachable(tracking):
            return f"missing field '{name}' in the tracking figures of campaign '{cid}'"
        if self._campaign_ids is None:
            self._campaign_ids = _reachable(campaign)
        if id(obj) in self._campaign_ids:
            return (
                f"missing field '{name}' in campaign '{cid}'; "
                f"`xhsgrow show {cid} --format json` lists its fields"
            )
        return None

    def _tracking_is_missing(self, row: ContactRow) -> bool:
        """Render ``row`` again with a stand-in for the absent tracking figures: the field
        missing from None was tracking's when it is now missing from the stand-in."""
        from jinja2 import TemplateError as JinjaError

        probe = _NoTracking()
        try:
            self.template.render(**{**self.context, "tracking": probe}, contact=row.data)
        except JinjaError as exc:
            return getattr(exc, "undefined_obj", None) is probe
        except Exception:  # a diagnosis only: any other failure says nothing
            return False
        return False

    def _problem(
        self,
        contacts: Contacts,
        row: ContactRow,
        message: str,
        *,
        in_template: bool = True,
        general: bool = False,
    ) -> RenderProblem:
        """A problem for ``row``; ``in_template``: name the template line being handled (an
        error raised while the template ran), else the message as a whole is at fault."""
        line = _template_line(self.template) if in_template else None
        return RenderProblem(self.ref.label, line, str(contacts.path), row.line, message, general)


_UNSET = object()


class _NoTracking:
    """Stands in for the absent tracking figures when telling whose field is missing."""

    def __bool__(self) -> bool:
        return False


def _reachable(value: Any) -> set[int]:
    """The ids of ``value`` and of everything inside its dicts and lists."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return seen


@cache
def _traced_undefined() -> type:
    """StrictUndefined whose error carries the object a missing name was looked up on (and
    the name), so a missing field can be blamed on the contact or on the campaign."""
    from jinja2 import StrictUndefined
    from jinja2.exceptions import UndefinedError
    from jinja2.runtime import Undefined

    fail = Undefined._fail_with_undefined_error

    class TracedUndefined(StrictUndefined):
        __slots__ = ()

        def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return fail(self, *args, **kwargs)
            except UndefinedError as exc:
                exc.undefined_obj = self._undefined_obj  # type: ignore[attr-defined]
                exc.undefined_name = self._undefined_name  # type: ignore[attr-defined]
                raise

    # StrictUndefined binds __str__, __iter__, __bool__ ... to the base method itself
    for attr in dir(StrictUndefined):
        if getattr(StrictUndefined, attr, None) is fail:
            setattr(TracedUndefined, attr, TracedUndefined._fail_with_undefined_error)
    return TracedUndefined


_HTML_HEAD = (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
    '<body style="font-family: sans-serif; line-height: 1.6">\n'
)
_HTML_TAIL = "</body></html>\n"


class _Shape:
    """A rendered skeleton (values replaced by tokens), parsed once: headers, the body as
    text parts, and the body's HTML as parts. Contacts that take the same path through the
    template share one shape, so Markdown is parsed once, not once per contact."""

    def __init__(self, skeleton: str, md: Any) -> None:
        headers, body = _split(skeleton)
        self.headers = {k: _TOKEN.split(v) for k, v in headers.items()}
        self.text = _TOKEN.split(body)
        self.html_parts: list[Any] = []
        if md is not None:
            rendered = md.render(body)
            pos = 0
            for m in _HREF.finditer(rendered):
                self._add_html(rendered[pos : m.start()])
                self.html_parts.append((m[1], _TOKEN.split(html_lib.unescape(m[2]))))
                pos = m.end()
            self._add_html(rendered[pos:])

    def _add_html(self, chunk: str) -> None:
        for n, part in enumerate(_TOKEN.split(chunk)):
            self.html_parts.append(part if n % 2 == 0 else int(part))

    def header(self, key: str, values: list[str]) -> str | None:
        parts = self.headers.get(key)
        if parts is None:
            return None
        # A value can never add a header line: line breaks in data become spaces.
        return " ".join(_join(parts, values).split()) or None

    def html(self, values: list[str], md: Any) -> str:
        out = [_HTML_HEAD]
        escape = html_lib.escape
        for part in self.html_parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, int):
                out.append(escape(values[part]))
            else:
                attr, url_parts = part
                url = _join(url_parts, values)
                safe = md.normalizeLink(url) if md.validateLink(url) else "#"
                out.append(f'{attr}="{escape(safe, quote=True)}"')
        out.append(_HTML_TAIL)
        return "".join(out)


def _join(parts: list[str], values: list[str]) -> str:
    """Literal parts at even positions, token numbers at odd ones (from _TOKEN.split)."""
    if len(parts) == 1:
        return parts[0]
    return "".join(p if n % 2 == 0 else values[int(p)] for n, p in enumerate(parts))


def _bad_address_header(message: Message) -> str | None:
    from email.utils import parseaddr

    from xhsgrow.outreach.channels import valid_email

    for name, value in (("From", message.sender), ("Reply-To", message.reply_to)):
        if value and not valid_email(parseaddr(value)[1]):
            return f"{name}: header '{value}' is not an email address"
    return None


def address_column(contacts: Contacts, channel: str) -> str | None:
    """The contacts column holding this channel's addresses; an error when there is none."""
    wanted = ADDRESS_COLUMNS[channel]
    for name in wanted:
        if name in contacts.columns:
            return name
    raise ContactsError(
        f"{contacts.path}: no '{wanted[0]}' column, needed to send via {channel} "
        f"(columns: {', '.join(contacts.columns)})"
    )


class HeaderError(ValueError):
    pass


def _split(rendered: str) -> tuple[dict[str, str], str]:
    """Header lines (when the text starts with a known one) and the body."""
    lines = rendered.split("\n")
    first = _HEADER_LINE.match(lines[0]) if lines else None
    if not first or first[1].lower() not in HEADERS:
        # "Note: ..." may open a body; a block of header lines holding a known one is a
        # header block that starts with a header xhsgrow does not take
        end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
        block = [_HEADER_LINE.match(line) for line in lines[:end]]
        if first and all(block) and any(m[1].lower() in HEADERS for m in block if m):
            raise HeaderError(_unknown_header(1, first[1]))
        return {}, rendered.lstrip("\n")
    headers: dict[str, str] = {}
    for i, line in enumerate(lines):
        if not line.strip():
            return headers, "\n".join(lines[i + 1 :]).lstrip("\n")
        m = _HEADER_LINE.match(line)
        if not m:
            raise HeaderError(
                f"line {i + 1} of the message: header lines must end with a blank line"
            )
        key = m[1].lower()
        if key not in HEADERS:
            raise HeaderError(_unknown_header(i + 1, m[1]))
        headers[key] = m[2].strip()
    return headers, ""


def _unknown_header(line: int, name: str) -> str:
    why = "; the recipient comes from the contacts" if name.lower() in ("to", "cc", "bcc") else ""
    return (
        f"line {line} of the message: unknown header '{name}' "
        f"(allowed: {', '.join(HEADERS.values())}){why}"
    )


_MISSING = re.compile(r"has no attribute '([^']+)'|'([^']+)' is undefined")
_MISSING_FIELD = re.compile(r"^missing field '([^']+)'$")


def _explain(exc: BaseException) -> str:
    from jinja2 import UndefinedError

    if isinstance(exc, UndefinedError):
        m = _MISSING.search(str(exc))
        if m:  # (Jinja's own wording, "'dict object' has no attribute ...", says no more)
            return f"missing field '{m[1] or m[2]}'"
    return f"{type(exc).__name__}: {exc}"


def _template_line(template: Any) -> int | None:
    """The line of ``template`` (not of one it includes) in the error being handled."""
    from xhsgrow.rendering.env import template_frame

    frame = template_frame(files={template.filename, "<template>"})
    return frame[1] if frame else None


# -- context ---------------------------------------------------------------------------------


def base_context(
    campaign: Any, tracking: dict[str, Any] | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """What every message sees besides ``contact``: the spec, tracking figures, today."""
    return {
        "campaign": campaign.model_dump(),
        "tracking": tracking,
        "today": today or dt.date.today(),
    }


RENDER_MARK = ".xhsgrow-render"


def _write_file(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        data = memoryview(text.encode("utf-8"))
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


FILE_FORMATS = (".jsonl", ".mbox")
#: The keys of a rendered .jsonl line; a file whose first line has exactly these is a render.
JSONL_KEYS = ("line", "to", "subject", "from", "reply_to", "text", "html")
#: The separator line every message of a rendered .mbox starts with.
MBOX_FROM = "From xhsgrow@localhost Thu Jan  1 00:00:00 1970"


def _serialise(message: Message, fmt: str) -> str:
    if fmt == ".jsonl":
        import json

        doc = {
            "line": message.row.line,
            "to": message.recipient,
            "subject": message.subject,
            "from": message.sender,
            "reply_to": message.reply_to,
            "text": message.text,
            "html": message.html,
        }
        return json.dumps(doc, ensure_ascii=False) + "\n"
    # mboxrd: a "From " separator line per message; body lines that look like one get a ">"
    body = re.sub(r"(?m)^(>*From )", r">\1", message.as_eml())
    return f"{MBOX_FROM}\n{body.rstrip(chr(10))}\n\n"


def _write_stream(
    messages: Iterable[Message], folder: Path, start: int, html: bool, fmt: str = ""
) -> int:
    """Write messages numbered from ``start + 1``: one file each (a few threads overlap the
    file system's latency with rendering), or for ``fmt`` .jsonl / .mbox one part file."""
    from concurrent.futures import ThreadPoolExecutor

    if fmt:
        count = 0
        with open(folder / f"part-{start:09d}", "w", encoding="utf-8") as fh:
            for count, message in enumerate(messages, 1):  # noqa: B007
                fh.write(_serialise(message, fmt))
        return count

    def write_chunk(first: int, chunk: list[Message]) -> None:
        for n, message in enumerate(chunk, first + 1):
            base = os.path.join(folder, f"{n:06d}")
            if html and message.html is not None:
                _write_file(base + ".eml", message.as_eml())
            else:
                _write_file(base + ".txt", message.as_text())

    n = start
    with ThreadPoolExecutor(4) as pool:
        futures = []
        chunk: list[Message] = []
        for message in messages:
            chunk.append(message)
            if len(chunk) == 500:
                futures.append(pool.submit(write_chunk, n, chunk))
                n += len(chunk)
                chunk = []
        if chunk:
            futures.append(pool.submit(write_chunk, n, chunk))
            n += len(chunk)
        for f in futures:
            f.result()
    return n - start


def _is_render(path: Path) -> bool:
    """``path`` is empty or holds what a render writes (its first line tells): replacing it
    loses nothing that cannot be rendered again."""
    import json

    try:
        with path.open("rb") as fh:
            first = fh.readline()
    except OSError:
        return False
    if not first:
        return True
    text = first.decode("utf-8", errors="replace").rstrip("\r\n")
    if path.suffix == ".mbox":
        return text == MBOX_FROM
    try:
        doc = json.loads(text)
    except ValueError:
        return False
    return isinstance(doc, dict) and tuple(doc) == JSONL_KEYS


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_inputs(out: Path, inputs: list[tuple[str, Path]]) -> None:
    """Refuse an ``out`` that is one of the render's inputs (or, for a folder, holds one):
    replacing it would destroy what is being rendered from."""
    for what, path in inputs:
        inside = out.is_dir() and path.resolve().is_relative_to(out.resolve())
        if _same(out, path) or inside:
            how = "is" if not inside else "holds"
            raise UsageError(
                f"--out {out} {how} the {what} {path}; write the render somewhere else"
            )


def _prepare_out(out: Path, inputs: list[tuple[str, Path]] | None = None) -> Path:
    import shutil

    _check_inputs(out, inputs or [])
    if out.suffix in FILE_FORMATS:
        if out.exists() and not out.is_file():
            raise TemplateError(f"--out {out}: exists and is not a file")
        if out.exists() and not _is_render(out):
            raise UsageError(
                f"--out {out}: exists and is not a previous render's output; "
                f"choose a new file (a render's {out.suffix} is replaced)"
            )
    elif out.exists() and not out.is_dir():
        raise TemplateError(
            f"--out {out}: exists and is not a folder; choose a new or empty folder "
            "(or FILE.jsonl / FILE.mbox for one file)"
        )
    elif out.exists() and any(out.iterdir()) and not (out / RENDER_MARK).exists():
        raise TemplateError(
            f"--out {out}: exists and holds other files; choose a new or empty folder"
        )
    from xhsgrow.fileio import check_writable

    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    # a file where a folder on the way should be, an unwritable folder: "cannot write OUT: ..."
    check_writable(tmp, make_parents=True, display=str(out))
    try:
        tmp.mkdir(parents=True)
        (tmp / RENDER_MARK).write_text("rendered by xhsgrow outreach render\n", encoding="utf-8")
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    return tmp


def _publish(tmp: Path, out: Path) -> None:
    """Put the rendered output in place: one file (synced first, as every file xhsgrow writes
    whole) or the folder, renamed (its files are not synced one by one: a render is redone in
    seconds, and a sync per message would cost more than the render)."""
    import shutil

    from xhsgrow.fileio import sync_folder

    if out.suffix in FILE_FORMATS:
        joined = tmp / "joined"
        with joined.open("wb") as dst:
            for part in sorted(tmp.glob("part-*")):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(joined, out)
        sync_folder(out.parent)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
        try:
            tmp.rename(out)
        except OSError:
            old.rename(out)  # the previous render stays as it was
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)


def render_to_dir(
    composer: Composer,
    contacts: Contacts,
    out: Path,
    *,
    keep: int = 0,
    workers: int | None = None,
) -> tuple[int, list[Message]]:
    """Render every contact into files in ``out``, on ``workers`` processes (default: one
    per CPU, up to 4, for 2,000 rows or more, where fork exists); returns the count and the
    first ``keep`` messages.

    One file per message: NNNNNN.eml for email (MIME, plain text + HTML; one file, because
    creating files is what costs at 100,000 messages) or NNNNNN.txt (the body alone) for SMS
    and chat; an ``out`` ending in .jsonl or .mbox gets every message in that one file.

    All or nothing: files go to a hidden folder beside ``out`` that replaces it only when
    every row rendered; any failing row fails the whole render with every problem listed.
    A previous render's folder or file is replaced; any other non-empty folder or file is
    refused, and so is an ``out`` that is (or holds) the contacts file or the template."""
    import multiprocessing as mp
    import shutil

    rows = contacts.rows
    html = composer.channel == "smtp"
    if workers is None:
        cpus = os.cpu_count() or 1
        workers = min(cpus, 4) if len(rows) >= 2000 else 1
    if "fork" not in mp.get_all_start_methods():
        workers = 1
    workers = max(1, min(workers, len(rows)))
    bounds = [len(rows) * i // workers for i in range(workers + 1)]
    fmt = out.suffix if out.suffix in FILE_FORMATS else ""
    tmp = _prepare_out(out, [("contacts file", contacts.path), ("template", composer.ref.path)])

    def share(i: int) -> tuple[int, list[RenderProblem], list[Message]]:
        part = Contacts(
            contacts.path,
            rows[bounds[i] : bounds[i + 1]],
            contacts.columns,
            contacts.sha256,
            contacts.delimiter,
        )
        first: list[Message] = []

        def tee() -> Iterator[Message]:
            for message in composer.iter_render(part, require_address=False):
                if len(first) < keep:
                    first.append(message)
                yield message

        try:
            return _write_stream(tee(), tmp, bounds[i], html, fmt), [], first
        except RenderErrors as exc:
            return 0, exc.problems, []

    def child(i: int, conn: Any) -> None:
        try:
            conn.send(("ok", share(i)))
        except BaseException as exc:  # report, never hang the parent
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            conn.close()

    try:
        ctx = mp.get_context("fork")
        procs = []
        for i in range(1, workers):
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=child, args=(i, send), daemon=True)
            proc.start()
            send.close()
            procs.append((proc, recv))
        results = [share(0)]
        for proc, recv in procs:
            try:
                kind, payload = recv.recv()
            except EOFError:
                kind, payload = "error", f"render worker died (exit code {proc.exitcode})"
            proc.join()
            if kind == "error":
                raise TemplateError(f"rendering failed: {payload}")
            results.append(payload)
        problems = [p for _, probs, _ in results for p in probs]
        if problems:
            raise RenderErrors(problems, len(rows))
        _publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sum(n for n, _, _ in results), results[0][2]
