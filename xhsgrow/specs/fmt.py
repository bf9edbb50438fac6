"""`xhsgrow fmt`: rewrite a spec in canonical key order and layout, keeping every comment and value.

The text is parsed with tomlkit (which keeps comments and the spelling of every value), rebuilt
as a tree of tables, and written back by the rules below. The rules are chosen so that the
output of a formatted file is the file itself (idempotent).

Key order
    The top level follows ``TOP_LEVEL_ORDER`` (models.py). Inside a table, keys follow the field
    order of the pydantic model for that table (found by walking ``MODELS[kind]``); for a file
    whose ``kind`` is missing or unknown, only the keys every kind shares at that place are
    ordered. Keys the model does not know keep their relative order after the known ones: fmt
    formats text and never fails on a spec with errors — finding them is ``validate``'s job.

Layout
    Top-level keys first, then every table as a ``[section]`` in canonical order, with exactly
    one blank line before each section and no blank lines between the keys of a table. Inline
    tables and dotted keys become sections (``a.b = 1`` in ``[x]`` is written ``b = 1`` under
    ``[x.a]``); a section header is left out only when the table has no keys and no comments of
    its own but has sub-tables. An array of inline tables becomes ``[[array.of.tables]]`` blocks,
    unless a comment inside the array would be lost, in which case the array is kept as written.
    Arrays are written on one line (``["a", "b"]``) when the line fits in 100 characters, else
    one element per line, indented by four spaces, with a trailing comma. Arrays holding a
    comment are kept exactly as written. Decimal integers of 10,000 and more are written with
    ``_`` thousands separators (``300_000_000``); every other value keeps the user's spelling
    (floats, strings, dates, hex integers, inline tables inside arrays). Keys are written bare
    when they can be, else as the user quoted them. Indentation before keys and comment lines is
    removed; widths are counted in characters. CRLF files stay CRLF; a UTF-8 byte order mark
    is dropped.

Comments
    The comment lines before the first key or table are the file's header and stay at the top:
    everything up to the last blank line in that block, or, when there is no blank line, up to
    the last ``#:schema`` line. A comment block above a key (between it and the previous key of
    the same table) moves with the key; a block directly above a section header moves with the
    section; comments after the last key of a table that are not directly above the next header
    stay at the end of that table. Comments at the end of a line stay on that line. Blank lines
    inside a comment block are kept (several in a row become one).

Safety net
    After formatting, the old and new texts are parsed with tomllib and their values compared,
    and the multiset of comments of both is compared. If either differs the formatter raises
    :class:`FormatError` naming the file, and ``format_file`` writes nothing. Files are written
    atomically (a temporary file in the same folder, then a rename). A spec that is a symlink
    stays one: the file it points to is rewritten, in its own folder.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xhsgrow.errors import XhsgrowError

WIDTH = 100
INDENT = "    "
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DECIMAL_INT = re.compile(r"([+-]?)([0-9][0-9_]*)")

#: A blank line inside a run of comments.
_BLANK = None
Lines = list[str | None]


class FormatError(XhsgrowError):
    """fmt could not format a file without changing a value or losing a comment."""


# --- public API --------------------------------------------------------------------------


def format_text(text: str, *, name: str = "<text>") -> str:
    """``text`` in canonical order and layout. Raises SpecError on a TOML syntax error and
    FormatError if the result would not hold the same values and comments."""
    crlf = "\r\n" in text and text.count("\n") == text.count("\r\n")
    work = text.replace("\r\n", "\n") if crlf else text
    from xhsgrow.specs.loader import parse_toml

    data = parse_toml(work, name)
    if not work.strip():
        return text
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        doc = tomlkit.parse(work)
    except TOMLKitError as exc:
        raise FormatError(
            f"{name}: fmt cannot read this file ({exc}); it was left unchanged"
        ) from None
    kind = data.get("kind")
    builder = _Builder()
    builder.walk(doc, builder.root)
    builder.finish()
    out = _Writer(_key_order(kind if isinstance(kind, str) else None)).write(builder)
    if crlf:
        out = out.replace("\n", "\r\n")
    _verify(text, out, name)
    return out


def format_file(path: Path, write: bool = True) -> bool:
    """Format one spec file; True when its text changes (or would change, with write=False).

    A file that cannot be read or parsed raises SpecError (``path:line:col: message``) and is
    left untouched, as is any file the safety net refuses. A file that cannot be written
    raises UsageError (``cannot write path: reason``) and is left untouched; it keeps its
    permission bits when it is written. A symlink is written through, not replaced.
    """
    from xhsgrow.fileio import write_text_atomic
    from xhsgrow.specs.loader import read_toml
    from xhsgrow.specs.store import display_path

    src = read_toml(path, display=display_path(path))
    new = format_text(src.text, name=src.path)
    if new == src.text and not src.bom:
        return False
    if write:
        write_text_atomic(path, new, keep_mode=True, display=src.path)
    return True


# --- reading: tomlkit document -> tree of tables -----------------------------------------


@dataclass
class _Entry:
    key: str
    spelling: str
    item: Any  # a tomlkit value item
    leading: Lines
    comment: str
    comment_ws: str


@dataclass
class _Table:
    spelling: str = ""
    leading: Lines = field(default_factory=list)
    comment: str = ""
    comment_ws: str = ""
    trailing: Lines = field(default_factory=list)
    entries: dict[str, _Entry] = field(default_factory=dict)
    tables: dict[str, _Table | list[_Table]] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)  # first appearance of each key

    def note(self, key: str) -> None:
        self.seen.setdefault(key, len(self.seen))

    def child(self, key: str, spelling: str) -> _Table:
        self.note(key)
        existing = self.tables.get(key)
        if isinstance(existing, list):  # [a.b] after [[a]]: tomlkit nests it, but be safe
            return existing[-1]
        if existing is None:
            existing = self.tables[key] = _Table(spelling)
        return existing


def _spell(key: Any) -> str:
    """A key part as it is written: bare when it can be, else as the user quoted it."""
    value: str = key.key
    if _BARE_KEY.fullmatch(value):
        return value
    return str(key.as_string()).strip()


class _Builder:
    """Walks tomlkit's containers in document order, attaching comments as it goes."""

    def __init__(self) -> None:
        self.root = _Table()
        self.header: Lines = []
        self.header_blank = False
        self.pending: Lines = []
        self.current = self.root  # the table whose header came last: gets trailing comments
        self.started = False

    def walk(self, container: Any, table: _Table, *, inline: bool = False) -> None:
        from tomlkit.items import AoT, Array, Comment, InlineTable, Table, Whitespace

        body = container.body if hasattr(container, "body") else container.value.body
        for key, item in body:
            if key is None:
                if inline:
                    continue
                if isinstance(item, Comment):
                    if "\n" in item.trivia.indent:
                        self.pending.append(_BLANK)
                    self.pending.append(item.trivia.comment.rstrip())
                    if item.trivia.trail.count("\n") > 1:
                        self.pending.append(_BLANK)
                elif isinstance(item, Whitespace) and "\n" in item.as_string():
                    self.pending.append(_BLANK)
                continue
            name, spelling = key.key, _spell(key)
            if isinstance(item, AoT):
                table.note(name)
                elements = table.tables.setdefault(name, [])
                assert isinstance(elements, list)
                for element in item.body:
                    node = _Table(spelling)
                    self._header(node, element.trivia)
                    elements.append(node)
                    self.walk(element.value, node)
            elif isinstance(item, Table):
                node = table.child(name, spelling)
                if not item.is_super_table():
                    self._header(node, item.trivia)
                self.walk(item.value, node, inline=inline)
            else:
                if not inline and "\n" in item.trivia.indent:
                    self.pending.append(_BLANK)
                leading = [] if inline else self._leading()
                comment, ws = item.trivia.comment.rstrip(), item.trivia.comment_ws
                if isinstance(item, InlineTable):
                    node = table.child(name, spelling)
                    node.leading, node.comment, node.comment_ws = leading, comment, ws
                    self.walk(item.value, node, inline=True)
                elif isinstance(item, Array) and _tables_only(item):
                    table.note(name)
                    elements = table.tables.setdefault(name, [])
                    assert isinstance(elements, list)
                    for i, element in enumerate(item):
                        node = _Table(spelling)
                        if i == 0:
                            node.leading, node.comment, node.comment_ws = leading, comment, ws
                        elements.append(node)
                        self.walk(element.value, node, inline=True)
                else:
                    table.note(name)
                    table.entries[name] = _Entry(name, spelling, item, leading, comment, ws)
                if not inline and item.trivia.trail.count("\n") > 1:
                    self.pending.append(_BLANK)

    def _start(self) -> None:
        """At the first key or header: split the file's header off the pending comments."""
        if self.started:
            return
        self.started = True
        pending = self.pending
        if _BLANK in pending:
            cut = len(pending) - pending[::-1].index(_BLANK)
            self.header, self.pending = pending[: cut - 1], pending[cut:]
            self.header_blank = True
        else:
            schema = [i for i, c in enumerate(pending) if c and c.startswith("#:schema")]
            cut = schema[-1] + 1 if schema else 0
            self.header, self.pending = pending[:cut], pending[cut:]
        self.header = _tidy(self.header)
        self.header_blank = self.header_blank and bool(self.header)

    def _leading(self) -> Lines:
        """Every pending comment goes with the key that follows it."""
        self._start()
        leading, self.pending = _tidy(self.pending), []
        return leading

    def _header(self, node: _Table, trivia: Any) -> None:
        """The block directly above a header goes with it; the rest ends the previous table."""
        self._start()
        pending = self.pending
        cut = len(pending) - pending[::-1].index(_BLANK) if _BLANK in pending else 0
        self.current.trailing.extend(pending[:cut])
        node.leading = [c for c in pending[cut:] if c is not None]
        node.comment, node.comment_ws = trivia.comment.rstrip(), trivia.comment_ws
        self.pending = []
        self.current = node

    def finish(self) -> None:
        if not self.started:  # nothing but comments
            self.header, self.pending = _tidy(self.pending), []
            return
        self.current.trailing.extend(self.pending)
        self.pending = []


def _tables_only(array: Any) -> bool:
    """An array of inline tables that can become [[blocks]] without losing a comment."""
    from tomlkit.items import InlineTable

    items = list(array)
    return (
        bool(items)
        and all(isinstance(i, InlineTable) for i in items)
        and not _comments(array.as_string())
    )


def _tidy(lines: Lines, *, keep_first_blank: bool = False) -> Lines:
    """Runs of blank lines become one; none at the end (nor at the start, unless asked)."""
    out: Lines = []
    for line in lines:
        if line is _BLANK and (not out or out[-1] is _BLANK):
            if not out and keep_first_blank:
                out.append(_BLANK)
            continue
        out.append(line)
    while out and out[-1] is _BLANK:
        out.pop()
    return out


# --- canonical key order -----------------------------------------------------------------


def _fields_at(model: type, path: tuple[str, ...]) -> list[str]:
    """The field order of the first model found at ``path`` inside ``model``."""
    from xhsgrow.specs.loader import _models_in

    current: Any = model
    for part in path:
        info = current.model_fields.get(part)
        models = _models_in(info.annotation) if info is not None else []
        if not models:
            return []
        current = models[0]
    return list(current.model_fields)


def _key_order(kind: str | None) -> Callable[[tuple[str, ...]], list[str]]:
    """path of table keys -> the canonical order of the keys in that table."""
    from xhsgrow.specs.models import MODELS, TOP_LEVEL_ORDER

    def order(path: tuple[str, ...]) -> list[str]:
        if not path:
            return list(TOP_LEVEL_ORDER)
        if kind in MODELS:
            return _fields_at(MODELS[kind], path)
        per_kind = [_fields_at(model, path) for model in MODELS.values()]
        return [k for k in per_kind[0] if all(k in other for other in per_kind[1:])]

    return order


# --- writing -----------------------------------------------------------------------------


class _Writer:
    def __init__(self, order: Callable[[tuple[str, ...]], list[str]]) -> None:
        self.order = order
        self.lines: list[str] = []

    def write(self, doc: _Builder) -> str:
        self._comments(doc.header)
        if doc.header_blank:
            self._blank()
        self._body(doc.root, (), ())
        while self.lines and self.lines[-1] == "":
            self.lines.pop()
        return "\n".join(self.lines) + "\n" if self.lines else ""

    def _blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def _comments(self, lines: Iterable[str | None]) -> None:
        for line in lines:
            self.lines.append("" if line is None else line)

    def _sorted(self, table: _Table, keys: Iterable[str], path: tuple[str, ...]) -> list[str]:
        known = {k: i for i, k in enumerate(self.order(path))}
        return sorted(keys, key=lambda k: (0, known[k]) if k in known else (1, table.seen[k]))

    def _section(
        self, table: _Table, path: tuple[str, ...], spelled: tuple[str, ...], aot: bool
    ) -> None:
        trailing = _tidy(table.trailing, keep_first_blank=True)
        if aot or table.entries or table.leading or table.comment or trailing or not table.tables:
            self._blank()
            self._comments(table.leading)
            name = ".".join(spelled)
            header = f"[[{name}]]" if aot else f"[{name}]"
            if table.comment:
                header += (table.comment_ws or " ") + table.comment
            self.lines.append(header)
        self._body(table, path, spelled)

    def _body(self, table: _Table, path: tuple[str, ...], spelled: tuple[str, ...]) -> None:
        for key in self._sorted(table, table.entries, path):
            entry = table.entries[key]
            self._comments(entry.leading)
            prefix = f"{entry.spelling} = "
            line = prefix + _render(entry.item, 0, len(prefix))
            if entry.comment:
                line += (entry.comment_ws or " ") + entry.comment
            self.lines.append(line)
        trailing = _tidy(table.trailing, keep_first_blank=True)
        if trailing and trailing[0] is _BLANK:
            self._blank()
            trailing = trailing[1:]
        self._comments(trailing)
        for key in self._sorted(table, table.tables, path):
            child = table.tables[key]
            if isinstance(child, list):
                for element in child:
                    self._section(element, (*path, key), (*spelled, element.spelling), True)
            else:
                self._section(child, (*path, key), (*spelled, child.spelling), False)


def _integer(raw: str) -> str:
    m = _DECIMAL_INT.fullmatch(raw)
    if not m:
        return raw  # hex, octal, binary: as written
    value = int(m.group(2).replace("_", ""))
    return f"{m.group(1)}{value:_}" if value >= 10_000 else raw


def _flat(item: Any) -> str | None:
    """A value on one line, or None when it cannot be (a comment or a newline inside)."""
    from tomlkit.items import Array, Integer

    if isinstance(item, Integer):
        return _integer(item.as_string())
    raw = str(item.as_string())
    if not isinstance(item, Array):
        return None if "\n" in raw else raw
    if _comments(raw):
        return None
    parts = [_flat(e) for e in item]
    if any(p is None for p in parts):
        return None
    return "[" + ", ".join(p for p in parts if p is not None) + "]"


def _render(item: Any, depth: int, used: int) -> str:
    """A value's text; ``used`` is how many columns its line already holds."""
    from tomlkit.items import Array

    flat = _flat(item)
    if not isinstance(item, Array):
        return flat if flat is not None else str(item.as_string())  # multi-line strings
    if flat is not None and used + len(flat) <= WIDTH:
        return flat
    raw = str(item.as_string())
    if _comments(raw):
        return raw
    elements = list(item)
    if not elements:
        return "[]"
    pad = INDENT * (depth + 1)
    rows = [pad + _render(e, depth + 1, len(pad)) + "," for e in elements]
    return "[\n" + "\n".join(rows) + "\n" + INDENT * depth + "]"


# --- safety net --------------------------------------------------------------------------


def _comments(text: str) -> list[str]:
    """Every comment in TOML text, in order (text from '#' to the end of its line)."""
    found: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            found.append(text[i:end].rstrip())
            i = end
        elif c in "\"'":
            delim = c * 3 if text.startswith(c * 3, i) else c
            i += len(delim)
            while i < n:
                if c == '"' and text[i] == "\\":
                    i += 2
                elif text.startswith(delim, i):
                    i += len(delim)
                    # a multi-line string may end with up to two quotes of its own
                    for _ in range(2 if len(delim) == 3 else 0):
                        if i < n and text[i] == c:
                            i += 1
                    break
                else:
                    i += 1
        else:
            i += 1
    return found


def _comparable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _verify(old: str, new: str, name: str) -> None:
    hint = "the file was left unchanged; please report this as a bug in xhsgrow fmt"
    try:
        same = _comparable(tomllib.loads(old)) == _comparable(tomllib.loads(new))
    except tomllib.TOMLDecodeError:
        same = False
    if not same:
        raise FormatError(f"{name}: fmt would change a value; not formatted", hint=hint)
    if Counter(_comments(old)) != Counter(_comments(new)):
        raise FormatError(f"{name}: fmt would lose or change a comment; not formatted", hint=hint)
